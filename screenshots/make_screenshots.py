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
  replay.svg       a replay of the log's runs (Alt+R) after their input file changed: a step
                   that differs, with its diff
  fanout.svg       one snippet in three python contexts (Alt+M), the one that differs marked
  files.svg        the Files pane (Alt+D) after a run that read a CSV and wrote two files
                   (marked new), with a quick command's block in the log
  file-preview.svg a CSV previewed from the Files pane, as a table with its row count
  terminal.svg     the terminal pane (F10): a shell in the sandbox
  cockpit.svg      the cockpit (F11) of the local runtime: kernels, the terminal, CPU and memory

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
from tui.core import cockpit  # noqa: E402
from tui.core.session import Session  # noqa: E402
from tui.core.tool import read_calls  # noqa: E402
from tui.demo import quit_app, run_and_wait, wait_ready, wait_started, wait_until  # noqa: E402
from tui.runtime.launcher import LocalRuntime  # noqa: E402
from tui.screens.chart import ChartScreen  # noqa: E402
from tui.screens.cockpit import CockpitScreen  # noqa: E402
from tui.screens.completion import CompletionScreen  # noqa: E402
from tui.screens.fanout import FanOutScreen  # noqa: E402
from tui.screens.file_preview import FilePreviewScreen  # noqa: E402
from tui.screens.history import HistoryScreen  # noqa: E402
from tui.screens.new_context import NewContextScreen  # noqa: E402
from tui.screens.preview import PreviewScreen  # noqa: E402
from tui.screens.replay import ReplayScreen  # noqa: E402
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
        last = app.main.log_view.focused_block()
        assert last is not None
        last.focus()  # Ctrl+F searches the log from any pane
        await pilot.press("ctrl+f")
        bar = app.main.query_one("#log-search")
        await pilot.press(*"299")
        await wait_until(pilot, lambda: "matches" in bar.count_text, what="the search")
        await pilot.press("enter")
        await pilot.pause(0.3)
        save(app, out, "output.svg")
        await pilot.press("escape")
        await quit_app(pilot)


# replay.svg: runs that read a file, which then gets one more row before the replay
PRICES = "item,price\ntea,3.50\ncake,4.25\n"
PRICES_LATER = PRICES + "jam,2.75\n"
REPLAY_RUNS = [
    "rows = open('prices.csv').read().splitlines()\nprint(len(rows) - 1, 'items')\nrows[-1]",
    "total = sum(float(row.split(',')[1]) for row in rows[1:])\nprint(f'total {total:.2f}')",
    "import math\nmath.isclose(0.1 + 0.2, 0.3)",
]


async def make_compare(url: str, out: Path, workdir: Path) -> None:
    """replay.svg and fanout.svg: a third app (freezing renamed the others' contexts)."""
    app = WorkbenchApp(session=Session(url=url))
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot)
        await wait_started(pilot)
        (workdir / "prices.csv").write_text(PRICES)
        for code in REPLAY_RUNS:
            record = await run_and_wait(pilot, code)
            if record.status != "ok":
                raise RuntimeError(f"replay run failed: {record.status} {record.failure}")
        (workdir / "prices.csv").write_text(PRICES_LATER)
        await pilot.press("alt+r")
        await wait_until(pilot, lambda: isinstance(app.screen, ReplayScreen), what="the replay view")
        screen = app.screen
        await pilot.press("f5")
        await wait_until(pilot, lambda: screen.report is not None, what="the replay")
        app.session.url = "http://127.0.0.1:49999/frozen"  # (freeze would rename the contexts in use)
        app.refresh_header()
        await pilot.pause(0.3)
        save(app, out, "replay.svg")
        await pilot.press("escape")
        await wait_until(pilot, lambda: not isinstance(app.screen, ReplayScreen), what="closing")

        # fan-out: x differs in the third of three python contexts
        for _ in range(2):
            app.main.create_context("python", "", bind=False)
        await wait_until(
            pilot,
            lambda: len([c for c in app.runbook.live_contexts() if c.language == "python"]) >= 3,
            what="three python contexts",
        )
        contexts = [c for c in app.runbook.live_contexts() if c.language == "python"][:3]
        setup = [app.main.run_in(f"x = {v}", c) for c, v in zip(contexts, (21, 21, 20), strict=True)]
        await wait_until(pilot, lambda: not any(r.running for r in setup), what="the set-up runs")
        for entry in contexts:
            entry.marked = True
        await use_context(pilot, "python")
        editor = app.main.editor_pane.current()
        assert editor is not None
        editor.replace("print('x is', x)\nx * 2", (0, 0), editor.document.end)
        await pilot.press("alt+m")
        await wait_until(pilot, lambda: isinstance(app.screen, FanOutScreen), what="the fan-out view")
        fan = app.screen
        await wait_until(pilot, lambda: fan.result is not None, what="every lane to end")
        demo.freeze(app)
        for lane in fan.fanout.lanes:  # the frozen context names
            if lane.record is not None:
                lane.label = lane.record.context_label
        fan.redraw()
        await pilot.pause(0.3)
        save(app, out, "fanout.svg")


PANES_CODE = (
    "import pandas as pd\n\n"
    "df = pd.read_csv('sales.csv')\n"
    "summary = df.groupby('region').revenue.sum()\n"
    "summary.to_csv('out/summary.csv')\n"
    "df.describe().to_json('out/stats.json')\n"
    "summary\n"
)
SALES = "region,quarter,revenue\n" + "".join(
    f"{region},{q},{revenue}\n"
    for q in range(1, 5)
    for region, revenue in (("north", 31 + q * 4), ("south", 18 + q * 3), ("east", 25 + q))
)


async def make_panes(url: str, out: Path, workdir: Path) -> None:
    """The Files pane, a file preview, the terminal and the cockpit (a third app on the runtime)."""
    (workdir / "sales.csv").write_text(SALES)
    (workdir / "out").mkdir(exist_ok=True)
    (workdir / "notes.md").write_text("# notes\n")
    app = WorkbenchApp(session=Session(url=url))
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot, LANGUAGES)
        await wait_started(pilot)
        await use_context(pilot, "python")
        main = app.main
        await pilot.press("alt+d")
        pane = main.files_pane
        await wait_until(pilot, lambda: pane.loaded, what="the Files pane")
        await wait_until(pilot, lambda: str(workdir / "out") in pane.nodes, what="the out folder")
        pane.tree.move_cursor(pane.nodes[str(workdir / "out")])
        pane.tree.focus()
        await pilot.press("enter")
        command = app.commands.run("wc -l sales.csv notes.md")
        await wait_until(pilot, lambda: command is not None and not command.running, what="the command")
        record = await run_and_wait(pilot, PANES_CODE)
        if record.status != "ok":
            raise RuntimeError(f"files run failed: {record.status} {record.failure}")
        await wait_until(pilot, lambda: len(pane.marks) == 2, what="the marks")
        await wait_until(
            pilot, lambda: str(workdir / "out" / "stats.json") in pane.nodes, what="new files listed"
        )
        await hold_still(pilot)
        pane.query_one("#files-home").update("home: ~/project")
        pane.tree.move_cursor(pane.nodes[str(workdir / "sales.csv")])
        pane.tree.focus()
        await pilot.pause(0.3)
        save(app, out, "files.svg")

        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, FilePreviewScreen), what="the preview")
        app.screen.preview.path = "~/project/sales.csv"
        app.screen.query_one("#file-preview-title").update(app.screen.preview.title())
        await pilot.pause(0.3)
        save(app, out, "file-preview.svg")
        await pilot.press("escape")
        await wait_until(pilot, lambda: not isinstance(app.screen, FilePreviewScreen), what="closing")

        await pilot.press("f10")
        view = main.terminal_view
        await wait_until(pilot, lambda: app.terminal.running and view.fed, what="the shell")
        lines = (
            "export PS1='\\[\\e[32m\\]user@sandbox\\[\\e[0m\\]:\\[\\e[34m\\]~/project\\[\\e[0m\\]$ '; clear",
            "ls -F --color=always",
            "python -c 'import sys; print(sys.version.split()[0])'",
            "head -4 sales.csv",
        )
        for n, line in enumerate(lines):
            await pilot.press(*line, "enter")  # each once the prompt is back: no type-ahead echo
            await wait_until(
                pilot, lambda n=n: view.text().count("user@sandbox") >= n + 1, what="the prompt back"
            )
        await hold_still(pilot)
        view.focus()
        await pilot.pause(0.3)
        save(app, out, "terminal.svg")

        app.session.url = url  # hold_still froze it; the cockpit asks the runtime at its real URL
        await pilot.press("ctrl+right_square_bracket", "f11")
        await wait_until(pilot, lambda: isinstance(app.screen, CockpitScreen), what="the cockpit")
        screen = app.screen
        await wait_until(pilot, lambda: screen.refreshed >= 1, what="the cockpit's first look")
        screen.refresh_timer.pause()
        await wait_until(pilot, lambda: not screen.query_one("#cockpit-table").loading, what="the table")
        status = screen.status
        assert status is not None
        for n, item in enumerate([*status.kernels, *status.processes]):  # fixed numbers: a stable picture
            item.update(
                pid=41200 + 7 * n, cpu=[0.0, 3.0, 0.0, 1.0][n % 4], memory=(60 + 37 * n) * 1024 * 1024
            )
            if "context_id" in item:
                entry = app.runbook.contexts.get(item["context_id"])
                item["context_id"] = entry.id if entry else item["context_id"]
        screen.local_cpu.clear()
        screen.local_memory.clear()
        for n in range(30):
            status.runtime.update(
                cpu=float([2, 5, 40, 85, 60, 12, 3, 2][n % 8]), memory=float((700 + 5 * n) * 1024 * 1024)
            )
            screen.show_local(cockpit.LocalStatus(**{**status.__dict__}))
        app.session.url = "http://127.0.0.1:49999/frozen"
        screen.show_local(status)
        await pilot.pause(0.3)
        save(app, out, "cockpit.svg")
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
            asyncio.run(make_compare(runtime.url, out, workdir))
            asyncio.run(make_panes(runtime.url, out, workdir))
        finally:
            runtime.stop()


if __name__ == "__main__":
    main()
