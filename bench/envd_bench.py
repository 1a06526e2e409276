#!/usr/bin/env python
"""Benchmark envd on the local runtime: file transfers and commands, the SDK against its floor.

All in one run, each measurement interleaved (every round runs every side, and the side that
goes first rotates, so machine noise hits all sides alike):

1. Transfers of 1 MB and 100 MB (random bytes) through the sync SDK
   (`Sandbox.create(debug=True, sandbox_url=url)`) against a bare `http.client` connection
   (kept alive) on the same route with the same encoding:
   - write, bytes:  `files.write(path, data)` (a multipart POST /files) / the same multipart
     body sent by http.client (head, data, tail; no copy of the data);
   - write, stream: `files.write(path, open(file, "rb"))` (an octet-stream POST, streamed) /
     http.client posting the same file object;
   - read, bytes:   `files.read(path, format="bytes")` / `GET /files` and `response.read()`;
   - read, stream:  `files.read(path, format="stream")` iterated / `response.read(1 MiB)` in a loop.
2. The runtime's memory during every 100 MB transfer: its peak RSS (VmHWM, reset before each
   transfer through /proc/PID/clear_refs) minus its RSS before.
3. A command's round trip: `commands.run("true")` against `subprocess.run(["true"])` and against
   `subprocess.run(["/bin/bash", "-l", "-c", "true"])`, which is what the SDK asks the runtime to
   run (a login shell). Diagnostic side: the same `process.Process/Start` request sent by
   http.client (Connect JSON streaming), without the SDK.

The runtime runs with HOME set to an empty folder (and commands' login shells read no profile
of yours) unless `--keep-home`: this measures the runtime, not the machine's dotfiles.

Run:  python bench/envd_bench.py [--rounds-1mb 30] [--rounds-100mb 5] [--command-rounds 200] [--json out.json]
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import math
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote, urlsplit

# make `tui` importable when run from a checkout without the editable install
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _machine import machine_info, verdict  # noqa: E402
from _stats import rotated, summary  # noqa: E402
from e2b_code_interpreter import Sandbox  # noqa: E402

from tui.runtime.launcher import LocalRuntime  # noqa: E402

MiB = 1024 * 1024
TARGET_RATIO = 1.25
TARGET_RSS_MB = 50.0
TARGET_COMMAND_ADDED_MS = 5.0

now = time.perf_counter


# ---------------------------------------------------------------------------
# the bare client


class Bare:
    """http.client on a kept-alive connection to the runtime's secret base URL."""

    def __init__(self, url: str):
        parts = urlsplit(url)
        self.base = parts.path.rstrip("/")
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.conn = self._connect()

    def _connect(self) -> http.client.HTTPConnection:
        conn = http.client.HTTPConnection(self.host, self.port, timeout=600, blocksize=MiB)
        conn.connect()
        assert conn.sock is not None
        conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return conn

    def _response(self) -> http.client.HTTPResponse:
        resp = self.conn.getresponse()
        if resp.status != 200:
            body = resp.read()
            raise RuntimeError(f"bare client: {resp.status} {body[:300]!r}")
        return resp

    def write_multipart(self, path: str, data: bytes) -> None:
        boundary = uuid.uuid4().hex
        head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{path}"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        ).encode()
        tail = f"\r\n--{boundary}--\r\n".encode()
        c = self.conn
        c.putrequest("POST", f"{self.base}/files?path={quote(path)}")
        c.putheader("Content-Type", f"multipart/form-data; boundary={boundary}")
        c.putheader("Content-Length", str(len(head) + len(data) + len(tail)))
        c.endheaders()
        c.send(head)
        c.send(data)
        c.send(tail)
        self._response().read()

    def write_stream(self, path: str, source: Path) -> None:
        with open(source, "rb") as f:
            self.conn.request(
                "POST",
                f"{self.base}/files?path={quote(path)}",
                body=f,
                headers={
                    "Content-Type": "application/octet-stream",
                    "Content-Length": str(source.stat().st_size),
                },
            )
            self._response().read()

    def read_bytes(self, path: str) -> int:
        self.conn.request("GET", f"{self.base}/files?path={quote(path)}")
        return len(self._response().read())

    def read_stream(self, path: str) -> int:
        self.conn.request("GET", f"{self.base}/files?path={quote(path)}")
        resp = self._response()
        n = 0
        while chunk := resp.read(MiB):
            n += len(chunk)
        return n

    def start_true(self) -> None:
        """The Start request the SDK sends for commands.run('true'), read to its end."""
        message = json.dumps(
            {"process": {"cmd": "/bin/bash", "args": ["-l", "-c", "true"]}, "stdin": False}
        ).encode()
        body = b"\x00" + len(message).to_bytes(4, "big") + message
        self.conn.request(
            "POST",
            f"{self.base}/process.Process/Start",
            body=body,
            headers={"Content-Type": "application/connect+json", "Connect-Protocol-Version": "1"},
        )
        data = self._response().read()
        if b'"end"' not in data or b"exit status 0" not in data:
            raise RuntimeError(f"bare Start: {data[:300]!r}")

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.conn.close()


# ---------------------------------------------------------------------------
# memory of the runtime


def _status(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    return 0


class Memory:
    """The runtime's RSS growth during a transfer: peak (VmHWM, reset first) minus RSS before."""

    def __init__(self, pid: int):
        self.pid = pid
        try:
            Path(f"/proc/{pid}/clear_refs").write_text("5")
            self.resettable = True
        except OSError:
            self.resettable = False

    def start(self) -> int:
        if self.resettable:
            Path(f"/proc/{self.pid}/clear_refs").write_text("5")
        return _status(self.pid, "VmRSS")

    def growth(self, before: int) -> float:
        peak = _status(self.pid, "VmHWM" if self.resettable else "VmRSS")
        return max(0, peak - before) / MiB


# ---------------------------------------------------------------------------
# measurements


def bench_files(sbx: Sandbox, bare: Bare, work: Path, rt_pid: int, sizes: dict[int, int], log) -> dict:
    memory = Memory(rt_pid)
    out: dict = {"rss_resettable": memory.resettable}
    for size, rounds in sizes.items():
        label = f"{size // MiB}MB"
        data = os.urandom(size)
        source = work / f"source-{label}.bin"
        source.write_bytes(data)
        sbx.files.write(f"read-{label}.bin", data)  # what the reads read
        cases = _file_cases(sbx, bare, label, size, data, source)
        samples = {case: {side: [] for side in sides} for case, sides in cases.items()}
        rss = {case: {side: [] for side in sides} for case, sides in cases.items()}
        log(f"files {label}: 1 warm-up + {rounds} rounds of {len(cases)} cases x 2 sides, interleaved")
        for i in range(1 + rounds):
            for case in rotated(i, list(cases)):
                for side in rotated(i, ["sdk", "bare"]):
                    before = memory.start()
                    t0 = now()
                    cases[case][side]()
                    t1 = now()
                    if i > 0:
                        samples[case][side].append((t1 - t0) * 1e3)
                        rss[case][side].append(memory.growth(before))
        for name in ("w-sdk", "w-bare", "ws-sdk", "ws-bare"):
            if (work / "home" / f"{name}-{label}.bin").stat().st_size != size:
                raise RuntimeError(f"{name}-{label}.bin has the wrong size")
        out[label] = {}
        for case in cases:
            s, b = summary(samples[case]["sdk"]), summary(samples[case]["bare"])
            out[label][case] = {
                "sdk_ms": s,
                "bare_ms": b,
                "ratio": s["median"] / b["median"],
                "sdk_mb_s": size / MiB / (s["median"] / 1e3),
                "bare_mb_s": size / MiB / (b["median"] / 1e3),
                "rss_growth_mb_max": {side: max(v) for side, v in rss[case].items()},
                "samples_sdk_ms": samples[case]["sdk"],
                "samples_bare_ms": samples[case]["bare"],
            }
        source.unlink()
    return out


def _file_cases(
    sbx: Sandbox, bare: Bare, label: str, size: int, data: bytes, source: Path
) -> dict[str, dict[str, Callable[[], None]]]:
    """The four transfers of one size, each as an SDK side and a bare side."""

    def sdk_write_stream() -> None:
        with open(source, "rb") as f:
            sbx.files.write(f"ws-sdk-{label}.bin", f)

    return {
        "write bytes": {
            "sdk": lambda: sbx.files.write(f"w-sdk-{label}.bin", data),
            "bare": lambda: bare.write_multipart(f"w-bare-{label}.bin", data),
        },
        "write stream": {
            "sdk": sdk_write_stream,
            "bare": lambda: bare.write_stream(f"ws-bare-{label}.bin", source),
        },
        "read bytes": {
            "sdk": lambda: _check(len(sbx.files.read(f"read-{label}.bin", format="bytes")), size),
            "bare": lambda: _check(bare.read_bytes(f"read-{label}.bin"), size),
        },
        "read stream": {
            "sdk": lambda: _check(_drain(sbx.files.read(f"read-{label}.bin", format="stream")), size),
            "bare": lambda: _check(bare.read_stream(f"read-{label}.bin"), size),
        },
    }


def _check(got: int, want: int) -> None:
    if got != want:
        raise RuntimeError(f"read {got} bytes, expected {want}")


def _drain(stream) -> int:
    n = 0
    with stream:
        for chunk in stream:
            n += len(chunk)
    return n


def bench_commands(
    sbx: Sandbox, bare: Bare, env: dict[str, str], cwd: Path, rounds: int, warmup: int, log
) -> dict:
    def sdk() -> None:
        if sbx.commands.run("true").exit_code != 0:
            raise RuntimeError("commands.run('true') failed")

    sides: dict[str, Callable[[], object]] = {
        "sdk": sdk,
        "raw": bare.start_true,
        "bash_l": lambda: subprocess.run(["/bin/bash", "-l", "-c", "true"], env=env, cwd=cwd, check=True),
        "true": lambda: subprocess.run(["true"], check=True),
    }
    samples: dict[str, list[float]] = {k: [] for k in sides}
    log(f"commands: {warmup} warm-up + {rounds} rounds of {', '.join(sides)}, interleaved")
    for i in range(warmup + rounds):
        for side in rotated(i, list(sides)):
            t0 = now()
            sides[side]()
            t1 = now()
            if i >= warmup:
                samples[side].append((t1 - t0) * 1e3)
    out: dict = {side: summary(xs) for side, xs in samples.items()}
    out["added_over_bash_l_ms"] = out["sdk"]["median"] - out["bash_l"]["median"]
    out["added_over_true_ms"] = out["sdk"]["median"] - out["true"]["median"]
    out["runtime_added_ms"] = out["raw"]["median"] - out["bash_l"]["median"]
    out["sdk_client_added_ms"] = out["sdk"]["median"] - out["raw"]["median"]
    out["samples_ms"] = samples
    return out


# ---------------------------------------------------------------------------
# report


PACKAGES = ("e2b-code-interpreter", "e2b", "connectrpc", "pyqwest", "uvicorn", "uvloop", "starlette")


def report(info: dict, files: dict | None, cmds: dict | None, args) -> str:
    lines: list[str] = []
    w = lines.append
    w("")
    w("e2b-workbench envd benchmark")
    w(f"  date     {info['date']}")
    w(f"  machine  {info['nproc']} CPUs, {info['cpu']}, Python {info['python']} ({info['platform']})")
    w("  versions " + ", ".join(f"{k} {v}" for k, v in info["versions"].items()))
    load = " -> ".join(
        "/".join(f"{x:.2f}" for x in info[key]) for key in ("loadavg_start", "loadavg_end") if key in info
    )
    w(f"  load avg {load} (1/5/15 min, at start -> end)")
    if max(info["loadavg_start"][0], info.get("loadavg_end", [0])[0]) > 0.5 * max(1, info["nproc"]):
        w("  WARNING: the machine was busy with other work; absolute figures are inflated (ratios less so)")
    if files:
        w("")
        w("1. Files: SDK against a bare http.client on the same route (median ms, MB/s)")
        w(
            f"   {'size':<6} {'case':<13} {'SDK med':>9} {'SDK p90':>9} {'bare med':>9} {'bare p90':>9} {'ratio':>6}"
        )
        w(f"   {'':<6} {'':<13} {'SDK MB/s':>9} {'':>9} {'bare MB/s':>9}")
        worst = 0.0
        for label in (k for k in files if k.endswith("MB")):
            for case, r in files[label].items():
                worst = max(worst, r["ratio"])
                w(
                    f"   {label:<6} {case:<13} {r['sdk_ms']['median']:9.2f} {r['sdk_ms']['p90']:9.2f} "
                    f"{r['bare_ms']['median']:9.2f} {r['bare_ms']['p90']:9.2f} {r['ratio']:5.2f}x"
                )
                w(f"   {'':<6} {'':<13} {r['sdk_mb_s']:9.0f} {'':>9} {r['bare_mb_s']:9.0f}")
        w(
            f"   target: SDK within {TARGET_RATIO}x of the bare client: worst {worst:.2f}x -> {verdict(worst <= TARGET_RATIO)}"
        )
        w("")
        big = [k for k in files if k.endswith("MB") and int(k[:-2]) >= 100]
        how = "peak RSS (VmHWM reset before each transfer)" if files["rss_resettable"] else "RSS after"
        w(
            f"2. Runtime memory during the {', '.join(big)} transfers: {how} minus RSS before, worst of all rounds (MB)"
        )
        worst_rss = 0.0
        for label in big:
            for case, r in files[label].items():
                g = r["rss_growth_mb_max"]
                worst_rss = max(worst_rss, *g.values())
                w(f"   {label:<6} {case:<13} SDK {g['sdk']:6.1f}   bare {g['bare']:6.1f}")
        w(
            f"   target: growth < {TARGET_RSS_MB:.0f} MB: worst {worst_rss:.1f} MB -> {verdict(worst_rss < TARGET_RSS_MB)}"
        )
    if cmds:
        w("")
        w(f"3. Command round trip, {args.command_rounds} interleaved rounds (ms)")
        labels = {
            "sdk": 'SDK commands.run("true")',
            "raw": "raw: same Start request by http.client",
            "bash_l": 'floor: subprocess.run(["/bin/bash","-l","-c","true"])',
            "true": 'floor: subprocess.run(["true"])',
        }
        w(f"   {'side':<52} {'median':>8} {'p90':>8} {'min':>8}")
        for side, label in labels.items():
            s = cmds[side]
            w(f"   {label:<52} {s['median']:8.2f} {s['p90']:8.2f} {s['min']:8.2f}")
        added = cmds["added_over_bash_l_ms"]
        w(
            f"   SDK over the same command run by subprocess (bash -l): {added:.2f} ms "
            f"(runtime {cmds['runtime_added_ms']:.2f} + SDK client {cmds['sdk_client_added_ms']:.2f}); "
            f"over `true`: {cmds['added_over_true_ms']:.2f} ms"
        )
        w(
            f"   target: < {TARGET_COMMAND_ADDED_MS:.0f} ms over the floor (same argv) -> {verdict(added < TARGET_COMMAND_ADDED_MS)}"
        )
    w("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds-1mb", type=int, default=30, help="measured rounds at 1 MB (default 30)")
    parser.add_argument("--rounds-100mb", type=int, default=5, help="measured rounds at 100 MB (default 5)")
    parser.add_argument(
        "--command-rounds", type=int, default=200, help="measured command rounds (default 200)"
    )
    parser.add_argument("--command-warmup", type=int, default=20, help="command warm-up rounds (default 20)")
    parser.add_argument(
        "--keep-home", action="store_true", help="let the runtime's login shells read your profile"
    )
    parser.add_argument("--skip", action="append", default=[], choices=["files", "commands"])
    parser.add_argument("--json", metavar="FILE", help="also write every figure (and raw samples) here")
    parser.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    args = parser.parse_args(argv)

    def log(text: str) -> None:
        if not args.quiet:
            print(f"[{time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)

    def _stop(signum, _frame):
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, _stop)
    with contextlib.suppress(ValueError, AttributeError):
        signal.signal(signal.SIGHUP, _stop)

    info = machine_info(PACKAGES)
    with tempfile.TemporaryDirectory(prefix="e2b-envd-bench-") as tmp:
        work = Path(tmp)
        (work / "home").mkdir()
        (work / "profile").mkdir()
        env = {k: v for k, v in os.environ.items() if not k.startswith("E2B_")}
        if not args.keep_home:
            env["HOME"] = str(work / "profile")
        runtime = LocalRuntime(cwd=str(work / "home"), spares=False, prestart=False, env=env)
        files_res = cmds_res = None
        bare: Bare | None = None
        try:
            log("starting the local runtime (no kernels: envd only)")
            runtime.start()
            assert runtime.proc is not None
            sbx = Sandbox.create(debug=True, sandbox_url=runtime.url)
            bare = Bare(runtime.url)
            if "files" not in args.skip:
                sizes = {MiB: args.rounds_1mb, 100 * MiB: args.rounds_100mb}
                files_res = bench_files(sbx, bare, work, runtime.proc.pid, sizes, log)
            if "commands" not in args.skip:
                cmds_res = bench_commands(
                    sbx, bare, env, work / "home", args.command_rounds, args.command_warmup, log
                )
        except KeyboardInterrupt:
            log("interrupted: cleaning up")
            return 130
        finally:
            if bare is not None:
                bare.close()
            runtime.stop()

    info["loadavg_end"] = list(os.getloadavg())
    print(report(info, files_res, cmds_res, args))
    if args.json:
        payload = {
            "machine": info,
            "options": vars(args),
            "targets": {
                "sdk_over_bare_ratio": TARGET_RATIO,
                "rss_growth_mb": TARGET_RSS_MB,
                "command_added_ms": TARGET_COMMAND_ADDED_MS,
            },
            "files": files_res,
            "commands": cmds_res,
        }
        Path(args.json).write_text(
            json.dumps(payload, indent=2, default=lambda x: None if x is math.nan else x) + "\n"
        )
        log(f"figures written to {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
