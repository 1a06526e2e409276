"""JavaScript and TypeScript errors in the user's terms, the type check, and an interrupt
that tells the truth (the runtime's interrupt route), through the real SDK and kernels."""

from __future__ import annotations

import asyncio
import threading

import httpx
import pytest
from e2b_code_interpreter import Sandbox

from tui.runtime.jsts import (
    INTERRUPTED,
    PositionMap,
    broken_by_interrupt,
    caret,
    stopped_by_interrupt,
    tokens,
)

from .conftest import require_language

pytestmark = pytest.mark.timeout(180)


# -- unit: the alignment of swc's layout with the user's code --------------------------------


def test_tokens_skip_comments_and_know_their_place() -> None:
    found = tokens("const a = 1; // note\n  /* x */ b.c('s', `t`)")
    assert [t[0] for t in found] == ["const", "a", "=", "1", ";", "b", ".", "c", "(", "'s'", ",", "`t`", ")"]
    assert found[5] == ("b", 2, 11)


def test_positions_in_swc_layout_map_back_to_the_users_lines() -> None:
    user = "interface A { x: number }\n\n// a comment\nconst a: A = {\n  x: 1,\n};\n\n  throw new Error('x')"
    swc = "// a comment\nconst a = {\n    x: 1\n};\nthrow new Error('x');"
    mapper = PositionMap(swc, user)
    assert mapper.map(5, 7) == (8, 9)  # `new`
    assert mapper.map(3, 5) == (5, 3)  # `x`
    assert caret(user, 8, 9).splitlines() == ["  8 |   throw new Error('x')", "    |         ^"]


# texts of Deno's kernel (2.9) for an interrupted run, as the runtime gets them
TERMINATED_IN_USER_CODE = {"type": "error", "name": "Error", "value": "Execution failed", "traceback": ""}
TERMINATED_IN_DENOS_LOADER = {
    "type": "error",
    "name": "Error",
    "value": "Error: Error: Error: Error: Uncaught null\n    at Object.loadExtScript (ext:core/01_core.js:990:20)\n"
    "    at ext:deno_node/internal/async_hooks.ts:1:177",
    "traceback": "Error: Error: Error: Error: Uncaught null\n    at Object.loadExtScript (ext:core/01_core.js:990:20)\n"
    "    at ext:deno_node/internal/async_hooks.ts:1:177\n    at lazyLoad (ext:core/01_core.js:963:17)\n"
    "    at <anonymous>:2:30\n    at new Promise (<anonymous>)\n    at <anonymous>:2:7",
}


def test_what_an_interrupt_left_is_told_from_denos_error() -> None:
    assert broken_by_interrupt(TERMINATED_IN_DENOS_LOADER)
    assert not stopped_by_interrupt(TERMINATED_IN_DENOS_LOADER)
    assert stopped_by_interrupt(TERMINATED_IN_USER_CODE)
    assert not broken_by_interrupt(TERMINATED_IN_USER_CODE)
    users_null = {"name": "Error", "value": "null", "traceback": ""}  # `throw null`
    users_error = {"name": "Error", "value": "x", "traceback": "Error: x\n    at <anonymous>:1:7"}
    terminated = {  # the other form the loader gives it
        "name": "Error",
        "value": 'Error: Error: Uncaught "Error: execution terminated\\n    at lazyLoad (ext:core/01_core.js:963:17)',
        "traceback": "",
    }
    assert broken_by_interrupt(terminated)
    for line in (users_null, users_error):
        assert not broken_by_interrupt(line) and not stopped_by_interrupt(line)


# -- through the SDK -------------------------------------------------------------------------------


@pytest.fixture(params=["javascript", "typescript"])
def deno_context(request, sandbox: Sandbox):
    require_language(request.param)
    ctx = sandbox.create_code_context(language=request.param)
    yield ctx
    sandbox.remove_code_context(ctx)


def test_a_syntax_error_says_what_and_where(sandbox: Sandbox, deno_context) -> None:
    ex = sandbox.run_code("const a = 1;\n\nconst x = ;", context=deno_context)
    assert ex.error is not None
    assert ex.error.name == "SyntaxError"
    assert ex.error.value == "Expression expected (line 3, column 11)"  # it said "Execution failed"
    assert "  3 | const x = ;" in ex.error.traceback


def test_stack_positions_are_the_users_lines(sandbox: Sandbox, deno_context) -> None:
    code = (
        "// types and blank lines go when the kernel transpiles\n"
        "interface Point { x: number }\n\n"
        "function boom(p: Point): number {\n\n"
        "    throw new Error('from line 6');\n"
        "}\n\n"
        "boom({ x: 1 })\n"
    )
    ex = sandbox.run_code(code, context=deno_context)
    assert ex.error is not None and ex.error.value == "from line 6"
    trace = ex.error.traceback
    assert "at boom (line 6, column 11)" in trace, trace  # `new`, where the user wrote it
    assert "at line 9, column 1" in trace, trace
    assert "  6 |     throw new Error('from line 6');" in trace


def test_type_check_route_runs_deno_check(runtime_url: str, sandbox: Sandbox) -> None:
    require_language("typescript")
    ctx = sandbox.create_code_context(language="typescript")
    try:
        url = f"{runtime_url}/contexts/{ctx.id}/check"
        bad = httpx.post(url, json={"code": "const n: number = 'one';\nconst ok = 1;\n"}, timeout=120).json()
        assert not bad["ok"]
        assert bad["diagnostics"] == [
            {
                "code": "TS2322",
                "message": "Type 'string' is not assignable to type 'number'.",
                "line": 1,
                "column": 7,
            }
        ]
        assert "at line 1, column 7" in bad["text"] and "file://" not in bad["text"]
        good = httpx.post(url, json={"code": "const n: number = 1;\n"}, timeout=120).json()
        assert good["ok"] and good["diagnostics"] == []
        python = sandbox.create_code_context(language="python")
        refused = httpx.post(f"{runtime_url}/contexts/{python.id}/check", json={"code": "x"}, timeout=30)
        assert refused.status_code == 422 and "TypeScript" in refused.json()["error"]
        sandbox.remove_code_context(python)
    finally:
        sandbox.remove_code_context(ctx)


def _run_interrupted(runtime_url: str, sandbox: Sandbox, ctx, code: str, **run: object):
    """Run `code` in `ctx`; the moment it first prints, interrupt it through the runtime's route
    (which must find it running). The run's Execution."""
    started = threading.Event()

    def interrupt() -> None:
        assert started.wait(60)
        answer = httpx.post(f"{runtime_url}/contexts/{ctx.id}/interrupt", json={}, timeout=30).json()
        assert answer == {"interrupted": True, "running": True}

    thread = threading.Thread(target=interrupt)
    thread.start()
    try:
        return sandbox.run_code(code, context=ctx, on_stdout=lambda _m: started.set(), **run)
    finally:
        thread.join()


def test_interrupt_route_python_keeps_state_and_the_run_says_so(runtime_url: str, sandbox: Sandbox) -> None:
    ctx = sandbox.create_code_context(language="python")
    try:
        sandbox.run_code("kept = 41", context=ctx)
        ex = _run_interrupted(runtime_url, sandbox, ctx, "import time\nprint('in', flush=True)\ntime.sleep(60)")
        assert ex.error is not None and ex.error.name == "KeyboardInterrupt"
        assert sandbox.run_code("kept + 1", context=ctx).text == "42"
        idle = httpx.post(f"{runtime_url}/contexts/{ctx.id}/interrupt", json={}, timeout=30).json()
        assert idle == {"interrupted": False, "running": False}
    finally:
        sandbox.remove_code_context(ctx)


# prints once the cell waits on its await: a timer's callback runs only after the cell's own
# code is over (an interrupt sent while that still runs stops it, which is another case)
PENDING_AWAIT = (
    "await new Promise((resolve) => {\n"
    "  setTimeout(resolve, 60000);\n"
    "  setTimeout(() => console.log('waiting'), 0);\n"
    "});"
)


def test_interrupt_route_deno_pending_await_ends_the_run_with_the_truth(
    runtime_url: str, sandbox: Sandbox
) -> None:
    """A pending await cannot be interrupted in Deno: the kernel is restarted, and the run
    interrupted says so itself (before: it said nothing, the next run said the state was gone)."""
    require_language("javascript")
    ctx = sandbox.create_code_context(language="javascript")
    try:
        sandbox.run_code("globalThis.kept = 41", context=ctx)
        ex = _run_interrupted(runtime_url, sandbox, ctx, PENDING_AWAIT, timeout=60)
        assert ex.error is not None and ex.error.name == "ContextRestarting"
        assert "did not respond to an interrupt" in ex.error.value and "fresh" in ex.error.value
        after = sandbox.run_code("typeof globalThis.kept", context=ctx)
        assert after.text == "undefined"  # the state is gone, as the run said
        assert not after.logs.stderr  # and the next run does not say it again
    finally:
        sandbox.remove_code_context(ctx)


def test_interrupt_route_deno_busy_cell_stops_and_keeps_the_state(runtime_url: str, sandbox: Sandbox) -> None:
    """Code that runs (not a pending await) is stopped by the interrupt: the run says so and the
    state is kept (before: `Error: Execution failed`)."""
    require_language("javascript")
    ctx = sandbox.create_code_context(language="javascript")
    try:
        sandbox.run_code("globalThis.kept = 41", context=ctx)
        ex = _run_interrupted(runtime_url, sandbox, ctx, "console.log('waiting');\nwhile (true) {}", timeout=60)
        assert ex.error is not None
        assert (ex.error.name, ex.error.value) == ("ExecutionAborted", INTERRUPTED)
        after = sandbox.run_code("globalThis.kept + 1", context=ctx)
        assert after.error is None and after.text == "42"
    finally:
        sandbox.remove_code_context(ctx)


# Deno loads node's built-ins (the first setTimeout loads node:timers) when first used, some
# 15-50 ms each: this cell's own code, after the print, would be mostly Deno's module loader
LOADING = (
    "console.log('waiting');\n"
    + "".join(
        f"process.getBuiltinModule('node:{name}');\n"
        for name in ("http2", "zlib", "http", "child_process", "crypto", "tls", "dns", "readline", "vm")
    )
    + "await new Promise((resolve) => setTimeout(resolve, 60000));"
)


def test_interrupt_route_deno_never_leaves_a_half_loaded_kernel(runtime_url: str, sandbox: Sandbox) -> None:
    """An interrupt sent as soon as this cell prints used to land in Deno's module loader (about
    one run in two), which turned it into `Error: Error: … Uncaught null at loadExtScript` or
    `Execution failed` and left a module half-made (later uses failed), or made Deno panic.
    The runtime loads the built-ins when the kernel starts, and replaces a kernel whose loader
    was cut short anyway: whatever the interrupt hit, the run's error tells the state the next
    run finds, and the kernel works."""
    require_language("javascript")
    ctx = sandbox.create_code_context(language="javascript")
    try:
        sandbox.run_code("globalThis.kept = 41", context=ctx)
        ex = _run_interrupted(runtime_url, sandbox, ctx, LOADING, timeout=60)
        assert ex.error is not None
        if ex.error.name == "ContextRestarting":
            assert "fresh" in ex.error.value, ex.error.value
            expected = "undefined"
        else:
            assert (ex.error.name, ex.error.value) == ("ExecutionAborted", INTERRUPTED), ex.error
            expected = "number"
        after = sandbox.run_code(
            "await new Promise((resolve) => setTimeout(resolve, 1));\n"
            "process.getBuiltinModule('node:zlib').gzipSync('x');\n"
            "typeof globalThis.kept",
            context=ctx,
        )
        assert after.error is None, after.error  # the kernel works (timers and loader too)
        assert after.text == expected
        assert not after.logs.stderr
    finally:
        sandbox.remove_code_context(ctx)


async def test_app_interrupt_of_a_pending_await_says_the_state_is_gone(runtime_url, home):
    from tui.app import WorkbenchApp
    from tui.core.session import Session
    from tui.demo import quit_app, run_and_wait, type_code, wait_ready, wait_until

    require_language("javascript")
    app = WorkbenchApp(session=Session(url=runtime_url))
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot, ("python", "javascript"))
        info = app.runbook.add(await app.session.create_context("javascript"))
        app.main.bind(app.main.editor_pane.current(), info)
        await run_and_wait(pilot, "globalThis.kept = 1;")
        await type_code(pilot, PENDING_AWAIT)
        await pilot.press("f5")
        await wait_until(pilot, lambda: app.runbook.running(info.id), what="the run")
        record = app.runbook.running(info.id)[0]
        await wait_until(pilot, lambda: "waiting" in record.full_output(), what="the run to wait")
        await pilot.press("f6")
        await wait_until(pilot, lambda: not record.running, timeout=60, what="the interrupt")
        assert record.status == "interrupted"
        assert "did not stop, so it was restarted: this context's state is gone" in record.failure
        await wait_until(
            pilot, lambda: any(n.title == "Interrupt" for n in app._notifications), what="the notice"
        )
        assert info.state == "idle" and "ignored the interrupt" in info.note
        await asyncio.wait_for(app.session.remove_context(info.id), 30)
        await quit_app(pilot)
