"""The live output log: one block per run, filled as the run streams.

A block shows a bounded number of lines (the head and tail of the output) however
much a run prints; the full output stays on disk and opens on demand. Updates are
throttled to one render per frame, so a flood never starves the event loop.

Everything a block shows from the sandbox is terminal text made safe (the record keeps
its lines through `tui.common.terminal.clean`; results and errors go through
`tui.widgets.render`): no byte of output can act on the user's terminal. A result shows
in its default form (`tui.core.forms`); `f` on the block switches its results between
their forms.
"""

from __future__ import annotations

import re
import time

from rich.console import Group, RenderableType
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import Static

from ..actions import bindings
from ..core import forms
from ..core.artifacts import artifacts_of
from ..core.records import ExecutionRecord
from .render import error_plain, plain, render_error, render_result, result_plain, terminal_text
from .search import Highlighted, match_lines, rendered_lines

SPINNER = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"
FRAME = 1 / 30
# Lines a block shows: few while the run streams (each frame re-renders them), more once
# it is done. The whole output is one key away (o).
LIVE_LINES = (10, 30)
DONE_LINES = (60, 60)
WAIT_SHOWN = 0.05  # a wait shorter than this is the sandbox's round trip, not a queue
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
    """`[n] python · python·ab12cd · 0.21 s` (a spinner and elapsed time while running);
    a run that waited behind another of its context says its wait apart from its run time."""
    count = "*" if record.execution_count is None else str(record.execution_count)
    text = Text()
    text.append(f"[{count}] ", style="bold")
    text.append(record.language, style="bold cyan")
    text.append(f" · {record.context_label} · ", style="dim")
    waited = record.wait_time()
    if record.queued:
        spin = SPINNER[int(time.monotonic() * 10) % len(SPINNER)]
        text.append(f"{spin} queued {format_duration(waited)}", style="yellow")
        return text
    if record.running:
        spin = SPINNER[int(time.monotonic() * 10) % len(SPINNER)]
        text.append(f"{spin} {format_duration(record.run_time())}", style="yellow")
    else:
        text.append(format_duration(record.run_time()), style=STATUS_STYLE.get(record.status, ""))
        if record.status != "ok":
            text.append(f" · {record.status}", style=STATUS_STYLE.get(record.status, ""))
    if waited >= WAIT_SHOWN:
        text.append(f" · waited {format_duration(waited)}", style="dim")
    return text


class RunBlock(Vertical, can_focus=True):
    """One run: header, output (bounded), results, error."""

    BINDINGS = bindings("block")

    class OpenFull(Message):
        def __init__(self, record: ExecutionRecord, forms: dict[int, str]) -> None:
            super().__init__()
            self.record = record
            self.forms = forms  # the form each result shows in (by index)

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
        self.forms: dict[int, str] = {}  # result index -> the form it shows in (default: its first)
        self._last_render = 0.0
        self._pending = False
        self._results_shown: tuple[int, int | None, tuple] = (-1, None, ())
        self._results_renderable: RenderableType | None = None
        self._rendered: dict[tuple[int, str | None, bool, str | None], RenderableType] = {}
        self._content: RenderableType = Text("")
        self._search: re.Pattern[str] | None = None
        self._current: int | None = None  # the current match, when it is in this block
        self._matches: list[int] = []  # the body line of each match
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
            # artifact names use the count; a switch of form renders again
            shown = (len(results), record.execution_count, tuple(sorted(self.forms.items())))
            if shown != self._results_shown:
                self._results_renderable = self._render_results(results)
                self._results_shown = shown
                self.refresh_bindings()  # the artifact and form keys may apply now
            parts.append(self._results_renderable)
        if error is not None:
            parts.append(render_error(error))
        if record.failure:
            parts.append(
                Text(plain(record.failure), style="bold magenta" if record.status != "failed" else "bold red")
            )
        self._content = Group(*parts) if parts else Text("")
        log = self.parent
        if isinstance(log, OutputLog):
            log.follow()  # before the block grows: whether the log was at its end
        self._show()
        self.refresh_header()
        self.set_class(record.status == "error" or record.status == "failed", "-error")
        self.set_class(record.running, "-running")

    def _show(self) -> None:
        if self._search is None:
            self._body.update(self._content)
        else:
            self._body.update(Highlighted(self._content, self._search, self._current))

    def _render_results(self, results: list) -> RenderableType:
        artifacts = {id(a.result): a for a in artifacts_of(self.record)}
        parts = []
        thumbnails = 0
        switchable = False
        for index, result in enumerate(results):  # each result is rendered once (thumbnails decode images)
            artifact = artifacts.get(id(result))
            # a run that draws dozens of charts shows the first few as thumbnails, the rest as
            # one line each: the block stays readable and cheap to repaint while it grows
            with_thumbnail = artifact is not None and thumbnails < MAX_THUMBNAILS
            thumbnails += with_thumbnail
            form = self.forms.get(index)
            key = (id(result), artifact.name if artifact else None, with_thumbnail, form)
            if key not in self._rendered:
                self._rendered[key] = render_result(result, artifact, with_thumbnail, form)
            parts.append(self._rendered[key])
            if artifact is None and len(forms.forms_of(result)) > 1:
                switchable = True
                if self.forms.get(index, forms.default_form(result)) != forms.default_form(result):
                    parts.append(self._form_line(result, self.forms[index]))  # say how to go back
        keys = []
        if artifacts:
            charts = any(a.chart is not None for a in artifacts.values())
            keys = ["p preview"] + (["i interactive chart"] if charts else []) + ["s save"]
            if len(artifacts) > 1:
                keys.append("a list")
            if len(artifacts) > MAX_THUMBNAILS:
                keys.append(f"thumbnails of the first {MAX_THUMBNAILS}")
        if switchable and (keys or len(results) > 1):
            keys.append("f switch forms")
        if keys:
            parts.append(Text(f"on this block: {' · '.join(keys)}", style="dim italic"))
        return Group(*parts)

    @staticmethod
    def _form_line(result, shown: str | None) -> Text:  # noqa: ANN001 - a Result
        names = [forms.TITLES[f] if f != shown else f"[{forms.TITLES[f]}]" for f in forms.forms_of(result)]
        return Text(f"form: {' '.join(names)} · f switches", style="dim italic")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """The artifact keys only show (and work) on a block that has artifacts; `f` on one
        whose results have more than one form."""
        if action == "artifact":
            return bool(artifacts_of(self.record))
        if action == "next_form":
            return any(len(forms.forms_of(r)) > 1 for r in list(self.record.results))
        return True

    @staticmethod
    def _lines(head: list[tuple[str, str]], hidden: int, tail: list[tuple[str, str]]) -> Text:
        text = Text(no_wrap=False)
        for stream, line in head:
            _append_line(text, line, stream)
        if hidden:
            text.append(
                f"… {hidden:,} more lines not shown — press o on this block for the full output …\n",
                style="bold yellow",
            )
        for stream, line in tail:
            _append_line(text, line, stream)
        text.rstrip()
        return text

    def plain_text(self) -> str:
        """The block's whole output (from disk), results (in the forms shown) and error, for copying."""
        record = self.record
        artifacts = {id(a.result): a for a in artifacts_of(record)}
        parts = [record.full_output().rstrip("\n")]
        parts += [
            result_plain(r, artifacts.get(id(r)), self.forms.get(i))
            for i, r in enumerate(list(record.results))
        ]
        if record.error:
            parts.append(error_plain(record.error))
        if record.failure:
            parts.append(plain(record.failure))
        return "\n".join(p for p in parts if p)

    # -- search -------------------------------------------------------------------------

    def search(self, pattern: re.Pattern[str] | None) -> int:
        """Mark the matches of `pattern` (None: none); how many there are."""
        self._search = pattern
        self._current = None
        if pattern is None:
            self._matches = []
        else:
            width = self._body.content_region.width or self.app.size.width
            self._matches = match_lines(rendered_lines(self.app.console, self._content, width), pattern)
        self._show()
        return len(self._matches)

    def show_match(self, index: int | None) -> int:
        """Make the `index`-th match of this block the current one; its line in the body."""
        self._current = index
        self._show()
        return self._matches[index] if index is not None and index < len(self._matches) else 0

    # -- keys -----------------------------------------------------------------------------

    def action_next_form(self) -> None:
        """Show each result that has several forms in its next one (text, table, markdown, HTML, JSON)."""
        artifacts = {id(a.result) for a in artifacts_of(self.record)}
        said = []
        for index, result in enumerate(list(self.record.results)):
            if id(result) in artifacts:
                continue
            following = forms.next_form(result, self.forms.get(index) or forms.default_form(result))
            if following is not None:
                self.forms[index] = following
                said.append(forms.TITLES[following])
        if not said:
            self.app.notify("Its results have only one form.")
            return
        self.refresh_block()
        if self._search is not None:
            self.search(self._search)

    def action_copy(self) -> None:
        self.app.copy_to_clipboard(self.plain_text())
        self.app.notify(f"Copied the output of run [{self.record.execution_count or '*'}] (OSC 52).")

    def action_open_full(self) -> None:
        self.post_message(self.OpenFull(self.record, dict(self.forms)))

    def action_to_editor(self) -> None:
        self.post_message(self.CodeToEditor(self.record))

    def action_artifact(self, action: str) -> None:
        self.post_message(self.ArtifactsRequested(self.record, action))


def _append_line(text: Text, line: str, stream: str) -> None:
    """Append one output line (already clean, colours kept as SGR) and a newline to `text`."""
    style = "red" if stream == "stderr" else ""
    if "\x1b" in line:
        text.append_text(terminal_text(line, style))
        text.append("\n")
    else:
        text.append(line + "\n", style=style)


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
        block.schedule_refresh()

    def follow(self) -> None:
        """A block is about to grow: if the log shows its end, keep showing it once the block is
        laid out again. Every render asks, the one a frame later and the last one of a finished
        run included (asking only when a chunk arrived left the log a render short of the end)."""
        if self.scroll_y >= self.max_scroll_y - 1:
            self.call_after_refresh(self.scroll_end, animate=False)

    def tick(self) -> None:
        """Advance spinners and elapsed times of running blocks."""
        for block in self.blocks.values():
            if block.record.running:
                block.refresh_header()

    def clear_finished(self) -> None:
        """Remove the blocks of finished runs; a running one stays, its output still coming.

        A focused block gives the focus to the log first: left on a removed block (as Textual
        left it after a search), no key reached the app any more, Ctrl+Q included."""
        finished = [seq for seq, block in self.blocks.items() if not block.record.running]
        if any(self.blocks[seq] is self.app.focused for seq in finished):
            self.focus()
        for seq in finished:
            self.blocks.pop(seq).remove()

    def focused_block(self) -> RunBlock | None:
        focused = self.app.focused
        if isinstance(focused, RunBlock):
            return focused
        return self.blocks[max(self.blocks)] if self.blocks else None
