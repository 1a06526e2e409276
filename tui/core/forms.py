"""The forms a result can be shown in, and which one it shows first.

A Jupyter result carries one value in several forms (text/plain, HTML, markdown, JSON,
a DataFrame's `data`...). The workbench shows the text form by default, as the language
itself prints the value (a Python list on one line, `None` not `null`), except where the
text says nothing (`<IPython.core.display.HTML object>`) or a richer form is the point: a
DataFrame shows as a table (with its index, head and tail, and what is not shown). One key
switches a result between its forms.

The same choice serves every view: the log, copies, the full output, `run`.
"""

from __future__ import annotations

import json
import re

from e2b_code_interpreter.models import Result

from ..common import html as htmldoc
from ..common.terminal import clean

# "<IPython.core.display.Markdown object>", "<Figure size 640x480 with 1 Axes>"
PLACEHOLDER = re.compile(r"<[\w.]+ (object|object at 0x[0-9a-f]+)>|<Figure size [^>]*>")

FORMS = ("table", "text", "markdown", "html", "json", "latex")
TITLES = {
    "table": "table",
    "text": "text",
    "markdown": "markdown",
    "html": "HTML",
    "json": "JSON",
    "latex": "LaTeX",
}


def says_nothing(text: str | None) -> bool:
    """Whether a result's text is missing or only a placeholder for a richer form."""
    return text is None or not text.strip() or PLACEHOLDER.fullmatch(text.strip()) is not None


def is_dataframe(result: Result) -> bool:
    return bool(result.data) or bool(result.html and 'class="dataframe"' in result.html)


def forms_of(result: Result) -> list[str]:
    """The forms `result` can be shown in, the default first."""
    available: list[str] = []
    if is_dataframe(result):
        available.append("table")
    if not says_nothing(result.text):
        available.append("text")
    if result.markdown:
        available.append("markdown")
    if result.html and "table" not in available:
        available.append("html")
    if result.json is not None:
        available.append("json")
    if result.latex:
        available.append("latex")
    if not available and result.text:  # a placeholder is still better than nothing
        available.append("text")
    return available


def default_form(result: Result) -> str | None:
    found = forms_of(result)
    return found[0] if found else None


def next_form(result: Result, form: str | None) -> str | None:
    """The form after `form` (round the list); None when there is only one, or none."""
    found = forms_of(result)
    if len(found) < 2:
        return None
    if form not in found:
        return found[0]
    return found[(found.index(form) + 1) % len(found)]


def form_text(result: Result, form: str | None = None) -> str:
    """`result` in `form` (default: its first form) as plain text, safe for a terminal."""
    form = form or default_form(result)
    if form == "table":
        if result.html and htmldoc.has_table(result.html):
            return clean(htmldoc.to_text(result.html))
        return clean("\n".join(htmldoc.table_text(data_table(result.data or {}))))
    if form == "text":
        return clean(result.text or "")
    if form == "markdown":
        return clean(result.markdown or "")
    if form == "html":
        return clean(htmldoc.to_text(result.html or ""))
    if form == "json":
        return clean(json.dumps(result.json, indent=2, ensure_ascii=False))
    if form == "latex":
        return clean(result.latex or "")
    return f"[result: {', '.join(result.formats()) or 'empty'}]"


HEAD_ROWS = 5  # a long `data` table shows this many rows at each end, as pandas does
MAX_ROWS = 60  # pandas' display.max_rows: up to this many rows are all shown
EDGE_COLUMNS = 10  # a wide one this many columns at each end
MAX_COLUMNS = 20


def data_table(data: dict) -> htmldoc.Table:
    """A DataFrame's `data` ({column: [values]}) as a table like pandas shows it: a default
    index (the `data` form carries none), head and tail rows, edge columns, and its size
    when not all of it is shown."""
    names = list(data)
    rows = max((len(v) for v in data.values() if isinstance(v, list)), default=0)
    if len(names) > MAX_COLUMNS:
        columns: list[str | None] = [*names[:EDGE_COLUMNS], None, *names[-EDGE_COLUMNS:]]
    else:
        columns = list(names)
    if rows > MAX_ROWS:
        picked: list[int | None] = [*range(HEAD_ROWS), None, *range(rows - HEAD_ROWS, rows)]
    else:
        picked = list(range(rows))
    table = htmldoc.Table(header_rows=1, classes=("dataframe",))
    table.rows.append(["", *("..." if c is None else str(c) for c in columns)])
    for i in picked:
        if i is None:
            table.rows.append(["..."] * (len(columns) + 1))
            continue
        table.rows.append([str(i), *("..." if c is None else _cell(data[c], i) for c in columns)])
    if rows > MAX_ROWS or len(names) > MAX_COLUMNS:
        table.shape = (rows, len(names))
    return table


def _cell(values: object, i: int) -> str:
    if isinstance(values, list) and i < len(values):
        value = values[i]
        if value is None:
            return "NaN"
        return str(value)
    return ""


def hidden_note(table: htmldoc.Table, extra_hidden_columns: int = 0) -> str:
    """`1,000 rows × 30 columns (990 rows, 10 columns not shown)` for a cut DataFrame, else ''.

    `extra_hidden_columns`: columns of the table itself left out (too wide to show them all).
    """
    if table.shape is None:
        if not extra_hidden_columns or not table.rows:
            return ""
        index = 1 if table.is_dataframe else 0
        return f"{extra_hidden_columns:,} of {table.columns() - index:,} columns not shown (too wide)"
    total_rows, total_columns = table.shape
    body = table.body()
    shown_rows = sum(1 for row in body if not all(cell in ("...", "…") for cell in row[1:] or row))
    header = table.rows[table.header_rows - 1] if table.header_rows else (table.rows[0] if table.rows else [])
    shown_columns = sum(1 for cell in header[1:] if cell not in ("...", "…")) - extra_hidden_columns
    hidden = []
    if total_rows > shown_rows:
        hidden.append(f"{total_rows - shown_rows:,} rows")
    if total_columns > shown_columns:
        hidden.append(f"{total_columns - shown_columns:,} columns")
    note = f"{total_rows:,} rows × {total_columns:,} columns"
    return f"{note} ({', '.join(hidden)} not shown)" if hidden else note
