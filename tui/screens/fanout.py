"""Fan-out (`Alt+M`): one snippet in several contexts or sandboxes, outputs side by side.

A column per lane (`tui.core.fanout`), filled while the runs stream; once every lane has
ended, the parts of a lane that differ from what most lanes produced (stdout, stderr,
results, error) are marked `≠` in its column, and its header says which. Lanes in other
sandboxes are started here and their sandboxes closed when the screen is.
"""

from __future__ import annotations

import asyncio

from rich.console import Group, RenderableType
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Label, Static

from ..common.terminal import clean
from ..core.artifacts import artifacts_of
from ..core.compare import Consensus
from ..core.errors import WorkbenchError
from ..core.fanout import FanOut, Lane, OtherSandbox
from ..core.target import Target
from ..core.transcript import transcript_of
from ..widgets.output_log import format_duration
from ..widgets.render import render_error, render_result


def section(title: str, differs: bool) -> Text:
    if differs:
        return Text(f"≠ {title}", style="bold reverse red")
    return Text(title, style="bold dim")


def lane_body(lane: Lane, marks: list[str] | None) -> RenderableType:
    """A lane's output by part; the parts in `marks` flagged as different."""
    record = lane.record
    if record is None:
        return Text(lane.note or "starting…", style="yellow")
    marks = marks or []
    transcript = transcript_of(record)
    parts: list[RenderableType] = []
    for stream in ("stdout", "stderr"):
        text = clean(transcript.text(stream))  # type: ignore[arg-type]
        if text or stream in marks:
            parts.append(section(stream, stream in marks))
            parts.append(Text(text.rstrip("\n") or "(none)", style="red" if stream == "stderr" else ""))
    if transcript.results or "results" in marks:
        parts.append(section("results", "results" in marks))
        # the record's own results carry its artifacts: an image shows as one (its name, kind
        # and thumbnail), not as the text that stands in for it (`<Figure size 640x480 ...>`)
        artifacts = {id(a.result): a for a in artifacts_of(record)}
        results = (
            list(record.results) if len(record.results) == len(transcript.results) else transcript.results
        )
        parts += [render_result(result, artifacts.get(id(result))) for result in results] or [
            Text("(none)", style="dim")
        ]
    if transcript.error is not None or "error" in marks:
        parts.append(section("error", "error" in marks))
        parts.append(render_error(transcript.error) if transcript.error else Text("(none)", style="dim"))
    if record.failure:
        parts.append(Text(record.failure, style="yellow"))
    if not parts:
        parts.append(Text("running…" if record.running else "(no output)", style="dim"))
    return Group(*parts)


def lane_header(lane: Lane, marks: list[str] | None) -> Text:
    text = Text(lane.label, style="bold")
    record = lane.record
    if record is not None:
        count = f"[{record.execution_count}] " if record.execution_count is not None else ""
        state = "running" if record.running else record.status
        text.append(f"  {count}{state} · {format_duration(record.elapsed())}", style="dim")
    text.append("\n")
    if marks is None:
        text.append("…", style="dim")
    elif marks == ["failed"]:
        text.append("! could not run: left out of the comparison", style="bold yellow")
    elif marks:
        text.append(f"≠ differs in {', '.join(marks)}", style="bold red")
    else:
        text.append("= same as the majority", style="green")
    return text


class FanOutScreen(ModalScreen[None]):
    DEFAULT_CSS = """
    FanOutScreen { align: center middle; }
    FanOutScreen > .fanout { width: 98%; height: 95%; border: thick $primary; background: $surface; padding: 0 1; }
    FanOutScreen #fanout-columns { height: 1fr; }
    FanOutScreen .lane { width: 1fr; border: round $primary 50%; padding: 0 1; }
    FanOutScreen .lane.-differs { border: round $error; }
    FanOutScreen .lane.-same { border: round $success; }
    FanOutScreen .lane-header { height: auto; margin: 0 0 1 0; }
    FanOutScreen .lane-body { height: auto; }
    FanOutScreen #fanout-summary { height: auto; }
    """
    BINDINGS = [Binding("escape", "close", "Close")]

    def __init__(
        self, fanout: FanOut, others: list[tuple[Lane, Target]] | None = None, timeout: float = 0
    ) -> None:
        super().__init__()
        self.fanout = fanout
        self.others = others or []
        self.timeout = timeout
        self.sandboxes: list[OtherSandbox] = []
        self.result: Consensus | None = None

    def compose(self) -> ComposeResult:
        first = next((ln.strip() for ln in self.fanout.code.splitlines() if ln.strip()), "")
        with Vertical(classes="fanout"):
            yield Label(f"Fan out · {len(self.fanout.lanes)} lanes · {first[:80]}", classes="dialog-title")
            with Horizontal(id="fanout-columns"):
                for n, lane in enumerate(self.fanout.lanes):
                    with VerticalScroll(classes="lane", id=f"lane-{n}"):
                        yield Static(lane_header(lane, None), classes="lane-header")
                        yield Static(lane_body(lane, None), classes="lane-body")
            yield Label("Running…", id="fanout-summary")

    def on_mount(self) -> None:
        for lane, target in self.others:
            self.start_other(lane, target)
        self._timer = self.set_interval(0.2, self.refresh_lanes)

    @work(exit_on_error=False, group="fanout-sandboxes")
    async def start_other(self, lane: Lane, target: Target) -> None:
        other = OtherSandbox(target)
        self.sandboxes.append(other)
        try:
            lane.record = await other.run(self.fanout.code, self.fanout.language, lane.label, self.timeout)
        except WorkbenchError as err:
            lane.note = f"No sandbox: {err}"
        except Exception as err:
            lane.note = f"Could not run: {err}"

    def columns(self) -> list[VerticalScroll]:
        return [self.query_one(f"#lane-{n}", VerticalScroll) for n in range(len(self.fanout.lanes))]

    def refresh_lanes(self) -> None:
        """While lanes run: repaint them; once all have ended, compare and mark them."""
        if self.result is not None:
            return
        if self.fanout.finished:
            self.result = self.fanout.compare()
            self._timer.stop()
        self.redraw()

    def redraw(self) -> None:
        for n, (lane, column) in enumerate(zip(self.fanout.lanes, self.columns(), strict=True)):
            marks = self.result.marks[n] if self.result else None
            column.query_one(".lane-header", Static).update(lane_header(lane, marks))
            column.query_one(".lane-body", Static).update(lane_body(lane, marks))
            if marks is not None:
                column.set_class(bool(marks), "-differs")
                column.set_class(not marks, "-same")
        if self.result is not None:
            self.query_one("#fanout-summary", Label).update(self.summary(self.result))

    def summary(self, result: Consensus) -> Text:
        lanes = list(zip(self.fanout.lanes, result.marks, strict=True))
        failed = [lane.label for lane, marks in lanes if marks == ["failed"]]
        differing = [
            f"{lane.label} ({', '.join(marks)})" for lane, marks in lanes if marks and marks != ["failed"]
        ]
        said = f" Could not run: {', '.join(failed)}." if failed else ""
        if not differing:
            ran = len(lanes) - len(failed)
            return Text(f"All {ran} lanes that ran produced the same output.{said}", style="bold green")
        return Text(f"Different from the majority: {'; '.join(differing)}.{said}", style="bold red")

    def action_close(self) -> None:
        self.dismiss(None)

    async def on_unmount(self) -> None:
        for other in self.sandboxes:
            await asyncio.to_thread(other.close)
