"""Charts from their data (`result.chart`): what one shows in a few fields, and its parts,
series and table for drawing (no Textual here).

`chart_summary` is the one summary of a chart: structured data (a model reads it in a
tool result, `run` prints its type and title); `describe_chart` is its one-line form for
people (`line chart “Sales” (2 series)`). `chart_parts` turns a chart, or each chart of a
superchart, into series and boxes ready to plot and the rows of its data table.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from typing import Any

from e2b_code_interpreter.charts import (
    BarChart,
    BoxAndWhiskerChart,
    Chart,
    ChartType,
    PieChart,
    PointChart,
    SuperChart,
)

from ..common.terminal import clean

ISO_TIME = re.compile(r"(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2})(:\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?")
NOUNS = {  # what a chart's elements are, by kind
    "line": ("series", "series"),
    "scatter": ("series", "series"),
    "bar": ("bar", "bars"),
    "pie": ("slice", "slices"),
    "box-and-whisker": ("box", "boxes"),
    "superchart": ("part", "parts"),
}


def chart_kind(chart: Chart) -> str:
    """The chart's type as the payload names it: `line`, `bar`, `box_and_whisker`, `superchart`..."""
    value = getattr(chart.type, "value", str(chart.type))
    return str(value or ChartType.UNKNOWN.value)


def chart_summary(chart: Chart) -> dict[str, Any]:
    """What a chart shows, in a few fields: type, title, axis labels, series and their sizes
    (`charts` for a superchart's parts, `elements` and `labels` for pies and boxes)."""
    summary: dict[str, Any] = {"type": chart_kind(chart), "title": chart.title or ""}
    for attr in ("x_label", "y_label", "x_unit", "y_unit"):
        value = getattr(chart, attr, None)
        if value:
            summary[attr] = value
    elements = list(chart.elements or [])
    if isinstance(chart, SuperChart):
        summary["charts"] = [chart_summary(sub) for sub in elements]
    elif isinstance(chart, PointChart):  # line, scatter
        summary["series"] = [{"label": e.label, "points": len(e.points)} for e in elements]
    elif isinstance(chart, BarChart):
        groups: dict[str, int] = {}
        for bar in elements:
            groups[bar.group] = groups.get(bar.group, 0) + 1
        summary["series"] = [{"label": group, "bars": count} for group, count in groups.items()]
    else:  # pie slices, boxes, or a kind the SDK does not know
        summary["elements"] = len(elements)
        if elements:
            summary["labels"] = [str(getattr(e, "label", "")) for e in elements[:20]]
    return summary


def describe_chart(chart: Chart) -> str:
    """`line chart “Sales” (2 series)`: the summary in one line."""
    summary = chart_summary(chart)
    kind = summary["type"].replace("_", "-")
    title = f" “{clean(summary['title'])}”" if summary["title"] else ""
    if "charts" in summary:
        count = len(summary["charts"])
    elif "series" in summary:  # a bar group counts its bars, a line one
        count = sum(series.get("bars", 1) for series in summary["series"])
    else:
        count = summary["elements"]
    singular, plural = NOUNS.get(kind, ("element", "elements"))
    return f"{kind} chart{title} ({count} {singular if count == 1 else plural})"


@dataclass
class Series:
    """One labelled series: x values (numbers or category names) and y values."""

    label: str
    x: list[float | str]
    y: list[float]


@dataclass
class Box:
    """One box of a box-and-whisker chart."""

    label: str
    low: float
    first_quartile: float
    median: float
    third_quartile: float
    high: float
    outliers: list[float] = field(default_factory=list)


@dataclass
class ChartPart:
    """One drawable chart: a chart, or one part of a superchart, with its data as a table.

    Line and scatter charts have a series per line; a bar chart a series per group (x are
    the bar labels); a pie chart one series of shares in percent; box charts have boxes.
    """

    kind: str
    title: str
    x_label: str
    y_label: str
    series: list[Series] = field(default_factory=list)
    boxes: list[Box] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)

    @property
    def categorical(self) -> bool:
        """True when some x value is a name, not a number (bars, dates, categories)."""
        return any(isinstance(x, str) for s in self.series for x in s.x)


def axis_label(label: str | None, unit: str | None) -> str:
    """An axis label with its unit, without saying the unit twice: `time (s)`."""
    label = (label or "").strip()
    unit = (unit or "").strip()
    if unit and unit not in label:
        return f"{label} ({unit})" if label else f"({unit})"
    return label


def number(value: Any) -> float:
    """A chart value as a float (the SDK types some as str); NaN when it is not a number."""
    try:
        return float(value)
    except (TypeError, ValueError):
        return float("nan")


def _x_value(value: Any) -> float | str:
    """An x value: a number (NaN when missing), or a name; ISO timestamps shortened
    (`2024-01-02`, `… 12:30`)."""
    if value is None:
        return math.nan
    if isinstance(value, bool | int | float):
        return float(value)
    try:
        return float(value)
    except (TypeError, ValueError):
        pass
    text = str(value)
    match = ISO_TIME.fullmatch(text)
    if match:
        day, minutes, seconds = match.groups()
        if seconds and seconds.strip(":.0"):
            minutes += seconds
        return day if minutes in ("00:00", None) else f"{day} {minutes}"
    return text


def cell(value: Any) -> str:
    """A value for the data table: numbers compact (`1.5`, `1e+06`), the rest as text."""
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return "" if value is None else str(value)


def chart_parts(chart: Chart) -> list[ChartPart]:
    """A chart as drawable parts: itself, or a superchart's charts in order. Every name in
    them (title, labels, categories, cells) is the sandbox's text, made safe to show."""
    if isinstance(chart, SuperChart):
        parts: list[ChartPart] = []
        for element in chart.elements:
            parts.extend(chart_parts(element))
        return parts
    return [_safe(_part(chart))]


def _safe(part: ChartPart) -> ChartPart:
    part.title, part.x_label, part.y_label = clean(part.title), clean(part.x_label), clean(part.y_label)
    for series in part.series:
        series.label = clean(series.label)
        series.x = [clean(x) if isinstance(x, str) else x for x in series.x]
    for box in part.boxes:
        box.label = clean(box.label)
    part.columns = [clean(c) for c in part.columns]
    part.rows = [[clean(c) for c in row] for row in part.rows]
    return part


def _part(chart: Chart) -> ChartPart:
    title = chart.title or ""
    x_label = axis_label(getattr(chart, "x_label", None), getattr(chart, "x_unit", None))
    y_label = axis_label(getattr(chart, "y_label", None), getattr(chart, "y_unit", None))
    part = ChartPart(chart_kind(chart), title, x_label, y_label)
    if isinstance(chart, PointChart):
        for n, element in enumerate(chart.elements, start=1):
            label = element.label or ""
            if not label or label.startswith("_"):  # matplotlib's `_nolegend_`, `_child3`...
                label = f"series {n}"
            xs = [_x_value(x) for x, _y in element.points]
            ys = [number(y) for _x, y in element.points]
            part.series.append(Series(label, xs, ys))
        part.columns = ["series", x_label or "x", y_label or "y"]
        part.rows = [[s.label, cell(x), cell(y)] for s in part.series for x, y in zip(s.x, s.y, strict=True)]
    elif isinstance(chart, BarChart):
        groups: dict[str, Series] = {}
        for element in chart.elements:
            group = str(element.group or "")
            series = groups.setdefault(group, Series(group, [], []))
            series.x.append(str(element.label))
            series.y.append(number(element.value))
        part.series = list(groups.values())
        part.columns = ["group", x_label or "label", y_label or "value"]
        part.rows = [[cell(e.group), cell(e.label), cell(number(e.value))] for e in chart.elements]
    elif isinstance(chart, PieChart):
        angles = [number(e.angle) for e in chart.elements]
        total = sum(a for a in angles if a == a) or 360.0
        shares = [a / total * 100 for a in angles]
        labels = [str(e.label) for e in chart.elements]
        part.series = [Series("share", list(labels), shares)]
        part.y_label = "share (%)"
        part.columns = ["label", "angle (°)", "share (%)"]
        part.rows = [[label, cell(a), f"{s:.1f}"] for label, a, s in zip(labels, angles, shares, strict=True)]
    elif isinstance(chart, BoxAndWhiskerChart):
        for element in chart.elements:
            part.boxes.append(
                Box(
                    str(element.label),
                    number(element.min),
                    number(element.first_quartile),
                    number(element.median),
                    number(element.third_quartile),
                    number(element.max),
                    [number(o) for o in element.outliers or []],
                )
            )
        part.columns = ["label", "min", "first quartile", "median", "third quartile", "max", "outliers"]
        part.rows = [
            [
                b.label,
                cell(b.low),
                cell(b.first_quartile),
                cell(b.median),
                cell(b.third_quartile),
                cell(b.high),
                ", ".join(cell(o) for o in b.outliers),
            ]
            for b in part.boxes
        ]
    else:
        part.columns = ["element"]
        part.rows = [[json.dumps(e, default=str)[:200]] for e in chart.elements or []]
    return part
