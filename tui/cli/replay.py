"""`e2b-workbench replay SOURCE`: run a notebook, an exported JSON file, a `# %%` .py file or
history runs again in a fresh sandbox, and say step by step whether the output matches.

SOURCE is a file, or `history` (the latest session's runs, `--ids` or `--last`). The sandbox
is a fresh local runtime, or an E2B cloud sandbox (the usual target flags). Each step prints
`same`, `different` with a diff of the normalised outputs, `ran` / `raised` (no original
output to compare), or `failed`. Exit codes, for CI: 0 every step matched, 1 a step did not,
2 unusable input (or no sandbox).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from ..core.flags import add_target_arguments
from .export import add_selection_arguments
from .process import EXIT_USAGE, run_async, say

if TYPE_CHECKING:
    from ..core.replay import ReplayReport, StepOutcome

MARKS = {"same": "✓", "ran": "✓", "different": "✗", "raised": "✗", "failed": "!", "skipped": "-"}


def add_parser(commands: argparse._SubParsersAction) -> None:
    replay = commands.add_parser(
        "replay",
        help="re-run a notebook, exported JSON, `# %%%%` .py file or history in a fresh sandbox and "
        "compare each step's output (exit 0 all matched, 1 a difference, 2 unusable input)",
    )
    replay.add_argument("source", help="a .ipynb, .json or .py file, or `history`")
    add_selection_arguments(replay)
    replay.add_argument("--stop-at-first", action="store_true", help="stop at the first step that differs")
    replay.add_argument(
        "--ignore-counts", action="store_true", help="execution counts (and In [n], Out[n]) do not count"
    )
    replay.add_argument(
        "--timeout", type=float, default=300, help="seconds per step before it is interrupted (default 300)"
    )
    replay.add_argument(
        "--save", metavar="FILE", default=None, help="also export the replayed outputs (.ipynb, .md, .json)"
    )
    replay.add_argument("--quiet", "-q", action="store_true", help="print only the steps that did not match")
    add_target_arguments(replay)
    replay.set_defaults(main=main, exit_at_once=True)


def describe(outcome: StepOutcome, out: TextIO, quiet: bool = False) -> None:
    """One step's line, and its diff (or note) indented below it."""
    if quiet and outcome.matched:
        return
    step = outcome.step
    first = next((line.strip() for line in step.code.splitlines() if line.strip()), "")
    out.write(
        f"{MARKS[outcome.verdict]} step {outcome.index} ({step.title}, {step.language}): "
        f"{outcome.verdict}  {first[:60]}\n"
    )
    if outcome.verdict == "different":
        out.write(f"    differs in: {', '.join(outcome.comparison.different)}\n")
        for line in outcome.diff.splitlines():
            out.write(f"    {line}\n")
    elif outcome.note and not outcome.matched:
        out.write(f"    {outcome.note}\n")
    out.flush()


def main(args: argparse.Namespace) -> int:
    from ..core.steps import UnusableInput, history_steps, load_steps

    try:
        if args.source == "history":
            from ..core.history import History

            history = History()
            try:
                steps = history_steps(history, args.ids, args.last)
            finally:
                history.close()
        else:
            if args.ids or args.last:
                say("--ids and --last choose history runs: use them with `replay history`")
                return EXIT_USAGE
            steps = load_steps(Path(args.source))
    except UnusableInput as err:
        say(str(err))
        return EXIT_USAGE

    from ..core.replay import ReplayOptions, replay
    from ..core.target import open_async_sandbox, target_from_args

    target = target_from_args(args)
    if not target.cloud:
        from ..runtime.languages import LanguageUnavailable, require

        for language in sorted({step.language for step in steps}):
            try:
                require(language)
            except LanguageUnavailable as err:
                say(str(err))
                return EXIT_USAGE
    options = ReplayOptions(
        timeout=args.timeout, stop_at_first=args.stop_at_first, ignore_counts=args.ignore_counts
    )

    def on_step(outcome: StepOutcome) -> None:
        if outcome.verdict != "skipped" or outcome.note:  # a step that ended (or was never run)
            describe(outcome, sys.stdout, args.quiet)

    async def run() -> int:
        async with open_async_sandbox(target) as sandbox:
            report = await replay(sandbox, steps, options, on_step)
        print(report.summary())
        if args.save:
            save(report, args.save)
        return report.exit_code

    exit_code, failed = run_async(run())
    return failed or (exit_code if exit_code is not None else EXIT_USAGE)


def save(report: ReplayReport, path: str) -> None:
    """Export what the replay produced, so it can be the reference of the next replay."""
    from dataclasses import replace

    from ..core.export import ExportError, export_steps

    steps = [
        replace(
            o.step,
            transcript=o.transcript,
            status="error" if o.transcript.error else "ok",
            duration=o.duration,
        )
        for o in report.outcomes
        if o.verdict not in ("skipped", "failed")
    ]
    try:
        export_steps(steps, Path(path))
        say(f"saved the replayed outputs to {path}")
    except (ExportError, OSError) as err:
        say(f"could not save {path}: {err}")
