"""One execution = one record: the log, history, exports and tool output all view these."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from e2b_code_interpreter.models import ExecutionError, Result

# running until it ends; then ok, error (the code raised), interrupted (by the user),
# timeout (the run's deadline passed) or failed (it could not run: sandbox or context trouble)
RunStatus = Literal["running", "ok", "error", "interrupted", "timeout", "failed"]

HEAD_LINES = 200  # lines of output kept in memory at the start of a run...
TAIL_LINES = 200  # ...and at its end; the whole output is on disk


@dataclass
class OutputLines:
    """A bounded view of a stream of output: the first and last lines, and a count."""

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
            self.partial = (stream, last)

    def _push(self, stream: str, line: str) -> None:
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
            tail = [*tail, self.partial]
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
    started_at: float = field(default_factory=time.time)
    started_mono: float = field(default_factory=time.monotonic)
    duration: float | None = None
    execution_count: int | None = None
    status: RunStatus = "running"
    output: OutputLines = field(default_factory=OutputLines)
    results: list[Result] = field(default_factory=list)
    error: ExecutionError | None = None
    failure: str = ""  # what went wrong outside the code (runtime down, timeout...)
    context_lost: bool = False  # the context was not found (removed, or its sandbox restarted)
    output_path: Path | None = None
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def running(self) -> bool:
        return self.status == "running"

    def elapsed(self) -> float:
        if self.duration is not None:
            return self.duration
        return time.monotonic() - self.started_mono

    def full_output(self) -> str:
        """The whole output as text (from disk when it was kept there)."""
        if self.output_path and self.output_path.exists():
            return self.output_path.read_text(errors="replace")
        head, _hidden, tail = self.output.visible()
        return "\n".join(line for _s, line in [*head, *tail])
