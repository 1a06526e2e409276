"""Code blocks out of a model's markdown reply (the fallback when it makes no tool call)."""

from __future__ import annotations

import json

import pytest

from tui.core.extract import extract_code_blocks, language_for_tag, runnable_blocks
from tui.core.tool import ToolInputError, calls_from_markdown, read_calls

REPLY = """\
Let me compute it in two languages.

```python
import math
print(math.pi)
```

Then in the shell:

~~~sh
echo "hi from bash"
~~~

And untagged:

```
print("untagged")
```

The data looks like this (not code to run):

```json
{"a": 1}
```
"""


@pytest.mark.parametrize(
    ("tag", "language"),
    [
        ("py", "python"),
        ("Python3", "python"),
        ("ipython", "python"),
        ("js", "javascript"),
        ("node", "javascript"),
        ("ts", "typescript"),
        ("sh", "bash"),
        ("shell", "bash"),
        ("bash", "bash"),
        ("r", "r"),
        ("R", "r"),
        ("java", "java"),
        ("json", None),
        ("text", None),
        ("output", None),
    ],
)
def test_tags_map_to_runtime_languages(tag, language):
    assert language_for_tag(tag) == language


def test_mixed_blocks_keep_order_language_and_line():
    blocks = extract_code_blocks(REPLY)
    assert [(b.tag, b.language, b.line) for b in blocks] == [
        ("python", "python", 3),
        ("sh", "bash", 10),
        ("", "python", 16),
        ("json", None, 22),
    ]
    assert blocks[0].code == "import math\nprint(math.pi)"
    assert blocks[1].code == 'echo "hi from bash"'
    assert [b.language for b in runnable_blocks(REPLY)] == ["python", "bash", "python"]


def test_untagged_blocks_follow_the_default_or_are_skipped():
    assert [b.language for b in runnable_blocks(REPLY, default_language="bash")] == ["python", "bash", "bash"]
    assert [b.language for b in runnable_blocks(REPLY, default_language=None)] == ["python", "bash"]


def test_info_strings_with_attributes():
    text = '```python title="x.py" linenums\nA\n```\n```{r echo=FALSE}\nB\n```\n``` {.js}\nC\n```\n'
    assert [(b.language, b.code) for b in extract_code_blocks(text)] == [
        ("python", "A"),
        ("r", "B"),
        ("javascript", "C"),
    ]


def test_longer_fence_holds_a_shorter_one():
    text = "````markdown\n```py\nprint(1)\n```\n````\n```py\nprint(2)\n```\n"
    blocks = extract_code_blocks(text)
    assert [b.tag for b in blocks] == ["markdown", "py"]
    assert blocks[0].code == "```py\nprint(1)\n```"
    assert blocks[1].code == "print(2)"


def test_tilde_fence_is_not_closed_by_backticks():
    blocks = extract_code_blocks("~~~bash\necho a\n```\necho b\n~~~\n")
    assert blocks[0].code == "echo a\n```\necho b"


def test_unclosed_fence_runs_to_the_end_and_says_so():
    blocks = extract_code_blocks("Here:\n```py\nprint(1)\nprint(2")
    assert len(blocks) == 1
    assert blocks[0].code == "print(1)\nprint(2"
    assert not blocks[0].closed
    calls = calls_from_markdown("Here:\n```py\nprint(1)\n")
    assert any("not closed" in w for w in calls[0].warnings)


def test_fence_indented_in_a_list_item_is_dedented():
    text = "1. Run this:\n\n   ```bash\n   echo one\n     echo two\n   ```\n"
    (block,) = extract_code_blocks(text)
    assert block.language == "bash"
    assert block.code == "echo one\n  echo two"


def test_inline_backticks_are_not_fences():
    assert extract_code_blocks("Use ```py``` inline, or `x = 1`.") == []


def test_empty_blocks_are_not_runnable():
    assert runnable_blocks("```python\n\n```\n") == []


def test_markdown_calls_carry_their_source():
    calls = calls_from_markdown(REPLY)
    assert [c.arguments["language"] for c in calls] == ["python", "bash", "python"]
    assert calls[0].source == "code block 1 (```python, line 3)"
    assert calls[2].source == "code block 3 (untagged, line 16)"
    assert all(c.id is None for c in calls)


def test_read_calls_prefers_tool_calls_and_falls_back_to_blocks():
    calls, found = read_calls('{"code": "1 + 1"}')
    assert found == "tool calls" and calls[0].arguments == {"code": "1 + 1"}
    calls, found = read_calls(REPLY)
    assert found == "code blocks" and len(calls) == 3
    # a JSON assistant message without tool calls: its text is the reply
    message = {"role": "assistant", "content": [{"type": "text", "text": "```js\nconsole.log(1)\n```"}]}
    calls, found = read_calls(json.dumps(message))
    assert found == "code blocks" and calls[0].arguments["language"] == "javascript"
    with pytest.raises(ToolInputError):
        read_calls("Just prose, no code.")
    with pytest.raises(ToolInputError):
        read_calls("   ")


def test_a_python_console_session_runs_its_prompted_lines_only():
    session = "```pycon\n>>> x = 2\n>>> for i in range(2):\n...     print(i * x)\n...\n0\n2\n>>> x\n2\n```\n"
    (block,) = runnable_blocks(session)
    assert block.language == "python"
    assert block.code == "x = 2\nfor i in range(2):\n    print(i * x)\n\nx"
    # a python block that does not start with a prompt is code, `>>>` inside it included
    (block,) = runnable_blocks('```python\nprint(">>> not a prompt")\n```\n')
    assert block.code == 'print(">>> not a prompt")'


def test_read_calls_takes_a_json_string_as_the_reply():
    calls, found = read_calls(json.dumps("Run this:\n```sh\necho hi\n```"))
    assert found == "code blocks"
    assert calls[0].arguments == {"code": "echo hi", "language": "bash"}
