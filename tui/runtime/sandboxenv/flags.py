"""`--profile` and `--python-env`: the command-line flags that choose the sandbox environment
(`serve`, `python -m tui.runtime`). Light: parsing them loads no server."""

from __future__ import annotations

import argparse

from .layout import PROFILE_VAR, PYTHON_ENV_VAR
from .profiles import DEFAULT_PROFILE, PROFILES


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add `--profile NAME` and `--python-env DIR` (both None when not given: the env vars decide)."""
    parser.add_argument(
        "--profile",
        choices=list(PROFILES),
        default=None,
        help=f"the sandbox's Python environment, by package set (default: ${PROFILE_VAR}, else "
        f"{DEFAULT_PROFILE}); built on first use",
    )
    parser.add_argument(
        "--python-env",
        default=None,
        metavar="DIR",
        help=f"run python on this existing environment (it needs ipykernel) as it is, instead of a "
        f"profile's (default: ${PYTHON_ENV_VAR})",
    )
