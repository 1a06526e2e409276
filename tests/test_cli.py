"""The command line as a user runs it: `run`, `serve` and `doctor` as real processes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from e2b_code_interpreter import Sandbox
from PIL import Image

from tests.conftest import descendants, wait_gone
from tui import __version__

CLI = [sys.executable, "-m", "tui"]


def run_cli(*args: str, stdin: str | None = None, cwd: Path | None = None, timeout: float = 180):
    return subprocess.run(
        [*CLI, *args], input=stdin, capture_output=True, text=True, cwd=cwd, timeout=timeout
    )


@pytest.mark.timeout(240)
def test_run_streams_output_saves_images_and_exits_zero(tmp_path: Path):
    script = tmp_path / "plot.py"
    script.write_text(
        "import matplotlib.pyplot as plt\n"
        "print('before', flush=True)\n"
        "plt.plot([1, 2, 3], [3, 1, 2]); plt.title('zigzag')\n"
        "plt.show()\n"
        "{'answer': 42}\n"
    )
    save_dir = tmp_path / "images"
    done = run_cli("run", str(script), "--save-dir", str(save_dir))
    assert done.returncode == 0, done.stderr
    assert "before" in done.stdout
    assert "{'answer': 42}" in done.stdout  # as Python prints it (its text form), not JSON
    image = save_dir / "plot-1.png"
    assert f"[image saved: {image}]" in done.stdout
    assert "[chart: line · zigzag]" in done.stdout
    with Image.open(image) as img:
        assert img.size[0] > 100 and img.size[1] > 100


@pytest.mark.timeout(240)
def test_run_error_prints_traceback_and_fails(tmp_path: Path):
    done = run_cli("run", "-", stdin="x = 1\nprint('ok')\n1 / 0\n", cwd=tmp_path)
    assert done.returncode == 1
    assert "ok" in done.stdout
    assert "ZeroDivisionError" in done.stderr
    assert "----> 3 1 / 0" in done.stderr  # the user's own line number


@pytest.mark.timeout(240)
def test_run_language_from_extension_and_flag(tmp_path: Path):
    script = tmp_path / "hello.sh"
    script.write_text("echo from-bash-$((6 * 7))\n")
    done = run_cli("run", str(script))
    assert done.returncode == 0, done.stderr
    assert "from-bash-42" in done.stdout
    done = run_cli("run", "-", "--language", "js", stdin="console.log([1, 2].map(x => x * 2).join(','))")
    assert done.returncode == 0, done.stderr
    assert "2,4" in done.stdout


@pytest.mark.timeout(240)
def test_run_timeout_interrupts_and_says_so(tmp_path: Path):
    done = run_cli("run", "-", "--timeout", "1", stdin="import time\ntime.sleep(60)\n", cwd=tmp_path)
    assert done.returncode == 124
    assert "timed out" in done.stderr


def test_run_timeout_fires_on_time_not_late(tmp_path: Path):
    # the SDK's own timeout fires at about twice the value; ours must not: a run told to stop
    # after 2 s never reaches the line it would reach at 3 s
    marker = tmp_path / "reached-3s"
    code = f"import time\ntime.sleep(3)\nopen({str(marker)!r}, 'w').close()\ntime.sleep(60)\n"
    done = run_cli("run", "-", "--timeout", "2", stdin=code, cwd=tmp_path)
    assert done.returncode == 124, done.stderr
    assert not marker.exists(), "the timeout fired late"


def test_run_unknown_language_is_a_clear_error(tmp_path: Path):
    done = run_cli("run", "-", "--language", "cobol", stdin="DISPLAY 'HI'.")
    assert done.returncode == 2
    assert "Unknown language 'cobol'" in done.stderr
    assert "python" in done.stderr


def test_run_file_of_unknown_language_is_refused_saying_what_exists(tmp_path: Path):
    script = tmp_path / "notes.xyz"
    script.write_text("print('would have run as python')\n")
    done = run_cli("run", str(script), timeout=60)
    assert (done.returncode, done.stdout) == (2, "")
    assert "cannot tell the language of" in done.stderr and "use --language" in done.stderr
    assert "bash (sh, zsh)" in done.stderr and ".py, " in done.stderr  # the languages and extensions


def test_run_language_from_flag_alias_extension_or_shebang():
    from tui.cli.run import language_of
    from tui.common.languages import UnknownLanguage

    assert language_of("x.py", "sh") == "bash"  # the flag wins, in any alias
    assert language_of("-", "node") == "javascript"
    assert language_of("-", None) == "python"
    assert language_of("Plot.R", None) == "r"
    assert language_of("job.mjs", None) == "javascript"
    assert language_of("job", None, "#!/usr/bin/env python3.11\nprint(1)\n") == "python"
    assert language_of("job", None, "#!/bin/sh\necho 1\n") == "bash"
    assert language_of("job.txt", None, "#!/usr/bin/env -S deno run\n") == "typescript"
    for file, code in (("job.xyz", "print(1)"), ("job", "echo 1"), ("job", "#!/usr/bin/env perl\n")):
        with pytest.raises(UnknownLanguage, match="cannot tell the language"):
            language_of(file, None, code)
    with pytest.raises(UnknownLanguage, match="Unknown language 'cobol'"):
        language_of("x.py", "cobol")


def test_the_command_line_loads_only_what_its_command_needs():
    """Parsing loads no SDK, UI or MCP library, and the serve path adds no Textual."""
    check = (
        "import sys, tui.cli\n"
        "tui.cli.build_parser().parse_args(['serve'])\n"
        "heavy = {'e2b', 'e2b_code_interpreter', 'textual', 'httpx', 'PIL', 'mcp', 'anyio'}\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & heavy))\n"
        "import tui.runtime.serve\n"
        "print(sorted(m for m in sys.modules if m.startswith('textual')))\n"
    )
    done = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["[]", "[]"]


@pytest.mark.timeout(60)
def test_help_names_the_cell_marker_as_it_is_written():
    """argparse formats help with %: `# %%` in a help string printed as `# %`, a marker no
    file uses."""
    for args in (("--help",), ("export", "--help")):
        shown = " ".join(run_cli(*args).stdout.split())
        assert "`# %%` .py file" in shown and "`# %` " not in shown, shown


def test_version():
    done = run_cli("--version", timeout=60)
    assert done.returncode == 0
    assert done.stdout.strip() == f"e2b-workbench {__version__}"


@pytest.mark.timeout(240)
def test_run_traceback_names_the_script_not_a_cell(tmp_path: Path):
    script = tmp_path / "boom.py"
    script.write_text("def f():\n    return 1 / 0\n\nf()\n")
    done = run_cli("run", str(script), cwd=tmp_path)
    assert done.returncode == 1
    assert f"File {script}:4" in done.stderr and f"File {script}:2, in f()" in done.stderr
    assert "Cell In" not in done.stderr


@pytest.mark.timeout(240)
def test_run_reader_going_away_ends_quietly(tmp_path: Path):
    script = tmp_path / "many.py"
    script.write_text("for i in range(1_000_000):\n    print(i)\n")
    proc = subprocess.Popen(
        [*CLI, "run", str(script)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=tmp_path
    )
    try:
        assert [proc.stdout.readline() for _ in range(2)] == [b"0\n", b"1\n"]  # like `| head -2`
        proc.stdout.close()
        assert proc.wait(timeout=180) == 141  # as SIGPIPE would
        assert proc.stderr.read() == b""
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_run_missing_file_is_a_clear_error(tmp_path: Path):
    done = run_cli("run", str(tmp_path / "nope.py"))
    assert done.returncode == 2
    assert "cannot read" in done.stderr


def test_doctor_lists_every_language():
    done = run_cli("doctor")
    assert done.returncode == 0
    for language in ("python", "javascript", "typescript", "r", "java", "bash"):
        assert language in done.stdout
    assert "ok      python" in done.stdout


def test_doctor_names_install_commands_for_missing_languages(tmp_path: Path):
    env = dict(os.environ, PATH=os.path.dirname(sys.executable))
    done = subprocess.run([*CLI, "doctor"], capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "missing r" in done.stdout
    assert "apt-get install -y r-base-core r-cran-irkernel" in done.stdout
    assert "missing java" in done.stdout


@pytest.mark.timeout(240)
def test_serve_prints_url_first_runs_code_and_stops_every_kernel_on_ctrl_c(tmp_path: Path):
    proc = subprocess.Popen(
        [*CLI, "serve", "--port", "0", "--cwd", str(tmp_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        url = proc.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:")
        assert len(url.rsplit("/", 1)[1]) >= 16  # the secret path segment
        sandbox = Sandbox.create(debug=True, sandbox_url=url)
        execution = sandbox.run_code("import os; os.getcwd()")
        assert execution.text == str(tmp_path.resolve())
        assert sandbox.run_code("echo hi", language="bash").logs.stdout == ["hi\n"]
        kids = descendants(proc.pid)
        assert kids, "the runtime should have started kernels"
        proc.send_signal(signal.SIGINT)
        out, _err = proc.communicate(timeout=30)
        assert proc.returncode == 0
        assert "E2B_SANDBOX_URL=" + url in out
        assert "Runtime stopped" in out
        assert not wait_gone(kids), "kernels outlived the runtime"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


@pytest.mark.timeout(120)
def test_serve_refuses_a_port_in_use(tmp_path: Path):
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        done = run_cli("serve", "--port", str(port), timeout=60)
    assert done.returncode != 0
    assert f"cannot listen on 127.0.0.1:{port}" in done.stderr


@pytest.mark.timeout(120)
def test_runtime_killed_hard_takes_its_kernels_along(tmp_path: Path):
    """Even SIGKILL of the runtime leaves no orphan kernels (they die with their parent)."""
    proc = subprocess.Popen(
        [*CLI, "serve", "--port", "0", "--no-spares"], stdout=subprocess.PIPE, text=True, cwd=tmp_path
    )
    try:
        url = proc.stdout.readline().strip()
        Sandbox.create(debug=True, sandbox_url=url).run_code("1")
        kids = descendants(proc.pid)
        assert kids
        proc.kill()
        proc.wait()
        time.sleep(0.2)
        assert not wait_gone(kids)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
