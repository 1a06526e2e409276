#!/usr/bin/env python
"""How a python context's output flood scales: N lines, then 10x N, through the SDK.

Printing is linear work, so 10x the lines should take about 10x the time. IPython 9 (the
version E2B's template pins, and so the sandbox environment's) appends every write of a cell
to one growing string in its output history, which is quadratic; the runtime's IPython
extension turns that record off. This script measures both in the same run, in two contexts
of one runtime, interleaved round by round:

- **workbench**: a context as the runtime gives it (the record off);
- **ipython default**: a context where the first run puts IPython's own `_tee` back
  (`ip._tee = type(ip)._tee.__get__(ip)`), i.e. the kernel as stock IPython 9 runs it.

Each round runs `for i in range(n): print(i)` with an `on_stdout` callback counting the lines,
checks every line arrived, and times it from the call to the return of `run_code`. The figure
to watch is the ratio time(10N) / time(N): about 10 is linear; 100 is quadratic.

Run:  python bench/flood_bench.py [--lines 100000] [--rounds 3] [--json out.json]
(the 10x run of the ipython-default side is skipped above --max-default-lines, default
400000: stock IPython takes minutes there; its figure is then extrapolated nowhere, only said)
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _machine import machine_info  # noqa: E402
from _stats import median, rotated  # noqa: E402
from e2b_code_interpreter import Sandbox  # noqa: E402

from tui.runtime.launcher import LocalRuntime  # noqa: E402

PACKAGES = ["e2b-code-interpreter"]
RESTORE_TEE = "_ip = get_ipython(); _ip._tee = type(_ip)._tee.__get__(_ip); del _ip"


def flood(sbx: Sandbox, context, n: int) -> float:
    """Seconds for `n` printed lines, every one of them seen by the callback."""
    seen = 0

    def count(message) -> None:
        nonlocal seen
        seen += message.line.count("\n")

    start = time.perf_counter()
    execution = sbx.run_code(f"for i in range({n}): print(i)", context=context, on_stdout=count, timeout=1800)
    took = time.perf_counter() - start
    if execution.error is not None:
        raise RuntimeError(f"the flood failed: {execution.error.name}: {execution.error.value}")
    if seen != n:
        raise RuntimeError(f"{seen} lines of {n} arrived")
    return took


def cell(seconds: float | None) -> str:
    return f"{seconds:.2f} s" if seconds is not None else "skipped"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lines", type=int, default=100_000, help="N (default 100000); the big run is 10x N")
    parser.add_argument("--rounds", type=int, default=3, help="rounds per size and side (default 3)")
    parser.add_argument(
        "--max-default-lines", type=int, default=400_000, help="skip the ipython-default side above this"
    )
    parser.add_argument("--json", metavar="FILE", help="also write every figure here")
    args = parser.parse_args(argv)
    info = machine_info(PACKAGES)
    load = " ".join(f"{x:.2f}" for x in info["loadavg_start"])
    print(f"# flood scaling · {info['date']} · {info['nproc']} CPU · load {load}", flush=True)

    runtime = LocalRuntime(spares=False)
    runtime.start()
    try:
        sbx = Sandbox.create(debug=True, sandbox_url=runtime.url)
        versions = sbx.run_code(
            "import IPython, ipykernel; print(IPython.__version__, ipykernel.__version__)"
        )
        print(f"# the kernel's IPython, ipykernel: {''.join(versions.logs.stdout).strip()}", flush=True)
        info["kernel_versions"] = "".join(versions.logs.stdout).strip()
        sides = {"workbench": sbx.create_code_context(), "ipython default": sbx.create_code_context()}
        restored = sbx.run_code(RESTORE_TEE, context=sides["ipython default"])
        if restored.error is not None:
            print(f"this IPython has no _tee to restore ({restored.error.value}): nothing to compare")
            sides.pop("ipython default")
        for context in sides.values():
            flood(sbx, context, 1000)  # warm-up
        sizes = [args.lines, args.lines * 10]
        times: dict[tuple[str, int], list[float]] = {}
        for r in range(args.rounds):
            for size in sizes:
                for name in rotated(r, list(sides)):
                    if name == "ipython default" and size > args.max_default_lines:
                        continue
                    took = flood(sbx, sides[name], size)
                    times.setdefault((name, size), []).append(took)
                    print(f"  round {r + 1} {name:16} {size:>9,} lines: {took:7.2f} s", flush=True)
    finally:
        runtime.stop()

    print()
    print(f"| side | {sizes[0]:,} lines | {sizes[1]:,} lines | ratio (10 = linear) |")
    print("|---|---|---|---|")
    figures: dict[str, dict] = {}
    for name in sides:
        small = times.get((name, sizes[0]))
        big = times.get((name, sizes[1]))
        small_m = median(small) if small else None
        big_m = median(big) if big else None
        ratio = big_m / small_m if small_m and big_m else None
        figures[name] = {
            "small_s": small_m,
            "big_s": big_m,
            "ratio": ratio,
            "samples": {str(sizes[0]): small, str(sizes[1]): big},
        }
        print(f"| {name} | {cell(small_m)} | {cell(big_m)} | {f'{ratio:.1f}x' if ratio else '-'} |")
    wb, default = figures.get("workbench"), figures.get("ipython default")
    if wb and default and wb["small_s"] and default["small_s"]:
        print(
            f"\nat {sizes[0]:,} lines, ipython default / workbench = {default['small_s'] / wb['small_s']:.2f}x"
        )
    if args.json:
        Path(args.json).write_text(
            json.dumps({"machine": info, "sizes": sizes, "figures": figures}, indent=2)
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
