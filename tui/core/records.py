"""One execution = one record: the log, history, exports and tool output all view these."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from e2b_code_interpreter.models import ExecutionError, Result

from ..common.terminal import clean

# running until it ends; then ok, error (the code raised), interrupted (by the user),
# timeout (the run's deadline passed) or failed (it could not run: sandbox or context trouble)
RunStatus = Literal["running", "ok", "error", "interrupted", "timeout", "failed"]

HEAD_LINES = 200  # lines of output kept in memory at the start of a run...
TAIL_LINES = 200  # ...and at its end; the whole output is on disk
PARTIAL_LIMIT = 4096  # an unfinished line longer than this is folded to what a terminal shows


@dataclass
class OutputLines:
    """A bounded view of a stream of output: the first and last lines, and a count.

    Lines are kept as a terminal shows them (`tui.common.terminal.clean`, colours kept):
    `\\r` and `\\b` applied, no sequence that could act on the terminal. A progress bar that
    redraws one line with `\\r` stays one line, however many frames it draws.
    """

    head: list[tuple[str, str]] = field(default_factory=list)  # (stream, line)
    tail: list[tuple[str, str]] = field(default_factory=list)
    total: int = 0
    partial: tuple[str, str] | None = None  # an unfinished last line

    def add(self, stream: str, text: str) -> None:
        if self.partial is not None:
            if self.partial[0] == stream:
                text = self.partial[1] + text
            else:
                self._push(*self.partial)
            self.partial = None
        lines = text.split("\n")
        last = lines.pop()
        for line in lines:
            self._push(stream, line)
        if last:
            if len(last) > PARTIAL_LIMIT and "\r" in last:
                # fold the frames drawn so far: what they left on screen, then the cursor at 0
                cut = last.rindex("\r")
                last = clean(last[:cut], colours=True) + last[cut:]
            self.partial = (stream, last)

    def _push(self, stream: str, line: str) -> None:
        line = clean(line, colours=True)
        self.total += 1
        if len(self.head) < HEAD_LINES:
            self.head.append((stream, line))
            return
        self.tail.append((stream, line))
        if len(self.tail) > TAIL_LINES * 2:
            del self.tail[:-TAIL_LINES]

    def visible(
        self, head_lines: int = HEAD_LINES, tail_lines: int = TAIL_LINES
    ) -> tuple[list[tuple[str, str]], int, list[tuple[str, str]]]:
        """(first lines, hidden count, last lines), the unfinished line included at the end."""
        head = self.head[:head_lines]
        tail = self.tail[-tail_lines:] if tail_lines else []
        if len(head) < len(self.head):  # the head's overflow belongs to the tail when the tail is short
            tail = (self.head[len(head) :] + self.tail)[-tail_lines:] if tail_lines else []
        if self.partial is not None:
            tail = [*tail, (self.partial[0], clean(self.partial[1], colours=True))]
        shown = len(head) + len(tail)
        total = self.total + (1 if self.partial is not None else 0)
        return head, max(0, total - shown), tail


@dataclass
class ExecutionRecord:
    """Everything about one run; updated from the session thread while it runs."""

    seq: int
    code: str
    context_id: str
    language: str
    context_label: str = ""
    started_at: float = field(default_factory=time.time)  # submitted (wall clock)
    started_mono: float = field(default_factory=time.monotonic)  # submitted
    running_since: float | None = None  # when the sandbox began running it (after any queue)
    duration: float | None = None  # from submitted to ended: the wait included
    execution_count: int | None = None
    status: RunStatus = "running"
    output: OutputLines = field(default_factory=OutputLines)
    results: list[Result] = field(default_factory=list)
    error: ExecutionError | None = None
    failure: str = ""  # what went wrong outside the code (runtime down, timeout...)
    context_lost: bool = False  # the context was not found (removed, or its sandbox restarted)
    interrupt_requested: bool = False  # the user asked to interrupt it (it ends as "interrupted")
    output_path: Path | None = None
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def running(self) -> bool:
        return self.status == "running"

    def elapsed(self) -> float:
        """Seconds from submitted to ended (or to now, while it runs): the wait included."""
        if self.duration is not None:
            return self.duration
        return time.monotonic() - self.started_mono

    def mark_running(self) -> None:
        """The sandbox has begun running it (the first of: its first output, the end of the run
        queued before it in the same context, or its submission when nothing was queued)."""
        if self.running_since is None:
            self.running_since = time.monotonic()

    @property
    def queued(self) -> bool:
        """Submitted, and waiting for an earlier run in its context to end."""
        return self.running and self.running_since is None

    def wait_time(self) -> float:
        """Seconds it waited behind earlier runs of its context before it began."""
        if self.running_since is None:
            return self.elapsed() if self.running else 0.0
        return max(0.0, self.running_since - self.started_mono)

    def run_time(self) -> float:
        """Seconds it ran, the wait left out (while queued: 0)."""
        if self.running_since is None:
            return 0.0 if self.running else self.elapsed()
        return max(0.0, self.elapsed() - self.wait_time())

    def full_output(self, colours: bool = False) -> str:
        """The whole output (from disk when it was kept there) as a terminal shows it: `\\r`
        and `\\b` applied, no escape sequence (but colours, with `colours`)."""
        if self.output_path and self.output_path.exists():
            # newline="": a lone \r is the output's own (a progress frame), not a line break
            with open(self.output_path, encoding="utf-8", errors="replace", newline="") as handle:
                return clean(handle.read(), colours=colours)
        head, _hidden, tail = self.output.visible()
        text = "\n".join(line for _s, line in [*head, *tail])
        return text if colours else clean(text)
