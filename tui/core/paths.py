"""Where the workbench keeps its files (E2B_WORKBENCH_HOME overrides all of them).

Every folder made here is private (0700): buffers, history and outputs hold code and data.
"""

from __future__ import annotations

from pathlib import Path

from ..common.files import private_dir
from ..common.userdirs import APP, cache_dir, config_dir, data_dir

__all__ = ["APP", "cache_dir", "config_dir", "data_dir", "ensure"]


def ensure(path: Path) -> Path:
    """`path` as an existing folder, private to the user (code, outputs and history are theirs)."""
    return private_dir(path)
