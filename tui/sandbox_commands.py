"""The app's sandbox commands: new cloud sandbox, connect by id, extend, kill, switch local/cloud.

A mixin of WorkbenchApp. Switching replaces the app's Session; buffers, the log and
history stay, and every buffer is bound again to a context of its language.
"""

from __future__ import annotations

import asyncio
import dataclasses
from typing import TYPE_CHECKING

from textual import work

from .core.session import Session
from .core.target import Target, api_key
from .screens.choice import ChoiceScreen
from .screens.confirm import ConfirmScreen
from .screens.prompt import PromptScreen

if TYPE_CHECKING:
    from .app import WorkbenchApp

NO_KEY = (
    "Cloud mode needs an E2B API key in the environment: quit, export E2B_API_KEY=... "
    "(keys are at https://e2b.dev/dashboard?tab=keys) and start the app again."
)


def format_left(seconds: float) -> str:
    seconds = int(seconds)
    if seconds >= 3600:
        return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m left"
    return f"{seconds // 60}:{seconds % 60:02d} left"


class SandboxCommands:
    """Mixed into WorkbenchApp (which provides session, config, notify, ...)."""

    _switching = False
    _keepalive_error = ""

    # -- header ---------------------------------------------------------------------

    def header_text(self: WorkbenchApp) -> str:
        session = self.session
        if session.start_error:
            return "cloud · no sandbox" if session.mode == "cloud" else "local · runtime not running"
        if session.mode != "cloud":
            url = session.url
            shown = url.rsplit("/", 1)[0] + "/…" if url.count("/") > 2 else url
            return f"local · {shown}" if self.ready else "local · starting the runtime…"
        if not session.sandbox_id:
            what = (
                f"connecting to {session.target.sandbox_id}"
                if session.target.sandbox_id
                else "creating a sandbox"
            )
            return f"cloud · {what}…"
        if session.gone:
            return f"cloud · {session.sandbox_id} · gone"
        left = session.seconds_left
        return f"cloud · {session.sandbox_id} · {format_left(left or 0)}"

    def tick_sandbox(self: WorkbenchApp) -> None:
        """Called from the app's timer: time left in the header, keep-alive trouble once."""
        text = self.header_text()
        if self.sub_title != text:
            self.sub_title = text
        keepalive = self.session.keepalive
        if keepalive is not None and keepalive.last_error != self._keepalive_error:
            self._keepalive_error = keepalive.last_error
            if keepalive.last_error:
                self.notify(
                    f"Could not extend the sandbox: {keepalive.last_error}",
                    title="Keep-alive",
                    severity="warning",
                    timeout=15,
                )

    # -- commands ---------------------------------------------------------------------

    def sandbox_commands(self: WorkbenchApp) -> list[tuple[str, str, object]]:
        cloud = self.session.mode == "cloud"
        commands: list[tuple[str, str, object]] = [
            ("New sandbox", "Create a new E2B cloud sandbox and switch to it", self.action_new_sandbox),
            ("Connect to sandbox", "Connect to a running E2B sandbox by its id", self.action_connect_sandbox),
        ]
        if not cloud:
            commands.append(
                (
                    "Switch to cloud",
                    "Leave the local runtime, run on a new E2B cloud sandbox",
                    self.action_new_sandbox,
                )
            )
        if cloud:
            commands += [
                ("Extend sandbox", "Reset the sandbox's lifetime now", self.action_extend_sandbox),
                ("Kill sandbox", "Kill the cloud sandbox (asks first)", self.action_kill_sandbox),
                (
                    "Switch to local runtime",
                    "Leave the cloud sandbox, run on this machine",
                    self.action_switch_local,
                ),
            ]
        return commands

    def _cloud_target(self: WorkbenchApp, sandbox_id: str | None = None) -> Target | None:
        if not api_key():
            self.notify(NO_KEY, title="No API key", severity="error", timeout=20)
            return None
        base = self.session.target
        config = self.config
        return Target(
            mode="cloud",
            sandbox_id=sandbox_id,
            template=base.template or config.template,
            sandbox_timeout=base.sandbox_timeout if base.cloud else config.sandbox_timeout,
            metadata=dict(base.metadata or config.metadata),
            envs=dict(base.envs or config.envs),
            domain=base.domain or config.domain,
            keep=base.keep,
        )

    def action_new_sandbox(self: WorkbenchApp) -> None:
        target = self._cloud_target()
        if target is not None:
            self.switch_session(target, "Creating a new cloud sandbox")

    def action_connect_sandbox(self: WorkbenchApp) -> None:
        def chosen(value: str | None) -> None:
            if value and value.strip():
                target = self._cloud_target(value.strip())
                if target is not None:
                    self.switch_session(target, f"Connecting to sandbox {value.strip()}")

        self.push_screen(PromptScreen("Sandbox id to connect to", "", "e.g. i2x3…"), chosen)

    def action_switch_local(self: WorkbenchApp) -> None:
        local = Target(mode="local", cwd=self.session.target.cwd, spares=True)
        self.switch_session(local, "Starting the local runtime")

    @work(group="sandbox", exclusive=True)
    async def action_extend_sandbox(self: WorkbenchApp) -> None:
        session = self.session
        if session.mode != "cloud" or session.gone:
            self.notify("There is no live cloud sandbox to extend.", severity="warning")
            return
        try:
            await asyncio.to_thread(session.extend)
        except Exception as err:
            self.notify(session.explain(err), title="Extend failed", severity="error", timeout=15)
            return
        self.notify(f"Sandbox {session.sandbox_id} extended: {format_left(session.seconds_left or 0)}.")

    def action_kill_sandbox(self: WorkbenchApp) -> None:
        session = self.session
        if session.mode != "cloud" or session.gone:
            self.notify("There is no live cloud sandbox to kill.", severity="warning")
            return

        def confirmed(yes: bool | None) -> None:
            if yes:
                self._kill_sandbox()

        self.push_screen(
            ConfirmScreen(f"Kill sandbox {session.sandbox_id}?\nIts contexts and files are lost.", "Kill"),
            confirmed,
        )

    @work(group="sandbox", exclusive=True)
    async def _kill_sandbox(self: WorkbenchApp) -> None:
        session = self.session
        self._cancel_runs()
        try:
            await asyncio.to_thread(session.kill)
        except Exception as err:
            self.notify(session.explain(err), title="Kill failed", severity="error", timeout=15)
            return
        self.ready = False
        self.notify(f"Sandbox {session.sandbox_id} killed.", title="Sandbox")
        self.sidebar.set_status(
            "The sandbox was killed. Command palette (ctrl+p): New sandbox, Connect to sandbox "
            "or Switch to local runtime."
        )
        self._show_contexts()

    def offer_way_out(self: WorkbenchApp, reason: str) -> None:
        """The cloud sandbox is gone or could not be opened: reconnect, start anew, or go local."""
        if self._switching or self._quitting:
            return
        choices = [("n", "New sandbox"), ("l", "Local runtime")]
        sandbox_id = self.session.sandbox_id or self.session.target.sandbox_id
        if sandbox_id:
            choices.insert(0, ("r", "Reconnect"))

        def chosen(key: str | None) -> None:
            if key == "r":
                target = self._cloud_target(sandbox_id)
                if target is not None:
                    self.switch_session(target, f"Reconnecting to {sandbox_id}")
            elif key == "n":
                self.action_new_sandbox()
            elif key == "l":
                self.action_switch_local()

        if not any(isinstance(s, ChoiceScreen) for s in self.screen_stack):
            self.push_screen(ChoiceScreen(reason, choices), chosen)

    # -- switching -----------------------------------------------------------------

    def _cancel_runs(self: WorkbenchApp) -> None:
        for record in list(self.records.values()):
            if record.running:
                self.session.cancel(record)

    @work(group="sandbox", exclusive=True)
    async def switch_session(self: WorkbenchApp, target: Target, what: str) -> None:
        """Close this session (a sandbox it created is killed unless --keep), open `target`."""
        if self._switching or self._quitting:
            return
        self._switching = True
        try:
            old = self.session
            self._cancel_runs()
            self.ready = False
            self.sidebar.set_status(f"{what}…")
            await asyncio.to_thread(old.close)
            if old.closing_note:
                self.notify(old.closing_note, title="Previous sandbox", timeout=20)
            elif old.created and not old.gone:
                self.notify(
                    f"Sandbox {old.sandbox_id} was killed (it was created here).", title="Previous sandbox"
                )
            self.session = Session(target=dataclasses.replace(target))
            self.starting.clear()
            self.sub_title = self.header_text()
            self._show_contexts()
            self.notify(f"{what}…", timeout=5)
        finally:
            self._switching = False
        self._start_session()
