"""Driving the real app headlessly: waits, runs, and a freeze for stable pictures.

Used by the screenshot script, the snapshot tests and the benchmarks, through the app's
public API only: the app runs against a real runtime, then `freeze` replaces what
changes from run to run (context ids, ports, paths, durations) with fixed values so two
pictures of the same state are equal.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from textual.pilot import Pilot
from textual.widgets import Footer

from .app import WorkbenchApp
from .core.records import ExecutionRecord


def workbench(pilot: Pilot) -> WorkbenchApp:
    app = pilot.app
    assert isinstance(app, WorkbenchApp)
    return app


async def wait_until(
    pilot: Pilot, predicate: Callable[[], object], timeout: float = 120.0, what: str = ""
) -> None:
    """Let the app run until `predicate()` is true (TimeoutError after `timeout` s)."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out waiting for {what or predicate}")
        await pilot.pause(0.05)


async def wait_ready(pilot: Pilot, languages: tuple[str, ...] = ("python",)) -> WorkbenchApp:
    """Wait until the session is open and has a context of each of `languages` (started here
    when the app did not start one), bound to buffers."""
    app = workbench(pilot)
    await wait_until(pilot, lambda: app.main.ready, what="the session")
    for language in languages:
        if not any(c.language == language for c in app.runbook.contexts.values()):
            app.main.create_context(language, "", bind=False)

    def present() -> bool:
        have = {c.language for c in app.runbook.live_contexts()}
        return all(lang in have for lang in languages)

    await wait_until(pilot, present, what=f"contexts {languages}")
    app.main.bind_buffers()
    app.main.show_contexts()
    await pilot.pause()
    return app


async def wait_started(pilot: Pilot) -> None:
    """Wait until no context is being created (the defaults the app starts included)."""
    app = workbench(pilot)
    await wait_until(
        pilot, lambda: not any(c.placeholder for c in app.runbook.contexts.values()), what="contexts to start"
    )


async def type_code(pilot: Pilot, code: str) -> None:
    """Put `code` in the current buffer, as a paste would."""
    app = workbench(pilot)
    editor = app.main.editor_pane.current()
    assert editor is not None
    editor.focus()
    editor.replace(code, (0, 0), editor.document.end)
    await pilot.pause()


async def run_and_wait(pilot: Pilot, code: str, key: str = "f5", timeout: float = 120.0) -> ExecutionRecord:
    """Type `code`, press `key`, wait until its run ended and the log showed it."""
    app = workbench(pilot)
    await type_code(pilot, code)
    records = app.runbook.records
    before = set(records)
    await pilot.press(key)
    await wait_until(pilot, lambda: set(records) - before, timeout, "the run to start")
    seq = max(set(records) - before)
    record = records[seq]
    await wait_until(
        pilot, lambda: not record.running and seq not in app.runbook.futures, timeout, "the run to end"
    )
    await pilot.pause()
    return record


def freeze(app: WorkbenchApp, cwd: str = "~/project") -> None:
    """Fixed ids, paths, URL and durations, so the picture is the same every time.

    The contexts' ids are renamed in the app only: take the picture, then quit (a run after a
    freeze would name a context the sandbox does not know).
    """
    main = app.main
    app.clear_notifications()
    main.save_buffers()  # now, rather than while a screenshot tears down
    for editor in main.editor_pane.editors():
        editor.cursor_blink = False
        editor.refresh()
    main.sidebar.set_status("Languages: python, javascript, typescript, r, java, bash")
    app.session.url = "http://127.0.0.1:49999/frozen"  # the header is built from it on every tick
    app.session.sandbox_info = None  # and whether it is isolated, which is the test runtime's
    app.refresh_header()
    renamed = {}
    for n, entry in enumerate(app.runbook.live_contexts(), start=1):
        old = entry.id
        entry.id = f"{n:02d}c0de" + entry.id[6:]
        entry.cwd = cwd
        entry.busy_since = None
        renamed[old] = entry.id
    app.runbook.contexts = {entry.id: entry for entry in app.runbook.contexts.values()}
    for editor in main.editor_pane.editors():
        editor.buffer.context_id = renamed.get(editor.buffer.context_id, editor.buffer.context_id)
    for n, record in enumerate(sorted(app.runbook.records.values(), key=lambda r: r.seq), start=1):
        record.context_id = renamed.get(record.context_id, record.context_id)
        entry = app.runbook.contexts.get(record.context_id)
        record.context_label = entry.label if entry else record.context_label
        if record.duration is not None:
            record.duration = 0.042 * n
            record.running_since = record.started_mono  # no wait: its run time is its duration
    main.show_contexts()
    for block in main.log_view.blocks.values():
        block.refresh_block()


async def hold_still(pilot: Pilot) -> None:
    """`freeze`, then stop what moves by itself, for a picture that is the same every time:
    no focus in the main view (a focused editor's cursor shows or not by its blink's phase),
    cursors that do not blink, no toasts, a footer that shows the keys of what has focus now."""
    app = workbench(pilot)
    app.main.set_focus(None)
    await wait_until(pilot, lambda: app.main.focused is None, what="the editor to lose focus")
    for screen in app.screen_stack:
        for widget in screen.query("TextArea, Input"):
            widget.cursor_blink = False  # type: ignore[attr-defined]
            widget.refresh()
    freeze(app)
    await wait_until(
        pilot, lambda: app.main.sidebar.highlighted() is app.main.current_context(), what="the highlight"
    )
    app.clear_notifications()
    footer = app.main.query_one(Footer)
    before = list(footer.children)
    app.main.refresh_bindings()
    await wait_until(pilot, lambda: list(footer.children) != before, what="the footer to recompose")
    await pilot.pause()


async def quit_app(pilot: Pilot, timeout: float = 60.0) -> None:
    """Quit the way Ctrl+Q does, and wait until the session is closed.

    (Pilot.press would wait for the screen to settle, which a quitting app never does.)
    """
    app = workbench(pilot)
    app.action_quit()
    await asyncio.wait_for(app.session_closed.wait(), timeout)
