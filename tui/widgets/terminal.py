"""A terminal emulator in a pane: pyte keeps the screen, this widget draws its cells.

What a sandbox's shell writes is code we do not trust, so its bytes never reach the
user's terminal: pyte parses them into a grid of characters with colours and attributes,
and the widget draws those cells (a cell that would still hold a control character is
drawn as a space). A title, a clipboard write (OSC 52), a bell or a graphics escape in
the output changes nothing outside the pane.

Keys reach the shell as a terminal would send them (arrows in the cursor mode the
program asked for, Ctrl+letter as control characters, Alt as an escape prefix); the
main screen's keys stand aside while the pane has focus (`captures_keys`). The pane's
own keys are few and documented: leave the pane (`Ctrl+]`), scroll back and forward
(`Shift+PgUp` / `Shift+PgDn`, the mouse wheel).
"""

from __future__ import annotations

import pyte
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.message import Message
from textual.strip import Strip
from textual.widget import Widget

from ..actions import bindings

HISTORY = 5000  # lines of scrollback
DECCKM = 1 << 5  # application cursor keys (pyte shifts private modes by 5)
BRACKETED_PASTE = 2004 << 5

KEYS = {
    "enter": b"\r",
    "tab": b"\t",
    "shift+tab": b"\x1b[Z",
    "backspace": b"\x7f",
    "ctrl+h": b"\x08",
    "escape": b"\x1b",
    "home": b"\x1b[H",
    "end": b"\x1b[F",
    "insert": b"\x1b[2~",
    "delete": b"\x1b[3~",
    "pageup": b"\x1b[5~",
    "pagedown": b"\x1b[6~",
    "f1": b"\x1bOP",
    "f2": b"\x1bOQ",
    "f3": b"\x1bOR",
    "f4": b"\x1bOS",
    "f5": b"\x1b[15~",
    "f6": b"\x1b[17~",
    "f7": b"\x1b[18~",
    "f8": b"\x1b[19~",
    "f9": b"\x1b[20~",
    "f10": b"\x1b[21~",
    "f11": b"\x1b[23~",
    "f12": b"\x1b[24~",
    "ctrl+space": b"\x00",
    "ctrl+@": b"\x00",
}
ARROWS = {"up": "A", "down": "B", "right": "C", "left": "D"}
COLOURS = {
    "black": "black",
    "red": "red",
    "green": "green",
    "brown": "yellow",
    "blue": "blue",
    "magenta": "magenta",
    "cyan": "cyan",
    "white": "white",
    "brightblack": "bright_black",
    "brightred": "bright_red",
    "brightgreen": "bright_green",
    "brightbrown": "bright_yellow",
    "brightblue": "bright_blue",
    "brightmagenta": "bright_magenta",
    "brightcyan": "bright_cyan",
    "brightwhite": "bright_white",
}


def key_bytes(event: events.Key, application_cursor: bool = False) -> bytes | None:
    """What a terminal sends for `event`, or None for a key it has no bytes for."""
    key = event.key
    if key in ARROWS:
        return ("\x1bO" if application_cursor else "\x1b[").encode() + ARROWS[key].encode()
    if key in KEYS:
        return KEYS[key]
    if key.startswith("alt+"):
        rest = key[4:]
        char = event.character or (rest if len(rest) == 1 else "")
        return b"\x1b" + char.encode() if char else None
    if key.startswith("ctrl+") and len(key) == 6 and key[5].isalpha():
        return bytes([ord(key[5].lower()) - 96])
    char = event.character
    if char and (char.isprintable() or ord(char) < 32):
        return char.encode("utf-8", errors="replace")
    return None


def _colour(value: str) -> str | None:
    if value == "default" or not value:
        return None
    if value in COLOURS:
        return COLOURS[value]
    if len(value) == 6:
        try:
            int(value, 16)
        except ValueError:
            return None
        return f"#{value}"
    return None


def _style(key: tuple | None) -> Style:
    """The Rich style of a run of cells with the same (fg, bg, bold, italic, underline, strike, reverse)."""
    if key is None:
        return Style()
    fg, bg, bold, italic, underline, strike, reverse = key
    return Style(
        color=_colour(fg),
        bgcolor=_colour(bg),
        bold=bold or None,
        italic=italic or None,
        underline=underline or None,
        strike=strike or None,
        reverse=reverse or None,
    )


def _safe(char: str) -> str:
    """A cell's text as drawn: anything that is not printable becomes a space."""
    return char if char.isprintable() else " "


class TerminalView(Widget, can_focus=True):
    """A VT100/xterm screen fed with a shell's output; posts what is typed and its size."""

    BINDINGS = bindings("terminal", priority=True)
    captures_keys = True  # the screens' own keys stand aside while this has focus

    DEFAULT_CSS = """
    TerminalView {
        height: 1fr;
        background: $background;
    }
    """

    class Input(Message):
        """Bytes typed (or pasted) for the shell."""

        def __init__(self, data: bytes) -> None:
            super().__init__()
            self.data = data

    class Resized(Message):
        """The pane's size changed: the shell's terminal should follow."""

        def __init__(self, rows: int, cols: int) -> None:
            super().__init__()
            self.rows = rows
            self.cols = cols

        def can_replace(self, message: Message) -> bool:
            return isinstance(message, TerminalView.Resized)

    class Leave(Message):
        """The documented key to leave the pane was pressed."""

    class Output(Message):
        """Bytes the shell wrote (posted from the session thread, handled here)."""

        def __init__(self, data: bytes) -> None:
            super().__init__()
            self.data = data

    def __init__(self, history: int = HISTORY, **kwargs) -> None:
        super().__init__(**kwargs)
        self.screen_buffer = pyte.HistoryScreen(80, 24, history=history, ratio=0.5)
        self.stream = pyte.ByteStream(self.screen_buffer)
        self.scrolled = 0  # lines scrolled back into the history
        self.fed = 0  # bytes fed so far (tests wait on it)

    # -- the screen ---------------------------------------------------------------------

    @property
    def rows(self) -> int:
        return self.screen_buffer.lines

    @property
    def cols(self) -> int:
        return self.screen_buffer.columns

    def feed(self, data: bytes) -> None:
        """Output of the shell: parsed into cells, then the pane repaints."""
        self.stream.feed(data)
        self.fed += len(data)
        self.refresh()

    def on_terminal_view_output(self, message: Output) -> None:
        message.stop()
        self.feed(message.data)

    def reset(self, note: str = "") -> None:
        """A fresh screen (a new shell), with `note` on its first line."""
        self.screen_buffer.reset()
        self.screen_buffer.history.top.clear()
        self.screen_buffer.history.bottom.clear()
        self.scrolled = 0
        if note:
            self.feed(note.encode() + b"\r\n")
        self.refresh()

    def _lines(self) -> list:
        history = list(self.screen_buffer.history.top)
        return history + [self.screen_buffer.buffer[y] for y in range(self.rows)]

    def _line(self, index: int):  # noqa: ANN202 - a pyte line (a mapping of column to Char)
        """Line `index` of the history followed by the screen (deque access is cheap near its end)."""
        top = self.screen_buffer.history.top
        if index < len(top):
            return top[index]
        return self.screen_buffer.buffer[index - len(top)]

    def text(self, with_history: bool = True) -> str:
        """The screen (and its scrollback) as plain text, trailing blanks trimmed."""
        lines = self._lines() if with_history else [self.screen_buffer.buffer[y] for y in range(self.rows)]
        width = self.cols
        out = ["".join(_safe(line[x].data) for x in range(width) if line[x].data).rstrip() for line in lines]
        while out and not out[-1]:
            out.pop()
        return "\n".join(out)

    def display_lines(self) -> list[str]:
        """The rows as drawn now (scroll position included), for tests."""
        total = len(self.screen_buffer.history.top) + self.rows
        end = total - self.scrolled
        shown = [self._line(i) for i in range(max(0, end - self.rows), end)]
        return ["".join(_safe(line[x].data) for x in range(self.cols) if line[x].data) for line in shown]

    def on_resize(self, event: events.Resize) -> None:
        rows, cols = max(2, event.size.height), max(10, event.size.width)
        if (rows, cols) != (self.rows, self.cols):
            self.screen_buffer.resize(lines=rows, columns=cols)
            self.post_message(self.Resized(rows, cols))
        self.refresh()

    def render_line(self, y: int) -> Strip:
        total = len(self.screen_buffer.history.top) + self.rows
        end = total - self.scrolled
        index = max(0, end - self.rows) + y
        width = self.size.width
        if index >= end:
            return Strip.blank(width)
        line = self._line(index)
        cursor = self.screen_buffer.cursor
        show_cursor = (
            self.has_focus
            and self.scrolled == 0
            and not cursor.hidden
            and index - (total - self.rows) == cursor.y
        )
        segments: list[Segment] = []
        run: list[str] = []
        run_key: tuple | None = None
        for x in range(min(width, self.cols)):
            char = line[x]
            if not char.data:  # the second half of a wide character
                continue
            key = (
                char.fg,
                char.bg,
                char.bold,
                char.italics,
                char.underscore,
                char.strikethrough,
                char.reverse != (show_cursor and x == cursor.x),
            )
            if key != run_key and run:
                segments.append(Segment("".join(run), _style(run_key)))
                run = []
            run_key = key
            run.append(_safe(char.data))
        if run:
            segments.append(Segment("".join(run), _style(run_key)))
        return Strip(segments).extend_cell_length(width).crop(0, width)

    # -- input ------------------------------------------------------------------------

    def on_key(self, event: events.Key) -> None:
        data = key_bytes(event, DECCKM in self.screen_buffer.mode)
        if data is None:
            return
        event.stop()
        event.prevent_default()
        self.scrolled = 0
        self.post_message(self.Input(data))

    def on_paste(self, event: events.Paste) -> None:
        event.stop()
        data = event.text.replace("\r\n", "\r").replace("\n", "\r").encode()
        if BRACKETED_PASTE in self.screen_buffer.mode:
            data = b"\x1b[200~" + data + b"\x1b[201~"
        self.post_message(self.Input(data))

    def on_mouse_scroll_up(self, event: events.MouseScrollUp) -> None:
        event.stop()
        self.scroll_history(3)

    def on_mouse_scroll_down(self, event: events.MouseScrollDown) -> None:
        event.stop()
        self.scroll_history(-3)

    def on_focus(self) -> None:
        self.refresh()

    def on_blur(self) -> None:
        self.refresh()

    def scroll_history(self, lines: int) -> None:
        top = len(self.screen_buffer.history.top)
        self.scrolled = max(0, min(top, self.scrolled + lines))
        self.refresh()

    def action_scroll_back(self) -> None:
        self.scroll_history(max(1, self.rows - 2))

    def action_scroll_forward(self) -> None:
        self.scroll_history(-max(1, self.rows - 2))

    def action_leave(self) -> None:
        self.post_message(self.Leave())
