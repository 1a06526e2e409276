"""The one registry of languages: names, aliases, file extensions, fence tags, examples.

Everything that names a language reads it here: the runtime (which normalises the
`language` of a request), `run` (a file's extension), tool calling (a model's
`language` argument or a fence's info word), the editor (highlighting) and the app
(examples). Which of these languages a given sandbox can run is a different question:
the runtime answers it (`GET /languages`), see `tui.runtime.languages`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePath


class UnknownLanguage(ValueError):
    """A language name nobody has heard of; the message lists the names that work."""


@dataclass(frozen=True)
class Language:
    """One language as the workbench knows it."""

    name: str  # canonical, as E2B names it
    title: str  # for people
    aliases: tuple[str, ...]  # other names accepted wherever a language is named
    extensions: tuple[str, ...]  # source file suffixes, lower case, with the dot
    fence_tags: tuple[str, ...]  # extra info words of a markdown fence (beyond name and aliases)
    highlight: str | None  # Textual's tree-sitter language for the editor (None: plain)
    example: str  # a first buffer in this language
    hello: str  # prints "hello from <name>" (doctor --run)
    family: str = ""  # the kernel family it runs on ("" = its own name)
    comment: str = "#"  # what starts a line comment (the editor's toggle comment)

    @property
    def kernel_family(self) -> str:
        return self.family or self.name


_ALL = (
    Language(
        "python",
        "Python",
        aliases=("py", "python3", "py3", "ipython", "ipython3"),
        extensions=(".py", ".ipy"),
        fence_tags=("pycon",),
        highlight="python",
        example="import math\n\nprint('hello from python')\n[math.sqrt(n) for n in range(5)]\n",
        hello="print('hello from python')",
    ),
    Language(
        "javascript",
        "JavaScript",
        aliases=("js", "node", "nodejs"),
        extensions=(".js", ".mjs", ".cjs", ".jsx"),
        fence_tags=("mjs", "jsx"),
        highlight="javascript",
        example="const xs = [1, 2, 3].map(x => x * x);\nconsole.log('hello from javascript');\nxs\n",
        hello="console.log('hello from javascript')",
        comment="//",
    ),
    Language(
        "typescript",
        "TypeScript",
        aliases=("ts", "deno"),
        extensions=(".ts", ".mts", ".cts", ".tsx"),
        fence_tags=("tsx",),
        highlight="typescript",
        example="const greet = (who: string): string => `hello from ${who}`;\ngreet('typescript')\n",
        hello="const who: string = 'typescript'; console.log(`hello from ${who}`)",
        family="javascript",
        comment="//",
    ),
    Language(
        "r",
        "R",
        aliases=("rscript",),
        extensions=(".r",),
        fence_tags=("splus",),
        highlight=None,
        example="x <- c(1, 2, 3)\ncat('hello from r\\n')\nsummary(x)\n",
        hello="cat('hello from r\\n')",
    ),
    Language(
        "java",
        "Java",
        aliases=("jshell",),
        extensions=(".java", ".jsh"),
        fence_tags=(),
        highlight="java",
        example='System.out.println("hello from java");\n',
        hello='System.out.println("hello from java");',
        comment="//",
    ),
    Language(
        "bash",
        "Bash",
        aliases=("sh", "shell", "zsh"),
        extensions=(".sh", ".bash"),
        fence_tags=("shell-script",),
        highlight="bash",
        example="echo hello from bash\nuname -a\n",
        hello="echo hello from bash",
    ),
)

LANGUAGES: dict[str, Language] = {lang.name: lang for lang in _ALL}
NAMES: tuple[str, ...] = tuple(LANGUAGES)
DEFAULT = "python"

_BY_NAME: dict[str, str] = {}
_BY_TAG: dict[str, str] = {}
_BY_EXTENSION: dict[str, str] = {}
for _lang in _ALL:
    for _alias in (_lang.name, *_lang.aliases):
        _BY_NAME[_alias] = _lang.name
    for _tag in (_lang.name, *_lang.aliases, *_lang.fence_tags):
        _BY_TAG[_tag] = _lang.name
    for _ext in _lang.extensions:
        _BY_EXTENSION[_ext] = _lang.name


def names_help() -> str:
    """`python, javascript (js), ...`: what a person may type, for error messages."""
    shown = []
    for lang in _ALL:
        short = [a for a in lang.aliases if len(a) <= 4][:2]
        shown.append(f"{lang.name} ({', '.join(short)})" if short else lang.name)
    return ", ".join(shown)


def lookup(name: str | None) -> str | None:
    """The canonical name for `name` or one of its aliases (case and spaces ignored); None
    for an empty name or one nobody knows."""
    key = (name or "").strip().lower()
    return _BY_NAME.get(key) if key else None


def normalize(name: str | None, default: str = DEFAULT) -> str:
    """The canonical name a person or a request means; an empty name is `default`.

    Raises UnknownLanguage (with the names that work) for anything else.
    """
    if name is None or not name.strip():
        return default
    found = lookup(name)
    if found is None:
        raise UnknownLanguage(f"Unknown language {name!r}. Languages: {names_help()}.")
    return found


def for_fence_tag(tag: str) -> str | None:
    """The language of a markdown fence's info word (`py`, `pycon`, `tsx`...), or None."""
    return _BY_TAG.get(tag.strip().lower())


def for_path(path: str | PurePath) -> str | None:
    """The language of a source file by its extension, or None when the extension says nothing."""
    return _BY_EXTENSION.get(PurePath(path).suffix.lower())


def known_extensions() -> str:
    """`.py, .js, ...` for error messages."""
    return ", ".join(_BY_EXTENSION)


def get(name: str) -> Language:
    """The Language for a canonical name or alias (UnknownLanguage otherwise)."""
    return LANGUAGES[normalize(name)]
