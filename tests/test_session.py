"""The app's core without the UI: the session (real runtime), the run book, buffer binding.

The run book and buffer binding are plain data: fast unit tests, no kernels.
"""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import pytest
from e2b_code_interpreter.models import Context, ExecutionError

from tui.core.buffers import Buffer, context_for
from tui.core.records import ExecutionRecord
from tui.core.runbook import RunBook
from tui.core.session import Session

pytestmark = pytest.mark.timeout(120)


class Listener:
    def __init__(self) -> None:
        self.finished = threading.Event()
        self.updates = 0

    def on_update(self, record: ExecutionRecord) -> None:
        self.updates += 1

    def on_finished(self, record: ExecutionRecord) -> None:
        self.finished.set()


async def test_run_timeout_fires_on_time_and_keeps_state(runtime_url, home, tmp_path: Path):
    session = Session(url=runtime_url)
    book = RunBook()
    try:
        await session.open()
        assert "python" in session.languages
        entry = book.add(await session.create_context("python"))

        async def run(code: str, timeout: float = 0) -> ExecutionRecord:
            record, listener = book.begin(code, entry, session.output_dir), Listener()
            assert entry.state == "busy" and entry.running == 1
            await asyncio.wrap_future(session.run(record, listener, timeout))
            assert listener.finished.is_set()
            book.finish(record)
            assert entry.state == "idle" and entry.running == 0
            return record

        await run("kept = 'state'")
        marker = tmp_path / "reached-3s"
        timed = await run(
            f"import time\ntime.sleep(3)\nopen({str(marker)!r}, 'w').close()\ntime.sleep(60)", 2
        )
        assert timed.status == "timeout"
        assert timed.failure == "Timed out after 2 s: the kernel was interrupted and keeps its state."
        assert not marker.exists(), "the timeout fired late"  # the SDK's own fires at about 2x
        after = await run("kept")
        assert after.status == "ok" and after.results[0].text == "state"
        assert after.output_path is not None and after.output_path.stat().st_mode & 0o077 == 0
        await session.remove_context(entry.id)
    finally:
        await asyncio.to_thread(session.close)


async def test_a_closed_session_refuses_runs_with_a_sentence(runtime_url, home):
    session = Session(url=runtime_url)
    await session.open()
    await asyncio.to_thread(session.close)
    book = RunBook()
    entry = book.add(Context("ctx-1", "python", "/"))
    record = book.begin("1", entry, None)
    with pytest.raises(Exception, match="The session is closed."):
        session.run(record, Listener())
    book.fail(record, "The session is closed.")
    assert record.status == "failed" and entry.state == "idle" and entry.running == 0


# -- the run book (no kernels) -------------------------------------------------------------


def test_runbook_counts_runs_per_context_and_frees_it_at_the_end() -> None:
    book = RunBook()
    entry = book.add(Context("a", "python", "/w"))
    first = book.begin("1", entry, None)
    second = book.begin("2", entry, None)  # queued behind the first
    assert (entry.state, entry.running) == ("busy", 2)
    assert [r.seq for r in book.running("a")] == [first.seq, second.seq]
    first.status, first.execution_count = "ok", 7
    book.finish(first)
    assert (entry.state, entry.running, entry.last_count) == ("busy", 1, 7)
    book.fail(second, "could not start")
    assert (entry.state, entry.running) == ("idle", 0)
    assert second.status == "failed" and second.duration is not None


def test_runbook_marks_a_context_whose_kernel_died_or_that_is_gone() -> None:
    book = RunBook()
    entry = book.add(Context("a", "python", "/w"))
    record = book.begin("x", entry, None)
    record.status, record.error = "error", ExecutionError("ContextRestarting", "died", "")
    book.finish(record)
    assert entry.state == "idle" and "kernel died" in entry.note and "state lost" in entry.note
    again = book.begin("y", entry, None)
    again.status = "ok"
    book.finish(again)
    assert entry.state == "idle" and entry.note == ""
    lost = book.begin("z", entry, None)
    lost.status, lost.context_lost = "failed", True
    book.finish(lost)
    assert entry.state == "dead" and entry.note == "context is gone"


def test_runbook_placeholders_sync_and_reset() -> None:
    book = RunBook()
    book.sync([Context("a", "python", "/"), Context("b", "bash", "/")])
    placeholder = book.add_placeholder("r", "")
    assert placeholder.state == "starting" and placeholder.placeholder
    assert {c.id for c in book.live_contexts()} == {"a", "b"}
    book.sync([Context("a", "python", "/")])  # b went away; the placeholder stays
    assert set(book.contexts) == {"a", placeholder.id}
    made = book.created(placeholder, Context("c", "r", "/"))
    assert made.id == "c" and placeholder.id not in book.contexts
    book.reset_contexts()
    assert not book.contexts


def test_run_numbers_are_unique_and_records_survive_a_context_reset() -> None:
    book = RunBook()
    entry = book.add(Context("a", "python", "/"))
    seqs = {book.begin(str(i), entry, None).seq for i in range(5)}
    assert len(seqs) == 5
    book.reset_contexts()
    assert len(book.records) == 5


# -- binding a buffer to a context (no kernels) ---------------------------------------------


def test_a_buffer_keeps_its_context_while_it_exists() -> None:
    book = RunBook()
    book.sync([Context("p1", "python", "/a"), Context("p2", "python", "/b"), Context("j", "javascript", "/")])
    buffer = Buffer("main", "python", context_id="p2")
    assert context_for(buffer, book.contexts.values()).id == "p2"


def test_a_buffer_whose_context_is_gone_takes_one_of_its_language_in_its_cwd() -> None:
    book = RunBook()
    book.sync([Context("p1", "python", "/a"), Context("p2", "python", "/b")])
    assert context_for(Buffer("m", "python", cwd="/b", context_id="gone"), book.contexts.values()).id == "p2"
    assert context_for(Buffer("m", "python", context_id="gone"), book.contexts.values()).id == "p1"
    assert context_for(Buffer("m", "r"), book.contexts.values()) is None
    book.add_placeholder("r", "")
    assert context_for(Buffer("m", "r"), book.contexts.values()) is None  # a placeholder cannot run code
    # a buffer whose language changed leaves its old context for one of its new language
    assert context_for(Buffer("m", "r", context_id="p1"), book.contexts.values()) is None


def test_code_outputs_and_history_are_private_whatever_the_umask(home) -> None:
    import os
    import stat

    from tui.core import paths
    from tui.core.buffers import BufferSet, BufferStore
    from tui.core.history import History

    old = os.umask(0o022)
    try:
        history = History()
        BufferStore().save(BufferSet([Buffer("main", "python", "secret = 1")]))
        session = Session(url="http://127.0.0.1:9/unused")
        run_dir = session.output_dir
        history.close()
    finally:
        os.umask(old)
    for folder in (paths.data_dir(), paths.cache_dir() / "runs", run_dir):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700, folder
    for file in (paths.data_dir() / "history.sqlite3", paths.data_dir() / "buffers.json"):
        assert stat.S_IMODE(file.stat().st_mode) == 0o600, file
