"""SVG snapshots of the real app (pytest-textual-snapshot) against the session's runtime.

Create or update them with `pytest tests/test_snapshots.py --snapshot-update`; they are
kept in tests/__snapshots__/. snap_compare runs the app on its own event loop, so the
tests are sync functions and the driving happens in `run_before`.

What differs from run to run is pinned before the picture: `tui.demo.freeze` (ids,
paths, URL, durations) plus, here, what it does not cover yet: the shared runtime
holds contexts of other tests (and their execution counts), so each test makes fresh
contexts and shows only those; the languages line depends on the machine; cursors blink;
notifications time out.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from textual.css.query import NoMatches
from textual.pilot import Pilot
from textual.widgets import Input, TextArea

from tui.app import WorkbenchApp
from tui.core.session import ALL_LANGUAGES, Session
from tui.demo import freeze, run_and_wait, wait_ready, wait_until
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


def quiet_on_shutdown(tick: Callable[[], None]) -> Callable[[], None]:
    """WorkbenchApp._tick queries the sidebar every 0.1 s, also while snap_compare's exit()
    is tearing the screen down, where the query raises NoMatches and fails the picture."""

    def guarded() -> None:
        try:
            tick()
        except NoMatches:
            pass

    return guarded


@pytest.fixture
def app(runtime_url: str, tmp_path: Path, monkeypatch) -> Iterator[WorkbenchApp]:
    """The app on the shared runtime, with its own buffers, history and config."""
    for language in LANGUAGES:
        require_language(language)
    monkeypatch.setenv("E2B_WORKBENCH_HOME", str(tmp_path / "home"))
    app = WorkbenchApp(session=Session(url=runtime_url))
    app._tick = quiet_on_shutdown(app._tick)  # type: ignore[method-assign]
    created: list[str] = []
    app.fresh_contexts = created  # type: ignore[attr-defined]
    yield app
    # snap_compare ends the app with exit(), not Ctrl+Q: remove our contexts, close the session
    session = app.session
    for context_id in created:
        try:
            session.submit(session.remove_context(context_id)).result(timeout=30)
        except Exception:  # noqa: BLE001 - cleanup of a shared runtime, best effort
            pass
    session.close()


async def fresh_contexts(pilot: Pilot) -> WorkbenchApp:
    """Wait for the app, then show only new contexts (one per language), made here."""
    app = await wait_ready(pilot, LANGUAGES)
    assert isinstance(app, WorkbenchApp)
    await wait_until(pilot, lambda: not app.starting, what="default contexts to start")
    fresh = {}
    for language in LANGUAGES:
        info = await app._call(app.session.create_context(language))
        fresh[info.id] = info
        app.fresh_contexts.append(info.id)  # type: ignore[attr-defined]
    app.session.contexts.clear()
    app.session.contexts.update(fresh)
    app._bind_buffers()
    app._show_contexts()
    await pilot.pause()
    return app


async def still(pilot: Pilot) -> None:
    """Freeze, and stop what moves by itself: blinking cursors, toasts, timers, the languages line."""
    app = pilot.app
    assert isinstance(app, WorkbenchApp)
    if app._save_timer is not None:  # a pending save would fire while snap_compare shuts the app
        app._save_timer.stop()
    app.save_buffers()
    app.sidebar.set_status(f"Languages: {', '.join(ALL_LANGUAGES)}")
    for screen in app.screen_stack:
        for widget in screen.query("TextArea, Input"):
            assert isinstance(widget, TextArea | Input)
            widget.cursor_blink = False  # shows the cursor (if focused) but does not repaint it
            widget.refresh()
    freeze(app)
    await pilot.pause(0.2)
    # freeze renamed the contexts, so the sidebar rebuilt its list, and its highlight can land
    # on an old item being removed (ContextSidebar.show races ListView.clear): highlight again
    app.sidebar.list_view.index = None
    app._show_contexts()
    app.clear_notifications()
    await pilot.pause(0.2)


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
    app.graphics = "halfblock"  # the same picture in every terminal
    await still(pilot)
    app.log_view.blocks[record.seq].focus()
    await pilot.press(key)
    await wait_until(pilot, lambda: isinstance(app.screen, screen), what=screen.__name__)
    await pilot.pause(0.3)


def test_chart_preview_halfblock(snap_compare, app: WorkbenchApp) -> None:
    async def run_before(pilot: Pilot) -> None:
        await open_chart_artifact(pilot, "p", PreviewScreen)

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_interactive_chart(snap_compare, app: WorkbenchApp) -> None:
    async def run_before(pilot: Pilot) -> None:
        await open_chart_artifact(pilot, "i", ChartScreen)
        await pilot.press("down")  # marks the second row's point on the plot
        await pilot.pause(0.2)

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)
