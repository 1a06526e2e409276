"""The context sidebar: every context with language, cwd, state and last execution count."""

from __future__ import annotations

import os
import time

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Label, ListItem, ListView, Static

from ..actions import bindings
from ..common.terminal import clean
from ..core.runbook import ContextEntry
from .output_log import format_duration

STATE_STYLE = {"starting": "yellow", "idle": "green", "busy": "bold yellow", "dead": "bold red"}
STATE_MARK = {"starting": "◌", "idle": "●", "busy": "◉", "dead": "✖"}


def short_path(path: str, width: int = 28) -> str:
    home = os.path.expanduser("~")
    if path.startswith(home + os.sep):
        path = "~" + path[len(home) :]
    return path if len(path) <= width else "…" + path[-(width - 1) :]


def context_text(info: ContextEntry) -> Text:
    state = info.state
    text = Text()
    if info.marked:
        text.append("✚ ", style="bold magenta")  # marked for a fan-out
    text.append(f"{STATE_MARK.get(state, '?')} ", style=STATE_STYLE.get(state, ""))
    text.append(info.language, style="bold")
    if state != "starting":
        text.append(f" {info.id[:6]}", style="dim")
    count = "-" if info.last_count is None else str(info.last_count)
    text.append(f"  [{count}]\n", style="cyan")
    detail = state
    if state == "busy" and info.busy_since is not None:
        detail = f"busy {format_duration(time.monotonic() - info.busy_since)}"
    elif info.note:
        detail = f"{state} · {info.note}"
    text.append(f"  {detail}\n", style=STATE_STYLE.get(state, ""))
    text.append(f"  {short_path(clean(info.cwd))}", style="dim")  # the sandbox's words
    return text


class ContextItem(ListItem):
    def __init__(self, info: ContextEntry) -> None:
        self.body = Static(context_text(info))
        super().__init__(self.body)
        self.info = info

    def refresh_info(self) -> None:
        self.body.update(context_text(self.info))


class ContextSidebar(Vertical):
    """Lists contexts; the highlighted one is where runs go."""

    BINDINGS = bindings("sidebar")

    class Selected(Message):
        def __init__(self, context_id: str) -> None:
            super().__init__()
            self.context_id = context_id

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._wanted: tuple[list[ContextEntry], str | None] = ([], None)
        self._resizing = False

    def compose(self) -> ComposeResult:
        yield Label("Contexts", classes="sidebar-title")
        yield ListView(id="context-list")
        yield Static("", id="sidebar-status")

    @property
    def list_view(self) -> ListView:
        return self.query_one("#context-list", ListView)

    def show(self, contexts: list[ContextEntry], selected: str | None) -> None:
        """Show `contexts`, `selected` highlighted.

        Items are reused in place (a context renamed or replaced just repaints its item);
        only a change in their number mounts or removes items, which takes a moment, so
        that happens in a worker that always ends on the latest wish.
        """
        self._wanted = (contexts, selected)
        items = list(self.list_view.query(ContextItem))
        if len(items) == len(contexts) and not self._resizing:
            self._fill(items, contexts, selected)
        elif not self._resizing:
            self._resizing = True
            self.run_worker(self._resize(), group="sidebar")

    async def _resize(self) -> None:
        view = self.list_view
        try:
            while True:
                contexts, selected = self._wanted
                items = list(view.query(ContextItem))
                if len(items) > len(contexts):
                    await view.remove_items(range(len(contexts), len(items)))
                elif len(items) < len(contexts):
                    await view.extend(ContextItem(info) for info in contexts[len(items) :])
                items = list(view.query(ContextItem))
                if len(items) == len(self._wanted[0]):
                    self._fill(items, *self._wanted)
                    return
        finally:
            self._resizing = False

    def _fill(self, items: list[ContextItem], contexts: list[ContextEntry], selected: str | None) -> None:
        for item, info in zip(items, contexts, strict=True):
            item.info = info
            item.refresh_info()
        self._highlight([c.id for c in contexts], selected)

    def _highlight(self, ids: list[str], selected: str | None) -> None:
        if selected in ids:
            index = ids.index(selected)
            if self.list_view.index != index:
                self.list_view.index = index

    def highlighted(self) -> ContextEntry | None:
        item = self.list_view.highlighted_child
        return item.info if isinstance(item, ContextItem) else None

    def tick(self) -> None:
        for item in self.list_view.query(ContextItem):
            if item.info.state in ("busy", "starting"):
                item.refresh_info()

    def set_status(self, text: str | Text) -> None:
        self.query_one("#sidebar-status", Static).update(text)

    def action_mark(self) -> None:
        """Mark (or unmark) the highlighted context for a fan-out."""
        item = self.list_view.highlighted_child
        if isinstance(item, ContextItem) and not item.info.placeholder:
            item.info.marked = not item.info.marked
            item.refresh_info()

    def action_select_cursor(self) -> None:
        self.list_view.action_select_cursor()

    def on_list_view_selected(self, event: ListView.Selected) -> None:
        """Enter (or a click) makes this context the one the current buffer runs in."""
        if isinstance(event.item, ContextItem):
            self.post_message(self.Selected(event.item.info.id))
