"""The warm spare pool (tui/runtime/spares.py) on fake kernels: it follows demand and shrinks
when idle. No processes; each test in milliseconds."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from tui.runtime import spares


class FakeKernel:
    alive = True

    def __init__(self, family: str):
        self.family = family


class Harness:
    def __init__(self, start_seconds: float = 0.01):
        self.started: list[float] = []
        self.dropped: list[Any] = []
        self.start_seconds = start_seconds
        self.pool = spares.SparePool(self.start, asyncio.ensure_future, self.drop)

    async def start(self, family: str) -> Any:
        self.started.append(time.monotonic())
        await asyncio.sleep(self.start_seconds)
        return FakeKernel(family)

    async def drop(self, kernel: Any) -> None:
        self.dropped.append(kernel)


async def test_nothing_starts_for_a_language_nobody_used():
    h = Harness()
    assert await h.pool.take("r") is None
    await asyncio.sleep(0.05)
    assert h.started == []


async def test_a_refilled_spare_is_taken_warm_and_typescript_shares_javascripts():
    h = Harness()
    h.pool.refill("javascript", delay=0)
    await asyncio.sleep(0.05)
    t0 = time.monotonic()
    kernel = await h.pool.take("typescript")
    assert kernel is not None and kernel.family == "javascript"
    assert time.monotonic() - t0 < 0.01


async def test_a_take_that_finds_none_ready_cuts_the_delay_short():
    h = Harness()
    h.pool.refill("python", delay=10)
    t0 = time.monotonic()
    assert await h.pool.take("python") is not None
    assert time.monotonic() - t0 < 1  # not the 10 s delay


async def test_contexts_made_in_a_row_grow_the_pool_up_to_its_limit(monkeypatch):
    h = Harness()
    h.pool.refill("python", delay=0)
    for _ in range(spares.MAX_SPARES + 3):
        await asyncio.sleep(0.03)
        assert await h.pool.take("python") is not None
        h.pool.refill("python", delay=0)  # as the runtime does after each take
    assert h.pool.wanted["python"] == spares.MAX_SPARES
    await asyncio.sleep(0.05)
    assert h.pool.size("python") == spares.MAX_SPARES


async def test_an_idle_pool_shrinks_back_to_one(monkeypatch):
    monkeypatch.setattr(spares, "IDLE_SECONDS", 0.05)
    h = Harness()
    h.pool.wanted["python"] = 3
    h.pool.refill("python", delay=0)
    await asyncio.sleep(0.4)
    assert h.pool.wanted["python"] == 1
    assert h.pool.size("python") == 1
    assert len(h.dropped) == 2


async def test_a_failed_spare_is_no_kernel():
    async def fail(family: str) -> Any:
        raise spares.KernelStartError("no")

    pool = spares.SparePool(fail, asyncio.ensure_future, Harness().drop)
    pool.refill("python", delay=0)
    assert await pool.take("python") is None


async def test_closing_cancels_what_is_pending():
    h = Harness(start_seconds=10)
    h.pool.refill("python", delay=0)
    tasks = h.pool.close()
    assert len(tasks) == 1
    await asyncio.sleep(0)
    with pytest.raises(asyncio.CancelledError):
        await tasks[0]
    h.pool.refill("python")
    assert h.pool.size("python") == 0
