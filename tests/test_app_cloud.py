"""The app on E2B cloud, offline: the real SDK, a fake control plane, the local runtime behind a fake edge."""

from __future__ import annotations

import pytest
from textual.command import CommandList, CommandPalette
from textual.widgets import Input

from tests.fake_cloud import GOOD_KEY
from tui.app import WorkbenchApp
from tui.core.session import Session
from tui.core.target import Target
from tui.demo import quit_app, run_and_wait, wait_ready, wait_until
from tui.screens.choice import ChoiceScreen
from tui.screens.confirm import ConfirmScreen
from tui.screens.prompt import PromptScreen

pytestmark = pytest.mark.timeout(180)


def cloud_app(**target) -> WorkbenchApp:
    return WorkbenchApp(session=Session(target=Target(mode="cloud", **target)))


async def palette(pilot, command: str) -> None:
    """Run a command-palette entry the way a person does: ctrl+p, type, enter (on the entry)."""
    app = pilot.app
    await pilot.press("ctrl+p")
    await wait_until(pilot, lambda: isinstance(app.screen, CommandPalette), what="the palette")
    await pilot.press(*command)

    def offered() -> bool:
        found = app.screen.query(CommandList)
        index = found.first().highlighted if found else None
        return index is not None and command in str(found.first().get_option_at_index(index).prompt)

    await wait_until(pilot, offered, what=f"{command!r} highlighted in the palette")
    await pilot.press("enter")
    await wait_until(pilot, lambda: not isinstance(app.screen, CommandPalette), what="the palette to close")


async def test_cloud_header_run_and_kill_on_quit(cloud, home):
    app = cloud_app(sandbox_timeout=600, metadata={"from": "app"})
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot)
        sandbox_id = app.session.sandbox_id
        assert app.sub_title.startswith(f"cloud · {sandbox_id} · ")
        assert app.sub_title.endswith(" left") and ":" in app.sub_title
        record = await run_and_wait(
            pilot, "import os\nprint('hello cloud', os.environ.get('E2B_API_KEY', 'no key here'))\n21 * 2"
        )
        assert record.status == "ok" and "hello cloud" in record.full_output()
        assert "no key here" in record.full_output() and GOOD_KEY not in app.sub_title
        await quit_app(pilot)
    (create,) = cloud.created()
    assert create.body["metadata"] == {"from": "app"} and create.headers["x-api-key"] == GOOD_KEY
    assert cloud.calls("DELETE", f"/sandboxes/{sandbox_id}")
    assert sandbox_id in set(cloud.edge.seen)
    # the API key is never written: not in buffers, history, config or run outputs
    for path in home.rglob("*"):
        if path.is_file():
            assert GOOD_KEY.encode() not in path.read_bytes(), path
    for path in app.session.output_dir.rglob("*"):
        assert GOOD_KEY.encode() not in path.read_bytes(), path


async def test_keep_leaves_the_sandbox_running_and_says_its_id(cloud, home):
    app = cloud_app(keep=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot)
        sandbox_id = app.session.sandbox_id
        await quit_app(pilot)
    assert not cloud.calls("DELETE", "/sandboxes/")
    assert f"--sandbox-id {sandbox_id}" in app.session.closing_note


async def test_extend_and_kill_from_the_palette_then_new_sandbox(cloud, home):
    app = cloud_app(sandbox_timeout=300)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot)
        first = app.session.sandbox_id
        await palette(pilot, "Extend sandbox")
        await wait_until(pilot, lambda: cloud.calls("POST", f"/sandboxes/{first}/timeout"), timeout=30)
        await palette(pilot, "Kill sandbox")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen), timeout=10)
        await pilot.press("y")
        await wait_until(pilot, lambda: cloud.calls("DELETE", f"/sandboxes/{first}"), timeout=30)
        await wait_until(pilot, lambda: "gone" in app.sub_title, timeout=10)
        await palette(pilot, "New sandbox")
        await wait_until(pilot, lambda: len(cloud.created()) == 2 and app.main.ready, timeout=60)
        await wait_ready(pilot)
        assert app.session.sandbox_id != first
        record = await run_and_wait(pilot, "'second sandbox'")
        assert record.status == "ok"
        await quit_app(pilot)
    assert len(cloud.calls("DELETE", "/sandboxes/")) == 2


async def test_expired_sandbox_offers_a_way_out(cloud, home):
    app = cloud_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot)
        editor = app.main.editor_pane.current()
        text_before = editor.text
        first = app.session.sandbox_id
        cloud.edge.gone = True
        cloud.expire(first)
        record = await run_and_wait(pilot, "print('lost')")
        assert record.status == "failed" and "expired or was killed" in record.failure
        await wait_until(pilot, lambda: isinstance(app.screen, ChoiceScreen), timeout=10)
        cloud.edge.gone = False
        await pilot.press("n")
        await wait_until(pilot, lambda: len(cloud.created()) == 2 and app.main.ready, timeout=60)
        await wait_ready(pilot)
        assert not isinstance(app.screen, ChoiceScreen), app.screen_stack
        record = await run_and_wait(pilot, "print('found again')", timeout=30)
        assert record.status == "ok" and "found again" in record.full_output()
        assert app.session.sandbox_id != first
        await quit_app(pilot)
    assert not cloud.calls("DELETE", f"/sandboxes/{first}"), "an expired sandbox needs no kill"
    assert text_before


async def test_rejected_key_is_explained_with_a_way_out(cloud, home, monkeypatch):
    monkeypatch.setenv("E2B_API_KEY", "e2b_rejected")
    app = cloud_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, ChoiceScreen), timeout=60)
        assert "rejected the API key" in app.screen.question
        assert "cloud · no sandbox" == app.sub_title
        await pilot.press("escape")
        await quit_app(pilot)
    assert app.return_code == 0


async def test_switch_to_local_keeps_buffers_and_history(cloud, home):
    app = cloud_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot)
        await run_and_wait(pilot, "'ran on cloud'")
        code = "'ran locally'"
        await palette(pilot, "Switch to local runtime")
        await wait_until(pilot, lambda: app.session.mode == "local" and app.main.ready, timeout=90)
        await wait_ready(pilot)
        assert app.sub_title.startswith("local · 127.0.0.1:")
        record = await run_and_wait(pilot, code)
        assert record.status == "ok"
        assert app.main.editor_pane.current().text == code
        codes = [entry.code for entry in app.history.recent(10)]
        assert "'ran on cloud'" in codes and code in codes
        await quit_app(pilot)
    assert cloud.calls("DELETE", "/sandboxes/"), "leaving the cloud kills the sandbox we created"


async def test_switch_from_local_to_cloud_from_the_palette(cloud, home, runtime_url):
    app = WorkbenchApp(session=Session(url=runtime_url))
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot)
        assert app.sub_title.startswith("local · ")
        await palette(pilot, "Switch to cloud")
        await wait_until(pilot, lambda: app.session.mode == "cloud" and app.main.ready, timeout=60)
        await wait_ready(pilot)
        assert app.sub_title.startswith(f"cloud · {app.session.sandbox_id} · ")
        record = await run_and_wait(pilot, "'now on the cloud'")
        assert record.status == "ok"
        await quit_app(pilot)
    assert len(cloud.created()) == 1 and cloud.calls("DELETE", "/sandboxes/")


async def test_connect_to_a_sandbox_by_id_from_the_palette(cloud, home):
    from e2b_code_interpreter import Sandbox

    other = Sandbox.create(api_key=GOOD_KEY)  # made elsewhere, e.g. by a script
    app = cloud_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot)
        first = app.session.sandbox_id
        await palette(pilot, "Connect to sandbox")
        await wait_until(pilot, lambda: isinstance(app.screen, PromptScreen), what="the id prompt")
        app.screen.query_one(Input).value = other.sandbox_id
        await pilot.press("enter")
        await wait_until(
            pilot, lambda: app.session.sandbox_id == other.sandbox_id and app.main.ready, timeout=60
        )
        await wait_ready(pilot)
        assert cloud.calls("POST", f"/v2/sandboxes/{other.sandbox_id}/connect")
        assert cloud.calls("DELETE", f"/sandboxes/{first}"), (
            "the sandbox the app created is killed on leaving"
        )
        record = await run_and_wait(pilot, "'on the other sandbox'")
        assert record.status == "ok"
        await quit_app(pilot)
    assert not cloud.calls("DELETE", f"/sandboxes/{other.sandbox_id}"), (
        "a sandbox connected by id is left running"
    )


async def test_a_failing_keep_alive_is_reported_once(cloud, home):
    app = cloud_app(sandbox_timeout=3)  # a keep-alive every second
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot)
        cloud.fail_with = 500

        def warned() -> list:
            return [n for n in app._notifications if n.title == "Keep-alive"]

        await wait_until(pilot, warned, timeout=30, what="the keep-alive warning")
        assert "Could not extend the sandbox" in warned()[0].message
        keepalive = app.session.keepalive
        assert keepalive is not None
        failures = len(cloud.calls("POST", f"/sandboxes/{app.session.sandbox_id}/timeout"))
        await wait_until(
            pilot,
            lambda: len(cloud.calls("POST", f"/sandboxes/{app.session.sandbox_id}/timeout")) > failures + 1,
            timeout=30,
            what="more failed keep-alives",
        )
        assert len(warned()) == 1, "the same trouble is said once"
        cloud.fail_with = None
        await quit_app(pilot)


async def test_cloud_cockpit_lists_filters_shows_metrics_and_acts_on_sandboxes(cloud, home):
    from textual.widgets import DataTable, Sparkline

    from tui.screens.cockpit import CockpitScreen

    other = cloud.add(metadata={"team": "data"})
    paused = cloud.add(state="paused", metadata={"team": "web"})
    app = cloud_app(metadata={"team": "data"})
    async with app.run_test(size=(150, 44)) as pilot:
        await wait_ready(pilot)
        current = app.session.sandbox_id
        await pilot.press("f11")
        await wait_until(pilot, lambda: isinstance(app.screen, CockpitScreen), 10, "the cockpit")
        cockpit = app.screen
        await wait_until(pilot, lambda: cockpit.refreshed >= 1, 30, "the list")
        listed = {row.sandbox_id: row.state for row in cockpit.rows}
        assert listed == {current: "running", other.id: "running", paused.id: "paused"}
        table = cockpit.query_one(DataTable)
        marked = [str(table.get_row_at(i)[0]) for i in range(table.row_count)]
        assert marked[[r.sandbox_id for r in cockpit.rows].index(current)] == "▶"
        # metrics of the highlighted sandbox, as sparklines
        await wait_until(pilot, lambda: cockpit.metrics_for, 30, "metrics")
        assert cockpit.query_one("#spark-cpu", Sparkline).data == [10.0, 20.0, 30.0, 40.0, 50.0]
        assert "of 2 cores" in str(cockpit.query_one("#metric-cpu Label").content)
        assert cloud.calls("GET", f"/sandboxes/{cockpit.metrics_for}/metrics")

        # filter by metadata: E2B filters (the fake checks the query the SDK sends)
        await pilot.press("f")
        await wait_until(pilot, lambda: isinstance(app.screen, PromptScreen), 10, "the filter prompt")
        app.screen.query_one(Input).value = "team=web"
        await pilot.press("enter")
        await wait_until(pilot, lambda: [r.sandbox_id for r in cockpit.rows] == [paused.id], 30, "the filter")
        await pilot.press("f")
        await wait_until(pilot, lambda: isinstance(app.screen, PromptScreen), 10, "the filter prompt")
        app.screen.query_one(Input).value = ""
        await pilot.press("enter")
        await wait_until(pilot, lambda: len(cockpit.rows) == 3, 30, "all again")

        def highlight(sandbox_id: str) -> None:
            table.move_cursor(row=[r.sandbox_id for r in cockpit.rows].index(sandbox_id))

        # pause, set the timeout of, and kill another sandbox
        highlight(other.id)
        await pilot.press("p")
        await wait_until(pilot, lambda: cloud.sandboxes[other.id].state == "paused", 30, "the pause")
        await wait_until(
            pilot,
            lambda: {r.sandbox_id: r.state for r in cockpit.rows}[other.id] == "paused",
            30,
            "the new state",
        )
        highlight(other.id)
        await pilot.press("t")
        await wait_until(pilot, lambda: isinstance(app.screen, PromptScreen), 10, "the timeout prompt")
        app.screen.query_one(Input).value = "1200"
        await pilot.press("enter")
        (call,) = cloud.wait_for("POST", f"/sandboxes/{other.id}/timeout")
        assert call.body == {"timeout": 1200}
        highlight(other.id)
        await pilot.press("k")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen), 10, "the question")
        await pilot.press("y")
        cloud.wait_for("DELETE", f"/sandboxes/{other.id}")
        await wait_until(
            pilot, lambda: other.id not in {r.sandbox_id for r in cockpit.rows}, 30, "the list without it"
        )

        # the current sandbox's timeout: the header counts down from the new value
        highlight(current)
        await pilot.press("t")
        await wait_until(pilot, lambda: isinstance(app.screen, PromptScreen), 10, "the timeout prompt")
        app.screen.query_one(Input).value = "3600"
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.session.target.sandbox_timeout == 3600, 30, "the new timeout")
        await wait_until(pilot, lambda: (app.session.seconds_left or 0) > 3500, 10, "the new lifetime")
        await wait_until(
            pilot, lambda: "59:5" in app.sub_title or "1h00m" in app.sub_title, 10, "the countdown"
        )

        # connect to (resume) the paused one: the app moves there, buffers kept
        editor_text = app.main.editor_pane.current().text
        await wait_until(
            pilot, lambda: paused.id in {r.sandbox_id for r in cockpit.rows}, 30, "the paused one"
        )
        highlight(paused.id)
        await pilot.press("c")
        await wait_until(
            pilot, lambda: app.session.sandbox_id == paused.id and app.main.ready, 60, "the switch"
        )
        assert cloud.sandboxes[paused.id].state == "running"
        assert cloud.calls("POST", f"/v2/sandboxes/{paused.id}/connect")
        assert app.main.editor_pane.current().text == editor_text
        assert cloud.calls("DELETE", f"/sandboxes/{current}"), (
            "the sandbox the app created is killed on leaving"
        )
        await quit_app(pilot)
    assert not cloud.calls("DELETE", f"/sandboxes/{paused.id}"), (
        "a sandbox connected to by id is left running"
    )


async def test_pause_from_the_palette_then_resume_and_why_a_sandbox_went_away(cloud, home):
    app = cloud_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot)
        first = app.session.sandbox_id
        await palette(pilot, "Pause sandbox")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen), 10, "the question")
        await pilot.press("y")
        await wait_until(pilot, lambda: isinstance(app.screen, ChoiceScreen), 30, "the way out")
        assert cloud.sandboxes[first].state == "paused" and app.session.paused
        assert "paused" in app.screen.question
        assert any(label == "Resume" for _key, label in app.screen.choices)
        await pilot.press("r")
        await wait_until(pilot, lambda: app.main.ready and app.session.sandbox_id == first, 60, "the resume")
        await wait_ready(pilot)
        assert cloud.sandboxes[first].state == "running"
        record = await run_and_wait(pilot, "'resumed'")
        assert record.status == "ok"

        # killed behind the app's back, before its end time: said so
        cloud.edge.gone = True
        cloud.expire(first)
        record = await run_and_wait(pilot, "print('lost')")
        assert record.status == "failed"
        await wait_until(pilot, lambda: isinstance(app.screen, ChoiceScreen), 30, "the way out")
        assert f"Sandbox {first} was killed (before its end time)." in app.screen.question
        await pilot.press("escape")
        cloud.edge.gone = False
        await quit_app(pilot)


async def test_files_pane_and_terminal_on_a_cloud_sandbox(cloud, home, runtime_cwd):
    """The same SDK calls through E2B's (fake) edge: listing, a watch, a preview, a shell."""
    import uuid
    from pathlib import Path

    from tui.screens.file_preview import FilePreviewScreen

    folder = Path(runtime_cwd, f"cloud-files-{uuid.uuid4().hex[:8]}")
    folder.mkdir()
    (folder / "t.csv").write_text("a\n1\n2\n")
    app = cloud_app()
    async with app.run_test(size=(140, 44)) as pilot:
        await wait_ready(pilot)
        await pilot.press("alt+d")
        pane = app.main.files_pane
        await wait_until(pilot, lambda: str(folder) in pane.nodes, 30, "the home listed")
        pane.tree.move_cursor(pane.nodes[str(folder)])
        pane.tree.focus()
        await pilot.press("enter")
        await wait_until(pilot, lambda: str(folder / "t.csv") in pane.nodes, 30, "the folder listed")
        (folder / "new.txt").write_text("hi")
        await wait_until(
            pilot, lambda: str(folder / "new.txt") in pane.nodes, 30, "the watch through the edge"
        )
        pane.tree.move_cursor(pane.nodes[str(folder / "t.csv")])
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, FilePreviewScreen), 30, "the preview")
        assert app.screen.preview.row_count == 2
        await pilot.press("escape")

        await pilot.press("f10")
        view = app.main.terminal_view
        await wait_until(pilot, lambda: app.terminal.running and view.fed, 30, "the shell")
        await pilot.press(*"echo cloud-$((6*7))", "enter")
        await wait_until(pilot, lambda: "cloud-42" in view.text(), 30, "the shell's answer")
        sandbox_id = app.session.sandbox_id
        await pilot.press("ctrl+right_square_bracket")
        await quit_app(pilot)
    assert sandbox_id in set(cloud.edge.seen)
