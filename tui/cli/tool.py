"""`e2b-workbench tool schema|call`: the run_code tool for LLMs, from the shell.

`tool schema` prints the definition (OpenAI, Anthropic or JSON Schema; `--name` renames
the tool); `tool call` reads tool calls (or, with `--from-markdown`, a model's reply) from
stdin, runs them in order in one sandbox and prints the results. Exit 0 whenever results
were printed, even if the code raised; 2 for unusable input; 141 when stdout's reader went
away. The flags shared with `mcp` (limits, output folder, where code runs) are here too.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..core.flags import add_target_arguments
from .process import EXIT_USAGE, print_json, run_async, say

if TYPE_CHECKING:
    from ..core.tool import ToolLimits


def add_parser(commands: argparse._SubParsersAction) -> None:
    tool = commands.add_parser(
        "tool", help="the run_code tool for LLMs: print its definition, run tool calls"
    )
    actions = tool.add_subparsers(dest="tool_command", required=True)
    schema = actions.add_parser("schema", help="print the run_code tool definition as JSON")
    schema.add_argument(
        "--format",
        choices=("openai", "anthropic", "json"),
        default="openai",
        help="an OpenAI function tool, an Anthropic tool, or plain JSON Schema (default openai)",
    )
    add_name_argument(schema)
    add_target_arguments(schema)  # the language enum: what is installed (local) or all six (cloud)
    call = actions.add_parser(
        "call",
        help="run the tool call(s) read as JSON from stdin; print the result JSON "
        "(exit 0 when results were produced, even if the code raised; 2 for unusable input)",
    )
    call.add_argument(
        "--from-markdown", action="store_true", help="stdin is a model's reply: run its fenced code blocks"
    )
    call.add_argument(
        "--default-language", default="python", help="language of untagged code blocks (default python)"
    )
    call.add_argument(
        "--reply",
        choices=("result", "openai", "anthropic"),
        default="result",
        help="print the bare results (default), or the messages that carry them back to the model",
    )
    add_name_argument(call)
    add_run_arguments(call)
    tool.set_defaults(main=main, exit_at_once=True)


def add_name_argument(parser: argparse.ArgumentParser) -> None:
    """`--name`: what the tool is called in its definition, and in the calls it answers."""
    parser.add_argument(
        "--name",
        type=_tool_name,
        default=None,
        help="the tool's name (default run_code); calls under other code-tool names "
        "(execute_python, code_interpreter...) are accepted too, with a warning",
    )


def add_run_arguments(parser: argparse.ArgumentParser) -> None:
    """The flags of commands that run tool calls (`tool call`, `mcp`): limits, folders, target."""
    parser.add_argument(
        "--output-dir",
        default=None,
        help="where images and full outputs go (default: the user cache dir)",
    )
    parser.add_argument(
        "--timeout",
        type=non_negative(float),
        default=None,
        help="seconds per run (default 300; 0 = no limit)",
    )
    parser.add_argument(
        "--max-output-chars",
        type=non_negative(int),
        default=20_000,
        help="stdout/stderr kept in a result (default 20000)",
    )
    parser.add_argument(
        "--max-result-chars",
        type=non_negative(int),
        default=10_000,
        help="text kept per result field (default 10000)",
    )
    parser.add_argument("--cwd", default=None, help="local: the contexts' working directory")
    add_target_arguments(parser)


def non_negative(kind: type) -> Callable[[str], Any]:
    """An argparse type: a number of `kind` that is 0 or more."""

    def parse(text: str) -> Any:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
        if value < 0:
            raise argparse.ArgumentTypeError(f"must be 0 or more, got {text}")
        return value

    return parse


def _tool_name(text: str) -> str:
    """An argparse type: a name LLM APIs accept for a tool."""
    from ..core.tool.names import check_tool_name

    try:
        return check_tool_name(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err)) from None


def tool_limits(args: argparse.Namespace) -> ToolLimits:
    """The limits the run flags ask for."""
    from ..core.tool import ToolLimits

    return ToolLimits(
        max_output_chars=args.max_output_chars,
        max_result_chars=args.max_result_chars,
        output_dir=Path(args.output_dir) if args.output_dir else None,
        timeout=args.timeout,
    )


def isolation_refusal(target: Any) -> str:
    """Why code cannot run where `target` says (isolation asked for and not to be had), or ''.
    A runtime already running (`--url`, E2B_SANDBOX_URL) must say it is isolated itself."""
    from ..core.target import IsolationUnavailable, isolation_problem, runtime_isolated

    if target.cloud or not target.isolate:
        return ""
    if target.url:
        if runtime_isolated(target.url):
            return ""
        shown = target.url.rsplit("/", 1)[0] + "/…"  # the secret stays unsaid
        return (
            f"the runtime at {shown} is not isolated, and isolation was asked for (the default for "
            "code a model wrote). Start it with `e2b-workbench serve --isolate`, leave out --url "
            "(and E2B_SANDBOX_URL) to start an isolated one, or run without isolation with --no-isolate."
        )
    problem = isolation_problem()
    return str(IsolationUnavailable(problem)) if problem else ""


def _read_stdin_text() -> str:
    """stdin as text: UTF-8 (a byte-order mark is dropped); ToolInputError if it is not."""
    from ..core.tool import ToolInputError

    data = sys.stdin.buffer.read()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise ToolInputError(
            f"stdin is not UTF-8 text (byte 0x{data[err.start]:02x} at offset {err.start})."
        ) from None


def main(args: argparse.Namespace) -> int:
    """`tool schema` prints the definition; `tool call` runs calls from stdin and prints results."""
    import json

    from ..core.target import open_async_sandbox, target_from_args
    from ..core.tool import (
        TOOL_NAME,
        ToolInputError,
        aexecute_tool_calls,
        calls_in,
        languages_for,
        read_calls,
        tool_definition,
        tool_reply,
    )

    # code a model wrote: isolated by default, and never run unisolated unless --no-isolate says so
    target = target_from_args(args, isolate_default=True)
    languages = languages_for(target.mode)
    tool_name = args.name or TOOL_NAME
    if args.tool_command == "schema":
        return print_json(tool_definition(args.format, languages, tool_name))
    refusal = isolation_refusal(target)
    if refusal:
        say(refusal)
        return EXIT_USAGE
    try:
        text = _read_stdin_text()
        if args.from_markdown:  # a reply: its tool calls if it is JSON that holds some, else its blocks
            calls, found = read_calls(text, args.default_language or None)
            single = found == "tool calls" and isinstance(json.loads(text), dict) and len(calls) == 1
        else:
            if not text.strip():
                raise ToolInputError("Nothing on stdin: pipe a tool call or its arguments as JSON.")
            payload = json.loads(text)
            calls = calls_in(payload)
            single = isinstance(payload, dict) and len(calls) == 1
            if not calls:
                raise ToolInputError(
                    "No tool call in the input (for a model's reply with code blocks, use --from-markdown)."
                )
    except json.JSONDecodeError as err:
        say(f"the input is not JSON ({err}); for a model's reply use --from-markdown.")
        return EXIT_USAGE
    except ToolInputError as err:
        say(str(err))
        return EXIT_USAGE

    async def run_calls() -> list[dict]:
        # async: its timeouts fire on time (the sync SDK's fire late, see tui.core.deadline)
        async with open_async_sandbox(target) as sandbox:
            return await aexecute_tool_calls(
                sandbox, calls, languages=languages, limits=tool_limits(args), tool_name=tool_name
            )

    results, failed = run_async(run_calls())
    if results is None:
        return failed
    replies = [tool_reply(result, args.reply) for result in results]
    return print_json(replies[0] if single else replies)
