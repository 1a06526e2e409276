"""Driving the real app headlessly: waits, runs, and a freeze for stable pictures.

Used by the screenshot script and the snapshot tests: the app runs against a real
runtime, then `freeze` replaces what changes from run to run (context ids, ports,
paths, durations) with fixed values so two pictures of the same state are equal.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from textual.pilot import Pilot

from .app import WorkbenchApp
from .core.records import ExecutionRecord


async def wait_until(
    pilot: Pilot, predicate: Callable[[], bool], timeout: float = 120.0, what: str = ""
) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out waiting for {what or predicate}")
        await pilot.pause(0.05)


async def wait_ready(pilot: Pilot, languages: tuple[str, ...] = ("python",)) -> WorkbenchApp:
    app = pilot.app
    assert isinstance(app, WorkbenchApp)
    await wait_until(pilot, lambda: app.ready, what="the session")

    def present() -> bool:
        have = {c.language for c in app.session.contexts.values()}
        return all(lang in have for lang in languages)

    await wait_until(pilot, present, what=f"contexts {languages}")
    app._bind_buffers()
    app._show_contexts()
    await pilot.pause()
    return app


async def type_code(pilot: Pilot, code: str) -> None:
    app = pilot.app
    assert isinstance(app, WorkbenchApp)
    editor = app.editor_pane.current()
    assert editor is not None
    editor.focus()
    editor.replace(code, (0, 0), editor.document.end)
    await pilot.pause()


async def run_and_wait(pilot: Pilot, code: str, key: str = "f5", timeout: float = 120.0) -> ExecutionRecord:
    app = pilot.app
    assert isinstance(app, WorkbenchApp)
    await type_code(pilot, code)
    before = set(app.records)
    await pilot.press(key)
    await wait_until(pilot, lambda: set(app.records) - before, timeout, "the run to start")
    seq = max(set(app.records) - before)
    record = app.records[seq]
    await wait_until(pilot, lambda: not record.running and seq not in app.futures, timeout, "the run to end")
    await pilot.pause(0.1)
    return record


def freeze(app: WorkbenchApp, cwd: str = "~/project") -> None:
    """Fixed ids, paths, URL and durations, so the picture is the same every time."""
    app.clear_notifications()
    if app._save_timer is not None:  # save now rather than while a screenshot tears down
        app._save_timer.stop()
        app._save_timer = None
        app.save_buffers()
    for editor in app.editor_pane.editors():
        editor.cursor_blink = False
        editor.refresh()
    app.sidebar.set_status("Languages: python, javascript, typescript, r, java, bash")
    app.session.url = "http://127.0.0.1:49999/frozen"  # the header is built from it on every tick
    app.sub_title = app.header_text()
    for n, info in enumerate(app.session.contexts.values(), start=1):
        info.id = f"{n:02d}c0de" + info.id[6:]
        info.cwd = cwd
        info.busy_since = None
    for n, record in enumerate(sorted(app.records.values(), key=lambda r: r.seq), start=1):
        info = app.session.contexts.get(record.context_id)
        record.context_label = info.label if info else record.context_label
        if record.duration is not None:  # by position: run numbers are unique per process
            record.duration = 0.042 * n
    app._show_contexts()
    for block in app.log_view.blocks.values():
        block.refresh_block()


async def quit_app(pilot: Pilot, timeout: float = 60.0) -> None:
    """Quit the way Ctrl+Q does, and wait until the session is closed.

    (Pilot.press would wait for the screen to settle, which a quitting app never does.)
    """
    app = pilot.app
    assert isinstance(app, WorkbenchApp)
    app.action_quit()
    await asyncio.wait_for(app.session_closed.wait(), timeout)
