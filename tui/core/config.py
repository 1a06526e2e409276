"""Settings: a TOML file in the user config dir, then E2B_WORKBENCH_* env vars.

# ~/.config/e2b-workbench/config.toml
run_timeout = 0          # seconds per run, 0 = no limit
theme = "textual-dark"

[keymap]                 # binding id = keys (Textual keymap)
run = "f5,ctrl+r"
interrupt = "f6,ctrl+g"
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from . import paths


@dataclass
class Config:
    run_timeout: float = 0.0
    theme: str = "textual-dark"
    keymap: dict[str, str] = field(default_factory=dict)
    path: Path | None = None
    problems: list[str] = field(default_factory=list)


def config_path() -> Path:
    return paths.config_dir() / "config.toml"


def load_config(path: Path | None = None) -> Config:
    """Read the file (if any), then the environment; bad values are reported, not fatal."""
    path = path or config_path()
    config = Config(path=path)
    raw: dict = {}
    if path.exists():
        try:
            raw = tomllib.loads(path.read_text())
        except (OSError, tomllib.TOMLDecodeError) as err:
            config.problems.append(f"{path}: {err} (ignored)")
    env_timeout = os.environ.get("E2B_WORKBENCH_RUN_TIMEOUT")
    env_theme = os.environ.get("E2B_WORKBENCH_THEME")
    timeout = env_timeout if env_timeout is not None else raw.get("run_timeout", 0)
    try:
        config.run_timeout = max(0.0, float(timeout))
    except (TypeError, ValueError):
        config.problems.append(f"run_timeout must be a number of seconds, not {timeout!r} (ignored)")
    theme = env_theme or raw.get("theme")
    if isinstance(theme, str) and theme:
        config.theme = theme
    keymap = raw.get("keymap", {})
    if isinstance(keymap, dict):
        config.keymap = {str(k): str(v) for k, v in keymap.items()}
    else:
        config.problems.append("[keymap] must be a table of binding id = keys (ignored)")
    return config
