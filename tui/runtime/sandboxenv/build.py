"""Building a sandbox environment: with uv (plain venv + pip where uv is missing), with
progress as it goes, a clear error and the exact command to retry when it fails, and never
half an environment in use.

A build happens in a temporary folder beside the target (`.NAME.build-*`), is checked
(`import ipykernel` from it), gets its marker, and only then is renamed into place; an
update swaps the new one in the same way, so the old environment stays in use until the new
one is complete. One build at a time per environment (a lock file beside it): a second
builder waits, then finds it built. Leftovers of a build that was killed are removed by
the next one.

uv makes the environment relocatable (`uv venv --relocatable`), so renaming it is safe;
after a pip build the scripts in `bin/` are rewritten to the final path before the rename.
The uv and pip caches stay where their users keep them, so a rebuild is fast and works
offline as long as the cache holds every package.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import json
import os
import re
import secrets
import shlex
import shutil
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from ..processes import HELD, die_with_parent
from .layout import (
    INDEX_URL_VAR,
    MARKER,
    ROOT_VAR,
    EnvSpec,
    base_python,
    disk_size,
    package_count,
    python_version,
)

INSTALLERS = ("uv", "pip")
DEFAULT_INDEX = "https://pypi.org/simple"

_NETWORK = re.compile(
    r"connection refused|failed to establish a new connection|error sending request|dns error|"
    r"name or service not known|temporary failure in name resolution|network is unreachable|"
    r"no route to host|timed out|failed to fetch|could not connect|max retries exceeded|"
    r"tcp connect error|newconnectionerror",
    re.IGNORECASE,
)
_DISK = re.compile(r"no space left on device|disk quota exceeded|os error 28|errno 28", re.IGNORECASE)
# the lines of an installer's output that say what went wrong
_ERROR_LINE = re.compile(r"^\s*(error|cause|caused by|ERROR|×|╰─▶|help)\b|^\s*(×|╰─▶)", re.IGNORECASE)


@dataclass
class Progress:
    """Where a build is: a phase, a sentence, counts of packages, and the time it has taken."""

    phase: str = "waiting"  # waiting, creating, resolving, downloading, installing, checking, ready, failed
    message: str = ""
    resolved: int = 0
    downloaded: int = 0
    installed: int = 0
    started: float = field(default_factory=time.monotonic)
    ended: float | None = None  # set once ready or failed: the time stops there

    @property
    def elapsed(self) -> float:
        return (self.ended or time.monotonic()) - self.started

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        del data["started"], data["ended"]
        data["elapsed_s"] = round(self.elapsed, 1)
        return data


class BuildError(RuntimeError):
    """A build that failed: why (`reason`), what kind of failure, and the command that retries it."""

    def __init__(self, reason: str, retry: str, kind: str = "install"):
        super().__init__(f"{reason}\nRetry with: {retry}")
        self.reason = reason
        self.retry = retry
        self.kind = kind  # network, disk, install, check, cancelled


def uv_binary() -> str | None:
    """The uv that comes with the workbench (the `uv` wheel), else one on PATH."""
    try:
        from uv import find_uv_bin

        return find_uv_bin()
    except (ImportError, FileNotFoundError):
        return shutil.which("uv")


def retry_command(
    spec: EnvSpec, index_url: str | None = None, installer: str | None = None, update: bool = False
) -> str:
    """The command a person runs to try the same build again."""
    assert spec.profile is not None
    argv = ["e2b-workbench", "env", "update" if update else "create", "--profile", spec.profile.name]
    if index_url:
        argv += ["--index-url", index_url]
    if installer:
        argv += ["--installer", installer]
    prefix = f"{ROOT_VAR}={shlex.quote(str(spec.root))} " if os.environ.get(ROOT_VAR) else ""
    return prefix + shlex.join(argv)


@contextlib.contextmanager
def _locked(path: Path, on_wait: Callable[[], None]) -> Iterator[None]:
    with open(path, "a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            on_wait()
            fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


class Build:
    """One build of a managed environment; `run()` blocks (call it from a thread), `cancel()` stops it."""

    def __init__(
        self,
        spec: EnvSpec,
        *,
        index_url: str | None = None,
        installer: str | None = None,
        update: bool = False,
        on_progress: Callable[[Progress], None] | None = None,
    ):
        if spec.profile is None:
            raise ValueError(f"{spec.path} is not a managed environment: it is used as it is, never built")
        if installer is not None and installer not in INSTALLERS:
            raise ValueError(f"installer must be one of {', '.join(INSTALLERS)}, not {installer!r}")
        self.spec = spec
        self.profile = spec.profile
        self.index_url = index_url or os.environ.get(INDEX_URL_VAR) or None
        self.installer = installer
        self.update = update
        self.on_progress = on_progress
        self.progress = Progress()
        self.retry = retry_command(spec, self.index_url, installer, update)
        self._proc: subprocess.Popen | None = None
        self._cancelled = threading.Event()
        self._output: list[str] = []

    # -- progress ---------------------------------------------------------------

    def _tell(self, phase: str | None = None, message: str | None = None, **counts: int) -> None:
        changes: dict[str, Any] = dict(counts)
        if phase is not None:
            changes["phase"] = phase
        if message is not None:
            changes["message"] = message
        if phase in ("ready", "failed"):
            changes["ended"] = time.monotonic()
        self.progress = replace(self.progress, **changes)
        if self.on_progress is not None:
            self.on_progress(self.progress)

    # -- the build ----------------------------------------------------------------

    def run(self) -> dict[str, Any]:
        """Build unless already built (or rebuild, for an update); the marker. Raises BuildError."""
        spec = self.spec
        try:
            spec.root.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise BuildError(
                f"cannot create {spec.root}: {err.strerror}. Choose another folder with {ROOT_VAR}=DIR.",
                self.retry,
                "disk",
            ) from None
        waiting = "another process is building this environment: waiting for it to finish"
        with _locked(spec.root / f".{spec.name}.lock", lambda: self._tell("waiting", waiting)):
            if spec.built and not self.update and not self._cancelled.is_set():
                self._tell("ready", "already built")
                return spec.read_marker() or {}
            self._remove_leftovers()
            self._check_space()
            tmp = spec.root / f".{spec.name}.build-{secrets.token_hex(4)}"
            try:
                marker = self._build_in(tmp)
                self._swap_in(tmp)
            except BaseException as err:
                shutil.rmtree(tmp, ignore_errors=True)
                if isinstance(err, BuildError):
                    self._tell("failed", err.reason.splitlines()[0])
                raise
        self._tell("ready", f"ready: {marker['packages']} packages in {marker['build_seconds']:.1f} s")
        return marker

    def cancel(self) -> None:
        """Stop the build (the runtime is shutting down); run() raises BuildError(kind=cancelled)."""
        self._cancelled.set()
        proc = self._proc
        if proc is not None and proc.poll() is None:
            with contextlib.suppress(OSError):
                proc.kill()

    def _remove_leftovers(self) -> None:
        for stale in self.spec.root.glob(f".{self.spec.name}.build-*"):
            shutil.rmtree(stale, ignore_errors=True)
        for stale in self.spec.root.glob(f".{self.spec.name}.old-*"):
            shutil.rmtree(stale, ignore_errors=True)

    def _check_space(self) -> None:
        free = shutil.disk_usage(self.spec.root).free
        need = self.profile.size_mb * 1024 * 1024
        if free < need:
            raise BuildError(
                f"not enough disk space in {self.spec.root}: {free // 2**20} MB free, the "
                f"{self.profile.name} profile needs about {self.profile.size_mb} MB. Free some space, "
                f"or build the environments elsewhere with {ROOT_VAR}=DIR.",
                self.retry,
                "disk",
            )

    def _choose_installer(self) -> tuple[str, str | None]:
        uv = None if self.installer == "pip" else uv_binary()
        if uv is None and self.installer == "uv":
            raise BuildError(
                "uv is not installed (it comes with the workbench: pip install uv), or build with --installer pip",
                self.retry,
                "install",
            )
        return ("uv", uv) if uv is not None else ("pip", None)

    def _build_in(self, tmp: Path) -> dict[str, Any]:
        started = time.monotonic()
        tool, uv = self._choose_installer()
        requirements = list(self.profile.requirements)
        self._tell(
            "creating",
            f"creating the environment (profile {self.profile.name}, Python {python_version()}) with {tool}",
        )
        if uv is not None:
            index = ["--default-index", self.index_url] if self.index_url else []
            self._command(
                [
                    uv,
                    "venv",
                    "--relocatable",
                    "--seed",
                    "--no-project",
                    *index,
                    "--python",
                    base_python(),
                    str(tmp),
                ]
            )
            self._tell("resolving", f"resolving {len(requirements)} packages and their dependencies")
            self._command(
                [uv, "pip", "install", "--python", str(tmp / "bin" / "python"), *index, *requirements]
            )
            version = self._version([uv, "--version"])
        else:
            self._command([base_python(), "-m", "venv", str(tmp)])
            self._tell("resolving", f"resolving {len(requirements)} packages and their dependencies")
            index = ["--index-url", self.index_url] if self.index_url else []
            pip = [str(tmp / "bin" / "python"), "-m", "pip"]
            self._command([*pip, "install", "--no-compile", "--progress-bar", "off", *index, *requirements])
            version = self._version([*pip, "--version"])
            _rewrite_paths(tmp, self.spec.path)
        self._tell("checking", "checking that the kernel starts from it")
        self._command(
            [str(tmp / "bin" / "python"), "-c", "import ipykernel.kernelapp, IPython"], kind="check"
        )
        packages = package_count(replace(self.spec, path=tmp))
        marker = {
            "profile": self.profile.name,
            "digest": self.spec.digest(),
            "python": sys.version.split()[0],
            "base_python": base_python(),
            "requirements": requirements,
            "installer": version,
            "index_url": self.index_url or "",
            "built_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "build_seconds": round(time.monotonic() - started, 1),
            "packages": packages,
            "size_bytes": disk_size(tmp),
        }
        (tmp / MARKER).write_text(json.dumps(marker, indent=2) + "\n")
        return marker

    def _swap_in(self, tmp: Path) -> None:
        final = self.spec.path
        if self._cancelled.is_set():
            raise BuildError("the build was cancelled", self.retry, "cancelled")
        if final.exists() or final.is_symlink():
            old = final.with_name(f".{final.name}.old-{secrets.token_hex(4)}")
            os.rename(final, old)
            try:
                os.rename(tmp, final)
            except OSError:
                os.rename(old, final)
                raise
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.rename(tmp, final)

    # -- running the installer ------------------------------------------------------

    def _environ(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONHOME", "CONDA_PREFIX")}
        env.update(NO_COLOR="1", UV_PYTHON_DOWNLOADS="never", PIP_DISABLE_PIP_VERSION_CHECK="1")
        return env

    def _version(self, argv: list[str]) -> str:
        try:
            out = subprocess.run(argv, capture_output=True, text=True, timeout=60, env=self._environ()).stdout
        except (OSError, subprocess.SubprocessError):
            return argv[0]
        words = out.split()
        return " ".join(words[:2]) if words else argv[0]

    def _command(self, argv: list[str], kind: str = "install") -> None:
        """Run one installer step, following its output; BuildError when it fails."""
        if self._cancelled.is_set():
            raise BuildError("the build was cancelled", self.retry, "cancelled")
        try:
            self._proc = proc = subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                errors="replace",
                cwd=self.spec.root,  # never a project folder whose config would change the build
                env=self._environ(),
                # dies with the build's thread, that is with the runtime
                preexec_fn=die_with_parent if sys.platform.startswith("linux") else None,
            )
        except OSError as err:
            raise BuildError(f"cannot run {argv[0]}: {err.strerror}", self.retry, "install") from None
        HELD.add(proc.pid)  # a runtime reaps its orphans: its exit status is ours to read
        try:
            lines: list[str] = []
            assert proc.stdout is not None
            for raw in proc.stdout:
                line = raw.rstrip()
                lines.append(line)
                self._output.append(line)
                self._follow(line)
            code = proc.wait()
        finally:
            HELD.discard(proc.pid)
        self._proc = None
        if self._cancelled.is_set():
            raise BuildError("the build was cancelled", self.retry, "cancelled")
        if code != 0:
            raise self._failure(argv, lines, kind)

    def _follow(self, line: str) -> None:
        """Progress from one line of uv's or pip's output."""
        text = line.strip()
        if m := re.match(r"Resolved (\d+) packages?", text):
            self._tell("downloading", f"resolved {m[1]} packages; downloading", resolved=int(m[1]))
        elif m := re.match(r"Downloading (\S+)(.*)", text):
            self._tell("downloading", f"downloading {m[1]}{m[2]}")
        elif m := re.match(r"Downloaded (\S+)", text):
            self._tell(message=f"downloaded {m[1]}", downloaded=self.progress.downloaded + 1)
        elif m := re.match(r"Prepared (\d+) packages?", text):
            self._tell(
                "installing", f"installing {self.progress.resolved or m[1]} packages", downloaded=int(m[1])
            )
        elif m := re.match(r"Installed (\d+) packages?", text):
            self._tell(message=f"installed {m[1]} packages", installed=int(m[1]))
        elif m := re.match(r"Collecting (\S+)", text):  # pip
            self._tell("resolving", f"collecting {m[1]}", resolved=self.progress.resolved + 1)
        elif m := re.match(r"Installing collected packages: (.*)", text):
            count = len(m[1].split(","))
            self._tell("installing", f"installing {count} packages", resolved=count)
        elif m := re.match(r"Successfully installed (.*)", text):
            self._tell(message=f"installed {len(m[1].split())} packages", installed=len(m[1].split()))

    def _failure(self, argv: list[str], lines: list[str], kind: str) -> BuildError:
        said = [line.strip() for line in lines if _ERROR_LINE.match(line)] or [
            line.strip() for line in lines[-8:] if line.strip()
        ]
        detail = "\n  ".join(said[-8:]) or f"{Path(argv[0]).name} exited with an error"
        everything = "\n".join(self._output)
        if _DISK.search(everything):
            free = shutil.disk_usage(self.spec.root).free // 2**20
            return BuildError(
                f"the disk is full ({free} MB free in {self.spec.root}; the {self.profile.name} profile needs "
                f"about {self.profile.size_mb} MB). Free some space, or build elsewhere with {ROOT_VAR}=DIR.\n  "
                f"{detail}",
                self.retry,
                "disk",
            )
        index = (
            self.index_url
            or os.environ.get("UV_DEFAULT_INDEX")
            or os.environ.get("UV_INDEX_URL")
            or os.environ.get("PIP_INDEX_URL")
            or DEFAULT_INDEX
        )
        if kind == "install" and (_NETWORK.search(everything) or _unreachable(index)):
            return BuildError(
                f"could not reach the package index ({index}). Check the network connection, or point the "
                f"build at a reachable mirror with --index-url URL (or {INDEX_URL_VAR}).\n  {detail}",
                self.retry,
                "network",
            )
        if kind == "check":
            return BuildError(
                f"the new environment does not start a kernel (import ipykernel failed).\n  {detail}",
                self.retry,
                "check",
            )
        return BuildError(
            f"a package of the {self.profile.name} profile could not be installed on Python "
            f"{python_version()}.\n  {detail}",
            self.retry,
            "install",
        )


def _unreachable(index: str) -> str:
    """Why the package index cannot be reached ('' when it answers): pip, told not to retry,
    only says it found no version of a package."""
    if not index.startswith(("http://", "https://")):
        return ""
    try:
        with urllib.request.urlopen(index, timeout=5):
            return ""
    except urllib.error.HTTPError:
        return ""  # it answered
    except (OSError, ValueError) as err:
        return str(getattr(err, "reason", err))


def _rewrite_paths(tmp: Path, final: Path) -> None:
    """Point the scripts pip wrote (shebangs, activate) at the folder the environment moves to."""
    old, new = os.fsencode(tmp), os.fsencode(final)
    for path in [*(tmp / "bin").iterdir(), tmp / "pyvenv.cfg"]:
        try:
            if path.is_symlink() or not path.is_file() or path.stat().st_size > 1 << 20:
                continue
            data = path.read_bytes()
            if old in data:
                mode = path.stat().st_mode
                path.write_bytes(data.replace(old, new))
                os.chmod(path, mode)
        except OSError:
            continue


def remove(spec: EnvSpec) -> bool:
    """Delete a managed environment (under its lock); False if there was none."""
    if spec.profile is None:
        raise ValueError(f"{spec.path} is not managed by the workbench: it is never deleted here")
    if not spec.root.is_dir():
        return False
    with _locked(spec.root / f".{spec.name}.lock", lambda: None):
        existed = spec.path.exists()
        if existed:
            trash = spec.path.with_name(f".{spec.name}.old-{secrets.token_hex(4)}")
            os.rename(spec.path, trash)  # gone at once for every reader, then deleted
            shutil.rmtree(trash, ignore_errors=True)
        return existed
