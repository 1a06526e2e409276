"""A run's whole execution, kept: stream chunks in order, results with every format, the error.

A record's memory holds a bounded head/tail of its output; its output file holds the
text without saying which stream each piece came from. Exports and replay need it all,
so every run also writes a transcript beside its output file (`run-N.jsonl`), in the
code interpreter's own wire format (`docs/e2b-protocol.md`, section 3): one JSON object
per line, `stdout` / `stderr` chunks with their `text`, `result` with every format field
(`chart` as its dict, `extra`, `is_main_result`), `error`, and `number_of_executions`.
Written while the run goes on (a crash keeps what came), read back by `read_transcript`.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, TypeAlias

from e2b_code_interpreter.models import ExecutionError, Result

from ..common.files import PRIVATE_FILE
from .records import ExecutionRecord

StreamName = Literal["stdout", "stderr"]

# the format fields of a result, in the order E2B lists them (Result.formats)
RESULT_FIELDS = (
    "text",
    "html",
    "markdown",
    "svg",
    "png",
    "jpeg",
    "pdf",
    "latex",
    "json",
    "javascript",
    "data",
)


@dataclass
class Chunk:
    """A piece of stdout or stderr, as it came."""

    stream: StreamName
    text: str


Event: TypeAlias = Chunk | Result | ExecutionError


@dataclass
class Transcript:
    """What one run produced, in the order it came."""

    events: list[Event] = field(default_factory=list)
    execution_count: int | None = None
    kept: bool = True  # False: the run's outputs were not kept (pruned, or never written)

    @property
    def chunks(self) -> list[Chunk]:
        return [e for e in self.events if isinstance(e, Chunk)]

    @property
    def results(self) -> list[Result]:
        return [e for e in self.events if isinstance(e, Result)]

    @property
    def error(self) -> ExecutionError | None:
        """The last error (the SDK keeps the last one too)."""
        errors = [e for e in self.events if isinstance(e, ExecutionError)]
        return errors[-1] if errors else None

    def pieces(self, stream: StreamName) -> list[str]:
        """The chunks of one stream, as the SDK's `Logs` lists them."""
        return [c.text for c in self.chunks if c.stream == stream]

    def text(self, stream: StreamName) -> str:
        return "".join(self.pieces(stream))


# -- results on the wire -------------------------------------------------------------


def result_to_wire(result: Result) -> dict[str, Any]:
    """A result as the code interpreter sends it: `Result(**result_to_wire(r))` rebuilds it."""
    wire: dict[str, Any] = {}
    for name in RESULT_FIELDS:
        value = getattr(result, name, None)
        if value is not None:
            wire[name] = value
    chart = getattr(result, "chart", None)
    if chart is not None:
        wire["chart"] = chart.to_dict()
    wire["extra"] = dict(result.extra or {})
    wire["is_main_result"] = bool(result.is_main_result)
    return wire


def result_from_wire(wire: dict[str, Any]) -> Result:
    data = {k: v for k, v in wire.items() if k != "type"}
    return Result(**data)


def error_to_wire(error: ExecutionError) -> dict[str, Any]:
    return {"name": error.name, "value": error.value, "traceback": error.traceback}


def event_to_wire(event: Event) -> dict[str, Any]:
    if isinstance(event, Chunk):
        return {"type": event.stream, "text": event.text}
    if isinstance(event, Result):
        return {"type": "result", **result_to_wire(event)}
    return {"type": "error", **error_to_wire(event)}


# -- writing and reading -------------------------------------------------------------


class TranscriptWriter:
    """Appends a run's events to its transcript file as they come (private to its owner)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_FILE)
        self._file = open(fd, "w", encoding="utf-8", errors="surrogateescape")

    def _write(self, payload: dict[str, Any]) -> None:
        if self._file.closed:
            return
        self._file.write(json.dumps(payload, ensure_ascii=False) + "\n")

    def stream(self, stream: StreamName, text: str) -> None:
        self._write({"type": stream, "text": text})

    def result(self, result: Result) -> None:
        self._write(event_to_wire(result))

    def error(self, error: ExecutionError) -> None:
        self._write(event_to_wire(error))

    def close(self, execution_count: int | None = None) -> None:
        if self._file.closed:
            return
        if execution_count is not None:
            self._write({"type": "number_of_executions", "execution_count": execution_count})
        self._file.close()


def parse_events(lines: Iterable[str]) -> Transcript:
    """A transcript from wire lines (blank and unreadable lines are skipped)."""
    transcript = Transcript()
    for line in lines:
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except ValueError:
            continue
        if not isinstance(data, dict):
            continue
        kind = data.get("type")
        if kind in ("stdout", "stderr"):
            transcript.events.append(Chunk(kind, str(data.get("text", ""))))
        elif kind == "result":
            transcript.events.append(result_from_wire(data))
        elif kind == "error":
            transcript.events.append(
                ExecutionError(
                    str(data.get("name", "")), str(data.get("value", "")), str(data.get("traceback", ""))
                )
            )
        elif kind == "number_of_executions":
            transcript.execution_count = data.get("execution_count")
    return transcript


def read_transcript(path: Path) -> Transcript:
    """The transcript in `path`; an empty one marked not kept when the file is gone."""
    try:
        with open(path, encoding="utf-8", errors="surrogateescape") as handle:
            return parse_events(handle)
    except OSError:
        return Transcript(kept=False)


def transcript_path(output_path: Path) -> Path:
    """Where the transcript of the run whose output file is `output_path` lives."""
    return output_path.with_suffix(".jsonl")


def transcript_of(record: ExecutionRecord) -> Transcript:
    """A record's transcript: from its file, else rebuilt from what the record holds in
    memory (the output's head and tail then, not necessarily all of it)."""
    if record.output_path is not None:
        path = transcript_path(record.output_path)
        if path.exists():
            found = read_transcript(path)
            if found.execution_count is None:
                found.execution_count = record.execution_count
            return found
    transcript = Transcript(execution_count=record.execution_count)
    with record.lock:
        head, _hidden, tail = record.output.visible()
        for stream, line in [*head, *tail]:
            kind: StreamName = "stderr" if stream == "stderr" else "stdout"
            previous = transcript.events[-1] if transcript.events else None
            if isinstance(previous, Chunk) and previous.stream == kind:
                previous.text += line + "\n"
            else:
                transcript.events.append(Chunk(kind, line + "\n"))
        transcript.events.extend(record.results)
        if record.error is not None:
            transcript.events.append(record.error)
    return transcript
