"""envd's `filesystem.Filesystem` service: stat, list, make, move and remove paths, and watch them.

Semantics follow envd (Go): `Stat` does not follow a final symlink; `ListDir` follows the
listed directory when it is a symlink, walks `depth` levels (0 means 1) in lexical order,
parents before children, never descending into symlinked directories, and reports paths under
the name the client used; `MakeDir` creates missing parents and answers ALREADY_EXISTS for an
existing directory (which `make_dir` reads as False); `Move` creates the destination's parents;
`Remove` deletes recursively and, like envd's `os.RemoveAll`, is silent about a path that is
not there. The operations themselves are `fileops`, run by the file backend (`storage.py`):
in worker threads of the runtime, or inside the isolated sandbox, where paths resolve as its
code sees them.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from connectrpc.request import RequestContext
from e2b.envd.filesystem import filesystem_pb as pb
from protobuf import Oneof

from .entries import to_entry_info
from .paths import Users
from .storage import FileBackend, run
from .streams import CLOSED, TIMEOUT, Deadline, current_disconnect, keepalive_interval
from .watch import Watches


class FilesystemService:
    """The `filesystem.Filesystem` service (`e2b.envd.filesystem.filesystem_connect.Filesystem`)."""

    def __init__(self, users: Users, files: FileBackend, watches: Watches):
        self.users = users
        self.files = files
        self.watches = watches

    def _path(self, path: str, ctx: RequestContext) -> str:
        self.users.from_authorization(ctx.request_headers.get("authorization"))
        return self.users.resolve(path)

    async def stat(self, request: pb.StatRequest, ctx: RequestContext) -> pb.StatResponse:
        path = self._path(request.path, ctx)
        return pb.StatResponse(entry=to_entry_info(await run(self.files.stat(path))))

    async def make_dir(self, request: pb.MakeDirRequest, ctx: RequestContext) -> pb.MakeDirResponse:
        path = self._path(request.path, ctx)
        return pb.MakeDirResponse(entry=to_entry_info(await run(self.files.make_dir(path))))

    async def move(self, request: pb.MoveRequest, ctx: RequestContext) -> pb.MoveResponse:
        source = self._path(request.source, ctx)
        destination = self._path(request.destination, ctx)
        return pb.MoveResponse(entry=to_entry_info(await run(self.files.move(source, destination))))

    async def list_dir(self, request: pb.ListDirRequest, ctx: RequestContext) -> pb.ListDirResponse:
        path = self._path(request.path, ctx)
        entries = await run(self.files.list_dir(path, request.depth or 1))
        return pb.ListDirResponse(entries=[to_entry_info(found) for found in entries])

    async def remove(self, request: pb.RemoveRequest, ctx: RequestContext) -> pb.RemoveResponse:
        path = self._path(request.path, ctx)
        await run(self.files.remove(path))
        return pb.RemoveResponse()

    async def watch_dir(
        self, request: pb.WatchDirRequest, ctx: RequestContext
    ) -> AsyncIterator[pb.WatchDirResponse]:
        path = self._path(request.path, ctx)
        watch = await self.watches.open(path, request.recursive, request.include_entry)
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
        watcher_id = await self.watches.create_watcher(path, request.recursive, request.include_entry)
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
