"""Rich renderables for what a run produces: output lines, results by kind, errors."""

from __future__ import annotations

from e2b_code_interpreter.models import ExecutionError, Result
from rich.cells import cell_len
from rich.console import Console, ConsoleOptions, Group, RenderableType, RenderResult
from rich.json import JSON
from rich.markdown import Markdown
from rich.style import Style
from rich.table import Table
from rich.text import Text

from ..common import html as htmldoc
from ..common.terminal import clean
from ..core import forms
from ..core.artifacts import Artifact
from ..core.pictures import picture_of

THUMBNAIL_ROWS = 10  # an artifact's picture in the log: this many rows of half-blocks...
THUMBNAIL_COLUMNS = 48  # ...and at most this wide
THUMBNAIL_BLOCK = 5  # the darkest colour of each 5×5 block of a thumbnail pixel counts


def terminal_text(text: str, style: str = "") -> Text:
    """Sandbox text as a Rich Text that cannot act on the terminal: every escape sequence but
    colours dropped, `\\r` and `\\b` applied (tui.common.terminal.clean), colours as styles."""
    shown = clean(text, colours=True)
    if "\x1b" in shown:
        return Text.from_ansi(shown, style=style)
    return Text(shown, style=style)


def plain(text: str) -> str:
    """Sandbox text as plain text (no escape sequence at all), for copies and labels."""
    return clean(text)


def html_renderable(html: str) -> RenderableType:
    """An HTML result as readable rich text: bold, italic, links (with their target), lists,
    headings, preformatted text, and tables as tables."""
    parts: list[RenderableType] = []
    for block in htmldoc.parse(html):
        if isinstance(block, htmldoc.Table):
            parts.append(table_renderable(block))
            continue
        if block.kind == "p" and htmldoc.SHAPE.fullmatch(block.plain().strip()) and parts:
            if isinstance(parts[-1], FittedTable) and parts[-1].table.shape is not None:
                continue  # the frame's size is under its table already
        text = Text(plain(block.bullet), style="bold" if block.kind.startswith("h") else "")
        for span in block.spans:
            style = Style(
                bold=span.bold or block.kind.startswith("h") or None,
                italic=span.italic or None,
                underline=bool(span.link) or None,
                color="cyan" if span.link else ("green" if span.code else None),
            )
            text.append(plain(span.text), style=style)
            if span.link and span.link != span.text.strip() and not span.link.startswith("#"):
                text.append(f" <{plain(span.link)}>", style="dim")
        parts.append(text)
    if not parts:
        return Text("")
    return Group(*parts)


class FittedTable:
    """A table (an HTML one, or a DataFrame's) as a Rich table that fits the width it is given:
    cells never wrap; when the columns do not all fit, the first and last ones that do are
    shown around a `…` column, as pandas does in a narrow terminal. Header rows are bold, a
    DataFrame's index column too, and under a cut frame its size says what is not shown."""

    def __init__(self, table: htmldoc.Table) -> None:
        self.table = table

    def _widths(self) -> list[int]:
        width = self.table.columns()
        sizes = [0] * width
        for row in self.table.rows:
            for i, cell in enumerate(row):
                sizes[i] = max(sizes[i], cell_len(plain(cell)))
        return sizes

    def _pick(self, available: int) -> list[int | None]:
        """Column indices to show, None where a `…` column stands for the ones left out."""
        sizes = self._widths()
        count = len(sizes)
        cost = [size + 3 for size in sizes]  # padding on both sides and a rule
        if sum(cost) <= available or count <= 2:
            return list(range(count))
        keep_first = 1 if self.table.is_dataframe else 0  # the index always shows
        budget = available - sum(cost[:keep_first]) - 4  # room for the `…` column
        left, right = list(range(keep_first)), []
        low, high = keep_first, count - 1
        take_left = True
        while low <= high:
            index = low if take_left else high
            if cost[index] > budget:
                break
            budget -= cost[index]
            if take_left:
                left.append(low)
                low += 1
            else:
                right.insert(0, high)
                high -= 1
            take_left = not take_left
        if low > high:
            return left + right
        return [*left, None, *right]

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        table = self.table
        picked = self._pick(options.max_width)
        rich = Table(show_edge=False, header_style="bold", pad_edge=False, show_header=table.header_rows > 0)
        headers = table.rows[: table.header_rows]
        dataframe = table.is_dataframe
        for index in picked:
            if index is None:
                rich.add_column("…", no_wrap=True, justify="center", style="dim")
                continue
            names = [row[index] if index < len(row) else "" for row in headers]
            label = "\n".join(plain(n) for n in names if n)
            first = dataframe and index == 0
            rich.add_column(
                label,
                no_wrap=True,
                overflow="ellipsis",
                style="bold" if first else "",
                justify="left" if first or not dataframe else "right",
            )
        for row in table.body():
            rich.add_row(*("…" if i is None else plain(row[i]) if i < len(row) else "" for i in picked))
        shown = {i for i in picked if i is not None}
        header = table.rows[table.header_rows - 1] if table.header_rows else []
        hidden = sum(
            1
            for i in range(table.columns())
            if i not in shown and (header[i] if i < len(header) else "") not in ("...", "…")
        )
        note = forms.hidden_note(table, extra_hidden_columns=hidden)
        yield rich
        if note:  # under the table, not its caption: a caption wraps to a narrow table's width
            yield Text(note, style="dim italic", no_wrap=False)


def table_renderable(table: htmldoc.Table) -> FittedTable:
    return FittedTable(table)


def data_table(data: dict) -> FittedTable:
    """A `data` result ({column: [values]}) as a table like pandas shows a frame (see forms.data_table)."""
    return table_renderable(forms.data_table(data))


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
    result: Result, artifact: Artifact | None = None, with_thumbnail: bool = True, form: str | None = None
) -> RenderableType:
    """One result in `form` (default: its first, see tui.core.forms): text as the language
    prints it, a DataFrame as a table, markdown, HTML as readable rich text, JSON pretty.

    An image or chart result is given with its `artifact`, and shows as the artifact's line
    and (unless told not to) a thumbnail, instead of its text or HTML stand-in.
    """
    parts: list[RenderableType] = []
    if artifact is not None:
        parts.append(render_artifact(artifact, with_thumbnail))
        if result.png or result.jpeg or result.svg:
            return Group(*parts)  # the text of an image is only a stand-in
    form = form or forms.default_form(result)
    if form == "table":
        if result.html and htmldoc.has_table(result.html):
            parts.append(html_renderable(result.html))
        else:
            parts.append(data_table(result.data or {}))
    elif form == "text":
        parts.append(terminal_text(result.text or ""))
    elif form == "markdown":
        parts.append(Markdown(plain(result.markdown or ""), hyperlinks=False))
    elif form == "html":
        parts.append(html_renderable(result.html or ""))
    elif form == "json":
        parts.append(JSON.from_data(result.json))  # json.dumps escapes every control character
    elif form == "latex":
        parts.append(Text(plain(result.latex or "")))
    if not parts:
        formats = ", ".join(result.formats()) or "empty"
        parts.append(Text(f"[result: {formats}]", style="dim"))
    return Group(*parts)


def result_plain(result: Result, artifact: Artifact | None = None, form: str | None = None) -> str:
    """A result as plain text (in `form`, default its first), for copying; an image or chart
    as its artifact line."""
    if artifact is not None:
        return f"[{artifact.name} · {artifact.describe()}]"
    return forms.form_text(result, form)


def error_plain(error: ExecutionError) -> str:
    """An error as plain text: name and value, then the traceback (for copies and the full output)."""
    head = f"{plain(error.name)}: {plain(error.value or '')}"
    trace = plain(error.traceback or "").rstrip()
    return f"{head}\n{trace}" if trace else head


def render_error(error: ExecutionError) -> RenderableType:
    """Name and value first, then the traceback (the sandbox's colours dropped, ours applied)."""
    name = plain(error.name)
    head = Text.assemble((name, "bold red"), (": ", "red"), (plain(error.value or ""), "red"))
    trace = plain(error.traceback or "").rstrip()
    if not trace:
        return head
    body = Text()
    for line in trace.splitlines():
        style = "bold" if line.lstrip().startswith("---->") or line.startswith("Cell In") else "dim"
        if name and line.startswith(name):
            style = "red"
        body.append(line + "\n", style=style)
    body.rstrip()
    return Group(head, body)
