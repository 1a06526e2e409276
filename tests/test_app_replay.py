"""Export, replay and fan-out in the app, driven with Pilot against the real local runtime."""

from __future__ import annotations

import nbformat
import pytest
from textual.widgets import Input, Select, Static

from tests.test_app_cloud import palette
from tui.app import WorkbenchApp
from tui.core.session import Session
from tui.demo import quit_app, run_and_wait, type_code, wait_ready, wait_until
from tui.screens.choice import ChoiceScreen
from tui.screens.export import ExportScreen
from tui.screens.fanout import FanOutScreen
from tui.screens.replay import ReplayScreen

pytestmark = pytest.mark.timeout(240)


def make_app(runtime_url: str) -> WorkbenchApp:
    return WorkbenchApp(session=Session(url=runtime_url))


async def test_fan_out_across_three_contexts_marks_the_one_that_differs(runtime_url, home):
    app = make_app(runtime_url)
    async with app.run_test(size=(150, 45)) as pilot:
        await wait_ready(pilot)
        for _ in range(2):
            app.main.create_context("python", "", bind=False)

        def pythons():
            return [c for c in app.runbook.live_contexts() if c.language == "python"]

        await wait_until(pilot, lambda: len(pythons()) >= 3, what="three python contexts")
        contexts = pythons()[:3]
        # the same name holds another value in the third context
        setup = [
            app.main.run_in(f"x = {value}", entry) for entry, value in zip(contexts, (1, 1, 2), strict=True)
        ]
        await wait_until(pilot, lambda: not any(r.running for r in setup), what="the set-up runs")
        # mark the three in the sidebar, with the key a person uses
        app.main.show_contexts()
        await pilot.pause()
        listing = app.main.sidebar.list_view
        listing.focus()
        ids = [item.info.id for item in listing.children]
        for entry in contexts:
            listing.index = ids.index(entry.id)
            await pilot.press("space")
        assert all(entry.marked for entry in contexts)

        await type_code(pilot, "print('x is', x)\nx * 10")
        await pilot.press("alt+m")
        await wait_until(pilot, lambda: isinstance(app.screen, FanOutScreen), what="the fan-out view")
        screen = app.screen
        await wait_until(pilot, lambda: screen.result is not None, what="every lane to end")
        columns = list(screen.query(".lane"))
        assert len(columns) == 3
        labels = [lane.label for lane in screen.fanout.lanes]
        assert labels == [entry.label for entry in contexts]
        assert screen.result.marks == [[], [], ["stdout", "results"]]
        assert [c.has_class("-differs") for c in columns] == [False, False, True]
        header = str(columns[2].query_one(".lane-header", Static).content)
        assert "differs in stdout, results" in header
        summary = str(screen.query_one("#fanout-summary").content)
        assert contexts[2].label in summary
        # the lanes are ordinary runs: in the log too
        assert {r.code for r in app.runbook.records.values()} >= {"print('x is', x)\nx * 10"}
        await pilot.press("escape")
        await wait_until(pilot, lambda: not isinstance(app.screen, FanOutScreen), what="closing")
        await quit_app(pilot)


async def test_export_then_replay_from_the_app(runtime_url, home, tmp_path):
    app = make_app(runtime_url)
    async with app.run_test(size=(140, 45)) as pilot:
        await wait_ready(pilot)
        await run_and_wait(pilot, "print('hello', object())\n21 * 2")
        await run_and_wait(pilot, "import sys\nprint('warn', file=sys.stderr)")

        await pilot.press("alt+e")
        await wait_until(pilot, lambda: isinstance(app.screen, ExportScreen), what="the export dialog")
        path = tmp_path / "session.ipynb"
        app.screen.query_one("#export-path", Input).value = str(path)
        await pilot.press("ctrl+s")
        await wait_until(pilot, path.exists, what="the notebook")
        await wait_until(pilot, lambda: not isinstance(app.screen, ExportScreen), what="the dialog to close")
        nb = nbformat.read(path, as_version=4)
        nbformat.validate(nb)
        assert [c.source for c in nb.cells] == [
            "print('hello', object())\n21 * 2",
            "import sys\nprint('warn', file=sys.stderr)",
        ]

        # the same runs, chosen from the history (with their outputs kept)
        await pilot.press("alt+e")
        await wait_until(pilot, lambda: isinstance(app.screen, ExportScreen), what="the export dialog")
        app.screen.query_one("#picker-source", Select).value = "history"
        picker = app.screen.picker
        await wait_until(
            pilot, lambda: picker.source == "history" and len(picker.chosen()) == 2, what="history"
        )
        assert all(step.has_original for step in picker.chosen())
        assert picker.chosen()[0].transcript.results[0].text == "42"
        await pilot.press("escape")
        await wait_until(pilot, lambda: not isinstance(app.screen, ExportScreen), what="the dialog to close")

        # replay the log's runs in fresh contexts of this sandbox: every step matches
        await pilot.press("alt+r")
        await wait_until(pilot, lambda: isinstance(app.screen, ReplayScreen), what="the replay view")
        screen = app.screen
        await pilot.press("f5")
        await wait_until(pilot, lambda: screen.report is not None, what="the replay")
        assert [o.verdict for o in screen.report.outcomes] == ["same", "same"]
        assert "every step matched" in str(screen.query_one("#replay-summary").content)

        # a notebook whose output was changed: the step differs, with its diff
        nb.cells[0].outputs[0].text = "hello there\n"
        nbformat.write(nb, path)
        await pilot.press("f2")  # choose again
        screen.query_one("#picker-source", Select).value = "file"
        await pilot.pause()
        screen.query_one("#picker-path", Input).value = str(path)
        screen.query_one("#picker-path", Input).focus()
        await pilot.press("enter")
        await wait_until(pilot, lambda: len(screen.picker.steps) == 2, what="the notebook's steps")
        await pilot.press("f5")
        await wait_until(pilot, lambda: screen.report is not None, what="the second replay")
        first = screen.report.outcomes[0]
        assert first.verdict == "different" and first.comparison.different == ["stdout"]
        diff = str(screen.query_one("#replay-diff", Static).content)
        assert "-stdout | hello there" in diff and "+stdout | hello <object object at 0x…>" in diff
        assert "not every step matched" in str(screen.query_one("#replay-summary").content)
        await pilot.press("escape")
        await quit_app(pilot)


async def test_fan_out_to_a_cloud_sandbox_beside_the_local_one(runtime_url, cloud, home):
    app = make_app(runtime_url)  # the app on the local runtime; E2B_API_KEY set (the fake cloud)
    async with app.run_test(size=(140, 45)) as pilot:
        await wait_ready(pilot)
        await type_code(pilot, "import sys\nprint(sys.version_info[0])\n6 * 7")
        await palette(pilot, "Fan out to another sandbox")
        await wait_until(pilot, lambda: isinstance(app.screen, ChoiceScreen), what="the choice")
        await pilot.press("c")
        await wait_until(pilot, lambda: isinstance(app.screen, FanOutScreen), what="the fan-out view")
        screen = app.screen
        await wait_until(pilot, lambda: screen.result is not None, what="both lanes to end")
        assert [lane.label.split(" · ")[0] for lane in screen.fanout.lanes][1] == "E2B cloud"
        assert len(screen.query(".lane")) == 2
        assert screen.result.all_same, screen.result.diffs
        assert "All 2 lanes that ran produced the same output" in str(
            screen.query_one("#fanout-summary").content
        )
        assert len(cloud.created()) == 1
        await pilot.press("escape")
        await wait_until(pilot, lambda: not isinstance(app.screen, FanOutScreen), what="closing")
        sandbox_id = screen.sandboxes[0].session.sandbox_id
        await wait_until(
            pilot, lambda: cloud.calls("DELETE", f"/sandboxes/{sandbox_id}"), what="the cloud sandbox killed"
        )
        await quit_app(pilot)
