"""Contexts, their kernels and the runs on them: the heart of the local runtime.

- One run at a time per context, in arrival order (an asyncio.Lock is FIFO); contexts
  run in parallel.
- A kernel that dies is replaced behind the same context id; the run that was on it
  ends with `ContextRestarting`, the runs queued behind it go to the new kernel.
- A client that goes away interrupts its run; if the kernel ignores the interrupt it
  is restarted, so the context is free again either way.
- One warm spare kernel per language in use makes new contexts and restarts instant.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from . import protocol, sandboxenv
from .kernel import Kernel, KernelStartError
from .languages import (
    LanguageUnavailable,
    available_languages,
    chdir_snippet,
    env_snippets,
    normalize_language,
    require,
)

KEEPALIVE_SECONDS = 5.0
INTERRUPT_GRACE = 5.0  # a kernel that ignores an interrupt this long is restarted
ABORT_RETRIES = 3
# wait this long for the missing half of (reply, idle) before giving up: jjava can
# reply long before its idle on a loaded machine (a client timeout still ends it sooner)
SETTLE_SECONDS = 60.0
SPARE_DELAY = 1.5  # let a taken kernel's first run go before forking its replacement


class ContextNotFound(KeyError):
    pass


class InvalidRequest(ValueError):
    pass


class Run:
    """One execution request: its NDJSON lines go into `lines` (None ends the stream)."""

    def __init__(self, code: str, env: dict[str, str]):
        self.code = code
        self.env = env
        self.lines: asyncio.Queue[bytes | None] = asyncio.Queue()
        self.client_gone = False
        self.kernel: Kernel | None = None  # set while the code runs on a kernel
        self.done = asyncio.Event()
        self.last_emit = time.monotonic()
        self._keepalive: asyncio.TimerHandle | None = None
        self._on_cancel: Callable[[], None] | None = None

    def start_keepalive(self) -> None:
        loop = asyncio.get_running_loop()
        self._keepalive = loop.call_later(KEEPALIVE_SECONDS, self._tick)

    def _tick(self) -> None:
        if self.done.is_set():
            return
        now = time.monotonic()
        due = self.last_emit + KEEPALIVE_SECONDS
        if now >= due:
            self.emit_raw(protocol.KEEPALIVE)
            due = now + KEEPALIVE_SECONDS
        self._keepalive = asyncio.get_running_loop().call_later(due - now, self._tick)

    def emit(self, line: dict[str, Any]) -> None:
        self.emit_raw(protocol.encode(line))

    def emit_raw(self, data: bytes) -> None:
        if self.client_gone:
            return
        self.last_emit = time.monotonic()
        self.lines.put_nowait(data)

    def finish(self) -> None:
        if self.done.is_set():
            return
        self.emit_raw(protocol.END)
        if not self.client_gone:
            self.lines.put_nowait(None)
        self.done.set()
        if self._keepalive is not None:
            self._keepalive.cancel()

    def cancel(self) -> None:
        """The client went away: stop sending, interrupt the kernel if the code runs."""
        if self.client_gone or self.done.is_set():
            return
        self.client_gone = True
        if self._on_cancel is not None:
            self._on_cancel()


class Context:
    def __init__(self, language: str, cwd: str, is_default: bool):
        self.id = str(uuid.uuid4())
        self.language = language
        self.cwd = cwd
        self.is_default = is_default
        self.lock = asyncio.Lock()
        self.kernel_task: asyncio.Task[Kernel] | None = None
        self.removed = False
        self.death_note = ""
        self.notice = ""  # said (on stderr) at the start of the next run
        self.execution_count = 0

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "language": self.language, "cwd": self.cwd}

    async def kernel(self) -> Kernel:
        assert self.kernel_task is not None
        return await asyncio.shield(self.kernel_task)


class Runtime:
    """Every context of one runtime; all methods run on its event loop."""

    def __init__(self, cwd: str | None = None, workdir: Path | None = None, spares: bool = True):
        self.cwd = str(Path(cwd or os.getcwd()).resolve())
        self._own_workdir = workdir is None
        self.workdir = workdir or Path(tempfile.mkdtemp(prefix="e2b-workbench-"))
        os.chmod(self.workdir, 0o700)
        self.use_spares = spares
        self.contexts: dict[str, Context] = {}
        self.defaults: dict[str, str] = {}
        self.spares: dict[str, asyncio.Task[Kernel]] = {}
        self.kernels: set[Kernel] = set()
        self.closed = False
        self._background: set[asyncio.Task] = set()
        # kernels get the runtime's environment, less our own settings and pytest's marker
        # (ipykernel stops forwarding fd-level output, e.g. os.system's, when it sees it)
        self.env = {
            k: v for k, v in os.environ.items() if not k.startswith("E2B_") and k != "PYTEST_CURRENT_TEST"
        }
        self.env = sandboxenv.active().process_env(self.env)  # its python first on PATH

    # -- startup / shutdown -----------------------------------------------------

    async def start(self) -> None:
        """Create the default contexts (python, and javascript when available)."""
        languages = available_languages()
        for language in ("python", "javascript"):
            if language in languages:
                self._default_context(language)

    async def shutdown(self) -> None:
        self.closed = True
        for task in list(self._background):
            task.cancel()
        tasks = [c.kernel_task for c in self.contexts.values() if c.kernel_task] + list(self.spares.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*(k.shutdown() for k in list(self.kernels)), return_exceptions=True)
        self.kernels.clear()
        if self._own_workdir:
            with contextlib.suppress(OSError):
                for item in self.workdir.iterdir():
                    item.unlink()
                self.workdir.rmdir()

    def kill_all_now(self) -> None:
        """Last resort (atexit / signal): SIGKILL every kernel process group."""
        for kernel in list(self.kernels):
            kernel.kill_now()

    def _spawn(self, coro) -> asyncio.Task:
        task = asyncio.ensure_future(coro)
        self._background.add(task)
        task.add_done_callback(self._background.discard)
        return task

    # -- kernels ----------------------------------------------------------------

    async def _new_kernel(self, language: str, cwd: str) -> Kernel:
        spec = require(language)
        if spec.prepare is not None:  # python: its sandbox environment is built (or says why not)
            problem = await spec.prepare()
            if problem:
                raise KernelStartError(problem)
        kernel = Kernel(spec, cwd, self.workdir, self.env)
        self.kernels.add(kernel)
        try:
            await kernel.start()
            if spec.init_code:
                reply = await kernel.run_silent(spec.init_code)
                if reply.get("status") != "ok":  # never hand out a kernel that is hung or broken
                    raise KernelStartError(
                        f"the {spec.name} kernel failed its start-up code: {reply.get('evalue') or reply}"
                    )
        except BaseException:
            self.kernels.discard(kernel)
            await kernel.shutdown()
            raise
        if self.closed:
            await kernel.shutdown()
            raise KernelStartError("the runtime is shutting down")
        return kernel

    @staticmethod
    def _family(language: str) -> str:
        return "javascript" if language == "typescript" else language

    def _refill_spare(self, language: str, delay: float = SPARE_DELAY) -> None:
        family = self._family(language)
        if not self.use_spares or self.closed or family in self.spares:
            return
        self.spares[family] = self._spawn(self._new_spare(family, delay))

    async def _new_spare(self, family: str, delay: float) -> Kernel:
        # a kernel's start costs about a second of CPU: on a small machine, starting
        # it at once would slow down the run the caller is about to make
        await asyncio.sleep(delay)
        return await self._new_kernel(family, self.cwd)

    async def _take_spare(self, language: str) -> Kernel | None:
        task = self.spares.pop(self._family(language), None)
        if task is None:
            return None
        try:
            kernel = await task
        except (KernelStartError, asyncio.CancelledError):
            return None
        if not kernel.alive:
            await self._drop_kernel(kernel)
            return None
        return kernel

    async def _kernel_for(self, ctx: Context) -> Kernel:
        """A ready kernel in ctx.cwd: a warm spare when one fits, else a fresh start."""
        kernel = None
        move = ctx.cwd != self.cwd
        snippet = chdir_snippet(ctx.language, ctx.cwd) if move else None
        if not move or snippet:
            kernel = await self._take_spare(ctx.language)
            if kernel is not None and snippet:
                reply = await kernel.run_silent(snippet)
                if not reply or reply.get("status") != "ok":
                    await self._drop_kernel(kernel)
                    kernel = None
                else:
                    kernel.cwd = ctx.cwd
        if kernel is None:
            kernel = await self._new_kernel(ctx.language, ctx.cwd)
        kernel.on_death = lambda k, ctx=ctx: self._on_kernel_death(ctx, k)
        if ctx.removed or self.closed:
            await self._drop_kernel(kernel)
            raise KernelStartError("the context was removed")
        self._refill_spare(ctx.language)
        return kernel

    async def _drop_kernel(self, kernel: Kernel) -> None:
        self.kernels.discard(kernel)
        await kernel.shutdown()

    def _on_kernel_death(self, ctx: Context, kernel: Kernel) -> None:
        """A kernel died on its own: note why and bring the context back."""
        ctx.death_note = kernel.death_reason()
        self._spawn(self._drop_kernel(kernel))
        if ctx.removed or self.closed:
            return
        ctx.execution_count = 0
        ctx.kernel_task = self._spawn(self._kernel_for(ctx))

    # -- contexts ---------------------------------------------------------------

    def _resolve_cwd(self, cwd: str | None) -> str:
        if not cwd:
            return self.cwd
        path = Path(self.cwd, os.path.expanduser(cwd)).resolve()
        if not path.is_dir():
            raise InvalidRequest(f"cwd {cwd!r} is not an existing directory on the runtime's machine.")
        return str(path)

    def _add_context(self, language: str, cwd: str, is_default: bool) -> Context:
        ctx = Context(language, cwd, is_default)
        self.contexts[ctx.id] = ctx
        ctx.kernel_task = self._spawn(self._kernel_for(ctx))
        return ctx

    def _default_context(self, language: str) -> Context:
        ctx_id = self.defaults.get(language)
        ctx = self.contexts.get(ctx_id) if ctx_id else None
        if ctx is None:  # first use, or the default was removed: make it (again)
            require(language)
            ctx = self._add_context(language, self.cwd, is_default=True)
            self.defaults[language] = ctx.id
        return ctx

    def get(self, ctx_id: str) -> Context:
        ctx = self.contexts.get(ctx_id)
        if ctx is None:
            raise ContextNotFound(
                f"Context {ctx_id!r} not found: it was removed or never existed. "
                "List the contexts with GET /contexts (list_code_contexts())."
            )
        return ctx

    def list(self) -> list[dict[str, Any]]:
        return [c.to_json() for c in self.contexts.values()]

    async def create_context(self, language: str | None, cwd: str | None) -> Context:
        """A new context with its own kernel, ready for its first run."""
        lang = normalize_language(language)
        require(lang)
        ctx = self._add_context(lang, self._resolve_cwd(cwd), is_default=False)
        try:
            await ctx.kernel()
        except KernelStartError:
            self.contexts.pop(ctx.id, None)
            raise
        return ctx

    async def restart(self, ctx_id: str) -> None:
        """Fresh kernel behind the same id and cwd; a running execution is ended."""
        ctx = self.get(ctx_id)
        old = ctx.kernel_task
        ctx.execution_count = 0
        ctx.kernel_task = self._spawn(self._kernel_for(ctx))
        if old is not None:
            self._spawn(self._retire(old))
        await ctx.kernel()

    async def _retire(self, task: asyncio.Task[Kernel]) -> None:
        try:
            kernel = await task
        except (KernelStartError, asyncio.CancelledError):
            return
        kernel.on_death = None
        await self._drop_kernel(kernel)

    async def remove(self, ctx_id: str) -> None:
        ctx = self.get(ctx_id)
        ctx.removed = True
        del self.contexts[ctx_id]
        if self.defaults.get(ctx.language) == ctx_id:
            del self.defaults[ctx.language]
        if ctx.kernel_task is not None:
            await self._retire(ctx.kernel_task)

    def context_for(self, context_id: str | None, language: str | None) -> Context:
        """The context a run goes to (raises ContextNotFound / language errors)."""
        if context_id and language:
            raise InvalidRequest(
                "Give either context_id or language, not both: a context already has a language."
            )
        if context_id:
            return self.get(context_id)
        return self._default_context(normalize_language(language))

    # -- runs -------------------------------------------------------------------

    def submit(self, ctx: Context, code: str, env: dict[str, str]) -> Run:
        run = Run(code, env)
        run.start_keepalive()
        self._spawn(self._execute(ctx, run))
        return run

    async def _execute(self, ctx: Context, run: Run) -> None:
        try:
            async with ctx.lock:
                if run.client_gone:
                    return
                if ctx.removed:
                    run.emit(protocol.error_line("ContextRemoved", f"Context {ctx.id} was removed.", ""))
                    return
                try:
                    kernel = await ctx.kernel()
                except KernelStartError as err:
                    run.emit(protocol.error_line("KernelStartError", str(err), ""))
                    ctx.kernel_task = self._spawn(self._kernel_for(ctx))  # try again next run
                    return
                except LanguageUnavailable as err:
                    run.emit(protocol.error_line("LanguageUnavailable", str(err), ""))
                    return
                if ctx.notice:
                    run.emit(
                        {
                            "type": "stderr",
                            "text": f"[e2b-workbench] {ctx.notice}\n",
                            "timestamp": protocol.now(),
                        }
                    )
                    ctx.notice = ""
                await self._run_on(ctx, kernel, run)
        except asyncio.CancelledError:
            raise
        except Exception as err:  # never leave a client hanging
            run.emit(protocol.error_line("RuntimeError", f"The runtime failed: {err!r}", ""))
        finally:
            run.finish()

    async def _run_on(self, ctx: Context, kernel: Kernel, run: Run) -> None:
        revert = None
        if run.env:
            apply, revert = env_snippets(ctx.language, run.env)
            reply = await kernel.run_silent(apply)
            if reply.get("status") != "ok":
                detail = reply.get("evalue") or reply.get("ename") or "the kernel refused them"
                run.emit(protocol.error_line("EnvVarsError", f"Could not set env vars: {detail}", ""))
                if kernel.alive:
                    await kernel.run_silent(revert)
                return
        try:
            await self._stream(ctx, kernel, run)
        finally:
            if revert and kernel.alive:
                await kernel.run_silent(revert)

    async def _stream(self, ctx: Context, kernel: Kernel, run: Run) -> None:
        """Send the code and turn each kernel message into a line as it arrives."""
        watchdog: list[asyncio.TimerHandle] = []

        def on_cancel() -> None:
            kernel.interrupt()
            loop = asyncio.get_running_loop()
            watchdog.append(loop.call_later(INTERRUPT_GRACE, self._force_restart, ctx, kernel))

        for attempt in range(ABORT_RETRIES + 1):
            msg_id, queue = kernel.execute_request(run.code)
            run._on_cancel = on_cancel
            if run.client_gone:
                on_cancel()
            reply: dict | None = None
            idle = started = errored = asked_input = False
            grace = kernel.spec.idle_grace
            try:
                while True:
                    if reply is None and not idle:
                        kind, msg = await queue.get()
                    else:
                        # one half of (reply, idle) is in: the other should follow at once
                        done = reply is not None and idle
                        if done and not grace:
                            break
                        try:
                            kind, msg = await asyncio.wait_for(queue.get(), grace if done else SETTLE_SECONDS)
                        except TimeoutError:
                            if not idle:
                                run.emit(
                                    protocol.error_line(
                                        "UnexpectedEndOfExecution",
                                        "The kernel replied but never reported that it finished.",
                                        "",
                                    )
                                )
                            break
                    if kind == "died":
                        self._report_death(ctx, kernel, run)
                        return
                    if kind == "shell":
                        reply = msg["content"]
                        continue
                    if kind == "stdin":
                        if msg["msg_type"] == "input_request" and not asked_input:
                            asked_input = True
                            errored = True
                            run.emit(
                                protocol.error_line(
                                    "StdinNotSupported",
                                    "The code asked for input, but runs have no stdin: pass values in the "
                                    "code or through env vars instead. The run was interrupted.",
                                    "",
                                )
                            )
                            kernel.interrupt()
                        continue
                    msg_type = msg["msg_type"]
                    content = msg["content"]
                    if msg_type == "stream":
                        name = "stderr" if content.get("name") == "stderr" else "stdout"
                        run.emit(
                            {
                                "type": name,
                                "text": content.get("text", ""),
                                "timestamp": protocol.timestamp(msg),
                            }
                        )
                    elif msg_type == "execute_input":
                        started = True
                        count = content.get("execution_count")
                        if isinstance(count, int):
                            ctx.execution_count = count
                            run.emit({"type": "number_of_executions", "execution_count": count})
                    elif msg_type == "execute_result":
                        run.emit(protocol.result_line(content.get("data", {}), True))
                    elif msg_type in ("display_data", "update_display_data"):
                        run.emit(protocol.result_line(content.get("data", {}), False))
                    elif msg_type == "error":
                        errored = True
                        run.emit(protocol.kernel_error_line(content))
                    elif msg_type == "status" and content.get("execution_state") == "idle":
                        idle = True
            finally:
                kernel.forget(msg_id)
                run._on_cancel = None
                for handle in watchdog:
                    handle.cancel()
            status = (reply or {}).get("status")
            if status in ("aborted", "abort"):
                # `aborted`: dropped unrun (ipykernel/IRkernel after an interrupt or error);
                # `abort`: IRkernel and bash_kernel's word for an interrupted run
                if not started and not run.client_gone and attempt < ABORT_RETRIES:
                    await asyncio.sleep(0.05 * (attempt + 1))
                    continue  # the code never ran: send it again
                if not errored:
                    reason = (
                        "The execution was interrupted."
                        if started
                        else "The kernel aborted this execution (dropped after an interrupt or error)."
                    )
                    run.emit(protocol.error_line("ExecutionAborted", reason, ""))
            elif status == "error" and not errored and reply is not None:
                # some kernels (Deno after an interrupt) report the error on the reply only
                run.emit(protocol.kernel_error_line(reply))
            return

    def _report_death(self, ctx: Context, kernel: Kernel, run: Run) -> None:
        if ctx.removed:
            run.emit(
                protocol.error_line("ContextRemoved", f"Context {ctx.id} was removed while the code ran.", "")
            )
        elif kernel.closing:
            run.emit(
                protocol.error_line(
                    "ContextRestarting",
                    "The context was restarted while the code ran; its state is fresh.",
                    "",
                )
            )
        else:
            note = ctx.death_note or kernel.death_reason()
            run.emit(
                protocol.error_line(
                    "ContextRestarting",
                    f"{note}\nThe context restarts with a fresh state; run your code again.",
                    "",
                )
            )

    def _force_restart(self, ctx: Context, kernel: Kernel) -> None:
        """The kernel ignored an interrupt: replace it so the context is usable again."""
        if ctx.removed or not kernel.alive:
            return
        if ctx.kernel_task is not None and ctx.kernel_task.done() and not ctx.kernel_task.cancelled():
            if ctx.kernel_task.exception() is None and ctx.kernel_task.result() is kernel:
                ctx.notice = (
                    f"The {ctx.language} kernel did not respond to an interrupt within "
                    f"{INTERRUPT_GRACE:g} s and was restarted: its state is fresh."
                )
                kernel.kill_now()  # its death brings a fresh kernel behind the same id
