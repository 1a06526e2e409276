"""Every key and start-up behaviour of the app that has no other test, driven with Pilot.

Each test waits on what the key must change (a screen, a widget's state, a record, a
notification), never on a fixed pause.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from textual.notifications import Notification

from tui.actions import ACTIONS, readme_tables
from tui.app import WorkbenchApp
from tui.core.config import load_config
from tui.core.session import Session
from tui.demo import quit_app, run_and_wait, type_code, wait_ready, wait_until
from tui.screens.prompt import PromptScreen
from tui.widgets.output_log import RunBlock

pytestmark = pytest.mark.timeout(180)
README = Path(__file__).parent.parent / "README.md"


def make_app(runtime_url: str, **config) -> WorkbenchApp:
    return WorkbenchApp(session=Session(url=runtime_url), config=load_config(overrides=config))


def notices(app: WorkbenchApp) -> list[Notification]:
    return list(app._notifications)


def noticed(app: WorkbenchApp, text: str, title: str | None = None) -> bool:
    return any(text in n.message and (title is None or n.title == title) for n in notices(app))


# -- the action table is the documentation ------------------------------------------------


def test_the_readme_key_tables_are_the_action_table() -> None:
    text = README.read_text()
    found = re.search(r"<!-- keys:start -->\n(.*?)\n<!-- keys:end -->", text, re.S)
    assert found, "README lost its keys section markers"
    assert found.group(1).strip() == readme_tables().strip(), "run `python -m tui.actions` and paste it"


def test_every_binding_id_is_unique_and_every_action_exists() -> None:
    from tui.controllers.sandbox import SandboxController  # noqa: F401 - the palette's targets
    from tui.screens.cockpit import CockpitScreen
    from tui.screens.main import MainScreen
    from tui.widgets.editor import CodeEditor
    from tui.widgets.files import FilesPane
    from tui.widgets.output_log import RunBlock
    from tui.widgets.sidebar import ContextSidebar
    from tui.widgets.terminal import TerminalView

    ids = [a.binding_id for a in ACTIONS if a.keys]
    assert len(ids) == len(set(ids))
    owners = {
        "main": MainScreen,
        "block": RunBlock,
        "sidebar": ContextSidebar,
        "app": WorkbenchApp,
        "editor": CodeEditor,
        "files": FilesPane,
        "terminal": TerminalView,
        "cockpit": CockpitScreen,
    }
    for action in ACTIONS:
        name = action.action.split("(")[0]
        if name.startswith("screen."):
            owner, name = MainScreen, name.removeprefix("screen.")
        else:
            owner = owners[action.scope]
        assert hasattr(owner, f"action_{name}"), f"{action.id}: {owner.__name__} has no action_{name}"


def test_every_alt_letter_binding_reaches_the_app_from_a_real_terminal() -> None:
    """A terminal sends Alt+letter as ESC and the letter; Textual's parser reads some of those
    as other keys (ESC b is Ctrl+Left, ESC f Ctrl+Right, as in readline), so a binding on them
    works under Pilot and never in tmux. Feed each bound Alt+letter through the parser."""
    from textual._xterm_parser import XTermParser

    lost = []
    for action in ACTIONS:
        for key in (action.keys or "").split(","):
            if re.fullmatch(r"alt\+[a-z]", key):
                parser = XTermParser()
                events = [*parser.feed("\x1b" + key[-1]), *parser.feed("")]
                got = [getattr(event, "key", None) for event in events]
                if got != [key]:
                    lost.append(f"{action.binding_id}: {key} arrives as {got}")
    assert not lost, lost


# -- keys ---------------------------------------------------------------------------------


async def test_f4_sets_the_run_timeout_that_the_next_run_obeys(runtime_url, home):
    app = make_app(runtime_url)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot)
        await pilot.press("f4")
        await wait_until(pilot, lambda: isinstance(app.screen, PromptScreen), what="the timeout prompt")
        app.screen.query_one("#value").value = "1.5"
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.config.run_timeout == 1.5, what="the new timeout")
        record = await run_and_wait(pilot, "import time\ntime.sleep(30)")
        assert record.status == "timeout"
        assert "Timed out after 1.5 s" in record.failure
        await quit_app(pilot)


async def test_ctrl_o_moves_focus_sidebar_editor_log(runtime_url, home):
    app = make_app(runtime_url)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot)
        main = app.main
        record = await run_and_wait(pilot, "print('a block to land on')")
        assert app.focused is main.editor_pane.current()
        await pilot.press("ctrl+o")
        assert isinstance(app.focused, RunBlock) and app.focused.record is record
        await pilot.press("ctrl+o")
        assert app.focused is main.sidebar.list_view
        await pilot.press("ctrl+o")
        assert app.focused is main.editor_pane.current()
        await quit_app(pilot)


async def test_f9_hides_the_sidebar_and_focus_skips_it(runtime_url, home):
    app = make_app(runtime_url)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot)
        main = app.main
        await pilot.press("f9")
        side = main.query_one("#side")
        await wait_until(pilot, lambda: not side.display, what="the sidebar to hide")
        await pilot.press("ctrl+o", "ctrl+o")
        assert app.focused is main.editor_pane.current()  # log (empty), then back: never the sidebar
        await pilot.press("f9")
        await wait_until(pilot, lambda: side.display, what="the sidebar to show")
        await quit_app(pilot)


async def test_buffers_switch_close_and_keep_their_text(runtime_url, home):
    app = make_app(runtime_url)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot)
        pane = app.main.editor_pane
        await type_code(pilot, "first = 1")
        await pilot.press("ctrl+n")
        await wait_until(pilot, lambda: len(pane.editors()) == 2, what="a second buffer")
        await type_code(pilot, "second = 2")
        assert pane.active_index() == 1
        await pilot.press("ctrl+pageup")
        await wait_until(pilot, lambda: pane.active_index() == 0, what="the first buffer")
        assert pane.current().text == "first = 1"
        await pilot.press("ctrl+pagedown")
        await wait_until(pilot, lambda: pane.active_index() == 1, what="the second buffer")
        assert pane.current().text == "second = 2"
        await app.main.run_action("close_buffer")
        await wait_until(pilot, lambda: len(pane.editors()) == 1, what="the buffer to close")
        assert pane.current().text == "first = 1"
        await app.main.run_action("close_buffer")
        await wait_until(pilot, lambda: noticed(app, "The last buffer stays open"))
        assert len(pane.editors()) == 1
        await quit_app(pilot)


async def test_maximize_pane_and_restore(runtime_url, home):
    app = make_app(runtime_url)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot)
        editor = app.main.editor_pane.current()
        await app.main.run_action("maximize_pane")
        maximized = app.main.maximized
        assert maximized is not None and editor in maximized.query("CodeEditor")  # the editor's tabs
        await app.main.run_action("maximize_pane")
        assert app.main.maximized is None
        await quit_app(pilot)


async def test_ctrl_l_clears_finished_blocks(runtime_url, home):
    app = make_app(runtime_url)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot)
        await run_and_wait(pilot, "print('to be cleared')")
        assert app.main.log_view.blocks
        await pilot.press("ctrl+l")
        assert not app.main.log_view.blocks and not app.runbook.records
        await quit_app(pilot)


async def test_e_on_a_block_puts_its_code_in_the_editor(runtime_url, home):
    app = make_app(runtime_url)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot)
        record = await run_and_wait(pilot, "x = 6 * 7\nx")
        await type_code(pilot, "something else")
        app.main.log_view.blocks[record.seq].focus()
        await pilot.press("e")
        await wait_until(pilot, lambda: app.main.editor_pane.current().text == "x = 6 * 7\nx")
        await quit_app(pilot)


async def test_palette_runs_actions(runtime_url, home):
    app = make_app(runtime_url)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot)
        commands = {c.title for c in app.get_system_commands(app.main)}
        assert {"Run", "New context", "Restart context", "Close buffer", "Switch to cloud"} <= commands
        assert "Kill sandbox" not in commands  # cloud-only commands stay out locally
        await type_code(pilot, "print('from the palette')")
        run = next(c for c in app.get_system_commands(app.main) if c.title == "Run")
        await run.callback()
        await wait_until(pilot, lambda: app.runbook.records, what="the run")
        record = app.runbook.latest()
        await wait_until(pilot, lambda: not record.running)
        assert "from the palette" in record.full_output()
        await quit_app(pilot)


# -- start-up: keymap, theme, config problems ----------------------------------------------


async def test_keymap_and_theme_from_config_apply(runtime_url, home):
    app = make_app(runtime_url, keymap="run=f10", theme="textual-light")
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot)
        assert app.theme == "textual-light"
        record = await run_and_wait(pilot, "print('bound to f10')", key="f10")
        assert "bound to f10" in record.full_output()
        before = set(app.runbook.records)
        await pilot.press("f5")  # no longer bound
        assert set(app.runbook.records) == before
        await quit_app(pilot)


async def test_config_problems_and_a_bad_theme_are_reported_at_start(runtime_url, home):
    config_file = home / "config" / "config.toml"
    config_file.parent.mkdir(parents=True)
    config_file.write_text(
        'run_timeout = "soon"\ntheme = "no-such-theme"\n[keymap]\nno_such_action = "f11"\n'
    )
    app = WorkbenchApp(session=Session(url=runtime_url))
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: len(notices(app)) >= 3, what="the config notices")
        assert noticed(app, "run_timeout must be a number of seconds", "Config")
        assert noticed(app, "Unknown theme 'no-such-theme'", "Config")
        assert noticed(app, "no_such_action", "Config")
        assert app.theme == "textual-dark"
        await wait_ready(pilot)
        await quit_app(pilot)


# -- failures said where they happen ----------------------------------------------------------


async def test_a_runtime_that_cannot_start_is_reported(home):
    app = WorkbenchApp(session=Session(url="http://127.0.0.1:9/nothing-listens-here"))
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: noticed(app, "", "Runtime failed to start"), timeout=60)
        assert noticed(app, "Cannot reach the runtime", "Runtime failed to start")
        assert "runtime not running" in app.sub_title
        await pilot.press("f5")
        await wait_until(pilot, lambda: noticed(app, "The runtime is not running yet."))
        assert not app.runbook.records
        await quit_app(pilot)
    assert app.return_code == 0


async def test_a_run_that_cannot_start_ends_failed_and_frees_its_context(runtime_url, home):
    app = make_app(runtime_url)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot)
        entry = app.main.current_context()
        app.session.close()  # the sandbox went away under the app
        await type_code(pilot, "print('never runs')")
        await pilot.press("f5")
        record = app.runbook.latest()
        assert record is not None and record.status == "failed"
        assert "The session is closed." in record.failure
        assert entry.state == "idle" and entry.running == 0
        block = app.main.log_view.blocks[record.seq]
        assert not block.has_class("-running") and block.has_class("-error")
        assert record.seq not in app.runbook.futures
        await quit_app(pilot)


async def test_a_kernel_that_dies_is_reported(runtime_url, home):
    app = make_app(runtime_url)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot)
        entry = app.runbook.add(await app.session.create_context("python"))
        app.main.bind(app.main.editor_pane.current(), entry)
        record = await run_and_wait(pilot, "import os, signal\nos.kill(os.getpid(), signal.SIGKILL)")
        assert record.error is not None and record.error.name == "ContextRestarting"
        await wait_until(pilot, lambda: noticed(app, "kernel died", "Kernel died"))
        assert entry.state == "idle" and "kernel died" in entry.note  # back already, fresh
        after = await run_and_wait(pilot, "print('back')")
        assert after.status == "ok" and entry.state == "idle"
        await app.session.remove_context(entry.id)
        await quit_app(pilot)


# -- only what is used starts ------------------------------------------------------------------


async def test_launch_starts_python_only_and_a_language_starts_when_first_run(home, tmp_path):
    app = WorkbenchApp(session=Session(cwd=str(tmp_path)))  # its own runtime, started by the app
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot)
        await wait_until(pilot, lambda: not any(c.placeholder for c in app.runbook.contexts.values()))
        assert {c.language for c in app.runbook.contexts.values()} == {"python"}
        editor = app.main.editor_pane.current()
        editor.apply_language("bash")
        await type_code(pilot, "echo started on demand")
        await pilot.press("f5")
        await wait_until(pilot, lambda: noticed(app, "Starting a bash context"), what="the notice")
        await wait_until(pilot, lambda: app.runbook.records, timeout=120, what="the run, once bash is up")
        record = app.runbook.latest()
        await wait_until(pilot, lambda: not record.running, timeout=60)
        assert record.language == "bash" and "started on demand" in record.full_output()
        await quit_app(pilot)
    assert app.return_code == 0


# -- smaller defects (issue 14, section 3) -------------------------------------------------------


async def test_history_filters_as_you_type_and_arrows_move(runtime_url, home):
    from tui.screens.history import HistoryScreen

    app = make_app(runtime_url)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot)
        await run_and_wait(pilot, "print('alpha run')")
        await run_and_wait(pilot, "print('beta run')")
        await pilot.press("f3")
        await wait_until(pilot, lambda: isinstance(app.screen, HistoryScreen), what="the history")
        screen = app.screen
        assert len(screen.entries) == 2
        await pilot.press(*"alpha")  # typing filters at once: the filter has the focus
        await wait_until(pilot, lambda: len(screen.entries) == 1, what="the filter")
        assert "alpha" in screen.entries[0].code
        await pilot.press("backspace", "backspace", "backspace", "backspace", "backspace")
        await wait_until(pilot, lambda: len(screen.entries) == 2, what="the filter cleared")
        table = screen.query_one("#history-table")
        await pilot.press("down")
        assert table.cursor_row == 1
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.main.editor_pane.current().text == "print('alpha run')")
        await quit_app(pilot)


async def test_f12_opens_with_a_placeholder_not_a_sample_in_the_text(runtime_url, home):
    from textual.widgets import TextArea

    from tui.screens.tool_call import ToolCallScreen

    app = make_app(runtime_url)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot)
        await pilot.press("f12")
        await wait_until(pilot, lambda: isinstance(app.screen, ToolCallScreen), what="the tool-call view")
        box = app.screen.query_one("#tool-input", TextArea)
        assert box.text == "" and "run_code" in str(box.placeholder)
        await pilot.press("escape")
        await quit_app(pilot)


async def test_the_remove_dialog_says_which_key_confirms(runtime_url, home):
    from textual.widgets import Label

    from tui.screens.confirm import ConfirmScreen

    app = make_app(runtime_url)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot)
        await app.main.run_action("remove_context")
        await wait_until(
            pilot,
            lambda: isinstance(app.screen, ConfirmScreen) and app.screen.query("#confirm-keys"),
            what="the question",
        )
        keys = str(app.screen.query_one("#confirm-keys", Label).content)
        assert "y: Remove" in keys and "Esc" in keys
        await pilot.press("n")
        await wait_until(pilot, lambda: not isinstance(app.screen, ConfirmScreen))
        assert app.main.current_context() is not None  # not removed
        await quit_app(pilot)


def test_the_output_cache_is_pruned_oldest_first_to_the_setting(tmp_path, monkeypatch) -> None:
    import os
    import time

    from tui.core.cache import prune_output_cache, runs_dir

    monkeypatch.setenv("E2B_WORKBENCH_HOME", str(tmp_path))
    now = time.time()
    folders = []
    for n, age in enumerate((5000, 4000, 3000, 30)):  # seconds ago; the last one is recent
        folder = runs_dir() / f"session-{n}"
        folder.mkdir(parents=True)
        (folder / "run-1.txt").write_bytes(b"x" * 1024 * 1024)  # 1 MB each
        for path in (folder / "run-1.txt", folder):
            os.utime(path, (now - age, now - age))
        folders.append(folder)
    current = runs_dir() / "current"
    current.mkdir()
    (current / "run-1.txt").write_bytes(b"x" * 1024 * 1024)
    os.utime(current / "run-1.txt", (now - 9000, now - 9000))
    os.utime(current, (now - 9000, now - 9000))
    done = prune_output_cache(2.5, current=current, now=now)
    # 5 MB: the oldest go until 2.5 MB are left; this session's folder and a recent one stay
    assert done.removed == 3 and not folders[0].exists() and not folders[1].exists()
    assert not folders[2].exists() and folders[3].exists() and current.exists()
    assert done.kept == 2 * 1024 * 1024
    assert prune_output_cache(0, current=current, now=now).removed == 0  # the recent one stays


def test_output_cache_setting_is_read_and_checked(tmp_path) -> None:
    config_file = tmp_path / "config.toml"
    config_file.write_text("output_cache_mb = 50\n")
    assert load_config(config_file).output_cache_mb == 50
    config_file.write_text('output_cache_mb = "lots"\n')
    bad = load_config(config_file)
    assert bad.output_cache_mb == 200 and "output_cache_mb must be a number of megabytes" in bad.problems[0]


async def test_keys_typed_as_a_dialog_opens_land_in_its_field(runtime_url, home):
    from textual import events

    app = make_app(runtime_url)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot)
        app.config.run_timeout = 0
        await app.main.run_action("set_timeout")  # opens the prompt, whose field has "0"
        for key in "25":  # typed at once, before the field has focus
            app.post_message(events.Key(key, key))
        await wait_until(pilot, lambda: isinstance(app.screen, PromptScreen) and app.screen.focused is not None)
        field = app.screen.query_one("#value")
        await wait_until(pilot, lambda: "25" in field.value, what=f"the keys in the field ({field.value!r})")
        await pilot.press("escape")
        await quit_app(pilot)


async def test_keys_sent_at_once_act_in_the_order_sent(runtime_url, home):
    """What a terminal delivers in one read (tmux's `send-keys C-a 'code' F5`, a fast typist, a
    macro): select all, the new code, then run. F5 is the screen's priority key and Ctrl+A the
    editor's own: each must act after the keys before it, so the run gets the new code (it ran
    the old text, and Ctrl+A selected what had just been typed)."""
    from textual import events

    app = make_app(runtime_url)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot)
        editor = app.main.editor_pane.current()
        app.set_focus(editor)
        await wait_until(pilot, lambda: app.focused is editor)
        before = set(app.runbook.records)
        code = "print(6 * 7)"
        keys = [events.Key("ctrl+a", None), *(events.Key(c, c) for c in code), events.Key("f5", None)]
        for key in keys:  # all queued before any is handled, as one read from the terminal does
            app.post_message(key)
        await wait_until(pilot, lambda: set(app.runbook.records) - before, what="a run")
        (new,) = set(app.runbook.records) - before
        record = app.runbook.records[new]
        assert record.code == code
        await wait_until(pilot, lambda: not record.running, what="the run's end")
        assert "42" in record.full_output()
        assert editor.text == code
        await quit_app(pilot)
