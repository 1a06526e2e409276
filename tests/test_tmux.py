"""The real app in a real terminal (tmux), driven by keystrokes the way a person does.

`python -m tui` starts its own local runtime here (not the shared one); the test types
code, presses F5, reads the result off the screen, quits with Ctrl+Q and checks that
the app exited 0 and left no process behind.
"""

from __future__ import annotations

import contextlib
import os
import re
import shlex
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest

from .conftest import alive, descendants, wait_gone

PYTHON_CONTEXT = re.compile(r"● python [0-9a-f]{6}")
EXAMPLE_LINES = ("import math", "hello from python", "math.sqrt")
CODE = "print('marker-' + str(6 * 7))"  # the marker only appears once the code has run


def require_tmux() -> str:
    found = shutil.which("tmux")
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("tmux must be installed in CI")
        pytest.skip("tmux is not installed")
    return found


class Tmux:
    def __init__(self, tmux: str, socket: str) -> None:
        self.argv = [tmux, "-L", socket]

    def __call__(self, *args: str, check: bool = True) -> str:
        done = subprocess.run([*self.argv, *args], capture_output=True, text=True, timeout=20, check=False)
        if check and done.returncode != 0:
            raise AssertionError(f"tmux {' '.join(args)} failed: {done.stderr.strip()}")
        return done.stdout

    def screen(self) -> str:
        return self("capture-pane", "-p", check=False)

    def wait_for(self, predicate: Callable[[str], bool], timeout: float, what: str) -> str:
        deadline = time.monotonic() + timeout
        while True:
            screen = self.screen()
            if predicate(screen):
                return screen
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {what}; the screen:\n{screen}")
            time.sleep(0.1)


def processes_with_env(marker: str) -> set[int]:
    """Live processes whose environment holds `marker` (the app and its runtime inherit it)."""
    found: set[int] = set()
    needle = marker.encode()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            environ = (entry / "environ").read_bytes()
        except OSError:
            continue
        if needle in environ and alive(int(entry.name)):
            found.add(int(entry.name))
    return found


@pytest.mark.timeout(180)
def test_real_app_in_tmux_runs_code_and_quits_cleanly(tmp_path: Path) -> None:
    tmux = Tmux(require_tmux(), f"e2b-workbench-test-{uuid.uuid4().hex[:12]}")
    home = tmp_path / f"home-{uuid.uuid4().hex[:8]}"
    workdir = tmp_path / "work"
    workdir.mkdir()
    exit_file = tmp_path / "exit"
    # the app owns the terminal: its stdout and stderr are not redirected
    # tmux started without a terminal puts COLUMNS=80 and LINES=24 in its environment, which
    # would hold the app at 80x24 whatever the pane's size: the app measures the pane
    command = (
        f"env -u COLUMNS -u LINES E2B_WORKBENCH_HOME={shlex.quote(str(home))} {shlex.quote(sys.executable)} -m tui"
        f"; echo EXIT=$? > {shlex.quote(str(exit_file))}"
    )
    started = time.monotonic()
    socket_path = ""
    try:
        tmux("new-session", "-d", "-x", "120", "-y", "40", "-c", str(workdir), command)
        socket_path = tmux("display", "-p", "#{socket_path}", check=False).strip()
        pane_pid = int(tmux("display", "-p", "#{pane_pid}").strip())

        tmux.wait_for(lambda s: PYTHON_CONTEXT.search(s) is not None, 90, "a python context in the sidebar")

        # empty the example buffer: Ctrl+K clears a line, then removes the empty line;
        # one key at a time (a burst of them races the editor's async key action)
        deadline = time.monotonic() + 30
        while any(line in tmux.screen() for line in EXAMPLE_LINES):
            assert time.monotonic() < deadline, f"could not clear the editor:\n{tmux.screen()}"
            tmux("send-keys", "C-k")
            time.sleep(0.15)
        for _ in range(4):  # the blank lines left, if any
            tmux("send-keys", "C-k")
            time.sleep(0.15)

        tmux("send-keys", "-l", CODE)
        tmux.wait_for(lambda s: CODE in s, 10, "the typed code in the editor")
        tmux("send-keys", "F5")
        screen = tmux.wait_for(lambda s: "marker-42" in s, 60, "the run's output in the log")
        assert "Error" not in screen, screen
        assert "hello from python" not in screen, screen  # only the typed code ran

        # everything the app started, kernels included (those still starting, too)
        with contextlib.suppress(AssertionError):  # a slow kernel: carry on with what is there
            tmux.wait_for(lambda s: "starting" not in s, 60, "every context to finish starting")
        kids = descendants(pane_pid) | processes_with_env(str(home))
        assert kids, "the app's processes should be visible under the pane"

        tmux("send-keys", "C-q")
        deadline = time.monotonic() + 60
        while not (exit_file.exists() and exit_file.read_text().strip()):
            assert time.monotonic() < deadline, f"the app did not exit; the screen:\n{tmux.screen()}"
            time.sleep(0.1)
        assert exit_file.read_text().strip() == "EXIT=0"

        left = wait_gone(kids, timeout=20)
        assert not left, f"processes left behind: {sorted(left)}"
        assert not processes_with_env(str(home)), "a process started by the app outlived it"
        print(f"tmux test took {time.monotonic() - started:.1f} s")
    finally:
        tmux("kill-server", check=False)
        if socket_path:  # tmux leaves the socket file behind
            Path(socket_path).unlink(missing_ok=True)


# -- the terminal stays the user's (issue 11) and keys land where they are seen (issue 14) ------


class AppInTmux:
    """The app started from a shell in a tmux pane, the way a person starts it."""

    def __init__(self, tmp_path: Path, size: tuple[int, int] = (120, 40)) -> None:
        self.tmux = Tmux(require_tmux(), f"e2b-workbench-test-{uuid.uuid4().hex[:12]}")
        self.home = tmp_path / f"home-{uuid.uuid4().hex[:8]}"
        self.workdir = tmp_path / "work"
        self.workdir.mkdir(exist_ok=True)
        self.exit_file = tmp_path / f"exit-{uuid.uuid4().hex[:6]}"
        self.size = size
        self.socket_path = ""

    def __enter__(self) -> AppInTmux:
        tmux = self.tmux
        width, height = self.size
        # a plain shell first, so the pane's title before the app is known
        tmux("new-session", "-d", "-x", str(width), "-y", str(height), "-c", str(self.workdir), "sh")
        self.socket_path = tmux("display", "-p", "#{socket_path}", check=False).strip()
        # OSC 52 from an application would create a tmux buffer, a title would rename the pane
        tmux("set-option", "-g", "set-clipboard", "on")
        tmux("set-option", "-g", "allow-rename", "on")
        return self

    def title(self) -> str:
        return self.tmux("display", "-p", "#{pane_title}").strip()

    def buffers(self) -> str:
        return self.tmux("list-buffers", check=False).strip()

    def start(self) -> None:
        command = (
            f"env -u COLUMNS -u LINES E2B_WORKBENCH_HOME={shlex.quote(str(self.home))} "
            f"{shlex.quote(sys.executable)} -m tui; echo EXIT=$? > {shlex.quote(str(self.exit_file))}; exit"
        )
        self.tmux("send-keys", "-l", command)
        self.tmux("send-keys", "Enter")
        self.tmux.wait_for(lambda s: PYTHON_CONTEXT.search(s) is not None, 90, "a python context in the sidebar")

    def replace_code(self, code: str) -> None:
        """Select all (Ctrl+A), delete it, and type `code`."""
        self.tmux("send-keys", "C-a")
        self.tmux("send-keys", "DC")
        self.tmux.wait_for(lambda s: not re.search(r"^ *1 +\S", s.split("\n", 3)[3]), 10, "an empty editor")
        for n, line in enumerate(code.splitlines()):
            if n:
                self.tmux("send-keys", "Enter")
            self.tmux("send-keys", "-l", line)
        last = code.splitlines()[-1]  # lines longer than the editor scroll: look for a short one
        self.tmux.wait_for(lambda s: last in s, 10, "the typed code in the editor")

    def quit(self) -> None:
        self.tmux("send-keys", "C-q")
        deadline = time.monotonic() + 60
        while not (self.exit_file.exists() and self.exit_file.read_text().strip()):
            assert time.monotonic() < deadline, f"the app did not exit; the screen:\n{self.tmux.screen()}"
            time.sleep(0.1)
        assert self.exit_file.read_text().strip() == "EXIT=0"

    def __exit__(self, *_exc: object) -> None:
        self.tmux("kill-server", check=False)
        if self.socket_path:
            Path(self.socket_path).unlink(missing_ok=True)


@pytest.mark.timeout(180)
def test_in_tmux_neither_start_up_nor_output_takes_over_the_terminal(tmp_path: Path) -> None:
    """Issue 11.1 and 11.2: starting the app leaves the pane's title alone (textual-image's
    kitty query used to set it to `Gi=...;AAAA`), and user code printing a title, an OSC 52
    clipboard write and a screen clear changes neither the title, nor tmux's buffers, nor
    the screen."""
    with AppInTmux(tmp_path) as app:
        before = app.title()
        app.start()
        assert app.title() == before, f"the app changed the pane title to {app.title()!r}"
        assert not app.buffers()
        app.replace_code("print('\\x1b]0;PWNED\\x07\\x1b]52;c;SGVsbG8=\\x07\\x1b[2J')\nprint('after-' + 'marker')")
        app.tmux("send-keys", "F5")
        screen = app.tmux.wait_for(lambda s: "after-marker" in s, 60, "the run's output")
        assert app.title() == before, f"output changed the pane title to {app.title()!r}"
        assert not app.buffers(), f"output wrote tmux's clipboard: {app.buffers()}"
        assert "Contexts" in screen and "e2b-workbench" in screen, f"the screen was cleared:\n{screen}"
        assert screen.count("PWNED") == 1  # in the code in the editor, nowhere else
        app.quit()


@pytest.mark.timeout(180)
def test_in_tmux_keys_and_a_paste_after_a_buffer_switch_land_in_the_buffer_on_screen(tmp_path: Path) -> None:
    """Issue 14: after Ctrl+PgUp/PgDn typed text went nowhere, a paste was lost and F5 ran the
    buffer's old code. Switch, type at once, switch, paste at once (bracketed paste), run."""
    with AppInTmux(tmp_path) as app:
        app.start()
        tmux = app.tmux
        app.replace_code("print('old-' + 'code')")
        tmux("send-keys", "C-n")  # a second buffer, empty, focused
        tmux.wait_for(lambda s: "buffer2" in s, 10, "the second buffer's tab")
        tmux("send-keys", "C-PPage")  # back to the first: typing goes on there
        tmux("send-keys", "-l", "#typed")
        tmux.wait_for(lambda s: "print('old-' + 'code')#typed" in s, 10, "typing in the first buffer")
        tmux("send-keys", "C-NPage")  # to the second again, and paste at once
        tmux("set-buffer", "-b", "code", "print('pasted-' + 'code')")
        tmux("paste-buffer", "-p", "-d", "-b", "code")
        tmux.wait_for(lambda s: "print('pasted-' + 'code')" in s, 10, "the pasted code in the editor")
        tmux("send-keys", "F5")
        screen = tmux.wait_for(lambda s: "pasted-code" in s, 60, "the pasted code's output")
        assert "old-code\n" not in screen.replace(" ", ""), screen
        app.quit()


def type_into_dialog(tmux: Tmux, text: str, clear: str = "") -> None:
    """Type `text` into the dialog's field (emptied first when it shows `clear`), then Enter,
    each step once the screen shows the one before: keys sent while the field is not focused
    yet would be lost (so `text` is short enough to be seen whole: a lost first key shows)."""
    assert len(text) <= 40, "a text the field cannot show whole could lose its start unseen"
    deadline = time.monotonic() + 20
    while clear and clear in tmux.screen():
        assert time.monotonic() < deadline, f"could not empty the field:\n{tmux.screen()}"
        tmux("send-keys", "C-u")
        time.sleep(0.1)
    shown = text
    while shown not in tmux.screen():
        assert time.monotonic() < deadline, f"could not type into the field:\n{tmux.screen()}"
        tmux("send-keys", "C-u")
        tmux("send-keys", "-l", text)
        with contextlib.suppress(AssertionError):
            tmux.wait_for(lambda s: shown in s, 2, "the typed text")
    tmux("send-keys", "Enter")


@pytest.mark.timeout(240)
def test_real_app_in_tmux_uploads_a_csv_reads_it_with_pandas_and_downloads_what_the_run_wrote(
    tmp_path: Path,
) -> None:
    """The Files pane the way a person uses it: Alt+D, `u` and a path, a run that reads the CSV
    with pandas and writes another, `d` on that file and a local path."""
    tmux = Tmux(require_tmux(), f"e2b-workbench-test-{uuid.uuid4().hex[:12]}")
    home = tmp_path / f"home-{uuid.uuid4().hex[:8]}"
    workdir = tmp_path / "work"  # the local runtime's workspace: the sandbox home
    workdir.mkdir()
    source = tmp_path / "src" / "data.csv"
    source.parent.mkdir()
    source.write_text("a,b\n1,2\n3,4\n")
    downloads = tmp_path / "dl"
    downloads.mkdir()
    exit_file = tmp_path / "exit"
    command = (
        # (without the COLUMNS=80 tmux puts in its environment: the app measures the pane)
        f"env -u COLUMNS -u LINES E2B_WORKBENCH_HOME={shlex.quote(str(home))} "
        f"{shlex.quote(sys.executable)} -m tui --local"
        f"; echo EXIT=$? > {shlex.quote(str(exit_file))}"
    )
    code = (
        "import pandas as pd; df = pd.read_csv('data.csv'); df['c'] = df.a + df.b; "
        "df.to_csv('out.csv', index=False); print('rows', len(df), 'sum', int(df.c.sum()))"
    )
    socket_path = ""
    try:
        tmux("new-session", "-d", "-x", "140", "-y", "42", "-c", str(workdir), command)
        socket_path = tmux("display", "-p", "#{socket_path}", check=False).strip()
        pane_pid = int(tmux("display", "-p", "#{pane_pid}").strip())
        tmux.wait_for(lambda s: PYTHON_CONTEXT.search(s) is not None, 90, "a python context in the sidebar")

        tmux("send-keys", "M-d")
        tmux.wait_for(lambda s: "~ (home)" in s, 30, "the Files pane")
        tmux("send-keys", "u")
        tmux.wait_for(lambda s: "Upload into ." in s, 10, "the upload dialog")
        type_into_dialog(tmux, os.path.relpath(source, workdir))  # the app runs in workdir
        tmux.wait_for(lambda s: "data.csv" in s and "Uploaded 1 file" in s, 30, "the upload")
        assert (workdir / "data.csv").read_text() == source.read_text()

        tmux("send-keys", "C-o")  # from the Files pane to the editor
        deadline = time.monotonic() + 30
        while any(line in tmux.screen() for line in EXAMPLE_LINES):
            assert time.monotonic() < deadline, f"could not clear the editor:\n{tmux.screen()}"
            tmux("send-keys", "C-k")
            time.sleep(0.15)
        tmux("send-keys", "-l", code)
        tmux.wait_for(lambda s: "int(df.c.sum()))" in s, 10, "the code in the editor")
        tmux("send-keys", "F5")
        tmux.wait_for(lambda s: "rows 2 sum 10" in s, 90, "the run's output")
        tmux.wait_for(lambda s: "+ out.csv" in s, 30, "the file the run wrote, marked new")

        tmux("send-keys", "M-d")  # back to the tree: home, data.csv, out.csv
        # (wait for the tree's keys in the footer: Textual reads ESC d followed at once by
        # an arrow's ESC [ B as "^", "d" and Down; a person's next key comes later)
        tmux.wait_for(lambda s: "Upload" in s.splitlines()[-1], 10, "the tree focused")
        tmux("send-keys", "Down")
        tmux("send-keys", "Down")
        tmux("send-keys", "d")
        tmux.wait_for(lambda s: "Download out.csv to" in s and "./out.csv" in s, 10, "the download dialog")
        type_into_dialog(tmux, os.path.relpath(downloads, workdir) + "/", clear="./out.csv")
        tmux.wait_for(lambda s: "Downloaded 1 file" in s, 30, "the download")
        assert (downloads / "out.csv").read_text() == "a,b,c\n1,2,3\n3,4,7\n"

        kids = descendants(pane_pid) | processes_with_env(str(home))
        tmux("send-keys", "C-q")
        deadline = time.monotonic() + 60
        while not (exit_file.exists() and exit_file.read_text().strip()):
            assert time.monotonic() < deadline, f"the app did not exit; the screen:\n{tmux.screen()}"
            time.sleep(0.1)
        assert exit_file.read_text().strip() == "EXIT=0"
        assert not wait_gone(kids, timeout=20), "processes left behind"
    finally:
        tmux("kill-server", check=False)
        if socket_path:
            Path(socket_path).unlink(missing_ok=True)
