"""What a new user met driving the app in tmux the way the README says, driven with Pilot.

Each test waits on what must change (the log's scroll, a widget's state, a notification),
never on a fixed pause.
"""

from __future__ import annotations

import io
import uuid

import pytest
from rich.console import Console
from textual.widgets import Input, Label, Sparkline, Static

from tui.app import WorkbenchApp
from tui.core.buffers import Buffer
from tui.core.config import load_config
from tui.core.session import Session
from tui.demo import quit_app, run_and_wait, type_code, wait_ready, wait_until
from tui.screens.choice import ChoiceScreen
from tui.screens.cockpit import CockpitScreen
from tui.screens.export import ExportScreen
from tui.screens.fanout import FanOutScreen
from tui.screens.history import HistoryScreen
from tui.screens.local_path import LocalPathScreen
from tui.screens.new_context import NewContextScreen
from tui.screens.prompt import PromptScreen
from tui.screens.replay import ReplayScreen

pytestmark = pytest.mark.timeout(180)


def make_app(runtime_url: str, **config) -> WorkbenchApp:
    return WorkbenchApp(session=Session(url=runtime_url), config=load_config(overrides=config))


async def test_the_log_follows_a_run_to_its_last_line(runtime_url, home):
    """Output that arrives in quick chunks is drawn a frame later; the log must still end
    scrolled to the run's last line (it stopped one render short, hiding the end)."""
    app = make_app(runtime_url)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot)
        log = app.main.log_view
        await run_and_wait(pilot, "print('\\n'.join(map(str, range(80))))")
        await wait_until(pilot, lambda: log.max_scroll_y > 0 and log.scroll_y >= log.max_scroll_y - 1)
        code = "import time\nfor i in range(30):\n    print('chunk', i, flush=True)\n    time.sleep(0.004)\n"
        for _ in range(3):
            await run_and_wait(pilot, code + "print('the end')")
            await wait_until(
                pilot,
                lambda: log.scroll_y >= log.max_scroll_y - 1,
                timeout=5,
                what="the log to show the run's last line",
            )
        await quit_app(pilot)


async def test_a_narrow_frame_says_its_size_on_one_line(runtime_url, home):
    """The size of a cut DataFrame went in its table's caption, which wraps to the table's
    width: under a two-column frame it took three lines (`100 rows × 2` / `columns (90 rows` ...)."""
    app = make_app(runtime_url)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot)
        record = await run_and_wait(
            pilot, "import pandas as pd\npd.DataFrame({'a': range(100), 'b': range(100)})"
        )
        console = Console(width=80, record=True, file=io.StringIO())
        console.print(app.main.log_view.blocks[record.seq].query_one(".run-body").content)
        lines = [line.strip() for line in console.export_text().splitlines()]
        assert "100 rows × 2 columns (90 rows not shown)" in lines, lines
        await quit_app(pilot)


async def test_the_upload_dialog_shows_its_whole_hint(runtime_url, home):
    """The hint under the upload path (`several: ... globs work; Tab completes, Enter accepts,
    Escape cancels`) was one line cut at the dialog's edge, at 120 columns as at 80."""
    app = make_app(runtime_url)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot)
        app.push_screen(LocalPathScreen("Upload into data (files or folders)", several=True))
        await wait_until(pilot, lambda: isinstance(app.screen, LocalPathScreen), what="the upload dialog")
        await pilot.pause()
        hint = next(label for label in app.screen.query(Label) if "Tab completes" in str(label.content))
        shown = " ".join(strip.text.strip() for strip in hint.render_lines(hint.size.region))
        assert "globs work;" in shown and "Escape cancels" in shown, shown
        assert hint.region.right <= app.screen.query_one(".dialog").content_region.right
        await pilot.press("escape")
        await quit_app(pilot)


async def test_a_run_or_command_after_leaving_the_terminal_shows_the_log(runtime_url, home):
    """Ctrl+] leaves the terminal but leaves it in the log's place: F5 from the editor, Ctrl+S
    or Ctrl+F then worked on a log nobody could see."""
    app = make_app(runtime_url)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot)
        main = app.main
        terminal = main.query_one("#terminal-pane")

        async def open_and_leave_the_terminal() -> None:
            await pilot.press("f10")
            await wait_until(pilot, lambda: terminal.display and app.focused is main.terminal_view)
            await pilot.press("ctrl+right_square_bracket")
            await wait_until(pilot, lambda: app.focused is main.editor_pane.current(), what="the editor")
            assert terminal.display and not main.log_view.display

        await open_and_leave_the_terminal()
        await run_and_wait(pilot, "print('seen')")
        assert main.log_view.display and not terminal.display
        assert app.focused is main.editor_pane.current()

        await open_and_leave_the_terminal()
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: isinstance(app.screen, PromptScreen), what="the command prompt")
        app.screen.query_one(Input).value = "echo seen too"
        await pilot.press("enter")
        await wait_until(pilot, lambda: main.log_view.display and not terminal.display, 10, "the log")

        await open_and_leave_the_terminal()
        await pilot.press("ctrl+f")
        await wait_until(pilot, lambda: main.log_view.display and not terminal.display, 10, "the log")
        await pilot.press("escape")
        await quit_app(pilot)


async def test_a_fan_out_lane_shows_a_chart_as_its_artifact(runtime_url, home):
    """A lane showed an image result as its text stand-in (`<Figure size 640x480 with 1 Axes>`),
    so a chart looked like no chart at all; the log's block of the same run showed the chart."""
    app = make_app(runtime_url)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot)
        app.main.create_context("python", "", bind=False)

        def pythons():
            return [c for c in app.runbook.live_contexts() if c.language == "python"]

        await wait_until(pilot, lambda: len(pythons()) >= 2, what="two python contexts")
        app.main.show_contexts()
        await pilot.pause()
        listing = app.main.sidebar.list_view
        listing.focus()
        ids = [item.info.id for item in listing.children]
        for entry in pythons()[:2]:
            listing.index = ids.index(entry.id)
            await pilot.press("space")
        await type_code(pilot, "import matplotlib.pyplot as plt\nplt.plot([1, 3, 2])\nplt.show()")
        await pilot.press("alt+m")
        await wait_until(pilot, lambda: isinstance(app.screen, FanOutScreen), what="the fan-out view")
        screen = app.screen
        await wait_until(pilot, lambda: screen.result is not None, what="every lane to end")
        for column in screen.query(".lane"):
            console = Console(width=60, record=True, file=io.StringIO())
            console.print(column.query_one(".lane-body", Static).content)
            body = console.export_text()
            assert "png" in body and "<Figure" not in body, body
        await pilot.press("escape")
        await quit_app(pilot)


async def test_a_run_from_history_or_a_block_keeps_its_language(runtime_url, home):
    """Enter in the history put a python run into the current buffer, a TypeScript one, which
    kept its language: F5 then ran `print(...)` as TypeScript. F5 in the history ran it in the
    current buffer's context too. Code now goes to a buffer of its own language."""
    app = make_app(runtime_url)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot, ("python", "javascript"))
        main = app.main
        pane = main.editor_pane
        python_run = await run_and_wait(pilot, "print('from python')")
        await main.new_buffer_for(app.runbook.for_language("javascript"))
        await run_and_wait(pilot, "console.log('from js')")
        js_editor = pane.current()
        assert js_editor.buffer.language == "javascript"

        await pilot.press("f3")
        await wait_until(pilot, lambda: isinstance(app.screen, HistoryScreen), what="the history")
        await pilot.press(*"from python")
        await wait_until(pilot, lambda: len(app.screen.entries) == 1, what="the filter")
        await pilot.press("enter")
        await wait_until(pilot, lambda: pane.current() is not js_editor, what="a python buffer")
        assert pane.current().buffer.language == "python" and pane.current().text == python_run.code
        assert js_editor.text == "console.log('from js')"  # untouched

        pane.activate(pane.editors().index(js_editor))
        js_editor.focus()
        await pilot.press("f3")
        await wait_until(pilot, lambda: isinstance(app.screen, HistoryScreen), what="the history")
        await pilot.press(*"from python")
        await wait_until(pilot, lambda: len(app.screen.entries) == 1, what="the filter")
        before = set(app.runbook.records)
        await pilot.press("f5")
        await wait_until(pilot, lambda: set(app.runbook.records) - before, what="the run again")
        rerun = app.runbook.records[max(app.runbook.records)]
        await wait_until(pilot, lambda: not rerun.running, what="the run to end")
        assert rerun.language == "python" and rerun.status == "ok" and "from python" in rerun.full_output()
        assert len(pane.editors()) == 3 and pane.current() is js_editor  # no buffer opened to run it

        # `e` on the python block, from the javascript buffer
        pane.activate(pane.editors().index(js_editor))
        main.log_view.blocks[python_run.seq].focus()
        count = len(pane.editors())
        await pilot.press("e")
        await wait_until(pilot, lambda: pane.current() is not js_editor, what="a python buffer")
        assert pane.current().buffer.language == "python" and len(pane.editors()) == count + 1
        assert pane.current().text == python_run.code
        assert js_editor.text == "console.log('from js')"
        await quit_app(pilot)


async def test_a_run_waiting_for_its_context_runs_in_it_whatever_buffer_is_shown(runtime_url, home):
    """F5 in a bash buffer with no bash context starts one and runs the code once it is ready;
    it then ran in the context of the buffer shown by then (python, after Ctrl+PgUp)."""
    app = make_app(runtime_url)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot)
        pane = app.main.editor_pane
        python_editor = pane.current()
        await pane.add_buffer(Buffer("shell", "bash", "echo bash-$((6*7))"))
        await wait_until(pilot, lambda: pane.current().buffer.language == "bash", what="the bash buffer")
        pane.current().focus()
        before = set(app.runbook.records)
        await pilot.press("f5", "ctrl+pageup")
        await wait_until(pilot, lambda: pane.current() is python_editor, what="the python buffer")
        await wait_until(pilot, lambda: set(app.runbook.records) - before, what="the run to start")
        record = app.runbook.records[max(set(app.runbook.records) - before)]
        await wait_until(pilot, lambda: not record.running, what="the run to end")
        assert record.language == "bash" and "bash-42" in record.full_output(), record.full_output()
        await quit_app(pilot)


async def test_the_cockpit_draws_cpu_against_its_whole_scale(runtime_url, home):
    """Textual's sparkline spans the smallest to the largest sample: the cockpit of an idle
    runtime (`cpu 0%`, then 1%) drew full-height bars, one sample too."""
    app = make_app(runtime_url)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot)
        await pilot.press("f11")
        await wait_until(pilot, lambda: isinstance(app.screen, CockpitScreen), 10, "the cockpit")
        cockpit = app.screen
        await wait_until(pilot, lambda: cockpit.refreshed >= 1, 30, "a refresh")
        spark = cockpit.query_one("#spark-cpu", Sparkline)

        def drawn(samples: list[float]) -> list[str]:
            spark.data = samples
            console = Console(width=spark.size.width, record=True, file=io.StringIO())
            console.print(spark.render())
            return console.export_text().rstrip("\n").split("\n")

        assert "█" not in "".join(drawn([0.0])) and "█" not in "".join(drawn([0.0, 1.0, 0.5, 2.0]))
        top, bottom = drawn([0.0, 100.0])
        assert top.endswith(" █") and bottom.endswith(" █")  # a full bar is 100 %, nothing is 0
        await pilot.press("escape")
        await quit_app(pilot)


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_the_replay_options_all_show(runtime_url, home, size):
    """At 80x24 the replay view's option row (where, stop at the first difference, ignore
    execution counts) ran past the dialog's edge: the last option could not be seen."""
    app = make_app(runtime_url)
    async with app.run_test(size=size) as pilot:
        await wait_ready(pilot)
        await pilot.press("alt+r")
        await wait_until(pilot, lambda: isinstance(app.screen, ReplayScreen), what="the replay view")
        await pilot.pause()
        box = app.screen.query_one(".replay").content_region
        for name in ("#replay-where", "#replay-stop", "#replay-counts"):
            region = app.screen.query_one(name).region
            assert region.width and box.contains_region(region), (name, region, box)
        await pilot.press("escape")
        await quit_app(pilot)


async def test_f1_on_a_name_not_run_yet_says_to_run_it(runtime_url, home):
    """Completion offered `os.path` before `import os` ran; F1 on it then said only that the
    kernel knew nothing, with no hint that the import had to run first."""
    app = make_app(runtime_url)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot)
        # a name of its own: the app adopts the test runtime's contexts, where `os` may be known
        name = f"os_{uuid.uuid4().hex[:8]}"
        await type_code(pilot, f"import os as {name}\n{name}.path.join")
        editor = app.main.editor_pane.current()
        editor.move_cursor((1, len(name) + 8))
        await pilot.press("f1")
        await wait_until(pilot, lambda: any("knows nothing" in n.message for n in app._notifications))
        assert any("run the code that defines or imports it" in n.message for n in app._notifications)
        await run_and_wait(pilot, f"import os as {name}\n{name}.path.join")
        editor.move_cursor((1, len(name) + 8))
        await pilot.press("f1")
        await wait_until(pilot, lambda: app.screen is not app.main, what="the inspection")
        await pilot.press("escape")
        await quit_app(pilot)


async def test_f2_binds_the_buffer_it_was_pressed_in(runtime_url, home):
    """The question (new buffer or switch this one?) came once the kernel was up, and bound the
    buffer shown by then: moving to another buffer meanwhile switched that one."""
    app = make_app(runtime_url)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot)
        pane = app.main.editor_pane
        first = pane.current()
        await type_code(pilot, "print('python here')")
        await pilot.press("ctrl+n")
        await wait_until(pilot, lambda: len(pane.editors()) == 2, what="a second buffer")
        second = pane.current()
        await type_code(pilot, "print('me too')")
        await pilot.press("ctrl+pageup")
        await wait_until(pilot, lambda: pane.current() is first, what="the first buffer")
        before = {c.id for c in app.runbook.live_contexts()}
        await pilot.press("f2")
        await wait_until(pilot, lambda: isinstance(app.screen, NewContextScreen), what="the dialog")
        app.screen.query_one("#language").value = "javascript"
        await pilot.click("#create")
        await pilot.press("ctrl+pagedown")  # on to the next buffer while the kernel starts
        await wait_until(pilot, lambda: isinstance(app.screen, ChoiceScreen), what="the question")
        await pilot.press("s")
        await wait_until(pilot, lambda: "javascript" in {first.buffer.language, second.buffer.language})
        assert first.buffer.language == "javascript" and second.buffer.language == "python"
        # (the test runtime's default javascript context may show up too: it is listed once up)
        assert first.buffer.context_id in {c.id for c in app.runbook.live_contexts()} - before
        await quit_app(pilot)


async def test_ctrl_l_on_a_block_leaves_the_app_answering_keys(runtime_url, home):
    """After a search, Ctrl+L with a block focused left the focus on the removed block: the
    footer kept its keys, and no key reached the app any more (F5, F2, Ctrl+P, even Ctrl+Q).
    And a run still running lost its block (README: Ctrl+L removes finished runs)."""
    app = make_app(runtime_url)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot)
        log = app.main.log_view
        await run_and_wait(pilot, "print('to be cleared')")
        record = await run_and_wait(pilot, "print('and this')")
        log.blocks[record.seq].focus()
        await pilot.press("slash", *"this", "enter", "escape")
        await wait_until(pilot, lambda: app.focused is log.blocks[record.seq], what="the block")
        await pilot.press("ctrl+l")
        await wait_until(pilot, lambda: not log.blocks, what="the log to clear")
        assert app.focused is None or app.focused.is_attached, app.focused
        await run_and_wait(pilot, "print('still here')", timeout=10)  # F5 reaches the app

        await type_code(pilot, "import time\nprint('before', flush=True)\ntime.sleep(30)\nprint('after')")
        await pilot.press("f5")
        await wait_until(pilot, lambda: any(r.running for r in app.runbook.records.values()), what="a run")
        running = next(r for r in app.runbook.records.values() if r.running)
        await pilot.press("ctrl+l")
        await wait_until(pilot, lambda: list(log.blocks) == [running.seq], what="only the running block")
        app.main.log_view.blocks[running.seq].focus()
        await pilot.press("f6")
        await wait_until(pilot, lambda: not running.running, what="the interrupt")
        await quit_app(pilot)


async def test_f7_right_after_a_run_brings_the_run_before(runtime_url, home):
    """Right after F5 the latest run is the buffer's own code: the first F7 put the same text
    back and seemed to do nothing."""
    app = make_app(runtime_url)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot)
        await run_and_wait(pilot, "print('earlier')")
        await run_and_wait(pilot, "print('latest')")
        editor = app.main.editor_pane.current()
        assert editor.text == "print('latest')"
        await pilot.press("f7")
        await wait_until(pilot, lambda: editor.text == "print('earlier')", 5, "the run before")
        await pilot.press("f8")
        await wait_until(pilot, lambda: editor.text == "print('latest')", 5, "back to the buffer's text")
        await quit_app(pilot)


async def test_a_keymap_keeps_the_footer_in_its_order(runtime_url, home):
    """Textual adds a rebound binding after all the others: with README's own example,
    `[keymap] run = "f5,ctrl+r"`, "f5 Run" moved to the end of the footer, past its edge."""

    async def footer_order(**config) -> list[str]:
        app = make_app(runtime_url, **config)
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_ready(pilot)
            app.main.editor_pane.current().focus()
            await pilot.pause()
            order = []
            for active in app.screen.active_bindings.values():
                if active.binding.show and active.binding.action not in order:
                    order.append(active.binding.action)
            await quit_app(pilot)
            return order

    plain = await footer_order()
    assert "run" in plain[:4], plain
    assert await footer_order(keymap={"run": "f5,ctrl+r", "interrupt": "f6,ctrl+g"}) == plain


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_alt_d_again_goes_back_where_it_was(runtime_url, home, size):
    """Alt+D, then Alt+D again, left the focus in the contexts list (where the next letter
    typed was a key: r restarted a context, without asking) and, at 80x24, the sidebar open
    over half the screen. It goes back to the editor, the sidebar as it was."""
    app = make_app(runtime_url)
    async with app.run_test(size=size) as pilot:
        await wait_ready(pilot)
        main = app.main
        editor = main.editor_pane.current()
        editor.focus()
        side = main.query_one("#side")
        was_shown = side.display and not side.has_class("-hidden")
        await pilot.press("alt+d")
        await wait_until(pilot, lambda: main.files_pane.has_focus_within, what="the Files pane")
        assert not side.has_class("-hidden")
        await pilot.press("alt+d")
        await wait_until(pilot, lambda: app.focused is editor, what="the editor")
        assert side.has_class("-hidden") != was_shown
        await quit_app(pilot)


async def test_the_export_path_has_room_at_80_columns(runtime_url, home):
    """At 80x24 the export dialog's path field sat beside the 46-column format and showed 20
    characters: `/tmp/nu1/e2b-run`, never the file's name."""
    app = make_app(runtime_url)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_ready(pilot)
        await run_and_wait(pilot, "1 + 1")
        await pilot.press("alt+e")
        await wait_until(pilot, lambda: isinstance(app.screen, ExportScreen), what="the export dialog")
        await pilot.pause()
        box = app.screen.query_one(".export").content_region
        path = app.screen.query_one("#export-path").region
        assert box.contains_region(path) and path.width >= 40, (path, box)
        assert box.contains_region(app.screen.query_one("#export-format").region)
        await pilot.press("escape")
        await quit_app(pilot)
