"""The app, driven with Textual's Pilot against the session's real local runtime."""

from __future__ import annotations

import pytest
from textual.widgets import Button

from tui.app import WorkbenchApp
from tui.core.session import Session
from tui.demo import quit_app, run_and_wait, type_code, wait_ready, wait_started, wait_until
from tui.screens.choice import ChoiceScreen
from tui.screens.confirm import ConfirmScreen
from tui.screens.history import HistoryScreen
from tui.screens.new_context import NewContextScreen
from tui.widgets.output_log import RunBlock
from tui.widgets.sidebar import ContextItem

pytestmark = pytest.mark.timeout(180)


def make_app(runtime_url: str) -> WorkbenchApp:
    return WorkbenchApp(session=Session(url=runtime_url))


def body_text(block: RunBlock) -> str:
    """What the block shows, as plain text."""
    from rich.console import Console

    console = Console(width=120, record=True, file=open("/dev/null", "w"))  # noqa: SIM115
    console.print(block.query_one(".run-body").content)
    console.print(block.query_one(".run-header").content)
    return console.export_text()


async def test_run_shows_streamed_output_and_result(runtime_url, home):
    app = make_app(runtime_url)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot)
        gate = home.parent / "gate"
        # the run prints, then waits until the test has seen that line on screen: causal, not timed
        await type_code(
            pilot,
            "import os, time\nprint('first', flush=True)\n"
            f"while not os.path.exists({str(gate)!r}):\n    time.sleep(0.02)\n"
            "print('second')\n6 * 7",
        )
        await pilot.press("f5")
        await wait_until(pilot, lambda: app.runbook.records, what="a record")
        record = next(iter(app.runbook.records.values()))
        block = app.main.log_view.blocks[record.seq]
        # the first line is on screen while the run is still going
        await wait_until(pilot, lambda: "first" in body_text(block), what="streamed output")
        assert record.running
        assert "second" not in body_text(block)
        gate.write_text("go")
        await wait_until(pilot, lambda: not record.running, what="the end of the run")
        await wait_until(pilot, lambda: "42" in body_text(block), what="the result on screen")
        text = body_text(block)
        assert "first" in text and "second" in text and "42" in text
        assert record.status == "ok"
        assert record.execution_count is not None
        assert f"[{record.execution_count}] python" in text
        await pilot.press("ctrl+q")
        await wait_until(pilot, app.session_closed.is_set, what="the session to close")
    assert app.return_code == 0


async def test_error_is_shown_with_name_value_and_traceback(runtime_url, home):
    app = make_app(runtime_url)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot)
        record = await run_and_wait(pilot, "def f():\n    return 1 / 0\nf()")
        block = app.main.log_view.blocks[record.seq]
        text = body_text(block)
        assert record.status == "error"
        assert "ZeroDivisionError: division by zero" in text
        assert "return 1 / 0" in text  # the traceback, with the user's code
        assert block.has_class("-error")
        await quit_app(pilot)


async def test_run_selection_only(runtime_url, home):
    app = make_app(runtime_url)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot)
        await type_code(pilot, "print('line one')\nprint('line two')")
        editor = app.main.editor_pane.current()
        editor.select_line(1)
        await pilot.press("ctrl+r")
        await wait_until(
            pilot, lambda: app.runbook.records and not any(r.running for r in app.runbook.records.values())
        )
        record = next(iter(app.runbook.records.values()))
        assert record.code.strip() == "print('line two')"
        assert "line two" in record.full_output() and "line one" not in record.full_output()
        await quit_app(pilot)


async def test_new_context_modal_creates_and_binds_a_context(runtime_url, home, tmp_path):
    app = make_app(runtime_url)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot, ("python", "bash"))
        live = lambda: {c.id for c in app.runbook.live_contexts()}  # noqa: E731
        before = live()
        await pilot.press("f2")
        await wait_until(pilot, lambda: isinstance(app.screen, NewContextScreen))
        modal = app.screen
        modal.query_one("#language").value = "bash"
        modal.query_one("#cwd").value = str(tmp_path)
        first = app.main.editor_pane.current()
        await pilot.click("#create")
        # the buffer holds python code: F2 does not silently turn it into a bash buffer, it asks,
        # at once (a question that came once the kernel was up took the keys typed meanwhile)
        await wait_until(pilot, lambda: isinstance(app.screen, ChoiceScreen), what="the question")
        assert not live() - before and not any(c.placeholder for c in app.runbook.contexts.values())
        assert "holds python code" in app.screen.question
        labels = [str(b.label) for b in app.screen.query(Button)]
        assert labels == ["New buffer [n]", "Switch this buffer [s]", "Cancel [esc]"]  # the keys shown, not read as markup
        await pilot.press("n")  # a new buffer for the bash context
        await wait_until(pilot, lambda: live() - before, what="the new context")
        new_id = (live() - before).pop()
        info = app.runbook.contexts[new_id]
        assert info.language == "bash" and info.cwd == str(tmp_path)
        await wait_until(pilot, lambda: app.main.editor_pane.current().buffer.context_id == new_id)
        assert app.main.editor_pane.current() is not first
        assert app.main.editor_pane.current().buffer.language == "bash"
        assert first.buffer.language == "python" and "hello from python" in first.text
        assert app.focused is app.main.editor_pane.current()
        await wait_until(
            pilot,
            lambda: new_id in [item.info.id for item in app.main.sidebar.list_view.query(ContextItem)],
            what="the new context in the sidebar",
        )
        record = await run_and_wait(pilot, "echo in-$(basename $PWD)")
        assert f"in-{tmp_path.name}" in record.full_output()
        assert record.context_id == new_id
        await quit_app(pilot)


async def test_switch_context_from_sidebar(runtime_url, home):
    app = make_app(runtime_url)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot, ("python", "javascript"))
        await wait_started(pilot)  # a context appearing later would move the highlight back
        sidebar = app.main.sidebar
        items = list(sidebar.list_view.query(ContextItem))
        js_index = next(i for i, item in enumerate(items) if item.info.language == "javascript")
        sidebar.list_view.focus()
        sidebar.list_view.index = js_index

        def on_javascript() -> bool:
            found = sidebar.highlighted()
            return found is not None and found.language == "javascript"

        await wait_until(pilot, on_javascript, what="the javascript context highlighted")
        await pilot.press("enter")
        # the buffer holds python code: asked first, then switched (s) as told
        await wait_until(pilot, lambda: isinstance(app.screen, ChoiceScreen), what="the question")
        await pilot.press("s")
        await wait_until(pilot, lambda: app.main.editor_pane.current().buffer.language == "javascript")
        record = await run_and_wait(pilot, "console.log('from js', 2 ** 10)")
        assert record.language == "javascript"
        assert "from js 1024" in record.full_output()
        await quit_app(pilot)


async def test_restart_and_remove_context(runtime_url, home, tmp_path):
    app = make_app(runtime_url)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot)
        info = app.runbook.add(await app.session.create_context("python", str(tmp_path)))
        app.main.bind(app.main.editor_pane.current(), info)
        await run_and_wait(pilot, "kept = 'yes'")
        # restart from the sidebar: fresh state, same id
        app.main.sidebar.list_view.focus()
        items = list(app.main.sidebar.list_view.query(ContextItem))
        app.main.sidebar.list_view.index = next(i for i, it in enumerate(items) if it.info.id == info.id)
        await pilot.press("r")
        await wait_until(pilot, lambda: info.note == "restarted", what="the restart")
        assert info.id in app.runbook.contexts
        record = await run_and_wait(pilot, "print('kept' in globals())")
        assert "False" in record.full_output()
        # remove, confirmed
        app.main.sidebar.list_view.focus()
        items = list(app.main.sidebar.list_view.query(ContextItem))
        app.main.sidebar.list_view.index = next(i for i, it in enumerate(items) if it.info.id == info.id)
        await pilot.press("x")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await wait_until(pilot, lambda: info.id not in app.runbook.contexts, what="the removal")
        listed = await app.session.list_contexts()
        assert info.id not in {c.id for c in listed}
        # the buffer falls back to a live python context
        assert app.main.editor_pane.current().buffer.context_id in app.runbook.contexts
        await quit_app(pilot)


async def test_interrupt_keeps_state(runtime_url, home, tmp_path):
    app = make_app(runtime_url)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot)
        info = app.runbook.add(await app.session.create_context("python"))
        app.main.bind(app.main.editor_pane.current(), info)
        await run_and_wait(pilot, "state = 41")
        await type_code(pilot, "import time\nprint('sleeping', flush=True)\ntime.sleep(60)")
        await pilot.press("f5")
        await wait_until(pilot, lambda: any(r.running for r in app.runbook.records.values()))
        record = max(app.runbook.records.values(), key=lambda r: r.seq)
        await wait_until(pilot, lambda: "sleeping" in record.full_output())
        await pilot.press("f6")
        await wait_until(pilot, lambda: not record.running, what="the interrupt")
        assert record.status == "interrupted"
        assert record.failure == "Interrupted: the kernel stopped the run and keeps its state."
        assert record.error is not None and record.error.name == "KeyboardInterrupt"
        after = await run_and_wait(pilot, "state + 1")
        assert after.status == "ok"
        assert any(r.text == "42" for r in after.results)
        await app.session.remove_context(info.id)
        await quit_app(pilot)


async def test_buffers_are_restored_after_restart(runtime_url, home):
    app = make_app(runtime_url)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot, ("python", "javascript"))
        await type_code(pilot, "remember_me = 'first buffer'")
        await pilot.press("ctrl+n")
        await wait_until(pilot, lambda: len(app.main.editor_pane.editors()) == 2)
        await type_code(pilot, "const second = 'js buffer';")
        js = next(c for c in app.runbook.contexts.values() if c.language == "javascript")
        app.main.bind(app.main.editor_pane.current(), js)
        await quit_app(pilot)
    assert (home / "data" / "buffers.json").exists()

    again = make_app(runtime_url)
    async with again.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot)
        editors = again.main.editor_pane.editors()
        assert [e.text for e in editors] == ["remember_me = 'first buffer'", "const second = 'js buffer';"]
        assert [e.buffer.language for e in editors] == ["python", "javascript"]
        assert again.main.editor_pane.active_index() == 1
        await quit_app(pilot)


async def test_history_rerun_and_recall(runtime_url, home):
    app = make_app(runtime_url)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot)
        first = await run_and_wait(pilot, "print('from history')")
        await run_and_wait(pilot, "print('latest')")
        # recall: the previous run of this context comes back into the editor
        await type_code(pilot, "draft")
        await pilot.press("f7")
        assert app.main.editor_pane.current().text == "print('latest')"
        await pilot.press("f7")
        assert app.main.editor_pane.current().text == "print('from history')"
        await pilot.press("f8", "f8")
        assert app.main.editor_pane.current().text == "draft"
        # the history screen: pick the older run and run it again
        await pilot.press("f3")
        await wait_until(pilot, lambda: isinstance(app.screen, HistoryScreen))
        await pilot.press("down")
        before = set(app.runbook.records)
        await pilot.press("f5")
        await wait_until(pilot, lambda: set(app.runbook.records) - before)
        rerun = app.runbook.records[max(app.runbook.records)]
        await wait_until(pilot, lambda: not rerun.running)
        assert rerun.code == first.code
        assert "from history" in rerun.full_output()
        entries = app.history.recent()
        assert [e.code for e in entries[:3]] == [first.code, "print('latest')", first.code]
        assert entries[0].status == "ok" and entries[0].duration is not None
        await quit_app(pilot)


async def test_flood_is_bounded_and_full_output_kept(runtime_url, home):
    app = make_app(runtime_url)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot)
        record = await run_and_wait(pilot, "for i in range(50000):\n    print(f'line {i}')")
        block = app.main.log_view.blocks[record.seq]
        text = body_text(block)
        assert "line 0" in text and "line 49999" in text
        assert "more lines not shown" in text
        assert len(text.splitlines()) < 600
        assert record.full_output().count("\n") == 50000
        block.focus()
        await pilot.press("o")
        await wait_until(pilot, lambda: app.screen.__class__.__name__ == "FullOutputScreen")
        log = app.screen.query_one("#full-log")
        await wait_until(pilot, lambda: log.line_count >= 50000, what="the full output to load")
        await pilot.press("escape")
        await quit_app(pilot)


async def test_copy_output_uses_the_clipboard(runtime_url, home):
    app = make_app(runtime_url)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot)
        record = await run_and_wait(pilot, "print('copy me')")
        app.main.log_view.blocks[record.seq].focus()
        await pilot.press("c")
        assert "copy me" in app.clipboard
        await quit_app(pilot)
