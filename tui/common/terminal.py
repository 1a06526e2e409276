"""Sandbox output as text that is safe to show: the one terminal-text normaliser.

Output from a sandbox is written by code we do not trust (often a model's). Shown raw, an
escape sequence in it could set the user's terminal title, write the clipboard (OSC 52),
clear the screen or talk to the terminal's graphics protocol. So every view of sandbox
output (the log, the full output, copies, the tool-call view and tool results, previews,
the runtime's error lines) goes through `clean`:

- colours (SGR, `ESC [ ... m`) are kept when asked (the UI turns them into styles), every
  other escape sequence (OSC, DCS, APC, cursor moves, 8-bit C1 controls) is dropped;
- `\\r`, `\\b` and erase-line are applied the way a terminal applies them, so a progress
  bar that redraws itself shows its last frame, not every frame on one long line;
- other control characters are dropped; tabs and newlines stay;
- text that could not be decoded (lone surrogates) shows as U+FFFD, never vanishes.
"""

from __future__ import annotations

import re

REPLACEMENT = "\ufffd"

# anything that needs work: C0 controls but \t and \n, DEL, C1 controls, lone surrogates
_SPECIAL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")
_SURROGATE = re.compile("[\ud800-\udfff]")
_TOKEN = re.compile(
    # CSI (7- and 8-bit): parameters, intermediates, final byte
    "(?:\x1b\\[|\x9b)(?P<params>[0-?]*)(?P<inter>[ -/]*)(?P<final>[@-~])"
    # OSC (titles, clipboard, hyperlinks), ended by BEL or ST; never beyond the line
    "|(?:\x1b\\]|\x9d)[^\x07\x1b\x9c\n]*(?:\x07|\x1b\\\\|\x9c)?"
    # DCS, SOS, PM, APC (graphics protocols), ended by ST
    "|(?:\x1b[PX^_]|[\x90\x98\x9e\x9f])[^\x1b\x9c\n]*(?:\x1b\\\\|\x9c)?"
    # other escapes: charset designations, keypad modes, index, reset
    "|\x1b[ -/]*[0-~]"
    "|\x1b"
    # single control characters (\r and \b are applied, the rest dropped)
    "|[\x00-\x08\x0b-\x1a\x1c-\x1f\x7f-\x9f]"
)
_MAX_STYLE = 256  # characters of SGR state remembered per cell run (a flood of codes stays cheap)


def needs_cleaning(text: str) -> bool:
    """True when `clean` would change `text` (a cheap test for hot paths)."""
    return _SPECIAL.search(text) is not None


def clean(text: str, colours: bool = False) -> str:
    """`text` as a terminal would show it, without any sequence that acts on the terminal.

    With `colours`, SGR colour sequences are kept (re-emitted so each line is
    self-contained and ends reset); without, the result is plain text.
    """
    if not text or _SPECIAL.search(text) is None:
        return text
    if _SURROGATE.search(text) is not None:
        text = _SURROGATE.sub(REPLACEMENT, text)
    if "\r\n" in text:
        text = text.replace("\r\n", "\n")
    return "\n".join(_line(line, colours) if _SPECIAL.search(line) else line for line in text.split("\n"))


def decode(data: bytes) -> str:
    """Bytes from a sandbox as text: invalid UTF-8 becomes U+FFFD, nothing is dropped."""
    return data.decode("utf-8", errors="replace")


def _line(line: str, colours: bool) -> str:
    """One line (no \\n) through a one-line terminal: cells, a cursor and an SGR state."""
    cells: list[str] = []
    styles: list[str] = []
    cursor = 0
    style = ""
    position = 0

    def write(chunk: str) -> None:
        nonlocal cursor
        end = cursor + len(chunk)
        if cursor > len(cells):
            pad = cursor - len(cells)
            cells.extend(" " * pad)
            styles.extend([""] * pad)
        cells[cursor:end] = chunk
        styles[cursor:end] = [style] * len(chunk)
        cursor = end

    for match in _TOKEN.finditer(line):
        if match.start() > position:
            write(line[position : match.start()])
        position = match.end()
        token = match.group(0)
        final = match.group("final")
        if final is not None:
            if match.group("inter"):
                continue
            params = match.group("params")
            if final == "m":
                if colours:
                    if params in ("", "0"):
                        style = ""
                    elif len(style) < _MAX_STYLE and not params.startswith(("?", ">", "<", "=")):
                        style += f"\x1b[{params}m"
            elif final == "K":  # erase in line
                if params in ("", "0"):
                    del cells[cursor:], styles[cursor:]
                elif params == "1":
                    for i in range(min(cursor, len(cells))):
                        cells[i], styles[i] = " ", ""
                elif params == "2":
                    cells.clear()
                    styles.clear()
            elif final in "CDG":  # cursor forward, back, to column
                count = int(params) if params.isdigit() else 1
                if final == "C":
                    cursor += count
                elif final == "D":
                    cursor = max(0, cursor - count)
                else:
                    cursor = max(0, count - 1)
            continue
        if token == "\r":
            cursor = 0
        elif token == "\b":
            cursor = max(0, cursor - 1)
    if position < len(line):
        write(line[position:])
    if not colours:
        return "".join(cells)
    out: list[str] = []
    current = ""
    for char, cell_style in zip(cells, styles, strict=True):
        if cell_style != current:
            out.append("\x1b[0m" + cell_style if current else cell_style)
            current = cell_style
        out.append(char)
    if current:
        out.append("\x1b[0m")
    return "".join(out)
