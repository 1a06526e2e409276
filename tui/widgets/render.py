"""Rich renderables for what a run produces: output lines, results by kind, errors."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from e2b_code_interpreter.models import ExecutionError, Result
from rich.console import Group, RenderableType
from rich.json import JSON
from rich.markdown import Markdown
from rich.style import Style
from rich.table import Table
from rich.text import Text

from ..core.artifacts import Artifact
from ..core.pictures import picture_of

MAX_TABLE_ROWS = 20
MAX_TABLE_COLUMNS = 12
THUMBNAIL_ROWS = 10  # an artifact's picture in the log: this many rows of half-blocks...
THUMBNAIL_COLUMNS = 48  # ...and at most this wide
THUMBNAIL_BLOCK = 5  # the darkest colour of each 5×5 block of a thumbnail pixel counts
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


class _HTMLText(HTMLParser):
    """HTML to readable text: blocks become lines, table cells are tab-separated."""

    BLOCKS = {"p", "div", "br", "tr", "li", "h1", "h2", "h3", "h4", "h5", "h6", "table", "pre", "hr"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0
        self._cell = False

    def handle_starttag(self, tag: str, attrs) -> None:  # noqa: ANN001
        if tag in ("script", "style"):
            self._skip += 1
        elif tag in ("td", "th"):
            if self._cell:
                self.parts.append("\t")
            self._cell = True
        elif tag in self.BLOCKS:
            self._newline()
            self._cell = False
        if tag == "li":
            self.parts.append("• ")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._skip = max(0, self._skip - 1)
        elif tag in self.BLOCKS:
            self._newline()
            self._cell = False

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(re.sub(r"\s+", " ", data) if not data.isspace() else "")

    def _newline(self) -> None:
        if self.parts and not self.parts[-1].endswith("\n"):
            self.parts.append("\n")

    def text(self) -> str:
        lines = [line.strip() for line in "".join(self.parts).splitlines()]
        return "\n".join(line for line in lines if line)


def html_to_text(html: str) -> str:
    """HTML as readable text (see _HTMLText)."""
    parser = _HTMLText()
    parser.feed(html)
    parser.close()
    return parser.text()


def data_table(data: dict) -> Table:
    """A `data` result ({column: [values]}) as a table, bounded in rows and columns."""
    columns = list(data)[:MAX_TABLE_COLUMNS]
    table = Table(show_edge=False, header_style="bold", pad_edge=False)
    for name in columns:
        table.add_column(str(name), overflow="fold")
    rows = max((len(v) for v in data.values() if isinstance(v, list)), default=0)
    for i in range(min(rows, MAX_TABLE_ROWS)):
        table.add_row(*(_cell(data[c], i) for c in columns))
    hidden_rows = rows - min(rows, MAX_TABLE_ROWS)
    hidden_cols = len(data) - len(columns)
    if hidden_rows or hidden_cols:
        table.caption = (
            f"{rows} rows × {len(data)} columns (showing {min(rows, MAX_TABLE_ROWS)} × {len(columns)})"
        )
    return table


def _cell(values, i: int) -> str:
    if isinstance(values, list) and i < len(values):
        value = values[i]
        return "" if value is None else str(value)
    return ""


def thumbnail(image, rows: int = THUMBNAIL_ROWS, max_columns: int = THUMBNAIL_COLUMNS) -> Text:
    """A PIL image as a few rows of half-blocks (two pixels a cell: upper in fg, lower in bg)."""
    from PIL import Image

    width, height = image.size
    if not width or not height:
        return Text("")
    columns = max(1, round(rows * 2 * width / height))  # a half-block pixel is about square
    if columns > max_columns:
        columns = max_columns
        rows = max(1, round(columns * height / width / 2))
    rgba = image.convert("RGBA")
    flat = Image.new("RGBA", rgba.size, (255, 255, 255, 255))  # transparency shows as white
    flat.alpha_composite(rgba)
    pixels = _shrink(flat.convert("RGB"), columns, rows * 2).load()
    text = Text(no_wrap=True, overflow="crop")
    for row in range(rows):
        for column in range(columns):
            upper = "#%02x%02x%02x" % pixels[column, row * 2]
            lower = "#%02x%02x%02x" % pixels[column, row * 2 + 1]
            text.append("▀", Style(color=upper, bgcolor=lower))
        if row < rows - 1:
            text.append("\n")
    return text


def _shrink(image, width: int, height: int):  # noqa: ANN001, ANN202 - PIL images
    """Shrink keeping thin lines visible: an average alone fades a chart's 1-px lines to white,
    so each pixel mixes its block's average with the block's darkest colour."""
    from PIL import Image, ImageFilter

    k = THUMBNAIL_BLOCK
    if image.width < width * k or image.height < height * k:
        return image.resize((width, height), Image.Resampling.BOX)
    fine = image.resize((width * k, height * k), Image.Resampling.BOX)
    darkest = fine.filter(ImageFilter.MinFilter(k)).resize((width, height), Image.Resampling.NEAREST)
    average = fine.resize((width, height), Image.Resampling.BOX)
    return Image.blend(average, darkest, 0.65)


def render_artifact(artifact: Artifact, with_thumbnail: bool = True) -> RenderableType:
    """An artifact's line in the log: its number and kinds, then (unless told not to) a small thumbnail."""
    head = Text.assemble(("▣ ", "bold magenta"), (f"{artifact.name}", "bold magenta"))
    head.append(f" · {artifact.describe()}", style="magenta")
    if not with_thumbnail:
        return head
    picture = picture_of(artifact)
    if picture.image is None:
        return Group(head, Text(picture.note, style="dim"))
    return Group(head, thumbnail(picture.image))


def render_result(
    result: Result, artifact: Artifact | None = None, with_thumbnail: bool = True
) -> RenderableType:
    """One result, by kind: markdown, JSON, table, HTML as text, plain text.

    An image or chart result is given with its `artifact`, and shows as the artifact's line
    and (unless told not to) a thumbnail, instead of its text or HTML stand-in.
    """
    parts: list[RenderableType] = []
    image = False
    if artifact is not None:
        image = bool(result.png or result.jpeg or result.svg)
        parts.append(render_artifact(artifact, with_thumbnail))
    if result.markdown:
        parts.append(Markdown(result.markdown))
    elif result.json is not None:
        parts.append(JSON.from_data(result.json))
    elif result.data:
        parts.append(data_table(result.data))
    elif result.html and not image:
        parts.append(Text(html_to_text(result.html)))
    elif result.text and not image:
        parts.append(Text(ANSI.sub("", result.text)))
    elif result.latex:
        parts.append(Text(result.latex))
    if not parts:
        formats = ", ".join(result.formats()) or "empty"
        parts.append(Text(f"[result: {formats}]", style="dim"))
    return Group(*parts)


def result_plain(result: Result, artifact: Artifact | None = None) -> str:
    """A result as plain text, for copying; an image or chart as its artifact line."""
    if artifact is not None:
        return f"[{artifact.name} · {artifact.describe()}]"
    if result.text:
        return result.text
    if result.markdown:
        return result.markdown
    if result.html:
        return html_to_text(result.html)
    return f"[result: {', '.join(result.formats())}]"


def render_error(error: ExecutionError) -> RenderableType:
    """Name and value first, then the traceback (colours stripped, then our own)."""
    head = Text.assemble((error.name, "bold red"), (": ", "red"), (error.value or "", "red"))
    trace = ANSI.sub("", error.traceback or "").rstrip()
    if not trace:
        return head
    body = Text()
    for line in trace.splitlines():
        style = "bold" if line.lstrip().startswith("---->") or line.startswith("Cell In") else "dim"
        if line.startswith(error.name):
            style = "red"
        body.append(line + "\n", style=style)
    body.rstrip()
    return Group(head, body)
