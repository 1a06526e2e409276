"""Where envd's file operations run: in the runtime itself, or inside the isolated sandbox.

Both backends run the same code (`tui/runtime/fileops.py`, `tui/runtime/inotify.py`) and
give the same answers; they differ only in where a path resolves. `HostFiles` runs it in
the runtime (in worker threads, so a slow disk never stalls the event loop): a path is a
path of this machine. An isolated runtime's backend (`isolation/client.py`) sends each
operation to the file worker inside the sandbox: a path is resolved by the sandbox's own
mount table and symlinks, with its user's permissions, so what `files` can reach is exactly
what the sandbox's code can reach (a symlink to `/root/.ssh` leads nowhere there). Bytes never
travel through these calls: a download or an upload gets a file descriptor, which the
runtime reads or writes itself.

Failures arrive as `fileops.Refused` / `fileops.Failed`; `envd_error` words them for envd.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from typing import Any, Protocol

from connectrpc.code import Code

from .. import fileops, inotify
from ..fileops import Entry
from .errors import EnvdError, already_exists, from_os_error, invalid, not_found, unimplemented


class WatchHandle(Protocol):
    def close(self) -> None: ...


class FileBackend(Protocol):
    """envd's file operations on sandbox paths (absolute, normalised)."""

    async def stat(self, path: str) -> Entry: ...

    async def list_dir(self, path: str, depth: int) -> list[Entry]: ...

    async def make_dir(self, path: str) -> Entry: ...

    async def move(self, source: str, destination: str) -> Entry: ...

    async def remove(self, path: str) -> None: ...

    async def is_dir(self, path: str) -> bool: ...

    async def open_read(self, path: str) -> tuple[int, int]: ...

    async def open_upload(self, path: str) -> tuple[int, str, str, int | None]: ...

    async def commit_upload(self, tmp: str, target: str, path: str) -> None: ...

    def discard_upload(self, tmp: str) -> None: ...

    async def watch(
        self,
        path: str,
        recursive: bool,
        include_entry: bool,
        emit: inotify.Emit,
        on_close: Callable[[], Any],
    ) -> WatchHandle: ...

    def shutdown(self) -> None: ...


_REFUSALS = {"not_found": not_found, "invalid": invalid, "already_exists": already_exists}


def envd_error(err: BaseException) -> EnvdError:
    """A file operation's failure as envd's error (code for the RPCs, status for `/files`)."""
    if isinstance(err, EnvdError):
        return err
    if isinstance(err, fileops.Refused):
        return _REFUSALS.get(err.kind, invalid)(err.message)
    if isinstance(err, fileops.Failed):
        return from_os_error(OSError(err.errno, err.strerror), err.action, err.path)
    from ..isolation.client import SandboxError

    if isinstance(err, SandboxError):
        return EnvdError(Code.UNAVAILABLE, str(err), 503)
    if isinstance(err, inotify.Unsupported):
        return unimplemented("watching directories needs Linux (inotify); this runtime is not on Linux")
    if isinstance(err, OSError):
        return from_os_error(err, "cannot access", getattr(err, "filename", None) or "the file")
    raise err


async def run(operation: Any) -> Any:
    """Await a backend operation, its failure raised as an EnvdError."""
    from ..isolation.client import SandboxError

    try:
        return await operation
    except (fileops.Refused, fileops.Failed, OSError, SandboxError) as err:
        raise envd_error(err) from None


class HostFiles:
    """The file operations, run by the runtime on this machine's paths."""

    def __init__(self) -> None:
        self._inotify: inotify.Inotify | None = None

    async def stat(self, path: str) -> Entry:
        return await asyncio.to_thread(fileops.stat_path, path)

    async def list_dir(self, path: str, depth: int) -> list[Entry]:
        return await asyncio.to_thread(fileops.list_dir, path, depth)

    async def make_dir(self, path: str) -> Entry:
        return await asyncio.to_thread(fileops.make_dir, path)

    async def move(self, source: str, destination: str) -> Entry:
        return await asyncio.to_thread(fileops.move, source, destination)

    async def remove(self, path: str) -> None:
        await asyncio.to_thread(fileops.remove, path)

    async def is_dir(self, path: str) -> bool:
        return await asyncio.to_thread(fileops.is_dir, path)

    async def open_read(self, path: str) -> tuple[int, int]:
        return await asyncio.to_thread(fileops.open_read, path)

    async def open_upload(self, path: str) -> tuple[int, str, str, int | None]:
        return await asyncio.to_thread(fileops.open_upload, path)

    async def commit_upload(self, tmp: str, target: str, path: str) -> None:
        await asyncio.to_thread(fileops.commit_upload, tmp, target, path)

    def discard_upload(self, tmp: str) -> None:
        fileops.discard_upload(tmp)

    async def watch(
        self,
        path: str,
        recursive: bool,
        include_entry: bool,
        emit: inotify.Emit,
        on_close: Callable[[], Any],
    ) -> WatchHandle:
        """One inotify instance serves every watch (the kernel allows 128 per user, shared with
        every other program), read on the event loop."""
        if self._inotify is None:
            self._inotify = inotify.Inotify()
            asyncio.get_running_loop().add_reader(self._inotify.fd, self._inotify.read)
        return inotify.open_watch(self._inotify, path, recursive, include_entry, emit, on_close)

    def shutdown(self) -> None:
        if self._inotify is not None:
            try:
                asyncio.get_running_loop().remove_reader(self._inotify.fd)
            except RuntimeError:
                pass
            self._inotify.close()
            self._inotify = None


def close_quietly(fd: int | None) -> None:
    if fd is not None:
        try:
            os.close(fd)
        except OSError:
            pass
