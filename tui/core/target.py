"""Where code runs: the local runtime (started here) or an E2B cloud sandbox.

The app's session and every headless entry point (`run`, `tool call`, `mcp`) open their
sandbox from a `Target`, so local and cloud go through the same SDK calls.

Cloud mode takes the API key from E2B_API_KEY only; it is never written anywhere.
The SDK's own E2B_API_URL / E2B_SANDBOX_URL / E2B_DOMAIN variables are honoured (that is
how the tests point the cloud path at a fake control plane and the local runtime).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import secrets
import sys
import tempfile
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from e2b_code_interpreter import AsyncSandbox, Sandbox

from . import paths
from .config import Config, load_config
from .errors import NoApiKey, TargetError, explain
from .flags import add_target_arguments, config_overrides  # noqa: F401  (re-exported)

Mode = Literal["local", "cloud"]


@dataclass
class Target:
    """Which sandbox to open, and how."""

    mode: Mode = "local"
    cwd: str | None = None  # local: the contexts' working directory
    url: str | None = None  # local: an already running E2B-compatible runtime
    spares: bool = False  # local: keep warm spare kernels (worth it for long sessions)
    sandbox_id: str | None = None  # cloud: connect to this sandbox instead of creating one
    template: str | None = None
    sandbox_timeout: int = 300  # cloud: seconds the sandbox lives without a keep-alive
    metadata: dict[str, str] = field(default_factory=dict)
    envs: dict[str, str] = field(default_factory=dict)
    domain: str | None = None
    keep: bool = False  # cloud: leave a sandbox we created running on close
    api_timeout: float | None = None  # cloud: seconds per call to E2B's API (None: the SDK's 60)
    profile: str | None = None  # local: the sandbox environment's profile (None: the runtime's default)
    python_env: str | None = None  # local: an existing Python environment used as it is
    isolate: bool = False  # local: inside a bubblewrap sandbox (never silently without one)
    network: bool = False  # local, isolated: this machine's network (default: none)
    ephemeral: bool = False  # local, isolated: a new workspace removed at the end (kept otherwise)
    keep_workspace: bool = True  # local, isolated, no cwd: a kept folder per sandbox (else ephemeral)

    @property
    def cloud(self) -> bool:
        return self.mode == "cloud"


def api_key() -> str | None:
    """The E2B API key from the environment (the only place it is ever read from)."""
    return os.environ.get("E2B_API_KEY") or None


# -- command line -------------------------------------------------------------------


def debug_sandbox_url() -> str | None:
    """The runtime the SDK itself would use: E2B_SANDBOX_URL when E2B_DEBUG is true (what
    `serve` tells you to export)."""
    if os.environ.get("E2B_DEBUG", "").lower() in ("true", "1", "yes"):
        return os.environ.get("E2B_SANDBOX_URL") or None
    return None


def target_from_args(
    args: argparse.Namespace, config: Config | None = None, *, isolate_default: bool = False
) -> Target:
    """A Target from flags over env vars over the config file; cloud needs E2B_API_KEY.

    A runtime URL (`--url`, or E2B_SANDBOX_URL with E2B_DEBUG=true as the SDK reads them)
    means local, unless --cloud or --sandbox-id say otherwise. Local code is isolated when
    `--isolate` says so, else when the `isolate` setting does, else when the command isolates
    by default (`isolate_default`: tool call and mcp, whose code a model wrote); `--no-isolate`
    opts out.
    """
    config = config or load_config(overrides=config_overrides(args))
    wants_cloud = bool(getattr(args, "cloud", False) or getattr(args, "sandbox_id", None))
    url = getattr(args, "url", None) or (None if wants_cloud else debug_sandbox_url())
    mode: Mode
    if getattr(args, "local", False) or (url and not wants_cloud):
        mode = "local"
    elif wants_cloud or api_key():
        mode = "cloud"
    else:
        mode = "local"
    isolate = config.isolate if config.isolate is not None else isolate_default
    return make_target(
        mode,
        config,
        cwd=getattr(args, "cwd", None),
        url=url if mode == "local" else None,
        sandbox_id=getattr(args, "sandbox_id", None),
        keep=bool(getattr(args, "keep", False)),
        isolate=isolate,
        network=bool(getattr(args, "network", False)),
        ephemeral=bool(getattr(args, "ephemeral", False)),
        keep_workspace=not isolate_default,
    )


def make_target(
    mode: Mode,
    config: Config,
    *,
    cwd: str | None = None,
    url: str | None = None,
    sandbox_id: str | None = None,
    keep: bool = False,
    spares: bool = False,
    isolate: bool = False,
    network: bool = False,
    ephemeral: bool = False,
    keep_workspace: bool = True,
) -> Target:
    """The one place a Target is built: where code runs, with the cloud settings of `config`."""
    return Target(
        mode=mode,
        cwd=cwd,
        url=url,
        spares=spares,
        sandbox_id=sandbox_id,
        template=config.template,
        sandbox_timeout=config.sandbox_timeout,
        metadata=dict(config.metadata),
        envs=dict(config.envs),
        domain=config.domain,
        keep=keep,
        isolate=isolate,
        network=network,
        ephemeral=ephemeral,
        keep_workspace=keep_workspace,
        profile=config.sandbox_profile,
        python_env=config.python_env,
    )


# -- errors -------------------------------------------------------------------------


def explain_cloud(err: BaseException, target: Target | None = None) -> str:
    """A sentence, with a way out, for a failure talking to E2B's API or a cloud sandbox."""
    return str(explain_target(err, target))


def explain_target(err: BaseException, target: Target | None = None) -> TargetError:
    """`err` as a TargetError worded for `target` (cloud or local)."""
    found = explain(
        err,
        cloud=target is None or target.cloud,
        sandbox_id=(target.sandbox_id or "") if target else "",
        domain=(target.domain or "") if target else "",
    )
    return (
        found if isinstance(found, TargetError) else TargetError(found.message, found.hint, title=found.title)
    )


# -- cloud --------------------------------------------------------------------------


def cloud_opts(target: Target) -> dict[str, Any]:
    key = api_key()
    if not key:
        raise NoApiKey()
    opts: dict[str, Any] = {"api_key": key, "debug": False}
    if target.domain:
        opts["domain"] = target.domain
    if target.api_timeout:
        opts["request_timeout"] = target.api_timeout
    return opts


def _create_kwargs(target: Target) -> dict[str, Any]:
    """What `Sandbox.create` / `AsyncSandbox.create` take for `target` (besides the template)."""
    return {
        "timeout": target.sandbox_timeout,
        "metadata": target.metadata or None,
        "envs": target.envs or None,
        **cloud_opts(target),
    }


def create_cloud_sandbox(target: Target) -> Sandbox:
    """Create (or connect to, with target.sandbox_id) a cloud sandbox; TargetError explains failures."""
    try:
        if target.sandbox_id:
            return Sandbox.connect(target.sandbox_id, timeout=target.sandbox_timeout, **cloud_opts(target))
        return Sandbox.create(target.template, **_create_kwargs(target))
    except TargetError:
        raise
    except Exception as err:
        raise explain_target(err, target) from err


async def create_cloud_async_sandbox(target: Target) -> AsyncSandbox:
    """The async twin of `create_cloud_sandbox`."""
    try:
        if target.sandbox_id:
            opts = cloud_opts(target)
            return await AsyncSandbox.connect(target.sandbox_id, timeout=target.sandbox_timeout, **opts)
        return await AsyncSandbox.create(target.template, **_create_kwargs(target))
    except TargetError:
        raise
    except Exception as err:
        raise explain_target(err, target) from err


def extend_sandbox(target: Target, sandbox_id: str, seconds: int) -> None:
    """Reset the sandbox's lifetime to `seconds` from now."""
    try:
        Sandbox.set_timeout(sandbox_id, seconds, **cloud_opts(target))
    except TargetError:
        raise
    except Exception as err:
        raise explain_target(err, target) from err


def kill_sandbox(target: Target, sandbox_id: str) -> bool:
    """Kill a cloud sandbox; False if it was already gone."""
    try:
        return bool(Sandbox.kill(sandbox_id, **cloud_opts(target)))
    except TargetError:
        raise
    except Exception as err:
        raise explain_target(err, target) from err


def sandbox_info(target: Target, sandbox_id: str) -> Any:
    """The SDK's SandboxInfo of a cloud sandbox (template, state, start, end, metadata)."""
    try:
        return Sandbox.get_info(sandbox_id, **cloud_opts(target))
    except TargetError:
        raise
    except Exception as err:
        raise explain_target(err, replace(target, sandbox_id=sandbox_id)) from err


def keep_alive_interval(sandbox_timeout: int) -> float:
    """How often to extend: a third of the lifetime, so two keep-alives may fail before expiry."""
    return max(1.0, min(60.0, sandbox_timeout / 3))


class KeepAlive:
    """Extends a cloud sandbox's lifetime on a timer while something still uses it."""

    def __init__(self, target: Target, sandbox_id: str, on_error: Callable[[str], None] | None = None):
        self.target = target
        self.sandbox_id = sandbox_id
        self.on_error = on_error
        self.expires_at = time.time() + target.sandbox_timeout  # wall clock, for "time left"
        self.last_error = ""
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="e2b-keepalive", daemon=True)

    def start(self) -> KeepAlive:
        self._thread.start()
        return self

    @property
    def seconds_left(self) -> float:
        return max(0.0, self.expires_at - time.time())

    def extend(self, seconds: int | None = None) -> None:
        """Extend now (raises TargetError); the timer goes on from here."""
        seconds = seconds or self.target.sandbox_timeout
        started = time.time()
        extend_sandbox(self.target, self.sandbox_id, seconds)
        self.expires_at = started + seconds
        self.last_error = ""

    def _loop(self) -> None:
        while not self._stop.wait(keep_alive_interval(self.target.sandbox_timeout)):
            try:
                self.extend()
            except TargetError as err:
                self.last_error = str(err)
                if self.on_error is not None:
                    self.on_error(self.last_error)

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout=10)


def close_cloud(target: Target, sandbox_id: str, created: bool, keep: bool) -> str:
    """Kill a sandbox we created unless asked to keep it; a line to print about what happened."""
    if not created or keep:
        return (
            f"Sandbox {sandbox_id} is still running. Reconnect with: e2b-workbench --sandbox-id {sandbox_id}"
        )
    try:
        kill_sandbox(target, sandbox_id)
    except TargetError as err:
        return f"Could not kill sandbox {sandbox_id}: {err}"
    return ""


# -- local runtime ------------------------------------------------------------------


class IsolationUnavailable(TargetError):
    """Isolation was asked for (or is the default) and cannot be had here: never run without it."""

    def __init__(self, problem: str) -> None:
        super().__init__(
            f"Isolation is not available: {problem}.",
            "Install bubblewrap (apt-get install -y bubblewrap), or run without isolation with "
            "--no-isolate (the code then runs as you, on this machine, with your files and network).",
            title="No isolation",
        )


def isolation_problem() -> str | None:
    """None when the local runtime can isolate here, else why not (with the install command)."""
    from ..runtime.isolation import bwrap

    return bwrap.problem()


def isolation_for(target: Target) -> Any:
    """The isolated sandbox `target` asks for (an `Isolation`); IsolationUnavailable when bubblewrap
    cannot make one here, TargetError for a workspace that would show the user's home.

    The workspace (/home/user inside) is `target.cwd`, or a new folder: kept under the data
    dir (`sandboxes/`), or temporary and removed at the end (`ephemeral`, or a command that
    does not keep them).
    """
    from ..runtime.isolation.settings import Isolation, WorkspaceRefused, check_workspace

    problem = isolation_problem()
    if problem:
        raise IsolationUnavailable(problem)
    if target.cwd and target.ephemeral:  # it would remove your folder at the end
        raise TargetError(
            "--ephemeral makes a new, temporary workspace: it cannot be combined with --cwd.",
            "Leave out one of them.",
            title="Workspace",
        )
    ephemeral = target.ephemeral or (not target.cwd and not target.keep_workspace)
    if target.cwd:
        try:
            workspace = check_workspace(target.cwd)
        except WorkspaceRefused as err:
            raise TargetError(str(err), title="Workspace") from None
    elif ephemeral:
        workspace = tempfile.mkdtemp(prefix="e2b-sandbox-home-")
    else:
        folder = paths.ensure(paths.data_dir() / "sandboxes")
        workspace = str(folder / f"{time.strftime('%Y%m%d-%H%M%S')}-{secrets.token_hex(3)}")
        os.mkdir(workspace, 0o700)
    return Isolation(workspace=workspace, ephemeral=ephemeral, network=target.network)


def local_runtime(target: Target, prestart: bool = False) -> Any:
    """A LocalRuntime (not started) for `target`: its cwd, spares, sandbox environment and
    isolation (IsolationUnavailable when it asks for isolation that cannot be had here)."""
    from ..runtime.launcher import LocalRuntime

    isolation = isolation_for(target) if target.isolate else None
    return LocalRuntime(
        cwd=target.cwd,
        spares=target.spares,
        prestart=prestart,
        profile=target.profile,
        python_env=target.python_env,
        isolation=isolation,
    )


# -- opening ------------------------------------------------------------------------


def check_runtime(url: str) -> None:
    """TargetError unless a runtime answers at `url` (the SDK itself would only fail later,
    on the first call, with a message about the network)."""
    import httpx

    shown = url.rsplit("/", 1)[0] + "/…" if url.count("/") > 2 else url  # the secret stays unsaid
    try:
        response = httpx.get(f"{url.rstrip('/')}/health", timeout=10)
    except httpx.HTTPError as err:
        raise TargetError(
            f"Cannot reach the runtime at {shown} ({type(err).__name__}).",
            "Is `e2b-workbench serve` still running there? Check --url / E2B_SANDBOX_URL.",
            title="No connection",
        ) from err
    if response.status_code == 403:
        raise TargetError(
            f"The runtime at {shown} refused the URL (403): its secret path is wrong.",
            "Copy the whole URL `serve` printed.",
        )
    if response.status_code >= 400:
        raise TargetError(f"The runtime at {shown} answered {response.status_code} to a health check.")


def runtime_isolated(url: str) -> bool:
    """Whether the running runtime at `url` says it is isolated (GET /sandbox); False when it
    does not say (an older runtime, or no answer)."""
    import httpx

    try:
        response = httpx.get(f"{url.rstrip('/')}/sandbox", timeout=10)
        return response.status_code == 200 and response.json().get("isolated") is True
    except (httpx.HTTPError, ValueError, AttributeError):
        return False


@contextlib.contextmanager
def open_sandbox(target: Target | None = None) -> Iterator[Sandbox]:
    """A synchronous SDK sandbox for `target`; everything it started is stopped on exit.

    Cloud: a sandbox created here is killed on exit unless target.keep (then its id is
    printed on stderr); one connected by id is left running. A keep-alive runs meanwhile.
    """
    target = target or Target()
    if target.cloud:
        sandbox = create_cloud_sandbox(target)
        keepalive = KeepAlive(target, sandbox.sandbox_id).start()
        try:
            yield sandbox
        finally:
            keepalive.stop()
            note = close_cloud(target, sandbox.sandbox_id, created=not target.sandbox_id, keep=target.keep)
            if note:
                print(f"e2b-workbench: {note}", file=sys.stderr)
        return
    from ..runtime.launcher import RuntimeStartError

    if target.url:
        check_runtime(target.url)
        yield Sandbox.create(debug=True, sandbox_url=target.url)
        return
    runtime = local_runtime(target)
    try:
        try:
            url = runtime.start()
        except RuntimeStartError as err:
            raise TargetError(str(err)) from err
        yield Sandbox.create(debug=True, sandbox_url=url)
    finally:
        runtime.stop()


@contextlib.asynccontextmanager
async def open_async_sandbox(target: Target | None = None) -> AsyncIterator[AsyncSandbox]:
    """The async twin of `open_sandbox`."""
    import asyncio

    target = target or Target()
    if target.cloud:
        sandbox = await create_cloud_async_sandbox(target)
        keepalive = KeepAlive(target, sandbox.sandbox_id).start()
        try:
            yield sandbox
        finally:
            await asyncio.to_thread(keepalive.stop)
            note = await asyncio.to_thread(
                close_cloud, target, sandbox.sandbox_id, not target.sandbox_id, target.keep
            )
            if note:
                print(f"e2b-workbench: {note}", file=sys.stderr)
        return
    from ..runtime.launcher import RuntimeStartError

    if target.url:
        await asyncio.to_thread(check_runtime, target.url)
        yield await AsyncSandbox.create(debug=True, sandbox_url=target.url)
        return
    runtime = local_runtime(target)
    try:
        try:
            url = await asyncio.to_thread(runtime.start)
        except RuntimeStartError as err:
            raise TargetError(str(err)) from err
        yield await AsyncSandbox.create(debug=True, sandbox_url=url)
    finally:
        await asyncio.to_thread(runtime.stop)
