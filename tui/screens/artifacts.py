"""The artifacts of one run: pick one, then preview it, draw its chart or save it."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Label

from ..core.artifacts import Artifact


class ArtifactsScreen(ModalScreen[tuple[Artifact, str] | None]):
    """A table of artifacts; the keys say what to do with the highlighted one."""

    BINDINGS = [
        Binding("escape,q", "close", "Close"),
        Binding("enter,p", "choose('preview')", "Preview", priority=True),
        Binding("i", "choose('chart')", "Interactive chart"),
        Binding("s", "choose('save')", "Save"),
    ]

    def __init__(self, title: str, artifacts: list[Artifact]) -> None:
        super().__init__()
        self.title_text = title
        self.artifacts = artifacts

    def compose(self) -> ComposeResult:
        with Vertical(classes="artifacts dialog"):
            yield Label(self.title_text, classes="dialog-title")
            yield DataTable(id="artifacts-table", cursor_type="row", zebra_stripes=True)
            yield Label("Enter/p preview · i interactive chart · s save · Esc close", classes="dim")

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("artifact", "what")
        for artifact in self.artifacts:
            table.add_row(artifact.name, artifact.describe())
        table.focus()

    def current(self) -> Artifact | None:
        """The highlighted artifact (None when the list is empty)."""
        row = self.query_one(DataTable).cursor_row
        return self.artifacts[row] if self.artifacts and 0 <= row < len(self.artifacts) else None

    def action_choose(self, action: str) -> None:
        artifact = self.current()
        if artifact is not None:
            self.dismiss((artifact, action))

    def action_close(self) -> None:
        self.dismiss(None)
