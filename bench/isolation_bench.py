#!/usr/bin/env python
"""What isolation (bubblewrap) costs: the same runs on an isolated and an unisolated runtime.

Both runtimes run side by side and every measurement is interleaved (in each round both run,
the one that goes first alternating), so machine noise hits both alike.

1. Round trip of `x = 1` on the default python context: the e2b_code_interpreter SDK (sync
   `Sandbox.create(debug=True, sandbox_url=url)`), and the same `POST /execute` over a kept-alive
   `http.client` connection (no SDK: less client noise). Added = isolated - unisolated.
2. New context: `create_code_context()` until that context's first `run_code('1')` returns,
   with warm spares (the runtime's default) and cold (`spares=False`), `--context-wait` s apart.
3. Command: `commands.run("true")` until it returns (envd: spawned by the sandbox's agent
   isolated, by the runtime through setpriv unisolated).
4. Start: `LocalRuntime.start()` until the URL, then until the first `run_code('1')` returns.

Run:  python bench/isolation_bench.py [--rounds 300] [--json out.json]
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _machine import machine_info, verdict  # noqa: E402
from _stats import rotated, summary  # noqa: E402
from e2b_code_interpreter import Sandbox  # noqa: E402

from tui.runtime import sandboxenv  # noqa: E402
from tui.runtime.isolation import bwrap  # noqa: E402
from tui.runtime.isolation.settings import Isolation  # noqa: E402
from tui.runtime.launcher import LocalRuntime  # noqa: E402

TARGET_ADDED_MS = 1.0
now = time.perf_counter


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def runtime(isolated: bool, spares: bool, folder: Path) -> LocalRuntime:
    if isolated:
        workspace = tempfile.mkdtemp(prefix="bench-home-", dir=folder)
        return LocalRuntime(
            isolation=Isolation(workspace=workspace, ephemeral=True), spares=spares, prestart=False
        )
    return LocalRuntime(cwd=str(folder), spares=spares, prestart=False)


class RawClient:
    """POST /execute over one kept-alive connection; the whole NDJSON body is read."""

    def __init__(self, url: str):
        parts = urlsplit(url)
        self.path = parts.path.rstrip("/") + "/execute"
        self.conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)

    def run(self, code: str) -> None:
        body = json.dumps({"code": code, "context_id": None, "language": "python", "env_vars": None})
        self.conn.request("POST", self.path, body, {"Content-Type": "application/json"})
        response = self.conn.getresponse()
        data = response.read()
        if response.status != 200 or b'"end_of_execution"' not in data or b'"error"' in data:
            raise RuntimeError(f"raw run failed: {response.status} {data[:300]!r}")


def round_trips(sides: dict[str, LocalRuntime], rounds: int, warmup: int) -> dict:
    sdks = {name: Sandbox.create(debug=True, sandbox_url=rt.url) for name, rt in sides.items()}
    raws = {name: RawClient(rt.url) for name, rt in sides.items()}
    samples: dict[str, dict[str, list[float]]] = {
        "sdk": {n: [] for n in sides},
        "raw": {n: [] for n in sides},
    }
    for i in range(warmup + rounds):
        for name in rotated(i, list(sides)):
            started = now()
            execution = sdks[name].run_code("x = 1")
            sdk_ms = (now() - started) * 1000
            if execution.error is not None:
                raise RuntimeError(f"{name}: {execution.error}")
            started = now()
            raws[name].run("x = 1")
            raw_ms = (now() - started) * 1000
            if i >= warmup:
                samples["sdk"][name].append(sdk_ms)
                samples["raw"][name].append(raw_ms)
    return {
        kind: {name: summary(xs) | {"samples": xs} for name, xs in by.items()} for kind, by in samples.items()
    }


def new_contexts(sides: dict[str, LocalRuntime], samples: int, wait: float) -> dict:
    sdks = {name: Sandbox.create(debug=True, sandbox_url=rt.url) for name, rt in sides.items()}
    for sdk in sdks.values():  # python used once: the spares follow
        sdk.run_code("1", timeout=120)
    times: dict[str, list[float]] = {n: [] for n in sides}
    for i in range(samples):
        time.sleep(wait)  # the spare pool refills between samples (as between a person's clicks)
        for name in rotated(i, list(sides)):
            started = now()
            ctx = sdks[name].create_code_context()
            execution = sdks[name].run_code("1", context=ctx, timeout=120)
            times[name].append((now() - started) * 1000)
            if execution.error is not None:
                raise RuntimeError(f"{name}: {execution.error}")
            sdks[name].remove_code_context(ctx)
    return {name: summary(xs) | {"samples": xs} for name, xs in times.items()}


def commands(sides: dict[str, LocalRuntime], rounds: int, warmup: int) -> dict:
    sdks = {name: Sandbox.create(debug=True, sandbox_url=rt.url) for name, rt in sides.items()}
    times: dict[str, list[float]] = {n: [] for n in sides}
    for i in range(warmup + rounds):
        for name in rotated(i, list(sides)):
            started = now()
            sdks[name].commands.run("true")
            if i >= warmup:
                times[name].append((now() - started) * 1000)
    return {name: summary(xs) | {"samples": xs} for name, xs in times.items()}


def starts(folder: Path, samples: int) -> dict:
    times: dict[str, dict[str, list[float]]] = {"url": {}, "first run": {}}
    for i in range(samples):
        for name in rotated(i, ["unisolated", "isolated"]):
            rt = runtime(name == "isolated", False, folder)
            started = now()
            try:
                rt.start()
                url_at = now()
                Sandbox.create(debug=True, sandbox_url=rt.url).run_code("1", timeout=120)
                done_at = now()
            finally:
                rt.stop()
            times["url"].setdefault(name, []).append((url_at - started) * 1000)
            times["first run"].setdefault(name, []).append((done_at - started) * 1000)
    return {
        kind: {name: summary(xs) | {"samples": xs} for name, xs in by.items()} for kind, by in times.items()
    }


def table(title: str, rows: dict[str, dict], unit: str = "ms") -> None:
    print(f"\n**{title}** ({unit})\n")
    print("| side | median | p90 | min | max |")
    print("|---|---|---|---|---|")
    for name, s in rows.items():
        print(f"| {name} | {s['median']:.2f} | {s['p90']:.2f} | {s['min']:.2f} | {s['max']:.2f} |")


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=300)
    parser.add_argument("--warmup", type=int, default=30)
    parser.add_argument("--context-samples", type=int, default=5)
    parser.add_argument("--context-wait", type=float, default=5.0)
    parser.add_argument("--command-rounds", type=int, default=50)
    parser.add_argument("--start-samples", type=int, default=3)
    parser.add_argument("--json", default=None)
    args = parser.parse_args()
    problem = bwrap.problem()
    if problem:
        say(f"isolation is not available here: {problem}")
        return 2
    info = machine_info(["e2b-code-interpreter", "e2b", "ipykernel", "pyzmq", "uvicorn"])
    info["bubblewrap"] = bwrap.version()
    info["sandbox_env"] = str(sandboxenv.active().spec.path)  # what python kernels run on
    report: dict = {"machine": info}
    with tempfile.TemporaryDirectory(prefix="isolation-bench-") as tmp:
        folder = Path(tmp)
        opened: list[LocalRuntime] = []
        try:
            warm = {"unisolated": runtime(False, True, folder), "isolated": runtime(True, True, folder)}
            cold = {"unisolated": runtime(False, False, folder), "isolated": runtime(True, False, folder)}
            for rt in (*warm.values(), *cold.values()):
                opened.append(rt)
                rt.start()
            say(f"round trips: {args.warmup} warm-up + {args.rounds} rounds")
            report["round_trip"] = round_trips(warm, args.rounds, args.warmup)
            say(f"new contexts: {args.context_samples} samples, {args.context_wait:g} s apart")
            report["context_warm"] = new_contexts(warm, args.context_samples, args.context_wait)
            report["context_cold"] = new_contexts(cold, args.context_samples, 0.0)
            say(f"commands: {args.command_rounds} rounds")
            report["command"] = commands(warm, args.command_rounds, 5)
        finally:
            for rt in opened:
                with contextlib.suppress(Exception):
                    rt.stop()
        say(f"runtime starts: {args.start_samples} each")
        report["start"] = starts(folder, args.start_samples)
    info["loadavg_end"] = list(__import__("os").getloadavg())
    print(f"Machine: {info['nproc']} CPUs ({info['cpu']}), Python {info['python']}, {info['bubblewrap']}")
    print(f"Python kernels on: {info['sandbox_env']}")
    print(f"Load average: {info['loadavg_start'][0]:.2f} at start, {info['loadavg_end'][0]:.2f} at end")
    for kind, label in (("sdk", "SDK `run_code`"), ("raw", "raw `POST /execute`")):
        rows = report["round_trip"][kind]
        table(f"Round trip of `x = 1`, {label}", rows)
        added = rows["isolated"]["median"] - rows["unisolated"]["median"]
        print(
            f"\nAdded by isolation (median): **{added:.3f} ms** (target < {TARGET_ADDED_MS:g} ms: {verdict(added < TARGET_ADDED_MS)})"
        )
    table("New context until its first run, warm spares", report["context_warm"])
    table("New context until its first run, cold (no spares)", report["context_cold"])
    table('`commands.run("true")`', report["command"])
    table("Runtime start until its URL", report["start"]["url"])
    table("Runtime start until the first run returns", report["start"]["first run"])
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
