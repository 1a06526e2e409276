"""`e2b-workbench mcp`: the mcp package's own client over stdio, and a clean shutdown."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from mcp import Client, StdioServerParameters

from tests.conftest import SANDBOX_ENV_VARS, descendants, wait_gone

pytestmark = pytest.mark.timeout(240)
REPO = Path(__file__).resolve().parent.parent


def server_params(tmp_path: Path) -> StdioServerParameters:
    return StdioServerParameters(
        command=sys.executable,
        args=["-m", "tui", "mcp", "--local", "--output-dir", str(tmp_path / "out"), "--cwd", str(tmp_path)],
        env={"E2B_WORKBENCH_HOME": str(tmp_path / "home"), **SANDBOX_ENV_VARS},
        cwd=str(REPO),
    )


def structured(result) -> dict:
    """The tool's JSON: structured content, and the same JSON in the text content."""
    assert json.loads(result.content[0].text) == result.structured_content
    return result.structured_content


async def test_client_lists_tools_runs_code_and_manages_contexts(tmp_path: Path):
    async with Client(server_params(tmp_path)) as client:
        tools = {tool.name: tool for tool in (await client.list_tools()).tools}
        assert set(tools) == {
            "run_code",
            "create_context",
            "list_contexts",
            "restart_context",
            "remove_context",
        }
        schema = tools["run_code"].input_schema
        assert schema["required"] == ["code"]
        assert "python" in schema["properties"]["language"]["enum"]
        assert "context_id" in schema["properties"]

        result = await client.call_tool("run_code", {"code": "import os\nprint(os.getcwd())\n6 * 7"})
        assert not result.is_error
        data = structured(result)
        assert data["status"] == "ok"
        assert data["stdout"] == f"{tmp_path.resolve()}\n"
        assert data["text"] == "42"

        result = await client.call_tool("run_code", {"code": "1 / 0"})
        assert result.is_error  # the code raised: the JSON says how
        assert structured(result)["error"]["name"] == "ZeroDivisionError"

        result = await client.call_tool("run_code", {"code": ""})
        assert result.is_error
        assert structured(result)["status"] == "invalid"

        created = structured(await client.call_tool("create_context", {"language": "bash"}))
        assert created["language"] == "bash"
        context_id = created["id"]
        ran = structured(
            await client.call_tool(
                "run_code", {"code": "export MARK=ctx; echo $MARK", "context_id": context_id}
            )
        )
        assert (ran["status"], ran["language"], ran["stdout"]) == ("ok", "bash", "ctx\n")
        listed = structured(await client.call_tool("list_contexts", {}))["contexts"]
        assert context_id in {c["id"] for c in listed}

        assert structured(await client.call_tool("restart_context", {"id": context_id}))["restarted"]
        ran = structured(
            await client.call_tool("run_code", {"code": "echo ${MARK:-gone}", "context_id": context_id})
        )
        assert ran["stdout"] == "gone\n"  # fresh state after the restart

        mismatch = await client.call_tool(
            "run_code", {"code": "1", "language": "python", "context_id": context_id}
        )
        assert structured(mismatch)["status"] == "invalid"
        alias = structured(  # `sh` is bash, as in any run_code call
            await client.call_tool(
                "run_code", {"code": "echo ok", "language": "sh", "context_id": context_id}
            )
        )
        assert (alias["status"], alias["stdout"]) == ("ok", "ok\n")
        assert alias["warnings"] == ["language 'sh' was taken as 'bash'."]

        assert structured(await client.call_tool("remove_context", {"id": context_id}))["removed"]
        gone = await client.call_tool("run_code", {"code": "echo hi", "context_id": context_id})
        assert structured(gone)["status"] == "invalid"

        bad = await client.call_tool("create_context", {"language": "cobol"})
        assert bad.is_error and "Unknown language" in structured(bad)["error"]
        missing = await client.call_tool("create_context", {})
        assert missing.is_error and "Missing the `language`" in structured(missing)["error"]
        created = structured(await client.call_tool("create_context", {"language": " Bash"}))
        assert created["language"] == "bash"

        for tool in ("restart_context", "remove_context"):
            unknown = await client.call_tool(tool, {"id": "no-such-id"})
            assert unknown.is_error
            assert structured(unknown)["error"] == (
                "No context 'no-such-id': list_contexts shows the ones there are."
            )


INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {
        "protocolVersion": "2025-06-18",
        "capabilities": {},
        "clientInfo": {"name": "test", "version": "0"},
    },
}


def rpc(proc: subprocess.Popen, message: dict, wait: bool = True) -> dict | None:
    proc.stdin.write(json.dumps(message) + "\n")
    proc.stdin.flush()
    if "id" not in message or not wait:
        return None
    return json.loads(proc.stdout.readline())


def test_server_stops_runtime_and_kernels_when_stdin_closes(tmp_path: Path):
    env = {k: v for k, v in os.environ.items() if k != "E2B_API_KEY"}
    env["E2B_WORKBENCH_HOME"] = str(tmp_path / "home")
    proc = subprocess.Popen(
        [sys.executable, "-m", "tui", "mcp", "--local", "--output-dir", str(tmp_path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=REPO,
    )
    try:
        init = rpc(proc, INITIALIZE)
        assert init["result"]["serverInfo"]["name"] == "e2b-workbench"
        rpc(proc, {"jsonrpc": "2.0", "method": "notifications/initialized"})
        call = {"name": "run_code", "arguments": {"code": "print('up')"}}
        reply = rpc(proc, {"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": call})
        assert reply["result"]["structuredContent"]["stdout"] == "up\n"
        call = {"name": "create_context", "arguments": {"language": "bash"}}
        assert not rpc(proc, {"jsonrpc": "2.0", "id": 3, "method": "tools/call", "params": call})["result"][
            "isError"
        ]
        kids = descendants(proc.pid)
        assert len(kids) >= 3, "the runtime and two kernels should be running"
        proc.stdin.close()
        assert proc.wait(timeout=60) == 0
        assert proc.stdout.read() == ""  # nothing but protocol on stdout
        assert "shutting down" in proc.stderr.read()
        assert not wait_gone(kids), "the runtime or a kernel outlived the server"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_client_going_away_mid_run_ends_the_server_quietly(tmp_path: Path):
    """The client dies (its pipes close) while a run is in flight: the server stops its runtime
    and kernels, exits 0, and its stderr holds no traceback from the reply it could not send."""
    env = {k: v for k, v in os.environ.items() if k != "E2B_API_KEY"}
    env["E2B_WORKBENCH_HOME"] = str(tmp_path / "home")
    proc = subprocess.Popen(
        [sys.executable, "-m", "tui", "mcp", "--local", "--output-dir", str(tmp_path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=REPO,
    )
    try:
        rpc(proc, INITIALIZE)
        rpc(proc, {"jsonrpc": "2.0", "method": "notifications/initialized"})
        call = {"name": "run_code", "arguments": {"code": "print('up')"}}
        assert rpc(proc, {"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": call})["result"]
        kids = descendants(proc.pid)
        call = {"name": "run_code", "arguments": {"code": "import time\ntime.sleep(60)"}}
        rpc(proc, {"jsonrpc": "2.0", "id": 3, "method": "tools/call", "params": call}, wait=False)
        time.sleep(1)
        proc.stdout.close()  # the client is gone: nobody reads, nobody writes
        proc.stdin.close()
        assert proc.wait(timeout=60) == 0
        stderr = proc.stderr.read()
        assert "Traceback" not in stderr and "BrokenPipeError" not in stderr, stderr
        assert not wait_gone(kids), "the runtime or a kernel outlived the server"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
