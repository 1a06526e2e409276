"""Warm spare kernels that follow demand, so that new contexts and restarts start at once.

- A family (typescript shares javascript's kernel) gets spares once it is used: nothing
  starts for a language nobody runs.
- One spare per family in use. A context taken from the pool is replaced after a short
  delay (a kernel's start costs about a second of CPU: starting it at once would slow the
  first run the taker is about to make).
- Demand raises the pool: a take within IN_A_ROW seconds of the previous one means
  contexts are being made in a row, so the pool grows by one (up to MAX_SPARES). A take
  that finds no spare ready (demand outruns supply) starts the one it waits for, and the
  rest of the pool, at once instead of after the delay.
- The pool shrinks when idle: every IDLE_SECONDS without a take, one spare less (never
  below one per family in use).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable

from .kernel import Kernel, KernelStartError
from .languages import kernel_family

SPARE_DELAY = 1.5  # let a taken kernel's first run go before forking its replacement
IN_A_ROW = 5.0  # takes closer than this are "contexts made in a row"
MAX_SPARES = 4  # per family
IDLE_SECONDS = 60.0  # one spare less per this long without a take


def _seen(task: asyncio.Task[Kernel]) -> None:
    if not task.cancelled():
        task.exception()


class _Spare:
    """A kernel on its way (or ready): its task, and a way to cut its start delay short."""

    def __init__(self) -> None:
        self.hurry = asyncio.Event()
        self.task: asyncio.Task[Kernel] | None = None


class SparePool:
    """Warm kernels per family, started by `start_kernel(family)`."""

    def __init__(
        self,
        start_kernel: Callable[[str], Awaitable[Kernel]],
        spawn: Callable[[Awaitable[Kernel]], asyncio.Task[Kernel]],
        drop: Callable[[Kernel], Awaitable[None]],
        enabled: bool = True,
    ):
        self._start_kernel = start_kernel
        self._spawn = spawn
        self._drop = drop
        self.enabled = enabled
        self.closed = False
        self.spares: dict[str, list[_Spare]] = {}
        self.wanted: dict[str, int] = {}
        self.last_take: dict[str, float] = {}
        self._shrinker: asyncio.TimerHandle | None = None

    @property
    def pending(self) -> list[asyncio.Task[Kernel]]:
        return [s.task for family in self.spares.values() for s in family if s.task is not None]

    def size(self, language: str) -> int:
        return len(self.spares.get(kernel_family(language), []))

    def refill(self, language: str, delay: float = SPARE_DELAY) -> None:
        """Bring `language`'s family up to the number of spares demand calls for."""
        family = kernel_family(language)
        if not self.enabled or self.closed:
            return
        wanted = self.wanted.setdefault(family, 1)
        spares = self.spares.setdefault(family, [])
        while len(spares) < wanted:
            spare = _Spare()
            spare.task = self._spawn(self._new(family, delay, spare.hurry))
            spare.task.add_done_callback(_seen)  # a failed start nobody takes is no error to log
            spares.append(spare)
        self._schedule_shrink()

    async def _new(self, family: str, delay: float, hurry: asyncio.Event) -> Kernel:
        if delay > 0:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(hurry.wait(), delay)
        return await self._start_kernel(family)

    async def take(self, language: str) -> Kernel | None:
        """A warm kernel of `language`'s family: a ready one, else the next to be ready
        (None when there is none or its start failed)."""
        family = kernel_family(language)
        spares = self.spares.get(family)
        if not self.enabled or not spares:
            return None
        now = time.monotonic()
        in_a_row = now - self.last_take.get(family, -IN_A_ROW) < IN_A_ROW
        self.last_take[family] = now
        ready = [s for s in spares if s.task is not None and s.task.done()]
        spare = ready[0] if ready else spares[0]
        spares.remove(spare)
        spare.hurry.set()
        if in_a_row or not ready:  # contexts made in a row: more spares
            self.wanted[family] = min(MAX_SPARES, self.wanted.get(family, 1) + 1)
        if not ready:  # and they are needed now: no delay
            for other in spares:
                other.hurry.set()
            self.refill(family, delay=0.0)
        assert spare.task is not None
        try:
            kernel = await spare.task
        except (KernelStartError, asyncio.CancelledError):
            return None
        if not kernel.alive:
            await self._drop(kernel)
            return None
        return kernel

    def _schedule_shrink(self) -> None:
        if self._shrinker is None and not self.closed:
            self._shrinker = asyncio.get_running_loop().call_later(IDLE_SECONDS, self._shrink)

    def _shrink(self) -> None:
        """One spare less for each family idle for IDLE_SECONDS (never below one)."""
        self._shrinker = None
        if self.closed:
            return
        now = time.monotonic()
        for family, spares in self.spares.items():
            if now - self.last_take.get(family, 0.0) < IDLE_SECONDS or self.wanted.get(family, 1) <= 1:
                continue
            self.wanted[family] -= 1
            extra = [s for s in spares if s.task is not None and s.task.done()][
                : len(spares) - self.wanted[family]
            ]
            for spare in extra:
                spares.remove(spare)
                self._spawn(self._stop(spare))
        if any(w > 1 for w in self.wanted.values()):
            self._schedule_shrink()

    async def _stop(self, spare: _Spare) -> Kernel:
        assert spare.task is not None
        kernel = await spare.task
        await self._drop(kernel)
        return kernel

    def close(self) -> list[asyncio.Task[Kernel]]:
        """Stop making spares; the pending ones, cancelled (their kernels are the caller's to stop)."""
        self.closed = True
        if self._shrinker is not None:
            self._shrinker.cancel()
        tasks = self.pending
        for task in tasks:
            task.cancel()
        self.spares.clear()
        return tasks
