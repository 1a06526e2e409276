"""envd's `filesystem.Filesystem` service: stat, list, make, move and remove paths, and watch them.

Semantics follow envd (Go): `Stat` does not follow a final symlink; `ListDir` follows the
listed directory when it is a symlink, walks `depth` levels (0 means 1) in lexical order,
parents before children, never descending into symlinked directories, and reports paths under
the name the client used; `MakeDir` creates missing parents and answers ALREADY_EXISTS for an
existing directory (which `make_dir` reads as False); `Move` creates the destination's parents;
`Remove` deletes recursively and, like envd's `os.RemoveAll`, is silent about a path that is
not there. The blocking file-system work runs in a worker thread so a slow disk never stalls
the event loop (and the code interpreter's streams with it).
"""

from __future__ import annotations

import asyncio
import errno
import os
import shutil
import stat
from collections.abc import AsyncIterator

from connectrpc.request import RequestContext
from e2b.envd.filesystem import filesystem_pb as pb
from protobuf import Oneof

from .entries import entry_info
from .errors import NOT_A_DIRECTORY, already_exists, from_os_error, invalid, not_found
from .paths import Users
from .streams import CLOSED, TIMEOUT, Deadline, current_disconnect, keepalive_interval
from .watch import Watches


def _stat(path: str) -> pb.EntryInfo:
    try:
        return entry_info(path)
    except OSError as err:
        if err.errno == errno.ENOTDIR:
            raise not_found(f"cannot stat '{path}': {NOT_A_DIRECTORY}") from None
        raise from_os_error(err, "cannot stat", path) from None


def _list(path: str, depth: int) -> list[pb.EntryInfo]:
    try:
        real = os.path.realpath(path)
        if not stat.S_ISDIR(os.stat(real).st_mode):
            raise invalid(f"cannot list '{path}': it is not a directory")
    except OSError as err:
        raise from_os_error(err, "cannot list", path) from None
    found: list[pb.EntryInfo] = []

    def walk(shown: str, actual: str, level: int) -> None:
        try:
            with os.scandir(actual) as it:
                children = sorted(it, key=lambda e: e.name)
        except OSError as err:
            if level == 1:
                raise from_os_error(err, "cannot list", shown) from None
            return  # an unreadable subdirectory: listed itself, its content skipped
        for child in children:
            child_shown = os.path.join(shown, child.name)
            try:
                found.append(entry_info(child_shown, child.stat(follow_symlinks=False)))
                is_dir = child.is_dir(follow_symlinks=False)
            except OSError:
                continue  # gone while listing
            if is_dir and level < depth:
                walk(child_shown, child.path, level + 1)

    walk(path, real, 1)
    return found


def _make_dir(path: str) -> pb.EntryInfo:
    try:
        st = os.stat(path)
    except FileNotFoundError:
        pass
    except OSError as err:
        raise from_os_error(err, "cannot create directory", path) from None
    else:
        if stat.S_ISDIR(st.st_mode):
            raise already_exists(f"directory '{path}' already exists")
        raise invalid(f"cannot create directory '{path}': a file with that name exists")
    try:
        os.makedirs(path)
    except FileExistsError:
        if os.path.isdir(path):
            raise already_exists(f"directory '{path}' already exists") from None
        raise invalid(f"cannot create directory '{path}': {NOT_A_DIRECTORY}") from None
    except OSError as err:
        raise from_os_error(err, "cannot create directory", path) from None
    return entry_info(path)


def _move(source: str, destination: str) -> pb.EntryInfo:
    try:
        os.lstat(source)
    except OSError as err:
        raise from_os_error(err, "cannot move", source) from None
    try:
        os.makedirs(os.path.dirname(destination), exist_ok=True)
        try:
            os.rename(source, destination)
        except OSError as err:
            if err.errno != errno.EXDEV:
                raise
            shutil.move(source, destination)  # another file system: copy, then delete
    except OSError as err:
        raise from_os_error(err, f"cannot move '{source}' to", destination) from None
    return entry_info(destination)


def _remove(path: str) -> None:
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return
    except OSError as err:
        raise from_os_error(err, "cannot remove", path) from None
    try:
        if stat.S_ISDIR(st.st_mode):
            shutil.rmtree(path)
        else:
            os.unlink(path)
    except FileNotFoundError:
        return
    except OSError as err:
        raise from_os_error(err, "cannot remove", getattr(err, "filename", None) or path) from None


class FilesystemService:
    """The `filesystem.Filesystem` service (`e2b.envd.filesystem.filesystem_connect.Filesystem`)."""

    def __init__(self, users: Users, watches: Watches):
        self.users = users
        self.watches = watches

    def _path(self, path: str, ctx: RequestContext) -> str:
        self.users.from_authorization(ctx.request_headers.get("authorization"))
        return self.users.resolve(path)

    async def stat(self, request: pb.StatRequest, ctx: RequestContext) -> pb.StatResponse:
        path = self._path(request.path, ctx)
        return pb.StatResponse(entry=await asyncio.to_thread(_stat, path))

    async def make_dir(self, request: pb.MakeDirRequest, ctx: RequestContext) -> pb.MakeDirResponse:
        path = self._path(request.path, ctx)
        return pb.MakeDirResponse(entry=await asyncio.to_thread(_make_dir, path))

    async def move(self, request: pb.MoveRequest, ctx: RequestContext) -> pb.MoveResponse:
        source = self._path(request.source, ctx)
        destination = self._path(request.destination, ctx)
        return pb.MoveResponse(entry=await asyncio.to_thread(_move, source, destination))

    async def list_dir(self, request: pb.ListDirRequest, ctx: RequestContext) -> pb.ListDirResponse:
        path = self._path(request.path, ctx)
        entries = await asyncio.to_thread(_list, path, request.depth or 1)
        return pb.ListDirResponse(entries=entries)

    async def remove(self, request: pb.RemoveRequest, ctx: RequestContext) -> pb.RemoveResponse:
        path = self._path(request.path, ctx)
        await asyncio.to_thread(_remove, path)
        return pb.RemoveResponse()

    async def watch_dir(
        self, request: pb.WatchDirRequest, ctx: RequestContext
    ) -> AsyncIterator[pb.WatchDirResponse]:
        path = self._path(request.path, ctx)
        watch = self.watches.open(path, request.recursive, request.include_entry)
        gone = current_disconnect()
        gone.add(watch.events.close)
        interval = keepalive_interval(ctx.request_headers)
        deadline = Deadline(ctx.timeout_ms)
        try:
            yield pb.WatchDirResponse(event=Oneof("start", pb.WatchDirResponse.StartEvent()))
            while True:
                event = await deadline.next(watch.events, interval, f"the watch of '{path}'")
                if event is CLOSED:
                    return
                if event is TIMEOUT:
                    yield pb.WatchDirResponse(event=Oneof("keepalive", pb.WatchDirResponse.KeepAlive()))
                    continue
                assert isinstance(event, pb.FilesystemEvent)
                yield pb.WatchDirResponse(event=Oneof("filesystem", event))
        finally:
            gone.discard(watch.events.close)
            self.watches.close(watch)

    async def create_watcher(
        self, request: pb.CreateWatcherRequest, ctx: RequestContext
    ) -> pb.CreateWatcherResponse:
        path = self._path(request.path, ctx)
        watcher_id = self.watches.create_watcher(path, request.recursive, request.include_entry)
        return pb.CreateWatcherResponse(watcher_id=watcher_id)

    async def get_watcher_events(
        self, request: pb.GetWatcherEventsRequest, ctx: RequestContext
    ) -> pb.GetWatcherEventsResponse:
        watch = self.watches.watcher(request.watcher_id)
        return pb.GetWatcherEventsResponse(events=watch.events.drain())

    async def remove_watcher(
        self, request: pb.RemoveWatcherRequest, ctx: RequestContext
    ) -> pb.RemoveWatcherResponse:
        self.watches.remove_watcher(request.watcher_id)
        return pb.RemoveWatcherResponse()
