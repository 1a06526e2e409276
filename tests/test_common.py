"""The shared leaf modules: the language registry, the terminal-text normaliser, safe writes.

Fast unit tests (no kernels): these modules sit under every view of sandbox output.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from tui.common import languages
from tui.common.files import atomic_write, private_dir
from tui.common.terminal import clean, decode, needs_cleaning

# -- terminal text ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        "\x1b]0;PWNED\x07",  # set the title
        "\x1b]52;c;SGVsbG8=\x07",  # write the clipboard
        "\x1b]52;c;SGVsbG8=\x1b\\",  # ... ended by ST
        "\x1b[2J\x1b[H",  # clear the screen, home
        "\x1b_Gi=1,s=1,v=1,a=q,t=d,f=24;AAAA\x1b\\",  # kitty graphics query
        "\x1bP+q544e\x1b\\",  # DCS (XTGETTCAP)
        "\x9d0;title\x9c",  # 8-bit OSC
        "\x1b[?1049h",  # alternate screen
        "\x1b[6n",  # cursor position report request
        "\x1b(0",  # charset switch
        "\x07\x00\x0e\x7f",  # bell, NUL, shift out, DEL
    ],
)
def test_sequences_that_act_on_the_terminal_are_dropped(raw: str) -> None:
    for colours in (False, True):
        shown = clean(f"a{raw}b", colours=colours)
        assert shown == "ab", repr(shown)
        assert "\x1b" not in shown and "\x9b" not in shown


def test_colours_are_kept_only_when_asked() -> None:
    raw = "\x1b[1;31mred\x1b[0m plain \x1b[32mgreen"
    assert clean(raw) == "red plain green"
    kept = clean(raw, colours=True)
    assert kept == "\x1b[1;31mred\x1b[0m plain \x1b[32mgreen\x1b[0m"


def test_carriage_return_and_backspace_apply_like_a_terminal() -> None:
    frames = "".join(f"\rprogress {i:3d}%" for i in range(0, 101, 10))
    assert clean(frames) == "progress 100%"
    assert clean("abc\b\bX") == "aXc"
    assert clean("downloading\r\x1b[Kdone") == "done"
    assert clean("a long first frame\rshort") == "shortg first frame"  # no erase: as a terminal shows it
    assert clean("line one\r\nline two") == "line one\nline two"
    assert clean("x\x1b[5Gy") == "x   y"


def test_a_tqdm_bar_shows_its_last_frame() -> None:
    bar = "".join(f"\r{p:3d}%|{'█' * (p // 10):<10}| {p}/100 [00:0{p // 50}<00:00]" for p in range(0, 101, 5))
    assert clean(bar + "\n") == "100%|██████████| 100/100 [00:02<00:00]\n"


def test_undecodable_text_is_replaced_visibly_and_the_rest_kept() -> None:
    assert clean("a\n\udcff\nb") == "a\n\ufffd\nb"
    assert decode(b"caf\xe9 ok") == "caf\ufffd ok"


def test_plain_text_is_untouched_and_cheap() -> None:
    text = "tabs\tand\nnewlines stay, unicode too: é ✓"
    assert not needs_cleaning(text)
    assert clean(text) is text


def test_an_unterminated_sequence_never_eats_the_next_lines() -> None:
    assert clean("\x1b]0;no end\nnext line") == "\nnext line"


# -- languages ------------------------------------------------------------------------


def test_every_alias_and_tag_maps_to_a_canonical_language() -> None:
    assert languages.NAMES == ("python", "javascript", "typescript", "r", "java", "bash")
    assert languages.normalize("JS ") == "javascript"
    assert languages.normalize("node") == "javascript"
    assert languages.normalize("sh") == "bash"
    assert languages.normalize(None) == "python"
    assert languages.normalize("") == "python"
    assert languages.for_fence_tag("pycon") == "python"
    assert languages.for_fence_tag("tsx") == "typescript"
    assert languages.for_fence_tag("json") is None
    assert languages.for_path("x/y.MJS") == "javascript"
    assert languages.for_path("notes.xyz") is None
    assert languages.get("ts").kernel_family == "javascript"


def test_an_unknown_language_says_which_exist() -> None:
    with pytest.raises(languages.UnknownLanguage) as caught:
        languages.normalize("cobol")
    message = str(caught.value)
    assert "cobol" in message and "javascript (js" in message and "bash (sh" in message


# -- files ----------------------------------------------------------------------------


def test_atomic_write_is_private_and_leaves_nothing_behind(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        path = atomic_write(tmp_path / "sub" / "f.json", "one")
        assert path.read_text() == "one"
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        atomic_write(path, b"two")
        assert path.read_bytes() == b"two"
        assert sorted(p.name for p in path.parent.iterdir()) == ["f.json"]
        folder = private_dir(tmp_path / "private" / "deeper")
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    finally:
        os.umask(old)


def test_a_failed_atomic_write_keeps_the_old_file(tmp_path: Path) -> None:
    path = atomic_write(tmp_path / "f.txt", "old")

    with pytest.raises(TypeError):
        atomic_write(path, 12345)  # type: ignore[arg-type]
    assert path.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f.txt"]
