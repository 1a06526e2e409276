"""Replay: run steps again in fresh contexts and say, step by step, whether the output matches.

`replay(sandbox, steps, options)` creates a fresh context for every context the steps first
ran in (steps that do not say, such as a notebook's cells, share one per language), runs
the steps in order, compares each with its original (`compare.py`) and removes the contexts
at the end. The sandbox is whatever the caller opened: the app's own (fresh contexts in it),
or a fresh local runtime or E2B cloud sandbox (`target.open_async_sandbox`).

A step with no original output (a `.py` cell, a run whose outputs were not kept) cannot be
compared: it matches when it raises as its original did (when that is known) or, failing
that, when it does not raise.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from e2b.exceptions import TimeoutException
from e2b_code_interpreter import AsyncSandbox
from e2b_code_interpreter.models import Context, ExecutionError, OutputMessage, Result

from .compare import Comparison, compare
from .deadline import run_code_within
from .steps import Step
from .transcript import Chunk, Transcript

Verdict = Literal["same", "different", "ran", "raised", "failed", "skipped"]
EXIT_MATCHED, EXIT_DIFFERENT, EXIT_UNUSABLE = 0, 1, 2


@dataclass
class ReplayOptions:
    timeout: float = 300.0  # seconds per step (0: none)
    stop_at_first: bool = False  # stop at the first step that does not match
    ignore_counts: bool = False  # execution counts (and In [n] / Out[n] in texts) do not count


@dataclass
class StepOutcome:
    """What became of one step."""

    index: int  # from 1
    step: Step
    verdict: Verdict = "skipped"
    transcript: Transcript = field(default_factory=Transcript)
    comparison: Comparison = field(default_factory=Comparison)
    note: str = ""  # why it failed, or what was compared
    duration: float = 0.0

    @property
    def matched(self) -> bool:
        return self.verdict in ("same", "ran")

    @property
    def diff(self) -> str:
        return self.comparison.diff


@dataclass
class ReplayReport:
    outcomes: list[StepOutcome]

    @property
    def all_matched(self) -> bool:
        return all(o.matched for o in self.outcomes)

    @property
    def first_difference(self) -> StepOutcome | None:
        return next((o for o in self.outcomes if not o.matched and o.verdict != "skipped"), None)

    @property
    def exit_code(self) -> int:
        return EXIT_MATCHED if self.all_matched else EXIT_DIFFERENT

    def summary(self) -> str:
        counts: dict[str, int] = {}
        for outcome in self.outcomes:
            counts[outcome.verdict] = counts.get(outcome.verdict, 0) + 1
        order = ("same", "ran", "different", "raised", "failed", "skipped")
        said = ", ".join(f"{counts[v]} {v}" for v in order if counts.get(v))
        head = "every step matched" if self.all_matched else "not every step matched"
        return f"{len(self.outcomes)} steps: {said} — {head}"


async def capture_run(
    sandbox: AsyncSandbox, code: str, context: Context, timeout: float
) -> tuple[Transcript, str]:
    """Run `code` in `context`; its transcript, and why it failed outside the code ("" if not)."""
    transcript = Transcript()

    def stream(name: Literal["stdout", "stderr"]) -> Callable[[OutputMessage], None]:
        return lambda msg: transcript.events.append(Chunk(name, msg.line))

    def on_result(result: Result) -> None:
        transcript.events.append(result)

    def on_error(error: ExecutionError) -> None:
        transcript.events.append(error)

    try:
        execution = await run_code_within(
            sandbox,
            code,
            timeout,
            context=context,
            on_stdout=stream("stdout"),
            on_stderr=stream("stderr"),
            on_result=on_result,
            on_error=on_error,
        )
    except TimeoutException as err:
        return transcript, f"timed out: {err}"
    except asyncio.CancelledError:
        raise
    except Exception as err:  # the sandbox could not run it: said on the step, never raised
        return transcript, f"{type(err).__name__}: {err}"
    transcript.execution_count = execution.execution_count
    return transcript, ""


def judge(step: Step, transcript: Transcript, options: ReplayOptions) -> tuple[Verdict, Comparison, str]:
    """A replayed step's verdict against its original."""
    if step.has_original:
        comparison = compare(step.transcript, transcript, options.ignore_counts)
        return ("same" if comparison.same else "different"), comparison, ""
    error = transcript.error
    raised = error.name if error else None
    expected = step.error_name if step.status else None
    if raised == expected:
        note = "no original output: it raised as the original did" if raised else "no original output: it ran"
        return "ran", Comparison(), note
    if raised:
        note = f"no original output; it raised {raised}: {error.value if error else ''}"
    else:
        note = f"no original output; the original raised {expected}, the replay did not"
    return "raised", Comparison(["error"], ""), note


def context_key(step: Step) -> tuple[str, str]:
    """Steps that ran in one context replay in one fresh context (per language when unknown)."""
    return step.language, step.context


async def replay(
    sandbox: AsyncSandbox,
    steps: list[Step],
    options: ReplayOptions | None = None,
    on_step: Callable[[StepOutcome], None] | None = None,
) -> ReplayReport:
    """Run `steps` in fresh contexts of `sandbox`, in order, judging each against its original.

    `on_step` is told about each step as it starts (verdict "skipped" until it ends) and ends.
    """
    options = options or ReplayOptions()
    outcomes = [StepOutcome(n, step) for n, step in enumerate(steps, start=1)]
    contexts: dict[tuple[str, str], Context] = {}
    stopped = False
    try:
        for outcome in outcomes:
            if stopped:
                outcome.note = "not run: stopped at the first difference"
                if on_step:
                    on_step(outcome)
                continue
            step = outcome.step
            if on_step:
                on_step(outcome)
            started = time.monotonic()
            key = context_key(step)
            context = contexts.get(key)
            failure = ""
            if context is None:
                try:
                    context = await sandbox.create_code_context(language=step.language, request_timeout=180)
                    contexts[key] = context
                except Exception as err:
                    failure = f"could not create a {step.language} context: {err}"
            if context is not None:
                outcome.transcript, failure = await capture_run(sandbox, step.code, context, options.timeout)
            outcome.duration = time.monotonic() - started
            if failure:
                outcome.verdict, outcome.note = "failed", failure
            else:
                outcome.verdict, outcome.comparison, outcome.note = judge(step, outcome.transcript, options)
            if on_step:
                on_step(outcome)
            if options.stop_at_first and not outcome.matched:
                stopped = True
    finally:
        for context in contexts.values():
            try:
                await sandbox.remove_code_context(context)
            except Exception:  # noqa: S110 - a context that is already gone is fine
                pass
    return ReplayReport(outcomes)
