"""Do two runs of the same code produce the same output? A normalised comparison.

Replay (a run against its original) and fan-out (the same code in several contexts or
sandboxes) both ask this. A run's output is seen as four parts, each normalised first:

- **stdout** and **stderr**: each stream's text joined (how it was cut into chunks, and how
  the two streams interleaved, do not count);
- **results**: each result's forms, in order, and whether it is the main result; images by
  their pixels (size and a digest of the decoded image, so encoder metadata does not count),
  `json`, `data` and `chart` by their canonical JSON;
- **error**: its name and value (the traceback is not compared: it names cells, files and
  line positions that move with the sandbox);
- **count**: the execution count, unless counts are ignored.

What legitimately changes from run to run is normalised in every text: colours and other
terminal escapes (`tui.common.terminal.clean`, as the log shows them), trailing spaces,
memory addresses (`0x7f3a…` becomes `0x…`), dates with times (ISO 8601 and `2025-01-06
09:30:00` forms) and times of day (`09:30:00.123`); with counts ignored, also IPython's
`In [n]`, `Out[n]` and `Cell In[n]`. Everything else must match exactly.
"""

from __future__ import annotations

import difflib
import hashlib
import io
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from e2b_code_interpreter.models import Result

from ..common.terminal import clean
from .artifacts import decode_base64
from .transcript import RESULT_FIELDS, Transcript

PARTS = ("stdout", "stderr", "results", "error", "count")

_ADDRESS = re.compile(r"\b0x[0-9a-fA-F]{4,}\b")
_DATETIME = re.compile(
    r"\b\d{4}-\d{2}-\d{2}[T ]\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?\b"
)
_TIME = re.compile(r"\b\d{1,2}:\d{2}:\d{2}(?:[.,]\d+)?\b")
_COUNTS = re.compile(r"\b(Cell In ?|In ?|Out ?)\[\d+\]")
_TRAILING = re.compile(r"[ \t]+$", re.MULTILINE)


def normalise(text: str, ignore_counts: bool = False) -> str:
    """`text` with what legitimately changes between runs replaced (see the module docstring)."""
    text = clean(text)
    text = _ADDRESS.sub("0x…", text)
    text = _DATETIME.sub("<datetime>", text)
    text = _TIME.sub("<time>", text)
    if ignore_counts:
        text = _COUNTS.sub(lambda m: f"{m.group(1)}[…]", text)
    return _TRAILING.sub("", text)


def _image_digest(value: str) -> str:
    data = decode_base64(value)
    if data is None:
        return f"undecodable image ({len(value)} characters)"
    try:
        from PIL import Image

        with Image.open(io.BytesIO(data)) as image:
            pixels = image.convert("RGBA")
            return f"{image.width}×{image.height} image, pixels {hashlib.sha256(pixels.tobytes()).hexdigest()[:12]}"
    except Exception:  # not an image PIL reads: compare its bytes
        return f"{len(data)} bytes, sha256 {hashlib.sha256(data).hexdigest()[:12]}"


def _canonical(value: Any, ignore_counts: bool) -> str:
    text = json.dumps(value, sort_keys=True, ensure_ascii=False, indent=1, default=str)
    return normalise(text, ignore_counts)


def result_lines(result: Result, ignore_counts: bool = False) -> list[str]:
    """A result as the lines its comparison reads (each form on its own lines)."""
    kind = "main result" if result.is_main_result else "display"
    lines = [f"{kind}: {', '.join(result.formats()) or 'empty'}"]
    for name in RESULT_FIELDS:
        value = getattr(result, name, None)
        if value is None:
            continue
        if name in ("png", "jpeg"):
            shown = _image_digest(value)
        elif name in ("json", "data"):
            shown = _canonical(value, ignore_counts)
        else:
            shown = normalise(str(value), ignore_counts)
        lines += _labelled(f"  {name}", shown)
    if result.chart is not None:
        lines += _labelled("  chart", _canonical(result.chart.to_dict(), ignore_counts))
    for mime, value in sorted((result.extra or {}).items()):
        lines += _labelled(f"  {mime}", _canonical(value, ignore_counts))
    return lines


def _labelled(label: str, text: str) -> list[str]:
    lines = text.split("\n") if text else [""]
    return [f"{label} | {line}" for line in lines]


@dataclass(frozen=True)
class Signature:
    """A run's output, normalised, part by part: equal signatures mean the same output."""

    stdout: str
    stderr: str
    results: tuple[str, ...]
    error: str
    count: str

    def part(self, name: str) -> Any:
        return getattr(self, name)

    def lines(self) -> list[str]:
        """The whole signature as lines (what a diff shows)."""
        out: list[str] = []
        for name in ("stdout", "stderr"):
            text = getattr(self, name)
            if text:
                out += _labelled(name, text.rstrip("\n"))
        for n, result in enumerate(self.results, start=1):
            out += [f"result {n} · {line}" for line in result.split("\n")]
        if self.error:
            out.append(f"error | {self.error}")
        if self.count:
            out.append(f"count | {self.count}")
        return out


def signature(transcript: Transcript, ignore_counts: bool = False) -> Signature:
    error = transcript.error
    count = "" if ignore_counts or transcript.execution_count is None else str(transcript.execution_count)
    return Signature(
        stdout=normalise(transcript.text("stdout"), ignore_counts),
        stderr=normalise(transcript.text("stderr"), ignore_counts),
        results=tuple("\n".join(result_lines(r, ignore_counts)) for r in transcript.results),
        error=normalise(f"{error.name}: {error.value}", ignore_counts) if error else "",
        count=count,
    )


@dataclass
class Comparison:
    """How a run's output compares with another's: which parts differ, and a diff."""

    different: list[str] = field(default_factory=list)  # names of the parts that differ (PARTS)
    diff: str = ""  # a unified diff, expected -> actual

    @property
    def same(self) -> bool:
        return not self.different


def compare(
    expected: Transcript,
    actual: Transcript,
    ignore_counts: bool = False,
    labels: tuple[str, str] = ("original", "replay"),
) -> Comparison:
    """Compare two transcripts part by part; a diff of their normalised forms when they differ."""
    want, got = signature(expected, ignore_counts), signature(actual, ignore_counts)
    different = [name for name in PARTS if want.part(name) != got.part(name)]
    if not different:
        return Comparison()
    diff = difflib.unified_diff(want.lines(), got.lines(), labels[0], labels[1], lineterm="", n=2)
    return Comparison(different, "\n".join(diff))


@dataclass
class Consensus:
    """Fan-out: per lane, the parts where it differs from what most lanes produced."""

    marks: list[list[str]]  # marks[i]: the parts lane i differs in (empty: it agrees)
    reference: int  # the lane with the fewest marks (the earliest on a tie): what diffs compare with
    diffs: list[str]  # diffs[i]: lane i against the reference lane ("" when the same)

    @property
    def all_same(self) -> bool:
        return not any(self.marks)


def consensus(transcripts: Sequence[Transcript], ignore_counts: bool = True) -> Consensus:
    """For each part, the value most lanes agree on (the earliest group on a tie of groups); each
    lane is marked with the parts where it differs from that. When no two lanes agree on a part,
    there is no majority for it, and every lane is marked."""
    sigs = [signature(t, ignore_counts) for t in transcripts]
    marks: list[list[str]] = [[] for _ in sigs]
    for name in PARTS:
        values = [sig.part(name) for sig in sigs]
        tally: dict[Any, int] = {}
        for value in values:
            tally[value] = tally.get(value, 0) + 1
        best = max(tally.values(), default=0)
        if best == 1 and len(values) > 1 and len(tally) > 1:
            winner: Any = _NO_MAJORITY
        else:
            winner = next((v for v in values if tally[v] == best), None)
        for i, value in enumerate(values):
            if value != winner:
                marks[i].append(name)
    reference = min(range(len(sigs)), key=lambda i: (len(marks[i]), i)) if sigs else 0
    diffs = []
    for i, sig in enumerate(sigs):
        if not marks[i] or i == reference:
            diffs.append("")
            continue
        lines = difflib.unified_diff(
            sigs[reference].lines(), sig.lines(), f"lane {reference + 1}", f"lane {i + 1}", lineterm="", n=1
        )
        diffs.append("\n".join(lines))
    return Consensus(marks, reference, diffs)


_NO_MAJORITY = object()
