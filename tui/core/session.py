"""The app's one door to a sandbox: the E2B SDK, on its own thread and event loop.

Every SDK call runs on the session thread, so parsing a flood of output never blocks
the UI; callers get concurrent futures (`asyncio.wrap_future` them in async code).
A run is cancelled by cancelling its future: the SDK drops the request and the
runtime interrupts the kernel (E2B's only interrupt).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import itertools
import threading
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any, Protocol

import httpx
from e2b.exceptions import (
    AuthenticationException,
    InvalidArgumentException,
    NotFoundException,
    RateLimitException,
    SandboxException,
    TimeoutException,
)
from e2b_code_interpreter import AsyncSandbox
from e2b_code_interpreter.models import Context, ExecutionError, OutputMessage, Result

from ..runtime.launcher import LocalRuntime
from . import paths
from .deadline import run_code_within
from .records import ExecutionRecord
from .target import (
    KeepAlive,
    Target,
    TargetError,
    close_cloud,
    create_cloud_async_sandbox,
    explain_cloud,
    kill_sandbox,
)

ALL_LANGUAGES = ("python", "javascript", "typescript", "r", "java", "bash")

# run numbers are unique in the process, so runs of a session the app switched away from
# keep their own blocks and records
_RUN_NUMBERS = itertools.count(1)


class SessionError(RuntimeError):
    """Something a person should read: what failed and what to do."""


def explain(err: BaseException) -> str:
    """A sentence for any failure the SDK or the network can raise."""
    if isinstance(err, (SessionError, TargetError)):
        return str(err)
    if isinstance(err, (AuthenticationException, RateLimitException)):
        return explain_cloud(err)
    if isinstance(err, NotFoundException):
        return f"Not found: {err}"
    if isinstance(err, TimeoutException):
        return str(err)
    if isinstance(err, InvalidArgumentException):
        return f"Invalid request: {err}"
    if isinstance(err, SandboxException):
        return str(err)
    if isinstance(err, httpx.ConnectError):
        return "Cannot reach the runtime (connection refused): is it still running?"
    if isinstance(err, (httpx.RemoteProtocolError, httpx.ReadError)):
        return "The runtime closed the connection mid-request (it may have stopped or crashed)."
    if isinstance(err, httpx.HTTPError):
        return f"Network error talking to the runtime: {err}"
    return f"{type(err).__name__}: {err}"


@dataclass
class ContextInfo:
    id: str
    language: str
    cwd: str
    state: str = "idle"
    busy_since: float | None = None
    running: int = 0  # runs submitted and not finished (queued ones included)
    last_count: int | None = None
    note: str = ""

    @property
    def label(self) -> str:
        return f"{self.language}·{self.id[:6]}"


class RunListener(Protocol):
    def on_update(self, record: ExecutionRecord) -> None: ...

    def on_finished(self, record: ExecutionRecord) -> None: ...


def sandbox_gone(err: BaseException) -> bool:
    """True when a failure means the cloud sandbox itself expired or was killed."""
    text = str(err)
    return isinstance(err, TimeoutException) and ("sandbox timeout" in text or "was killed" in text)


class Session:
    """A sandbox session: local runtime (started here), any E2B-compatible URL, or E2B cloud."""

    def __init__(self, url: str | None = None, cwd: str | None = None, target: Target | None = None):
        self.target = target or Target(mode="local", url=url, cwd=cwd)
        self._given_url = url or self.target.url
        self.cwd = cwd or self.target.cwd
        self.runtime: LocalRuntime | None = None
        self.url = self._given_url or ""
        self.mode = self.target.mode
        self.sandbox_id = ""
        self.created = False  # cloud: this session created the sandbox (and kills it on close)
        self.keepalive: KeepAlive | None = None
        self.gone = False  # cloud: the sandbox expired or was killed under us
        self.closing_note = ""  # cloud: what happened to the sandbox on close (e.g. kept: its id)
        self.start_error = ""  # why start() failed, as shown to the person
        self.sandbox: AsyncSandbox | None = None
        self.contexts: dict[str, ContextInfo] = {}
        self.languages: list[str] = list(ALL_LANGUAGES)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="e2b-session", daemon=True)
        self._runs: dict[int, concurrent.futures.Future] = {}
        self._closed = False
        self.output_dir = paths.ensure(paths.cache_dir() / "runs" / f"{int(time.time())}-{id(self):x}")

    # -- plumbing ---------------------------------------------------------------

    def submit(self, coro: Coroutine[Any, Any, Any]) -> concurrent.futures.Future:
        if self._closed:
            coro.close()
            raise SessionError("The session is closed.")
        return asyncio.run_coroutine_threadsafe(coro, self._loop)

    def start(self) -> None:
        """Blocking: start the local runtime (unless given a URL) and open the sandbox."""
        self._thread.start()
        if self.mode == "cloud":
            self.sandbox = self.submit(create_cloud_async_sandbox(self.target)).result(timeout=120)
            self.sandbox_id = self.sandbox.sandbox_id
            self.created = not self.target.sandbox_id
            self.url = f"E2B cloud · {self.sandbox_id}"
            self.keepalive = KeepAlive(self.target, self.sandbox_id).start()
            return
        if not self._given_url:
            self.runtime = LocalRuntime(cwd=self.cwd)
            try:
                self.url = self.runtime.start()
            except Exception as err:
                raise SessionError(f"The local runtime failed to start: {err}") from err
        self.submit(self._open()).result(timeout=60)
        if self.mode == "local":
            from ..runtime.languages import available_languages

            self.languages = available_languages()

    async def _open(self) -> None:
        self.sandbox = await AsyncSandbox.create(debug=True, sandbox_url=self.url)

    def close(self) -> None:
        """Cancel every run, wait for them, stop the runtime and its kernels."""
        if self._closed:
            return
        for future in list(self._runs.values()):
            future.cancel()
        if self._thread.is_alive():
            with contextlib.suppress(Exception):
                asyncio.run_coroutine_threadsafe(self._drain(), self._loop).result(timeout=10)
        self._closed = True
        if self.keepalive is not None:
            self.keepalive.stop()
            if not self.gone:
                self.closing_note = close_cloud(self.target, self.sandbox_id, self.created, self.target.keep)
        if self.runtime is not None:
            self.runtime.stop()
        if self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=5)

    async def _drain(self) -> None:
        current = asyncio.current_task()
        tasks = [t for t in asyncio.all_tasks() if t is not current]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    # -- cloud sandbox ------------------------------------------------------------

    def explain(self, err: BaseException) -> str:
        """A sentence for a failure, worded for where this session runs."""
        return explain_cloud(err, self.target) if self.mode == "cloud" else explain(err)

    @property
    def seconds_left(self) -> float | None:
        """Cloud: seconds before the sandbox expires if no keep-alive reaches it."""
        return self.keepalive.seconds_left if self.keepalive is not None else None

    def extend(self, seconds: int | None = None) -> None:
        """Blocking: reset the cloud sandbox's lifetime (TargetError explains a failure)."""
        if self.keepalive is None:
            raise SessionError("Only a cloud sandbox has a lifetime to extend.")
        self.keepalive.extend(seconds)

    def kill(self) -> None:
        """Blocking: kill the cloud sandbox now; the session is then closed."""
        if self.keepalive is None:
            raise SessionError("Only a cloud sandbox can be killed; the local runtime stops on quit.")
        self.keepalive.stop()
        kill_sandbox(self.target, self.sandbox_id)
        self.gone = True
        self.close()
        self.closing_note = f"Sandbox {self.sandbox_id} was killed."

    # -- contexts ---------------------------------------------------------------

    def _remember(self, ctx: Context) -> ContextInfo:
        info = self.contexts.get(ctx.id)
        if info is None:
            info = ContextInfo(ctx.id, ctx.language, ctx.cwd)
            self.contexts[ctx.id] = info
        return info

    async def refresh_contexts(self) -> list[ContextInfo]:
        """Sync with the sandbox's list; contexts gone there are dropped here."""
        assert self.sandbox is not None
        listed = await self.sandbox.list_code_contexts()
        seen = {c.id for c in listed}
        for gone in [cid for cid in self.contexts if cid not in seen]:
            del self.contexts[gone]
        return [self._remember(c) for c in listed]

    async def create_context(self, language: str, cwd: str | None = None) -> ContextInfo:
        assert self.sandbox is not None
        ctx = await self.sandbox.create_code_context(cwd=cwd or None, language=language, request_timeout=180)
        return self._remember(ctx)

    async def restart_context(self, context_id: str) -> None:
        assert self.sandbox is not None
        await self.sandbox.restart_code_context(context_id)
        info = self.contexts.get(context_id)
        if info:
            info.state, info.last_count, info.note = "idle", None, "restarted"

    async def remove_context(self, context_id: str) -> None:
        assert self.sandbox is not None
        await self.sandbox.remove_code_context(context_id)
        self.contexts.pop(context_id, None)

    # -- runs -------------------------------------------------------------------

    def new_record(self, code: str, info: ContextInfo) -> ExecutionRecord:
        seq = next(_RUN_NUMBERS)
        return ExecutionRecord(
            seq=seq,
            code=code,
            context_id=info.id,
            language=info.language,
            context_label=info.label,
            output_path=self.output_dir / f"run-{seq}.txt",
        )

    def run(
        self, record: ExecutionRecord, listener: RunListener, timeout: float = 0
    ) -> concurrent.futures.Future:
        """Start a run; cancel the returned future to interrupt it."""
        info = self.contexts.get(record.context_id)
        if info is not None:
            info.running += 1
            if info.state != "busy":
                info.state, info.busy_since = "busy", time.monotonic()
        future = self.submit(self._run(record, listener, timeout))
        self._runs[record.seq] = future
        future.add_done_callback(lambda _f: self._runs.pop(record.seq, None))
        return future

    def cancel(self, record: ExecutionRecord) -> bool:
        future = self._runs.get(record.seq)
        return bool(future and future.cancel())

    async def _run(self, record: ExecutionRecord, listener: RunListener, timeout: float) -> None:
        assert self.sandbox is not None
        out = (
            open(record.output_path, "w", encoding="utf-8", errors="replace") if record.output_path else None
        )

        def add(stream: str) -> Callable[[OutputMessage], None]:
            def handler(msg: OutputMessage) -> None:
                with record.lock:
                    record.output.add(stream, msg.line)
                if out is not None:
                    out.write(msg.line)
                    out.flush()  # the full-output view reads the file while the run goes on
                listener.on_update(record)

            return handler

        def on_result(result: Result) -> None:
            with record.lock:
                record.results.append(result)
            listener.on_update(record)

        def on_error(error: ExecutionError) -> None:
            with record.lock:
                record.error = error
            listener.on_update(record)

        context = Context(record.context_id, record.language, "")
        try:
            execution = await run_code_within(
                self.sandbox,
                record.code,
                timeout if timeout and timeout > 0 else 0,
                context=context,
                on_stdout=add("stdout"),
                on_stderr=add("stderr"),
                on_result=on_result,
                on_error=on_error,
            )
            record.execution_count = execution.execution_count
            record.status = "error" if execution.error else "ok"
        except asyncio.CancelledError:
            record.status = "interrupted"
            record.failure = "Interrupted: the kernel was interrupted and keeps its state."
        except NotFoundException as err:
            record.status = "failed"
            record.failure = f"{explain(err)} Create a new context or pick another one."
            info = self.contexts.get(record.context_id)
            if info is not None:
                info.state, info.note = "dead", "context is gone"
        except TimeoutException as err:
            if sandbox_gone(err):
                self.gone = True
                record.status = "failed"
                record.failure = explain_cloud(err, self.target)
                return
            record.status = "timeout"
            record.failure = f"Timed out after {timeout:g} s: the kernel was interrupted and keeps its state."
            if not isinstance(err.__cause__, TimeoutError):  # the SDK's own (a request timeout)
                record.failure += f" ({err})"
        except BaseException as err:  # any failure is reported on the run, never raised into the UI
            record.status = "failed"
            record.failure = self.explain(err)
        finally:
            record.duration = time.monotonic() - record.started_mono
            if out is not None:
                out.close()
            self._finish_context(record)
            listener.on_finished(record)

    def _finish_context(self, record: ExecutionRecord) -> None:
        info = self.contexts.get(record.context_id)
        if info is None:
            return
        info.running = max(0, info.running - 1)
        if record.execution_count is not None:
            info.last_count = record.execution_count
        if record.error is not None and record.error.name == "ContextRestarting":
            info.state, info.note = "dead", "kernel died; restarted fresh"
        elif info.running == 0 and info.state != "dead":
            info.state, info.busy_since, info.note = "idle", None, ""
