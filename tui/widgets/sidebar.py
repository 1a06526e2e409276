"""The context sidebar: every context with language, cwd, state and last execution count."""

from __future__ import annotations

import os
import time

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Label, ListItem, ListView, Static

from ..core.session import ContextInfo
from .output_log import format_duration

STATE_STYLE = {"starting": "yellow", "idle": "green", "busy": "bold yellow", "dead": "bold red"}
STATE_MARK = {"starting": "◌", "idle": "●", "busy": "◉", "dead": "✖"}


def short_path(path: str, width: int = 28) -> str:
    home = os.path.expanduser("~")
    if path.startswith(home + os.sep):
        path = "~" + path[len(home) :]
    return path if len(path) <= width else "…" + path[-(width - 1) :]


def context_text(info: ContextInfo) -> Text:
    state = info.state
    text = Text()
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
    text.append(f"  {short_path(info.cwd)}", style="dim")
    return text


class ContextItem(ListItem):
    def __init__(self, info: ContextInfo) -> None:
        self.body = Static(context_text(info))
        super().__init__(self.body)
        self.info = info

    def refresh_info(self) -> None:
        self.body.update(context_text(self.info))


class ContextSidebar(Vertical):
    """Lists contexts; the highlighted one is where runs go."""

    BINDINGS = [
        Binding("n", "app.new_context", "New context", id="sidebar.new"),
        Binding("r", "app.restart_context", "Restart", id="sidebar.restart"),
        Binding("x,delete", "app.remove_context", "Remove", id="sidebar.remove"),
    ]

    class Selected(Message):
        def __init__(self, context_id: str) -> None:
            super().__init__()
            self.context_id = context_id

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._wanted: tuple[list[ContextInfo], str | None] = ([], None)
        self._rebuilding = False

    def compose(self) -> ComposeResult:
        yield Label("Contexts", classes="sidebar-title")
        yield ListView(id="context-list")
        yield Static("", id="sidebar-status")

    @property
    def list_view(self) -> ListView:
        return self.query_one("#context-list", ListView)

    def show(self, contexts: list[ContextInfo], selected: str | None) -> None:
        """Rebuild when the set of contexts changed; otherwise refresh in place."""
        view = self.list_view
        current = [item.info.id for item in view.query(ContextItem)]
        wanted = [c.id for c in contexts]
        self._wanted = (contexts, selected)
        if current != wanted:
            if not self._rebuilding:
                self._rebuilding = True
                self.run_worker(self._rebuild(), group="sidebar")
        else:
            for item, info in zip(view.query(ContextItem), contexts, strict=False):
                item.info = info
                item.refresh_info()
            self._highlight(wanted, selected)

    async def _rebuild(self) -> None:
        """Replace the items (awaiting removal first), until they match the latest wish."""
        view = self.list_view
        try:
            while True:
                contexts, selected = self._wanted
                await view.clear()
                await view.extend(ContextItem(info) for info in contexts)
                latest, selected = self._wanted
                if [c.id for c in latest] == [c.id for c in contexts]:
                    self._highlight([c.id for c in contexts], selected)
                    return
        finally:
            self._rebuilding = False

    def _highlight(self, ids: list[str], selected: str | None) -> None:
        if selected in ids:
            index = ids.index(selected)
            if self.list_view.index != index:
                self.list_view.index = index

    def highlighted(self) -> ContextInfo | None:
        item = self.list_view.highlighted_child
        return item.info if isinstance(item, ContextItem) else None

    def tick(self) -> None:
        for item in self.list_view.query(ContextItem):
            if item.info.state in ("busy", "starting"):
                item.refresh_info()

    def set_status(self, text: str | Text) -> None:
        self.query_one("#sidebar-status", Static).update(text)

    def on_list_view_selected(self, event: ListView.Selected) -> None:
        """Enter (or a click) makes this context the one the current buffer runs in."""
        if isinstance(event.item, ContextItem):
            self.post_message(self.Selected(event.item.info.id))
