"""The editor, driven with Pilot: the keys people expect, focus on buffer switch, and
completion and inspection from the context's kernel (through the runtime's extension
routes, which the first test calls over plain HTTP, the way docs/e2b-protocol.md says)."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from e2b_code_interpreter import AsyncSandbox

from tui.app import WorkbenchApp
from tui.core.session import Session
from tui.demo import quit_app, run_and_wait, type_code, wait_ready, wait_until
from tui.screens.choice import ChoiceScreen
from tui.screens.completion import CompletionScreen, InspectScreen
from tui.screens.prompt import PromptScreen
from tui.widgets.editor import CodeEditor

pytestmark = pytest.mark.timeout(180)


def make_app(runtime_url: str) -> WorkbenchApp:
    return WorkbenchApp(session=Session(url=runtime_url))


def editor_of(app: WorkbenchApp) -> CodeEditor:
    editor = app.main.editor_pane.current()
    assert editor is not None
    return editor


# -- the runtime's routes ------------------------------------------------------------------


async def test_complete_and_inspect_routes_forward_to_the_kernel(runtime_url, tmp_path):
    sandbox = await AsyncSandbox.create(debug=True, sandbox_url=runtime_url)
    ctx = await sandbox.create_code_context(language="python")
    await sandbox.run_code("import math\nanswer_value = 42", context=ctx)
    async with httpx.AsyncClient(timeout=30) as client:
        base = f"{runtime_url}/contexts/{ctx.id}"
        code = "math.sq"
        found = (await client.post(f"{base}/complete", json={"code": code, "cursor_pos": 7})).json()
        assert "sqrt" in found["matches"] or "math.sqrt" in found["matches"], found
        assert found["cursor_end"] == 7
        code = "answer_v"
        found = (await client.post(f"{base}/complete", json={"code": code, "cursor_pos": 8})).json()
        assert found["matches"] == ["answer_value"] and found["cursor_start"] == 0
        said = (await client.post(f"{base}/inspect", json={"code": "math.sqrt", "cursor_pos": 9})).json()
        assert said["found"] and "square root" in said["text"].lower(), said
        said = (await client.post(f"{base}/inspect", json={"code": "nothing_here", "cursor_pos": 3})).json()
        assert said["found"] is False
        # errors are JSON sentences
        missing = await client.post(f"{runtime_url}/contexts/nope/complete", json={"code": "x"})
        assert missing.status_code == 404 and "not found" in missing.json()["error"]
        bad = await client.post(f"{base}/complete", json={"code": "x", "cursor_pos": 5})
        assert bad.status_code == 422 and "cursor_pos" in bad.json()["error"]
        # a context running code answers at once (409) instead of after the run
        gate = tmp_path / "gate"
        started = asyncio.Event()
        run = asyncio.create_task(
            sandbox.run_code(
                f"import os, time\nprint('in', flush=True)\nwhile not os.path.exists({str(gate)!r}):\n"
                "    time.sleep(0.02)",
                context=ctx,
                on_stdout=lambda _m: started.set(),
            )
        )
        await asyncio.wait_for(started.wait(), 60)
        busy = await client.post(f"{base}/complete", json={"code": "ma", "cursor_pos": 2})
        assert busy.status_code == 409 and "running code" in busy.json()["error"]
        gate.write_text("go")
        await run
    await sandbox.remove_code_context(ctx)


# -- keys --------------------------------------------------------------------------------


async def test_editor_keys_home_end_select_all_comment_indent_goto(runtime_url, home):
    app = make_app(runtime_url)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot)
        await type_code(pilot, "a = 1\nif a:\n    b = 2\nc = 3")
        editor = editor_of(app)
        await pilot.press("ctrl+end")
        assert editor.cursor_location == (3, 5)
        await pilot.press("ctrl+home")
        assert editor.cursor_location == (0, 0)
        await pilot.press("ctrl+shift+end")
        assert editor.selected_text == editor.text
        await pilot.press("ctrl+home", "ctrl+a")
        assert editor.selected_text == editor.text

        # toggle comment: the current line, then a selection, in python's syntax
        editor.move_cursor((0, 2))
        await pilot.press("ctrl+underscore")
        assert editor.text.splitlines()[0] == "# a = 1"
        await pilot.press("ctrl+underscore")
        assert editor.text.splitlines()[0] == "a = 1"
        editor.select_line(1)
        editor.move_cursor((2, 9), select=True)
        await pilot.press("ctrl+underscore")
        assert editor.text.splitlines()[1:3] == ["# if a:", "#     b = 2"]
        await pilot.press("ctrl+underscore")
        assert editor.text.splitlines()[1:3] == ["if a:", "    b = 2"]

        # Tab and Shift+Tab on a selection indent and dedent its lines
        editor.move_cursor((0, 0))
        editor.move_cursor((1, 3), select=True)
        await pilot.press("tab")
        assert editor.text.splitlines()[:2] == ["    a = 1", "    if a:"]
        await pilot.press("shift+tab")
        assert editor.text.splitlines()[:2] == ["a = 1", "if a:"]
        editor.move_cursor((2, 6))
        await pilot.press("shift+tab")  # the current line, with no selection
        assert editor.text.splitlines()[2] == "b = 2"
        await pilot.press("ctrl+z")
        assert editor.text.splitlines()[2] == "    b = 2"

        # go to line:column
        await pilot.press("alt+g")
        await wait_until(pilot, lambda: isinstance(app.screen, PromptScreen), what="the go-to prompt")
        app.screen.query_one("#value").value = "4:3"
        await pilot.press("enter")
        await wait_until(pilot, lambda: editor.cursor_location == (3, 2), what="line 4, column 3")
        assert app.focused is editor
        await quit_app(pilot)


async def test_alt_keys_from_a_real_terminal_act_and_type_nothing(runtime_url, home):
    """A terminal sends Alt+G as ESC and "g", which Textual delivers with "g" as its character
    (Pilot's press does not: it sends no character, so the test posts the key as the driver
    does). The editor must run the binding, not type the letter."""
    from textual import events

    from tui.screens.export import ExportScreen

    app = make_app(runtime_url)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot)
        await type_code(pilot, "a = 1\nb = 2")
        editor = editor_of(app)
        before = editor.text
        app.post_message(events.Key("alt+g", "g"))
        await wait_until(pilot, lambda: isinstance(app.screen, PromptScreen), what="the go-to prompt")
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.focused is editor, what="the editor again")
        app.post_message(events.Key("alt+e", "e"))
        await wait_until(pilot, lambda: isinstance(app.screen, ExportScreen), what="the export dialog")
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.focused is editor, what="the editor again")
        app.post_message(events.Key("alt+z", "z"))  # bound to nothing: still not text
        app.post_message(events.Key("x", "x"))
        await wait_until(pilot, lambda: editor.text != before, what="the x typed")
        assert editor.text.replace("x", "", 1) == before, editor.text
        await quit_app(pilot)


async def test_toggle_comment_follows_the_buffers_language(runtime_url, home):
    app = make_app(runtime_url)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot)
        await pilot.press("ctrl+n")
        await wait_until(pilot, lambda: len(app.main.editor_pane.editors()) == 2, what="a new buffer")
        editor = editor_of(app)
        editor.apply_language("javascript")
        await type_code(pilot, "  let x = 1;\n  x += 1;")
        editor.select_all()
        await pilot.press("ctrl+underscore")
        assert editor.text == "  // let x = 1;\n  // x += 1;"
        await pilot.press("ctrl+underscore")
        assert editor.text == "  let x = 1;\n  x += 1;"
        await quit_app(pilot)


async def test_typing_after_a_buffer_switch_lands_in_the_buffer_on_screen(runtime_url, home):
    """The correctness bug: after Ctrl+PgDn the keys went to the hidden buffer (or nowhere),
    and F5 then ran the old code."""
    app = make_app(runtime_url)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot)
        await type_code(pilot, "print('first buffer')")
        first = editor_of(app)
        await pilot.press("ctrl+n")
        await wait_until(pilot, lambda: len(app.main.editor_pane.editors()) == 2, what="a second buffer")
        second = editor_of(app)
        await pilot.press("ctrl+pageup")
        assert editor_of(app) is first and app.focused is first
        # switch and type at once, as fast as keys come
        await pilot.press("ctrl+pagedown", *"print('typed')")
        assert app.focused is second
        assert second.text == "print('typed')" and first.text == "print('first buffer')"
        await pilot.press("f5")  # runs what is on screen
        await wait_until(pilot, lambda: app.runbook.records, what="the run")
        record = next(iter(app.runbook.records.values()))
        await wait_until(pilot, lambda: not record.running, what="the run to end")
        assert record.code == "print('typed')" and "typed" in record.full_output()
        # undo survives switching away and back
        await pilot.press("ctrl+pageup", "ctrl+pagedown")
        assert app.focused is second
        await pilot.press("ctrl+z")
        assert second.text != "print('typed')"
        await quit_app(pilot)


async def test_closing_a_buffer_says_so_and_it_can_be_reopened(runtime_url, home):
    app = make_app(runtime_url)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot)
        await pilot.press("ctrl+n")
        await wait_until(pilot, lambda: len(app.main.editor_pane.editors()) == 2, what="a new buffer")
        await type_code(pilot, "kept = 'text'")
        await app.main.run_action("close_buffer")
        await wait_until(
            pilot,
            lambda: any("Closed buffer2" in n.message and "Reopen" in n.message for n in app._notifications),
            what="the word that it closed",
        )
        assert len(app.main.editor_pane.editors()) == 1
        assert app.focused is editor_of(app)
        await app.main.run_action("reopen_buffer")
        await wait_until(pilot, lambda: len(app.main.editor_pane.editors()) == 2, what="the reopen")
        assert editor_of(app).text == "kept = 'text'" and app.focused is editor_of(app)
        await quit_app(pilot)


async def test_code_from_history_replaces_the_text_with_a_word_and_undo(runtime_url, home):
    app = make_app(runtime_url)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot)
        record = await run_and_wait(pilot, "print('from the log')")
        await type_code(pilot, "draft = 1")
        app.main.log_view.blocks[record.seq].focus()
        await pilot.press("e")
        editor = editor_of(app)
        await wait_until(pilot, lambda: editor.text == "print('from the log')", what="the code")
        assert any("Replaced the text of main" in n.message for n in app._notifications)
        editor.focus()
        await pilot.press("ctrl+z")
        assert editor.text == "draft = 1"
        await quit_app(pilot)


# -- completion and inspection in the app ------------------------------------------------------


async def test_tab_completes_from_the_kernel_and_f1_inspects(runtime_url, home):
    app = make_app(runtime_url)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot)
        await run_and_wait(pilot, "import math\nlong_unique_name = 1")
        editor = editor_of(app)
        await type_code(pilot, "long_uni")
        editor.move_cursor(editor.document.end)
        await pilot.press("tab")  # one match: taken at once
        await wait_until(pilot, lambda: editor.text == "long_unique_name", what="the completion")

        await type_code(pilot, "math.s")
        editor.move_cursor(editor.document.end)
        await pilot.press("ctrl+@")  # Ctrl+Space: several matches, a menu
        await wait_until(pilot, lambda: isinstance(app.screen, CompletionScreen), what="the menu")
        assert {"sqrt", "sin"} <= {m.removeprefix("math.") for m in app.screen.completion.matches}
        await pilot.press("q")  # typing narrows the list and goes on in the editor
        await wait_until(pilot, lambda: app.screen.shown and all("sq" in m for m in app.screen.shown))
        await pilot.press("enter")
        await wait_until(pilot, lambda: editor.text == "math.sqrt", what="math.sqrt")
        assert app.focused is editor

        await pilot.press("f1")
        await wait_until(pilot, lambda: isinstance(app.screen, InspectScreen), what="the inspection")
        assert "square root" in app.screen.text.lower()
        await pilot.press("escape")

        # Tab at the start of a line still indents
        await type_code(pilot, "")
        await pilot.press("tab")
        assert editor.text == "    "
        await quit_app(pilot)


async def test_completion_on_e2b_cloud_says_once_that_it_is_not_there(cloud, home):
    from tui.core.target import Target

    app = WorkbenchApp(session=Session(target=Target(mode="cloud")))
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot)
        editor = editor_of(app)
        await type_code(pilot, "pri")
        editor.move_cursor(editor.document.end)
        await pilot.press("tab")
        await wait_until(pilot, lambda: editor.text == "pri ", what="Tab to fall back to an indent (to column 4)")
        said = [n for n in app._notifications if "cannot complete" in n.message]
        assert len(said) == 1
        await pilot.press("tab")
        await wait_until(pilot, lambda: editor.text == "pri     ", what="a second indent (to column 8)")
        assert len([n for n in app._notifications if "cannot complete" in n.message]) == 1  # once
        await quit_app(pilot)


async def test_a_new_context_of_another_language_can_switch_this_buffer(runtime_url, home):
    app = make_app(runtime_url)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot, ("python", "javascript"))
        await type_code(pilot, "print('python code')")
        editor = editor_of(app)
        js = app.runbook.for_language("javascript")
        app.main.bind_or_ask(editor, js)
        await wait_until(pilot, lambda: isinstance(app.screen, ChoiceScreen), what="the question")
        await pilot.press("escape")  # cancel: nothing changes
        await wait_until(pilot, lambda: not isinstance(app.screen, ChoiceScreen))
        assert editor.buffer.language == "python"
        await quit_app(pilot)
