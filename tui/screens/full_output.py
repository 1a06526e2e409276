"""The whole output of one run, read from the file the session kept on disk."""

from __future__ import annotations

from pathlib import Path

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, Log

CHUNK = 5000


class FullOutputScreen(ModalScreen[None]):
    BINDINGS = [
        Binding("escape,q", "close", "Close"),
        Binding("c", "copy", "Copy all"),
    ]

    def __init__(self, title: str, path: Path | None, fallback: str) -> None:
        super().__init__()
        self.title_text = title
        self.path = path
        self.fallback = fallback

    def compose(self) -> ComposeResult:
        with Vertical(classes="full-output"):
            where = f" — {self.path}" if self.path else ""
            yield Label(f"{self.title_text}{where}", classes="dialog-title")
            yield Log(id="full-log", max_lines=None, highlight=False)

    def on_mount(self) -> None:
        self.query_one(Log).focus()
        self.run_worker(self._load(), exclusive=True)

    async def _load(self) -> None:
        log = self.query_one(Log)
        if self.path is None or not self.path.exists():
            log.write(self.fallback)
            return
        batch: list[str] = []
        with open(self.path, encoding="utf-8", errors="replace") as handle:
            for line in handle:
                batch.append(line.rstrip("\n"))
                if len(batch) >= CHUNK:
                    log.write_lines(batch)
                    batch = []
                    await self._yield()
        if batch:
            log.write_lines(batch)

    @staticmethod
    async def _yield() -> None:
        import asyncio

        await asyncio.sleep(0)

    def action_copy(self) -> None:
        text = self.path.read_text(errors="replace") if self.path and self.path.exists() else self.fallback
        self.app.copy_to_clipboard(text)
        self.app.notify("Copied the full output (OSC 52).")

    def action_close(self) -> None:
        self.dismiss(None)
