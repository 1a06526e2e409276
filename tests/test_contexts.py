"""Code contexts through the real SDK: create, isolate, cwd, list, restart, remove, and the
errors a client gets for bad requests (SDK exceptions and raw HTTP status codes)."""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from e2b import InvalidArgumentException, NotFoundException, SandboxException
from e2b_code_interpreter import Context, Sandbox

from tests.conftest import descendants, require_language, wait_gone
from tui.runtime.launcher import LocalRuntime

# Per language: code that sets a piece of state, code that reports whether it is set
# (prints `yes`/`no`), code that prints the working directory, code that leaves it.
LANG = {
    "python": {
        "set": "marker_var = 1",
        "check": "print('marker_var' in globals())",
        "yes": "True",
        "no": "False",
        "pwd": "import os; print(os.getcwd())",
        "leave": "import os; os.chdir('/')",
        "answer": "print(6 * 7)",
    },
    "javascript": {
        "set": "globalThis.marker_var = 1",
        "check": "console.log('marker_var' in globalThis)",
        "yes": "true",
        "no": "false",
        "pwd": "console.log(Deno.cwd())",
        "leave": "Deno.chdir('/')",
        "answer": "console.log(6 * 7)",
    },
    "typescript": {
        "set": "(globalThis as any).marker_var = 1",
        "check": "console.log('marker_var' in globalThis)",
        "yes": "true",
        "no": "false",
        "pwd": "console.log(Deno.cwd())",
        "leave": "Deno.chdir('/')",
        "answer": "const answer: number = 6 * 7; console.log(answer)",
    },
    "r": {
        "set": "marker_var <- 1",
        "check": "cat(exists('marker_var'), '\\n')",
        "yes": "TRUE",
        "no": "FALSE",
        "pwd": "cat(getwd(), '\\n', sep = '')",
        "leave": "setwd('/')",
        "answer": "cat(6 * 7, '\\n')",
    },
    "bash": {
        "set": "marker_var=1",
        "check": 'if [ -n "${marker_var+x}" ]; then echo true; else echo false; fi',
        "yes": "true",
        "no": "false",
        "pwd": "pwd",
        "leave": "cd /",
        "answer": "echo $((6 * 7))",
    },
    "java": {
        # jshell has no "is this variable defined": JVM-wide state does the job
        "set": 'System.setProperty("marker_var", "1");',
        "check": 'System.out.println(System.getProperties().containsKey("marker_var"));',
        "yes": "true",
        "no": "false",
        "pwd": 'System.out.println(System.getProperty("user.dir"));',
        "leave": None,  # a JVM cannot change its working directory
        "answer": "System.out.println(6 * 7);",
    },
}


def needs(language: str) -> None:
    if language != "python":
        require_language(language)


def out(execution) -> str:
    assert execution.error is None, f"unexpected error: {execution.error}"
    return "".join(execution.logs.stdout).strip()


def run_out(sandbox: Sandbox, code: str, **kw) -> str:
    return out(sandbox.run_code(code, timeout=120, **kw))


def has_marker(sandbox: Sandbox, lang: str, **kw) -> bool:
    """Whether the marker state is set where `kw` (context= or language=) runs the code."""
    text = run_out(sandbox, LANG[lang]["check"], **kw)
    assert text in (LANG[lang]["yes"], LANG[lang]["no"]), text
    return text == LANG[lang]["yes"]


def ids(sandbox: Sandbox) -> dict[str, Context]:
    return {c.id: c for c in sandbox.list_code_contexts()}


def split_url(url: str) -> tuple[str, str]:
    """(origin, secret) of the runtime's base URL."""
    parsed = httpx.URL(url)
    return f"{parsed.scheme}://{parsed.host}:{parsed.port}", parsed.path.strip("/")


def execute_body(code: str, **extra) -> dict:
    body = {"code": code, "context_id": None, "language": None, "env_vars": None}
    body.update(extra)
    return body


def marker_code(path: Path) -> str:
    return f"open({str(path)!r}, 'w').write('ran')"


@pytest.fixture
def make_context(sandbox: Sandbox):
    """create_code_context that removes what it made at the end of the test."""
    made: list[Context] = []

    def make(**kw) -> Context:
        ctx = sandbox.create_code_context(**kw)
        made.append(ctx)
        return ctx

    yield make
    for ctx in made:
        with contextlib.suppress(NotFoundException):
            sandbox.remove_code_context(ctx)


def stop_runtime_cleanly(rt: LocalRuntime) -> None:
    """Stop a runtime started by a test; it must leave no process behind."""
    if rt.proc is None:
        return
    kids = descendants(rt.proc.pid)
    rt.stop()
    left = wait_gone(kids | {rt.proc.pid})
    for pid in left:
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
    assert not left, f"the runtime left processes behind: {left}"


# -- create ----------------------------------------------------------------------


def test_create_default_context_is_python_in_runtime_cwd(sandbox, make_context, runtime_cwd):
    ctx = make_context()
    assert isinstance(ctx.id, str) and ctx.id
    assert ctx.language == "python"
    assert ctx.cwd == runtime_cwd
    assert run_out(sandbox, "print(6 * 7)", context=ctx) == "42"
    listed = ids(sandbox)[ctx.id]
    assert (listed.language, listed.cwd) == ("python", runtime_cwd)


@pytest.mark.timeout(300)
@pytest.mark.parametrize(
    "requested, expected",
    [
        ("javascript", "javascript"),
        ("js", "javascript"),
        ("typescript", "typescript"),
        ("ts", "typescript"),
        ("r", "r"),
        ("java", "java"),
        ("bash", "bash"),
        (" PYTHON ", "python"),
    ],
)
def test_create_context_per_language(sandbox, make_context, runtime_cwd, requested, expected):
    needs(expected)
    ctx = make_context(language=requested)
    assert ctx.id
    assert ctx.language == expected
    assert ctx.cwd == runtime_cwd
    assert run_out(sandbox, LANG[expected]["answer"], context=ctx) == "42"
    assert ids(sandbox)[ctx.id].language == expected


def test_created_contexts_have_distinct_ids(make_context):
    a, b = make_context(), make_context()
    assert a.id != b.id


# -- isolation ---------------------------------------------------------------------


@pytest.mark.timeout(300)
@pytest.mark.parametrize("language", ["python", "javascript", "typescript", "r", "bash"])
def test_contexts_are_isolated(sandbox, make_context, language):
    needs(language)
    a = make_context(language=language)
    b = make_context(language=language)
    run_out(sandbox, LANG[language]["set"], context=a)
    assert has_marker(sandbox, language, context=a)
    assert not has_marker(sandbox, language, context=b)
    assert not has_marker(sandbox, language, language=language)  # the default context


def test_javascript_and_typescript_defaults_are_separate(sandbox):
    needs("javascript")
    sandbox.run_code("globalThis.js_only_marker = 1", language="javascript")
    text = run_out(sandbox, "console.log('js_only_marker' in globalThis)", language="typescript")
    assert text == "false"
    assert run_out(sandbox, "console.log('js_only_marker' in globalThis)", language="javascript") == "true"


# -- cwd ------------------------------------------------------------------------------


@pytest.mark.timeout(300)
@pytest.mark.parametrize("language", ["python", "javascript", "r", "java", "bash"])
def test_context_runs_in_its_cwd(sandbox, make_context, tmp_path, runtime_cwd, language):
    needs(language)
    where = str(tmp_path.resolve())
    ctx = make_context(language=language, cwd=where)
    assert ctx.cwd == where
    assert run_out(sandbox, LANG[language]["pwd"], context=ctx) == where
    assert ids(sandbox)[ctx.id].cwd == where
    # the default context of that language stays in the runtime's cwd
    assert run_out(sandbox, LANG[language]["pwd"], language=language) == runtime_cwd


@pytest.mark.parametrize("kind", ["relative", "absolute", "file"])
def test_bad_cwd_is_a_clear_error(sandbox, tmp_path, kind):
    cwd = {
        "relative": f"no-such-dir-{uuid.uuid4().hex}/sub",
        "absolute": str(tmp_path / "missing" / "dir"),
        "file": str(tmp_path / "a-file.txt"),
    }[kind]
    if kind == "file":
        Path(cwd).write_text("not a directory")
    before = set(ids(sandbox))
    with pytest.raises(SandboxException) as caught:
        sandbox.create_code_context(cwd=cwd)
    assert not isinstance(caught.value, NotFoundException)
    message = str(caught.value)
    assert cwd in message
    assert "directory" in message
    assert set(ids(sandbox)) == before  # no half-made context left in the list


def test_relative_existing_cwd_is_never_reported_relative(sandbox, make_context, runtime_cwd):
    """A relative cwd is either refused or resolved to an absolute path that the code runs in."""
    name = f"rel-{uuid.uuid4().hex}"
    target = Path(runtime_cwd, name)
    target.mkdir()
    try:
        try:
            ctx = make_context(cwd=name)
        except SandboxException as err:
            assert name in str(err)
            return
        assert os.path.isabs(ctx.cwd), ctx.cwd
        assert ctx.cwd == str(target)
        assert run_out(sandbox, LANG["python"]["pwd"], context=ctx) == str(target)
    finally:
        target.rmdir()


# -- list ---------------------------------------------------------------------------


@pytest.mark.timeout(180)
def test_fresh_runtime_lists_python_and_javascript_defaults(tmp_path):
    needs("javascript")
    rt = LocalRuntime(cwd=str(tmp_path), spares=False)
    try:
        rt.start()
        sandbox = Sandbox.create(debug=True, sandbox_url=rt.url)
        contexts = sandbox.list_code_contexts()
        languages = sorted(c.language for c in contexts)
        assert languages == ["javascript", "python"]
        assert {c.cwd for c in contexts} == {str(tmp_path.resolve())}
        # and those are the contexts run_code(language=...) uses
        sandbox.run_code("listed_default = 1")
        sandbox.run_code("globalThis.listed_default = 1", language="javascript")
        assert sorted(c.id for c in sandbox.list_code_contexts()) == sorted(c.id for c in contexts)
        by_lang = {c.language: c for c in contexts}
        assert has_marker_named(sandbox, by_lang["python"], "python")
        assert has_marker_named(sandbox, by_lang["javascript"], "javascript")
    finally:
        stop_runtime_cleanly(rt)


def has_marker_named(sandbox: Sandbox, ctx: Context, language: str) -> bool:
    code = {
        "python": "print('listed_default' in globals())",
        "javascript": "console.log('listed_default' in globalThis)",
    }[language]
    return run_out(sandbox, code, context=ctx) in ("True", "true")


def test_list_includes_defaults_and_created_contexts(sandbox, make_context, tmp_path, runtime_cwd):
    needs("javascript")
    sandbox.run_code("1")  # a default that another test removed comes back on use
    sandbox.run_code("1", language="javascript")
    py = make_context(cwd=str(tmp_path))
    js = make_context(language="javascript")
    listed = ids(sandbox)
    assert (listed[py.id].language, listed[py.id].cwd) == ("python", str(tmp_path.resolve()))
    assert (listed[js.id].language, listed[js.id].cwd) == ("javascript", runtime_cwd)
    defaults = [c for c in listed.values() if c.id not in (py.id, js.id) and c.cwd == runtime_cwd]
    assert {"python", "javascript"} <= {c.language for c in defaults}
    assert all(set(vars(c)) >= {"id", "language", "cwd"} for c in listed.values())


# -- restart --------------------------------------------------------------------------


@pytest.mark.timeout(300)
@pytest.mark.parametrize("language", ["python", "javascript", "r", "bash", "java"])
def test_restart_keeps_id_wipes_state_and_reapplies_cwd(sandbox, make_context, tmp_path, language):
    needs(language)
    where = str(tmp_path.resolve())
    spec = LANG[language]
    ctx = make_context(language=language, cwd=where)
    sandbox.run_code(spec["set"], context=ctx)
    assert has_marker(sandbox, language, context=ctx)
    if spec["leave"]:
        sandbox.run_code(spec["leave"], context=ctx)
        assert run_out(sandbox, spec["pwd"], context=ctx) == "/"
    count_before = sandbox.run_code(spec["answer"], context=ctx).execution_count
    assert count_before is not None and count_before > 1

    sandbox.restart_code_context(ctx)

    listed = ids(sandbox)
    assert ctx.id in listed
    assert (listed[ctx.id].language, listed[ctx.id].cwd) == (language, where)
    first = sandbox.run_code(spec["pwd"], context=ctx, timeout=120)
    assert out(first) == where
    assert first.execution_count == 1
    assert not has_marker(sandbox, language, context=ctx)


def test_restart_by_id_string(sandbox, make_context):
    ctx = make_context()
    sandbox.run_code("marker_var = 1", context=ctx)
    sandbox.restart_code_context(ctx.id)
    assert not has_marker(sandbox, "python", context=ctx)


# -- remove ---------------------------------------------------------------------------


@pytest.mark.timeout(120)
def test_remove_context(sandbox, make_context):
    ctx = make_context()
    pid = int(run_out(sandbox, "import os; print(os.getpid())", context=ctx))
    sandbox.remove_code_context(ctx)
    assert ctx.id not in ids(sandbox)
    assert not wait_gone({pid}), "the removed context's kernel is still running"
    with pytest.raises(NotFoundException):
        sandbox.run_code("1", context=ctx)
    with pytest.raises(NotFoundException):
        sandbox.restart_code_context(ctx)
    with pytest.raises(NotFoundException):
        sandbox.remove_code_context(ctx)
    assert ctx.id not in ids(sandbox)  # a failed restart did not bring it back


@pytest.mark.timeout(120)
def test_removing_a_context_ends_its_running_execution(sandbox, make_context):
    ctx = make_context()
    started = threading.Event()

    def on_stdout(message) -> None:
        if "started" in message.line:
            started.set()

    with ThreadPoolExecutor(1) as pool:
        running = pool.submit(
            sandbox.run_code,
            "import time\nprint('started', flush=True)\ntime.sleep(60)\nprint('finished')",
            context=ctx,
            on_stdout=on_stdout,
            timeout=90,
        )
        assert started.wait(30)
        sandbox.remove_code_context(ctx)
        ended = running.result(timeout=60)
    assert ended.error is not None
    assert "removed" in f"{ended.error.name} {ended.error.value}".lower(), ended.error
    assert "finished" not in "".join(ended.logs.stdout)
    assert ctx.id not in ids(sandbox)
    with pytest.raises(NotFoundException):
        sandbox.run_code("1", context=ctx)


def test_unknown_context_id_is_not_found(sandbox):
    ghost = str(uuid.uuid4())
    for call in (
        lambda: sandbox.restart_code_context(ghost),
        lambda: sandbox.remove_code_context(ghost),
        lambda: sandbox.run_code("1", context=Context(ghost, "python", "/")),
    ):
        with pytest.raises(NotFoundException) as caught:
            call()
        assert ghost in str(caught.value)


def _find_default(sandbox: Sandbox, language: str, runtime_cwd: str) -> Context:
    """The default context of `language`: the one that sees state set through run_code(language=)."""
    probe = f"probe_{uuid.uuid4().hex}"
    if language == "python":
        sandbox.run_code(f"{probe} = 1")
        check = f"print('{probe}' in globals())"
    else:
        sandbox.run_code(f"globalThis.{probe} = 1", language=language)
        check = f"console.log('{probe}' in globalThis)"
    found = [
        c
        for c in sandbox.list_code_contexts()
        if c.language == language
        and c.cwd == runtime_cwd
        and run_out(sandbox, check, context=c) in ("True", "true")
    ]
    assert len(found) == 1, found
    return found[0]


@pytest.mark.timeout(180)
@pytest.mark.parametrize("language", ["python", "javascript"])
def test_removed_default_context_is_recreated_on_use(sandbox, runtime_cwd, language):
    needs(language)
    old = _find_default(sandbox, language, runtime_cwd)
    if language == "python":
        sandbox.run_code("left_behind = 1")
    else:
        sandbox.run_code("globalThis.left_behind = 1", language=language)
    sandbox.remove_code_context(old)
    assert old.id not in ids(sandbox)

    if language == "python":
        execution = sandbox.run_code("print('left_behind' in globals()); 6 * 7")
        assert out(execution) == "False"
        assert execution.text == "42"
    else:
        text = run_out(sandbox, "console.log('left_behind' in globalThis, 6 * 7)", language=language)
        assert text == "false 42"
    new = _find_default(sandbox, language, runtime_cwd)
    assert new.id != old.id
    assert new.id in ids(sandbox)


# -- bad requests -------------------------------------------------------------------------


def test_context_and_language_together_is_refused(sandbox, make_context, runtime_url, tmp_path):
    ctx = make_context()
    with pytest.raises(InvalidArgumentException):
        sandbox.run_code("1", context=ctx, language="python")

    marker = tmp_path / "ran.txt"
    response = httpx.post(
        f"{runtime_url}/execute",
        json=execute_body(marker_code(marker), context_id=ctx.id, language="python"),
        timeout=30,
    )
    assert response.status_code == 400
    assert "context_id" in response.text and "language" in response.text
    assert not marker.exists()


@pytest.mark.parametrize("call", ["run_code", "create_code_context"])
def test_unknown_language_names_the_available_ones(sandbox, call):
    with pytest.raises(SandboxException) as caught:
        if call == "run_code":
            sandbox.run_code("1", language="cobol")
        else:
            sandbox.create_code_context(language="cobol")
    message = str(caught.value)
    assert "cobol" in message
    assert "python" in message and "javascript" in message
    assert "Traceback" not in message


@pytest.mark.timeout(240)
def test_unavailable_language_says_what_to_install(tmp_path):
    env = dict(os.environ, PATH=os.path.dirname(sys.executable))
    rt = LocalRuntime(cwd=str(tmp_path), env=env, prestart=False, spares=False)
    try:
        rt.start()
        sandbox = Sandbox.create(debug=True, sandbox_url=rt.url)
        with pytest.raises(SandboxException) as caught:
            sandbox.run_code("cat(1)", language="r")
        message = str(caught.value)
        assert not isinstance(caught.value, NotFoundException)
        assert "R is not installed" in message
        assert "apt-get install" in message and "r-base-core" in message

        with pytest.raises(SandboxException) as caught:
            sandbox.create_code_context(language="r")
        assert "r-base-core" in str(caught.value)

        for language, hint in (("bash", "bash"), ("java", "jdk")):
            with pytest.raises(SandboxException) as caught:
                sandbox.run_code("1", language=language)
            message = str(caught.value)
            assert "install" in message.lower() and hint in message.lower(), message

        assert "r" not in {c.language for c in sandbox.list_code_contexts()}
        # what is available still works
        assert sandbox.run_code("6 * 7", timeout=120).text == "42"
    finally:
        stop_runtime_cleanly(rt)


@pytest.mark.parametrize(
    "path, content, expected",
    [
        ("/execute", b"this is not json", "JSON"),
        ("/execute", b"", "empty"),
        ("/execute", b"[1, 2]", "object"),
        ("/execute", b'{"language": "python"}', "code"),
        ("/execute", b'{"code": 5}', "code"),
        ("/execute", b'{"code": null}', "code"),
        ("/execute", b'{"code": "1", "env_vars": [1, 2]}', "env_vars"),
        ("/execute", b'{"code": "1", "env_vars": "A=1"}', "env_vars"),
        ("/execute", b'{"code": "1", "env_vars": {"A": 1}}', "env_vars"),
        ("/execute", b'{"code": "1", "env_vars": {"1 BAD": "x"}}', "1 BAD"),
        ("/execute", b'{"code": "1", "language": 3}', "language"),
        ("/execute", b'{"code": "1", "context_id": ["x"]}', "context_id"),
        ("/contexts", b"{not json", "JSON"),
        ("/contexts", b'["python"]', "object"),
        ("/contexts", b'{"language": 1}', "language"),
        ("/contexts", b'{"cwd": {"a": 1}}', "cwd"),
    ],
)
def test_malformed_bodies_get_422_with_a_readable_message(runtime_url, sandbox, path, content, expected):
    before = set(ids(sandbox))
    response = httpx.post(
        f"{runtime_url}{path}", content=content, headers={"Content-Type": "application/json"}, timeout=30
    )
    assert response.status_code == 422, response.text
    text = response.text
    assert expected in text
    assert 10 < len(text) < 500 and "Traceback" not in text
    assert set(ids(sandbox)) == before


def test_malformed_execute_never_runs_the_code(runtime_url, tmp_path):
    marker = tmp_path / "ran.txt"
    body = execute_body(marker_code(marker), env_vars=["not", "an", "object"])
    response = httpx.post(f"{runtime_url}/execute", json=body, timeout=30)
    assert response.status_code == 422
    assert not marker.exists()


def test_malformed_body_through_the_sdk_is_a_sandbox_exception(sandbox):
    with pytest.raises(SandboxException) as caught:
        sandbox.run_code("1", envs={"A": 1})  # type: ignore[dict-item]
    assert "422" in str(caught.value) and "env_vars" in str(caught.value)


# -- the secret path segment --------------------------------------------------------------


@pytest.mark.parametrize("variant", ["missing", "wrong", "longer", "shorter", "case"])
def test_requests_without_the_secret_are_forbidden(runtime_url, tmp_path, variant):
    origin, secret = split_url(runtime_url)
    prefix = {
        "missing": origin,
        "wrong": f"{origin}/{uuid.uuid4().hex}",
        "longer": f"{origin}/{secret}x",
        "shorter": f"{origin}/{secret[:-1]}",
        "case": f"{origin}/{secret.swapcase()}",
    }[variant]
    assert prefix != runtime_url
    marker = tmp_path / "ran.txt"
    with httpx.Client(timeout=30) as client:
        responses = [
            client.post(f"{prefix}/execute", json=execute_body(marker_code(marker))),
            client.post(f"{prefix}/contexts", json={}),
            client.get(f"{prefix}/contexts"),
            client.get(f"{prefix}/health"),
            client.delete(f"{prefix}/contexts/{uuid.uuid4()}"),
            client.post(f"{prefix}/contexts/{uuid.uuid4()}/restart"),
        ]
    for response in responses:
        assert response.status_code == 403, (response.request.url, response.status_code)
        assert secret not in response.text
    assert not marker.exists()

    # the same request with the secret does run the code: the probe works
    response = httpx.post(f"{runtime_url}/execute", json=execute_body(marker_code(marker)), timeout=60)
    assert response.status_code == 200
    assert marker.read_text() == "ran"


def test_sdk_with_a_wrong_secret_gets_403(runtime_url, tmp_path):
    origin, _secret = split_url(runtime_url)
    marker = tmp_path / "ran.txt"
    intruder = Sandbox.create(debug=True, sandbox_url=f"{origin}/{uuid.uuid4().hex}")
    with pytest.raises(SandboxException) as caught:
        intruder.run_code(marker_code(marker))
    assert "403" in str(caught.value)
    with pytest.raises(SandboxException):
        intruder.list_code_contexts()
    with pytest.raises(SandboxException):
        intruder.create_code_context()
    assert not marker.exists()


# -- the languages extension route -------------------------------------------------------------


def test_languages_route_says_what_this_runtime_runs(runtime_url):
    from tui.runtime.languages import available_languages

    response = httpx.get(f"{runtime_url}/languages", timeout=30)
    assert response.status_code == 200
    listed = response.json()
    assert [entry["name"] for entry in listed] == ["python", "javascript", "typescript", "r", "java", "bash"]
    assert [e["name"] for e in listed if e["available"]] == available_languages()
    for entry in listed:
        assert set(entry) >= {"name", "available", "kernel", "install"}
        assert bool(entry["kernel"]) == entry["available"]
        assert bool(entry["install"]) != entry["available"]
    origin, _secret = split_url(runtime_url)
    assert httpx.get(f"{origin}/languages", timeout=30).status_code == 403  # behind the secret


@pytest.mark.parametrize(
    "alias, expected", [("py", "python"), ("node", "javascript"), ("deno", "typescript"), ("sh", "bash")]
)
def test_every_registry_alias_is_accepted(sandbox, make_context, alias, expected):
    needs(expected)
    assert make_context(language=alias).language == expected
