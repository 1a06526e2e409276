"""Completion and inspection popups over the editor.

The completion menu opens at the cursor with the kernel's matches. Typing goes on into the
editor and narrows the list; Enter or Tab takes the highlighted match, Esc closes. The
inspection view shows what the kernel says about a name (IPython's signature and
docstring, with its colours), and closes with Esc or F1.
"""

from __future__ import annotations

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Label, OptionList, Static
from textual.widgets.option_list import Option

from ..common.terminal import clean
from ..core.introspect import Completion
from ..widgets.editor import CodeEditor
from ..widgets.render import terminal_text

MENU_ROWS = 10
MENU_WIDTH = 48


class CompletionScreen(ModalScreen[None]):
    """The kernel's matches for the name before the cursor; typing narrows them."""

    DEFAULT_CSS = """
    CompletionScreen {
        background: transparent;
        align: left top;
    }
    CompletionScreen > OptionList {
        width: auto;
        max-width: 60;
        min-width: 16;
        height: auto;
        max-height: 12;
        border: round $primary;
        background: $surface;
        padding: 0;
    }
    """

    BINDINGS = [
        Binding("escape", "close", "Close", show=False),
        Binding("enter,tab", "take", "Complete", show=False, priority=True),
    ]

    def __init__(self, editor: CodeEditor, completion: Completion) -> None:
        super().__init__()
        self.editor = editor
        self.completion = completion
        self.shown: list[str] = []

    def compose(self) -> ComposeResult:
        yield OptionList(id="completions")

    def on_mount(self) -> None:
        menu = self.query_one(OptionList)
        x, y = self.editor.cursor_screen_offset
        width = min(MENU_WIDTH, max(len(m) for m in self.completion.matches) + 4)
        rows = min(MENU_ROWS, len(self.completion.matches)) + 2
        top = y + 1 if y + 1 + rows <= self.app.size.height else max(0, y - rows)
        left = max(0, min(x - self._typed_len(), self.app.size.width - width))
        menu.styles.offset = (left, top)
        self._fill(narrow=False)  # the kernel's own list first (it may match more than by prefix)
        menu.focus()

    def _typed(self) -> str:
        """What the user has typed of the name (from where the completion starts to the cursor)."""
        offset = self.editor.cursor_offset()
        return self.editor.text[self.completion.start : offset] if offset >= self.completion.start else ""

    def _typed_len(self) -> int:
        return max(0, self.editor.cursor_offset() - self.completion.start)

    def _fill(self, narrow: bool = True) -> None:
        wanted = self._typed().lower()
        matches = self.completion.matches
        self.shown = [m for m in matches if m.lower().startswith(wanted)] if narrow else list(matches)
        if not self.shown:
            self.dismiss(None)
            return
        menu = self.query_one(OptionList)
        menu.clear_options()
        menu.add_options([Option(clean(m)) for m in self.shown])
        menu.highlighted = 0

    def on_key(self, event: events.Key) -> None:
        """Typing goes on in the editor, and narrows the list."""
        if event.key == "backspace":
            event.stop()
            event.prevent_default()
            if self.editor.cursor_offset() <= self.completion.start:
                self.dismiss(None)
                return
            self.editor.action_delete_left()
            self._fill()
        elif event.is_printable and event.character:
            event.stop()
            event.prevent_default()
            self.editor.insert(event.character)
            if not (event.character.isalnum() or event.character == "_"):
                self.dismiss(None)
                return
            self._fill()

    def action_take(self) -> None:
        menu = self.query_one(OptionList)
        index = menu.highlighted
        if index is not None and index < len(self.shown):
            self.editor.complete_with(self.shown[index], self.completion.start, self.editor.cursor_offset())
        self.dismiss(None)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.action_take()

    def action_close(self) -> None:
        self.dismiss(None)


class InspectScreen(ModalScreen[None]):
    """What the kernel says about a name: signature, docstring."""

    DEFAULT_CSS = """
    InspectScreen {
        align: center middle;
    }
    InspectScreen > Vertical {
        width: 90%;
        height: 70%;
        border: thick $primary;
        background: $surface;
        padding: 0 1;
    }
    InspectScreen VerticalScroll {
        height: 1fr;
    }
    """

    BINDINGS = [Binding("escape,f1,q", "close", "Close")]

    def __init__(self, name: str, text: str) -> None:
        super().__init__()
        self.name_text = name
        self.text = text

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(f"{clean(self.name_text)} · Esc closes", classes="dialog-title", markup=False)
            with VerticalScroll():
                yield Static(terminal_text(self.text), id="inspect-text")

    def on_mount(self) -> None:
        self.query_one(VerticalScroll).focus()

    def action_close(self) -> None:
        self.dismiss(None)
