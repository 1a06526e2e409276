"""E2B's own SDK tests that depend on E2B's paths (/home/user, the `user` account), verbatim,
against an isolated runtime (`serve --isolate`), where the local sandbox has E2B's paths.

The unisolated suites (test_e2b_suite_interpreter.py, test_e2b_suite_envd.py) assert the
runtime's documented differences there (the workspace instead of /home/user); here the same
E2B assertions hold as E2B wrote them. The SDK is pointed at the runtime the way E2B's CI
points it at a debug sandbox: `E2B_DEBUG=true` and `E2B_SANDBOX_URL`, with `Sandbox.create()`.
Skipped, with the reason, where bubblewrap cannot run here (in CI it must).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from e2b import FileType, PtySize
from e2b.sandbox.filesystem.filesystem import WriteEntry
from e2b_code_interpreter import Sandbox

from tests.conftest import require_language
from tests.test_isolation import require_isolation, stop_cleanly
from tui.runtime.isolation.settings import Isolation
from tui.runtime.launcher import LocalRuntime

pytestmark = pytest.mark.timeout(90)

HOME = "/home/user"


@pytest.fixture(scope="module")
def isolated(tmp_path_factory) -> Iterator[LocalRuntime]:
    require_isolation()
    workspace = tmp_path_factory.mktemp("e2b-suite-home")
    rt = LocalRuntime(isolation=Isolation(workspace=str(workspace)), prestart=False, spares=False)
    rt.start()
    yield rt
    stop_cleanly(rt)


@pytest.fixture(scope="module")
def sandbox(isolated: LocalRuntime) -> Iterator[Sandbox]:
    with pytest.MonkeyPatch.context() as env:
        env.setenv("E2B_DEBUG", "true")
        env.setenv("E2B_SANDBOX_URL", isolated.url)
        yield Sandbox.create()


@pytest.fixture(scope="module")
def workspace(isolated: LocalRuntime) -> Path:
    assert isolated.isolation is not None
    return Path(isolated.isolation.workspace)


# -- files (sandbox_sync/files) --------------------------------------------------------------


def test_write_text_file(sandbox: Sandbox, workspace: Path):
    filename = "test_write.txt"
    content = "This is a test file."
    info = sandbox.files.write(filename, content)
    assert info.path == f"/home/user/{filename}"
    assert sandbox.files.exists(filename)
    assert sandbox.files.read(filename) == content
    assert (workspace / filename).read_text() == content


def test_write_multiple_files(sandbox: Sandbox):
    [info] = sandbox.files.write_files([WriteEntry(path="one_test_file.txt", data="This is a test file.")])
    assert info.path == "/home/user/one_test_file.txt"
    infos = sandbox.files.write_files(
        [WriteEntry(path=f"test_write_{i}.txt", data=f"This is a test file {i}.") for i in range(3)]
    )
    assert [i.path for i in infos] == [f"/home/user/test_write_{i}.txt" for i in range(3)]


def test_get_info_of_file(sandbox: Sandbox):
    sandbox.files.write("test_info.txt", "test")
    info = sandbox.files.get_info("test_info.txt")
    assert info.name == "test_info.txt"
    assert info.type == FileType.FILE
    assert info.path == "/home/user/test_info.txt"
    assert info.size == 4
    assert info.mode == 0o644
    assert info.permissions == "-rw-r--r--"
    assert info.owner == "user"
    assert info.group == "user"


def test_get_info_of_home(sandbox: Sandbox):
    info = sandbox.files.get_info(HOME)
    assert info.type == FileType.DIR
    assert info.path == HOME
    assert info.name == "user"


def test_list_directory_paths(sandbox: Sandbox):
    sandbox.files.make_dir("test_list/subdir")
    sandbox.files.write("test_list/file1.txt", "Hello, world!")
    files = sandbox.files.list("test_list", depth=2)
    assert [f.path for f in files] == ["/home/user/test_list/file1.txt", "/home/user/test_list/subdir"]


# -- commands / pty --------------------------------------------------------------------------


def test_commands_run_in_home_as_user(sandbox: Sandbox):
    assert sandbox.commands.run("pwd").stdout == "/home/user\n"
    assert sandbox.commands.run("whoami").stdout == "user\n"
    assert sandbox.commands.run("echo $HOME").stdout == "/home/user\n"
    assert sandbox.commands.run("pwd", cwd="/tmp").stdout == "/tmp\n"


@pytest.mark.e2b_difference("one account: root is no more than user (no privileges to switch)")
def test_commands_as_root(sandbox: Sandbox):
    assert sandbox.commands.run("whoami", user="root").stdout == "user\n"  # E2B: root


def test_pty_starts_in_home(sandbox: Sandbox):
    output: list[bytes] = []
    terminal = sandbox.pty.create(PtySize(cols=80, rows=24))
    sandbox.pty.send_stdin(terminal.pid, b"pwd\nexit\n")
    terminal.wait(on_pty=output.append)
    assert b"/home/user\r\n" in b"".join(output)


# -- code interpreter: test_bash.py, test_contexts.py, cwd per language ----------------------


def test_bash(sandbox: Sandbox):
    result = sandbox.run_code("!pwd")
    assert "".join(result.logs.stdout).strip() == "/home/user"


def test_create_context_with_no_options(sandbox: Sandbox):
    context = sandbox.create_code_context()
    try:
        [listed] = [c for c in sandbox.list_code_contexts() if c.id == context.id]
        assert listed.language == "python"
        assert listed.cwd == "/home/user"
    finally:
        sandbox.remove_code_context(context)


def test_create_context_with_options(sandbox: Sandbox):
    context = sandbox.create_code_context(language="python", cwd="/tmp")
    try:
        assert context.cwd == "/tmp"
        assert sandbox.run_code("import os; os.getcwd()", context=context).text == "/tmp"
    finally:
        sandbox.remove_code_context(context)


@pytest.mark.parametrize(
    ("language", "code"),
    [
        ("python", "import os; print(os.getcwd())"),
        ("javascript", "console.log(process.cwd())"),
        ("typescript", "console.log(process.cwd() as string)"),
        ("r", "cat(getwd(), '\\n', sep='')"),
        ("java", 'System.out.println(System.getProperty("user.dir"));'),
        ("bash", "pwd"),
    ],
)
def test_cwd_per_language(sandbox: Sandbox, language: str, code: str):
    require_language(language)
    execution = sandbox.run_code(code, language=language)
    assert execution.error is None, f"{execution.error.name}: {execution.error.value}"
    assert "".join(execution.logs.stdout).strip() == "/home/user"


def test_js_cwd(sandbox: Sandbox):
    require_language("javascript")
    assert sandbox.run_code("process.cwd()", language="js").text == "/home/user"
    context = sandbox.create_code_context(cwd="/home", language="js")
    try:
        assert sandbox.run_code("process.cwd()", context=context).text == "/home"
    finally:
        sandbox.remove_code_context(context)
