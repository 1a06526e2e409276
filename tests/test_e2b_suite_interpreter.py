"""E2B's own code-interpreter test suite (e2b-dev/code-interpreter, python/tests), reconstructed
and run through the unmodified SDK against the local runtime in debug mode.

The repository is not reachable from this machine, so these are rebuilt from memory of it: the
same calls, the same code snippets and the same assertions, grouped by E2B's file names
(test_basic, test_statefulness, test_callbacks, test_streaming, test_execution_count,
test_display_data, test_data, charts/*, test_default_kernels, test_kernels/contexts,
env_vars/*, test_custom_repr_object, test_reconnect, test_interrupt), sync and async.

Tests that E2B marks `skip_debug` (they need the control plane: a sandbox of their own, sandbox
envs) are rebuilt on what debug mode does offer (a fresh context instead of a fresh sandbox),
and say so. Where the local runtime differs from E2B on purpose (README, "differences from E2B
cloud"), the test carries `@pytest.mark.e2b_difference(...)` and asserts the runtime's
documented behaviour instead of E2B's, never a weaker one.
"""

from __future__ import annotations

import asyncio
import datetime
import time

import pytest
from e2b import InvalidArgumentException, NotFoundException, TimeoutException
from e2b_code_interpreter import AsyncSandbox, Context, Sandbox
from e2b_code_interpreter.charts import (
    BarChart,
    BoxAndWhiskerChart,
    BoxAndWhiskerData,
    ChartType,
    LineChart,
    PieChart,
    ScatterChart,
    SuperChart,
)

from tests.conftest import require_language

pytestmark = pytest.mark.timeout(60)

E2B_HOME = "/home/user"  # E2B's cwd of contexts; ours is the runtime's workspace (unisolated)


# -- test_basic.py / test_statefulness.py ----------------------------------------------------


def test_basic(sandbox: Sandbox):
    result = sandbox.run_code("x =1; x")
    assert result.text == "1"


async def test_async_basic(async_sandbox: AsyncSandbox):
    result = await async_sandbox.run_code("x =1; x")
    assert result.text == "1"


def test_stateful(sandbox: Sandbox):
    sandbox.run_code("test_stateful = 1")
    result = sandbox.run_code("test_stateful+=1; test_stateful")
    assert result.text == "2"


async def test_async_stateful(async_sandbox: AsyncSandbox):
    await async_sandbox.run_code("async_test_stateful = 1")
    result = await async_sandbox.run_code("async_test_stateful+=1; async_test_stateful")
    assert result.text == "2"


# -- test_callbacks.py -----------------------------------------------------------------------


def test_results(sandbox: Sandbox):
    results = []
    execution = sandbox.run_code("x = 1;x", on_result=lambda result: results.append(result))
    assert len(results) == 1
    assert execution.results[0].text == "1"


def test_error(sandbox: Sandbox):
    errors = []
    execution = sandbox.run_code("xyz", on_error=lambda error: errors.append(error))
    assert len(errors) == 1
    assert execution.error is not None
    assert execution.error.name == "NameError"


def test_stdout(sandbox: Sandbox):
    stdout = []
    execution = sandbox.run_code("print('Hello from e2b')", on_stdout=lambda out: stdout.append(out))
    assert len(stdout) == 1
    assert execution.logs.stdout == ["Hello from e2b\n"]


def test_stderr(sandbox: Sandbox):
    stderr = []
    execution = sandbox.run_code(
        'import sys;print("This is an error message", file=sys.stderr)',
        on_stderr=lambda err: stderr.append(err),
    )
    assert len(stderr) == 1
    assert execution.logs.stderr == ["This is an error message\n"]


async def test_async_callbacks(async_sandbox: AsyncSandbox):
    results, stdout, stderr, errors = [], [], [], []

    async def on_result(result):  # async callbacks are awaited by the async SDK
        results.append(result)

    await async_sandbox.run_code("x = 1;x", on_result=on_result)
    await async_sandbox.run_code("print('Hello from e2b')", on_stdout=stdout.append)
    await async_sandbox.run_code("import sys;print('oops', file=sys.stderr)", on_stderr=stderr.append)
    execution = await async_sandbox.run_code("xyz", on_error=errors.append)
    assert [r.text for r in results] == ["1"]
    assert [o.line for o in stdout] == ["Hello from e2b\n"]
    assert [e.line for e in stderr] == ["oops\n"]
    assert len(errors) == 1 and execution.error is not None
    assert execution.error.name == "NameError"


# -- test_streaming.py -----------------------------------------------------------------------


def test_streaming_output(sandbox: Sandbox):
    out = []

    def test(line) -> None:
        out.append(line)

    sandbox.run_code("print(1)", on_stdout=test)
    assert len(out) == 1
    assert out[0].line == "1\n"
    assert not out[0].error
    # E2B's server sends the Jupyter header's date (pydantic datetime -> ISO string), although
    # the SDK annotates `timestamp` as int nanoseconds; the runtime sends what E2B sends
    assert datetime.datetime.fromisoformat(out[0].timestamp)


def test_streaming_error(sandbox: Sandbox):
    out = []
    sandbox.run_code("import sys;print(1, file=sys.stderr)", on_stderr=out.append)
    assert len(out) == 1
    assert out[0].line == "1\n"
    assert out[0].error


def test_streaming_result(sandbox: Sandbox):
    code = """
import matplotlib.pyplot as plt
import numpy as np

x = np.linspace(0, 20, 100)
y = np.sin(x)

plt.plot(x, y)
plt.show()

x
"""
    out = []
    sandbox.run_code(code, on_result=out.append)
    assert len(out) == 2


def test_streaming_arrives_before_the_run_ends(sandbox: Sandbox):
    """Not E2B's test verbatim: its streaming tests only count callbacks; this one checks the
    first line is delivered while the cell still runs (the point of streaming)."""
    seen: list[float] = []
    started = time.monotonic()
    sandbox.run_code(
        "import time\nprint('first', flush=True)\ntime.sleep(1.5)\nprint('second')",
        on_stdout=lambda _out: seen.append(time.monotonic() - started),
    )
    assert len(seen) == 2
    assert seen[1] - seen[0] > 1.0


# -- test_execution_count.py -----------------------------------------------------------------


def test_execution_count(sandbox: Sandbox):
    # E2B skips this in debug mode (the shared sandbox's count is unknown); a fresh context has
    # a known count in debug mode too.
    context = sandbox.create_code_context()
    try:
        sandbox.run_code("!pwd", context=context)
        result = sandbox.run_code("!pwd", context=context)
        assert result.execution_count == 2
    finally:
        sandbox.remove_code_context(context)


# -- test_display_data.py / test_data.py / test_custom_repr_object.py ------------------------


def test_display_data(sandbox: Sandbox):
    # plot random graph
    result = sandbox.run_code(
        """
import matplotlib.pyplot as plt
import numpy as np

x = np.linspace(0, 20, 100)
y = np.sin(x)

plt.plot(x, y)
plt.show()
"""
    )
    # there's your image
    data = result.results[0]
    assert data.png
    assert data.text
    assert not data.extra


def test_data(sandbox: Sandbox):
    result = sandbox.run_code(
        """
import pandas as pd
pd.DataFrame({"a": [1, 2, 3]})
"""
    )
    data = result.results[0]
    assert data.is_main_result
    assert data.data == {"a": [1, 2, 3]}
    assert data.html
    assert data.text


def test_custom_repr_object(sandbox: Sandbox):
    code = r"""
from IPython.display import display

display({'text/latex': r'\text{CustomReprObject}'}, raw=True)
"""
    execution = sandbox.run_code(code)
    assert execution.results[0].formats() == ["latex"]
    assert execution.results[0].latex == r"\text{CustomReprObject}"


def test_custom_repr_methods(sandbox: Sandbox):
    code = """
class Report:
    def _repr_html_(self):
        return "<b>report</b>"
    def _repr_markdown_(self):
        return "**report**"
    def _repr_json_(self):
        return {"report": True}
    def __repr__(self):
        return "Report()"

Report()
"""
    execution = sandbox.run_code(code)
    assert execution.error is None
    [result] = execution.results
    assert result.is_main_result
    assert result.text == "Report()"
    assert result.html == "<b>report</b>"
    assert result.markdown == "**report**"
    assert result.json == {"report": True}


def test_pil_image_show(sandbox: Sandbox):
    execution = sandbox.run_code("from PIL import Image\nImage.new('RGB', (16, 16), color='red').show()")
    assert execution.error is None
    assert [r.formats() for r in execution.results] and execution.results[0].png


# -- charts/ (async in E2B's repository) -----------------------------------------------------

LINE_CODE = """
import numpy as np
import matplotlib.pyplot as plt
import datetime

# Generate x values
dates = [datetime.date(2023, 9, 1) + datetime.timedelta(seconds=i) for i in range(100)]
x = np.linspace(0, 2*np.pi, 100)
# Calculate y values
y_sin = np.sin(x)
y_cos = np.cos(x)

# Create the plot
plt.figure(figsize=(10, 6))
plt.plot(dates, y_sin, label='sin(x)')
plt.plot(dates, y_cos, label='cos(x)')

# Add labels and title
plt.xlabel("Time (s)")
plt.ylabel("Amplitude (Hz)")
plt.title('Plot of sin(x) and cos(x)')

# Display the plot
plt.show()
"""


async def test_line_chart(async_sandbox: AsyncSandbox):
    result = await async_sandbox.run_code(LINE_CODE)
    chart = result.results[0].chart
    assert chart
    assert isinstance(chart, LineChart)
    assert chart.title == "Plot of sin(x) and cos(x)"
    assert chart.x_label == "Time (s)"
    assert chart.y_label == "Amplitude (Hz)"
    assert chart.x_unit == "s"
    assert chart.y_unit == "Hz"
    assert chart.x_scale == "datetime"
    assert chart.y_scale == "linear"
    assert all(isinstance(x, str) for x in chart.x_ticks)
    assert isinstance(datetime.datetime.fromisoformat(chart.x_ticks[0]), datetime.datetime)
    assert all(isinstance(y, float) for y in chart.y_ticks)
    assert all(isinstance(y, str) for y in chart.y_tick_labels)
    assert all(isinstance(x, str) for x in chart.x_tick_labels)
    lines = chart.elements
    assert len(lines) == 2
    first_line = lines[0]
    assert first_line.label == "sin(x)"
    assert len(first_line.points) == 100
    assert all(isinstance(point, tuple) for point in first_line.points)
    assert all(isinstance(x, str) and isinstance(y, float) for x, y in first_line.points)
    assert isinstance(datetime.datetime.fromisoformat(first_line.points[0][0]), datetime.datetime)
    second_line = lines[1]
    assert second_line.label == "cos(x)"
    assert len(second_line.points) == 100


async def test_log_chart(async_sandbox: AsyncSandbox):
    code = """
import numpy as np
import matplotlib.pyplot as plt

# Generate x values
x = np.linspace(0, 100, 100)
# Calculate y values
y = np.exp(x)

# Create the plot
plt.figure(figsize=(10, 6))
plt.plot(x, y, label='y = e^x')

# Set log scale for the y-axis
plt.yscale('log')

# Add labels and title
plt.xlabel('X-axis')
plt.ylabel('Y-axis (log scale)')
plt.title('Chart with Log Scale on Y-axis')

plt.legend()
plt.grid(True)
plt.show()
"""
    result = await async_sandbox.run_code(code)
    chart = result.results[0].chart
    assert isinstance(chart, LineChart)
    assert chart.title == "Chart with Log Scale on Y-axis"
    assert chart.x_label == "X-axis"
    assert chart.y_label == "Y-axis (log scale)"
    assert chart.x_unit is None
    assert chart.y_unit == "log scale"
    assert chart.x_scale == "linear"
    assert chart.y_scale == "log"
    assert all(isinstance(x, float) for x in chart.x_ticks)
    assert all(isinstance(y, float) for y in chart.y_ticks)
    assert all(isinstance(x, str) for x in chart.x_tick_labels)
    assert all(isinstance(y, str) for y in chart.y_tick_labels)
    [line] = chart.elements
    assert line.label == "y = e^x"
    assert len(line.points) == 100
    assert all(isinstance(x, float) and isinstance(y, float) for x, y in line.points)


async def test_bar_chart(async_sandbox: AsyncSandbox):
    code = """
import matplotlib.pyplot as plt

# Prepare data
authors = ['Author A', 'Author B', 'Author C', 'Author D']
sales = [100, 200, 300, 400]

# Create and customize the bar chart
plt.figure(figsize=(10, 6))
plt.bar(authors, sales, label='Books Sold', color='blue')
plt.xlabel('Authors')
plt.ylabel('Number of Books Sold')
plt.title('Book Sales by Authors')

# Display the chart
plt.tight_layout()
plt.show()
"""
    result = await async_sandbox.run_code(code)
    chart = result.results[0].chart
    assert chart
    assert isinstance(chart, BarChart)
    assert chart.type == ChartType.BAR
    assert chart.title == "Book Sales by Authors"
    assert chart.x_label == "Authors"
    assert chart.y_label == "Number of Books Sold"
    assert chart.x_unit is None
    assert chart.y_unit is None
    bars = chart.elements
    assert len(bars) == 4
    assert [bar.value for bar in bars] == [100, 200, 300, 400]
    assert [bar.label for bar in bars] == ["Author A", "Author B", "Author C", "Author D"]
    assert [bar.group for bar in bars] == ["Books Sold"] * 4


async def test_pie_chart(async_sandbox: AsyncSandbox):
    code = """
import matplotlib.pyplot as plt

# Step 1: Define the data for the pie chart
categories = ["No", "No, in blue"]
sizes = [90, 10]

# Step 2: Create the figure and axis objects
fig, ax = plt.subplots(figsize=(8, 8))

plt.xlabel("x")
plt.ylabel("y")

# Step 3: Create the pie chart
ax.pie(sizes, labels=categories, autopct='%1.1f%%', startangle=90, colors=plt.cm.Pastel1.colors[:len(categories)])

# Step 4: Add title and legend
ax.axis("equal")  # Equal aspect ratio ensures that pie is drawn as a circle
plt.title("Will I wake up early tomorrow?")

# Step 5: Show the plot
plt.show()
"""
    result = await async_sandbox.run_code(code)
    chart = result.results[0].chart
    assert chart
    assert isinstance(chart, PieChart)
    assert chart.title == "Will I wake up early tomorrow?"
    assert len(chart.elements) == 2
    first_data = chart.elements[0]
    assert first_data.label == "No"
    assert first_data.angle == 324  # 90% of 360 degrees
    assert first_data.radius == 1
    second_data = chart.elements[1]
    assert second_data.label == "No, in blue"
    assert second_data.angle == 36  # 10% of 360 degrees
    assert second_data.radius == 1


async def test_scatter_chart(async_sandbox: AsyncSandbox):
    code = """
import matplotlib.pyplot as plt
import numpy as np

# Create data
N = 5
x1 = np.random.rand(N)
y1 = np.random.rand(N)
x2 = np.random.rand(2*N)
y2 = np.random.rand(2*N)

plt.xlabel("A")
plt.ylabel("B")

plt.scatter(x1, y1, c="blue", label="Dataset 1")
plt.scatter(x2, y2, c="red", label="Dataset 2")

plt.show()
"""
    result = await async_sandbox.run_code(code)
    chart = result.results[0].chart
    assert chart
    assert isinstance(chart, ScatterChart)
    assert chart.title is None
    assert chart.x_label == "A"
    assert chart.y_label == "B"
    assert chart.x_scale == "linear"
    assert chart.y_scale == "linear"
    assert all(isinstance(x, float) for x in chart.x_ticks)
    assert all(isinstance(y, float) for y in chart.y_ticks)
    assert all(isinstance(x, str) for x in chart.x_tick_labels)
    assert all(isinstance(y, str) for y in chart.y_tick_labels)
    assert len(chart.elements) == 2
    first_data = chart.elements[0]
    assert first_data.label == "Dataset 1"
    assert len(first_data.points) == 5
    assert all(isinstance(x, tuple) for x in first_data.points)
    second_data = chart.elements[1]
    assert second_data.label == "Dataset 2"
    assert len(second_data.points) == 10
    assert all(isinstance(x, tuple) for x in second_data.points)


async def test_box_and_whiskers(async_sandbox: AsyncSandbox):
    code = """
import matplotlib.pyplot as plt
import numpy as np

# Sample data
data = {
    'Class A': [85, 90, 78, 92, 88],
    'Class B': [95, 89, 76, 91, 84, 87],
    'Class C': [75, 82, 88, 79, 86]
}

# Create figure and axis
fig, ax = plt.subplots(figsize=(10, 6))

# Plot box plot
ax.boxplot(data.values(), labels=data.keys(), patch_artist=True)

# Customize plot
ax.set_title('Exam Scores Distribution')
ax.set_xlabel('Class')
ax.set_ylabel('Score')

# Set custom colors
colors = ['lightblue', 'lightgreen', 'tan']
for patch, color in zip(ax.artists, colors):
    patch.set_facecolor(color)

# Add legend
ax.legend()

# Adjust layout
plt.tight_layout()

# Show plot
plt.show()
"""
    result = await async_sandbox.run_code(code)
    chart = result.results[0].chart
    assert chart
    assert isinstance(chart, BoxAndWhiskerChart)
    assert chart.type == ChartType.BOX_AND_WHISKER
    assert chart.title == "Exam Scores Distribution"
    assert chart.x_label == "Class"
    assert chart.y_label == "Score"
    assert chart.x_unit is None
    assert chart.y_unit is None
    bars = chart.elements
    assert len(bars) == 3
    assert all(isinstance(bar, BoxAndWhiskerData) for bar in bars)
    assert [bar.outliers for bar in bars] == [[], [76], []]
    assert [bar.label for bar in bars] == ["Class A", "Class B", "Class C"]
    assert [bar.min for bar in bars] == [78, 84, 75]
    assert [bar.first_quartile for bar in bars] == [85, 84.75, 79]
    assert [bar.median for bar in bars] == [88, 88, 82]
    assert [bar.third_quartile for bar in bars] == [90, 90.5, 86]
    assert [bar.max for bar in bars] == [92, 95, 88]


async def test_supergraph(async_sandbox: AsyncSandbox):
    code = """
import matplotlib.pyplot as plt
import numpy as np

# Data for plotting
x1 = np.linspace(0, 10, 100)
y1 = np.sin(x1)

# Create a figure with multiple subplots
fig, axs = plt.subplots(1, 2, figsize=(10, 8))
fig.suptitle('Multiple Charts Example', fontsize=16)

# Plotting on the first subplot
axs[0].plot(x1, y1, 'r-')
axs[0].set_title('Sine Wave')
axs[0].grid(True)

N = 5
x2 = np.random.rand(N)
y2 = np.random.rand(N)

axs[1].scatter(x2, y2, c='blue', label='Dataset 1')
axs[1].set_xlabel('X')
axs[1].set_ylabel('Y')
axs[1].set_title('Scatter Plot')
axs[1].grid(True)

plt.show()
"""
    result = await async_sandbox.run_code(code)
    chart = result.results[0].chart
    assert chart
    assert isinstance(chart, SuperChart)
    assert chart.type == ChartType.SUPERCHART
    assert chart.title == "Multiple Charts Example"
    charts = chart.elements
    assert len(charts) == 2
    first_chart = charts[0]
    assert first_chart.title == "Sine Wave"
    assert isinstance(first_chart, LineChart)
    assert first_chart.x_label is None
    assert first_chart.y_label is None
    assert len(first_chart.elements) == 1
    assert len(first_chart.elements[0].points) == 100
    second_chart = charts[1]
    assert second_chart.title == "Scatter Plot"
    assert isinstance(second_chart, ScatterChart)
    assert second_chart.x_label == "X"
    assert second_chart.y_label == "Y"
    assert len(second_chart.elements) == 1
    assert len(second_chart.elements[0].points) == 5


async def test_unknown_chart(async_sandbox: AsyncSandbox):
    code = """
import matplotlib.pyplot as plt
import numpy as np

# Create a figure and an axis
fig, ax = plt.subplots()

# Create data for two concentric circles
circle1 = plt.Circle((0, 0), 1, color='blue', fill=False, linewidth=2)
circle2 = plt.Circle((0, 0), 2, color='red', fill=False, linewidth=2)

# Add the circles to the axes
ax.add_artist(circle1)
ax.add_artist(circle2)

# Set grid
ax.grid(True)

# Set title
plt.title('Two Concentric Circles')

# Show the plot
plt.show()
"""
    result = await async_sandbox.run_code(code)
    chart = result.results[0].chart
    assert chart
    assert chart.type == ChartType.UNKNOWN
    assert chart.title == "Two Concentric Circles"
    assert len(chart.elements) == 0


# -- test_default_kernels.py / test_bash.py --------------------------------------------------


def test_js_kernel(sandbox: Sandbox):
    require_language("javascript")
    execution = sandbox.run_code("console.log('Hello, World!')", language="js")
    assert execution.logs.stdout == ["Hello, World!\n"]


def test_js_esm_imports(sandbox: Sandbox):
    require_language("javascript")
    execution = sandbox.run_code(
        """
import { readFileSync } from 'fs';
console.log(typeof readFileSync);
""",
        language="js",
    )
    assert execution.error is None
    assert execution.logs.stdout == ["function\n"]


def test_js_top_level_await(sandbox: Sandbox):
    require_language("javascript")
    execution = sandbox.run_code(
        """
await new Promise(resolve => setTimeout(resolve, 100));
console.log('Hello, World!');
""",
        language="js",
    )
    assert execution.logs.stdout == ["Hello, World!\n"]


def test_js_es6(sandbox: Sandbox):
    require_language("javascript")
    execution = sandbox.run_code(
        """
const add = (x, y) => x + y;
add(1, 2);
""",
        language="js",
    )
    assert execution.text == "3"


def test_js_context(sandbox: Sandbox):
    require_language("javascript")
    sandbox.run_code("const e2bSuiteZ = 1", language="js")
    execution = sandbox.run_code("e2bSuiteZ", language="js")
    assert execution.text == "1"


@pytest.mark.e2b_difference("cwd of contexts is the runtime's workspace, not /home/user")
def test_js_cwd(sandbox: Sandbox, runtime_cwd: str):
    require_language("javascript")
    execution = sandbox.run_code("process.cwd()", language="js")
    assert execution.text == runtime_cwd  # E2B: "/home/user"
    context = sandbox.create_code_context(cwd="/home", language="js")
    try:
        execution = sandbox.run_code("process.cwd()", context=context)
        assert execution.text == "/home"
    finally:
        sandbox.remove_code_context(context)


def test_ts_kernel(sandbox: Sandbox):
    require_language("typescript")
    execution = sandbox.run_code(
        "const message: string = 'Hello, World!'; console.log(message)", language="ts"
    )
    assert execution.logs.stdout == ["Hello, World!\n"]


def test_ts_kernel_errors(sandbox: Sandbox):
    require_language("typescript")
    execution = sandbox.run_code("const s: string = ;", language="ts")
    assert execution.error is not None
    assert execution.error.name == "SyntaxError"


def test_r_kernel(sandbox: Sandbox):
    require_language("r")
    execution = sandbox.run_code('x <- "Hello, World!"; print(x)', language="r")
    assert execution.error is None
    assert execution.logs.stdout == ['[1] "Hello, World!"\n']


def test_java_kernel(sandbox: Sandbox):
    require_language("java")
    execution = sandbox.run_code('System.out.println("Hello, World!");', language="java")
    assert execution.logs.stdout[0] == "Hello, World!\n"


def test_bash_kernel(sandbox: Sandbox):
    require_language("bash")
    execution = sandbox.run_code("echo 'Hello, World!'", language="bash")
    assert execution.logs.stdout == ["Hello, World!\n"]


@pytest.mark.e2b_difference("cwd of contexts is the runtime's workspace, not /home/user")
def test_bash_magic_pwd(sandbox: Sandbox, runtime_cwd: str):
    # E2B's test_bash.py: `!pwd` in python prints /home/user
    result = sandbox.run_code("!pwd")
    assert "".join(result.logs.stdout).strip() == runtime_cwd


@pytest.mark.e2b_difference("cwd of contexts is the runtime's workspace, not /home/user")
@pytest.mark.parametrize(
    ("language", "code"),
    [
        ("python", "import os; print(os.getcwd())"),
        ("javascript", "console.log(process.cwd())"),
        ("r", "cat(getwd(), '\\n', sep='')"),
        ("java", 'System.out.println(System.getProperty("user.dir"));'),
        ("bash", "pwd"),
    ],
)
def test_default_cwd_per_language(sandbox: Sandbox, runtime_cwd: str, language: str, code: str):
    require_language(language)
    execution = sandbox.run_code(code, language=language)
    assert execution.error is None
    assert "".join(execution.logs.stdout).strip() == runtime_cwd


# -- test_kernels.py / test_contexts.py ------------------------------------------------------


def test_create_new_kernel(sandbox: Sandbox):
    context = sandbox.create_code_context()
    sandbox.remove_code_context(context)


def test_independence_of_kernels(sandbox: Sandbox):
    context = sandbox.create_code_context()
    try:
        sandbox.run_code("e2b_independent = 1")
        result = sandbox.run_code("e2b_independent", context=context)
        assert result.error is not None
        assert result.error.value == "name 'e2b_independent' is not defined"
    finally:
        sandbox.remove_code_context(context)


def test_pass_context_and_language(sandbox: Sandbox):
    context = sandbox.create_code_context(language="python")
    try:
        with pytest.raises(InvalidArgumentException):
            sandbox.run_code("console.log('Hello, World!')", language="js", context=context)
    finally:
        sandbox.remove_code_context(context)


@pytest.mark.e2b_difference("cwd of contexts is the runtime's workspace, not /home/user")
def test_create_context_with_no_options(sandbox: Sandbox, runtime_cwd: str):
    context = sandbox.create_code_context()
    try:
        contexts = sandbox.list_code_contexts()
        last_context = next(c for c in contexts if c.id == context.id)
        assert last_context.language == "python"
        assert last_context.cwd == runtime_cwd  # E2B: "/home/user"
    finally:
        sandbox.remove_code_context(context)


def test_create_context_with_options(sandbox: Sandbox, tmp_path):
    context = sandbox.create_code_context(language="python", cwd=str(tmp_path))
    try:
        contexts = sandbox.list_code_contexts()
        last_context = next(c for c in contexts if c.id == context.id)
        assert last_context.language == "python"
        assert last_context.cwd == str(tmp_path)
        execution = sandbox.run_code("import os; os.getcwd()", context=context)
        assert execution.text == str(tmp_path)
    finally:
        sandbox.remove_code_context(context)


def test_remove_context(sandbox: Sandbox):
    context = sandbox.create_code_context()
    sandbox.remove_code_context(context.id)
    assert context.id not in [c.id for c in sandbox.list_code_contexts()]
    with pytest.raises(NotFoundException):
        sandbox.run_code("1", context=context)


def test_list_contexts(sandbox: Sandbox):
    context = sandbox.create_code_context()
    try:
        contexts = sandbox.list_code_contexts()
        # the default python context and the one just created, at least
        assert len(contexts) >= 2
        assert context.id in [c.id for c in contexts]
        assert "python" in [c.language for c in contexts if c.id != context.id]
    finally:
        sandbox.remove_code_context(context)


def test_restart_context(sandbox: Sandbox):
    context = sandbox.create_code_context()
    try:
        sandbox.run_code("x = 1", context=context)
        sandbox.restart_code_context(context)
        execution = sandbox.run_code("x", context=context)
        assert execution.error is not None
        assert execution.error.name == "NameError"
        assert execution.error.value == "name 'x' is not defined"
        assert execution.execution_count == 1
    finally:
        sandbox.remove_code_context(context)


async def test_async_contexts(async_sandbox: AsyncSandbox):
    context = await async_sandbox.create_code_context(language="python")
    try:
        await async_sandbox.run_code("x = 1", context=context)
        assert context.id in [c.id for c in await async_sandbox.list_code_contexts()]
        await async_sandbox.restart_code_context(context)
        execution = await async_sandbox.run_code("x", context=context)
        assert execution.error is not None and execution.error.name == "NameError"
    finally:
        await async_sandbox.remove_code_context(context)
    assert context.id not in [c.id for c in await async_sandbox.list_code_contexts()]


# -- env_vars/ -------------------------------------------------------------------------------
# E2B's `test_env_vars_on_sandbox` / `..._overwrite` create a sandbox with `envs` (control
# plane, skip_debug); the per-execution ones run here, one per language as in E2B's folder.


def test_env_vars_per_execution_python(sandbox: Sandbox):
    result = sandbox.run_code("import os; os.getenv('FOO')", envs={"FOO": "bar"})
    result_empty = sandbox.run_code("import os; os.getenv('FOO', 'default')")
    assert result.text == "bar"
    assert result_empty.text == "default"


async def test_async_env_vars_per_execution_python(async_sandbox: AsyncSandbox):
    result = await async_sandbox.run_code("import os; os.getenv('FOO')", envs={"FOO": "bar"})
    result_empty = await async_sandbox.run_code("import os; os.getenv('FOO', 'default')")
    assert result.text == "bar"
    assert result_empty.text == "default"


def test_env_vars_per_execution_js(sandbox: Sandbox):
    require_language("javascript")
    result = sandbox.run_code("process.env.FOO", language="javascript", envs={"FOO": "bar"})
    result_empty = sandbox.run_code("process.env.FOO || 'default'", language="javascript")
    assert result.text == "bar"
    assert result_empty.text == "default"


def test_env_vars_per_execution_r(sandbox: Sandbox):
    require_language("r")
    result = sandbox.run_code('Sys.getenv("FOO")', language="r", envs={"FOO": "bar"})
    result_empty = sandbox.run_code('Sys.getenv("FOO", unset = "default")', language="r")
    assert result.results[0].text.strip() == '[1] "bar"'
    assert result_empty.results[0].text.strip() == '[1] "default"'


def test_env_vars_per_execution_java(sandbox: Sandbox):
    require_language("java")
    result = sandbox.run_code('System.getProperty("FOO")', language="java", envs={"FOO": "bar"})
    result_empty = sandbox.run_code('System.getProperty("FOO", "default")', language="java")
    assert result.text == "bar"
    assert result_empty.text == "default"


def test_env_vars_per_execution_bash(sandbox: Sandbox):
    require_language("bash")
    result = sandbox.run_code("echo $FOO", language="bash", envs={"FOO": "bar"})
    result_empty = sandbox.run_code("echo ${FOO:-default}", language="bash")
    assert result.logs.stdout == ["bar\n"]
    assert result_empty.logs.stdout == ["default\n"]


# -- errors ----------------------------------------------------------------------------------


def test_error_fields(sandbox: Sandbox):
    execution = sandbox.run_code("1 / 0")
    assert execution.error is not None
    assert execution.error.name == "ZeroDivisionError"
    assert execution.error.value == "division by zero"
    assert "ZeroDivisionError" in execution.error.traceback
    assert execution.results == []


def test_unknown_context_is_not_found(sandbox: Sandbox):
    with pytest.raises(NotFoundException):
        sandbox.run_code("1", context=Context("no-such-context", "python", "/"))


# -- test_interrupt.py / timeouts ------------------------------------------------------------


def test_subsequent_execution_works_after_client_timeout(sandbox: Sandbox):
    context = sandbox.create_code_context()
    try:
        sandbox.run_code("kept = 41", context=context)
        with pytest.raises(TimeoutException):
            sandbox.run_code("import time; time.sleep(30)", context=context, timeout=1)
        # the kernel was interrupted (not restarted): state is kept and the context is free
        result = sandbox.run_code("kept + 1", context=context, timeout=20)
        assert result.text == "42"
    finally:
        sandbox.remove_code_context(context)


async def test_async_cancelled_run_interrupts_the_kernel(async_sandbox: AsyncSandbox):
    context = await async_sandbox.create_code_context()
    try:
        started = asyncio.Event()
        task = asyncio.create_task(
            async_sandbox.run_code(
                "import time\nprint('go', flush=True)\ntime.sleep(30)",
                context=context,
                on_stdout=lambda _out: started.set(),
            )
        )
        await asyncio.wait_for(started.wait(), 20)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        result = await async_sandbox.run_code("1 + 1", context=context, timeout=20)
        assert result.text == "2"
    finally:
        await async_sandbox.remove_code_context(context)


# -- test_reconnect.py / sandbox -------------------------------------------------------------


def test_reconnect(sandbox: Sandbox, runtime_url: str):
    sandbox_id = sandbox.sandbox_id
    sandbox2 = Sandbox.connect(sandbox_id, debug=True, sandbox_url=runtime_url)
    sandbox2.run_code("e2b_reconnect = 1")
    result = sandbox.run_code("e2b_reconnect")
    assert result.text == "1"


async def test_async_reconnect(async_sandbox: AsyncSandbox, runtime_url: str):
    sandbox2 = await AsyncSandbox.connect(async_sandbox.sandbox_id, debug=True, sandbox_url=runtime_url)
    result = await sandbox2.run_code("x =1; x")
    assert result.text == "1"


def test_is_running_and_debug_identity(sandbox: Sandbox):
    assert sandbox.sandbox_id == "debug_sandbox_id"
    assert sandbox.is_running()
