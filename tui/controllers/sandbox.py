"""Sandboxes: new cloud sandbox, connect by id, extend, kill, switch between local and cloud.

Composed into the app (not mixed in): it talks to the app through the `Workbench`
protocol. Switching replaces the app's Session; buffers, the log and history stay, and
the main screen opens the new session and binds every buffer again to a context of its
language.
"""

from __future__ import annotations

import asyncio
import dataclasses
from typing import cast
from urllib.parse import urlsplit

from textual.app import App

from ..core.errors import NoApiKey
from ..core.session import Session
from ..core.target import Target, api_key, make_target
from ..screens.choice import ChoiceScreen
from ..screens.confirm import ConfirmScreen
from ..screens.prompt import PromptScreen
from ..workbench import Workbench


def format_left(seconds: float) -> str:
    seconds = int(seconds)
    if seconds >= 3600:
        return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m left"
    return f"{seconds // 60}:{seconds % 60:02d} left"


class SandboxController:
    """The cloud commands of the palette, the header's sandbox line, switching sessions."""

    def __init__(self, app: App) -> None:
        self.app = app
        self.switching = False
        self._keepalive_error = ""

    @property
    def workbench(self) -> Workbench:
        return cast(Workbench, self.app)

    # -- header ---------------------------------------------------------------------

    def header_text(self, ready: bool) -> str:
        """`local · 127.0.0.1:PORT · isolated` (or `not isolated`) or `cloud · ID · 4:59 left`."""
        session = self.workbench.session
        if session.start_error:
            return "cloud · no sandbox" if session.mode == "cloud" else "local · runtime not running"
        if session.mode != "cloud":
            # host and port only (the secret path is never shown): at 80 columns the whole
            # line, scheme included, cut "not isolated" to "not isolat…"
            shown = urlsplit(session.url).netloc or session.url
            tag = {None: "", True: " · isolated", False: " · not isolated"}[session.isolated]  # GET /sandbox
            return f"local · {shown}{tag}" if ready else "local · starting the runtime…"
        if not session.sandbox_id:
            target = session.target
            what = f"connecting to {target.sandbox_id}" if target.sandbox_id else "creating a sandbox"
            return f"cloud · {what}…"
        if session.gone:
            return f"cloud · {session.sandbox_id} · gone"
        return f"cloud · {session.sandbox_id} · {format_left(session.seconds_left or 0)}"

    def tick(self) -> None:
        """Every tick: time left in the header, keep-alive trouble said once."""
        self.workbench.refresh_header()
        keepalive = self.workbench.session.keepalive
        if keepalive is not None and keepalive.last_error != self._keepalive_error:
            self._keepalive_error = keepalive.last_error
            if keepalive.last_error:
                self.app.notify(
                    f"Could not extend the sandbox: {keepalive.last_error}",
                    title="Keep-alive",
                    severity="warning",
                    timeout=15,
                )

    # -- commands ---------------------------------------------------------------------

    def _cloud_target(self, sandbox_id: str | None = None) -> Target | None:
        if not api_key():
            err = NoApiKey()
            self.app.notify(f"{err.message} {err.hint}", title=err.title, severity="error", timeout=20)
            return None
        base = self.workbench.session.target
        return make_target(
            "cloud", self.workbench.config, cwd=base.cwd, sandbox_id=sandbox_id, keep=base.keep
        )

    def new_sandbox(self) -> None:
        target = self._cloud_target()
        if target is not None:
            self.switch(target, "Creating a new cloud sandbox")

    def connect_sandbox(self) -> None:
        def chosen(value: str | None) -> None:
            if value and value.strip():
                target = self._cloud_target(value.strip())
                if target is not None:
                    self.switch(target, f"Connecting to sandbox {value.strip()}")

        self.app.push_screen(PromptScreen("Sandbox id to connect to", "", "e.g. i2x3…"), chosen)

    def switch_local(self) -> None:
        base = self.workbench.session.target
        self.switch(
            make_target(
                "local",
                self.workbench.config,
                cwd=base.cwd,
                spares=True,
                isolate=base.isolate,
                network=base.network,
                ephemeral=base.ephemeral,
            ),
            "Starting the local runtime",
        )

    def switch_to(self, sandbox_id: str, what: str) -> None:
        """Move the app to cloud sandbox `sandbox_id` (connecting resumes a paused one)."""
        target = self._cloud_target(sandbox_id)
        if target is not None:
            self.switch(target, what)

    def set_sandbox_timeout(self) -> None:
        """Ask for the sandbox's timeout: it ends that long from now, and the keep-alive keeps
        extending it by as much (the header counts down)."""
        session = self.workbench.session
        if session.mode != "cloud" or session.gone:
            self.app.notify("There is no live cloud sandbox.", severity="warning")
            return

        def chosen(value: str | None) -> None:
            try:
                seconds = int(float(value or 0))
            except ValueError:
                seconds = 0
            if value is not None and seconds <= 0:
                self.app.notify(f"Not a number of seconds: {value!r}", severity="error")
            elif seconds > 0:
                self.app.run_worker(self._set_timeout(session, seconds), group="sandbox", exit_on_error=False)

        self.app.push_screen(
            PromptScreen("Sandbox timeout in seconds, from now", str(session.target.sandbox_timeout)), chosen
        )

    async def _set_timeout(self, session: Session, seconds: int) -> None:
        try:
            await asyncio.to_thread(session.set_lifetime, seconds)
        except Exception as err:
            self.app.notify(str(session.explain(err)), title="Timeout", severity="error", timeout=15)
            return
        self.app.notify(
            f"Sandbox {session.sandbox_id}: timeout {seconds} s, {format_left(session.seconds_left or 0)}."
        )

    def pause_sandbox(self) -> None:
        session = self.workbench.session
        if session.mode != "cloud" or session.gone:
            self.app.notify("There is no live cloud sandbox to pause.", severity="warning")
            return

        def confirmed(yes: bool | None) -> None:
            if yes:
                self.app.run_worker(
                    self._pause(session), group="sandbox", exclusive=True, exit_on_error=False
                )

        self.app.push_screen(
            ConfirmScreen(
                f"Pause sandbox {session.sandbox_id}?\nIts memory and files are kept; Reconnect resumes it.",
                "Pause",
            ),
            confirmed,
        )

    async def _pause(self, session: Session) -> None:
        self.workbench.runbook.cancel()
        try:
            await asyncio.to_thread(session.pause)
        except Exception as err:
            self.app.notify(str(session.explain(err)), title="Pause failed", severity="error", timeout=15)
            return
        self.app.notify(f"Sandbox {session.sandbox_id} paused.", title="Sandbox")
        self.workbench.main.session_closed(
            "The sandbox is paused. Command palette (ctrl+p): Connect to sandbox resumes it, "
            "or New sandbox, or Switch to local runtime."
        )
        self.offer_way_out(f"Sandbox {session.sandbox_id} is paused.", diagnose=False)

    def extend_sandbox(self) -> None:
        session = self.workbench.session
        if session.mode != "cloud" or session.gone:
            self.app.notify("There is no live cloud sandbox to extend.", severity="warning")
            return
        self.app.run_worker(self._extend(session), group="sandbox", exclusive=True, exit_on_error=False)

    async def _extend(self, session: Session) -> None:
        try:
            await asyncio.to_thread(session.extend)
        except Exception as err:
            self.app.notify(str(session.explain(err)), title="Extend failed", severity="error", timeout=15)
            return
        self.app.notify(f"Sandbox {session.sandbox_id} extended: {format_left(session.seconds_left or 0)}.")

    def kill_sandbox(self) -> None:
        session = self.workbench.session
        if session.mode != "cloud" or session.gone:
            self.app.notify("There is no live cloud sandbox to kill.", severity="warning")
            return

        def confirmed(yes: bool | None) -> None:
            if yes:
                self.app.run_worker(self._kill(session), group="sandbox", exclusive=True, exit_on_error=False)

        self.app.push_screen(
            ConfirmScreen(f"Kill sandbox {session.sandbox_id}?\nIts contexts and files are lost.", "Kill"),
            confirmed,
        )

    async def _kill(self, session: Session) -> None:
        self.workbench.runbook.cancel()
        try:
            await asyncio.to_thread(session.kill)
        except Exception as err:
            self.app.notify(str(session.explain(err)), title="Kill failed", severity="error", timeout=15)
            return
        self.app.notify(f"Sandbox {session.sandbox_id} killed.", title="Sandbox")
        self.workbench.main.session_closed(
            "The sandbox was killed. Command palette (ctrl+p): New sandbox, Connect to sandbox "
            "or Switch to local runtime."
        )

    def offer_way_out(self, reason: str, diagnose: bool = True) -> None:
        """The cloud sandbox is gone or could not be opened: say why when E2B can tell (its
        timeout passed, it was killed, it is paused, only the connection failed), then offer
        to reconnect (or resume), start anew, or go local. Buffers and the log stay."""
        app = self.workbench
        if self.switching or app.quitting:
            return
        session = app.session
        sandbox_id = session.sandbox_id or session.target.sandbox_id
        if diagnose and sandbox_id and session.mode == "cloud":
            self.app.run_worker(
                self._diagnose(session, sandbox_id, reason),
                group="way-out",
                exclusive=True,
                exit_on_error=False,
            )
            return
        self._choose(reason, sandbox_id, paused=session.paused)

    async def _diagnose(self, session: Session, sandbox_id: str, reason: str) -> None:
        from ..core.cockpit import why_gone

        expected = session.keepalive.expires_at if session.keepalive is not None else None
        gone = await asyncio.to_thread(why_gone, session.target, sandbox_id, expected)
        if session is self.workbench.session:
            self._choose(f"{reason}\n{gone.reason}", sandbox_id, paused=gone.paused)

    def _choose(self, reason: str, sandbox_id: str, paused: bool = False) -> None:
        app = self.workbench
        if self.switching or app.quitting:
            return
        choices = [("n", "New sandbox"), ("l", "Local runtime")]
        if sandbox_id:
            choices.insert(0, ("r", "Resume" if paused else "Reconnect"))

        def chosen(key: str | None) -> None:
            if key == "r":
                target = self._cloud_target(sandbox_id)
                if target is not None:
                    self.switch(target, f"Reconnecting to {sandbox_id}")
            elif key == "n":
                self.new_sandbox()
            elif key == "l":
                self.switch_local()

        if not any(isinstance(s, ChoiceScreen) for s in self.app.screen_stack):
            self.app.push_screen(ChoiceScreen(reason, choices), chosen)

    # -- switching -----------------------------------------------------------------

    def switch(self, target: Target, what: str) -> None:
        """Close this session (a sandbox it created is killed unless --keep), open `target`."""
        if self.switching or self.workbench.quitting:
            return
        self.app.run_worker(self._switch(target, what), group="sandbox", exclusive=True, exit_on_error=False)

    async def _switch(self, target: Target, what: str) -> None:
        app = self.workbench
        self.switching = True
        try:
            old = app.session
            app.runbook.cancel()
            app.main.session_closed(f"{what}…")
            await asyncio.to_thread(old.close)
            if old.closing_note:
                self.app.notify(old.closing_note, title="Previous sandbox", timeout=20)
            elif old.created and not old.gone:
                self.app.notify(
                    f"Sandbox {old.sandbox_id} was killed (it was created here).", title="Previous sandbox"
                )
            app.session = Session(dataclasses.replace(target))
            app.runbook.reset_contexts()
            self.app.notify(f"{what}…", timeout=5)
        finally:
            self.switching = False
        app.main.open_session()
