"""Browse the execution history; load a past run into the editor or run it again.

The filter field has the focus: typing filters at once, while ↑/↓ (and PgUp/PgDn) move
through the runs. Code is shown as text, never read as markup.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Input, Label, Static

from ..common.terminal import clean
from ..core.history import History, HistoryEntry


@dataclass
class HistoryChoice:
    entry: HistoryEntry
    rerun: bool


class HistoryScreen(ModalScreen[HistoryChoice | None]):
    BINDINGS = [
        Binding("escape", "close", "Close"),
        Binding("enter", "choose(False)", "To editor", priority=True),
        Binding("ctrl+r,f5", "choose(True)", "Run again", priority=True),
        Binding("up", "move(-1)", "Previous", show=False),
        Binding("down", "move(1)", "Next", show=False),
        Binding("pageup", "move(-10)", "Page up", show=False),
        Binding("pagedown", "move(10)", "Page down", show=False),
    ]

    def __init__(self, history: History) -> None:
        super().__init__()
        self.history = history
        self.entries: list[HistoryEntry] = []

    def compose(self) -> ComposeResult:
        with Vertical(classes="history"):
            yield Label(
                "History — Enter: to editor · F5/Ctrl+R: run again · type to filter", classes="dialog-title"
            )
            yield Input(placeholder="filter code or language", id="filter")
            yield DataTable(id="history-table", cursor_type="row", zebra_stripes=True)
            yield Static("", id="history-preview")

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("when", "language", "context", "status", "duration", "code")
        self._fill("")
        self.query_one("#filter", Input).focus()

    def _fill(self, search: str) -> None:
        table = self.query_one(DataTable)
        table.clear()
        self.entries = self.history.recent(search=search)
        for entry in self.entries:
            duration = "" if entry.duration is None else f"{entry.duration:.2f} s"
            table.add_row(
                entry.when,
                entry.language,
                Text(clean(entry.context_id[:6])),
                entry.status,
                duration,
                Text(clean(entry.first_line[:60])),
            )
        self._preview()

    def on_input_changed(self, event: Input.Changed) -> None:
        self._fill(event.value.strip())

    def on_data_table_row_highlighted(self, _event: DataTable.RowHighlighted) -> None:
        self._preview()

    def _current(self) -> HistoryEntry | None:
        table = self.query_one(DataTable)
        if not self.entries or table.cursor_row is None or table.cursor_row >= len(self.entries):
            return None
        return self.entries[table.cursor_row]

    def _preview(self) -> None:
        entry = self._current()
        self.query_one("#history-preview", Static).update(
            Text(clean(entry.code)) if entry else "No runs yet."
        )

    def action_move(self, step: int) -> None:
        table = self.query_one(DataTable)
        if self.entries:
            table.move_cursor(row=max(0, min(len(self.entries) - 1, table.cursor_row + step)))

    def action_choose(self, rerun: bool) -> None:
        entry = self._current()
        if entry is not None:
            self.dismiss(HistoryChoice(entry, rerun))

    def action_close(self) -> None:
        self.dismiss(None)
