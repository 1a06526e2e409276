"""The message-to-line state machine (tui/runtime/stream.py) on scripted kernels: no process,
no ZeroMQ, each test in milliseconds. Every kernel quirk the runtime copes with is here."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from tui.runtime import stream
from tui.runtime.run import Run
from tui.runtime.wire import DIED, Channel, KernelEvent


def iopub(msg_type: str, **content: Any) -> KernelEvent:
    return KernelEvent(
        Channel.IOPUB,
        {"header": {"date": "2026-01-01T00:00:00Z"}, "msg_type": msg_type, "content": content},
    )


def reply(status: str = "ok", **content: Any) -> KernelEvent:
    return KernelEvent(
        Channel.SHELL, {"header": {}, "msg_type": "execute_reply", "content": {"status": status, **content}}
    )


IDLE = iopub("status", execution_state="idle")
BUSY = iopub("status", execution_state="busy")


def started(count: int = 1) -> KernelEvent:
    return iopub("execute_input", execution_count=count, code="")


def out(text: str, name: str = "stdout") -> KernelEvent:
    return iopub("stream", name=name, text=text)


class FakeKernel:
    """Answers each execute_request with the next script: (events now, events after a delay)."""

    def __init__(self, *scripts: list[KernelEvent | float]):
        self.scripts = list(scripts)
        self.sent: list[str] = []
        self.forgotten: list[str] = []
        self.refused: list[Any] = []

    def execute_request(self, code: str, silent: bool = False) -> tuple[str, asyncio.Queue[KernelEvent]]:
        msg_id = f"m{len(self.sent)}"
        self.sent.append(code)
        queue: asyncio.Queue[KernelEvent] = asyncio.Queue()
        script = self.scripts.pop(0)

        async def play() -> None:
            for item in script:
                if isinstance(item, float):
                    await asyncio.sleep(item)
                else:
                    queue.put_nowait(item)

        asyncio.get_running_loop().create_task(play())
        return msg_id, queue

    def forget(self, msg_id: str) -> None:
        self.forgotten.append(msg_id)

    def refuse_input(self, request: Any) -> None:
        self.refused.append(request)


def lines(run: Run) -> list[dict[str, Any]]:
    got = []
    while not run.lines.empty():
        item = run.lines.get_nowait()
        if item is not None:
            got.append(json.loads(item))
    return got


async def execute(kernel: FakeKernel, **kw: Any) -> tuple[stream.Ending, list[dict[str, Any]], Run]:
    run = Run("code", {})
    ending = await asyncio.wait_for(stream.execute(kernel, run, retry_pause=0.0, **kw), 5)
    return ending, lines(run), run


def kinds(got: list[dict[str, Any]]) -> list[str]:
    return [line["type"] for line in got]


async def test_a_plain_run_streams_in_order_and_finishes():
    kernel = FakeKernel([BUSY, started(3), out("a\n"), out("b\n", "stderr"), reply(), IDLE])
    ending, got, _ = await execute(kernel)
    assert ending is stream.Ending.FINISHED
    assert kinds(got) == ["number_of_executions", "stdout", "stderr"]
    assert got[0]["execution_count"] == 3
    assert got[1]["text"] == "a\n" and got[2]["text"] == "b\n"
    assert kernel.forgotten == ["m0"]


async def test_idle_before_the_reply_waits_for_the_reply():
    kernel = FakeKernel([started(), out("x"), IDLE, 0.05, reply()])
    ending, got, _ = await execute(kernel)
    assert ending is stream.Ending.FINISHED
    assert kinds(got) == ["number_of_executions", "stdout"]


async def test_a_reply_without_idle_ends_after_settling_with_an_error():
    kernel = FakeKernel([started(), reply()])
    ending, got, _ = await execute(kernel, settle=0.05)
    assert ending is stream.Ending.FINISHED
    assert got[-1]["type"] == "error" and got[-1]["name"] == "UnexpectedEndOfExecution"


async def test_idle_without_a_reply_ends_quietly_after_settling():
    kernel = FakeKernel([started(), out("done\n"), IDLE])
    ending, got, _ = await execute(kernel, settle=0.05)
    assert ending is stream.Ending.FINISHED
    assert kinds(got) == ["number_of_executions", "stdout"]


async def test_a_result_published_after_idle_is_kept_within_the_grace():
    # Deno publishes execute_result a moment after idle
    kernel = FakeKernel([started(), reply(), IDLE, 0.01, iopub("execute_result", data={"text/plain": "42"})])
    _, got, _ = await execute(kernel, idle_grace=0.2)
    assert got[-1]["type"] == "result" and got[-1]["text"] == "42" and got[-1]["is_main_result"]


async def test_without_grace_the_run_ends_at_reply_and_idle():
    kernel = FakeKernel([started(), reply(), IDLE, 0.2, out("late")])
    _, got, _ = await execute(kernel)
    assert "late" not in json.dumps(got)


async def test_code_dropped_unrun_is_sent_again():
    kernel = FakeKernel([reply("aborted"), IDLE], [started(), out("ran\n"), reply(), IDLE])
    ending, got, _ = await execute(kernel)
    assert ending is stream.Ending.FINISHED
    assert kernel.sent == ["code", "code"]
    assert kinds(got) == ["number_of_executions", "stdout"]


async def test_code_dropped_every_time_ends_with_execution_aborted():
    kernel = FakeKernel(*([reply("aborted"), IDLE] for _ in range(4)))
    _, got, _ = await execute(kernel, retries=3)
    assert len(kernel.sent) == 4
    assert got[-1]["name"] == "ExecutionAborted" and "dropped" in got[-1]["value"]


async def test_an_interrupted_run_is_not_sent_again():
    kernel = FakeKernel([started(), out("partial\n"), reply("abort"), IDLE])
    _, got, _ = await execute(kernel)
    assert kernel.sent == ["code"]
    assert got[-1]["name"] == "ExecutionAborted" and "interrupted" in got[-1]["value"]


async def test_an_error_reported_on_the_reply_only_becomes_the_error_line():
    kernel = FakeKernel(
        [started(), reply("error", ename="Interrupted", evalue="stopped", traceback=[]), IDLE]
    )
    _, got, _ = await execute(kernel)
    assert got[-1]["type"] == "error" and got[-1]["name"] == "Interrupted"


async def test_an_error_is_written_once_when_both_iopub_and_reply_carry_it():
    error = {
        "ename": "ValueError",
        "evalue": "bad",
        "traceback": ["\x1b[31mTraceback\x1b[0m", "ValueError: bad"],
    }
    kernel = FakeKernel([started(), iopub("error", **error), reply("error", **error), IDLE])
    _, got, _ = await execute(kernel)
    errors = [line for line in got if line["type"] == "error"]
    assert len(errors) == 1
    assert errors[0]["traceback"] == "Traceback\nValueError: bad"  # no colour codes


async def test_an_input_request_fails_the_run_once_and_every_request_is_answered():
    request = KernelEvent(
        Channel.STDIN, {"header": {}, "msg_type": "input_request", "content": {"prompt": "?"}}
    )
    kernel = FakeKernel([started(), request, request, reply("abort"), IDLE])
    _, got, _ = await execute(kernel)
    assert len(kernel.refused) == 2  # never left waiting for an answer
    errors = [line for line in got if line["type"] == "error"]
    assert [e["name"] for e in errors] == ["StdinNotSupported"]  # no ExecutionAborted on top


async def test_kernel_death_ends_the_stream_for_the_caller_to_report():
    kernel = FakeKernel([started(), out("before\n"), DIED])
    ending, got, _ = await execute(kernel)
    assert ending is stream.Ending.KERNEL_DIED
    assert kinds(got) == ["number_of_executions", "stdout"]
    assert kernel.forgotten == ["m0"]


async def test_results_and_displays_keep_their_kinds():
    kernel = FakeKernel(
        [
            started(),
            iopub("display_data", data={"text/plain": "shown", "image/png": "iVBOR\nw0=="}),
            iopub("execute_result", data={"text/plain": "'quoted'", "application/x-custom": {"a": 1}}),
            reply(),
            IDLE,
        ]
    )
    _, got, _ = await execute(kernel)
    display, main = got[1], got[2]
    assert display["is_main_result"] is False and display["png"] == "iVBORw0=="
    assert main["is_main_result"] is True and main["text"] == "quoted"
    assert main["extra"] == {"application/x-custom": {"a": 1}}


async def test_execution_count_is_reported_to_the_caller():
    seen: list[int] = []
    kernel = FakeKernel([started(7), reply(), IDLE])
    await execute(kernel, on_count=seen.append)
    assert seen == [7]


async def test_a_client_gone_before_the_send_interrupts_at_once():
    cancelled: list[bool] = []
    kernel = FakeKernel([started(), reply("abort"), IDLE])
    run = Run("code", {})
    run.client_gone = True
    await asyncio.wait_for(stream.execute(kernel, run, on_cancel=lambda: cancelled.append(True)), 5)
    assert cancelled == [True]
    assert run.lines.empty()  # nobody is listening: nothing is queued


async def test_a_client_leaving_mid_run_calls_on_cancel_once():
    cancelled: list[bool] = []
    kernel = FakeKernel([started(), out("x"), 0.1, reply("abort"), IDLE])
    run = Run("code", {})
    task = asyncio.ensure_future(stream.execute(kernel, run, on_cancel=lambda: cancelled.append(True)))
    await asyncio.sleep(0.02)
    run.cancel()
    run.cancel()
    await asyncio.wait_for(task, 5)
    assert cancelled == [True]
    assert run.on_cancel is None


@pytest.mark.parametrize("text", ["a\udcffb", "lone \ud800 high", "\udfff"])
async def test_lone_surrogates_are_replaced_visibly_and_the_rest_kept(text):
    kernel = FakeKernel([started(), out("before\n"), out(text), out("after\n"), reply(), IDLE])
    _, got, _ = await execute(kernel)
    texts = [line["text"] for line in got if line["type"] == "stdout"]
    assert texts[0] == "before\n" and texts[2] == "after\n"
    assert "\ufffd" in texts[1]
    assert texts[1].replace("\ufffd", "") == "".join(c for c in text if not 0xD800 <= ord(c) <= 0xDFFF)


def _frames(key: bytes, content: bytes) -> list[bytes]:
    import hashlib
    import hmac

    header, parent, metadata = b'{"msg_type": "stream"}', b'{"msg_id": "m0"}', b"{}"
    signature = hmac.new(key, digestmod=hashlib.sha256)
    for part in (header, parent, metadata, content):
        signature.update(part)
    return [b"ident", b"<IDS|MSG>", signature.hexdigest().encode(), header, parent, metadata, content]


def test_wire_keeps_a_message_with_undecodable_bytes():
    """ipykernel sends print('\\udcff') as a raw 0xff byte: the message must survive it."""
    from tui.runtime import wire

    key = b"k" * 16
    msg = wire.decode(key, _frames(key, b'{"name": "stdout", "text": "a\\n\xff\\nb\\n"}'))
    assert msg is not None
    assert msg["content"]["text"] == "a\n\ufffd\nb\n"
    assert wire.decode(b"other key", _frames(key, b'{"text": "x"}')) is None  # unsigned: dropped
    assert wire.decode(key, [b"garbage"]) is None


async def test_a_kernel_that_never_acknowledges_is_given_up_once():
    gave_up: list[bool] = []
    kernel = FakeKernel([0.2, DIED])
    run = Run("code", {})
    ending = await asyncio.wait_for(
        stream.execute(kernel, run, ack_timeout=0.05, on_unresponsive=lambda: gave_up.append(True)), 5
    )
    assert gave_up == [True]
    assert ending is stream.Ending.KERNEL_DIED


async def test_a_kernel_that_acknowledges_is_never_given_up_however_long_it_runs():
    gave_up: list[bool] = []
    kernel = FakeKernel([BUSY, 0.2, started(), reply(), IDLE])
    run = Run("code", {})
    await asyncio.wait_for(
        stream.execute(kernel, run, ack_timeout=0.05, on_unresponsive=lambda: gave_up.append(True)), 5
    )
    assert gave_up == []
