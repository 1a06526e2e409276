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
from tui.common.terminal import clean as terminal_text
from tui.core.tool import (
    TOOL_NAME,
    InvalidArguments,
    ToolCall,
    ToolInputError,
    ToolLimits,
    aexecute_tool_call,
    execute_tool_call,
    execute_tool_calls,
    parse_tool_calls,
    tool_definition,
    tool_reply,
    validate_call,
)
from tui.core.tool.names import language_in_name, reads_as_code_tool

ALL = ["python", "javascript", "typescript", "r", "java", "bash"]
CLI = [sys.executable, "-m", "tui"]


@pytest.fixture
def limits(tmp_path: Path) -> ToolLimits:
    return ToolLimits(output_dir=tmp_path / "out")


class Untouchable:
    """A sandbox for calls that must never reach one: any use of it fails the test."""

    def __getattr__(self, name: str):
        raise AssertionError(f"an invalid call used the sandbox ({name})")


@pytest.fixture
def no_sandbox() -> Untouchable:
    return Untouchable()


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
    llama = {"name": "run_code", "parameters": {"code": "5"}}  # what Llama models write
    calls = parse_tool_calls([openai, anthropic, responses, {"code": "4"}, llama])
    assert [(c.id, c.source) for c in calls] == [
        ("call_1", "openai tool call"),
        ("toolu_1", "tool_use"),
        ("fc_1", "function_call"),
        (None, "arguments"),
        (None, "function call"),
    ]
    assert calls[4].arguments == {"code": "5"}
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
        ({"type": "tool_use", "id": "t", "input": {"code": "1"}}, "The call names no tool"),
    ],
)
def test_invalid_calls_are_results_not_exceptions(no_sandbox, limits, call, message):
    result = run(no_sandbox, call, limits)
    assert result["status"] == "invalid"
    assert result["error"]["name"] == "InvalidArguments"
    assert message in result["error"]["value"]
    assert result["execution_count"] is None


def test_unknown_tool_answers_its_call_id(no_sandbox, limits):
    call = {"type": "tool_use", "id": "toolu_x", "name": "search", "input": {"code": "1"}}
    result = run(no_sandbox, call, limits)
    assert result["tool_call_id"] == "toolu_x"
    assert result["status"] == "invalid"


def test_language_not_offered_here_is_invalid(no_sandbox, limits):
    result = run(no_sandbox, {"code": "1", "language": "r"}, limits, languages=["python", "bash"])
    assert result["status"] == "invalid"
    assert "r is not available" in result["error"]["value"]
    assert "python, bash" in result["error"]["value"]


# -- validation without a sandbox -----------------------------------------------------


def valid(call, **kwargs):
    return validate_call(call if isinstance(call, ToolCall) else parse_tool_calls(call)[0], **kwargs)


@pytest.mark.parametrize(
    ("alias", "language"),
    [
        ("py", "python"),
        ("python3", "python"),
        ("pycon", "python"),  # a fence tag names a language too
        ("JS", "javascript"),
        ("node", "javascript"),
        ("ts", "typescript"),
        ("deno", "typescript"),
        ("sh", "bash"),
        ("shell", "bash"),
        ("Rscript", "r"),
        ("jshell", "java"),
    ],
)
def test_language_aliases_are_the_registry_s_and_say_so(alias, language):
    checked = valid({"code": "1", "language": alias})
    assert checked.language == language
    assert checked.warnings == [f"language {alias!r} was taken as {language!r}."]


def test_canonical_language_and_default_need_no_warning():
    assert valid({"code": "1", "language": "bash"}).warnings == []
    assert valid({"code": "1"}).language == "python"
    assert valid({"code": "1"}, languages=["bash", "r"]).language == "bash"  # no python here


def test_every_call_shape_validates_to_the_same_call():
    arguments = {"code": "print(1)", "language": "bash"}
    shapes = [
        arguments,
        {"type": "function", "id": "c", "function": {"name": "run_code", "arguments": json.dumps(arguments)}},
        {"type": "function", "id": "c", "function": {"name": "run_code", "arguments": arguments}},
        {"type": "tool_use", "id": "c", "name": "run_code", "input": arguments},
        {"type": "function_call", "call_id": "c", "name": "run_code", "arguments": json.dumps(arguments)},
        {"name": "run_code", "parameters": arguments},
        {"name": "run_code", "arguments": arguments},
        {
            "role": "assistant",
            "tool_calls": [{"id": "c", "function": {"name": "run_code", "arguments": "{}"}}],
        },
    ]
    for shape in shapes[:-1]:
        checked = valid(shape)
        assert (checked.code, checked.language, checked.warnings) == ("print(1)", "bash", []), shape
    with pytest.raises(InvalidArguments, match="Missing the required argument `code`"):
        valid(shapes[-1])


@pytest.mark.parametrize(
    ("name", "arguments", "language"),
    [
        ("execute_python", {"code": "1"}, "python"),
        ("run_python", {"source": "1"}, "python"),
        ("python", {"code": "1"}, "python"),
        ("code_interpreter", {"code": "1", "language": "r"}, "r"),
        ("execute_code", {"script": "1"}, "python"),
        ("executeJavaScript", {"code": "1"}, "javascript"),
        ("bash", {"command": "ls", "restart": False}, "bash"),
        ("run_shell_command", {"cmd": "ls"}, "bash"),
    ],
)
def test_calls_named_as_examples_name_code_tools_are_accepted(name, arguments, language):
    checked = valid({"type": "tool_use", "id": "t", "name": name, "input": arguments})
    assert (checked.code, checked.language) == (
        arguments.get("code") or next(iter(arguments.values())),
        language,
    )
    assert checked.warnings[0] == f"tool {name!r} was taken as 'run_code'."
    key = next(k for k in arguments if k != "language")
    if key != "code":
        assert checked.warnings[1] == f"argument `{key}` was taken as `code`."


def test_an_explicit_language_beats_the_tool_name_s():
    assert valid(ToolCall({"code": "1", "language": "bash"}, name="run_python")).language == "bash"


def test_names_that_do_not_say_run_code_stay_unknown():
    for name in ("web_search", "search", "get_weather", "readFile"):
        with pytest.raises(InvalidArguments, match=f"Unknown tool '{name}'"):
            valid(ToolCall({"code": "1"}, name=name))
    # a code-sounding name without any code is not this tool either
    with pytest.raises(InvalidArguments, match="Unknown tool 'run_sql'.*takes the code as `code`"):
        valid(ToolCall({"query": "select 1"}, name="run_sql"))
    with pytest.raises(InvalidArguments, match=r"Several arguments could be the code \(source, script\)"):
        valid(ToolCall({"source": "1", "script": "2"}, name="run_code"))
    with pytest.raises(InvalidArguments, match="`source` must be a string, got a number"):
        valid(ToolCall({"source": 1}))


def test_the_tool_name_is_configurable():
    assert valid(ToolCall({"code": "1"}, name="calc"), tool_name="calc").warnings == []
    renamed = valid(ToolCall({"code": "1"}, name="run_code"), tool_name="calc")
    assert renamed.warnings == ["tool 'run_code' was taken as 'calc'."]
    with pytest.raises(InvalidArguments, match="The call names no tool: call 'calc'"):
        valid(ToolCall({"code": "1"}, name=""), tool_name="calc")
    # a name that says a language makes it the default, in the definition and in calls
    assert valid(ToolCall({"code": "ls"}), tool_name="run_bash").language == "bash"
    tool = tool_definition("anthropic", ALL, "run_bash")
    assert tool["name"] == "run_bash"
    assert tool["input_schema"]["properties"]["language"]["default"] == "bash"
    assert tool_definition("json", ALL, "calc")["title"] == "calc"
    assert (
        tool_definition("openai", ALL, "calc")["function"]["parameters"]["properties"]["language"]["default"]
        == "python"
    )


def test_a_tool_name_s_words_and_language():
    assert language_in_name("execute_python") == "python"
    assert language_in_name("runJS") == "javascript"
    assert language_in_name("code_interpreter") is None
    assert language_in_name("python_or_bash") is None  # two languages: it says none
    assert reads_as_code_tool("code_interpreter") and reads_as_code_tool("ipython")
    assert not reads_as_code_tool("web_search")


def test_an_alias_named_call_runs(sandbox, limits):
    call = {"name": "execute_python", "arguments": {"source": "print('alias')\n6 * 7"}}
    result = run(sandbox, call, limits)
    assert (result["status"], result["stdout"], result["text"]) == ("ok", "alias\n", "42")
    assert result["warnings"] == [
        "tool 'execute_python' was taken as 'run_code'.",
        "argument `source` was taken as `code`.",
    ]


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


def test_limits_cannot_be_negative():
    for name in ("max_output_chars", "max_result_chars", "timeout"):
        with pytest.raises(ValueError, match=name):
            ToolLimits(**{name: -1})
    ToolLimits(max_output_chars=0, timeout=0)  # 0 is fine: an empty excerpt, no time limit


def test_terminal_text_is_what_a_terminal_shows():
    assert (
        terminal_text("\x1b[1;31mred\x1b[0m and \x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\\n")
        == "red and link\n"
    )
    assert terminal_text("\r10% |#\r50% |#####\r100% |##########\n") == "100% |##########\n"
    assert terminal_text("loading...\rdone\n") == "doneing...\n"  # a shorter line leaves the rest
    assert terminal_text("a\r\nb\r\n") == "a\nb\n"
    assert terminal_text("bell\x07 nul\x00 tab\tkept \ufffd é 日本") == "bell nul tab\tkept \ufffd é 日本"


def test_terminal_output_reaches_the_model_as_a_terminal_shows_it(sandbox, limits):
    code = (
        "import sys\n"
        "for i in range(0, 101, 10):\n"
        "    sys.stderr.write(f'\\r{i}% |' + '#' * (i // 10)); sys.stderr.flush()\n"
        "sys.stderr.write('\\n')\n"
        "print('\\x1b[1;32mPASS\\x1b[0m', flush=True)\n"
        "import os; os.write(1, bytes(range(256)))"
    )
    result = run(sandbox, {"code": code}, limits)
    assert result["status"] == "ok", result
    assert result["stderr"] == "100% |##########\n"
    assert result["stdout"].startswith("PASS\n\t\n")  # escapes and control characters gone
    assert "\x1b" not in result["stdout"] and "\x00" not in result["stdout"]
    assert "\ufffd" in result["stdout"]  # bytes that are not UTF-8 arrive replaced, still valid JSON


def test_html_result_is_given_when_its_text_is_a_placeholder(sandbox, limits):
    code = (
        "from IPython.display import HTML, display\n"
        "display(HTML('<b>bold</b>'))\n"
        "import pandas as pd\n"
        "pd.DataFrame({'a': [1, 2]})"
    )
    result = run(sandbox, {"code": code}, limits)
    html, frame = result["results"]
    assert html["text"] == "<IPython.core.display.HTML object>"
    assert html["html"] == "<b>bold</b>"  # the only content there is
    assert "html" not in frame and "a" in frame["text"]  # the text says it all: no html twice


def test_unwritable_output_dir_is_a_warning_not_an_exception(sandbox, tmp_path):
    not_a_dir = tmp_path / "a-file"
    not_a_dir.write_text("")
    limits = ToolLimits(output_dir=not_a_dir, max_output_chars=100)
    code = "import matplotlib.pyplot as plt\nplt.plot([1, 2]); plt.show()\nprint('y' * 500)"
    result = run(sandbox, {"code": code}, limits)
    assert result["status"] == "ok"
    assert result["truncated"]["stdout"] == {"chars": 501, "path": None}
    assert "it could not be saved" in result["stdout"]
    assert "images" not in result["results"][0] and result["results"][0]["chart"]["type"] == "line"
    assert [w.split(":")[0] for w in result["warnings"]] == [
        "The full stdout could not be saved",
        "The png image of result 1 could not be saved",
    ]


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


def test_cli_schema_and_calls_take_the_tool_s_name():
    done = run_cli("tool", "schema", "--format", "anthropic", "--local", "--name", "execute_bash")
    assert done.returncode == 0, done.stderr
    tool = json.loads(done.stdout)
    assert tool["name"] == "execute_bash"
    assert tool["input_schema"]["properties"]["language"]["default"] == "bash"
    done = run_cli("tool", "schema", "--local", "--name", "run code!")
    assert done.returncode == 2
    assert "argument --name: not a tool name" in done.stderr


@pytest.mark.timeout(240)
def test_cli_tool_call_under_a_configured_name(tmp_path: Path):
    calls = [
        {"type": "tool_use", "id": "a", "name": "calc", "input": {"code": "6 * 7"}},
        {"type": "tool_use", "id": "b", "name": "run_code", "input": {"code": "7 * 6"}},
        {"type": "tool_use", "id": "c", "name": "web_search", "input": {"query": "x"}},
    ]
    done = run_cli(
        "tool", "call", "--local", "--name", "calc", "--output-dir", str(tmp_path), stdin=json.dumps(calls)
    )
    assert done.returncode == 0, done.stderr
    first, second, third = json.loads(done.stdout)
    assert (first["text"], "warnings" in first) == ("42", False)
    assert (second["text"], second["warnings"]) == ("42", ["tool 'run_code' was taken as 'calc'."])
    assert third["status"] == "invalid" and "the only tool here is 'calc'" in third["error"]["value"]


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
    assert "no runnable code block" in done.stderr
    done = run_cli("tool", "call", "--local", stdin='{"role": "assistant", "content": "hi"}')
    assert done.returncode == 2
    assert "No tool call" in done.stderr


@pytest.mark.parametrize(
    ("stdin", "said"),
    [
        ('"print(1)"', "got a string"),  # JSON, but a string: not read as JSON a second time
        ("null", "got null"),
        ("42", "got a number"),
        ("", "Nothing on stdin"),
    ],
)
def test_cli_json_that_is_not_a_call_exits_2_saying_what_it_got(stdin, said):
    done = run_cli("tool", "call", "--local", stdin=stdin)
    assert (done.returncode, done.stdout) == (2, "")
    assert said in done.stderr and "Traceback" not in done.stderr


def test_cli_stdin_that_is_not_utf8_exits_2():
    done = subprocess.run(
        [*CLI, "tool", "call", "--local"],
        input=b'{"code": "print(\xff)"}',
        capture_output=True,
        timeout=60,
        env={**os.environ, "LC_ALL": "C.UTF-8"},
    )
    assert done.returncode == 2
    assert b"stdin is not UTF-8 text (byte 0xff at offset 16)" in done.stderr


def test_cli_negative_limits_are_usage_errors():
    for flag in ("--timeout", "--max-output-chars", "--max-result-chars"):
        done = run_cli("tool", "call", "--local", flag, "-1", stdin='{"code": "1"}')
        assert done.returncode == 2
        assert f"argument {flag}: must be 0 or more" in done.stderr


@pytest.mark.timeout(240)
def test_cli_from_markdown_runs_a_json_reply_s_tool_call_not_its_blocks(tmp_path: Path):
    reply = {
        "role": "assistant",
        "content": [
            {"type": "text", "text": "```py\nprint('block')\n```"},
            {"type": "tool_use", "id": "toolu_md", "name": "run_code", "input": {"code": "print('tool')"}},
        ],
    }
    stdin = "\ufeff" + json.dumps(reply)  # a byte-order mark, as some editors write, is dropped
    done = run_cli("tool", "call", "--local", "--from-markdown", "--output-dir", str(tmp_path), stdin=stdin)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert (result["tool_call_id"], result["stdout"]) == ("toolu_md", "tool\n")


@pytest.mark.timeout(240)
def test_cli_reader_going_away_is_not_a_traceback(tmp_path: Path):
    env = {k: v for k, v in os.environ.items() if k != "E2B_API_KEY"}
    proc = subprocess.Popen(
        [*CLI, "tool", "call", "--local", "--output-dir", str(tmp_path), "--max-output-chars", "1000000"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    try:
        proc.stdin.write(json.dumps({"code": "print('x' * 500_000)"}).encode())
        proc.stdin.close()
        assert proc.stdout.read(10) == b'{\n  "statu'  # like `| head -c 10`, then gone
        proc.stdout.close()
        assert proc.wait(timeout=180) == 141  # as SIGPIPE would
        assert b"Traceback" not in proc.stderr.read()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


@pytest.mark.timeout(120)
async def test_async_timeout_fires_on_time_not_late(async_sandbox, tmp_path):
    # the SDK's own timeout fires at about twice the value; the async path bounds the run itself
    from tui.core.tool import aexecute_tool_calls

    marker = tmp_path / "reached-3s"
    code = f"import time\ntime.sleep(3)\nopen({str(marker)!r}, 'w').close()\ntime.sleep(60)"
    timed, after = await aexecute_tool_calls(
        async_sandbox,
        [ToolCall({"code": code}), ToolCall({"code": f"import os\nos.path.exists({str(marker)!r})"})],
        limits=ToolLimits(output_dir=tmp_path, timeout=2),
    )
    assert timed["status"] == "timeout" and "2 s" in timed["error"]["value"]
    assert after["text"] == "False", "the timeout fired late"
