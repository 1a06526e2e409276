"""The live output log: one block per run, filled as the run streams.

A block shows a bounded number of lines (the head and tail of the output) however
much a run prints; the full output stays on disk and opens on demand. Updates are
throttled to one render per frame, so a flood never starves the event loop.
"""

from __future__ import annotations

import time

from rich.console import Group, RenderableType
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import Static

from ..actions import bindings
from ..core.artifacts import artifacts_of
from ..core.records import ExecutionRecord
from .render import render_error, render_result, result_plain

SPINNER = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"
FRAME = 1 / 30
# Lines a block shows: few while the run streams (each frame re-renders them), more once
# it is done. The whole output is one key away (o).
LIVE_LINES = (10, 30)
DONE_LINES = (60, 60)
MAX_THUMBNAILS = 4  # artifacts of one run shown with a thumbnail; the others get one line each
STATUS_STYLE = {
    "running": "yellow",
    "ok": "green",
    "error": "red",
    "interrupted": "magenta",
    "timeout": "magenta",
    "failed": "red",
}


def format_duration(seconds: float) -> str:
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    if seconds < 60:
        return f"{seconds:.2f} s"
    minutes, secs = divmod(int(seconds), 60)
    return f"{minutes}m{secs:02d}s"


def block_header(record: ExecutionRecord) -> Text:
    """`[n] python · python·ab12cd · 0.21 s` (a spinner and elapsed time while running)."""
    count = "*" if record.execution_count is None else str(record.execution_count)
    text = Text()
    text.append(f"[{count}] ", style="bold")
    text.append(record.language, style="bold cyan")
    text.append(f" · {record.context_label} · ", style="dim")
    if record.running:
        spin = SPINNER[int(time.monotonic() * 10) % len(SPINNER)]
        text.append(f"{spin} {format_duration(record.elapsed())}", style="yellow")
    else:
        text.append(format_duration(record.elapsed()), style=STATUS_STYLE.get(record.status, ""))
        if record.status != "ok":
            text.append(f" · {record.status}", style=STATUS_STYLE.get(record.status, ""))
    return text


class RunBlock(Vertical, can_focus=True):
    """One run: header, output (bounded), results, error."""

    BINDINGS = bindings("block")

    class OpenFull(Message):
        def __init__(self, record: ExecutionRecord) -> None:
            super().__init__()
            self.record = record

    class CodeToEditor(Message):
        def __init__(self, record: ExecutionRecord) -> None:
            super().__init__()
            self.record = record

    class ArtifactsRequested(Message):
        """Do `action` (preview, chart, save, list) with an artifact of this run."""

        def __init__(self, record: ExecutionRecord, action: str) -> None:
            super().__init__()
            self.record = record
            self.action = action

    def __init__(self, record: ExecutionRecord) -> None:
        super().__init__(classes="run-block")
        self.record = record
        self._last_render = 0.0
        self._pending = False
        self._results_shown: tuple[int, int | None] = (-1, None)
        self._results_renderable: RenderableType | None = None
        self._rendered: dict[tuple[int, str | None, bool], RenderableType] = {}
        # made here, not in compose: the app's tick may update a block before it is composed
        self._header = Static(block_header(record), classes="run-header")
        self._body = Static("", classes="run-body")

    def compose(self) -> ComposeResult:
        yield self._header
        yield self._body

    def on_mount(self) -> None:
        self.refresh_block()

    def schedule_refresh(self) -> None:
        """Render now, or at the next frame if we rendered less than a frame ago."""
        if self._pending:
            return
        wait = self._last_render + FRAME - time.monotonic()
        if wait <= 0:
            self.refresh_block()
        else:
            self._pending = True
            self.set_timer(wait, self._deferred)

    def _deferred(self) -> None:
        self._pending = False
        self.refresh_block()

    def refresh_header(self) -> None:
        self._header.update(block_header(self.record))

    def refresh_block(self) -> None:
        self._last_render = time.monotonic()
        record = self.record
        with record.lock:
            head, hidden, tail = record.output.visible(*(LIVE_LINES if record.running else DONE_LINES))
            head, tail = list(head), list(tail)
            results = list(record.results)
            error = record.error
        parts: list[RenderableType] = []
        if head or tail:
            parts.append(self._lines(head, hidden, tail))
        if results:
            shown = (len(results), record.execution_count)  # artifact names use the count
            if shown != self._results_shown:
                self._results_renderable = self._render_results(results)
                self._results_shown = shown
                self.refresh_bindings()  # the artifact keys may apply now
            parts.append(self._results_renderable)
        if error is not None:
            parts.append(render_error(error))
        if record.failure:
            parts.append(
                Text(record.failure, style="bold magenta" if record.status != "failed" else "bold red")
            )
        self._body.update(Group(*parts) if parts else Text(""))
        self.refresh_header()
        self.set_class(record.status == "error" or record.status == "failed", "-error")
        self.set_class(record.running, "-running")

    def _render_results(self, results: list) -> RenderableType:
        artifacts = {id(a.result): a for a in artifacts_of(self.record)}
        parts = []
        thumbnails = 0
        for result in results:  # each result is rendered once (thumbnails decode images)
            artifact = artifacts.get(id(result))
            # a run that draws dozens of charts shows the first few as thumbnails, the rest as
            # one line each: the block stays readable and cheap to repaint while it grows
            with_thumbnail = artifact is not None and thumbnails < MAX_THUMBNAILS
            thumbnails += with_thumbnail
            key = (id(result), artifact.name if artifact else None, with_thumbnail)
            if key not in self._rendered:
                self._rendered[key] = render_result(result, artifact, with_thumbnail)
            parts.append(self._rendered[key])
        if artifacts:
            charts = any(a.chart is not None for a in artifacts.values())
            keys = ["p preview"] + (["i interactive chart"] if charts else []) + ["s save"]
            if len(artifacts) > 1:
                keys.append("a list")
            if len(artifacts) > MAX_THUMBNAILS:
                keys.append(f"thumbnails of the first {MAX_THUMBNAILS}")
            parts.append(Text(f"on this block: {' · '.join(keys)}", style="dim italic"))
        return Group(*parts)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """The artifact keys only show (and work) on a block that has artifacts."""
        if action != "artifact":
            return True
        return bool(artifacts_of(self.record))

    @staticmethod
    def _lines(head: list[tuple[str, str]], hidden: int, tail: list[tuple[str, str]]) -> Text:
        text = Text(no_wrap=False)
        for stream, line in head:
            text.append(line + "\n", style="red" if stream == "stderr" else "")
        if hidden:
            text.append(
                f"… {hidden:,} more lines not shown — press o on this block for the full output …\n",
                style="bold yellow",
            )
        for stream, line in tail:
            text.append(line + "\n", style="red" if stream == "stderr" else "")
        text.rstrip()
        return text

    def plain_text(self) -> str:
        """The block's whole output (from disk), results and error, for copying."""
        record = self.record
        artifacts = {id(a.result): a for a in artifacts_of(record)}
        parts = [record.full_output().rstrip("\n")]
        parts += [result_plain(r, artifacts.get(id(r))) for r in list(record.results)]
        if record.error:
            parts.append(f"{record.error.name}: {record.error.value}\n{record.error.traceback}")
        if record.failure:
            parts.append(record.failure)
        return "\n".join(p for p in parts if p)

    def action_copy(self) -> None:
        self.app.copy_to_clipboard(self.plain_text())
        self.app.notify(f"Copied the output of run [{self.record.execution_count or '*'}] (OSC 52).")

    def action_open_full(self) -> None:
        self.post_message(self.OpenFull(self.record))

    def action_to_editor(self) -> None:
        self.post_message(self.CodeToEditor(self.record))

    def action_artifact(self, action: str) -> None:
        self.post_message(self.ArtifactsRequested(self.record, action))


class OutputLog(VerticalScroll):
    """The log: blocks in run order; follows the newest block unless scrolled up."""

    MAX_BLOCKS = 200

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.blocks: dict[int, RunBlock] = {}

    def add_run(self, record: ExecutionRecord, block: RunBlock | None = None) -> RunBlock:
        """Show `record` as a new block (`block`: a RunBlock of another kind, e.g. a command's)."""
        block = block or RunBlock(record)
        self.blocks[record.seq] = block
        self.mount(block)
        while len(self.blocks) > self.MAX_BLOCKS:
            oldest = min(self.blocks)
            self.blocks.pop(oldest).remove()
        self.call_after_refresh(self.scroll_end, animate=False)
        return block

    def update_run(self, seq: int) -> None:
        block = self.blocks.get(seq)
        if block is None:
            return
        following = self.scroll_y >= self.max_scroll_y - 1
        block.schedule_refresh()
        if following:
            self.call_after_refresh(self.scroll_end, animate=False)

    def tick(self) -> None:
        """Advance spinners and elapsed times of running blocks."""
        for block in self.blocks.values():
            if block.record.running:
                block.refresh_header()

    def clear(self) -> None:
        for block in self.blocks.values():
            block.remove()
        self.blocks.clear()

    def focused_block(self) -> RunBlock | None:
        focused = self.app.focused
        if isinstance(focused, RunBlock):
            return focused
        return self.blocks[max(self.blocks)] if self.blocks else None
