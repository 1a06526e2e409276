"""What an isolated sandbox is: its workspace, network and limits (the `serve` flags).

The workspace is the folder mounted at `/home/user`, the sandbox's home and only writable
place besides its private `/tmp`: kept after the sandbox ends, or `ephemeral` (a temporary
folder removed with it). It can never be the runtime user's home, nor a folder that holds it
(`/home`, `/`): the real home stays invisible inside.
"""

from __future__ import annotations

import argparse
import os
from dataclasses import dataclass
from pathlib import Path

HOME = "/home/user"  # the sandbox user's home, as on E2B
USER = "user"
UID = 1000  # E2B's `user`
TMP = "/tmp"
KERNELS = "/run/e2b/kernels"  # each kernel's own directory (connection file and sockets) inside
DEFAULT_MEMORY_MB = 4096
DEFAULT_PROCESSES = 1024


class WorkspaceRefused(ValueError):
    """A workspace that would put the user's real home in the sandbox."""


@dataclass(frozen=True)
class Isolation:
    """An isolated sandbox's settings."""

    workspace: str  # host folder mounted at /home/user
    ephemeral: bool = False  # the workspace is removed when the sandbox ends
    network: bool = False  # share the host's network (and loopback) instead of none
    memory_mb: int = DEFAULT_MEMORY_MB  # per process (RLIMIT_DATA), and in total where a cgroup can be had
    processes: int = DEFAULT_PROCESSES  # processes and threads of the whole sandbox

    def argv(self) -> list[str]:
        """The runtime's flags that ask for this sandbox (`python -m tui.runtime ...`)."""
        out = ["--isolate", "--cwd", self.workspace, "--memory", str(self.memory_mb)]
        out += ["--processes", str(self.processes)]
        if self.ephemeral:
            out.append("--ephemeral")
        if self.network:
            out.append("--network")
        return out


def check_workspace(folder: str) -> str:
    """`folder` resolved, or WorkspaceRefused when mounting it would show the real home."""
    path = Path(folder).expanduser().resolve()
    home = Path(os.path.expanduser("~")).resolve()
    if path == home or path in home.parents:
        raise WorkspaceRefused(
            f"{path} cannot be the isolated sandbox's workspace: it would put your home "
            f"({home}) in the sandbox. Give a folder of its own (e.g. a project folder), or none "
            "for a new one."
        )
    return str(path)


def add_arguments(parser: argparse.ArgumentParser | argparse._ArgumentGroup) -> None:
    """The isolation flags of `serve` (and `python -m tui.runtime`)."""
    parser.add_argument(
        "--isolate",
        action="store_true",
        help="run kernels, commands, terminals and file operations inside a bubblewrap sandbox "
        "(the workspace at /home/user, the system read-only, no network, limits)",
    )
    parser.add_argument(
        "--network", action="store_true", help="isolated: share this machine's network (default: none)"
    )
    parser.add_argument(
        "--ephemeral",
        action="store_true",
        help="isolated: a new empty workspace, removed when the sandbox stops",
    )
    parser.add_argument(
        "--memory",
        type=int,
        default=DEFAULT_MEMORY_MB,
        metavar="MB",
        help=f"isolated: memory per process, and of the whole sandbox where a cgroup can be had (default {DEFAULT_MEMORY_MB})",
    )
    parser.add_argument(
        "--processes",
        type=int,
        default=DEFAULT_PROCESSES,
        metavar="N",
        help=f"isolated: processes and threads of the whole sandbox (default {DEFAULT_PROCESSES})",
    )


# The only variables of the runtime's environment that reach the sandbox: how text is encoded
# and shown, and the time zone. Nothing else (no E2B_*, no API key, no token, no PIP_INDEX_URL,
# which can hold one) gets in.
PASSED_THROUGH = ("LANG", "LC_ALL", "LC_CTYPE", "LC_MESSAGES", "TZ")

# Where `pip install` (and `%pip install`) puts packages: the sandbox's Python environment is
# read-only inside, so they go to the home, as a user's installs do (kept with a kept workspace).
USER_BASE = f"{HOME}/.local"


def user_site(python_version: str) -> str:
    """The site-packages of USER_BASE for Python `X.Y` (on every process's PYTHONPATH)."""
    return f"{USER_BASE}/lib/python{python_version}/site-packages"


def base_env(path_first: list[str] | None = None, python_version: str = "") -> dict[str, str]:
    """The environment of the sandbox's processes (kernels, commands, terminals): an allow-list,
    plus what sends `pip install` to the home (`python_version`: the kernels' Python, X.Y)."""
    env = {
        "PATH": ":".join(
            [
                *([f"{USER_BASE}/bin"] if python_version else []),
                *(path_first or []),
                "/usr/local/sbin",
                "/usr/local/bin",
                "/usr/sbin",
                "/usr/bin",
                "/sbin",
                "/bin",
            ]
        ),
        "HOME": HOME,
        "USER": USER,
        "LOGNAME": USER,
        "SHELL": "/bin/bash",
        "LANG": "C.UTF-8",
    }
    if python_version:
        env.update(PYTHONUSERBASE=USER_BASE, PIP_PREFIX=USER_BASE, PYTHONPATH=user_site(python_version))
    for name in PASSED_THROUGH:
        value = os.environ.get(name)
        if value:
            env[name] = value
    return env
