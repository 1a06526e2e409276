#!/usr/bin/env python
"""Benchmark the Textual app (tui/app.py) under an output flood, in one run.

Three measurements (issue 3). The app runs headless (`WorkbenchApp(session=Session(url=...))`
inside `app.run_test(size=(120, 40))`, E2B_WORKBENCH_HOME a temp dir) against one shared
local runtime (`LocalRuntime()`, spares on).

1. Flood `for i in range(100000): print(i)`, rounds interleaved (the side that goes first
   rotates), medians:
   - app: from just before `pilot.press("f5")` to the first frame (compositor refresh)
     painted after the run's record has finished and its block's body text contains
     '99999' (the last line visible);
   - cli: wall time of the whole `e2b-workbench run flood.py` subprocess (it starts its own
     runtime and kernel: `LocalRuntime(spares=False, prestart=False)`), stdout to a pipe;
   - cli `pass`: the same command running `pass`, i.e. its start-up/shut-down cost;
     cli net = cli - cli `pass` (median of the per-round differences);
   - sdk (reference): the same code through the sync SDK on the shared runtime with an
     on_stdout callback, i.e. the warm floor the app itself sits on.
   Target: app within 1.5x of the headless command. Both ratios are printed: app / cli
   (whole command, start-up included) and app / cli net (start-up subtracted).
2. Responsiveness while the flood renders: a 10 ms `set_interval` heartbeat on the app
   (worst gap between ticks while a run goes on) and the time of every screen update
   (`Screen._on_timer_update`, wrapped here: the interval between painted frames and the
   time spent in each); during a --big-lines (1,000,000) run, letters are typed into the
   editor with `pilot.press` every --key-interval seconds: key-to-processed latency is from
   just before the press to the first frame painted with the letter in the editor's text
   (and how long `pilot.press` itself took). Target: no frame gap over 100 ms.
3. The app process's RSS (/proc/self/status VmRSS, and VmHWM the peak) before, right after,
   and after gc.collect() of each --big-lines run. Target: growth under 200 MB.

Run:  python bench/app_bench.py [--rounds 3] [--big-rounds 1] [--json out.json]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import math
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

# make `tui` importable when run from a checkout without the editable install
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

# the app's files (buffers, history, full outputs) go to a temp dir: set before tui is used
HOME = Path(tempfile.mkdtemp(prefix="e2b-app-bench-"))
os.environ["E2B_WORKBENCH_HOME"] = str(HOME)

from _machine import machine_info, verdict  # noqa: E402
from _stats import median, p99, rotated, summary  # noqa: E402
from e2b_code_interpreter import Sandbox  # noqa: E402
from rich.console import Group  # noqa: E402
from rich.text import Text  # noqa: E402
from textual.screen import Screen  # noqa: E402
from textual.widgets import Static  # noqa: E402

from tui.app import WorkbenchApp  # noqa: E402
from tui.core.session import Session  # noqa: E402
from tui.demo import quit_app, type_code, wait_ready  # noqa: E402
from tui.runtime.launcher import LocalRuntime  # noqa: E402

FLOOD_LINES = 100_000
BIG_LINES = 1_000_000
TARGET_RATIO = 1.5
TARGET_GAP_MS = 100.0
TARGET_RSS_MB = 200.0

now = time.perf_counter


def flood_code(lines: int) -> str:
    return f"for i in range({lines}): print(i)"


# ---------------------------------------------------------------------------
# statistics


def proc_status_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return -1


def rss_mb() -> float:
    return proc_status_kb("VmRSS") / 1024


def hwm_mb() -> float:
    return proc_status_kb("VmHWM") / 1024


def thread_cpu_s(tid: int | None) -> float:
    """User + system CPU of one thread of this process (Linux /proc), NaN elsewhere."""
    try:
        fields = Path(f"/proc/self/task/{tid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError, TypeError):
        return math.nan


def reset_hwm() -> bool:
    """Reset VmHWM (Linux: write 5 to clear_refs); False if not allowed."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


# ---------------------------------------------------------------------------
# frame probe: every painted frame, the heartbeat, and conditions checked per frame


class FrameProbe:
    """Wraps Screen._on_timer_update (the screen's frame) for timing, and
    Screen._compositor_refresh to check 'is X painted yet' right after each paint."""

    def __init__(self) -> None:
        # (start, wall duration, UI-thread CPU) of each screen update
        self.frames: list[tuple[float, float, float]] = []
        self.paints: list[float] = []  # end of each compositor refresh (a frame written)
        self.beats: list[float] = []
        self.watchers: list = []  # callables(t) -> bool (True = done, remove)
        self._orig_update = Screen._on_timer_update
        self._orig_refresh = Screen._compositor_refresh
        probe = self

        def _on_timer_update(screen: Screen) -> None:
            t0, c0 = now(), time.thread_time()
            probe._orig_update(screen)
            probe.frames.append((t0, now() - t0, time.thread_time() - c0))

        def _compositor_refresh(screen: Screen) -> None:
            probe._orig_refresh(screen)
            t = now()
            probe.paints.append(t)
            if probe.watchers:
                probe.watchers = [w for w in probe.watchers if not w(t)]

        Screen._on_timer_update = _on_timer_update
        Screen._compositor_refresh = _compositor_refresh
        # garbage-collector pauses (any thread: they stop every thread)
        self.gcs: list[tuple[float, float, int, float]] = []  # (start, duration, generation, CPU)
        self._gc_start = (0.0, 0.0)

        def on_gc(phase: str, info: dict) -> None:
            if phase == "start":
                probe._gc_start = (now(), time.thread_time())
            else:
                t0, c0 = probe._gc_start
                probe.gcs.append((t0, now() - t0, info["generation"], time.thread_time() - c0))

        self._on_gc = on_gc
        gc.callbacks.append(on_gc)

    def restore(self) -> None:
        with contextlib.suppress(ValueError):
            gc.callbacks.remove(self._on_gc)
        Screen._on_timer_update = self._orig_update
        Screen._compositor_refresh = self._orig_refresh

    def beat(self) -> None:
        self.beats.append(now())

    def window(self, t0: float, t1: float) -> dict:
        """Heartbeat gaps, frame intervals and frame durations within [t0, t1]."""
        beats = [t for t in self.beats if t0 <= t <= t1]
        gaps = [(b - a) * 1e3 for a, b in zip([t0, *beats], [*beats, t1], strict=True)]
        paints = [t for t in self.paints if t0 <= t <= t1]
        frame_gaps = [(b - a) * 1e3 for a, b in zip(paints, paints[1:], strict=False)]
        durs = [d * 1e3 for s, d, _c in self.frames if t0 <= s <= t1]
        cpus = [c * 1e3 for s, _d, c in self.frames if t0 <= s <= t1]
        top_frames = sorted(
            ((d * 1e3, (s - t0) * 1e3, c * 1e3) for s, d, c in self.frames if t0 <= s <= t1), reverse=True
        )
        top_gaps = sorted(
            ((b - a) * 1e3, (a - t0) * 1e3) for a, b in zip([t0, *beats], [*beats, t1], strict=True)
        )[::-1]
        return {
            # (ms, at ms after the press): where the worst ones happened
            "top_frames": [[round(d, 1), round(at), round(c, 1)] for d, at, c in top_frames[:5]],  # + CPU ms
            "top_beat_gaps": [[round(d, 1), round(at)] for d, at in top_gaps[:5]],
            "beat_gap_max_ms": max(gaps) if gaps else math.nan,
            "beat_gap_p99_ms": p99(gaps),
            "beat_gap_median_ms": median(gaps),
            "beats": len(beats),
            "paint_gap_max_ms": max(frame_gaps) if frame_gaps else math.nan,
            "paint_gap_median_ms": median(frame_gaps),
            "paints": len(paints),
            "frame_ms_max": max(durs) if durs else math.nan,
            "frame_ms_median": median(durs),
            "gc_ms_max": max((d * 1e3 for s, d, _g, _c in self.gcs if t0 <= s <= t1), default=0.0),
            "gc_ms_total": sum(d * 1e3 for s, d, _g, _c in self.gcs if t0 <= s <= t1),
            "gc_cpu_ms_max": max((c * 1e3 for s, _d, _g, c in self.gcs if t0 <= s <= t1), default=0.0),
            "gc_cpu_ms_total": sum(c * 1e3 for s, _d, _g, c in self.gcs if t0 <= s <= t1),
            "gc_gen2": sum(1 for s, _d, g, _c in self.gcs if t0 <= s <= t1 and g == 2),
            "frame_ms_total": sum(durs),
            "frame_cpu_ms_total": sum(cpus),
            "frame_cpu_ms_median": median(cpus),
            "seconds": t1 - t0,
        }


def body_plain(app: WorkbenchApp, seq: int) -> str:
    block = app.main.log_view.blocks.get(seq)
    if block is None:
        return ""
    content = block.query_one(".run-body", Static).content

    def flat(r) -> str:
        if isinstance(r, Text):
            return r.plain
        if isinstance(r, Group):
            return "\n".join(flat(x) for x in r.renderables)
        return str(r) if isinstance(r, str) else ""

    return flat(content)


# ---------------------------------------------------------------------------
# the app side


async def app_flood(pilot, probe: FrameProbe, lines: int, type_keys: dict | None = None) -> dict:
    """Press F5 on `for i in range(lines): print(i)`; time until its last line is painted."""
    app: WorkbenchApp = pilot.app
    code = flood_code(lines)
    last = str(lines - 1)
    await type_code(pilot, code)
    await pilot.pause(0.05)
    before = set(app.runbook.records)
    painted = asyncio.Event()
    state: dict = {"seq": None, "t_visible": None}

    def watch(t: float) -> bool:
        seq = state["seq"]
        if seq is None:
            new = set(app.runbook.records) - before
            if not new:
                return False
            seq = state["seq"] = max(new)
        record = app.runbook.records[seq]
        if record.running or seq in app.runbook.futures:
            return False
        if last not in body_plain(app, seq).rsplit("\n", 1)[-1]:
            return False
        state["t_visible"] = t
        painted.set()
        return True

    probe.watchers.append(watch)
    gc.collect()
    ui_tid, session_tid = threading.get_native_id(), app.session.thread_id
    ui0, ses0 = thread_cpu_s(ui_tid), thread_cpu_s(session_tid)
    cpu0 = time.process_time()
    t0 = now()
    await pilot.press("f5")
    t_press = now()
    keys: list[dict] = []
    if type_keys is not None:
        keys = await type_while_running(pilot, probe, state, painted, type_keys)
    await asyncio.wait_for(painted.wait(), 600)
    t1 = state["t_visible"]
    cpu1 = time.process_time()
    ui1, ses1 = thread_cpu_s(ui_tid), thread_cpu_s(session_tid)
    record = app.runbook.records[state["seq"]]
    if record.status != "ok" or record.output.total != lines:
        raise RuntimeError(f"app run: status {record.status}, {record.output.total} lines, {record.failure}")
    return {
        "s": t1 - t0,
        "press_s": t_press - t0,
        "run_duration_s": record.duration,  # session thread: run_code call until it returned
        "cpu_s": cpu1 - cpu0,  # the whole app process (UI loop + session thread)
        "ui_cpu_s": ui1 - ui0,  # the UI (Textual) thread
        "session_cpu_s": ses1 - ses0,  # the session thread (SDK stream, records)
        "t0": t0,
        "t1": t1,
        "keys": keys,
        "window": probe.window(t0, t1),
    }


async def type_while_running(pilot, probe: FrameProbe, state: dict, done: asyncio.Event, opts: dict) -> list:
    """Type letters into the editor while the run streams; per key: press time and key-to-paint."""
    app: WorkbenchApp = pilot.app
    editor = app.main.editor_pane.current()
    assert editor is not None
    editor.focus()
    editor.move_cursor(editor.document.end)
    out: list[dict] = []
    letters = "abcdefghijklmnopqrstuvwxyz"
    n = 0
    while not done.is_set() and n < opts["max_keys"]:
        seq = state["seq"]
        if seq is not None and not app.runbook.records[seq].running:
            break
        ch = letters[n % len(letters)]
        n += 1
        count = editor.text.count(ch)
        entry: dict = {"key": ch, "visible_ms": None}

        def watch(t: float, ch=ch, count=count, entry=entry) -> bool:
            if editor.text.count(ch) > count:
                entry["visible_ms"] = (t - entry["t0"]) * 1e3
                return True
            return False

        entry["t0"] = now()
        probe.watchers.append(watch)
        await pilot.press(ch)
        entry["press_ms"] = (now() - entry["t0"]) * 1e3
        entry["running"] = bool(state["seq"] is not None and app.runbook.records[state["seq"]].running)
        out.append(entry)
        await asyncio.sleep(opts["interval"])
    # give the last key's frame a moment
    await pilot.pause(0.1)
    for e in out:
        e.pop("t0", None)
    return out


# ---------------------------------------------------------------------------
# the other sides (blocking: called from inside the app's loop while the app is idle)


def cli_run(file: Path, expect_last: str | None) -> dict:
    env = dict(os.environ)
    t0 = now()
    proc = subprocess.run(
        [sys.executable, "-m", "tui", "run", str(file)],
        cwd=str(HOME),
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        timeout=600,
    )
    t1 = now()
    if proc.returncode != 0:
        raise RuntimeError(f"e2b-workbench run {file.name}: exit {proc.returncode}: {proc.stderr[-500:]!r}")
    if expect_last is not None:
        tail = proc.stdout.rstrip().rsplit(b"\n", 1)[-1].decode()
        n = proc.stdout.count(b"\n")
        if tail != expect_last or n != FLOOD_LINES:
            raise RuntimeError(f"e2b-workbench run: last line {tail!r}, {n} lines")
    return {"s": t1 - t0}


def sdk_flood(sbx: Sandbox, lines: int) -> dict:
    count = {"lines": 0}

    def on_stdout(msg) -> None:
        count["lines"] += msg.line.count("\n")

    t0 = now()
    ex = sbx.run_code(flood_code(lines), on_stdout=on_stdout)
    t1 = now()
    if ex.error is not None or count["lines"] != lines:
        raise RuntimeError(f"SDK flood: {count['lines']} lines, error {ex.error!r}")
    return {"s": t1 - t0}


# ---------------------------------------------------------------------------
# the benchmark


async def bench(args, runtime_url: str, log) -> dict:
    files = HOME / "code"
    files.mkdir(exist_ok=True)
    flood_py = files / "flood.py"
    flood_py.write_text(flood_code(FLOOD_LINES) + "\n")
    pass_py = files / "pass.py"
    pass_py.write_text("pass\n")
    sbx = Sandbox.create(debug=True, sandbox_url=runtime_url)

    probe = FrameProbe()
    res: dict = {"flood": {"app": [], "cli": [], "cli_pass": [], "sdk": []}, "big": []}
    app = WorkbenchApp(session=Session(url=runtime_url))
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_ready(pilot)
            if args.gc_freeze:
                gc.collect()
                gc.freeze()
            app.set_interval(0.01, probe.beat)
            await pilot.pause(0.2)

            if "flood" not in args.skip:
                sides = ["app", "cli", "cli_pass", "sdk"]
                log(f"flood: 1 warm-up + {args.rounds} interleaved rounds of {sides}")
                for i in range(1 + args.rounds):
                    for side in rotated(i, sides):
                        if side == "app":
                            r = await app_flood(pilot, probe, FLOOD_LINES)
                        elif side == "cli":
                            r = cli_run(flood_py, str(FLOOD_LINES - 1))
                        elif side == "cli_pass":
                            r = cli_run(pass_py, None)
                        else:
                            r = sdk_flood(sbx, FLOOD_LINES)
                        if i > 0:
                            res["flood"][side].append(r)
                        log(f"  round {i}{' (warm-up)' if i == 0 else ''} {side}: {r['s']:.3f} s")
                        await pilot.pause(0.2)

            if "big" not in args.skip:
                opts = {"interval": args.key_interval, "max_keys": args.max_keys}
                for i in range(args.big_rounds):
                    app.main.action_clear_log()
                    await pilot.pause(0.3)
                    gc.collect()
                    await pilot.pause(0.1)
                    hwm_ok = reset_hwm()
                    before = rss_mb()
                    prof = None
                    if args.profile:
                        import cProfile

                        prof = cProfile.Profile()
                        prof.enable()
                    r = await app_flood(pilot, probe, args.big_lines, type_keys=opts)
                    if prof is not None:
                        prof.disable()
                        prof.dump_stats(args.profile)
                    r["rss_before_mb"] = before
                    r["rss_after_mb"] = rss_mb()
                    r["hwm_mb"] = hwm_mb() if hwm_ok else math.nan
                    await pilot.pause(0.5)
                    gc.collect()
                    await pilot.pause(0.2)
                    r["rss_after_gc_mb"] = rss_mb()
                    res["big"].append(r)
                    log(
                        f"  big run {i + 1}/{args.big_rounds}: {r['s']:.2f} s, {len(r['keys'])} keys, "
                        f"RSS {before:.0f} -> {r['rss_after_mb']:.0f} -> {r['rss_after_gc_mb']:.0f} MB "
                        f"(peak {r['hwm_mb']:.0f})"
                    )
            await quit_app(pilot)
    finally:
        probe.restore()
        with contextlib.suppress(Exception):
            app.session.close()
    return res


def analyse(res: dict) -> dict:
    out: dict = {}
    fl = res["flood"]
    if fl["app"]:
        secs = {k: [r["s"] for r in v] for k, v in fl.items()}
        net = [a - b for a, b in zip(secs["cli"], secs["cli_pass"], strict=True)]
        out["flood"] = {
            **{k: summary(v) for k, v in secs.items()},
            "cli_net": summary(net),
            "ratio_app_cli": median(secs["app"]) / median(secs["cli"]),
            "ratio_app_cli_net": median(secs["app"]) / median(net),
            "ratio_app_sdk": median(secs["app"]) / median(secs["sdk"]),
            "app_cpu_s": median([r["cpu_s"] for r in fl["app"]]),
            "app_ui_cpu_s": median([r["ui_cpu_s"] for r in fl["app"]]),
            "app_session_cpu_s": median([r["session_cpu_s"] for r in fl["app"]]),
            "app_frame_ms_total": median([r["window"]["frame_ms_total"] for r in fl["app"]]),
            "app_paints": median([r["window"]["paints"] for r in fl["app"]]),
            "app_run_duration_s": median([r["run_duration_s"] for r in fl["app"]]),
            "app_press_s": median([r["press_s"] for r in fl["app"]]),
            "window": {
                k: max(r["window"][k] for r in fl["app"])
                for k in ("beat_gap_max_ms", "paint_gap_max_ms", "frame_ms_max")
            },
            "windows": [r["window"] for r in fl["app"]],
            "samples_s": secs,
        }
    if res["big"]:
        keys = [k for r in res["big"] for k in r["keys"]]
        vis = [k["visible_ms"] for k in keys if k["visible_ms"] is not None]
        press = [k["press_ms"] for k in keys]
        out["big"] = {
            "runs": [{k: v for k, v in r.items() if k not in ("t0", "t1")} for r in res["big"]],
            "s": summary([r["s"] for r in res["big"]]),
            "beat_gap_max_ms": max(r["window"]["beat_gap_max_ms"] for r in res["big"]),
            "paint_gap_max_ms": max(r["window"]["paint_gap_max_ms"] for r in res["big"]),
            "frame_ms_max": max(r["window"]["frame_ms_max"] for r in res["big"]),
            "keys": len(keys),
            "keys_while_running": sum(1 for k in keys if k["running"]),
            "keys_lost": sum(1 for k in keys if k["visible_ms"] is None),
            "key_visible_ms": summary(vis),
            "key_press_ms": summary(press),
            "rss_growth_mb": max(r["rss_after_mb"] - r["rss_before_mb"] for r in res["big"]),
            "rss_growth_after_gc_mb": max(r["rss_after_gc_mb"] - r["rss_before_mb"] for r in res["big"]),
            "peak_growth_mb": max(r["hwm_mb"] - r["rss_before_mb"] for r in res["big"]),
        }
    return out


# ---------------------------------------------------------------------------
# report


PACKAGES = ("textual", "rich", "e2b-code-interpreter", "e2b", "ipykernel")


def report(info: dict, a: dict, args) -> str:
    lines: list[str] = []
    w = lines.append
    w("")
    w("e2b-workbench app benchmark")
    w(f"  date     {info['date']}")
    w(f"  machine  {info['nproc']} CPUs, {info['cpu']}, Python {info['python']} ({info['platform']})")
    w("  versions " + ", ".join(f"{k} {v}" for k, v in info["versions"].items()))
    load = " -> ".join(
        "/".join(f"{x:.2f}" for x in info[k]) for k in ("loadavg_start", "loadavg_end") if k in info
    )
    w(f"  load avg {load} (1/5/15 min, at start -> end)")
    if max(info["loadavg_start"][0], info.get("loadavg_end", [0])[0]) > 0.5 * info["nproc"]:
        w("  WARNING: the machine was busy with other work; absolute figures are inflated (ratios less so)")
    fl = a.get("flood")
    if fl:
        w("")
        w(f"1. Flood {flood_code(FLOOD_LINES)!r}, {args.rounds} interleaved rounds, seconds")
        w(f"   {'side':<52} {'median':>7} {'p90':>7} {'min':>7} {'max':>7}")
        labels = {
            "app": "app: F5 -> last line painted (headless, 120x40)",
            "cli": "cli: `e2b-workbench run flood.py`, whole command",
            "cli_pass": "cli `pass`: same command, start-up/shut-down only",
            "cli_net": "cli net: cli - cli `pass` (per round)",
            "sdk": "reference: sync SDK on the app's warm runtime",
        }
        for k, label in labels.items():
            s = fl[k]
            w(f"   {label:<52} {s['median']:7.3f} {s['p90']:7.3f} {s['min']:7.3f} {s['max']:7.3f}")
        w(
            f"   app/cli (whole command) {fl['ratio_app_cli']:.2f}x; app/cli net {fl['ratio_app_cli_net']:.2f}x; "
            f"app/sdk {fl['ratio_app_sdk']:.2f}x"
        )
        w(
            f"   target: app within {TARGET_RATIO}x of the headless command, start-up subtracted (app/cli net) "
            f"-> {verdict(fl['ratio_app_cli_net'] <= TARGET_RATIO)}; whole command "
            f"-> {verdict(fl['ratio_app_cli'] <= TARGET_RATIO)}"
        )
        w(
            f"   app process CPU per flood (median): {fl['app_cpu_s']:.2f} s (UI thread {fl['app_ui_cpu_s']:.2f} s, "
            f"session thread {fl['app_session_cpu_s']:.2f} s); {fl['app_paints']:.0f} frames painted, "
            f"{fl['app_frame_ms_total'] / 1e3:.2f} s in screen updates"
        )
        w(
            f"   session's run_code call "
            f"{fl['app_run_duration_s']:.2f} s; pilot.press('f5') returned after {fl['app_press_s'] * 1e3:.0f} ms"
        )
        win = fl["window"]
        w(
            f"   during the floods (worst of {args.rounds}): heartbeat gap {win['beat_gap_max_ms']:.0f} ms, "
            f"gap between painted frames {win['paint_gap_max_ms']:.0f} ms, "
            f"longest screen update {win['frame_ms_max']:.0f} ms"
        )
    big = a.get("big")
    if big:
        w("")
        w(f"2. Responsiveness during {flood_code(args.big_lines)!r} ({args.big_rounds} run(s))")
        w(f"   run: F5 -> last line painted, median {big['s']['median']:.2f} s")
        r0 = big["runs"][0]
        w(
            f"   first run: process CPU {r0['cpu_s']:.2f} s (UI thread {r0['ui_cpu_s']:.2f} s, session thread "
            f"{r0['session_cpu_s']:.2f} s); {r0['window']['paints']} frames painted, "
            f"{r0['window']['frame_ms_total'] / 1e3:.2f} s in screen updates (median "
            f"{r0['window']['frame_ms_median']:.0f} ms each, {r0['window']['frame_cpu_ms_median']:.0f} ms of it CPU)"
        )
        w(
            f"   garbage collector: {r0['window']['gc_ms_total']:.0f} ms in total ({r0['window']['gc_cpu_ms_total']:.0f} ms "
            f"CPU), longest pause {r0['window']['gc_ms_max']:.0f} ms ({r0['window']['gc_cpu_ms_max']:.0f} ms CPU), "
            f"{r0['window']['gc_gen2']} full (gen 2) collections"
        )
        lf = r0["window"]["top_frames"]
        w(
            "   longest screen updates (wall ms / CPU ms): "
            + ", ".join(f"{d:.0f}/{c:.0f}" for d, _at, c in lf)
        )
        w(
            f"   worst 10 ms-heartbeat gap {big['beat_gap_max_ms']:.0f} ms; worst gap between painted frames "
            f"{big['paint_gap_max_ms']:.0f} ms; longest screen update {big['frame_ms_max']:.0f} ms"
        )
        worst = max(big["beat_gap_max_ms"], fl["window"]["beat_gap_max_ms"] if fl else 0)
        w(
            f"   target: no frame gap over {TARGET_GAP_MS:.0f} ms (worst heartbeat gap, both phases) -> "
            f"{verdict(worst <= TARGET_GAP_MS)}"
        )
        kv, kp = big["key_visible_ms"], big["key_press_ms"]
        w(
            f"   typing: {big['keys']} keys ({big['keys_while_running']} while running, {big['keys_lost']} never painted), "
            f"every {args.key_interval * 1e3:.0f} ms"
        )
        w(
            f"   key -> painted in the editor: median {kv['median']:.0f} ms, p90 {kv['p90']:.0f} ms, max {kv['max']:.0f} ms; "
            f"pilot.press returned: median {kp['median']:.0f} ms, max {kp['max']:.0f} ms"
        )
        w("")
        w(f"3. App process RSS around each {args.big_lines:,}-line run, MB")
        w(f"   {'run':<4} {'before':>8} {'after':>8} {'after gc':>9} {'peak':>8}")
        for i, r in enumerate(big["runs"], 1):
            w(
                f"   {i:<4} {r['rss_before_mb']:8.0f} {r['rss_after_mb']:8.0f} {r['rss_after_gc_mb']:9.0f} "
                f"{r['hwm_mb']:8.0f}"
            )
        w(
            f"   growth: {big['rss_growth_mb']:.0f} MB right after, {big['rss_growth_after_gc_mb']:.0f} MB after gc, "
            f"peak +{big['peak_growth_mb']:.0f} MB"
        )
        g = max(big["rss_growth_mb"], big["peak_growth_mb"] if not math.isnan(big["peak_growth_mb"]) else 0)
        w(
            f"   target: growth under {TARGET_RSS_MB:.0f} MB (worst of after / peak) -> {verdict(g < TARGET_RSS_MB)}"
        )
    w("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--rounds", type=int, default=3, help="measured flood rounds (default 3, + 1 warm-up)"
    )
    parser.add_argument("--big-rounds", type=int, default=1, help="1,000,000-line runs (default 1)")
    parser.add_argument("--big-lines", type=int, default=BIG_LINES, help="lines of the big run")
    parser.add_argument("--key-interval", type=float, default=0.05, help="seconds between typed keys")
    parser.add_argument("--max-keys", type=int, default=400, help="at most this many keys per big run")
    parser.add_argument("--skip", action="append", default=[], choices=["flood", "big"])
    parser.add_argument(
        "--gc-freeze",
        action="store_true",
        help="diagnostic: gc.freeze() once the app is ready (what tui/app.py could do)",
    )
    parser.add_argument("--profile", metavar="FILE", help="cProfile the UI thread during the big runs")
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
    runtime = LocalRuntime()
    try:
        log("starting the shared local runtime")
        runtime.start()
        res = asyncio.run(bench(args, runtime.url, log))
    except KeyboardInterrupt:
        log("interrupted: cleaning up")
        return 130
    finally:
        with contextlib.suppress(Exception):
            runtime.stop()
        shutil.rmtree(HOME, ignore_errors=True)
    info["loadavg_end"] = list(os.getloadavg())
    a = analyse(res)
    print(report(info, a, args))
    if args.json:
        payload = {
            "machine": info,
            "options": vars(args),
            "targets": {"ratio": TARGET_RATIO, "gap_ms": TARGET_GAP_MS, "rss_mb": TARGET_RSS_MB},
            "results": a,
        }
        Path(args.json).write_text(json.dumps(payload, indent=2, default=str) + "\n")
        log(f"figures written to {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
