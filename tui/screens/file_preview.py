"""A sandbox file previewed: code and text highlighted, CSV/TSV as a table, JSON pretty,
images with the same preview as charts (`PreviewScreen`: kitty, sixel or half-blocks).

The app reads at most `PREVIEW_BYTES` of the file (`core.preview` decides what it is);
what does not fit is said, never silently dropped.
"""

from __future__ import annotations

import base64

from e2b_code_interpreter.models import Result
from rich.syntax import Syntax
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import DataTable, Label, Static

from ..core.artifacts import Artifact
from ..core.preview import FilePreview
from .preview import PreviewScreen


class FilePreviewScreen(ModalScreen[None]):
    """Text, code, a table or pretty JSON, scrollable; Escape closes."""

    BINDINGS = [Binding("escape,q", "close", "Close")]

    def __init__(self, preview: FilePreview) -> None:
        super().__init__()
        self.preview = preview

    def compose(self) -> ComposeResult:
        preview = self.preview
        with Vertical(classes="full-output file-preview"):
            yield Label(preview.title(), id="file-preview-title", classes="dialog-title")
            if preview.kind == "table":
                table: DataTable = DataTable(id="file-preview-table", zebra_stripes=True)
                yield table
            else:
                with VerticalScroll(id="file-preview-body"):
                    yield Static(self._renderable(), id="file-preview-text")
            yield Label(preview.note or "Esc closes", id="file-preview-note", classes="dim")

    def _renderable(self):  # noqa: ANN202 - a Rich renderable
        preview = self.preview
        if preview.kind in ("code", "json"):
            return Syntax(preview.text, preview.lexer, line_numbers=True, word_wrap=False, theme="ansi_dark")
        return Text(preview.text)

    def on_mount(self) -> None:
        if self.preview.kind == "table":
            table = self.query_one(DataTable)
            header, *rows = self.preview.rows or [[]]
            table.add_columns(*[str(name) for name in header])
            width = len(header)
            for row in rows:
                table.add_row(*(list(row) + [""] * (width - len(row)))[:width])
            table.focus()
        else:
            self.query_one("#file-preview-body").focus()

    def action_close(self) -> None:
        self.dismiss(None)


class ImagePreviewScreen(PreviewScreen):
    """An image file, shown as chart artifacts are (g switches kitty / sixel / half-blocks)."""

    BINDINGS = [Binding("escape,q", "close", "Close"), Binding("g", "next_mode", "Graphics")]

    def __init__(self, preview: FilePreview, mode: str = "auto") -> None:
        self.file = preview
        kind = "png" if preview.image_format == "png" else "jpeg"
        result = Result(**{kind: base64.b64encode(preview.data).decode("ascii")})
        super().__init__(Artifact(run=0, number=0, result=result), mode)

    def _title(self) -> str:
        return f"{self.file.title()} — shown with {self.mode}"

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return action != "then"

    def on_mount(self) -> None:
        keys = self.query("Label.dim").last()
        keys.update("Esc close · g graphics: auto / kitty / sixel / halfblock")
