"""Terminal graphics (kitty, sixel, half-blocks) chosen without asking the terminal anything.

`textual_image` probes the terminal when it is imported: it writes a sixel query
(`ESC [ c`), a kitty graphics query (`ESC _ G i=…;AAAA ESC \\`) and a cell-size query
(`ESC [ 16 t`), and waits 0.1 s for each answer. A terminal that does not understand a
query shows it, or worse: tmux takes the kitty query for a title and the pane's title
becomes `Gi=1828499229,s=1,v=1,a=q,t=d,f=24;AAAA`; an answer that comes late is read as
keystrokes. So the workbench imports it with stdout seen as no terminal (nothing is
written), takes the cell size from the kernel (TIOCGWINSZ, no escape sequence), and
picks the protocol for `graphics = "auto"` from what the environment says the terminal
is (kitty, WezTerm, foot...; inside tmux or screen: half-blocks, which always work).
`graphics = "kitty"` or `"sixel"` force a protocol.
"""

from __future__ import annotations

import os
import sys
from typing import Any


class _NotATerminal:
    """sys.__stdout__ while textual_image is imported: it is no terminal, so nothing is asked."""

    def __init__(self, real: Any) -> None:
        self._real = real

    def isatty(self) -> bool:
        return False

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)


def _cell_size() -> tuple[int, int]:
    """The size of a cell in pixels from the kernel (0 when it does not know), else a guess."""
    try:
        import fcntl
        import struct
        import termios

        if sys.__stdout__ is not None and sys.__stdout__.isatty():
            packed = fcntl.ioctl(sys.__stdout__.fileno(), termios.TIOCGWINSZ, b"\0" * 8)
            rows, columns, width, height = struct.unpack("HHHH", packed)
            if rows and columns and width and height:
                return width // columns, height // rows
    except (ImportError, OSError, ValueError):
        pass
    width, height = os.environ.get("TEXTUAL_CELL_WIDTH", ""), os.environ.get("TEXTUAL_CELL_HEIGHT", "")
    if width.isdigit() and height.isdigit() and int(width) and int(height):
        return int(width), int(height)
    return 10, 20  # what textual_image assumes too (a VT340's cell)


def _import_quietly() -> None:
    from textual_image import _terminal

    if not hasattr(_terminal.get_cell_size, "_result"):
        _terminal.get_cell_size._result = _terminal.CellSize(*_cell_size())  # type: ignore[attr-defined]
    real = sys.__stdout__
    sys.__stdout__ = _NotATerminal(real)  # type: ignore[assignment]
    try:
        import textual_image.renderable  # noqa: F401 - probes here, and finds no terminal
        import textual_image.widget  # noqa: F401
    finally:
        sys.__stdout__ = real  # type: ignore[assignment]


if "textual_image.renderable" not in sys.modules:
    _import_quietly()

from textual_image.widget import HalfcellImage, SixelImage, TGPImage  # noqa: E402

KITTY_TERMINALS = ("xterm-kitty", "xterm-ghostty")
KITTY_PROGRAMS = ("ghostty",)
SIXEL_TERMINALS = ("foot", "mlterm", "contour", "yaft")
SIXEL_PROGRAMS = ("WezTerm", "iTerm.app", "mintty")


def auto_mode(environ: dict[str, str] | None = None) -> str:
    """`kitty`, `sixel` or `halfblock`: what the terminal in `environ` (default: ours) shows."""
    env = os.environ if environ is None else environ
    if env.get("TMUX") or env.get("STY") or env.get("TERM", "").startswith(("screen", "tmux")):
        return "halfblock"  # multiplexers do not pass graphics through by default
    term = env.get("TERM", "")
    program = env.get("TERM_PROGRAM", "")
    if env.get("KITTY_WINDOW_ID") or term in KITTY_TERMINALS or program in KITTY_PROGRAMS:
        return "kitty"
    if term.startswith(SIXEL_TERMINALS) or program in SIXEL_PROGRAMS:
        return "sixel"
    return "halfblock"


__all__ = ["HalfcellImage", "SixelImage", "TGPImage", "auto_mode"]
