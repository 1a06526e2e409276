"""An image artifact full-screen, scaled to fit: kitty or sixel graphics, or half-blocks."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Center, Middle, Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, Static

from ..core.artifacts import Artifact
from ..core.pictures import Picture, picture_of
from ..widgets.artifacts import GRAPHICS_MODES, ArtifactAction, image_widget


class PreviewScreen(ModalScreen[str]):
    """Dismisses with the graphics mode last used (g switches it)."""

    BINDINGS = [
        Binding("escape,q", "close", "Close"),
        Binding("i", "then('chart')", "Interactive chart"),
        Binding("s", "then('save')", "Save"),
        Binding("g", "next_mode", "Graphics"),
    ]

    def __init__(self, artifact: Artifact, mode: str = "auto") -> None:
        super().__init__()
        self.artifact = artifact
        self.mode = mode if mode in GRAPHICS_MODES else "auto"
        self.picture: Picture = picture_of(artifact)

    def compose(self) -> ComposeResult:
        with Vertical(classes="preview"):
            yield Label(self._title(), id="preview-title", classes="dialog-title")
            with Middle(id="preview-frame"), Center():
                yield self._body()
            keys = ["Esc close"]
            if self.artifact.chart is not None:
                keys.append("i interactive chart")
            keys += ["s save", "g graphics: auto / kitty / sixel / halfblock"]
            yield Label(" · ".join(keys), classes="dim")

    def _title(self) -> str:
        return f"{self.artifact.name} · {self.artifact.describe()} — shown with {self.mode}"

    def _body(self):  # noqa: ANN202 - an image widget, or a note
        if self.picture.image is None:
            return Static(self.picture.note, id="preview-note")
        return image_widget(self.picture.image, self.mode, id="preview-image")

    async def action_next_mode(self) -> None:
        self.mode = GRAPHICS_MODES[(GRAPHICS_MODES.index(self.mode) + 1) % len(GRAPHICS_MODES)]
        center = self.query_one("#preview-frame Center")
        await center.remove_children()
        await center.mount(self._body())
        self.query_one("#preview-title", Label).update(self._title())

    def action_then(self, action: str) -> None:
        self.dismiss(self.mode)
        self.app.post_message(ArtifactAction(self.artifact, action))

    def action_close(self) -> None:
        self.dismiss(self.mode)
