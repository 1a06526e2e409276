"""The isolated sandbox's first process: PID 1 inside bubblewrap, the runtime's hands in there.

Run by bubblewrap as `python -I -S agent.py SPAWN_FD FILES_FD PROCESSES MEMORY_BYTES`: two
SOCK_SEQPACKET sockets to the runtime outside (JSON messages, descriptors passed alongside),
and the sandbox's limits. Standard library only (plus the stdlib-only `fileops`/`inotify`),
no site packages: it starts in a few milliseconds and trusts nothing in the sandbox.

- **Spawning** (SPAWN_FD): `spawn` starts a process with the argv, environment, directory and
  stdin/stdout/stderr (or terminal) the runtime sends, each in a session of its own, and
  answers its pid inside and a pidfd (from which the runtime learns its pid outside, which it
  signals like any of its processes); each new process first says `born` to the runtime itself,
  whose credentials give that pid too, even once it has ended. Every process that ends is
  reaped here (PID 1 adopts orphans); those the runtime started are reported (`exit`, with
  subprocess's return code).
- **Files** (FILES_FD): a second process, the file worker, runs envd's file operations
  (`fileops`) and watches (`inotify`) in threads, so a path resolves through the sandbox's
  own mounts and symlinks, with its user's rights. It answers downloads and uploads with a
  descriptor; the bytes never pass through here.
- **Staying up.** As PID 1 of its namespace it gets no signal from the sandbox's code that it
  has no handler for (SIGKILL included), and it is not dumpable, so the sandbox's code can
  neither kill it nor read its memory. When the runtime goes (its socket closes) it exits,
  and with PID 1 every process of the sandbox ends.
- **Limits.** `RLIMIT_NPROC` is set here, inside the sandbox's user namespace: the kernel
  counts processes per user namespace, so it bounds the sandbox and nothing else (set on
  bubblewrap outside, it would count every process of the user). `RLIMIT_DATA` bounds each
  process's memory (an allocation past it fails: Python raises MemoryError); it is set in each
  process the agent starts (the runtime may ask for more for one: V8 reserves 2 GB at start).
"""

from __future__ import annotations

import ctypes
import errno
import fcntl
import json
import os
import queue
import resource
import select
import signal
import socket
import sys
import termios
import threading
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))

from tui.runtime import fileops, inotify  # noqa: E402

MAX_MESSAGE = 256 * 1024  # a message is at most this (replies are cut in parts below it)
PART = 48 * 1024  # a list of entries is sent in parts of about this many bytes
MAX_FDS = 4
WORKER_THREADS = 8  # file operations at once
PR_SET_DUMPABLE = 4


def _libc() -> Any:
    return ctypes.CDLL("libc.so.6", use_errno=True)


def not_dumpable() -> None:
    """Nothing of this process (memory, descriptors, environment) can be read through /proc or ptrace."""
    try:
        _libc().prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)
    except OSError:
        pass


def send(sock: socket.socket, message: dict[str, Any], fds: list[int] | tuple[int, ...] = ()) -> None:
    data = json.dumps(message, separators=(",", ":")).encode()
    if fds:
        socket.send_fds(sock, [data], list(fds))
    else:
        sock.send(data)


def receive(sock: socket.socket) -> tuple[dict[str, Any] | None, list[int]]:
    """The next message and the descriptors that came with it; (None, []) when the runtime is gone."""
    try:
        data, fds, _flags, _addr = socket.recv_fds(sock, MAX_MESSAGE, MAX_FDS)
    except ConnectionResetError:
        return None, []
    if not data:
        for fd in fds:
            os.close(fd)
        return None, []
    try:
        message = json.loads(data)
    except ValueError:
        message = {}
    return (message if isinstance(message, dict) else {}), fds


# -- spawning --------------------------------------------------------------------------------


def _child(
    argv: list[str],
    env: dict[str, str],
    cwd: str,
    stdio: list[int],
    tty: bool,
    report: int,
    data: int,
    runtime: int,
) -> None:
    """Between fork and exec: says it was born to the runtime (its socket `runtime`), then a
    session of its own, the descriptors, the directory, default signals, its memory limit.

    The runtime learns the process's pid outside from that message's credentials, which the
    kernel gives in the runtime's PID namespace and which stay right once the process has
    ended: a quick command can end and be reaped here before the runtime reads the pidfd sent
    with the answer (which then names no process)."""
    try:
        os.write(runtime, json.dumps({"born": os.getpid()}).encode())
    except OSError:
        pass  # the runtime falls back on the pidfd
    try:
        os.setsid()
        if data > 0:
            resource.setrlimit(resource.RLIMIT_DATA, (data, data))
        high = [os.dup(fd) for fd in stdio]  # out of the way of 0, 1, 2 before placing them
        if tty:
            fcntl.ioctl(high[0], termios.TIOCSCTTY, 0)
        for target, fd in enumerate(high):
            os.dup2(fd, target, inheritable=True)
        os.closerange(3, report)
        os.closerange(report + 1, 65536)
        for sig in range(1, signal.NSIG):
            if sig not in (signal.SIGKILL, signal.SIGSTOP):
                try:
                    signal.signal(sig, signal.SIG_DFL)
                except (OSError, ValueError):
                    pass
        signal.pthread_sigmask(signal.SIG_SETMASK, [])
        os.chdir(cwd)
        os.execvpe(argv[0], argv, env)
    except BaseException as err:  # noqa: BLE001 - whatever it was, the runtime hears it
        code = getattr(err, "errno", None) or errno.EINVAL
        text = getattr(err, "strerror", None) or str(err)
        try:
            os.write(report, f"{code}:{text}".encode()[:1000])
        finally:
            os._exit(127)


class Agent:
    """PID 1: spawns on request, reaps everything, tells the runtime how its processes ended."""

    def __init__(self, spawn_fd: int, files_fd: int, memory: int):
        self.memory = memory  # each process's RLIMIT_DATA, unless its spawn says otherwise
        self.sock = socket.socket(fileno=spawn_fd)
        self.sock.set_inheritable(False)
        self.children: set[int] = set()  # the processes the runtime started and has not heard end
        self.worker = start_worker(files_fd)
        self.wake_r, self.wake_w = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
        signal.set_wakeup_fd(self.wake_w)
        signal.signal(signal.SIGCHLD, lambda *_: None)

    def run(self) -> None:
        while True:
            try:
                ready, _, _ = select.select([self.sock.fileno(), self.wake_r], [], [])
            except InterruptedError:
                continue
            if self.wake_r in ready:
                try:
                    while os.read(self.wake_r, 512):
                        pass
                except BlockingIOError:
                    pass
                self.reap()
            if self.sock.fileno() in ready:
                message, fds = receive(self.sock)
                if message is None:
                    return  # the runtime is gone: so is the sandbox (PID 1 exits)
                try:
                    self.handle(message, fds)
                except Exception as err:  # noqa: BLE001 - PID 1 never dies of a request
                    code = getattr(err, "errno", None) or errno.EIO
                    send(self.sock, {"id": message.get("id"), "errno": code, "error": str(err)})
                finally:
                    for fd in fds:
                        try:
                            os.close(fd)
                        except OSError:
                            pass

    def handle(self, message: dict[str, Any], fds: list[int]) -> None:
        op = message.get("op")
        ident = message.get("id")
        if op == "spawn":
            self.spawn(ident, message, fds)
        elif op == "files" and fds:  # a new file worker (the last one died)
            self.worker = start_worker(os.dup(fds[0]))
            send(self.sock, {"id": ident, "ok": True})
        elif op == "ping":
            send(self.sock, {"id": ident, "ok": True})
        else:
            send(self.sock, {"id": ident, "errno": errno.EINVAL, "error": f"unknown request {op!r}"})

    def spawn(self, ident: Any, message: dict[str, Any], fds: list[int]) -> None:
        argv = [str(a) for a in message.get("argv") or []]
        env = {str(k): str(v) for k, v in (message.get("env") or {}).items()}
        cwd = str(message.get("cwd") or "/")
        tty = bool(message.get("tty"))
        data = int(message.get("data") or self.memory)
        stdio = list(fds[:3])
        if not argv or len(stdio) not in (1, 3):
            send(
                self.sock,
                {"id": ident, "errno": errno.EINVAL, "error": "a spawn needs argv and 1 or 3 descriptors"},
            )
            return
        if len(stdio) == 1:
            stdio = stdio * 3
        report_r, report_w = os.pipe2(os.O_CLOEXEC)
        try:
            pid = os.fork()
        except OSError as err:  # the sandbox's process limit, typically
            os.close(report_r)
            os.close(report_w)
            send(
                self.sock,
                {
                    "id": ident,
                    "errno": err.errno or errno.EAGAIN,
                    "error": f"cannot start a process: {err.strerror}",
                },
            )
            return
        if pid == 0:
            os.close(report_r)
            _child(argv, env, cwd, stdio, tty, report_w, data, self.sock.fileno())
        os.close(report_w)
        with os.fdopen(report_r, "rb") as report:
            failure = report.read()
        if failure:
            os.waitpid(pid, 0)
            code, _, text = failure.decode("utf-8", "replace").partition(":")
            send(self.sock, {"id": ident, "errno": int(code or errno.EINVAL), "error": text})
            return
        self.children.add(pid)
        try:
            pidfd = os.pidfd_open(pid)
        except OSError:
            send(self.sock, {"id": ident, "pid": pid})
            return
        try:
            send(self.sock, {"id": ident, "pid": pid}, [pidfd])
        finally:
            os.close(pidfd)

    def reap(self) -> None:
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            if pid in self.children:
                self.children.discard(pid)
                send(self.sock, {"exit": pid, "code": os.waitstatus_to_exitcode(status)})


# -- the file worker -------------------------------------------------------------------------


def start_worker(fd: int) -> int:
    """Fork the file worker on `fd` (its socket to the runtime); its pid."""
    pid = os.fork()
    if pid == 0:
        try:
            signal.set_wakeup_fd(-1)
            for sig in (signal.SIGCHLD, signal.SIGTERM, signal.SIGINT):
                signal.signal(sig, signal.SIG_DFL)
            FileWorker(fd).run()
        finally:
            os._exit(0)
    os.close(fd)
    return pid


class FileWorker:
    """envd's file operations and watches, in threads, on the sandbox's own paths."""

    def __init__(self, fd: int):
        self.sock = socket.socket(fileno=fd)
        self.sock.set_inheritable(False)
        self.sending = threading.Lock()
        self.watching = threading.Lock()  # the inotify state, shared by requests and its reader
        self.inotify: inotify.Inotify | None = None
        self.watches: dict[int, inotify.Watch] = {}
        # its threads, started now: under the sandbox's process limit none could be started later
        self.requests: queue.SimpleQueue[tuple[dict[str, Any], list[int]]] = queue.SimpleQueue()
        for number in range(WORKER_THREADS):
            threading.Thread(target=self.work, name=f"files-{number}", daemon=True).start()

    def send(self, message: dict[str, Any], fds: tuple[int, ...] = ()) -> None:
        with self.sending:
            try:
                send(self.sock, message, fds)
            except OSError:
                pass  # the runtime is gone; the main loop sees it too

    def run(self) -> None:
        while True:
            message, fds = receive(self.sock)
            if message is None:
                return
            self.requests.put((message, fds))

    def work(self) -> None:
        while True:
            message, fds = self.requests.get()
            self.serve(message, fds)

    def serve(self, message: dict[str, Any], fds: list[int]) -> None:
        ident = message.get("id")
        try:
            for fd in fds:
                os.close(fd)
            self.answer(ident, message)
        except Exception as err:  # noqa: BLE001 - every failure goes back as envd words it
            self.send({"id": ident, "error": fileops.failure_to_json(err)})

    def answer(self, ident: Any, message: dict[str, Any]) -> None:
        op = message.get("op")
        path = str(message.get("path") or "")
        if op == "stat":
            self.send({"id": ident, "ok": fileops.stat_path(path)})
        elif op == "list":
            entries = fileops.list_dir(path, int(message.get("depth") or 1))
            self.send_parts(ident, entries)
        elif op == "mkdir":
            self.send({"id": ident, "ok": fileops.make_dir(path)})
        elif op == "move":
            self.send({"id": ident, "ok": fileops.move(str(message["source"]), str(message["destination"]))})
        elif op == "remove":
            fileops.remove(path)
            self.send({"id": ident, "ok": None})
        elif op == "isdir":
            self.send({"id": ident, "ok": fileops.is_dir(path)})
        elif op == "read":
            fd, size = fileops.open_read(path)
            try:
                self.send({"id": ident, "ok": size}, (fd,))
            finally:
                os.close(fd)
        elif op == "upload":
            fd, tmp, target, mode = fileops.open_upload(path)
            try:
                self.send({"id": ident, "ok": [tmp, target, mode]}, (fd,))
            finally:
                os.close(fd)
        elif op == "commit":
            fileops.commit_upload(str(message["tmp"]), str(message["target"]), path)
            self.send({"id": ident, "ok": None})
        elif op == "discard":
            fileops.discard_upload(str(message["tmp"]))
            self.send({"id": ident, "ok": None})
        elif op == "watch":
            self.watch(
                ident, int(message["watch"]), path, bool(message.get("recursive")), bool(message.get("entry"))
            )
        elif op == "unwatch":
            with self.watching:
                watch = self.watches.pop(int(message.get("watch") or 0), None)
                if watch is not None:
                    watch.on_close = None
                    watch.close()
            self.send({"id": ident, "ok": None})
        else:
            raise fileops.Refused("invalid", f"unknown file operation {op!r}")

    def send_parts(self, ident: Any, entries: list[fileops.Entry]) -> None:
        """A long list in parts (a message has a size limit); the last part ends the answer."""
        part: list[fileops.Entry] = []
        size = 0
        for found in entries:
            part.append(found)
            size += len(found.get("path", "")) + 200
            if size >= PART:
                self.send({"id": ident, "more": part})
                part, size = [], 0
        self.send({"id": ident, "ok": part})

    def watch(self, request: Any, ident: int, path: str, recursive: bool, include_entry: bool) -> None:
        """Start watch `ident` (named by the runtime, which routes its events from the first one)
        and answer while holding the lock, so no event of it goes out before the answer."""
        with self.watching:
            if self.inotify is None:
                self.inotify = inotify.Inotify()
                try:
                    threading.Thread(target=self.read_events, name="inotify", daemon=True).start()
                except RuntimeError as err:  # no thread to be had: the sandbox's process limit
                    self.inotify.close()
                    self.inotify = None
                    raise OSError(errno.EAGAIN, str(err)) from None

            def emit(name: str, kind: str, found: fileops.Entry | None) -> None:
                self.send({"watch": ident, "name": name, "kind": kind, "entry": found})

            def ended() -> None:
                self.watches.pop(ident, None)
                self.send({"watch_end": ident})

            self.watches[ident] = inotify.open_watch(
                self.inotify, path, recursive, include_entry, emit, ended
            )
            self.send({"id": request, "ok": ident})

    def read_events(self) -> None:
        assert self.inotify is not None
        fd = self.inotify.fd
        while True:
            try:
                select.select([fd], [], [])
            except InterruptedError:
                continue
            except OSError:
                return
            with self.watching:
                self.inotify.read()


def main() -> None:
    spawn_fd, files_fd, processes, memory = (int(a) for a in sys.argv[1:5])
    not_dumpable()
    if processes > 0:
        resource.setrlimit(resource.RLIMIT_NPROC, (processes, processes))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    Agent(spawn_fd, files_fd, memory).run()


if __name__ == "__main__":
    main()
