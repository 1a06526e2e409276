"""How a command's process runs its async part and ends: exit codes, a reader that went away
(`| head`), and the hard exit the async SDK needs. No heavy imports."""

from __future__ import annotations

import os
import sys
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")

EXIT_USAGE = 2  # a usage or runtime problem (said on stderr)
EXIT_INTERRUPTED = 130  # Ctrl+C
EXIT_BROKEN_PIPE = 141  # the reader of stdout went away, as SIGPIPE would end a Unix tool


def say(message: str) -> None:
    """A message for the person at the terminal, on stderr."""
    print(f"e2b-workbench: {message}", file=sys.stderr)


def run_async(coro: Coroutine[Any, Any, T]) -> tuple[T | None, int]:
    """Run a command's async part: (its value, 0), or (None, exit code) once the sandbox could
    not be opened (2, said on stderr), Ctrl+C stopped it (130) or stdout's reader went away
    (141, quietly)."""
    import asyncio

    from ..core.target import TargetError

    try:
        return asyncio.run(coro), 0
    except TargetError as err:
        say(str(err))
        return None, EXIT_USAGE
    except KeyboardInterrupt:
        print(file=sys.stderr)
        say("interrupted.")
        return None, EXIT_INTERRUPTED
    except BrokenPipeError:
        silence_stdout()
        return None, EXIT_BROKEN_PIPE


def silence_stdout() -> None:
    """Point stdout at /dev/null once its reader is gone, so the exit flush stays quiet."""
    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


def print_json(payload: Any) -> int:
    """Print `payload` as JSON on stdout: 0, or 141 (as SIGPIPE would) if the reader went away."""
    import json

    try:
        print(json.dumps(payload, indent=2, ensure_ascii=False), flush=True)
    except BrokenPipeError:
        silence_stdout()
        return EXIT_BROKEN_PIPE
    return 0


def exit_at_once(code: int) -> None:
    """Exit without the interpreter's shutdown, once the command has cleaned up after itself.

    The commands that drive the async SDK need this: after a failed connection (no network),
    the SDK's Rust HTTP transport can abort the process while Python shuts down (SIGABRT,
    exit 134, about one time in three), turning a clear error and exit 2 into a crash.
    Everything they started (runtime, kernels, sandbox) is stopped before they return.
    """
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe: nothing more can be said there
            pass
    os._exit(code)
