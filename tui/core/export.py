"""Exports of runs: a Jupyter notebook with outputs, Markdown, or the SDK's execution JSON.

All three are views of steps (`steps.py`: the session's records or history rows, each with
its transcript):

- **notebook** (nbformat 4, validated with nbformat before it is written): a code cell per
  run with its execution count; stdout and stderr as stream outputs, apart and in the order
  they came; each result as `execute_result` (the main result) or `display_data` with every
  form it has as a MIME type (images included); what a MIME bundle cannot hold (a
  `result.chart`, a DataFrame's `data`, non-text extras) in the output's `metadata.e2b`;
  errors with name, value and traceback. Each cell's language is in `metadata.e2b.language`
  (and `metadata.vscode.languageId`); the notebook's kernel is the main language's.
- **markdown**: a heading per run, its code fenced, then its outputs; images and chart JSON
  are written to a `<name>_files/` folder beside the file and linked.
- **json**: a list of runs, each `{code, language, context, status, started_at, duration,
  execution}` where `execution` is the SDK's execution JSON (`Execution.to_json`'s fields:
  `results`, `logs` {stdout, stderr}, `error`, plus `execution_count`), with `logs` and
  `error` as objects rather than nested JSON strings, and each result's `is_main_result`
  and `extra` kept.

Files are written atomically and privately (`common.files.atomic_write`).
"""

from __future__ import annotations

import json
import re
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from e2b_code_interpreter.models import Result

from ..common import languages
from ..common.files import atomic_write
from .artifacts import decode_base64
from .steps import MIME_FIELDS, Step
from .transcript import Chunk, Event, error_to_wire, result_to_wire

Format = Literal["ipynb", "markdown", "json"]
FORMATS: dict[str, Format] = {".ipynb": "ipynb", ".md": "markdown", ".markdown": "markdown", ".json": "json"}
FIELD_MIMES = {field: mime for mime, field in MIME_FIELDS.items()}
_JSON_MIME = re.compile(r"^application/(.*\+)?json$")  # the MIME types a bundle holds as JSON (nbformat 4)

# the kernel a notebook names for its main language (what JupyterLab offers to start)
KERNELSPECS: dict[str, dict[str, str]] = {
    "python": {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"},
    "javascript": {"name": "javascript", "display_name": "JavaScript (Node.js)", "language": "javascript"},
    "typescript": {"name": "deno", "display_name": "Deno", "language": "typescript"},
    "r": {"name": "ir", "display_name": "R", "language": "R"},
    "java": {"name": "java", "display_name": "Java", "language": "java"},
    "bash": {"name": "bash", "display_name": "Bash", "language": "bash"},
}


class ExportError(ValueError):
    """An export that cannot be made: an unknown format, nothing to export."""


def format_for(path: str, explicit: str | None = None) -> Format:
    """The format `explicit` names (ipynb, notebook, md, markdown, json), else `path`'s suffix's."""
    if explicit:
        names: dict[str, Format] = {
            "ipynb": "ipynb",
            "notebook": "ipynb",
            "md": "markdown",
            "markdown": "markdown",
            "json": "json",
        }
        if explicit.lower() not in names:
            raise ExportError(f"unknown format {explicit!r}: ipynb, markdown or json")
        return names[explicit.lower()]
    found = FORMATS.get(Path(path).suffix.lower())
    if found is None:
        raise ExportError(f"cannot tell the format of {path}: name it .ipynb, .md or .json, or give --format")
    return found


def main_language(steps: list[Step]) -> str:
    """The language most steps are in (the first step's on a tie)."""
    if not steps:
        return languages.DEFAULT
    counts = Counter(step.language for step in steps)
    best = max(counts.values())
    return next(step.language for step in steps if counts[step.language] == best)


def _count(step: Step) -> int | None:
    count = step.execution_count
    return count if isinstance(count, int) and count >= 0 else None


# -- notebook ------------------------------------------------------------------------


def _bundle(result: Result) -> tuple[dict[str, Any], dict[str, Any]]:
    """A result's MIME bundle, and what it cannot hold (for the output's metadata.e2b)."""
    wire = result_to_wire(result)
    data: dict[str, Any] = {}
    kept: dict[str, Any] = {}
    for field, mime in FIELD_MIMES.items():
        value = wire.get(field)
        if value is None:
            continue
        if field == "json" or isinstance(value, str):
            data[mime] = value
        else:
            kept.setdefault("extra", {})[mime] = value
    for field in ("chart", "data"):
        if wire.get(field) is not None:
            kept[field] = wire[field]
    for mime, value in (wire.get("extra") or {}).items():
        if isinstance(value, str) or _JSON_MIME.match(mime):
            data[mime] = value
        else:
            kept.setdefault("extra", {})[mime] = value
    return data, kept


def notebook(steps: list[Step], title: str = "") -> Any:
    """The steps as an nbformat 4 notebook (a NotebookNode), validated."""
    import nbformat
    from nbformat import v4

    main = main_language(steps)
    nb = v4.new_notebook()
    nb.metadata["kernelspec"] = KERNELSPECS.get(main, KERNELSPECS["python"])
    nb.metadata["language_info"] = {"name": main}
    nb.metadata["e2b"] = {"language": main, "exported_by": "e2b-workbench", "title": title}
    for step in steps:
        cell = v4.new_code_cell(step.code, execution_count=_count(step))
        cell.metadata["e2b"] = {
            "language": step.language,
            "context": step.context,
            "status": step.status,
            "started_at": step.started_at,
            "duration": step.duration,
        }
        if not step.has_original:
            cell.metadata["e2b"]["outputs_not_kept"] = True
        cell.metadata["vscode"] = {"languageId": step.language}
        cell.outputs = _outputs(step)
        nb.cells.append(cell)
    nbformat.validate(nb)
    return nb


def stretches(events: list[Event]) -> list[Event]:
    """The events with each stretch of one stream's chunks joined into one (as Jupyter shows it)."""
    out: list[Event] = []
    for event in events:
        last = out[-1] if out else None
        if isinstance(event, Chunk) and isinstance(last, Chunk) and last.stream == event.stream:
            out[-1] = Chunk(last.stream, last.text + event.text)
        else:
            out.append(event)
    return out


def _outputs(step: Step) -> list[Any]:
    from nbformat import v4

    outputs: list[Any] = []
    for event in stretches(step.transcript.events):
        if isinstance(event, Chunk):
            outputs.append(v4.new_output("stream", name=event.stream, text=event.text))
        elif isinstance(event, Result):
            data, kept = _bundle(event)
            metadata = {"e2b": kept} if kept else {}
            if event.is_main_result:
                outputs.append(
                    v4.new_output(
                        "execute_result", data=data, metadata=metadata, execution_count=_count(step)
                    )
                )
            else:
                outputs.append(v4.new_output("display_data", data=data, metadata=metadata))
        else:
            outputs.append(
                v4.new_output(
                    "error",
                    ename=event.name,
                    evalue=event.value,
                    traceback=(event.traceback or "").split("\n"),
                )
            )
    return outputs


def notebook_text(steps: list[Step], title: str = "") -> str:
    import nbformat

    return nbformat.writes(notebook(steps, title))


# -- json ----------------------------------------------------------------------------


def execution_json(step: Step) -> dict[str, Any] | None:
    """A step's execution as the SDK's execution JSON (see the module docstring)."""
    if not step.has_original:
        return None
    transcript = step.transcript
    error = transcript.error
    return {
        "results": [result_to_wire(r) for r in transcript.results],
        "logs": {"stdout": transcript.pieces("stdout"), "stderr": transcript.pieces("stderr")},
        "error": error_to_wire(error) if error else None,
        "execution_count": transcript.execution_count,
    }


def json_text(steps: list[Step]) -> str:
    runs = [
        {
            "code": step.code,
            "language": step.language,
            "context": step.context,
            "status": step.status,
            "started_at": step.started_at,
            "duration": step.duration,
            "execution": execution_json(step),
        }
        for step in steps
    ]
    return json.dumps(runs, indent=1, ensure_ascii=False) + "\n"


# -- markdown ------------------------------------------------------------------------


def _fence(text: str, info: str = "") -> str:
    """`text` in a backtick fence longer than any run of backticks inside it."""
    ticks = 3
    run = 0
    for char in text:
        run = run + 1 if char == "`" else 0
        ticks = max(ticks, run + 1)
    body = text if text.endswith("\n") else text + "\n"
    return f"{'`' * ticks}{info}\n{body}{'`' * ticks}\n"


@dataclass
class _Files:
    """Images and charts written beside a Markdown export (None: not written, to stdout)."""

    folder: Path | None
    link: str
    written: list[Path]


def _markdown_result(result: Result, name: str, files: _Files) -> list[str]:
    parts: list[str] = []
    for field, suffix in (("png", ".png"), ("jpeg", ".jpg"), ("svg", ".svg")):
        value = getattr(result, field, None)
        if not value:
            continue
        data = value.encode() if field == "svg" else decode_base64(value)
        if data is None:
            continue
        if files.folder is None:
            parts.append(f"*[{name}: {field} image, not written when exporting to stdout]*\n")
        else:
            path = files.folder / f"{name}{suffix}"
            files.written.append(atomic_write(path, data))
            parts.append(f"![{name}]({files.link}/{path.name})\n")
        break  # one picture per result
    if result.chart is not None:
        payload = json.dumps(result.chart.to_dict(), indent=1, ensure_ascii=False)
        if files.folder is None:
            parts.append(_fence(payload, "json"))
        else:
            path = files.folder / f"{name}.chart.json"
            files.written.append(atomic_write(path, payload + "\n"))
            parts.append(f"chart data: [{path.name}]({files.link}/{path.name})\n")
    if result.markdown:
        parts.append(result.markdown.rstrip("\n") + "\n")
    elif result.json is not None:
        parts.append(_fence(json.dumps(result.json, indent=1, ensure_ascii=False), "json"))
    elif result.text and not parts:
        parts.append(_fence(result.text, "text"))
    elif result.html and not parts:
        parts.append(_fence(result.html, "html"))
    if not parts:
        parts.append(f"*[result: {', '.join(result.formats()) or 'empty'}]*\n")
    return parts


def markdown_text(
    steps: list[Step], title: str = "", files_folder: Path | None = None
) -> tuple[str, list[Path]]:
    """The steps as Markdown, and the files written into `files_folder` (None: none written)."""
    files = _Files(files_folder, files_folder.name if files_folder else "", [])
    out = [f"# {title or 'e2b-workbench runs'}\n"]
    for n, step in enumerate(steps, start=1):
        count = _count(step)
        head = f"## [{count if count is not None else ' '}] {step.language}"
        if step.duration is not None:
            head += f" · {step.duration:.2f} s"
        if step.started_at:
            head += f" · {time.strftime('%Y-%m-%d %H:%M:%S', time.localtime(step.started_at))}"
        out += [head + "\n", _fence(step.code, step.language)]
        if not step.has_original:
            out.append("*(outputs not kept)*\n")
            continue
        k = 0
        blocks: list[str] = []
        for event in stretches(step.transcript.events):
            if isinstance(event, Chunk):
                blocks.append(f"{event.stream}:\n\n" + _fence(event.text, "text"))
            elif isinstance(event, Result):
                k += 1
                name = f"run-{count if count is not None else n}-{k}"
                label = "result" if event.is_main_result else "display"
                blocks.append(f"{label}:\n\n" + "\n".join(_markdown_result(event, name, files)))
            else:
                trace = (event.traceback or "").rstrip()
                block = f"error: `{event.name}: {event.value}`\n"
                if trace:
                    block += "\n" + _fence(trace, "text")
                blocks.append(block)
        out += blocks
    return "\n".join(out).rstrip("\n") + "\n", files.written


# -- writing -------------------------------------------------------------------------


def export_text(steps: list[Step], fmt: Format, title: str = "") -> str:
    """The export as text, images left out of Markdown (for stdout)."""
    if fmt == "ipynb":
        return notebook_text(steps, title)
    if fmt == "json":
        return json_text(steps)
    return markdown_text(steps, title)[0]


def export_steps(steps: list[Step], path: Path, fmt: Format | None = None, title: str = "") -> list[Path]:
    """Write `steps` to `path` (format from its suffix unless given); every file written.
    ExportError when there is nothing to export; OSError when a file cannot be written."""
    if not steps:
        raise ExportError("nothing to export: no finished runs were chosen")
    fmt = fmt or format_for(str(path))
    title = title or f"e2b-workbench · {len(steps)} run{'s' if len(steps) != 1 else ''}"
    if fmt == "markdown":
        text, written = markdown_text(steps, title, path.parent / f"{path.stem}_files")
        return [atomic_write(path, text), *written]
    return [atomic_write(path, export_text(steps, fmt, title))]
