"""`tui.core.cockpit` headless: why a sandbox went away, and a runtime without GET /processes."""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from tests.fake_cloud import FakeCloud
from tui.core import cockpit
from tui.core.target import Target


def test_why_gone_tells_expired_killed_paused_running_and_no_connection(cloud) -> None:
    target = Target(mode="cloud")
    box = cloud.add()
    why_running = cockpit.why_gone(target, box.id, time.time() + 300)
    assert why_running.running and "still running" in why_running.reason
    box.state = "paused"
    paused = cockpit.why_gone(target, box.id, time.time() + 300)
    assert paused.paused and "is paused" in paused.reason
    cloud.expire(box.id)
    killed = cockpit.why_gone(target, box.id, time.time() + 300)
    assert killed.reason == f"Sandbox {box.id} was killed (before its end time)."
    expired = cockpit.why_gone(target, box.id, time.time() - 5)
    assert expired.reason.startswith(f"Sandbox {box.id} expired: its timeout passed at ")
    cloud.fail_with = 503
    failed = cockpit.why_gone(target, box.id, None)
    assert failed.reason.startswith("The connection to E2B failed") and not (failed.paused or failed.running)


def test_metadata_filters_parse() -> None:
    assert cockpit.parse_metadata("team=data, owner = me;x=") == {"team": "data", "owner": "me", "x": ""}
    assert cockpit.parse_metadata("  ") == {}
    try:
        cockpit.parse_metadata("team")
    except ValueError as err:
        assert "'team' is not key=value" in str(err)
    else:
        raise AssertionError("a pair without = is refused")


def test_a_runtime_without_the_processes_route_is_said_not_an_error() -> None:
    class NotFound(BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:
            pass

        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            self.send_response(404)
            self.send_header("content-length", "0")
            self.end_headers()

    server = ThreadingHTTPServer(("127.0.0.1", 0), NotFound)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        status = cockpit.local_status(f"http://127.0.0.1:{server.server_address[1]}/secret")
    finally:
        server.shutdown()
        server.server_close()
    assert not status.available and "no GET /processes" in status.note


def test_list_gives_every_sandbox_with_its_time_left(monkeypatch) -> None:
    with FakeCloud() as fake:
        monkeypatch.setenv("E2B_API_URL", fake.url)
        monkeypatch.setenv("E2B_API_KEY", fake.key)
        made = {fake.add(metadata={"n": str(n)}).id for n in range(3)}
        rows = cockpit.list_sandboxes(Target(mode="cloud"))
        only = cockpit.list_sandboxes(Target(mode="cloud"), {"n": "1"})
    assert {r.sandbox_id for r in rows} == made
    assert [r.metadata for r in only] == [{"n": "1"}]
    assert all(r.state == "running" and r.seconds_left and r.seconds_left > 200 for r in rows)
