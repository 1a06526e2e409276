"""Choose runs: from the log (this session), the history (any session) or a file.

The export and replay dialogs both start here. Each run is a line of a selection list
(`Space` toggles it); the log's runs start chosen, the history's latest session too, a
file's every step. `chosen()` gives the steps (`tui.core.steps`) in the order they ran.
"""

from __future__ import annotations

from pathlib import Path

from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Input, Label, Select, SelectionList

from ..core.history import History
from ..core.records import ExecutionRecord
from ..core.steps import Step, UnusableInput, from_history, from_records, load_steps

HISTORY_ROWS = 300


def step_label(step: Step) -> str:
    count = step.execution_count
    first = next((line.strip() for line in step.code.splitlines() if line.strip()), "")
    status = f" · {step.status}" if step.status and step.status != "ok" else ""
    kept = "" if step.has_original else " · outputs not kept"
    return f"[{count if count is not None else ' '}] {step.language:<10} {first[:56]}{status}{kept}"


class RunPicker(Vertical):
    """A source (log, history, file) and the runs chosen from it."""

    DEFAULT_CSS = """
    RunPicker { height: 1fr; }
    RunPicker #picker-path { display: none; }
    RunPicker.-file #picker-path { display: block; }
    RunPicker #picker-list { height: 1fr; }
    RunPicker #picker-status { color: $text-muted; height: auto; }
    """

    def __init__(
        self, records: list[ExecutionRecord], history: History, files: bool = False, **kwargs
    ) -> None:
        super().__init__(**kwargs)
        self.records = records
        self.history = history
        self.files = files
        self.steps: list[Step] = []

    def compose(self) -> ComposeResult:
        options = [("The log: this session's runs", "log"), ("History: runs of every session", "history")]
        if self.files:
            options.append(("A file: notebook (.ipynb), exported JSON or # %% .py", "file"))
        yield Select(options, value="log", allow_blank=False, id="picker-source")
        yield Input(placeholder="path to the file; Enter loads it", id="picker-path")
        yield SelectionList[int](id="picker-list")
        yield Label("", id="picker-status")

    def on_mount(self) -> None:
        self.show_source("log")

    @property
    def source(self) -> str:
        return str(self.query_one("#picker-source", Select).value)

    @on(Select.Changed, "#picker-source")
    def _source_changed(self, event: Select.Changed) -> None:
        self.show_source(str(event.value))

    def show_source(self, source: str) -> None:
        self.set_class(source == "file", "-file")
        if source == "log":
            self.fill(from_records(self.records), chosen=None)
        elif source == "history":
            entries = self.history.recent(limit=HISTORY_ROWS)
            latest = {e.id for e in self.history.last_session()}
            steps = from_history(entries)
            self.fill(
                steps, chosen={i for i, e in enumerate(sorted(entries, key=lambda e: e.id)) if e.id in latest}
            )
        else:
            self.fill([], chosen=None)
            self.query_one("#picker-path", Input).focus()

    @on(Input.Submitted, "#picker-path")
    def _path_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.load(event.value)

    def load(self, path: str) -> bool:
        """Read the steps of a file (the status says why not)."""
        try:
            steps = load_steps(Path(path.strip()).expanduser())
        except UnusableInput as err:
            self.fill([], chosen=None)
            self.say(str(err))
            return False
        self.fill(steps, chosen=None)
        self.query_one("#picker-list", SelectionList).focus()
        return True

    def fill(self, steps: list[Step], chosen: set[int] | None) -> None:
        """Show `steps`; `chosen` (indexes) start selected, all of them when None."""
        self.steps = steps
        listing = self.query_one("#picker-list", SelectionList)
        listing.clear_options()
        listing.add_options(
            (step_label(step), i, chosen is None or i in chosen) for i, step in enumerate(steps)
        )
        self.say_count()

    @on(SelectionList.SelectedChanged)
    def _selection_changed(self) -> None:
        self.say_count()

    def say_count(self) -> None:
        if not self.steps:
            empty = {"log": "The log has no finished runs.", "history": "The history is empty."}
            self.say(empty.get(self.source, "Type a path and press Enter."))
            return
        chosen = len(self.query_one("#picker-list", SelectionList).selected)
        self.say(f"{chosen} of {len(self.steps)} chosen · Space toggles a run")

    def say(self, text: str) -> None:
        self.query_one("#picker-status", Label).update(text)

    def chosen(self) -> list[Step]:
        """The chosen steps, in the order they ran."""
        picked = set(self.query_one("#picker-list", SelectionList).selected)
        return [step for i, step in enumerate(self.steps) if i in picked]
