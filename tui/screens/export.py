"""Export runs (`Alt+E`): from the log or the history, as a notebook, Markdown or JSON.

The files are written by `tui.core.export` in a worker thread; an existing file is only
replaced after the person confirms.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select

from ..core.export import ExportError, export_steps
from ..core.history import History
from ..core.records import ExecutionRecord
from ..widgets.run_picker import RunPicker
from .confirm import ConfirmScreen

SUFFIXES = {"ipynb": ".ipynb", "markdown": ".md", "json": ".json"}


def default_path(fmt: str = "ipynb", folder: Path | None = None) -> str:
    stamp = time.strftime("%Y%m%d-%H%M")
    return str((folder or Path.cwd()) / f"e2b-runs-{stamp}{SUFFIXES[fmt]}")


class ExportScreen(ModalScreen[Path | None]):
    """Choose runs, a format and a file; the written file is the screen's result."""

    DEFAULT_CSS = """
    ExportScreen { align: center middle; }
    ExportScreen > .export { width: 90%; height: 90%; border: thick $primary; background: $surface; padding: 0 1; }
    ExportScreen .export-row { height: auto; }
    ExportScreen #export-format { width: 46; }
    ExportScreen #export-path { width: 1fr; }
    ExportScreen.-narrow #export-format { width: 24; }
    ExportScreen.-narrow #export-format SelectCurrent Static { text-wrap: nowrap; text-overflow: ellipsis; }
    ExportScreen.-narrow #export-format SelectOverlay { width: 64; }
    """
    # the format took 46 columns: at 80x24 the path beside it had 20, the file's name unseen
    # (one above the other, the list of runs kept a single row)
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (110, "-wide")]
    BINDINGS = [Binding("escape", "close", "Close"), Binding("ctrl+s", "export", "Export", priority=True)]

    def __init__(self, records: list[ExecutionRecord], history: History) -> None:
        super().__init__()
        self.records = records
        self.history = history

    def compose(self) -> ComposeResult:
        with Vertical(classes="export"):
            yield Label(
                "Export runs — Space: choose · Enter in the path (or Ctrl+S): export", classes="dialog-title"
            )
            yield RunPicker(self.records, self.history, id="export-picker")
            with Horizontal(classes="export-row"):
                yield Select(
                    [
                        ("Jupyter notebook with outputs (.ipynb)", "ipynb"),
                        ("Markdown (.md)", "markdown"),
                        ("JSON: the SDK's execution JSON (.json)", "json"),
                    ],
                    value="ipynb",
                    allow_blank=False,
                    id="export-format",
                )
                yield Input(default_path(), id="export-path")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Export", id="export-go", variant="primary")
                yield Button(Content("Cancel [esc]"), id="export-cancel")

    @property
    def picker(self) -> RunPicker:
        return self.query_one(RunPicker)

    @on(Select.Changed, "#export-format")
    def _format_changed(self, event: Select.Changed) -> None:
        path = self.query_one("#export-path", Input)
        current = Path(path.value or default_path())
        path.value = str(current.with_suffix(SUFFIXES[str(event.value)]))

    @on(Input.Submitted, "#export-path")
    def _submitted(self) -> None:
        self.action_export()

    @on(Button.Pressed, "#export-go")
    def _go(self) -> None:
        self.action_export()

    @on(Button.Pressed, "#export-cancel")
    def action_close(self) -> None:
        self.dismiss(None)

    def action_export(self) -> None:
        steps = self.picker.chosen()
        if not steps:
            self.notify("Choose at least one run (Space).", severity="warning")
            return
        path = Path(self.query_one("#export-path", Input).value.strip() or default_path()).expanduser()
        fmt = str(self.query_one("#export-format", Select).value)

        def confirmed(yes: bool | None) -> None:
            if yes:
                self.write(steps, path, fmt)

        if path.exists():
            self.app.push_screen(ConfirmScreen(f"{path} exists. Replace it?", "Replace"), confirmed)
        else:
            self.write(steps, path, fmt)

    @work(exclusive=True, group="export", exit_on_error=False)
    async def write(self, steps: list, path: Path, fmt: str) -> None:
        try:
            written = await asyncio.to_thread(export_steps, steps, path, fmt)  # type: ignore[arg-type]
        except (ExportError, OSError) as err:
            self.notify(f"Could not export: {err}", title="Export", severity="error", timeout=10)
            return
        beside = f" (and {len(written) - 1} file(s) beside it)" if len(written) > 1 else ""
        self.notify(f"Exported {len(steps)} run(s) to {path}{beside}.", title="Export")
        self.dismiss(path)
