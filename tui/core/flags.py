"""Command-line flags shared by the subcommands that run code (no heavy imports: `serve` starts fast)."""

from __future__ import annotations

import argparse
from typing import Any


def add_target_arguments(parser: argparse.ArgumentParser) -> None:
    """The flags that choose local or cloud, shared by every subcommand that runs code."""
    group = parser.add_argument_group(
        "where code runs", "cloud when E2B_API_KEY is set, local otherwise; the flags override"
    )
    mode = group.add_mutually_exclusive_group()
    mode.add_argument("--local", action="store_true", help="use the local runtime (ignores E2B_API_KEY)")
    mode.add_argument("--cloud", action="store_true", help="use an E2B cloud sandbox (needs E2B_API_KEY)")
    group.add_argument(
        "--sandbox-id", metavar="ID", default=None, help="cloud: connect to this running sandbox"
    )
    group.add_argument(
        "--url",
        default=None,
        help="local: use this running runtime (the URL `serve` prints) instead of starting one; "
        "default: $E2B_SANDBOX_URL when E2B_DEBUG is true",
    )
    add_cloud_settings(group)
    group.add_argument(
        "--keep", action="store_true", help="cloud: leave the sandbox running on exit and print its id"
    )
    add_isolation_arguments(group)


def add_isolation_arguments(parser: argparse.ArgumentParser | argparse._ArgumentGroup) -> None:
    """`--isolate` / `--no-isolate` (None when neither is given: the config or the command decides),
    and the isolated sandbox's network and workspace."""
    isolate = parser.add_mutually_exclusive_group() if isinstance(parser, argparse._ArgumentGroup) else parser
    isolate.add_argument(
        "--isolate",
        dest="isolate",
        action="store_true",
        default=None,
        help="local: run the code inside a bubblewrap sandbox (needs bubblewrap; see README, Isolation)",
    )
    isolate.add_argument(
        "--no-isolate",
        dest="isolate",
        action="store_false",
        help="local: run the code unsandboxed, as you (tool call and mcp isolate by default)",
    )
    parser.add_argument(
        "--network", action="store_true", help="local, isolated: give the sandbox this machine's network"
    )
    parser.add_argument(
        "--ephemeral",
        action="store_true",
        help="local, isolated: a new empty workspace at /home/user, removed at the end",
    )


def add_cloud_settings(parser: argparse.ArgumentParser | argparse._ArgumentGroup) -> None:
    """The settings of a cloud sandbox (template, lifetime, metadata, env vars, domain)."""
    parser.add_argument(
        "--template", default=None, help="cloud: sandbox template (default code-interpreter-v1)"
    )
    parser.add_argument(
        "--sandbox-timeout",
        type=int,
        default=None,
        metavar="SECONDS",
        help="cloud: sandbox lifetime without keep-alive (default 300)",
    )
    parser.add_argument(
        "--metadata",
        action="append",
        default=None,
        metavar="KEY=VALUE",
        help="cloud: metadata for a new sandbox (repeatable)",
    )
    parser.add_argument(
        "--sandbox-env",
        dest="envs",
        action="append",
        default=None,
        metavar="NAME=VALUE",
        help="cloud: an environment variable of a new sandbox (repeatable)",
    )
    parser.add_argument("--domain", default=None, help="cloud: E2B domain (default e2b.app)")


def config_overrides(args: argparse.Namespace) -> dict[str, Any]:
    """The settings given as flags, for `load_config(overrides=...)`."""
    names = (
        "template",
        "sandbox_timeout",
        "metadata",
        "envs",
        "domain",
        "run_timeout",
        "theme",
        "graphics",
        "keymap",
        "isolate",
    )
    return {name: getattr(args, name, None) for name in names}
