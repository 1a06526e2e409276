"""Files that are never half-written and never readable by other users.

`atomic_write` is the only way the workbench replaces a file it cares about (buffers,
saved artifacts, exports): a reader sees the old file or the new one, never a mix, and a
crash mid-write leaves no partial file behind. `private_dir` makes the folders that hold
code, outputs and history private whatever the umask.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

PRIVATE_FILE = 0o600
PRIVATE_DIR = 0o700


def atomic_write(path: str | os.PathLike[str], data: bytes | str, mode: int = PRIVATE_FILE) -> Path:
    """Write `data` to `path` atomically: a temporary file beside it, fsync, rename over.

    The file gets `mode` (private by default). Raises OSError (nothing is left behind).
    """
    target = Path(path)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
            handle.flush()
            os.fchmod(handle.fileno(), mode)
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _fsync_dir(target.parent)
    return target


def _fsync_dir(folder: Path) -> None:
    """Make the rename itself durable (best effort: not every filesystem allows it)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def private_dir(path: str | os.PathLike[str]) -> Path:
    """`path` as an existing folder only its owner can enter (0700); the parents it has to
    create are private too (existing ones keep their mode)."""
    folder = Path(path)
    missing = []
    for level in (folder, *folder.parents):
        if level.exists():
            break
        missing.append(level)
    for level in reversed(missing):
        with contextlib.suppress(FileExistsError):  # made meanwhile by someone else
            level.mkdir(mode=PRIVATE_DIR)
        with contextlib.suppress(OSError):  # the umask may have narrowed it: set it outright
            os.chmod(level, PRIVATE_DIR)
    with contextlib.suppress(OSError):  # a folder we do not own keeps its mode
        os.chmod(folder, PRIVATE_DIR)
    return folder


def private_file(path: str | os.PathLike[str]) -> Path:
    """Make an existing file (a database, a log) readable by its owner only."""
    target = Path(path)
    with contextlib.suppress(OSError):
        os.chmod(target, PRIVATE_FILE)
    return target
