"""Rich results through the unmodified E2B SDK: json, data, charts, images, display, html.

Runs use the session's default contexts (kernels start once); names carry a `wb_` prefix
so they cannot collide with other test files sharing those contexts.
"""

from __future__ import annotations

import base64
import io
from datetime import datetime

import pytest
from e2b_code_interpreter import Sandbox
from e2b_code_interpreter.charts import (
    BarChart,
    BoxAndWhiskerChart,
    ChartType,
    LineChart,
    PieChart,
    ScatterChart,
    SuperChart,
)
from PIL import Image

from tests.conftest import require_language


def run_ok(sandbox: Sandbox, code: str, language: str = "python"):
    execution = sandbox.run_code(code, language=language)
    assert execution.error is None, (
        f"{execution.error.name}: {execution.error.value}\n{execution.error.traceback}"
    )
    return execution


def only(results, **where):
    """The single result matching `where` (attribute == value)."""
    found = [r for r in results if all(getattr(r, k) == v for k, v in where.items())]
    assert len(found) == 1, f"expected one result with {where}, got {[r.formats() for r in results]}"
    return found[0]


def decode_png(b64: str) -> Image.Image:
    image = Image.open(io.BytesIO(base64.b64decode(b64)))
    image.load()
    assert image.format == "PNG"
    assert image.width > 0 and image.height > 0
    return image


# -- plain python values -------------------------------------------------------------


def test_dict_gives_json_and_text(sandbox: Sandbox):
    execution = run_ok(sandbox, "{'a': 1, 'b': [1, 2], 'c': {'d': None}}")
    result = only(execution.results, is_main_result=True)
    assert result.json == {"a": 1, "b": [1, 2], "c": {"d": None}}
    assert result.text == "{'a': 1, 'b': [1, 2], 'c': {'d': None}}"
    assert execution.text == result.text


def test_list_gives_json(sandbox: Sandbox):
    execution = run_ok(sandbox, "[1, 'two', 3.5, None, [4]]")
    result = only(execution.results, is_main_result=True)
    assert result.json == [1, "two", 3.5, None, [4]]
    assert result.text == "[1, 'two', 3.5, None, [4]]"


def test_scalar_has_no_json(sandbox: Sandbox):
    execution = run_ok(sandbox, "6 * 7")
    result = only(execution.results, is_main_result=True)
    assert result.text == "42"
    assert result.json is None


@pytest.mark.parametrize("code", ["'hello'", '"hello"'])
def test_quoted_string_result_loses_its_quotes(sandbox: Sandbox, code: str):
    execution = run_ok(sandbox, code)
    assert execution.text == "hello"


def test_inner_quotes_are_kept(sandbox: Sandbox):
    execution = run_ok(sandbox, '"it\'s"')
    assert execution.text == "it's"


def test_long_list_is_not_truncated(sandbox: Sandbox):
    execution = run_ok(sandbox, "wb_long = list(range(3000)); wb_long")
    result = only(execution.results, is_main_result=True)
    assert "..." not in result.text
    assert "2999" in result.text
    assert result.json == list(range(3000))


def test_long_nested_sequence_is_not_truncated(sandbox: Sandbox):
    execution = run_ok(sandbox, "{'k': tuple(range(1500))}")
    assert "..." not in execution.text
    assert "1499" in execution.text


def test_dataframe_gives_data(sandbox: Sandbox):
    code = (
        "import numpy as np, pandas as pd\n"
        "wb_df = pd.DataFrame({\n"
        "    'when': pd.to_datetime(['2024-01-02 03:04:05', '2024-02-03 00:00:00', '2024-03-04 12:00:00']),\n"
        "    'value': [1.5, np.nan, 3.0],\n"
        "    'name': ['a', 'b', None],\n"
        "    'n': [1, 2, 3],\n"
        "})\n"
        "wb_df"
    )
    execution = run_ok(sandbox, code)
    result = only(execution.results, is_main_result=True)
    data = result.data
    assert data is not None
    assert list(data) == ["when", "value", "name", "n"]
    assert data["value"] == [1.5, None, 3.0]
    assert data["name"] == ["a", "b", None]
    assert data["n"] == [1, 2, 3]
    assert all(isinstance(v, str) for v in data["when"])
    parsed = [datetime.fromisoformat(v) for v in data["when"]]
    assert parsed == [
        datetime(2024, 1, 2, 3, 4, 5),
        datetime(2024, 2, 3),
        datetime(2024, 3, 4, 12),
    ]
    assert result.html and "<table" in result.html
    assert result.text and "value" in result.text


# -- matplotlib ----------------------------------------------------------------------

MPL = "import matplotlib.pyplot as plt\nplt.close('all')\nfig, ax = plt.subplots()\n"


def shown_chart(sandbox: Sandbox, body: str):
    """Run a matplotlib snippet ending in plt.show(): its one (non-main) figure result."""
    execution = run_ok(sandbox, MPL + body + "\nplt.show()")
    assert len(execution.results) == 1, [r.formats() for r in execution.results]
    result = execution.results[0]
    assert result.is_main_result is False
    assert result.png
    decode_png(result.png)
    assert result.chart is not None, "figure has no chart"
    return result.chart


def test_line_chart(sandbox: Sandbox):
    chart = shown_chart(
        sandbox,
        "ax.plot([1, 2, 3], [4, 5, 6], label='up')\n"
        "ax.plot([1, 2, 3], [1, 1, 1], label='flat')\n"
        "ax.set_title('Lines'); ax.set_xlabel('x axis'); ax.set_ylabel('y axis')",
    )
    assert isinstance(chart, LineChart)
    assert chart.type == ChartType.LINE
    assert chart.title == "Lines"
    assert chart.x_label == "x axis" and chart.y_label == "y axis"
    assert [e.label for e in chart.elements] == ["up", "flat"]
    assert [tuple(map(float, p)) for p in chart.elements[0].points] == [(1, 4), (2, 5), (3, 6)]
    assert [tuple(map(float, p)) for p in chart.elements[1].points] == [(1, 1), (2, 1), (3, 1)]
    assert chart.x_ticks and chart.y_ticks
    assert len(chart.x_tick_labels) == len(chart.x_ticks)


def test_scatter_chart(sandbox: Sandbox):
    chart = shown_chart(sandbox, "ax.scatter([1, 2, 3], [9, 8, 7], label='dots')\nax.set_title('Scatter')")
    assert isinstance(chart, ScatterChart)
    assert chart.type == ChartType.SCATTER
    assert chart.title == "Scatter"
    assert [e.label for e in chart.elements] == ["dots"]
    assert sorted(tuple(map(float, p)) for p in chart.elements[0].points) == [(1, 9), (2, 8), (3, 7)]


def test_bar_chart(sandbox: Sandbox):
    chart = shown_chart(sandbox, "ax.bar(['a', 'b', 'c'], [3, 1, 2], label='grp')\nax.set_title('Bars')")
    assert isinstance(chart, BarChart)
    assert chart.type == ChartType.BAR
    assert chart.title == "Bars"
    assert [(e.label, float(e.value), e.group) for e in chart.elements] == [
        ("a", 3.0, "grp"),
        ("b", 1.0, "grp"),
        ("c", 2.0, "grp"),
    ]


def test_pie_chart(sandbox: Sandbox):
    chart = shown_chart(sandbox, "ax.pie([1, 2, 3], labels=['x', 'y', 'z'])\nax.set_title('Pie')")
    assert isinstance(chart, PieChart)
    assert chart.type == ChartType.PIE
    assert chart.title == "Pie"
    assert [e.label for e in chart.elements] == ["x", "y", "z"]
    assert [round(float(e.angle)) for e in chart.elements] == [60, 120, 180]
    assert all(float(e.radius) > 0 for e in chart.elements)


def test_box_and_whisker_chart(sandbox: Sandbox):
    chart = shown_chart(
        sandbox,
        "ax.boxplot([[1, 2, 3, 4, 5, 20], [2, 3, 4, 5, 6]], tick_labels=['A', 'B'], patch_artist=True)\n"
        "ax.set_title('Boxes'); ax.set_xlabel('group')",
    )
    assert isinstance(chart, BoxAndWhiskerChart)
    assert chart.type == ChartType.BOX_AND_WHISKER
    assert chart.title == "Boxes"
    assert chart.x_label == "group"
    a, b = chart.elements
    assert (a.label, b.label) == ("A", "B")
    assert float(a.median) == 3.5 and float(b.median) == 4.0
    assert (float(a.min), float(a.first_quartile), float(a.third_quartile), float(a.max)) == (
        1.0,
        2.25,
        4.75,
        5.0,
    )
    assert [float(o) for o in a.outliers] == [20.0]
    assert b.outliers == []


def test_superchart(sandbox: Sandbox):
    execution = run_ok(
        sandbox,
        "import matplotlib.pyplot as plt\nplt.close('all')\n"
        "fig, (left, right) = plt.subplots(1, 2)\n"
        "left.plot([1, 2], [3, 4], label='l')\n"
        "right.bar(['u', 'v'], [5, 6])\n"
        "fig.suptitle('Both')\n"
        "plt.show()",
    )
    result = only(execution.results)
    decode_png(result.png)
    chart = result.chart
    assert isinstance(chart, SuperChart)
    assert chart.type == ChartType.SUPERCHART
    assert chart.title == "Both"
    assert [c.type for c in chart.elements] == [ChartType.LINE, ChartType.BAR]
    assert isinstance(chart.elements[0], LineChart) and isinstance(chart.elements[1], BarChart)
    assert [tuple(map(float, p)) for p in chart.elements[0].elements[0].points] == [(1, 3), (2, 4)]
    assert [(e.label, float(e.value)) for e in chart.elements[1].elements] == [("u", 5.0), ("v", 6.0)]


def test_figure_as_last_expression_is_the_main_result(sandbox: Sandbox):
    execution = run_ok(sandbox, MPL + "ax.bar(['p', 'q'], [1, 2])\nfig")
    main = only(execution.results, is_main_result=True)
    decode_png(main.png)
    assert isinstance(main.chart, BarChart)
    assert [e.label for e in main.chart.elements] == ["p", "q"]
    assert execution.text == "<Figure size 640x480 with 1 Axes>"


def test_plt_show_is_not_a_main_result(sandbox: Sandbox):
    execution = run_ok(sandbox, MPL + "ax.plot([0, 1], [1, 0])\nplt.show()")
    assert [r.is_main_result for r in execution.results] == [False]
    assert execution.text is None
    assert isinstance(execution.results[0].chart, LineChart)


def test_figure_left_open_is_shown_at_cell_end(sandbox: Sandbox):
    execution = run_ok(sandbox, MPL + "ax.plot([0, 1], [1, 0]);")
    result = only(execution.results)
    assert result.is_main_result is False
    decode_png(result.png)
    assert isinstance(result.chart, LineChart)


def test_blank_figure_gives_no_chart(sandbox: Sandbox):
    execution = run_ok(
        sandbox, "import matplotlib.pyplot as plt\nplt.close('all')\nwb_blank = plt.figure()\nwb_blank"
    )
    assert execution.results, "a blank figure still has a text result"
    assert all(r.chart is None for r in execution.results)
    assert only(execution.results, is_main_result=True).text == "<Figure size 640x480 with 0 Axes>"


def test_empty_axes_give_no_chart(sandbox: Sandbox):
    execution = run_ok(sandbox, MPL + "plt.show()")
    assert all(r.chart is None for r in execution.results)


def test_chart_extraction_writes_nothing_to_stderr(sandbox: Sandbox):
    # a box plot without patch_artist is read as a line chart with categorical ticks,
    # which makes pydantic warn while serialising; use a fresh kernel so the warning
    # is not already in that kernel's "shown once" registry
    ctx = sandbox.create_code_context(language="python")
    try:
        execution = sandbox.run_code(
            MPL + "ax.boxplot([[1, 2, 3], [2, 3, 4]], tick_labels=['A', 'B'])\nplt.show()", context=ctx
        )
        assert execution.error is None
        assert len(execution.results) == 1 and execution.results[0].png
        assert execution.logs.stderr == []
    finally:
        sandbox.remove_code_context(ctx)


# -- display -------------------------------------------------------------------------


def test_main_result_vs_display(sandbox: Sandbox):
    execution = run_ok(sandbox, "display({'shown': 1})\ndisplay('also shown')\n'last'")
    assert [r.is_main_result for r in execution.results] == [False, False, True]
    shown, also, last = execution.results
    assert shown.json == {"shown": 1}
    assert also.text == "also shown"
    assert last.text == "last"
    assert execution.text == "last"


def test_no_main_result_when_last_line_is_a_statement(sandbox: Sandbox):
    execution = run_ok(sandbox, "wb_value = 5")
    assert execution.results == []
    assert execution.text is None


def test_semicolon_suppresses_the_main_result(sandbox: Sandbox):
    execution = run_ok(sandbox, "6 * 7;")
    assert execution.results == []


def test_markdown_and_html(sandbox: Sandbox):
    execution = run_ok(
        sandbox,
        "from IPython.display import HTML, Markdown, display\n"
        "display(Markdown('# Title\\n\\n*it*'))\n"
        "HTML('<b>bold</b>')",
    )
    md, html = execution.results
    assert md.is_main_result is False and md.markdown == "# Title\n\n*it*"
    assert html.is_main_result is True and html.html == "<b>bold</b>"
    assert "markdown" in md.formats() and "html" in html.formats()


def test_other_display_formats(sandbox: Sandbox):
    execution = run_ok(
        sandbox,
        "from IPython.display import JSON, SVG, Latex, display\n"
        "display(Latex('$x^2$'))\n"
        "display(JSON({'deep': [1, 2]}))\n"
        'display(SVG(\'<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4"></svg>\'))',
    )
    latex, js, svg = execution.results
    assert latex.latex == "$x^2$"
    assert js.json == {"deep": [1, 2]}
    assert svg.svg and "<svg" in svg.svg


def test_unknown_mime_goes_to_extra(sandbox: Sandbox):
    execution = run_ok(
        sandbox,
        "display({'application/x-wb-test': {'k': 1}, 'text/plain': 'wb'}, raw=True)",
    )
    result = only(execution.results)
    assert result.text == "wb"
    assert result.extra == {"application/x-wb-test": {"k": 1}}


def test_pil_image_show_gives_png(sandbox: Sandbox):
    execution = run_ok(sandbox, "from PIL import Image\nImage.new('RGB', (20, 10), (255, 0, 0)).show()")
    result = only(execution.results)
    assert result.is_main_result is False
    image = decode_png(result.png)
    assert image.size == (20, 10)
    assert image.convert("RGB").getpixel((5, 5)) == (255, 0, 0)


def test_pil_image_as_last_expression_gives_png(sandbox: Sandbox):
    execution = run_ok(sandbox, "from PIL import Image\nImage.new('L', (7, 3), 128)")
    result = only(execution.results, is_main_result=True)
    assert decode_png(result.png).size == (7, 3)


# -- other languages -----------------------------------------------------------------


def test_r_plot_gives_png(sandbox: Sandbox):
    require_language("r")
    execution = run_ok(sandbox, "plot(1:10)", language="r")
    result = only(execution.results)
    assert result.is_main_result is False
    decode_png(result.png)


def test_r_dataframe_display(sandbox: Sandbox):
    require_language("r")
    execution = run_ok(sandbox, "data.frame(wb = c(1L, 2L))", language="r")
    result = only(execution.results)
    assert result.html and "<table" in result.html
    assert result.text and "wb" in result.text


@pytest.mark.parametrize("language", ["javascript", "typescript"])
def test_deno_html_helper(sandbox: Sandbox, language: str):
    require_language(language)
    execution = run_ok(sandbox, "Deno.jupyter.html`<b>hi</b>`", language=language)
    result = only(execution.results, is_main_result=True)
    assert result.html == "<b>hi</b>"


def test_deno_jupyter_display_symbol(sandbox: Sandbox):
    require_language("javascript")
    code = (
        "({ [Symbol.for('Jupyter.display')]() {"
        " return { 'text/html': '<i>wb</i>', 'text/plain': 'wb plain' }; } })"
    )
    execution = run_ok(sandbox, code, language="javascript")
    result = only(execution.results, is_main_result=True)
    assert result.html == "<i>wb</i>"
    assert result.text == "wb plain"


def test_deno_display_call_is_not_main(sandbox: Sandbox):
    require_language("javascript")
    code = "await Deno.jupyter.display({ 'text/markdown': '**wb**' }, { raw: true });\n1 + 1"
    execution = run_ok(sandbox, code, language="javascript")
    shown, last = execution.results
    assert shown.is_main_result is False and shown.markdown == "**wb**"
    assert last.is_main_result is True and last.text == "2"


# -- no stdin ------------------------------------------------------------------------


@pytest.mark.timeout(30)
@pytest.mark.parametrize("code", ["input('name? ')", "import getpass\ngetpass.getpass()"])
def test_input_fails_fast(sandbox: Sandbox, code: str):
    execution = sandbox.run_code(code, language="python", timeout=20)
    error = execution.error
    assert error is not None
    assert error.name
    assert "input" in error.value and "stdin" in error.value
    # the kernel is still usable
    assert run_ok(sandbox, "'after input'").text == "after input"
