"""The app's session (tui/core/session.py) without the UI: runs, timeouts, listeners."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from tui.core.records import ExecutionRecord
from tui.core.session import Session

pytestmark = pytest.mark.timeout(120)


class Listener:
    def __init__(self) -> None:
        self.finished = threading.Event()

    def on_update(self, record: ExecutionRecord) -> None:
        pass

    def on_finished(self, record: ExecutionRecord) -> None:
        self.finished.set()


def test_run_timeout_fires_on_time_and_keeps_state(runtime_url, home, tmp_path: Path):
    session = Session(url=runtime_url)
    try:
        session.start()
        info = session.submit(session.create_context("python")).result(timeout=60)

        def run(code: str, timeout: float = 0) -> ExecutionRecord:
            record, listener = session.new_record(code, info), Listener()
            session.run(record, listener, timeout).result(timeout=60)
            assert listener.finished.is_set()
            return record

        run("kept = 'state'")
        marker = tmp_path / "reached-3s"
        timed = run(f"import time\ntime.sleep(3)\nopen({str(marker)!r}, 'w').close()\ntime.sleep(60)", 2)
        assert timed.status == "timeout"
        assert timed.failure == "Timed out after 2 s: the kernel was interrupted and keeps its state."
        assert not marker.exists(), "the timeout fired late"  # the SDK's own fires at about 2x
        after = run("kept")
        assert after.status == "ok" and after.results[0].text == "state"
        session.submit(session.remove_context(info.id)).result(timeout=60)
    finally:
        session.close()
