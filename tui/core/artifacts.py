"""Artifacts: the images and charts a run produced, and saving them (no Textual here).

Every result with a png, jpeg or svg, or a `chart`, is one artifact of its run. The UI
previews, draws and saves artifacts; this module decides what they are, what a chart's
parts, series and table are, and where and how their files are written (never over an
existing file unless asked).
"""

from __future__ import annotations

import base64
import io
import json
import os
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
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
from e2b_code_interpreter.models import Result

from .records import ExecutionRecord

DEFAULT_FOLDER = "e2b-artifacts"
RASTER_FORMATS = (("png", ".png"), ("jpeg", ".jpg"))
# suffixes a typed path may end in: the files of one artifact share the rest of the name
KNOWN_SUFFIXES = (".chart.json", ".json", ".png", ".jpg", ".jpeg", ".svg")
ISO_TIME = re.compile(r"(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2})(:\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?")
NOUNS = {  # what a chart's elements are, by kind
    "line": ("series", "series"),
    "scatter": ("series", "series"),
    "bar": ("bar", "bars"),
    "pie": ("slice", "slices"),
    "box-and-whisker": ("box", "boxes"),
    "superchart": ("part", "parts"),
}


# -- artifacts -----------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Artifact:
    """One image or chart result of a run; `number` counts artifacts within the run from 1."""

    run: int  # the run's execution count (its sequence number when it has none)
    number: int
    result: Result

    @property
    def name(self) -> str:
        """`run-3-1`: the default file stem, and how the UI refers to it."""
        return f"run-{self.run}-{self.number}"

    @property
    def kinds(self) -> list[str]:
        """What the artifact holds, e.g. ['png', 'chart']."""
        found = [fmt for fmt in ("png", "jpeg", "svg") if getattr(self.result, fmt, None)]
        if self.chart is not None:
            found.append("chart")
        return found

    @property
    def chart(self) -> Chart | None:
        return self.result.chart

    def raster(self) -> tuple[str, bytes] | None:
        """(format, bytes) of the png, else the jpeg, if the result has one."""
        for fmt, _suffix in RASTER_FORMATS:
            value = getattr(self.result, fmt, None)
            if value:
                return fmt, base64.b64decode(value)
        return None

    def chart_json(self) -> str | None:
        """The chart exactly as the sandbox sent it (what `e2b_code_interpreter.charts` reads)."""
        if self.chart is None:
            return None
        return json.dumps(self.chart.to_dict(), indent=2, ensure_ascii=False) + "\n"

    def files(self) -> list[tuple[str, bytes]]:
        """(suffix, bytes) of every file a save writes: the image first, then svg, chart JSON."""
        files: list[tuple[str, bytes]] = []
        raster = self.raster()
        if raster is not None:
            fmt, data = raster
            files.append((dict(RASTER_FORMATS)[fmt], data))
        if self.result.svg:
            files.append((".svg", self.result.svg.encode()))
        chart = self.chart_json()
        if chart is not None:
            files.append((".chart.json", chart.encode()))
        return files

    def describe(self) -> str:
        """`png 640×480 · line chart “Sales” (2 series)`."""
        parts = []
        raster = self.raster()
        if raster is not None:
            size = image_size(raster[1])
            parts.append(f"{raster[0]} {size[0]}×{size[1]}" if size else f"{raster[0]} (unreadable)")
        if self.result.svg:
            parts.append("svg")
        if self.chart is not None:
            parts.append(chart_summary(self.chart))
        return " · ".join(parts)


def is_artifact(result: Result) -> bool:
    return bool(result.png or result.jpeg or result.svg or result.chart is not None)


def artifacts_of(record: ExecutionRecord) -> list[Artifact]:
    """The artifacts of one run, in the order its results arrived."""
    with record.lock:
        results = list(record.results)
    run = record.execution_count if record.execution_count is not None else record.seq
    found = [r for r in results if is_artifact(r)]
    return [Artifact(run, n, result) for n, result in enumerate(found, start=1)]


def image_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) of an encoded image, or None if Pillow cannot read it."""
    from PIL import Image

    try:
        with Image.open(io.BytesIO(data)) as img:
            return img.width, img.height
    except Exception:
        return None


# -- pictures to show -----------------------------------------------------------------


@dataclass
class Picture:
    """What a preview shows: a decoded image, where it came from, or why there is none."""

    image: Any | None  # PIL.Image.Image
    source: str = ""  # png, jpeg, svg
    note: str = ""


def rasterize_svg(svg: str) -> Any | None:
    """The SVG as a PIL image, if an SVG rasterizer (cairosvg) is installed; else None."""
    try:
        import cairosvg  # optional: `pip install cairosvg` (needs the cairo library)
    except (ImportError, OSError):
        return None
    from PIL import Image

    try:
        png = cairosvg.svg2png(bytestring=svg.encode(), output_width=None)
        return Image.open(io.BytesIO(png))
    except Exception:
        return None


def picture_of(artifact: Artifact) -> Picture:
    """The image to preview: the png/jpeg, else the SVG rasterized, else a note saying why not."""
    from PIL import Image

    raster = artifact.raster()
    if raster is not None:
        fmt, data = raster
        try:
            image = Image.open(io.BytesIO(data))
            image.load()
            return Picture(image, fmt)
        except Exception as err:
            return Picture(None, fmt, f"The {fmt} image cannot be read: {err}")
    if artifact.result.svg:
        image = rasterize_svg(artifact.result.svg)
        if image is not None:
            return Picture(image, "svg")
        return Picture(
            None,
            "svg",
            "This SVG can be saved (s) but not previewed: no SVG rasterizer is installed "
            "(pip install cairosvg).",
        )
    return Picture(None, "", "This chart has no image: press i to draw it from its data.")


# -- charts ---------------------------------------------------------------------------


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


def chart_kind(chart: Chart) -> str:
    value = getattr(chart.type, "value", str(chart.type))
    return str(value or ChartType.UNKNOWN.value)


def chart_summary(chart: Chart) -> str:
    """`line chart “Sales” (2 series)`."""
    kind = chart_kind(chart).replace("_", "-")
    title = f" “{chart.title}”" if chart.title else ""
    count = len(chart.elements or [])
    singular, plural = NOUNS.get(kind, ("element", "elements"))
    return f"{kind} chart{title} ({count} {singular if count == 1 else plural})"


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
    """An x value: a number, or a name; ISO timestamps shortened (`2024-01-02`, `… 12:30`)."""
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
    """A chart as drawable parts: itself, or a superchart's charts in order."""
    if isinstance(chart, SuperChart):
        parts: list[ChartPart] = []
        for element in chart.elements:
            parts.extend(chart_parts(element))
        return parts
    return [_part(chart)]


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


# -- saving ---------------------------------------------------------------------------


def stem_of(path: Path) -> Path:
    """`out/fig.png` -> `out/fig`: the name an artifact's files share."""
    name = path.name
    for suffix in KNOWN_SUFFIXES:
        if name.lower().endswith(suffix) and len(name) > len(suffix):
            return path.with_name(name[: -len(suffix)])
    return path


def save_plan(artifact: Artifact, target: Path) -> list[tuple[Path, bytes]]:
    """The files a save to `target` writes: `fig.png`, `fig.svg`, `fig.chart.json` side by side."""
    stem = stem_of(target)
    return [(stem.with_name(stem.name + suffix), data) for suffix, data in artifact.files()]


def target_from_input(text: str, artifact: Artifact, cwd: Path) -> Path:
    """The path a person typed: `~` expanded, relative to `cwd`; a folder (an existing one, or
    a path ending in /) gets the artifact's default file name; empty means the default."""
    text = text.strip()
    if not text:
        return default_target(artifact, cwd)
    path = Path(os.path.expanduser(text))
    if not path.is_absolute():
        path = cwd / path
    if text.endswith(("/", os.sep)) or path.is_dir():
        path = path / f"{artifact.name}{_primary_suffix(artifact)}"
    return path


def _primary_suffix(artifact: Artifact) -> str:
    files = artifact.files()
    return files[0][0] if files else ""


def existing(plan: list[tuple[Path, bytes]]) -> list[Path]:
    """The files of a plan that are already there (a save would replace them)."""
    return [path for path, _data in plan if path.exists()]


def default_target(artifact: Artifact, cwd: Path | None = None) -> Path:
    """`./e2b-artifacts/run-3-1.png`, or `run-3-1-2.png`... when that name is taken."""
    folder = (cwd or Path.cwd()) / DEFAULT_FOLDER
    suffix = _primary_suffix(artifact)
    for n in range(1, 1000):
        stem = artifact.name if n == 1 else f"{artifact.name}-{n}"
        target = folder / f"{stem}{suffix}"
        if not existing(save_plan(artifact, target)):
            return target
    return folder / f"{artifact.name}{suffix}"


def write_plan(plan: list[tuple[Path, bytes]], overwrite: bool = False) -> list[Path]:
    """Write every file of a plan; without `overwrite`, nothing is written if one exists.

    Raises FileExistsError (before writing anything, or if a file appears meanwhile) when a
    file is there and `overwrite` is false. Replacing is atomic: a reader never sees half a file.
    """
    if not overwrite:
        taken = existing(plan)
        if taken:
            raise FileExistsError(taken[0])
    written: list[Path] = []
    for path, data in plan:
        path.parent.mkdir(parents=True, exist_ok=True)
        if overwrite:
            _replace(path, data)
        else:
            with open(path, "xb") as handle:  # x: fails if someone made the file meanwhile
                handle.write(data)
        written.append(path)
    return written


def _replace(path: Path, data: bytes) -> None:
    try:
        mode = path.stat().st_mode & 0o777  # a replaced file keeps its permissions
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
