"""bubblewrap: whether it works here, and the container an isolated sandbox is.

What the sandbox sees (an allow-list: any path not named here does not exist inside):

- `/usr`, `/bin`, `/sbin`, `/lib*` and `/opt`, read-only: the system's programs and libraries;
- `/etc`, read-only, less every entry the world cannot read (`/etc/shadow`, private keys:
  hidden even from a runtime run as root), with the sandbox's own `passwd`, `group`, `hosts`
  and `hostname` (its user is `user`, uid 1000, home `/home/user`, as on E2B);
- read-only at their own paths, the folders the kernels run from when they are elsewhere
  (the sandbox's Python environments, their base installation, this package and the venv it
  runs from, Deno, jjava): only those folders, even when they live under the user's home (a
  pyenv Python, the data dir), never the home itself;
- `/home/user`: the workspace, the one writable place besides a private `/tmp` (and
  `/dev/shm`); `/run/e2b/kernels`: one directory per kernel (its connection file, sockets);
  everything else is read-only, the folders bubblewrap makes (`/`, `/var`, `/home`) included;
- its own `/proc` (its PID namespace: no process of the machine), a minimal `/dev`.

Namespaces: user (the sandbox's uid 1000 is the runtime's user, without any capability),
PID, IPC, UTS (hostname `e2b-sandbox`), cgroup, and network unless `network` is asked
(then it shares this machine's, loopback included). Nested user namespaces are refused
(`--disable-userns`: they are the usual way to reach kernel code that unprivileged users
otherwise cannot).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import stat
import subprocess
import sys
from functools import cache
from pathlib import Path

from . import settings

INSTALL = "apt-get install -y bubblewrap"
HOSTNAME = "e2b-sandbox"
SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/opt")

PASSWD = (
    "root:x:0:0:root:/root:/bin/bash\n"
    f"{settings.USER}:x:{settings.UID}:{settings.UID}:{settings.USER}:{settings.HOME}:/bin/bash\n"
    "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n"
)
GROUP = f"root:x:0:\n{settings.USER}:x:{settings.UID}:\nnogroup:x:65534:\n"
HOSTS = f"127.0.0.1\tlocalhost {HOSTNAME}\n::1\tlocalhost ip6-localhost ip6-loopback\n"


def bwrap_path() -> str | None:
    return shutil.which("bwrap")


@cache
def version() -> str:
    path = bwrap_path()
    if path is None:
        return ""
    try:
        done = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return ""
    return done.stdout.strip()


def _probe_argv(path: str) -> list[str]:
    argv = [path, "--unshare-user", "--uid", str(settings.UID), "--gid", str(settings.UID)]
    argv += ["--unshare-pid", "--unshare-ipc", "--unshare-net", "--unshare-uts", "--die-with-parent"]
    argv += ["--disable-userns"]
    argv += _system_mounts()
    argv += ["--proc", "/proc", "--dev", "/dev", "--", "/bin/sh", "-c", "exit 0"]
    return argv


@cache
def problem() -> str | None:
    """None when bubblewrap can make a sandbox here, else why not (with the way out)."""
    if not sys.platform.startswith("linux"):
        return "isolation needs Linux (bubblewrap and its namespaces)"
    path = bwrap_path()
    if path is None:
        return f"bubblewrap is not installed (install it with: {INSTALL})"
    try:
        done = subprocess.run(_probe_argv(path), capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError) as err:
        return f"bubblewrap could not run: {err}"
    if done.returncode != 0:
        said = (done.stderr or done.stdout).strip().splitlines()
        detail = said[-1] if said else f"exit status {done.returncode}"
        return (
            f"bubblewrap cannot make a sandbox here ({detail}): this kernel or container forbids "
            "unprivileged user namespaces (e.g. `sysctl kernel.unprivileged_userns_clone=1`, "
            "or an AppArmor profile for bwrap, or docker's --security-opt seccomp=unconfined)"
        )
    return None


def _system_mounts() -> list[str]:
    out: list[str] = []
    for folder in SYSTEM_DIRS:
        if os.path.islink(folder):
            out += ["--symlink", os.readlink(folder), folder]
        elif os.path.isdir(folder):
            out += ["--ro-bind", folder, folder]
    return out


def _hidden_in_etc() -> tuple[list[str], list[str]]:
    """(files, directories) under /etc that the world cannot read: not shown in the sandbox."""
    files: list[str] = []
    dirs: list[str] = []
    for root, subdirs, names in os.walk("/etc"):
        for name in [*subdirs, *names]:
            path = os.path.join(root, name)
            try:
                st = os.lstat(path)
            except OSError:
                continue
            if stat.S_ISLNK(st.st_mode):
                continue
            if stat.S_ISDIR(st.st_mode):
                if not (st.st_mode & stat.S_IROTH and st.st_mode & stat.S_IXOTH):
                    dirs.append(path)
                    subdirs.remove(name)
            elif not st.st_mode & stat.S_IROTH:
                files.append(path)
    return files, dirs


def _within(path: str, folders: list[str]) -> bool:
    return any(path == f or path.startswith(f.rstrip("/") + "/") for f in folders)


def _venv_home(folder: Path) -> str | None:
    """The installation a virtual environment was made from (its pyvenv.cfg's `home`, a bin folder)."""
    try:
        for line in (folder / "pyvenv.cfg").read_text().splitlines():
            key, _, value = line.partition("=")
            if key.strip() == "home" and value.strip():
                return os.path.dirname(value.strip())
    except OSError:
        pass
    return None


def tool_dirs() -> list[str]:
    """The folders the kernels run from, outside the system folders: mounted read-only.

    The sandbox's Python environments live in one folder (sandboxenv's root), mounted whole: the
    environment python uses may be built (by the runtime, outside) after the sandbox started,
    and appears in it then. Their base installation is the workbench's own (`sys.base_prefix`).
    """
    from .. import sandboxenv
    from ..languages import deno_path, jjava_dir

    wanted: list[str] = [sys.prefix, sys.base_prefix, str(Path(__file__).resolve().parents[2])]
    wanted.append(os.path.dirname(os.path.realpath(sys.executable)))
    root = sandboxenv.envs_root()
    with contextlib.suppress(OSError):
        root.mkdir(parents=True, exist_ok=True)
    wanted.append(str(root))  # the environments, and their support folder
    spec = sandboxenv.active().spec
    if not spec.managed:  # one given as is, wherever it is
        wanted.append(str(spec.path))
        home = _venv_home(spec.path)
        if home:
            wanted.append(home)
    deno = deno_path()
    if deno:
        wanted.append(os.path.dirname(os.path.realpath(deno)))
    jjava = jjava_dir()
    if jjava is not None:
        wanted.append(str(jjava))
    for tool in ("java", "R"):
        found = shutil.which(tool)
        if found:
            wanted.append(os.path.dirname(os.path.dirname(os.path.realpath(found))))
    return wanted


# The sandbox's own /tmp is mounted after the tool folders and would hide any of them inside
# the host's /tmp (a checkout, a venv or a Python there): those are mounted again over it.
PRIVATE = (settings.TMP,)


def late_mounts(tools: list[str]) -> list[str]:
    """bwrap's arguments for the tool folders inside the host's /tmp, to come after the
    sandbox's private /tmp is mounted (`mounts` leaves them out)."""
    out: list[str] = []
    seen: list[str] = []
    for folder in sorted({os.path.realpath(t) for t in tools if t}, key=len):
        if os.path.isdir(folder) and _within(folder, list(PRIVATE)) and not _within(folder, seen):
            seen.append(folder)
            out += ["--ro-bind", folder, folder]
    return out


def mounts(tools: list[str]) -> list[str]:
    """bwrap's arguments for the read-only part of the sandbox: system, /etc, tool folders."""
    out = _system_mounts()
    out += ["--ro-bind", "/etc", "/etc"]
    files, dirs = _hidden_in_etc()
    for path in files:
        out += ["--ro-bind", "/dev/null", path]
    for path in dirs:
        out += ["--tmpfs", path, "--remount-ro", path]
    resolv = "/etc/resolv.conf"
    if os.path.islink(resolv) and os.path.isfile(resolv):  # e.g. into /run, which is not there
        out += ["--ro-bind", os.path.realpath(resolv), resolv]
    covered = [f for f in SYSTEM_DIRS if os.path.isdir(f) and not os.path.islink(f)] + ["/etc"]
    home = os.path.realpath(os.path.expanduser("~"))
    seen: list[str] = []
    for folder in sorted({os.path.realpath(t) for t in tools if t}, key=len):
        if not os.path.isdir(folder) or _within(folder, covered) or _within(folder, seen):
            continue
        if folder == "/" or folder == home or _within(home, [folder]):
            continue  # never the home, nor what holds it
        if _within(folder, list(PRIVATE)):
            continue  # mounted late (late_mounts), over the private folder
        seen.append(folder)
        out += ["--ro-bind", folder, folder]
    return out


def argv(
    isolation: settings.Isolation,
    *,
    tmp: str,
    kernels: str,
    data_fds: dict[str, int],
    agent: list[str],
) -> list[str]:
    """The whole bwrap command that starts the sandbox with `agent` as its PID 1.

    `data_fds` maps /etc/passwd, /etc/group, /etc/hosts, /etc/hostname to descriptors that
    hold their content (read by bwrap).
    """
    path = bwrap_path()
    assert path is not None
    out = [path, "--unshare-user", "--uid", str(settings.UID), "--gid", str(settings.UID)]
    out += ["--unshare-pid", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try"]
    if not isolation.network:
        out.append("--unshare-net")
    out += ["--hostname", HOSTNAME, "--die-with-parent", "--as-pid-1", "--disable-userns"]
    out += ["--cap-drop", "ALL"]
    tools = tool_dirs()
    out += mounts(tools)
    for target, fd in data_fds.items():
        out += ["--ro-bind-data", str(fd), target]
    out += ["--proc", "/proc", "--dev", "/dev", "--tmpfs", "/dev/shm"]
    out += ["--tmpfs", "/run", "--bind", kernels, settings.KERNELS, "--remount-ro", "/run"]
    out += ["--bind", tmp, settings.TMP, "--dir", "/var", "--symlink", "../tmp", "/var/tmp"]
    out += ["--bind", isolation.workspace, settings.HOME, "--chdir", settings.HOME]
    out += late_mounts(tools)
    out += ["--remount-ro", "/"]  # bubblewrap's own root (/, /var, /home, ...): nothing to write there
    out += ["--clearenv", "--setenv", "PATH", "/usr/bin:/bin", "--setenv", "HOME", settings.HOME]
    out += ["--", *agent]
    return out
