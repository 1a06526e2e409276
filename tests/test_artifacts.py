"""Charts and images: artifacts of a run, previewed, drawn from their data, saved.

The first tests exercise tui.core.artifacts (and charts, pictures, saving) on results built by
the SDK's own `Result` (from chart payloads like the runtime sends); the rest drive the real app with Pilot
against the session's local runtime: matplotlib, PIL, SVG and R results.
"""

from __future__ import annotations

import asyncio
import base64
import io
import json
import math
import os
import sys
from pathlib import Path

import pytest
from e2b_code_interpreter.charts import BarChart, LineChart, _deserialize_chart
from e2b_code_interpreter.models import Result
from PIL import Image
from textual import events
from textual.app import App
from textual.widgets import DataTable, Input, TabbedContent
from textual_image.widget import HalfcellImage

from tui.app import WorkbenchApp
from tui.core.artifacts import Artifact, artifacts_of
from tui.core.charts import axis_label, chart_parts, chart_summary, describe_chart
from tui.core.pictures import PREVIEW_MAX_SIDE, picture_of
from tui.core.records import ExecutionRecord
from tui.core.saving import (
    ImageSaver,
    default_target,
    existing,
    save_plan,
    stem_of,
    target_from_input,
    write_plan,
)
from tui.core.session import Session
from tui.demo import quit_app, run_and_wait, wait_ready, wait_until
from tui.screens.artifacts import ArtifactsScreen
from tui.screens.chart import ChartScreen
from tui.screens.confirm import ConfirmScreen
from tui.screens.preview import PreviewScreen
from tui.screens.prompt import PromptScreen
from tui.widgets.artifacts import MAX_DRAWN_POINTS, ChartPlot, decimate
from tui.widgets.output_log import RunBlock

from .conftest import require_language

pytestmark = pytest.mark.timeout(180)

MPL = "import matplotlib.pyplot as plt\nplt.close('all')\nfig, ax = plt.subplots()\n"
LINE = MPL + (
    "ax.plot([1, 2, 3, 4], [3, 5, 4, 6], label='north')\n"
    "ax.plot([1, 2, 3, 4], [1, 2, 4, 3], label='south')\n"
    "ax.set_title('Sales'); ax.set_xlabel('quarter'); ax.set_ylabel('revenue (k€)')\n"
    "ax.legend()\nplt.show()"
)
BAR = MPL + "ax.bar(['apples', 'pears', 'plums'], [3, 1, 2], label='2024')\nax.set_title('Fruit')\nplt.show()"
TWO_FIGURES = (
    "import matplotlib.pyplot as plt\nplt.close('all')\n"
    "fig, (left, right) = plt.subplots(1, 2)\n"
    "left.plot([1, 2], [3, 4], label='l')\nright.bar(['u', 'v'], [5, 6])\nfig.suptitle('Both')\nplt.show()\n"
    "fig2, ax2 = plt.subplots()\nax2.pie([1, 2, 3], labels=['x', 'y', 'z'])\nax2.set_title('Pie')\nplt.show()"
)
SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="40" height="20">'
    '<rect width="40" height="20" fill="#1f77b4"/></svg>'
)
# chart payloads the way the runtime sends them (see tests/test_results.py)
LINE_CHART = {
    "type": "line",
    "title": "Lines",
    "x_label": "time (s)",
    "y_label": "speed",
    "x_unit": "s",
    "y_unit": "m/s",
    "x_ticks": [1, 2],
    "x_tick_labels": ["1", "2"],
    "x_scale": "linear",
    "y_ticks": [4, 6],
    "y_tick_labels": ["4", "6"],
    "y_scale": "linear",
    "elements": [
        {"label": "up", "points": [[1.0, 4.0], [2.0, 5.0]]},
        {"label": "_child1", "points": [["2024-01-02T00:00:00", 1.0], ["2024-01-03T12:30:00", 2.0]]},
    ],
}
BAR_CHART = {
    "type": "bar",
    "title": "Bars",
    "x_label": None,
    "y_label": "tons",
    "x_unit": None,
    "y_unit": None,
    "elements": [
        {"label": "a", "group": "2023", "value": 3.0},
        {"label": "b", "group": "2023", "value": 1.0},
        {"label": "a", "group": "2024", "value": 2.0},
    ],
}
PIE_CHART = {
    "type": "pie",
    "title": "Pie",
    "elements": [{"label": "x", "angle": 90.0, "radius": 1.0}, {"label": "y", "angle": 270.0, "radius": 1.0}],
}
BOX_CHART = {
    "type": "box_and_whisker",
    "title": "Boxes",
    "x_label": "group",
    "y_label": None,
    "x_unit": None,
    "y_unit": None,
    "elements": [
        {
            "label": "A",
            "min": 1.0,
            "first_quartile": 2.25,
            "median": 3.5,
            "third_quartile": 4.75,
            "max": 5.0,
            "outliers": [20.0],
        }
    ],
}


def png_b64(width: int, height: int, color: str = "red") -> str:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), color).save(buffer, format="PNG")
    return base64.b64encode(buffer.getvalue()).decode()


def record_with(*results: Result, count: int = 7) -> ExecutionRecord:
    record = ExecutionRecord(seq=1, code="", context_id="c", language="python")
    record.execution_count = count
    record.results.extend(results)
    return record


# -- tui.core.artifacts, charts, pictures and saving on their own ----------------------------


def test_artifacts_are_image_and_chart_results_in_order():
    text = Result(text="42", is_main_result=True)
    line = Result(png=png_b64(8, 6), chart=LINE_CHART)
    svg = Result(svg=SVG)
    chart_only = Result(chart=BAR_CHART)
    artifacts = artifacts_of(record_with(text, line, svg, chart_only))
    assert [a.name for a in artifacts] == ["run-7-1", "run-7-2", "run-7-3"]
    assert [a.kinds for a in artifacts] == [["png", "chart"], ["svg"], ["chart"]]
    assert artifacts[0].describe() == "png 8×6 · line chart “Lines” (2 series)"
    assert [suffix for suffix, _ in artifacts[0].files()] == [".png", ".chart.json"]
    assert [suffix for suffix, _ in artifacts[1].files()] == [".svg"]
    assert [suffix for suffix, _ in artifacts[2].files()] == [".chart.json"]


def test_chart_parts_series_labels_and_tables():
    (line,) = chart_parts(Result(chart=LINE_CHART).chart)
    assert line.kind == "line" and line.title == "Lines"
    assert (line.x_label, line.y_label) == ("time (s)", "speed (m/s)")  # the unit is said once
    assert [s.label for s in line.series] == ["up", "series 2"]  # matplotlib's _child1 is no name
    assert line.series[0].x == [1.0, 2.0] and line.series[0].y == [4.0, 5.0]
    assert line.series[1].x == ["2024-01-02", "2024-01-03 12:30"]
    assert line.categorical
    assert line.columns == ["series", "time (s)", "speed (m/s)"]
    assert line.rows[0] == ["up", "1", "4"]

    (bar,) = chart_parts(Result(chart=BAR_CHART).chart)
    assert [(s.label, s.x, s.y) for s in bar.series] == [
        ("2023", ["a", "b"], [3.0, 1.0]),
        ("2024", ["a"], [2.0]),
    ]
    assert bar.rows == [["2023", "a", "3"], ["2023", "b", "1"], ["2024", "a", "2"]]

    (pie,) = chart_parts(Result(chart=PIE_CHART).chart)
    assert pie.series[0].x == ["x", "y"] and pie.series[0].y == [25.0, 75.0]
    assert pie.rows == [["x", "90", "25.0"], ["y", "270", "75.0"]]

    (box,) = chart_parts(Result(chart=BOX_CHART).chart)
    assert box.boxes[0].median == 3.5 and box.boxes[0].outliers == [20.0]
    assert box.rows == [["A", "1", "2.25", "3.5", "4.75", "5", "20"]]

    superchart = {"type": "superchart", "title": "Both", "elements": [LINE_CHART, BAR_CHART]}
    assert [p.kind for p in chart_parts(Result(chart=superchart).chart)] == ["line", "bar"]


def test_axis_label():
    assert axis_label("time (s)", "s") == "time (s)"
    assert axis_label("time", "s") == "time (s)"
    assert axis_label(None, "kg") == "(kg)"
    assert axis_label(None, None) == ""


def test_one_chart_summary_as_data_and_as_a_line():
    chart = Result(chart=LINE_CHART).chart
    assert chart_summary(chart) == {
        "type": "line",
        "title": "Lines",
        "x_label": "time (s)",
        "y_label": "speed",
        "x_unit": "s",
        "y_unit": "m/s",
        "series": [{"label": "up", "points": 2}, {"label": "_child1", "points": 2}],
    }
    assert describe_chart(chart) == "line chart “Lines” (2 series)"
    bars = Result(chart=BAR_CHART).chart
    assert chart_summary(bars)["series"] == [{"label": "2023", "bars": 2}, {"label": "2024", "bars": 1}]
    assert describe_chart(bars) == "bar chart “Bars” (3 bars)"
    pie = Result(chart=PIE_CHART).chart
    assert (chart_summary(pie)["elements"], chart_summary(pie)["labels"]) == (2, ["x", "y"])
    assert describe_chart(pie) == "pie chart “Pie” (2 slices)"
    assert describe_chart(Result(chart=BOX_CHART).chart) == "box-and-whisker chart “Boxes” (1 box)"
    both = Result(chart={"type": "superchart", "title": "", "elements": [LINE_CHART, BAR_CHART]}).chart
    assert [part["type"] for part in chart_summary(both)["charts"]] == ["line", "bar"]
    assert describe_chart(both) == "superchart chart (2 parts)"


def test_saved_files_get_the_umask_s_mode_and_replaced_ones_keep_theirs(tmp_path: Path):
    umask = os.umask(0o022)
    try:
        fresh = tmp_path / "fresh.png"
        write_plan([(fresh, b"new")])
        assert fresh.stat().st_mode & 0o777 == 0o644
        kept = tmp_path / "kept.png"
        kept.write_bytes(b"old")
        kept.chmod(0o640)
        write_plan([(kept, b"new")], overwrite=True)
        assert (kept.read_bytes(), kept.stat().st_mode & 0o777) == (b"new", 0o640)
    finally:
        os.umask(umask)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fresh.png", "kept.png"]  # no temporary files


def test_run_images_are_saved_under_stable_names(tmp_path: Path):
    saver = ImageSaver(tmp_path / "out", "plot")
    assert saver.save(Result(png=png_b64(4, 4), svg=SVG)) == [
        tmp_path / "out" / n for n in ("plot-1.png", "plot-2.svg")
    ]
    assert saver.save(Result(text="1")) == []
    again = ImageSaver(tmp_path / "out", "plot")  # a second run replaces the first one's files
    again.save(Result(jpeg=base64.b64encode(b"jpeg bytes").decode()))
    assert (tmp_path / "out" / "plot-1.jpg").read_bytes() == b"jpeg bytes"
    assert (tmp_path / "out" / "plot-2.svg").read_text() == SVG
    with pytest.raises(ValueError):
        again.save(Result(png="not base64!"))


def test_save_never_overwrites_unless_asked(tmp_path: Path):
    artifact = Artifact(3, 1, Result(png=png_b64(8, 6), svg=SVG, chart=LINE_CHART))
    default = default_target(artifact, tmp_path)
    assert default == tmp_path / "e2b-artifacts" / "run-3-1.png"
    plan = save_plan(artifact, default)
    assert [p.name for p, _ in plan] == ["run-3-1.png", "run-3-1.svg", "run-3-1.chart.json"]
    assert write_plan(plan) == [p for p, _ in plan]
    with Image.open(plan[0][0]) as image:
        assert image.size == (8, 6)
    # taken: the next default is a fresh name, and writing the same plan again refuses
    assert default_target(artifact, tmp_path) == tmp_path / "e2b-artifacts" / "run-3-1-2.png"
    plan[0][0].write_bytes(b"mine")
    with pytest.raises(FileExistsError):
        write_plan(plan)
    assert plan[0][0].read_bytes() == b"mine"
    assert existing(plan) == [p for p, _ in plan]
    write_plan(plan, overwrite=True)
    assert plan[0][0].read_bytes() == base64.b64decode(artifact.result.png)
    assert not [p for p in plan[0][0].parent.iterdir() if p.name.endswith(".tmp")]


def test_typed_targets(tmp_path: Path):
    artifact = Artifact(2, 4, Result(png=png_b64(4, 4)))
    assert stem_of(Path("out/fig.chart.json")) == Path("out/fig")
    assert stem_of(Path("out/fig.png")) == Path("out/fig")
    assert stem_of(Path("out/fig")) == Path("out/fig")
    assert target_from_input("figs/", artifact, tmp_path) == tmp_path / "figs" / "run-2-4.png"
    assert target_from_input(str(tmp_path), artifact, tmp_path) == tmp_path / "run-2-4.png"
    assert target_from_input("a.png", artifact, tmp_path) == tmp_path / "a.png"
    assert target_from_input("  ", artifact, tmp_path) == default_target(artifact, tmp_path)
    assert target_from_input("~/x.png", artifact, tmp_path) == Path.home() / "x.png"


class Host(App):
    """A bare app with the workbench's CSS, for screens that need no runtime."""

    CSS_PATH = str(Path(__file__).resolve().parent.parent / "tui" / "app.tcss")


async def test_chart_screen_draws_every_kind():
    """Each chart kind (and an empty series, an empty superchart) draws without a runtime."""
    empty_series = {**LINE_CHART, "elements": [*LINE_CHART["elements"], {"label": "_x", "points": []}]}
    cases = {
        "line": (empty_series, ["Lines", "up", "time (s)"]),
        "bar": (BAR_CHART, ["Bars", "2023", "2024"]),
        "pie": (PIE_CHART, ["x 25.0%", "y 75.0%"]),
        "box": (BOX_CHART, ["Boxes", "A", "group"]),
        "superchart": (
            {"type": "superchart", "title": "Both", "elements": [BOX_CHART, PIE_CHART]},
            ["Boxes"],
        ),
        "empty superchart": ({"type": "superchart", "title": "None", "elements": []}, []),
    }
    for name, (payload, words) in cases.items():
        app = Host()
        async with app.run_test(size=(100, 34)) as pilot:
            await app.push_screen(ChartScreen(Artifact(1, 1, Result(chart=payload))))
            await pilot.pause()
            plots = list(app.screen.query(ChartPlot))
            drawn = "\n".join(plot_text(plot) for plot in plots)
            for word in words:
                assert word in drawn, (name, word, drawn)
            assert bool(plots) == (name != "empty superchart")
            await pilot.press("down", "right_square_bracket", "escape")


def line_chart(*series: list) -> dict:
    """LINE_CHART with these series (lists of [x, y] points)."""
    elements = [{"label": f"s{n}", "points": points} for n, points in enumerate(series)]
    return {**LINE_CHART, "elements": elements}


def test_image_data_that_is_not_base64_is_described_not_raised(tmp_path: Path):
    """A result can carry any string as its png (display({'image/png': ...}, raw=True))."""
    from tui.widgets.render import render_result, result_plain

    broken = Artifact(1, 1, Result(png="not base64"))
    assert broken.raster() is None and broken.undecodable() == ["png"]
    assert broken.describe() == "png (not valid base64)"
    assert "not valid base64" in picture_of(broken).note
    assert broken.files() == []
    render_result(broken.result, broken)  # the log's line for it
    assert result_plain(broken.result, broken) == "[run-1-1 · png (not valid base64)]"
    with pytest.raises(OSError, match="nothing to write"):
        write_plan(save_plan(broken, default_target(broken, tmp_path)))
    # a chart whose image is broken still saves its JSON, and says the chart can be drawn
    with_chart = Artifact(1, 2, Result(png="@@@@", chart=LINE_CHART))
    assert [suffix for suffix, _ in with_chart.files()] == [".chart.json"]
    assert "press i" in picture_of(with_chart).note.lower()


def test_pictures_are_bounded_and_their_problems_said_plainly():
    wide = Artifact(1, 1, Result(png=png_b64(PREVIEW_MAX_SIDE * 2, 10)))
    picture = picture_of(wide)
    assert picture.image.size == (PREVIEW_MAX_SIDE, 5)  # shrunk to what a screen can show
    assert wide.describe() == f"png {PREVIEW_MAX_SIDE * 2}×10"  # the result's own size is said
    truncated = Artifact(1, 1, Result(png=base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"0" * 20).decode()))
    note = picture_of(truncated).note
    assert note.startswith("The png image cannot be read") and "object at 0x" not in note
    # cut short after its header: its size is known, but it cannot be drawn
    whole = base64.b64decode(png_b64(300, 200, "navy"))
    cut = Artifact(1, 1, Result(png=base64.b64encode(whole[: len(whole) // 2]).decode()))
    assert cut.describe() == "png 300×200"
    picture = picture_of(cut)
    assert picture.image is None and "truncated" in picture.note


def test_an_svg_that_cannot_be_drawn_says_why():
    try:
        import cairosvg  # noqa: F401 - needs the cairo library as well
    except (ImportError, OSError) as err:
        if os.environ.get("CI"):
            raise  # CI installs both: the SVG path is tested there for real
        pytest.skip(f"cairosvg is not usable here: {err}")
    unsized = Artifact(1, 1, Result(svg='<svg xmlns="http://www.w3.org/2000/svg"><rect/></svg>'))
    note = picture_of(unsized).note
    assert "cannot be drawn" in note and "size is undefined" in note
    assert "no SVG rasterizer" not in note  # it is installed: the SVG is the problem


def test_save_errors_say_what_is_wrong_and_leave_nothing_half_written(tmp_path: Path):
    artifact = Artifact(3, 1, Result(png=png_b64(8, 6), chart=LINE_CHART))
    (tmp_path / "report").write_text("a file, not a folder")
    with pytest.raises(NotADirectoryError, match="report is a file"):
        write_plan(save_plan(artifact, tmp_path / "report" / "figs" / "fig.png"))
    # a folder where the png would go: not offered for replacing, and said
    (tmp_path / "fig.png").mkdir()
    plan = save_plan(artifact, tmp_path / "fig.png")
    assert existing(plan) == []
    with pytest.raises(IsADirectoryError, match="fig.png is a folder"):
        write_plan(plan)
    assert not (tmp_path / "fig.chart.json").exists()
    # the second file cannot be written: the first, made by this save, goes again
    plan = [(tmp_path / "ok.png", b"png"), (tmp_path / "report" / "x.json", b"{}")]
    with pytest.raises(NotADirectoryError):
        write_plan(plan)
    assert not (tmp_path / "ok.png").exists()
    # a taken name is kept as it was, even when a later file fails during a replace
    (tmp_path / "ok.png").write_bytes(b"mine")
    with pytest.raises(NotADirectoryError):
        write_plan(plan, overwrite=True)
    assert (tmp_path / "ok.png").read_bytes() == b"png"  # replaced (asked for), not deleted


def test_missing_x_values_are_missing_not_a_category():
    """matplotlib sends NaN as null: `None` is no x category, and does not make x categorical."""
    (part,) = chart_parts(Result(chart=line_chart([[None, None], [2.0, 2.0], [3.0, None]])).chart)
    assert not part.categorical
    assert math.isnan(part.series[0].x[0]) and part.series[0].x[1:] == [2.0, 3.0]


def test_decimate_keeps_the_shape_of_a_long_series():
    xs = [float(i) for i in range(100_000)]
    ys = [math.sin(i / 1000) for i in range(100_000)]
    ys[54_321] = 50.0  # one spike
    kept_x, kept_y = decimate(xs, ys)
    assert len(kept_x) <= MAX_DRAWN_POINTS
    assert kept_x == sorted(kept_x)
    assert max(kept_y) == 50.0 and min(kept_y) == min(ys)
    assert decimate(xs[:10], ys[:10]) == (xs[:10], ys[:10])


async def test_odd_chart_data_draws_or_says_why():
    """Missing and infinite values, empty bars, huge numbers and 100k points: no traceback."""
    many = [[float(i), math.sin(i / 1000)] for i in range(100_000)]
    cases = {
        "missing x and y": line_chart([[None, None], [2.0, 2.0], [3.0, 1.0]]),
        "infinite": line_chart([[1.0, float("inf")], [2.0, 1.0], [3.0, 2.0]]),
        "too big to scale": line_chart([[1e300, 1e308], [2e300, -1e308]]),
        "no bars": {**BAR_CHART, "elements": []},
        "missing bars": {**BAR_CHART, "elements": [{"label": "a", "group": "g", "value": None}]},
        "missing slice": {**PIE_CHART, "elements": [{"label": "x", "angle": None, "radius": 1.0}]},
        "missing box": {
            **BOX_CHART,
            "elements": [{**BOX_CHART["elements"][0], "median": None, "outliers": [None]}],
        },
        "100k points": line_chart(many),
    }
    for name, payload in cases.items():
        app = Host()
        async with app.run_test(size=(100, 34)) as pilot:
            await app.push_screen(ChartScreen(Artifact(1, 1, Result(chart=payload))))
            await pilot.pause()
            await pilot.press("down")
            mark = str(app.screen.query_one(".chart-mark").content)
            if name == "missing x and y":
                assert mark == "marked: s0: 2, 2", mark
            await pilot.press("up")  # the first row: a point with no x nor y
            mark = str(app.screen.query_one(".chart-mark").content)
            if name == "missing x and y":
                assert mark == "s0: nan, nan: a missing value, not on the plot", mark
            plot = app.screen.query_one(ChartPlot)
            shown = str(plot.render())
            if name == "too big to scale":
                assert "cannot be drawn here" in shown and "in the table" in shown
            else:
                assert "cannot be drawn" not in shown, name
            assert all(len(xs) <= MAX_DRAWN_POINTS for xs, _ys in plot._drawn)
            await pilot.press("escape")


async def test_a_block_can_be_updated_before_it_is_composed():
    """The app's tick refreshes running blocks; one just added is not composed yet."""
    record = record_with(Result(png=png_b64(8, 6)))
    record.status = "running"
    app = Host()
    async with app.run_test(size=(100, 34)) as pilot:
        block = RunBlock(record)
        block.refresh_header()
        block.refresh_block()
        await app.mount(block)
        await pilot.pause()
        assert "run-7-1 · png 8×6" in body_text(block)
        assert block.plain_text().endswith("[run-7-1 · png 8×6]")


# -- the app ----------------------------------------------------------------------------


@pytest.fixture
def home(tmp_path: Path, monkeypatch) -> Path:
    """Own buffers/history/config, half-block previews, and a working directory for saves."""
    monkeypatch.setenv("E2B_WORKBENCH_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("E2B_WORKBENCH_GRAPHICS", "halfblock")
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    return work


def make_app(runtime_url: str) -> WorkbenchApp:
    return WorkbenchApp(session=Session(url=runtime_url))


def plots_text(screen) -> str:
    """What the screen's plots draw ("" while none is mounted yet)."""
    return "\n".join(plot_text(plot) for plot in screen.query(ChartPlot))


def body_text(block: RunBlock) -> str:
    from rich.console import Console

    console = Console(width=120, record=True, file=io.StringIO())
    console.print(block.query_one(".run-body").content)
    return console.export_text()


async def save_as(pilot, path: str | None) -> None:
    """Answer the save prompt: a path, or Enter on the default (None)."""
    app = pilot.app
    await wait_until(pilot, lambda: isinstance(app.screen, PromptScreen), what="the save prompt")
    if path is not None:
        app.screen.query_one(Input).value = path
    await pilot.press("enter")
    await wait_until(pilot, lambda: not isinstance(app.screen, PromptScreen), what="the prompt to close")


async def test_line_and_bar_charts_preview_draw_and_save(runtime_url, home):
    app = make_app(runtime_url)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot)
        assert app.artifacts.graphics == "halfblock"
        line = await run_and_wait(pilot, LINE)
        bar = await run_and_wait(pilot, BAR)
        assert line.status == bar.status == "ok"
        (line_artifact,) = artifacts_of(line)
        (bar_artifact,) = artifacts_of(bar)
        assert line_artifact.kinds == ["png", "chart"] and isinstance(line_artifact.chart, LineChart)
        assert bar_artifact.kinds == ["png", "chart"] and isinstance(bar_artifact.chart, BarChart)

        # the block lists the artifact with a half-block thumbnail and its keys
        block = app.main.log_view.blocks[line.seq]
        text = body_text(block)
        assert f"{line_artifact.name} · png " in text and "line chart “Sales” (2 series)" in text
        assert text.count("▀") >= 10 * 10
        assert "p preview · i interactive chart · s save" in text

        # preview: full screen, half-block as configured
        block.focus()
        await pilot.press("p")
        await wait_until(pilot, lambda: isinstance(app.screen, PreviewScreen), what="the preview")
        image = app.screen.query_one("#preview-image")
        assert isinstance(image, HalfcellImage)
        assert image.size.width > 40 and image.size.height > 10  # scaled up to the screen
        assert image.size.width <= 120 and image.size.height <= 40
        await pilot.press("escape")
        await wait_until(pilot, lambda: not isinstance(app.screen, PreviewScreen))

        # interactive: plotext draws both series, titles and labels; the table has the data
        await pilot.press("i")
        await wait_until(pilot, lambda: isinstance(app.screen, ChartScreen), what="the chart")
        await wait_until(pilot, lambda: "Sales" in plots_text(app.screen), what="the plot")
        drawn = plot_text(app.screen.query_one(ChartPlot))
        for word in ("Sales", "north", "south", "quarter", "revenue (k€)"):
            assert word in drawn
        table = app.screen.query_one(DataTable)
        assert table.row_count == 8
        assert [str(c.label) for c in table.columns.values()] == ["series", "quarter", "revenue (k€)"]
        await pilot.press("down")
        await wait_until(pilot, lambda: "north: 2, 5" in str(app.screen.query_one(".chart-mark").content))
        await pilot.press("escape")

        # the bar chart from the command palette's action (the last run with artifacts)
        app.set_focus(None)
        app.main.action_artifacts("chart")
        await wait_until(pilot, lambda: isinstance(app.screen, ChartScreen), what="the bar chart")
        await wait_until(pilot, lambda: "Fruit" in plots_text(app.screen), what="the plot")
        drawn = plot_text(app.screen.query_one(ChartPlot))
        assert "Fruit" in drawn and "apples" in drawn and "plums" in drawn
        await pilot.press("escape")

        # save: the default path, in ./e2b-artifacts
        block.focus()
        await pilot.press("s")
        await save_as(pilot, None)
        saved = home / "e2b-artifacts" / f"{line_artifact.name}.png"
        await wait_until(pilot, saved.exists, what="the saved png")
        with Image.open(saved) as image, Image.open(io.BytesIO(line_artifact.raster()[1])) as shown:
            assert image.format == "PNG" and image.size == shown.size
        chart_file = saved.with_name(f"{line_artifact.name}.chart.json")
        again = _deserialize_chart(json.loads(chart_file.read_text()))
        assert isinstance(again, LineChart)
        assert again.to_dict() == line_artifact.chart.to_dict()
        assert [e.label for e in again.elements] == ["north", "south"]
        assert any("Saved" in n.message and str(saved.parent) in n.message for n in app._notifications)

        # the same path again: asks; "no" keeps what is there, "yes" replaces it
        saved.write_bytes(b"keep me")
        await pilot.press("s")
        await save_as(pilot, str(saved))
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen), what="the overwrite question")
        await pilot.press("n")
        await wait_until(pilot, lambda: not isinstance(app.screen, ConfirmScreen))
        assert saved.read_bytes() == b"keep me"
        await pilot.press("s")
        await save_as(pilot, "e2b-artifacts/")  # a folder: the default name in it, taken
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen), what="the overwrite question")
        await pilot.press("y")
        await wait_until(pilot, lambda: saved.read_bytes() != b"keep me", what="the replaced file")
        with Image.open(saved) as image:
            image.load()
        await quit_app(pilot)


def plot_text(plot: ChartPlot) -> str:
    import plotext._utility as utility

    return utility.uncolorize(plot.plt.build())


async def test_several_artifacts_superchart_and_pie(runtime_url, home):
    app = make_app(runtime_url)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot)
        record = await run_and_wait(pilot, TWO_FIGURES)
        artifacts = artifacts_of(record)
        assert [a.chart.type.value for a in artifacts] == ["superchart", "pie"]
        # Ctrl+T: the artifacts of the last run, from anywhere
        await pilot.press("ctrl+t")
        await wait_until(pilot, lambda: isinstance(app.screen, ArtifactsScreen), what="the list")
        assert app.screen.query_one(DataTable).row_count == 2
        await pilot.press("i")  # the superchart
        await wait_until(pilot, lambda: isinstance(app.screen, ChartScreen))
        tabs = app.screen.query_one(TabbedContent)
        assert tabs.active == "part-1"
        await pilot.press("right_square_bracket")
        assert tabs.active == "part-2"
        drawn = plot_text(app.screen.query_one("#part-2").query_one(ChartPlot))
        assert "u" in drawn and "v" in drawn
        await pilot.press("escape")
        # on the block, with two artifacts, p asks which one
        app.main.log_view.blocks[record.seq].focus()
        await pilot.press("p")
        await wait_until(pilot, lambda: isinstance(app.screen, ArtifactsScreen))
        await pilot.press("down", "enter")
        await wait_until(pilot, lambda: isinstance(app.screen, PreviewScreen))
        assert app.screen.artifact.result is artifacts[1].result
        await pilot.press("i")  # from the preview straight to the pie's chart
        await wait_until(pilot, lambda: isinstance(app.screen, ChartScreen))
        drawn = plot_text(app.screen.query_one(ChartPlot))
        assert "x 16.7%" in drawn and "z 50.0%" in drawn
        await pilot.press("escape")
        await quit_app(pilot)


async def test_pil_image_and_svg(runtime_url, home, monkeypatch):
    app = make_app(runtime_url)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot)
        pil = await run_and_wait(pilot, "from PIL import Image\nImage.new('RGB', (64, 48), (200, 30, 30))")
        (artifact,) = artifacts_of(pil)
        assert "png" in artifact.kinds and artifact.chart is None
        text = body_text(app.main.log_view.blocks[pil.seq])
        assert "png 64×48" in text and "interactive" not in text
        app.main.log_view.blocks[pil.seq].focus()
        await pilot.press("i")  # no chart data: says so, opens nothing
        await wait_until(pilot, lambda: any("no chart data" in n.message for n in app._notifications))
        assert not isinstance(app.screen, ChartScreen)
        await pilot.press("p")
        await wait_until(pilot, lambda: isinstance(app.screen, PreviewScreen))
        assert isinstance(app.screen.query_one("#preview-image"), HalfcellImage)
        await pilot.press("g")  # the next graphics mode, remembered for the next preview
        await pilot.press("escape")
        await wait_until(pilot, lambda: not isinstance(app.screen, PreviewScreen))
        assert app.artifacts.graphics == "auto"
        await pilot.press("s")
        await save_as(pilot, "pictures/red")
        await wait_until(pilot, (home / "pictures" / "red.png").exists)
        with Image.open(home / "pictures" / "red.png") as image:
            assert image.size == (64, 48) and image.getpixel((5, 5)) == (200, 30, 30)
        assert not (home / "pictures" / "red.jpg").exists()  # the png is the image; no twin

        # an SVG without an SVG rasterizer: said clearly, and it can still be saved
        monkeypatch.setitem(sys.modules, "cairosvg", None)
        svg = await run_and_wait(pilot, f"from IPython.display import SVG, display\ndisplay(SVG({SVG!r}))")
        (artifact,) = artifacts_of(svg)
        assert artifact.kinds == ["svg"]
        block = app.main.log_view.blocks[svg.seq]
        assert "can be saved (s) but not previewed" in body_text(block)
        block.focus()
        await pilot.press("p")
        await wait_until(pilot, lambda: isinstance(app.screen, PreviewScreen))
        assert "not previewed" in str(app.screen.query_one("#preview-note").content)
        await pilot.press("s")  # from the preview to saving
        await save_as(pilot, None)
        saved = home / "e2b-artifacts" / f"{artifact.name}.svg"
        await wait_until(pilot, saved.exists)
        assert saved.read_text() == SVG
        await quit_app(pilot)


async def test_r_plot(runtime_url, home):
    require_language("r")
    app = make_app(runtime_url)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot, ("python", "r"))
        info = app.runbook.for_language("r")
        app.main.bind(app.main.editor_pane.current(), info)
        record = await run_and_wait(pilot, "plot(1:10, main = 'R plot')")
        assert record.status == "ok", record.error
        (artifact,) = artifacts_of(record)
        assert "png" in artifact.kinds
        app.main.log_view.blocks[record.seq].focus()
        await pilot.press("p")
        await wait_until(pilot, lambda: isinstance(app.screen, PreviewScreen))
        assert isinstance(app.screen.query_one("#preview-image"), HalfcellImage)
        await pilot.press("s")
        await save_as(pilot, "r-plot.png")
        saved = home / "r-plot.png"
        await wait_until(pilot, saved.exists)
        with Image.open(saved) as image, Image.open(io.BytesIO(artifact.raster()[1])) as shown:
            assert image.format == "PNG" and image.size == shown.size
        await quit_app(pilot)


async def test_no_artifacts_yet_is_said(runtime_url, home):
    app = make_app(runtime_url)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot)
        await pilot.press("ctrl+t")
        assert not isinstance(app.screen, ArtifactsScreen)
        assert any("No images or charts in the log" in n.message for n in app._notifications)
        titles = {command.title for command in app.get_system_commands(app.screen)}
        assert {"Artifacts", "Preview image or chart", "Interactive chart", "Save image or chart"} <= titles
        await quit_app(pilot)


async def test_many_artifacts_show_the_first_thumbnails_and_one_line_for_the_rest(runtime_url, home):
    from tui.widgets.output_log import MAX_THUMBNAILS

    app = make_app(runtime_url)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot)
        count = MAX_THUMBNAILS + 3
        record = await run_and_wait(
            pilot,
            "from PIL import Image\nfrom IPython.display import display\n"
            f"for i in range({count}):\n    display(Image.new('RGB', (40 + i, 30), (20 * i, 90, 160)))",
        )
        assert len(artifacts_of(record)) == count
        text = body_text(app.main.log_view.blocks[record.seq])
        for artifact in artifacts_of(record):
            assert artifact.name in text  # every artifact is listed...
        # ...and only the first ones carry a thumbnail (a run of half-block rows under their line)
        blocks, inside = 0, False
        for line in text.splitlines():
            pixels = bool(line.strip()) and set(line.strip()) <= set("▀▄█ ")
            blocks += pixels and not inside
            inside = pixels
        assert blocks == MAX_THUMBNAILS
        assert f"thumbnails of the first {MAX_THUMBNAILS}" in text
        await quit_app(pilot)


async def test_an_image_whose_data_is_not_base64_is_said_not_a_crash(runtime_url, home):
    app = make_app(runtime_url)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot)
        record = await run_and_wait(
            pilot, "from IPython.display import display\ndisplay({'image/png': 'not base64'}, raw=True)"
        )
        (artifact,) = artifacts_of(record)
        block = app.main.log_view.blocks[record.seq]
        text = body_text(block)
        assert f"{artifact.name} · png (not valid base64)" in text and "not valid base64." in text
        block.focus()
        await pilot.press("p")
        await wait_until(pilot, lambda: isinstance(app.screen, PreviewScreen), what="the preview")
        assert "not valid base64" in str(app.screen.query_one("#preview-note").content)
        await pilot.press("s")
        await save_as(pilot, None)
        await wait_until(
            pilot,
            lambda: any("Could not save: nothing to write" in n.message for n in app._notifications),
            what="the save to be refused",
        )
        assert not (home / "e2b-artifacts").exists()
        await quit_app(pilot)


async def test_keys_typed_ahead_never_pile_up_dialogs(runtime_url, home):
    app = make_app(runtime_url)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot)
        record = await run_and_wait(pilot, LINE)
        assert artifacts_of(record)
        app.main.log_view.blocks[record.seq].focus()
        await pilot.pause()
        block = app.main.log_view.blocks[record.seq]
        keys = "ipipisipip"
        for key in keys:  # typed ahead: all queued before any dialog has opened or closed
            app.post_message(events.Key(key, key))
        # then wait until each key, and each request it made on its way up to the screen, is
        # handled: a callback queued behind them at every hop (app, block, ..., screen) runs last
        hops = [app, *[n for n in block.ancestors_with_self if n is not app]]
        handled = asyncio.Event()

        def behind(index: int = 0) -> None:
            if index == len(hops):
                handled.set()
            else:
                hops[index].call_later(behind, index + 1)

        behind()
        await asyncio.wait_for(handled.wait(), 30)
        await pilot.pause()
        assert len(app.screen_stack) == 2, app.screen_stack  # the first dialog, and no other
        while len(app.screen_stack) > 1:
            depth = len(app.screen_stack)
            await pilot.press("escape")
            await wait_until(pilot, lambda d=depth: len(app.screen_stack) < d, what="the dialog to close")
        await quit_app(pilot)


def test_a_charts_names_reach_no_terminal_as_escapes() -> None:
    """Titles, labels and categories are the sandbox's text: shown, never acted on (issue 11.1)."""
    from tui.core.charts import describe_chart

    hostile = {**BAR_CHART, "title": "\x1b]0;PWNED\x07Bars", "y_label": "tons\x1b[2J"}
    hostile["elements"] = [{"label": "a\x1b]52;c;SGVsbG8=\x07", "group": "2023\x9b2J", "value": 3.0}]
    (bar,) = chart_parts(Result(chart=hostile).chart)
    shown = [bar.title, bar.y_label, *bar.columns, *(c for row in bar.rows for c in row)]
    shown += [s.label for s in bar.series] + [x for s in bar.series for x in s.x if isinstance(x, str)]
    assert all("\x1b" not in text and "\x9b" not in text and "\x07" not in text for text in shown), shown
    assert bar.title == "Bars" and bar.rows[0][:2] == ["2023", "a"]
    assert describe_chart(Result(chart=hostile).chart) == "bar chart “Bars” (1 bar)"
