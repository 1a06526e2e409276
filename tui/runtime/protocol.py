"""The NDJSON lines of E2B's `/execute` stream, built from Jupyter messages."""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any

from tui.common.terminal import REPLACEMENT, clean

from .ipython_ext import CHART_MIME, DATA_MIME

# Jupyter MIME type -> field of an E2B result line
RESULT_FIELDS = {
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
    DATA_MIME: "data",
    CHART_MIME: "chart",
}

_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=str).encode
_SURROGATE = re.compile("[\ud800-\udfff]")
# Characters JSON leaves raw but line splitters (the SDK's iter_lines) treat as line ends.
_LINE_BREAKERS = str.maketrans({"\x85": "\\u0085", "\u2028": "\\u2028", "\u2029": "\\u2029"})


def encode(line: dict[str, Any]) -> bytes:
    """One protocol line, newline-terminated, never split by any line splitter."""
    text = _dumps(line)
    if "\x85" in text or "\u2028" in text or "\u2029" in text:
        text = text.translate(_LINE_BREAKERS)
    try:
        return (text + "\n").encode("utf-8")
    except UnicodeEncodeError:
        # lone surrogates (undecodable bytes a kernel passed on): shown as U+FFFD, the rest kept
        return (_SURROGATE.sub(REPLACEMENT, text) + "\n").encode("utf-8")


def timestamp(msg: dict[str, Any]) -> str:
    date = msg["header"].get("date")
    if isinstance(date, datetime):
        return date.isoformat()
    return str(date or now())


def now() -> str:
    return datetime.now().astimezone().isoformat()


def _strip_quotes(text: str) -> str:
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1]
    return text


def result_line(data: dict[str, Any], is_main: bool) -> dict[str, Any]:
    """A `result` line from a MIME bundle (execute_result or display_data)."""
    line: dict[str, Any] = {"type": "result"}
    extra: dict[str, Any] = {}
    for mime, value in data.items():
        field = RESULT_FIELDS.get(mime)
        if field is None:
            extra[mime] = value
            continue
        if isinstance(value, list) and field not in ("json", "data"):
            value = "".join(value)  # some kernels split text bundles into lines
        if field == "text" and isinstance(value, str):
            value = _strip_quotes(value)
        elif field in ("png", "jpeg") and isinstance(value, str):
            value = value.replace("\n", "")
        elif field == "chart" and not value:
            continue  # a blank figure has no chart
        line[field] = value
    line["extra"] = extra
    line["is_main_result"] = is_main
    return line


def error_line(name: str, value: str, traceback: str) -> dict[str, Any]:
    return {"type": "error", "name": name, "value": value, "traceback": traceback}


def kernel_error_line(content: dict[str, Any]) -> dict[str, Any]:
    """An error line from a kernel's error content, in one shape whatever the kernel.

    Colours and every other escape sequence are stripped (jjava paints its tracebacks)
    by the workbench's one terminal-text normaliser; an empty name (bash_kernel reports a
    failed command as name '' and value = exit status) gets a real one.
    """
    tb = content.get("traceback") or []
    if isinstance(tb, list):
        tb = "\n".join(str(t) for t in tb)
    name = clean(str(content.get("ename") or "")).strip()
    value = clean(str(content.get("evalue") or ""))
    if not name:
        name = "Error"
        if value.strip().isdigit():
            value = f"Command exited with status {value.strip()}"
    return error_line(name, value, clean(str(tb)))


END = encode({"type": "end_of_execution"})
KEEPALIVE = encode({"type": "keepalive"})
