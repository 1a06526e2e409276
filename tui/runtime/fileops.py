"""envd's file operations on plain paths, with the standard library only.

The one implementation of what `files` does to a file system: the runtime runs it itself
when unisolated, and the isolated sandbox's file worker (`isolation/agent.py`) runs it
inside the sandbox, where every path resolves as the sandbox's processes see it (its mounts,
its symlinks, its permissions): a symlink in the workspace that points at `/root/.ssh` leads
nowhere there, whatever it points at outside. Hence no envd or protobuf import here: the
results are plain data (entries as dicts) that `envd/entries.py` turns into envd's messages.

Semantics follow envd (Go): `stat` does not follow a final symlink; `list_dir` follows the
listed directory when it is a symlink, walks `depth` levels in lexical order, parents before
children, never descending into symlinked directories, and reports paths under the name the
client used; `make_dir` creates missing parents (an existing directory is ALREADY_EXISTS);
`move` creates the destination's parents; `remove` deletes recursively and is silent about a
path that is not there (`os.RemoveAll`). Entries carry Go's `FileMode.String()` permissions.
"""

from __future__ import annotations

import errno
import grp
import os
import pwd
import secrets
import shutil
import stat
from functools import lru_cache
from typing import Any

NOT_A_DIRECTORY = "a parent in the path is a file, not a directory"
METADATA_XATTR_PREFIX = "user.e2b."
UPLOAD_PREFIX = ".e2b-upload-"  # temporary files of uploads: watches never report them

Entry = dict[str, Any]


class Refused(Exception):
    """A refusal with envd's code: `kind` is not_found, invalid or already_exists."""

    def __init__(self, kind: str, message: str):
        super().__init__(message)
        self.kind = kind
        self.message = message


class Failed(Exception):
    """An OS error met while doing `action` ("cannot read", ...) on `path`: envd words it."""

    def __init__(self, err: OSError, action: str, path: str):
        super().__init__(f"{action} '{path}': {err.strerror or err}")
        self.errno = err.errno or 0
        self.strerror = err.strerror or str(err)
        self.action = action
        self.path = path


# -- entries --------------------------------------------------------------------------

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


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "dir"
    if stat.S_ISREG(mode):
        return "file"
    return ""  # sockets, pipes, devices: no type (the SDK leaves them out of `list`)


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


def entry(path: str, st: os.stat_result | None = None) -> Entry:
    """The entry of `path` (absolute, as reported): lstat's size and time, Go's permissions; a
    symlink has its resolved target and its target's type and mode (a dangling one is `symlink`)."""
    if st is None:
        st = os.lstat(path)
    mode = st.st_mode
    found: Entry = {
        "name": os.path.basename(path) or path,
        "type": _kind(mode),
        "path": path,
        "size": st.st_size,
        "mode": mode & 0o777,
        "permissions": go_permissions(mode),
        "owner": _owner(st.st_uid),
        "group": _group(st.st_gid),
        "mtime_ns": st.st_mtime_ns,
        "metadata": read_metadata(path),
    }
    if stat.S_ISLNK(mode):
        found["symlink_target"] = os.path.realpath(path)
        try:
            target = os.stat(path)
        except OSError:
            found["type"] = "symlink"  # dangling: keep it listable
            found["mode"] = 0
        else:
            found["type"] = _kind(target.st_mode)
            found["mode"] = target.st_mode & 0o777
    return found


# -- the Filesystem service's operations ---------------------------------------------------


def stat_path(path: str) -> Entry:
    try:
        return entry(path)
    except OSError as err:
        if err.errno == errno.ENOTDIR:
            raise Refused("not_found", f"cannot stat '{path}': {NOT_A_DIRECTORY}") from None
        raise Failed(err, "cannot stat", path) from None


def list_dir(path: str, depth: int) -> list[Entry]:
    try:
        real = os.path.realpath(path)
        if not stat.S_ISDIR(os.stat(real).st_mode):
            raise Refused("invalid", f"cannot list '{path}': it is not a directory")
    except OSError as err:
        raise Failed(err, "cannot list", path) from None
    found: list[Entry] = []

    def walk(shown: str, actual: str, level: int) -> None:
        try:
            with os.scandir(actual) as it:
                children = sorted(it, key=lambda e: e.name)
        except OSError as err:
            if level == 1:
                raise Failed(err, "cannot list", shown) from None
            return  # an unreadable subdirectory: listed itself, its content skipped
        for child in children:
            child_shown = os.path.join(shown, child.name)
            try:
                found.append(entry(child_shown, child.stat(follow_symlinks=False)))
                is_dir = child.is_dir(follow_symlinks=False)
            except OSError:
                continue  # gone while listing
            if is_dir and level < depth:
                walk(child_shown, child.path, level + 1)

    walk(path, real, 1)
    return found


def make_dir(path: str) -> Entry:
    try:
        st = os.stat(path)
    except FileNotFoundError:
        pass
    except OSError as err:
        raise Failed(err, "cannot create directory", path) from None
    else:
        if stat.S_ISDIR(st.st_mode):
            raise Refused("already_exists", f"directory '{path}' already exists")
        raise Refused("invalid", f"cannot create directory '{path}': a file with that name exists")
    try:
        os.makedirs(path)
    except FileExistsError:
        if os.path.isdir(path):
            raise Refused("already_exists", f"directory '{path}' already exists") from None
        raise Refused("invalid", f"cannot create directory '{path}': {NOT_A_DIRECTORY}") from None
    except OSError as err:
        raise Failed(err, "cannot create directory", path) from None
    return entry(path)


def move(source: str, destination: str) -> Entry:
    try:
        os.lstat(source)
    except OSError as err:
        raise Failed(err, "cannot move", source) from None
    try:
        os.makedirs(os.path.dirname(destination), exist_ok=True)
        try:
            os.rename(source, destination)
        except OSError as err:
            if err.errno != errno.EXDEV:
                raise
            shutil.move(source, destination)  # another file system: copy, then delete
    except OSError as err:
        raise Failed(err, f"cannot move '{source}' to", destination) from None
    return entry(destination)


def remove(path: str) -> None:
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return
    except OSError as err:
        raise Failed(err, "cannot remove", path) from None
    try:
        if stat.S_ISDIR(st.st_mode):
            shutil.rmtree(path)
        else:
            os.unlink(path)
    except FileNotFoundError:
        return
    except OSError as err:
        raise Failed(err, "cannot remove", getattr(err, "filename", None) or path) from None


def is_dir(path: str) -> bool:
    try:
        return stat.S_ISDIR(os.stat(path).st_mode)
    except OSError:
        return False


# -- downloads and uploads (the bytes themselves go through the descriptors) -------------------


def open_read(path: str) -> tuple[int, int]:
    """A descriptor to read `path` from, and its size; never a directory."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except IsADirectoryError:
        raise Refused("invalid", f"cannot read '{path}': it is a directory") from None
    except OSError as err:
        raise Failed(err, "cannot read", path) from None
    st = os.fstat(fd)
    if stat.S_ISDIR(st.st_mode):
        os.close(fd)
        raise Refused("invalid", f"cannot read '{path}': it is a directory")
    return fd, st.st_size


def open_upload(path: str) -> tuple[int, str, str, int | None]:
    """Start writing `path`: (descriptor of a new temporary file beside the target, its path,
    the target (through a symlink, the file it names), the old file's permission bits)."""
    target = path
    mode = None
    try:
        st = os.stat(target)
    except FileNotFoundError:
        st = None
    except OSError as err:
        raise Failed(err, "cannot write", path) from None
    if st is not None:
        if stat.S_ISDIR(st.st_mode):
            raise Refused("invalid", f"cannot write '{path}': it is a directory")
        if not stat.S_ISREG(st.st_mode):  # a device, pipe or socket is never replaced by a file
            raise Refused("invalid", f"cannot write '{path}': it is not a regular file")
        mode = stat.S_IMODE(st.st_mode)
        target = os.path.realpath(target)
    folder = os.path.dirname(target)
    try:
        os.makedirs(folder, exist_ok=True)
    except FileExistsError:
        raise Refused("invalid", f"cannot write '{path}': {NOT_A_DIRECTORY}") from None
    except OSError as err:
        raise Failed(err, "cannot write", path) from None
    for _ in range(8):
        tmp = os.path.join(folder, f"{UPLOAD_PREFIX}{secrets.token_hex(6)}.part")
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o666)
        except FileExistsError:
            continue
        except OSError as err:
            raise Failed(err, "cannot write", path) from None
        return fd, tmp, target, mode
    raise Failed(FileExistsError(errno.EEXIST, "no free temporary name"), "cannot write", path)


def commit_upload(tmp: str, target: str, path: str) -> None:
    """Put a complete upload in place (readers never see half a file)."""
    try:
        os.replace(tmp, target)
    except OSError as err:
        raise Failed(err, "cannot write", path) from None


def discard_upload(tmp: str) -> None:
    try:
        os.unlink(tmp)
    except OSError:
        pass


# -- the wire form of a failure (the isolated sandbox's file worker sends it back) ----------------


def failure_to_json(err: BaseException) -> dict[str, Any]:
    if isinstance(err, Refused):
        return {"refused": err.kind, "message": err.message}
    if isinstance(err, Failed):
        return {"errno": err.errno, "strerror": err.strerror, "action": err.action, "path": err.path}
    if isinstance(err, OSError):
        return {"errno": err.errno or 0, "strerror": err.strerror or str(err), "action": "", "path": ""}
    return {"refused": "invalid", "message": f"{type(err).__name__}: {err}"}


def failure_from_json(data: dict[str, Any]) -> Exception:
    if "refused" in data:
        return Refused(str(data["refused"]), str(data.get("message", "")))
    err = OSError(int(data.get("errno") or 0), str(data.get("strerror") or "error"))
    if data.get("action"):
        return Failed(err, str(data["action"]), str(data.get("path", "")))
    return err
