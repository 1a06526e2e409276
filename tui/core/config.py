"""Settings: a TOML file in the user config dir, then E2B_WORKBENCH_* env vars, then CLI flags.

# ~/.config/e2b-workbench/config.toml
run_timeout = 0              # seconds per run, 0 = no limit
prestart = ["python"]        # contexts started with the app (and those of open buffers)
theme = "textual-dark"
graphics = "auto"            # image previews: auto, kitty, sixel, halfblock
isolate = true               # local: code runs inside a bubblewrap sandbox (unset: only tool call and mcp)
template = "code-interpreter-v1"   # cloud: the sandbox template
sandbox_timeout = 300        # cloud: seconds a sandbox lives without a keep-alive
domain = "e2b.app"           # cloud: the E2B domain
sandbox_profile = "default"  # local: the sandbox's Python environment (minimal, default, full)
python_env = "/path/to/venv" # local: an existing environment (with ipykernel) used as it is
output_cache_mb = 200        # full outputs of past sessions kept in the cache dir (MB; pruned at start)

[metadata]                   # cloud: attached to sandboxes this app creates
owner = "me"

[envs]                       # cloud: environment variables of sandboxes this app creates
PIP_INDEX_URL = "https://example.org/simple"

[keymap]                     # binding id = keys (Textual keymap)
run = "f5,ctrl+r"
interrupt = "f6,ctrl+g"

Every setting has an env var: E2B_WORKBENCH_RUN_TIMEOUT, _PRESTART ("python,r"), _THEME, _GRAPHICS, _ISOLATE,
_TEMPLATE, _SANDBOX_TIMEOUT, _DOMAIN, _SANDBOX_PROFILE, _PYTHON_ENV, _OUTPUT_CACHE_MB,
_METADATA ("k=v,k=v"),
_ENVS ("K=v,K2=v") and _KEYMAP ("id=keys;id=keys").
The E2B API key is read from E2B_API_KEY only, and never stored by this program.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..common import languages
from ..runtime.sandboxenv.profiles import PROFILES
from . import paths

GRAPHICS = ("auto", "kitty", "sixel", "halfblock")
ENV_PREFIX = "E2B_WORKBENCH_"


@dataclass
class Config:
    run_timeout: float = 0.0
    # languages whose contexts start with the app (with those of the open buffers); the
    # others start when first used
    prestart: list[str] = field(default_factory=lambda: ["python"])
    theme: str = "textual-dark"
    graphics: str = "auto"
    template: str | None = None  # None: the SDK's default code-interpreter template
    sandbox_timeout: int = 300
    domain: str | None = None
    sandbox_profile: str | None = None  # None: the runtime's default (E2B's template)
    python_env: str | None = None
    output_cache_mb: float = 200.0
    metadata: dict[str, str] = field(default_factory=dict)
    envs: dict[str, str] = field(default_factory=dict)
    keymap: dict[str, str] = field(default_factory=dict)
    # local: inside a bubblewrap sandbox; None (unset): the command decides (tool call and mcp do)
    isolate: bool | None = None
    path: Path | None = None
    problems: list[str] = field(default_factory=list)


def config_path() -> Path:
    return paths.config_dir() / "config.toml"


def _pairs(text: str, sep: str) -> dict[str, str]:
    """'a=1,b=2' -> {'a': '1', 'b': '2'}; raises ValueError on a part without '='."""
    pairs: dict[str, str] = {}
    for part in text.split(sep):
        if not part.strip():
            continue
        key, eq, value = part.partition("=")
        if not eq or not key.strip():
            raise ValueError(f"{part.strip()!r} is not key=value")
        pairs[key.strip()] = value.strip()
    return pairs


def _non_negative(value: Any) -> float:
    if isinstance(value, bool):
        raise ValueError
    number = float(value)
    if not number >= 0:  # NaN too
        raise ValueError
    return number


_seconds = _non_negative


def _sandbox_seconds(value: Any) -> int:
    seconds = int(_seconds(value))
    if seconds < 1:
        raise ValueError
    return seconds


def _text(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError
    return value.strip()


def _boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    raise ValueError


def _graphics(value: Any) -> str:
    text = _text(value).lower().replace("-", "")
    if text not in GRAPHICS:
        raise ValueError
    return text


def _languages(value: Any) -> list[str]:
    """`python,r` or a list: languages by any name the registry knows."""
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, (list, tuple)):
        raise ValueError
    return [languages.normalize(str(item)) for item in items if str(item).strip()]


def _profile(value: Any) -> str:
    text = _text(value).lower()
    if text not in PROFILES:
        raise ValueError
    return text


def _table(sep: str) -> Callable[[Any], dict[str, str]]:
    def parse(value: Any) -> dict[str, str]:
        if isinstance(value, dict):
            return {str(k): str(v) for k, v in value.items()}
        if isinstance(value, str):
            return _pairs(value, sep)
        if isinstance(value, (list, tuple)):  # CLI: --metadata k=v --metadata k2=v2
            merged: dict[str, str] = {}
            for item in value:
                merged.update(_pairs(str(item), "\x00"))
            return merged
        raise ValueError

    return parse


# name -> (parser, what a good value looks like)
SETTINGS: dict[str, tuple[Callable[[Any], Any], str]] = {
    "run_timeout": (_seconds, "a number of seconds (0 = no limit)"),
    "prestart": (_languages, "a list of languages, e.g. [\"python\", \"r\"]"),
    "theme": (_text, "a Textual theme name"),
    "graphics": (_graphics, "one of " + ", ".join(GRAPHICS)),
    "template": (_text, "a sandbox template name or id"),
    "sandbox_timeout": (_sandbox_seconds, "a whole number of seconds, at least 1"),
    "domain": (_text, "a domain such as e2b.app"),
    "sandbox_profile": (_profile, "one of " + ", ".join(PROFILES)),
    "python_env": (_text, "the folder of a Python environment that has ipykernel"),
    "output_cache_mb": (_non_negative, "a number of megabytes (0 = keep only the current session's)"),
    "metadata": (_table(","), "a table, or key=value pairs separated by commas"),
    "envs": (_table(","), "a table, or NAME=value pairs separated by commas"),
    "keymap": (_table(";"), "a table of binding id = keys, or id=keys pairs separated by ';'"),
    "isolate": (_boolean, "true or false"),
}


def load_config(path: Path | None = None, overrides: dict[str, Any] | None = None) -> Config:
    """Read the file (if any), then the environment, then `overrides` (CLI flags; None = unset).

    Each later source wins over an earlier one; a bad value is reported in `problems` and
    ignored, never fatal.
    """
    path = path or config_path()
    config = Config(path=path)
    layers: list[tuple[str, dict[str, Any]]] = []
    if path.exists():
        try:
            raw = tomllib.loads(path.read_text())
            unknown = sorted(set(raw) - set(SETTINGS))
            if unknown:
                config.problems.append(f"{path}: unknown setting(s) {', '.join(unknown)} (ignored)")
            layers.append((str(path), raw))
        except (OSError, tomllib.TOMLDecodeError) as err:
            config.problems.append(f"{path}: {err} (ignored)")
    env = {
        name: os.environ[ENV_PREFIX + name.upper()]
        for name in SETTINGS
        if os.environ.get(ENV_PREFIX + name.upper(), "") != ""
    }
    layers.append(("environment", {f"{ENV_PREFIX}{k.upper()}": v for k, v in env.items()}))
    layers.append(("command line", {k: v for k, v in (overrides or {}).items() if v is not None}))
    for source, values in layers:
        for key, value in values.items():
            name = key.removeprefix(ENV_PREFIX).lower() if source == "environment" else key
            if name not in SETTINGS:
                continue
            parse, expected = SETTINGS[name]
            try:
                parsed = parse(value)
                if isinstance(parsed, dict):  # tables merge: a later source adds or replaces keys
                    parsed = {**getattr(config, name), **parsed}
                setattr(config, name, parsed)
            except (TypeError, ValueError) as err:
                detail = f": {err}" if str(err) else ""
                config.problems.append(f"{source}: {key} must be {expected}, not {value!r}{detail} (ignored)")
    return config
