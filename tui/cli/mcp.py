"""`e2b-workbench mcp`: a Model Context Protocol server over stdio, until the client closes
stdin. The server itself (its tools, the sandbox behind it) is `tui.core.mcp`."""

from __future__ import annotations

import argparse

from .tool import add_run_arguments, tool_limits


def add_parser(commands: argparse._SubParsersAction) -> None:
    mcp = commands.add_parser("mcp", help="a Model Context Protocol server over stdio")
    add_run_arguments(mcp)
    mcp.set_defaults(main=main, exit_at_once=True)


def main(args: argparse.Namespace) -> int:
    """Serve run_code and context management to an agent client over stdio."""
    from ..core.mcp import serve_stdio
    from ..core.target import target_from_args

    return serve_stdio(target_from_args(args), tool_limits(args))
