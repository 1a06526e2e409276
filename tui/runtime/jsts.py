"""JavaScript and TypeScript errors that say what and where, and a type check.

Deno's Jupyter kernel makes two kinds of error hard to use:

- code that does not parse fails with `Error: Execution failed` and an empty traceback:
  the parser's message and position are lost. Here `deno fmt --check` parses the same
  code (in a few milliseconds, without running or type-checking it) and its SyntaxError,
  line and column become the run's error, with the line and a caret;
- the kernel transpiles every cell (TypeScript and JavaScript alike) with swc, which lays
  the code out again: blank lines go, comments and type-only lines shift what follows,
  indentation changes. The positions in a stack trace are the transpiled code's, not the
  user's. Here the kernel hands back (as the message of the error a silent cell throws)
  the transpiled text of the same code as the body of a function that is never called,
  `(async () => {…}).toString()`, which swc lays out the same way; the tokens of both texts
  are aligned, and every `<anonymous>:L:C` of the traceback becomes the user's
  `line L, column C`.

Errors of a run in a javascript or typescript context are held back until the run ends
(the kernel is busy until then), reshaped, then sent, still before `end_of_execution`.

`check` runs `deno check` on a piece of code, as a module on its own (names that earlier
cells defined are unknown to it), for the extension route `POST /contexts/{id}/check`.
"""

from __future__ import annotations

import asyncio
import contextlib
import difflib
import json
import os
import re
import tempfile
from pathlib import Path
from typing import Any

from . import protocol
from .languages import deno_path

FAMILY = ("javascript", "typescript")
PARSE_TIMEOUT = 10.0
TRANSPILE_TIMEOUT = 10.0
_TRANSPILED = "E2BWorkbenchTranspiled"  # the name of the error that carries swc's layout back
CHECK_TIMEOUT = 60.0
_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_SYNTAX = re.compile(r"SyntaxError: (?P<message>.+)")
_AT = re.compile(r"at file://\S+?:(?P<line>\d+):(?P<column>\d+)")
_FRAME = re.compile(r"<anonymous>:(\d+):(\d+)")
_LEADING = re.compile(r"(?:\s*(?://[^\n]*|/\*.*?\*/))+", re.S)
# a rough JS/TS tokenizer: enough to line up the user's code and swc's output
_TOKEN = re.compile(
    r"""(?P<skip>\s+|//[^\n]*|/\*.*?\*/)
    |(?P<string>'(?:\\.|[^'\\\n])*'|"(?:\\.|[^"\\\n])*"|`(?:\\.|[^`\\])*`)
    |(?P<number>\d[\w.]*)
    |(?P<name>[A-Za-z_$][\w$]*)
    |(?P<punct>=>|===|!==|==|!=|<=|>=|&&|\|\||\?\?|\?\.|\.\.\.|\*\*|[-+*/%]=|\+\+|--|\S)""",
    re.S | re.X,
)


class Held:
    """A run whose error lines are held back (everything else goes through at once).

    `stream.execute` writes into it as into a `Run`; `on_cancel` and `client_gone` are the
    real run's.
    """

    def __init__(self, run: Any) -> None:
        self.run = run
        self.code = run.code
        self.errors: list[dict[str, Any]] = []

    @property
    def client_gone(self) -> bool:
        return bool(self.run.client_gone)

    @property
    def on_cancel(self) -> Any:
        return self.run.on_cancel

    @on_cancel.setter
    def on_cancel(self, value: Any) -> None:
        self.run.on_cancel = value

    def emit(self, line: dict[str, Any]) -> None:
        if line.get("type") == "error":
            self.errors.append(line)
        else:
            self.run.emit(line)


def hold(run: Any, language: str) -> Any:
    """`run` itself, or for JavaScript and TypeScript a `Held` run to reshape errors of."""
    return Held(run) if language in FAMILY else run


async def release(target: Any, kernel: Any) -> None:
    """Send the errors `hold` kept back, reshaped to the user's code where that can be done."""
    if not isinstance(target, Held):
        return
    for line in target.errors:
        try:
            shaped = await shape(line, target.code, kernel)
        except Exception:  # noqa: BLE001 - an error is never lost for want of a better one
            shaped = line
        target.run.emit(shaped)


async def shape(line: dict[str, Any], code: str, kernel: Any) -> dict[str, Any]:
    """An error line of Deno's kernel in the user's terms (see the module's docstring)."""
    name, value, trace = line.get("name") or "", line.get("value") or "", line.get("traceback") or ""
    if value == "Execution failed" and not trace.strip():
        found = await syntax_error(code, getattr(kernel, "workdir", None))
        if found is not None:
            message, row, column = found
            return protocol.error_line(
                "SyntaxError",
                f"{message} (line {row}, column {column})",
                f"SyntaxError: {message}\n    at line {row}, column {column}\n{caret(code, row, column)}",
            )
        return line
    if not _FRAME.search(trace):
        return line
    transpiled = await transpiled_body(code, kernel)
    if transpiled is None:
        return line
    mapper = PositionMap(transpiled, code)
    first: tuple[int, int] | None = None

    def place(found: re.Match[str]) -> str:
        nonlocal first
        where = mapper.map(int(found.group(1)), int(found.group(2)))
        if where is None:
            return found.group(0)
        if first is None:
            first = where
        return f"line {where[0]}, column {where[1]}"

    trace = _FRAME.sub(place, trace)
    if first is not None:
        trace = f"{trace.rstrip()}\n{caret(code, *first)}"
    return protocol.error_line(name, value, trace)


# -- what an interrupt left ------------------------------------------------------------------
# Deno's kernel answers an interrupt by terminating V8's execution, and where that lands
# decides what is left (measured with deno 2.9):
# - in the user's code: the run ends with `Execution failed` and no traceback; the kernel
#   is fine and keeps its state;
# - in Deno's own module loader (it loads node's built-ins when first used: the first
#   `setTimeout` of a kernel loads node's timers): the loader turns the termination into an
#   ordinary error (`Error: Error: … Uncaught null`, or `Uncaught "Error: execution
#   terminated"`, at `loadExtScript`/`lazyLoad` frames of `ext:core/`) and the module stays
#   half-made (`setTimeout` then throws "Cannot access 'setTimeout' before initialization"),
#   or Deno panics and the kernel dies: either way the kernel must be replaced;
# - on a pending `await`: nothing, and the kernel stays stuck even when the promise would
#   settle (manager.py replaces it after INTERRUPT_GRACE).
INTERRUPTED = "The execution was interrupted; the context keeps its state."
_CUT_SHORT = re.compile(r"Uncaught null|execution terminated|\b(?:loadExtScript|lazyLoad) \(ext:core/")


def broken_by_interrupt(line: dict[str, Any]) -> bool:
    """Whether this error of an interrupted run is the termination caught inside Deno's own
    code, which leaves the kernel broken (see above)."""
    return bool(_CUT_SHORT.search(f"{line.get('value') or ''}\n{line.get('traceback') or ''}"))


def stopped_by_interrupt(line: dict[str, Any]) -> bool:
    """Whether this error of an interrupted run is Deno's word for the run it terminated."""
    return line.get("value") == "Execution failed" and not (line.get("traceback") or "").strip()


def caret(code: str, row: int, column: int) -> str:
    """`  3 | const x = ;` and a caret under `column` (both 1-based)."""
    lines = code.split("\n")
    if not 1 <= row <= len(lines):
        return ""
    text = lines[row - 1]
    gutter = f"{row:>3} | "
    return f"{gutter}{text}\n{' ' * (len(gutter) - 2)}| {' ' * (column - 1)}^"


# -- syntax errors ---------------------------------------------------------------------------


async def syntax_error(code: str, workdir: Path | None = None) -> tuple[str, int, int] | None:
    """(message, line, column) of the first syntax error in `code` (as TypeScript), or None."""
    deno = deno_path()
    if deno is None:
        return None
    with tempfile.TemporaryDirectory(prefix="parse-", dir=workdir) as folder:
        path = Path(folder, "cell.ts")
        path.write_text(code, encoding="utf-8")
        out = await _run([deno, "fmt", "--check", "--no-config", str(path)], folder, PARSE_TIMEOUT)
    if out is None:
        return None
    message = _SYNTAX.search(out)
    where = _AT.search(out)
    if message is None or where is None:
        return None
    return message.group("message").strip(), int(where.group("line")), int(where.group("column"))


async def _run(argv: list[str], cwd: str, timeout: float) -> str | None:
    """Output (stdout and stderr, colours off) of `argv`, or None if it could not run in time."""
    env = {**os.environ, "NO_COLOR": "1", "DENO_NO_UPDATE_CHECK": "1"}
    try:
        proc = await asyncio.create_subprocess_exec(
            *argv,
            cwd=cwd,
            env=env,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
    except OSError:
        return None
    try:
        out, _ = await asyncio.wait_for(proc.communicate(), timeout)
    except TimeoutError:
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
        await proc.wait()
        return None
    return _ANSI.sub("", out.decode("utf-8", "replace"))


# -- positions in the transpiled code ------------------------------------------------------------


async def transpiled_body(code: str, kernel: Any) -> str | None:
    """swc's layout of `code`, from the kernel: the body of an async function made of it,
    dedented so its line L is the transpiled cell's line L. None when it cannot be had (an
    `import` or `export` cannot stand in a function, the kernel is gone or slow). A silent
    cell hands it back (as JSON) as the message of the error it throws: nothing is written
    anywhere, isolated or not.

    The error, not stdout: an error's message travels in the execute_reply itself, while Deno
    forwards stdout from another task, which may publish it after the reply and the `idle`
    (about one silent cell in ten), too late for a cell that ends at (reply, idle)."""
    if re.search(r"^\s*(import|export)\b", code, re.M) or not getattr(kernel, "alive", False):
        return None
    reply = await kernel.run_silent(
        f"throw Object.assign(new Error(JSON.stringify((async () => {{\n{code}\n}}).toString())), "
        f"{{ name: {json.dumps(_TRANSPILED)} }});",
        timeout=TRANSPILE_TIMEOUT,
    )
    if reply.get("ename") != _TRANSPILED:  # the code does not stand in a function, or no reply
        return None
    try:
        text = json.loads(reply.get("evalue") or "")
    except ValueError:
        return None
    if not isinstance(text, str):
        return None
    lines = text.split("\n")[1:]  # "async ()=>{" is line 0
    while lines and lines[-1].strip() in ("", "}"):
        lines.pop()
    indent = min((len(line) - len(line.lstrip()) for line in lines if line.strip()), default=0)
    body = [line[indent:] for line in lines]
    # comments that open a cell stay at its top even when the statement they precede is a
    # type that goes; inside the function they go with it: put them back, for the line count
    leading = _LEADING.match(code)
    if leading:
        comments = [c.strip() for c in re.findall(r"//[^\n]*|/\*.*?\*/", leading.group(0), re.S)]
        if comments and (not body or body[0].strip() != comments[0].split("\n")[0].strip()):
            body = [*"\n".join(comments).split("\n"), *body]
    return "\n".join(body)


def tokens(text: str) -> list[tuple[str, int, int]]:
    """(token, line, column) of every token of `text` (1-based), comments and spaces left out."""
    found = []
    line, line_start = 1, 0
    for match in _TOKEN.finditer(text):
        start = match.start()
        if match.lastgroup != "skip":
            found.append((match.group(0), line, start - line_start + 1))
        newlines = match.group(0).count("\n")
        if newlines:
            line += newlines
            line_start = start + match.group(0).rindex("\n") + 1
    return found


class PositionMap:
    """From positions in swc's layout of the code to positions in the user's code."""

    def __init__(self, transpiled: str, original: str) -> None:
        self.ours = tokens(transpiled)
        self.theirs = tokens(original)
        matcher = difflib.SequenceMatcher(
            None, [t[0] for t in self.ours], [t[0] for t in self.theirs], autojunk=False
        )
        self.pairs: dict[int, int] = {}
        for block in matcher.get_matching_blocks():
            for k in range(block.size):
                self.pairs[block.a + k] = block.b + k

    def map(self, line: int, column: int) -> tuple[int, int] | None:
        """The user's (line, column) for the transpiled (line, column), None if unknown."""
        index = None
        for i, (text, row, col) in enumerate(self.ours):  # the token at the position, or the next one
            if (row, col) > (line, column):
                index = i if index is None else index
                break
            index = i
            if row == line and col <= column < col + len(text):
                break
        if index is None:
            return None
        for candidate in (index, *range(index + 1, len(self.ours)), *range(index - 1, -1, -1)):
            if candidate in self.pairs:
                text, row, col = self.ours[candidate]
                offset = column - col if candidate == index and row == line and column >= col else 0
                _, their_row, their_col = self.theirs[self.pairs[candidate]]
                return their_row, their_col + min(offset, max(0, len(text) - 1))
        return None


# -- type check ---------------------------------------------------------------------------------


async def check(code: str, workdir: Path) -> dict[str, Any]:
    """`deno check` of `code` as a TypeScript module of its own: {ok, diagnostics, text}."""
    deno = deno_path()
    if deno is None:
        return {"ok": False, "available": False, "diagnostics": [], "text": "deno is not installed."}
    folder = Path(tempfile.mkdtemp(prefix="check-", dir=workdir))
    try:
        path = folder / "cell.ts"
        path.write_text(code, encoding="utf-8")
        out = await _run(
            [deno, "check", "--quiet", "--no-config", "--no-lock", str(path)], str(folder), CHECK_TIMEOUT
        )
    finally:
        with contextlib.suppress(OSError):
            for item in folder.iterdir():
                item.unlink()
            folder.rmdir()
    if out is None:
        return {
            "ok": False,
            "available": True,
            "diagnostics": [],
            "text": "deno check did not finish in time.",
        }
    url = path.as_uri()
    text = out.replace(url, "cell").strip()
    text = re.sub(r"\n*Stack backtrace:.*", "", text, flags=re.S).strip()
    diagnostics = []
    for found in re.finditer(r"(TS\d+) \[ERROR\]: (.+?)\n(?:.*?\n)*?\s+at cell:(\d+):(\d+)", text):
        diagnostics.append(
            {
                "code": found.group(1),
                "message": found.group(2),
                "line": int(found.group(3)),
                "column": int(found.group(4)),
            }
        )
    syntax = _SYNTAX.search(text)
    where = re.search(r"at cell:(\d+):(\d+)", text)
    if syntax and where and not diagnostics:
        diagnostics.append(
            {
                "code": "SyntaxError",
                "message": syntax.group("message"),
                "line": int(where.group(1)),
                "column": int(where.group(2)),
            }
        )
    text = re.sub(r"at cell:(\d+):(\d+)", r"at line \1, column \2", text)
    return {
        "ok": not diagnostics and "error" not in text.lower(),
        "available": True,
        "diagnostics": diagnostics,
        "text": text,
    }
