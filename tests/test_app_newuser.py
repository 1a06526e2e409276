"""What a new user met driving the app in tmux the way the README says, driven with Pilot.

Each test waits on what must change (the log's scroll, a widget's state, a notification),
never on a fixed pause.
"""

from __future__ import annotations

import pytest

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
