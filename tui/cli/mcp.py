"""`e2b-workbench mcp`: a Model Context Protocol server over stdio, until the client closes
stdin. The server itself (its tools, the sandbox behind it) is `tui.core.mcp`."""

from __future__ import annotations

import argparse

from .process import EXIT_USAGE, say
from .tool import add_run_arguments, isolation_refusal, tool_limits


def add_parser(commands: argparse._SubParsersAction) -> None:
    mcp = commands.add_parser("mcp", help="a Model Context Protocol server over stdio")
    add_run_arguments(mcp)
    mcp.set_defaults(main=main, exit_at_once=True)


def main(args: argparse.Namespace) -> int:
    """Serve run_code and context management to an agent client over stdio; refused (exit 2)
    when the isolation its model-written code runs in by default cannot be had here."""
    from ..core.mcp import serve_stdio
    from ..core.target import target_from_args

    target = target_from_args(args, isolate_default=True)
    refusal = isolation_refusal(target)
    if refusal:
        say(refusal)
        return EXIT_USAGE
    return serve_stdio(target, tool_limits(args))
