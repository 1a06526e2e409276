"""Steps: runs as exports write them and replay reads them, whatever they came from.

A step is one piece of code, its language, and what it produced when it first ran (its
`Transcript`), with what is known about that run. Steps come from the records of the
session (`from_records`), from history rows of any session (`from_history`), from an
exported notebook or JSON file, or from a `.py` file of `# %%` cells (`load_steps`): the
last has no outputs, so replay can only check that its cells run without an error.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from e2b_code_interpreter.models import ExecutionError

from ..common import languages
from .history import History, HistoryEntry
from .records import ExecutionRecord
from .transcript import Chunk, StreamName, Transcript, read_transcript, result_from_wire, transcript_of


class UnusableInput(ValueError):
    """A file (or selection) that holds no steps, or cannot be read as any known kind."""


@dataclass
class Step:
    """One run to export or replay."""

    code: str
    language: str = languages.DEFAULT
    transcript: Transcript = field(default_factory=lambda: Transcript(kept=False))
    context: str = ""  # where it ran first (a context label or id); "" when unknown
    status: str = ""  # ok, error, interrupted, timeout, failed; "" when unknown
    error_name: str | None = None  # when the run raised (known even when its outputs are not)
    started_at: float | None = None
    duration: float | None = None
    title: str = ""  # e.g. "history #12", "cell 3"

    @property
    def execution_count(self) -> int | None:
        return self.transcript.execution_count

    @property
    def has_original(self) -> bool:
        """Whether the first run's outputs are known (so replay can compare them)."""
        return self.transcript.kept


def from_records(records: Iterable[ExecutionRecord]) -> list[Step]:
    """The session's finished runs (still running ones are left out), in the order they ran."""
    steps = []
    for record in sorted(records, key=lambda r: r.seq):
        if record.running:
            continue
        transcript = transcript_of(record)
        steps.append(
            Step(
                record.code,
                record.language,
                transcript,
                context=record.context_label or record.context_id,
                status=record.status,
                error_name=record.error.name if record.error else None,
                started_at=record.started_at,
                duration=record.duration,
                title=f"run {record.seq}",
            )
        )
    return steps


def from_history(entries: Iterable[HistoryEntry]) -> list[Step]:
    """History rows (oldest first), each with its transcript when it was kept."""
    steps = []
    for entry in sorted(entries, key=lambda e: e.id):
        if entry.execution_path:
            transcript = read_transcript(Path(entry.execution_path))
        else:
            transcript = Transcript(kept=False)
        if transcript.execution_count is None:
            transcript.execution_count = entry.execution_count
        steps.append(
            Step(
                entry.code,
                entry.language,
                transcript,
                context=entry.context_id,
                status=entry.status,
                error_name=entry.error_name,
                started_at=entry.started_at,
                duration=entry.duration,
                title=f"history #{entry.id}",
            )
        )
    return steps


# -- files ---------------------------------------------------------------------------


def load_steps(path: Path) -> list[Step]:
    """The steps in an exported notebook (`.ipynb`), an exported JSON file, or a `.py` file
    of `# %%` cells. UnusableInput says why a file cannot be used."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise UnusableInput(f"cannot read {path}: {err}") from err
    suffix = path.suffix.lower()
    if suffix == ".ipynb":
        steps = notebook_steps(text, str(path))
    elif suffix == ".json":
        steps = json_steps(text, str(path))
    elif suffix == ".py":
        steps = percent_steps(text)
    else:
        raise UnusableInput(
            f"{path}: replay reads a notebook (.ipynb), an exported JSON file (.json) "
            "or a Python file of `# %%` cells (.py)"
        )
    if not steps:
        raise UnusableInput(f"{path} has no code to run")
    return steps


_CELL_MARK = re.compile(r"^# ?%%(?P<rest>.*)$")


def percent_steps(text: str) -> list[Step]:
    """The code cells of a `# %%` file (the percent format of Spyder, VS Code and jupytext).

    Text before the first marker is a cell of its own when it holds code; cells marked
    `# %% [markdown]` (or `[md]`, `[raw]`) are not code and are skipped. No outputs.
    """
    cells: list[tuple[str, list[str]]] = [("", [])]
    for line in text.splitlines():
        found = _CELL_MARK.match(line)
        if found:
            cells.append((found.group("rest").strip(), []))
        else:
            cells[-1][1].append(line)
    steps = []
    for n, (marker, lines) in enumerate(cells):
        if re.search(r"\[(markdown|md|raw)\]", marker):
            continue
        code = "\n".join(lines).strip("\n")
        if not code.strip() or all(not ln.strip() or ln.lstrip().startswith("#") for ln in lines):
            continue
        steps.append(Step(code, "python", title=f"cell {n}" if n else "cell 0 (before the first # %%)"))
    return steps


# -- notebooks -----------------------------------------------------------------------

# MIME types of a notebook output and the E2B result fields they carry
MIME_FIELDS = {
    "text/plain": "text",
    "text/html": "html",
    "text/markdown": "markdown",
    "image/svg+xml": "svg",
    "image/png": "png",
    "image/jpeg": "jpeg",
    "application/pdf": "pdf",
    "text/latex": "latex",
    "application/json": "json",
    "application/javascript": "javascript",
}


def _joined(value: Any) -> Any:
    """Notebook text may be a list of lines: one string again."""
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return "".join(value)
    return value


def _notebook_language(nb: dict[str, Any]) -> str:
    meta = nb.get("metadata") or {}
    for name in (
        (meta.get("e2b") or {}).get("language"),
        (meta.get("kernelspec") or {}).get("language"),
        (meta.get("language_info") or {}).get("name"),
    ):
        found = languages.lookup(name) if isinstance(name, str) else None
        if found:
            return found
    return languages.DEFAULT


def _cell_language(cell: dict[str, Any], default: str) -> str:
    meta = cell.get("metadata") or {}
    for name in ((meta.get("e2b") or {}).get("language"), (meta.get("vscode") or {}).get("languageId")):
        found = languages.lookup(name) if isinstance(name, str) else None
        if found:
            return found
    return default


def outputs_to_transcript(outputs: list[dict[str, Any]], count: int | None) -> Transcript:
    """A notebook cell's outputs as the transcript of its run."""
    transcript = Transcript(execution_count=count)
    for output in outputs:
        kind = output.get("output_type")
        if kind == "stream":
            stream: StreamName = "stderr" if output.get("name") == "stderr" else "stdout"
            transcript.events.append(Chunk(stream, str(_joined(output.get("text", "")))))
        elif kind in ("execute_result", "display_data"):
            wire: dict[str, Any] = {"extra": {}, "is_main_result": kind == "execute_result"}
            for mime, value in (output.get("data") or {}).items():
                value = _joined(value)
                if mime in MIME_FIELDS:
                    wire[MIME_FIELDS[mime]] = value
                else:
                    wire["extra"][mime] = value
            e2b = (output.get("metadata") or {}).get("e2b") or {}
            for name in ("chart", "data"):
                if name in e2b:
                    wire[name] = e2b[name]
            if "extra" in e2b:  # values the bundle could not carry as they were
                wire["extra"].update(e2b["extra"])
            transcript.events.append(result_from_wire(wire))
        elif kind == "error":
            trace = output.get("traceback") or []
            transcript.events.append(
                ExecutionError(
                    str(output.get("ename", "")),
                    str(output.get("evalue", "")),
                    "\n".join(trace) if isinstance(trace, list) else str(trace),
                )
            )
    return transcript


def notebook_steps(text: str, name: str = "notebook") -> list[Step]:
    """The code cells of a notebook (nbformat 4), with their outputs as their transcripts."""
    try:
        nb = json.loads(text)
    except ValueError as err:
        raise UnusableInput(f"{name} is not a notebook: not JSON ({err})") from err
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
        raise UnusableInput(f"{name} is not a notebook (no cells)")
    if nb.get("nbformat") != 4:
        raise UnusableInput(f"{name} is nbformat {nb.get('nbformat')}: only version 4 is read")
    default = _notebook_language(nb)
    steps = []
    for n, cell in enumerate(nb["cells"], start=1):
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        code = str(_joined(cell.get("source", "")))
        if not code.strip():
            continue
        meta = (cell.get("metadata") or {}).get("e2b") or {}
        outputs = cell.get("outputs") or []
        transcript = outputs_to_transcript(outputs, cell.get("execution_count"))
        never_run = cell.get("execution_count") is None and not outputs  # nothing to compare with
        transcript.kept = not meta.get("outputs_not_kept", False) and not never_run
        error = transcript.error
        steps.append(
            Step(
                code,
                _cell_language(cell, default),
                transcript,
                context=str(meta.get("context", "")),
                status=str(meta.get("status", "error" if error else "ok")),
                error_name=error.name if error else None,
                started_at=meta.get("started_at"),
                duration=meta.get("duration"),
                title=f"cell {n}",
            )
        )
    return steps


# -- exported JSON -------------------------------------------------------------------


def execution_to_transcript(execution: dict[str, Any]) -> Transcript:
    """An exported run's `execution` (the SDK's execution JSON) as a transcript (stdout's chunks,
    then stderr's: that JSON does not say how they interleaved)."""
    transcript = Transcript(execution_count=execution.get("execution_count"))
    logs = execution.get("logs") or {}
    if isinstance(logs, str):  # the SDK's Execution.to_json() nests it as a string
        logs = json.loads(logs)
    names: tuple[StreamName, ...] = ("stdout", "stderr")
    for name in names:
        for text in logs.get(name) or []:
            transcript.events.append(Chunk(name, str(text)))
    for wire in execution.get("results") or []:
        transcript.events.append(result_from_wire(dict(wire)))
    error = execution.get("error")
    if isinstance(error, str):
        error = json.loads(error)
    if isinstance(error, dict):
        transcript.events.append(
            ExecutionError(
                str(error.get("name", "")), str(error.get("value", "")), str(error.get("traceback", ""))
            )
        )
    return transcript


def json_steps(text: str, name: str = "file") -> list[Step]:
    """The runs of an exported JSON file: a list of {code, language, execution, ...}."""
    try:
        data = json.loads(text)
    except ValueError as err:
        raise UnusableInput(f"{name} is not JSON: {err}") from err
    if isinstance(data, dict) and isinstance(data.get("runs"), list):
        data = data["runs"]
    if not isinstance(data, list) or not all(isinstance(run, dict) and "code" in run for run in data):
        raise UnusableInput(f"{name} is not an export of runs (a list of objects with `code`)")
    steps = []
    for n, run in enumerate(data, start=1):
        execution = run.get("execution")
        if isinstance(execution, dict):
            try:
                transcript = execution_to_transcript(execution)
            except (ValueError, TypeError, AttributeError) as err:
                raise UnusableInput(f"{name}: run {n} has an unreadable execution ({err})") from err
        else:
            transcript = Transcript(kept=False)
        error = transcript.error
        steps.append(
            Step(
                str(run["code"]),
                languages.lookup(run.get("language")) or languages.DEFAULT,
                transcript,
                context=str(run.get("context") or ""),
                status=str(run.get("status") or ("error" if error else "ok")),
                error_name=error.name if error else run.get("error_name"),
                started_at=run.get("started_at"),
                duration=run.get("duration"),
                title=f"run {n}",
            )
        )
    return steps


# -- choosing history rows -----------------------------------------------------------


def parse_ids(spec: str) -> list[int]:
    """`3,5-7` as [3, 5, 6, 7]; UnusableInput for anything else."""
    ids: list[int] = []
    for part in spec.replace(" ", "").split(","):
        if not part:
            continue
        low, dash, high = part.partition("-")
        try:
            first, last = int(low), int(high) if dash else int(low)
        except ValueError as err:
            raise UnusableInput(f"not a history id or range: {part!r} (e.g. 3,5-7)") from err
        if last < first or last - first > 100_000:
            raise UnusableInput(f"not a usable range: {part!r}")
        ids += range(first, last + 1)
    return ids


def history_steps(history: History, ids: str | None = None, last: int | None = None) -> list[Step]:
    """History rows as steps: by id (`3,5-7`), the `last` N runs, or else the latest session's."""
    if ids:
        wanted = parse_ids(ids)
        entries = history.by_ids(wanted)
        missing = sorted(set(wanted) - {e.id for e in entries})
        if missing:
            raise UnusableInput(f"no such history id: {', '.join(map(str, missing[:10]))}")
    elif last:
        entries = history.recent(limit=last)
    else:
        entries = history.last_session()
    if not entries:
        raise UnusableInput("the history has no runs to use")
    return from_history(entries)
