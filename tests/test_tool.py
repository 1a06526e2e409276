"""The run_code tool: its definition, the call shapes it reads, validation, execution through
the real SDK on the session's local runtime, and `tool schema` / `tool call` as processes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from tests.conftest import require_language
from tui.core.tool import (
    TOOL_NAME,
    ToolCall,
    ToolInputError,
    ToolLimits,
    aexecute_tool_call,
    execute_tool_call,
    execute_tool_calls,
    parse_tool_calls,
    tool_definition,
    tool_reply,
)

ALL = ["python", "javascript", "typescript", "r", "java", "bash"]
CLI = [sys.executable, "-m", "tui"]


@pytest.fixture
def limits(tmp_path: Path) -> ToolLimits:
    return ToolLimits(output_dir=tmp_path / "out")


# -- definition ---------------------------------------------------------------------


def test_openai_shape():
    tool = tool_definition("openai", ALL)
    assert tool["type"] == "function"
    function = tool["function"]
    assert function["name"] == TOOL_NAME
    assert "stateful" in function["description"]
    params = function["parameters"]
    assert params["type"] == "object"
    assert params["required"] == ["code"]
    assert params["properties"]["code"]["type"] == "string"
    assert params["properties"]["language"]["enum"] == ALL
    assert params["properties"]["language"]["default"] == "python"
    assert all(p["description"] for p in params["properties"].values())


def test_anthropic_and_json_schema_shapes():
    tool = tool_definition("anthropic", ["python", "bash"])
    assert set(tool) == {"name", "description", "input_schema"}
    assert tool["input_schema"]["properties"]["language"]["enum"] == ["python", "bash"]
    schema = tool_definition("json", ["python"])
    assert schema["$schema"].startswith("https://json-schema.org/")
    assert schema["title"] == TOOL_NAME and schema["required"] == ["code"]
    with pytest.raises(ValueError):
        tool_definition("gemini")


# -- reading calls ------------------------------------------------------------------


def test_call_shapes_are_all_understood():
    openai = {
        "id": "call_1",
        "type": "function",
        "function": {"name": "run_code", "arguments": json.dumps({"code": "1"})},
    }
    anthropic = {"type": "tool_use", "id": "toolu_1", "name": "run_code", "input": {"code": "2"}}
    responses = {"type": "function_call", "call_id": "fc_1", "name": "run_code", "arguments": '{"code": "3"}'}
    calls = parse_tool_calls([openai, anthropic, responses, {"code": "4"}])
    assert [(c.id, c.source) for c in calls] == [
        ("call_1", "openai tool call"),
        ("toolu_1", "tool_use"),
        ("fc_1", "function_call"),
        (None, "arguments"),
    ]
    message = {"role": "assistant", "content": None, "tool_calls": [openai]}
    assert [c.id for c in parse_tool_calls(json.dumps(message))] == ["call_1"]
    reply = {"role": "assistant", "content": [{"type": "text", "text": "Running it."}, anthropic]}
    assert [c.id for c in parse_tool_calls(reply)] == ["toolu_1"]
    with pytest.raises(ToolInputError):
        parse_tool_calls("not json")


def run(sandbox, call, limits, **kwargs):
    result = execute_tool_call(sandbox, call, limits=limits, **kwargs)
    json.dumps(result)  # always JSON-ready
    return result


@pytest.mark.parametrize(
    ("call", "message"),
    [
        ({}, "Missing the required argument `code`"),
        ({"code": 42}, "`code` must be a string, got a number"),
        ({"code": "   \n"}, "`code` is empty"),
        ({"code": "1", "language": "cobol"}, "Unknown language 'cobol'"),
        ({"code": "1", "language": ["python"]}, "`language` must be a string"),
        ('{"code": "1",', "not valid JSON"),
        ("[1, 2]", "got an array"),
        (ToolCall('{"code": "1",'), "The arguments are not valid JSON"),
        (ToolCall("[1]"), "must be a JSON object"),
        (ToolCall({"code": "1"}, name="web_search", id="call_9"), "Unknown tool 'web_search'"),
    ],
)
def test_invalid_calls_are_results_not_exceptions(sandbox, limits, call, message):
    result = run(sandbox, call, limits)
    assert result["status"] == "invalid"
    assert result["error"]["name"] == "InvalidArguments"
    assert message in result["error"]["value"]
    assert result["execution_count"] is None


def test_unknown_tool_answers_its_call_id(sandbox, limits):
    call = {"type": "tool_use", "id": "toolu_x", "name": "search", "input": {"code": "1"}}
    result = run(sandbox, call, limits)
    assert result["tool_call_id"] == "toolu_x"
    assert result["status"] == "invalid"


def test_language_not_offered_here_is_invalid(sandbox, limits):
    result = run(sandbox, {"code": "1", "language": "r"}, limits, languages=["python", "bash"])
    assert result["status"] == "invalid"
    assert "r is not available" in result["error"]["value"]
    assert "python, bash" in result["error"]["value"]


def test_arguments_as_json_string_extra_keys_and_alias(sandbox, limits):
    call = {
        "type": "function",
        "id": "call_7",
        "function": {
            "name": "run_code",
            "arguments": json.dumps({"code": "print('hi')\n6 * 7", "language": "py", "timeout": 5}),
        },
    }
    result = run(sandbox, json.dumps(call), limits)
    assert result["tool_call_id"] == "call_7"
    assert result["status"] == "ok"
    assert result["language"] == "python"
    assert result["stdout"] == "hi\n"
    assert result["text"] == "42"
    assert result["results"][0]["formats"] == ["text"]
    assert result["results"][0]["is_main_result"] is True
    assert result["execution_count"] >= 1
    assert 0 < result["duration_s"] < 60
    assert result["warnings"] == [
        "language 'py' was taken as 'python'.",
        "Ignored unknown argument: timeout.",
    ]


def test_bare_arguments_without_language_run_python(sandbox, limits):
    result = run(sandbox, {"code": "import sys; sys.version_info.major"}, limits)
    assert result["status"] == "ok" and result["text"] == "3"
    assert "tool_call_id" not in result and "warnings" not in result


SNIPPETS = {
    "python": "print('out', 6 * 7)",
    "javascript": "console.log('out', 6 * 7)",
    "typescript": "const n: number = 6 * 7; console.log('out', n)",
    "r": "cat('out', 6 * 7, '\\n')",
    "java": 'System.out.println("out " + (6 * 7));',
    "bash": "echo out $((6 * 7))",
}


@pytest.mark.timeout(240)
@pytest.mark.parametrize("language", ALL)
def test_every_language_through_a_tool_call(sandbox, limits, language):
    require_language(language)
    call = {"type": "tool_use", "id": f"t-{language}", "name": "run_code"}
    call["input"] = {"code": SNIPPETS[language], "language": language}
    result = run(sandbox, call, limits)
    assert result["status"] == "ok", result
    assert result["language"] == language
    assert result["stdout"].split() == ["out", "42"]
    assert result["tool_call_id"] == f"t-{language}"


def test_error_has_name_value_traceback(sandbox, limits):
    result = run(sandbox, {"code": "def f():\n    return 1 / 0\nf()"}, limits)
    assert result["status"] == "error"
    error = result["error"]
    assert error["name"] == "ZeroDivisionError"
    assert error["value"] == "division by zero"
    assert "return 1 / 0" in error["traceback"]
    assert result["execution_count"] is not None


def test_images_are_saved_and_referenced_never_inlined(sandbox, limits):
    code = (
        "import matplotlib.pyplot as plt\n"
        "plt.figure(); plt.plot([1, 2, 3], [3, 1, 2], label='a'); plt.plot([1, 2, 3], [2, 2, 1], label='b')\n"
        "plt.title('zigzag'); plt.xlabel('x'); plt.show()\n"
        "plt.figure(); plt.bar(['p', 'q'], [1, 2]); plt.show()\n"
    )
    result = run(sandbox, {"code": code}, limits)
    assert result["status"] == "ok", result
    text = json.dumps(result)
    assert "iVBOR" not in text and len(text) < 5000  # no base64 PNG in the model's context
    line, bar = result["results"]
    image = line["images"][0]
    assert image["format"] == "png"
    path = Path(image["path"])
    assert path.parent == limits.output_dir and path.is_file()
    with Image.open(path) as img:
        assert img.size[0] > 100
    assert bar["images"][0]["path"] != image["path"]  # unique names
    assert line["chart"] == {
        "type": "line",
        "title": "zigzag",
        "x_label": "x",
        "series": [{"label": "a", "points": 3}, {"label": "b", "points": 3}],
    }
    assert bar["chart"]["type"] == "bar"
    assert bar["chart"]["series"][0]["bars"] == 2


def test_long_output_is_truncated_with_a_marker_and_kept_on_disk(sandbox, tmp_path):
    limits = ToolLimits(output_dir=tmp_path, max_output_chars=1000, max_result_chars=300)
    code = "for i in range(2000):\n    print(f'line {i}')\n'r' * 5000"
    result = run(sandbox, {"code": code}, limits)
    stdout = result["stdout"]
    assert stdout.startswith("line 0\nline 1\n")
    assert stdout.rstrip().endswith("line 1999")
    assert "characters truncated; the full stdout is in" in stdout
    assert len(stdout) < 1300
    full = Path(result["truncated"]["stdout"]["path"])
    assert full.read_text().count("\n") == 2000
    assert result["truncated"]["stdout"]["chars"] == len(full.read_text())
    assert len(result["text"]) < 500 and "truncated" in result["text"]
    assert "result-1-text" in result["truncated"]


@pytest.mark.timeout(120)
def test_timeout_is_a_result_and_the_state_survives(sandbox, tmp_path):
    limits = ToolLimits(output_dir=tmp_path, timeout=1.5)
    sandbox.run_code("tool_state = 'kept'")
    result = run(sandbox, {"code": "import time\nprint('start', flush=True)\ntime.sleep(30)"}, limits)
    assert result["status"] == "timeout"
    assert result["error"]["name"] == "TimeoutError"
    assert "1.5 s" in result["error"]["value"]
    assert result["stdout"] == "start\n"  # what it printed before the timeout
    assert run(sandbox, {"code": "len(tool_state)"}, limits)["text"] == "4"


def test_calls_share_state_in_order(sandbox, limits):
    calls = parse_tool_calls([{"code": "shared_n = 20"}, {"code": "shared_n + 22"}])
    results = execute_tool_calls(sandbox, calls, limits=limits)
    assert [r["status"] for r in results] == ["ok", "ok"]
    assert results[1]["text"] == "42"


async def test_async_sandbox_gives_the_same_result(async_sandbox, limits):
    result = await aexecute_tool_call(
        async_sandbox, '{"code": "print(1)\\n2", "language": "python"}', limits=limits
    )
    assert (result["status"], result["stdout"], result["text"]) == ("ok", "1\n", "2")


def test_replies_in_each_api_shape():
    result = {"tool_call_id": "c1", "status": "error", "stdout": ""}
    assert tool_reply(result) is result
    openai = tool_reply(result, "openai")
    assert openai["role"] == "tool" and openai["tool_call_id"] == "c1"
    assert json.loads(openai["content"]) == result
    anthropic = tool_reply(result, "anthropic")
    assert anthropic["type"] == "tool_result" and anthropic["tool_use_id"] == "c1"
    assert anthropic["is_error"] is True


# -- the command line ---------------------------------------------------------------


def run_cli(*args: str, stdin: str = "", cwd: Path | None = None, timeout: float = 180):
    env = {k: v for k, v in os.environ.items() if k != "E2B_API_KEY"}
    return subprocess.run(
        [*CLI, *args], input=stdin, capture_output=True, text=True, cwd=cwd, timeout=timeout, env=env
    )


def test_cli_schema_in_each_format():
    for fmt, key in (("openai", "function"), ("anthropic", "input_schema"), ("json", "$schema")):
        done = run_cli("tool", "schema", "--format", fmt, "--local")
        assert done.returncode == 0, done.stderr
        assert key in json.loads(done.stdout)


@pytest.mark.timeout(240)
def test_cli_tool_call_as_a_process(tmp_path: Path):
    call = {
        "type": "function",
        "id": "call_cli",
        "function": {"name": "run_code", "arguments": json.dumps({"code": "print('from cli')\n1 / 0"})},
    }
    done = run_cli("tool", "call", "--local", "--output-dir", str(tmp_path), stdin=json.dumps(call))
    assert done.returncode == 0, done.stderr  # the code raised, but a result was produced
    result = json.loads(done.stdout)
    assert result["tool_call_id"] == "call_cli"
    assert result["stdout"] == "from cli\n"
    assert result["error"]["name"] == "ZeroDivisionError"

    done = run_cli(
        "tool", "call", "--local", "--reply", "anthropic", stdin='[{"code": "x = 5"}, {"code": "x * 2"}]'
    )
    assert done.returncode == 0, done.stderr
    replies = json.loads(done.stdout)
    assert [json.loads(r["content"])["status"] for r in replies] == ["ok", "ok"]
    assert json.loads(replies[1]["content"])["text"] == "10"


@pytest.mark.timeout(240)
def test_cli_tool_call_from_markdown(tmp_path: Path):
    reply = "Sure:\n\n```py\nprint('py block')\n```\n\nand\n\n```bash\necho bash block\n```\n"
    done = run_cli("tool", "call", "--local", "--from-markdown", stdin=reply)
    assert done.returncode == 0, done.stderr
    results = json.loads(done.stdout)
    assert [(r["language"], r["stdout"]) for r in results] == [
        ("python", "py block\n"),
        ("bash", "bash block\n"),
    ]


def test_cli_tool_call_unusable_input_exits_2():
    done = run_cli("tool", "call", "--local", stdin="print('not json')")
    assert done.returncode == 2
    assert "not JSON" in done.stderr and "--from-markdown" in done.stderr
    done = run_cli("tool", "call", "--local", "--from-markdown", stdin="no code here")
    assert done.returncode == 2
    assert "No runnable fenced code block" in done.stderr
    done = run_cli("tool", "call", "--local", stdin='{"role": "assistant", "content": "hi"}')
    assert done.returncode == 2
    assert "No tool call" in done.stderr
