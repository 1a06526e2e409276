"""The JSON a call's run sends back to the model, and the messages that carry it.

The result always has the same keys; `tool_call_id` (when the call had an id),
`truncated` and `warnings` appear only when they say something. Images (png, jpeg, svg)
are saved to files and referenced by path, never inlined; charts are summarised
(`charts.chart_summary`). Long text is cut to its first and last characters around a
marker, and the whole text is kept in a file whose path the result gives. A file that
cannot be written becomes a warning in the result, never an exception. stdout, stderr
and the error read as a terminal would show them (`tui.common.terminal.clean`): escape
sequences and control characters removed, a line redrawn with `\\r` (a progress bar) kept
as its last frame only, so a model does not pay for every frame.
"""

from __future__ import annotations

import json
import re
import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from e2b.exceptions import TimeoutException
from e2b_code_interpreter.constants import DEFAULT_TIMEOUT
from e2b_code_interpreter.models import ExecutionError, Result

from ...common.terminal import clean
from .. import paths
from ..charts import chart_summary
from ..errors import explain
from ..saving import IMAGE_FORMATS, ImageSaver, write_file
from .calls import ToolCall
from .validate import ValidCall

REPLY_FORMATS = ("result", "openai", "anthropic")
_PLACEHOLDER = re.compile(r"<[\w.]+ object(?: at 0x[0-9a-fA-F]+)?>")


@dataclass
class ToolLimits:
    """How much of a run goes back to the model, where the rest is kept, how long a run may take."""

    max_output_chars: int = 20_000  # stdout, stderr and the traceback, each
    max_result_chars: int = 10_000  # each text field of a result (text, markdown, html, json)
    output_dir: Path | None = None  # images and full outputs; default: the user cache dir
    timeout: float | None = None  # seconds per run; None: the SDK's default (300 s); 0: no limit

    def __post_init__(self) -> None:
        for name in ("max_output_chars", "max_result_chars", "timeout"):
            value = getattr(self, name)
            if value is not None and value < 0:
                raise ValueError(f"{name} must be 0 or more, got {value}.")

    def folder(self) -> Path:
        """Where images and full outputs are written."""
        return Path(self.output_dir) if self.output_dir else paths.cache_dir() / "tool-outputs"


@dataclass
class RunOutput:
    """What the SDK streamed back for one run, as it came."""

    stdout: list[str] = field(default_factory=list)
    stderr: list[str] = field(default_factory=list)
    results: list[Result] = field(default_factory=list)
    error: ExecutionError | None = None


def new_run_id() -> str:
    """`20250101-120000-a1b2c3`: names the files of one run (full outputs, images)."""
    return f"{time.strftime('%Y%m%d-%H%M%S')}-{secrets.token_hex(3)}"


class Clipper:
    """Cuts long text to its head and tail and keeps the whole text in a file."""

    def __init__(self, limits: ToolLimits, run_id: str, warnings: list[str]):
        self.limits = limits
        self.run_id = run_id
        self.warnings = warnings
        self.truncated: dict[str, dict[str, Any]] = {}

    def clip(self, text: str, name: str, limit: int) -> str:
        """`text`, or its first and last `limit` characters around a marker naming the full copy."""
        if len(text) <= limit:
            return text
        head = limit // 2
        tail = limit - head
        omitted = len(text) - head - tail
        try:
            path = paths.ensure(self.limits.folder()) / f"{self.run_id}-{name}.txt"
            write_file(path, text.encode("utf-8", errors="replace"))
        except OSError as err:
            self.truncated[name] = {"chars": len(text), "path": None}
            self.warnings.append(f"The full {name} could not be saved: {err}.")
            where = "it could not be saved"
        else:
            self.truncated[name] = {"chars": len(text), "path": str(path)}
            where = f"the full {name} is in {path}"
        marker = f"\n[... {omitted} characters truncated; {where} ...]\n"
        return text[:head] + marker + (text[-tail:] if tail else "")


def _error_json(name: str, value: str, traceback: str = "") -> dict[str, str]:
    return {"name": name, "value": value, "traceback": traceback}


def _base_result(call_id: str | None, language: str | None) -> dict[str, Any]:
    result: dict[str, Any] = {}
    if call_id is not None:
        result["tool_call_id"] = call_id
    result.update(
        {
            "status": "ok",
            "language": language,
            "stdout": "",
            "stderr": "",
            "text": None,
            "results": [],
            "error": None,
            "execution_count": None,
            "duration_s": 0.0,
        }
    )
    return result


def invalid_result(call: ToolCall | None, message: str) -> dict[str, Any]:
    """The result for a call that could not run: status `invalid` and what to fix."""
    result = _base_result(call.id if call else None, None)
    result["status"] = "invalid"
    result["error"] = _error_json("InvalidArguments", message)
    if call is not None and call.warnings:
        result["warnings"] = list(call.warnings)
    return result


def run_result(
    call: ValidCall,
    output: RunOutput,
    limits: ToolLimits,
    *,
    execution_count: int | None,
    duration: float,
    failure: BaseException | None = None,
    run_id: str | None = None,
) -> dict[str, Any]:
    """The result of a run: what it streamed, clipped and cleaned, its images saved, and how
    it ended (`failure`: the exception that stopped it, a timeout or the sandbox)."""
    run_id = run_id or new_run_id()
    warnings = list(call.warnings)
    clipper = Clipper(limits, run_id, warnings)
    result = _base_result(call.id, call.language)
    for stream, chunks in (("stdout", output.stdout), ("stderr", output.stderr)):
        result[stream] = clipper.clip(clean("".join(chunks)), stream, limits.max_output_chars)
    saver = ImageSaver(limits.folder(), run_id)
    for index, item in enumerate(output.results, 1):
        entry = _result_entry(item, index, limits, clipper, saver, warnings)
        result["results"].append(entry)
        if item.is_main_result and item.text is not None and result["text"] is None:
            result["text"] = entry.get("text")
    if output.error is not None:
        result["status"] = "error"
        result["error"] = _error_json(
            output.error.name,
            clipper.clip(clean(output.error.value or ""), "error", limits.max_result_chars),
            clipper.clip(clean(output.error.traceback or ""), "traceback", limits.max_output_chars),
        )
    if failure is not None:
        result.update(_failure(failure, limits.timeout))
    result["execution_count"] = execution_count
    result["duration_s"] = round(duration, 3)
    if clipper.truncated:
        result["truncated"] = clipper.truncated
    if warnings:
        result["warnings"] = warnings
    return result


def _result_entry(
    item: Result, index: int, limits: ToolLimits, clipper: Clipper, saver: ImageSaver, warnings: list[str]
) -> dict[str, Any]:
    """One result as the model sees it: its texts (clipped), image paths, chart summary."""
    limit = limits.max_result_chars
    entry: dict[str, Any] = {"formats": list(item.formats()), "is_main_result": bool(item.is_main_result)}
    if item.text is not None:
        entry["text"] = clipper.clip(item.text, f"result-{index}-text", limit)
    if item.markdown:
        entry["markdown"] = clipper.clip(item.markdown, f"result-{index}-markdown", limit)
    if item.json is not None:
        dumped = json.dumps(item.json, ensure_ascii=False)
        entry["json"] = (
            item.json if len(dumped) <= limit else clipper.clip(dumped, f"result-{index}-json", limit)
        )
    if item.latex:
        entry["latex"] = clipper.clip(item.latex, f"result-{index}-latex", limit)
    if item.html and not item.markdown and _says_nothing(item.text):
        entry["html"] = clipper.clip(item.html, f"result-{index}-html", limit)
    try:
        images = saver.save(item)
    except (OSError, ValueError) as err:  # an unwritable folder, or image data that is not base64
        formats = [name for name, _ in IMAGE_FORMATS if getattr(item, name, None)]
        warnings.append(f"The {', '.join(formats)} image of result {index} could not be saved: {err}.")
        images = []
    if images:
        entry["images"] = [{"format": path.suffix.lstrip("."), "path": str(path)} for path in images]
    if item.chart is not None:
        entry["chart"] = chart_summary(item.chart)
    return entry


def _says_nothing(text: str | None) -> bool:
    """Whether a result's text is missing or only a placeholder like `<IPython.core.display.HTML object>`."""
    return text is None or _PLACEHOLDER.fullmatch(text.strip()) is not None


def _failure(err: BaseException, timeout: float | None) -> dict[str, Any]:
    if isinstance(err, TimeoutException):
        seconds = DEFAULT_TIMEOUT if timeout is None else timeout
        return {
            "status": "timeout",
            "error": _error_json(
                "TimeoutError",
                f"The run took longer than {seconds:g} s and was interrupted; the session keeps its state.",
            ),
        }
    return {"status": "failed", "error": _error_json(type(err).__name__, str(explain(err)))}


def is_error(result: dict[str, Any]) -> bool:
    """Whether a result reports a failure (the code raised, timed out, or could not run)."""
    return result.get("status") != "ok"


def tool_reply(result: dict[str, Any], fmt: str = "result") -> dict[str, Any]:
    """The message that carries a result back: the bare `result`, an OpenAI `tool` message,
    or an Anthropic `tool_result` block (the result JSON is their content)."""
    if fmt == "result":
        return result
    content = json.dumps(result, ensure_ascii=False)
    call_id = result.get("tool_call_id")
    if fmt == "openai":
        return {"role": "tool", "tool_call_id": call_id, "content": content}
    if fmt == "anthropic":
        return {
            "type": "tool_result",
            "tool_use_id": call_id,
            "content": content,
            "is_error": is_error(result),
        }
    raise ValueError(f"Unknown reply format {fmt!r}: use one of {', '.join(REPLY_FORMATS)}.")
