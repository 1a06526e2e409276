"""The runtime's guardian: cleans up after a runtime that was killed outright.

Run by the runtime as `python -I -S guardian.py MARK FOLDER` with the read end of a pipe
as stdin, in its own session. It waits for end-of-file on that pipe, which comes when the
runtime's process ends for any reason (SIGKILL included: the kernel closes the pipe), then
kills every process whose environment bears the runtime's owner mark (kernels and
whatever user code started, daemons included), removes the cgroups an isolated sandbox had
(listed in `FOLDER/sandbox/cgroups`, each removed once its processes are gone) and the
runtime's private folder (kernel keys, sockets). A plain script with no imports beyond the standard library, so it
costs a few milliseconds to start and nothing while it waits.
"""

from __future__ import annotations

import os
import shutil
import signal
import sys
import time

OWNER_ENV = "WORKBENCH_OWNER_MARK"  # the same as tui.runtime.processes.OWNER_ENV


def marked(prefix: bytes) -> set[int]:
    own = os.getpid()
    found = set()
    for name in os.listdir("/proc"):
        if not name.isdigit() or int(name) == own:
            continue
        try:
            with open(f"/proc/{name}/environ", "rb") as handle:
                environ = handle.read()
        except OSError:
            continue
        if any(item.startswith(prefix) for item in environ.split(b"\0")):
            found.add(int(name))
    return found


def clean(mark: str, folder: str) -> None:
    prefix = f"{OWNER_ENV}={mark}".encode()
    deadline = time.monotonic() + 5.0
    while time.monotonic() < deadline:
        pids = marked(prefix)
        if not pids:
            break
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        time.sleep(0.05)
    remove_cgroups(os.path.join(folder, "sandbox", "cgroups"))
    shutil.rmtree(folder, ignore_errors=True)


def remove_cgroups(listing: str) -> None:
    """rmdir each cgroup named in `listing` (the sandbox's processes die with its PID 1,
    which died with the runtime: give them a moment to be gone)."""
    try:
        with open(listing) as handle:
            folders = [line.strip() for line in handle if line.strip().startswith("/sys/fs/cgroup/")]
    except OSError:
        return
    deadline = time.monotonic() + 5.0
    while folders and time.monotonic() < deadline:
        for folder in list(folders):
            try:
                os.rmdir(folder)
            except FileNotFoundError:
                folders.remove(folder)
            except OSError:
                continue
            else:
                folders.remove(folder)
        if folders:
            time.sleep(0.05)


def main() -> None:
    mark, folder = sys.argv[1], sys.argv[2]
    for sig in (signal.SIGINT, signal.SIGHUP, signal.SIGPIPE):
        signal.signal(sig, signal.SIG_IGN)
    try:
        while os.read(0, 4096):
            pass
    except OSError:
        pass
    clean(mark, folder)


if __name__ == "__main__":
    main()
