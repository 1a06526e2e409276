"""Replay (`Alt+R`): run chosen runs, a notebook or a `# %%` file again and compare each step.

Where: fresh contexts in the app's own sandbox (removed afterwards), or a fresh local
runtime or E2B cloud sandbox of their own (a session opened for the replay and closed
after it). `tui.core.replay` runs the steps on the session thread and reports each one
here as a message; the table fills as they end, and the highlighted step's diff shows
below it.
"""

from __future__ import annotations

import asyncio

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Checkbox, DataTable, Label, Select, Static

from ..core.config import Config
from ..core.errors import WorkbenchError
from ..core.history import History
from ..core.records import ExecutionRecord
from ..core.replay import ReplayOptions, ReplayReport, StepOutcome, replay
from ..core.session import Session
from ..core.steps import Step
from ..core.target import api_key, make_target
from ..widgets.run_picker import RunPicker

VERDICT_STYLE = {
    "same": ("✓ same", "green"),
    "ran": ("✓ ran", "green"),
    "different": ("✗ different", "bold red"),
    "raised": ("✗ raised", "bold red"),
    "failed": ("! failed", "bold yellow"),
    "skipped": ("· waiting", "dim"),
}


class StepChanged(Message):
    """A step started or ended (posted from the session thread)."""

    def __init__(self, outcome: StepOutcome) -> None:
        super().__init__()
        self.outcome = outcome


def verdict_text(outcome: StepOutcome, running: bool = False) -> Text:
    if running:
        return Text("◌ running", style="yellow")
    if outcome.verdict == "skipped" and outcome.note:
        return Text("- not run", style="dim")
    label, style = VERDICT_STYLE[outcome.verdict]
    return Text(label, style=style)


def diff_text(outcome: StepOutcome) -> Text:
    """What the diff pane shows for a step: its diff, coloured, or what happened."""
    head = Text(f"Step {outcome.index} · {outcome.step.title} · {outcome.step.language}\n", style="bold")
    if outcome.verdict == "different":
        head.append(f"differs in: {', '.join(outcome.comparison.different)}\n", style="red")
        for line in outcome.diff.splitlines():
            style = "green" if line.startswith("+") else "red" if line.startswith("-") else "dim"
            if line.startswith(("+++", "---")):
                style = "bold"
            head.append(line + "\n", style=style)
    elif outcome.verdict in ("same", "ran"):
        head.append(outcome.note or "The output matches the original (normalised).", style="green")
    elif outcome.note:
        head.append(outcome.note, style="yellow")
    return head


class ReplayScreen(ModalScreen[None]):
    DEFAULT_CSS = """
    ReplayScreen { align: center middle; }
    ReplayScreen > .replay { width: 95%; height: 95%; border: thick $primary; background: $surface; padding: 0 1; }
    ReplayScreen .replay-options { height: auto; }
    ReplayScreen #replay-where { width: 40; }
    ReplayScreen #replay-results { display: none; height: 1fr; }
    ReplayScreen.-results #replay-results { display: block; }
    ReplayScreen.-results #replay-setup { display: none; }
    ReplayScreen #replay-setup { height: 1fr; }
    ReplayScreen #replay-steps { height: 1fr; }
    ReplayScreen #replay-diff-pane { height: 1fr; border-top: hkey $primary 40%; }
    ReplayScreen #replay-summary { height: auto; text-style: bold; }
    ReplayScreen.-narrow .replay-options { layout: grid; grid-size: 2; grid-rows: 3; }
    ReplayScreen.-narrow #replay-where { column-span: 2; width: 100%; }
    ReplayScreen.-narrow .replay-options Checkbox { width: 100%; }
    """
    # the source, where and the two options take ~105 columns in a row; narrower (80x24), the
    # options go under the source, or "Ignore execution counts" lay beyond the dialog's edge
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (115, "-wide")]
    BINDINGS = [
        Binding("escape", "close", "Close"),
        Binding("f5", "replay", "Replay", priority=True),
        Binding("f2", "setup", "Choose again", priority=True),
    ]

    def __init__(
        self, session: Session, config: Config, records: list[ExecutionRecord], history: History
    ) -> None:
        super().__init__()
        self.session = session
        self.config = config
        self.records = records
        self.history = history
        self.outcomes: list[StepOutcome] = []
        self.report: ReplayReport | None = None
        self.running: StepOutcome | None = None

    def compose(self) -> ComposeResult:
        with Vertical(classes="replay"):
            yield Label(
                "Replay — choose runs (Space), F5 runs them again in fresh contexts and compares each output",
                classes="dialog-title",
            )
            with Vertical(id="replay-setup"):
                yield RunPicker(self.records, self.history, files=True, id="replay-picker")
                with Horizontal(classes="replay-options"):
                    where = [("Fresh contexts in this sandbox", "here"), ("A fresh local runtime", "local")]
                    if api_key():
                        where.append(("A fresh E2B cloud sandbox", "cloud"))
                    yield Select(where, value="here", allow_blank=False, id="replay-where")
                    yield Checkbox("Stop at first difference", id="replay-stop")
                    yield Checkbox("Ignore execution counts", True, id="replay-counts")
            with Vertical(id="replay-results"):
                yield Label("", id="replay-summary")
                yield DataTable(id="replay-steps", cursor_type="row", zebra_stripes=True)
                with VerticalScroll(id="replay-diff-pane"):
                    yield Static("", id="replay-diff")

    def on_mount(self) -> None:
        table = self.query_one("#replay-steps", DataTable)
        for name, width in (("step", 5), ("verdict", 12), ("language", 10), ("from", 12), ("code", None)):
            table.add_column(name, key=name, width=width)

    @property
    def picker(self) -> RunPicker:
        return self.query_one(RunPicker)

    def options(self) -> ReplayOptions:
        return ReplayOptions(
            timeout=self.config.run_timeout or 0,
            stop_at_first=self.query_one("#replay-stop", Checkbox).value,
            ignore_counts=self.query_one("#replay-counts", Checkbox).value,
        )

    # -- running -------------------------------------------------------------------

    def action_replay(self) -> None:
        if self.running is not None or self.has_class("-running"):
            self.notify("A replay is running (Escape stops it).")
            return
        steps = self.picker.chosen()
        if not steps:
            self.notify("Choose at least one run, or load a file.", severity="warning")
            return
        where = str(self.query_one("#replay-where", Select).value)
        self.start(steps, where)

    def start(self, steps: list[Step], where: str) -> None:
        self.outcomes = [StepOutcome(n, step) for n, step in enumerate(steps, start=1)]
        self.report = None
        table = self.query_one("#replay-steps", DataTable)
        table.clear()
        for outcome in self.outcomes:
            first = next((ln.strip() for ln in outcome.step.code.splitlines() if ln.strip()), "")
            table.add_row(
                str(outcome.index),
                verdict_text(outcome),
                outcome.step.language,
                outcome.step.title,
                first[:70],
                key=str(outcome.index),
            )
        self.add_class("-results", "-running")
        self.query_one("#replay-summary", Label).update(f"Replaying {len(steps)} steps…")
        table.focus()
        self.run_replay(steps, where)

    @work(exclusive=True, group="replay", exit_on_error=False)
    async def run_replay(self, steps: list[Step], where: str) -> None:
        options = self.options()

        def on_step(outcome: StepOutcome) -> None:  # on the session thread
            self.post_message(StepChanged(outcome))

        own: Session | None = None
        try:
            session = self.session
            if where != "here":
                own = Session(make_target("cloud" if where == "cloud" else "local", self.config))
                self.query_one("#replay-summary", Label).update(
                    f"Opening {'an E2B cloud sandbox' if where == 'cloud' else 'a fresh local runtime'}…"
                )
                await own.open()
                session = own
            report = await session.call(lambda sandbox: replay(sandbox, steps, options, on_step))
        except WorkbenchError as err:
            self.query_one("#replay-summary", Label).update(
                Text(f"No sandbox for the replay: {err}", "bold red")
            )
            return
        except Exception as err:
            self.query_one("#replay-summary", Label).update(Text(f"The replay failed: {err}", "bold red"))
            return
        finally:
            self.remove_class("-running")
            self.running = None
            if own is not None:
                await asyncio.to_thread(own.close)
        self.finished(report)

    def finished(self, report: ReplayReport) -> None:
        self.report = report
        self.outcomes = report.outcomes
        for outcome in report.outcomes:
            self._show(outcome)
        style = "green" if report.all_matched else "red"
        self.query_one("#replay-summary", Label).update(Text(report.summary(), style=f"bold {style}"))
        first = report.first_difference
        table = self.query_one("#replay-steps", DataTable)
        if first is not None:
            table.move_cursor(row=first.index - 1)
        self._show_diff()

    @on(StepChanged)
    def _step_changed(self, message: StepChanged) -> None:
        outcome = message.outcome
        ended = outcome.verdict != "skipped" or bool(outcome.note)
        self.running = None if ended else outcome
        if outcome.index <= len(self.outcomes):
            self.outcomes[outcome.index - 1] = outcome
        self._show(outcome)
        done = sum(1 for o in self.outcomes if o.verdict != "skipped" or o.note)
        if self.has_class("-running"):
            self.query_one("#replay-summary", Label).update(
                f"Replaying: {done} of {len(self.outcomes)} steps done…"
            )

    def _show(self, outcome: StepOutcome) -> None:
        table = self.query_one("#replay-steps", DataTable)
        try:
            table.update_cell(str(outcome.index), "verdict", verdict_text(outcome, outcome is self.running))
        except Exception:  # noqa: S110 - a table cleared meanwhile
            return
        if table.cursor_row == outcome.index - 1:
            self._show_diff()

    @on(DataTable.RowHighlighted, "#replay-steps")
    def _show_diff(self) -> None:
        table = self.query_one("#replay-steps", DataTable)
        row = table.cursor_row
        if row is None or not (0 <= row < len(self.outcomes)):
            return
        self.query_one("#replay-diff", Static).update(diff_text(self.outcomes[row]))

    # -- leaving ---------------------------------------------------------------------

    def action_setup(self) -> None:
        if not self.has_class("-running"):
            self.remove_class("-results")

    def action_close(self) -> None:
        if self.has_class("-running"):
            self.workers.cancel_group(self, "replay")
            self.notify("Replay stopped.")
            return
        self.dismiss(None)
