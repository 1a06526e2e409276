"""New context: a language from those available and a working directory."""

from __future__ import annotations

from dataclasses import dataclass

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select


@dataclass
class NewContextRequest:
    language: str
    cwd: str


class NewContextScreen(ModalScreen[NewContextRequest | None]):
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, languages: list[str], language: str, cwd: str) -> None:
        super().__init__()
        self.languages = languages
        self.language = language if language in languages else (languages[0] if languages else "python")
        self.cwd = cwd

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="dialog"):
            yield Label("New context", classes="dialog-title")
            yield Label("Language")
            yield Select(
                [(lang, lang) for lang in self.languages],
                value=self.language,
                allow_blank=False,
                id="language",
            )
            yield Label("Working directory (empty: the runtime's)")
            yield Input(self.cwd, placeholder="/path/to/dir", id="cwd")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Create", variant="primary", id="create")
                yield Button("Cancel", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#language", Select).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "create":
            self._create()
        else:
            self.dismiss(None)

    def on_input_submitted(self, _event: Input.Submitted) -> None:
        self._create()

    def _create(self) -> None:
        language = self.query_one("#language", Select).value
        cwd = self.query_one("#cwd", Input).value.strip()
        self.dismiss(NewContextRequest(str(language), cwd))

    def action_cancel(self) -> None:
        self.dismiss(None)
