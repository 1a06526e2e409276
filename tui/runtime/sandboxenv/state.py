"""The runtime's one sandbox environment: built in the background, awaited by python kernels.

The runtime starts the build when it starts (progress on stderr, and in `GET /environment`);
it never waits for it to serve. Python kernels wait for it (`prepare`), and when it cannot
be built they fail with a sentence that says why and the command that builds it; the next
python run tries again (a build that fails on an unreachable index fails in a moment). Every
other language runs meanwhile. The build runs on a daemon thread of its own, not the loop's
executor: a runtime stopped mid-build must not wait for it (the build's installer dies with
the runtime, and the next build removes what it left).
"""

from __future__ import annotations

import asyncio
import contextlib
import subprocess
import threading
from collections.abc import Callable, Mapping
from functools import cache
from pathlib import Path
from typing import Any

from .build import Build, BuildError, Progress, retry_command
from .layout import PYTHON_ENV_VAR, EnvSpec, interpreter_version, python_version, resolve
from .support import process_env, python_kernel_argv, support_dir


@cache
def _has_ipykernel(python: str) -> str:
    """'' when `python` can import ipykernel, else what it said."""
    try:
        done = subprocess.run([python, "-c", "import ipykernel"], capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.SubprocessError) as err:
        return str(err)
    return "" if done.returncode == 0 else (done.stderr.strip().splitlines() or ["import failed"])[-1]


class SandboxEnvironment:
    """The environment python kernels, commands and terminals of this runtime use."""

    def __init__(
        self, spec: EnvSpec, index_url: str | None = None, report: Callable[[str], None] | None = None
    ):
        self.spec = spec
        self.index_url = index_url
        self.report = report
        self.error: BuildError | None = None
        self.progress: Progress | None = None
        self._build: Build | None = None
        self._done: asyncio.Future | None = None
        self._lock = threading.Lock()
        self._said_phase = ""
        self._support: Path | None = None
        self._base_bash_env: str | None = None

    # -- state --------------------------------------------------------------------

    @property
    def building(self) -> bool:
        return self._done is not None and not self._done.done()

    @property
    def state(self) -> str:
        """ready, building or failed (an environment given as is: ready or failed)."""
        if not self.spec.managed:
            return "failed" if self.external_problem() else "ready"
        if self.spec.built:
            return "ready"
        if self.error is not None and not self.building:
            return "failed"
        return "building"

    def status(self) -> dict[str, Any]:
        """What `GET /environment` answers."""
        spec = self.spec
        with self._lock:
            progress = self.progress.to_json() if self.progress is not None else None
        state = self.state
        error = self.error.reason if self.error is not None and state == "failed" else None
        if not spec.managed and state == "failed":
            error = self.external_problem()
        return {
            "state": state,
            "profile": spec.profile.name if spec.profile else None,
            "path": str(spec.path),
            "managed": spec.managed,
            "python": interpreter_version(spec) if spec.built else python_version(),
            "outdated": spec.outdated,
            "progress": progress,
            "error": error,
            "retry": self.error.retry if error and self.error is not None else None,
        }

    def external_problem(self) -> str:
        """Why an environment given as is cannot run python kernels ('' when it can)."""
        if self.spec.managed:
            return ""
        where = f"the Python environment {self.spec.path} (given with --python-env or {PYTHON_ENV_VAR})"
        if not self.spec.python.exists():
            return f"{where} has no bin/python: give the folder of a virtual environment."
        said = _has_ipykernel(str(self.spec.python))
        if said:
            return f"{where} cannot import ipykernel ({said})"
        return ""

    # -- building -------------------------------------------------------------------

    def start(self) -> None:
        """Build in the background unless built or building (call on the runtime's loop)."""
        if not self.spec.managed or self.spec.built or self.building:
            return
        loop = asyncio.get_running_loop()
        done: asyncio.Future = loop.create_future()
        build = Build(self.spec, index_url=self.index_url, on_progress=self._on_progress)
        self._build, self._done, self.error, self._said_phase = build, done, None, ""
        assert self.spec.profile is not None
        self._say(
            f"preparing the sandbox environment (profile {self.spec.profile.name}, Python {python_version()}) "
            f"in {self.spec.path}"
        )

        def work() -> None:
            error: BuildError | None = None
            try:
                build.run()
            except BuildError as err:
                error = err
            except Exception as err:  # noqa: BLE001 - said, never lost in a thread
                error = BuildError(f"the build failed: {err!r}", build.retry)
            try:
                loop.call_soon_threadsafe(self._finished, done, error)
            except RuntimeError:  # the loop is closed: the runtime has stopped
                pass

        threading.Thread(target=work, name="sandbox-env-build", daemon=True).start()

    def _on_progress(self, progress: Progress) -> None:
        with self._lock:
            self.progress = progress
        if progress.phase != self._said_phase and progress.phase not in (
            "ready",
            "failed",
        ):  # said at the end
            self._said_phase = progress.phase
            self._say(f"{progress.message} ({progress.elapsed:.0f} s)")

    def _finished(self, done: asyncio.Future, error: BuildError | None) -> None:
        self.error = error
        if not done.done():
            done.set_result(None)
        if error is None:
            marker = self.spec.read_marker() or {}
            self._say(
                f"the sandbox environment is ready: {marker.get('packages', '?')} packages, "
                f"{int(marker.get('size_bytes', 0)) // 2**20} MB, built in {marker.get('build_seconds', '?')} s"
            )
        elif error.kind != "cancelled":
            self._say(f"the sandbox environment could not be built: {error}")

    def _say(self, text: str) -> None:
        if self.report is not None:
            self.report(text)

    async def stop(self, timeout: float = 10.0) -> None:
        """The runtime stops: stop a build in progress and let it remove its half-built folder."""
        if self._build is None or self._done is None or not self.building:
            return
        self._build.cancel()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(self._done), timeout)

    async def prepare(self) -> str | None:
        """None once python kernels can start; else the sentence that says why not and what to do."""
        if not self.spec.managed:
            problem = await asyncio.to_thread(self.external_problem)
            if problem:
                return f"Python cannot run: {problem}. Install it with: {self.spec.python} -m pip install ipykernel"
            return None
        if self.spec.built:
            return None
        self.start()  # after a failure, this is the retry
        if self._done is not None:
            await asyncio.shield(self._done)
        if self.spec.built:
            return None
        assert self.spec.profile is not None
        error = self.error or BuildError("the build did not finish", retry_command(self.spec, self.index_url))
        return (
            f"Python cannot run: the sandbox's Python environment (profile {self.spec.profile.name}, "
            f"{self.spec.path}) could not be built: {error.reason}\n"
            f"Build it with: {error.retry}\nthen run the code again (the next python run also retries). "
            "The other languages work meanwhile."
        )

    # -- what processes get -------------------------------------------------------

    def support(self) -> Path:
        assert self._support is not None, "process_env() first"
        return self._support

    def process_env(self, base: Mapping[str, str]) -> dict[str, str]:
        """`base` for a kernel, command or terminal of this sandbox (see support.process_env)."""
        if self._support is None:
            self._base_bash_env = base.get("BASH_ENV")
            self._support = support_dir(self.spec, self._base_bash_env)
        return process_env(self.spec, base, self._support)

    def python_argv(self, connection_file: str) -> list[str]:
        """The argv of a python kernel (after `prepare` said yes)."""
        if self._support is None:
            self._support = support_dir(self.spec, self._base_bash_env)
        return python_kernel_argv(self.spec, self._support, connection_file)

    def availability(self) -> tuple[bool, str, str]:
        """(available, detail, install) for `doctor` and the languages list."""
        spec = self.spec
        if not spec.managed:
            problem = self.external_problem()
            if problem:
                return False, problem, f"{spec.python} -m pip install ipykernel"
            return True, f"ipykernel ({spec.python}, an environment given as is)", ""
        assert spec.profile is not None
        if spec.built:
            return True, f"ipykernel (sandbox environment {spec.profile.name}: {spec.python})", ""
        return (
            True,
            f"ipykernel (sandbox environment {spec.profile.name}, built on first use or with "
            f"`e2b-workbench env create --profile {spec.profile.name}`)",
            "",
        )


_active: SandboxEnvironment | None = None


def configure(
    profile: str | None = None,
    python_env: str | None = None,
    index_url: str | None = None,
    report: Callable[[str], None] | None = None,
) -> SandboxEnvironment:
    """Choose this process's sandbox environment (flags over env vars). Raises UnknownProfile."""
    global _active
    _active = SandboxEnvironment(resolve(profile, python_env), index_url=index_url, report=report)
    return _active


def active() -> SandboxEnvironment:
    """This process's sandbox environment (from the env vars, unless `configure` chose one)."""
    return _active or configure()
