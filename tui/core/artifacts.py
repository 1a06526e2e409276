"""Artifacts: the images and charts a run produced (no Textual here).

Every result with a png, jpeg or svg, or a `chart`, is one artifact of its run, named
`run-N-k` (the k-th artifact of run [N]). This module says what an artifact holds and
which files it makes; `charts` reads its chart, `pictures` turns it into an image to
show, `saving` writes its files.
"""

from __future__ import annotations

import base64
import binascii
import io
import json
from dataclasses import dataclass

from e2b_code_interpreter.charts import Chart
from e2b_code_interpreter.models import Result

from .charts import describe_chart
from .records import ExecutionRecord

RASTER_FORMATS = (("png", ".png"), ("jpeg", ".jpg"))


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
            parts.append(describe_chart(self.chart))
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
    """(width, height) of an encoded image from its header, or None if Pillow cannot read it
    (here, not in `pictures`, which builds on artifacts: the size is part of a description)."""
    from PIL import Image

    try:
        with Image.open(io.BytesIO(data)) as img:
            return img.width, img.height
    except Exception:
        return None
