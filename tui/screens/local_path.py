"""Ask for local paths, completing them as a shell does (Tab or →), several at once.

Used to pick what to upload (`a.csv "my data/" images/*.png`: words split as a shell
splits them, globs expanded) and where a download goes (one path).
"""

from __future__ import annotations

import glob
import os
import shlex
from pathlib import Path

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.suggester import Suggester
from textual.widgets import Input, Label

from .early_keys import to_field


def _last_word(value: str) -> tuple[str, str]:
    """(everything before the last word, the last word), the word unquoted as typed so far."""
    if not value or value.endswith(" ") and value.count('"') % 2 == 0 and value.count("'") % 2 == 0:
        return value, ""
    for quote in ('"', "'"):
        if value.count(quote) % 2 == 1:
            start = value.rfind(quote)
            return value[:start], value[start + 1 :]
    start = value.rfind(" ") + 1
    return value[:start], value[start:]


def complete(value: str, base: Path) -> str | None:
    """`value` with its last word completed to the first local path it starts (folders end in `/`)."""
    before, word = _last_word(value)
    expanded = os.path.expanduser(word)
    folder, prefix = os.path.split(expanded)
    where = Path(base, folder) if not os.path.isabs(folder) else Path(folder)
    try:
        names = sorted(
            n for n in os.listdir(where) if n.startswith(prefix) and (prefix or not n.startswith("."))
        )
    except OSError:
        return None
    if not names:
        return None
    name = names[0]
    completed = os.path.join(folder, name) if folder else name
    if word.startswith("~") and not folder.startswith("~"):
        completed = "~" + completed[len(os.path.expanduser("~")) :]
    folder_named = (where / name).is_dir()
    if folder_named:
        completed += "/"
    if " " in completed and not before.endswith(('"', "'")):
        # a folder's quote stays open for what is typed inside it; a file's closes, or Enter
        # would meet an open quote ("No closing quotation") after a completion that looked done
        return f'{before}"{completed}' + ("" if folder_named else '"')
    return before + completed


class LocalPathSuggester(Suggester):
    def __init__(self, base: Path) -> None:
        super().__init__(use_cache=False, case_sensitive=True)
        self.base = base

    async def get_suggestion(self, value: str) -> str | None:
        found = complete(value, self.base)
        return found if found and found != value else None


def expand_paths(value: str, base: Path) -> list[Path]:
    """The paths the words of `value` name (globs expanded; ValueError for unbalanced quotes)."""
    paths = []
    for word in shlex.split(value):
        word = os.path.expanduser(word)
        full = word if os.path.isabs(word) else str(base / word)
        matches = sorted(glob.glob(full)) if glob.has_magic(word) else [full]
        paths += [Path(match) for match in matches or [full]]
    return paths


class LocalPathScreen(ModalScreen[list[Path] | None]):
    """One or several local paths (`several`), relative to `base` (the app's directory)."""

    BINDINGS = [Binding("escape", "cancel", "Cancel"), Binding("tab", "complete", "Complete", priority=True)]

    def __init__(
        self, title: str, value: str = "", *, several: bool = False, base: Path | None = None
    ) -> None:
        super().__init__()
        self.title_text = title
        self.value = value
        self.several = several
        self.base = base or Path.cwd()

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(self.title_text, classes="dialog-title")
            yield Input(
                self.value,
                placeholder="paths here, e.g. data.csv images/*.png" if self.several else "a local path",
                suggester=LocalPathSuggester(self.base),
                id="path",
            )
            yield Label("", id="path-problem", classes="dim")
            hint = (
                "several: separate with spaces, quote names with spaces, globs work; " if self.several else ""
            )
            yield Label(f"{hint}Tab completes, Enter accepts, Escape cancels", classes="dim")

    @property
    def input(self) -> Input:
        return self.query_one("#path", Input)

    def action_complete(self) -> None:
        found = complete(self.input.value, self.base)
        if found:
            self.input.value = found
            self.input.cursor_position = len(found)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        try:
            paths = expand_paths(event.value, self.base)
        except ValueError as err:
            self.query_one("#path-problem", Label).update(f"[red]{err}[/]")
            return
        if not paths:
            self.query_one("#path-problem", Label).update("[red]No path given.[/]")
            return
        if not self.several and len(paths) > 1:
            self.query_one("#path-problem", Label).update("[red]One path only.[/]")
            return
        self.dismiss(paths)

    def on_key(self, event: events.Key) -> None:
        to_field(self, event, self.input)

    def action_cancel(self) -> None:
        self.dismiss(None)
