"""Exports and replay, headless: real runs through the real SDK against the local runtime.

A session's runs keep their transcripts beside their output files; history refers to them;
exports (notebook, Markdown, JSON) are views of them; a notebook round-trips through
replay with every step matching, and a changed output is reported with its diff.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from pathlib import Path

import nbformat
import pytest
from e2b_code_interpreter.models import Result

from tui.core.compare import compare, consensus, normalise
from tui.core.export import export_steps, format_for, json_text, main_language, notebook
from tui.core.history import History
from tui.core.records import ExecutionRecord
from tui.core.replay import ReplayOptions, replay
from tui.core.runbook import RunBook
from tui.core.session import Session
from tui.core.steps import (
    Step,
    UnusableInput,
    from_history,
    from_records,
    history_steps,
    load_steps,
    parse_ids,
    percent_steps,
)
from tui.core.transcript import Chunk, Transcript, read_transcript, transcript_path

pytestmark = pytest.mark.timeout(240)

CHART = (
    "import matplotlib.pyplot as plt\nplt.plot([1, 2, 3], [2, 4, 3]); plt.title('up and down')\nplt.show()\n"
)
# (language, code): stdout and stderr interleaved, a main result, a display with png + chart,
# a DataFrame, things that change every run (addresses, times), an error, and bash
RUNS = [
    (
        "python",
        "import sys\nprint('out 1', flush=True)\nprint('err 1', file=sys.stderr, flush=True)\nprint('out 2')\n6 * 7",
    ),
    ("python", "import datetime\nprint(object(), datetime.datetime.now())\n{'a': [1, 2]}"),
    ("python", CHART),
    ("python", "import pandas as pd\npd.DataFrame({'x': [1, 2], 'y': ['a', 'b']})"),
    ("bash", "echo from bash $((2 + 3))"),
    ("python", "def f():\n    return 1 / 0\nf()"),
]


class Waiter:
    """A RunListener that lets a test wait for the end of a run."""

    def __init__(self) -> None:
        self.done = threading.Event()

    def on_update(self, record: ExecutionRecord) -> None:
        pass

    def on_finished(self, record: ExecutionRecord) -> None:
        self.done.set()


async def record_session(runtime_url: str, runs=RUNS) -> list[ExecutionRecord]:
    """Run `runs` through a real Session as the app does; each finished record goes to history."""
    import asyncio

    session = Session(url=runtime_url)
    history = History()
    book = RunBook()
    records = []
    try:
        await session.open()
        for language, code in runs:
            entry = book.for_language(language)
            if entry is None:
                entry = book.add(await session.create_context(language))
            record = book.begin(code, entry, session.output_dir)
            waiter = Waiter()
            session.run(record, waiter, timeout=120)
            await asyncio.to_thread(waiter.done.wait, 120)
            book.finish(record)
            history.add(record)
            records.append(record)
    finally:
        await asyncio.to_thread(session.close)
        history.close()
    return records


@pytest.fixture(scope="module")
async def recorded(runtime_url, tmp_path_factory):
    """One recorded session for the module, in its own workbench home (left set for its tests)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("E2B_WORKBENCH_HOME", str(tmp_path_factory.mktemp("replay-home")))
        yield await record_session(runtime_url)


async def test_runs_keep_their_transcripts_and_history_refers_to_them(recorded):
    first = recorded[0]
    assert first.output_path is not None
    kept = read_transcript(transcript_path(first.output_path))
    # the streams apart, in the order they came
    streams = [(c.stream, c.text) for c in kept.chunks]
    assert streams[0] == ("stdout", "out 1\n") and streams[1] == ("stderr", "err 1\n")
    assert kept.text("stdout") == "out 1\nout 2\n"
    assert [r.text for r in kept.results] == ["42"] and kept.results[0].is_main_result
    assert kept.execution_count == first.execution_count
    chart = read_transcript(transcript_path(recorded[2].output_path))
    shown = chart.results[0]
    assert shown.png and shown.chart is not None and shown.chart.title == "up and down"
    assert read_transcript(transcript_path(recorded[-1].output_path)).error.name == "ZeroDivisionError"

    history = History()
    try:
        entries = history.last_session()
        assert [e.code for e in entries] == [code for _lang, code in RUNS]
        assert all(e.execution_path and Path(e.execution_path).exists() for e in entries)
        assert history.referenced_transcripts() == {Path(e.execution_path) for e in entries}
        steps = from_history(entries)
    finally:
        history.close()
    assert [s.transcript.text("stdout") for s in steps] == [
        s.transcript.text("stdout") for s in from_records(recorded)
    ]


async def test_notebook_export_validates_and_round_trips_through_replay(recorded, async_sandbox, tmp_path):
    steps = from_records(recorded)
    path = tmp_path / "session.ipynb"
    export_steps(steps, path)
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    assert nb.metadata.kernelspec.name == "python3"  # the main language's kernel
    cells = nb.cells
    assert [c.metadata.e2b.language for c in cells] == [lang for lang, _code in RUNS]
    first = cells[0]
    assert [(o.output_type, o.get("name")) for o in first.outputs] == [
        ("stream", "stdout"),
        ("stream", "stderr"),
        ("stream", "stdout"),
        ("execute_result", None),
    ]
    assert first.execution_count == recorded[0].execution_count
    assert first.outputs[-1].execution_count == recorded[0].execution_count
    picture = cells[2].outputs[0]
    assert picture.output_type == "display_data"
    assert "image/png" in picture.data and picture.metadata.e2b.chart["title"] == "up and down"
    frame = cells[3].outputs[0]
    assert "text/html" in frame.data and frame.metadata.e2b.data == {"x": [1, 2], "y": ["a", "b"]}
    error = cells[-1].outputs[-1]
    assert (error.output_type, error.ename, error.evalue) == (
        "error",
        "ZeroDivisionError",
        "division by zero",
    )
    assert any("1 / 0" in line for line in error.traceback)

    loaded = load_steps(path)
    report = await replay(async_sandbox, loaded, ReplayOptions(timeout=120, ignore_counts=True))
    assert [o.verdict for o in report.outcomes] == ["same"] * len(RUNS), [o.diff for o in report.outcomes]
    assert report.exit_code == 0


async def test_a_changed_output_is_a_difference_with_its_diff(recorded, async_sandbox, tmp_path):
    path = tmp_path / "changed.ipynb"
    export_steps(from_records(recorded[:2]), path)
    nb = nbformat.read(path, as_version=4)
    nb.cells[0].outputs[0].text = "out one\n"  # the original said "out 1"
    nbformat.write(nb, path)
    report = await replay(
        async_sandbox, load_steps(path), ReplayOptions(timeout=120, ignore_counts=True, stop_at_first=True)
    )
    first = report.outcomes[0]
    assert first.verdict == "different" and first.comparison.different == ["stdout"]
    assert "-stdout | out one" in first.diff and "+stdout | out 1" in first.diff
    assert report.outcomes[1].verdict == "skipped"  # stopped at the first difference
    assert report.exit_code == 1


def test_markdown_and_json_exports(recorded, tmp_path):
    steps = from_records(recorded)
    written = export_steps(steps, tmp_path / "runs.md")
    text = (tmp_path / "runs.md").read_text()
    assert "```python\nimport sys" in text and "```bash\necho from bash" in text
    assert "stderr:\n\n```text\nerr 1\n```" in text
    png = tmp_path / "runs_files" / f"run-{recorded[2].execution_count}-1.png"
    assert png in written and png.read_bytes().startswith(b"\x89PNG")
    assert f"![run-{recorded[2].execution_count}-1](runs_files/{png.name})" in text
    assert "error: `ZeroDivisionError: division by zero`" in text

    runs = json.loads(json_text(steps))
    execution = runs[0]["execution"]
    assert execution["logs"] == {"stdout": ["out 1\n", "out 2\n"], "stderr": ["err 1\n"]}
    assert execution["results"][0]["text"] == "42" and execution["results"][0]["is_main_result"]
    assert runs[2]["execution"]["results"][0]["chart"]["title"] == "up and down"
    assert runs[-1]["execution"]["error"]["name"] == "ZeroDivisionError"
    # the SDK rebuilds its own objects from it
    from e2b_code_interpreter.models import Execution, ExecutionError, Logs, Result

    rebuilt = Execution(
        results=[Result(**r) for r in execution["results"]],
        logs=Logs(**execution["logs"]),
        error=ExecutionError(**runs[-1]["execution"]["error"]),
        execution_count=execution["execution_count"],
    )
    assert rebuilt.text == "42"
    # and replay reads it back with the same outputs
    (tmp_path / "runs.json").write_text(json_text(steps))
    again = load_steps(tmp_path / "runs.json")
    assert compare(steps[2].transcript, again[2].transcript).same
    assert [s.language for s in again] == [lang for lang, _code in RUNS]


def test_multi_language_notebook_uses_the_main_language_kernel(tmp_path):
    plot = Result(extra={"application/vnd.plotly.v1+json": {"data": []}, "text/x-odd": {"n": 1}})
    steps = [
        Step("echo 1", "bash"),
        Step("print(1)", "python", Transcript([plot], execution_count=1)),
        Step("echo 2", "bash"),
    ]
    assert main_language(steps) == "bash"
    nb = notebook(steps)  # validated: a non-text extra under a non-JSON type goes to the metadata
    assert nb.metadata.kernelspec.name == "bash"
    assert [c.metadata.vscode.languageId for c in nb.cells] == ["bash", "python", "bash"]
    output = nb.cells[1].outputs[0]
    assert output.data["application/vnd.plotly.v1+json"] == {"data": []}
    assert output.metadata.e2b.extra == {"text/x-odd": {"n": 1}}
    # read back: the extras are the result's again; cells never run have nothing to compare with
    path = tmp_path / "mixed.ipynb"
    path.write_text(nbformat.writes(nb))
    loaded = load_steps(path)
    assert loaded[1].transcript.results[0].extra == plot.extra
    assert [s.has_original for s in loaded] == [False, True, False]


def test_history_of_an_older_version_is_migrated(home, tmp_path):
    path = tmp_path / "old.sqlite3"
    db = sqlite3.connect(path)
    db.executescript(
        "CREATE TABLE runs (id INTEGER PRIMARY KEY AUTOINCREMENT, code TEXT NOT NULL, context_id TEXT NOT NULL,"
        " language TEXT NOT NULL, started_at REAL NOT NULL, duration REAL, status TEXT NOT NULL,"
        " execution_count INTEGER, error_name TEXT);"
        "INSERT INTO runs (code, context_id, language, started_at, duration, status, execution_count, error_name)"
        " VALUES ('1/0', 'c1', 'python', 1.0, 0.1, 'error', 3, 'ZeroDivisionError');"
    )
    db.commit()
    db.close()
    history = History(path)
    try:
        (entry,) = history.recent()
        assert entry.code == "1/0" and entry.execution_path is None and entry.session is None
        (step,) = history_steps(history, ids="1")
        assert not step.has_original and step.error_name == "ZeroDivisionError"
    finally:
        history.close()


def test_normalised_comparison():
    assert normalise("<object object at 0x7f3a2b1c9d80>") == "<object object at 0x…>"
    assert (
        normalise("at 2025-01-06 09:30:12.123456 and 2025-01-06T09:30:12Z") == "at <datetime> and <datetime>"
    )
    assert normalise("took until 09:30:12") == "took until <time>"
    assert normalise("\x1b[31mred\x1b[0m   ") == "red"
    assert normalise("Out[3]: 4", ignore_counts=True) == normalise("Out[7]: 4", ignore_counts=True)
    one = Transcript([Chunk("stdout", "a\n"), Chunk("stdout", "b\n")], execution_count=1)
    two = Transcript([Chunk("stdout", "a\nb\n")], execution_count=2)
    assert compare(one, two).different == ["count"]
    assert compare(one, two, ignore_counts=True).same  # chunking does not count
    other = Transcript([Chunk("stdout", "a\nc\n")])
    assert consensus([one, two, other]).marks == [[], [], ["stdout"]]
    # no two agree: there is no majority, every lane is marked
    assert consensus([one, other]).marks == [["stdout"], ["stdout"]]


def test_percent_files_and_unusable_input(tmp_path):
    code = "# %% [markdown]\n# # Title\n# %%\nx = 1\n# %% second\nprint(x)\n"
    assert [s.code for s in percent_steps(code)] == ["x = 1", "print(x)"]
    assert parse_ids("3,5-7") == [3, 5, 6, 7]
    for name, text in (("bad.ipynb", "{"), ("empty.py", "# nothing\n"), ("x.txt", "x"), ("runs.json", "{}")):
        (tmp_path / name).write_text(text)
        with pytest.raises(UnusableInput):
            load_steps(tmp_path / name)
    assert format_for("a.md") == "markdown" and format_for("a", "notebook") == "ipynb"
