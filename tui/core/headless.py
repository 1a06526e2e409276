"""`e2b-workbench run`: one piece of code through the SDK, output streamed to a terminal.

Tracebacks name the script: IPython calls the code it ran `Cell In[1]`; when the code is a
file, the frame headers say `File plot.py:3` instead (the line numbers are the file's, as
the code runs as it is). Image results are saved by `saving.ImageSaver`.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import TextIO

from e2b_code_interpreter import AsyncSandbox
from e2b_code_interpreter.models import Execution, ExecutionError, OutputMessage, Result

from . import forms
from .charts import chart_summary
from .deadline import run_code_within
from .saving import ImageSaver

_CELL = re.compile(r"Cell In\[\d+\], line (\d+)")


def describe_result(result: Result, saved: list[Path]) -> str:
    """The text a terminal shows for one result: its text form, as the language prints the
    value (`{'done': True}`, not JSON's `{"done": true}`); a DataFrame as an aligned table."""
    parts = [f"[image saved: {p}]" for p in saved]
    if result.chart is not None:
        summary = chart_summary(result.chart)
        parts.append(f"[chart: {summary['type']}{' · ' + summary['title'] if summary['title'] else ''}]")
    if not saved and forms.default_form(result) is not None:
        parts.append(forms.form_text(result))  # as the language prints it (a table for a DataFrame)
    if not parts:
        parts.append(f"[result: {', '.join(result.formats())}]")
    return "\n".join(parts)


def name_cells(traceback: str, script: str) -> str:
    """A Python traceback with IPython's `Cell In[1], line 3` said as `File script:3`."""
    return _CELL.sub(lambda match: f"File {script}:{match.group(1)}", traceback)


async def run_headless(
    sandbox: AsyncSandbox,
    code: str,
    language: str,
    stem: str,
    save_dir: Path,
    timeout: float | None,
    out: TextIO = sys.stdout,
    err: TextIO = sys.stderr,
    script: str | None = None,
) -> tuple[Execution, ImageSaver]:
    """Run `code`, streaming stdout/stderr as they come and results as they arrive.

    `timeout` (0: none) fires on time: it is bounded here, not by the SDK (see deadline).
    `script` is the name tracebacks give the code (python), instead of `Cell In[n]`.
    """
    saver = ImageSaver(save_dir, stem)

    def on_stdout(msg: OutputMessage) -> None:
        out.write(msg.line)
        out.flush()

    def on_stderr(msg: OutputMessage) -> None:
        err.write(msg.line)
        err.flush()

    def on_result(result: Result) -> None:
        text = describe_result(result, saver.save(result))
        out.write(text if text.endswith("\n") else text + "\n")
        out.flush()

    def on_error(error: ExecutionError) -> None:
        trace = error.traceback.rstrip()
        if script and language == "python":
            trace = name_cells(trace, script)
        if trace:
            err.write(trace + "\n")
        last = trace.splitlines()[-1] if trace else ""
        if error.name not in last:  # make sure name and value are said
            err.write(f"{error.name}: {error.value}\n")
        err.flush()

    execution = await run_code_within(
        sandbox,
        code,
        timeout or 0,
        language=language,
        on_stdout=on_stdout,
        on_stderr=on_stderr,
        on_result=on_result,
        on_error=on_error,
    )
    return execution, saver
