"""The editor pane: tabs of code buffers, each bound to a context and showing its language."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import TabbedContent, TabPane, TextArea

from ..core.buffers import Buffer

HIGHLIGHT = {"python": "python", "javascript": "javascript", "bash": "bash", "java": "java"}


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


class CodeEditor(TextArea):
    """A TextArea as a code editor for one buffer."""

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
