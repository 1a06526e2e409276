"""Pseudo-terminals for `sbx.pty`: open one, make it the child's controlling terminal, resize it.

The child becomes a session leader and takes the terminal's slave side as its controlling
terminal (setsid + TIOCSCTTY) in `preexec_fn`, using the slave's descriptor number rather than
fd 0: uvloop runs `preexec_fn` right after fork, before stdin is redirected, while the
stdlib loop runs it after. Resizing sets TIOCSWINSZ on the master; the kernel then sends
SIGWINCH to the terminal's foreground process group itself (the shell, or what it runs), so
`stty size` and full-screen programs see the new size at once.
"""

from __future__ import annotations

import fcntl
import os
import struct
import termios
from collections.abc import Callable


def open_pty(rows: int, cols: int) -> tuple[int, int]:
    """A (master, slave) pair sized rows x cols; the master is non-blocking, neither inherited."""
    master, slave = os.openpty()
    set_size(master, rows, cols)
    os.set_blocking(master, False)
    return master, slave


def set_size(fd: int, rows: int, cols: int) -> None:
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))


def get_size(fd: int) -> tuple[int, int]:
    rows, cols, _x, _y = struct.unpack("HHHH", fcntl.ioctl(fd, termios.TIOCGWINSZ, b"\0" * 8))
    return rows, cols


def child_setup(slave: int, then: Callable[[], None] | None = None) -> Callable[[], None]:
    """A preexec_fn: new session, `slave` as the controlling terminal, then `then()`."""

    def setup() -> None:  # pragma: no cover - runs in the child between fork and exec
        os.setsid()
        fcntl.ioctl(slave, termios.TIOCSCTTY, 0)
        if then is not None:
            then()

    return setup
