"""The tool-call view, driven with Pilot against the session's real local runtime."""

from __future__ import annotations

import json

import pytest
from textual.widgets import Static, TextArea

from tui.app import WorkbenchApp
from tui.core.session import Session
from tui.demo import wait_ready, wait_until
from tui.screens.tool_call import ToolCallScreen

pytestmark = pytest.mark.timeout(180)


def shown(widget: Static) -> str:
    from rich.console import Console

    console = Console(width=100, record=True, file=open("/dev/null", "w"))  # noqa: SIM115
    console.print(widget.content)
    return console.export_text()


async def paste_and_run(pilot, screen: ToolCallScreen, text: str) -> None:
    before = screen.results
    screen.query_one("#tool-input", TextArea).load_text(text)
    await pilot.press("f5")
    await wait_until(pilot, lambda: screen.results is not before, what="the tool call to run")
    await pilot.pause()


async def test_tool_call_screen_runs_a_call_and_shows_the_json(runtime_url, home):
    app = WorkbenchApp(session=Session(url=runtime_url))
    async with app.run_test(size=(140, 44)) as pilot:
        await wait_ready(pilot)
        await pilot.press("f12")
        await wait_until(pilot, lambda: isinstance(app.screen, ToolCallScreen), what="the tool-call view")
        screen = app.screen
        assert isinstance(screen, ToolCallScreen)

        call = {
            "type": "tool_use",
            "id": "toolu_app",
            "name": "run_code",
            "input": {"code": "print('from the app')\n6 * 7", "language": "python", "note": "x"},
        }
        await paste_and_run(pilot, screen, json.dumps(call))
        result = json.loads(screen.query_one("#tool-json", TextArea).text)
        assert result["tool_call_id"] == "toolu_app"
        assert (result["status"], result["stdout"], result["text"]) == ("ok", "from the app\n", "42")
        assert result["warnings"] == ["Ignored unknown argument: note."]
        ran = shown(screen.query_one("#tool-ran-body", Static))
        assert "print('from the app')" in ran  # the code that ran
        assert "toolu_app" in ran and "from the app" in ran and "42" in ran

        # a reply without tool calls: its code blocks run (the fallback)
        await paste_and_run(
            pilot, screen, "Try:\n\n```sh\necho fallback\n```\n\n```js\nconsole.log(2 + 3)\n```"
        )
        results = json.loads(screen.query_one("#tool-json", TextArea).text)
        assert [(r["language"], r["stdout"]) for r in results] == [
            ("bash", "fallback\n"),
            ("javascript", "5\n"),
        ]
        assert "code block 2" in shown(screen.query_one("#tool-ran-body", Static))

        # nothing to run: said on the status line, nothing breaks
        screen.query_one("#tool-input", TextArea).load_text("just words")
        await pilot.press("f5")
        await wait_until(pilot, lambda: "Nothing to run" in shown(screen.query_one("#tool-status", Static)))

        await pilot.press("escape")
        await wait_until(pilot, lambda: not isinstance(app.screen, ToolCallScreen), what="the view to close")
        await pilot.press("ctrl+q")
        await wait_until(pilot, app.session_closed.is_set, what="the session to close")


async def test_tool_call_is_in_the_command_palette(runtime_url, home):
    app = WorkbenchApp(session=Session(url=runtime_url))
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot)
        titles = [command.title for command in app.get_system_commands(app.screen)]
        assert "Tool call" in titles
        await pilot.press("ctrl+q")
        await wait_until(pilot, app.session_closed.is_set, what="the session to close")


async def open_view(pilot, app: WorkbenchApp) -> ToolCallScreen:
    await wait_ready(pilot)
    await pilot.press("f12")
    await wait_until(pilot, lambda: isinstance(app.screen, ToolCallScreen), what="the tool-call view")
    assert isinstance(app.screen, ToolCallScreen)
    return app.screen


async def test_run_while_a_run_is_in_progress_says_so_and_lets_it_finish(runtime_url, home):
    app = WorkbenchApp(session=Session(url=runtime_url))
    async with app.run_test(size=(140, 44)) as pilot:
        screen = await open_view(pilot, app)
        status = screen.query_one("#tool-status", Static)
        slow = {"code": "import time\ntime.sleep(2)\nprint('first finished')"}
        screen.query_one("#tool-input", TextArea).load_text(json.dumps(slow))
        await pilot.press("f5")
        await wait_until(pilot, lambda: screen.running, what="the first run to start")
        screen.query_one("#tool-input", TextArea).load_text('{"code": "print(2)"}')
        await pilot.press("f5")
        await wait_until(pilot, lambda: "Still running" in shown(status), what="the refusal")
        await wait_until(pilot, lambda: screen.results, what="the first run to finish", timeout=60)
        result = json.loads(screen.query_one("#tool-json", TextArea).text)
        assert (result["status"], result["stdout"]) == ("ok", "first finished\n")  # not cancelled
        await pilot.press("ctrl+q")
        await wait_until(pilot, app.session_closed.is_set, what="the session to close")


async def test_status_line_shows_messages_as_written(runtime_url, home):
    app = WorkbenchApp(session=Session(url=runtime_url))
    async with app.run_test(size=(140, 44)) as pilot:
        screen = await open_view(pilot, app)
        app.session.close()  # the sandbox goes away while the view is open
        screen.query_one("#tool-input", TextArea).load_text('{"code": "1"}')
        await pilot.press("f5")
        await wait_until(pilot, lambda: not screen.running, what="the run to give up")
        await wait_until(pilot, lambda: "Could not run" in shown(screen.query_one("#tool-status", Static)))
        assert app.is_running and app.screen is screen
        said = shown(screen.query_one("#tool-status", Static))
        assert "Could not run: The session is closed." in said
        # whatever a message holds is shown as written, never read as markup
        screen._status("The session is closed [/not markup] [b]really[/b].", "Could not run:", "red")
        said = shown(screen.query_one("#tool-status", Static))
        assert "Could not run: The session is closed [/not markup] [b]really[/b]." in said
        await pilot.press("ctrl+q")
        await wait_until(pilot, app.session_closed.is_set, what="the session to close")


async def test_ctrl_a_selects_the_whole_call_as_in_the_editor(runtime_url, home):
    """Textual's TextArea moves to the line's start on Ctrl+A: "select all, paste the next
    call" put the new call in front of the old one and ran both as one broken input."""
    app = WorkbenchApp(session=Session(url=runtime_url))
    async with app.run_test(size=(140, 44)) as pilot:
        await wait_ready(pilot)
        await pilot.press("f12")
        await wait_until(pilot, lambda: isinstance(app.screen, ToolCallScreen), what="the tool-call view")
        field = app.screen.query_one("#tool-input", TextArea)
        await pilot.press(*"first call", "enter", *"second line")
        await pilot.press("ctrl+a")
        assert field.selected_text == "first call\nsecond line"
        await pilot.press(*"x = 1")  # typing replaces the selection, as a paste does
        assert field.text == "x = 1"
        await pilot.press("escape")
