"""`EntryInfo` as envd fills it (the SDK maps it to its `EntryInfo` model), from a plain entry.

envd is written in Go, and the SDK shows what Go puts in the fields, so the entries that
`fileops.entry` builds reproduce Go's choices: `permissions` is Go's `FileMode.String()`
(`-rw-r--r--`, `drwxr-xr-x`, `Lrwxrwxrwx`, `dtrwxrwxrwt`), `mode` the permission bits, `size`
and `modified_time` the entry's own (lstat). A symlink reports `is_symlink`, its fully resolved
target, and the type and permission bits of what it points at (newer envd); a dangling one
keeps the type SYMLINK so the SDK still lists it. Sockets, pipes and devices have no file type
(the SDK skips them in `list`). User metadata lives in `user.e2b.*` extended attributes, as on
E2B. The entries are computed where the file is (here, or inside the isolated sandbox); this
module only puts them in envd's message.
"""

from __future__ import annotations

from e2b.envd.filesystem import filesystem_pb as pb
from protobuf.wkt import Timestamp

from ..fileops import Entry

_TYPES = {
    "dir": pb.FileType.DIRECTORY,
    "file": pb.FileType.FILE,
    "symlink": pb.FileType.SYMLINK,
}


def to_entry_info(found: Entry) -> pb.EntryInfo:
    """envd's EntryInfo message for a plain entry (`fileops.entry`)."""
    mtime = int(found["mtime_ns"])
    info = pb.EntryInfo(
        name=found["name"],
        type=_TYPES.get(found["type"], pb.FileType.UNSPECIFIED),
        path=found["path"],
        size=int(found["size"]),
        mode=int(found["mode"]),
        permissions=found["permissions"],
        owner=found["owner"],
        group=found["group"],
        modified_time=Timestamp(seconds=mtime // 1_000_000_000, nanos=mtime % 1_000_000_000),
        metadata=dict(found.get("metadata") or {}),
    )
    if "symlink_target" in found:
        info.is_symlink = True
        info.symlink_target = found["symlink_target"]
    return info
