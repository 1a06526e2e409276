"""Widgets for artifacts: the terminal image (kitty, sixel or half-block) and the native chart.

`textual_image` is imported through `tui.widgets.graphics`, which keeps it from probing
the terminal (the probe changed tmux's pane title) and picks the protocol for "auto"
from the environment.
"""

from __future__ import annotations

import itertools
import math

from rich.text import Text
from textual.app import ComposeResult, RenderResult
from textual.containers import Vertical
from textual.message import Message
from textual.widget import Widget
from textual.widgets import DataTable, Static
from textual_plotext import PlotextPlot

from ..core.artifacts import Artifact
from ..core.charts import ChartPart, cell
from .graphics import HalfcellImage, SixelImage, TGPImage, auto_mode

IMAGE_WIDGETS: dict[str, type[Widget]] = {
    "kitty": TGPImage,
    "sixel": SixelImage,
    "halfblock": HalfcellImage,
}
GRAPHICS_MODES = ("auto", *IMAGE_WIDGETS)
COLORS = ("cyan", "orange", "green", "magenta", "blue", "red", "yellow", "gray")
MAX_TICK_LABELS = 12
VERTICAL_POINTS = 60
MAX_DRAWN_POINTS = 2000  # per series: a terminal shows fewer, and plotext slows down with more


class ArtifactAction(Message):
    """Do `action` (preview, chart, save) with one artifact."""

    def __init__(self, artifact: Artifact, action: str) -> None:
        super().__init__()
        self.artifact = artifact
        self.action = action


def image_widget(image, mode: str = "auto", **kwargs) -> Widget:  # noqa: ANN001 - a PIL image
    """The terminal image widget for `mode`: auto (what the environment says the terminal
    shows, see tui.widgets.graphics), kitty, sixel, halfblock."""
    return IMAGE_WIDGETS.get(mode if mode != "auto" else auto_mode(), HalfcellImage)(image, **kwargs)


def _is_finite(value: float | str) -> bool:
    """A name, or a number that is neither NaN nor infinite (plotext cannot place those)."""
    return isinstance(value, str) or math.isfinite(value)


def category_positions(part: ChartPart) -> dict[str, int]:
    """Where each x name goes (1, 2, ...) in order of first appearance, when the chart's x
    values are names (categories or dates); empty when they are numbers."""
    positions: dict[str, int] = {}
    if part.categorical:
        for series in part.series:
            for x in series.x:
                if _is_finite(x):  # a missing x (NaN) is no category
                    positions.setdefault(str(x), len(positions) + 1)
    return positions


def _plotted(
    xs: list[float | str], ys: list[float], positions: dict[str, int]
) -> tuple[list[float], list[float]]:
    """The points plotext can draw: x as a position (a category's, or the number), both finite."""
    points = []
    for x, y in zip(xs, ys, strict=True):
        position = positions.get(str(x)) if positions else x
        if position is not None and _is_finite(position) and math.isfinite(y):
            points.append((float(position), y))
    return [x for x, _y in points], [y for _x, y in points]


def decimate(
    xs: list[float], ys: list[float], limit: int = MAX_DRAWN_POINTS
) -> tuple[list[float], list[float]]:
    """At most about `limit` points of a series, for drawing: each of `limit / 2` runs of
    neighbouring points keeps its lowest and highest, so peaks and dips stay in the picture."""
    if len(xs) <= limit:
        return xs, ys
    runs = max(1, limit // 2)
    size = len(xs) / runs
    kept_x: list[float] = []
    kept_y: list[float] = []
    for run in range(runs):
        indices = range(int(run * size), int((run + 1) * size))
        if not indices:
            continue
        lowest = min(indices, key=ys.__getitem__)
        highest = max(indices, key=ys.__getitem__)
        for i in sorted({lowest, highest}):
            kept_x.append(xs[i])
            kept_y.append(ys[i])
    return kept_x, kept_y


def _or_zero(value: float) -> float:
    """A bar's height: a missing (NaN) or infinite value draws as no bar."""
    return value if math.isfinite(value) else 0.0


def _thin(positions: list[float], labels: list[str]) -> tuple[list[float], list[str]]:
    """At most MAX_TICK_LABELS tick labels, evenly picked, so names do not run into each other."""
    step = max(1, math.ceil(len(labels) / MAX_TICK_LABELS))
    return positions[::step], labels[::step]


class ChartPlot(PlotextPlot):
    """One chart part drawn with plotext: lines, points, bars, shares or boxes."""

    def __init__(self, part: ChartPart, **kwargs) -> None:
        super().__init__(**kwargs)
        self.part = part
        self.positions = category_positions(part)
        # line and scatter series as drawn (positions, finite, decimated): made once, not per mark
        points = part.kind in ("line", "scatter")
        self._drawn = [decimate(*_plotted(s.x, s.y, self.positions)) for s in part.series] if points else []
        self.draw()

    def render(self) -> RenderResult:
        """The plot; a note instead when plotext cannot draw the data (e.g. values too big to
        scale), since the table below still has it."""
        try:
            return super().render()
        except Exception as err:  # noqa: BLE001 - plotext raises anything on data it cannot scale
            return Text(
                f"This chart cannot be drawn here ({type(err).__name__}: {err}); its data is in the table."
            )

    def draw(self) -> None:
        """Draw the part afresh (the table's mark, if any, goes)."""
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
        plt, positions = self.plt, self.positions
        draw = plt.scatter if scatter else plt.plot
        for n, (series, (xs, ys)) in enumerate(zip(self.part.series, self._drawn, strict=True)):
            if not xs:  # plotext cannot draw (nor label) an empty series
                continue
            draw(xs, ys, label=series.label, color=COLORS[n % len(COLORS)], marker="braille")
        if positions:
            plt.xticks(*_thin(list(positions.values()), list(positions)))

    def _bars(self) -> None:
        part, plt = self.part, self.plt
        labels = list(dict.fromkeys(str(x) for series in part.series for x in series.x))
        if not labels:
            return
        if len(part.series) == 1:
            series = part.series[0]
            plt.bar(labels, [_or_zero(y) for y in series.y], color=COLORS[0], width=0.6)
            return
        values = []
        for series in part.series:  # groups may miss some labels: those bars are 0
            by_label = dict(zip((str(x) for x in series.x), series.y, strict=True))
            values.append([_or_zero(by_label.get(label, 0.0)) for label in labels])
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
        shares = [(f"{x} {y:.1f}%", y) for x, y in zip(series.x, series.y, strict=True) if math.isfinite(y)]
        if not shares:
            return
        # horizontal bars go bottom-up: reversed, the first slice is on top
        labels, values = [label for label, _y in shares[::-1]], [y for _label, y in shares[::-1]]
        self.plt.bar(labels, values, orientation="horizontal", color=COLORS[0], width=0.6)

    def _boxes(self) -> None:
        plt, boxes = self.plt, self.part.boxes
        half = 0.25
        for n, box in enumerate(boxes, start=1):
            color = COLORS[(n - 1) % len(COLORS)]
            left, right = n - half, n + half
            q1, q3 = box.first_quartile, box.third_quartile
            if not all(map(math.isfinite, (box.low, q1, box.median, q3, box.high))):
                continue  # a box with a missing statistic is in the table, not drawn

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
            outliers = [o for o in box.outliers if math.isfinite(o)]
            if outliers:
                plt.scatter([n] * len(outliers), outliers, color=color, marker="cross")
        if boxes:
            plt.xticks(list(range(1, len(boxes) + 1)), [b.label for b in boxes])
            plt.xlim(0.4, len(boxes) + 0.6)


class ChartPartView(Vertical):
    """A chart part and its data: the plot above, the table below; moving through the table's
    rows marks the row's point on the plot (line and scatter charts)."""

    MAX_ROWS = 1000  # rows beyond these make the table slow to open, and nobody pages through them

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
        if self.part.kind in ("line", "scatter"):  # the table's rows, in order: a point each
            positions = self.query_one(ChartPlot).positions
            rows = ((s, x, y) for s in self.part.series for x, y in zip(s.x, s.y, strict=True))
            for series, x, y in itertools.islice(rows, self.MAX_ROWS):
                position = positions.get(str(x), math.nan) if positions else x
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
        if math.isfinite(x) and math.isfinite(y):
            plot.plt.vline(x, color="red")
            plot.plt.hline(y, color="red")
            self.query_one(".chart-mark", Static).update(f"marked: {what}")
        else:
            self.query_one(".chart-mark", Static).update(f"{what}: a missing value, not on the plot")
        plot.refresh()
