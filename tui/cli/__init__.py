"""The `e2b-workbench` command: the app (no command), `serve`, `run`, `files`, `sandbox`, `tool`,
`mcp`, `export`, `replay`, `doctor`, `env`.

One module per command, each with `add_parser(commands)` (its flags) and `main(args)`
(its exit code); `process` holds how a command ends (exit codes, broken pipes). Heavy
imports happen inside the `main`s, so `serve` and `run` start fast: importing this package
loads argparse and the flag helpers, nothing else.
"""

from __future__ import annotations

import argparse
import sys

from .. import __version__
from . import app, doctor, env, export, files, mcp, replay, run, sandbox, serve, tool
from .process import exit_at_once

COMMANDS = (serve, run, files, sandbox, tool, mcp, export, replay, doctor, env)


def build_parser() -> argparse.ArgumentParser:
    """The whole command line: the app's flags, then a subcommand per module of COMMANDS."""
    parser = argparse.ArgumentParser(
        prog="e2b-workbench",
        description="A terminal workbench for the E2B code interpreter. "
        "With no command it opens the app: on E2B cloud when E2B_API_KEY is set, on the local runtime otherwise.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    app.add_arguments(parser)
    commands = parser.add_subparsers(dest="command")
    for command in COMMANDS:
        command.add_parser(commands)
    return parser


def main(argv: list[str] | None = None) -> None:
    """Parse the command line, run the command, exit with its code."""
    args = build_parser().parse_args(argv)
    if args.command is None:
        sys.exit(app.main(args))
    code = args.main(args)
    if args.exit_at_once:
        exit_at_once(code)
    sys.exit(code)
