"""`EntryInfo` for a path, as envd fills it (the SDK maps it to its `EntryInfo` model).

envd is written in Go, and the SDK shows what Go puts in the fields, so we reproduce Go's
choices: `permissions` is Go's `FileMode.String()` (`-rw-r--r--`, `drwxr-xr-x`,
`Lrwxrwxrwx`, `dtrwxrwxrwt`), `mode` the permission bits, `size` and `modified_time` the
entry's own (lstat). A symlink reports `is_symlink`, its fully resolved target, and the type
and permission bits of what it points at (newer envd); a dangling one keeps the type SYMLINK so
the SDK still lists it. Sockets, pipes and devices have no file type (the SDK skips them in
`list`). User metadata lives in `user.e2b.*` extended attributes, as on E2B.
"""

from __future__ import annotations

import errno
import grp
import os
import pwd
import stat
from functools import lru_cache

from e2b.envd.filesystem import filesystem_pb as pb
from protobuf.wkt import Timestamp

METADATA_XATTR_PREFIX = "user.e2b."

# Go's os.FileMode type letters, most significant bit first ("dalTLDpSugct?")
_GO_TYPE_LETTERS = "dalTLDpSugct?"


def _go_mode_bits(mode: int) -> int:
    """A unix st_mode as Go's os.FileMode bits (type bits high, permissions low)."""
    bit = {letter: 1 << (31 - i) for i, letter in enumerate(_GO_TYPE_LETTERS)}
    go = mode & 0o777
    fmt = stat.S_IFMT(mode)
    if fmt == stat.S_IFDIR:
        go |= bit["d"]
    elif fmt == stat.S_IFLNK:
        go |= bit["L"]
    elif fmt == stat.S_IFIFO:
        go |= bit["p"]
    elif fmt == stat.S_IFSOCK:
        go |= bit["S"]
    elif fmt == stat.S_IFBLK:
        go |= bit["D"]
    elif fmt == stat.S_IFCHR:
        go |= bit["D"] | bit["c"]
    elif fmt != stat.S_IFREG:
        go |= bit["?"]
    if mode & stat.S_ISUID:
        go |= bit["u"]
    if mode & stat.S_ISGID:
        go |= bit["g"]
    if mode & stat.S_ISVTX:
        go |= bit["t"]
    return go


def go_permissions(mode: int) -> str:
    """Go's `FileMode.String()` of a unix st_mode: `-rw-r--r--`, `drwxr-xr-x`, `Lrwxrwxrwx`."""
    go = _go_mode_bits(mode)
    letters = "".join(c for i, c in enumerate(_GO_TYPE_LETTERS) if go & (1 << (31 - i))) or "-"
    rwx = "".join(c if go & (1 << (8 - i)) else "-" for i, c in enumerate("rwxrwxrwx"))
    return letters + rwx


@lru_cache(maxsize=256)
def _owner(uid: int) -> str:
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)


@lru_cache(maxsize=256)
def _group(gid: int) -> str:
    try:
        return grp.getgrgid(gid).gr_name
    except KeyError:
        return str(gid)


def _file_type(mode: int) -> pb.FileType:
    if stat.S_ISDIR(mode):
        return pb.FileType.DIRECTORY
    if stat.S_ISREG(mode):
        return pb.FileType.FILE
    return pb.FileType.UNSPECIFIED


def read_metadata(path: str) -> dict[str, str]:
    """The `user.e2b.*` extended attributes of a path (not following a symlink)."""
    try:
        names = os.listxattr(path, follow_symlinks=False)
    except OSError:
        return {}
    found: dict[str, str] = {}
    for name in names:
        if name.startswith(METADATA_XATTR_PREFIX):
            try:
                value = os.getxattr(path, name, follow_symlinks=False)
            except OSError:
                continue
            found[name[len(METADATA_XATTR_PREFIX) :]] = value.decode("utf-8", "replace")
    return found


def write_metadata(fd: int, metadata: dict[str, str]) -> None:
    """Store metadata on an open file as `user.e2b.*` attributes (keys lower-cased, as envd)."""
    for key, value in metadata.items():
        try:
            os.setxattr(fd, METADATA_XATTR_PREFIX + key.lower(), value.encode())
        except OSError as err:
            if err.errno in (errno.ENOTSUP, errno.EOPNOTSUPP):
                raise OSError(
                    err.errno, "this file system cannot store file metadata (no user extended attributes)"
                ) from None
            raise


def entry_info(path: str, st: os.stat_result | None = None) -> pb.EntryInfo:
    """The EntryInfo of `path` (absolute, as reported); `st` is its lstat when already known."""
    if st is None:
        st = os.lstat(path)
    mode = st.st_mode
    entry = pb.EntryInfo(
        name=os.path.basename(path) or path,
        type=_file_type(mode),
        path=path,
        size=st.st_size,
        mode=mode & 0o777,
        permissions=go_permissions(mode),
        owner=_owner(st.st_uid),
        group=_group(st.st_gid),
        modified_time=Timestamp(
            seconds=st.st_mtime_ns // 1_000_000_000, nanos=st.st_mtime_ns % 1_000_000_000
        ),
        metadata=read_metadata(path),
    )
    if stat.S_ISLNK(mode):
        entry.is_symlink = True
        entry.symlink_target = os.path.realpath(path)
        try:
            target = os.stat(path)
        except OSError:
            entry.type = pb.FileType.SYMLINK  # dangling: keep it listable
            entry.mode = 0
        else:
            entry.type = _file_type(target.st_mode)
            entry.mode = target.st_mode & 0o777
    return entry
