"""The sandbox's limits on processes and memory.

Two mechanisms, the second only where it needs no setup:

- rlimits, set by the agent inside the sandbox: `RLIMIT_NPROC` (the kernel counts it per user
  namespace, so it bounds the sandbox's processes and threads, and nothing of the machine's)
  and `RLIMIT_DATA` (each process's memory: an allocation past it fails, and Python says
  MemoryError). The kernel does not enforce `RLIMIT_NPROC` for root: a runtime run as root
  (whose sandbox's user is root outside, without any capability) needs the second one.
- a cgroup of the sandbox's own, when the runtime may create one in its cgroup (root, or a
  delegated cgroup v2 subtree): `pids.max`, and a memory limit of the whole sandbox a quarter
  above the per-process one (at least 256 MB more), so that one process that allocates too
  much meets its own limit first (MemoryError, its state kept), and only many together meet
  the sandbox's (the kernel's OOM killer ends one). It is removed when the sandbox stops (and
  by the guardian when the runtime was killed).
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from pathlib import Path

CGROUP_ROOT = Path("/sys/fs/cgroup")


def sandbox_memory(per_process: int) -> int:
    """The whole sandbox's memory limit (bytes) for a per-process limit (bytes)."""
    return per_process + max(256 * 1024 * 1024, per_process // 4)


def _own_cgroups() -> dict[str, str]:
    """controller (or "" for cgroup v2) -> this process's cgroup path."""
    found: dict[str, str] = {}
    try:
        lines = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return found
    for line in lines:
        _id, controllers, path = line.split(":", 2)
        for name in controllers.split(",") if controllers else [""]:
            found[name] = path
    return found


class CGroup:
    """The sandbox's cgroup(s): one per cgroup v1 controller, or one cgroup v2 folder."""

    def __init__(self, name: str, processes: int, memory_bytes: int):
        self.folders: list[Path] = []
        self.kind = ""
        own = _own_cgroups()
        v1: list[str] = [c for c in ("pids", "memory") if c in own and (CGROUP_ROOT / c).is_dir()]
        try:
            if v1:
                self._v1(name, own, v1, processes, memory_bytes)
            elif "" in own and (CGROUP_ROOT / "cgroup.controllers").is_file():
                self._v2(name, own[""], processes, memory_bytes)
        except OSError:
            self.remove()
            self.folders = []
            self.kind = ""

    def _v1(
        self, name: str, own: dict[str, str], controllers: list[str], processes: int, memory: int
    ) -> None:
        for controller in controllers:
            folder = CGROUP_ROOT / controller / own[controller].lstrip("/") / name
            folder.mkdir()
            self.folders.append(folder)
            if controller == "pids":
                (folder / "pids.max").write_text(str(processes))
            else:
                (folder / "memory.limit_in_bytes").write_text(str(memory))
                with contextlib.suppress(OSError):  # no swap to spill into either, where it is accounted
                    (folder / "memory.memsw.limit_in_bytes").write_text(str(memory))
        self.kind = "cgroup v1 (" + ", ".join(controllers) + ")"

    def _v2(self, name: str, own: str, processes: int, memory: int) -> None:
        parent = CGROUP_ROOT / own.lstrip("/")
        enabled = (parent / "cgroup.subtree_control").read_text().split()
        if "pids" not in enabled and "memory" not in enabled:
            return  # not delegated to us: enabling it would need moving this process (setup)
        folder = parent / name
        folder.mkdir()
        self.folders.append(folder)
        if "pids" in enabled:
            (folder / "pids.max").write_text(str(processes))
        if "memory" in enabled:
            (folder / "memory.max").write_text(str(memory))
            with contextlib.suppress(OSError):
                (folder / "memory.swap.max").write_text("0")
        self.kind = "cgroup v2"

    @property
    def limits_processes(self) -> bool:
        return any(f.parent.name == "pids" or (f / "pids.max").exists() for f in self.folders)

    @property
    def limits_memory(self) -> bool:
        return any(
            (f / "memory.limit_in_bytes").exists() or (f / "memory.max").exists() for f in self.folders
        )

    def oom_kills(self) -> int:
        """How many processes the memory limit has killed so far (0 where it is not counted)."""
        for folder in self.folders:
            for name in ("memory.oom_control", "memory.events"):  # cgroup v1, v2
                with contextlib.suppress(OSError, ValueError):
                    for line in (folder / name).read_text().splitlines():
                        key, _, value = line.partition(" ")
                        if key == "oom_kill":
                            return int(value)
        return 0

    def join(self) -> None:  # pragma: no cover - runs in the child between fork and exec
        """Move the calling process into the cgroup(s) (from a preexec_fn: its children follow)."""
        for folder in self.folders:
            with open(folder / "cgroup.procs", "w") as procs:
                procs.write("0")

    def remove(self, wait: float = 5.0) -> None:
        """Remove the cgroup(s) once empty (what is still in one is killed first)."""
        deadline = time.monotonic() + wait
        left = list(self.folders)
        while left:
            for folder in list(left):
                with contextlib.suppress(OSError):
                    for pid in (folder / "cgroup.procs").read_text().split():
                        with contextlib.suppress(OSError):
                            os.kill(int(pid), signal.SIGKILL)
                try:
                    folder.rmdir()
                except FileNotFoundError:
                    left.remove(folder)
                except OSError:
                    continue  # its processes are still exiting
                else:
                    left.remove(folder)
            if not left or time.monotonic() >= deadline:
                return
            time.sleep(0.05)
