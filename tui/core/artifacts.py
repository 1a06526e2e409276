"""Artifacts: the images and charts a run produced, and saving them (no Textual here).

Every result with a png, jpeg or svg, or a `chart`, is one artifact of its run. The UI
previews, draws and saves artifacts; this module decides what they are, what a chart's
parts, series and table are, and where and how their files are written (never over an
existing file unless asked).
"""

from __future__ import annotations

import base64
import binascii
import io
import json
import math
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
PREVIEW_MAX_SIDE = 2048  # a bigger image is shrunk to this for showing: no screen needs more
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
        """The chart payload (`result.chart`), or None for a plain image."""
        return self.result.chart

    def raster(self) -> tuple[str, bytes] | None:
        """(format, bytes) of the png, else the jpeg: the first one whose base64 decodes."""
        for fmt, _suffix in RASTER_FORMATS:
            data = decode_base64(getattr(self.result, fmt, None))
            if data is not None:
                return fmt, data
        return None

    def undecodable(self) -> list[str]:
        """The image formats the result has whose data is not valid base64 (nothing to show or save)."""
        return [
            fmt
            for fmt, _suffix in RASTER_FORMATS
            if getattr(self.result, fmt, None) and decode_base64(getattr(self.result, fmt)) is None
        ]

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
        parts += [f"{fmt} (not valid base64)" for fmt in self.undecodable()]
        if self.result.svg:
            parts.append("svg")
        if self.chart is not None:
            parts.append(chart_summary(self.chart))
        return " · ".join(parts)


def decode_base64(value: str | None) -> bytes | None:
    """The bytes of a base64 string; None when there is none or it is not base64."""
    if not value:
        return None
    try:
        return base64.b64decode(value) or None  # junk without base64 letters decodes to b""
    except (binascii.Error, ValueError):
        return None


def is_artifact(result: Result) -> bool:
    """True for a result with an image (png, jpeg, svg) or a chart."""
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


def rasterize_svg(svg: str, max_side: int = PREVIEW_MAX_SIDE) -> tuple[Any | None, str]:
    """(the SVG as a PIL image, "") if it can be drawn, else (None, why not).

    Drawing needs cairosvg (`pip install cairosvg`, which needs the cairo library). An SVG
    too big for a cairo surface is drawn `max_side` pixels wide instead.
    """
    try:
        import cairosvg
    except (ImportError, OSError):
        return None, "no SVG rasterizer is installed (pip install cairosvg)"
    from PIL import Image

    reason = ""
    for size in ({}, {"output_width": max_side}):
        try:
            png = cairosvg.svg2png(bytestring=svg.encode(), **size)
            return Image.open(io.BytesIO(png)), ""
        except Exception as err:  # noqa: BLE001 - cairosvg raises parse, value and cairo errors
            reason = str(err) or type(err).__name__
            if "too big" not in reason:
                break
    return None, f"it cannot be drawn ({reason})"


def picture_of(artifact: Artifact, max_side: int = PREVIEW_MAX_SIDE) -> Picture:
    """The image to show, at most `max_side` pixels a side: the png/jpeg, else the SVG
    rasterized, else a note saying why there is none."""
    from PIL import Image

    raster = artifact.raster()
    if raster is not None:
        fmt, data = raster
        try:
            image = Image.open(io.BytesIO(data))
            image.load()  # here, where a broken image is caught, not when it is first drawn
            image.thumbnail((max_side, max_side), Image.Resampling.BOX)
            return Picture(image, fmt)
        except Exception as err:  # noqa: BLE001 - Pillow raises many kinds for a broken image
            reason = "not an image Pillow knows" if isinstance(err, Image.UnidentifiedImageError) else err
            note = f"The {fmt} image cannot be read: {reason}."
    elif artifact.result.svg:
        image, reason = rasterize_svg(artifact.result.svg, max_side)
        if image is not None:
            image.thumbnail((max_side, max_side), Image.Resampling.BOX)
            return Picture(image, "svg")
        fmt, note = "svg", f"This SVG can be saved (s) but not previewed: {reason}."
    elif artifact.undecodable():
        fmt = artifact.undecodable()[0]
        note = f"The {fmt} image cannot be read: its data is not valid base64."
    else:
        return Picture(None, "", "This chart has no image: press i to draw it from its data.")
    if artifact.chart is not None:
        note += " Press i to draw the chart from its data."
    return Picture(None, fmt, note)


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
    """The chart's type as the payload names it: `line`, `bar`, `box_and_whisker`, `superchart`..."""
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
    """The files of a plan that are already there (a save would replace them; a folder in the
    way is not replaced, and `write_plan` says so)."""
    return [path for path, _data in plan if path.exists() and not path.is_dir()]


def default_target(artifact: Artifact, cwd: Path | None = None) -> Path:
    """`./e2b-artifacts/run-3-1.png`, or `run-3-1-2.png`... when that name is taken."""
    folder = (cwd or Path.cwd()) / DEFAULT_FOLDER
    suffix = _primary_suffix(artifact)
    for n in range(1, 1000):
        stem = artifact.name if n == 1 else f"{artifact.name}-{n}"
        target = folder / f"{stem}{suffix}"
        if not any(path.exists() for path, _data in save_plan(artifact, target)):
            return target
    return folder / f"{artifact.name}{suffix}"


def write_plan(plan: list[tuple[Path, bytes]], overwrite: bool = False) -> list[Path]:
    """Write every file of a plan; without `overwrite`, nothing is written if one exists.

    Raises FileExistsError (before writing anything, or if a file appears meanwhile) when a
    file is there and `overwrite` is false; other OSErrors (with a message that says what is
    wrong) when there is nothing to write or a file cannot be written, after removing the
    files this call created. Replacing is atomic: a reader never sees half a file.
    """
    if not plan:
        raise OSError("nothing to write (the result's image data is not valid base64)")
    folders = [path for path, _data in plan if path.is_dir()]
    if folders:
        raise IsADirectoryError(f"{folders[0]} is a folder")
    if not overwrite:
        taken = existing(plan)
        if taken:
            raise FileExistsError(taken[0])
    written: list[Path] = []
    created: list[Path] = []
    try:
        for path, data in plan:
            _make_folder(path.parent)
            if overwrite:
                new = not path.exists()
                _replace(path, data)
            else:
                new = True
                with open(path, "xb") as handle:  # x: fails if someone made the file meanwhile
                    handle.write(data)
            written.append(path)
            if new:
                created.append(path)
    except BaseException:
        for path in created:  # all or nothing: no half-saved artifact is left behind
            path.unlink(missing_ok=True)
        raise
    return written


def _make_folder(folder: Path) -> None:
    """Create `folder` (and its parents); a file in the way is an error that names it."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):  # a file has the name of the folder, or of a parent
        blocking = next((p for p in (folder, *folder.parents) if p.exists() and not p.is_dir()), folder)
        raise NotADirectoryError(f"{blocking} is a file, not a folder") from None


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
