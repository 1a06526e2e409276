"""`e2b-workbench export` and `replay` as a user (or CI) runs them: real processes, each replay
on a fresh local runtime of its own, on history recorded by a real session."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from tests.test_replay import record_session

pytestmark = pytest.mark.timeout(300)

RUNS = [
    ("python", "import sys\nprint('out 1', flush=True)\nprint('err 1', file=sys.stderr, flush=True)\nx = 6"),
    ("python", "print(object())\n{'answer': x * 7}"),
    ("python", "import matplotlib.pyplot as plt\nplt.bar(['a', 'b'], [3, 5]); plt.show()"),
    ("python", "raise KeyError('price')"),
]


def cli(*args: str, home: Path, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "E2B_WORKBENCH_HOME": str(home)}
    return subprocess.run(
        [sys.executable, "-m", "tui", *args], capture_output=True, text=True, cwd=cwd, env=env, timeout=240
    )


@pytest.fixture(scope="module")
async def history_home(runtime_url, tmp_path_factory) -> Path:
    """A workbench home whose history holds one recorded session of RUNS."""
    home = tmp_path_factory.mktemp("cli-home")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("E2B_WORKBENCH_HOME", str(home))
        await record_session(runtime_url, RUNS)
    return home


def test_export_history_as_a_notebook_that_replays_with_every_step_matching(history_home, tmp_path):
    listed = cli("export", "--list", home=history_home, cwd=tmp_path)
    assert listed.returncode == 0 and "raise KeyError('price')" in listed.stdout
    done = cli("export", "-o", "session.ipynb", home=history_home, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "wrote 4 runs" in done.stderr
    nb = nbformat.read(tmp_path / "session.ipynb", as_version=4)
    nbformat.validate(nb)
    assert [c.execution_count for c in nb.cells] == [1, 2, 3, 4]

    replayed = cli("replay", "session.ipynb", "--local", home=history_home, cwd=tmp_path)
    assert replayed.returncode == 0, replayed.stdout + replayed.stderr
    assert replayed.stdout.count(": same") == 4
    assert "4 steps: 4 same — every step matched" in replayed.stdout


def test_a_replay_that_differs_reports_the_step_and_the_diff_and_exits_1(history_home, tmp_path):
    assert cli("export", "-o", "nb.ipynb", "--ids", "2-4", home=history_home, cwd=tmp_path).returncode == 0
    nb = nbformat.read(tmp_path / "nb.ipynb", as_version=4)
    nb.cells[0].source = "x = 6\n" + nb.cells[0].source  # step 1 needs the x of a run not exported
    nb.cells[1].outputs[0].data["image/png"] = nb.cells[1].outputs[0].data["image/png"][::-1]
    nbformat.write(nb, tmp_path / "nb.ipynb")
    done = cli("replay", "nb.ipynb", "--local", "--ignore-counts", home=history_home, cwd=tmp_path)
    assert done.returncode == 1, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert any(line.startswith("✓ step 1 (cell 1, python): same") for line in lines), done.stdout
    assert any(line.startswith("✗ step 2 (cell 2, python): different") for line in lines), done.stdout
    assert "    differs in: results" in lines
    assert any(line.startswith("    -result 1 ·   png | undecodable image") for line in lines), done.stdout
    assert any(line.startswith("✓ step 3") for line in lines)  # the KeyError, as the original raised it

    stopped = cli(
        "replay",
        "nb.ipynb",
        "--local",
        "--ignore-counts",
        "--stop-at-first",
        "-q",
        home=history_home,
        cwd=tmp_path,
    )
    assert stopped.returncode == 1
    assert "step 1" not in stopped.stdout  # quiet: only what did not match
    assert "- step 3" in stopped.stdout and "stopped at the first difference" in stopped.stdout


def test_unusable_input_exits_2(history_home, tmp_path):
    (tmp_path / "notes.txt").write_text("print(1)")
    (tmp_path / "broken.ipynb").write_text("{not json")
    for args in (("notes.txt",), ("broken.ipynb",), ("missing.py",), ("history", "--ids", "999")):
        done = cli("replay", *args, "--local", home=history_home, cwd=tmp_path)
        assert done.returncode == 2, (args, done.stderr)
        assert done.stderr.startswith("e2b-workbench: ")
    assert cli("export", "-o", "x.txt", home=history_home, cwd=tmp_path).returncode == 2


def test_a_percent_file_replays_and_saves_a_reference(history_home, tmp_path):
    (tmp_path / "analysis.py").write_text(
        "# %% [markdown]\n# Squares\n# %%\nxs = [n * n for n in range(4)]\n# %%\nprint(xs)\nsum(xs)\n"
    )
    done = cli("replay", "analysis.py", "--local", "--save", "golden.ipynb", home=history_home, cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.count(": ran") == 2
    again = cli("replay", "golden.ipynb", "--local", home=history_home, cwd=tmp_path)
    assert again.returncode == 0, again.stdout
    assert "2 steps: 2 same" in again.stdout
