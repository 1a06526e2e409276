"""The `run_code` tool an LLM calls: a model sends one `code` string and an optional
`language`, the program runs it in a sandbox and sends back the JSON result.

One job per module, in the order a call goes through them:
- `names`: the tool's name, the other names models call it by, where the code is;
- `schema`: the definition LLM APIs take (OpenAI, Anthropic, JSON Schema);
- `calls`: reading calls from every shape they arrive in (and code blocks of a reply);
- `validate`: checking a call's name, arguments and language;
- `execute`: running calls through the SDK, sync and async;
- `result`: the result JSON (clipped, cleaned, images saved) and the reply messages.

The public API is re-exported here: `from tui.core.tool import execute_tool_call`.
"""

from .calls import ToolCall, ToolInputError, calls_from_markdown, calls_in, parse_tool_calls, read_calls
from .execute import aexecute_tool_call, aexecute_tool_calls, execute_tool_call, execute_tool_calls
from .names import TOOL_NAME, check_tool_name
from .result import REPLY_FORMATS, ToolLimits, invalid_result, is_error, tool_reply
from .schema import SCHEMA_FORMATS, TOOL_DESCRIPTION, input_schema, languages_for, tool_definition
from .validate import InvalidArguments, ValidCall, normalize_tool_language, validate_call

__all__ = [
    "REPLY_FORMATS",
    "SCHEMA_FORMATS",
    "TOOL_DESCRIPTION",
    "TOOL_NAME",
    "InvalidArguments",
    "ToolCall",
    "ToolInputError",
    "ToolLimits",
    "ValidCall",
    "aexecute_tool_call",
    "aexecute_tool_calls",
    "calls_from_markdown",
    "calls_in",
    "check_tool_name",
    "execute_tool_call",
    "execute_tool_calls",
    "input_schema",
    "invalid_result",
    "is_error",
    "languages_for",
    "normalize_tool_language",
    "parse_tool_calls",
    "read_calls",
    "tool_definition",
    "tool_reply",
    "validate_call",
]
