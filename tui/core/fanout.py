"""Fan-out: one snippet in several contexts or sandboxes at once, outputs compared.

Each lane is one run, an ordinary `ExecutionRecord`: in a context of the app's own session
(the main screen runs it, so it is in the log and the history too), or in another sandbox
(`OtherSandbox`: a session of its own, a fresh local runtime or an E2B cloud sandbox, with
one context, closed when the fan-out is). When every lane has ended, `compare.consensus`
says for each lane which parts (stdout, stderr, results, error) differ from what most
lanes produced.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from .compare import Consensus, consensus
from .records import ExecutionRecord
from .session import Session
from .target import Target
from .transcript import transcript_of

_SEQ = itertools.count(1_000_000)  # other sandboxes' runs are numbered apart from the log's


@dataclass
class Lane:
    """One column of a fan-out."""

    label: str
    record: ExecutionRecord | None = None
    note: str = ""  # what it is waiting for, or why it could not run

    @property
    def finished(self) -> bool:
        if self.record is None:
            return bool(self.note) and not self.note.endswith("…")
        return not self.record.running


@dataclass
class FanOut:
    code: str
    language: str  # what other sandboxes run it in
    lanes: list[Lane] = field(default_factory=list)

    @property
    def finished(self) -> bool:
        return all(lane.finished for lane in self.lanes)

    def compare(self) -> Consensus:
        """Which lanes differ, in which parts (execution counts never count here). A lane that
        could not run (no sandbox, no context) is marked `failed` and left out of the vote."""
        ran = [lane for lane in self.lanes if lane.record is not None and lane.record.status != "failed"]
        found = consensus([transcript_of(lane.record) for lane in ran if lane.record is not None])
        marks: list[list[str]] = []
        diffs: list[str] = []
        for lane in self.lanes:
            if lane not in ran:
                marks.append(["failed"])
                diffs.append("")
                continue
            i = ran.index(lane)
            marks.append(found.marks[i])
            diffs.append(found.diffs[i])
        reference = self.lanes.index(ran[found.reference]) if ran else 0
        return Consensus(marks, reference, diffs)


class _Quiet:
    """A RunListener that says nothing (the fan-out view polls its records)."""

    def on_update(self, record: ExecutionRecord) -> None:
        pass

    def on_finished(self, record: ExecutionRecord) -> None:
        pass


class OtherSandbox:
    """A sandbox besides the app's, for one lane: opened, given one context, closed."""

    def __init__(self, target: Target) -> None:
        self.session = Session(target)

    async def run(self, code: str, language: str, label: str, timeout: float) -> ExecutionRecord:
        """Open the sandbox, start `code` in a fresh context of `language`; the running record.
        Raises the session's WorkbenchError when the sandbox cannot be opened."""
        await self.session.open()
        context = await self.session.create_context(language)
        seq = next(_SEQ)
        record = ExecutionRecord(
            seq=seq,
            code=code,
            context_id=context.id,
            language=language,
            context_label=label,
            output_path=self.session.output_dir / f"run-{seq}.txt",
        )
        self.session.run(record, _Quiet(), timeout)
        return record

    def close(self) -> None:
        """Blocking: stop the runtime, or kill the cloud sandbox this made."""
        self.session.close()
