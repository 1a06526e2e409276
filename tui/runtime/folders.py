"""The runtime's private folder: kernel connection files (keys) and ipc sockets.

`/tmp/e2b-workbench-XXXX`, mode 0700, with an `owner` file naming the runtime's PID and
that process's start time. The runtime removes it when it stops (any catchable signal
included), its guardian when it is killed outright, and a later runtime removes the ones
whose owner is gone (a machine that lost power, a guardian that was killed too).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from pathlib import Path

PREFIX = "e2b-workbench-"
OWNER_FILE = "owner"


def _start_time(pid: int) -> str | None:
    """A process's start time (clock ticks since boot), which tells a reused PID apart."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return None


def make_workdir() -> Path:
    """A new private folder owned by this process."""
    folder = Path(tempfile.mkdtemp(prefix=PREFIX))
    os.chmod(folder, 0o700)
    pid = os.getpid()
    (folder / OWNER_FILE).write_text(f"{pid} {_start_time(pid) or ''}\n")
    return folder


def owner_alive(folder: Path) -> bool | None:
    """Whether the folder's owner still runs; None when the folder names no owner."""
    try:
        fields = (folder / OWNER_FILE).read_text().split()
        pid = int(fields[0])
    except (OSError, ValueError, IndexError):
        return None
    started = _start_time(pid)
    if started is None:
        return False
    return len(fields) < 2 or fields[1] == started


def remove_stale(base: str | None = None) -> list[Path]:
    """Remove the private folders of runtimes that are gone (only ours, only with an owner file)."""
    removed = []
    root = Path(base or tempfile.gettempdir())
    uid = os.getuid()
    with contextlib.suppress(OSError):
        for folder in root.glob(f"{PREFIX}*"):
            with contextlib.suppress(OSError):
                if not folder.is_dir() or folder.is_symlink() or folder.stat().st_uid != uid:
                    continue
                if owner_alive(folder) is False:
                    shutil.rmtree(folder, ignore_errors=True)
                    removed.append(folder)
    return removed


def remove(folder: Path) -> None:
    shutil.rmtree(folder, ignore_errors=True)
