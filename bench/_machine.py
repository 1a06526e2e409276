"""What every benchmark report starts with: the machine, its load, and the versions measured.

Imported by the scripts run as `python bench/X.py` (their folder is on sys.path).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import platform
from collections.abc import Iterable
from importlib import metadata
from pathlib import Path


def machine_info(packages: Iterable[str]) -> dict:
    """Date, CPU count and model, Python, platform, load average now, and `packages`' versions."""
    model = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break

    def version(dist: str) -> str:
        try:
            return metadata.version(dist)
        except metadata.PackageNotFoundError:
            return "-"

    try:
        nproc = len(os.sched_getaffinity(0))
    except AttributeError:
        nproc = os.cpu_count() or 0
    return {
        "date": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "nproc": nproc,
        "cpu": model or platform.processor() or "?",
        "python": platform.python_version(),
        "platform": platform.platform(),
        "loadavg_start": list(os.getloadavg()),
        "versions": {name: version(name) for name in packages},
    }


def verdict(ok: bool) -> str:
    return "OK" if ok else "MISSED"
