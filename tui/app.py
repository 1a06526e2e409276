"""The workbench app: a thin shell around the main screen.

It owns the parts every screen shares (config, the session, the run book, history,
buffers, the artifact dialogs and the sandbox controller), the command palette (built
from `tui.actions`) and quitting. What a person does in the main view lives in
`tui.screens.main.MainScreen`; the sandbox lives in `tui.core.session` (its own thread,
through the E2B SDK), and the local runtime in its own process.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

from textual.app import App, SystemCommand
from textual.screen import Screen

from .actions import ACTIONS, bindings, palette_actions
from .controllers.artifacts import ArtifactDialogs
from .controllers.commands import CommandsController
from .controllers.files import FilesController
from .controllers.sandbox import SandboxController
from .controllers.terminal import TerminalController
from .core.buffers import BufferStore
from .core.cache import prune_output_cache
from .core.config import Config, load_config
from .core.history import History
from .core.runbook import RunBook
from .core.session import Session
from .core.target import Target
from .screens.main import MainScreen
from .widgets.artifacts import ArtifactAction


class WorkbenchApp(App[int]):
    CSS_PATH = "app.tcss"
    TITLE = "e2b-workbench"
    BINDINGS = bindings("app", priority=True)

    def __init__(self, session: Session | None = None, config: Config | None = None) -> None:
        super().__init__()
        self.config = config or load_config()
        self.session = session or Session()
        self.runbook = RunBook()
        self.history = History()
        self.store = BufferStore()
        self.artifacts = ArtifactDialogs(self, self.config.graphics)
        self.sandboxes = SandboxController(self)
        self.files = FilesController(self)
        self.terminal = TerminalController(self)
        self.commands = CommandsController(self)
        self._quitting = False
        self._main = MainScreen()
        self.session_closed = asyncio.Event()  # set once the session is closed, just before exit

    @property
    def main(self) -> MainScreen:
        """The main view (editor, sidebar, log)."""
        return self._main

    @property
    def quitting(self) -> bool:
        return self._quitting

    def on_mount(self) -> None:
        if self.config.theme:
            if self.config.theme in self.available_themes:
                self.theme = self.config.theme
            else:
                themes = ", ".join(sorted(self.available_themes))
                self.notify(
                    f"Unknown theme {self.config.theme!r}: kept the default. Themes: {themes}.",
                    title="Config",
                    severity="warning",
                    timeout=10,
                )
        if self.config.keymap:
            known = {a.binding_id for a in ACTIONS if a.keys}
            unknown = sorted(set(self.config.keymap) - known)
            if unknown:
                self.notify(
                    f"Unknown binding id(s) in the keymap: {', '.join(unknown)} (ignored). "
                    f"Binding ids: {', '.join(sorted(known))}.",
                    title="Config",
                    severity="warning",
                    timeout=10,
                )
            # every binding id with its keys, the configured ones changed: Textual adds a
            # rebound binding after all the others, so with README's own `run = "f5,ctrl+r"`
            # "f5 Run" went to the end of the footer, beyond the screen's edge
            keymap = {a.binding_id: a.keys for a in ACTIONS if a.keys}
            keymap.update({k: v for k, v in self.config.keymap.items() if k in known})
            self.set_keymap(keymap)
        for problem in self.config.problems:
            self.notify(problem, title="Config", severity="warning", timeout=10)
        self.run_worker(self._prune_cache, thread=True, group="cache", exit_on_error=False)

    def _prune_cache(self) -> None:
        """Past sessions' full outputs beyond `output_cache_mb` go (oldest first), off the UI thread."""
        prune_output_cache(self.config.output_cache_mb, current=self.session.output_dir)

    def get_default_screen(self) -> Screen:
        return self._main

    def refresh_header(self) -> None:
        text = self.sandboxes.header_text(self._main.ready)
        if self.sub_title != text:
            self.sub_title = text

    def on_artifact_action(self, message: ArtifactAction) -> None:
        """From a preview or chart screen: save it, or switch between its views."""
        self.artifacts.open(message.artifact, message.action)

    # -- command palette ----------------------------------------------------------------

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        for action in palette_actions(self.session.mode):

            async def run(action: str = action.action, scope: str = action.scope) -> None:
                if scope == "editor":  # the editor's actions act on the current buffer
                    editor = self._main.editor_pane.current()
                    if editor is not None:
                        self._main.set_focus(editor)
                        await editor.run_action(action)
                    return
                await self._main.run_action(action)

            yield SystemCommand(action.title, action.help[:1].upper() + action.help[1:], run)

    # -- quitting ---------------------------------------------------------------------

    def action_quit(self) -> None:
        """Save, stop every run, the runtime and its kernels, then exit 0."""
        if self._quitting:
            return
        self._quitting = True
        if self._main.is_mounted:
            self._main.save_buffers()
        self.notify("Stopping the runtime and its kernels…", timeout=10)
        self.run_worker(self._close_and_exit(), group="quit")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Keys the terminal pane takes (Ctrl+Q, Ctrl+P...) reach its shell, not the app."""
        focused = self.screen.focused if self.screen is not None else None
        if getattr(focused, "captures_keys", False) and action in ("quit", "command_palette"):
            return False
        return super().check_action(action, parameters)

    async def _close_and_exit(self) -> None:
        await self.terminal.stop()
        await asyncio.to_thread(self.session.close)
        self.history.close()
        self.session_closed.set()
        self.exit(0)


def run_app(target: Target | None = None, config: Config | None = None) -> int:
    """Open the app on `target` (local by default); after quitting, say what became of a kept sandbox."""
    app = WorkbenchApp(session=Session(target) if target else None, config=config)
    try:
        result = app.run()
    finally:
        app.session.close()
        if app.session.closing_note:
            print(f"e2b-workbench: {app.session.closing_note}")
    return 0 if result is None else int(result)
