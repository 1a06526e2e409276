#!/usr/bin/env python
"""Benchmark a chart-heavy run in the app against the bare SDK, in one run.

One shared local runtime (`LocalRuntime()`, spares on). Each round runs the same code,
`--charts` matplotlib figures shown one after another, twice, in an order that rotates:

- sdk: the sync SDK's `run_code` on a warm python context (matplotlib imported already),
  wall time until it returns with every result parsed;
- app: the headless app (`WorkbenchApp(session=Session(url=...))`, 120x40), from just
  before `pilot.press("f5")` until the run's record is finished and its block redrawn with
  every artifact (names listed, thumbnails for the first ones; checked after the timing).

Before measuring, the app waits until every default context has started and the machine
settles, so kernel start-ups do not land inside a round. Reported: medians, and the ratio
app / sdk (the cost of receiving, recording and drawing the artifacts).

Run:  python bench/artifacts_bench.py [--rounds 5] [--charts 40]
"""

from __future__ import annotations

import argparse
import asyncio
import io
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ["E2B_WORKBENCH_HOME"] = tempfile.mkdtemp(prefix="e2b-artifacts-bench-")

from _stats import median, rotated  # noqa: E402
from e2b_code_interpreter import Sandbox  # noqa: E402
from rich.console import Console  # noqa: E402

from tui.app import WorkbenchApp  # noqa: E402
from tui.core.artifacts import artifacts_of  # noqa: E402
from tui.core.session import Session  # noqa: E402
from tui.demo import quit_app, run_and_wait, wait_ready, wait_started  # noqa: E402
from tui.runtime.launcher import LocalRuntime  # noqa: E402


def chart_code(charts: int) -> str:
    return (
        "import matplotlib.pyplot as plt\n"
        f"for i in range({charts}):\n"
        "    plt.figure(figsize=(4, 3)); plt.plot(range(i + 2)); plt.title(f'chart {i}'); plt.show()\n"
    )


def body_text(block) -> str:
    console = Console(width=120, record=True, file=io.StringIO())
    console.print(block.query_one(".run-body").content)
    return console.export_text()


def sdk_round(sandbox: Sandbox, code: str, charts: int) -> float:
    started = time.perf_counter()
    execution = sandbox.run_code(code, timeout=300)
    elapsed = time.perf_counter() - started
    assert execution.error is None and len(execution.results) == charts, execution.error
    return elapsed


async def app_rounds(
    url: str, code: str, charts: int, sandbox: Sandbox, rounds: int
) -> dict[str, list[float]]:
    times: dict[str, list[float]] = {"app": [], "sdk": []}
    app = WorkbenchApp(session=Session(url=url))
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot)
        await wait_started(pilot)
        await pilot.pause(3)  # let kernel start-ups finish their CPU work
        await run_and_wait(pilot, "import matplotlib.pyplot as plt")
        for i in range(rounds):
            for side in rotated(i, ["app", "sdk"]):
                if side == "sdk":
                    times["sdk"].append(await asyncio.to_thread(sdk_round, sandbox, code, charts))
                    continue
                started = time.perf_counter()
                # returns once the record is finished, its block redrawn (on RunFinished) and
                # 0.1 s of frames have gone by: that 0.1 s is taken off
                record = await run_and_wait(pilot, code, timeout=300)
                times["app"].append(time.perf_counter() - started - 0.1)
                names = [a.name for a in artifacts_of(record)]
                assert record.status == "ok" and len(names) == charts, record.failure
                shown = body_text(app.main.log_view.blocks[record.seq])
                assert all(name in shown for name in names), "not every artifact is drawn"
            app.main.action_clear_log()
        await quit_app(pilot)
    return times


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--charts", type=int, default=40)
    args = parser.parse_args()
    code = chart_code(args.charts)
    print(
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.2f}"
    )
    with LocalRuntime() as runtime:
        sandbox = Sandbox.create(debug=True, sandbox_url=runtime.url)
        sandbox.run_code("import matplotlib.pyplot as plt", timeout=120)
        times = asyncio.run(app_rounds(runtime.url, code, args.charts, sandbox, args.rounds))
    app, sdk = median(times["app"]), median(times["sdk"])
    print(f"{args.charts} charts, {args.rounds} rounds (medians):")
    print(f"  sdk  {sdk:6.2f} s   ({', '.join(f'{t:.2f}' for t in times['sdk'])})")
    print(f"  app  {app:6.2f} s   ({', '.join(f'{t:.2f}' for t in times['app'])})")
    print(f"  app / sdk = {app / sdk:.2f}x   (load after: {os.getloadavg()[0]:.2f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
