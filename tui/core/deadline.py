"""Run timeouts that fire when they should.

With e2b 2.63 (its pyqwest HTTP transport) `run_code(timeout=t)` gives up after about 2t:
2 s fires at 4.0 s, 3 s at 6.0 s (measured; plain httpx on the same request fires at t).
So the workbench passes no timeout to the SDK and bounds the run itself: when the deadline
passes the request is dropped, which is E2B's interrupt (the runtime, and E2B's server,
interrupt the kernel when the client goes away), and the SDK's TimeoutException is raised
as the SDK would.
"""

from __future__ import annotations

import asyncio
from typing import Any

from e2b.exceptions import TimeoutException
from e2b_code_interpreter import AsyncSandbox
from e2b_code_interpreter.models import Execution

SDK_DEFAULT_TIMEOUT = 300.0  # what run_code uses when given no timeout


def run_seconds(timeout: float | None) -> float:
    """The bound of a run: None means the SDK's default, 0 (or less) no bound at all."""
    if timeout is None:
        return SDK_DEFAULT_TIMEOUT
    return max(0.0, float(timeout))


async def run_code_within(
    sandbox: AsyncSandbox, code: str, timeout: float | None, **kwargs: Any
) -> Execution:
    """`sandbox.run_code(code, **kwargs)`, interrupted after `timeout` seconds (see run_seconds)."""
    seconds = run_seconds(timeout)
    if not seconds:
        return await sandbox.run_code(code, timeout=0, **kwargs)
    try:
        async with asyncio.timeout(seconds):
            return await sandbox.run_code(code, timeout=0, **kwargs)
    except TimeoutError as err:
        raise TimeoutException(
            f"Execution timed out after {seconds:g} s: the kernel was interrupted and keeps its state."
        ) from err
