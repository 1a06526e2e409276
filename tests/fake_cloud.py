"""A fake E2B control plane on loopback, so the cloud path runs offline with the real SDK.

It answers the API calls the SDK makes (create, connect, set timeout, kill, info, list,
pause, metrics), checks the API key header, and records every request so tests can assert
on what the SDK sent. Sandboxes created here are served by the local runtime
(E2B_SANDBOX_URL). Listing filters by metadata and state and pages with `x-next-token` as
E2B does; connecting resumes a paused sandbox; metrics are a few samples per sandbox.
"""

from __future__ import annotations

import http.client
import json
import threading
import time
import urllib.parse
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

GOOD_KEY = "e2b_test_key_0123456789"


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]
    body: Any


@dataclass
class FakeSandbox:
    id: str
    template: str
    timeout: int
    metadata: dict[str, str]
    envs: dict[str, str]
    started: datetime = field(default_factory=lambda: datetime.now(UTC))
    end: datetime = field(default_factory=lambda: datetime.now(UTC))
    alive: bool = True
    state: str = "running"  # or paused


class FakeCloud:
    """`with FakeCloud() as cloud: os.environ["E2B_API_URL"] = cloud.url`."""

    def __init__(self, key: str = GOOD_KEY):
        self.key = key
        self.requests: list[Request] = []
        self.sandboxes: dict[str, FakeSandbox] = {}
        self.fail_with: int | None = None  # answer every call with this status (429, 500, ...)
        self.delay = 0.0  # seconds before answering (a slow or stuck control plane)
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> FakeCloud:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    # -- what tests look at --------------------------------------------------------

    def calls(self, method: str, prefix: str) -> list[Request]:
        with self.lock:
            return [r for r in self.requests if r.method == method and r.path.startswith(prefix)]

    def created(self) -> list[Request]:
        with self.lock:
            return [r for r in self.requests if r.method == "POST" and r.path == "/v2/sandboxes"]

    def wait_for(self, method: str, prefix: str, count: int = 1, timeout: float = 30) -> list[Request]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.calls(method, prefix)
            if len(found) >= count:
                return found
            time.sleep(0.05)
        raise AssertionError(f"{count} x {method} {prefix} never came; got {self.requests}")

    def add(
        self, state: str = "running", metadata: dict[str, str] | None = None, timeout: int = 300
    ) -> FakeSandbox:
        """A sandbox made elsewhere (another client, the dashboard), for listing."""
        box = FakeSandbox("isb" + uuid.uuid4().hex[:17], "code-interpreter-v1", timeout, metadata or {}, {})
        box.end = box.started + timedelta(seconds=timeout)
        box.state = state
        with self.lock:
            self.sandboxes[box.id] = box
        return box

    def expire(self, sandbox_id: str) -> None:
        """The sandbox's time ran out: every later call about it gets 404."""
        self.sandboxes[sandbox_id].alive = False

    # -- serving --------------------------------------------------------------------

    def _sandbox_json(self, box: FakeSandbox, detail: bool = False) -> dict[str, Any]:
        body: dict[str, Any] = {
            "templateID": box.template,
            "sandboxID": box.id,
            "clientID": "fake-client",
            "envdVersion": "0.2.4",
            "envdAccessToken": f"envd-token-{box.id}",
            "domain": None,
        }
        if detail:
            body.update(
                {
                    "startedAt": box.started.isoformat(),
                    "endAt": box.end.isoformat(),
                    "cpuCount": 2,
                    "memoryMB": 512,
                    "diskSizeMB": 1024,
                    "state": box.state,
                    "metadata": box.metadata,
                }
            )
        return body

    def _list(self, path: str) -> tuple[int, Any]:
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(path).query)
        pairs = urllib.parse.parse_qsl(query.get("metadata", [""])[0])  # the SDK quotes each key and value
        wanted = {urllib.parse.unquote(k): urllib.parse.unquote(v) for k, v in pairs}
        states = query.get("state", ["running,paused"])[0].split(",")
        found = [
            box
            for box in self.sandboxes.values()
            if box.alive and box.state in states and all(box.metadata.get(k) == v for k, v in wanted.items())
        ]
        return 200, [self._sandbox_json(box, detail=True) for box in found]

    def _metrics(self, box: FakeSandbox) -> list[dict[str, Any]]:
        """Five samples, a second apart, ending now: CPU rising, memory and disk fixed."""
        now = datetime.now(UTC).replace(microsecond=0)
        samples = []
        for n in range(5):
            when = now - timedelta(seconds=4 - n)
            samples.append(
                {
                    "timestamp": when.isoformat(),
                    "timestampUnix": int(when.timestamp()),
                    "cpuCount": 2,
                    "cpuUsedPct": 10.0 * (n + 1),
                    "memUsed": (100 + 10 * n) * 1024 * 1024,
                    "memTotal": 512 * 1024 * 1024,
                    "memCache": 0,
                    "diskUsed": 300 * 1024 * 1024,
                    "diskTotal": 1024 * 1024 * 1024,
                }
            )
        return samples

    def _answer(self, method: str, path: str, headers: dict[str, str], body: Any) -> tuple[int, Any]:
        if self.fail_with:
            return self.fail_with, {"code": self.fail_with, "message": "fake failure"}
        if headers.get("x-api-key") != self.key:
            return 401, {"code": 401, "message": "Invalid API key"}
        parts = [p for p in path.split("?")[0].split("/") if p]
        if method == "POST" and parts == ["v2", "sandboxes"]:
            box = FakeSandbox(
                id="isb" + uuid.uuid4().hex[:17],
                template=body.get("templateID", ""),
                timeout=int(body.get("timeout", 300)),
                metadata=body.get("metadata") or {},
                envs=body.get("envVars") or {},
            )
            box.end = box.started + timedelta(seconds=box.timeout)
            self.sandboxes[box.id] = box
            return 201, self._sandbox_json(box)
        if method == "GET" and parts == ["v2", "sandboxes"]:
            return self._list(path)
        if parts[:1] == ["v2"]:
            parts = parts[1:]
        if len(parts) >= 2 and parts[0] == "sandboxes":
            box = self.sandboxes.get(parts[1])
            if parts[1] != "metrics" and (box is None or not box.alive):
                return 404, {"code": 404, "message": f"sandbox {parts[1]} not found"}
            if method == "POST" and parts[2:] == ["connect"]:
                box.end = datetime.now(UTC) + timedelta(seconds=int(body.get("timeout", box.timeout)))
                resumed = box.state == "paused"
                box.state = "running"
                return 201 if resumed else 200, self._sandbox_json(box)
            if method == "POST" and parts[2:] == ["pause"]:
                if box.state == "paused":
                    return 409, {"code": 409, "message": f"sandbox {box.id} is already paused"}
                box.state = "paused"
                return 204, None
            if method == "GET" and parts[2:] == ["metrics"]:
                return 200, self._metrics(box)
            if method == "POST" and parts[2:] == ["timeout"]:
                box.end = datetime.now(UTC) + timedelta(seconds=int(body["timeout"]))
                return 204, None
            if method == "DELETE" and len(parts) == 2:
                box.alive = False
                return 204, None
            if method == "GET" and len(parts) == 2:
                return 200, self._sandbox_json(box, detail=True)
        return 404, {"code": 404, "message": f"no route {method} {path}"}

    def _handler(self):
        cloud = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:  # quiet
                pass

            def _serve(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                raw = self.rfile.read(length) if length else b""
                try:
                    body = json.loads(raw) if raw else {}
                except ValueError:
                    body = {"raw": raw.decode(errors="replace")}
                headers = {k.lower(): v for k, v in self.headers.items()}
                if cloud.delay:
                    time.sleep(cloud.delay)
                with cloud.lock:
                    cloud.requests.append(Request(self.command, self.path, headers, body))
                    status, answer = cloud._answer(self.command, self.path, headers, body)
                data = b"" if answer is None else json.dumps(answer).encode()
                try:
                    self.send_response(status)
                    if data:
                        self.send_header("content-type", "application/json")
                    self.send_header("content-length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:  # the client gave up waiting (a test of timeouts)
                    pass

            do_GET = do_POST = do_DELETE = _serve

        return Handler


class SandboxEdge:
    """The sandbox's front door: forwards to the local runtime, or answers 502 once `gone`.

    E2B's edge answers 502 for a sandbox that expired or was killed; setting `gone`
    makes this edge do the same, so the SDK sees exactly what it sees in the cloud.
    """

    def __init__(self, runtime_url: str):
        parsed = urllib.parse.urlsplit(runtime_url)
        self.host, self.port, self.prefix = parsed.hostname, parsed.port, parsed.path.rstrip("/")
        self.gone = False
        self.seen: list[str] = []  # sandbox ids from the E2b-Sandbox-Id header
        edge = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:
                pass

            def _body(self) -> bytes | None:
                """The request's body, whole: with a length, or chunked (as streaming RPCs send
                it; a client stream is only forwarded once it has ended)."""
                if "chunked" in (self.headers.get("transfer-encoding") or "").lower():
                    chunks = []
                    while True:
                        size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                        if size == 0:
                            while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                                pass  # trailers
                            return b"".join(chunks)
                        chunks.append(self.rfile.read(size))
                        self.rfile.readline()
                length = int(self.headers.get("content-length") or 0)
                return self.rfile.read(length) if length else None

            def _serve(self) -> None:
                body = self._body()
                edge.seen.append(self.headers.get("e2b-sandbox-id", ""))
                if edge.gone:
                    data = b"The sandbox was not found"
                    self.send_response(502)
                    self.send_header("content-length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                    return
                conn = http.client.HTTPConnection(edge.host, edge.port, timeout=600)
                headers = {
                    k: v
                    for k, v in self.headers.items()
                    if k.lower() not in ("host", "connection", "transfer-encoding", "content-length")
                }
                conn.request(self.command, edge.prefix + self.path, body=body, headers=headers)
                upstream = conn.getresponse()
                self.send_response(upstream.status)
                for key, value in upstream.getheaders():
                    if key.lower() not in (
                        "transfer-encoding",
                        "content-length",
                        "connection",
                        "date",
                        "server",
                    ):
                        self.send_header(key, value)
                self.send_header("transfer-encoding", "chunked")
                self.end_headers()
                try:
                    while chunk := upstream.read1(65536):
                        self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                        self.wfile.flush()
                    self.wfile.write(b"0\r\n\r\n")
                except OSError:  # the client went away: so does the upstream request
                    pass
                finally:
                    conn.close()

            do_GET = do_POST = do_DELETE = _serve

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> SandboxEdge:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
