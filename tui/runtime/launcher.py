"""Start the runtime as a supervised child process and learn its base URL.

The app, `e2b-workbench run` and the tests use this: the runtime lives in its own
process, so a kernel that floods, hangs or dies can never freeze the caller.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time

from .isolation.settings import Isolation
from .processes import die_with_parent


class RuntimeStartError(RuntimeError):
    pass


class LocalRuntime:
    """`with LocalRuntime() as rt: Sandbox.create(debug=True, sandbox_url=rt.url)`."""

    def __init__(
        self,
        cwd: str | None = None,
        spares: bool = True,
        prestart: bool = True,
        start_timeout: float = 60.0,
        env: dict[str, str] | None = None,
        profile: str | None = None,
        python_env: str | None = None,
        isolation: Isolation | None = None,
    ):
        self.env = env
        self.profile = profile  # the sandbox environment (None: the runtime's env vars decide)
        self.python_env = python_env
        # isolated: everything runs in a bubblewrap sandbox whose home is isolation.workspace
        self.isolation = isolation
        self.cwd = cwd
        self.spares = spares
        self.prestart = prestart
        self.start_timeout = start_timeout
        self.proc: subprocess.Popen[bytes] | None = None
        self.url = ""
        # the runtime's stderr, for error messages: a file with no name (unlinked at once),
        # so nothing is left in /tmp however this process ends
        self._log = tempfile.TemporaryFile(prefix="e2b-workbench-runtime-", suffix=".log")

    def start(self) -> str:
        argv = [sys.executable, "-m", "tui.runtime", "--port", "0"]
        if self.isolation is not None:
            argv += self.isolation.argv()
        elif self.cwd:
            argv += ["--cwd", str(self.cwd)]
        if not self.spares:
            argv.append("--no-spares")
        if not self.prestart:
            argv.append("--no-prestart")
        if self.profile:
            argv += ["--profile", self.profile]
        if self.python_env:
            argv += ["--python-env", self.python_env]
        env = dict(os.environ if self.env is None else self.env)
        env.setdefault("PYTHONUNBUFFERED", "1")
        self.proc = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=self._log,
            env=env,
            preexec_fn=die_with_parent if sys.platform.startswith("linux") else None,
        )
        line = self._first_line()
        if not line.startswith("http"):
            self.stop()
            raise RuntimeStartError(f"The local runtime did not start.{self._log_tail()}")
        self.url = line
        # keep draining stdout so the child never blocks on a full pipe
        threading.Thread(target=self._drain, daemon=True).start()
        return self.url

    def _first_line(self) -> str:
        assert self.proc is not None and self.proc.stdout is not None
        stdout = self.proc.stdout
        result: list[str] = []
        reader = threading.Thread(target=lambda: result.append(stdout.readline().decode().strip()))
        reader.daemon = True
        reader.start()
        reader.join(self.start_timeout)
        return result[0] if result else ""

    def _drain(self) -> None:
        proc = self.proc
        if proc is None or proc.stdout is None:
            return
        with contextlib.suppress(Exception):
            for _ in proc.stdout:
                pass

    def _log_tail(self, lines: int = 20) -> str:
        with contextlib.suppress(OSError, ValueError):
            size = os.fstat(self._log.fileno()).st_size
            text = os.pread(self._log.fileno(), 256 * 1024, max(0, size - 256 * 1024))
            shown = text.decode("utf-8", "replace").strip()
            if shown:
                return "\n" + "\n".join(shown.splitlines()[-lines:])
        return ""

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self, timeout: float = 15.0) -> None:
        """SIGTERM (the runtime stops its kernels), then SIGKILL if it lingers."""
        proc = self.proc
        if proc is not None and proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            deadline = time.monotonic() + timeout
            while proc.poll() is None and time.monotonic() < deadline:
                time.sleep(0.05)
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        if proc is not None and proc.stdout is not None:
            with contextlib.suppress(Exception):
                proc.stdout.close()
        self._log.close()

    def __enter__(self) -> LocalRuntime:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
