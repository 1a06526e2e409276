"""The tool's definition as LLM APIs take it: an OpenAI function tool, an Anthropic tool, or
plain JSON Schema, with the languages of the sandbox it runs on as the `language` enum."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ...common.languages import NAMES as ALL_LANGUAGES
from .names import TOOL_NAME, default_language

SCHEMA_FORMATS = ("openai", "anthropic", "json")

TOOL_DESCRIPTION = (
    "Run code in a stateful sandbox and get back what it printed and returned. Each language keeps "
    "its own session, like a notebook: variables, imports, functions and files persist between calls. "
    "The value of the last expression is returned as the result (as in a Jupyter cell); print anything "
    "else you want to see. Charts and images are saved to files and you get their paths and a summary, "
    "not the pixels. The result is JSON with: status (ok, error, timeout, failed, invalid), stdout, "
    "stderr, text (the main result), results, error (name, value, traceback), execution_count and "
    "duration_s. Long output is truncated in the middle."
)
CODE_DESCRIPTION = (
    "The code to run: one or more complete statements. The last expression's value is returned as "
    "the result. There is no stdin: do not call input()."
)
LANGUAGE_DESCRIPTION = "The language of the code (default: {default}). Each language has its own state."


def languages_for(mode: str) -> list[str]:
    """The languages a tool definition offers: what is installed here (local) or all six (cloud)."""
    if mode == "local":
        from ...runtime.languages import available_languages

        return available_languages()
    return list(ALL_LANGUAGES)


def input_schema(languages: Sequence[str] | None = None, tool_name: str = TOOL_NAME) -> dict[str, Any]:
    """The JSON Schema of the tool's arguments: `code` (required) and `language` (an enum whose
    default is python, or the language the tool's name says)."""
    offered = list(ALL_LANGUAGES if languages is None else languages)
    default = default_language(offered, tool_name)
    return {
        "type": "object",
        "properties": {
            "code": {"type": "string", "description": CODE_DESCRIPTION},
            "language": {
                "type": "string",
                "enum": offered,
                "default": default,
                "description": LANGUAGE_DESCRIPTION.format(default=default),
            },
        },
        "required": ["code"],
        "additionalProperties": False,
    }


def tool_definition(
    fmt: str = "openai", languages: Sequence[str] | None = None, tool_name: str = TOOL_NAME
) -> dict[str, Any]:
    """The tool as an LLM API takes it: `openai` (function tool), `anthropic`, or plain `json`
    Schema, named `tool_name` (the name calls must then use)."""
    schema = input_schema(languages, tool_name)
    if fmt == "openai":
        return {
            "type": "function",
            "function": {"name": tool_name, "description": TOOL_DESCRIPTION, "parameters": schema},
        }
    if fmt == "anthropic":
        return {"name": tool_name, "description": TOOL_DESCRIPTION, "input_schema": schema}
    if fmt == "json":
        return {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "title": tool_name,
            "description": TOOL_DESCRIPTION,
            **schema,
        }
    raise ValueError(f"Unknown schema format {fmt!r}: use one of {', '.join(SCHEMA_FORMATS)}.")
