"""SVG snapshots of the real app (pytest-textual-snapshot) against the session's runtime.

Create or update them with `pytest tests/test_snapshots.py --snapshot-update`; they are
kept in tests/__snapshots__/. snap_compare runs the app on its own event loop, so the
tests are sync functions and the driving happens in `run_before`.

What differs from run to run is pinned before the picture: `tui.demo.freeze` (ids,
paths, URL, durations) plus, here, what it does not cover: the shared runtime holds
contexts of other tests (and their execution counts), so each test makes fresh contexts
and shows only those; the languages line depends on the machine; cursors blink;
notifications time out.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.pilot import Pilot

from tui.app import WorkbenchApp
from tui.common.languages import NAMES
from tui.core.session import Session
from tui.demo import hold_still, run_and_wait, wait_ready, wait_until
from tui.screens.chart import ChartScreen
from tui.screens.new_context import NewContextScreen
from tui.screens.preview import PreviewScreen

from .conftest import require_language

pytestmark = pytest.mark.timeout(180)

SIZE = (120, 40)
LANGUAGES = ("python", "javascript")
RUNS = [
    "print('hello from the workbench')",
    "{'name': 'e2b', 'ok': True}",
    "1 / 0",
]
CHART = (
    "import matplotlib.pyplot as plt\nplt.close('all')\nfig, ax = plt.subplots()\n"
    "ax.plot([1, 2, 3, 4], [3, 5, 4, 6], label='north')\n"
    "ax.plot([1, 2, 3, 4], [1, 2, 4, 3], label='south')\n"
    "ax.set_title('Sales'); ax.set_xlabel('quarter'); ax.set_ylabel('revenue (k€)')\n"
    "ax.legend()\nplt.show()"
)


@pytest.fixture
def app(runtime_url: str, tmp_path: Path, monkeypatch) -> Iterator[WorkbenchApp]:
    """The app on the shared runtime, with its own buffers, history and config."""
    for language in LANGUAGES:
        require_language(language)
    monkeypatch.setenv("E2B_WORKBENCH_HOME", str(tmp_path / "home"))
    app = WorkbenchApp(session=Session(url=runtime_url))
    created: list[str] = []
    app.fresh_contexts = created  # type: ignore[attr-defined]
    yield app
    # snap_compare ends the app with exit(), not Ctrl+Q: remove our contexts, close the session
    session = app.session

    async def remove_all() -> None:
        for context_id in created:
            try:
                await session.remove_context(context_id)
            except Exception:  # noqa: BLE001 - cleanup of a shared runtime, best effort
                pass

    if session.is_open:
        asyncio.run(remove_all())
    session.close()


async def fresh_contexts(pilot: Pilot) -> WorkbenchApp:
    """Wait for the app, then show only new contexts (one per language), made here."""
    app = await wait_ready(pilot, LANGUAGES)
    assert isinstance(app, WorkbenchApp)
    await wait_until(
        pilot,
        lambda: not any(c.placeholder for c in app.runbook.contexts.values()),
        what=f"default contexts {[(c.language, c.state) for c in app.runbook.contexts.values()]}",
    )
    fresh = []
    for language in LANGUAGES:
        ctx = await app.session.create_context(language)
        fresh.append(ctx)
        app.fresh_contexts.append(ctx.id)  # type: ignore[attr-defined]
    app.runbook.reset_contexts()
    app.runbook.sync(fresh)
    app.main.bind_buffers()
    app.main.show_contexts()
    await pilot.pause()
    return app


async def still(pilot: Pilot) -> None:
    """Hold the app still, with a languages line that is the same on every machine."""
    app = pilot.app
    assert isinstance(app, WorkbenchApp)
    await hold_still(pilot)
    app.main.sidebar.set_status(f"Languages: {', '.join(NAMES)}")
    await pilot.pause()


def test_main_screen_with_contexts_and_output(snap_compare, app: WorkbenchApp) -> None:
    async def run_before(pilot: Pilot) -> None:
        await fresh_contexts(pilot)
        for code in RUNS:
            await run_and_wait(pilot, code)
        await still(pilot)

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_new_context_modal(snap_compare, app: WorkbenchApp) -> None:
    async def run_before(pilot: Pilot) -> None:
        await fresh_contexts(pilot)
        await pilot.press("f2")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, NewContextScreen), what="the modal")
        await pilot.pause()
        await still(pilot)

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


async def open_chart_artifact(pilot: Pilot, key: str, screen: type) -> None:
    """Run the chart, then open its artifact from its block: p preview, i interactive."""
    app = await fresh_contexts(pilot)
    record = await run_and_wait(pilot, CHART)
    assert record.status == "ok", record.failure
    app.artifacts.graphics = "halfblock"  # the same picture in every terminal
    await still(pilot)
    app.main.log_view.blocks[record.seq].focus()
    await pilot.press(key)
    await wait_until(pilot, lambda: isinstance(app.screen, screen), what=screen.__name__)
    await pilot.pause()


def test_chart_preview_halfblock(snap_compare, app: WorkbenchApp) -> None:
    async def run_before(pilot: Pilot) -> None:
        await open_chart_artifact(pilot, "p", PreviewScreen)

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_interactive_chart(snap_compare, app: WorkbenchApp) -> None:
    async def run_before(pilot: Pilot) -> None:
        await open_chart_artifact(pilot, "i", ChartScreen)
        await pilot.press("down")  # marks the second row's point on the plot
        mark = pilot.app.screen.query_one(".chart-mark")
        await wait_until(pilot, lambda: "north: 2, 5" in str(mark.content), what="the mark")

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)
