"""A question with a few answers, each on a button and a key."""

from __future__ import annotations

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Label


class ChoiceScreen(ModalScreen[str | None]):
    """`ChoiceScreen("Sandbox gone", [("r", "Reconnect"), ("n", "New sandbox")])` -> "r", "n" or None."""

    BINDINGS = [Binding("escape", "choose('')", "Cancel")]

    def __init__(self, question: str, choices: list[tuple[str, str]]) -> None:
        super().__init__()
        self.question = question
        self.choices = choices

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(self.question, classes="dialog-title", markup=False)
            with Horizontal(classes="dialog-buttons"):
                for key, label in self.choices:
                    yield Button(Content(f"{label} [{key}]"), id=f"choice-{key}")  # plain: "[n]" is no markup tag
                yield Button(Content("Cancel [esc]"), id="choice-")

    def on_mount(self) -> None:
        self.query(Button).first().focus()

    def on_key(self, event: events.Key) -> None:
        if any(event.key == key for key, _label in self.choices):
            event.stop()
            self.action_choose(event.key)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.action_choose((event.button.id or "choice-").removeprefix("choice-"))

    def action_choose(self, key: str) -> None:
        self.dismiss(key or None)
