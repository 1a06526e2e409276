"""The runtime's side of an isolated sandbox: start the container, spawn into it, its files.

`Sandbox.start()` runs bubblewrap with the agent as its PID 1 and two socket pairs to it:
one for processes (`spawn`, and the `exit` of each), one for the file worker. A process
spawned inside is a `SandboxProcess`: its pid outside (learned from the pidfd the agent
sends, or, when it has already ended, from the credentials of the `born` message it sent
before it ran), which the runtime signals and watches in /proc like any process of its own,
and its exit status as the agent reports it (the agent, PID 1 inside, is its parent). `files` is the
envd file backend (`envd/storage.py`) whose operations run inside.

Everything that comes from inside is treated as untrusted: the messages are parsed defensively,
and a pidfd only ever names a process of the sandbox (the agent can see no other).

The sandbox dies with the runtime: bubblewrap gets a parent-death signal, the agent bwrap's
(`--die-with-parent`), and when PID 1 goes every process of its namespace goes. Should the
agent die anyway (the memory cgroup's OOM killer), every process of the sandbox is reported
ended, and the next spawn starts a new sandbox on the same workspace.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import json
import os
import secrets
import shutil
import signal
import socket
import struct
import subprocess
import sys
from array import array
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .. import fileops, inotify
from ..fileops import Entry
from ..processes import HELD, die_with_parent
from . import bwrap, settings
from .limits import CGroup, sandbox_memory

AGENT = Path(__file__).with_name("agent.py")
PYTHON_VERSION = f"{sys.version_info.major}.{sys.version_info.minor}"
BRIDGE = Path(__file__).with_name("bridge.py")
MAX_MESSAGE = 256 * 1024
MAX_FDS = 4
# room for a message's descriptors and its sender's credentials (struct ucred: pid, uid, gid)
ANCILLARY = socket.CMSG_SPACE(MAX_FDS * 4) + socket.CMSG_SPACE(struct.calcsize("iII"))
START_TIMEOUT = 30.0
EARLY_KEPT = 256  # births and exits kept for spawns whose answers are still being read


class SandboxError(RuntimeError):
    """The sandbox could not be started (or is gone); the message says why."""


def _resolve(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


def _host_pid(pidfd: int) -> int | None:
    """The pid (in the runtime's namespace) of the process a pidfd refers to."""
    try:
        for line in Path(f"/proc/self/fdinfo/{pidfd}").read_text().splitlines():
            if line.startswith("Pid:"):
                pid = int(line.split()[1])
                return pid if pid > 0 else None
    except (OSError, ValueError, IndexError):
        pass
    return None


def _receive(sock: socket.socket) -> tuple[bytes, list[int], int | None]:
    """One message, the descriptors with it, and its sender's pid here (None unless the socket
    has SO_PASSCRED)."""
    data, ancillary, _flags, _addr = sock.recvmsg(MAX_MESSAGE, ANCILLARY)
    fds: list[int] = []
    sender = None
    for level, kind, payload in ancillary:
        if level != socket.SOL_SOCKET:
            continue
        if kind == socket.SCM_RIGHTS:
            fds += array("i", payload[: len(payload) - len(payload) % 4]).tolist()
        elif kind == socket.SCM_CREDENTIALS and len(payload) >= struct.calcsize("iII"):
            sender = struct.unpack_from("iII", payload)[0] or None
    return data, fds, sender


Event = Callable[[dict[str, Any], list[int], int | None], None]


class Link:
    """One SOCK_SEQPACKET socket to the agent: requests with ids, answers, unsolicited events
    (with their sender's pid, where the socket asks for credentials)."""

    def __init__(self, sock: socket.socket, on_event: Event):
        self.sock = sock
        self.sock.setblocking(False)
        self.on_event = on_event
        self.pending: dict[int, tuple[asyncio.Future[Any], list[Any]]] = {}
        self.next_id = 1
        self.closed = False
        self.on_close: Callable[[], None] | None = None
        self.loop = asyncio.get_running_loop()
        self.loop.add_reader(sock.fileno(), self._readable)

    def _readable(self) -> None:
        while not self.closed:
            try:
                data, fds, sender = _receive(self.sock)
            except BlockingIOError:
                return
            except OSError:
                data, fds, sender = b"", [], None
            if not data:
                for fd in fds:
                    os.close(fd)
                self.close()
                return
            try:
                message = json.loads(data)
            except ValueError:
                message = None
            if not isinstance(message, dict):
                for fd in fds:
                    os.close(fd)
                continue
            self._dispatch(message, fds, sender)

    def _dispatch(self, message: dict[str, Any], fds: list[int], sender: int | None) -> None:
        ident = message.get("id")
        if not isinstance(ident, int) or ident not in self.pending:
            self.on_event(message, fds, sender)
            return
        future, parts = self.pending[ident]
        if "more" in message:
            parts.append(message["more"])
            for fd in fds:
                os.close(fd)
            return
        del self.pending[ident]
        if future.done():
            for fd in fds:
                os.close(fd)
            return
        if "error" in message or "errno" in message:
            for fd in fds:
                os.close(fd)
            if isinstance(message.get("error"), dict):
                future.set_exception(fileops.failure_from_json(message["error"]))
            else:
                code = int(message.get("errno") or errno.EIO)
                future.set_exception(OSError(code, str(message.get("error") or os.strerror(code))))
            return
        future.set_result((message, fds, parts))

    async def request(
        self, message: dict[str, Any], fds: list[int] | None = None
    ) -> tuple[dict[str, Any], list[int], list[Any]]:
        """Send a request (and descriptors); its answer, the descriptors with it, earlier parts."""
        if self.closed:
            raise SandboxError("the sandbox is gone")
        ident = self.next_id
        self.next_id += 1
        future: asyncio.Future[Any] = self.loop.create_future()
        self.pending[ident] = (future, [])
        data = json.dumps({**message, "id": ident}, separators=(",", ":")).encode()
        while True:
            try:
                if fds:
                    socket.send_fds(self.sock, [data], fds)
                else:
                    self.sock.send(data)
                break
            except BlockingIOError:
                writable: asyncio.Future[None] = self.loop.create_future()
                self.loop.add_writer(self.sock.fileno(), _resolve, writable)
                try:
                    await writable
                finally:
                    self.loop.remove_writer(self.sock.fileno())
            except OSError as err:
                self.pending.pop(ident, None)
                if err.errno == errno.EMSGSIZE:  # this request only: the link is fine
                    raise OSError(
                        errno.E2BIG, f"the request is too large for the sandbox ({len(data)} bytes)"
                    ) from None
                self.close()
                raise SandboxError(f"the sandbox is gone ({err.strerror})") from None
        return await future

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        with contextlib.suppress(Exception):
            self.loop.remove_reader(self.sock.fileno())
        self.sock.close()
        for future, _parts in self.pending.values():
            if not future.done():
                future.set_exception(SandboxError("the sandbox is gone"))
        self.pending.clear()
        if self.on_close is not None:
            self.on_close()


class SandboxProcess:
    """A process inside the sandbox, as subprocess and asyncio show theirs."""

    def __init__(self, pid: int, inner_pid: int):
        self.pid = pid  # in the runtime's PID namespace: what it signals and finds in /proc
        self.inner_pid = inner_pid  # what the sandbox's own processes see
        self.returncode: int | None = None
        self.stdout: asyncio.StreamReader | None = None
        self._done = asyncio.Event()

    def ended(self, code: int) -> None:
        if self.returncode is None:
            self.returncode = code
            self._done.set()

    def poll(self) -> int | None:
        return self.returncode

    async def wait(self) -> int:
        await self._done.wait()
        assert self.returncode is not None
        return self.returncode


class Sandbox:
    """One isolated sandbox (bubblewrap + agent), started on the runtime's event loop."""

    def __init__(self, isolation: settings.Isolation, folder: Path, mark: str = ""):
        self.isolation = isolation
        self.folder = folder  # in the runtime's private folder: tmp/ and kernels/
        self.tmp = folder / "tmp"
        self.kernels = folder / "kernels"
        self.mark = mark
        self.proc: subprocess.Popen[bytes] | None = None
        self.spawner: Link | None = None
        self.files = SandboxFiles(self)
        self.processes: dict[int, SandboxProcess] = {}
        self.cgroup: CGroup | None = None
        # by pid inside, for spawns whose answer is not read yet: pids outside (from `born`),
        # and exit statuses (a quick process can end before its spawn's answer is read)
        self._born: dict[int, int] = {}
        self._ended: dict[int, int] = {}
        self.generation = 0
        self._starting: asyncio.Task[None] | None = None
        self._files_restart: asyncio.Task[None] | None = None
        self.closed = False

    # -- start and stop ------------------------------------------------------------------

    async def ensure(self) -> None:
        """Started (again, if the last one died); SandboxError when it cannot be."""
        if self.closed:
            raise SandboxError("the runtime is shutting down")
        if self.spawner is not None and not self.spawner.closed and not self.exited():
            return
        if self._starting is None or self._starting.done():
            self._starting = asyncio.ensure_future(self._start())
        await asyncio.shield(self._starting)

    async def start(self) -> None:
        await self.ensure()

    async def _start(self) -> None:
        problem = bwrap.problem()
        if problem:
            raise SandboxError(f"Isolation is not available: {problem}.")
        for folder, mode in ((self.folder, 0o700), (self.tmp, 0o1777), (self.kernels, 0o700)):
            folder.mkdir(parents=True, exist_ok=True)
            os.chmod(folder, mode)
        Path(self.isolation.workspace).mkdir(parents=True, exist_ok=True)
        # where pip installs (on PYTHONPATH from the start: a folder made later would go unseen
        # by a running kernel's import system until it cleared its caches)
        site = Path(self.isolation.workspace, ".local", "lib", f"python{PYTHON_VERSION}", "site-packages")
        with contextlib.suppress(OSError):
            site.mkdir(parents=True, exist_ok=True)
        if self.cgroup is None and os.geteuid() == 0:
            self.cgroup = CGroup(
                f"e2b-workbench-{secrets.token_hex(4)}",
                self.isolation.processes,
                sandbox_memory(self.isolation.memory_mb * 1024 * 1024),
            )
            # for the guardian, should the runtime be killed outright
            (self.folder / "cgroups").write_text("".join(f"{f}\n" for f in self.cgroup.folders))
        spawn_ours, spawn_theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        spawn_ours.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)  # who sent `born`
        files_ours, files_theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        data_fds = {
            "/etc/passwd": _memfd(bwrap.PASSWD),
            "/etc/group": _memfd(bwrap.GROUP),
            "/etc/hosts": _memfd(bwrap.HOSTS),
            "/etc/hostname": _memfd(bwrap.HOSTNAME + "\n"),
        }
        agent = [
            sys.executable,
            "-I",
            "-S",
            str(AGENT),
            str(spawn_theirs.fileno()),
            str(files_theirs.fileno()),
            str(self.isolation.processes),
            str(self.isolation.memory_mb * 1024 * 1024),
        ]
        argv = bwrap.argv(
            self.isolation, tmp=str(self.tmp), kernels=str(self.kernels), data_fds=data_fds, agent=agent
        )
        keep = [spawn_theirs.fileno(), files_theirs.fileno(), *data_fds.values()]
        cgroup = self.cgroup if self.cgroup is not None and self.cgroup.folders else None

        def preexec() -> None:  # pragma: no cover - runs in the child between fork and exec
            die_with_parent()
            if cgroup is not None:
                cgroup.join()

        previous = self.proc.pid if self.proc is not None else None
        env = {"PATH": os.environ.get("PATH", os.defpath), "LANG": "C.UTF-8"}
        if self.mark:
            env[_mark_name()] = self.mark
        try:
            self.proc = subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                pass_fds=keep,
                env=env,
                start_new_session=True,
                preexec_fn=preexec,
            )
        finally:
            spawn_theirs.close()
            files_theirs.close()
            for fd in data_fds.values():
                os.close(fd)
        if previous is not None:
            HELD.discard(previous)
        HELD.add(self.proc.pid)  # its exit status is ours to read, not the orphan reaper's
        self.generation += 1
        self.spawner = Link(spawn_ours, self._event)
        self.spawner.on_close = self._agent_gone
        self.files.connect(Link(files_ours, self.files.event))
        try:
            await asyncio.wait_for(self.spawner.request({"op": "ping"}), START_TIMEOUT)
        except (TimeoutError, SandboxError) as err:
            detail = self._bwrap_error() or (
                f"no answer within {START_TIMEOUT:g} s" if isinstance(err, TimeoutError) else str(err)
            )
            self.kill_now()
            raise SandboxError(f"The isolated sandbox did not start: {detail}") from None

    async def restart_file_worker(self) -> None:
        """A new file worker, when the last one died while the sandbox lives on (its code can
        kill it: they are one user; unlike PID 1, which it cannot)."""
        if self._files_restart is None or self._files_restart.done():
            self._files_restart = asyncio.ensure_future(self._restart_files())
        await asyncio.shield(self._files_restart)

    async def _restart_files(self) -> None:
        assert self.spawner is not None
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            await self.spawner.request({"op": "files"}, [theirs.fileno()])
        except BaseException:
            ours.close()
            raise
        finally:
            theirs.close()
        self.files.connect(Link(ours, self.files.event))

    def _bwrap_error(self) -> str:
        proc = self.proc
        if proc is None or proc.stderr is None:
            return ""
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(2)
        if proc.returncode is None:
            return ""
        return proc.stderr.read().decode("utf-8", "replace").strip()[-2000:]

    def exited(self) -> bool:
        """Whether the container has exited (bubblewrap killed, or its PID 1, which takes bubblewrap
        along). Every process of it is then reported ended at once: the agent's socket says so
        too, but a moment later (the agent can outlive bubblewrap briefly), and a run or spawn
        that came meanwhile would go to a sandbox already dying instead of a new one."""
        proc = self.proc
        if self.closed or proc is None or proc.poll() is None:
            return False
        if self.spawner is not None:
            self.spawner.close()  # -> _agent_gone (once: a closed link does nothing)
        return True

    def _agent_gone(self) -> None:
        for process in list(self.processes.values()):
            process.ended(-signal.SIGKILL)
        self.processes.clear()
        self._born.clear()
        self._ended.clear()
        self.files.gone()
        if self.proc is not None and self.proc.poll() is None and not self.closed:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.proc.pid, signal.SIGKILL)

    def _event(self, message: dict[str, Any], fds: list[int], sender: int | None) -> None:
        for fd in fds:
            os.close(fd)
        born = message.get("born")
        if isinstance(born, int) and sender is not None:  # before its spawn's answer
            _keep(self._born, born, sender)
            self._ended.pop(born, None)  # an earlier process's, with the same pid inside
            return
        inner = message.get("exit")
        code = message.get("code")
        if isinstance(inner, int) and isinstance(code, int):
            process = self.processes.pop(inner, None)
            if process is not None:
                process.ended(code)
            else:  # its spawn's answer came in with it, and is not read yet
                _keep(self._ended, inner, code)

    async def stop(self) -> None:
        """Stop every process of the sandbox (PID 1 exits, the namespace goes with it)."""
        self.closed = True
        if self.spawner is not None:
            self.spawner.close()
        self.files.close()
        proc = self.proc
        if proc is not None and proc.poll() is None:
            loop = asyncio.get_running_loop()
            try:
                await asyncio.wait_for(loop.run_in_executor(None, proc.wait), 5.0)
            except TimeoutError:
                self.kill_now()
        self.kill_now()
        if proc is not None and proc.stderr is not None:
            proc.stderr.close()
        if self.cgroup is not None:
            self.cgroup.remove()
        if self.isolation.ephemeral:
            shutil.rmtree(self.isolation.workspace, ignore_errors=True)

    def kill_now(self) -> None:
        """Last resort (atexit, signal): SIGKILL the container (its PID 1 takes everything along)."""
        proc = self.proc
        if proc is not None and proc.poll() is None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGKILL)
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(5)

    # -- processes -------------------------------------------------------------------------

    async def spawn(
        self,
        argv: list[str],
        *,
        cwd: str,
        env: dict[str, str],
        stdio: list[int],
        tty: bool = False,
        memory_mb: int = 0,
    ) -> SandboxProcess:
        """Start `argv` inside, in a session of its own, with `stdio` as its stdin, stdout and
        stderr (or one terminal for all three, made its controlling terminal when `tty`), and
        `memory_mb` (by default the sandbox's) as its memory limit."""
        await self.ensure()
        assert self.spawner is not None
        request = {"op": "spawn", "argv": argv, "cwd": cwd, "env": env, "tty": tty}
        if memory_mb:
            request["data"] = memory_mb * 1024 * 1024
        message, fds, _ = await self.spawner.request(request, stdio)
        inner = message.get("pid")
        host = None
        for fd in fds:
            host = host or _host_pid(fd)
            os.close(fd)
        if isinstance(inner, int):
            born = self._born.pop(inner, None)
            host = host or born  # the pidfd names no process once it has ended and been reaped
        if not isinstance(inner, int) or host is None:
            raise SandboxError("the sandbox did not say which process it started")
        process = SandboxProcess(host, inner)
        code = self._ended.pop(inner, None)
        if code is not None:
            process.ended(code)  # already over
        else:
            self.processes[inner] = process
        return process

    def oom_kills(self) -> int:
        """Processes of the sandbox its memory cgroup has killed so far (0 without one)."""
        return self.cgroup.oom_kills() if self.cgroup is not None else 0

    def memory_limit_mb(self) -> int:
        """The whole sandbox's memory limit (the cgroup's), in MB."""
        return sandbox_memory(self.isolation.memory_mb * 1024 * 1024) // (1024 * 1024)

    def kernel_dir(self, stem: str) -> tuple[Path, str]:
        """A new directory for one kernel: (its path here, its path inside)."""
        folder = self.kernels / stem
        folder.mkdir(mode=0o700)
        return folder, f"{settings.KERNELS}/{stem}"

    def bridge_argv(self, inside_prefix: str, ports: list[int], argv: list[str]) -> list[str]:
        """`argv` behind a relay of its TCP `ports` to Unix sockets `inside_prefix-PORT`."""
        return [sys.executable, "-I", "-S", str(BRIDGE), inside_prefix, *map(str, ports), "--", *argv]

    def describe(self) -> dict[str, Any]:
        """What GET /sandbox says about it."""
        cgroup = self.cgroup if self.cgroup is not None and self.cgroup.folders else None
        limited = os.geteuid() != 0 or (cgroup is not None and cgroup.limits_processes)
        return {
            "isolated": True,
            "network": self.isolation.network,
            "home": settings.HOME,
            "workspace": self.isolation.workspace,
            "ephemeral": self.isolation.ephemeral,
            "backend": bwrap.version() or "bubblewrap",
            "limits": {
                "memory_mb": self.isolation.memory_mb,
                "processes": self.isolation.processes if limited else None,
                "cgroup": cgroup.kind if cgroup is not None else None,
            },
        }


def _keep(found: dict[int, int], key: int, value: int) -> None:
    """Note `value` for `key`, the oldest notes dropped past EARLY_KEPT (a spawn that failed
    after its process was born leaves its note behind)."""
    found.pop(key, None)
    found[key] = value
    while len(found) > EARLY_KEPT:
        del found[next(iter(found))]


def _mark_name() -> str:
    from ..processes import OWNER_ENV

    return OWNER_ENV


def _memfd(text: str) -> int:
    fd = os.memfd_create("e2b-sandbox-file", 0)  # not close-on-exec: bwrap reads it
    os.write(fd, text.encode())
    os.lseek(fd, 0, os.SEEK_SET)
    return fd


class _RemoteWatch:
    def __init__(self, files: SandboxFiles, ident: int, emit: inotify.Emit, on_close: Callable[[], Any]):
        self.files = files
        self.ident = ident
        self.emit = emit
        self.on_close = on_close

    def close(self) -> None:
        if self.files.watches.pop(self.ident, None) is not None:
            self.files.fire_and_forget({"op": "unwatch", "watch": self.ident})


class SandboxFiles:
    """envd's file backend for an isolated runtime: every operation runs in the file worker."""

    def __init__(self, sandbox: Sandbox):
        self.sandbox = sandbox
        self.link: Link | None = None
        self.watches: dict[int, _RemoteWatch] = {}
        self.next_watch = 0
        self._background: set[asyncio.Task[Any]] = set()

    def connect(self, link: Link) -> None:
        self.link = link
        link.on_close = self.gone  # its watches end with it

    def event(self, message: dict[str, Any], fds: list[int], _sender: int | None = None) -> None:
        for fd in fds:
            os.close(fd)
        if "watch" in message:
            watch = self.watches.get(message["watch"])
            if watch is not None:
                found = message.get("entry")
                watch.emit(
                    str(message.get("name", "")),
                    str(message.get("kind", "")),
                    found if isinstance(found, dict) else None,
                )
        elif "watch_end" in message:
            watch = self.watches.pop(message["watch_end"], None)
            if watch is not None:
                watch.on_close()

    def gone(self) -> None:
        for watch in list(self.watches.values()):
            watch.on_close()
        self.watches.clear()

    def close(self) -> None:
        if self.link is not None:
            self.link.close()
        self.gone()

    async def _ask(self, message: dict[str, Any]) -> tuple[Any, list[int]]:
        await self.sandbox.ensure()
        if self.link is None or self.link.closed:  # the worker died (the sandbox's code killed it)
            await self.sandbox.restart_file_worker()
        assert self.link is not None
        answer, fds, parts = await self.link.request(message)
        result = answer.get("ok")
        if parts:
            merged: list[Any] = []
            for part in parts:
                merged += part
            result = merged + list(result or [])
        return result, fds

    async def _value(self, message: dict[str, Any]) -> Any:
        result, fds = await self._ask(message)
        for fd in fds:
            os.close(fd)
        return result

    def fire_and_forget(self, message: dict[str, Any]) -> None:
        if self.link is None or self.link.closed:
            return
        task = asyncio.ensure_future(self._value(message))
        self._background.add(task)
        task.add_done_callback(self._forget)

    def _forget(self, task: asyncio.Task[Any]) -> None:
        self._background.discard(task)
        if not task.cancelled():
            task.exception()  # a failure nobody waits for is no error to log

    async def stat(self, path: str) -> Entry:
        return dict(await self._value({"op": "stat", "path": path}))

    async def list_dir(self, path: str, depth: int) -> list[Entry]:
        return list(await self._value({"op": "list", "path": path, "depth": depth}))

    async def make_dir(self, path: str) -> Entry:
        return dict(await self._value({"op": "mkdir", "path": path}))

    async def move(self, source: str, destination: str) -> Entry:
        return dict(await self._value({"op": "move", "source": source, "destination": destination}))

    async def remove(self, path: str) -> None:
        await self._value({"op": "remove", "path": path})

    async def is_dir(self, path: str) -> bool:
        return bool(await self._value({"op": "isdir", "path": path}))

    async def open_read(self, path: str) -> tuple[int, int]:
        size, fds = await self._ask({"op": "read", "path": path})
        if len(fds) != 1:
            for fd in fds:
                os.close(fd)
            raise OSError(errno.EIO, "the sandbox sent no file")
        return fds[0], int(size)

    async def open_upload(self, path: str) -> tuple[int, str, str, int | None]:
        found, fds = await self._ask({"op": "upload", "path": path})
        if len(fds) != 1:
            for fd in fds:
                os.close(fd)
            raise OSError(errno.EIO, "the sandbox sent no file")
        tmp, target, mode = found
        return fds[0], str(tmp), str(target), (int(mode) if mode is not None else None)

    async def commit_upload(self, tmp: str, target: str, path: str) -> None:
        await self._value({"op": "commit", "tmp": tmp, "target": target, "path": path})

    def discard_upload(self, tmp: str) -> None:
        self.fire_and_forget({"op": "discard", "tmp": tmp})

    async def watch(
        self,
        path: str,
        recursive: bool,
        include_entry: bool,
        emit: inotify.Emit,
        on_close: Callable[[], Any],
    ) -> _RemoteWatch:
        self.next_watch += 1
        watch = _RemoteWatch(self, self.next_watch, emit, on_close)
        self.watches[watch.ident] = watch  # before asking: its first events may come with the answer
        request = {
            "op": "watch",
            "watch": watch.ident,
            "path": path,
            "recursive": recursive,
            "entry": include_entry,
        }
        try:
            await self._value(request)
        except BaseException:
            self.watches.pop(watch.ident, None)
            raise
        return watch

    def shutdown(self) -> None:
        for watch in list(self.watches.values()):
            watch.close()
