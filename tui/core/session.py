"""The app's one door to a sandbox: the E2B SDK, on its own thread and event loop.

Every SDK call runs on the session thread, so parsing a flood of output never blocks the
UI. Callers await the session's methods from their own event loop (the UI's): each call
is handed to the session thread and its result comes back as an awaitable, so no caller
ever schedules coroutines on the session's loop itself.

A run is different: `run` returns a future and reports through a listener (called on the
session thread) while the output streams. Cancelling the future interrupts the run: the
SDK drops the request and the runtime interrupts the kernel (E2B's only interrupt).

The session owns no UI state: what the app knows about runs and contexts lives in a
`RunBook`, changed on the UI thread only.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import os
import threading
import time
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any, Protocol, TextIO, TypeVar

import httpx
from e2b.exceptions import NotFoundException, TimeoutException
from e2b_code_interpreter import AsyncSandbox
from e2b_code_interpreter.models import Context, ExecutionError, OutputMessage, Result

from ..common import languages as registry
from ..common.files import PRIVATE_FILE, private_dir
from . import introspect, paths
from .commands import CommandRecord, run_command
from .deadline import run_code_within
from .errors import SessionError, WorkbenchError, explain, sandbox_gone
from .records import ExecutionRecord
from .target import (
    KeepAlive,
    Mode,
    Target,
    close_cloud,
    create_cloud_async_sandbox,
    kill_sandbox,
    local_runtime,
)
from .transcript import StreamName, TranscriptWriter, transcript_path

T = TypeVar("T")


class RunListener(Protocol):
    """Told about a run from the session thread: keep it cheap (post a message)."""

    def on_update(self, record: ExecutionRecord) -> None: ...

    def on_finished(self, record: ExecutionRecord) -> None: ...


class Session:
    """A sandbox session: the local runtime (started here), an E2B-compatible URL, or E2B cloud."""

    def __init__(self, target: Target | None = None, *, url: str | None = None, cwd: str | None = None):
        self.target = target or Target(mode="local", url=url, cwd=cwd)
        self.mode: Mode = self.target.mode
        self.url = self.target.url or ""
        self.runtime: Any = None  # LocalRuntime, when this session started one
        self.sandbox: AsyncSandbox | None = None
        self.sandbox_id = ""
        self.created = False  # cloud: this session created the sandbox (and kills it on close)
        self.keepalive: KeepAlive | None = None
        self.gone = False  # cloud: the sandbox expired or was killed under us
        self.paused = False  # cloud: paused from here (connecting to it again resumes it)
        self.closing_note = ""  # cloud: what happened to the sandbox on close (e.g. kept: its id)
        self.start_error = ""  # why open() failed, as shown to the person
        self.languages: list[str] = list(registry.NAMES)
        self.languages_note = ""  # why the list is a guess (the sandbox did not say)
        # local: what its GET /sandbox says (isolated, network, home, limits); None: not said
        self.sandbox_info: dict[str, Any] | None = None
        self.output_dir = private_dir(paths.cache_dir() / "runs" / f"{int(time.time())}-{id(self):x}")
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="e2b-session", daemon=True)
        self._runs: set[concurrent.futures.Future] = set()
        self._queues: dict[str, list[ExecutionRecord]] = {}  # per context, in order (session thread)
        self._closed = False

    # -- plumbing ---------------------------------------------------------------

    @property
    def thread_id(self) -> int | None:
        """The session thread's native id (profilers and benchmarks tell its time apart)."""
        return self._thread.native_id

    @property
    def is_open(self) -> bool:
        return self.sandbox is not None and not self._closed

    async def _on_session_thread(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run `coro` on the session's loop; await its result from the caller's loop."""
        future = self._submit(coro)
        return await asyncio.wrap_future(future)

    def _submit(self, coro: Coroutine[Any, Any, T]) -> concurrent.futures.Future[T]:
        if self._closed:
            coro.close()
            raise SessionError("The session is closed.")
        if not self._thread.is_alive():
            self._thread.start()
        return asyncio.run_coroutine_threadsafe(coro, self._loop)

    def _sandbox(self) -> AsyncSandbox:
        if self.sandbox is None:
            raise SessionError(
                "The sandbox is not open yet." if not self.start_error else f"No sandbox: {self.start_error}"
            )
        return self.sandbox

    def explain(self, err: BaseException) -> WorkbenchError:
        """A failure worded for where this session runs."""
        return explain(
            err, cloud=self.mode == "cloud", sandbox_id=self.sandbox_id, domain=self.target.domain or ""
        )

    # -- open / close -------------------------------------------------------------

    async def open(self) -> None:
        """Start the local runtime (unless given a URL) or open the cloud sandbox; learn its languages.

        Raises a WorkbenchError that says what failed (also kept in `start_error`).
        """
        try:
            if self.mode == "cloud":
                await self._open_cloud()
            else:
                await self._open_local()
        except Exception as err:
            failure = self.explain(err)
            self.start_error = str(failure)
            if failure is err:
                raise
            raise failure from err

    async def _open_cloud(self) -> None:
        sandbox = await self._on_session_thread(create_cloud_async_sandbox(self.target))
        self.sandbox = sandbox
        self.sandbox_id = sandbox.sandbox_id
        self.created = not self.target.sandbox_id
        self.url = f"E2B cloud · {self.sandbox_id}"
        self.keepalive = KeepAlive(self.target, self.sandbox_id).start()
        # an E2B template says nothing about its languages: the code-interpreter template has all six
        self.languages_note = "E2B cloud does not list its languages: all six are offered."

    async def _open_local(self) -> None:
        if not self.url:
            self.url = await self._on_session_thread(self._start_runtime())
        self.sandbox = await self._on_session_thread(AsyncSandbox.create(debug=True, sandbox_url=self.url))
        self.languages, self.languages_note = await self._on_session_thread(_runtime_languages(self.url))
        self.sandbox_info = await self._on_session_thread(_runtime_sandbox(self.url))

    @property
    def isolated(self) -> bool | None:
        """Local: whether the sandbox is isolated (None: the runtime does not say)."""
        if self.sandbox_info is None:
            return None
        return bool(self.sandbox_info.get("isolated"))

    async def _start_runtime(self) -> str:
        """Start the local runtime from the session thread, which lives as long as the session:
        the runtime is told to die with the thread that started it (PR_SET_PDEATHSIG is per
        thread), so a short-lived worker thread must not start it."""
        # no default contexts: the app starts the ones it needs (see the `prestart` setting);
        # isolated when the target says so, and then never without it (IsolationUnavailable)
        self.runtime = local_runtime(self.target, prestart=False)
        try:
            return self.runtime.start()  # blocks this thread's loop: nothing else runs on it yet
        except Exception as err:
            raise SessionError(f"The local runtime failed to start: {err}") from err

    def close(self) -> None:
        """Blocking: cancel every run and wait for it, stop the runtime and its kernels, or
        kill (or keep) the cloud sandbox. Safe to call twice."""
        if self._closed:
            return
        for future in list(self._runs):
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

    @property
    def seconds_left(self) -> float | None:
        """Cloud: seconds before the sandbox expires if no keep-alive reaches it."""
        return self.keepalive.seconds_left if self.keepalive is not None else None

    def extend(self, seconds: int | None = None) -> None:
        """Blocking: reset the cloud sandbox's lifetime (TargetError explains a failure)."""
        if self.keepalive is None:
            raise SessionError("Only a cloud sandbox has a lifetime to extend.")
        self.keepalive.extend(seconds)

    def set_lifetime(self, seconds: int) -> None:
        """Blocking: the cloud sandbox's timeout is now `seconds` from now, and the keep-alive
        keeps it at that from here on (TargetError explains a failure)."""
        if self.keepalive is None:
            raise SessionError("Only a cloud sandbox has a timeout; the local runtime runs until you quit.")
        self.keepalive.extend(seconds)
        self.target.sandbox_timeout = seconds  # the keep-alive's own target: it extends by this now

    def pause(self) -> None:
        """Blocking: pause the cloud sandbox (memory and files kept); the session is then closed.
        Connecting to it again (Reconnect, or --sandbox-id) resumes it."""
        if self.keepalive is None:
            raise SessionError("Only a cloud sandbox can be paused.")
        from .cockpit import pause_sandbox

        self.keepalive.stop()
        pause_sandbox(self.target, self.sandbox_id)
        self.gone = self.paused = True
        self.close()
        self.closing_note = f"Sandbox {self.sandbox_id} is paused. Resume it with: e2b-workbench --sandbox-id {self.sandbox_id}"

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

    async def list_contexts(self) -> list[Context]:
        return await self._on_session_thread(self._sandbox().list_code_contexts())

    async def create_context(self, language: str, cwd: str | None = None) -> Context:
        sandbox = self._sandbox()
        return await self._on_session_thread(
            sandbox.create_code_context(cwd=cwd or None, language=language, request_timeout=180)
        )

    async def restart_context(self, context_id: str) -> None:
        await self._on_session_thread(self._sandbox().restart_code_context(context_id))

    async def remove_context(self, context_id: str) -> None:
        await self._on_session_thread(self._sandbox().remove_code_context(context_id))

    async def complete(self, context_id: str, code: str, cursor: int) -> introspect.Completion:
        """Completions from the context's kernel (IntrospectionUnavailable on E2B cloud)."""
        return await self._on_session_thread(
            introspect.complete(self._introspect_url(), context_id, code, cursor)
        )

    async def inspect(self, context_id: str, code: str, cursor: int) -> introspect.Inspection:
        """What the context's kernel knows about the name at `cursor` (IntrospectionUnavailable on E2B cloud)."""
        return await self._on_session_thread(
            introspect.inspect(self._introspect_url(), context_id, code, cursor)
        )

    def _introspect_url(self) -> str:
        if self.mode == "cloud" or not self.url:
            raise introspect.IntrospectionUnavailable(
                "E2B cloud's code interpreter cannot complete or inspect names.",
                "Completion and inspection come from the local runtime's kernels.",
            )
        self._sandbox()  # open
        return self.url

    async def interrupt(self, context_id: str) -> bool:
        """Interrupt the run on the context and let that run end with what happened (the
        local runtime's interrupt route); False when nothing ran there.

        IntrospectionUnavailable on E2B cloud: there, cancelling the run's future (dropping
        the request) is the only interrupt."""
        return await self._on_session_thread(introspect.interrupt(self._introspect_url(), context_id))

    async def type_check(self, context_id: str, code: str) -> dict[str, Any]:
        """`deno check` of TypeScript code on the local runtime (IntrospectionUnavailable on E2B cloud)."""
        return await self._on_session_thread(introspect.type_check(self._introspect_url(), context_id, code))

    async def call(self, work: Callable[[AsyncSandbox], Coroutine[Any, Any, T]]) -> T:
        """Run `work(sandbox)` on the session thread (e.g. a tool call); await its result here."""
        return await self._on_session_thread(work(self._sandbox()))

    # -- runs -------------------------------------------------------------------

    def run(
        self, record: ExecutionRecord, listener: RunListener, timeout: float = 0
    ) -> concurrent.futures.Future:
        """Start a run (SessionError if the session cannot run it); cancel the future to interrupt it."""
        sandbox = self._sandbox()
        future = self._submit(self._run(sandbox, record, listener, timeout))
        self._runs.add(future)
        future.add_done_callback(self._runs.discard)
        return future

    async def _run(
        self, sandbox: AsyncSandbox, record: ExecutionRecord, listener: RunListener, timeout: float
    ) -> None:
        out = _private_text_file(record.output_path) if record.output_path else None
        # the whole execution, streams apart and in order, for exports and replay
        kept = TranscriptWriter(transcript_path(record.output_path)) if record.output_path else None
        # A context runs one execution at a time, in arrival order: a run submitted while
        # another of its context runs waits, and begins when that one ends (or, at the
        # latest, with its first output). So its wait and its run time can be told apart.
        queue = self._queues.setdefault(record.context_id, [])
        queue.append(record)
        if len(queue) == 1:
            record.mark_running()

        def add(stream: StreamName) -> Callable[[OutputMessage], None]:
            def handler(msg: OutputMessage) -> None:
                record.mark_running()
                with record.lock:
                    record.output.add(stream, msg.line)
                if out is not None:
                    out.write(msg.line)
                    out.flush()  # the full-output view reads the file while the run goes on
                if kept is not None:
                    kept.stream(stream, msg.line)
                listener.on_update(record)

            return handler

        def on_result(result: Result) -> None:
            record.mark_running()
            with record.lock:
                record.results.append(result)
            if kept is not None:
                kept.result(result)
            listener.on_update(record)

        def on_error(error: ExecutionError) -> None:
            record.mark_running()
            with record.lock:
                record.error = error
            if kept is not None:
                kept.error(error)
            listener.on_update(record)

        context = Context(record.context_id, record.language, "")
        try:
            execution = await run_code_within(
                sandbox,
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
            if record.interrupt_requested:  # the runtime interrupted it, and the run says how it went
                record.status = "interrupted"
                record.failure = interrupt_outcome(execution.error)
        except asyncio.CancelledError:
            record.status = "interrupted"
            record.failure = (
                "Interrupted: the request was dropped, which interrupts the kernel (its state is kept, "
                "unless the kernel ignores the interrupt and must be restarted: the next run says so)."
            )
        except NotFoundException as err:
            record.status = "failed"
            record.failure = f"{self.explain(err)} Create a new context or pick another one."
            record.context_lost = True
        except TimeoutException as err:
            if sandbox_gone(err):
                self.gone = True
                record.status = "failed"
                record.failure = str(self.explain(err))
            else:
                record.status = "timeout"
                record.failure = (
                    f"Timed out after {timeout:g} s: the kernel was interrupted and keeps its state."
                )
                if not isinstance(err.__cause__, TimeoutError):  # the SDK's own (a request timeout)
                    record.failure += f" ({err})"
        except BaseException as err:  # any failure is reported on the run, never raised into the UI
            record.status = "failed"
            record.failure = str(self.explain(err))
        finally:
            record.duration = time.monotonic() - record.started_mono
            if out is not None:
                out.close()
            if kept is not None:
                kept.close(record.execution_count)
            queue.remove(record)
            if not queue:
                self._queues.pop(record.context_id, None)
            elif queue[0].running_since is None:
                queue[0].mark_running()  # the next run of this context begins now
                listener.on_update(queue[0])
            listener.on_finished(record)

    def command(self, record: CommandRecord, listener: RunListener) -> concurrent.futures.Future:
        """Start a quick command (SessionError if there is no sandbox); cancel the future to kill it."""
        sandbox = self._sandbox()

        async def run() -> None:
            out = _private_text_file(record.output_path) if record.output_path else None

            def write(text: str) -> None:
                if out is not None:
                    out.write(text)
                    out.flush()

            try:
                await run_command(sandbox, record, listener, write, self.explain)
            finally:
                if out is not None:
                    out.close()

        future = self._submit(run())
        self._runs.add(future)
        future.add_done_callback(self._runs.discard)
        return future


def interrupt_outcome(error: ExecutionError | None) -> str:
    """What an interrupt asked of the runtime did, from the error the run ended with."""
    if error is not None and error.name == "ContextRestarting":
        return "Interrupted: the kernel did not stop, so it was restarted: this context's state is gone."
    if error is None:
        return "Interrupted: the run had ended anyway; the context keeps its state."
    return "Interrupted: the kernel stopped the run and keeps its state."


def _private_text_file(path: Path) -> TextIO:
    """A new text file only its owner can read (a run's output may hold secrets)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_FILE)
    return open(fd, "w", encoding="utf-8", errors="replace")


async def _runtime_languages(url: str) -> tuple[list[str], str]:
    """The languages the runtime at `url` offers (its `GET /languages`), and a note when it
    cannot say (a runtime without that route: every language is offered). Raises the
    network error when nothing answers at `url`."""
    async with httpx.AsyncClient(timeout=30) as client:
        response = await client.get(f"{url.rstrip('/')}/languages")
    if response.status_code != 200:
        return list(
            registry.NAMES
        ), f"The runtime does not list its languages (HTTP {response.status_code}): all six are offered."
    try:
        names = {item["name"] for item in response.json() if item.get("available")}
    except (ValueError, KeyError, TypeError, AttributeError):
        return list(registry.NAMES), "The runtime's list of languages was unreadable: all six are offered."
    return [n for n in registry.NAMES if n in names], ""


async def _runtime_sandbox(url: str) -> dict[str, Any] | None:
    """What the runtime at `url` says of its sandbox (GET /sandbox: isolated, network, home,
    limits), or None when it has no such route."""
    async with httpx.AsyncClient(timeout=30) as client:
        response = await client.get(f"{url.rstrip('/')}/sandbox")
    if response.status_code != 200:
        return None
    try:
        found = response.json()
    except ValueError:
        return None
    return found if isinstance(found, dict) else None
