"""What the cockpit shows and does, headless: E2B cloud sandboxes through the SDK's class
methods (list, pause, set timeout, kill, metrics, info), the local runtime through its
documented extension route `GET /processes` (`tui.runtime.status`).

All of it is blocking (the SDK's sync classes, httpx): callers run it in a thread. Every
failure arrives as a `TargetError` worded for a person.

`why_gone` turns "the sandbox is not there any more" into a reason when one can be known:
its end time passed (it expired), it is paused, it was killed before its end time, or it
is still running and only the connection failed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import httpx
from e2b import Sandbox
from e2b.exceptions import NotFoundException
from e2b.sandbox.sandbox_api import SandboxQuery

from .errors import TargetError
from .target import Target, cloud_opts, explain_target

ROUTE = "/processes"


# -- E2B cloud ------------------------------------------------------------------------


@dataclass
class SandboxRow:
    """One sandbox in the cockpit's list."""

    sandbox_id: str
    template: str
    state: str  # running or paused
    started_at: dt.datetime | None
    end_at: dt.datetime | None
    cpu_count: int | None
    memory_mb: int | None
    metadata: dict[str, str] = field(default_factory=dict)

    @property
    def seconds_left(self) -> float | None:
        if self.end_at is None:
            return None
        return (self.end_at - dt.datetime.now(dt.UTC)).total_seconds()


def _row(info: Any) -> SandboxRow:
    state = getattr(info.state, "value", info.state)
    return SandboxRow(
        sandbox_id=info.sandbox_id,
        template=getattr(info, "name", None) or info.template_id,
        state=str(state),
        started_at=info.started_at,
        end_at=info.end_at,
        cpu_count=getattr(info, "cpu_count", None),
        memory_mb=getattr(info, "memory_mb", None),
        metadata=dict(info.metadata or {}),
    )


def _fail(err: BaseException, target: Target, sandbox_id: str = "") -> TargetError:
    from dataclasses import replace

    return explain_target(err, replace(target, sandbox_id=sandbox_id or target.sandbox_id))


def parse_metadata(text: str) -> dict[str, str]:
    """`k=v, k2=v2` as a dict (ValueError naming a pair without `=`)."""
    found = {}
    for pair in (p.strip() for p in text.replace(";", ",").split(",")):
        if not pair:
            continue
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise ValueError(f"{pair!r} is not key=value.")
        found[key.strip()] = value.strip()
    return found


def list_sandboxes(
    target: Target, metadata: dict[str, str] | None = None, limit: int = 100
) -> list[SandboxRow]:
    """Running and paused sandboxes of the API key's team, newest first, filtered by `metadata`."""
    try:
        paginator = Sandbox.list(
            query=SandboxQuery(metadata=metadata or None), limit=limit, **cloud_opts(target)
        )
        rows: list[SandboxRow] = []
        while paginator.has_next and len(rows) < limit:
            rows += [_row(info) for info in paginator.next_items()]
    except TargetError:
        raise
    except Exception as err:
        raise _fail(err, target) from err
    return sorted(rows, key=lambda r: r.started_at or dt.datetime.min.replace(tzinfo=dt.UTC), reverse=True)


def sandbox_row(target: Target, sandbox_id: str) -> SandboxRow:
    """One sandbox's row (TargetError when it is not there)."""
    try:
        return _row(Sandbox.get_info(sandbox_id, **cloud_opts(target)))
    except TargetError:
        raise
    except Exception as err:
        raise _fail(err, target, sandbox_id) from err


def pause_sandbox(target: Target, sandbox_id: str) -> bool:
    """Pause a sandbox (memory and files kept; connecting resumes it); False if it was paused already."""
    try:
        return bool(Sandbox.pause(sandbox_id, **cloud_opts(target)))
    except TargetError:
        raise
    except Exception as err:
        raise _fail(err, target, sandbox_id) from err


@dataclass
class Metrics:
    """A sandbox's CPU, memory and disk over time (oldest first), from `get_metrics`."""

    cpu_pct: list[float]
    mem_used: list[int]
    mem_total: int
    disk_used: list[int]
    disk_total: int
    cpu_count: int


def sandbox_metrics(target: Target, sandbox_id: str, points: int = 60) -> Metrics | None:
    """The last `points` samples of the sandbox's metrics, None when E2B has none yet."""
    try:
        samples = Sandbox.get_metrics(sandbox_id, **cloud_opts(target))
    except TargetError:
        raise
    except Exception as err:
        raise _fail(err, target, sandbox_id) from err
    samples = sorted(samples, key=lambda m: m.timestamp)[-points:]
    if not samples:
        return None
    last = samples[-1]
    return Metrics(
        cpu_pct=[float(m.cpu_used_pct) for m in samples],
        mem_used=[int(m.mem_used) for m in samples],
        mem_total=int(last.mem_total),
        disk_used=[int(m.disk_used) for m in samples],
        disk_total=int(last.disk_total),
        cpu_count=int(last.cpu_count),
    )


@dataclass
class Gone:
    """Why a sandbox went away, and what can be done: resume (paused), reconnect (running)."""

    reason: str
    paused: bool = False
    running: bool = False


def why_gone(target: Target, sandbox_id: str, expected_end: float | None) -> Gone:
    """Ask E2B about a sandbox that stopped answering; `expected_end` is when it was due to end
    (wall clock, seconds), as last extended."""
    try:
        info = Sandbox.get_info(sandbox_id, **cloud_opts(target))
    except NotFoundException:
        now = dt.datetime.now(dt.UTC).timestamp()
        if expected_end is not None and now >= expected_end - 1:
            when = dt.datetime.fromtimestamp(expected_end).strftime("%H:%M:%S")
            return Gone(
                f"Sandbox {sandbox_id} expired: its timeout passed at {when} without a keep-alive "
                "(the network was down, or the app was stopped)."
            )
        return Gone(f"Sandbox {sandbox_id} was killed (before its end time).")
    except Exception as err:  # E2B cannot be asked either: the connection is what failed
        return Gone(f"The connection to E2B failed: {explain_target(err, target)}")
    state = str(getattr(info.state, "value", info.state))
    if state == "paused":
        return Gone(
            f"Sandbox {sandbox_id} is paused: resuming it brings back its memory and files.", paused=True
        )
    return Gone(
        f"Sandbox {sandbox_id} is still running: the connection to it failed (network).", running=True
    )


# -- the local runtime -----------------------------------------------------------------


@dataclass
class LocalStatus:
    """The runtime's own account of what it runs (`GET /processes`), or why there is none."""

    available: bool
    note: str = ""
    isolated: bool = False
    runtime: dict[str, Any] = field(default_factory=dict)
    kernels: list[dict[str, Any]] = field(default_factory=list)
    processes: list[dict[str, Any]] = field(default_factory=list)


def local_status(url: str, timeout: float = 10) -> LocalStatus:
    """Ask the runtime at `url`; a runtime without the route (404) is said, not an error."""
    try:
        response = httpx.get(f"{url.rstrip('/')}{ROUTE}", timeout=timeout)
    except httpx.HTTPError as err:
        raise TargetError(
            f"The runtime did not answer: {type(err).__name__}.", "Is it still running?"
        ) from err
    if response.status_code == 404:
        return LocalStatus(
            False, "This runtime does not list its processes (no GET /processes): contexts only."
        )
    try:
        response.raise_for_status()
        body = response.json()
        return LocalStatus(
            True,
            isolated=bool(body.get("isolated")),
            runtime=dict(body.get("runtime") or {}),
            kernels=list(body.get("kernels") or []),
            processes=list(body.get("processes") or []),
        )
    except (httpx.HTTPStatusError, ValueError, AttributeError, TypeError) as err:
        return LocalStatus(False, f"The runtime's process list could not be read ({err}).")
