"""The quick command line: `pip install`, `ls`, `git clone` without leaving the app.

A command runs in the sandbox's home through `sandbox.commands.run` (bash -l -c, as the
SDK runs it), beside the contexts; its block in the log streams the output and ends with
the exit code and the duration. `F6` on its block (or with no run going in the
context) kills it. Commands typed before are offered again as you type.
"""

from __future__ import annotations

from typing import cast

from textual.app import App
from textual.suggester import SuggestFromList

from ..core.commands import CommandRecord
from ..screens.prompt import PromptScreen
from ..widgets.command_block import CommandBlock
from ..widgets.output_log import OutputLog
from ..workbench import Workbench

HISTORY = 200


class CommandsController:
    def __init__(self, app: App) -> None:
        self.app = app
        self.history: list[str] = []

    @property
    def workbench(self) -> Workbench:
        return cast(Workbench, self.app)

    @property
    def log(self) -> OutputLog:
        return cast(OutputLog, self.workbench.main.log_view)

    def ask(self) -> None:
        """Prompt for a command, then run it."""

        def chosen(value: str | None) -> None:
            if value and value.strip():
                self.run(value.strip())

        prompt = PromptScreen("$ a shell command, run in the sandbox's home", "", "e.g. pip install polars")
        self.app.push_screen(prompt, chosen)
        prompt.call_after_refresh(self._suggest, prompt)

    def _suggest(self, prompt: PromptScreen) -> None:
        from textual.widgets import Input

        field = prompt.query_one(Input)
        field.suggester = SuggestFromList(list(reversed(self.history)), case_sensitive=True)

    def run(self, command: str) -> CommandRecord | None:
        app = self.workbench
        session = app.session
        if not session.is_open:
            self.app.notify("The sandbox is not open yet.", severity="warning")
            return None
        if command in self.history:
            self.history.remove(command)
        self.history = [*self.history, command][-HISTORY:]
        record = app.runbook.begin_command(command, session.output_dir)
        app.files.run_started()
        app.main.show_log()
        self.log.add_run(record, CommandBlock(record))
        try:
            app.runbook.attach(record, session.command(record, self.workbench.main.listener))  # type: ignore[arg-type]
        except Exception as err:
            app.runbook.fail(record, str(session.explain(err)))
            self.finished(record)
        return record

    def finished(self, record: CommandRecord) -> None:
        """The command ended: its block shows how (the runbook forgets its future)."""
        self.workbench.runbook.futures.pop(record.seq, None)
        block = self.log.blocks.get(record.seq)
        if block is not None:
            block.refresh_block()
        if record.status == "failed":
            self.app.notify(record.failure, title="Command failed", severity="error", timeout=10)

    def running(self) -> list[CommandRecord]:
        return [r for r in self.workbench.runbook.running() if isinstance(r, CommandRecord)]

    def interrupt(self, record: CommandRecord | None = None) -> int:
        """Kill `record` (or every running command); how many were asked to stop."""
        runbook = self.workbench.runbook
        count = 0
        for found in [record] if record is not None else self.running():
            future = runbook.futures.get(found.seq)
            if future is not None and future.cancel():
                count += 1
        return count
