"""`GET /processes`: what the local runtime runs, for the app's cockpit (our extension).

E2B shows a sandbox's CPU, memory and disk through its control plane (`get_metrics`);
the local runtime has none, so it answers this route instead: every context with its
kernel (pid, state, memory, CPU, isolated or not), every command and terminal envd
started, and the runtime process itself. A runtime without the route (an older one, or
E2B's own) answers 404 and the app says so; nothing else depends on it.

- memory is the resident size of the process and everything below it (a kernel's
  `pip install` counts), in bytes;
- CPU is the share of one core the tree used since the previous request (null on the
  first), from /proc's tick counts;
- `isolated` is true for a process in another mount namespace than the runtime (what
  bubblewrap gives), read from /proc/PID/ns/mnt, so it reports what is, not what was asked.
Linux only (from /proc); elsewhere the numbers are null.
"""

from __future__ import annotations

import contextlib
import os
import time
from pathlib import Path
from typing import Any

PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096
TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    with contextlib.suppress(OSError):
        for entry in os.scandir("/proc"):
            if not entry.name.isdigit():
                continue
            with contextlib.suppress(OSError, IndexError, ValueError):
                stat = Path(entry.path, "stat").read_text()
                ppid = int(stat.rsplit(")", 1)[1].split()[1])
                tree.setdefault(ppid, []).append(int(entry.name))
    return tree


def _tree(pid: int, children: dict[int, list[int]]) -> list[int]:
    found, todo = [pid], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def _usage(pid: int) -> tuple[int, int] | None:
    """(resident bytes, CPU ticks) of one process, None once it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        rss = int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE
    except (OSError, IndexError, ValueError):
        return None
    return rss, int(fields[11]) + int(fields[12])  # utime + stime


def _namespace(pid: int) -> str:
    try:
        return os.readlink(f"/proc/{pid}/ns/mnt")
    except OSError:
        return ""


class Sampler:
    """Memory and CPU of process trees; CPU as the share of a core since the last sample."""

    def __init__(self) -> None:
        self._last: dict[int, tuple[float, int]] = {}  # pid -> (monotonic time, ticks of its tree)
        self._own_ns = _namespace(os.getpid())

    def measure(self, pids: list[int]) -> dict[int, dict[str, Any]]:
        children = _children()
        now = time.monotonic()
        seen: dict[int, tuple[float, int]] = {}
        found: dict[int, dict[str, Any]] = {}
        for pid in pids:
            usage = [u for u in (_usage(p) for p in _tree(pid, children)) if u is not None]
            if not usage:
                found[pid] = {"memory": None, "cpu": None, "isolated": None}
                continue
            ticks = sum(t for _rss, t in usage)
            cpu = None
            if pid in self._last:
                then, before = self._last[pid]
                if now > then:
                    cpu = round(100 * (ticks - before) / TICKS / (now - then), 1)
            seen[pid] = (now, ticks)
            ns = _namespace(pid)
            found[pid] = {
                "memory": sum(rss for rss, _t in usage),
                "cpu": max(cpu, 0.0) if cpu is not None else None,
                "isolated": bool(ns and self._own_ns and ns != self._own_ns),
            }
        self._last = seen
        return found


def _kernel_of(ctx: Any) -> Any:
    task = getattr(ctx, "kernel_task", None)
    if task is None or not task.done() or task.cancelled() or task.exception() is not None:
        return None
    return task.result()


def _state(ctx: Any, kernel: Any) -> str:
    task = getattr(ctx, "kernel_task", None)
    if task is None:
        return "not started"
    if not task.done():
        return "starting"
    if kernel is None or not getattr(kernel, "alive", False):
        return "dead"
    lock = getattr(ctx, "lock", None)
    return "busy" if lock is not None and lock.locked() else "idle"


def processes(runtime: Any, envd: Any, sampler: Sampler) -> dict[str, Any]:
    """The route's JSON: {runtime, isolated, kernels, processes}."""
    kernels = []
    for ctx in list(getattr(runtime, "contexts", {}).values()) if runtime is not None else []:
        kernel = _kernel_of(ctx)
        kernels.append(
            {
                "context_id": ctx.id,
                "language": ctx.language,
                "cwd": ctx.cwd,
                "pid": getattr(kernel, "pid", None),
                "state": _state(ctx, kernel),
            }
        )
    commands = []
    here: dict[int, int] = {}  # a command's pid as shown -> its pid here (they differ when isolated)
    for proc in list(envd.processes.procs.values()):
        config = proc.config
        here[proc.pid] = getattr(proc, "sid", proc.pid)
        commands.append(
            {
                "pid": proc.pid,
                "cmd": " ".join([config.cmd, *config.args]),
                "tag": proc.tag,
                "terminal": bool(proc.pty),
            }
        )
    own = os.getpid()
    usage = sampler.measure([own] + [k["pid"] for k in kernels if k["pid"]] + list(here.values()))
    unknown = {"memory": None, "cpu": None, "isolated": None}
    for item in kernels:
        item.update(usage.get(item["pid"], unknown))
    for item in commands:
        item.update(usage.get(here[item["pid"]], unknown))
    isolated = [k["isolated"] for k in kernels if k["isolated"] is not None]
    return {
        "runtime": {"pid": own, **usage.get(own, {})},
        "isolated": bool(isolated) and all(isolated),
        "kernels": kernels,
        "processes": commands,
    }
