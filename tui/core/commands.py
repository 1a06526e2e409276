"""A shell command run from the app's quick command line: a record like a run's, filled as
the command streams (`sandbox.commands.run` in the background, then waited on), so the log
shows it as a block (`$ cmd · exit code · duration`) and `F6` stops it (the process is
killed: a command has no kernel to interrupt).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from e2b.exceptions import TimeoutException
from e2b.sandbox.commands.command_handle import CommandExitException

from .records import ExecutionRecord


class CommandListener(Protocol):
    def on_update(self, record: ExecutionRecord) -> None: ...

    def on_finished(self, record: ExecutionRecord) -> None: ...


@dataclass
class CommandRecord(ExecutionRecord):
    """One quick command: its line, and the exit code once it ended."""

    command: str = ""
    exit_code: int | None = None


async def run_command(
    sandbox: Any,
    record: CommandRecord,
    listener: CommandListener,
    write: Callable[[str], None] | None = None,
    explain: Callable[[BaseException], object] = str,
) -> None:
    """Run `record.command`, its output into the record (and `write`), until it ends or is cancelled."""

    def add(stream: str) -> Callable[[str], None]:
        def handler(text: str) -> None:
            with record.lock:
                record.output.add(stream, text)
            if write is not None:
                write(text)
            listener.on_update(record)

        return handler

    handle = None
    try:
        handle = await sandbox.commands.run(
            record.command,
            background=True,
            timeout=0,
            on_stdout=add("stdout"),
            on_stderr=add("stderr"),
            retain_output=False,
        )
        await handle.wait()
        record.exit_code, record.status = 0, "ok"
    except CommandExitException as err:
        record.exit_code, record.status = err.exit_code, "error"
        if err.error and err.exit_code == -1:
            record.failure = f"The command ended: {err.error}."
    except asyncio.CancelledError:
        record.status = "interrupted"
        record.failure = "Stopped: the command was killed."
        if handle is not None:
            try:
                await sandbox.commands.kill(handle.pid)
            except Exception:  # it ended meanwhile
                pass
    except TimeoutException as err:
        record.status = "failed"
        record.failure = str(explain(err))
    except BaseException as err:  # said on the block, never raised into the UI
        record.status = "failed"
        record.failure = str(explain(err))
    finally:
        record.duration = time.monotonic() - record.started_mono
        listener.on_finished(record)
