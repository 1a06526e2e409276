"""The whole output of one run: every line the session kept on disk, then its results and
its error, as a terminal shows them (colours kept, nothing that acts on the terminal).

Its title names the file the output is in (`run-7.txt`: runs are numbered in the order
they were started, so the file's number is not the kernel's execution count). Ctrl+F
searches it; `c` copies all of it.
"""

from __future__ import annotations

import asyncio

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label

from ..common.terminal import clean
from ..core.artifacts import artifacts_of
from ..core.records import ExecutionRecord
from ..widgets.output_view import OutputView
from ..widgets.render import error_plain, plain, result_plain
from ..widgets.search import SearchBar

CHUNK = 5000


def full_title(record: ExecutionRecord) -> str:
    """`run-7.txt · [3] python · python·ab12cd — /path/run-7.txt` (the file's name first)."""
    count = record.execution_count or "*"
    name = record.output_path.name if record.output_path else f"run-{record.seq}"
    where = f" — {record.output_path}" if record.output_path else " (not kept on disk)"
    return f"{name} · [{count}] {record.language} · {record.context_label}{where}"


def after_output(record: ExecutionRecord, forms: dict[int, str] | None = None) -> list[str]:
    """The lines that follow the streams: each result (in the form its block shows), the
    error, and what went wrong outside the code."""
    forms = forms or {}
    lines: list[str] = []
    artifacts = {id(a.result): a for a in artifacts_of(record)}
    results = list(record.results)
    for index, result in enumerate(results):
        label = "result" if len(results) == 1 else f"result {index + 1}"
        lines.append(f"── {label} ──")
        lines.extend(result_plain(result, artifacts.get(id(result)), forms.get(index)).split("\n"))
    if record.error is not None:
        lines.append("── error ──")
        lines.extend(error_plain(record.error).split("\n"))
    if record.failure:
        lines.append("── " + record.status + " ──")
        lines.append(plain(record.failure))
    return lines


class FullOutputScreen(ModalScreen[None]):
    BINDINGS = [
        Binding("escape,q", "close", "Close"),
        Binding("c", "copy", "Copy all"),
        Binding("ctrl+f", "search", "Search", priority=True),
    ]

    def __init__(self, record: ExecutionRecord, forms: dict[int, str] | None = None) -> None:
        super().__init__()
        self.record = record
        self.forms = forms or {}
        self.title_text = full_title(record)
        self.loaded = False

    def compose(self) -> ComposeResult:
        with Vertical(classes="full-output"):
            yield Label(self.title_text, classes="dialog-title", markup=False)
            yield OutputView(id="full-log")
            yield SearchBar(id="full-search")

    @property
    def view(self) -> OutputView:
        return self.query_one(OutputView)

    def on_mount(self) -> None:
        self.view.focus()
        self.run_worker(self._load(), exclusive=True)

    async def _load(self) -> None:
        view = self.view
        record = self.record
        path = record.output_path
        if path is None or not path.exists():
            view.write_lines(record.full_output(colours=True).split("\n"))
        else:
            batch: list[str] = []
            # lines end at \n only; a \r inside one is a progress frame, applied by `clean`
            with open(path, encoding="utf-8", errors="replace", newline="\n") as handle:
                for line in handle:
                    batch.append(clean(line.rstrip("\n"), colours=True))
                    if len(batch) >= CHUNK:
                        view.write_lines(batch)
                        batch = []
                        await asyncio.sleep(0)
            if batch:
                view.write_lines(batch)
        view.write_lines(after_output(record, self.forms))
        self.loaded = True

    def text(self) -> str:
        """Everything the view shows, as plain text."""
        parts = [self.record.full_output().rstrip("\n"), *after_output(self.record, self.forms)]
        return "\n".join(part for part in parts if part)

    def action_copy(self) -> None:
        self.app.copy_to_clipboard(self.text())
        self.app.notify("Copied the full output (OSC 52).")

    def action_search(self) -> None:
        self.query_one(SearchBar).open()

    def on_search_bar_changed(self, message: SearchBar.Changed) -> None:
        total = self.view.search(message.pattern)
        message.bar.set_count(None, total, self.view.more)

    def on_search_bar_step(self, message: SearchBar.Step) -> None:
        current = self.view.step(message.step)
        message.bar.set_count(current, len(self.view.matches), self.view.more)

    def on_search_bar_closed(self, message: SearchBar.Closed) -> None:
        self.view.search(None)
        self.view.focus()

    def action_close(self) -> None:
        self.dismiss(None)
