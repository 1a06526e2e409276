"""Where code runs: the local runtime (started here) or an E2B cloud sandbox.

Every headless entry point (`run`, `tool call`, `mcp`) opens its sandbox through
`open_sandbox` / `open_async_sandbox`, so local and cloud go through the same SDK calls.
"""

from __future__ import annotations

import argparse
import contextlib
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field

from e2b_code_interpreter import AsyncSandbox, Sandbox


class TargetError(RuntimeError):
    """The sandbox could not be opened; the message says why and what to do."""


@dataclass
class Target:
    """Which sandbox to open, and how."""

    mode: str = "local"  # "local" | "cloud"
    cwd: str | None = None  # local: the contexts' working directory
    url: str | None = None  # local: an already running E2B-compatible runtime
    spares: bool = False  # local: keep warm spare kernels (worth it for long sessions)
    sandbox_id: str | None = None  # cloud: connect to this sandbox instead of creating one
    template: str | None = None
    sandbox_timeout: int = 300  # cloud: seconds the sandbox lives without a keep-alive
    metadata: dict[str, str] = field(default_factory=dict)
    envs: dict[str, str] = field(default_factory=dict)
    domain: str | None = None
    keep: bool = False  # cloud: leave a sandbox we created running on close


def add_target_arguments(parser: argparse.ArgumentParser) -> None:
    """The flags that choose local or cloud, shared by every subcommand that runs code."""
    group = parser.add_argument_group("where code runs")
    mode = group.add_mutually_exclusive_group()
    mode.add_argument(
        "--local", action="store_true", help="use the local runtime (default without E2B_API_KEY)"
    )
    mode.add_argument(
        "--cloud", action="store_true", help="use an E2B cloud sandbox (default with E2B_API_KEY)"
    )


def target_from_args(args: argparse.Namespace) -> Target:
    """A Target from the parsed flags (local unless --cloud)."""
    mode = "cloud" if getattr(args, "cloud", False) else "local"
    return Target(mode=mode)


@contextlib.contextmanager
def open_sandbox(target: Target | None = None) -> Iterator[Sandbox]:
    """A synchronous SDK sandbox for `target`; everything it started is stopped on exit."""
    target = target or Target()
    if target.mode != "local":
        raise TargetError("Cloud mode is not available yet.")
    from ..runtime.launcher import LocalRuntime, RuntimeStartError

    if target.url:
        yield Sandbox.create(debug=True, sandbox_url=target.url)
        return
    runtime = LocalRuntime(cwd=target.cwd, spares=target.spares, prestart=False)
    try:
        try:
            url = runtime.start()
        except RuntimeStartError as err:
            raise TargetError(str(err)) from err
        yield Sandbox.create(debug=True, sandbox_url=url)
    finally:
        runtime.stop()


@contextlib.asynccontextmanager
async def open_async_sandbox(target: Target | None = None) -> AsyncIterator[AsyncSandbox]:
    """The async twin of `open_sandbox`."""
    import asyncio

    target = target or Target()
    if target.mode != "local":
        raise TargetError("Cloud mode is not available yet.")
    from ..runtime.launcher import LocalRuntime, RuntimeStartError

    if target.url:
        yield await AsyncSandbox.create(debug=True, sandbox_url=target.url)
        return
    runtime = LocalRuntime(cwd=target.cwd, spares=target.spares, prestart=False)
    try:
        try:
            url = await asyncio.to_thread(runtime.start)
        except RuntimeStartError as err:
            raise TargetError(str(err)) from err
        yield await AsyncSandbox.create(debug=True, sandbox_url=url)
    finally:
        await asyncio.to_thread(runtime.stop)
