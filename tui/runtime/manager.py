"""Contexts and their kernels: the runtime's state, and which kernel a run goes to.

- One run at a time per context, in arrival order (an asyncio.Lock is FIFO); contexts
  run in parallel.
- A kernel that dies is replaced behind the same context id. The run that was on it
  ends with `ContextRestarting`; if it died while idle, the next run says so first
  (state is fresh). Runs queued behind it go to the new kernel. A run never starts on a
  kernel whose sandbox is known to have exited, even before the death itself is heard.
- A client that goes away interrupts its run; if the kernel ignores the interrupt it
  is restarted, so the context is free again either way.
- Kernel starts are bounded in number (a burst of new contexts queues instead of
  starving the machine) and in time (a start that hangs fails that one request).
- Warm spares (spares.py) make new contexts and restarts instant; how one run's
  messages become lines is stream.py's job, the lines' queue run.py's.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import uuid
import weakref
from collections.abc import Awaitable, Callable, Coroutine
from pathlib import Path
from typing import Any, TypeVar

from . import folders, jsts, processes, protocol, sandboxenv, stream
from .isolation.client import Sandbox
from .isolation.settings import HOME
from .kernel import Kernel, KernelStartError
from .languages import (
    LanguageUnavailable,
    available_languages,
    chdir_snippet,
    env_snippets,
    normalize_language,
    require,
)
from .run import Run
from .spares import SparePool

NO_REPLY = "NoReply"  # Kernel.run_silent's ename when the kernel did not answer in time
INTERRUPT_GRACE = 5.0  # a kernel that ignores an interrupt this long is restarted
REAP_SECONDS = 10.0  # how often adopted orphans are reaped
T = TypeVar("T")


class ContextNotFound(KeyError):
    pass


class InvalidRequest(ValueError):
    pass


class Context:
    def __init__(self, language: str, cwd: str, is_default: bool):
        self.id = str(uuid.uuid4())
        self.language = language
        self.cwd = cwd
        self.is_default = is_default
        self.lock = asyncio.Lock()
        self.kernel_task: asyncio.Task[Kernel] | None = None
        self.running_on: Kernel | None = None  # the kernel a run is streaming from now
        self.interrupt_run: Callable[[], None] | None = None  # interrupts that run (POST .../interrupt)
        self.removed = False
        self.death_note = ""
        self.notice = ""  # said (on stderr) at the start of the next run
        self.execution_count = 0

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "language": self.language, "cwd": self.cwd}

    async def kernel(self) -> Kernel:
        assert self.kernel_task is not None, "the context's kernel was never started"
        return await asyncio.shield(self.kernel_task)


class Runtime:
    """Every context of one runtime; all methods run on its event loop."""

    def __init__(
        self,
        cwd: str | None = None,
        workdir: Path | None = None,
        spares: bool = True,
        owner: str = "",
        max_starting: int | None = None,
        sandbox: Sandbox | None = None,
        env: dict[str, str] | None = None,
    ):
        # isolated: kernels run in `sandbox`, from its home, with its environment (`env`)
        self.sandbox = sandbox
        self.cwd = HOME if sandbox is not None else str(Path(cwd or os.getcwd()).resolve())
        self._own_workdir = workdir is None
        self.workdir = workdir or folders.make_workdir()
        os.chmod(self.workdir, 0o700)
        self.owner = owner or f"{uuid.uuid4().hex[:12]}/"  # the mark every kernel's env carries
        self.contexts: dict[str, Context] = {}
        self.defaults: dict[str, str] = {}
        self.kernels: set[Kernel] = set()
        # every kernel process not yet collected by the event loop's child watcher (a dropped
        # kernel leaves `kernels` before its process has exited): never ours to reap
        self._processes: weakref.WeakSet[Kernel] = weakref.WeakSet()
        self.closed = False
        self._background: set[asyncio.Task[Any]] = set()
        self.spares = SparePool(self._start_spare, self._spawn, self._drop_kernel, enabled=spares)
        # at most this many kernels start at once: 20 at once on 2 cores would each take 10x longer
        self._starting = asyncio.Semaphore(max_starting or max(4, 2 * (os.cpu_count() or 2)))
        self._reaper: asyncio.TimerHandle | None = None
        # kernels get the runtime's environment, less our own settings and pytest's marker
        # (ipykernel stops forwarding fd-level output, e.g. os.system's, when it sees it)
        self.env = env if env is not None else {
            k: v for k, v in os.environ.items() if not k.startswith("E2B_") and k != "PYTEST_CURRENT_TEST"
        }
        self.env = sandboxenv.active().process_env(self.env)  # its python first on PATH

    # -- startup / shutdown -----------------------------------------------------

    async def start(self) -> None:
        """Create the default contexts (python, and javascript when available). Only
        python's kernel starts now (the language nearly every first run uses); the others
        start when their language is first used."""
        self._schedule_reaping()
        languages = available_languages()
        for language in ("python", "javascript"):
            if language in languages:
                self._default_context(language, start=language == "python")

    async def shutdown(self) -> None:
        self.closed = True
        if self._reaper is not None:
            self._reaper.cancel()
        for task in list(self._background):
            task.cancel()
        tasks = [c.kernel_task for c in self.contexts.values() if c.kernel_task] + self.spares.close()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*(k.shutdown() for k in list(self.kernels)), return_exceptions=True)
        self.kernels.clear()
        processes.kill_marked(self.owner, prefix=True)  # whatever escaped its kernel's tree
        if self._own_workdir:
            folders.remove(self.workdir)

    def kill_all_now(self) -> None:
        """Last resort (atexit / signal): SIGKILL every kernel and what bears our mark."""
        for kernel in list(self.kernels):
            kernel.kill_now()
        processes.kill_marked(self.owner, prefix=True)

    def _spawn(self, coro: Awaitable[T]) -> asyncio.Task[T]:
        task: asyncio.Task[T] = asyncio.ensure_future(coro)
        self._background.add(task)
        task.add_done_callback(self._background.discard)
        return task

    def _schedule_reaping(self) -> None:
        def reap() -> None:
            processes.reap_orphans(
                {k.pid for k in self._processes if k.pid is not None and not k.died.is_set()}
            )
            if not self.closed:
                self._reaper = asyncio.get_running_loop().call_later(REAP_SECONDS, reap)

        self._reaper = asyncio.get_running_loop().call_later(REAP_SECONDS, reap)

    # -- kernels ----------------------------------------------------------------

    async def _new_kernel(self, language: str, cwd: str) -> Kernel:
        """A started kernel that ran its start-up code. One whose start-up code got no reply
        (a start that hung: seen once for Deno's kernel in an isolated sandbox on a loaded
        machine, never reproduced alone) is replaced once by another before the request fails."""
        try:
            return await self._launch_kernel(language, cwd)
        except KernelStartError as err:
            if not err.hung or self.closed:
                raise
            print(f"e2b-workbench runtime: {err}; starting another kernel once", file=sys.stderr, flush=True)
            return await self._launch_kernel(language, cwd)

    async def _launch_kernel(self, language: str, cwd: str) -> Kernel:
        spec = require(language)
        if spec.prepare is not None:  # python: its sandbox environment is built (or says why not)
            problem = await spec.prepare()
            if problem:
                raise KernelStartError(problem)
        memory = self.sandbox.isolation.memory_mb if self.sandbox is not None else 0
        kernel = Kernel(spec, cwd, self.workdir, self.env, owner=self.owner, sandbox=self.sandbox, memory_mb=memory)
        self.kernels.add(kernel)
        self._processes.add(kernel)
        try:
            async with self._starting:
                if self.closed:
                    raise KernelStartError("the runtime is shutting down")
                await kernel.start()
                if spec.init_code:
                    reply = await kernel.run_silent(spec.init_code)
                    if reply.get("status") != "ok":  # never hand out a kernel that is hung or broken
                        failed = KernelStartError(
                            f"the {spec.name} kernel failed its start-up code: {reply.get('evalue') or reply}"
                        )
                        failed.hung = reply.get("ename") == NO_REPLY
                        raise failed
        except BaseException:
            self.kernels.discard(kernel)
            await kernel.shutdown()
            raise
        if self.closed:
            await kernel.shutdown()
            raise KernelStartError("the runtime is shutting down")
        return kernel

    def _start_spare(self, family: str) -> Coroutine[Any, Any, Kernel]:
        return self._new_kernel(family, self.cwd)

    async def _kernel_for(self, ctx: Context) -> Kernel:
        """A ready kernel in ctx.cwd: a warm spare when one fits, else a fresh start."""
        kernel = None
        move = ctx.cwd != self.cwd
        snippet = chdir_snippet(ctx.language, ctx.cwd) if move else None
        if not move or snippet:
            kernel = await self.spares.take(ctx.language)
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
        self.spares.refill(ctx.language)
        return kernel

    async def _drop_kernel(self, kernel: Kernel) -> None:
        self.kernels.discard(kernel)
        await kernel.shutdown()

    def _on_kernel_death(self, ctx: Context, kernel: Kernel) -> None:
        """A kernel died on its own: note why and bring the context back."""
        ctx.death_note = kernel.death_reason()
        if ctx.running_on is not kernel:
            # nobody is there to hear it now: the next run hears it first
            ctx.notice = (
                f"{ctx.death_note}\nIt died while idle and was replaced: this context's state is fresh."
            )
        self._spawn(self._drop_kernel(kernel))
        if ctx.removed or self.closed:
            return
        ctx.execution_count = 0
        self._start_kernel(ctx)

    # -- contexts ---------------------------------------------------------------

    async def _resolve_cwd(self, cwd: str | None) -> str:
        if not cwd:
            return self.cwd
        if self.sandbox is not None:  # a path of the sandbox, checked where it resolves
            if cwd == "~" or cwd.startswith("~/"):
                cwd = HOME + cwd[1:]
            path = os.path.normpath(os.path.join(self.cwd, cwd))
            if not await self.sandbox.files.is_dir(path):
                raise InvalidRequest(f"cwd {cwd!r} is not an existing directory in the sandbox.")
            return path
        found = Path(self.cwd, os.path.expanduser(cwd)).resolve()
        if not found.is_dir():
            raise InvalidRequest(f"cwd {cwd!r} is not an existing directory on the runtime's machine.")
        return str(found)

    def _add_context(self, language: str, cwd: str, is_default: bool, start: bool = True) -> Context:
        ctx = Context(language, cwd, is_default)
        self.contexts[ctx.id] = ctx
        if start:
            self._start_kernel(ctx)
        return ctx

    def _start_kernel(self, ctx: Context) -> asyncio.Task[Kernel]:
        ctx.kernel_task = self._spawn(self._kernel_for(ctx))
        return ctx.kernel_task

    def _default_context(self, language: str, start: bool = True) -> Context:
        ctx_id = self.defaults.get(language)
        ctx = self.contexts.get(ctx_id) if ctx_id else None
        if ctx is None:  # first use, or the default was removed: make it (again)
            require(language)
            ctx = self._add_context(language, self.cwd, is_default=True, start=start)
            self.defaults[language] = ctx.id
        elif start and ctx.kernel_task is None:  # listed since start-up, used now
            self._start_kernel(ctx)
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
        ctx = self._add_context(lang, await self._resolve_cwd(cwd), is_default=False)
        try:
            await ctx.kernel()
        except KernelStartError:
            self.contexts.pop(ctx.id, None)
            raise
        return ctx

    async def restart(self, ctx_id: str) -> None:
        """Fresh state behind the same id and cwd: a warm spare swapped in (the old kernel
        stops in the background); a running execution is ended."""
        ctx = self.get(ctx_id)
        old = ctx.kernel_task
        ctx.execution_count = 0
        ctx.notice = ""
        self._start_kernel(ctx)
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
            ctx = self.get(context_id)
            if ctx.kernel_task is None:
                self._start_kernel(ctx)
            return ctx
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
                    if kernel.doomed():
                        # its sandbox is gone, its death not yet heard: hear it now (the
                        # context notes it and starts a new kernel, in a new sandbox) and run
                        # there, rather than on a kernel about to die
                        with contextlib.suppress(TimeoutError):
                            await asyncio.wait_for(asyncio.shield(kernel.died.wait()), 5.0)
                        kernel = await ctx.kernel()
                except KernelStartError as err:
                    run.emit(protocol.error_line("KernelStartError", str(err), ""))
                    self._start_kernel(ctx)  # try again next run
                    return
                except LanguageUnavailable as err:
                    run.emit(protocol.error_line("LanguageUnavailable", str(err), ""))
                    return
                if ctx.notice:
                    run.notice(ctx.notice)
                    ctx.notice = ""
                await self._run_on(ctx, kernel, run)
        except asyncio.CancelledError:
            raise
        except Exception as err:  # never leave a client hanging
            run.emit(protocol.error_line("RuntimeError", f"The runtime failed: {err!r}", ""))
        finally:
            run.finish()

    async def _run_on(self, ctx: Context, kernel: Kernel, run: Run) -> None:
        ctx.running_on = kernel
        try:
            revert = None
            if run.env:
                apply, revert = env_snippets(ctx.language, run.env)
                reply = await kernel.run_silent(apply)
                if reply.get("ename") == NO_REPLY:  # wedged: it would hold every later run too
                    await self._give_up(kernel, "it did not answer the run's env-var set-up (hung)")
                if reply.get("status") != "ok":
                    if not kernel.alive:
                        self._report_death(ctx, kernel, run)
                        return
                    detail = reply.get("evalue") or reply.get("ename") or "the kernel refused them"
                    run.emit(protocol.error_line("EnvVarsError", f"Could not set env vars: {detail}", ""))
                    await kernel.run_silent(revert)
                    return
            try:
                await self._stream(ctx, kernel, run)
            finally:
                if revert and kernel.alive:
                    reply = await kernel.run_silent(revert)
                    if reply.get("ename") == NO_REPLY:
                        ctx.notice = (
                            f"The {ctx.language} kernel did not answer after the last run (hung) and was "
                            "replaced: this context's state is fresh."
                        )
                        await self._give_up(kernel, "it did not answer after a run (hung)")
        finally:
            ctx.running_on = None

    @staticmethod
    async def _give_up(kernel: Kernel, why: str) -> None:
        """Replace a wedged kernel (its death brings the context back) and wait until it is gone."""
        kernel.give_up(why)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(kernel.died.wait()), 5.0)

    async def _stream(self, ctx: Context, kernel: Kernel, run: Run) -> None:
        watchdog: list[asyncio.TimerHandle] = []

        def on_cancel() -> None:
            kernel.interrupt()
            loop = asyncio.get_running_loop()
            watchdog.append(loop.call_later(INTERRUPT_GRACE, self._force_restart, ctx, kernel))

        def on_count(count: int) -> None:
            ctx.execution_count = count

        def on_unresponsive() -> None:
            kernel.give_up(f"it did not acknowledge the request within {stream.ACK_SECONDS:g} s (hung)")

        target = jsts.hold(run, ctx.language)  # JS/TS errors are reshaped once the run is over
        ctx.interrupt_run = on_cancel  # the interrupt route: as a disconnect, but the run goes on
        try:
            ending = await stream.execute(
                kernel,
                target,
                idle_grace=kernel.spec.idle_grace,
                on_count=on_count,
                on_cancel=on_cancel,
                on_unresponsive=on_unresponsive,
            )
        finally:
            ctx.interrupt_run = None
            for handle in watchdog:
                handle.cancel()
        if ending is stream.Ending.KERNEL_DIED:
            await jsts.release(target, None)
            self._report_death(ctx, kernel, run)
            return
        if watchdog and isinstance(target, jsts.Held):  # interrupted: what did it leave?
            if any(jsts.broken_by_interrupt(line) for line in target.errors):
                said = (
                    f"The {ctx.language} kernel was interrupted inside its own code (loading one of "
                    "Deno's modules), which leaves it broken: it was restarted and its state is fresh."
                )
                if self._replace(ctx, kernel):
                    if run.client_gone:
                        ctx.notice = said  # nobody hears this run: the next one says it
                    run.emit(protocol.error_line("ContextRestarting", said, ""))
                    return
            target.errors = [
                protocol.error_line("ExecutionAborted", jsts.INTERRUPTED, "")
                if jsts.stopped_by_interrupt(line)
                else line
                for line in target.errors
            ]
        await jsts.release(target, kernel)

    def _report_death(self, ctx: Context, kernel: Kernel, run: Run) -> None:
        if ctx.removed:
            run.emit(
                protocol.error_line("ContextRemoved", f"Context {ctx.id} was removed while the code ran.", "")
            )
        elif kernel.closing:
            said = ctx.notice or "The context was restarted while the code ran; its state is fresh."
            # (an interrupt it ignored) this run says it and the next one need not, unless this
            # run's client has gone (a run that timed out): then the next run says it
            if not run.client_gone:
                ctx.notice = ""
            run.emit(protocol.error_line("ContextRestarting", said, ""))
        else:
            note = ctx.death_note or kernel.death_reason()
            ctx.notice = (  # this run says it; the next one need not, unless nobody hears this one
                f"{note}\nIt died in a run whose client had gone, and was replaced: this context's state is fresh."
                if run.client_gone
                else ""
            )
            run.emit(
                protocol.error_line(
                    "ContextRestarting",
                    f"{note}\nThe context restarts with a fresh state; run your code again.",
                    "",
                )
            )

    def _force_restart(self, ctx: Context, kernel: Kernel) -> None:
        """The kernel ignored an interrupt: replace it so the context is usable again."""
        if self._replace(ctx, kernel):
            # its death ends the run, which says this (_report_death)
            ctx.notice = (
                f"The {ctx.language} kernel did not respond to an interrupt within "
                f"{INTERRUPT_GRACE:g} s and was restarted: its state is fresh."
            )

    def _replace(self, ctx: Context, kernel: Kernel) -> bool:
        """Put a fresh kernel behind `ctx` in place of `kernel`, alive but of no more use (the
        old one stops in the background); False if `kernel` is no longer the context's."""
        if ctx.removed or not kernel.alive:
            return False
        task = ctx.kernel_task
        if task is None or not task.done() or task.cancelled():
            return False
        if task.exception() is not None or task.result() is not kernel:
            return False
        kernel.on_death = None
        self._spawn(self._drop_kernel(kernel))
        ctx.execution_count = 0
        self._start_kernel(ctx)
        return True
