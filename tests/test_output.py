"""Output as faithful as a terminal and Jupyter show it, and never acting on the terminal.

The app runs real code on the session's local runtime (real kernels through the real SDK)
and is driven with Pilot; what the checks read is what the app paints: the strips of the
screen, a block's body, the clipboard of a copy, the full-output view.
"""

from __future__ import annotations

import re

import pytest
from rich.console import Console

from tui.app import WorkbenchApp
from tui.core.session import Session
from tui.demo import quit_app, run_and_wait, type_code, wait_ready, wait_until
from tui.screens.full_output import FullOutputScreen
from tui.widgets.output_log import WAIT_SHOWN, RunBlock
from tui.widgets.output_view import OutputView

pytestmark = pytest.mark.timeout(240)

# anything a terminal would act on: C0 controls (but \t and \n), DEL, C1 controls
CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
HOSTILE = "print('\\x1b]0;PWNED\\x07\\x1b]52;c;SGVsbG8=\\x07\\x1b[2J')"


def make_app(runtime_url: str) -> WorkbenchApp:
    return WorkbenchApp(session=Session(url=runtime_url))


def painted_controls(app: WorkbenchApp) -> list[str]:
    """Every piece of text on screen that holds a control character (what would reach the terminal)."""
    found = []
    for strip in app.screen._compositor.render_strips():
        for segment in strip:
            if not segment.control and CONTROL.search(segment.text):
                found.append(segment.text)
    return found


def painted_text(app: WorkbenchApp) -> str:
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


def body_text(block: RunBlock, width: int = 110) -> str:
    console = Console(width=width, record=True, file=open("/dev/null", "w"))  # noqa: SIM115
    console.print(block.query_one(".run-body").content)
    return console.export_text()


def cells(text: str) -> list[list[str]]:
    """The words of each line, table rules left out."""
    return [[w for w in line.split() if w not in ("│", "┃")] for line in text.splitlines()]


def block_of(app: WorkbenchApp, record) -> RunBlock:  # noqa: ANN001
    return app.main.log_view.blocks[record.seq]


async def test_hostile_output_never_reaches_the_terminal(runtime_url, home):
    """Issue 11.1: a title, a clipboard write (OSC 52) and a screen clear from user code are
    shown as nothing, in the log, in results and errors, in the full output and in copies."""
    app = make_app(runtime_url)
    async with app.run_test(size=(120, 50)) as pilot:
        await wait_ready(pilot)
        code = "\n".join(
            [
                "import sys",
                "from IPython.display import HTML, Markdown, display",
                HOSTILE,
                "print('bell\\x07 c1\\x9b2J osc\\x9d0;T\\x9c', file=sys.stderr)",
                "display(HTML('<b>\\x1b]0;HTMLTITLE\\x07bold</b> <a href=\"\\x1b]52;c;QQ==\\x07x\">l</a>'))",
                "display(Markdown('# \\x1b]52;c;SGVsbG8=\\x07title'))",
                "class Evil:",
                "    def __repr__(self):",
                "        return '\\x1b]0;REPR\\x07evil\\x1b_Gi=1;AAAA\\x1b\\\\'",
                "Evil()",
            ]
        )
        record = await run_and_wait(pilot, code)
        assert record.status == "ok", record.failure
        error = await run_and_wait(pilot, "raise ValueError('\\x1b]0;ERR\\x07boom\\x1b[2J')")
        assert error.status == "error"
        await wait_until(pilot, lambda: "boom" in body_text(block_of(app, error)), what="the error")
        assert "evil" in body_text(block_of(app, record))
        assert not painted_controls(app), painted_controls(app)
        assert "PWNED" not in painted_text(app) and "SGVsbG8" not in painted_text(app)

        # every form of every result, too
        block = block_of(app, record)
        block.focus()
        for _ in range(4):
            await pilot.press("f")
            await pilot.pause()
            assert not painted_controls(app), painted_controls(app)

        # the copy (it goes to the clipboard through OSC 52: it must hold no sequence of its own)
        await pilot.press("c")
        await wait_until(pilot, lambda: app.clipboard, what="the copy")
        assert not CONTROL.search(app.clipboard.replace("\n", "")), repr(app.clipboard)
        assert "evil" in app.clipboard

        # the full output, results and errors included
        await pilot.press("o")
        await wait_until(pilot, lambda: isinstance(app.screen, FullOutputScreen) and app.screen.loaded)
        await pilot.pause()
        assert not painted_controls(app), painted_controls(app)
        await pilot.press("escape")
        block_of(app, error).focus()
        await pilot.press("o")
        await wait_until(pilot, lambda: isinstance(app.screen, FullOutputScreen) and app.screen.loaded)
        await pilot.pause()
        assert "boom" in "\n".join(app.screen.view.lines)
        assert not painted_controls(app), painted_controls(app)
        await pilot.press("escape")
        await quit_app(pilot)


async def test_progress_bars_backspaces_and_colours_render_like_a_terminal(runtime_url, home):
    app = make_app(runtime_url)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot)
        code = (
            "import sys\n"
            "for i in range(0, 101, 5):\n"
            "    print('\\rprogress %3d%%' % i, end='', flush=True)\n"
            "print()\n"
            "print('abc\\b\\bX')\n"
            "print('\\x1b[31mred\\x1b[0m plain')\n"
            "for i in range(3):\n"
            "    sys.stderr.write('\\r%d/3 ' % (i + 1) + '#' * (i + 1))\n"
            "sys.stderr.write('\\n')\n"
        )
        record = await run_and_wait(pilot, code)
        block = block_of(app, record)
        shown = body_text(block)
        lines = [line.rstrip() for line in shown.splitlines()]
        assert "progress 100%" in lines, shown
        assert "progress  95%" not in shown  # the frames before the last are gone, as in a terminal
        assert "aXc" in lines
        assert "red plain" in lines
        assert "3/3 ###" in lines
        # the colour is a style, not bytes
        red = [
            seg
            for strip in app.screen._compositor.render_strips()
            for seg in strip
            if seg.text.strip() == "red" and seg.style is not None and seg.style.color is not None
        ]
        assert red, "the colour is kept"
        triplet = red[0].style.color.get_truecolor()  # the theme's red
        assert triplet.red > 150 and triplet.green < 100, red
        assert not painted_controls(app)
        block.focus()
        await pilot.press("c")
        await wait_until(pilot, lambda: app.clipboard, what="the copy")
        assert "progress 100%\naXc\nred plain\n3/3 ###" in app.clipboard, repr(app.clipboard)
        assert "\x1b" not in app.clipboard and "\r" not in app.clipboard
        await pilot.press("o")
        await wait_until(pilot, lambda: isinstance(app.screen, FullOutputScreen) and app.screen.loaded)
        view = app.screen.query_one(OutputView)
        raw = record.output_path.read_bytes()
        assert [line for line in view.lines if "progress" in line] == ["progress 100%"], (raw[:80], view.lines[:3])
        await pilot.press("escape")
        await quit_app(pilot)


async def test_values_show_as_the_language_prints_them_and_f_switches_forms(runtime_url, home):
    app = make_app(runtime_url)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot)
        record = await run_and_wait(pilot, "[1, None, 'a', {'done': True}]")
        block = block_of(app, record)
        assert "[1, None, 'a', {'done': True}]" in body_text(block)  # one line, Python's own repr
        assert "null" not in body_text(block)
        block.focus()
        await pilot.press("f")
        await wait_until(pilot, lambda: "null" in body_text(block), what="the JSON form")
        assert '"done": true' in body_text(block)
        assert "form: text [JSON]" in body_text(block)
        await pilot.press("c")
        await wait_until(pilot, lambda: app.clipboard, what="the copy")
        assert '"done": true' in app.clipboard  # a copy takes the form on screen
        await pilot.press("f")
        await wait_until(pilot, lambda: "null" not in body_text(block), what="back to text")

        markdown = await run_and_wait(pilot, "from IPython.display import Markdown\nMarkdown('**strong** words')")
        shown = body_text(block_of(app, markdown))
        assert "strong words" in shown and "IPython.core.display.Markdown" not in shown
        await quit_app(pilot)


async def test_dataframes_keep_their_index_head_tail_and_what_is_hidden(runtime_url, home):
    app = make_app(runtime_url)
    async with app.run_test(size=(160, 50)) as pilot:
        await wait_ready(pilot)
        named = await run_and_wait(
            pilot,
            "import pandas as pd\n"
            "pd.DataFrame({'city': ['Oslo', 'Rome', 'Lima'], 'pop': [0.7, 2.8, 10.1]}).set_index('city')",
        )
        shown = body_text(block_of(app, named), 150)
        assert "city" in shown and "Oslo" in shown and "Lima" in shown and "10.1" in shown, shown
        plain = await run_and_wait(pilot, "pd.DataFrame({'a': [10, 20], 'b': ['x', 'y']})")
        rows = cells(body_text(block_of(app, plain), 150))
        assert ["0", "10", "x"] in rows and ["1", "20", "y"] in rows, rows  # the default index shows
        big = await run_and_wait(
            pilot, "import numpy as np\npd.DataFrame(np.arange(30000).reshape(1000, 30))"
        )
        shown = body_text(block_of(app, big), 150)
        first = [row for row in cells(shown) if row[:1] == ["0"]]
        last = [row for row in cells(shown) if row[:1] == ["999"]]
        assert first and last, shown  # head and tail rows, with their index
        assert "1,000 rows × 30 columns (990 rows, " in shown, shown
        assert "columns not shown)" in shown
        block = block_of(app, big)
        block.focus()
        await pilot.press("f")  # the text form: pandas' own repr
        await wait_until(pilot, lambda: "[1000 rows x 30 columns]" in body_text(block, 150), what="text form")
        await quit_app(pilot)


async def test_html_keeps_bold_links_and_tables(runtime_url, home):
    app = make_app(runtime_url)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot)
        record = await run_and_wait(
            pilot,
            "from IPython.display import HTML\n"
            "HTML('<p><b>bold</b> <a href=\"https://e2b.dev\">link</a></p>"
            "<table><tr><th>name</th><th>n</th></tr><tr><td>alpha</td><td>1</td></tr></table>')",
        )
        shown = body_text(block_of(app, record))
        assert "bold link <https://e2b.dev>" in shown, shown  # the space between them stays
        rows = cells(shown)
        assert ["name", "n"] in rows and ["alpha", "1"] in rows, rows
        bold = [
            seg
            for strip in app.screen._compositor.render_strips()
            for seg in strip
            if seg.text.strip() == "bold" and seg.style is not None and seg.style.bold
        ]
        assert bold, "the bold text is bold"
        await quit_app(pilot)


async def test_full_output_has_results_and_errors_and_names_its_file(runtime_url, home):
    app = make_app(runtime_url)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot)
        record = await run_and_wait(
            pilot, "import pandas as pd\npd.DataFrame({'only': ['a result, no stream']})"
        )
        block_of(app, record).focus()
        await pilot.press("o")
        await wait_until(pilot, lambda: isinstance(app.screen, FullOutputScreen) and app.screen.loaded)
        screen = app.screen
        assert record.output_path is not None
        assert screen.title_text.startswith(record.output_path.name)  # the title names its file
        assert str(record.output_path) in screen.title_text
        text = "\n".join(screen.view.lines)
        assert "── result ──" in text and "a result, no stream" in text, text
        await pilot.press("escape")
        failed = await run_and_wait(pilot, "print('before')\n1 / 0")
        block_of(app, failed).focus()
        await pilot.press("o")
        await wait_until(pilot, lambda: isinstance(app.screen, FullOutputScreen) and app.screen.loaded)
        text = "\n".join(app.screen.view.lines)
        assert "before" in text and "── error ──" in text and "ZeroDivisionError: division by zero" in text
        assert "1 / 0" in text  # the traceback too
        await pilot.press("escape")
        await quit_app(pilot)


async def test_a_queued_run_shows_its_wait_apart_from_its_run_time(runtime_url, home, tmp_path):
    import time

    app = make_app(runtime_url)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot)
        gate = tmp_path / "gate"
        main = app.main
        editor = main.editor_pane.current()
        first = main.run_code(
            f"import os, time\nwhile not os.path.exists({str(gate)!r}):\n    time.sleep(0.02)\n", editor
        )
        second = main.run_code("print('second ran')", editor)
        assert first is not None and second is not None
        await wait_until(pilot, lambda: first.running_since is not None, what="the first to start")
        block = block_of(app, second)
        await wait_until(pilot, lambda: "queued" in block._header.content.plain, what="queued")
        assert second.queued
        # a wait under WAIT_SHOWN is a round trip, not worth a word: let this one be longer
        await wait_until(pilot, lambda: second.wait_time() > 2 * WAIT_SHOWN, what="a visible wait")
        released = time.monotonic()
        gate.write_text("go")
        await wait_until(pilot, lambda: not second.running and not first.running, what="both runs")
        await pilot.pause()
        assert second.running_since is not None and second.running_since >= released
        assert second.wait_time() >= released - second.started_mono
        assert second.run_time() < second.elapsed()
        header = block._header.content.plain
        assert "waited" in header, header
        await quit_app(pilot)


async def test_search_in_the_log_and_in_the_full_output(runtime_url, home):
    app = make_app(runtime_url)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot)
        await run_and_wait(pilot, "print('a needle here')\nprint('no match')")
        record = await run_and_wait(pilot, "for i in range(3):\n    print('needle', i)")
        editor = app.main.editor_pane.current()
        editor.focus()  # Ctrl+F searches the log from the editor too; Esc gives the editor back
        await pilot.press("ctrl+f")
        bar = app.main.query_one("#log-search")
        await wait_until(pilot, lambda: bar.is_open and bar.input.has_focus, what="the search bar")
        await pilot.press("escape")
        await wait_until(pilot, lambda: not bar.is_open and app.focused is editor, what="the editor")
        block_of(app, record).focus()  # and from a block
        await pilot.press("ctrl+f")
        await wait_until(pilot, lambda: bar.is_open and bar.input.has_focus, what="the search bar")
        for key in "needle":
            await pilot.press(key)
        await wait_until(pilot, lambda: bar.count_text == "4 matches", what=f"4 matches, not {bar.count_text!r}")
        await pilot.press("enter")
        assert bar.count_text == "1/4 matches"
        await pilot.press("up")
        assert bar.count_text == "4/4 matches"
        await pilot.press("escape")
        await wait_until(pilot, lambda: not bar.is_open, what="the bar to close")
        assert app.focused is block_of(app, record)
        await pilot.press("slash")  # `/` too, as in less
        await wait_until(pilot, lambda: bar.is_open and bar.input.has_focus, what="the bar again")
        await pilot.press("escape")

        block_of(app, record).focus()
        await pilot.press("o")
        await wait_until(pilot, lambda: isinstance(app.screen, FullOutputScreen) and app.screen.loaded)
        await pilot.press("ctrl+f")
        screen = app.screen
        bar = screen.query_one("#full-search")
        await wait_until(pilot, lambda: bar.input.has_focus, what="the full output's search")
        for key in "NEEDLE 2":  # a capital makes it case-sensitive: nothing
            await pilot.press(key if key != " " else "space")
        await wait_until(pilot, lambda: bar.count_text == "no matches", what="no matches")
        bar.input.value = "needle 2"
        await wait_until(pilot, lambda: bar.count_text == "1 match", what="1 match")
        await pilot.press("down")
        assert bar.count_text == "1/1 match" and screen.view.current == 0
        await pilot.press("escape", "escape")
        await quit_app(pilot)


async def test_at_80x24_the_sidebar_gives_way(runtime_url, home):
    app = make_app(runtime_url)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_ready(pilot)
        main = app.main
        side = main.query_one("#side")  # the contexts and files
        await wait_until(pilot, lambda: not side.display, what="the sidebar to give way")
        assert main.editor_pane.size.width >= 78
        # the header says whole where code runs ("not isolat…" was cut at 80 columns)
        from textual.widgets._header import HeaderTitle

        title = main.query_one(HeaderTitle)
        await wait_until(pilot, lambda: "isolated" in app.sub_title, what="the header's isolation tag")
        shown = str(title.render())
        assert shown.endswith("not isolated") and len(shown) <= title.size.width, (shown, title.size.width)
        await pilot.press("f9")
        await wait_until(pilot, lambda: side.display, what="F9 to bring it back")
        await pilot.press("f9")
        await wait_until(pilot, lambda: not side.display, what="F9 to hide it")
        await quit_app(pilot)


async def test_typing_into_an_empty_editor_and_running_twice_queues(runtime_url, home):
    """Smoke: two F5 in a row on one context both run, in order."""
    app = make_app(runtime_url)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot)
        await type_code(pilot, "print('twice')")
        await pilot.press("f5", "f5")
        await wait_until(pilot, lambda: len(app.runbook.records) == 2, what="two runs")
        await wait_until(pilot, lambda: not app.runbook.running(), what="both to end")
        assert [r.status for r in app.runbook.records.values()] == ["ok", "ok"]
        await quit_app(pilot)
