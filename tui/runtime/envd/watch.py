"""Directory watches for `files.watch_dir`: envd's events, from wherever the files are.

The watching itself (inotify, fsnotify's event names, recursion, uploads reported as the
file they write) is `tui/runtime/inotify.py`, run by the file backend where the paths
resolve: the runtime's own event loop, or the isolated sandbox's file worker. Here each watch
gets a bounded channel of envd events: the streaming `WatchDir` sends them as they come, the
polling `CreateWatcher`/`GetWatcherEvents` pair collects them until asked. A watch ends when
its client leaves, when it is removed, or when the watched directory is deleted.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

from e2b.envd.filesystem import filesystem_pb as pb

from .. import inotify
from ..fileops import Entry
from .entries import to_entry_info
from .errors import not_found
from .storage import FileBackend, WatchHandle, run
from .streams import Channel

EVENT_LIMIT = 100_000  # events a watch keeps for a reader that does not come

_KINDS = {
    inotify.CREATE: pb.EventType.CREATE,
    inotify.WRITE: pb.EventType.WRITE,
    inotify.REMOVE: pb.EventType.REMOVE,
    inotify.RENAME: pb.EventType.RENAME,
    inotify.CHMOD: pb.EventType.CHMOD,
}


class Watch:
    """One watch: its events, as envd messages, in a channel."""

    def __init__(self) -> None:
        self.events: Channel[pb.FilesystemEvent] = Channel(EVENT_LIMIT)
        self.handle: WatchHandle | None = None

    def emit(self, name: str, kind: str, found: Entry | None) -> None:
        event = pb.FilesystemEvent(name=name, type=_KINDS.get(kind, pb.EventType.UNSPECIFIED))
        if found is not None:
            event.entry = to_entry_info(found)
        self.events.put_nowait(event)

    def close(self) -> None:
        if self.handle is not None:
            handle, self.handle = self.handle, None
            handle.close()
        self.events.close()


class Watches:
    """Every watch of the runtime, and the polling watchers by id."""

    def __init__(self, files: FileBackend) -> None:
        self.files = files
        self.watchers: dict[str, Watch] = {}
        self._open: set[Watch] = set()

    async def open(self, root: str, recursive: bool, include_entry: bool) -> Watch:
        """Start watching `root` (an absolute path); events from now on are collected."""
        watch = Watch()
        watch.handle = await run(
            self.files.watch(root, recursive, include_entry, watch.emit, watch.events.close)
        )
        self._open.add(watch)
        return watch

    def close(self, watch: Watch) -> None:
        watch.close()
        self._open.discard(watch)

    async def create_watcher(self, root: str, recursive: bool, include_entry: bool) -> str:
        watch = await self.open(root, recursive, include_entry)
        watcher_id = uuid.uuid4().hex
        self.watchers[watcher_id] = watch
        return watcher_id

    def watcher(self, watcher_id: str) -> Watch:
        watch = self.watchers.get(watcher_id)
        if watch is None:
            raise not_found(f"no watcher with id {watcher_id!r} (it was removed, or never created)")
        return watch

    def remove_watcher(self, watcher_id: str) -> None:
        self.close(self.watcher(watcher_id))
        del self.watchers[watcher_id]

    def __iter__(self) -> Iterator[Watch]:
        return iter(list(self._open))

    def shutdown(self) -> None:
        for watch in list(self._open):
            self.close(watch)
        self.watchers.clear()
        self.files.shutdown()
