#!/usr/bin/env python
"""Benchmark the local runtime against its floor: the same ipykernel driven directly.

Three measurements, each interleaved (the two sides alternate in every round, and the
side that goes first alternates too, so machine noise hits both equally):

1. Round trip of `x = 1` and `print(1)`:
   (a) the e2b_code_interpreter SDK (sync `Sandbox.create(debug=True, sandbox_url=url)`)
       against our local runtime (`tui.runtime.launcher.LocalRuntime`);
   (b) the floor: an ipykernel started from the argv the runtime uses
       (`SPECS['python'].argv` + its extra env) driven by jupyter_client's
       BlockingKernelClient (execute, wait for the reply and the idle status).
2. Streaming `for i in range(100000): print(i)`: SDK with an on_stdout callback vs the
   same code driven directly (stream messages collected until idle).
3. New context: `create_code_context()` until that context's first `run_code('1')`
   returns, with warm spares (the default) and cold (`LocalRuntime(spares=False)`);
   for reference, a bare ipykernel start (spawn, kernel_info, execute '1') too.
4. Instant contexts: `restart_code_context()` until the context's first `run_code('1')`
   returns, and ten `create_code_context()` calls back to back, each timed until its
   first run returns (the spare pool follows demand).

Run:  python bench/runtime_bench.py [--rounds 300] [--json out.json]
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import math
import os
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from queue import Empty
from urllib.parse import urlsplit

# make `tui` importable when run from a checkout without the editable install
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _machine import machine_info, verdict  # noqa: E402
from _stats import median, rotated, summary  # noqa: E402
from e2b_code_interpreter import Sandbox  # noqa: E402
from jupyter_client import BlockingKernelClient  # noqa: E402
from jupyter_client.connect import write_connection_file  # noqa: E402

from tui.runtime.languages import SPECS  # noqa: E402
from tui.runtime.launcher import LocalRuntime  # noqa: E402

STREAM_LINES = 100_000
STREAM_CODE = f"for i in range({STREAM_LINES}): print(i)"
TARGET_ADDED_MS = 2.0
TARGET_STREAM_RATIO = 1.2
TARGET_CONTEXT_MS = 100.0
BURST = 10
ISSUE_FLOOR_MS = 3.4

now = time.perf_counter


# ---------------------------------------------------------------------------
# statistics


def kernel_env() -> dict[str, str]:
    """The environment the runtime gives a python kernel (tui/runtime/kernel.py)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("E2B_")}
    env.update(SPECS["python"].extra_env)
    env["JPY_PARENT_PID"] = str(os.getpid())
    return env


class DirectKernel:
    """ipykernel from SPECS['python'].argv, driven by a BlockingKernelClient."""

    def __init__(self, workdir: Path, cwd: str):
        self.workdir = workdir
        self.cwd = cwd
        self.proc: subprocess.Popen | None = None
        self.kc: BlockingKernelClient | None = None
        self.conn_file = ""
        self.log_path = ""

    def spawn(self) -> None:
        stem = f"bench-kernel-{secrets.token_hex(4)}"
        # signed messages, like the runtime's kernels
        self.conn_file, _info = write_connection_file(
            str(self.workdir / f"{stem}.json"),
            ip="127.0.0.1",
            key=secrets.token_hex(16).encode(),
            transport="tcp",
            kernel_name="python",
        )
        self.log_path = str(self.workdir / f"{stem}.log")
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(
                SPECS["python"].argv(self.conn_file),
                cwd=self.cwd,
                env=kernel_env(),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        kc = BlockingKernelClient(connection_file=self.conn_file)
        kc.load_connection_file()
        kc.start_channels(hb=False, stdin=False)
        self.kc = kc

    def wait_ready(self, timeout: float = 60.0) -> None:
        """kernel_info until it replies and its iopub reaches us (as the runtime does)."""
        assert self.kc is not None and self.proc is not None
        kc = self.kc
        deadline = now() + timeout
        got_reply = got_iopub = False
        while not (got_reply and got_iopub):
            if now() > deadline:
                raise RuntimeError(f"direct kernel not ready in {timeout:.0f} s{self._log_tail()}")
            if self.proc.poll() is not None:
                raise RuntimeError(f"direct kernel exited ({self.proc.returncode}){self._log_tail()}")
            kc.kernel_info()
            wait_until = now() + (0.25 if got_reply else 1.0)
            while not (got_reply and got_iopub) and now() < wait_until:
                left = max(0.0, wait_until - now())
                with contextlib.suppress(Empty):
                    if not got_reply:
                        msg = kc.get_shell_msg(timeout=left)
                        got_reply = msg["msg_type"] == "kernel_info_reply"
                        continue
                    kc.get_iopub_msg(timeout=left)
                    got_iopub = True
        # drop leftovers (status messages of the kernel_info requests)
        self.drain(0.05)

    def drain(self, quiet: float) -> None:
        assert self.kc is not None
        with contextlib.suppress(Empty):
            while True:
                self.kc.get_iopub_msg(timeout=quiet)
        with contextlib.suppress(Empty):
            while True:
                self.kc.get_shell_msg(timeout=0.001)

    def start(self) -> None:
        self.spawn()
        self.wait_ready()

    def execute(self, code: str, on_stream: Callable[[str], None] | None = None) -> dict:
        """Run code; return the reply content once the reply and idle have both arrived."""
        assert self.kc is not None
        kc = self.kc
        msg_id = kc.execute(code, store_history=True, allow_stdin=False, stop_on_error=False)
        idle = False
        while not idle:
            msg = kc.get_iopub_msg(timeout=120)
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            msg_type = msg["msg_type"]
            if msg_type == "stream":
                if on_stream is not None:
                    on_stream(msg["content"]["text"])
            elif msg_type == "status" and msg["content"]["execution_state"] == "idle":
                idle = True
        while True:
            reply = kc.get_shell_msg(timeout=120)
            if reply["parent_header"].get("msg_id") == msg_id:
                return reply["content"]

    def _log_tail(self) -> str:
        with contextlib.suppress(OSError):
            text = Path(self.log_path).read_text(errors="replace").strip()
            if text:
                return "\n" + "\n".join(text.splitlines()[-10:])
        return ""

    def shutdown(self) -> None:
        """shutdown_request, then TERM / KILL the process group; always frees everything."""
        kc, proc = self.kc, self.proc
        if kc is not None and proc is not None and proc.poll() is None:
            with contextlib.suppress(Exception):
                kc.shutdown()
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(2)
        if proc is not None:
            for sig, wait in ((signal.SIGTERM, 2), (signal.SIGKILL, 5)):
                if proc.poll() is not None:
                    break
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(proc.pid, sig)
                with contextlib.suppress(subprocess.TimeoutExpired):
                    proc.wait(wait)
        if kc is not None:
            with contextlib.suppress(Exception):
                kc.stop_channels()
        for path in (self.conn_file, self.log_path):
            if path:
                with contextlib.suppress(OSError):
                    os.unlink(path)
        self.kc = self.proc = None


# ---------------------------------------------------------------------------
# the SDK side


def sdk_run(sbx: Sandbox, code: str, **kw):
    ex = sbx.run_code(code, **kw)
    if ex.error is not None:
        raise RuntimeError(f"SDK run of {code!r} failed: {ex.error.name}: {ex.error.value}")
    return ex


def wait_runtime_ready(sbx: Sandbox, timeout: float = 60.0) -> None:
    """The default python context answers (its kernel is started lazily at prestart)."""
    deadline = now() + timeout
    while True:
        try:
            sdk_run(sbx, "1")
            return
        except Exception:
            if now() > deadline:
                raise
            time.sleep(0.2)


# ---------------------------------------------------------------------------
# measurements


def process_cpu_seconds(pid: int | None) -> float:
    """User + system CPU of one process (Linux /proc), NaN elsewhere."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError, TypeError):
        return math.nan


class RawHTTP:
    """Diagnostic side: the same POST /execute with http.client (keep-alive), no SDK.

    SDK minus raw = what the SDK's client stack costs; raw minus floor = what the
    runtime (HTTP server + relay) costs."""

    def __init__(self, url: str):
        parts = urlsplit(url)
        self.path = parts.path.rstrip("/") + "/execute"
        self.conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=120)
        self.conn.connect()
        self.conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def run(self, code: str) -> list[dict]:
        body = json.dumps({"code": code, "context_id": None, "language": None, "env_vars": None})
        self.conn.request("POST", self.path, body, {"Content-Type": "application/json"})
        resp = self.conn.getresponse()
        data = resp.read()
        if resp.status != 200:
            raise RuntimeError(f"raw POST /execute: {resp.status} {data[:200]!r}")
        return [json.loads(line) for line in data.splitlines()]

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.conn.close()


def bench_round_trip(
    sbx: Sandbox,
    direct: DirectKernel,
    rounds: int,
    warmup: int,
    log,
    runtime_pid: int | None = None,
    raw: RawHTTP | None = None,
) -> dict:
    codes = {"x = 1": None, "print(1)": "1\n"}
    sides = ["sdk", "direct"] + (["raw"] if raw is not None else [])
    samples: dict[str, dict[str, list[float]]] = {c: {s: [] for s in sides} for c in codes}
    runtime_cpu: dict[str, list[float]] = {"sdk": [], "raw": []}

    def check(side: str, code: str, expect: str | None, ok: bool, stdout: str, what) -> None:
        if not ok or (expect is not None and stdout != expect):
            raise RuntimeError(f"{side} run of {code!r} gave {what!r}")

    def run(side: str, code: str, expect: str | None, record: bool) -> None:
        cpu0 = process_cpu_seconds(runtime_pid) if side != "direct" else 0.0
        if side == "sdk":
            t0 = now()
            ex = sbx.run_code(code)
            t1 = now()
            check(side, code, expect, ex.error is None, "".join(ex.logs.stdout), ex)
        elif side == "raw":
            assert raw is not None
            t0 = now()
            lines = raw.run(code)
            t1 = now()
            out = "".join(x.get("text", "") for x in lines if x["type"] == "stdout")
            ok = lines[-1]["type"] == "end_of_execution" and not any(x["type"] == "error" for x in lines)
            check(side, code, expect, ok, out, lines)
        else:
            chunks: list[str] = []
            t0 = now()
            reply = direct.execute(code, chunks.append)
            t1 = now()
            check(side, code, expect, reply.get("status") == "ok", "".join(chunks), reply)
        if record:
            samples[code][side].append((t1 - t0) * 1e3)
            if side != "direct":
                runtime_cpu[side].append((process_cpu_seconds(runtime_pid) - cpu0) * 1e3)

    log(f"round trip: {warmup} warm-up + {rounds} measured rounds, interleaved ({', '.join(sides)})")
    for i in range(warmup + rounds):
        for code, expect in codes.items():
            for side in rotated(i, sides):
                run(side, code, expect, i >= warmup)
    out: dict = {
        # per-call /proc deltas (10 ms ticks) summed: an unbiased estimate over many calls
        "runtime_cpu_ms_per_round_trip": {k: statistics.fmean(v) for k, v in runtime_cpu.items() if v},
    }
    for code, by_side in samples.items():
        a, b = summary(by_side["sdk"]), summary(by_side["direct"])
        entry = {
            "sdk_ms": a,
            "floor_ms": b,
            "added_ms": a["median"] - b["median"],
            "added_p90_ms": a["p90"] - b["p90"],
            "ratio": a["median"] / b["median"],
            "samples_sdk_ms": by_side["sdk"],
            "samples_floor_ms": by_side["direct"],
        }
        if raw is not None:
            r = summary(by_side["raw"])
            entry["raw_http_ms"] = r
            entry["runtime_added_ms"] = r["median"] - b["median"]  # HTTP server + relay
            entry["sdk_client_added_ms"] = a["median"] - r["median"]  # the SDK's own stack
            entry["samples_raw_http_ms"] = by_side["raw"]
        out[code] = entry
    return out


def bench_stream(
    sbx: Sandbox, direct: DirectKernel, rounds: int, log, runtime_pid: int | None = None
) -> dict:
    res: dict[str, list[dict]] = {"sdk": [], "direct": []}

    def sdk(record: bool) -> Callable[[], None]:
        def go() -> None:
            count = {"chunks": 0, "lines": 0}

            def on_stdout(msg) -> None:
                count["chunks"] += 1
                count["lines"] += msg.line.count("\n")

            r0, c0 = process_cpu_seconds(runtime_pid), time.process_time()
            t0 = now()
            ex = sbx.run_code(STREAM_CODE, on_stdout=on_stdout)
            t1 = now()
            c1, r1 = time.process_time(), process_cpu_seconds(runtime_pid)
            if ex.error is not None or count["lines"] != STREAM_LINES:
                raise RuntimeError(f"SDK streaming: {count['lines']} lines, error {ex.error!r}")
            if record:
                res["sdk"].append({"s": t1 - t0, "client_cpu": c1 - c0, "runtime_cpu": r1 - r0, **count})

        return go

    def drct(record: bool) -> Callable[[], None]:
        def go() -> None:
            count = {"chunks": 0, "lines": 0}

            def on_stream(text: str) -> None:
                count["chunks"] += 1
                count["lines"] += text.count("\n")

            c0 = time.process_time()
            t0 = now()
            reply = direct.execute(STREAM_CODE, on_stream)
            t1 = now()
            c1 = time.process_time()
            if reply.get("status") != "ok" or count["lines"] != STREAM_LINES:
                raise RuntimeError(f"direct streaming: {count['lines']} lines, reply {reply!r}")
            if record:
                res["direct"].append({"s": t1 - t0, "client_cpu": c1 - c0, **count})

        return go

    log(f"streaming: 1 warm-up + {rounds} measured rounds of {STREAM_CODE!r}, interleaved")
    for i in range(1 + rounds):
        for side in rotated(i, ["sdk", "direct"]):
            (sdk if side == "sdk" else drct)(i > 0)()
    out: dict = {}
    for side, runs in res.items():
        times = [r["s"] for r in runs]
        out[side] = {
            "seconds": summary(times),
            "chunks_median": median([r["chunks"] for r in runs]),
            "chunks": [r["chunks"] for r in runs],
            "lines_ok": all(r["lines"] == STREAM_LINES for r in runs),
            "lines_per_s": STREAM_LINES / median(times),
            "samples_s": times,
            "client_cpu_s_mean": statistics.fmean(r["client_cpu"] for r in runs),
            "runtime_cpu_s_mean": statistics.fmean(r.get("runtime_cpu", 0.0) for r in runs),
        }
    out["ratio"] = out["sdk"]["seconds"]["median"] / out["direct"]["seconds"]["median"]
    out["ratio_p90"] = out["sdk"]["seconds"]["p90"] / out["direct"]["seconds"]["p90"]
    return out


def time_new_context(sbx: Sandbox) -> float:
    t0 = now()
    ctx = sbx.create_code_context()
    ex = sbx.run_code("1", context=ctx)
    t1 = now()
    try:
        if ex.error is not None or ex.text != "1":
            raise RuntimeError(f"new context's first run gave {ex!r}")
    finally:
        sbx.remove_code_context(ctx)
    return (t1 - t0) * 1e3


def time_bare_kernel(workdir: Path, cwd: str) -> float:
    """Reference: spawn an ipykernel from the same argv, wait ready, run '1'."""
    k = DirectKernel(workdir, cwd)
    try:
        t0 = now()
        k.spawn()
        k.wait_ready()
        reply = k.execute("1")
        t1 = now()
        if reply.get("status") != "ok":
            raise RuntimeError(f"bare kernel: {reply!r}")
        return (t1 - t0) * 1e3
    finally:
        k.shutdown()


def bench_contexts(
    warm: Sandbox, cold: Sandbox, samples: int, wait: float, workdir: Path, cwd: str, log
) -> dict:
    kinds: dict[str, Callable[[], float]] = {
        "warm": lambda: time_new_context(warm),
        "cold": lambda: time_new_context(cold),
        "bare_kernel": lambda: time_bare_kernel(workdir, cwd),
    }
    res: dict[str, list[float]] = {k: [] for k in kinds}
    log(f"new context: {samples} samples each of {', '.join(kinds)}, {wait:.0f} s apart (spares refill)")
    names = list(kinds)
    time.sleep(wait)
    for i in range(samples):
        order = names[i % len(names) :] + names[: i % len(names)]  # rotate who goes first
        for name in order:
            res[name].append(kinds[name]())
            log(f"  sample {i + 1}/{samples} {name}: {res[name][-1]:.1f} ms")
            time.sleep(wait)
    out = {}
    for name, xs in res.items():
        out[name] = {**summary(xs), "first": xs[0], "rest": summary(xs[1:]), "samples_ms": xs}
    return out


def bench_instant(sbx: Sandbox, samples: int, wait: float, log) -> dict:
    """Restart-to-first-run on one context, then BURST creates back to back."""
    ctx = sbx.create_code_context()
    restarts: list[float] = []
    burst: list[float] = []
    made = []
    try:
        log(f"restart: {samples} samples, {wait:.0f} s apart (the spare refills)")
        for i in range(samples):
            sdk_run(sbx, "x = 1", context=ctx)
            time.sleep(wait)
            t0 = now()
            sbx.restart_code_context(ctx)
            ex = sbx.run_code("'x' in globals()", context=ctx)
            t1 = now()
            if ex.error is not None or ex.text != "False" or ex.execution_count != 1:
                raise RuntimeError(f"restarted context's first run gave {ex!r}")
            restarts.append((t1 - t0) * 1e3)
            log(f"  restart {i + 1}/{samples}: {restarts[-1]:.1f} ms")
        time.sleep(wait)
        log(f"burst: {BURST} create_code_context() back to back, each until its first run")
        for i in range(BURST):
            t0 = now()
            new = sbx.create_code_context()
            ex = sbx.run_code("1", context=new)
            t1 = now()
            made.append(new)
            if ex.error is not None or ex.text != "1":
                raise RuntimeError(f"new context's first run gave {ex!r}")
            burst.append((t1 - t0) * 1e3)
            log(f"  create {i + 1}/{BURST}: {burst[-1]:.1f} ms")
    finally:
        for c in [ctx, *made]:
            with contextlib.suppress(Exception):
                sbx.remove_code_context(c)
    return {
        "restart": {**summary(restarts), "samples_ms": restarts},
        "burst": {**summary(burst), "rest": summary(burst[1:]), "samples_ms": burst},
    }


# ---------------------------------------------------------------------------
# report


PACKAGES = ("e2b-code-interpreter", "e2b", "ipykernel", "jupyter_client", "pyzmq", "uvicorn", "uvloop")


def report(
    info: dict, rt: dict | None, st: dict | None, nc: dict | None, args, ic: dict | None = None
) -> str:
    lines = []
    w = lines.append
    w("")
    w("e2b-workbench runtime benchmark")
    w(f"  date     {info['date']}")
    w(f"  machine  {info['nproc']} CPUs, {info['cpu']}, Python {info['python']} ({info['platform']})")
    w("  versions " + ", ".join(f"{k} {v}" for k, v in info["versions"].items()))
    load = " -> ".join(
        "/".join(f"{x:.2f}" for x in info[key]) for key in ("loadavg_start", "loadavg_end") if key in info
    )
    w(f"  load avg {load} (1/5/15 min, at start -> end)")
    if info["loadavg_start"][0] > 0.5 * max(1, info["nproc"]) or info.get("loadavg_end", [0])[0] > 0.5 * max(
        1, info["nproc"]
    ):
        w("  WARNING: the machine was busy with other work; absolute figures are inflated (ratios less so)")
    if rt:
        codes = [c for c, r in rt.items() if c != "runtime_cpu_ms_per_round_trip"]
        has_raw = all("raw_http_ms" in rt[c] for c in codes)
        w("")
        w(f"1. Round trip, {args.rounds} interleaved rounds, ms")
        w(
            "   SDK = e2b_code_interpreter -> local runtime; floor = same ipykernel argv driven by jupyter_client"
        )
        head = f"   {'code':<10} {'SDK med':>8} {'SDK p90':>8} {'floor med':>9} {'floor p90':>9} {'added med':>9}"
        w(head + f" {'added p90':>9} {'ratio':>6}")
        for code in codes:
            r = rt[code]
            w(
                f"   {code:<10} {r['sdk_ms']['median']:8.2f} {r['sdk_ms']['p90']:8.2f} "
                f"{r['floor_ms']['median']:9.2f} {r['floor_ms']['p90']:9.2f} "
                f"{r['added_ms']:9.2f} {r['added_p90_ms']:9.2f} {r['ratio']:5.2f}x"
            )
        worst = max(rt[c]["added_ms"] for c in codes)
        w(
            f"   target: < {TARGET_ADDED_MS:.0f} ms added per round trip (issue's floor ~{ISSUE_FLOOR_MS} ms): "
            f"worst added {worst:.2f} ms -> {verdict(worst < TARGET_ADDED_MS)}"
        )
        if has_raw:
            w("   where the added time goes (medians): raw = same POST /execute by http.client, no SDK")
            w(
                f"   {'code':<10} {'raw med':>8} {'raw p90':>8} {'runtime (raw-floor)':>20} {'SDK client (SDK-raw)':>21}"
            )
            for code in codes:
                r = rt[code]
                w(
                    f"   {code:<10} {r['raw_http_ms']['median']:8.2f} {r['raw_http_ms']['p90']:8.2f} "
                    f"{r['runtime_added_ms']:20.2f} {r['sdk_client_added_ms']:21.2f}"
                )
        cpu = rt["runtime_cpu_ms_per_round_trip"]
        if cpu:
            shown = ", ".join(f"{k} {v:.2f} ms" for k, v in cpu.items())
            w(f"   runtime process CPU per round trip (user+sys, avg of both codes): {shown}")
    if st:
        w("")
        w(f"2. Streaming {STREAM_CODE!r}, {args.stream_rounds} interleaved rounds")
        w(f"   {'side':<7} {'med s':>7} {'p90 s':>7} {'chunks (med)':>13} {'lines/s':>11} {'all lines':>9}")
        for side, label in (("sdk", "SDK"), ("direct", "floor")):
            s = st[side]
            w(
                f"   {label:<7} {s['seconds']['median']:7.3f} {s['seconds']['p90']:7.3f} "
                f"{s['chunks_median']:13.0f} {s['lines_per_s']:11,.0f} {'yes' if s['lines_ok'] else 'NO':>9}"
            )
        w(
            f"   ratio SDK/floor: {st['ratio']:.2f}x (p90 {st['ratio_p90']:.2f}x); "
            f"target <= {TARGET_STREAM_RATIO}x -> {verdict(st['ratio'] <= TARGET_STREAM_RATIO)}"
        )
        w(
            f"   CPU per run (mean): SDK client {st['sdk']['client_cpu_s_mean'] * 1e3:.0f} ms + runtime "
            f"{st['sdk']['runtime_cpu_s_mean'] * 1e3:.0f} ms; floor client {st['direct']['client_cpu_s_mean'] * 1e3:.0f} ms"
            " (the kernel's own print loop is the rest, on both sides)"
        )
    if nc:
        w("")
        w(
            f"3. New context: create_code_context() until its first run_code('1') returns (ms), {args.context_samples} samples"
        )
        w(
            f"   {'kind':<34} {'first':>8} {'median':>8} {'p90':>8} {'min':>8} {'max':>8} {'med w/o first':>13}"
        )
        labels = {
            "warm": "warm spares (default runtime)",
            "cold": "cold (LocalRuntime(spares=False))",
            "bare_kernel": "reference: bare ipykernel start",
        }
        for name, label in labels.items():
            s = nc[name]
            w(
                f"   {label:<34} {s['first']:8.1f} {s['median']:8.1f} {s['p90']:8.1f} "
                f"{s['min']:8.1f} {s['max']:8.1f} {s['rest']['median']:13.1f}"
            )
        w(
            f"   target: new context ready < {TARGET_CONTEXT_MS:.0f} ms: warm median {nc['warm']['median']:.1f} ms -> "
            f"{verdict(nc['warm']['median'] < TARGET_CONTEXT_MS)}; "
            f"cold/warm {nc['cold']['median'] / nc['warm']['median']:.1f}x"
        )
    if ic:
        w("")
        w("4. Instant contexts (ms)")
        w(f"   {'kind':<44} {'median':>8} {'p90':>8} {'min':>8} {'max':>8}")
        r, b = ic["restart"], ic["burst"]
        w(
            f"   {'restart_code_context() until first run':<44} {r['median']:8.1f} {r['p90']:8.1f} "
            f"{r['min']:8.1f} {r['max']:8.1f}"
        )
        w(
            f"   {f'{BURST} creates back to back, each to first run':<44} {b['median']:8.1f} {b['p90']:8.1f} "
            f"{b['min']:8.1f} {b['max']:8.1f}"
        )
        w("   burst samples: " + ", ".join(f"{x:.0f}" for x in b["samples_ms"]))
        w(
            f"   target < {TARGET_CONTEXT_MS:.0f} ms: restart median {r['median']:.1f} -> "
            f"{verdict(r['median'] < TARGET_CONTEXT_MS)}; creates under target "
            f"{sum(x < TARGET_CONTEXT_MS for x in b['samples_ms'])}/{BURST}"
        )
    w("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=300, help="measured round-trip rounds (default 300)")
    parser.add_argument("--warmup", type=int, default=30, help="round-trip warm-up rounds (default 30)")
    parser.add_argument("--stream-rounds", type=int, default=5, help="streaming rounds (default 5)")
    parser.add_argument("--context-samples", type=int, default=5, help="new-context samples (default 5)")
    parser.add_argument(
        "--context-wait", type=float, default=5.0, help="seconds between new-context samples (default 5)"
    )
    parser.add_argument(
        "--no-raw", action="store_true", help="skip the diagnostic raw-HTTP side of the round-trip test"
    )
    parser.add_argument("--restart-samples", type=int, default=5, help="restart samples (default 5)")
    parser.add_argument(
        "--skip", action="append", default=[], choices=["roundtrip", "stream", "context", "instant"]
    )
    parser.add_argument("--json", metavar="FILE", help="also write every figure (and raw samples) here")
    parser.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    args = parser.parse_args(argv)

    def log(text: str) -> None:
        if not args.quiet:
            print(f"[{time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)

    # SIGTERM / SIGHUP unwind through the finally blocks below like Ctrl-C does
    def _stop(signum, _frame):
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, _stop)
    with contextlib.suppress(ValueError, AttributeError):
        signal.signal(signal.SIGHUP, _stop)

    info = machine_info(PACKAGES)
    workdir = Path(tempfile.mkdtemp(prefix="e2b-bench-"))
    cwd = os.getcwd()
    rt_res = st_res = nc_res = ic_res = None
    runtimes: list[LocalRuntime] = []
    direct: DirectKernel | None = None
    try:
        log("starting the local runtime (spares on) and the direct kernel")
        runtime = LocalRuntime()
        runtimes.append(runtime)
        runtime.start()
        sbx = Sandbox.create(debug=True, sandbox_url=runtime.url)
        direct = DirectKernel(workdir, cwd)
        direct.start()
        wait_runtime_ready(sbx)

        if "roundtrip" not in args.skip:
            raw = None if args.no_raw else RawHTTP(runtime.url)
            try:
                rt_res = bench_round_trip(
                    sbx,
                    direct,
                    args.rounds,
                    args.warmup,
                    log,
                    runtime.proc.pid if runtime.proc else None,
                    raw,
                )
            finally:
                if raw is not None:
                    raw.close()
        if "stream" not in args.skip:
            st_res = bench_stream(
                sbx, direct, args.stream_rounds, log, runtime.proc.pid if runtime.proc else None
            )
        direct.shutdown()  # not needed any more: keep the machine quiet for phases 3 and 4
        direct = None
        if "instant" not in args.skip:
            ic_res = bench_instant(sbx, args.restart_samples, args.context_wait, log)

        if "context" not in args.skip:
            log("starting a second runtime with spares=False")
            cold_rt = LocalRuntime(spares=False)
            runtimes.append(cold_rt)
            cold_rt.start()
            cold = Sandbox.create(debug=True, sandbox_url=cold_rt.url)
            wait_runtime_ready(cold)
            nc_res = bench_contexts(sbx, cold, args.context_samples, args.context_wait, workdir, cwd, log)
    except KeyboardInterrupt:
        log("interrupted: cleaning up")
        return 130
    finally:
        if direct is not None:
            direct.shutdown()
        for rt in reversed(runtimes):
            with contextlib.suppress(Exception):
                rt.stop()
        with contextlib.suppress(OSError):
            for item in workdir.iterdir():
                item.unlink()
            workdir.rmdir()

    info["loadavg_end"] = list(os.getloadavg())
    print(report(info, rt_res, st_res, nc_res, args, ic_res))
    if args.json:
        payload = {
            "machine": info,
            "options": vars(args),
            "targets": {
                "added_ms_per_round_trip": TARGET_ADDED_MS,
                "issue_floor_ms": ISSUE_FLOOR_MS,
                "stream_ratio": TARGET_STREAM_RATIO,
                "new_context_ms": TARGET_CONTEXT_MS,
            },
            "round_trip": rt_res,
            "streaming": st_res,
            "new_context": nc_res,
            "instant_contexts": ic_res,
        }
        Path(args.json).write_text(json.dumps(payload, indent=2) + "\n")
        log(f"figures written to {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
