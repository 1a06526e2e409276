"""The terminal pane's shell: a PTY in the sandbox (`sandbox.pty`), wired to a TerminalView.

The shell starts when the pane is first shown, at the pane's size, and follows it when
the pane resizes. Its output arrives on the session thread and is posted to the view
(`TerminalView.Output`); what is typed, and each new size of the pane, is queued and sent in
order by one worker, so fast typing never reorders and a key typed after a resize reaches
the shell after it (as in a real terminal: `stty size` right after one says the new size). When the shell ends (exit, or its sandbox went away) the
pane says so and Enter starts a new one; a new sandbox gets a new shell.
"""

from __future__ import annotations

import asyncio
import itertools
from typing import Any, cast

from e2b import PtySize
from textual.app import App

from ..core.session import Session
from ..widgets.terminal import TerminalView
from ..workbench import Workbench


class TerminalController:
    def __init__(self, app: App) -> None:
        self.app = app
        self.session: Session | None = None
        self.pid: int | None = None
        self.starting = False
        self.exited: str = ""  # why the last shell ended ("" while one runs or none started)
        self._input: asyncio.Queue[bytes | PtySize] = asyncio.Queue()  # keys, and new sizes
        self._sender: Any = None

    @property
    def workbench(self) -> Workbench:
        return cast(Workbench, self.app)

    @property
    def view(self) -> TerminalView:
        return cast(TerminalView, self.workbench.main.terminal_view)

    @property
    def running(self) -> bool:
        return self.pid is not None and self.session is self.workbench.session

    def show(self) -> None:
        """The pane is shown: make sure a shell runs in the current sandbox."""
        if self.running or self.starting:
            return
        session = self.workbench.session
        if not session.is_open:
            self.view.reset("The sandbox is not open yet: press Enter to start a shell once it is.")
            self.exited = "not started"
            return
        self.starting = True
        self.app.run_worker(self._start(session), group="terminal", exit_on_error=False)

    async def _start(self, session: Session) -> None:
        view = self.view

        def on_data(data: bytes) -> None:  # the session thread: only post
            view.post_message(TerminalView.Output(bytes(data)))

        rows, cols = view.rows, view.cols
        try:
            handle = await session.call(
                lambda sbx: sbx.pty.create(PtySize(rows=rows, cols=cols), on_data=on_data, timeout=0)
            )
        except Exception as err:
            self.starting = False
            self.exited = str(session.explain(err))
            view.reset(f"No shell: {self.exited} Press Enter to try again.")
            return
        self.session, self.pid, self.starting, self.exited = session, handle.pid, False, ""
        view.reset()
        if self._sender is None:
            self._sender = self.app.run_worker(self._send_loop(), group="terminal-input", exit_on_error=False)
        self.app.run_worker(self._wait(session, handle), group="terminal", exit_on_error=False)
        if (view.rows, view.cols) != (rows, cols):  # the pane changed size while the shell started
            self.resize(view.rows, view.cols)

    async def _wait(self, session: Session, handle: Any) -> None:
        async def wait(_sbx: Any) -> str:
            try:
                result = await handle.wait()
            except Exception as err:  # a non-zero exit, or the stream broke (sandbox gone)
                code = getattr(err, "exit_code", None)
                return f"exit code {code}" if code is not None else str(session.explain(err))
            return f"exit code {result.exit_code}"

        try:
            how = await session.call(wait)
        except Exception as err:  # the session itself closed
            how = str(session.explain(err))
        if session is self.session and self.pid == handle.pid:
            self.pid = None
            self.exited = how
            self.view.feed(f"\r\n[the shell ended: {how}. Press Enter for a new one.]\r\n".encode())

    def typed(self, data: bytes) -> None:
        """Keys from the view: to the shell, or (none running) Enter starts one."""
        if not self.running:
            if data == b"\r" and not self.starting:
                self.pid = None
                self.show()
            return
        self._input.put_nowait(data)

    async def _send_loop(self) -> None:
        while True:
            items = [await self._input.get()]
            while not self._input.empty():  # what piled up goes in as few requests as it can
                items.append(self._input.get_nowait())
            for is_size, run in itertools.groupby(items, key=lambda item: isinstance(item, PtySize)):
                batch = list(run)
                if is_size:
                    await self._resize_now(cast(PtySize, batch[-1]))  # sizes in a row: the last counts
                else:
                    await self._send(b"".join(cast(list[bytes], batch)))

    async def _send(self, data: bytes) -> None:
        session, pid = self.session, self.pid
        if session is None or pid is None or not session.is_open:
            return
        try:
            await session.call(lambda sbx: sbx.pty.send_stdin(pid, data))
        except Exception as err:
            if self.pid == pid:
                self.app.notify(f"The terminal lost its shell: {session.explain(err)}", severity="warning")

    async def _resize_now(self, size: PtySize) -> None:
        session, pid = self.session, self.pid
        if session is None or pid is None or not self.running:
            return
        try:
            await session.call(lambda sbx: sbx.pty.resize(pid, size))
        except Exception:  # the shell just ended: its end is said by _wait
            pass

    def resize(self, rows: int, cols: int) -> None:
        """The pane's new size, for the shell: in order with what is typed (keys typed after it
        reach the shell after it)."""
        if self.running:
            self._input.put_nowait(PtySize(rows=rows, cols=cols))

    def copy(self) -> None:
        text = self.view.text()
        if not text:
            self.app.notify("The terminal is empty.")
            return
        self.app.copy_to_clipboard(text)
        self.app.notify(f"Copied {len(text.splitlines())} lines of the terminal (OSC 52).")

    async def stop(self) -> None:
        """Kill the shell (the app quits, or the sandbox is being replaced)."""
        session, pid = self.session, self.pid
        self.pid = None
        if session is not None and pid is not None and session.is_open:
            try:
                await session.call(lambda sbx: sbx.pty.kill(pid))
            except Exception:
                pass
