"""Warm spare kernels: a started kernel waiting per kernel family, so that a new context
or a restart gets one at once instead of waiting for a process to start.

One spare per family in use (typescript shares javascript's): taking it starts the next
one after a short delay (a kernel's start costs about a second of CPU; starting it at
once would slow down the run the caller is about to make).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from .kernel import Kernel, KernelStartError
from .languages import kernel_family

SPARE_DELAY = 1.5  # let a taken kernel's first run go before forking its replacement


class SparePool:
    """At most one warm kernel per family, started by `start_kernel(family)`."""

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
        self.pending: dict[str, asyncio.Task[Kernel]] = {}

    def refill(self, language: str, delay: float = SPARE_DELAY) -> None:
        """Make sure a spare for `language`'s family is on its way."""
        family = kernel_family(language)
        if not self.enabled or self.closed or family in self.pending:
            return
        self.pending[family] = self._spawn(self._new(family, delay))

    async def _new(self, family: str, delay: float) -> Kernel:
        await asyncio.sleep(delay)
        return await self._start_kernel(family)

    async def take(self, language: str) -> Kernel | None:
        """The family's spare once it is ready (None when there is none or it failed)."""
        task = self.pending.pop(kernel_family(language), None)
        if task is None:
            return None
        try:
            kernel = await task
        except (KernelStartError, asyncio.CancelledError):
            return None
        if not kernel.alive:
            await self._drop(kernel)
            return None
        return kernel

    def close(self) -> list[asyncio.Task[Kernel]]:
        """Stop making spares; the pending ones, cancelled (their kernels are the caller's to stop)."""
        self.closed = True
        tasks = list(self.pending.values())
        for task in tasks:
            task.cancel()
        self.pending.clear()
        return tasks
