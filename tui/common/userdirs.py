"""The workbench's user folders (E2B_WORKBENCH_HOME moves all of them), for every layer.

`tui.core.paths` (buffers, history, outputs) and the runtime (the sandbox's Python
environments) both find their folders here, so the override works the same everywhere.
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP = "e2b-workbench"
HOME_VAR = "E2B_WORKBENCH_HOME"


def _home() -> Path | None:
    value = os.environ.get(HOME_VAR)
    return Path(value).expanduser() if value else None


def config_dir() -> Path:
    home = _home()
    return home / "config" if home else Path(platformdirs.user_config_dir(APP))


def data_dir() -> Path:
    """Kept across launches: buffers, history, the sandbox's environments."""
    home = _home()
    return home / "data" if home else Path(platformdirs.user_data_dir(APP))


def cache_dir() -> Path:
    """May be deleted at any time: full outputs of runs."""
    home = _home()
    return home / "cache" if home else Path(platformdirs.user_cache_dir(APP))
