"""Completion and inspection from a context's kernel (extension routes, see extensions.py).

E2B's code interpreter has no way to ask a kernel what a name could complete to, or what
it is: the local runtime adds two routes that forward Jupyter's own requests to the
context's kernel and return its reply (docs/e2b-protocol.md, section 11):

    POST /contexts/{id}/complete  {"code": str, "cursor_pos": int}
        -> {"matches": [str], "cursor_start": int, "cursor_end": int, "metadata": {}}
    POST /contexts/{id}/inspect   {"code": str, "cursor_pos": int, "detail_level": 0|1}
        -> {"found": bool, "text": str, "data": {mime: value}}

`cursor_pos` counts Unicode code points, as Jupyter's protocol 5.2 does. Errors are JSON
too, `{"error": "..."}`: 404 unknown context, 409 the context is running code (a kernel
answers shell requests in order, so the reply would come after the run), 422 a bad body,
504 no reply in time. A kernel that does not implement a request answers with nothing
found. The routes never touch the context's queue: they only read the kernel's state.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from .kernel import Kernel, KernelStartError
from .wire import Channel

REPLY_TIMEOUT = 5.0


class IntrospectError(Exception):
    """An answer other than 200: `status` and a sentence."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def parse_request(body: bytes, detail: bool = False) -> dict[str, Any]:
    """The Jupyter request content for a route's JSON body (IntrospectError 422 if malformed)."""
    try:
        payload = json.loads(body or b"{}")
    except (ValueError, UnicodeDecodeError, RecursionError) as err:
        raise IntrospectError(422, f"The body is not valid JSON: {err}.") from None
    if not isinstance(payload, dict):
        raise IntrospectError(422, 'The body must be a JSON object like {"code": "im", "cursor_pos": 2}.')
    code = payload.get("code")
    if not isinstance(code, str):
        raise IntrospectError(422, "'code' is required and must be a string.")
    cursor = payload.get("cursor_pos", len(code))
    if isinstance(cursor, bool) or not isinstance(cursor, int) or not 0 <= cursor <= len(code):
        raise IntrospectError(422, f"'cursor_pos' must be a whole number from 0 to {len(code)}.")
    content: dict[str, Any] = {"code": code, "cursor_pos": cursor}
    if detail:
        level = payload.get("detail_level", 0)
        content["detail_level"] = 1 if level == 1 else 0
    return content


async def shell_request(kernel: Kernel, msg_type: str, content: dict[str, Any], timeout: float) -> dict:
    """Send a shell request to `kernel` and return its reply's content."""
    if not kernel.alive:
        raise IntrospectError(409, "The context's kernel is not running (it is restarting).")
    msg_id, queue = kernel.request(msg_type, content)
    try:
        async with asyncio.timeout(timeout):
            while True:
                channel, reply = await queue.get()
                if channel is Channel.DIED or reply is None:
                    raise IntrospectError(
                        409, "The context's kernel is gone; it restarts with a fresh state."
                    )
                if channel is Channel.SHELL:
                    return reply.get("content") or {}
    except TimeoutError:
        raise IntrospectError(504, f"The kernel did not answer within {timeout:g} s.") from None
    finally:
        kernel.forget(msg_id)


async def kernel_of(runtime: Any, context_id: str) -> Kernel:
    """The context's kernel, if it is idle (IntrospectError otherwise)."""
    try:
        ctx = runtime.get(context_id)
    except KeyError as err:
        raise IntrospectError(
            404, err.args[0] if err.args else f"Context {context_id!r} not found."
        ) from None
    if ctx.lock.locked():
        raise IntrospectError(409, "The context is running code: completion works while it is idle.")
    try:
        return await asyncio.wait_for(ctx.kernel(), REPLY_TIMEOUT)
    except (KernelStartError, TimeoutError):
        raise IntrospectError(409, "The context's kernel is still starting.") from None


async def complete(runtime: Any, context_id: str, body: bytes) -> dict[str, Any]:
    content = parse_request(body)
    kernel = await kernel_of(runtime, context_id)
    reply = await shell_request(kernel, "complete_request", content, REPLY_TIMEOUT)
    cursor = content["cursor_pos"]
    matches = reply.get("matches") if reply.get("status", "ok") == "ok" else []
    start, end = reply.get("cursor_start"), reply.get("cursor_end")
    return {
        "matches": [m for m in matches or [] if isinstance(m, str)],
        "cursor_start": start if isinstance(start, int) else cursor,
        "cursor_end": end if isinstance(end, int) else cursor,
        "metadata": reply.get("metadata") if isinstance(reply.get("metadata"), dict) else {},
    }


async def inspect(runtime: Any, context_id: str, body: bytes) -> dict[str, Any]:
    content = parse_request(body, detail=True)
    kernel = await kernel_of(runtime, context_id)
    reply = await shell_request(kernel, "inspect_request", content, REPLY_TIMEOUT)
    raw = reply.get("data")
    data: dict[str, Any] = raw if isinstance(raw, dict) else {}
    found = bool(reply.get("found")) and reply.get("status", "ok") == "ok"
    text = data.get("text/plain") if found else ""
    return {"found": found and bool(text), "text": text if isinstance(text, str) else "", "data": data}
