"""`e2b-workbench mcp`: the mcp package's own client over stdio, and a clean shutdown."""

from __future__ import annotations

import base64
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
    # unisolated, so that its cwd is tmp_path itself (test_isolation.py covers mcp's default)
    return StdioServerParameters(
        command=sys.executable,
        args=[
            "-m", "tui", "mcp", "--local", "--no-isolate", "--output-dir", str(tmp_path / "out"), "--cwd", str(tmp_path)
        ],  # fmt: skip
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
            "write_file",
            "read_file",
            "list_files",
            "run_command",
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


async def test_client_moves_files_and_runs_commands_in_the_run_code_sandbox(tmp_path: Path):
    """Data in with write_file, used by run_code, results out with read_file; run_command in the
    same place; every failure an error result that says what to do."""
    async with Client(server_params(tmp_path)) as client:
        tools = {tool.name: tool for tool in (await client.list_tools()).tools}
        assert tools["write_file"].input_schema["required"] == ["path", "content"]
        assert tools["run_command"].input_schema["required"] == ["command"]

        wrote = structured(
            await client.call_tool("write_file", {"path": "data/in.csv", "content": "a,b\n1,2\n"})
        )
        assert wrote == {"path": str(tmp_path.resolve() / "data" / "in.csv"), "size": 8}
        ran = structured(
            await client.call_tool(
                "run_code",
                {
                    "code": "import pandas as pd\ndf = pd.read_csv('data/in.csv')\n"
                    "df.assign(c=df.a + df.b).to_csv('data/out.csv', index=False)"
                },
            )
        )
        assert ran["status"] == "ok", ran
        read = structured(await client.call_tool("read_file", {"path": "data/out.csv"}))
        assert (read["encoding"], read["content"], read["size"]) == ("utf-8", "a,b,c\n1,2,3\n", 12)
        assert "truncated" not in read

        png = bytes(range(256)) * 4
        wrote = structured(
            await client.call_tool(
                "write_file",
                {"path": "data/blob.bin", "content": base64.b64encode(png).decode(), "encoding": "base64"},
            )
        )
        assert wrote["size"] == 1024 and (tmp_path / "data" / "blob.bin").read_bytes() == png
        read = structured(await client.call_tool("read_file", {"path": "data/blob.bin"}))
        assert read["encoding"] == "base64" and base64.b64decode(read["content"]) == png

        (tmp_path / "long.txt").write_text("é" * 20_000)  # longer than --max-result-chars' default
        read = structured(await client.call_tool("read_file", {"path": "long.txt"}))
        assert read["truncated"] and read["encoding"] == "utf-8"
        assert set(read["content"]) == {"é"} and len(read["content"]) <= 10_000
        assert "40000 bytes" in read["note"]

        listed = structured(await client.call_tool("list_files", {"path": "data"}))
        assert listed["path"] == str(tmp_path.resolve() / "data")
        assert [(e["name"], e["type"]) for e in listed["entries"]] == [
            ("blob.bin", "file"),
            ("in.csv", "file"),
            ("out.csv", "file"),
        ]
        deep = structured(await client.call_tool("list_files", {"depth": 2}))
        assert "data/out.csv" in {
            Path(e["path"]).relative_to(tmp_path.resolve()).as_posix() for e in deep["entries"]
        }

        done = structured(
            await client.call_tool("run_command", {"command": "wc -l < data/in.csv; echo err >&2"})
        )
        assert (done["status"], done["exit_code"], done["stdout"], done["stderr"]) == (
            "ok",
            0,
            "2\n",
            "err\n",
        )
        result = await client.call_tool(
            "run_command",
            {"command": "echo $GREETING from $(pwd); exit 3", "cwd": "data", "envs": {"GREETING": "hi"}},
        )
        assert result.is_error
        failed = structured(result)
        assert (failed["status"], failed["exit_code"]) == ("error", 3)
        assert failed["stdout"] == f"hi from {tmp_path.resolve() / 'data'}\n"
        slow = structured(await client.call_tool("run_command", {"command": "sleep 30", "timeout": 1}))
        assert slow["status"] == "timeout" and "killed after 1 s" in slow["error"]
        colours = structured(
            await client.call_tool("run_command", {"command": "printf '\\033[31mred\\033[0m\\n'"})
        )
        assert colours["stdout"] == "red\n"  # as a terminal shows it, no escape sequences

        for tool, arguments, said in [
            ("read_file", {"path": "nope.txt"}, "No such file or folder in the sandbox: nope.txt"),
            ("read_file", {"path": "data"}, "is a folder"),
            ("list_files", {"path": "data/in.csv"}, "is a file"),
            ("write_file", {"path": "x.bin", "content": "***", "encoding": "base64"}, "not valid base64"),
            ("write_file", {"path": "x.txt"}, "`content` must be a string"),
            ("run_command", {"command": ""}, "`command` must be a non-empty string"),
            ("run_command", {"command": "true", "envs": {"A": 1}}, "`envs` must map"),
        ]:
            refused = await client.call_tool(tool, arguments)
            assert refused.is_error, (tool, arguments)
            assert said in structured(refused)["error"], (tool, structured(refused))


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
