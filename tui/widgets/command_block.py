"""A quick command's block in the log: `$ pip install x · exit 0 · 2.31 s`, its output below.

It is a run block in every other way (bounded output, the full output on `o`, copy on
`c`); its lines are shown as a terminal would show them (`clean`: a progress bar that
redraws itself shows its last frame), and it has no code to put in the editor.
"""

from __future__ import annotations

import time

from rich.text import Text

from ..common.terminal import clean
from ..core.commands import CommandRecord
from .output_log import SPINNER, STATUS_STYLE, RunBlock, format_duration


def command_header(record: CommandRecord) -> Text:
    text = Text()
    text.append("$ ", style="bold magenta")
    first = record.command.strip().splitlines()[0] if record.command.strip() else ""
    text.append(first[:80] + ("…" if len(first) > 80 or "\n" in record.command.strip() else ""), style="bold")
    text.append(" · ", style="dim")
    if record.running:
        spin = SPINNER[int(time.monotonic() * 10) % len(SPINNER)]
        text.append(f"{spin} {format_duration(record.elapsed())}", style="yellow")
        return text
    if record.exit_code is not None:
        text.append(f"exit {record.exit_code}", style="green" if record.exit_code == 0 else "red")
        text.append(" · ", style="dim")
    elif record.status != "ok":
        text.append(record.status, style=STATUS_STYLE.get(record.status, ""))
        text.append(" · ", style="dim")
    text.append(format_duration(record.elapsed()), style="dim")
    return text


class CommandBlock(RunBlock):
    """The block of one CommandRecord."""

    record: CommandRecord

    def refresh_header(self) -> None:
        self._header.update(command_header(self.record))

    @staticmethod
    def _lines(head: list[tuple[str, str]], hidden: int, tail: list[tuple[str, str]]) -> Text:
        return RunBlock._lines(
            [(s, clean(line)) for s, line in head], hidden, [(s, clean(line)) for s, line in tail]
        )

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("to_editor", "artifact"):
            return False
        return super().check_action(action, parameters)

    def action_copy(self) -> None:
        self.app.copy_to_clipboard(clean(self.plain_text()))
        self.app.notify(f"Copied the output of $ {self.record.command[:40]} (OSC 52).")
