"""The Files pane: the sandbox's filesystem as a tree, loaded a folder at a time.

The pane only shows and asks: it posts a message for every action (load a folder,
preview, upload, download, rename, new folder, delete, insert a path) and the app's
`FilesController` does the work through the SDK. Entries the last run created or changed
carry a mark (`+` new, `*` changed; a folder holding such entries, a dot), and a transfer
shows its progress under the tree.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass
from typing import Any

from rich.cells import cell_len
from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Label, ProgressBar, Static, Tree
from textual.widgets.tree import TreeNode

from ..actions import bindings

MARKS = {"new": ("+", "bold green"), "changed": ("*", "bold yellow")}


def shorten(name: str, room: int) -> str:
    """`name` within `room` cells, cut in the middle so its end (an extension) stays; whole
    when it fits or when `room` is unknown (0) or too small to say anything."""
    if room <= 0 or cell_len(name) <= room or room < 8:
        return name
    tail = max(4, min(10, room // 3))
    head = room - tail - 1
    while cell_len(name[:head]) > head:  # wide characters
        head -= 1
    end = name[-tail:]
    while cell_len(end) > tail:
        end = end[1:]
    return name[:head] + "…" + end


@dataclass
class FileEntry:
    """One node of the tree: a file or a folder of the sandbox (absolute path)."""

    path: str
    name: str
    is_dir: bool
    size: int = 0
    loaded: bool = False  # a folder whose children are listed


def human_size(size: float) -> str:
    for unit in ("B", "K", "M", "G"):
        if size < 1024 or unit == "G":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} G"


class FilesPane(Vertical):
    """The tree, its status line and a progress bar for transfers."""

    BINDINGS = bindings("files")

    class Request(Message):
        """Do `action` (load, preview, upload, download, rename, make_folder, delete, insert_path,
        reload, collapse) with `entry` (a folder for upload and make_folder)."""

        def __init__(self, action: str, entry: FileEntry) -> None:
            super().__init__()
            self.action = action
            self.entry = entry

    class Changed(Message):
        """Something changed in `folder` (a watch event, from the session thread)."""

        def __init__(self, folder: str) -> None:
            super().__init__()
            self.folder = folder

        def can_replace(self, message: Message) -> bool:
            return isinstance(message, FilesPane.Changed) and message.folder == self.folder

    class Progress(Message):
        """A transfer moved on (from the session thread); only the latest one counts."""

        def __init__(self, name: str, done: int, total: int) -> None:
            super().__init__()
            self.name = name
            self.done = done
            self.total = total

        def can_replace(self, message: Message) -> bool:
            return isinstance(message, FilesPane.Progress)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.nodes: dict[str, TreeNode[FileEntry]] = {}
        self.marks: dict[str, str] = {}  # path -> new / changed
        self.open_folders: set[str] = set()  # expanded by the person: listed again when shown again
        self._expanding: set[str] = set()  # expanded here, not by the person: no second load
        self.home = ""

    def compose(self) -> ComposeResult:
        yield Label("", id="files-home", classes="dim")
        yield Tree("sandbox", id="files-tree")
        yield Static("", id="files-status", classes="dim")
        yield ProgressBar(id="files-progress", show_eta=False)

    def on_mount(self) -> None:
        self.tree.show_root = True
        self.tree.guide_depth = 2
        self.query_one(ProgressBar).display = False

    @property
    def tree(self) -> Tree[FileEntry]:
        return self.query_one("#files-tree", Tree)

    @property
    def loaded(self) -> bool:
        """The root is listed (the pane has been opened on this sandbox)."""
        root = self.tree.root.data
        return bool(root and root.loaded)

    # -- what the controller tells it -----------------------------------------------------

    def set_home(self, home: str) -> None:
        """A new sandbox (or the first look): the tree starts at its home, nothing listed."""
        self.home = home
        self.nodes.clear()
        self.marks.clear()
        self.open_folders = {home}
        tree = self.tree
        tree.clear()
        entry = FileEntry(home, home, True)
        tree.root.data = entry
        tree.root.set_label(self._label(entry))
        tree.root.allow_expand = True
        self.nodes[home] = tree.root
        self.query_one("#files-home", Label).update(f"home: {home}")
        self.set_status("")

    def fill(self, folder: str, entries: list[FileEntry]) -> None:
        """Show `entries` as the children of `folder` (kept expanded where they were)."""
        node = self.nodes.get(folder)
        if node is None:
            return
        cursor = (
            self.tree.cursor_node.data.path if self.tree.cursor_node and self.tree.cursor_node.data else None
        )
        for path in [p for p in self.nodes if p != folder and posixpath.dirname(p) == folder]:
            self._forget(path)
        node.remove_children()
        for entry in sorted(entries, key=lambda e: (not e.is_dir, e.name.lower())):
            child = node.add(self._label(entry), data=entry, allow_expand=entry.is_dir)
            self.nodes[entry.path] = child
            if entry.is_dir and entry.path in self.open_folders:
                self.post_message(self.Request("load", entry))
        if node.data is not None:
            node.data.loaded = True
        if not node.is_expanded:
            self._expanding.add(folder)
            node.expand()
        if cursor in self.nodes:  # once the tree has laid out its new lines (a node has none before)
            self.call_after_refresh(self._restore_cursor, cursor)

    def _restore_cursor(self, path: str) -> None:
        node = self.nodes.get(path)
        if node is not None and (self.tree.cursor_node is None or self.tree.cursor_node.data is None):
            self.tree.move_cursor(node)
        elif node is not None and self.tree.cursor_node.data.path != path:
            self.tree.move_cursor(node)

    def _forget(self, path: str) -> None:
        for known in [p for p in self.nodes if p == path or p.startswith(path + "/")]:
            self.nodes.pop(known, None)

    def mark(self, marks: dict[str, str]) -> None:
        """The entries the last run created or changed (path -> new / changed)."""
        self.marks = dict(marks)
        for node in self.nodes.values():
            if node.data is not None:
                node.set_label(self._label(node.data))

    def _label(self, entry: FileEntry) -> Text:
        text = Text()
        mark = self.marks.get(entry.path)
        if mark:
            symbol, style = MARKS[mark]
            text.append(f"{symbol} ", style=style)
        elif entry.is_dir and any(p.startswith(entry.path.rstrip("/") + "/") for p in self.marks):
            text.append("• ", style="yellow")
        name = entry.name if entry.path != self.home else "~ (home)"
        name += "/" if entry.is_dir and entry.path != self.home else ""
        size = "" if entry.is_dir else f"  {human_size(entry.size)}"
        room = self._room(entry) - text.cell_len - cell_len(size)
        text.append(shorten(name, room), style="bold" if entry.is_dir else "")
        text.append(size, style="dim")
        return text

    def _room(self, entry: FileEntry) -> int:
        """The cells a label of `entry` has before the tree cuts it (0 while not laid out)."""
        width = self.tree.scrollable_content_region.width
        if width <= 0 or not self.home:
            return 0
        depth = 0
        if entry.path != self.home:
            depth = posixpath.relpath(entry.path, self.home).count("/") + 1
        return width - (depth + 1) * self.tree.guide_depth - 1  # guides, the expand icon, a cell spare

    def on_resize(self, event: events.Resize) -> None:
        """Labels are cut to the pane's width (the size stays whole): cut them again."""
        for node in self.nodes.values():
            if node.data is not None:
                node.set_label(self._label(node.data))

    def set_status(self, text: str | Text) -> None:
        self.query_one("#files-status", Static).update(text)

    def progress(self, name: str, done: int, total: int) -> None:
        """A transfer moves on: `name` and a bar (hidden again once it is complete)."""
        bar = self.query_one(ProgressBar)
        bar.display = done < total
        bar.update(total=max(total, 1), progress=done)
        self.set_status(f"{name}: {human_size(done)} of {human_size(total)}" if done < total else "")

    def on_files_pane_progress(self, message: Progress) -> None:
        message.stop()
        self.progress(message.name, message.done, message.total)

    def selected(self) -> FileEntry | None:
        node = self.tree.cursor_node
        return node.data if node is not None else None

    def folder_here(self) -> FileEntry | None:
        """The highlighted folder, or the folder of the highlighted file (uploads land there)."""
        entry = self.selected()
        if entry is None:
            return self.tree.root.data
        if entry.is_dir:
            return entry
        parent = self.nodes.get(posixpath.dirname(entry.path))
        return parent.data if parent is not None else self.tree.root.data

    # -- the tree's events and the pane's keys -------------------------------------------------

    def on_tree_node_expanded(self, event: Tree.NodeExpanded[FileEntry]) -> None:
        event.stop()
        entry = event.node.data
        if entry is None or not entry.is_dir:
            return
        if entry.path in self._expanding:
            self._expanding.discard(entry.path)
            return
        self.open_folders.add(entry.path)
        self.post_message(self.Request("load", entry))

    def on_tree_node_collapsed(self, event: Tree.NodeCollapsed[FileEntry]) -> None:
        event.stop()
        if event.node.data is not None:
            self.open_folders.discard(event.node.data.path)
            self.post_message(self.Request("collapse", event.node.data))

    def on_tree_node_selected(self, event: Tree.NodeSelected[FileEntry]) -> None:
        event.stop()
        entry = event.node.data
        if entry is not None and not entry.is_dir:
            self.post_message(self.Request("preview", entry))

    def _request(self, action: str, entry: FileEntry | None) -> None:
        if entry is None:
            self.app.notify("Nothing highlighted in the Files pane.", severity="warning")
            return
        self.post_message(self.Request(action, entry))

    def action_preview(self) -> None:
        self.tree.action_select_cursor()

    def action_upload(self) -> None:
        self._request("upload", self.folder_here())

    def action_download(self) -> None:
        self._request("download", self.selected())

    def action_rename(self) -> None:
        self._request("rename", self.selected())

    def action_make_folder(self) -> None:
        self._request("make_folder", self.folder_here())

    def action_delete(self) -> None:
        self._request("delete", self.selected())

    def action_insert_path(self) -> None:
        self._request("insert_path", self.selected())

    def action_reload(self) -> None:
        self._request("reload", self.folder_here())
