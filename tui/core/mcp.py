"""The Model Context Protocol server behind `e2b-workbench mcp` (`tui.cli.mcp`), over stdio.

Tools: `run_code` (the same structured JSON result as `tui.core.tool`), context
management (`create_context`, `list_contexts`, `restart_context`, `remove_context`), and
files and commands in the same sandbox (`write_file`, `read_file`, `list_files`,
`run_command`: `tui.core.mcp_tools`).
The sandbox (local runtime or E2B cloud, from a `Target`) is opened on first use and
closed when the client closes stdin: the local runtime and every kernel stop with it.
stdout is the protocol; logs go to stderr.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import sys
from collections.abc import AsyncIterator
from typing import Any

import anyio
import mcp_types as types
from e2b.exceptions import NotFoundException
from e2b_code_interpreter import AsyncSandbox
from e2b_code_interpreter.models import Context
from mcp.server.lowlevel import Server
from mcp.server.stdio import stdio_server

from .. import __version__
from . import mcp_tools
from .errors import explain
from .target import Target, TargetError, open_async_sandbox
from .tool import (
    TOOL_DESCRIPTION,
    TOOL_NAME,
    InvalidArguments,
    ToolCall,
    ToolLimits,
    aexecute_tool_call,
    input_schema,
    invalid_result,
    is_error,
    languages_for,
    normalize_tool_language,
)

log = logging.getLogger("e2b-workbench.mcp")

INSTRUCTIONS = (
    "Runs code in stateful sandboxes (python, javascript, typescript, r, java, bash). run_code runs in "
    "the language's default context unless given a context_id from create_context; state persists "
    "between calls in a context. Images are saved to files and referenced by path. write_file, read_file "
    "and list_files move data in and out of the same sandbox (relative paths start in run_code's working "
    "directory); run_command runs a shell command there (pip install, ls, git...)."
)


class Workbench:
    """The sandbox behind the server, opened on first use and closed at shutdown."""

    def __init__(self, target: Target, limits: ToolLimits):
        self.target = target
        self.limits = limits
        self.languages = languages_for(target.mode)
        self._sandbox: AsyncSandbox | None = None
        self._stack = contextlib.AsyncExitStack()
        self._lock = asyncio.Lock()

    async def sandbox(self) -> AsyncSandbox:
        """The sandbox, opened on the first call (TargetError if it cannot be)."""
        async with self._lock:
            if self._sandbox is None:
                log.info("opening the %s sandbox", self.target.mode)
                self._sandbox = await self._stack.enter_async_context(open_async_sandbox(self.target))
            return self._sandbox

    async def close(self) -> None:
        """Close the sandbox: the local runtime and its kernels stop, a cloud sandbox is killed."""
        log.info("shutting down")
        await self._stack.aclose()
        self._sandbox = None

    # -- tools ----------------------------------------------------------------------

    def tools(self) -> list[types.Tool]:
        """The tools offered: run_code (with `context_id`) and the context management ones."""
        run_schema = input_schema(self.languages)
        run_schema["properties"]["context_id"] = {
            "type": "string",
            "description": "Run in this context (from create_context or list_contexts) instead of the "
            "language's default one.",
        }
        language = {"type": "string", "enum": self.languages, "description": "The context's language."}
        context_id = {"type": "string", "description": "The context's id."}

        def schema(properties: dict[str, Any], required: list[str]) -> dict[str, Any]:
            return {"type": "object", "properties": properties, "required": required}

        return [
            types.Tool(name=TOOL_NAME, description=TOOL_DESCRIPTION, input_schema=run_schema),
            types.Tool(
                name="create_context",
                description="Start a new context (its own kernel and state) for a language; returns its id.",
                input_schema=schema(
                    {
                        "language": language,
                        "cwd": {"type": "string", "description": "Its working directory (optional)."},
                    },
                    ["language"],
                ),
            ),
            types.Tool(
                name="list_contexts",
                description="List the contexts of the sandbox: id, language, cwd.",
                input_schema=schema({}, []),
            ),
            types.Tool(
                name="restart_context",
                description="Restart a context: fresh state, same id and working directory.",
                input_schema=schema({"id": context_id}, ["id"]),
            ),
            types.Tool(
                name="remove_context",
                description="Remove a context and stop its kernel.",
                input_schema=schema({"id": context_id}, ["id"]),
            ),
            *(
                types.Tool(name=name, description=description, input_schema=tool_schema)
                for name, (description, tool_schema) in mcp_tools.TOOLS.items()
            ),
        ]

    async def call(self, name: str, arguments: dict[str, Any]) -> dict[str, Any]:
        """A tool's JSON result; raises ToolFailure with a message for the client."""
        if name == TOOL_NAME:
            return await self.run_code(arguments)
        sandbox = await self.sandbox()
        if name in mcp_tools.TOOLS:
            try:
                return await mcp_tools.call(sandbox, name, arguments, self.limits)
            except mcp_tools.ToolRefused as err:
                raise ToolFailure(str(err)) from None
        if name == "create_context":
            if not arguments.get("language"):
                raise ToolFailure(f"Missing the `language`: one of {', '.join(self.languages)}.")
            try:
                language = normalize_tool_language(arguments["language"], self.languages, [])
            except InvalidArguments as err:
                raise ToolFailure(str(err)) from None
            cwd = arguments.get("cwd") or None
            ctx = await sandbox.create_code_context(cwd=cwd, language=language, request_timeout=180)
            return _context_json(ctx)
        if name == "list_contexts":
            return {"contexts": [_context_json(ctx) for ctx in await sandbox.list_code_contexts()]}
        if name in ("restart_context", "remove_context"):
            context_id = arguments.get("id")
            if not isinstance(context_id, str) or not context_id:
                raise ToolFailure("Missing the context `id` (see list_contexts).")
            try:
                if name == "restart_context":
                    await sandbox.restart_code_context(context_id)
                    return {"id": context_id, "restarted": True}
                await sandbox.remove_code_context(context_id)
                return {"id": context_id, "removed": True}
            except NotFoundException:
                raise ToolFailure(_no_context(context_id)) from None
        raise ToolFailure(f"Unknown tool {name!r}.")

    async def run_code(self, arguments: dict[str, Any]) -> dict[str, Any]:
        """run_code's result JSON; with a `context_id`, in that context (its language must agree)."""
        arguments = dict(arguments)
        context_id = arguments.pop("context_id", None)
        call = ToolCall(arguments)
        sandbox = await self.sandbox()
        context = None
        if context_id:
            found = {ctx.id: ctx for ctx in await sandbox.list_code_contexts()}.get(str(context_id))
            if found is None:
                return invalid_result(call, _no_context(context_id))
            asked = arguments.get("language")
            if asked:
                try:
                    asked = normalize_tool_language(asked, self.languages, call.warnings)
                except InvalidArguments as err:
                    return invalid_result(call, str(err))
                if asked != found.language:
                    return invalid_result(call, f"Context {context_id!r} runs {found.language}, not {asked}.")
            arguments["language"] = found.language
            context = Context(found.id, found.language, found.cwd)
        return await aexecute_tool_call(
            sandbox, call, languages=self.languages, limits=self.limits, context=context
        )


class ToolFailure(Exception):
    """A tool call that could not be served; the message goes to the client as an error result."""


def _no_context(context_id: Any) -> str:
    return f"No context {context_id!r}: list_contexts shows the ones there are."


def _context_json(ctx: Context) -> dict[str, str]:
    return {"id": ctx.id, "language": ctx.language, "cwd": ctx.cwd}


def _tool_result(payload: dict[str, Any], error: bool) -> types.CallToolResult:
    text = json.dumps(payload, ensure_ascii=False, indent=2)
    return types.CallToolResult(
        content=[types.TextContent(type="text", text=text)], structured_content=payload, is_error=error
    )


def build_server(workbench: Workbench) -> Server:
    """The MCP server: tools listed and called on `workbench`, closed with the server."""

    @contextlib.asynccontextmanager
    async def lifespan(_server: Server) -> AsyncIterator[dict[str, Any]]:
        try:
            yield {}
        finally:
            with anyio.CancelScope(shield=True):
                await workbench.close()

    async def list_tools(_ctx: Any, _params: Any) -> types.ListToolsResult:
        return types.ListToolsResult(tools=workbench.tools())

    async def call_tool(_ctx: Any, params: types.CallToolRequestParams) -> types.CallToolResult:
        try:
            result = await workbench.call(params.name, dict(params.arguments or {}))
        except (ToolFailure, TargetError) as err:
            return _tool_result({"error": str(err)}, True)
        except Exception as err:  # an SDK or network failure, said in a sentence
            log.warning("tool %s failed: %s", params.name, err)
            return _tool_result({"error": str(explain(err))}, True)
        failed = (
            is_error(result) if params.name == TOOL_NAME else result.get("status") in ("error", "timeout")
        )
        return _tool_result(result, failed)

    return Server(
        "e2b-workbench",
        version=__version__,
        instructions=INSTRUCTIONS,
        lifespan=lifespan,
        on_list_tools=list_tools,
        on_call_tool=call_tool,
    )


async def _serve(target: Target, limits: ToolLimits) -> None:
    server = build_server(Workbench(target, limits))
    try:
        async with stdio_server() as (read_stream, write_stream):
            await server.run(read_stream, write_stream, server.create_initialization_options())
    except* (BrokenPipeError, ConnectionResetError):
        # the client went away while a reply was on its way: an end like any other
        log.info("the client closed the connection")
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # keep the exit flush quiet


def serve_stdio(target: Target, limits: ToolLimits) -> int:
    """Serve until the client closes stdin; 0 then (everything started here is stopped)."""
    logging.basicConfig(stream=sys.stderr, level=logging.WARNING, format="e2b-workbench mcp: %(message)s")
    log.setLevel(logging.INFO)
    try:
        anyio.run(_serve, target, limits)
    except KeyboardInterrupt:
        return 130
    return 0
