"""The editor pane: tabs of code buffers, each bound to a context and showing its language.

A `CodeEditor` is Textual's TextArea with what people expect of a code editor: Ctrl+Home
and Ctrl+End, select all (Ctrl+A), toggle comment in the buffer's language, Tab and
Shift+Tab to indent and dedent a selection, go to line, and completion and inspection
from the context's kernel (the screen asks the sandbox; the editor only says what and
where). Its keys come from the action table (`tui.actions`, scope "editor"). Undo is the
TextArea's own, per buffer, so it survives switching buffers.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from textual import events
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import TabbedContent, TabPane, TextArea
from textual.widgets.text_area import Selection

from ..actions import bindings
from ..common.languages import LANGUAGES
from ..core.buffers import Buffer

HIGHLIGHT = {"python": "python", "javascript": "javascript", "bash": "bash", "java": "java"}
NAME_BEFORE = re.compile(r"[\w.]$")  # Tab completes after a name (or an attribute dot)


@lru_cache(maxsize=1)
def _typescript() -> tuple[object, str] | None:
    """tree-sitter's TypeScript grammar with JavaScript's highlight query, if installed."""
    try:
        import textual
        import tree_sitter_typescript
        from tree_sitter import Language
    except ImportError:
        return None
    query = (Path(textual.__file__).parent / "tree-sitter" / "highlights" / "javascript.scm").read_text()
    return Language(tree_sitter_typescript.language_typescript()), query


def comment_prefix(language: str) -> str:
    found = LANGUAGES.get(language)
    return found.comment if found else "#"


class CodeEditor(TextArea):
    """A TextArea as a code editor for one buffer."""

    BINDINGS = bindings("editor")

    class CompletionRequested(Message):
        """Complete the name before `offset` (a code-point offset into `code`)."""

        def __init__(self, editor: CodeEditor, code: str, offset: int, explicit: bool) -> None:
            super().__init__()
            self.editor = editor
            self.code = code
            self.offset = offset
            self.explicit = explicit  # Ctrl+Space (say when there is nothing) rather than Tab

    class InspectRequested(Message):
        """Show what the kernel knows about the name at `offset`."""

        def __init__(self, editor: CodeEditor, code: str, offset: int) -> None:
            super().__init__()
            self.editor = editor
            self.code = code
            self.offset = offset

    class GoToLineRequested(Message):
        def __init__(self, editor: CodeEditor) -> None:
            super().__init__()
            self.editor = editor

    def __init__(self, buffer: Buffer, **kwargs) -> None:
        super().__init__(
            buffer.text,
            soft_wrap=False,
            tab_behavior="indent",
            show_line_numbers=True,
            **kwargs,
        )
        self.buffer = buffer
        self.apply_language(buffer.language)

    def apply_language(self, language: str) -> None:
        self.buffer.language = language
        if language == "typescript":
            grammar = _typescript()
            if grammar is not None:
                if "typescript" not in self.available_languages:
                    self.register_language("typescript", *grammar)
                self.language = "typescript"
                return
        self.language = (
            HIGHLIGHT.get(language) if HIGHLIGHT.get(language) in self.available_languages else None
        )

    def code_to_run(self) -> str:
        """The selection when there is one, else the whole buffer."""
        selected = self.selected_text
        return selected if selected.strip() else self.text

    # -- positions ------------------------------------------------------------------------

    def cursor_offset(self) -> int:
        """The cursor as a code-point offset into the text (what Jupyter's cursor_pos counts)."""
        row, column = self.cursor_location
        lines = self.text.split("\n")
        return sum(len(line) + 1 for line in lines[:row]) + column

    def location_of(self, offset: int) -> tuple[int, int]:
        """The (row, column) of a code-point offset into the text."""
        row = 0
        for line in self.text.split("\n"):
            if offset <= len(line):
                return row, offset
            offset -= len(line) + 1
            row += 1
        return self.document.end

    def _selected_rows(self) -> range:
        start, end = sorted(self.selection)
        last = end[0]
        if end[0] > start[0] and end[1] == 0:  # a selection ending at a line's start leaves that line
            last -= 1
        return range(start[0], last + 1)

    def _replace_rows(self, rows: range, lines: list[str], keep_selection: bool) -> None:
        """Replace whole `rows` with `lines` in one edit (one undo step), selecting them again."""
        start = (rows.start, 0)
        end = (rows.stop - 1, len(self.document[rows.stop - 1]))
        self.replace("\n".join(lines), start, end)
        if keep_selection:
            self.selection = Selection((rows.start, 0), (rows.stop - 1, len(lines[-1])))

    # -- keys -----------------------------------------------------------------------------

    async def _on_key(self, event: events.Key) -> None:
        if event.key in ("tab", "shift+tab") and not self.read_only:
            event.stop()
            event.prevent_default()
            if event.key == "tab":
                self.action_indent()
            else:
                self.action_dedent()
            return
        if event.key.startswith("alt+") and event.character is not None:
            # A terminal sends Alt+G as ESC and "g", and Textual gives the key its letter as
            # its character: the text area would type the letter, and Alt+G (go to line),
            # Alt+E (export)... would never reach their bindings. Bound or not, Alt+letter is
            # a command here, never text (AltGr and macOS Option send the character itself).
            event.stop()
            event.prevent_default()
            await self.app._check_bindings(event.key)
            return
        await super()._on_key(event)
        if not event._stop_propagation and await self.app._check_bindings(event.key):
            # A key the text area does not take (Ctrl+A, Ctrl+Home, arrows...) acts here and
            # now. Left to bubble, Textual would run its binding once it reached the app,
            # after the keys behind it in this queue: `Ctrl+A` then `code` typed in one read
            # selected the code just typed, and the next key replaced it.
            event.stop()
            event.prevent_default()

    def action_document_start(self, select: bool = False) -> None:
        """Ctrl+Home: to the start of the buffer (Ctrl+Shift+Home selects)."""
        self.move_cursor((0, 0), select=select)

    def action_document_end(self, select: bool = False) -> None:
        """Ctrl+End: to the end of the buffer (Ctrl+Shift+End selects)."""
        self.move_cursor(self.document.end, select=select)

    def action_toggle_comment(self) -> None:
        """Comment the current or selected lines in the buffer's language, or uncomment them
        when every one of them is a comment already."""
        prefix = comment_prefix(self.buffer.language)
        rows = self._selected_rows()
        lines = [self.document[row] for row in rows]
        code = [line for line in lines if line.strip()]
        if not code:
            return
        commented = all(line.lstrip().startswith(prefix) for line in code)
        if commented:
            out = []
            for line in lines:
                stripped = line.lstrip()
                if stripped.startswith(prefix):
                    indent = line[: len(line) - len(stripped)]
                    rest = stripped[len(prefix) :]
                    out.append(indent + (rest[1:] if rest.startswith(" ") else rest))
                else:
                    out.append(line)
        else:
            column = min(len(line) - len(line.lstrip()) for line in code)
            out = [line[:column] + prefix + " " + line[column:] if line.strip() else line for line in lines]
        row, column = self.cursor_location
        multi = len(rows) > 1 or self.selection.start != self.selection.end
        self._replace_rows(rows, out, keep_selection=multi)
        if not multi:
            self.move_cursor((row, max(0, column + len(out[0]) - len(lines[0]))))

    def action_indent(self) -> None:
        """Tab: indent the selected lines; with no selection, complete the name before the
        cursor (from the kernel) or, at the start of a line or after a space, insert an indent."""
        start, end = self.selection
        if start != end:
            rows = self._selected_rows()
            unit = "\t" if self.indent_type == "tabs" else " " * self.indent_width
            self._replace_rows(
                rows, [unit + self.document[r] if self.document[r] else "" for r in rows], True
            )
            return
        row, column = self.cursor_location
        before = self.document[row][:column]
        if NAME_BEFORE.search(before):
            self.post_message(self.CompletionRequested(self, self.text, self.cursor_offset(), explicit=False))
            return
        self.insert_indent()

    def insert_indent(self) -> None:
        """What Tab does in a plain TextArea: spaces (or a tab) to the next tab stop."""
        insert = "\t" if self.indent_type == "tabs" else " " * self._find_columns_to_next_tab_stop()
        start, end = self.selection
        self._replace_via_keyboard(insert, start, end)

    def action_dedent(self) -> None:
        """Shift+Tab: take one indent off the current or selected lines."""
        rows = self._selected_rows()
        width = self.indent_width
        out = []
        for row in rows:
            line = self.document[row]
            if line.startswith("\t"):
                out.append(line[1:])
            else:
                spaces = len(line) - len(line.lstrip(" "))
                out.append(line[min(spaces, width) :])
        lines = [self.document[r] for r in rows]
        if out == lines:
            return
        row, column = self.cursor_location
        multi = len(rows) > 1 or self.selection.start != self.selection.end
        self._replace_rows(rows, out, keep_selection=multi)
        if not multi:
            self.move_cursor((row, max(0, column - (len(lines[0]) - len(out[0])))))

    def action_complete(self) -> None:
        """Ctrl+Space: complete the name before the cursor from the context's kernel."""
        self.post_message(self.CompletionRequested(self, self.text, self.cursor_offset(), explicit=True))

    def action_inspect(self) -> None:
        """F1: the signature and docstring of the name under the cursor, from the kernel."""
        self.post_message(self.InspectRequested(self, self.text, self.cursor_offset()))

    def action_go_to_line(self) -> None:
        self.post_message(self.GoToLineRequested(self))

    def go_to(self, line: int, column: int = 1) -> None:
        """Put the cursor on `line` (1-based; beyond the end: the last line), at `column`."""
        row = max(0, min(line - 1, self.document.line_count - 1))
        col = max(0, min(column - 1, len(self.document[row])))
        self.move_cursor((row, col), center=True)

    def complete_with(self, text: str, start: int, end: int) -> None:
        """Replace the code points `start`..`end` of the text with `text` (a chosen completion)."""
        self.replace(text, self.location_of(start), self.location_of(end))


class EditorPane(Vertical):
    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._serial = 0

    def compose(self) -> ComposeResult:
        yield TabbedContent(id="editor-tabs")

    @property
    def tabs(self) -> TabbedContent:
        return self.query_one("#editor-tabs", TabbedContent)

    @staticmethod
    def title(buffer: Buffer) -> str:
        return f"{buffer.name} · {buffer.language}"

    async def add_buffer(self, buffer: Buffer, activate: bool = True) -> CodeEditor:
        self._serial += 1
        pane_id = f"buffer-{self._serial}"
        editor = CodeEditor(buffer, id=f"editor-{self._serial}")
        await self.tabs.add_pane(TabPane(self.title(buffer), editor, id=pane_id))
        if activate:
            self.tabs.active = pane_id
        return editor

    def editors(self) -> list[CodeEditor]:
        return list(self.query(CodeEditor))

    def current(self) -> CodeEditor | None:
        pane = self.tabs.active_pane
        if pane is None:
            return None
        found = pane.query(CodeEditor)
        return found.first() if found else None

    def relabel(self, editor: CodeEditor) -> None:
        pane = editor.parent
        while pane is not None and not isinstance(pane, TabPane):
            pane = pane.parent
        if pane is not None and pane.id:
            self.tabs.get_tab(pane.id).label = self.title(editor.buffer)

    async def close_current(self) -> Buffer | None:
        pane = self.tabs.active_pane
        editor = self.current()
        if pane is None or editor is None or pane.id is None:
            return None
        editor.buffer.text = editor.text
        await self.tabs.remove_pane(pane.id)
        return editor.buffer

    def activate(self, index: int) -> None:
        panes = list(self.tabs.query(TabPane))
        if 0 <= index < len(panes) and panes[index].id:
            self.tabs.active = panes[index].id

    def active_index(self) -> int:
        panes = list(self.tabs.query(TabPane))
        active = self.tabs.active
        for i, pane in enumerate(panes):
            if pane.id == active:
                return i
        return 0
