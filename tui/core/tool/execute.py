"""Running tool calls through the SDK, on any `Sandbox` or `AsyncSandbox` (local runtime or
E2B cloud), one after the other in the same sandbox, so state carries over as it does for
a model. Nothing here raises for a bad call or a failed run: every problem becomes a
result (`status: "invalid"`, `"failed"`, `"timeout"`) the model can read and act on.

The async executor bounds each run itself (`tui.core.deadline`), so its timeout fires on
time; the sync one passes the timeout to the SDK, whose own fires late.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from typing import Any

from e2b_code_interpreter import AsyncSandbox, Sandbox
from e2b_code_interpreter.models import Context, Execution, ExecutionError, OutputMessage, Result

from ..deadline import run_code_within
from .calls import ToolCall, ToolInputError, parse_tool_calls
from .names import TOOL_NAME
from .result import RunOutput, ToolLimits, invalid_result, run_result
from .validate import InvalidArguments, ValidCall, validate_call


class _Run:
    """One execution in progress: collects what the SDK streams, then shapes the result."""

    def __init__(self, call: ValidCall, limits: ToolLimits):
        self.call = call
        self.limits = limits
        self.output = RunOutput()
        self.started = time.monotonic()

    def on_stdout(self, message: OutputMessage) -> None:
        self.output.stdout.append(message.line)

    def on_stderr(self, message: OutputMessage) -> None:
        self.output.stderr.append(message.line)

    def on_result(self, result: Result) -> None:
        self.output.results.append(result)

    def on_error(self, error: ExecutionError) -> None:
        self.output.error = error

    def kwargs(self, context: Context | None) -> dict[str, Any]:
        where: dict[str, Any] = (
            {"context": context} if context is not None else {"language": self.call.language}
        )
        return {
            **where,
            "on_stdout": self.on_stdout,
            "on_stderr": self.on_stderr,
            "on_result": self.on_result,
            "on_error": self.on_error,
            "timeout": self.limits.timeout,
        }

    def finish(self, execution: Execution | None, failure: BaseException | None = None) -> dict[str, Any]:
        return run_result(
            self.call,
            self.output,
            self.limits,
            execution_count=execution.execution_count if execution is not None else None,
            duration=time.monotonic() - self.started,
            failure=failure,
        )


def _prepare(
    call: ToolCall | Any, languages: Sequence[str] | None, tool_name: str
) -> ValidCall | dict[str, Any]:
    """A valid call, or the `invalid` result to send back instead."""
    if not isinstance(call, ToolCall):
        try:
            found = parse_tool_calls(call)
        except ToolInputError:
            found = [ToolCall(call)]  # validation says what is wrong with it
        if len(found) != 1:
            return invalid_result(None, f"Expected one tool call, got {len(found)}.")
        call = found[0]
    try:
        return validate_call(call, languages, tool_name)
    except InvalidArguments as err:
        return invalid_result(call, str(err))


def execute_tool_call(
    sandbox: Sandbox,
    call: ToolCall | dict[str, Any] | str,
    *,
    languages: Sequence[str] | None = None,
    limits: ToolLimits | None = None,
    context: Context | None = None,
    tool_name: str = TOOL_NAME,
) -> dict[str, Any]:
    """Run one tool call (a ToolCall, its arguments, or a call object, as a dict or a JSON
    string) and return the JSON-ready result; never raises for a bad call or a failed run.

    `languages` are the ones the call may ask for (default: all six); `context` runs the
    code in that context instead of the language's default one; `tool_name` is the name
    the tool was defined with. The timeout is the sync SDK's own, which fires late (see
    tui.core.deadline): `aexecute_tool_call` is exact.
    """
    prepared = _prepare(call, languages, tool_name)
    if isinstance(prepared, dict):
        return prepared
    run = _Run(prepared, limits or ToolLimits())
    try:
        execution = sandbox.run_code(prepared.code, **run.kwargs(context))
    except Exception as err:
        return run.finish(None, err)
    return run.finish(execution)


async def aexecute_tool_call(
    sandbox: AsyncSandbox,
    call: ToolCall | dict[str, Any] | str,
    *,
    languages: Sequence[str] | None = None,
    limits: ToolLimits | None = None,
    context: Context | None = None,
    tool_name: str = TOOL_NAME,
) -> dict[str, Any]:
    """`execute_tool_call` for an `AsyncSandbox`; its timeout fires on time (see tui.core.deadline)."""
    prepared = _prepare(call, languages, tool_name)
    if isinstance(prepared, dict):
        return prepared
    run = _Run(prepared, limits or ToolLimits())
    kwargs = run.kwargs(context)
    timeout = kwargs.pop("timeout")  # bounded here: the SDK's own timeout fires late (see deadline)
    try:
        execution = await run_code_within(sandbox, prepared.code, timeout, **kwargs)
    except Exception as err:
        return run.finish(None, err)
    return run.finish(execution)


def execute_tool_calls(
    sandbox: Sandbox,
    calls: Iterable[ToolCall],
    *,
    languages: Sequence[str] | None = None,
    limits: ToolLimits | None = None,
    tool_name: str = TOOL_NAME,
) -> list[dict[str, Any]]:
    """Run calls one after the other in the same sandbox (state carries over, as for a model)."""
    return [
        execute_tool_call(sandbox, call, languages=languages, limits=limits, tool_name=tool_name)
        for call in calls
    ]


async def aexecute_tool_calls(
    sandbox: AsyncSandbox,
    calls: Iterable[ToolCall],
    *,
    languages: Sequence[str] | None = None,
    limits: ToolLimits | None = None,
    tool_name: str = TOOL_NAME,
) -> list[dict[str, Any]]:
    """`execute_tool_calls` for an `AsyncSandbox` (timeouts fire on time)."""
    return [
        await aexecute_tool_call(sandbox, call, languages=languages, limits=limits, tool_name=tool_name)
        for call in calls
    ]
