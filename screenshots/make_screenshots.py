"""Make the README's screenshots from the real app: `python screenshots/make_screenshots.py`.

Starts a local runtime (its own process, real kernels), drives the app headlessly with
Textual's Pilot, and saves SVGs next to this file:

  main.svg         contexts of several languages, and a log with stdout, a JSON result,
                   a DataFrame table and an error
  new-context.svg  the new-context dialog (F2)
  history.svg      the history browser (F3)
  chart.svg        a matplotlib chart in the log: its artifact line and thumbnail
  chart-preview.svg      the chart's image full-screen (p; half-block graphics)
  chart-interactive.svg  the chart drawn from its data, with its data table (i)
  tool-call.svg    the tool-call view (F12): an LLM's run_code call, what ran, the JSON back
  output.svg       output as a terminal shows it: a progress bar and colours, a 1000x30
                   DataFrame (index, head and tail, what is hidden), HTML, a search (Ctrl+F)
  completion.svg   completion from the kernel (Ctrl+Space) in the editor

What changes from run to run (ids, ports, paths, durations, times) is frozen first, so
the pictures only change when the app does.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # run from a checkout without installing

from textual.pilot import Pilot  # noqa: E402
from textual.widgets import Input, TextArea  # noqa: E402

from tui import demo  # noqa: E402
from tui.app import WorkbenchApp  # noqa: E402
from tui.core.session import Session  # noqa: E402
from tui.core.tool import read_calls  # noqa: E402
from tui.demo import quit_app, run_and_wait, wait_ready, wait_started, wait_until  # noqa: E402
from tui.runtime.launcher import LocalRuntime  # noqa: E402
from tui.screens.chart import ChartScreen  # noqa: E402
from tui.screens.completion import CompletionScreen  # noqa: E402
from tui.screens.history import HistoryScreen  # noqa: E402
from tui.screens.new_context import NewContextScreen  # noqa: E402
from tui.screens.preview import PreviewScreen  # noqa: E402
from tui.screens.tool_call import ToolCallScreen  # noqa: E402

SIZE = (120, 40)
LANGUAGES = ("python", "javascript", "bash")
FIXED_START = time.mktime((2025, 1, 6, 9, 30, 0, 0, 0, -1))  # when the history says the runs were

# (language of the context, code): the python ones are what the log shows
RUNS = [
    ("bash", 'echo "$((6 * 7)) files in $(basename "$PWD")"'),
    ("javascript", "const xs = [1, 2, 3].map(x => x * x)\nconsole.log('squares:', xs.join(', '))"),
    ("python", "print('hello from python')\n{'model': 'e2b', 'ok': True}"),
    (
        "python",
        "import pandas as pd\npd.DataFrame({'city': ['Oslo', 'Pune'], 'temp': [4.5, 31.2], 'rain': [12, 3]})",
    ),
    ("python", "raise ValueError('no such column: price')"),
]
FIRST_SHOWN = 2  # the log is scrolled to start at this run (a person scrolling up a little)
# the code left in the editor in the picture
EDITOR_CODE = (
    "import pandas as pd\n\n"
    "df = pd.DataFrame({'city': ['Oslo', 'Lima', 'Pune'], 'temp': [4.5, 19.0, 31.2]})\n"
    "print(df.temp.mean())\n"
    "df\n"
)
# the chart of chart.svg, chart-preview.svg and chart-interactive.svg
CHART_CODE = (
    "import matplotlib.pyplot as plt\n\n"
    "fig, ax = plt.subplots(figsize=(6, 3.5))\n"
    "ax.plot([1, 2, 3, 4], [3.1, 5.2, 4.4, 6.8], label='north')\n"
    "ax.plot([1, 2, 3, 4], [1.2, 2.5, 4.1, 3.6], label='south')\n"
    "ax.set_title('Sales'); ax.set_xlabel('quarter'); ax.set_ylabel('revenue (k€)')\n"
    "ax.legend()\n"
    "plt.show()\n"
)


async def use_context(pilot: Pilot, language: str) -> None:
    """Point the current buffer at the first context of `language`."""
    app = pilot.app
    assert isinstance(app, WorkbenchApp)
    editor = app.main.editor_pane.current()
    info = app.runbook.for_language(language)
    assert editor is not None and info is not None, f"no {language} context"
    app.main.bind(editor, info)
    await pilot.pause()


async def hold_still(pilot: Pilot) -> None:
    """Freeze what changes between runs (the history's ids and times too), hold the app still."""
    app = pilot.app
    assert isinstance(app, WorkbenchApp)
    real_ids = {info.id: info for info in app.runbook.contexts.values()}
    await demo.hold_still(pilot)
    # the history keeps the real ids, times and durations: freeze them as well
    for n, (row_id, context_id) in enumerate(
        app.history.db.execute("SELECT id, context_id FROM runs ORDER BY id").fetchall(), start=1
    ):
        info = real_ids.get(context_id)
        app.history.db.execute(
            "UPDATE runs SET context_id = ?, started_at = ?, duration = ? WHERE id = ?",
            (info.id if info else context_id, FIXED_START + 7 * n, 0.042 * n, row_id),
        )
    app.history.db.commit()


def save(app: WorkbenchApp, out: Path, name: str) -> None:
    app.save_screenshot(filename=name, path=str(out))
    print(f"wrote {out / name}")


async def make(url: str, out: Path) -> None:
    app = WorkbenchApp(session=Session(url=url))
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot, LANGUAGES)
        await wait_started(pilot)
        records = []
        for language, code in RUNS:
            await use_context(pilot, language)
            record = await run_and_wait(pilot, code)
            if record.status not in ("ok", "error"):
                raise RuntimeError(f"{language} run failed: {record.status} {record.failure}")
            records.append(record)
        editor = app.main.editor_pane.current()
        assert editor is not None
        editor.replace(EDITOR_CODE, (0, 0), editor.document.end)
        editor.move_cursor((4, 2))
        await hold_still(pilot)
        first = app.main.log_view.blocks[records[FIRST_SHOWN].seq]
        app.main.log_view.scroll_to(y=first.virtual_region.y, animate=False)
        await pilot.pause(0.1)
        save(app, out, "main.svg")

        await pilot.press("f2")
        await wait_until(pilot, lambda: isinstance(app.screen, NewContextScreen), what="the dialog")
        app.screen.query_one("#cwd", Input).value = "~/project/data"
        await hold_still(pilot)
        save(app, out, "new-context.svg")
        await pilot.press("escape")
        await wait_until(pilot, lambda: not isinstance(app.screen, NewContextScreen), what="closing")

        await hold_still(pilot)  # history rows get frozen before the screen reads them
        await pilot.press("f3")
        await wait_until(pilot, lambda: isinstance(app.screen, HistoryScreen), what="the history")
        await hold_still(pilot)
        save(app, out, "history.svg")
        await pilot.press("escape")
        await quit_app(pilot)


async def make_charts(url: str, out: Path) -> None:
    """A second app on the same runtime (freezing renamed the first one's contexts)."""
    app = WorkbenchApp(session=Session(url=url))
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot, LANGUAGES)
        await wait_started(pilot)
        await use_context(pilot, "python")
        record = await run_and_wait(pilot, CHART_CODE)
        if record.status != "ok":
            raise RuntimeError(f"chart run failed: {record.status} {record.failure}")
        app.graphics = "halfblock"  # the same picture whatever terminal makes it
        await hold_still(pilot)
        block = app.main.log_view.blocks[record.seq]
        block.focus()
        app.main.log_view.scroll_to(y=block.virtual_region.y, animate=False)
        await pilot.pause(0.5)  # the footer recomposes for the focused block's keys
        save(app, out, "chart.svg")

        await pilot.press("p")
        await wait_until(pilot, lambda: isinstance(app.screen, PreviewScreen), what="the preview")
        await pilot.pause(0.3)
        save(app, out, "chart-preview.svg")
        await pilot.press("escape")
        await wait_until(pilot, lambda: not isinstance(app.screen, PreviewScreen), what="closing")

        await pilot.press("i")
        await wait_until(pilot, lambda: isinstance(app.screen, ChartScreen), what="the chart")
        await pilot.press("down", "down")  # the table's third row, marked on the plot
        await pilot.pause(0.3)
        save(app, out, "chart-interactive.svg")
        await pilot.press("escape")
        await wait_until(pilot, lambda: not isinstance(app.screen, ChartScreen), what="closing")

        await pilot.press("f12")
        await wait_until(pilot, lambda: isinstance(app.screen, ToolCallScreen), what="the tool-call view")
        screen = app.screen
        screen.query_one("#tool-input", TextArea).load_text(TOOL_CALL)
        await pilot.press("f5")
        await wait_until(pilot, lambda: screen.results, what="the tool call's result")
        for result in screen.results:  # what changes from run to run
            result["duration_s"], result["execution_count"] = 0.042, 7
        calls, found = read_calls(TOOL_CALL)
        screen.show(calls, screen.results, found)
        await pilot.pause(0.3)
        save(app, out, "tool-call.svg")
        await pilot.press("escape")
        await quit_app(pilot)


OUTPUT_RUNS = [
    "import sys, time\n"
    "for i in range(0, 101, 4):\n"
    "    bar = '█' * (i // 5) + '░' * (20 - i // 5)\n"
    "    print(f'\\r\\x1b[36mtraining\\x1b[0m {bar} {i:3d}%', end='', flush=True)\n"
    "print('\\n\\x1b[1;32m✔ done\\x1b[0m in 25 steps')",
    "import numpy as np, pandas as pd\n"
    "pd.DataFrame(np.arange(30000).reshape(1000, 30), columns=[f'c{i}' for i in range(30)])",
    "import statistics\nfrom IPython.display import HTML\n"
    "HTML('<p><b>Report</b> for <i>Oslo</i>, see <a href=\"https://e2b.dev\">e2b.dev</a></p>'\n"
    "     '<ul><li>rain: 12 mm</li><li>wind: 4 m/s</li></ul>')",
]


async def make_output(url: str, out: Path) -> None:
    """Output as faithful as a terminal shows it, a search, and completion from the kernel."""
    app = WorkbenchApp(session=Session(url=url))
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot, LANGUAGES)
        await wait_started(pilot)
        await use_context(pilot, "python")
        for code in OUTPUT_RUNS:
            record = await run_and_wait(pilot, code)
            if record.status != "ok":
                raise RuntimeError(f"output run failed: {record.status} {record.failure}")
        editor = app.main.editor_pane.current()
        assert editor is not None
        # completion first: freezing (for the pictures) renames the contexts the kernel is asked through
        editor.replace("xs = [3, 1, 4, 1, 5]\nstatistics.m", (0, 0), editor.document.end)
        editor.move_cursor(editor.document.end)
        editor.focus()
        await pilot.press("ctrl+@")
        await wait_until(pilot, lambda: isinstance(app.screen, CompletionScreen), what="the completion menu")
        demo.freeze(app)
        editor.cursor_blink = False
        app.clear_notifications()
        await pilot.pause(0.3)
        save(app, out, "completion.svg")
        await pilot.press("escape")
        await wait_until(pilot, lambda: not isinstance(app.screen, CompletionScreen), what="closing")

        editor.replace("df.describe()\n", (0, 0), editor.document.end)
        await hold_still(pilot)
        await pilot.press("ctrl+f")
        bar = app.main.query_one("#log-search")
        await pilot.press(*"299")
        await wait_until(pilot, lambda: "matches" in bar.count_text, what="the search")
        await pilot.press("enter")
        await pilot.pause(0.3)
        save(app, out, "output.svg")
        await pilot.press("escape")
        await quit_app(pilot)


# an OpenAI-style tool call, as a model sends it
TOOL_CALL = """{
  "id": "call_7Qx2",
  "type": "function",
  "function": {
    "name": "run_code",
    "arguments": "{\\"language\\": \\"python\\", \\"code\\": \\"import statistics\\\\nxs = [3, 1, 4, 1, 5, 9]\\\\nprint('n =', len(xs))\\\\nstatistics.mean(xs)\\"}"
  }
}"""


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--out", default=str(HERE), help="where to write the SVGs (default: next to this)")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="e2b-workbench-shots-") as tmp:
        # buffers, history and config of the app, and the runtime's working directory
        os.environ["E2B_WORKBENCH_HOME"] = str(Path(tmp) / "home")
        workdir = Path(tmp) / "project"
        workdir.mkdir()
        runtime = LocalRuntime(cwd=str(workdir))
        runtime.start()
        try:
            asyncio.run(make(runtime.url, out))
            asyncio.run(make_charts(runtime.url, out))
            asyncio.run(make_output(runtime.url, out))
        finally:
            runtime.stop()


if __name__ == "__main__":
    main()
