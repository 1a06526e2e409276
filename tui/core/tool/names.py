"""Which calls are calls of this tool: its name, the names models give it, where the code is.

Models are often shown a code tool under another name (`execute_python`, `run_python`,
`code_interpreter`, `python`, `execute_code`...) and keep calling it so, or pass the code
as `source` or `script`. Refusing such a call wastes a turn on a call whose meaning is
plain. So a call whose name reads as "run code" (it names a language, or has a word like
run, execute, code or interpreter) is taken as this tool's when its arguments carry code
under a common name, with a warning, and the language its name says is used when the call
gives none. A name that says nothing about running code (`web_search`) stays unknown.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from ...common import languages

TOOL_NAME = "run_code"
DEFAULT_LANGUAGE = languages.DEFAULT
CODE_ARGUMENT = "code"
# other argument names models put code under, in the order they are looked for
CODE_ALIASES = ("source", "source_code", "script", "cell", "program", "snippet", "command", "cmd")
# words of a tool name that say it runs code (besides a language's name or alias)
RUN_WORDS = frozenset(
    {
        "run",
        "runner",
        "exec",
        "execute",
        "executor",
        "execution",
        "eval",
        "evaluate",
        "code",
        "interpreter",
        "interpret",
        "repl",
        "jupyter",
        "notebook",
        "kernel",
        "cell",
        "script",
        "sandbox",
    }
)
_VALID_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")  # what OpenAI and Anthropic accept
_WORD = re.compile(r"[A-Z]?[a-z0-9]+|[A-Z0-9]+(?![a-z])")  # snake_case, kebab-case, camelCase


def name_words(name: str) -> list[str]:
    """`executePython` -> ['execute', 'python']; `code_interpreter` -> ['code', 'interpreter']."""
    return [word.lower() for word in _WORD.findall(name)]


def _languages_named(words: list[str]) -> set[str]:
    """The languages among a name's words; two words may make one (`Java`+`Script`, `Node`+`JS`)."""
    found: set[str] = set()
    i = 0
    while i < len(words):
        pair = languages.lookup("".join(words[i : i + 2])) if i + 1 < len(words) else None
        if pair:
            found.add(pair)
            i += 2
            continue
        single = languages.lookup(words[i])
        if single:
            found.add(single)
        i += 1
    return found


def language_in_name(name: str | None) -> str | None:
    """The one language a tool name says (`execute_python`, `runJavaScript`, `bash`), else None."""
    found = _languages_named(name_words(name or ""))
    return found.pop() if len(found) == 1 else None


def reads_as_code_tool(name: str) -> bool:
    """Whether a tool name says it runs code: it names a language or has a word like `run`."""
    words = name_words(name)
    return any(word in RUN_WORDS for word in words) or bool(_languages_named(words))


def default_language(languages_offered: Sequence[str], tool_name: str = TOOL_NAME) -> str:
    """The language of a call that names none: the one the tool's name says, else python (or
    the first offered when python is not)."""
    said = language_in_name(tool_name)
    if said is not None and said in languages_offered:
        return said
    if DEFAULT_LANGUAGE in languages_offered or not languages_offered:
        return DEFAULT_LANGUAGE
    return languages_offered[0]


def code_argument(arguments: dict[str, Any]) -> str | None:
    """The key that holds the code: `code`, else the one alias present; None when there is
    none; ValueError when several aliases could be it."""
    if CODE_ARGUMENT in arguments:
        return CODE_ARGUMENT
    present = [key for key in CODE_ALIASES if key in arguments]
    if len(present) > 1:
        raise ValueError(
            f"Several arguments could be the code ({', '.join(present)}): pass it as `{CODE_ARGUMENT}`."
        )
    return present[0] if present else None


def check_tool_name(name: str) -> str:
    """`name` if an LLM API accepts it as a tool name (letters, digits, _ and -, at most 64
    characters); ValueError otherwise."""
    if not _VALID_NAME.fullmatch(name):
        raise ValueError(f"not a tool name LLM APIs accept (letters, digits, _ and -, 1 to 64): {name!r}")
    return name
