"""The one owner of a session's runs and of what the app knows about its contexts.

A `RunBook` lives on the UI thread, and only the UI thread changes it: it holds every
record, the future of each running one, and per context its state and counters
(starting, idle, busy, dead; runs queued or running; the last execution count). The
session thread fills a record's output while it runs and says when it ended (a
message); `finish` then updates the context. So every change of context state happens
in one place, in one thread, with no lock.

It outlives a switch of sandbox: `reset_contexts` forgets the old sandbox's contexts,
while the records (the log's blocks, their full outputs) stay.
"""

from __future__ import annotations

import concurrent.futures
import itertools
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from e2b_code_interpreter.models import Context

from .commands import CommandRecord
from .records import ExecutionRecord

ContextState = Literal["starting", "idle", "busy", "dead"]


@dataclass
class ContextEntry:
    """One context as the app shows it (a placeholder while it is being created)."""

    id: str
    language: str
    cwd: str
    state: ContextState = "idle"
    running: int = 0  # runs submitted and not finished (queued ones included)
    busy_since: float | None = None
    last_count: int | None = None
    note: str = ""
    placeholder: bool = False  # being created: not in the sandbox yet
    marked: bool = False  # chosen in the sidebar for a fan-out

    @property
    def label(self) -> str:
        return f"{self.language}·{self.id[:6]}"


class RunBook:
    """Records, their futures and the contexts' states: changed on the UI thread only."""

    def __init__(self) -> None:
        self.records: dict[int, ExecutionRecord] = {}
        self.futures: dict[int, concurrent.futures.Future] = {}
        self.contexts: dict[str, ContextEntry] = {}
        self._numbers = itertools.count(1)
        self._placeholders = itertools.count(1)

    # -- contexts -------------------------------------------------------------------

    def live_contexts(self) -> list[ContextEntry]:
        """The sandbox's contexts (placeholders left out)."""
        return [c for c in self.contexts.values() if not c.placeholder]

    def sync(self, listed: Iterable[Context]) -> None:
        """Match the sandbox's list: new contexts added, vanished ones dropped (placeholders stay)."""
        seen = set()
        for ctx in listed:
            seen.add(ctx.id)
            self.add(ctx)
        for gone in [cid for cid, c in self.contexts.items() if not c.placeholder and cid not in seen]:
            del self.contexts[gone]

    def add(self, ctx: Context) -> ContextEntry:
        entry = self.contexts.get(ctx.id)
        if entry is None:
            entry = ContextEntry(ctx.id, ctx.language, ctx.cwd)
            self.contexts[ctx.id] = entry
        return entry

    def add_placeholder(self, language: str, cwd: str) -> ContextEntry:
        """A context being created, shown as starting until `created` or `drop`."""
        entry = ContextEntry(
            f"starting-{language}-{next(self._placeholders)}",
            language,
            cwd or "…",
            "starting",
            placeholder=True,
        )
        self.contexts[entry.id] = entry
        return entry

    def created(self, placeholder: ContextEntry, ctx: Context) -> ContextEntry:
        self.contexts.pop(placeholder.id, None)
        return self.add(ctx)

    def drop(self, context_id: str) -> None:
        self.contexts.pop(context_id, None)

    def reset_contexts(self) -> None:
        """A new sandbox: none of the old contexts exist there."""
        self.contexts.clear()

    def for_language(self, language: str, cwd: str = "") -> ContextEntry | None:
        """A live context of `language`, the one in `cwd` if there is one."""
        candidates = [c for c in self.live_contexts() if c.language == language]
        for entry in candidates:
            if cwd and entry.cwd == cwd:
                return entry
        return candidates[0] if candidates else None

    def restarting(self, context_id: str) -> None:
        entry = self.contexts.get(context_id)
        if entry is not None:
            entry.state, entry.note = "starting", "restarting"

    def restarted(self, context_id: str, ok: bool) -> None:
        entry = self.contexts.get(context_id)
        if entry is None:
            return
        if ok:
            entry.state, entry.last_count, entry.note = "idle", None, "restarted"
        else:
            entry.state, entry.note = "dead", "restart failed"

    # -- runs -----------------------------------------------------------------------

    def begin(self, code: str, entry: ContextEntry, output_dir: Path | None) -> ExecutionRecord:
        """A new record for a run of `code` in `entry`; the context counts it as running."""
        seq = next(self._numbers)
        record = ExecutionRecord(
            seq=seq,
            code=code,
            context_id=entry.id,
            language=entry.language,
            context_label=entry.label,
            output_path=output_dir / f"run-{seq}.txt" if output_dir else None,
        )
        self.records[seq] = record
        entry.running += 1
        if entry.state != "busy":
            entry.state, entry.busy_since = "busy", time.monotonic()
        return record

    def begin_command(self, command: str, output_dir: Path | None) -> CommandRecord:
        """A new record for a quick command (no context: it runs beside them)."""
        seq = next(self._numbers)
        record = CommandRecord(
            seq=seq,
            code=command,
            context_id="",
            language="shell",
            context_label="command",
            output_path=output_dir / f"command-{seq}.txt" if output_dir else None,
            command=command,
        )
        self.records[seq] = record
        return record

    def attach(self, record: ExecutionRecord, future: concurrent.futures.Future) -> None:
        if record.running:
            self.futures[record.seq] = future

    def fail(self, record: ExecutionRecord, reason: str) -> None:
        """The run could not start: it ends as failed, with the reason, and its context is freed."""
        record.status = "failed"
        record.failure = reason
        record.duration = time.monotonic() - record.started_mono
        self.finish(record)

    def finish(self, record: ExecutionRecord) -> None:
        """The run ended (its record is final): update its context."""
        self.futures.pop(record.seq, None)
        entry = self.contexts.get(record.context_id)
        if entry is None:
            return
        entry.running = max(0, entry.running - 1)
        if record.execution_count is not None:
            entry.last_count = record.execution_count
        if record.context_lost:
            entry.state, entry.note = "dead", "context is gone"
        elif (
            record.status == "interrupted"
            and record.error is not None
            and record.error.name == "ContextRestarting"
        ):
            entry.state, entry.last_count = ("busy" if entry.running else "idle"), None
            entry.note = "restarted: it ignored the interrupt"
        elif record.error is not None and record.error.name == "ContextRestarting":
            # the runtime has put a fresh kernel behind the same id: usable, its state gone
            # ("dead" here sent people to restart a context that was already back)
            entry.state = "busy" if entry.running else "idle"
            entry.last_count, entry.note = None, "kernel died; restarted fresh, state lost"
        elif entry.running == 0:
            entry.state, entry.busy_since, entry.note = "idle", None, ""

    def running(self, context_id: str | None = None) -> list[ExecutionRecord]:
        """Records still running (in `context_id` when given), oldest first."""
        return [
            r
            for _seq, r in sorted(self.records.items())
            if r.running and (context_id is None or r.context_id == context_id)
        ]

    def cancel(self, context_id: str | None = None, queued_only: bool = False) -> int:
        """Interrupt the running records (of one context, or all; with `queued_only`, those still
        waiting for their turn) by dropping their requests; how many were asked to stop."""
        count = 0
        for record in self.running(context_id):
            if queued_only and not record.queued:
                continue
            record.interrupt_requested = True
            future = self.futures.get(record.seq)
            if future is not None and future.cancel():
                count += 1
        return count

    def forget_finished(self) -> None:
        """Drop the records of finished runs (the log was cleared)."""
        self.records = {seq: r for seq, r in self.records.items() if r.running}

    def latest(self) -> ExecutionRecord | None:
        return self.records[max(self.records)] if self.records else None
