"""One execution request as the client sees it: a queue of NDJSON lines.

The HTTP handler drains `Run.lines`; everything else only calls `emit`. A run keeps the
connection alive with a `keepalive` line after 5 s of silence, always ends with
`end_of_execution` (then `None` closes the stream), and learns through `cancel` that
its client went away (whoever runs the code registers `on_cancel` to interrupt it).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

from . import protocol

KEEPALIVE_SECONDS = 5.0


class Run:
    """One execution request: its NDJSON lines go into `lines` (None ends the stream)."""

    def __init__(self, code: str, env: dict[str, str]):
        self.code = code
        self.env = env
        self.lines: asyncio.Queue[bytes | None] = asyncio.Queue()
        self.client_gone = False
        self.done = asyncio.Event()
        self.last_emit = time.monotonic()
        # called once when the client goes away while the code runs (interrupt it)
        self.on_cancel: Callable[[], None] | None = None
        self._keepalive: asyncio.TimerHandle | None = None

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

    def notice(self, text: str) -> None:
        """A line from the runtime itself, on stderr, e.g. that the kernel was replaced."""
        self.emit({"type": "stderr", "text": f"[e2b-workbench] {text}\n", "timestamp": protocol.now()})

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
        if self.on_cancel is not None:
            self.on_cancel()
