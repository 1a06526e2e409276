"""Checking one call before it runs: its tool name, its arguments, its language.

Nothing a model sends is refused that can be understood: unknown argument keys are
ignored and named in a warning (models add stray keys), language aliases (`py`, `js`,
`node`, `sh`...: the registry's, `tui.common.languages`) are mapped with a warning, and
calls named as examples name code tools are taken as this one's (see `names`). What
cannot be understood raises InvalidArguments, whose message is written for the model.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ...common import languages as registry
from .calls import ToolCall, a_json_type
from .names import (
    CODE_ARGUMENT,
    TOOL_NAME,
    code_argument,
    default_language,
    language_in_name,
    reads_as_code_tool,
)


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


def validate_call(
    call: ToolCall, languages: Sequence[str] | None = None, tool_name: str = TOOL_NAME
) -> ValidCall:
    """Check a call's name and arguments; InvalidArguments says what is wrong.

    `languages` are the ones the sandbox offers (default: all six); `tool_name` is the name
    the tool was defined with. A call under another name that reads as a code tool, with
    code among its arguments, is taken as this tool's (with a warning).
    """
    languages = list(registry.NAMES if languages is None else languages)
    name = call.name
    unknown = f"Unknown tool {name!r}: the only tool here is {tool_name!r}"
    if name is not None and not name:
        raise InvalidArguments(f"The call names no tool: call {tool_name!r}.")
    renamed = name is not None and name != tool_name
    if name is not None and renamed and not reads_as_code_tool(name):
        raise InvalidArguments(f"{unknown}.")
    arguments = _arguments(call.arguments)
    try:
        key = code_argument(arguments)
    except ValueError as err:
        raise InvalidArguments(str(err)) from None
    if key is None:
        if renamed:  # a code-sounding name, but no code: not a call of this tool
            raise InvalidArguments(f"{unknown}, which takes the code as `{CODE_ARGUMENT}`.")
        raise InvalidArguments(f"Missing the required argument `{CODE_ARGUMENT}` (the code to run).")
    warnings = list(call.warnings)
    if renamed:
        warnings.append(f"tool {name!r} was taken as {tool_name!r}.")
    if key != CODE_ARGUMENT:
        warnings.append(f"argument `{key}` was taken as `{CODE_ARGUMENT}`.")
    code = arguments[key]
    if not isinstance(code, str):
        raise InvalidArguments(f"`{key}` must be a string, got {a_json_type(code)}.")
    if not code.strip():
        raise InvalidArguments(f"`{key}` is empty: there is nothing to run.")
    asked = arguments.get("language")
    said = language_in_name(name if renamed else tool_name)
    if (asked is None or asked == "") and said is not None:
        language = normalize_tool_language(said, languages, [])  # the tool's name says which
    else:
        language = normalize_tool_language(asked, languages, warnings)
    extra = sorted(str(k) for k in arguments if k not in (key, "language"))
    if extra:
        warnings.append(f"Ignored unknown argument{'s' if len(extra) > 1 else ''}: {', '.join(extra)}.")
    return ValidCall(code, language, call.id, warnings)
