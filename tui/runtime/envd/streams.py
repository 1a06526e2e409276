"""What envd's server streams need beyond connectrpc: hearing that the client left, and a channel.

connectrpc notices a client that went away only when the stream yields its next message; a
quiet command or watch would keep its listener (and, through back-pressure, its process)
waiting until then. `disconnect_aware` wraps a connectrpc ASGI app so a stream can hear the
`http.disconnect` the moment it arrives (`on_disconnect`), and `Channel` is the bounded queue
between a producer (a process's output, a directory watch) and one listening stream: a slow
listener slows the producer like a pipe would, and closing the channel wakes the listener.
"""

from __future__ import annotations

import asyncio
import contextvars
import time
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any, Generic, TypeVar

from connectrpc.code import Code
from connectrpc.errors import ConnectError
from starlette.types import Message, Receive, Send

T = TypeVar("T")

ASGIApp = Callable[[dict, Callable[[], Awaitable[dict]], Callable[[dict], Awaitable[None]]], Awaitable[None]]


class Disconnect:
    """Callbacks to run once when the client of the current request goes away."""

    def __init__(self) -> None:
        self.gone = False
        self._callbacks: list[Callable[[], None]] = []

    def add(self, callback: Callable[[], None]) -> None:
        if self.gone:
            callback()
        else:
            self._callbacks.append(callback)

    def discard(self, callback: Callable[[], None]) -> None:
        if callback in self._callbacks:
            self._callbacks.remove(callback)

    def fire(self) -> None:
        if self.gone:
            return
        self.gone = True
        callbacks, self._callbacks = self._callbacks, []
        for callback in callbacks:
            callback()


_current: contextvars.ContextVar[Disconnect | None] = contextvars.ContextVar("envd_disconnect", default=None)


def current_disconnect() -> Disconnect:
    """The disconnect signal of the request being served (a fresh, silent one outside a request)."""
    return _current.get() or Disconnect()


class disconnect_aware:  # noqa: N801 - used like a decorator
    """An ASGI app (a class, so Starlette routes to it as an app) that publishes disconnects."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: dict, receive: Receive, send: Send) -> None:
        signal = Disconnect()

        async def receive_and_watch() -> Message:
            message = await receive()
            if message["type"] == "http.disconnect":
                signal.fire()
            return message

        token = _current.set(signal)
        try:
            await self.app(scope, receive_and_watch, send)
        finally:
            _current.reset(token)
            signal.fire()  # the request is over either way: release what waits on it


class Closed:
    """Returned by `Channel.get` once the channel is closed and empty."""


class Timeout:
    """Returned by `Channel.get` when nothing came within the timeout."""


CLOSED = Closed()
TIMEOUT = Timeout()


class Channel(Generic[T]):
    """A bounded FIFO for one event-loop producer and one consumer; `close` wakes both.

    Waits are bare futures (no task per wait, unlike `asyncio.wait_for`): a command's events
    pass through here, and every loop turn saved is latency saved.
    """

    def __init__(self, limit: int = 256):
        self._items: deque[T] = deque()
        self._limit = limit
        self._getter: asyncio.Future | None = None
        self._putters: deque[asyncio.Future] = deque()
        self.closed = False

    def __len__(self) -> int:
        return len(self._items)

    def _wake_getter(self) -> None:
        if self._getter is not None and not self._getter.done():
            self._getter.set_result(None)

    def _wake_putter(self) -> None:
        while self._putters:
            putter = self._putters.popleft()
            if not putter.done():
                putter.set_result(None)
                return

    async def put(self, item: T) -> bool:
        """Queue an item, waiting while the channel is full; False once it is closed."""
        while len(self._items) >= self._limit and not self.closed:
            putter = asyncio.get_running_loop().create_future()
            self._putters.append(putter)
            await putter
        if self.closed:
            return False
        self._items.append(item)
        self._wake_getter()
        return True

    def put_nowait(self, item: T, drop_oldest: bool = True) -> bool:
        """Queue without waiting; a full channel drops its oldest item (or refuses this one)."""
        if self.closed:
            return False
        if len(self._items) >= self._limit:
            if not drop_oldest:
                return False
            self._items.popleft()
        self._items.append(item)
        self._wake_getter()
        return True

    def drain(self) -> list[T]:
        items = list(self._items)
        self._items.clear()
        while self._putters:
            self._wake_putter()
        return items

    async def get(self, timeout: float | None = None) -> T | Closed | Timeout:
        """The next item; CLOSED when closed and empty; TIMEOUT after `timeout` seconds of quiet."""
        while not self._items:
            if self.closed:
                return CLOSED
            loop = asyncio.get_running_loop()
            getter = self._getter = loop.create_future()
            timer = None if timeout is None else loop.call_later(timeout, _expire, getter)
            try:
                await getter
            finally:
                self._getter = None
                if timer is not None:
                    timer.cancel()
            if getter.result() is TIMEOUT and not self._items:
                return TIMEOUT
        item = self._items.popleft()
        self._wake_putter()
        return item

    def close(self) -> None:
        self.closed = True
        self._wake_getter()
        while self._putters:
            self._wake_putter()


def _expire(future: asyncio.Future) -> None:
    if not future.done():
        future.set_result(TIMEOUT)


class Deadline:
    """A stream's deadline (Connect's `connect-timeout-ms`), enforced by the server as connect-go does.

    When it passes, the stream ends with DEADLINE_EXCEEDED, which the SDK raises as its
    `TimeoutException`, whatever else was about to be sent (a command killed at that same
    deadline must not look like a command that died by itself).
    """

    def __init__(self, timeout_ms: float | None):
        self.at = None if timeout_ms is None else time.monotonic() + timeout_ms / 1000

    def left(self) -> float | None:
        return None if self.at is None else self.at - time.monotonic()

    def check(self, what: str) -> None:
        if self.at is not None and time.monotonic() >= self.at:
            raise ConnectError(Code.DEADLINE_EXCEEDED, f"{what} ran past the timeout the client set")

    async def next(self, channel: Channel[T], keepalive: float | None, what: str) -> T | Closed | Timeout:
        """The channel's next item, TIMEOUT when a keepalive is due; raises once the deadline is past."""
        self.check(what)
        left = self.left()
        wait = keepalive
        if left is not None:
            wait = max(0.0, left) if keepalive is None else min(keepalive, max(0.0, left))
        item = await channel.get(wait)
        self.check(what)
        return item


def keepalive_interval(headers: Any, default: float | None = None) -> float | None:
    """Seconds between keepalive messages the client asked for (`Keepalive-Ping-Interval`)."""
    value = headers.get("keepalive-ping-interval") if headers is not None else None
    try:
        seconds = float(value) if value else default
    except ValueError:
        return default
    return seconds if seconds and seconds > 0 else default
