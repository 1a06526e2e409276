"""One Jupyter kernel process, driven over ZeroMQ with jupyter_client's wire format.

The runtime owns the process: it builds the argv, writes a private connection file,
watches the process, routes every reply and iopub message to the request that caused
it, and at the end kills the process group and every process the kernel started.

- Each kernel has a directory of its own in the runtime's private 0700 folder, holding only
  its connection file (its key) and its sockets, removed when it stops.
- Transport: `ipc://` sockets in that directory wherever the kernel supports them (no other
  local user can connect, no port can collide); TCP on 127.0.0.1 for Deno and jjava, which
  cannot listen elsewhere (a start that loses its ports to another process is retried on
  fresh ones).
- Isolated (`sandbox`): the kernel runs inside the sandbox, which sees its directory (and no
  other file of the runtime) at `/run/e2b/kernels/NAME-TOKEN`; the runtime reaches its
  sockets from outside through that same directory. Deno and jjava listen on the sandbox's
  own 127.0.0.1, relayed to Unix sockets there by a bridge (`isolation/bridge.py`), so the
  runtime talks to every kernel over `ipc://`.
- Sends never block the event loop: a kernel that does not take a message (never came
  up, or its socket is gone) is reported, not waited for.
- The kernel's own stdout/stderr (diagnostics: start-up errors, crashes) go to a pipe of
  which the runtime keeps a bounded head and tail for error messages: nothing grows on
  disk, however much a kernel writes there.
- The start is bounded in time; a start that fails says why with the kernel's output.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from enum import Enum
from pathlib import Path
from typing import Any

import zmq
import zmq.asyncio
from jupyter_client.connect import write_connection_file
from jupyter_client.session import Session

from . import processes, wire
from .isolation.client import Sandbox, SandboxError, SandboxProcess
from .languages import LanguageSpec
from .wire import DIED, Channel, KernelEvent

START_TIMEOUT_ENV = "E2B_WORKBENCH_KERNEL_START_TIMEOUT"  # seconds, overrides every language's bound
TCP_START_ATTEMPTS = 3  # a TCP kernel whose ports were taken meanwhile gets fresh ones
OUTPUT_HEAD = 16 * 1024  # bytes of the kernel's own output kept from its start
OUTPUT_TAIL = 48 * 1024  # and from its end


# Start-up chatter of the kernels, never the reason anything failed.
LOG_NOISE = (
    "running over TCP without encryption",
    "Ctrl-C will not work",
    "To exit, you will have to explicitly quit this process",
    "To read more about this, see",
    "To connect another client to this kernel",
    "--existing ",
    "ipykernel_launcher",
    '"deno jupyter" is unstable',
    "entry point",
)
PORT_TAKEN = ("Address already in use", "AddrInUse", "EADDRINUSE")
V8_RESERVE_MB = 2048  # the least memory limit (RLIMIT_DATA) Deno's kernel starts under
PORT_NAMES = ("shell_port", "iopub_port", "stdin_port", "control_port", "hb_port")


class KernelStartError(RuntimeError):
    """The kernel process did not come up; the message says why."""

    hung = False  # it started, but its start-up code got no reply


class KernelState(Enum):
    NEW = "new"
    STARTING = "starting"
    READY = "ready"
    CLOSING = "closing"  # shut down by the runtime
    DEAD = "dead"  # the process ended


class OutputTail:
    """A kernel's own stdout/stderr, bounded: the first OUTPUT_HEAD bytes and the last OUTPUT_TAIL."""

    def __init__(self) -> None:
        self.head = bytearray()
        self.tail = bytearray()
        self.dropped = 0

    def add(self, data: bytes) -> None:
        room = OUTPUT_HEAD - len(self.head)
        if room > 0:
            self.head += data[:room]
            data = data[room:]
        if not data:
            return
        self.tail += data
        extra = len(self.tail) - OUTPUT_TAIL
        if extra > 0:
            del self.tail[:extra]
            self.dropped += extra

    def text(self) -> str:
        gap = f"\n[... {self.dropped} bytes ...]\n" if self.dropped else ""
        return bytes(self.head).decode("utf-8", "replace") + gap + bytes(self.tail).decode("utf-8", "replace")


class Kernel:
    """A running kernel. Messages for a request land in the queue registered for it."""

    def __init__(
        self,
        spec: LanguageSpec,
        cwd: str,
        workdir: Path,
        env: dict[str, str],
        owner: str = "",
        sandbox: Sandbox | None = None,
        memory_mb: int = 0,
    ):
        self.spec = spec
        self.sandbox = sandbox  # isolated: it runs inside this sandbox
        self.memory_mb = memory_mb  # isolated: each process's memory (the JVM sizes its heap to it)
        self.cwd = cwd
        self.workdir = workdir
        self.env = env
        self.token = secrets.token_hex(4)
        self.owner = f"{owner}{self.token}"  # its mark: the runtime's prefix + its own token
        self.proc: asyncio.subprocess.Process | SandboxProcess | None = None
        self.folder: Path | None = None  # its own directory: connection file and sockets
        self.inside = ""  # that directory as the kernel sees it
        self.session = Session(key=secrets.token_hex(16).encode(), username="e2b-workbench")
        self.ctx = zmq.asyncio.Context.instance()
        self.shell: zmq.asyncio.Socket | None = None
        self.control: zmq.asyncio.Socket | None = None
        self.iopub: zmq.asyncio.Socket | None = None
        self.stdin: zmq.asyncio.Socket | None = None
        self._senders: dict[int, zmq.Socket] = {}  # blocking twins, only ever used with DONTWAIT
        self.connection_file = ""
        self.output = OutputTail()
        self.waiters: dict[str, asyncio.Queue[KernelEvent]] = {}
        self.died = asyncio.Event()
        self.exit_code: int | None = None
        self.state = KernelState.NEW
        self.unreachable = ""  # why the runtime gave up on it while it ran, if it did
        self.on_death: Callable[[Kernel], None] | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._output_task: asyncio.Task[None] | None = None
        self.started_at = 0.0
        self._oom_kills = 0  # the sandbox's count of processes its memory limit killed, at start

    # -- lifecycle --------------------------------------------------------------

    @property
    def alive(self) -> bool:
        return self.proc is not None and not self.died.is_set()

    def doomed(self) -> bool:
        """Alive as far as the runtime has heard, but in a sandbox whose container has exited: its
        death is made known now (`died` is set within a few loop iterations, and `on_death`
        runs), rather than when its socket to the agent is seen to close."""
        return self.alive and self.sandbox is not None and self.sandbox.exited()

    @property
    def closing(self) -> bool:
        return self.state is KernelState.CLOSING

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc else None

    async def start(self, timeout: float | None = None) -> None:
        """Spawn the process and wait until it answers and publishes on iopub, within
        `timeout` (the language's start_timeout by default)."""
        if timeout is None:
            override = os.environ.get(START_TIMEOUT_ENV, "")
            timeout = float(override) if override.replace(".", "", 1).isdigit() else self.spec.start_timeout
        self.state = KernelState.STARTING
        deadline = time.monotonic() + timeout
        attempts = TCP_START_ATTEMPTS if self.spec.transport == "tcp" else 1
        for attempt in range(attempts):
            try:
                await self._start_once(max(1.0, deadline - time.monotonic()))
            except KernelStartError:
                last = attempt == attempts - 1 or time.monotonic() >= deadline
                if last or not any(word in self.output.text() for word in PORT_TAKEN):
                    raise
                self._reset()  # its ports were taken between choosing and binding: new ones
                continue
            self.state = KernelState.READY
            return

    def _reset(self) -> None:
        self.proc = None
        self.folder = None  # removed with the failed attempt: made again
        self.died = asyncio.Event()
        self.exit_code = None
        self.output = OutputTail()
        self.state = KernelState.STARTING

    def _connection(self) -> dict[str, Any]:
        stem = f"{self.spec.name}-{self.token}"
        if self.folder is None:
            if self.sandbox is not None:
                self.folder, self.inside = self.sandbox.kernel_dir(stem)
            else:
                self.folder = self.workdir / stem
                self.folder.mkdir(mode=0o700)
                self.inside = str(self.folder)
        # ipc: socket files kernel-1 ... kernel-5 in its directory
        tcp = self.spec.transport == "tcp"
        _path, info = write_connection_file(
            str(self.folder / "kernel.json"),
            ip="127.0.0.1" if tcp else f"{self.inside}/kernel",
            key=self.session.key,
            transport="tcp" if tcp else "ipc",
            kernel_name=self.spec.name,
        )
        self.connection_file = f"{self.inside}/kernel.json"  # as the kernel reads it
        os.chmod(self.folder / "kernel.json", 0o600)
        return dict(info)

    async def _start_once(self, timeout: float) -> None:
        info = self._connection()
        env = dict(self.env)
        env.update(self.spec.extra_env)
        if self.sandbox is None:  # (inside, its parent is PID 1: ipykernel would exit at once)
            env["JPY_PARENT_PID"] = str(os.getpid())
        env[processes.OWNER_ENV] = self.owner
        argv = self.spec.argv(self.connection_file)
        try:
            if self.sandbox is not None:
                self.proc = await self._spawn_inside(argv, env, info)
            else:
                self.proc = await asyncio.create_subprocess_exec(
                    *argv,
                    cwd=self.cwd,
                    env=env,
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.STDOUT,
                    close_fds=True,
                    start_new_session=True,
                    preexec_fn=processes.die_with_parent if sys.platform.startswith("linux") else None,
                )
        except (OSError, SandboxError) as err:
            raise KernelStartError(
                f"could not start the {self.spec.kernel} kernel ({argv[0]}): {err}"
            ) from err
        self.started_at = time.monotonic()
        self._oom_kills = self.sandbox.oom_kills() if self.sandbox is not None else 0
        self._output_task = asyncio.ensure_future(self._collect_output(self.proc))
        self._connect(info)
        self._tasks = [
            asyncio.ensure_future(self._watch_process()),
            asyncio.ensure_future(self._read(self.shell, Channel.SHELL)),
            asyncio.ensure_future(self._read(self.control, Channel.CONTROL)),
            asyncio.ensure_future(self._read(self.iopub, Channel.IOPUB)),
            asyncio.ensure_future(self._read(self.stdin, Channel.STDIN)),
        ]
        try:
            await asyncio.wait_for(self._wait_ready(), timeout)
        except (TimeoutError, KernelStartError) as err:
            detail = str(err) if isinstance(err, KernelStartError) else f"no answer within {timeout:.0f} s"
            await self.shutdown()
            raise KernelStartError(
                f"the {self.spec.kernel} kernel for {self.spec.name} did not start: {detail}."
                f"{self.output_excerpt()}"
            ) from None

    async def _spawn_inside(self, argv: list[str], env: dict[str, str], info: dict[str, Any]) -> SandboxProcess:
        """Start the kernel in the sandbox, its own output (both streams) on a pipe to us."""
        assert self.sandbox is not None
        if self.spec.name == "java" and self.memory_mb:
            argv = [argv[0], f"-XX:MaxRAM={self.memory_mb}m", *argv[1:]]  # its heap within the limit
        if self.spec.transport == "tcp":
            ports = [info[name] for name in PORT_NAMES]
            argv = self.sandbox.bridge_argv(f"{self.inside}/kernel", ports, argv)
        # V8 reserves about 2 GB of address space at start, which counts as data: below that
        # Deno's kernel cannot start at all
        memory = max(self.memory_mb, V8_RESERVE_MB) if self.spec.name in ("javascript", "typescript") else 0
        read_end, write_end = os.pipe2(os.O_CLOEXEC)
        null = os.open(os.devnull, os.O_RDONLY | os.O_CLOEXEC)
        try:
            proc = await self.sandbox.spawn(
                argv, cwd=self.cwd, env=env, stdio=[null, write_end, write_end], memory_mb=memory
            )
        except BaseException:
            os.close(read_end)
            raise
        finally:
            os.close(write_end)
            os.close(null)
        loop = asyncio.get_running_loop()
        reader = asyncio.StreamReader(limit=2**20)
        await loop.connect_read_pipe(
            lambda: asyncio.StreamReaderProtocol(reader), os.fdopen(read_end, "rb", buffering=0)
        )
        proc.stdout = reader
        return proc

    async def _collect_output(self, proc: asyncio.subprocess.Process | SandboxProcess) -> None:
        stream = proc.stdout
        if stream is None:
            return
        with contextlib.suppress(Exception):
            while chunk := await stream.read(65536):
                self.output.add(chunk)

    def _endpoint(self, info: dict[str, Any], name: str) -> str:
        if self.sandbox is not None:  # its own sockets, or the bridge's, in its directory
            return f"ipc://{self.folder}/kernel-{info[name]}"
        if info["transport"] == "ipc":
            return f"ipc://{info['ip']}-{info[name]}"
        return f"tcp://{info['ip']}:{info[name]}"

    def _connect(self, info: dict[str, Any]) -> None:
        ident = self.session.bsession

        def dealer(name: str) -> zmq.asyncio.Socket:
            sock = self.ctx.socket(zmq.DEALER)
            sock.setsockopt(zmq.IDENTITY, ident)
            sock.setsockopt(zmq.LINGER, 0)
            sock.connect(self._endpoint(info, name))
            self._senders[id(sock)] = zmq.Socket.shadow(sock.underlying)
            return sock

        self.shell = dealer("shell_port")
        self.control = dealer("control_port")
        self.stdin = dealer("stdin_port")
        self.iopub = self.ctx.socket(zmq.SUB)
        self.iopub.setsockopt(zmq.LINGER, 0)
        self.iopub.setsockopt(zmq.RCVHWM, 0)  # never drop output: we read as fast as it comes
        self.iopub.setsockopt(zmq.SUBSCRIBE, b"")
        self.iopub.connect(self._endpoint(info, "iopub_port"))

    async def _wait_ready(self) -> None:
        """kernel_info until it replies and its iopub reaches us (no output lost at start)."""
        queue: asyncio.Queue[KernelEvent] = asyncio.Queue()
        got_reply = got_iopub = False
        ids: list[str] = []
        try:
            while not (got_reply and got_iopub):
                if self.died.is_set():
                    raise KernelStartError(f"the process exited with code {self.exit_code}")
                msg = self.session.msg("kernel_info_request", {})
                msg_id = msg["header"]["msg_id"]
                ids.append(msg_id)
                self.waiters[msg_id] = queue
                self._send(self.shell, msg)  # not taken yet (never connected): asked again below
                deadline = time.monotonic() + (0.25 if got_reply else 1.0)
                while not (got_reply and got_iopub):
                    left = deadline - time.monotonic()
                    if left <= 0:
                        break
                    try:
                        channel, _msg = await asyncio.wait_for(queue.get(), left)
                    except TimeoutError:
                        break
                    if channel is Channel.DIED:
                        raise KernelStartError(f"the process exited with code {self.exit_code}")
                    if channel is Channel.SHELL:
                        got_reply = True
                    elif channel is Channel.IOPUB:
                        got_iopub = True
                if got_reply and not got_iopub and len(ids) > 20:
                    break  # a kernel that never publishes status for kernel_info
        finally:
            for msg_id in ids:
                self.waiters.pop(msg_id, None)

    async def _watch_process(self) -> None:
        proc = self.proc
        assert proc is not None
        code = await proc.wait()
        if proc is not self.proc:
            return
        self.exit_code = code
        if self.state is not KernelState.CLOSING:
            self.state = KernelState.DEAD
        self.died.set()
        for queue in list(self.waiters.values()):
            queue.put_nowait(DIED)
        if self.on_death is not None and not self.closing:
            self.on_death(self)

    async def _read(self, sock: zmq.asyncio.Socket | None, channel: Channel) -> None:
        assert sock is not None
        waiters = self.waiters
        decode = wire.decode
        key = self.session.key
        while True:
            try:
                frames = await sock.recv_multipart()
            except (zmq.ZMQError, asyncio.CancelledError):
                return
            msg = decode(key, frames)
            if msg is None:
                continue  # a malformed or unsigned message is not ours to act on
            queue = waiters.get(msg["parent_header"].get("msg_id"))
            if queue is not None:
                queue.put_nowait(KernelEvent(channel, msg))

    def _send(self, sock: zmq.asyncio.Socket | None, msg: dict[str, Any]) -> bool:
        """Send without ever blocking; False when the socket would not take it now."""
        sender = self._senders.get(id(sock)) if sock is not None else None
        if sender is None or sender.closed:
            return False
        frames = self.session.serialize(msg)
        try:
            sender.send_multipart(frames, flags=zmq.DONTWAIT)
        except zmq.ZMQError:  # Again (no peer, or its queue is full), or the socket is gone
            return False
        return True

    def send_control(self, msg_type: str, content: dict[str, Any]) -> str:
        msg = self.session.msg(msg_type, content)
        self._send(self.control, msg)
        return str(msg["header"]["msg_id"])

    def execute_request(self, code: str, silent: bool = False) -> tuple[str, asyncio.Queue[KernelEvent]]:
        """Send code; its messages arrive in the returned queue as (channel, msg)."""
        queue: asyncio.Queue[KernelEvent] = asyncio.Queue()
        msg = self.session.msg(
            "execute_request",
            {
                "code": code,
                "silent": silent,
                "store_history": not silent,
                "user_expressions": {},
                "allow_stdin": False,
                # never let one run's error abort the next request (ipykernel's
                # `aborted` replies after an interrupt come from this)
                "stop_on_error": False,
            },
        )
        msg_id = str(msg["header"]["msg_id"])
        self.waiters[msg_id] = queue
        if self.died.is_set():
            queue.put_nowait(DIED)
        elif not self._send(self.shell, msg):
            self.give_up("it stopped taking requests (its shell socket refused the message)")
        return msg_id, queue

    def request(self, msg_type: str, content: dict[str, Any]) -> tuple[str, asyncio.Queue[KernelEvent]]:
        """Send any shell request (complete_request, inspect_request...); its reply arrives in
        the returned queue (forget the id when done)."""
        queue: asyncio.Queue[KernelEvent] = asyncio.Queue()
        msg = self.session.msg(msg_type, content)
        msg_id = str(msg["header"]["msg_id"])
        self.waiters[msg_id] = queue
        if self.died.is_set() or not self._send(self.shell, msg):
            queue.put_nowait(DIED)
        return msg_id, queue

    def give_up(self, why: str) -> None:
        """Kill a kernel that cannot be used any more; its death (and `why`) is reported as usual."""
        if self.alive and not self.unreachable:
            self.unreachable = why
            self.kill_now()

    def forget(self, msg_id: str) -> None:
        self.waiters.pop(msg_id, None)

    async def run_silent(self, code: str, timeout: float = 30.0) -> dict[str, Any]:
        """Run setup code nobody sees; the reply content (status "error" with the reason
        in evalue when the kernel died or did not reply in time)."""
        msg_id, queue = self.execute_request(code, silent=True)
        reply: dict[str, Any] | None = None
        idle = False
        try:
            async with asyncio.timeout(timeout):
                while reply is None or not idle:
                    channel, msg = await queue.get()
                    if channel is Channel.DIED or msg is None:
                        return {"status": "error", "ename": "KernelDied", "evalue": self.death_reason()}
                    if channel is Channel.SHELL:
                        reply = msg["content"]
                    elif msg["msg_type"] == "status" and msg["content"].get("execution_state") == "idle":
                        idle = True
        except TimeoutError:
            if reply is None:
                reason = (
                    f"no reply from the {self.spec.name} kernel within {timeout:g} s "
                    f"(it is busy or hung).{self.output_excerpt(8)}"
                )
                return {"status": "error", "ename": "NoReply", "evalue": reason}
        finally:
            self.forget(msg_id)
        assert reply is not None
        return reply

    def refuse_input(self, request: dict[str, Any]) -> None:
        """Answer an input_request with nothing (end of input), then interrupt: runs have no
        stdin. IRkernel waits for the answer in C code, where no interrupt reaches it."""
        msg = self.session.msg("input_reply", {"value": ""}, parent=request["header"])
        self._send(self.stdin, msg)
        self.interrupt()

    def interrupt(self) -> None:
        """Interrupt what runs now (signal or control message, as the kernel wants)."""
        if not self.alive:
            return
        if self.spec.interrupt_mode == "message":
            self.send_control("interrupt_request", {})
            return
        assert self.proc is not None
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, signal.SIGINT)

    async def shutdown(self) -> None:
        """Stop the process group (TERM, then KILL), every process it started, and free
        every resource. The kernel's output stays readable for error messages."""
        self.state = KernelState.CLOSING
        proc = self.proc
        started: set[int] = set()
        if proc is not None:
            started = processes.descendants(proc.pid) if proc.returncode is None else set()
        if proc is not None and proc.returncode is None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGTERM)
            try:
                await asyncio.wait_for(asyncio.shield(self.died.wait()), 2.0)
            except TimeoutError:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(proc.pid, signal.SIGKILL)
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(asyncio.shield(self.died.wait()), 5.0)
        if proc is not None:
            # anything the kernel started goes too: its group, its tree, whatever bears its mark
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGKILL)
            processes.kill(started)
            processes.kill_marked(self.owner)
        for task in self._tasks:
            task.cancel()
        if self._output_task is not None:
            with contextlib.suppress(TimeoutError, asyncio.CancelledError, Exception):
                await asyncio.wait_for(asyncio.shield(self._output_task), 0.5)
            self._output_task.cancel()
        for sock in (self.shell, self.control, self.iopub, self.stdin):
            if sock is not None:
                sock.close(linger=0)
        self._senders.clear()
        if self.folder is not None:  # its key and its sockets
            shutil.rmtree(self.folder, ignore_errors=True)

    def kill_now(self) -> None:
        """Synchronous last resort (interpreter exit, a kernel that takes no requests)."""
        if self.proc is not None and self.proc.returncode is None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.proc.pid, signal.SIGKILL)

    def output_excerpt(self, lines: int = 15) -> str:
        """The last lines of the kernel's own output (start-up noise left out), or ''."""
        text = self.output.text().strip()
        if not text:
            return ""
        kept = [line for line in text.splitlines() if not any(n in line for n in LOG_NOISE) and line.strip()]
        if not kept:
            return ""
        tail = "\n".join(kept[-lines:])
        return f"\nKernel output:\n{tail}"

    def death_reason(self) -> str:
        code = self.exit_code
        if code is not None and code < 0:
            try:
                how = f"killed by {signal.Signals(-code).name}"
            except ValueError:
                how = f"killed by signal {-code}"
        else:
            how = f"exited with code {code}"
        why = f"; the runtime replaced it because {self.unreachable}" if self.unreachable else ""
        if code == -signal.SIGKILL and self.sandbox is not None and self.sandbox.oom_kills() > self._oom_kills:
            why += f"; the sandbox ran out of memory (its limit: {self.sandbox.memory_limit_mb()} MB)"
        return f"The {self.spec.name} kernel died ({how}{why}).{self.output_excerpt(8)}"
