"""Cloud mode, offline: the real SDK against a fake control plane on loopback.

Sandboxes the fake creates are served by the session's local runtime, reached through a
fake edge (`SandboxEdge`) that can start answering 502 like E2B's edge for an expired
sandbox. Tests assert on what the control plane received.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fake_cloud import GOOD_KEY
from tui.core.config import load_config
from tui.core.session import Session
from tui.core.target import KeepAlive, Target, TargetError, open_sandbox, target_from_args

pytestmark = pytest.mark.timeout(180)

CLI = [sys.executable, "-m", "tui"]


def cli(
    *args: str, cwd: Path, stdin: str | None = None, env: dict | None = None
) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*CLI, *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env or dict(os.environ),
        timeout=150,
    )


# -- choosing the mode --------------------------------------------------------------


def args(*argv: str):
    from tui.cli import build_parser

    return build_parser().parse_args(list(argv))


def test_mode_is_cloud_with_a_key_and_local_without(monkeypatch, tmp_path):
    monkeypatch.setenv("E2B_WORKBENCH_HOME", str(tmp_path))
    monkeypatch.delenv("E2B_API_KEY", raising=False)
    assert target_from_args(args()).mode == "local"
    assert target_from_args(args("--cloud")).mode == "cloud"
    monkeypatch.setenv("E2B_API_KEY", "k")
    assert target_from_args(args()).mode == "cloud"
    assert target_from_args(args("--local")).mode == "local"
    assert target_from_args(args("--sandbox-id", "abc")).sandbox_id == "abc"


def test_settings_precedence_file_then_env_then_flags(monkeypatch, tmp_path):
    monkeypatch.setenv("E2B_WORKBENCH_HOME", str(tmp_path))
    path = tmp_path / "config.toml"
    path.write_text(
        'template = "from-file"\nsandbox_timeout = 100\ndomain = "file.dev"\ngraphics = "sixel"\n'
        'theme = "nord"\nrun_timeout = 5\n[metadata]\nowner = "file"\nteam = "a"\n'
        '[keymap]\nrun = "f5"\n'
    )
    config = load_config(path)
    assert (config.template, config.sandbox_timeout, config.domain) == ("from-file", 100, "file.dev")
    assert (config.graphics, config.theme, config.run_timeout) == ("sixel", "nord", 5)
    assert config.metadata == {"owner": "file", "team": "a"} and config.keymap == {"run": "f5"}
    monkeypatch.setenv("E2B_WORKBENCH_TEMPLATE", "from-env")
    monkeypatch.setenv("E2B_WORKBENCH_SANDBOX_TIMEOUT", "200")
    monkeypatch.setenv("E2B_WORKBENCH_METADATA", "owner=env")
    monkeypatch.setenv("E2B_WORKBENCH_KEYMAP", "interrupt=f6")
    monkeypatch.setenv("E2B_WORKBENCH_GRAPHICS", "halfblock")
    monkeypatch.setenv("E2B_WORKBENCH_ENVS", "A=1,B=2")
    config = load_config(path)
    assert (config.template, config.sandbox_timeout, config.graphics) == ("from-env", 200, "halfblock")
    assert config.metadata == {"owner": "env", "team": "a"}
    assert config.keymap == {"run": "f5", "interrupt": "f6"}
    assert config.envs == {"A": "1", "B": "2"}
    config = load_config(
        path, overrides={"template": "from-flag", "metadata": ["team=b"], "sandbox_timeout": 300}
    )
    assert (config.template, config.sandbox_timeout) == ("from-flag", 300)
    assert config.metadata == {"owner": "env", "team": "b"}
    assert not config.problems


def test_bad_settings_are_reported_and_ignored(monkeypatch, tmp_path):
    path = tmp_path / "config.toml"
    path.write_text('sandbox_timeout = "soon"\ngraphics = "ascii-art"\nbogus = 1\n')
    monkeypatch.setenv("E2B_WORKBENCH_METADATA", "no-equals-sign")
    config = load_config(path)
    assert config.sandbox_timeout == 300 and config.graphics == "auto" and config.metadata == {}
    problems = "\n".join(config.problems)
    assert "sandbox_timeout" in problems and "graphics" in problems and "bogus" in problems
    assert "E2B_WORKBENCH_METADATA" in problems


# -- the sandbox's lifecycle, headless ----------------------------------------------


def test_create_runs_code_keeps_alive_and_kills_on_close(cloud):
    target = Target(mode="cloud", template="my-template", sandbox_timeout=3, metadata={"who": "test"})
    with open_sandbox(target) as sandbox:
        assert sandbox.run_code("6 * 7").text == "42"
        # a keep-alive comes every second for a 3 s sandbox: wait for two of them
        cloud.wait_for("POST", f"/sandboxes/{sandbox.sandbox_id}/timeout", count=2, timeout=20)
    (create,) = cloud.created()
    assert create.body["templateID"] == "my-template"
    assert create.body["timeout"] == 3 and create.body["metadata"] == {"who": "test"}
    assert create.headers["x-api-key"] == GOOD_KEY
    assert all(r.body == {"timeout": 3} for r in cloud.calls("POST", "/sandboxes/"))
    assert cloud.calls("DELETE", f"/sandboxes/{sandbox.sandbox_id}")
    assert cloud.edge.seen and set(cloud.edge.seen) == {sandbox.sandbox_id}


def test_keep_leaves_the_sandbox_and_connect_by_id_reuses_it(cloud, capfd):
    with open_sandbox(Target(mode="cloud", keep=True)) as sandbox:
        sandbox_id = sandbox.sandbox_id
        sandbox.run_code("kept = 'still here'")
    assert not cloud.calls("DELETE", "/sandboxes/")
    assert f"--sandbox-id {sandbox_id}" in capfd.readouterr().err
    with open_sandbox(Target(mode="cloud", sandbox_id=sandbox_id, sandbox_timeout=120)) as again:
        assert again.sandbox_id == sandbox_id
        assert again.run_code("kept").text == "still here"  # E2B drops a str's quotes
    (connect,) = cloud.calls("POST", f"/v2/sandboxes/{sandbox_id}/connect")
    assert connect.body["timeout"] == 120
    assert len(cloud.created()) == 1
    assert not cloud.calls("DELETE", "/sandboxes/"), "a sandbox connected by id is not ours to kill"


def test_connect_to_an_unknown_sandbox_explains(cloud):
    with pytest.raises(TargetError, match="was not found: it expired or was killed"):
        with open_sandbox(Target(mode="cloud", sandbox_id="isb-nope")):
            pass


def test_rejected_key_and_rate_limit_and_no_key(cloud, monkeypatch):
    monkeypatch.setenv("E2B_API_KEY", "e2b_wrong")
    with pytest.raises(TargetError, match="rejected the API key"):
        with open_sandbox(Target(mode="cloud")):
            pass
    assert cloud.requests[-1].headers["x-api-key"] == "e2b_wrong"
    monkeypatch.setenv("E2B_API_KEY", GOOD_KEY)
    cloud.fail_with = 429
    with pytest.raises(TargetError, match="rate limit"):
        with open_sandbox(Target(mode="cloud")):
            pass
    monkeypatch.delenv("E2B_API_KEY")
    with pytest.raises(TargetError, match="needs an E2B API key"):
        with open_sandbox(Target(mode="cloud")):
            pass


def test_unreachable_api_explains(cloud, monkeypatch):
    monkeypatch.setenv("E2B_API_URL", "http://127.0.0.1:9")
    with pytest.raises(TargetError, match="Cannot reach E2B at http://127.0.0.1:9"):
        with open_sandbox(Target(mode="cloud")):
            pass


def test_keepalive_failure_is_recorded_not_raised(cloud):
    with open_sandbox(Target(mode="cloud", keep=True)) as sandbox:
        cloud.expire(sandbox.sandbox_id)
        errors: list[str] = []
        keepalive = KeepAlive(
            Target(mode="cloud", sandbox_timeout=3), sandbox.sandbox_id, errors.append
        ).start()
        try:
            cloud.wait_for("POST", f"/sandboxes/{sandbox.sandbox_id}/timeout", count=1, timeout=20)
            import time

            deadline = time.monotonic() + 10
            while not errors and time.monotonic() < deadline:
                time.sleep(0.05)
        finally:
            keepalive.stop()
    assert errors and "was not found" in errors[0]


# -- the command line -----------------------------------------------------------------


def test_cli_run_on_cloud_creates_runs_and_kills(cloud, tmp_path):
    script = tmp_path / "job.py"
    script.write_text("print('on the cloud path')\n")
    done = cli(
        "run",
        str(script),
        "--metadata",
        "job=ci",
        "--sandbox-timeout",
        "90",
        "--sandbox-env",
        "STAGE=ci",
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert "on the cloud path" in done.stdout
    (create,) = cloud.created()
    assert create.body["metadata"] == {"job": "ci"} and create.body["timeout"] == 90
    assert create.body["envVars"] == {"STAGE": "ci"}
    assert cloud.calls("DELETE", "/sandboxes/")
    assert GOOD_KEY not in done.stdout + done.stderr


def test_cli_run_keep_prints_the_id_and_local_flag_ignores_the_key(cloud, tmp_path):
    done = cli("run", "-", "--keep", cwd=tmp_path, stdin="print(1)")
    assert done.returncode == 0, done.stderr
    sandbox_id = cloud.created()[0].path and next(iter(cloud.sandboxes))
    assert f"--sandbox-id {sandbox_id}" in done.stderr
    assert not cloud.calls("DELETE", "/sandboxes/")
    before = len(cloud.requests)
    local = cli("run", "-", "--local", cwd=tmp_path, stdin="print('here')")
    assert local.returncode == 0 and "here" in local.stdout
    assert len(cloud.requests) == before, "--local must not talk to E2B"


def test_cli_errors_are_clear_and_exit_2(cloud, tmp_path):
    env = dict(os.environ, E2B_API_KEY="e2b_wrong")
    done = cli("run", "-", cwd=tmp_path, stdin="1", env=env)
    assert done.returncode == 2 and "rejected the API key" in done.stderr
    assert "Traceback" not in done.stderr and "e2b_wrong" not in done.stderr
    env = dict(os.environ, E2B_API_URL="http://127.0.0.1:9")
    for _ in range(4):  # the SDK's transport used to abort the process at exit, 1 time in 3
        done = cli("run", "-", cwd=tmp_path, stdin="1", env=env)
        assert done.returncode == 2 and "Cannot reach E2B" in done.stderr
    env = {k: v for k, v in os.environ.items() if k != "E2B_API_KEY"}
    done = cli("run", "-", "--cloud", cwd=tmp_path, stdin="1", env=env)
    assert done.returncode == 2 and "E2B_API_KEY" in done.stderr
    done = cli("run", "-", "--sandbox-id", "isb-gone", cwd=tmp_path, stdin="1")
    assert done.returncode == 2 and "isb-gone was not found" in done.stderr


def test_cli_run_on_an_expired_sandbox_says_so(cloud, tmp_path):
    cloud.edge.gone = True
    done = cli("run", "-", cwd=tmp_path, stdin="print(1)")
    assert done.returncode == 2
    assert "expired or was killed" in done.stderr and "Traceback" not in done.stderr


def test_cli_sandbox_create_info_extend_kill(cloud, tmp_path):
    done = cli("sandbox", "create", "--metadata", "a=b", "--sandbox-timeout", "60", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    sandbox_id = done.stdout.strip()
    assert sandbox_id in cloud.sandboxes and cloud.sandboxes[sandbox_id].metadata == {"a": "b"}
    info = cli("sandbox", "info", sandbox_id, cwd=tmp_path)
    assert info.returncode == 0 and "a=b" in info.stdout and "expires   in" in info.stdout
    extend = cli("sandbox", "extend", sandbox_id, "--sandbox-timeout", "600", cwd=tmp_path)
    assert extend.returncode == 0 and cloud.calls("POST", f"/sandboxes/{sandbox_id}/timeout")[-1].body == {
        "timeout": 600
    }
    kill = cli("sandbox", "kill", sandbox_id, cwd=tmp_path)
    assert kill.returncode == 0 and "killed" in kill.stdout
    again = cli("sandbox", "kill", sandbox_id, cwd=tmp_path)
    assert again.returncode == 0 and "was not running" in again.stdout
    gone = cli("sandbox", "extend", sandbox_id, cwd=tmp_path)
    assert gone.returncode == 1 and "not found" in gone.stderr


# -- the session the app uses ------------------------------------------------------------


def test_session_on_cloud_runs_extends_and_kills_on_close(cloud):
    session = Session(target=Target(mode="cloud", sandbox_timeout=600))
    try:
        asyncio.run(session.open())
        assert session.mode == "cloud" and session.sandbox_id in cloud.sandboxes
        assert 590 < (session.seconds_left or 0) <= 600
        session.extend(900)
        assert cloud.calls("POST", f"/sandboxes/{session.sandbox_id}/timeout")[-1].body == {"timeout": 900}
        assert session.seconds_left > 800
    finally:
        session.close()
    assert cloud.calls("DELETE", f"/sandboxes/{session.sandbox_id}")
    assert session.closing_note == ""


def test_tool_call_runs_on_cloud_and_kills_the_sandbox(cloud, tmp_path):
    call = '{"type": "function", "id": "call_1", "function": {"name": "run_code", "arguments": "{\\"code\\": \\"6 * 7\\"}"}}'
    done = cli("tool", "call", cwd=tmp_path, stdin=call)
    assert done.returncode == 0, done.stderr
    result = __import__("json").loads(done.stdout)
    assert result["status"] == "ok" and result["text"] == "42" and result["tool_call_id"] == "call_1"
    assert len(cloud.created()) == 1 and cloud.calls("DELETE", "/sandboxes/")
    assert GOOD_KEY not in done.stdout + done.stderr


async def test_async_open_on_cloud_runs_and_kills(cloud):
    from tui.core.target import open_async_sandbox

    async with open_async_sandbox(Target(mode="cloud", metadata={"via": "async"})) as sandbox:
        execution = await sandbox.run_code("print('async cloud')")
        assert execution.logs.stdout == ["async cloud\n"]
    assert cloud.created()[0].body["metadata"] == {"via": "async"}
    assert cloud.calls("DELETE", f"/sandboxes/{sandbox.sandbox_id}")


async def test_mcp_server_on_cloud_runs_code_and_kills_on_exit(cloud, tmp_path):
    from mcp import Client, StdioServerParameters

    env = {k: os.environ[k] for k in ("E2B_API_URL", "E2B_SANDBOX_URL", "E2B_API_KEY", "PATH")}
    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "tui", "mcp", "--metadata", "via=mcp", "--output-dir", str(tmp_path / "out")],
        env={**env, "E2B_WORKBENCH_HOME": str(tmp_path / "home")},
        cwd=str(Path(__file__).resolve().parent.parent),
    )
    async with Client(params) as client:
        result = await client.call_tool("run_code", {"code": "print('mcp on cloud')"})
        assert not result.is_error and result.structured_content["stdout"] == "mcp on cloud\n"
    assert cloud.created()[0].body["metadata"] == {"via": "mcp"}
    sandbox_id = next(iter(cloud.sandboxes))
    cloud.wait_for("DELETE", f"/sandboxes/{sandbox_id}", timeout=30)


def test_a_control_plane_that_does_not_answer_in_time_is_explained(cloud):
    cloud.delay = 3
    with pytest.raises(TargetError, match="did not answer in time"):
        with open_sandbox(Target(mode="cloud", api_timeout=0.5)):
            pass
