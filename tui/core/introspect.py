"""Completion and inspection from a context's kernel, through the local runtime's extension
routes (`POST /contexts/{id}/complete` and `/inspect`, docs/e2b-protocol.md section 11).

E2B's own code interpreter has no such routes: on E2B cloud (or a runtime without them)
the answer is `IntrospectionUnavailable`, which the editor says once and then stays out
of the way. Everything the kernel answers is sandbox text: the UI cleans it before
showing it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import httpx

from .errors import WorkbenchError

TIMEOUT = 5.0  # a kernel busy running code answers after the run: the editor does not wait that long


class IntrospectionUnavailable(WorkbenchError):
    """This sandbox cannot complete or inspect (E2B cloud, or a runtime without the routes)."""

    title = "Completion"


@dataclass
class Completion:
    """Jupyter's complete_reply: the names that fit, and the code points they replace."""

    matches: list[str] = field(default_factory=list)
    start: int = 0
    end: int = 0


@dataclass
class Inspection:
    """Jupyter's inspect_reply: whether the kernel knows the name, and what it says (plain text)."""

    found: bool = False
    text: str = ""


async def _post(url: str, context_id: str, what: str, payload: dict, timeout: float = TIMEOUT) -> dict:
    try:
        async with httpx.AsyncClient(timeout=timeout) as client:
            response = await client.post(f"{url.rstrip('/')}/contexts/{context_id}/{what}", json=payload)
    except httpx.TimeoutException as err:
        raise WorkbenchError(
            f"The kernel did not answer the {what} request within {timeout:g} s (is it running code?).",
            title="Completion",
        ) from err
    except httpx.HTTPError as err:
        raise WorkbenchError(f"The {what} request failed: {err}", title="Completion") from err
    if response.status_code >= 400:
        try:  # the routes answer their own errors as {"error": "..."}
            said = response.json().get("error")
        except (ValueError, AttributeError):
            said = None
        if isinstance(said, str):
            raise WorkbenchError(said, title="Completion")
        if response.status_code in (404, 405, 501):
            raise IntrospectionUnavailable(
                f"This sandbox has no {what} route.", "Completion and inspection need the local runtime."
            )
        raise WorkbenchError(f"{response.status_code}: {response.text}", title="Completion")
    body = response.json()
    if not isinstance(body, dict):
        raise WorkbenchError(f"The {what} answer was not an object.", title="Completion")
    return body


async def complete(url: str, context_id: str, code: str, cursor: int) -> Completion:
    """What the kernel of `context_id` would complete at `cursor` (a code-point offset)."""
    body = await _post(url, context_id, "complete", {"code": code, "cursor_pos": cursor})
    matches = [m for m in body.get("matches") or [] if isinstance(m, str)]
    start = body.get("cursor_start")
    end = body.get("cursor_end")
    return Completion(
        list(dict.fromkeys(matches)),
        start if isinstance(start, int) else cursor,
        end if isinstance(end, int) else cursor,
    )


async def interrupt(url: str, context_id: str) -> bool:
    """Ask the runtime to interrupt the run on `context_id` (the run then says what happened)."""
    body = await _post(url, context_id, "interrupt", {})
    return bool(body.get("interrupted"))


async def type_check(url: str, context_id: str, code: str) -> dict:
    """`deno check` of `code` by the runtime: {ok, diagnostics: [{code, message, line, column}], text}."""
    return await _post(url, context_id, "check", {"code": code, "cursor_pos": 0}, timeout=90.0)


async def inspect(url: str, context_id: str, code: str, cursor: int) -> Inspection:
    """What the kernel of `context_id` knows about the name at `cursor`."""
    body = await _post(url, context_id, "inspect", {"code": code, "cursor_pos": cursor, "detail_level": 0})
    text = body.get("text")
    return Inspection(bool(body.get("found")), text if isinstance(text, str) else "")
