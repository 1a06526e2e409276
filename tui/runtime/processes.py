"""Every process the runtime starts, and every process those start, ends with it.

Three mechanisms, because user code can escape each one alone:

- the runtime is a child subreaper (PR_SET_CHILD_SUBREAPER): a process whose kernel
  died, or that daemonised (`setsid`, double fork), is re-parented to the runtime rather
  than to init, so it stays in the runtime's process tree; the runtime reaps them;
- every kernel carries an owner mark in its environment (`OWNER_ENV`, inherited by
  whatever it starts): at a kernel's end, its process tree and every process bearing its
  mark are killed, wherever they moved to;
- a guardian process (`guardian.py`, its own session) outlives a runtime that is killed
  outright (SIGKILL: no handler runs) and kills every process bearing the runtime's mark,
  then removes the runtime's private folder.

Kernels also get PR_SET_PDEATHSIG, so they die the moment the runtime does. A process
that clears its environment *and* leaves its kernel's tree survives only a SIGKILLed
runtime (the isolated mode's PID namespace closes that gap).
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path

OWNER_ENV = "WORKBENCH_OWNER_MARK"
PR_SET_PDEATHSIG = 1
PR_SET_CHILD_SUBREAPER = 36
GUARDIAN = Path(__file__).with_name("guardian.py")


def _prctl(option: int, value: int) -> bool:
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        return libc.prctl(option, value, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def die_with_parent() -> None:  # pragma: no cover - runs in the child between fork and exec
    """Ask Linux to SIGKILL this process when its parent dies (call between fork and exec)."""
    _prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def become_subreaper() -> bool:
    """Make orphaned descendants re-parent to this process (Linux); True when it worked."""
    return sys.platform.startswith("linux") and _prctl(PR_SET_CHILD_SUBREAPER, 1)


def _stat(pid: int) -> tuple[int, str] | None:
    """(parent pid, state letter) of a process, None when it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return int(fields[1]), fields[0]


def _pids() -> list[int]:
    try:
        return [int(name) for name in os.listdir("/proc") if name.isdigit()]
    except OSError:
        return []


def descendants(pid: int) -> set[int]:
    """Every live process below `pid`, children of children included (from /proc)."""
    children: dict[int, list[int]] = {}
    for other in _pids():
        found = _stat(other)
        if found is not None:
            children.setdefault(found[0], []).append(other)
    out: set[int] = set()
    todo = [pid]
    while todo:
        for child in children.get(todo.pop(), ()):
            if child not in out:
                out.add(child)
                todo.append(child)
    return out


def marked(mark: str, prefix: bool = False) -> set[int]:
    """Processes whose environment has OWNER_ENV equal to `mark` (or starting with it)."""
    needle = f"{OWNER_ENV}={mark}".encode()
    own = os.getpid()
    out: set[int] = set()
    for pid in _pids():
        if pid == own:
            continue
        try:
            with open(f"/proc/{pid}/environ", "rb") as handle:
                environ = handle.read()
        except OSError:
            continue  # gone, or another user's
        for item in environ.split(b"\0"):
            if item == needle or (prefix and item.startswith(needle)):
                out.add(pid)
                break
    return out


def kill(pids: Iterable[int], sig: int = signal.SIGKILL) -> None:
    for pid in pids:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, sig)


def kill_marked(mark: str, prefix: bool = False, rounds: int = 5) -> None:
    """SIGKILL every process with the mark, again while some appear (a fork in flight)."""
    for _ in range(rounds):
        found = marked(mark, prefix)
        if not found:
            return
        kill(found)


# children whose exit status their starter reads itself (the sandbox environment's installer,
# awaited by subprocess.wait on its build thread): never reaped as orphans
HELD: set[int] = set()


def reap_orphans(keep: set[int]) -> None:
    """Collect the exit status of adopted orphans (we are their subreaper), never of `keep`
    (the kernels, whose status the event loop's child watcher reads) nor of HELD."""
    own = os.getpid()
    children: set[int] = set()
    try:
        tasks = os.listdir(f"/proc/{own}/task")
    except OSError:
        tasks = []
    for task in tasks:
        with contextlib.suppress(OSError, ValueError):
            children.update(int(p) for p in Path(f"/proc/{own}/task/{task}/children").read_text().split())
    for pid in children - keep - HELD:
        found = _stat(pid)
        if found is not None and found[1] == "Z":
            with contextlib.suppress(ChildProcessError, OSError):
                os.waitpid(pid, os.WNOHANG)


def start_guardian(mark: str, folder: Path) -> int | None:
    """A process that, when this one ends however it ends, kills what bears `mark` and
    removes `folder`. Returns the write end of its pipe: keep it open for our lifetime."""
    if not sys.platform.startswith("linux"):
        return None
    read_end, write_end = os.pipe()  # both non-inheritable: no kernel holds them
    try:
        subprocess.Popen(
            [sys.executable, "-I", "-S", str(GUARDIAN), mark, str(folder)],
            stdin=read_end,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # a signal to our process group leaves it alone
            close_fds=True,
        )
    except OSError:
        os.close(write_end)
        return None
    finally:
        os.close(read_end)
    return write_end
