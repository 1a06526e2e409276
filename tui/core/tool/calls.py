"""Reading tool calls out of whatever a program or a person hands over.

Calls are accepted as bare arguments (`{"code": ..., "language": ...}`), OpenAI tool calls
(arguments as a JSON string or an object), OpenAI Responses `function_call` items,
Anthropic `tool_use` blocks, Llama-style `{"name", "parameters"}` calls, whole assistant
messages and completions, and lists of these. A reply with no tool call falls back to its
fenced code blocks (`tui.core.extract`), one call per runnable block. Nothing is checked
here beyond finding the calls: `validate` says what is wrong with one.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from ..extract import runnable_blocks
from .names import DEFAULT_LANGUAGE


class ToolInputError(ValueError):
    """Input that holds no tool call at all (not JSON, no call, no code block)."""


@dataclass
class ToolCall:
    """One call as a model made it; `arguments` is whatever arrived (object, JSON string...).

    `name` is the tool it names ("" when a call names none), or None for bare arguments and
    code blocks, which name no tool and need none.
    """

    arguments: Any
    name: str | None = None
    id: str | None = None
    source: str = "arguments"  # how it was found: "openai tool call", "code block 2 (line 5)"...
    warnings: list[str] = field(default_factory=list)


_CALL_TYPES = ("function", "tool_use", "function_call")
_ARGUMENT_KEYS = ("arguments", "input", "parameters")


def json_type(value: Any) -> str:
    """The JSON name of a parsed value's type: `null`, `boolean`, `number`, `string`..."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


def a_json_type(value: Any) -> str:
    """`a string`, `an array`, `null`: the type of a value, for messages."""
    kind = json_type(value)
    return kind if kind == "null" else f"{'an' if kind[0] in 'aeiou' else 'a'} {kind}"


def _call_id(value: Any) -> str | None:
    return None if value in (None, "") else str(value)


def calls_in(item: Any) -> list[ToolCall]:
    """The calls in parsed JSON (a call, its arguments, a message, or a list of them); [] when
    it holds none (a text-only message); ToolInputError when it is not an object or array."""
    if isinstance(item, list):
        return [call for element in item for call in calls_in(element)]
    if not isinstance(item, dict):
        raise ToolInputError(
            f"Expected a tool call, its arguments, or a list of them; got {a_json_type(item)}."
        )
    kind = item.get("type")
    if isinstance(item.get("choices"), list):  # an OpenAI chat completion
        return calls_in([c.get("message") for c in item["choices"] if isinstance(c, dict)])
    if isinstance(item.get("tool_calls"), list):  # an OpenAI assistant message
        return calls_in(item["tool_calls"])
    if kind == "tool_use":  # an Anthropic content block
        return [ToolCall(item.get("input"), str(item.get("name", "")), _call_id(item.get("id")), "tool_use")]
    if kind == "function_call":  # an OpenAI Responses output item
        call_id = _call_id(item.get("call_id")) or _call_id(item.get("id"))
        return [ToolCall(item.get("arguments"), str(item.get("name", "")), call_id, "function_call")]
    if isinstance(item.get("function"), dict):  # an OpenAI chat tool call
        function = item["function"]
        name = str(function.get("name", ""))
        return [ToolCall(function.get("arguments"), name, _call_id(item.get("id")), "openai tool call")]
    if "name" in item and any(key in item for key in _ARGUMENT_KEYS) and "code" not in item:
        # a bare function call: {"name", "arguments"}, or Llama's {"name", "parameters"}
        arguments = next(item[key] for key in _ARGUMENT_KEYS if key in item)
        return [ToolCall(arguments, str(item["name"]), _call_id(item.get("id")), "function call")]
    if "code" not in item and (isinstance(item.get("content"), list) or isinstance(item.get("output"), list)):
        # an Anthropic message, or an OpenAI Responses response: the calls among its blocks
        return calls_in(item.get("content") if isinstance(item.get("content"), list) else item["output"])
    if kind is not None and kind not in _CALL_TYPES and "code" not in item:
        return []  # a text, thinking or reasoning block: not a call
    if item.get("role") is not None and "code" not in item:
        return []  # a message without tool calls
    return [ToolCall(item)]


def _reply_text(item: Any) -> str:
    """The text of a model reply given as JSON (for code-block extraction when it has no calls)."""
    if isinstance(item, str):
        return item
    if isinstance(item, list):
        return "\n\n".join(text for element in item if (text := _reply_text(element)))
    if not isinstance(item, dict):
        return ""
    if isinstance(item.get("choices"), list):
        return _reply_text([c.get("message") for c in item["choices"] if isinstance(c, dict)])
    if item.get("type") in ("text", "output_text") and isinstance(item.get("text"), str):
        return item["text"]
    for key in ("content", "output"):
        if isinstance(item.get(key), (str, list)):
            return _reply_text(item[key])
    return ""


def parse_tool_calls(payload: Any) -> list[ToolCall]:
    """The calls in `payload` (a JSON string or parsed JSON); ToolInputError if it is not JSON."""
    if isinstance(payload, (str, bytes)):
        try:
            payload = json.loads(payload)
        except json.JSONDecodeError as err:
            raise ToolInputError(f"The input is not JSON: {err}.") from err
    return calls_in(payload)


def calls_from_markdown(markdown: str, default_language: str | None = DEFAULT_LANGUAGE) -> list[ToolCall]:
    """A call per runnable fenced block of a model's reply (the fallback when it made no tool call)."""
    calls = []
    for number, block in enumerate(runnable_blocks(markdown, default_language), 1):
        fence = f"```{block.tag}" if block.tag else "untagged"
        call = ToolCall(
            {"code": block.code, "language": block.language},
            source=f"code block {number} ({fence}, line {block.line})",
        )
        if not block.closed:
            call.warnings.append("The code block was not closed: the reply may have been cut off.")
        calls.append(call)
    return calls


def read_calls(text: str, default_language: str | None = DEFAULT_LANGUAGE) -> tuple[list[ToolCall], str]:
    """The calls in pasted text: tool calls when it is JSON that holds some, else the code
    blocks of the reply (markdown, or the text of a JSON message). Returns (calls, "tool calls"
    or "code blocks"); ToolInputError when there is nothing to run."""
    if not text.strip():
        raise ToolInputError("The input is empty.")
    markdown = text
    try:
        payload = json.loads(text)
    except json.JSONDecodeError:
        payload = None
    if isinstance(payload, (dict, list)):
        calls = calls_in(payload)
        if calls:
            return calls, "tool calls"
        markdown = _reply_text(payload)
    elif isinstance(payload, str):  # a reply given as a JSON string: its text is the reply
        markdown = payload
    calls = calls_from_markdown(markdown, default_language)
    if not calls:
        raise ToolInputError("No tool call and no runnable code block found in the input.")
    return calls, "code blocks"
