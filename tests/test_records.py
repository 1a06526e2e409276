"""A record's bounded view of its output: head and tail lines, a count, the unfinished line.

Fast unit tests (no kernels): every block in the log shows what this window gives.
"""

from __future__ import annotations

from tui.core.records import HEAD_LINES, TAIL_LINES, OutputLines


def lines(n: int, stream: str = "stdout") -> OutputLines:
    out = OutputLines()
    for i in range(n):
        out.add(stream, f"line {i}\n")
    return out


def test_short_output_is_all_in_the_head() -> None:
    head, hidden, tail = lines(3).visible()
    assert [t for _s, t in head] == ["line 0", "line 1", "line 2"] and hidden == 0 and tail == []


def test_a_flood_keeps_head_and_tail_and_counts_the_rest() -> None:
    out = lines(100_000)
    head, hidden, tail = out.visible()
    assert head[0][1] == "line 0" and head[-1][1] == f"line {HEAD_LINES - 1}"
    assert tail[-1][1] == "line 99999" and len(tail) == TAIL_LINES
    assert hidden == 100_000 - HEAD_LINES - TAIL_LINES
    assert len(out.tail) <= 2 * TAIL_LINES  # memory stays bounded however much is printed


def test_a_smaller_window_moves_the_head_overflow_to_the_tail() -> None:
    head, hidden, tail = lines(25).visible(10, 30)
    assert len(head) == 10 and hidden == 0 and tail[0][1] == "line 10" and tail[-1][1] == "line 24"


def test_chunks_join_into_lines_per_stream_and_the_unfinished_line_shows_last() -> None:
    out = OutputLines()
    out.add("stdout", "par")
    out.add("stdout", "tial\nnext")
    out.add("stderr", "oops\n")
    head, hidden, tail = out.visible()
    assert head == [("stdout", "partial"), ("stdout", "next"), ("stderr", "oops")]
    out.add("stdout", "no newline yet")
    head, hidden, tail = out.visible()
    assert tail[-1] == ("stdout", "no newline yet") and hidden == 0
