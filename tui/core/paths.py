"""Where the workbench keeps its files (E2B_WORKBENCH_HOME overrides all of them).

Every folder made here is private (0700): buffers, history and outputs hold code and data.
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

from ..common.files import private_dir

APP = "e2b-workbench"


def _home() -> Path | None:
    value = os.environ.get("E2B_WORKBENCH_HOME")
    return Path(value).expanduser() if value else None


def config_dir() -> Path:
    home = _home()
    return home / "config" if home else Path(platformdirs.user_config_dir(APP))


def data_dir() -> Path:
    """Buffers and history: kept across launches."""
    home = _home()
    return home / "data" if home else Path(platformdirs.user_data_dir(APP))


def cache_dir() -> Path:
    """Full outputs of this session's runs: may be deleted at any time."""
    home = _home()
    return home / "cache" if home else Path(platformdirs.user_cache_dir(APP))


def ensure(path: Path) -> Path:
    """`path` as an existing folder, private to the user (code, outputs and history are theirs)."""
    return private_dir(path)
