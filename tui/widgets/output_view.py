"""A long output, line by line: colours kept, matches of a search marked.

Lines arrive clean (`tui.common.terminal.clean` with colours: only SGR sequences left),
so a line is drawn with its colours and nothing else reaches the terminal. Built on
Textual's `Log` (it renders only the lines on screen, so a million lines stay cheap).
"""

from __future__ import annotations

import re

from rich.style import Style
from rich.text import Text
from textual.geometry import Region
from textual.strip import Strip
from textual.widgets import Log

from .search import CURRENT, MATCH

SGR = re.compile(r"\x1b\[[0-9;:]*m")
MAX_MATCHES = 100_000  # matches remembered for stepping; beyond, the count says "+"


class OutputView(Log):
    """A Log of clean lines with SGR colours, and search."""

    def __init__(self, **kwargs) -> None:
        super().__init__(highlight=False, max_lines=None, **kwargs)
        self.pattern: re.Pattern[str] | None = None
        self.matches: list[tuple[int, int, int]] = []  # (line, start, end)
        self.more = False  # more matches than MAX_MATCHES
        self.current: int | None = None

    def write_lines(self, lines, scroll_end: bool | None = None):  # noqa: ANN001, ANN201
        """Append `lines` (each without a newline), empty ones included (Log drops those)."""
        lines = list(lines)
        if not lines:
            return self
        marker = "\x00"  # Log splits what it is given into lines; an empty line must survive that
        super().write_lines([line or marker for line in lines], scroll_end)
        for y in range(len(self._lines) - len(lines), len(self._lines)):
            if self._lines[y] == marker:
                self._lines[y] = ""
        return self

    @classmethod
    def _process_line(cls, line: str) -> str:
        """The line's text as measured (colours take no room)."""
        return SGR.sub("", line).expandtabs() if "\x1b" in line else line.expandtabs()

    def _render_line_strip(self, y: int, rich_style: Style) -> Strip:
        line = self._lines[y]
        if "\x1b" not in line and self.pattern is None and self.text_selection is None:
            return super()._render_line_strip(y, rich_style)
        text = (
            Text.from_ansi(line, no_wrap=True, end="") if "\x1b" in line else Text(line, no_wrap=True, end="")
        )
        text.expand_tabs()
        text.stylize_before(rich_style)
        if self.pattern is not None:
            for start, end, current in self._marks(y):
                text.stylize(CURRENT if current else MATCH, start, end)
        selection = self.text_selection
        if selection is not None and (span := selection.get_span(y - self._clear_y)) is not None:
            start, end = span
            text.stylize(
                self.screen.get_component_rich_style("screen--selection"),
                start,
                len(text) if end == -1 else end,
            )
        return Strip(text.render(self.app.console), text.cell_len)

    def _marks(self, y: int) -> list[tuple[int, int, bool]]:
        plain = self._process_line(self._lines[y])
        assert self.pattern is not None
        here = (
            self.matches[self.current]
            if self.current is not None and self.current < len(self.matches)
            else None
        )
        return [
            (m.start(), m.end(), here is not None and here == (y, m.start(), m.end()))
            for m in self.pattern.finditer(plain)
        ]

    # -- search -------------------------------------------------------------------------

    def search(self, pattern: re.Pattern[str] | None) -> int:
        """Mark every match of `pattern` (None: stop); how many there are."""
        self.pattern = pattern
        self.matches = []
        self.more = False
        self.current = None
        if pattern is not None:
            for y, line in enumerate(self._lines):
                for found in pattern.finditer(self._process_line(line)):
                    if len(self.matches) >= MAX_MATCHES:
                        self.more = True
                        break
                    self.matches.append((y, found.start(), found.end()))
                if self.more:
                    break
        self._render_line_cache.clear()
        self.refresh()
        return len(self.matches)

    def step(self, step: int) -> int | None:
        """Go to the next (1) or previous (-1) match, scrolled into view; its index."""
        if not self.matches:
            return None
        if self.current is None:
            top = self.scroll_offset.y
            after = [i for i, (y, _s, _e) in enumerate(self.matches) if y >= top]
            self.current = (after[0] if after else 0) if step > 0 else ((after[0] - 1) if after else -1)
            self.current %= len(self.matches)
        else:
            self.current = (self.current + step) % len(self.matches)
        y, start, end = self.matches[self.current]
        self.scroll_to_region(Region(start, y, max(1, end - start), 1), animate=False, center=True)
        self._render_line_cache.clear()
        self.refresh()
        return self.current
