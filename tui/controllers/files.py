"""The Files pane's work: listing, watching, previews, transfers, renames, folders, deletes.

Everything goes through the session's sandbox (`session.call`, the SDK's `sandbox.files`
and, for a table's row count, `sandbox.commands`), so the local runtime and E2B cloud
behave alike. Folders are listed when opened and watched (`watch_dir`, one watch per
open folder, not a recursive watch of a home that may hold a whole project) while they
stay open, so what a run or the terminal writes appears by itself. After every run the
entries it created or changed (modified since it started) are marked.

Transfers use `tui.core.transfer` (streamed, atomic, never replacing a local file
without asking); an upload that would replace files in the sandbox asks too.
"""

from __future__ import annotations

import asyncio
import posixpath
import shlex
from pathlib import Path
from typing import Any, cast

from e2b.sandbox.filesystem.filesystem import FileType
from textual.app import App

from ..core import preview as previews
from ..core import transfer
from ..core.session import Session
from ..screens.confirm import ConfirmScreen
from ..screens.file_preview import FilePreviewScreen, ImagePreviewScreen
from ..screens.local_path import LocalPathScreen
from ..screens.prompt import PromptScreen
from ..widgets.files import FileEntry, FilesPane
from ..workbench import Workbench

RELOAD_DELAY = 0.2  # watch events for a folder within this time make one listing
MARK_DEPTH = 3  # how deep under the home a run's changes are looked for


def entry_of(info: Any) -> FileEntry:
    return FileEntry(info.path, info.name, info.type == FileType.DIR, info.size or 0)


class FilesController:
    """Serves the pane's requests on the app's current session."""

    def __init__(self, app: App) -> None:
        self.app = app
        self.session: Session | None = None  # the session the pane shows
        self.watches: dict[str, Any] = {}  # folder -> the SDK's watch handle
        self._reloads: dict[str, Any] = {}  # folder -> pending reload timer
        self.base = Path.cwd()  # local paths are relative to where the app was started
        self._runs = 0  # runs and commands going on
        self._known: set[str] = set()  # the tree's paths when the first of them started

    @property
    def workbench(self) -> Workbench:
        return cast(Workbench, self.app)

    @property
    def pane(self) -> FilesPane:
        return cast(FilesPane, self.workbench.main.files_pane)

    def _run(self, coro: Any, name: str = "files") -> None:
        self.app.run_worker(coro, group=name, exit_on_error=False)

    def _fail(self, what: str, err: BaseException) -> None:
        self.app.notify(
            f"{what}: {self.workbench.session.explain(err)}", title="Files", severity="error", timeout=15
        )

    def _relative(self, path: str) -> str:
        home = self.pane.home.rstrip("/")
        if path == home:
            return "."
        return path[len(home) + 1 :] if home and path.startswith(home + "/") else path

    # -- the pane's life ----------------------------------------------------------------

    def show(self) -> None:
        """The pane is shown: list the home the first time on this session."""
        session = self.workbench.session
        if session is not self.session and session.is_open:
            self.session = session
            self.watches.clear()
            self._run(self._open(session))

    async def _open(self, session: Session) -> None:
        try:
            home = await session.call(lambda sbx: sbx.files.get_info("."))
        except Exception as err:
            self._fail("Cannot look at the sandbox's files", err)
            self.session = None
            return
        self.pane.set_home(home.path)
        await self.load(home.path)

    def session_closed(self) -> None:
        """The sandbox is gone or being replaced: nothing of the pane is valid any more."""
        self.session = None
        self.watches.clear()
        for timer in self._reloads.values():
            timer.stop()
        self._reloads.clear()

    async def load(self, folder: str) -> None:
        """List `folder` into the tree and watch it while it stays open."""
        session = self.session
        if session is None or not session.is_open:
            return
        try:
            entries = await session.call(lambda sbx: sbx.files.list(folder, depth=1))
        except Exception as err:
            self._fail(f"Cannot list {folder}", err)
            return
        if session is not self.session:
            return
        self.pane.fill(folder, [entry_of(e) for e in entries])
        if folder not in self.watches:
            await self._watch(session, folder)

    async def _watch(self, session: Session, folder: str) -> None:
        pane = self.pane

        def changed(_event: Any) -> None:  # on the session thread: only post
            pane.post_message(FilesPane.Changed(folder))

        self.watches[folder] = None  # being set up
        try:
            handle = await session.call(lambda sbx: sbx.files.watch_dir(folder, changed, timeout=0))
        except Exception:  # a sandbox that cannot watch (no inotify): the pane still works, reload by hand
            self.watches.pop(folder, None)
            return
        if session is self.session and folder in self.watches:
            self.watches[folder] = handle
        else:
            await session.call(lambda _sbx: handle.stop())

    def changed(self, folder: str) -> None:
        """A watched folder changed: list it again, once for a burst of events."""
        if folder in self._reloads or folder not in self.pane.nodes:
            return

        def reload() -> None:
            self._reloads.pop(folder, None)
            self._run(self.load(folder))

        self._reloads[folder] = self.app.set_timer(RELOAD_DELAY, reload)

    def collapse(self, folder: str) -> None:
        """A folder was closed: stop watching it (and what is below it)."""
        session = self.session
        for path in [p for p in self.watches if p == folder or p.startswith(folder.rstrip("/") + "/")]:
            handle = self.watches.pop(path)
            if handle is not None and session is not None and session.is_open and path != self.pane.home:
                self._run(session.call(lambda _sbx, h=handle: h.stop()))

    # -- marks ------------------------------------------------------------------------------

    def run_started(self) -> None:
        """A run or command starts: what the tree knows now is not new when it ends."""
        if not self._runs:
            self._known = set(self.pane.nodes)
        self._runs += 1

    def run_finished(self, started_at: float) -> None:
        """A run or command ended: mark what it created or changed (if the pane is in use)."""
        self._runs = max(0, self._runs - 1)
        if self.session is not None and self.pane.loaded:
            self._run(self._mark(self.session, started_at), "files-marks")

    async def _mark(self, session: Session, started_at: float) -> None:
        home = self.pane.home
        try:
            entries = await session.call(lambda sbx: sbx.files.list(home, depth=MARK_DEPTH))
        except Exception:
            return
        since = started_at - 0.5  # the sandbox's clock may lag a little behind this one
        known = self._known
        marks = {}
        for entry in entries:
            modified = entry.modified_time.timestamp() if entry.modified_time else 0
            if modified >= since and entry.type != FileType.DIR:
                marks[entry.path] = "changed" if entry.path in known else "new"
        if session is self.session:
            self.pane.mark(marks)

    # -- requests from the pane ---------------------------------------------------------------

    def request(self, action: str, entry: FileEntry) -> None:
        if self.session is None or not self.session.is_open:
            self.app.notify("The sandbox is not open.", severity="warning")
            return
        handlers = {
            "load": lambda: self._run(self.load(entry.path)),
            "reload": lambda: self._run(self.load(entry.path)),
            "collapse": lambda: self.collapse(entry.path),
            "preview": lambda: self._run(self.preview(entry)),
            "upload": lambda: self.upload(entry),
            "download": lambda: self.download(entry),
            "rename": lambda: self.rename(entry),
            "make_folder": lambda: self.make_folder(entry),
            "delete": lambda: self.delete(entry),
            "insert_path": lambda: self.workbench.main.insert_text(self._relative(entry.path)),
        }
        handlers[action]()

    async def preview(self, entry: FileEntry) -> None:
        session = self.session
        assert session is not None
        self.pane.set_status(f"Reading {entry.name}…")
        try:
            found = await self._read_preview(session, entry.path)
        except Exception as err:
            self.pane.set_status("")
            self._fail(f"Cannot preview {entry.name}", err)
            return
        self.pane.set_status("")
        if found.kind == "image":
            self.app.push_screen(ImagePreviewScreen(found, self.workbench.config.graphics))
        else:
            self.app.push_screen(FilePreviewScreen(found))

    @staticmethod
    async def _read_preview(session: Session, path: str) -> previews.FilePreview:
        async def read(sbx: Any) -> previews.FilePreview:
            info = await sbx.files.get_info(path)
            limit = previews.IMAGE_BYTES if previews.wants_whole(path, info.size) else previews.PREVIEW_BYTES
            head = bytearray()
            async for chunk in await sbx.files.read(path, format="stream"):
                head += chunk
                if len(head) > limit:
                    break
            complete = len(head) <= limit and len(head) >= info.size
            lines = None
            if not complete and previews.extension(path) in previews.TABLE_EXTENSIONS:
                try:  # counted where the file is: a large table never crosses the network for it
                    done = await sbx.commands.run(f"wc -l < {shlex.quote(info.path)}", timeout=30)
                    lines = int(done.stdout.strip() or 0)
                except Exception:  # no shell, or no wc: the count stays unknown
                    lines = None
            return previews.build(info.path, info.size, bytes(head[:limit]), complete, lines)

        return await session.call(read)

    # -- transfers -------------------------------------------------------------------------------

    def _progress(self, name: str, done: int, total: int) -> None:  # on the session thread
        self.pane.post_message(FilesPane.Progress(name, done, total))

    def upload(self, folder: FileEntry) -> None:
        def chosen(paths: list[Path] | None) -> None:
            if paths:
                self._run(self._upload(folder, paths), "files-transfer")

        where = self._relative(folder.path)
        self.app.push_screen(
            LocalPathScreen(f"Upload into {where} (files or folders)", several=True, base=self.base), chosen
        )

    async def _upload(self, folder: FileEntry, paths: list[Path], replace: bool = False) -> None:
        session = self.session
        assert session is not None
        missing = [str(p) for p in paths if not p.exists()]
        if missing:
            self.app.notify(
                f"No such local file or folder: {', '.join(missing)}", title="Upload", severity="error"
            )
            return
        targets = [transfer.remote_join(folder.path, p.resolve().name) for p in paths]
        if not replace:
            found = await session.call(lambda sbx: _existing(sbx, targets))
            if found:
                names = ", ".join(self._relative(t) for t in found[:3]) + (" …" if len(found) > 3 else "")

                def confirmed(yes: bool | None) -> None:
                    if yes:
                        self._run(self._upload(folder, paths, replace=True), "files-transfer")

                self.app.push_screen(ConfirmScreen(f"Replace {names} in the sandbox?", "Replace"), confirmed)
                return
        moved: list[transfer.Moved] = []
        try:
            for path in paths:
                moved += await session.call(
                    lambda sbx, p=path: transfer.upload(sbx, p, folder.path.rstrip("/") + "/", self._progress)
                )
        except Exception as err:
            self.pane.progress("", 1, 1)
            self._fail("Upload failed", err)
            return
        self.pane.progress("", 1, 1)
        size = transfer_size(moved)
        self.app.notify(
            f"Uploaded {len(moved)} file{'s' if len(moved) != 1 else ''} ({size}) to {self._relative(folder.path)}."
        )
        await self.load(folder.path)

    def download(self, entry: FileEntry) -> None:
        def chosen(paths: list[Path] | None) -> None:
            if paths:
                self._run(self._download(entry, paths[0]), "files-transfer")

        default = f"./{entry.name}"
        self.app.push_screen(
            LocalPathScreen(f"Download {self._relative(entry.path)} to", default, base=self.base), chosen
        )

    async def _download(self, entry: FileEntry, local: Path, replace: bool = False) -> None:
        session = self.session
        assert session is not None
        target = str(local) + ("/" if local.is_dir() else "")
        try:
            plan = await session.call(lambda sbx: transfer.plan_download(sbx, entry.path, target))
        except Exception as err:
            self._fail("Download failed", err)
            return
        clashes = [path for _remote, path, size in plan if size >= 0 and path.exists()]
        if clashes and not replace:
            names = ", ".join(str(p) for p in clashes[:3]) + (
                f" and {len(clashes) - 3} more" if len(clashes) > 3 else ""
            )

            def confirmed(yes: bool | None) -> None:
                if yes:
                    self._run(self._download(entry, local, replace=True), "files-transfer")

            self.app.push_screen(ConfirmScreen(f"Replace {names} on this machine?", "Replace"), confirmed)
            return
        try:
            moved = await session.call(
                lambda sbx: transfer.download(sbx, entry.path, target, force=replace, progress=self._progress)
            )
        except Exception as err:
            self.pane.progress("", 1, 1)
            self._fail("Download failed", err)
            return
        self.pane.progress("", 1, 1)
        where = moved[0].target if len(moved) == 1 else str(local)
        self.app.notify(
            f"Downloaded {len(moved)} file{'s' if len(moved) != 1 else ''} ({transfer_size(moved)}) to {where}."
        )

    # -- rename, folders, delete ---------------------------------------------------------------

    def rename(self, entry: FileEntry) -> None:
        if entry.path == self.pane.home:
            self.app.notify("The home folder stays where it is.", severity="warning")
            return

        def chosen(value: str | None) -> None:
            if value and value.strip() and value.strip() != self._relative(entry.path):
                self._run(self._rename(entry, value.strip()))

        self.app.push_screen(
            PromptScreen("Rename or move to (relative to the home)", self._relative(entry.path)), chosen
        )

    async def _rename(self, entry: FileEntry, new: str) -> None:
        session = self.session
        assert session is not None
        try:
            await session.call(lambda sbx: sbx.files.rename(entry.path, new))
        except Exception as err:
            self._fail(f"Cannot rename {entry.name}", err)
            return
        self.app.notify(f"{self._relative(entry.path)} → {new}")
        await self.load(posixpath.dirname(entry.path))

    def make_folder(self, folder: FileEntry) -> None:
        def chosen(value: str | None) -> None:
            if value and value.strip():
                self._run(self._make_folder(folder, value.strip()))

        self.app.push_screen(PromptScreen(f"New folder in {self._relative(folder.path)}", "", "name"), chosen)

    async def _make_folder(self, folder: FileEntry, name: str) -> None:
        session = self.session
        assert session is not None
        path = transfer.remote_join(folder.path, name)
        try:
            made = await session.call(lambda sbx: sbx.files.make_dir(path))
        except Exception as err:
            self._fail(f"Cannot make {name}", err)
            return
        if not made:
            self.app.notify(f"{self._relative(path)} already exists.", severity="warning")
        await self.load(folder.path)

    def delete(self, entry: FileEntry) -> None:
        if entry.path == self.pane.home:
            self.app.notify("The home folder cannot be deleted from here.", severity="warning")
            return
        name = self._relative(entry.path)
        # "the folder and everything in it scripts?" read wrong: the name goes after its kind
        question = (
            f"Delete the folder {name} and everything in it?" if entry.is_dir else f"Delete the file {name}?"
        )

        def confirmed(yes: bool | None) -> None:
            if yes:
                self._run(self._delete(entry))

        self.app.push_screen(ConfirmScreen(question, "Delete"), confirmed)

    async def _delete(self, entry: FileEntry) -> None:
        session = self.session
        assert session is not None
        try:
            await session.call(lambda sbx: sbx.files.remove(entry.path))
        except Exception as err:
            self._fail(f"Cannot delete {entry.name}", err)
            return
        self.app.notify(f"Deleted {self._relative(entry.path)}.")
        await self.load(posixpath.dirname(entry.path))


async def _existing(sandbox: Any, paths: list[str]) -> list[str]:
    found = await asyncio.gather(*(transfer.stat(sandbox, p) for p in paths))
    return [p for p, info in zip(paths, found, strict=True) if info is not None]


def transfer_size(moved: list[transfer.Moved]) -> str:
    from ..widgets.files import human_size

    return human_size(sum(m.size for m in moved))
