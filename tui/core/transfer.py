"""Files between this machine and a sandbox, through the SDK's `sandbox.files` only.

One implementation behind `e2b-workbench files`, `run --upload/--download`, the MCP
server's file tools and the app's Files pane, so they agree on what a path means and
on what is never done:

- a local file is never replaced unless asked (`force`): every target is checked before
  the first byte moves, so a refused download changes nothing;
- a download lands in a temporary file beside its target and is renamed into place once
  complete: an interrupted transfer leaves no partial file;
- nothing is held in memory: uploads stream from the file (a reader that counts what the
  SDK takes from it), downloads are written chunk by chunk as they arrive;
- progress is reported per file as `(name, bytes done, bytes total)`.

Remote paths follow the SDK: relative ones start at the sandbox user's home (`/home/user`
on E2B, the workspace on the local runtime).
"""

from __future__ import annotations

import contextlib
import io
import os
import posixpath
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from e2b.exceptions import NotFoundException
from e2b.sandbox.filesystem.filesystem import EntryInfo, FileType

from .errors import WorkbenchError

Progress = Callable[[str, int, int], None]  # (name, bytes done, bytes total)
LIST_ALL = 64  # the depth that lists "all of a folder" (envd walks this many levels)
CHUNK = 1 << 20


class TransferError(WorkbenchError):
    """A transfer that could not be done, said for a person (what, and what to do)."""

    title = "Files"


class LocalExists(TransferError):
    """A download would replace local files: nothing was transferred."""

    def __init__(self, paths: list[Path]) -> None:
        shown = ", ".join(str(p) for p in paths[:3]) + (
            f" and {len(paths) - 3} more" if len(paths) > 3 else ""
        )
        super().__init__(
            f"{shown} already exist{'s' if len(paths) == 1 else ''} on this machine: nothing was downloaded.",
            "Use --force to replace.",
        )
        self.paths = paths


@dataclass
class Moved:
    """One file transferred: where it came from, where it went, how big it is."""

    source: str
    target: str
    size: int


def remote_join(folder: str, name: str) -> str:
    return posixpath.join(folder, name) if folder not in ("", ".") else name


def remote_name(path: str) -> str:
    """The last part of a remote path (`data/x.csv` -> `x.csv`, `/` -> `/`)."""
    return posixpath.basename(path.rstrip("/")) or path


def not_found(path: str, where: str = "in the sandbox") -> TransferError:
    return TransferError(f"No such file or folder {where}: {path}", title="Not found")


async def stat(sandbox: Any, path: str) -> EntryInfo | None:
    """The entry at `path` in the sandbox, or None when there is nothing there."""
    try:
        return await sandbox.files.get_info(path)
    except NotFoundException:
        return None


# -- listing and removing -------------------------------------------------------------


async def listing(sandbox: Any, path: str = ".", depth: int = 1) -> list[EntryInfo]:
    """The entries under `path`, `depth` levels deep (TransferError when it is not there)."""
    try:
        return await sandbox.files.list(path, depth=depth)
    except NotFoundException:
        raise not_found(path) from None


async def remove(sandbox: Any, path: str) -> None:
    """Remove a file or a whole folder (TransferError when there is nothing at `path`)."""
    if await stat(sandbox, path) is None:
        raise not_found(path)
    await sandbox.files.remove(path)


# -- upload -----------------------------------------------------------------------------


class CountingReader(io.BufferedReader):
    """A binary file that reports every read: the SDK streams an upload by reading it."""

    def __init__(self, path: Path, on_read: Callable[[int], None]) -> None:
        super().__init__(io.FileIO(path, "rb"), buffer_size=CHUNK)
        self._on_read = on_read

    def read(self, size: int | None = -1) -> bytes:
        data = super().read(size)
        if data:
            self._on_read(len(data))
        return data

    def read1(self, size: int = -1) -> bytes:
        data = super().read1(size)
        if data:
            self._on_read(len(data))
        return data


def local_files(source: Path) -> list[tuple[Path, str]]:
    """(file, path relative to `source`) for a file, or every file of a folder, sorted."""
    if source.is_file():
        return [(source, source.name)]
    found = []
    for root, dirs, files in os.walk(source):
        dirs.sort()
        for name in sorted(files):
            path = Path(root, name)
            if path.is_file():  # not sockets, pipes or dangling links
                found.append((path, path.relative_to(source).as_posix()))
    return found


async def upload(
    sandbox: Any, source: str | os.PathLike[str], target: str = "", progress: Progress | None = None
) -> list[Moved]:
    """Upload a local file or folder. `target` "" puts it in the home under its own name; a
    target that is a folder in the sandbox (or ends with `/`) receives it under its name."""
    local = Path(source).expanduser()
    if not local.exists():
        raise not_found(str(source), "here")
    if not (local.is_file() or local.is_dir()):
        raise TransferError(f"{source} is not a regular file or a folder.")
    name = local.resolve().name
    if not target:
        target = name
    elif target.endswith("/"):
        target = remote_join(target.rstrip("/") or "/", name)
    else:
        found = await stat(sandbox, target)
        if found is not None and found.type == FileType.DIR:
            target = remote_join(target, name)
    moved = []
    if local.is_dir():
        await sandbox.files.make_dir(target)
        for root, dirs, _files in os.walk(local):
            dirs.sort()
            for folder in dirs:
                relative = Path(root, folder).relative_to(local).as_posix()
                await sandbox.files.make_dir(remote_join(target, relative))
    for path, relative in local_files(local):
        destination = target if local.is_file() else remote_join(target, relative)
        moved.append(await upload_file(sandbox, path, destination, progress))
    return moved


async def upload_file(sandbox: Any, path: Path, target: str, progress: Progress | None = None) -> Moved:
    """Stream one local file to `target` in the sandbox."""
    size = path.stat().st_size
    done = 0

    def advance(count: int) -> None:
        nonlocal done
        done += count
        if progress is not None:
            progress(path.name, min(done, size), size)

    if progress is not None:
        progress(path.name, 0, size)
    try:
        with CountingReader(path, advance) as reader:
            await sandbox.files.write(target, reader)
    except OSError as err:
        raise TransferError(f"Cannot read {path}: {err.strerror or err}") from err
    return Moved(str(path), target, size)


# -- download ---------------------------------------------------------------------------


async def plan_download(
    sandbox: Any, source: str, target: str | os.PathLike[str] = ""
) -> list[tuple[str, Path, int]]:
    """(remote file, local path, size) for every file a download of `source` writes.

    `target` "" is the current folder; an existing local folder (or a path ending with
    `/`) receives `source` under its own name.
    """
    entry = await stat(sandbox, source)
    if entry is None:
        raise not_found(source)
    local = local_target(entry.path or source, target)
    if entry.type != FileType.DIR:
        return [(entry.path or source, local, entry.size)]
    plan = []
    root = (entry.path or source).rstrip("/")
    for found in await listing(sandbox, root, depth=LIST_ALL):
        if found.type == FileType.FILE:
            relative = posixpath.relpath(found.path, root)
            plan.append((found.path, local / relative, found.size))
    return plan or [(root, local, -1)]  # an empty folder: the folder itself


def local_target(source: str, target: str | os.PathLike[str] = "") -> Path:
    """Where a download of `source` lands (see plan_download), known before asking the sandbox."""
    text = str(target)
    local = Path(text).expanduser() if text else Path(remote_name(source))
    if text and (text.endswith(("/", os.sep)) or local.is_dir()):
        local = local / remote_name(source)
    return local


def check_local_targets(pairs: list[tuple[str, str]]) -> None:
    """LocalExists when a download of one of the (remote, local) pairs would land on an existing
    file or folder: said before the work that makes them (`run --download`) starts."""
    clashes = [local for local in (local_target(*pair) for pair in pairs) if local.exists()]
    if clashes:
        raise LocalExists(clashes)


async def download(
    sandbox: Any,
    source: str,
    target: str | os.PathLike[str] = "",
    *,
    force: bool = False,
    progress: Progress | None = None,
) -> list[Moved]:
    """Download a file or folder of the sandbox; LocalExists (nothing moved) when a local file
    would be replaced and not `force`."""
    plan = await plan_download(sandbox, source, target)
    clashes = [local for _remote, local, size in plan if size >= 0 and local.exists()]
    if clashes and not force:
        raise LocalExists(clashes)
    folders = [local for local in clashes if local.is_dir()]
    if folders:
        raise TransferError(f"{folders[0]} is a folder here: a file cannot replace it.")
    moved = []
    for remote, local, size in plan:
        if size < 0:  # an empty folder
            local.mkdir(parents=True, exist_ok=True)
            continue
        moved.append(await download_file(sandbox, remote, local, size, progress))
    return moved


async def download_file(
    sandbox: Any, remote: str, local: Path, size: int, progress: Progress | None = None
) -> Moved:
    """Stream one sandbox file into a temporary file beside `local`, then rename it into place."""
    try:
        local.parent.mkdir(parents=True, exist_ok=True)
        fd, part = tempfile.mkstemp(prefix=f".{local.name}.", suffix=".part", dir=local.parent)
    except OSError as err:
        raise TransferError(f"Cannot write in {local.parent}: {err.strerror or err}") from err
    done = 0
    try:
        with os.fdopen(fd, "wb") as out:
            if progress is not None:
                progress(local.name, 0, size)
            try:
                stream = await sandbox.files.read(remote, format="stream")
            except NotFoundException:
                raise not_found(remote) from None
            async for chunk in stream:
                out.write(chunk)
                done += len(chunk)
                if progress is not None:
                    progress(local.name, done, max(size, done))
        os.chmod(part, 0o666 & ~_umask())
        os.replace(part, local)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(part)
        raise
    return Moved(remote, str(local), done)


async def read_to(sandbox: Any, remote: str, out: BinaryIO) -> int:
    """Stream a sandbox file to an open binary file (stdout); the bytes written."""
    entry = await stat(sandbox, remote)
    if entry is None:
        raise not_found(remote)
    if entry.type == FileType.DIR:
        raise TransferError(f"{remote} is a folder: only a file can go to stdout.")
    done = 0
    async for chunk in await sandbox.files.read(remote, format="stream"):
        out.write(chunk)
        done += len(chunk)
    out.flush()
    return done


def _umask() -> int:
    """The process's umask, read without changing it (os.umask would, for every thread)."""
    with contextlib.suppress(OSError, ValueError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    return 0o022
