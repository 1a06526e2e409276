"""Directory watches as envd reports them: inotify through ctypes, standard library only.

envd watches with fsnotify, so events carry fsnotify's names: IN_CREATE and IN_MOVED_TO are
CREATE, IN_MODIFY is WRITE, IN_DELETE is REMOVE, IN_MOVED_FROM is RENAME (the old name), and
IN_ATTRIB is CHMOD. An event's `name` is relative to the watched directory (`sub/file.txt`
in a recursive watch). A recursive watch adds every directory below the root and each one
that appears later; what a new directory already holds when its watch is added is reported as
CREATE, so `mkdir -p a/b && touch a/b/f` is not lost in between.

Uploads land through a temporary file renamed into place (`fileops.open_upload`); the
temporary name is never reported: its rename into place reads as CREATE then WRITE of the
real name, which is what writing the file in place looks like to a watcher.

Loop-agnostic: whoever owns an `Inotify` calls `read()` when its descriptor is readable (the
runtime from its event loop; the isolated sandbox's file worker from a thread, where the
paths resolve as the sandbox sees them). A watch hands each event to its `emit` callback.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import errno
import logging
import os
import struct
import sys
from collections.abc import Callable
from typing import Any

from .fileops import UPLOAD_PREFIX, Entry, entry

log = logging.getLogger(__name__)

IN_MODIFY = 0x00000002
IN_ATTRIB = 0x00000004
IN_MOVED_FROM = 0x00000040
IN_MOVED_TO = 0x00000080
IN_CREATE = 0x00000100
IN_DELETE = 0x00000200
IN_DELETE_SELF = 0x00000400
IN_MOVE_SELF = 0x00000800
IN_Q_OVERFLOW = 0x00004000
IN_IGNORED = 0x00008000
IN_ONLYDIR = 0x01000000
IN_ISDIR = 0x40000000
IN_NONBLOCK = 0o4000
IN_CLOEXEC = 0o2000000

WATCH_MASK = (
    IN_MODIFY
    | IN_ATTRIB
    | IN_MOVED_FROM
    | IN_MOVED_TO
    | IN_CREATE
    | IN_DELETE
    | IN_DELETE_SELF
    | IN_MOVE_SELF
)
_HEADER = struct.Struct("iIII")  # wd, mask, cookie, len

CREATE, WRITE, REMOVE, RENAME, CHMOD = "create", "write", "remove", "rename", "chmod"

# (name relative to the watched directory, event kind, the entry when asked for)
Emit = Callable[[str, str, Entry | None], None]


class Unsupported(OSError):
    """Not on Linux: there is no inotify."""


class RawEvent:
    __slots__ = ("wd", "mask", "cookie", "name")

    def __init__(self, wd: int, mask: int, cookie: int, name: str):
        self.wd = wd
        self.mask = mask
        self.cookie = cookie
        self.name = name


class Inotify:
    """One inotify instance: watch descriptors shared and counted, events dispatched by `read()`."""

    def __init__(self) -> None:
        if not sys.platform.startswith("linux"):
            raise Unsupported(errno.ENOSYS, "watching directories needs Linux (inotify)")
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        self._add = libc.inotify_add_watch
        self._add.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_uint32]
        self._rm = libc.inotify_rm_watch
        self._rm.argtypes = [ctypes.c_int, ctypes.c_int]
        fd = libc.inotify_init1(IN_NONBLOCK | IN_CLOEXEC)
        if fd < 0:
            err = ctypes.get_errno()
            raise OSError(err, os.strerror(err))
        self.fd = fd
        self._refs: dict[int, int] = {}
        self._listeners: dict[int, set[Watch]] = {}

    def add(self, path: str, listener: Watch) -> int:
        wd = self._add(self.fd, os.fsencode(path), WATCH_MASK | IN_ONLYDIR)
        if wd < 0:
            err = ctypes.get_errno()
            if err == errno.ENOSPC:
                raise OSError(
                    err,
                    "the inotify watch limit is reached (raise fs.inotify.max_user_watches, "
                    "or watch a smaller tree)",
                )
            raise OSError(err, os.strerror(err), path)
        self._refs[wd] = self._refs.get(wd, 0) + 1
        self._listeners.setdefault(wd, set()).add(listener)
        return wd

    def remove(self, wd: int, listener: Watch) -> None:
        listeners = self._listeners.get(wd)
        if listeners is not None:
            listeners.discard(listener)
        left = self._refs.get(wd, 0) - 1
        if left > 0:
            self._refs[wd] = left
            return
        self._refs.pop(wd, None)
        self._listeners.pop(wd, None)
        self._rm(self.fd, wd)  # EINVAL when the kernel dropped it already: nothing to undo

    def read(self) -> None:
        """Read what is there and hand each event to the watches it concerns."""
        try:
            data = os.read(self.fd, 256 * 1024)
        except BlockingIOError:
            return
        except OSError as err:
            log.warning("inotify read failed: %s", err)
            return
        offset = 0
        events: list[RawEvent] = []
        while offset + _HEADER.size <= len(data):
            wd, mask, cookie, length = _HEADER.unpack_from(data, offset)
            offset += _HEADER.size
            raw_name = data[offset : offset + length].rstrip(b"\0")
            offset += length
            events.append(RawEvent(wd, mask, cookie, os.fsdecode(raw_name)))
        for event in events:
            if event.mask & IN_Q_OVERFLOW:
                log.warning("inotify queue overflowed: some file events were lost")
                continue
            for listener in list(self._listeners.get(event.wd, ())):
                listener.handle(event)
            if event.mask & IN_IGNORED:  # the directory is gone: so is its watch
                self._refs.pop(event.wd, None)
                self._listeners.pop(event.wd, None)

    def close(self) -> None:
        with contextlib.suppress(OSError):
            os.close(self.fd)


class Watch:
    """One watch of a directory (and, when recursive, everything below it)."""

    def __init__(
        self,
        inotify: Inotify,
        root: str,
        recursive: bool,
        include_entry: bool,
        emit: Emit,
        on_close: Callable[[], Any] | None = None,
        shown: str = "",
    ):
        self.inotify = inotify
        self.root = root  # resolved: what inotify watches
        self.shown = shown or root  # as the client named it: the base of entry paths
        self.recursive = recursive
        self.include_entry = include_entry
        self.emit = emit
        self.on_close = on_close
        self._dirs: dict[int, str] = {}  # wd -> directory relative to root ("" for root)
        self._uploads: set[int] = set()  # cookies of temporary upload files moved away
        self.closed = False

    def start(self) -> None:
        self._add_dir("", report=False)

    def _add_dir(self, rel: str, report: bool) -> None:
        """Watch a directory (and, when recursive, its subdirectories)."""
        path = os.path.join(self.root, rel) if rel else self.root
        try:
            wd = self.inotify.add(path, self)
        except OSError as err:
            if not rel:
                raise
            log.debug("cannot watch %s: %s", path, err)
            return
        self._dirs[wd] = rel
        if not self.recursive:
            return
        try:
            children = sorted(os.scandir(path), key=lambda e: e.name)
        except OSError:
            return
        for child in children:
            child_rel = os.path.join(rel, child.name) if rel else child.name
            if report and not child.name.startswith(UPLOAD_PREFIX):
                self._emit(child_rel, CREATE)
            with contextlib.suppress(OSError):
                if child.is_dir(follow_symlinks=False):
                    self._add_dir(child_rel, report)

    def _drop_dirs(self, rel: str) -> None:
        """Stop watching a directory that moved out of (or within) the tree, and all below it."""
        prefix = rel + "/"
        for wd, name in list(self._dirs.items()):
            if name == rel or name.startswith(prefix):
                del self._dirs[wd]
                self.inotify.remove(wd, self)

    def _emit(self, name: str, kind: str) -> None:
        found = None
        if self.include_entry:
            with contextlib.suppress(OSError):
                found = entry(os.path.join(self.shown, name))
        self.emit(name, kind, found)

    def handle(self, raw: RawEvent) -> None:
        rel = self._dirs.get(raw.wd)
        if rel is None or self.closed:
            return
        mask = raw.mask
        if mask & IN_IGNORED:
            del self._dirs[raw.wd]
            if not rel:  # the watched directory itself is gone: the watch ends
                self.close()
            return
        if mask & (IN_DELETE_SELF | IN_MOVE_SELF):
            return  # reported by the parent (or, for the root, by IN_IGNORED)
        name = os.path.join(rel, raw.name) if rel else raw.name
        is_dir = bool(mask & IN_ISDIR)
        if raw.name.startswith(UPLOAD_PREFIX):
            if mask & IN_MOVED_FROM:
                self._uploads.add(raw.cookie)
            return
        if mask & IN_CREATE:
            self._emit(name, CREATE)
            if is_dir and self.recursive:
                self._add_dir(name, report=True)
        elif mask & IN_MOVED_TO:
            self._emit(name, CREATE)
            if raw.cookie in self._uploads:
                self._uploads.discard(raw.cookie)
                self._emit(name, WRITE)
            elif is_dir and self.recursive:
                self._drop_dirs(name)
                self._add_dir(name, report=True)
        elif mask & IN_MODIFY:
            self._emit(name, WRITE)
        elif mask & IN_DELETE:
            self._emit(name, REMOVE)
        elif mask & IN_MOVED_FROM:
            self._emit(name, RENAME)
            if is_dir and self.recursive:
                self._drop_dirs(name)
        elif mask & IN_ATTRIB:
            self._emit(name, CHMOD)

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        for wd in list(self._dirs):
            self.inotify.remove(wd, self)
        self._dirs.clear()
        if self.on_close is not None:
            self.on_close()


def open_watch(
    inotify: Inotify,
    root: str,
    recursive: bool,
    include_entry: bool,
    emit: Emit,
    on_close: Callable[[], Any] | None = None,
) -> Watch:
    """Start watching `root` (an absolute path): a Refused (not found, not a directory) or a
    Failed (any other OS error) when it cannot be watched."""
    from .fileops import Failed, Refused

    try:
        real = os.path.realpath(root)
        if not os.path.isdir(real):
            if not os.path.lexists(root):
                raise Refused("not_found", f"cannot watch '{root}': no such directory")
            raise Refused("invalid", f"cannot watch '{root}': it is not a directory")
        watch = Watch(inotify, real, recursive, include_entry, emit, on_close, shown=root)
        watch.start()
    except OSError as err:
        raise Failed(err, "cannot watch", root) from None
    return watch
