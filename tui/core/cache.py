"""Keeping the output cache bounded.

Every app session keeps the full output of its runs (and its tool calls' files) in a
folder of its own under the cache dir (`runs/<start time>-<id>/`), so `o` can show a
flood of a million lines. Nothing else removes those folders: without pruning the cache
grows with every session (90 MB after one busy one). At start the app prunes it: whole
session folders, oldest first, until what is left fits in `output_cache_mb`
(config.toml; 0 keeps only the session that is starting). The folder of a session
still running is never touched; one that ended in the last minute neither.
"""

from __future__ import annotations

import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from . import paths

RECENT = 60.0  # seconds: a folder written to this recently may belong to a session still running


@dataclass
class Pruned:
    removed: int = 0  # folders
    freed: int = 0  # bytes
    kept: int = 0  # bytes left


def runs_dir() -> Path:
    return paths.cache_dir() / "runs"


def _size(folder: Path) -> tuple[int, float]:
    """Bytes under `folder`, and the newest modification time in it."""
    total = 0
    newest = folder.stat().st_mtime
    for root, _dirs, files in os.walk(folder):
        for name in files:
            try:
                info = os.stat(os.path.join(root, name))
            except OSError:
                continue
            total += info.st_size
            newest = max(newest, info.st_mtime)
    return total, newest


def prune_output_cache(keep_mb: float, current: Path | None = None, now: float | None = None) -> Pruned:
    """Remove the oldest sessions' output folders until the rest fits in `keep_mb` MB.

    `current` (this session's folder) and folders written to in the last minute stay.
    """
    base = runs_dir()
    result = Pruned()
    if not base.is_dir():
        return result
    now = time.time() if now is None else now
    folders = []
    for folder in base.iterdir():
        if not folder.is_dir() or folder.is_symlink():
            continue
        try:
            size, newest = _size(folder)
        except OSError:
            continue
        folders.append((newest, folder, size))
    limit = max(0.0, keep_mb) * 1024 * 1024
    total = sum(size for _newest, _folder, size in folders)
    for newest, folder, size in sorted(folders, key=lambda found: found[0]):
        if total <= limit:
            break
        if (current is not None and folder.resolve() == current.resolve()) or now - newest < RECENT:
            continue
        shutil.rmtree(folder, ignore_errors=True)
        if not folder.exists():
            total -= size
            result.removed += 1
            result.freed += size
    result.kept = total
    return result
