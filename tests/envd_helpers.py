"""Helpers for the envd tests (files, commands, terminals through the real SDK).

Commands run as `bash -l` (what the SDK asks for), which reads the login profile of the
machine. A profile may take a lock (pyenv's `rehash` does), and a shell killed in the middle
of it leaves the lock behind for every later login shell. So the tests only kill a command
after it said it is running (a marker on its output), never during its start-up.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlsplit

T = TypeVar("T")


def wait_for(probe: Callable[[], T], timeout: float = 15.0, what: str = "condition") -> T:
    """Poll `probe` until it returns something truthy; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.02)


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def split_url(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}", parts.path.strip("/")


def runtime_pid(runtime) -> int:
    assert runtime.proc is not None
    return runtime.proc.pid


def inotify_watch_count(pid: int) -> int:
    """How many inotify watches the process holds (from /proc/PID/fdinfo)."""
    count = 0
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            if os.readlink(fd) != "anon_inode:inotify":
                continue
            count += Path(f"/proc/{pid}/fdinfo/{fd.name}").read_text().count("inotify wd:")
        except OSError:
            continue
    return count
