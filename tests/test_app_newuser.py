"""What a new user met driving the app in tmux the way the README says, driven with Pilot.

Each test waits on what must change (the log's scroll, a widget's state, a notification),
never on a fixed pause.
"""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from tui.app import WorkbenchApp
from tui.core.config import load_config
from tui.core.session import Session
from tui.demo import quit_app, run_and_wait, wait_ready, wait_until

pytestmark = pytest.mark.timeout(180)


def make_app(runtime_url: str, **config) -> WorkbenchApp:
    return WorkbenchApp(session=Session(url=runtime_url), config=load_config(overrides=config))


async def test_the_log_follows_a_run_to_its_last_line(runtime_url, home):
    """Output that arrives in quick chunks is drawn a frame later; the log must still end
    scrolled to the run's last line (it stopped one render short, hiding the end)."""
    app = make_app(runtime_url)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot)
        log = app.main.log_view
        await run_and_wait(pilot, "print('\\n'.join(map(str, range(80))))")
        await wait_until(pilot, lambda: log.max_scroll_y > 0 and log.scroll_y >= log.max_scroll_y - 1)
        code = "import time\nfor i in range(30):\n    print('chunk', i, flush=True)\n    time.sleep(0.004)\n"
        for _ in range(3):
            await run_and_wait(pilot, code + "print('the end')")
            await wait_until(
                pilot,
                lambda: log.scroll_y >= log.max_scroll_y - 1,
                timeout=5,
                what="the log to show the run's last line",
            )
        await quit_app(pilot)


async def test_a_narrow_frame_says_its_size_on_one_line(runtime_url, home):
    """The size of a cut DataFrame went in its table's caption, which wraps to the table's
    width: under a two-column frame it took three lines (`100 rows × 2` / `columns (90 rows` ...)."""
    app = make_app(runtime_url)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot)
        record = await run_and_wait(
            pilot, "import pandas as pd\npd.DataFrame({'a': range(100), 'b': range(100)})"
        )
        console = Console(width=80, record=True, file=io.StringIO())
        console.print(app.main.log_view.blocks[record.seq].query_one(".run-body").content)
        lines = [line.strip() for line in console.export_text().splitlines()]
        assert "100 rows × 2 columns (90 rows not shown)" in lines, lines
        await quit_app(pilot)
