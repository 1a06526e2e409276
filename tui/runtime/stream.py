"""From kernel messages to protocol lines: the state machine of one execution.

`follow` reads the (channel, message) events of one `execute_request` and writes the
E2B lines for them into a `Run`; `execute` sends the code and retries what the kernel
dropped unrun. It knows nothing of contexts or processes, so it is tested on a fake
queue of messages without any kernel (tests/test_stream.py). What it handles:

- the end of a run is the pair (shell reply, iopub `idle`), in either order: once one
  half is in, the other gets `settle` seconds (a loaded jjava can reply long before its
  idle), and a kernel with `idle_grace` (Deno publishes `execute_result` after idle)
  gets that long for stragglers;
- a reply `aborted` (dropped after an interrupt: ipykernel, IRkernel) for code that never
  started is sent again; a run that was interrupted (`abort`) ends with ExecutionAborted;
- an error that a kernel reports on the reply only (Deno after an interrupt) becomes the
  run's error line;
- an `input_request` (R's readline asks whatever allow_stdin says) fails the run at once
  with StdinNotSupported; the kernel gets an empty answer (IRkernel waits for one in C,
  where SIGINT cannot reach it) and an interrupt;
- a kernel that does not acknowledge the request at all (no status, no reply) within
  `ack_timeout` is hung (garbage on its sockets left jjava so): `on_unresponsive` is
  called once (the caller replaces the kernel, whose death then ends the stream);
- the kernel dying ends the stream with Ending.KERNEL_DIED (the caller says why).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import Any, Protocol

from . import protocol
from .run import Run
from .wire import Channel, KernelEvent, Message

# wait this long for the missing half of (reply, idle) before giving up: jjava can
# reply long before its idle on a loaded machine (a client timeout still ends it sooner)
SETTLE_SECONDS = 60.0
ABORT_RETRIES = 3
# an idle kernel acknowledges a request at once (status busy): one that says nothing this long is hung
ACK_SECONDS = 20.0
# reply statuses: `aborted` is the Jupyter spec's word for a request dropped unrun;
# IRkernel and bash_kernel say `abort` for an interrupted run
ABORTED = frozenset({"aborted", "abort"})
STATUS_ERROR = "error"
IDLE = "idle"
INPUT_REQUEST = "input_request"


class Ending(Enum):
    """How following an execution ended."""

    FINISHED = "finished"  # reply and idle arrived (or the missing half timed out)
    KERNEL_DIED = "kernel died"  # the caller reports it with the context's words


class ExecutionTarget(Protocol):
    """What `execute` needs of a kernel (tests give it a fake)."""

    def execute_request(self, code: str, silent: bool = False) -> tuple[str, asyncio.Queue[KernelEvent]]: ...

    def forget(self, msg_id: str) -> None: ...

    def refuse_input(self, request: Message) -> None: ...


@dataclass
class Attempt:
    """What one execute_request produced, as far as the ending is concerned."""

    reply: dict[str, Any] | None = None
    idle: bool = False
    started: bool = False  # execute_input seen: the code ran (or runs)
    errored: bool = False  # an error line was written
    asked_input: bool = False

    @property
    def status(self) -> str | None:
        return None if self.reply is None else self.reply.get("status")


STDIN_ERROR = protocol.error_line(
    "StdinNotSupported",
    "The code asked for input, but runs have no stdin: pass values in the code or through env vars "
    "instead. The run was interrupted.",
    "",
)
NO_IDLE_ERROR = protocol.error_line(
    "UnexpectedEndOfExecution", "The kernel replied but never reported that it finished.", ""
)


async def follow(
    queue: asyncio.Queue[KernelEvent],
    run: Run,
    *,
    idle_grace: float = 0.0,
    settle: float = SETTLE_SECONDS,
    on_count: Callable[[int], None] | None = None,
    refuse_input: Callable[[Message], None] | None = None,
    ack_timeout: float = 0.0,
    on_unresponsive: Callable[[], None] | None = None,
) -> tuple[Ending, Attempt]:
    """Turn the events of one execute_request into lines of `run` until it is over."""
    attempt = Attempt()
    emit = run.emit
    watchdog = None
    if ack_timeout and on_unresponsive is not None:
        watchdog = asyncio.get_running_loop().call_later(ack_timeout, on_unresponsive)
    try:
        return await _follow(queue, run, attempt, emit, idle_grace, settle, on_count, refuse_input, watchdog)
    finally:
        if watchdog is not None:
            watchdog.cancel()


async def _follow(
    queue: asyncio.Queue[KernelEvent],
    run: Run,
    attempt: Attempt,
    emit: Callable[[dict[str, Any]], None],
    idle_grace: float,
    settle: float,
    on_count: Callable[[int], None] | None,
    refuse_input: Callable[[Message], None] | None,
    watchdog: asyncio.TimerHandle | None,
) -> tuple[Ending, Attempt]:
    while True:
        if attempt.reply is None and not attempt.idle:
            event = await queue.get()
        else:
            # one half of (reply, idle) is in: the other should follow at once
            done = attempt.reply is not None and attempt.idle
            if done and not idle_grace:
                return Ending.FINISHED, attempt
            try:
                event = await asyncio.wait_for(queue.get(), idle_grace if done else settle)
            except TimeoutError:
                if not attempt.idle:
                    emit(NO_IDLE_ERROR)
                return Ending.FINISHED, attempt
        channel, msg = event
        if channel is Channel.DIED or msg is None:
            return Ending.KERNEL_DIED, attempt
        if watchdog is not None:  # it answered: not hung
            watchdog.cancel()
            watchdog = None
        if channel is Channel.SHELL:
            attempt.reply = msg["content"]
            continue
        if channel is Channel.STDIN:
            if msg["msg_type"] == INPUT_REQUEST and not attempt.asked_input:
                attempt.asked_input = attempt.errored = True
                emit(STDIN_ERROR)
            if msg["msg_type"] == INPUT_REQUEST and refuse_input is not None:
                refuse_input(msg)
            continue
        if channel is Channel.IOPUB:
            _iopub(msg, run, attempt, on_count)


def _iopub(msg: Message, run: Run, attempt: Attempt, on_count: Callable[[int], None] | None) -> None:
    msg_type = msg["msg_type"]
    content = msg["content"]
    if msg_type == "stream":
        run.emit(
            {
                "type": "stderr" if content.get("name") == "stderr" else "stdout",
                "text": content.get("text", ""),
                "timestamp": protocol.timestamp(msg),
            }
        )
    elif msg_type == "execute_input":
        attempt.started = True
        count = content.get("execution_count")
        if isinstance(count, int):
            if on_count is not None:
                on_count(count)
            run.emit({"type": "number_of_executions", "execution_count": count})
    elif msg_type == "execute_result":
        run.emit(protocol.result_line(content.get("data", {}), True))
    elif msg_type in ("display_data", "update_display_data"):
        run.emit(protocol.result_line(content.get("data", {}), False))
    elif msg_type == "error":
        attempt.errored = True
        run.emit(protocol.kernel_error_line(content))
    elif msg_type == "status" and content.get("execution_state") == IDLE:
        attempt.idle = True


async def execute(
    target: ExecutionTarget,
    run: Run,
    *,
    idle_grace: float = 0.0,
    settle: float = SETTLE_SECONDS,
    on_count: Callable[[int], None] | None = None,
    on_cancel: Callable[[], None] | None = None,
    on_unresponsive: Callable[[], None] | None = None,
    ack_timeout: float = ACK_SECONDS,
    retries: int = ABORT_RETRIES,
    retry_pause: float = 0.05,
) -> Ending:
    """Send `run.code` and stream its output; code the kernel dropped unrun is sent again.

    `on_cancel` is what to do when the client goes away meanwhile (interrupt the kernel).
    """
    for attempt_number in range(retries + 1):
        msg_id, queue = target.execute_request(run.code)
        run.on_cancel = on_cancel
        if run.client_gone and on_cancel is not None:
            on_cancel()
        try:
            ending, attempt = await follow(
                queue,
                run,
                idle_grace=idle_grace,
                settle=settle,
                on_count=on_count,
                refuse_input=target.refuse_input,
                ack_timeout=ack_timeout,
                on_unresponsive=on_unresponsive,
            )
        finally:
            target.forget(msg_id)
            run.on_cancel = None
        if ending is Ending.KERNEL_DIED:
            return ending
        if attempt.status in ABORTED:
            if not attempt.started and not run.client_gone and attempt_number < retries:
                await asyncio.sleep(retry_pause * (attempt_number + 1))
                continue  # the code never ran: send it again
            if not attempt.errored:
                reason = (
                    "The execution was interrupted."
                    if attempt.started
                    else "The kernel aborted this execution (dropped after an interrupt or error)."
                )
                run.emit(protocol.error_line("ExecutionAborted", reason, ""))
        elif attempt.status == STATUS_ERROR and not attempt.errored and attempt.reply is not None:
            # some kernels (Deno after an interrupt) report the error on the reply only
            run.emit(protocol.kernel_error_line(attempt.reply))
        return ending
    return Ending.FINISHED  # pragma: no cover - the loop always returns
