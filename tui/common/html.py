"""HTML results as a small document a terminal can show: paragraphs of styled spans, tables.

A kernel's HTML result (a DataFrame, a Styler, IPython's `HTML(...)`) is written for a
browser. The log shows it as readable text: bold and italic stay bold and italic, a link
keeps its text and says where it points, block elements become lines, lists get bullets,
and tables stay tables (rows and cells, header rows marked), so a DataFrame keeps its
index. Scripts and styles are dropped. `to_text` gives the same document as plain text
(for copies, `run` and the tool view); the UI turns it into Rich renderables.

Every piece of text here still comes from the sandbox: callers pass it through
`tui.common.terminal.clean` before it reaches a terminal.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

_SPACE = re.compile(r"\s+")
_BLOCKS = {
    "p", "div", "section", "article", "header", "footer", "main", "nav", "aside", "blockquote",
    "figure", "figcaption", "details", "summary", "dl", "dt", "dd", "ul", "ol", "address", "center",
    "h1", "h2", "h3", "h4", "h5", "h6", "li", "pre", "hr", "caption", "form", "fieldset",
}  # fmt: skip
_SKIP = {"script", "style", "head", "title", "template", "noscript", "svg"}
_BOLD = {"b", "strong", "th"}
_ITALIC = {"i", "em", "cite", "var", "dfn"}
_CODE = {"code", "tt", "kbd", "samp"}
SHAPE = re.compile(r"(\d[\d,]*) rows? × (\d[\d,]*) columns?")  # pandas' note under a cut frame


@dataclass
class Span:
    """A run of text with one style."""

    text: str
    bold: bool = False
    italic: bool = False
    code: bool = False
    link: str | None = None  # where a link points


@dataclass
class Paragraph:
    """A block of text: a paragraph, heading (`h1`...), list item (`li`) or preformatted text."""

    spans: list[Span] = field(default_factory=list)
    kind: str = "p"
    bullet: str = ""  # "• " or "3. " for list items

    def plain(self) -> str:
        return self.bullet + "".join(_span_plain(span) for span in self.spans)


@dataclass
class Table:
    """A table: rows of cell texts; the first `header_rows` rows are its header."""

    rows: list[list[str]] = field(default_factory=list)
    header_rows: int = 0
    classes: tuple[str, ...] = ()
    shape: tuple[int, int] | None = None  # a DataFrame's full size, when pandas said it was cut

    @property
    def is_dataframe(self) -> bool:
        return "dataframe" in self.classes

    def body(self) -> list[list[str]]:
        return self.rows[self.header_rows :]

    def columns(self) -> int:
        return max((len(row) for row in self.rows), default=0)


Block = Paragraph | Table


def _span_plain(span: Span) -> str:
    if span.link and span.link != span.text.strip() and not span.link.startswith("#"):
        return f"{span.text} <{span.link}>" if span.text.strip() else span.link
    return span.text


class _Parser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[Block] = []
        self.paragraph = Paragraph()
        self.skip = 0
        self.bold = 0
        self.italic = 0
        self.code = 0
        self.pre = 0
        self.links: list[str | None] = []
        self.lists: list[list[int | None]] = []  # per open list: [next number] (None: bullets)
        self.table: Table | None = None
        self.tables: list[Table | None] = []  # enclosing tables of a nested one
        self.row: list[str] | None = None
        self.row_has_td = False
        self.cell: list[str] | None = None
        self.colspan = 1
        self.in_head = False
        self.header_done = False

    # -- paragraphs -------------------------------------------------------------------

    def _flush(self, kind: str = "p", bullet: str = "") -> None:
        spans = self.paragraph.spans
        if self.paragraph.kind != "pre":
            _trim(spans)
        if any(span.text.strip() for span in spans):
            self.blocks.append(self.paragraph)
        self.paragraph = Paragraph(kind=kind, bullet=bullet)

    def _add(self, text: str) -> None:
        if self.cell is not None:
            self.cell.append(text)
            return
        link = next((href for href in reversed(self.links) if href is not None), None)
        span = Span(text, self.bold > 0, self.italic > 0, self.code > 0, link)
        spans = self.paragraph.spans
        if spans and (spans[-1].bold, spans[-1].italic, spans[-1].code, spans[-1].link) == (
            span.bold,
            span.italic,
            span.code,
            span.link,
        ):
            spans[-1].text += text
        else:
            spans.append(span)

    # -- the parser's callbacks ---------------------------------------------------------

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP:
            self.skip += 1
            return
        if self.skip:
            return
        values = dict(attrs)
        if tag == "table":
            self._flush()
            self.tables.append(self.table)
            self.table = Table(classes=tuple((values.get("class") or "").split()))
            self.header_done = False
        elif tag == "thead":
            self.in_head = True
        elif tag == "tr" and self.table is not None:
            self.row = []
            self.row_has_td = False
        elif tag in ("td", "th") and self.row is not None:
            self.cell = []
            span = values.get("colspan") or "1"
            self.colspan = min(int(span), 100) if span.isdigit() and int(span) > 0 else 1
            if tag == "td":
                self.row_has_td = True
        elif tag == "br":
            self._add("\n")
        elif tag == "img":
            alt = (values.get("alt") or "").strip()
            self._add(f"[image{': ' + alt if alt else ''}]")
        elif tag in ("ul", "ol"):
            self._flush()
            self.lists.append([1] if tag == "ol" else [None])
        elif tag == "li":
            number = self.lists[-1][0] if self.lists else None
            bullet = "  " * max(0, len(self.lists) - 1)
            if number is None:
                bullet += "• "
            else:
                bullet += f"{number}. "
                self.lists[-1][0] = number + 1
            self._flush("li", bullet)
        elif tag == "pre":
            self._flush("pre")
            self.pre += 1
        elif tag in _BLOCKS:
            self._flush(tag if tag in ("h1", "h2", "h3", "h4", "h5", "h6") else "p")
        if tag in _BOLD or tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
            self.bold += 1
        elif tag in _ITALIC:
            self.italic += 1
        elif tag in _CODE:
            self.code += 1
        elif tag == "a":
            href = (values.get("href") or "").strip()
            self.links.append(href or None)

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP:
            self.skip = max(0, self.skip - 1)
            return
        if self.skip:
            return
        if tag in _BOLD or tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
            self.bold = max(0, self.bold - 1)
        elif tag in _ITALIC:
            self.italic = max(0, self.italic - 1)
        elif tag in _CODE:
            self.code = max(0, self.code - 1)
        elif tag == "a" and self.links:
            self.links.pop()
        if tag in ("td", "th") and self.cell is not None and self.row is not None:
            self.row.append(_SPACE.sub(" ", "".join(self.cell)).strip())
            self.row.extend([""] * (self.colspan - 1))
            self.cell = None
        elif tag == "tr" and self.row is not None and self.table is not None:
            self._end_row()
        elif tag == "thead":
            self.in_head = False
        elif tag == "table" and self.table is not None:
            if self.row:
                self._end_row()
            self._end_table()
        elif tag in ("ul", "ol"):
            self._flush()
            if self.lists:
                self.lists.pop()
        elif tag == "pre":
            self._flush()
            self.pre = max(0, self.pre - 1)
        elif tag in _BLOCKS:
            self._flush()

    def _end_row(self) -> None:
        assert self.table is not None and self.row is not None
        table = self.table
        header = self.in_head or (not self.row_has_td and bool(self.row))
        if header and not self.header_done and len(table.rows) == table.header_rows:
            table.header_rows += 1
        else:
            self.header_done = True
        table.rows.append(self.row)
        self.row = None

    def _end_table(self) -> None:
        table = self.table
        assert table is not None
        self.table = self.tables.pop() if self.tables else None
        _merge_index_names(table)
        if table.rows:
            if self.table is not None and self.cell is not None:  # nested: flatten into the cell
                self.cell.append(" ".join(" ".join(row) for row in table.rows))
            else:
                self.blocks.append(table)

    def handle_data(self, data: str) -> None:
        if self.skip:
            return
        if self.cell is not None:
            self.cell.append(data)
            return
        if self.table is not None and self.row is not None:
            return  # text between cells
        if not self.pre:
            data = _SPACE.sub(" ", data)
            if not data.strip() and not self.paragraph.spans:
                return
        self._add(data)

    def close(self) -> None:
        super().close()
        if self.table is not None:
            self._end_table()
        self._flush()


def _trim(spans: list[Span]) -> None:
    """Collapse the spaces where spans meet, and strip the paragraph's ends."""
    previous_space = True
    for span in spans:
        text = span.text
        if previous_space and text.startswith(" "):
            text = text.lstrip(" ")
        span.text = text
        if text:
            previous_space = text.endswith((" ", "\n"))
    while spans and not spans[-1].text.strip():
        spans.pop()
    if spans:
        spans[-1].text = spans[-1].text.rstrip()
    lines = [span for span in spans if span.text]
    spans[:] = lines


def _merge_index_names(table: Table) -> None:
    """pandas writes a named index as a second header row (`city`, '', ''): fold it into the first."""
    if table.header_rows == 2:
        first, second = table.rows[0], table.rows[1]
        if second and second[0] and not any(second[1:]) and not first[0]:
            first[0] = second[0]
            del table.rows[1]
            table.header_rows = 1


def parse(html: str) -> list[Block]:
    """The readable content of `html`: paragraphs and tables, in order."""
    parser = _Parser()
    parser.feed(html)
    parser.close()
    blocks = parser.blocks
    for i, block in enumerate(blocks):  # pandas says a cut frame's size under it
        if isinstance(block, Table) and block.is_dataframe and i + 1 < len(blocks):
            after = blocks[i + 1]
            if isinstance(after, Paragraph):
                found = SHAPE.fullmatch(after.plain().strip())
                if found:
                    block.shape = (int(found[1].replace(",", "")), int(found[2].replace(",", "")))
    return blocks


def has_table(html: str) -> bool:
    """Whether `html` holds a table (cheap: no parsing)."""
    return "<table" in html.lower()


def table_text(table: Table) -> list[str]:
    """A table as aligned lines of text (columns padded, a rule under the header)."""
    width = table.columns()
    rows = [row + [""] * (width - len(row)) for row in table.rows]
    sizes = [max((len(row[i]) for row in rows), default=0) for i in range(width)]
    lines = []
    for n, row in enumerate(rows):
        lines.append("  ".join(cell.ljust(sizes[i]) for i, cell in enumerate(row)).rstrip())
        if n + 1 == table.header_rows:
            lines.append("  ".join("-" * size for size in sizes))
    return lines


def to_text(html: str) -> str:
    """`html` as plain text: paragraphs as lines, links with their target, tables aligned."""
    lines: list[str] = []
    for block in parse(html):
        if isinstance(block, Table):
            lines.extend(table_text(block))
        else:
            lines.extend(block.plain().split("\n"))
    return "\n".join(line.rstrip() for line in lines)
