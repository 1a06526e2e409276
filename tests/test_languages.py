"""Every language through the unmodified E2B SDK: output, state, counters, aliases, errors.

All runs go to the per-language default contexts of the session's runtime, so each kernel
starts once for the whole session. Names defined here carry a `wb_`/`wb` prefix so they
cannot collide with other test files sharing those contexts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from e2b_code_interpreter import AsyncSandbox, Sandbox

from tests.conftest import ALL_LANGUAGES, require_language

ANSI = re.compile(r"\x1b\[")


@dataclass(frozen=True)
class Lang:
    hello: str  # prints "hello world\n" to stdout
    define: str  # defines wb state = 41
    use: str  # prints state + 1 ("42\n")
    error: str  # raises a kernel error
    error_text: str  # expected in error.name + error.value


LANGS: dict[str, Lang] = {
    "python": Lang(
        hello="print('hello world')",
        define="wb_lang_state = 41",
        use="print(wb_lang_state + 1)",
        error="wb_a = 1\nwb_b = 0\nwb_c = wb_a / wb_b\n",
        error_text="ZeroDivisionError",
    ),
    "javascript": Lang(
        hello="console.log('hello world')",
        define="var wbLangState = 41",
        use="console.log(wbLangState + 1)",
        error="// one\n// two\nthrow new Error('boom from js');\n",
        error_text="boom from js",
    ),
    "typescript": Lang(
        hello="console.log('hello world')",
        define="var wbLangState: number = 41",
        use="console.log(wbLangState + 1)",
        error="// one\n// two\n(null as any).wbMissing;\n",
        error_text="TypeError",
    ),
    "r": Lang(
        hello="cat('hello world\\n')",
        define="wb_lang_state <- 41",
        use='cat(wb_lang_state + 1, "\\n", sep = "")',
        error="stop('boom from r')",
        error_text="boom from r",
    ),
    "java": Lang(
        hello='System.out.println("hello world");',
        define="int wbLangState = 41;",
        use="System.out.println(wbLangState + 1);",
        error="int wbZero = 0;\nint wbBad = 1 / wbZero;",
        error_text="ArithmeticException",
    ),
    "bash": Lang(
        hello="echo hello world",
        define="wb_lang_state=41",
        use="echo $((wb_lang_state + 1))",
        error="ls /nonexistent-wb-dir-for-tests",
        error_text="2",  # bash_kernel reports the exit status as the value
    ),
}

assert sorted(LANGS) == sorted(ALL_LANGUAGES)


def stdout(execution) -> str:
    return "".join(execution.logs.stdout)


def run_ok(sandbox: Sandbox, code: str, language: str):
    execution = sandbox.run_code(code, language=language)
    assert execution.error is None, f"{language}: {execution.error}"
    return execution


# -- hello / state / counters (sync) ---------------------------------------------


@pytest.mark.parametrize("language", ALL_LANGUAGES)
def test_hello_world_reaches_stdout(sandbox: Sandbox, language: str):
    require_language(language)
    execution = run_ok(sandbox, LANGS[language].hello, language)
    assert stdout(execution) == "hello world\n"
    assert execution.logs.stderr == []


@pytest.mark.parametrize("language", ALL_LANGUAGES)
def test_state_persists_in_default_context(sandbox: Sandbox, language: str):
    require_language(language)
    lang = LANGS[language]
    run_ok(sandbox, lang.define, language)
    execution = run_ok(sandbox, lang.use, language)
    assert stdout(execution) == "42\n"


@pytest.mark.parametrize("language", ALL_LANGUAGES)
def test_execution_count_increases(sandbox: Sandbox, language: str):
    require_language(language)
    first = run_ok(sandbox, LANGS[language].hello, language)
    second = run_ok(sandbox, LANGS[language].hello, language)
    assert isinstance(first.execution_count, int) and first.execution_count >= 1
    assert second.execution_count == first.execution_count + 1


# -- the same through AsyncSandbox ---------------------------------------------------

ASYNC = {
    "python": ("wb_async_state = 20", "print(wb_async_state + 22)"),
    "javascript": ("var wbAsyncState = 20", "console.log(wbAsyncState + 22)"),
}


@pytest.mark.parametrize("language", sorted(ASYNC))
async def test_async_hello_state_and_count(async_sandbox: AsyncSandbox, language: str):
    require_language(language)
    define, use = ASYNC[language]
    hello = await async_sandbox.run_code(LANGS[language].hello, language=language)
    assert hello.error is None
    assert "".join(hello.logs.stdout) == "hello world\n"
    defined = await async_sandbox.run_code(define, language=language)
    used = await async_sandbox.run_code(use, language=language)
    assert defined.error is None and used.error is None
    assert "".join(used.logs.stdout) == "42\n"
    assert hello.execution_count is not None
    assert defined.execution_count == hello.execution_count + 1
    assert used.execution_count == hello.execution_count + 2


async def test_async_callbacks_receive_stdout_and_results(async_sandbox: AsyncSandbox):
    seen_stdout: list[str] = []
    seen_results: list = []

    async def on_stdout(msg):
        seen_stdout.append(msg.line)

    execution = await async_sandbox.run_code(
        "print('from async'); 6 * 7",
        language="python",
        on_stdout=on_stdout,
        on_result=seen_results.append,
    )
    assert execution.error is None
    assert "".join(seen_stdout) == "from async\n"
    assert [r.text for r in seen_results] == ["42"]
    assert execution.text == "42"


# -- language names ------------------------------------------------------------------


def context_languages(sandbox: Sandbox) -> set[str]:
    return {ctx.language for ctx in sandbox.list_code_contexts()}


@pytest.mark.parametrize(
    ("alias", "canonical", "define", "use", "expected"),
    [
        ("js", "javascript", "var wbAliasJs = 'via js'", "wbAliasJs", "via js"),
        ("ts", "typescript", "var wbAliasTs: string = 'via ts'", "wbAliasTs", "via ts"),
        (" Python ", "python", "wb_alias_py = 'via py'", "wb_alias_py", "via py"),
        ("PYTHON", "python", "wb_alias_py2 = 'via py2'", "wb_alias_py2", "via py2"),
    ],
)
def test_language_alias_uses_the_canonical_default_context(
    sandbox: Sandbox, alias: str, canonical: str, define: str, use: str, expected: str
):
    require_language(canonical)
    # state defined under the canonical name is visible under the alias: same context
    run_ok(sandbox, define, canonical)
    before = {ctx.id for ctx in sandbox.list_code_contexts()}
    execution = run_ok(sandbox, use, alias)
    assert execution.text == expected
    assert {ctx.id for ctx in sandbox.list_code_contexts()} == before, "the alias made a new context"
    languages = context_languages(sandbox)
    assert canonical in languages
    assert languages <= set(ALL_LANGUAGES), f"non-canonical context language in {languages}"


def test_no_language_means_python(sandbox: Sandbox):
    run_ok(sandbox, "wb_default_lang = 'py default'", "python")
    execution = sandbox.run_code("wb_default_lang")
    assert execution.error is None
    assert execution.text == "py default"


def test_typescript_is_its_own_context(sandbox: Sandbox):
    require_language("typescript")
    run_ok(sandbox, "var wbOnlyInJs = 1", "javascript")
    execution = sandbox.run_code("typeof wbOnlyInJs", language="typescript")
    assert execution.error is None
    assert execution.text == "undefined"
    by_language = [c.language for c in sandbox.list_code_contexts()]
    assert "typescript" in by_language and "javascript" in by_language


def test_typescript_syntax_runs(sandbox: Sandbox):
    require_language("typescript")
    code = (
        "interface WbPoint { x: number; label: string }\n"
        "function wbTwice<T extends number>(v: T): number { return v * 2; }\n"
        "const wbP: WbPoint = { x: 21, label: 'p' } as WbPoint;\n"
        "enum WbColor { Red = 'red' }\n"
        "`${wbTwice(wbP.x)} ${WbColor.Red}`"
    )
    execution = run_ok(sandbox, code, "typescript")
    assert execution.text == "42 red"


def test_deno_results_are_plain_text(sandbox: Sandbox):
    require_language("javascript")
    execution = run_ok(sandbox, "({ wb: 1, s: 'x', list: [1, 2] })", "javascript")
    assert execution.text is not None
    assert not ANSI.search(execution.text), repr(execution.text)
    assert "wb: 1" in execution.text


def test_r_values_arrive_as_display_data(sandbox: Sandbox):
    require_language("r")
    execution = run_ok(sandbox, "wb_r_value <- 40; wb_r_value + 2", "r")
    assert execution.text is None  # IRkernel sends values as display_data, like on E2B
    assert len(execution.results) == 1
    result = execution.results[0]
    assert result.is_main_result is False
    assert result.text == "[1] 42"


def test_bash_stderr_is_merged_into_stdout(sandbox: Sandbox):
    require_language("bash")
    execution = run_ok(sandbox, "echo to-err >&2; echo to-out", "bash")
    assert stdout(execution) == "to-err\nto-out\n"
    assert execution.logs.stderr == []


def test_python_stderr_is_separate(sandbox: Sandbox):
    execution = run_ok(sandbox, "import sys; print('wb-err', file=sys.stderr); print('wb-out')", "python")
    assert "".join(execution.logs.stderr) == "wb-err\n"
    assert stdout(execution) == "wb-out\n"


# -- errors --------------------------------------------------------------------------


@pytest.mark.parametrize("language", ALL_LANGUAGES)
def test_kernel_error_has_a_value(sandbox: Sandbox, language: str):
    require_language(language)
    lang = LANGS[language]
    execution = sandbox.run_code(lang.error, language=language)
    error = execution.error
    assert error is not None, f"{language}: no error for {lang.error!r}"
    assert error.value, f"{language}: empty error value"
    assert lang.error_text in f"{error.name} {error.value}"
    # the context is still usable after the error
    assert stdout(run_ok(sandbox, lang.hello, language)) == "hello world\n"


@pytest.mark.parametrize(
    "language",
    ALL_LANGUAGES,
)
def test_kernel_error_has_a_name(sandbox: Sandbox, language: str):
    require_language(language)
    execution = sandbox.run_code(LANGS[language].error, language=language)
    assert execution.error is not None
    assert execution.error.name.strip(), f"{language}: empty error name: {execution.error!r}"


@pytest.mark.parametrize(
    "language",
    ALL_LANGUAGES,
)
def test_error_traceback_has_no_ansi(sandbox: Sandbox, language: str):
    require_language(language)
    execution = sandbox.run_code(LANGS[language].error, language=language)
    assert execution.error is not None
    assert not ANSI.search(execution.error.traceback), repr(execution.error.traceback)
    assert not ANSI.search(execution.error.value), repr(execution.error.value)


def test_python_error_shows_real_line_numbers(sandbox: Sandbox):
    execution = sandbox.run_code(LANGS["python"].error, language="python")
    error = execution.error
    assert error is not None
    assert error.name == "ZeroDivisionError"
    assert error.value == "division by zero"
    tb = error.traceback
    assert not ANSI.search(tb)
    assert "line 3" in tb
    assert "----> 3 wb_c = wb_a / wb_b" in tb
    assert tb.rstrip().endswith("ZeroDivisionError: division by zero")


def test_python_line_numbers_stay_true_with_env_vars(sandbox: Sandbox):
    execution = sandbox.run_code(LANGS["python"].error, language="python", envs={"WB_LINE_ENV": "1"})
    assert execution.error is not None
    assert "----> 3 wb_c = wb_a / wb_b" in execution.error.traceback
    assert "line 3" in execution.error.traceback


@pytest.mark.parametrize("language", ["javascript", "typescript"])
def test_deno_error_shows_real_line_numbers(sandbox: Sandbox, language: str):
    require_language(language)
    execution = sandbox.run_code(LANGS[language].error, language=language)
    assert execution.error is not None
    # the user's line, as the runtime says it (Deno's own positions are its transpiled code's)
    assert re.search(r"line 3, column \d+", execution.error.traceback), execution.error.traceback


def test_python_syntax_error(sandbox: Sandbox):
    execution = sandbox.run_code("wb_x = (1,\n", language="python")
    assert execution.error is not None
    assert execution.error.name == "SyntaxError"
    assert execution.error.value
    assert not ANSI.search(execution.error.traceback)


def test_r_error_name_and_value(sandbox: Sandbox):
    require_language("r")
    execution = sandbox.run_code("wb_f <- function() stop('deep r failure')\nwb_f()", language="r")
    assert execution.error is not None
    assert execution.error.name
    assert "deep r failure" in execution.error.value
    assert "deep r failure" in execution.error.traceback
