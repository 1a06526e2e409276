"""What a sandbox file is, for its preview: code or text, a CSV/TSV table, JSON, an image,
or binary data; built from the first bytes of the file (and, for a table, its line count).

No Textual here: the Files pane's preview screen draws a `FilePreview`; tests check them
directly.
"""

from __future__ import annotations

import csv
import io
import json
import posixpath
from dataclasses import dataclass, field

PREVIEW_BYTES = 512 * 1024  # read this much of a file to preview it
IMAGE_BYTES = 20 * 1024 * 1024  # an image is read whole, up to this size
TABLE_ROWS = 200  # rows of a CSV shown
IMAGE_EXTENSIONS = {".png", ".jpg", ".jpeg", ".gif", ".webp", ".bmp"}
TABLE_EXTENSIONS = {".csv": ",", ".tsv": "\t"}


@dataclass
class FilePreview:
    path: str
    size: int
    kind: str  # code, json, table, image, binary, empty
    text: str = ""
    lexer: str = "text"
    rows: list[list[str]] = field(default_factory=list)  # a table: the header row first
    row_count: int | None = None  # a table's data rows in the whole file
    data: bytes = b""  # an image, as png or jpeg
    image_format: str = ""
    note: str = ""

    def title(self) -> str:

        what = {
            "table": f"{self.row_count if self.row_count is not None else '?'} rows",
            "image": "image",
            "binary": "binary",
            "empty": "empty",
        }.get(self.kind, self.lexer)
        return f"{self.path} · {_size(self.size)} · {what}"


def _size(size: float) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1024
    return str(size)


def extension(path: str) -> str:
    return posixpath.splitext(path)[1].lower()


def wants_whole(path: str, size: int) -> bool:
    """Whether the preview needs the whole file (an image small enough to show)."""
    return extension(path) in IMAGE_EXTENSIONS and size <= IMAGE_BYTES


def _decode(head: bytes, complete: bool) -> str | None:
    """`head` as UTF-8 text, None when it is binary (a character cut at the end is fine)."""
    if b"\x00" in head[:8192]:
        return None
    try:
        return head.decode("utf-8")
    except UnicodeDecodeError as err:
        if not complete and err.start >= len(head) - 4:
            return head[: err.start].decode("utf-8", errors="replace")
        return None


def build(path: str, size: int, head: bytes, complete: bool, line_count: int | None = None) -> FilePreview:
    """The preview of `path` (`size` bytes) from its first bytes `head` (`complete`: all of it).
    `line_count`: the whole file's lines, when known (a table's row count)."""
    ext = extension(path)
    cut = "" if complete else f"The first {_size(len(head))} of {_size(size)} are shown."
    if size == 0:
        return FilePreview(path, size, "empty", note="The file is empty.")
    if ext in IMAGE_EXTENSIONS:
        image = _image(path, size, head, complete)
        if image is not None:
            return image
    text = _decode(head, complete)
    if text is None:
        return FilePreview(
            path, size, "binary", text=_hexdump(head[:1024]), note="Binary data: the first bytes, in hex."
        )
    if ext in TABLE_EXTENSIONS:
        return _table(path, size, text, complete, TABLE_EXTENSIONS[ext], line_count)
    if ext == ".json" and complete:
        try:
            return FilePreview(
                path, size, "json", json.dumps(json.loads(text), indent=2, ensure_ascii=False), "json"
            )
        except ValueError as err:
            return FilePreview(
                path, size, "code", text, "json", note=f"Not valid JSON ({err}): shown as it is."
            )
    return FilePreview(path, size, "code", text, _lexer(path, text), note=cut)


def _lexer(path: str, text: str) -> str:
    from pygments.lexers import guess_lexer_for_filename
    from pygments.util import ClassNotFound

    try:
        return guess_lexer_for_filename(posixpath.basename(path), text[:4096]).aliases[0]
    except (ClassNotFound, IndexError):
        return "text"


def _table(
    path: str, size: int, text: str, complete: bool, delimiter: str, line_count: int | None
) -> FilePreview:
    lines = text.splitlines()
    if not complete and lines:
        lines = lines[:-1]  # the last line may be cut
    rows = list(csv.reader(io.StringIO("\n".join(lines[: TABLE_ROWS + 1])), delimiter=delimiter))
    total: int | None
    if complete:
        total = max(0, len(list(csv.reader(io.StringIO(text), delimiter=delimiter))) - 1)
    else:
        total = max(0, line_count - 1) if line_count is not None else None
    shown = max(0, len(rows) - 1)
    if total is None:
        note = f"The first {shown} rows (the file is longer)."
    elif shown < total:
        note = f"The first {shown} of {total} rows."
    else:
        note = f"{total} rows."
    return FilePreview(path, size, "table", rows=rows, row_count=total, note=note)


def _image(path: str, size: int, data: bytes, complete: bool) -> FilePreview | None:
    if not complete:
        return FilePreview(
            path, size, "binary", text="", note=f"The image is larger than {_size(IMAGE_BYTES)}: download it."
        )
    from PIL import Image

    try:
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            if image.format in ("PNG", "JPEG"):
                return FilePreview(path, size, "image", data=data, image_format=image.format.lower())
            out = io.BytesIO()
            image.convert("RGBA").save(out, "PNG")
            return FilePreview(path, size, "image", data=out.getvalue(), image_format="png")
    except Exception as err:  # noqa: BLE001 - Pillow raises many kinds for a broken image
        return FilePreview(
            path, size, "binary", text=_hexdump(data[:1024]), note=f"Not an image Pillow can read: {err}."
        )


def _hexdump(data: bytes) -> str:
    lines = []
    for offset in range(0, len(data), 16):
        chunk = data[offset : offset + 16]
        hexes = " ".join(f"{b:02x}" for b in chunk)
        text = "".join(chr(b) if 32 <= b < 127 else "." for b in chunk)
        lines.append(f"{offset:08x}  {hexes:<47}  {text}")
    return "\n".join(lines)
