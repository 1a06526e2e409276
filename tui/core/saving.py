"""Writing a run's images and charts to files: where a save goes, and writing it safely.

Two callers: the app saves one artifact to a path a person chose (`save_plan`,
`write_plan`: never over an existing file unless asked, all files or none), and `run`
and tool calls save every image of a run under a stable name (`ImageSaver`). Every file
is written with `tui.common.files.atomic_write` (temporary file, fsync, rename), so a
reader never sees half an image; a new file gets the mode the umask gives (these are the
user's files, not the workbench's), a replaced one keeps its own.
"""

from __future__ import annotations

import base64
import os
from pathlib import Path

from e2b_code_interpreter.models import Result

from ..common.files import atomic_write
from .artifacts import Artifact

DEFAULT_FOLDER = "e2b-artifacts"
# suffixes a typed path may end in: the files of one artifact share the rest of the name
KNOWN_SUFFIXES = (".chart.json", ".json", ".png", ".jpg", ".jpeg", ".svg")
IMAGE_FORMATS = (("png", "png"), ("jpeg", "jpg"), ("svg", "svg"))  # result field, file suffix


def write_file(path: Path, data: bytes, replace: bool = True) -> bool:
    """Write `data` to `path` atomically; True if the file is new.

    The name is claimed first (an exclusive create, with the mode the umask gives); with
    `replace` false, a file already there raises FileExistsError and is left alone.
    """
    try:
        with open(path, "xb"):
            pass
        created = True
    except FileExistsError:
        if not replace:
            raise
        created = False
    try:
        atomic_write(path, data, path.stat().st_mode & 0o777)
    except BaseException:
        if created:
            path.unlink(missing_ok=True)
        raise
    return created


# -- one artifact, to a path a person chose ---------------------------------------------


def stem_of(path: Path) -> Path:
    """`out/fig.png` -> `out/fig`: the name an artifact's files share."""
    name = path.name
    for suffix in KNOWN_SUFFIXES:
        if name.lower().endswith(suffix) and len(name) > len(suffix):
            return path.with_name(name[: -len(suffix)])
    return path


def save_plan(artifact: Artifact, target: Path) -> list[tuple[Path, bytes]]:
    """The files a save to `target` writes: `fig.png`, `fig.svg`, `fig.chart.json` side by side."""
    stem = stem_of(target)
    return [(stem.with_name(stem.name + suffix), data) for suffix, data in artifact.files()]


def target_from_input(text: str, artifact: Artifact, cwd: Path) -> Path:
    """The path a person typed: `~` expanded, relative to `cwd`; a folder (an existing one, or
    a path ending in /) gets the artifact's default file name; empty means the default."""
    text = text.strip()
    if not text:
        return default_target(artifact, cwd)
    path = Path(os.path.expanduser(text))
    if not path.is_absolute():
        path = cwd / path
    if text.endswith(("/", os.sep)) or path.is_dir():
        path = path / f"{artifact.name}{_primary_suffix(artifact)}"
    return path


def _primary_suffix(artifact: Artifact) -> str:
    files = artifact.files()
    return files[0][0] if files else ""


def existing(plan: list[tuple[Path, bytes]]) -> list[Path]:
    """The files of a plan that are already there (a save would replace them; a folder in the
    way is not replaced, and `write_plan` says so)."""
    return [path for path, _data in plan if path.exists() and not path.is_dir()]


def default_target(artifact: Artifact, cwd: Path | None = None) -> Path:
    """`./e2b-artifacts/run-3-1.png`, or `run-3-1-2.png`... when that name is taken."""
    folder = (cwd or Path.cwd()) / DEFAULT_FOLDER
    suffix = _primary_suffix(artifact)
    for n in range(1, 1000):
        stem = artifact.name if n == 1 else f"{artifact.name}-{n}"
        target = folder / f"{stem}{suffix}"
        if not any(path.exists() for path, _data in save_plan(artifact, target)):
            return target
    return folder / f"{artifact.name}{suffix}"


def write_plan(plan: list[tuple[Path, bytes]], overwrite: bool = False) -> list[Path]:
    """Write every file of a plan; without `overwrite`, nothing is written if one exists.

    Raises FileExistsError (before writing anything, or if a file appears meanwhile) when a
    file is there and `overwrite` is false; other OSErrors (with a message that says what is
    wrong) when there is nothing to write or a file cannot be written, after removing the
    files this call created. Every file is written atomically: a reader never sees half a file.
    """
    if not plan:
        raise OSError("nothing to write (the result's image data is not valid base64)")
    folders = [path for path, _data in plan if path.is_dir()]
    if folders:
        raise IsADirectoryError(f"{folders[0]} is a folder")
    if not overwrite:
        taken = existing(plan)
        if taken:
            raise FileExistsError(taken[0])
    written: list[Path] = []
    created: list[Path] = []
    try:
        for path, data in plan:
            _make_folder(path.parent)
            if write_file(path, data, replace=overwrite):
                created.append(path)
            written.append(path)
    except BaseException:
        for path in created:  # all or nothing: no half-saved artifact is left behind
            path.unlink(missing_ok=True)
        raise
    return written


def _make_folder(folder: Path) -> None:
    """Create `folder` (and its parents); a file in the way is an error that names it."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):  # a file has the name of the folder, or of a parent
        blocking = next((p for p in (folder, *folder.parents) if p.exists() and not p.is_dir()), folder)
        raise NotADirectoryError(f"{blocking} is a file, not a folder") from None


# -- every image of a run, under stable names -------------------------------------------


class ImageSaver:
    """Saves every image result under a stable name: STEM-N.EXT, N counting images (a file
    of the same name from an earlier run is replaced)."""

    def __init__(self, folder: Path, stem: str):
        self.folder = folder
        self.stem = stem
        self.count = 0
        self.saved: list[Path] = []

    def save(self, result: Result) -> list[Path]:
        """Write the result's images; OSError if the folder cannot take them, ValueError if
        the data is not base64."""
        paths = []
        for field, ext in IMAGE_FORMATS:
            value = getattr(result, field, None)
            if not value:
                continue
            self.count += 1
            self.folder.mkdir(parents=True, exist_ok=True)
            path = self.folder / f"{self.stem}-{self.count}.{ext}"
            data = value.encode() if field == "svg" else base64.b64decode(value)
            write_file(path, data)
            paths.append(path)
        self.saved.extend(paths)
        return paths
