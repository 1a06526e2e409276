"""The sandbox's own Python environment, through the real SDK and the real CLI.

Python kernels, and the `python`/`pip` of commands, terminals and the bash kernel, run on the
environment of the sandbox (the `minimal` profile here), never on the workbench's venv; it is
built by uv into a temporary folder renamed into place, and a build that cannot reach its
package index fails with a sentence and the command that retries it. The failure tests point
the build at a port nothing listens on (127.0.0.1:9) with the installers' retries off.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import subprocess
import sys
import time
import venv
from pathlib import Path

import httpx
import pytest
from e2b import SandboxException
from e2b.sandbox.commands.command_handle import PtySize
from e2b_code_interpreter import Sandbox

from tests.conftest import require_language
from tests.test_envd_pty import Screen
from tui.runtime import sandboxenv
from tui.runtime.launcher import LocalRuntime

CLI = [sys.executable, "-m", "tui"]
NOWHERE = "http://127.0.0.1:9/simple"  # the discard port: connection refused at once
NO_RETRIES = {"UV_HTTP_RETRIES": "0", "PIP_RETRIES": "0", "PIP_CONFIG_FILE": os.devnull}
# E2B's own box-and-whisker example (its docs): `labels=` works on matplotlib 3.10, not 3.11
BOX_AND_WHISKER = """
import matplotlib.pyplot as plt

data = {
    'Class A': [85, 90, 78, 92, 88],
    'Class B': [95, 89, 76, 91, 84, 87],
    'Class C': [75, 82, 88, 79, 86],
}
fig, ax = plt.subplots(figsize=(10, 6))
ax.boxplot(data.values(), labels=data.keys(), patch_artist=True)
ax.set_title('Exam Scores Distribution')
ax.set_xlabel('Class')
ax.set_ylabel('Score')
plt.tight_layout()
plt.show()
"""


def environment(url: str) -> dict:
    response = httpx.get(f"{url}/environment", timeout=30)
    response.raise_for_status()
    return response.json()


def stdout(execution) -> str:
    assert execution.error is None, execution.error
    return "".join(execution.logs.stdout)


# -- the session's runtime: python and every process see the sandbox environment ----------


def test_environment_route_says_ready_with_profile_and_path(runtime_url, sandbox_env):
    status = environment(runtime_url)
    assert status["state"] == "ready"
    assert status["profile"] == "minimal"
    assert status["path"] == str(sandbox_env.path)
    assert status["managed"] is True and status["error"] is None


def test_python_runs_on_the_sandbox_environment_not_the_workbench(sandbox, sandbox_env):
    out = stdout(
        sandbox.run_code(
            "import sys, matplotlib, importlib.util\n"
            "print(sys.prefix)\n"
            "print(matplotlib.__version__)\n"
            "print(importlib.util.find_spec('tui') is None, importlib.util.find_spec('textual') is None)"
        )
    )
    prefix, mpl, hidden = out.split("\n")[:3]
    assert prefix == str(sandbox_env.path)
    assert mpl.startswith("3.10.")  # E2B's pin, where the workbench's own venv has 3.11
    assert hidden == "True True"  # neither the workbench nor its libraries are importable


def test_commands_terminals_and_the_bash_kernel_see_the_sandbox_python(sandbox, sandbox_env):
    expected = str(sandbox_env.path)
    probe = "python -c 'import sys; print(sys.prefix)'; command -v pip; echo \"$VIRTUAL_ENV\""
    # a login shell (`bash -l -c`): the machine's profile may reset PATH or put pyenv first
    lines = sandbox.commands.run(probe).stdout.split()
    assert lines == [expected, f"{expected}/bin/pip", expected]
    lines = stdout(sandbox.run_code(probe, language="bash")).split()
    assert lines == [expected, f"{expected}/bin/pip", expected]
    handle = sandbox.pty.create(PtySize(rows=24, cols=200))
    screen = Screen(handle)
    try:
        sandbox.pty.send_stdin(handle.pid, b"python -c 'import sys; print(\"P\" + str(6*7), sys.prefix)'\n")
        screen.wait_for("P42 " + re.escape(expected))
    finally:
        sandbox.pty.kill(handle.pid)


def test_pip_install_in_python_lands_in_the_sandbox_environment(sandbox, sandbox_env):
    assert importlib.util.find_spec("tomli_w") is None, "the workbench's venv must not have tomli-w"
    try:
        execution = sandbox.run_code("%pip install -q tomli-w", timeout=180)
        assert execution.error is None, execution.logs
        out = stdout(sandbox.run_code("import tomli_w\nprint(tomli_w.__file__)\nprint(tomli_w.dumps({'a': 1}))"))
        assert out.startswith(str(sandbox_env.path) + "/lib/")
        assert "a = 1" in out
        assert importlib.util.find_spec("tomli_w") is None  # the workbench is unchanged
    finally:
        sandbox.run_code("%pip uninstall -q -y tomli-w", timeout=120)


def test_e2b_box_and_whisker_example_with_labels_gives_a_chart(sandbox):
    execution = sandbox.run_code(BOX_AND_WHISKER)
    assert execution.error is None, execution.error
    charts = [r for r in execution.results if r.chart is not None]
    assert len(charts) == 1 and charts[0].png
    chart = charts[0].chart
    assert chart.type.value == "box_and_whisker"
    assert chart.title == "Exam Scores Distribution"
    assert [e.label for e in chart.elements] == ["Class A", "Class B", "Class C"]


def test_pil_image_save_to_a_path_shows_the_image_as_e2b_does(sandbox, runtime_cwd):
    execution = sandbox.run_code(
        "from PIL import Image\nimport io\n"
        "img = Image.new('RGB', (8, 4), 'red')\n"
        "img.save('red.png')\n"
        "img.save(io.BytesIO(), format='PNG')  # into a file object: no result"
    )
    assert execution.error is None, execution.error
    assert [bool(r.png) for r in execution.results] == [True]
    assert Path(runtime_cwd, "red.png").is_file()


def test_java_per_run_env_vars_are_system_properties_too(sandbox):
    require_language("java")
    code = 'System.out.println(System.getProperty("WB_PROP", "<unset>") + " " + System.getenv("WB_PROP"));'
    assert stdout(sandbox.run_code(code, language="java", envs={"WB_PROP": "on"})).strip() == "on on"
    assert stdout(sandbox.run_code(code, language="java")).strip() == "<unset> null"


# -- failures: python says why and how to fix it; the other languages still run -------------


def wait_state(url: str, timeout: float = 120.0) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        status = environment(url)
        if status["state"] != "building":
            return status
        assert time.monotonic() < deadline, f"the environment is still building: {status}"
        time.sleep(0.1)


@pytest.mark.timeout(240)
def test_runtime_without_its_index_says_why_python_cannot_run_and_bash_still_runs(tmp_path):
    root = tmp_path / "envs"
    env = {**os.environ, **NO_RETRIES, sandboxenv.ROOT_VAR: str(root), sandboxenv.INDEX_URL_VAR: NOWHERE}
    with LocalRuntime(cwd=str(tmp_path), env=env, prestart=False, spares=False) as rt:
        status = wait_state(rt.url)
        assert status["state"] == "failed"
        assert "could not reach the package index (http://127.0.0.1:9/simple)" in status["error"]
        retry = f"e2b-workbench env create --profile minimal --index-url {NOWHERE}"
        assert status["retry"].endswith(retry)
        sandbox = Sandbox.create(debug=True, sandbox_url=rt.url)
        execution = sandbox.run_code("print(1)")
        assert execution.error is not None
        assert "Python cannot run: the sandbox's Python environment (profile minimal" in execution.error.value
        assert retry in execution.error.value
        assert stdout(sandbox.run_code("echo still here", language="bash")).strip() == "still here"
    assert not (root / "minimal-py3.11").exists()  # nothing half-built was left to be used
    assert not list(root.glob(".minimal-py3.11.build-*"))


@pytest.mark.timeout(240)
def test_an_environment_given_as_is_without_ipykernel_is_refused_with_the_install_command(tmp_path):
    bare = tmp_path / "bare"
    venv.create(bare, with_pip=False)
    env = {**os.environ, sandboxenv.PYTHON_ENV_VAR: str(bare)}
    with LocalRuntime(cwd=str(tmp_path), env=env, prestart=False, spares=False) as rt:
        status = environment(rt.url)
        assert status["managed"] is False and status["state"] == "failed"
        assert "cannot import ipykernel" in status["error"]
        sandbox = Sandbox.create(debug=True, sandbox_url=rt.url)
        with pytest.raises(SandboxException) as caught:  # python is not offered: no context for it
            sandbox.run_code("print(1)")
        assert "cannot import ipykernel" in str(caught.value)
        assert f"Install it with: {bare}/bin/python -m pip install ipykernel" in str(caught.value)
        assert stdout(sandbox.run_code("echo still here", language="bash")).strip() == "still here"


# -- the env command ---------------------------------------------------------------------------


def env_cli(*args: str, root: Path, extra: dict[str, str] | None = None, timeout: float = 300):
    env = {**os.environ, sandboxenv.ROOT_VAR: str(root), **(extra or {})}
    return subprocess.run([*CLI, "env", *args], capture_output=True, text=True, env=env, timeout=timeout)


@pytest.mark.timeout(300)
def test_env_command_creates_shows_and_resets_an_environment(tmp_path):
    root = tmp_path / "envs"
    done = env_cli("show", "--profile", "minimal", root=root)
    assert done.returncode == 0, done.stderr
    assert "not built: built on first use, or now with  e2b-workbench env create --profile minimal" in done.stdout

    started = time.monotonic()
    done = env_cli("create", "--profile", "minimal", root=root)
    took = time.monotonic() - started
    assert done.returncode == 0, done.stderr
    assert "resolving 7 packages" in done.stdout and "Ready: " in done.stdout
    assert took < 240  # uv's cache makes this a few seconds after the first build

    info = json.loads(env_cli("--profile", "minimal", "--json", root=root).stdout)
    assert info["built"] is True and info["profile"] == "minimal"
    assert info["path"] == str(root / "minimal-py3.11")
    assert info["packages"] > 20 and info["size_bytes"] > 50 * 2**20
    assert info["installer"].startswith("uv ")
    done = env_cli("create", "--profile", "minimal", root=root)
    assert done.returncode == 0 and "is built" in done.stdout  # nothing to do, no network needed

    done = env_cli("reset", "--profile", "minimal", root=root)
    assert done.returncode == 0 and "Deleted" in done.stdout
    assert not (root / "minimal-py3.11").exists()


@pytest.mark.timeout(240)
@pytest.mark.parametrize("installer", ["uv", "pip"])
def test_env_create_without_a_reachable_index_says_why_and_how_to_retry(tmp_path, installer):
    root = tmp_path / "envs"
    half = root / "minimal-py3.11"
    (half / "bin").mkdir(parents=True)  # what a killed older build could leave: no marker
    done = env_cli(
        "create", "--profile", "minimal", "--index-url", NOWHERE, "--installer", installer, root=root, extra=NO_RETRIES
    )
    assert done.returncode == 1
    assert "the sandbox environment could not be built: could not reach the package index" in done.stderr
    assert f"{sandboxenv.ROOT_VAR}={root} e2b-workbench env create --profile minimal --index-url {NOWHERE}" in (
        done.stderr
    )
    assert "Traceback" not in done.stderr
    assert not list(root.glob(".minimal-py3.11.build-*"))  # the failed build left nothing
    assert not sandboxenv.EnvSpec(half, sandboxenv.get_profile("minimal")).built  # never taken as built
    shown = env_cli("show", "--profile", "minimal", root=root)
    assert "not built" in shown.stdout


# -- the app: never blocked, says what is prepared and why python cannot run ------------------


def sidebar_status(app) -> str:
    from textual.widgets import Static

    return str(app.main.sidebar.query_one("#sidebar-status", Static).content)


@pytest.mark.timeout(240)
async def test_app_says_why_python_cannot_run_when_its_environment_cannot_be_built(tmp_path, home):
    from tui.app import WorkbenchApp
    from tui.core.session import Session
    from tui.demo import quit_app, wait_until

    env = {
        **os.environ,
        **NO_RETRIES,
        sandboxenv.ROOT_VAR: str(tmp_path / "envs"),
        sandboxenv.INDEX_URL_VAR: NOWHERE,
    }
    with LocalRuntime(cwd=str(tmp_path), env=env, prestart=False, spares=False) as rt:
        app = WorkbenchApp(session=Session(url=rt.url))
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_until(pilot, lambda: app.main.ready, what="the session")  # at once: nothing waits
            await wait_until(pilot, lambda: "Python cannot run" in sidebar_status(app), what="the reason")
            text = sidebar_status(app)
            assert "its sandbox environment (profile minimal) could not be built" in text
            assert "could not reach the package index" in text
            assert f"Retry with: {sandboxenv.ROOT_VAR}=" in text and f"--index-url {NOWHERE}" in text
            assert text.startswith("Languages: ")  # the languages line stays
            await quit_app(pilot)


@pytest.mark.timeout(240)
async def test_app_shows_the_environment_being_prepared_then_python_runs(tmp_path, home):
    """A build waits while another process holds the environment's lock: a deterministic
    'building' state, seen in GET /environment and in the app, which stays usable meanwhile."""
    import fcntl

    from tui.app import WorkbenchApp
    from tui.core.session import Session
    from tui.demo import quit_app, run_and_wait, wait_ready, wait_until

    root = tmp_path / "envs"
    root.mkdir()
    env = {**os.environ, sandboxenv.ROOT_VAR: str(root)}
    with open(root / ".minimal-py3.11.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        with LocalRuntime(cwd=str(tmp_path), env=env, prestart=False, spares=False) as rt:
            app = WorkbenchApp(session=Session(url=rt.url))
            async with app.run_test(size=(120, 40)) as pilot:
                await wait_until(pilot, lambda: app.main.ready, what="the session")
                await wait_until(
                    pilot, lambda: "Preparing the sandbox environment" in sidebar_status(app), what="progress"
                )
                assert "(profile minimal): another process is building this environment" in sidebar_status(app)
                status = environment(rt.url)
                assert status["state"] == "building" and status["progress"]["phase"] == "waiting"
                fcntl.flock(lock, fcntl.LOCK_UN)  # the runtime's build goes on
                await wait_until(
                    pilot, lambda: "Preparing" not in sidebar_status(app), timeout=180, what="the end of the build"
                )
                assert environment(rt.url)["state"] == "ready"
                await wait_ready(pilot)
                record = await run_and_wait(pilot, "import sys; print(sys.prefix)")
                assert record.status == "ok"
                assert str(root / "minimal-py3.11") in record.full_output()
                await quit_app(pilot)


def test_status_line_says_what_is_prepared_and_how_long_it_has_taken():
    from tui.core.environment import EnvironmentStatus, describe

    building = EnvironmentStatus(
        "building", "default", "/e", {"phase": "installing", "message": "installing 125 packages", "elapsed_s": 12.3}
    )
    assert describe(building) == "Preparing the sandbox environment (profile default): installing 125 packages · 12 s"
    ready = EnvironmentStatus("ready", "default", "/e")
    assert describe(ready) == ""
