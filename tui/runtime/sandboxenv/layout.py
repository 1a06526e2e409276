"""Where a sandbox environment lives, what it is, and whether it is complete.

A managed environment is `<root>/<profile>-py<X.Y>` (one per profile and Python version),
where root is `E2B_WORKBENCH_SANDBOX_ENVS`, or `sandbox-envs` in the user data dir
(`E2B_WORKBENCH_HOME/data/sandbox-envs` when that is set). It counts as built only once
its marker file is there: a build happens in a temporary folder that is renamed into place
with the marker already inside, so a half-built environment is never taken for a whole one.
`E2B_WORKBENCH_PYTHON_ENV` (or `--python-env`) names an existing environment to use as it
is instead: the workbench never builds, updates or deletes that one.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ...common.userdirs import data_dir
from .profiles import DEFAULT_PROFILE, Profile, get_profile

PROFILE_VAR = "E2B_WORKBENCH_SANDBOX_PROFILE"
ROOT_VAR = "E2B_WORKBENCH_SANDBOX_ENVS"
PYTHON_ENV_VAR = "E2B_WORKBENCH_PYTHON_ENV"
INDEX_URL_VAR = "E2B_WORKBENCH_SANDBOX_INDEX_URL"

MARKER = "e2b-workbench-env.json"


def envs_root() -> Path:
    """The folder that holds the managed environments (and the kernels' support files)."""
    override = os.environ.get(ROOT_VAR)
    if override:
        return Path(os.path.abspath(os.path.expanduser(override)))
    return data_dir() / "sandbox-envs"


def python_version() -> str:
    """X.Y of the Python the environments are built on: the one running the workbench."""
    return f"{sys.version_info.major}.{sys.version_info.minor}"


def base_python() -> str:
    """The interpreter a new environment is made from: the workbench's, outside its own venv."""
    return getattr(sys, "_base_executable", None) or sys.executable


@dataclass(frozen=True)
class EnvSpec:
    """One sandbox environment: managed (built here from `profile`) or given as is (`profile` None)."""

    path: Path
    profile: Profile | None

    @property
    def managed(self) -> bool:
        return self.profile is not None

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def bin(self) -> Path:
        return self.path / "bin"

    @property
    def python(self) -> Path:
        return self.bin / "python"

    @property
    def marker(self) -> Path:
        return self.path / MARKER

    @property
    def root(self) -> Path:
        return self.path.parent

    def digest(self) -> str:
        """What the environment is built from; a built one with another digest is outdated."""
        assert self.profile is not None
        text = "\n".join((python_version(), *self.profile.requirements))
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def read_marker(self) -> dict[str, Any] | None:
        """The marker of a complete build, or None (not built, or not by us)."""
        try:
            data = json.loads(self.marker.read_text())
        except (OSError, ValueError):
            return None
        return data if isinstance(data, dict) else None

    @property
    def built(self) -> bool:
        """Ready to use: a managed one has its marker, one given as is has a python."""
        if self.managed:
            return self.marker.is_file() and self.python.exists()
        return self.python.exists()

    @property
    def outdated(self) -> bool:
        """Built from other pins than its profile's now (the workbench was upgraded since)."""
        marker = self.read_marker() if self.managed else None
        return marker is not None and marker.get("digest") != self.digest()


def resolve(profile: str | None = None, python_env: str | None = None) -> EnvSpec:
    """The environment the settings name: an explicit one (argument, then env var) wins over a profile.

    Raises UnknownProfile for a profile name that does not exist.
    """
    given = python_env or os.environ.get(PYTHON_ENV_VAR)
    if given:
        return EnvSpec(Path(os.path.abspath(os.path.expanduser(given))), None)
    chosen = get_profile(profile or os.environ.get(PROFILE_VAR) or DEFAULT_PROFILE)
    return EnvSpec(envs_root() / f"{chosen.name}-py{python_version()}", chosen)


def spec_for(profile: str) -> EnvSpec:
    """The managed environment of `profile` (whatever E2B_WORKBENCH_PYTHON_ENV says)."""
    chosen = get_profile(profile)
    return EnvSpec(envs_root() / f"{chosen.name}-py{python_version()}", chosen)


def package_count(spec: EnvSpec) -> int:
    """Installed distributions (their .dist-info folders)."""
    count = 0
    for site in spec.path.glob("lib/python*/site-packages"):
        count += sum(1 for entry in site.iterdir() if entry.name.endswith(".dist-info"))
    return count


def disk_size(path: Path) -> int:
    """Bytes on disk under `path`, each file once (hard links to the installer's cache count once)."""
    seen: set[tuple[int, int]] = set()
    total = 0
    for folder, _dirs, files in os.walk(path):
        for name in files:
            try:
                st = os.lstat(os.path.join(folder, name))
            except OSError:
                continue
            key = (st.st_dev, st.st_ino)
            if key in seen:
                continue
            seen.add(key)
            total += st.st_blocks * 512
    return total


def interpreter_version(spec: EnvSpec) -> str:
    """The environment's Python version (from its pyvenv.cfg), or ''."""
    try:
        for line in (spec.path / "pyvenv.cfg").read_text().splitlines():
            key, _, value = line.partition("=")
            if key.strip() in ("version_info", "version"):
                return value.strip()
    except OSError:
        pass
    return ""
