"""Checking one call before it runs: its tool name, its arguments, its language.

Nothing a model sends is refused that can be understood: unknown argument keys are
ignored and named in a warning (models add stray keys), and language aliases (`py`,
`js`, `node`, `sh`...: the registry's, `tui.common.languages`) are mapped with a warning.
What cannot be understood raises InvalidArguments, whose message is written for the model.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ...common import languages as registry
from .calls import ToolCall, a_json_type
from .schema import TOOL_NAME, default_language


class InvalidArguments(ValueError):
    """A call the tool cannot run; the message is meant for the model."""


@dataclass
class ValidCall:
    """A call that passed validation: the code to run, its runtime language, what to tell the model."""

    code: str
    language: str
    id: str | None
    warnings: list[str]


def normalize_tool_language(value: Any, languages: Sequence[str], warnings: list[str]) -> str:
    """The runtime language a model asked for; InvalidArguments when there is none such here.

    A name or alias of the registry, or a code fence's tag (`pycon`, `tsx`), is accepted;
    any other spelling than the canonical name adds a warning.
    """
    if value is None or value == "":
        return default_language(languages)
    if not isinstance(value, str):
        raise InvalidArguments(f"`language` must be a string, got {a_json_type(value)}.")
    language = registry.for_fence_tag(value)
    if language is None:
        raise InvalidArguments(f"Unknown language {value!r}: use one of {', '.join(languages)}.")
    if language != value:
        warnings.append(f"language {value!r} was taken as {language!r}.")
    if language not in languages:
        raise InvalidArguments(
            f"{language} is not available in this sandbox: use one of {', '.join(languages)}."
        )
    return language


def _arguments(raw: Any) -> dict[str, Any]:
    """A call's arguments as an object (they may arrive as a JSON string, or be missing)."""
    if isinstance(raw, (str, bytes)):
        if not raw.strip():
            return {}
        try:
            raw = json.loads(raw)
        except json.JSONDecodeError as err:
            raise InvalidArguments(f"The arguments are not valid JSON: {err}.") from err
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise InvalidArguments(
            f"The arguments must be a JSON object with a `code` string, got {a_json_type(raw)}."
        )
    return raw


def validate_call(call: ToolCall, languages: Sequence[str] | None = None) -> ValidCall:
    """Check a call's name and arguments; InvalidArguments says what is wrong.

    `languages` are the ones the sandbox offers (default: all six).
    """
    languages = list(registry.NAMES if languages is None else languages)
    if not call.name:
        raise InvalidArguments(f"The call names no tool: call {TOOL_NAME!r}.")
    if call.name != TOOL_NAME:
        raise InvalidArguments(f"Unknown tool {call.name!r}: the only tool here is {TOOL_NAME!r}.")
    arguments = _arguments(call.arguments)
    if "code" not in arguments:
        raise InvalidArguments("Missing the required argument `code` (the code to run).")
    warnings = list(call.warnings)
    code = arguments["code"]
    if not isinstance(code, str):
        raise InvalidArguments(f"`code` must be a string, got {a_json_type(code)}.")
    if not code.strip():
        raise InvalidArguments("`code` is empty: there is nothing to run.")
    language = normalize_tool_language(arguments.get("language"), languages, warnings)
    extra = sorted(str(key) for key in arguments if key not in ("code", "language"))
    if extra:
        warnings.append(f"Ignored unknown argument{'s' if len(extra) > 1 else ''}: {', '.join(extra)}.")
    return ValidCall(code, language, call.id, warnings)
