"""A chart artifact drawn natively from `result.chart`: the plot, its labels, its data table.

A superchart shows each of its charts on a tab of its own.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, Static, TabbedContent, TabPane

from ..core.artifacts import Artifact
from ..core.charts import chart_parts, describe_chart
from ..widgets.artifacts import ArtifactAction, ChartPartView


class ChartScreen(ModalScreen[None]):
    """A chart artifact's parts, each a plot over its data table."""

    BINDINGS = [
        Binding("escape,q", "close", "Close"),
        Binding("p", "then('preview')", "Preview image"),
        Binding("s", "then('save')", "Save"),
        Binding("right_square_bracket", "part(1)", "Next part"),
        Binding("left_square_bracket", "part(-1)", "Previous part"),
    ]

    def __init__(self, artifact: Artifact) -> None:
        super().__init__()
        assert artifact.chart is not None
        self.artifact = artifact
        self.parts = chart_parts(artifact.chart)

    def compose(self) -> ComposeResult:
        chart = self.artifact.chart
        assert chart is not None
        with Vertical(classes="chart-view"):
            yield Label(f"{self.artifact.name} · {describe_chart(chart)}", classes="dialog-title")
            if not self.parts:
                yield Static("This chart has no parts that can be drawn; s saves its JSON.", classes="dim")
            elif len(self.parts) == 1:
                yield ChartPartView(self.parts[0])
            else:
                with TabbedContent(id="chart-parts"):
                    for n, part in enumerate(self.parts, start=1):
                        name = part.title or part.kind.replace("_", " ")
                        with TabPane(f"{n} {name}", id=f"part-{n}"):
                            yield ChartPartView(part)
            keys = ["Esc close", "↑/↓ in the table marks a point"]
            if len(self.parts) > 1:
                keys.append("[ / ] part")
            if self.artifact.raster() is not None or self.artifact.result.svg:
                keys.append("p image")
            keys.append("s save")
            yield Label(" · ".join(keys), classes="dim")

    def on_mount(self) -> None:
        tables = self.query("DataTable")
        if tables:
            tables.first().focus()

    def action_part(self, step: int) -> None:
        if len(self.parts) < 2:
            return
        tabs = self.query_one(TabbedContent)
        current = int(str(tabs.active).removeprefix("part-") or 1)
        target = (current - 1 + step) % len(self.parts) + 1
        tabs.active = f"part-{target}"
        self.query_one(f"#part-{target}").query("DataTable").first().focus()

    def action_then(self, action: str) -> None:
        self.dismiss(None)
        self.app.post_message(ArtifactAction(self.artifact, action))

    def action_close(self) -> None:
        self.dismiss(None)
