"""The sandbox's own Python environment: what python kernels, and the `python` and `pip` of
commands and terminals, run on. Never the workbench's own venv: `%pip install` changes the
sandbox, not the app, and the versions are E2B's.

Modules by job: `profiles` (the package sets: minimal, default = E2B's template, full),
`layout` (where an environment lives, whether it is complete), `build` (uv or venv + pip,
progress, errors, never half a build), `support` (the IPython extension and the bash file
the sandbox's processes get, and their environment variables), `state` (the runtime's one
environment, built in the background and awaited by python kernels).
"""

from __future__ import annotations

from .build import Build, BuildError, Progress, remove, retry_command, uv_binary
from .flags import add_arguments
from .layout import (
    INDEX_URL_VAR,
    PROFILE_VAR,
    PYTHON_ENV_VAR,
    ROOT_VAR,
    EnvSpec,
    disk_size,
    envs_root,
    interpreter_version,
    package_count,
    python_version,
    resolve,
    spec_for,
)
from .profiles import DEFAULT_PROFILE, PROFILES, Profile, UnknownProfile, get_profile
from .state import SandboxEnvironment, active, configure

__all__ = [
    "DEFAULT_PROFILE",
    "INDEX_URL_VAR",
    "PROFILES",
    "PROFILE_VAR",
    "PYTHON_ENV_VAR",
    "ROOT_VAR",
    "Build",
    "BuildError",
    "EnvSpec",
    "Profile",
    "Progress",
    "SandboxEnvironment",
    "UnknownProfile",
    "active",
    "add_arguments",
    "configure",
    "disk_size",
    "envs_root",
    "get_profile",
    "interpreter_version",
    "package_count",
    "python_version",
    "remove",
    "resolve",
    "retry_command",
    "spec_for",
    "uv_binary",
]
