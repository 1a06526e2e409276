"""Widgets for artifacts: the terminal image (kitty, sixel or half-block) and the native chart.

`textual_image` asks the terminal what it supports when it is imported, which only works
before Textual owns the terminal: this module imports it at the top, and the app imports
this module before it starts.
"""

from __future__ import annotations

import math

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.widget import Widget
from textual.widgets import DataTable, Static
from textual_image.widget import HalfcellImage, SixelImage, TGPImage
from textual_image.widget import Image as AutoImage
from textual_plotext import PlotextPlot

from ..core.artifacts import Artifact, ChartPart, cell

IMAGE_WIDGETS: dict[str, type[Widget]] = {
    "auto": AutoImage,
    "kitty": TGPImage,
    "sixel": SixelImage,
    "halfblock": HalfcellImage,
}
GRAPHICS_MODES = tuple(IMAGE_WIDGETS)
COLORS = ("cyan", "orange", "green", "magenta", "blue", "red", "yellow", "gray")
MAX_TICK_LABELS = 12
VERTICAL_POINTS = 60


class ArtifactAction(Message):
    """Do `action` (preview, chart, save) with one artifact."""

    def __init__(self, artifact: Artifact, action: str) -> None:
        super().__init__()
        self.artifact = artifact
        self.action = action


def image_widget(image, mode: str = "auto", **kwargs) -> Widget:  # noqa: ANN001 - a PIL image
    """The terminal image widget for `mode`: auto (what the terminal supports), kitty, sixel, halfblock."""
    return IMAGE_WIDGETS.get(mode, AutoImage)(image, **kwargs)


def _finite(xs: list, ys: list[float]) -> tuple[list, list[float]]:
    pairs = [(x, y) for x, y in zip(xs, ys, strict=True) if not (isinstance(y, float) and math.isnan(y))]
    return [x for x, _y in pairs], [y for _x, y in pairs]


def _thin(positions: list[float], labels: list[str]) -> tuple[list[float], list[str]]:
    """At most MAX_TICK_LABELS tick labels, evenly picked, so names do not run into each other."""
    step = max(1, math.ceil(len(labels) / MAX_TICK_LABELS))
    return positions[::step], labels[::step]


class ChartPlot(PlotextPlot):
    """One chart part drawn with plotext: lines, points, bars, shares or boxes."""

    def __init__(self, part: ChartPart, **kwargs) -> None:
        super().__init__(**kwargs)
        self.part = part
        self.draw()

    def draw(self) -> None:
        part, plt = self.part, self.plt
        plt.clear_figure()
        plt.title(part.title or part.kind.replace("_", " "))
        if part.x_label:
            plt.xlabel(part.x_label)
        if part.y_label:
            plt.ylabel(part.y_label)
        kind = part.kind
        if kind in ("line", "scatter"):
            self._points(scatter=kind == "scatter")
        elif kind == "bar":
            self._bars()
        elif kind == "pie":
            self._shares()
        elif kind == "box_and_whisker":
            self._boxes()
        self.refresh()

    def _points(self, scatter: bool) -> None:
        part, plt = self.part, self.plt
        names: list[str] = []
        if part.categorical:  # categories or dates: one position each, in order of appearance
            for series in part.series:
                names += [str(x) for x in series.x if str(x) not in names]
        draw = plt.scatter if scatter else plt.plot
        for n, series in enumerate(part.series):
            xs = [names.index(str(x)) + 1 for x in series.x] if names else list(series.x)
            xs, ys = _finite(xs, series.y)
            if not xs:  # plotext cannot draw (nor label) an empty series
                continue
            draw(xs, ys, label=series.label, color=COLORS[n % len(COLORS)], marker="braille")
        if names:
            plt.xticks(*_thin(list(range(1, len(names) + 1)), names))

    def _bars(self) -> None:
        part, plt = self.part, self.plt
        labels: list[str] = []
        for series in part.series:
            labels += [str(x) for x in series.x if str(x) not in labels]
        if len(part.series) == 1:
            series = part.series[0]
            plt.bar(labels, [0.0 if math.isnan(y) else y for y in series.y], color=COLORS[0], width=0.6)
            return
        values = []
        for series in part.series:  # groups may miss some labels: those bars are 0
            by_label = dict(zip((str(x) for x in series.x), series.y, strict=True))
            values.append([by_label.get(label, 0.0) for label in labels])
        plt.multiple_bar(
            labels,
            values,
            labels=[s.label or f"group {n}" for n, s in enumerate(part.series, 1)],
            color=[COLORS[n % len(COLORS)] for n in range(len(values))],
            width=0.8,
        )

    def _shares(self) -> None:
        series = self.part.series[0] if self.part.series else None
        if series is None:
            return
        labels = [f"{x} {y:.1f}%" for x, y in zip(series.x, series.y, strict=True)]
        # horizontal bars go bottom-up: reversed, the first slice is on top
        self.plt.bar(labels[::-1], series.y[::-1], orientation="horizontal", color=COLORS[0], width=0.6)

    def _boxes(self) -> None:
        plt, boxes = self.plt, self.part.boxes
        half = 0.25
        for n, box in enumerate(boxes, start=1):
            color = COLORS[(n - 1) % len(COLORS)]
            left, right = n - half, n + half
            q1, q3 = box.first_quartile, box.third_quartile

            def vertical(x: float, y0: float, y1: float, color: str = color) -> None:
                # plotext joins points along x: a vertical line needs its points spelled out
                ys = [y0 + (y1 - y0) * i / VERTICAL_POINTS for i in range(VERTICAL_POINTS + 1)]
                plt.plot([x] * len(ys), ys, color=color, marker="braille")

            def horizontal(x0: float, x1: float, y: float, color: str = color) -> None:
                plt.plot([x0, x1], [y, y], color=color, marker="braille")

            vertical(n, box.low, q1)
            vertical(n, q3, box.high)
            horizontal(n - half / 2, n + half / 2, box.low)
            horizontal(n - half / 2, n + half / 2, box.high)
            vertical(left, q1, q3)
            vertical(right, q1, q3)
            horizontal(left, right, q1)
            horizontal(left, right, q3)
            horizontal(left, right, box.median, "red")
            if box.outliers:
                plt.scatter([n] * len(box.outliers), box.outliers, color=color, marker="cross")
        if boxes:
            plt.xticks(list(range(1, len(boxes) + 1)), [b.label for b in boxes])
            plt.xlim(0.4, len(boxes) + 0.6)


class ChartPartView(Vertical):
    """A chart part and its data: the plot above, the table below; moving through the table's
    rows marks the row's point on the plot (line and scatter charts)."""

    MAX_ROWS = 5000

    def __init__(self, part: ChartPart, **kwargs) -> None:
        super().__init__(classes="chart-part", **kwargs)
        self.part = part
        self._points: list[tuple[float, float, str]] = []  # per table row: x, y, what
        self._armed = False

    def compose(self) -> ComposeResult:
        yield ChartPlot(self.part, classes="chart-plot")
        yield Static("", classes="chart-mark dim")
        yield DataTable(classes="chart-table", cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns(*self.part.columns)
        table.add_rows(self.part.rows[: self.MAX_ROWS])
        if len(self.part.rows) > self.MAX_ROWS:
            self.query_one(".chart-mark", Static).update(
                f"The table shows the first {self.MAX_ROWS:,} of {len(self.part.rows):,} rows."
            )
        if self.part.kind in ("line", "scatter"):
            names: list[str] = []
            if self.part.categorical:
                for series in self.part.series:
                    names += [str(x) for x in series.x if str(x) not in names]
            for series in self.part.series:
                for x, y in zip(series.x, series.y, strict=True):
                    position = names.index(str(x)) + 1 if names else float(x)
                    self._points.append((float(position), y, f"{series.label}: {cell(x)}, {cell(y)}"))

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        if not self._armed:  # the first highlight is the table opening, not the person moving
            self._armed = True
            return
        row = event.cursor_row
        if not 0 <= row < len(self._points):
            return
        x, y, what = self._points[row]
        plot = self.query_one(ChartPlot)
        plot.draw()
        if not math.isnan(y):
            plot.plt.vline(x, color="red")
            plot.plt.hline(y, color="red")
        plot.refresh()
        self.query_one(".chart-mark", Static).update(f"marked: {what}")
