"""The local runtime's extension routes: what it offers beyond E2B's protocol.

All under a context, all POST with a JSON body, all answered in JSON (errors too, as
`{"error": "..."}`), documented in docs/e2b-protocol.md section 11:

    /contexts/{id}/complete   completion from the context's kernel   (introspect.py)
    /contexts/{id}/inspect    what the kernel knows about a name     (introspect.py)
    /contexts/{id}/check      deno check of TypeScript code          (jsts.py)
    /contexts/{id}/interrupt  interrupt the run on the context, and let that run say
                              what became of it (see below)

Interrupt: E2B's only way to interrupt is to drop the request, after which the client
hears nothing more of that run. So when a kernel cannot be interrupted (Deno waiting on a
promise) and is restarted, the client learns it only on its next run. With this route the
client keeps the run's stream: the kernel is interrupted as on a disconnect (and restarted
if it ignores that for INTERRUPT_GRACE seconds), and the run itself ends with what
happened: the kernel's KeyboardInterrupt (state kept), or ContextRestarting (state gone).
"""

from __future__ import annotations

import json
from typing import Any

from . import introspect, jsts
from .introspect import IntrospectError

ROUTES = ("complete", "inspect", "check", "interrupt")


async def _check(runtime: Any, context_id: str, body: bytes) -> dict[str, Any]:
    content = introspect.parse_request(body)
    try:
        ctx = runtime.get(context_id)
    except KeyError as err:
        raise IntrospectError(404, err.args[0] if err.args else "Context not found.") from None
    if ctx.language not in jsts.FAMILY:
        raise IntrospectError(
            422, f"Type checks are for TypeScript (and JavaScript); this is {ctx.language}."
        )
    return await jsts.check(content["code"], runtime.workdir)


async def _interrupt(runtime: Any, context_id: str, body: bytes) -> dict[str, Any]:
    try:
        json.loads(body or b"{}")
    except (ValueError, UnicodeDecodeError, RecursionError) as err:
        raise IntrospectError(422, f"The body is not valid JSON: {err}.") from None
    try:
        ctx = runtime.get(context_id)
    except KeyError as err:
        raise IntrospectError(404, err.args[0] if err.args else "Context not found.") from None
    interrupt = getattr(ctx, "interrupt_run", None)
    if interrupt is None:
        return {"interrupted": False, "running": False}
    interrupt()
    return {"interrupted": True, "running": True}


HANDLERS = {
    "complete": introspect.complete,
    "inspect": introspect.inspect,
    "check": _check,
    "interrupt": _interrupt,
}


async def answer(runtime: Any, what: str, context_id: str, body: bytes) -> tuple[int, Any]:
    """(status, JSON payload) for POST /contexts/{context_id}/{what}."""
    try:
        return 200, await HANDLERS[what](runtime, context_id, body)
    except IntrospectError as err:
        return err.status, {"error": str(err)}
