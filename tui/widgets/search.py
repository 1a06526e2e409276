"""Search (Ctrl+F) in the log and the full output: a bar, and matches marked in what is shown.

The bar says how many matches there are and which one is current; Enter or ↓ goes to the
next, ↑ to the previous, Esc closes it. Matching is literal and ignores case unless the
pattern has a capital letter (smart case). `Highlighted` marks matches in any Rich
renderable as it is drawn (a block's output, a table, a traceback), so what is counted is
exactly what is seen.
"""

from __future__ import annotations

import re

from rich.cells import cell_len
from rich.console import Console, ConsoleOptions, RenderableType, RenderResult
from rich.segment import Segment
from rich.style import Style
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import Input, Label

MATCH = Style(bgcolor="yellow", color="black")
CURRENT = Style(bgcolor="bright_magenta", color="black", bold=True)


def compile_pattern(text: str) -> re.Pattern[str] | None:
    """A literal pattern for `text`, case-insensitive unless it has a capital (None when empty)."""
    if not text:
        return None
    flags = 0 if any(c.isupper() for c in text) else re.IGNORECASE
    return re.compile(re.escape(text), flags)


def rendered_lines(console: Console, renderable: RenderableType, width: int) -> list[str]:
    """What `renderable` shows at `width`, as plain lines (what a search sees)."""
    options = console.options.update_width(max(1, width))
    lines = console.render_lines(renderable, options, pad=False, new_lines=False)
    return ["".join(segment.text for segment in line if not segment.control) for line in lines]


def match_lines(lines: list[str], pattern: re.Pattern[str]) -> list[int]:
    """The line index of every match, in order."""
    return [y for y, line in enumerate(lines) for _ in pattern.finditer(line)]


class Highlighted:
    """`renderable` with every match of `pattern` marked, the `current`-th one (0-based) most."""

    def __init__(self, renderable: RenderableType, pattern: re.Pattern[str], current: int | None) -> None:
        self.renderable = renderable
        self.pattern = pattern
        self.current = current

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        # its natural height: a height imposed on a Group reaches each part (a table pads to it)
        lines = console.render_lines(self.renderable, options.reset_height(), pad=False, new_lines=False)
        seen = 0
        for line in lines:
            plain = "".join(segment.text for segment in line)
            found = [(m.start(), m.end()) for m in self.pattern.finditer(plain)]
            if not found:
                yield from line
            else:
                yield from self._marked(line, plain, found, seen)
                seen += len(found)
            yield Segment.line()  # after every line, the last too: that is how Textual counts them

    def _marked(
        self, line: list[Segment], plain: str, found: list[tuple[int, int]], seen: int
    ) -> list[Segment]:
        """`line` cut where matches start and end, the matches restyled; the rest untouched
        (same segments, same styles: a line without a match is drawn exactly as before)."""
        cells = [0]
        for char in plain:
            cells.append(cells[-1] + cell_len(char))
        cuts = sorted({cells[p] for span in found for p in span})
        pieces = Segment.divide(line, [*cuts, cells[-1]])
        out: list[Segment] = []
        position = 0
        for piece in pieces:
            width = Segment.get_line_length(piece)
            for index, (start, end) in enumerate(found):
                if cells[start] <= position < cells[end]:
                    mark = CURRENT if seen + index == self.current else MATCH
                    piece = [Segment(s.text, (s.style or Style()) + mark, s.control) for s in piece]
                    break
            out.extend(piece)
            position += width
        return out


class SearchBar(Horizontal):
    """A search field with a match count; posts what to look for and where to go."""

    DEFAULT_CSS = """
    SearchBar {
        height: 1;
        display: none;
        background: $boost;
    }
    SearchBar.-open {
        display: block;
    }
    SearchBar > Input, SearchBar > Input:focus {
        width: 1fr;
        height: 1;
        border: none;
        padding: 0 1;
    }
    SearchBar > Label {
        width: auto;
        min-width: 14;
        padding: 0 1;
        color: $text-muted;
    }
    """

    BINDINGS = [
        Binding("enter,down", "step(1)", "Next match", show=False, priority=True),
        Binding("up", "step(-1)", "Previous match", show=False, priority=True),
        Binding("escape", "close", "Close search", show=False, priority=True),
    ]

    class Changed(Message):
        """Look for `pattern` (None: stop looking)."""

        def __init__(self, bar: SearchBar, pattern: re.Pattern[str] | None) -> None:
            super().__init__()
            self.bar = bar
            self.pattern = pattern

    class Step(Message):
        """Go to the next (1) or previous (-1) match."""

        def __init__(self, bar: SearchBar, step: int) -> None:
            super().__init__()
            self.bar = bar
            self.step = step

    class Closed(Message):
        def __init__(self, bar: SearchBar) -> None:
            super().__init__()
            self.bar = bar

    def compose(self) -> ComposeResult:
        yield Input(placeholder="search (Enter/↓ next, ↑ previous, Esc close)", id="search-input")
        yield Label("", id="search-count")

    @property
    def input(self) -> Input:
        return self.query_one(Input)

    @property
    def is_open(self) -> bool:
        return self.has_class("-open")

    def open(self) -> None:
        self.add_class("-open")
        self.input.focus()
        self.input.select_all()
        if self.input.value:
            self.post_message(self.Changed(self, compile_pattern(self.input.value)))

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        self.post_message(self.Changed(self, compile_pattern(event.value)))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()

    def set_count(self, current: int | None, total: int, more: bool = False) -> None:
        """Say `current/total` (`current` 0-based; None before the first step)."""
        label = self.query_one("#search-count", Label)
        if not self.input.value:
            label.update("")
        elif not total:
            label.update("no matches")
        else:
            plus = "+" if more else ""
            where = "" if current is None else f"{current + 1}/"
            label.update(f"{where}{total:,}{plus} match{'es' if total != 1 or more else ''}")

    @property
    def count_text(self) -> str:
        return str(self.query_one("#search-count", Label).content)

    def action_step(self, step: int) -> None:
        self.post_message(self.Step(self, step))

    def action_close(self) -> None:
        self.remove_class("-open")
        self.post_message(self.Closed(self))
