"""An artifact as a picture to show: its png or jpeg decoded, or its SVG rasterised, at most
a screen's worth of pixels, or a sentence saying why there is none (no Textual here)."""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

from .artifacts import Artifact

PREVIEW_MAX_SIDE = 2048  # a bigger image is shrunk to this for showing: no screen needs more


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
        drawn, reason = rasterize_svg(artifact.result.svg, max_side)
        if drawn is not None:
            drawn.thumbnail((max_side, max_side), Image.Resampling.BOX)
            return Picture(drawn, "svg")
        fmt, note = "svg", f"This SVG can be saved (s) but not previewed: {reason}."
    elif artifact.undecodable():
        fmt = artifact.undecodable()[0]
        note = f"The {fmt} image cannot be read: its data is not valid base64."
    else:
        return Picture(None, "", "This chart has no image: press i to draw it from its data.")
    if artifact.chart is not None:
        note += " Press i to draw the chart from its data."
    return Picture(None, fmt, note)
