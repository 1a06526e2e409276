"""What screens and controllers may ask of the app, and of each other: roles, by interface.

Screens and controllers are typed against these protocols instead of importing `tui.app`
(or each other), so the app imports them and nothing imports the app back: there is no
import cycle in `tui/` (import-linter checks it).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from .core.buffers import BufferStore
    from .core.commands import CommandRecord
    from .core.config import Config
    from .core.history import History
    from .core.records import ExecutionRecord
    from .core.runbook import RunBook
    from .core.session import RunListener, Session
    from .widgets.files import FileEntry


class MainView(Protocol):
    """The main screen, as the controllers drive it."""

    listener: RunListener

    @property
    def files_pane(self) -> object: ...

    @property
    def terminal_view(self) -> object: ...

    @property
    def log_view(self) -> object: ...

    def open_session(self) -> object: ...

    def session_closed(self, status: str) -> None: ...

    def insert_text(self, text: str) -> None: ...


class SandboxActions(Protocol):
    """Cloud sandboxes: the header, keep-alive trouble, a way out when a sandbox is gone."""

    def tick(self) -> None: ...

    def offer_way_out(self, reason: str, diagnose: bool = True) -> None: ...

    def switch_to(self, sandbox_id: str, what: str) -> None: ...

    def set_sandbox_timeout(self) -> None: ...

    def pause_sandbox(self) -> None: ...

    def new_sandbox(self) -> None: ...

    def connect_sandbox(self) -> None: ...

    def extend_sandbox(self) -> object: ...

    def kill_sandbox(self) -> None: ...

    def switch_local(self) -> None: ...


class FileActions(Protocol):
    """The Files pane's work (listing, watching, transfers, previews)."""

    def show(self) -> None: ...

    def session_closed(self) -> None: ...

    def request(self, action: str, entry: FileEntry) -> None: ...

    def changed(self, folder: str) -> None: ...

    def run_started(self) -> None: ...

    def run_finished(self, started_at: float) -> None: ...


class TerminalActions(Protocol):
    """The terminal pane's shell."""

    def show(self) -> None: ...

    def typed(self, data: bytes) -> None: ...

    def resize(self, rows: int, cols: int) -> None: ...

    def copy(self) -> None: ...

    async def stop(self) -> None: ...


class CommandActions(Protocol):
    """Quick commands in the log."""

    def ask(self) -> None: ...

    def finished(self, record: CommandRecord) -> None: ...

    def running(self) -> list[CommandRecord]: ...

    def interrupt(self, record: CommandRecord | None = None) -> int: ...


class ArtifactActions(Protocol):
    """The images and charts of a run."""

    def for_record(self, record: ExecutionRecord, action: str) -> None: ...


class Workbench(Protocol):
    """The app: its parts, the one session (replaced when moving to another sandbox)."""

    config: Config
    session: Session
    runbook: RunBook
    history: History
    store: BufferStore
    artifacts: ArtifactActions
    sandboxes: SandboxActions
    files: FileActions
    terminal: TerminalActions
    commands: CommandActions

    @property
    def quitting(self) -> bool: ...

    @property
    def main(self) -> MainView: ...

    def refresh_header(self) -> None: ...
