"""Every failure a person reads, in one shape: a title, what happened, what to do.

The SDK and the network raise many kinds of exceptions; `explain` is the one place that
turns any of them into a `WorkbenchError`, worded for where the code runs (the local
runtime or E2B cloud). Views render `title`, `message` and `hint`; `str(err)` is the
message and the hint as one sentence, for logs and the command line.
"""

from __future__ import annotations

import os

import httpx
from e2b.exceptions import (
    AuthenticationException,
    InvalidArgumentException,
    NotFoundException,
    RateLimitException,
    SandboxException,
    TimeoutException,
)

DOCS_KEY = "https://e2b.dev/dashboard?tab=keys"


class WorkbenchError(Exception):
    """A failure worded for a person: `title`, `message` (what happened), `hint` (what to do)."""

    title = "Error"

    def __init__(self, message: str, hint: str = "", *, title: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        if title:
            self.title = title

    def __str__(self) -> str:
        return f"{self.message} {self.hint}".strip() if self.hint else self.message


class SessionError(WorkbenchError):
    """The session cannot do what was asked (closed, not open yet, not a cloud sandbox...)."""

    title = "Session"


class TargetError(WorkbenchError):
    """The sandbox could not be opened or used."""

    title = "Sandbox"


class NoApiKey(TargetError):
    """Cloud mode without E2B_API_KEY (the one wording of it)."""

    def __init__(self, doing: str = "Cloud mode") -> None:
        super().__init__(
            f"{doing} needs an E2B API key: export E2B_API_KEY=... (keys are at {DOCS_KEY}),",
            "or run with --local to use the local runtime.",
            title="No API key",
        )


class SandboxGone(TargetError):
    """The cloud sandbox expired or was killed under us."""

    def __init__(self, sandbox_id: str = "") -> None:
        which = f"Sandbox {sandbox_id}" if sandbox_id else "The sandbox"
        super().__init__(
            f"{which} is gone (it expired or was killed).",
            "Reconnect or start a new sandbox; a longer --sandbox-timeout keeps it alive longer "
            "between keep-alives.",
            title="Sandbox gone",
        )


def sandbox_gone(err: BaseException) -> bool:
    """True when a failure means the cloud sandbox itself expired or was killed.

    The SDK says so only in its messages: a 502 from E2B's edge becomes "...likely due to
    sandbox timeout", a connection dropped mid-run "The sandbox was killed".
    """
    if isinstance(err, SandboxGone):
        return True
    text = str(err)
    return isinstance(err, TimeoutException) and ("sandbox timeout" in text or "was killed" in text)


def explain(
    err: BaseException, *, cloud: bool = False, sandbox_id: str = "", domain: str = ""
) -> WorkbenchError:
    """`err` as a WorkbenchError, worded for a cloud sandbox or the local runtime."""
    if isinstance(err, WorkbenchError):
        return err
    text = str(err)
    if isinstance(err, AuthenticationException):
        return TargetError(
            f"E2B rejected the API key (401). Check E2B_API_KEY (keys are at {DOCS_KEY}),",
            "or run with --local to use the local runtime.",
            title="API key rejected",
        )
    if isinstance(err, RateLimitException):
        return TargetError(
            "E2B's rate limit was hit (429).", "Wait a little and try again.", title="Rate limit"
        )
    if isinstance(err, NotFoundException):
        if cloud:
            which = f"Sandbox {sandbox_id}" if sandbox_id else "The sandbox"
            return TargetError(
                f"{which} was not found: it expired or was killed.",
                "Start a new sandbox, or connect to another with --sandbox-id.",
                title="Not found",
            )
        return WorkbenchError(f"Not found: {text}", title="Not found")
    if sandbox_gone(err):
        return SandboxGone(sandbox_id)
    if isinstance(err, TimeoutException):
        return WorkbenchError(f"Timed out talking to E2B: {text}" if cloud else text, title="Timeout")
    if isinstance(err, InvalidArgumentException):
        return WorkbenchError(f"Invalid request: {text}", title="Invalid request")
    if isinstance(err, SandboxException):
        return WorkbenchError(f"E2B refused the request: {text}" if cloud else text, title="Refused")
    if isinstance(err, (httpx.ConnectError, httpx.ConnectTimeout)) or _is_connect_error(err):
        if cloud:
            api = os.environ.get("E2B_API_URL") or f"https://api.{domain or 'e2b.app'}"
            return TargetError(
                f"Cannot reach E2B at {api}: no network, or a proxy or firewall in the way.",
                "Check the connection, or run with --local to use the local runtime.",
                title="No connection",
            )
        return WorkbenchError(
            "Cannot reach the runtime (connection refused):", "is it still running?", title="No connection"
        )
    if isinstance(err, (httpx.RemoteProtocolError, httpx.ReadError)) and not cloud:
        return WorkbenchError(
            "The runtime closed the connection mid-request (it may have stopped or crashed).",
            title="Connection lost",
        )
    if isinstance(err, httpx.TimeoutException):
        return TargetError(
            "E2B's API did not answer in time: the network is slow or down, or E2B is having trouble."
            if cloud
            else "The runtime did not answer in time.",
            "Try again, or run with --local to use the local runtime." if cloud else "",
            title="Timeout",
        )
    if isinstance(err, httpx.HTTPError):
        where = "E2B" if cloud else "the runtime"
        return WorkbenchError(
            f"Network error talking to {where}: {text or type(err).__name__}", title="Network"
        )
    return WorkbenchError(f"{type(err).__name__}: {text}")


def _is_connect_error(err: BaseException) -> bool:
    """Connection failures the SDK's transport raises without wrapping them."""
    name = type(err).__name__.lower()
    text = str(err).lower()
    return isinstance(err, OSError) or "connect" in name or "connection refused" in text or "dns" in text
