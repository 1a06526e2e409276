"""`e2b-workbench` with no command: the app, on E2B cloud when E2B_API_KEY is set, on the
local runtime otherwise. Its flags are the top-level ones (given before any command)."""

from __future__ import annotations

import argparse

from ..core.flags import add_target_arguments
from .process import EXIT_USAGE, say


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The app's own flags, on the top-level parser."""
    add_target_arguments(parser)
    app = parser.add_argument_group("app settings (override config.toml and E2B_WORKBENCH_* env vars)")
    app.add_argument("--run-timeout", type=float, default=None, metavar="SECONDS", help="default run timeout")
    app.add_argument("--theme", default=None, help="Textual theme, e.g. textual-light")
    app.add_argument("--graphics", default=None, help="image previews: auto, kitty, sixel, halfblock")
    app.add_argument(
        "--keymap", default=None, metavar="ID=KEYS;...", help="rebind keys, e.g. 'run=f5,ctrl+e'"
    )


def main(args: argparse.Namespace) -> int:
    """Open the app until the user quits; 2 when --cloud has no key."""
    from ..app import run_app
    from ..core.config import load_config
    from ..core.errors import NoApiKey
    from ..core.target import api_key, config_overrides, target_from_args

    config = load_config(overrides=config_overrides(args))
    target = target_from_args(args, config)
    target.spares = True  # an interactive session is worth a warm kernel per language
    if target.cloud and not api_key():
        say(str(NoApiKey("--cloud")))
        return EXIT_USAGE
    return run_app(target, config)
