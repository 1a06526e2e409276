"""Code blocks from a model's markdown reply: the fallback when a model cannot call tools.

Fences follow CommonMark (``` or ~~~, three or more, closed by a fence of the same
character at least as long, so a ```` fence can hold ``` lines), made lenient where
model replies need it: fences indented inside list items are recognised at any depth,
and a fence left open at the end of the reply (a cut-off answer) still yields its
block, marked `closed=False`. A python block written as a console session (`>>> ` and
`... ` prompts, as `pycon` blocks are) runs its prompted lines only: the lines without a
prompt are the session's output, not code.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..common import languages

_OPEN = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})(?P<info>.*)$")
_TAG = re.compile(r"[A-Za-z0-9_+#-]+")
_PROMPT = re.compile(r"^(>>>|\.\.\.)( |$)")


@dataclass(frozen=True)
class CodeBlock:
    """One fenced block: its code, the language it runs in (None: not runnable), where it was."""

    code: str
    language: str | None
    tag: str  # the info word as written ("" when untagged)
    line: int  # 1-based line of the opening fence
    closed: bool = True

    @property
    def runnable(self) -> bool:
        return self.language is not None and bool(self.code.strip())


def language_for_tag(tag: str, default: str | None = "python") -> str | None:
    """The runtime language of a fence's info word (`tui.common.languages`: names, aliases and
    fence tags such as `pycon`); `default` for an untagged fence; None when it is no language."""
    if not tag:
        return default
    return languages.for_fence_tag(tag)


def _info_tag(info: str) -> str:
    """The language word of an info string: `python title="x"`, `{r echo=FALSE}`, `{.py}`."""
    info = info.strip().lstrip("{").lstrip(".")
    match = _TAG.match(info)
    return match.group(0) if match else ""


def _is_close(line: str, char: str, length: int) -> bool:
    stripped = line.strip()
    return len(stripped) >= length and stripped == char * len(stripped)


def _dedent(line: str, indent: int) -> str:
    """Remove up to `indent` leading whitespace characters (the opening fence's indentation)."""
    removed = 0
    while removed < indent and removed < len(line) and line[removed] in " \t":
        removed += 1
    return line[removed:]


def _console_code(code: str) -> str:
    """The code of a python console session (`>>> x = 1`, `... `, output lines): its prompted
    lines without the prompts. Code that does not start with a `>>>` prompt is returned as is."""
    lines = code.splitlines()
    first = next((line for line in lines if line.strip()), "")
    if not first.startswith(">>>"):
        return code
    return "\n".join(_PROMPT.sub("", line, count=1) for line in lines if _PROMPT.match(line))


def extract_code_blocks(markdown: str, default_language: str | None = "python") -> list[CodeBlock]:
    """Every fenced block of `markdown`, in order; untagged blocks run in `default_language`.

    Blocks whose tag is not a runtime language (json, text, output...) are returned
    with `language=None`, so a caller can say what it skipped.
    """
    lines = markdown.splitlines()
    blocks: list[CodeBlock] = []
    i = 0
    while i < len(lines):
        match = _OPEN.match(lines[i])
        if match is None or (match["fence"][0] == "`" and "`" in match["info"]):
            i += 1
            continue
        fence, indent = match["fence"], len(match["indent"])
        tag = _info_tag(match["info"])
        start = i
        body: list[str] = []
        i += 1
        closed = False
        while i < len(lines):
            if _is_close(lines[i], fence[0], len(fence)):
                closed = True
                i += 1
                break
            body.append(_dedent(lines[i], indent))
            i += 1
        code = "\n".join(body)
        language = language_for_tag(tag, default_language)
        if language == "python":
            code = _console_code(code)
        blocks.append(CodeBlock(code, language, tag, start + 1, closed))
    return blocks


def runnable_blocks(markdown: str, default_language: str | None = "python") -> list[CodeBlock]:
    """The blocks worth running: a runtime language and some code."""
    return [block for block in extract_code_blocks(markdown, default_language) if block.runnable]
