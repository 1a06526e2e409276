"""envd's `process.Process` service: the commands and terminals the runtime starts, and only those.

`sbx.commands.run(cmd)` asks for `/bin/bash -l -c cmd`, `sbx.pty.create()` for `/bin/bash -i -l`
on a terminal; both arrive here as `Start`, which streams a start event (the pid), the output
(stdout and stderr apart, or the terminal's output) and an end event (exit code, Go's status
text such as `exit status 1` or `signal: killed`, and that text as `error` when the command
failed). `Connect` follows a running process the same way from now on; `List`, `SendInput`,
`StreamInput`, `CloseStdin`, `SendSignal` and `Update` (a terminal's size) act on it.

The table holds only processes this runtime started: a pid (or tag) it did not start is
NOT_FOUND, so the RPCs can never list, signal or feed an arbitrary process of the machine. Each
process leads its own session, and a signal goes to the whole session (its process group and
any other group in it, like an interactive shell's jobs), so `kill` takes the command's
children with it. Every command gets a parent-death signal (PR_SET_PDEATHSIG: it dies with the
runtime), and the runtime kills every session it started when it stops, also those whose leader
ended but left something running (`server &`). Processes are spawned with
`subprocess.Popen(close_fds=True)` and awaited through a pidfd, not with the event loop's
subprocess support: uvloop ignores `close_fds` and leaves inheritable copies of the child's
stdio open in it, and a command must get stdin, stdout and stderr, nothing else.

As on E2B, the stream's deadline (the SDK's `timeout`, sent as `connect-timeout-ms`) bounds the
process itself: when it passes, the stream ends with DEADLINE_EXCEEDED (the SDK's
`TimeoutException`) and the session is killed; a client that disconnects early leaves the
process running (`connect` finds it again). The default directory is the sandbox user's home,
the runtime's workspace; the environment is the runtime's with the sandbox's Python environment
first on PATH (sandboxenv), plus `envs`. Output is relayed as it
comes; a listener that reads slowly slows the process like a full pipe would, and one that
leaves stops receiving at once.

In an isolated runtime the processes start inside the sandbox (its agent spawns them, with
the same descriptors and terminal), from the sandbox's own environment (an allow-list, never
the runtime's variables); the client sees their pids in the sandbox, the runtime signals
their sessions by their pids outside.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import functools
import logging
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import AsyncIterator, Callable
from typing import Any

from connectrpc.code import Code
from connectrpc.request import RequestContext
from e2b.envd.process import process_pb as pb
from protobuf import Oneof

from .. import sandboxenv
from ..isolation.client import Sandbox, SandboxError, SandboxProcess
from ..processes import OWNER_ENV, die_with_parent
from .errors import EnvdError, failed_precondition, from_os_error, invalid, not_found
from .paths import Users
from .pty import child_setup, open_pty, set_size
from .storage import FileBackend, HostFiles, run
from .streams import CLOSED, TIMEOUT, Channel, Deadline, current_disconnect, keepalive_interval

log = logging.getLogger(__name__)

READ_CHUNK = 64 * 1024
EXIT_GRACE = 0.1  # seconds to keep reading output a process left behind it (terminal buffers)
LISTENER_BACKLOG = 64  # events queued for one listener before the process waits for it
LINGER_CHECK = 10.0  # seconds between checks that a lingering session is still there

# Go's names for signals, which envd puts in the end event's status ("signal: killed")
_GO_SIGNAL_NAMES = {
    signal.SIGKILL: "killed",
    signal.SIGTERM: "terminated",
    signal.SIGINT: "interrupt",
    signal.SIGHUP: "hangup",
    signal.SIGQUIT: "quit",
    signal.SIGABRT: "aborted",
    signal.SIGSEGV: "segmentation fault",
    signal.SIGPIPE: "broken pipe",
    signal.SIGBUS: "bus error",
    signal.SIGFPE: "floating point exception",
    signal.SIGILL: "illegal instruction",
    signal.SIGUSR1: "user defined signal 1",
    signal.SIGUSR2: "user defined signal 2",
    signal.SIGALRM: "alarm clock",
}
_SIGNALS = {pb.Signal.SIGKILL: signal.SIGKILL, pb.Signal.SIGTERM: signal.SIGTERM}


def _event(**one: Any) -> pb.ProcessEvent:
    ((field, value),) = one.items()
    return pb.ProcessEvent(event=Oneof(field, value))


def end_event(returncode: int) -> pb.ProcessEvent:
    """The end event of a process, with Go's wording (what envd sends)."""
    if returncode >= 0:
        status = f"exit status {returncode}"
        end = pb.ProcessEvent.EndEvent(exit_code=returncode, exited=True, status=status)
    else:
        try:
            sig = signal.Signals(-returncode)
            status = f"signal: {_GO_SIGNAL_NAMES.get(sig, sig.name.lower())}"
        except ValueError:
            status = f"signal: signal {-returncode}"
        end = pb.ProcessEvent.EndEvent(exit_code=-1, exited=False, status=status)
    if returncode != 0:
        end.error = status
    return _event(end=end)


KEEPALIVE = _event(keepalive=pb.ProcessEvent.KeepAlive())


async def _wait_fd(fd: int, writable: bool, wake: list[asyncio.Future]) -> None:
    """Wait until `fd` is readable (or writable); a future put in `wake` can end the wait early."""
    loop = asyncio.get_running_loop()
    waiter = loop.create_future()

    def ready() -> None:
        if not waiter.done():
            waiter.set_result(None)

    (loop.add_writer if writable else loop.add_reader)(fd, ready)
    wake.append(waiter)
    try:
        await waiter
    finally:
        wake.remove(waiter)
        (loop.remove_writer if writable else loop.remove_reader)(fd)


async def write_all(fd: int, data: bytes) -> None:
    """Write everything to a non-blocking descriptor (a pipe or a terminal), waiting when full."""
    view = memoryview(data)
    while view:
        try:
            written = os.write(fd, view)
        except BlockingIOError:
            await _wait_fd(fd, True, [])
            continue
        view = view[written:]


async def wait_exit(process: subprocess.Popen | SandboxProcess) -> int:
    """The exit status of a child, awaited on the loop through a pidfd (polled where none); a
    process of the isolated sandbox, as its agent reports it."""
    if isinstance(process, SandboxProcess):
        return await process.wait()
    try:
        pidfd = os.pidfd_open(process.pid)
    except (AttributeError, OSError):
        while process.poll() is None:
            await asyncio.sleep(0.05)
        return process.returncode
    try:
        while process.poll() is None:
            await _wait_fd(pidfd, False, [])  # readable once the process has exited
    finally:
        os.close(pidfd)
    return process.returncode


@functools.cache
def _setpriv() -> str | None:
    """util-linux's `setpriv` when it can set the parent-death signal (2.33 and later)."""
    path = shutil.which("setpriv")
    if path is None or not sys.platform.startswith("linux"):
        return None
    try:
        out = subprocess.run([path, "--help"], capture_output=True, text=True, timeout=5).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    return path if "--pdeathsig" in out else None


def _with_death_signal(argv: list[str], env: dict[str, str]) -> tuple[list[str], Callable[[], None] | None]:
    """The argv and preexec_fn that make a command die with the runtime (PR_SET_PDEATHSIG).

    A `preexec_fn` forces a full fork of the runtime and Python code in the child (~5 ms here);
    without one, Popen uses vfork (~0.2 ms). So when util-linux's `setpriv` is there, the
    command is started through it (`setpriv --pdeathsig KILL -- cmd args`, one exec more, ~1 ms)
    and `die_with_parent` is only the fallback.
    """
    setpriv = _setpriv()
    if setpriv is None:
        return argv, die_with_parent
    if shutil.which(argv[0], path=env.get("PATH", os.defpath)) is None:  # setpriv would only exit 127
        raise FileNotFoundError(errno.ENOENT, "no such executable", argv[0])
    return [setpriv, "--pdeathsig", "KILL", "--", *argv], None


def _session_members(sid: int, other_groups_only: bool = True) -> list[int]:
    """Processes of session `sid` (by default only those outside process group `sid`: shell jobs)."""
    found = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as f:
                fields = f.read().rsplit(b")", 1)[1].split()
        except OSError:
            continue
        if int(fields[3]) == sid and not (other_groups_only and int(fields[2]) == sid):
            found.append(int(entry.name))
    return found


def session_alive(sid: int, whole_session: bool) -> bool:
    """Whether anything of a session is left: its leader's group, or (`whole_session`) any member."""
    if whole_session and sys.platform.startswith("linux"):
        return bool(_session_members(sid, other_groups_only=False))
    try:
        os.killpg(sid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def signal_session(sid: int, sig: int) -> None:
    """Signal a session the runtime started: its leader's process group, then every other group
    in it (an interactive shell puts each job in a group of its own)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(sid, sig)
    if sys.platform.startswith("linux"):
        for pid in _session_members(sid):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, sig)


class Output:
    """One output descriptor of a process (stdout, stderr or a terminal's master side)."""

    def __init__(self, fd: int, kind: str, publish: Callable[[pb.ProcessEvent], Any]):
        self.fd = fd
        self.kind = kind
        self.publish = publish
        self.exited = False
        self._wake: list[asyncio.Future] = []

    def process_exited(self) -> None:
        """From now on, stop at the first quiet moment: what is left was written by a child."""
        self.exited = True
        for waiter in list(self._wake):
            if not waiter.done():
                waiter.set_result(None)

    async def pump(self) -> None:
        fd = self.fd
        while True:
            try:
                chunk = os.read(fd, READ_CHUNK)
            except BlockingIOError:
                if self.exited:
                    # a terminal hands the last bytes over a moment after its process ended
                    try:
                        await asyncio.wait_for(_wait_fd(fd, False, []), EXIT_GRACE)
                    except TimeoutError:
                        return
                else:
                    await _wait_fd(fd, False, self._wake)
                continue
            except OSError as err:
                if err.errno == errno.EIO:  # a terminal whose every user has closed it
                    return
                raise
            if not chunk:
                return
            data = pb.ProcessEvent.DataEvent(output=Oneof(self.kind, chunk))
            await self.publish(_event(data=data))


class Proc:
    """A process the runtime started, with its listeners (the streams that follow it)."""

    def __init__(self, pid: int, config: pb.ProcessConfig, tag: str | None, sid: int | None = None):
        self.pid = pid  # as the client sees it (in an isolated sandbox, its pid in there)
        self.sid = pid if sid is None else sid  # its session here: what is signalled
        self.config = config
        self.tag = tag
        self.process: subprocess.Popen | SandboxProcess | None = None
        self.pty = False
        self.master: int | None = None  # terminal's master side
        self.stdin: int | None = None  # write end of the stdin pipe
        self.outputs: list[Output] = []
        self.listeners: set[Channel[pb.ProcessEvent]] = set()
        self.running = True
        self.deadline: asyncio.TimerHandle | None = None
        self.supervisor: asyncio.Task | None = None

    @property
    def is_pty(self) -> bool:
        return self.pty

    def info(self) -> pb.ProcessInfo:
        info = pb.ProcessInfo(config=self.config, pid=self.pid)
        if self.tag is not None:
            info.tag = self.tag
        return info

    def listen(self) -> Channel[pb.ProcessEvent]:
        channel: Channel[pb.ProcessEvent] = Channel(LISTENER_BACKLOG)
        self.listeners.add(channel)
        return channel

    async def publish(self, event: pb.ProcessEvent) -> None:
        for channel in list(self.listeners):
            if not await channel.put(event):
                self.listeners.discard(channel)

    def signal(self, sig: int) -> None:
        """Signal everything the process started: its session (it leads its own)."""
        signal_session(self.sid, sig)

    def close_fds(self) -> None:
        for fd in (self.master, self.stdin):
            if fd is not None:
                with contextlib.suppress(OSError):
                    os.close(fd)
        self.master = self.stdin = None


class ProcessTable:
    """The processes the runtime started and has not seen end, by pid."""

    def __init__(
        self,
        users: Users,
        owner: str = "",
        files: FileBackend | None = None,
        sandbox: Sandbox | None = None,
        base_env: dict[str, str] | None = None,
    ):
        self.users = users
        self.files = files or HostFiles()
        # isolated: the processes start inside the sandbox, from its own environment
        self.sandbox = sandbox
        self.base_env = base_env
        # the runtime's mark on every process it starts (see tui.runtime.processes): what a
        # command leaves running is found and ended with the runtime, even a killed one
        self.owner = owner
        self.procs: dict[int, Proc] = {}
        # sessions whose leader ended while something of them still ran (`cmd &`): they are
        # killed when the runtime stops, and forgotten once empty (their id could be reused)
        self.lingering: dict[int, bool] = {}  # session id -> is a terminal's
        self._pruner: asyncio.Task | None = None

    def find(self, selector: pb.ProcessSelector | None) -> Proc:
        match selector.selector if selector is not None else None:
            case Oneof(field="pid", value=pid):
                proc = self.procs.get(pid)
                if proc is None:
                    raise not_found(
                        f"process with pid {pid} not found: it has ended, or it was not started "
                        "through this sandbox (only its own commands and terminals can be reached)"
                    )
                return proc
            case Oneof(field="tag", value=tag):
                for proc in self.procs.values():
                    if proc.tag == tag:
                        return proc
                raise not_found(f"process with tag {tag!r} not found: no running process has that tag")
            case _:
                raise invalid("select the process by pid or by tag")

    async def _cwd(self, config: pb.ProcessConfig) -> str:
        cwd = self.users.resolve(config.cwd if config.has_field("cwd") else "")
        if not await run(self.files.is_dir(cwd)):
            raise invalid(f"cwd '{cwd}' is not an existing directory")
        return cwd

    def _env(self, config: pb.ProcessConfig) -> dict[str, str]:
        if self.base_env is not None:  # isolated: an allow-list, never the runtime's variables
            env = dict(self.base_env)
        else:
            # the runtime's environment, less its own settings (an E2B API key never reaches
            # sandbox code) and pytest's marker, as for kernels
            env = {
                k: v for k, v in os.environ.items() if not k.startswith("E2B_") and k != "PYTEST_CURRENT_TEST"
            }
        env = sandboxenv.active().process_env(env)  # the sandbox's python first on PATH
        env.update(config.envs)
        if self.owner:
            env[OWNER_ENV] = f"{self.owner}envd"
        return env

    async def start(
        self, request: pb.StartRequest, ctx: RequestContext
    ) -> tuple[Proc, Channel[pb.ProcessEvent]]:
        """Start the process; its first listener (the caller's stream) is attached before any output."""
        config = request.process
        if config is None or not config.cmd:
            raise invalid("the process to start needs a command (process.cmd)")
        cwd = await self._cwd(config)
        env = self._env(config)
        pty_size = request.pty.size if request.pty is not None else None
        if request.pty is not None and pty_size is None:
            pty_size = pb.PTY.Size(rows=24, cols=80)
        master = slave = stdin_read = stdin_write = None
        out_read = out_write = err_read = err_write = None
        try:
            argv = [config.cmd, *config.args]
            if pty_size is not None:
                master, slave = open_pty(pty_size.rows or 24, pty_size.cols or 80)
                stdio: dict[str, Any] = {"stdin": slave, "stdout": slave, "stderr": slave}
                preexec: Callable[[], None] | None = child_setup(slave, die_with_parent)
                new_session = False  # child_setup makes the session (and the controlling terminal)
            else:
                if request.has_field("stdin") and request.stdin:
                    stdin_read, stdin_write = os.pipe()
                    os.set_blocking(stdin_write, False)
                out_read, out_write = os.pipe()
                err_read, err_write = os.pipe()
                os.set_blocking(out_read, False)
                os.set_blocking(err_read, False)
                stdio = {
                    "stdin": stdin_read if stdin_read is not None else subprocess.DEVNULL,
                    "stdout": out_write,
                    "stderr": err_write,
                }
                new_session = True
            try:
                process: subprocess.Popen | SandboxProcess
                if self.sandbox is not None:
                    process = await self._spawn_inside(argv, cwd, env, stdio, tty=slave is not None)
                else:
                    if master is None:
                        argv, preexec = _with_death_signal(argv, env)
                    process = subprocess.Popen(
                        argv,
                        cwd=cwd,
                        env=env,
                        start_new_session=new_session,
                        preexec_fn=preexec,
                        close_fds=True,
                        **stdio,
                    )
            except OSError as err:
                raise from_os_error(err, "cannot start", config.cmd) from None
        except BaseException:
            for fd in (master, stdin_write, out_read, err_read):
                if fd is not None:
                    os.close(fd)
            raise
        finally:  # the child's ends of the pipes and terminal belong to the child only
            for fd in (slave, stdin_read, out_write, err_write):
                if fd is not None:
                    os.close(fd)

        shown = pb.ProcessConfig(cmd=config.cmd, args=list(config.args), envs=dict(config.envs), cwd=cwd)
        shown_pid = process.inner_pid if isinstance(process, SandboxProcess) else process.pid
        proc = Proc(shown_pid, shown, request.tag if request.has_field("tag") else None, sid=process.pid)
        proc.process = process
        proc.pty = master is not None
        proc.master = master
        proc.stdin = stdin_write
        if master is not None:
            proc.outputs = [Output(master, "pty", proc.publish)]
        else:
            assert out_read is not None and err_read is not None
            proc.outputs = [
                Output(out_read, "stdout", proc.publish),
                Output(err_read, "stderr", proc.publish),
            ]
        self.procs[proc.pid] = proc
        channel = proc.listen()
        timeout_ms = ctx.timeout_ms
        if timeout_ms is not None:
            loop = asyncio.get_running_loop()
            proc.deadline = loop.call_later(max(0.0, timeout_ms / 1000), proc.signal, signal.SIGKILL)
        proc.supervisor = asyncio.create_task(self._supervise(proc))
        return proc, channel

    async def _supervise(self, proc: Proc) -> None:
        assert proc.process is not None
        pumps = [asyncio.create_task(out.pump()) for out in proc.outputs]
        try:
            returncode = await wait_exit(proc.process)
            for out in proc.outputs:
                out.process_exited()
            for result in await asyncio.gather(*pumps, return_exceptions=True):
                if isinstance(result, Exception):
                    log.warning("reading the output of pid %s failed: %s", proc.pid, result)
        except asyncio.CancelledError:
            for task in pumps:
                task.cancel()
            raise
        finally:
            proc.running = False
            if proc.deadline is not None:
                proc.deadline.cancel()
            self.procs.pop(proc.pid, None)
            for out in proc.outputs:
                if out.fd != proc.master:
                    with contextlib.suppress(OSError):
                        os.close(out.fd)
        try:
            await proc.publish(end_event(returncode))
        finally:
            for channel in list(proc.listeners):
                channel.close()
            proc.close_fds()
        if session_alive(proc.sid, proc.pty):
            self.lingering[proc.sid] = proc.pty
            if self._pruner is None or self._pruner.done():
                self._pruner = asyncio.create_task(self._prune())

    async def _spawn_inside(
        self, argv: list[str], cwd: str, env: dict[str, str], stdio: dict[str, Any], tty: bool
    ) -> SandboxProcess:
        """Start a command inside the isolated sandbox (its agent makes the session, and the
        terminal its controlling one)."""
        assert self.sandbox is not None
        opened = None
        fds = []
        for name in ("stdin", "stdout", "stderr"):
            fd = stdio[name]
            if fd == subprocess.DEVNULL:
                if opened is None:
                    opened = os.open(os.devnull, os.O_RDONLY | os.O_CLOEXEC)
                fd = opened
            fds.append(fd)
        try:
            return await self.sandbox.spawn(argv, cwd=cwd, env=env, stdio=fds[:1] if tty else fds, tty=tty)
        except SandboxError as err:  # not its process limit (an OSError EAGAIN): the sandbox itself
            raise EnvdError(Code.UNAVAILABLE, f"cannot start '{argv[0]}': {err}", 503) from None
        finally:
            if opened is not None:
                os.close(opened)

    async def _prune(self) -> None:
        """Forget lingering sessions once empty (checked every few seconds while there are any)."""
        while self.lingering:
            await asyncio.sleep(LINGER_CHECK)
            for sid, pty in list(self.lingering.items()):
                if not session_alive(sid, pty):
                    del self.lingering[sid]

    async def write_input(self, proc: Proc, data: pb.ProcessInput | None) -> None:
        match data.input if data is not None else None:
            case Oneof(field="stdin", value=chunk):
                fd = proc.master if proc.is_pty else proc.stdin
                if fd is None:
                    raise failed_precondition(
                        f"process {proc.pid} has no stdin: start the command with stdin=True "
                        "(or it was closed with close_stdin)"
                    )
            case Oneof(field="pty", value=chunk):
                fd = proc.master
                if fd is None:
                    raise failed_precondition(f"process {proc.pid} is not a PTY: send its input as stdin")
            case _:
                raise invalid("the input has no data (stdin or pty)")
        try:
            await write_all(fd, chunk)
        except OSError as err:
            if err.errno in (errno.EPIPE, errno.EBADF, errno.EIO):
                raise failed_precondition(f"process {proc.pid} no longer reads its input") from None
            raise from_os_error(err, "cannot send input to process", str(proc.pid)) from None

    def shutdown(self) -> None:
        """Kill every session now, lingering ones included (the runtime is stopping)."""
        for proc in list(self.procs.values()):
            proc.signal(signal.SIGKILL)
            if proc.supervisor is not None:
                proc.supervisor.cancel()
            proc.close_fds()
        self.procs.clear()
        for sid in list(self.lingering):
            signal_session(sid, signal.SIGKILL)
        self.lingering.clear()
        if self._pruner is not None:
            self._pruner.cancel()

    def kill_all_now(self) -> None:
        """Last resort (atexit, from any thread): SIGKILL every session, lingering ones too."""
        for sid in [*(p.sid for p in list(self.procs.values())), *self.lingering]:
            with contextlib.suppress(OSError):
                signal_session(sid, signal.SIGKILL)


class ProcessService:
    """The `process.Process` service (`e2b.envd.process.process_connect.Process`)."""

    def __init__(self, table: ProcessTable):
        self.table = table

    async def _follow(
        self, proc: Proc, channel: Channel[pb.ProcessEvent], ctx: RequestContext, wrap: Callable[..., Any]
    ) -> AsyncIterator[Any]:
        """The start event, then the process's events until its end (or the client leaves)."""
        gone = current_disconnect()
        gone.add(channel.close)
        interval = keepalive_interval(ctx.request_headers)
        deadline = Deadline(ctx.timeout_ms)
        what = f"the stream of process {proc.pid}"
        try:
            yield wrap(event=_event(start=pb.ProcessEvent.StartEvent(pid=proc.pid)))
            while True:
                event = await deadline.next(channel, interval, what)
                if event is CLOSED:
                    return
                if event is TIMEOUT:
                    yield wrap(event=KEEPALIVE)
                    continue
                assert isinstance(event, pb.ProcessEvent)
                yield wrap(event=event)
                if event.event is not None and event.event.field == "end":
                    return
        finally:
            gone.discard(channel.close)
            proc.listeners.discard(channel)
            channel.close()

    async def start(self, request: pb.StartRequest, ctx: RequestContext) -> AsyncIterator[pb.StartResponse]:
        self.table.users.from_authorization(ctx.request_headers.get("authorization"))
        proc, channel = await self.table.start(request, ctx)
        async for response in self._follow(proc, channel, ctx, pb.StartResponse):
            yield response

    async def connect(
        self, request: pb.ConnectRequest, ctx: RequestContext
    ) -> AsyncIterator[pb.ConnectResponse]:
        proc = self.table.find(request.process)
        channel = proc.listen()
        async for response in self._follow(proc, channel, ctx, pb.ConnectResponse):
            yield response

    async def list(self, request: pb.ListRequest, ctx: RequestContext) -> pb.ListResponse:
        return pb.ListResponse(processes=[p.info() for p in self.table.procs.values() if p.running])

    async def update(self, request: pb.UpdateRequest, ctx: RequestContext) -> pb.UpdateResponse:
        proc = self.table.find(request.process)
        if request.pty is None or request.pty.size is None:
            return pb.UpdateResponse()  # nothing to change
        if proc.master is None:
            raise failed_precondition(f"process {proc.pid} is not a PTY: it has no size to change")
        size = request.pty.size
        if not size.rows or not size.cols:
            raise invalid("a terminal needs at least one row and one column")
        set_size(proc.master, size.rows, size.cols)  # the kernel sends SIGWINCH to its foreground group
        return pb.UpdateResponse()

    async def send_input(self, request: pb.SendInputRequest, ctx: RequestContext) -> pb.SendInputResponse:
        proc = self.table.find(request.process)
        await self.table.write_input(proc, request.input)
        return pb.SendInputResponse()

    async def stream_input(
        self, request: AsyncIterator[pb.StreamInputRequest], ctx: RequestContext
    ) -> pb.StreamInputResponse:
        proc: Proc | None = None
        async for message in request:
            match message.event:
                case Oneof(field="start", value=start):
                    proc = self.table.find(start.process)
                case Oneof(field="data", value=data):
                    if proc is None:
                        raise invalid("the input stream must start with the process to send to")
                    await self.table.write_input(proc, data.input)
                case _:
                    pass  # keepalive
        return pb.StreamInputResponse()

    async def send_signal(self, request: pb.SendSignalRequest, ctx: RequestContext) -> pb.SendSignalResponse:
        proc = self.table.find(request.process)
        sig = _SIGNALS.get(request.signal)
        if sig is None:
            raise invalid("unsupported signal: send SIGTERM or SIGKILL")
        proc.signal(sig)
        return pb.SendSignalResponse()

    async def close_stdin(self, request: pb.CloseStdinRequest, ctx: RequestContext) -> pb.CloseStdinResponse:
        proc = self.table.find(request.process)
        if proc.is_pty:
            raise failed_precondition(
                f"process {proc.pid} is a PTY: it has no separate stdin to close (send Ctrl-D, b'\\x04')"
            )
        if proc.stdin is not None:
            with contextlib.suppress(OSError):
                os.close(proc.stdin)
            proc.stdin = None
        return pb.CloseStdinResponse()
