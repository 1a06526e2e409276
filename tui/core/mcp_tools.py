"""The MCP server's tools beside run_code: write, read and list files, run a command.

E2B's own MCP server offers one stateless tool; these move data in and out of the same
sandbox run_code uses, through the SDK's `sandbox.files` and `sandbox.commands` (so they
work alike on the local runtime and E2B cloud). Each tool takes JSON arguments and gives
back JSON; a call that cannot be served raises `ToolRefused` with what to do instead.

What goes back to a model is bounded: a file read returns at most `max_result_chars`
characters (text) or bytes (base64), a command's stdout and stderr at most
`max_output_chars` each, cut in the middle with a marker (the full output is kept in a
file, as run_code's is). Command output reads as a terminal would show it (`clean`).
"""

from __future__ import annotations

import base64
import binascii
import time
from typing import Any

from e2b.exceptions import NotFoundException, TimeoutException
from e2b.sandbox.commands.command_handle import CommandExitException
from e2b.sandbox.filesystem.filesystem import FileType

from ..common.terminal import clean
from .errors import WorkbenchError
from .tool.result import Clipper, ToolLimits, new_run_id

DEFAULT_COMMAND_TIMEOUT = 300.0


class ToolRefused(WorkbenchError):
    """A file or command tool call that could not be served, and why."""

    title = "Tool"


def _schema(properties: dict[str, Any], required: list[str]) -> dict[str, Any]:
    return {"type": "object", "properties": properties, "required": required}


PATH = {
    "type": "string",
    "description": "A path in the sandbox; a relative one starts at the sandbox user's home, which is "
    "also run_code's working directory.",
}

TOOLS: dict[str, tuple[str, dict[str, Any]]] = {
    "write_file": (
        "Write a file in the sandbox (created with its folders, or replaced), e.g. data for run_code to read.",
        _schema(
            {
                "path": PATH,
                "content": {"type": "string", "description": "The file's content."},
                "encoding": {
                    "type": "string",
                    "enum": ["utf-8", "base64"],
                    "description": "How `content` is given: text (default) or base64 for binary data.",
                },
            },
            ["path", "content"],
        ),
    ),
    "read_file": (
        "Read a file of the sandbox, e.g. one run_code wrote: text as it is, binary data as base64. "
        "Long files are cut in the middle.",
        _schema(
            {
                "path": PATH,
                "encoding": {
                    "type": "string",
                    "enum": ["utf-8", "base64"],
                    "description": "utf-8 (default; binary files come back as base64 anyway) or base64.",
                },
            },
            ["path"],
        ),
    ),
    "list_files": (
        "List a folder of the sandbox: name, path, type (file or dir), size and modification time.",
        _schema(
            {
                "path": {**PATH, "description": PATH["description"] + " Default: the home."},
                "depth": {"type": "integer", "minimum": 1, "description": "Levels to list (default 1)."},
            },
            [],
        ),
    ),
    "run_command": (
        "Run a shell command in the sandbox (bash -l -c), e.g. `pip install x`, `ls -la`, `git clone`; "
        "returns its exit code, stdout and stderr.",
        _schema(
            {
                "command": {"type": "string", "description": "The command line."},
                "cwd": {"type": "string", "description": "Its working directory (default: the home)."},
                "envs": {
                    "type": "object",
                    "additionalProperties": {"type": "string"},
                    "description": "Extra environment variables.",
                },
                "timeout": {
                    "type": "number",
                    "minimum": 0,
                    "description": "Seconds before the command is killed (default 300; 0: no limit).",
                },
            },
            ["command"],
        ),
    ),
}


def _text(arguments: dict[str, Any], name: str, required: bool = True) -> str:
    value = arguments.get(name)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value):
        raise ToolRefused(f"`{name}` must be a non-empty string.")
    return value


def _encoding(arguments: dict[str, Any]) -> str:
    encoding = arguments.get("encoding") or "utf-8"
    if encoding not in ("utf-8", "base64"):
        raise ToolRefused(f"`encoding` is utf-8 or base64, not {encoding!r}.")
    return encoding


async def call(sandbox: Any, name: str, arguments: dict[str, Any], limits: ToolLimits) -> dict[str, Any]:
    """Serve tool `name` (one of TOOLS) on `sandbox`; ToolRefused says why it could not."""
    try:
        if name == "write_file":
            return await write_file(sandbox, arguments)
        if name == "read_file":
            return await read_file(sandbox, arguments, limits)
        if name == "list_files":
            return await list_files(sandbox, arguments)
        if name == "run_command":
            return await run_command(sandbox, arguments, limits)
    except NotFoundException:
        raise ToolRefused(
            f"No such file or folder in the sandbox: {arguments.get('path') or arguments.get('cwd')}."
        ) from None
    raise ToolRefused(f"Unknown tool {name!r}.")


async def write_file(sandbox: Any, arguments: dict[str, Any]) -> dict[str, Any]:
    path = _text(arguments, "path")
    content = arguments.get("content")
    if not isinstance(content, str):
        raise ToolRefused("`content` must be a string (base64 with encoding base64 for binary data).")
    data: str | bytes = content
    if _encoding(arguments) == "base64":
        try:
            data = base64.b64decode(content, validate=True)
        except (binascii.Error, ValueError) as err:
            raise ToolRefused(f"`content` is not valid base64: {err}.") from None
    info = await sandbox.files.write(path, data)
    size = len(data.encode("utf-8")) if isinstance(data, str) else len(data)
    return {"path": info.path, "size": size}


async def read_file(sandbox: Any, arguments: dict[str, Any], limits: ToolLimits) -> dict[str, Any]:
    path = _text(arguments, "path")
    wanted = _encoding(arguments)
    entry = await sandbox.files.get_info(path)
    if entry.type == FileType.DIR:
        raise ToolRefused(f"{path} is a folder: list_files shows what it holds.")
    limit = limits.max_result_chars or entry.size
    head = bytearray()
    async for chunk in await sandbox.files.read(path, format="stream"):
        head += chunk
        if len(head) > limit + 4:  # enough to know the file is longer (and to end a UTF-8 character)
            break
    cut = len(head) > limit or entry.size > len(head)
    result: dict[str, Any] = {"path": entry.path, "size": entry.size}
    text = None
    if wanted == "utf-8":
        try:
            text = bytes(head).decode("utf-8")
        except UnicodeDecodeError as err:
            # a cut may end inside a character: that alone does not make the file binary
            if cut and err.start >= len(head) - 4:
                text = bytes(head[: err.start]).decode("utf-8", errors="strict")
    if text is not None:
        result["encoding"] = "utf-8"
        result["content"] = text[:limit]
    else:
        result["encoding"] = "base64"
        result["content"] = base64.b64encode(bytes(head[:limit])).decode("ascii")
    if cut:
        shown = min(limit, len(head))
        result["truncated"] = True
        result["note"] = (
            f"Only the first {shown} of {entry.size} bytes: run_code or run_command can read the rest "
            "(e.g. a slice, or `tail`)."
        )
    return result


async def list_files(sandbox: Any, arguments: dict[str, Any]) -> dict[str, Any]:
    path = _text(arguments, "path", required=False) or "."
    depth = arguments.get("depth") or 1
    if not isinstance(depth, int) or isinstance(depth, bool) or depth < 1:
        raise ToolRefused("`depth` must be a whole number, 1 or more.")
    folder = await sandbox.files.get_info(path)
    if folder.type != FileType.DIR:
        raise ToolRefused(f"{path} is a file, not a folder: read_file reads it.")
    entries = await sandbox.files.list(path, depth=depth)
    return {
        "path": folder.path,
        "entries": [
            {
                "name": e.name,
                "path": e.path,
                "type": "dir" if e.type == FileType.DIR else "file",
                "size": e.size,
                "modified": e.modified_time.isoformat() if e.modified_time else None,
            }
            for e in entries
        ],
    }


async def run_command(sandbox: Any, arguments: dict[str, Any], limits: ToolLimits) -> dict[str, Any]:
    command = _text(arguments, "command")
    cwd = _text(arguments, "cwd", required=False) or None
    envs = arguments.get("envs") or None
    if envs is not None and (
        not isinstance(envs, dict) or not all(isinstance(v, str) for v in envs.values())
    ):
        raise ToolRefused("`envs` must map names to string values.")
    timeout = arguments.get("timeout")
    if timeout is None:
        timeout = DEFAULT_COMMAND_TIMEOUT if limits.timeout is None else limits.timeout
    if not isinstance(timeout, (int, float)) or isinstance(timeout, bool) or timeout < 0:
        raise ToolRefused("`timeout` must be a number of seconds, 0 or more.")
    stdout: list[str] = []
    stderr: list[str] = []
    started = time.monotonic()
    status: str = "ok"
    exit_code: int | None = 0
    error: str | None = None
    try:
        await sandbox.commands.run(
            command,
            cwd=cwd,
            envs=envs,
            timeout=timeout,
            on_stdout=stdout.append,
            on_stderr=stderr.append,
        )
    except CommandExitException as err:
        status, exit_code = "error", err.exit_code
        error = err.error or None
    except TimeoutException:
        status, exit_code = "timeout", None
        error = f"The command was killed after {timeout:g} s."
    warnings: list[str] = []
    clipper = Clipper(limits, new_run_id(), warnings)
    result: dict[str, Any] = {
        "status": status,
        "exit_code": exit_code,
        "stdout": clipper.clip(clean("".join(stdout)), "stdout", limits.max_output_chars),
        "stderr": clipper.clip(clean("".join(stderr)), "stderr", limits.max_output_chars),
        "error": error,
        "duration_s": round(time.monotonic() - started, 3),
    }
    if clipper.truncated:
        result["truncated"] = clipper.truncated
    if warnings:
        result["warnings"] = warnings
    return result
