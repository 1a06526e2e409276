"""One Jupyter kernel process, driven over ZeroMQ with jupyter_client's wire format.

The runtime owns the process: it builds the argv, writes a private connection file,
watches the process, routes every reply and iopub message to the request that caused
it, and kills the whole process group when done.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import hashlib
import hmac
import json
import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import zmq
import zmq.asyncio
from jupyter_client.connect import write_connection_file
from jupyter_client.session import Session

from .languages import LanguageSpec

START_TIMEOUT = 120.0  # a cold JVM or R on a busy 2-core machine can take a while


# Start-up chatter of the kernels, never the reason anything failed.
LOG_NOISE = (
    "running over TCP without encryption",
    "Ctrl-C will not work",
    "To exit, you will have to explicitly quit this process",
    "ipykernel_launcher",
    '"deno jupyter" is unstable',
    "entry point",
)


class KernelStartError(RuntimeError):
    """The kernel process did not come up; the message says why."""


def _die_with_parent() -> None:  # pragma: no cover - runs in the child between fork and exec
    """Ask Linux to SIGKILL the kernel if the runtime dies, so nothing is orphaned."""
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except OSError:
        pass


class Kernel:
    """A running kernel. Messages for a request land in the queue registered for it."""

    def __init__(self, spec: LanguageSpec, cwd: str, workdir: Path, env: dict[str, str]):
        self.spec = spec
        self.cwd = cwd
        self.workdir = workdir
        self.env = env
        self.proc: asyncio.subprocess.Process | None = None
        self.session = Session(key=secrets.token_hex(16).encode(), username="e2b-workbench")
        self.ctx = zmq.asyncio.Context.instance()
        self.shell: zmq.asyncio.Socket | None = None
        self.control: zmq.asyncio.Socket | None = None
        self.iopub: zmq.asyncio.Socket | None = None
        self.stdin: zmq.asyncio.Socket | None = None
        self.connection_file = ""
        self.log_file: Path | None = None
        self.waiters: dict[str, asyncio.Queue] = {}
        self.died = asyncio.Event()
        self.exit_code: int | None = None
        self.closing = False
        self.on_death: Callable[[Kernel], None] | None = None
        self._tasks: list[asyncio.Task] = []
        self.started_at = 0.0

    # -- lifecycle --------------------------------------------------------------

    @property
    def alive(self) -> bool:
        return self.proc is not None and not self.died.is_set()

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc else None

    async def start(self, timeout: float = START_TIMEOUT) -> None:
        """Spawn the process and wait until it answers and publishes on iopub."""
        stem = f"kernel-{self.spec.name}-{secrets.token_hex(4)}"
        self.connection_file, info = write_connection_file(
            str(self.workdir / f"{stem}.json"),
            ip="127.0.0.1",
            key=self.session.key,
            transport="tcp",
            kernel_name=self.spec.name,
        )
        os.chmod(self.connection_file, 0o600)
        self.log_file = self.workdir / f"{stem}.log"
        env = dict(self.env)
        env.update(self.spec.extra_env)
        env["JPY_PARENT_PID"] = str(os.getpid())
        argv = self.spec.argv(self.connection_file)
        log = open(self.log_file, "wb")
        try:
            self.proc = await asyncio.create_subprocess_exec(
                *argv,
                cwd=self.cwd,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None,
            )
        except OSError as err:
            raise KernelStartError(
                f"could not start the {self.spec.kernel} kernel ({argv[0]}): {err}"
            ) from err
        finally:
            log.close()
        self.started_at = time.monotonic()
        self._connect(info)
        self._tasks = [
            asyncio.create_task(self._watch_process()),
            asyncio.create_task(self._read(self.shell)),
            asyncio.create_task(self._read(self.control)),
            asyncio.create_task(self._read(self.iopub)),
            asyncio.create_task(self._read(self.stdin)),
        ]
        try:
            await asyncio.wait_for(self._wait_ready(), timeout)
        except (TimeoutError, KernelStartError) as err:
            detail = str(err) if isinstance(err, KernelStartError) else f"no answer within {timeout:.0f} s"
            await self.shutdown()
            raise KernelStartError(
                f"the {self.spec.kernel} kernel for {self.spec.name} did not start: {detail}."
                f"{self._log_excerpt()}"
            ) from None

    def _connect(self, info: dict[str, Any]) -> None:
        ident = self.session.bsession

        def dealer(port: int) -> zmq.asyncio.Socket:
            sock = self.ctx.socket(zmq.DEALER)
            sock.setsockopt(zmq.IDENTITY, ident)
            sock.setsockopt(zmq.LINGER, 0)
            sock.connect(f"tcp://127.0.0.1:{port}")
            return sock

        self.shell = dealer(info["shell_port"])
        self.control = dealer(info["control_port"])
        self.stdin = dealer(info["stdin_port"])
        self.iopub = self.ctx.socket(zmq.SUB)
        self.iopub.setsockopt(zmq.LINGER, 0)
        self.iopub.setsockopt(zmq.RCVHWM, 0)  # never drop output: we read as fast as it comes
        self.iopub.setsockopt(zmq.SUBSCRIBE, b"")
        self.iopub.connect(f"tcp://127.0.0.1:{info['iopub_port']}")

    async def _wait_ready(self) -> None:
        """kernel_info until it replies and its iopub reaches us (no output lost at start)."""
        queue: asyncio.Queue = asyncio.Queue()
        got_reply = got_iopub = False
        ids: list[str] = []
        try:
            while not (got_reply and got_iopub):
                msg_id = self.send_shell("kernel_info_request", {})
                ids.append(msg_id)
                self.waiters[msg_id] = queue
                deadline = time.monotonic() + (0.25 if got_reply else 1.0)
                while not (got_reply and got_iopub):
                    left = deadline - time.monotonic()
                    if left <= 0:
                        break
                    try:
                        kind, _msg = await asyncio.wait_for(queue.get(), left)
                    except TimeoutError:
                        break
                    if kind == "died":
                        raise KernelStartError(f"the process exited with code {self.exit_code}")
                    if kind == "shell":
                        got_reply = True
                    elif kind == "iopub":
                        got_iopub = True
                if got_reply and not got_iopub and len(ids) > 20:
                    break  # a kernel that never publishes status for kernel_info
        finally:
            for msg_id in ids:
                self.waiters.pop(msg_id, None)

    async def _watch_process(self) -> None:
        assert self.proc is not None
        self.exit_code = await self.proc.wait()
        self.died.set()
        for queue in list(self.waiters.values()):
            queue.put_nowait(("died", None))
        if self.on_death is not None and not self.closing:
            self.on_death(self)

    async def _read(self, sock: zmq.asyncio.Socket | None) -> None:
        assert sock is not None
        kind = "iopub" if sock is self.iopub else "stdin" if sock is self.stdin else "shell"
        waiters = self.waiters
        decode = self._decode
        while True:
            try:
                frames = await sock.recv_multipart()
            except (zmq.ZMQError, asyncio.CancelledError):
                return
            msg = decode(frames)
            if msg is None:
                continue  # a malformed or unsigned message is not ours to act on
            queue = waiters.get(msg["parent_header"].get("msg_id"))
            if queue is not None:
                queue.put_nowait((kind, msg))

    def _decode(self, frames: list[bytes]) -> dict[str, Any] | None:
        """The Jupyter wire format, checked against the session key.

        Our own decoder rather than Session.deserialize: that one parses every date
        into a datetime only for us to print it back (a third of the runtime's CPU
        per round trip in the benchmark).
        """
        try:
            start = frames.index(b"<IDS|MSG>") + 1
            signature, header, parent, metadata, content = frames[start : start + 5]
        except ValueError:
            return None
        expected = hmac.new(self.session.key, digestmod=hashlib.sha256)
        for part in (header, parent, metadata, content):
            expected.update(part)
        if not hmac.compare_digest(expected.hexdigest().encode(), signature):
            return None
        try:
            head = json.loads(header)
            return {
                "header": head,
                "msg_type": head.get("msg_type"),
                "parent_header": json.loads(parent),
                "content": json.loads(content),
            }
        except (ValueError, AttributeError):
            return None

    def send_shell(self, msg_type: str, content: dict[str, Any]) -> str:
        msg = self.session.msg(msg_type, content)
        self.session.send(self.shell, msg)
        return msg["header"]["msg_id"]

    def send_control(self, msg_type: str, content: dict[str, Any]) -> str:
        msg = self.session.msg(msg_type, content)
        self.session.send(self.control, msg)
        return msg["header"]["msg_id"]

    def execute_request(self, code: str, silent: bool = False) -> tuple[str, asyncio.Queue]:
        """Send code; its messages arrive in the returned queue as (kind, msg)."""
        queue: asyncio.Queue = asyncio.Queue()
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
        msg_id = msg["header"]["msg_id"]
        self.waiters[msg_id] = queue
        if self.died.is_set():
            queue.put_nowait(("died", None))
        else:
            self.session.send(self.shell, msg)
        return msg_id, queue

    def forget(self, msg_id: str) -> None:
        self.waiters.pop(msg_id, None)

    async def run_silent(self, code: str, timeout: float = 30.0) -> dict:
        """Run setup code nobody sees; the reply content (status "error" with the reason
        in evalue when the kernel died or did not reply in time)."""
        msg_id, queue = self.execute_request(code, silent=True)
        reply = None
        idle = False
        try:
            async with asyncio.timeout(timeout):
                while reply is None or not idle:
                    kind, msg = await queue.get()
                    if kind == "died":
                        return {"status": "error", "ename": "KernelDied", "evalue": self.death_reason()}
                    if kind == "shell":
                        reply = msg["content"]
                    elif msg["msg_type"] == "status" and msg["content"].get("execution_state") == "idle":
                        idle = True
        except TimeoutError:
            if reply is None:
                reason = (
                    f"no reply from the {self.spec.name} kernel within {timeout:g} s "
                    f"(it is busy or hung).{self._log_excerpt(8)}"
                )
                return {"status": "error", "ename": "NoReply", "evalue": reason}
        finally:
            self.forget(msg_id)
        return reply

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
        """Stop the process group (TERM, then KILL) and free every resource."""
        self.closing = True
        if self.proc is not None and self.proc.returncode is None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                await asyncio.wait_for(asyncio.shield(self.died.wait()), 2.0)
            except TimeoutError:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(self.proc.pid, signal.SIGKILL)
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(asyncio.shield(self.died.wait()), 5.0)
        if self.proc is not None:
            # anything the kernel's own children left in its group goes too
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.proc.pid, signal.SIGKILL)
        for task in self._tasks:
            task.cancel()
        for sock in (self.shell, self.control, self.iopub, self.stdin):
            if sock is not None:
                sock.close(linger=0)
        for path in (self.connection_file, self.log_file):
            if path:
                with contextlib.suppress(OSError):
                    os.unlink(path)

    def kill_now(self) -> None:
        """Synchronous last resort at interpreter exit."""
        if self.proc is not None and self.proc.returncode is None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.proc.pid, signal.SIGKILL)

    def _log_excerpt(self, lines: int = 15) -> str:
        if not self.log_file or not self.log_file.exists():
            return ""
        try:
            text = self.log_file.read_text(errors="replace").strip()
        except OSError:
            return ""
        if not text:
            return ""
        kept = [line for line in text.splitlines() if not any(n in line for n in LOG_NOISE)]
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
        return f"The {self.spec.name} kernel died ({how}).{self._log_excerpt(8)}"
