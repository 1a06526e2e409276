"""What screens and controllers may ask of the app, and of each other: roles, by interface.

Screens and controllers are typed against these protocols instead of importing `tui.app`
(or each other), so the app imports them and nothing imports the app back: there is no
import cycle in `tui/` (import-linter checks it).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from .core.buffers import BufferStore
    from .core.config import Config
    from .core.history import History
    from .core.records import ExecutionRecord
    from .core.runbook import RunBook
    from .core.session import Session


class MainView(Protocol):
    """The main screen, as the sandbox controller drives it."""

    def open_session(self) -> object: ...

    def session_closed(self, status: str) -> None: ...


class SandboxActions(Protocol):
    """Cloud sandboxes: the header, keep-alive trouble, a way out when a sandbox is gone."""

    def tick(self) -> None: ...

    def offer_way_out(self, reason: str) -> None: ...

    def new_sandbox(self) -> None: ...

    def connect_sandbox(self) -> None: ...

    def extend_sandbox(self) -> object: ...

    def kill_sandbox(self) -> None: ...

    def switch_local(self) -> None: ...


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

    @property
    def quitting(self) -> bool: ...

    @property
    def main(self) -> MainView: ...

    def refresh_header(self) -> None: ...
