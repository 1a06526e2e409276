"""`sbx.pty` of the unmodified SDK against the runtime: a real terminal running `bash -i -l`,
that takes input, answers `stty size` with the size it was given and resized to, and is killed.

Markers are computed by the shell (`echo M$((6*7))` prints `M42`) so the terminal's echo of
what was typed never matches them.
"""

from __future__ import annotations

import asyncio
import os
import re
import threading

import pytest
from e2b import CommandExitException, NotFoundException, SandboxException
from e2b.sandbox.commands.command_handle import PtySize

from tests.envd_helpers import alive, wait_for


class Screen:
    """Collects a sync PTY handle's output on a thread, for waiting on markers."""

    def __init__(self, handle):
        self.handle = handle
        self.text = ""
        self.lock = threading.Lock()
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self) -> None:
        try:
            self.handle.wait(on_pty=self._feed)
        except BaseException as err:  # noqa: BLE001 - kept for the test to inspect
            self.error = err

    def _feed(self, data: bytes) -> None:
        with self.lock:
            self.text += data.decode("utf-8", "replace")

    def wait_for(self, pattern: str, timeout: float = 20.0) -> re.Match:
        def probe():
            with self.lock:
                return re.search(pattern, self.text)

        return wait_for(probe, timeout, what=f"{pattern!r} on the terminal")


def test_pty_runs_bash_takes_input_and_resizes(sandbox, runtime_cwd):
    handle = sandbox.pty.create(PtySize(rows=24, cols=80))
    screen = Screen(handle)
    try:
        sandbox.pty.send_stdin(handle.pid, b"echo M$((6*7)) $PWD; tty; stty size\n")
        screen.wait_for("M42 " + re.escape(runtime_cwd))
        screen.wait_for(r"/dev/pts/\d+")
        screen.wait_for(r"\b24 80\b")
        sandbox.pty.resize(handle.pid, PtySize(rows=41, cols=123))
        sandbox.pty.send_stdin(handle.pid, b"stty size; echo S$((2*3))\n")
        screen.wait_for(r"41 123\s+S6")
        sandbox.pty.send_stdin(handle.pid, b"exit 0\n")
        screen.thread.join(20)
        assert not screen.thread.is_alive() and screen.error is None
    finally:
        if screen.thread.is_alive():
            sandbox.pty.kill(handle.pid)


def test_pty_environment_and_cwd(sandbox, workdir):
    rel, path = workdir
    handle = sandbox.pty.create(PtySize(rows=10, cols=60), cwd=rel, envs={"MY_VAR": "v1"})
    screen = Screen(handle)
    try:
        sandbox.pty.send_stdin(handle.pid, b'echo "M$((1+1)) $MY_VAR $TERM $PWD"\n')
        screen.wait_for(f"M2 v1 xterm-256color {re.escape(str(path))}")
    finally:
        assert sandbox.pty.kill(handle.pid) is True
        screen.thread.join(20)


def test_pty_kill_ends_it_and_its_children(sandbox):
    handle = sandbox.pty.create(PtySize(rows=24, cols=80))
    screen = Screen(handle)
    sandbox.pty.send_stdin(handle.pid, b"sleep 300 & echo child=$!; echo M$((5*5))\n")
    screen.wait_for("M25")
    child = int(screen.wait_for(r"child=(\d+)").group(1))
    assert handle.pid in [p.pid for p in sandbox.commands.list()]
    assert sandbox.pty.kill(handle.pid) is True
    screen.thread.join(20)
    assert isinstance(screen.error, CommandExitException) and screen.error.exit_code == -1
    wait_for(lambda: not alive(handle.pid) and not alive(child), what="the terminal and its job to die")
    assert sandbox.pty.kill(handle.pid) is False


def test_pty_connect(sandbox):
    handle = sandbox.pty.create(PtySize(rows=24, cols=80))
    screen = Screen(handle)
    try:
        sandbox.pty.send_stdin(handle.pid, b"echo M$((3*3))\n")
        screen.wait_for("M9")
        other = sandbox.pty.connect(handle.pid)
        second = Screen(other)
        sandbox.pty.send_stdin(handle.pid, b"echo N$((4*4))\n")
        second.wait_for("N16")
        screen.wait_for("N16")
    finally:
        sandbox.pty.kill(handle.pid)
        screen.thread.join(20)


def test_pty_errors(sandbox):
    foreign = os.getpid()
    with pytest.raises(NotFoundException):
        sandbox.pty.send_stdin(foreign, b"x")
    with pytest.raises(NotFoundException):
        sandbox.pty.resize(foreign, PtySize(rows=10, cols=10))
    assert sandbox.pty.kill(foreign) is False
    plain = sandbox.commands.run("echo ready; sleep 60", background=True)
    try:
        for _out, _err, _pty in plain:
            break
        with pytest.raises(SandboxException, match="not a PTY"):
            sandbox.pty.resize(plain.pid, PtySize(rows=10, cols=10))
        with pytest.raises(SandboxException, match="not a PTY"):
            sandbox.pty.send_stdin(plain.pid, b"x")
    finally:
        plain.kill()


async def test_async_pty(async_sandbox):
    received = bytearray()
    seen = asyncio.Event()

    def on_data(data: bytes) -> None:
        received.extend(data)
        if b"P64" in received:
            seen.set()

    handle = await async_sandbox.pty.create(PtySize(rows=12, cols=34), on_data=on_data)
    await async_sandbox.pty.send_stdin(handle.pid, b"stty size; echo P$((8*8))\n")
    async with asyncio.timeout(20):
        await seen.wait()
    assert b"12 34" in received
    await async_sandbox.pty.resize(handle.pid, PtySize(rows=13, cols=35))
    seen.clear()
    received.clear()
    await async_sandbox.pty.send_stdin(handle.pid, b"stty size; echo P$((8*8))\n")
    async with asyncio.timeout(20):
        await seen.wait()
    assert b"13 35" in received
    assert await async_sandbox.pty.kill(handle.pid) is True
    with pytest.raises(CommandExitException):
        await handle.wait()
