"""Shared fixtures: one real local runtime (its own process, real kernels) per test session.

Tests drive it through the unmodified E2B SDK, sync and async, exactly as a user would.
"""

from __future__ import annotations

import os
import signal
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from e2b_code_interpreter import AsyncSandbox, Sandbox

from tests.fake_cloud import GOOD_KEY, FakeCloud, SandboxEdge
from tui.runtime import sandboxenv
from tui.runtime.isolation import bwrap
from tui.runtime.languages import availability
from tui.runtime.launcher import LocalRuntime

ALL_LANGUAGES = ["python", "javascript", "typescript", "r", "java", "bash"]

# The suite runs the same on every machine: a developer's E2B_API_KEY (which would send the CLI
# to E2B cloud), E2B_DEBUG/E2B_SANDBOX_URL or E2B_WORKBENCH_* settings (themes change snapshots)
# are dropped; the tests that want them set their own.
_kept_envs_root = os.environ.get(sandboxenv.ROOT_VAR)
for _name in [n for n in os.environ if n.startswith("E2B_")]:
    del os.environ[_name]

# Python runs on the sandbox's own environment: the tests use the small `minimal` profile, built
# once where `e2b-workbench env create --profile minimal` puts it (.ci/run does that first) and
# shared by every run and every runtime the tests start, whatever E2B_WORKBENCH_HOME they set.
SANDBOX_ENV_VARS = {
    sandboxenv.PROFILE_VAR: "minimal",
    sandboxenv.ROOT_VAR: _kept_envs_root or str(sandboxenv.envs_root()),
}
os.environ.update(SANDBOX_ENV_VARS)

# `tool call` and `mcp` isolate their code by default (bubblewrap). Where isolation cannot run
# here, outside CI, their tests run unisolated and the isolation tests skip saying why; in CI
# it must run (`.ci/run` installs bubblewrap), so nothing is switched off there.
ISOLATION_PROBLEM = bwrap.problem()
if ISOLATION_PROBLEM and not os.environ.get("CI"):
    os.environ["E2B_WORKBENCH_ISOLATE"] = "false"


def descendants(pid: int) -> set[int]:
    """Every live process below `pid` (from /proc), children of children included."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    found: set[int] = set()
    todo = [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def wait_gone(pids: set[int], timeout: float = 15.0) -> set[int]:
    deadline = time.monotonic() + timeout
    left = {p for p in pids if alive(p)}
    while left and time.monotonic() < deadline:
        time.sleep(0.05)
        left = {p for p in left if alive(p)}
    return left


@pytest.fixture(scope="session")
def sandbox_env() -> sandboxenv.EnvSpec:
    """The tests' sandbox environment (profile minimal), built if it is not (a few seconds with
    uv's cache warm, under a minute cold); every runtime of the session uses it."""
    spec = sandboxenv.resolve()
    assert spec.profile is not None and spec.profile.name == "minimal"
    try:
        sandboxenv.Build(spec).run()
    except sandboxenv.BuildError as err:
        pytest.fail(f"The tests' sandbox environment could not be built: {err}")
    return spec


@pytest.fixture(scope="session")
def runtime(tmp_path_factory, sandbox_env) -> Iterator[LocalRuntime]:
    """The session's runtime; at the end it must stop with no process left behind."""
    workdir = tmp_path_factory.mktemp("runtime-cwd")
    rt = LocalRuntime(cwd=str(workdir))
    rt.start()
    yield rt
    assert rt.proc is not None
    kids = descendants(rt.proc.pid)
    rt.stop()
    leftover = wait_gone(kids)
    for pid in leftover:
        os.kill(pid, signal.SIGKILL)
    assert not leftover, f"runtime left processes behind: {leftover}"


@pytest.fixture(scope="session")
def runtime_url(runtime: LocalRuntime) -> str:
    return runtime.url


@pytest.fixture(scope="session")
def runtime_cwd(runtime: LocalRuntime) -> str:
    assert runtime.cwd
    return str(Path(runtime.cwd).resolve())


@pytest.fixture
def workdir(runtime_cwd: str) -> tuple[str, Path]:
    """A fresh folder in the runtime's workspace (envd tests): (path relative to the home, absolute)."""
    rel = f"t-{uuid.uuid4().hex[:10]}"
    path = Path(runtime_cwd, rel)
    path.mkdir()
    return rel, path


@pytest.fixture(scope="session")
def sandbox(runtime_url: str) -> Sandbox:
    return Sandbox.create(debug=True, sandbox_url=runtime_url)


@pytest.fixture
async def async_sandbox(runtime_url: str) -> AsyncSandbox:
    return await AsyncSandbox.create(debug=True, sandbox_url=runtime_url)


def require_language(language: str) -> None:
    """Skip where an optional kernel is missing, except in CI, where all must be there."""
    found = availability(language)
    if not found.available:
        if os.environ.get("CI"):
            pytest.fail(f"{language} must be available in CI: {found.detail}; install: {found.install}")
        pytest.skip(f"{language} not available: {found.detail}")


@pytest.fixture
def home(tmp_path: Path, monkeypatch) -> Path:
    """Each test gets its own buffers, history and config."""
    monkeypatch.setenv("E2B_WORKBENCH_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


@pytest.fixture
def cloud(runtime_url, monkeypatch) -> Iterator[FakeCloud]:
    """E2B_API_URL at the fake control plane, E2B_SANDBOX_URL at an edge in front of the runtime."""
    with FakeCloud() as fake, SandboxEdge(runtime_url) as edge:
        fake.edge = edge
        monkeypatch.setenv("E2B_API_URL", fake.url)
        monkeypatch.setenv("E2B_SANDBOX_URL", edge.url)
        monkeypatch.setenv("E2B_API_KEY", GOOD_KEY)
        monkeypatch.delenv("E2B_DEBUG", raising=False)
        yield fake


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """A failed test that used the runtime gets the runtime's log tail in its report."""
    report = yield
    runtime = item.funcargs.get("runtime") if hasattr(item, "funcargs") else None
    if report.failed and isinstance(runtime, LocalRuntime):
        tail = runtime._log_tail(40)
        if tail:
            report.sections.append(("runtime log (last 40 lines)", tail))
    return report
