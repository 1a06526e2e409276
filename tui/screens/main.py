"""The main view: editor tabs above the output log, the context sidebar beside them.

The screen owns the main keys (from `tui.actions`) and the path of a run, which reads
straight down and back:

    action_run -> run_code -> RunBook.begin (a record, its context busy)
               -> Session.run (the SDK on the session thread)
    session thread -> RunUpdated (coalesced)  -> the log repaints the block
                   -> RunFinished             -> RunBook.finish, history, sidebar

Sandboxes (cloud commands, switching) belong to the app's SandboxController; artifacts
to its ArtifactDialogs. The sidebar's Files tab, the terminal pane and the quick command
line each have their controller (`tui.controllers.files`, `.terminal`, `.commands`):
the screen lays them out, routes their messages and keys, and nothing more. Nothing here
blocks the event loop: SDK calls are awaited.
"""

from __future__ import annotations

import asyncio
import gc
import os
import re
from typing import cast

from rich.markup import escape
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.css.query import NoMatches
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Footer, Header, Label, TabbedContent, TabPane, TextArea

from ..actions import bindings
from ..core.buffers import Buffer, BufferSet, context_for, first_buffer
from ..core.commands import CommandRecord
from ..core.environment import describe, fetch_environment
from ..core.errors import WorkbenchError
from ..core.fanout import FanOut, Lane
from ..core.history import HistoryEntry
from ..core.introspect import IntrospectionUnavailable
from ..core.records import ExecutionRecord
from ..core.runbook import ContextEntry
from ..messages import RunFinished, RunUpdated, SessionListener
from ..widgets.command_block import CommandBlock
from ..widgets.editor import CodeEditor, EditorPane
from ..widgets.files import FilesPane
from ..widgets.output_log import OutputLog, RunBlock
from ..widgets.search import SearchBar
from ..widgets.sidebar import ContextSidebar
from ..widgets.terminal import TerminalView
from ..workbench import Workbench
from .choice import ChoiceScreen
from .cockpit import CockpitScreen
from .completion import CompletionScreen, InspectScreen
from .confirm import ConfirmScreen
from .export import ExportScreen
from .fanout import FanOutScreen
from .full_output import FullOutputScreen
from .history import HistoryChoice, HistoryScreen
from .new_context import NewContextRequest, NewContextScreen
from .prompt import PromptScreen
from .replay import ReplayScreen
from .tool_call import ToolCallScreen

SAVE_DELAY = 0.5
_NAME = re.compile(r"[\w.]+")
NARROW = 100  # below this many columns the sidebar gives way (F9 brings it back)


class MainScreen(Screen[None]):
    BINDINGS = bindings("main", priority=True)

    def __init__(self) -> None:
        super().__init__(id="main-screen")
        self.ready = False  # the session is open and its contexts are known
        self.listener = SessionListener(self)
        self._save_timer = None
        self._recall: dict[int, tuple[int, str]] = {}  # editor id -> (index, draft)
        self._sidebar_choice: bool | None = None  # shown or hidden by F9; None: by the width
        # what had the focus, and the sidebar's choice, when Alt+D opened the Files tab
        self._files_return: tuple[Widget | None, bool | None] | None = None
        self._narrow = False
        self._closed_buffers: list[Buffer] = []  # closed buffers, the last one first to reopen
        self._log_pattern = None  # the log's search
        self._search_return: Widget | None = None  # what had the focus when it opened
        self._log_counts: list[tuple[RunBlock, int]] = []
        self._log_current: int | None = None
        self._introspection_said = False  # told once that this sandbox cannot complete
        # runs asked for in a language whose context is still starting: language -> (code, editor)
        self._waiting: dict[str, list[tuple[str, CodeEditor | None]]] = {}

    @property
    def workbench(self) -> Workbench:
        return cast(Workbench, self.app)

    # -- layout -----------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False)
        with Horizontal(id="body"):
            with TabbedContent(id="side", initial="side-contexts"):
                with TabPane("Contexts", id="side-contexts"):
                    yield ContextSidebar(id="sidebar")
                with TabPane("Files", id="side-files"):
                    yield FilesPane(id="files")
            with Vertical(id="main"):
                yield EditorPane(id="editor")
                yield OutputLog(id="log")
                yield SearchBar(id="log-search")
                with Vertical(id="terminal-pane", classes="-hidden"):
                    yield Label("terminal · Ctrl+] leaves · F10 hides", id="terminal-title", classes="dim")
                    yield TerminalView(id="terminal")
        yield Footer()

    @property
    def editor_pane(self) -> EditorPane:
        return self.query_one(EditorPane)

    @property
    def log_view(self) -> OutputLog:
        return self.query_one(OutputLog)

    @property
    def sidebar(self) -> ContextSidebar:
        return self.query_one(ContextSidebar)

    @property
    def files_pane(self) -> FilesPane:
        return self.query_one(FilesPane)

    @property
    def terminal_view(self) -> TerminalView:
        return self.query_one(TerminalView)

    async def on_mount(self) -> None:
        await self._restore_buffers()
        self.set_interval(0.1, self._tick)
        self.open_session()

    # -- the session ----------------------------------------------------------------

    @work(group="session", exclusive=True, exit_on_error=False)
    async def open_session(self) -> None:
        """Open the app's session (runtime or cloud sandbox), then show its contexts."""
        app = self.workbench
        session = app.session
        self.ready = False
        cloud = session.mode == "cloud"
        self.sidebar.set_status("Opening the cloud sandbox…" if cloud else "Starting the local runtime…")
        app.refresh_header()
        try:
            await session.open()
        except WorkbenchError as err:
            if session is app.session:
                self._session_failed(err)
            return
        if session is not app.session or app.quitting:
            return
        self.ready = True
        # everything alive now lives for the whole session: keep it out of the GC's full
        # collections, which otherwise stall frames while a flood renders
        gc.freeze()
        app.refresh_header()
        await self.refresh_contexts()
        languages = ", ".join(session.languages)
        note = f"\n{session.languages_note}" if session.languages_note else ""
        self.sidebar.set_status(f"Languages: {languages}{note}")
        self._ensure_default_contexts()
        if self.query_one("#side", TabbedContent).active == "side-files":
            self.workbench.files.show()
        if self.query_one("#terminal-pane").display:
            self.workbench.terminal.show()
        if not cloud:  # the runtime may still be building python's environment: say so
            self.watch_environment(f"Languages: {languages}{note}")

    @work(group="environment", exclusive=True, exit_on_error=False)
    async def watch_environment(self, status: str) -> None:
        """Show the sandbox environment's build under the status until it is ready (or failed)."""
        app = self.workbench
        session = app.session
        while session is app.session and not app.quitting:
            found = await fetch_environment(session.url)
            if found is None or not found.building:
                if found is not None and found.failed:
                    self.sidebar.set_status(f"{status}\n[b red]{escape(describe(found))}[/]")
                    app.notify(describe(found), title="Sandbox environment", severity="error", timeout=30)
                else:
                    self.sidebar.set_status(status)
                return
            self.sidebar.set_status(f"{status}\n[b]{escape(describe(found))}[/]")
            await asyncio.sleep(0.5)

    def _session_failed(self, err: WorkbenchError) -> None:
        app = self.workbench
        app.refresh_header()
        if app.session.mode == "cloud":
            self.sidebar.set_status(
                f"[b red]No cloud sandbox[/]\n{err}\n\nCommand palette (ctrl+p): "
                "New sandbox, Connect to sandbox or Switch to local runtime."
            )
            app.sandboxes.offer_way_out(str(err))
            return
        self.sidebar.set_status(f"[b red]Runtime failed to start[/]\n{err}")
        app.notify(
            f"{err}\nRun `e2b-workbench doctor` to check your kernels.",
            title="Runtime failed to start",
            severity="error",
            timeout=30,
        )

    def session_closed(self, status: str) -> None:
        """The session went away (killed, or being replaced): nothing runs until a new one opens."""
        self.ready = False
        self.workbench.files.session_closed()
        self.sidebar.set_status(status)
        self.show_contexts()

    async def refresh_contexts(self) -> None:
        """Learn the sandbox's contexts (the list is the sandbox's, not ours)."""
        app = self.workbench
        try:
            app.runbook.sync(await app.session.list_contexts())
        except Exception as err:
            app.notify(str(app.session.explain(err)), title="Contexts", severity="error")
        self.bind_buffers()
        self.show_contexts()

    def _ensure_default_contexts(self) -> None:
        """Start the contexts a person will use first: the `prestart` languages and those of
        the open buffers. Any other language starts when it is first run."""
        app = self.workbench
        present = {c.language for c in app.runbook.contexts.values()}
        used = {e.buffer.language for e in self.editor_pane.editors()}
        wanted = [lang for lang in app.session.languages if lang in used or lang in app.config.prestart]
        for language in wanted:
            if language not in present:
                self.create_context(language, "", bind=False)

    @work(group="contexts", exit_on_error=False)
    async def create_context(
        self,
        language: str,
        cwd: str,
        bind: bool = True,
        editor: CodeEditor | None = None,
        answer: str | None = None,
    ) -> None:
        """Create a context; with `bind`, bind it to `editor` (default: the buffer shown when it
        is ready), as `answer` says when the question was asked already: `n` a new buffer, `s`
        switch that one; otherwise asked now when the language changes (see `bind_or_ask`)."""
        app = self.workbench
        session = app.session
        placeholder = app.runbook.add_placeholder(language, cwd)
        self.show_contexts()
        try:
            ctx = await session.create_context(language, cwd or None)
        except Exception as err:
            app.runbook.drop(placeholder.id)
            dropped = self._waiting.pop(language, [])
            if not app.quitting and session is app.session:
                self.show_contexts()
                lost = (
                    f" The run{'s' if len(dropped) > 1 else ''} waiting for it did not start."
                    if dropped
                    else ""
                )
                app.notify(
                    f"Could not create a {language} context: {session.explain(err)}{lost}",
                    title="New context",
                    severity="error",
                    timeout=15,
                )
            return
        if app.quitting or session is not app.session:
            return  # the app is closing, or moved to another sandbox
        entry = app.runbook.created(placeholder, ctx)
        self.bind_buffers()
        self.show_contexts()
        if bind:
            if editor is None or editor not in self.editor_pane.editors():
                editor = self.editor_pane.current()
            if answer == "n":
                await self.new_buffer_for(entry)
            elif answer == "s" and editor is not None:
                self.bind(editor, entry)
                self.notify(f"{editor.buffer.name} now runs in {entry.language} context {entry.id[:6]}.")
            elif editor is not None:
                self.bind_or_ask(editor, entry)
        for code, _editor in self._waiting.pop(language, []):  # runs asked for before it existed
            self.run_in(code, entry)  # in it: the buffer shown now may be of another language

    # -- buffers ------------------------------------------------------------------

    async def _restore_buffers(self) -> None:
        state = self.workbench.store.load()
        buffers = state.buffers or [first_buffer()]
        for buffer in buffers:
            await self.editor_pane.add_buffer(buffer, activate=False)
        self.editor_pane.activate(min(state.active, len(buffers) - 1))
        editor = self.editor_pane.current()
        if editor is not None:
            editor.focus()

    def bind_buffers(self) -> None:
        """Give every buffer a live context: its own if it still exists, else one of its language."""
        contexts = self.workbench.runbook.contexts.values()
        for editor in self.editor_pane.editors():
            found = context_for(editor.buffer, contexts)
            if found is not None:
                editor.buffer.context_id = found.id

    def bind_or_ask(self, editor: CodeEditor, entry: ContextEntry) -> None:
        """Make `entry` the context of `editor`'s buffer; when that changes the language of a
        buffer that holds code, ask first: open a new buffer for it, or switch this one."""
        if entry.language == editor.buffer.language or not editor.text.strip():
            self.bind(editor, entry)
            self.notify(f"{editor.buffer.name} now runs in {entry.language} context {entry.id[:6]}.")
            return

        async def chosen(answer: str | None) -> None:
            if answer == "n":
                await self.new_buffer_for(entry)
            elif answer == "s":
                self.bind(editor, entry)
                self.notify(
                    f"{editor.buffer.name} now runs in {entry.language} context {entry.id[:6]} "
                    "(its text is unchanged)."
                )
            editor_now = self.editor_pane.current()
            if editor_now is not None:
                editor_now.focus()

        self.app.push_screen(
            ChoiceScreen(
                f"{editor.buffer.name} holds {editor.buffer.language} code. Run {entry.language} "
                f"context {entry.id[:6]} from a new buffer, or switch this buffer to {entry.language}?",
                [("n", "New buffer"), ("s", "Switch this buffer")],
            ),
            chosen,
        )

    async def new_buffer_for(self, entry: ContextEntry) -> CodeEditor:
        """A new buffer, empty, bound to `entry`, focused."""
        buffer = Buffer(self._new_buffer_name(), entry.language, "", entry.cwd, entry.id)
        editor = await self.editor_pane.add_buffer(buffer)
        self.set_focus(editor)
        self.schedule_save()
        self.show_contexts()
        return editor

    def _new_buffer_name(self) -> str:
        names = {e.buffer.name for e in self.editor_pane.editors()}
        n = len(names) + 1
        while f"buffer{n}" in names:
            n += 1
        return f"buffer{n}"

    def bind(self, editor: CodeEditor, entry: ContextEntry) -> None:
        """Make `entry` the context `editor`'s buffer runs in."""
        editor.buffer.context_id = entry.id
        editor.buffer.cwd = entry.cwd
        if editor.buffer.language != entry.language:
            editor.apply_language(entry.language)
            self.editor_pane.relabel(editor)
        self.schedule_save()
        self.show_contexts()

    def schedule_save(self) -> None:
        if self._save_timer is not None:
            self._save_timer.stop()
        self._save_timer = self.set_timer(SAVE_DELAY, self.save_buffers)

    def save_buffers(self) -> None:
        """Save every buffer now (a pending delayed save is dropped)."""
        if self._save_timer is not None:
            self._save_timer.stop()
            self._save_timer = None
        buffers = []
        for editor in self.editor_pane.editors():
            editor.buffer.text = editor.text
            buffers.append(editor.buffer)
        store = self.workbench.store
        try:
            store.save(BufferSet(buffers, self.editor_pane.active_index()))
        except OSError as err:
            self.notify(f"Could not save buffers to {store.path}: {err}", severity="error")

    @on(TextArea.Changed)
    def _buffer_changed(self, _event: TextArea.Changed) -> None:
        self.schedule_save()

    @on(TabbedContent.TabActivated, "#editor-tabs")
    def _tab_changed(self, _event: TabbedContent.TabActivated) -> None:
        self.show_contexts()
        self.schedule_save()

    # -- contexts in the sidebar ----------------------------------------------------

    def current_context(self) -> ContextEntry | None:
        """The context the current buffer runs in (binding it to one of its language if needed)."""
        editor = self.editor_pane.current()
        if editor is None:
            return None
        found = context_for(editor.buffer, self.workbench.runbook.contexts.values())
        if found is not None:
            editor.buffer.context_id = found.id
        return found

    def show_contexts(self) -> None:
        current = self.current_context()
        self.sidebar.show(list(self.workbench.runbook.contexts.values()), current.id if current else None)

    def on_context_sidebar_selected(self, message: ContextSidebar.Selected) -> None:
        entry = self.workbench.runbook.contexts.get(message.context_id)
        editor = self.editor_pane.current()
        if entry is None or entry.placeholder or editor is None:
            return
        self.bind_or_ask(editor, entry)
        editor.focus()

    def _target_context(self) -> ContextEntry | None:
        """The sidebar's highlighted context when the sidebar has focus, else the buffer's."""
        if self.sidebar.has_focus_within:
            found = self.sidebar.highlighted()
            if found is not None and not found.placeholder and found.id in self.workbench.runbook.contexts:
                return found
        return self.current_context()

    # -- runs -----------------------------------------------------------------------

    async def editor_settled(self, timeout: float = 2.0) -> None:
        """Wait until the editor has handled every key sent to it before now.

        The screen's keys (F5 and the like) are priority bindings: Textual runs them as they
        arrive, while the keys before them still wait in the editor's queue. A terminal that
        delivers `Ctrl+A`, new code and `F5` in one read (tmux's send-keys, a fast typist)
        ran the old text. A callback queued behind those keys tells when they are in."""
        editor = self.editor_pane.current()
        if editor is None:
            return
        settled = asyncio.Event()
        if editor.call_later(settled.set):
            try:
                await asyncio.wait_for(settled.wait(), timeout)
            except TimeoutError:
                pass  # an editor that does not answer: run what it has

    async def action_run(self) -> None:
        await self.editor_settled()
        editor = self.editor_pane.current()
        if editor is not None:
            self.run_code(editor.code_to_run(), editor)

    def run_code(self, code: str, editor: CodeEditor | None = None) -> ExecutionRecord | None:
        """Run `code` in the current buffer's context; the record, or None when nothing could start."""
        if not code.strip():
            self.notify("Nothing to run: the buffer is empty.", severity="warning")
            return None
        if not self.ready:
            self.notify("The runtime is not running yet.", severity="warning")
            return None
        entry = self.current_context()
        if entry is None:
            return self._start_then_run(code, editor)
        record = self.run_in(code, entry)
        if editor is not None:
            self._recall.pop(id(editor), None)
        return record

    def run_in(self, code: str, entry: ContextEntry) -> ExecutionRecord:
        """Run `code` in `entry`: the log shows it, history records it; its record."""
        app = self.workbench
        record = app.runbook.begin(code, entry, app.session.output_dir)
        app.files.run_started()
        self.show_log()
        self.log_view.add_run(record)
        try:
            app.runbook.attach(record, app.session.run(record, self.listener, app.config.run_timeout))
        except Exception as err:  # the run could not start: it ends here, failed, with the reason
            app.runbook.fail(record, str(app.session.explain(err)))
            self._finished(record)
        self.show_contexts()
        return record

    def run_as(self, code: str, language: str) -> None:
        """Run `code` in a context of `language`: the current buffer's when it is of that
        language, else one of that language (started when there is none)."""
        editor = self.editor_pane.current()
        if editor is not None and editor.buffer.language == language:
            self.run_code(code, editor)
            return
        if not self.ready:
            self.notify("The runtime is not running yet.", severity="warning")
            return
        found = self.workbench.runbook.for_language(language)
        if found is not None:
            self.run_in(code, found)
        else:
            self._start_then_run(code, None, language)

    def _start_then_run(self, code: str, editor: CodeEditor | None, language: str | None = None) -> None:
        """No context of the buffer's language (or `language`) yet: start one (if none is
        starting) and run then."""
        app = self.workbench
        language = language or (editor.buffer.language if editor else "python")
        if language not in app.session.languages:
            offered = ", ".join(app.session.languages)
            self.notify(
                f"This sandbox cannot run {language}: it offers {offered}. `e2b-workbench doctor` says "
                "what to install for the local runtime.",
                title="No such language",
                severity="error",
                timeout=10,
            )
            return None
        waiting = self._waiting.setdefault(language, [])
        waiting.append((code, editor))
        if not any(c.placeholder and c.language == language for c in app.runbook.contexts.values()):
            self.create_context(language, editor.buffer.cwd if editor else "", bind=False)
        self.notify(f"Starting a {language} context: the run starts when it is ready.", timeout=5)
        return None

    def on_run_updated(self, message: RunUpdated) -> None:
        self.log_view.update_run(message.seq)

    def on_run_finished(self, message: RunFinished) -> None:
        record = message.record
        self.workbench.files.run_finished(record.started_at)
        if isinstance(record, CommandRecord):
            self.workbench.commands.finished(record)
            return
        self.workbench.runbook.finish(record)
        self._finished(record)

    def _finished(self, record: ExecutionRecord) -> None:
        app = self.workbench
        block = self.log_view.blocks.get(record.seq)
        if block is not None:
            block.refresh_block()
        try:
            app.history.add(record)
        except Exception as err:
            self.notify(f"Could not record the run in history: {err}", severity="warning")
        if (
            record.status == "interrupted"
            and record.error is not None
            and record.error.name == "ContextRestarting"
        ):
            self.notify(record.failure, title="Interrupt", severity="warning", timeout=10, markup=False)
        elif record.error is not None and record.error.name == "ContextRestarting":
            self.notify(record.error.value, title="Kernel died", severity="error", timeout=10, markup=False)
        elif record.status == "failed" and app.session.gone:
            app.sandboxes.offer_way_out(record.failure)
        elif record.status == "failed":
            self.notify(record.failure, title="Run failed", severity="error", timeout=10, markup=False)
        elif record.status == "timeout":
            self.notify(record.failure, title="Timeout", severity="warning", markup=False)
        self.show_contexts()

    @work(group="interrupt", exit_on_error=False)
    async def action_interrupt(self) -> None:
        """Interrupt the context's run and drop the runs queued behind it.

        On the local runtime the run keeps its stream and ends with what happened (its
        kernel stopped it, or ignored the interrupt and was restarted); where the runtime
        has no interrupt route (E2B cloud), dropping the request is the interrupt."""
        app = self.workbench
        focused = self.focused
        if isinstance(focused, CommandBlock) and focused.record.running:
            app.commands.interrupt(focused.record)
            self.notify("Stopping the command…")
            return
        entry = self._target_context()
        runbook = app.runbook
        running = runbook.running(entry.id if entry else None)
        if not running and self.workbench.commands.running():
            count = self.workbench.commands.interrupt()
            self.notify(f"Stopping {count} command{'s' if count != 1 else ''}…")
            return
        if not running:
            self.notify("Nothing is running in this context.")
            return
        plural = "s" if len(running) > 1 else ""
        self.notify(f"Interrupting {len(running)} run{plural}…")
        started = [r for r in running if not r.queued]
        if entry is None or not started:
            runbook.cancel(entry.id if entry else None)
            return
        for record in started:
            record.interrupt_requested = True
        runbook.cancel(entry.id, queued_only=True)
        try:
            reached = await app.session.interrupt(entry.id)
        except WorkbenchError:  # no interrupt route (E2B cloud): drop the request instead
            reached = False
        if not reached:  # (or the run is not on a kernel yet)
            runbook.cancel(entry.id)

    def action_set_timeout(self) -> None:
        config = self.workbench.config

        def done(value: str | None) -> None:
            if value is None:
                return
            try:
                seconds = max(0.0, float(value or 0))
            except ValueError:
                self.notify(f"Not a number of seconds: {value!r}", severity="error")
                return
            config.run_timeout = seconds
            self.notify(f"Run timeout: {'none' if not seconds else f'{seconds:g} s'}")

        self.app.push_screen(
            PromptScreen("Run timeout in seconds (0 = no limit)", f"{config.run_timeout:g}", "0"), done
        )

    def _tick(self) -> None:
        app = self.workbench
        if app.quitting or not self.is_current:
            return
        try:
            log, sidebar = self.log_view, self.sidebar
        except NoMatches:  # the screen is being torn down
            return
        if app.runbook.running():
            log.tick()
        sidebar.tick()
        app.sandboxes.tick()

    # -- log ------------------------------------------------------------------------

    def action_clear_log(self) -> None:
        self._log_counts, self._log_current = [], None  # a search's matches went with the blocks
        self.log_view.clear_finished()
        self.workbench.runbook.forget_finished()

    def on_run_block_open_full(self, message: RunBlock.OpenFull) -> None:
        self.app.push_screen(FullOutputScreen(message.record, message.forms))

    def action_search(self) -> None:
        """Search the log (Ctrl+F from any pane, / on a block): every block's output, results
        and errors. Esc gives the focus back to where it was (the editor, a block)."""
        self.show_log()
        bar = self.query_one("#log-search", SearchBar)
        if not bar.has_focus_within:
            self._search_return = self.focused
        bar.open()

    def on_search_bar_changed(self, message: SearchBar.Changed) -> None:
        self._log_pattern = message.pattern
        self._log_current = None
        blocks = [self.log_view.blocks[seq] for seq in sorted(self.log_view.blocks)]
        self._log_counts = [(block, block.search(message.pattern)) for block in blocks]
        message.bar.set_count(None, sum(n for _b, n in self._log_counts))

    def on_search_bar_step(self, message: SearchBar.Step) -> None:
        total = sum(n for _b, n in self._log_counts)
        if not total:
            return
        if self._log_current is None:
            self._log_current = 0 if message.step > 0 else total - 1
        else:
            self._log_current = (self._log_current + message.step) % total
        left = self._log_current
        log = self.log_view
        for block, count in self._log_counts:
            if not block.is_attached:  # removed since (the log keeps its last 200 blocks)
                left -= count
                continue
            if 0 <= left < count:
                line = block.show_match(left)
                top = block.virtual_region.y + 1 + line  # the header is one line
                log.scroll_to(y=max(0, top - log.size.height // 2), animate=False)
            elif block._current is not None:
                block.show_match(None)
            left -= count
        message.bar.set_count(self._log_current, total)

    def on_search_bar_closed(self, message: SearchBar.Closed) -> None:
        self._log_pattern = None
        for block, _count in self._log_counts:
            if block.is_attached:
                block.search(None)
        self._log_counts = []
        back, self._search_return = self._search_return, None
        if back is not None and back.is_attached and back.focusable:
            back.focus()
            return
        block = self.log_view.focused_block()
        (block or self.log_view).focus()

    async def on_run_block_code_to_editor(self, message: RunBlock.CodeToEditor) -> None:
        record = message.record
        await self.put_code(
            record.code, f" with the code of run [{record.execution_count or '*'}]", record.language
        )

    def action_copy_output(self) -> None:
        block = self.log_view.focused_block()
        if block is None:
            self.notify("No output to copy yet.")
            return
        block.action_copy()

    # -- artifacts ------------------------------------------------------------------

    def action_artifacts(self, action: str = "list") -> None:
        """`action` (list, preview, chart, save) on the focused block's run, else the last run with artifacts."""
        from ..core.artifacts import artifacts_of

        focused = self.focused
        record = focused.record if isinstance(focused, RunBlock) and artifacts_of(focused.record) else None
        if record is None:
            records = self.workbench.runbook.records
            record = next(
                (records[s] for s in sorted(records, reverse=True) if artifacts_of(records[s])), None
            )
        if record is None:
            self.notify("No images or charts in the log: a run that shows a plot or an image makes one.")
            return
        self.workbench.artifacts.for_record(record, action)

    def on_run_block_artifacts_requested(self, message: RunBlock.ArtifactsRequested) -> None:
        self.workbench.artifacts.for_record(message.record, message.action)

    # -- history --------------------------------------------------------------------

    def action_history(self) -> None:
        async def chosen(choice: HistoryChoice | None) -> None:
            if choice is None:
                return
            entry = choice.entry
            if choice.rerun:  # in its own language: from a buffer of another, python ran as TypeScript
                self.run_as(entry.code, entry.language)
            else:
                await self.put_code(entry.code, f" with a run from {entry.when}", entry.language)

        self.app.push_screen(HistoryScreen(self.workbench.history), chosen)

    async def editor_for(self, language: str) -> CodeEditor | None:
        """The buffer for code of `language`: the current one when it is of that language (or
        empty: it switches), else a new buffer of it. Code never lands in a buffer of another
        language, where F5 would run it in that language's context."""
        editor = self.editor_pane.current()
        if editor is None or editor.buffer.language == language:
            return editor
        found = self.workbench.runbook.for_language(language)
        if not editor.text.strip():
            if found is not None:
                self.bind(editor, found)
            else:
                editor.buffer.context_id = ""
                editor.apply_language(language)
                self.editor_pane.relabel(editor)
                self.schedule_save()
                self.show_contexts()
            return editor
        buffer = Buffer(self._new_buffer_name(), language, "")
        if found is not None:
            buffer.context_id, buffer.cwd = found.id, found.cwd
        editor = await self.editor_pane.add_buffer(buffer)
        self.set_focus(editor)
        self.schedule_save()
        self.show_contexts()
        return editor

    async def put_code(self, code: str, source: str = "", language: str | None = None) -> None:
        """Replace the text of the buffer for `language` (see `editor_for`; default: the current
        buffer) with `code`, and say so (Ctrl+Z brings it back)."""
        current = self.editor_pane.current()
        editor = await self.editor_for(language) if language else current
        if editor is None:
            return
        if editor is not current:
            self.notify(f"Opened {editor.buffer.name} ({language}){source}.", timeout=4)
        had = editor.text
        editor.replace(code, (0, 0), editor.document.end)
        editor.focus()
        if had.strip() and had != code:
            self.notify(
                f"Replaced the text of {editor.buffer.name}{source}: Ctrl+Z brings it back.", timeout=4
            )

    def action_recall(self, step: int) -> None:
        """Bring an earlier (step 1) or later (step -1) run of this context into the editor."""
        editor = self.editor_pane.current()
        entry = self.current_context()
        if editor is None:
            return
        entries: list[HistoryEntry] = self.workbench.history.for_context(
            entry.id if entry else "", editor.buffer.language
        )
        if not entries:
            self.notify("No earlier runs for this context.")
            return
        index, draft = self._recall.get(id(editor), (-1, editor.text))
        index = index + step
        # a run whose code is what the buffer shows already is skipped: right after F5 the
        # latest run is the buffer's own text, and F7 seemed to do nothing
        while 0 <= index < len(entries) - 1 and entries[index].code == editor.text:
            index += step
        if index < 0:
            self._recall.pop(id(editor), None)
            editor.replace(draft, (0, 0), editor.document.end)
            self.notify("Back to your draft.")
            return
        index = min(index, len(entries) - 1)
        self._recall[id(editor)] = (index, draft)
        found = entries[index]
        editor.replace(found.code, (0, 0), editor.document.end)
        self.notify(f"Run from {found.when} ({index + 1}/{len(entries)}).", timeout=2)

    # -- contexts: new / restart / remove ---------------------------------------------

    def action_new_context(self) -> None:
        if not self.ready:
            self.notify("The runtime is not running yet.", severity="warning")
            return
        editor = self.editor_pane.current()
        language = editor.buffer.language if editor else "python"

        def created(request: NewContextRequest | None) -> None:
            if request is None:
                return
            new, cwd = request.language, os.path.expanduser(request.cwd)
            if editor is None or new == editor.buffer.language or not editor.text.strip():
                self.create_context(new, cwd, editor=editor)
                return

            # asked now, not once the kernel is up (seconds later, Java's ten): a question that
            # came then took the keys typed meanwhile (its answers are n and s) and bound
            # whichever buffer was shown by then
            def answered(answer: str | None) -> None:
                self.create_context(new, cwd, bind=answer is not None, editor=editor, answer=answer)

            self.app.push_screen(
                ChoiceScreen(
                    f"{editor.buffer.name} holds {editor.buffer.language} code. Run the new {new} "
                    f"context from a new buffer, or switch this buffer to {new}?",
                    [("n", "New buffer"), ("s", "Switch this buffer")],
                ),
                answered,
            )

        self.app.push_screen(NewContextScreen(self.workbench.session.languages, language, ""), created)

    @work(group="contexts", exit_on_error=False)
    async def action_restart_context(self) -> None:
        app = self.workbench
        entry = self._target_context()
        if entry is None:
            self.notify("No context selected.", severity="warning")
            return
        app.runbook.restarting(entry.id)
        self.show_contexts()
        try:
            await app.session.restart_context(entry.id)
        except Exception as err:
            app.runbook.restarted(entry.id, ok=False)
            self.notify(str(app.session.explain(err)), title="Restart failed", severity="error")
        else:
            app.runbook.restarted(entry.id, ok=True)
            self.notify(f"Restarted {entry.language} context {entry.id[:6]}: fresh state, same cwd.")
        self.show_contexts()

    def action_remove_context(self) -> None:
        entry = self._target_context()
        if entry is None:
            self.notify("No context selected.", severity="warning")
            return

        def confirmed(yes: bool | None) -> None:
            if yes:
                self._remove_context(entry)

        self.app.push_screen(
            ConfirmScreen(f"Remove {entry.language} context {entry.id[:6]}? Its state is lost.", "Remove"),
            confirmed,
        )

    @work(group="contexts", exit_on_error=False)
    async def _remove_context(self, entry: ContextEntry) -> None:
        app = self.workbench
        try:
            await app.session.remove_context(entry.id)
        except Exception as err:
            self.notify(str(app.session.explain(err)), title="Remove failed", severity="error")
            return
        app.runbook.drop(entry.id)
        self.notify(f"Removed {entry.language} context {entry.id[:6]}.")
        self.bind_buffers()
        self.show_contexts()

    # -- buffers: new / next / close --------------------------------------------------

    async def action_new_buffer(self) -> None:
        current = self.editor_pane.current()
        language = current.buffer.language if current else "python"
        buffer = Buffer(self._new_buffer_name(), language, "")
        found = self.workbench.runbook.for_language(language)
        if found:
            buffer.context_id, buffer.cwd = found.id, found.cwd
        editor = await self.editor_pane.add_buffer(buffer)
        self.set_focus(editor)
        self.schedule_save()

    def action_next_buffer(self) -> None:
        self._switch_buffer(1)

    def action_previous_buffer(self) -> None:
        self._switch_buffer(-1)

    def _switch_buffer(self, step: int) -> None:
        """Show the next (1) or previous (-1) buffer, and move the focus into it at once, so
        the keys typed (or pasted) next land in the buffer on screen, never in a hidden one."""
        count = len(self.editor_pane.editors())
        if count:
            self.editor_pane.activate((self.editor_pane.active_index() + step) % count)
            editor = self.editor_pane.current()
            if editor is not None:
                self.set_focus(editor)
            self.show_contexts()

    async def action_close_buffer(self) -> None:
        if len(self.editor_pane.editors()) <= 1:
            self.notify("The last buffer stays open.", severity="warning")
            return
        editor = self.editor_pane.current()
        if editor is not None:
            editor.buffer.text = editor.text
        closed = await self.editor_pane.close_current()
        if closed is not None:
            self._closed_buffers.append(closed)
            lines = len(closed.text.splitlines())
            self.notify(
                f"Closed {closed.name} · {closed.language} ({lines} line{'s' if lines != 1 else ''}). "
                "Reopen it: command palette, Reopen closed buffer.",
                timeout=6,
            )
        editor = self.editor_pane.current()
        if editor is not None:
            self.set_focus(editor)
        self.schedule_save()
        self.show_contexts()

    async def action_reopen_buffer(self) -> None:
        """Open the buffer closed last, with its text and context."""
        if not self._closed_buffers:
            self.notify("No closed buffer to reopen.")
            return
        buffer = self._closed_buffers.pop()
        editor = await self.editor_pane.add_buffer(buffer)
        self.set_focus(editor)
        self.bind_buffers()
        self.schedule_save()
        self.show_contexts()
        self.notify(f"Reopened {buffer.name}.")

    # -- the editor asks the kernel ------------------------------------------------------

    def on_code_editor_completion_requested(self, message: CodeEditor.CompletionRequested) -> None:
        self._complete(message)

    def on_code_editor_inspect_requested(self, message: CodeEditor.InspectRequested) -> None:
        self._inspect(message)

    def on_code_editor_go_to_line_requested(self, message: CodeEditor.GoToLineRequested) -> None:
        editor = message.editor
        row, column = editor.cursor_location

        def go(value: str | None) -> None:
            editor.focus()
            if not value or not value.strip():
                return
            line, _colon, col = value.strip().partition(":")
            try:
                editor.go_to(int(line), int(col) if col.strip() else 1)
            except ValueError:
                self.notify(
                    f"Not a line number: {value!r} (say 12, or 12:5 for a column).", severity="warning"
                )

        lines = editor.document.line_count
        self.app.push_screen(
            PromptScreen(f"Go to line (1-{lines}; line:column also works)", "", f"{row + 1}:{column + 1}"), go
        )

    def _introspect_context(self, editor: CodeEditor) -> ContextEntry | None:
        entry = self.current_context() if self.ready else None
        if entry is None or entry.placeholder:
            return None
        return entry

    def _introspection_failed(self, err: WorkbenchError) -> None:
        """Say why once per session where it cannot work (E2B cloud); every time otherwise."""
        if isinstance(err, IntrospectionUnavailable):
            if self._introspection_said:
                return
            self._introspection_said = True
        self.notify(str(err), title=err.title, severity="warning", timeout=6, markup=False)

    @work(group="introspect", exclusive=True, exit_on_error=False)
    async def _complete(self, message: CodeEditor.CompletionRequested) -> None:
        editor = message.editor
        entry = self._introspect_context(editor)
        if entry is None:
            if message.explicit:
                self.notify("No context to complete from yet.", severity="warning")
            else:
                editor.insert_indent()
            return
        try:
            found = await self.workbench.session.complete(entry.id, message.code, message.offset)
        except WorkbenchError as err:
            self._introspection_failed(err)
            if not message.explicit:
                editor.insert_indent()
            return
        if editor.text != message.code or editor.cursor_offset() != message.offset:
            return  # typed on meanwhile: this answer is for another place
        matches = found.matches
        if not matches:
            if message.explicit:
                self.notify("No completions here.", timeout=2)
            else:
                editor.insert_indent()
            return
        if len(matches) == 1:
            editor.complete_with(matches[0], found.start, found.end)
            return
        prefix = os.path.commonprefix(matches)
        typed = message.code[found.start : message.offset]
        if len(prefix) > len(typed) and prefix.startswith(typed):
            editor.complete_with(prefix, found.start, found.end)
            found.end = found.start + len(prefix)
        self.app.push_screen(CompletionScreen(editor, found))

    @work(group="introspect", exclusive=True, exit_on_error=False)
    async def _inspect(self, message: CodeEditor.InspectRequested) -> None:
        editor = message.editor
        entry = self._introspect_context(editor)
        if entry is None:
            self.notify("No context to ask yet.", severity="warning")
            return
        try:
            found = await self.workbench.session.inspect(entry.id, message.code, message.offset)
        except WorkbenchError as err:
            self._introspection_failed(err)
            return
        if not found.found or not found.text.strip():
            # the kernel inspects live objects: a name from code not run yet (an import typed
            # but not run, where completion already worked) is unknown to it
            self.notify(
                "The kernel knows nothing about the name under the cursor: run the code that "
                "defines or imports it first.",
                timeout=5,
            )
            return
        name = _name_at(message.code, message.offset) or "inspection"
        self.app.push_screen(InspectScreen(f"{name} · {entry.language}", found.text))

    @work(group="introspect", exclusive=True, exit_on_error=False)
    async def action_type_check(self) -> None:
        """`deno check` of the TypeScript buffer (the selection, when there is one)."""
        await self.editor_settled()
        editor = self.editor_pane.current()
        entry = self._introspect_context(editor) if editor is not None else None
        if editor is None or entry is None:
            self.notify("No context to check in yet.", severity="warning")
            return
        if entry.language not in ("typescript", "javascript"):
            self.notify(
                f"Type checks are for TypeScript; this buffer runs {entry.language}.", severity="warning"
            )
            return
        self.notify("Checking types (deno check)…", timeout=3)
        try:
            found = await self.workbench.session.type_check(entry.id, editor.code_to_run())
        except WorkbenchError as err:
            self._introspection_failed(err)
            return
        diagnostics = found.get("diagnostics") or []
        if found.get("ok"):
            self.notify("No type errors (deno check).", title="Type check")
            return
        first = diagnostics[0] if diagnostics else None
        if first is not None and isinstance(first.get("line"), int):
            editor.go_to(first["line"], first.get("column") or 1)
        count = (
            f"{len(diagnostics)} problem{'s' if len(diagnostics) != 1 else ''}" if diagnostics else "problems"
        )
        self.app.push_screen(
            InspectScreen(
                f"deno check: {count} (this buffer as a module on its own)", str(found.get("text") or "")
            )
        )

    # -- panes ------------------------------------------------------------------------

    def action_toggle_sidebar(self) -> None:
        self._sidebar_choice = self.query_one("#side").has_class("-hidden")
        self._show_sidebar()

    def on_resize(self, event) -> None:  # noqa: ANN001 - events.Resize
        """In a narrow terminal (80x24) the sidebar gives way so the editor keeps its room."""
        self._narrow = event.size.width < NARROW
        self._show_sidebar()

    def _show_sidebar(self) -> None:
        shown = self._sidebar_choice if self._sidebar_choice is not None else not self._narrow
        self.query_one("#side").set_class(not shown, "-hidden")

    def action_cycle_focus(self) -> None:
        side = self.query_one("#side", TabbedContent)
        first = self.files_pane.tree if side.active == "side-files" else self.sidebar.list_view
        terminal = self.query_one("#terminal-pane")
        order = [first, self.editor_pane.current(), self.terminal_view if terminal.display else self.log_view]
        panes = [p for p in order if p is not None and all(w.display for w in p.ancestors_with_self)]
        focused = self.focused
        current = 0
        for i, pane in enumerate(panes):
            if focused is pane or (focused is not None and pane in focused.ancestors_with_self):
                current = i
                break
        target = panes[(current + 1) % len(panes)]
        if target is self.log_view and self.log_view.display:
            block = self.log_view.focused_block()
            (block or self.log_view).focus()
        else:
            target.focus()

    def action_maximize_pane(self) -> None:
        if self.maximized is not None:
            self.minimize()
            return
        focused = self.focused
        if focused is not None:
            self.maximize(focused)

    # -- keep and compare: export, replay, fan-out (their screens do the work) ------------

    def action_export(self) -> None:
        app = self.workbench
        self.app.push_screen(ExportScreen(list(app.runbook.records.values()), app.history))

    def action_replay(self) -> None:
        app = self.workbench
        if not self.ready:
            self.notify("The runtime is not running yet.", severity="warning")
            return
        records = list(app.runbook.records.values())
        self.app.push_screen(ReplayScreen(app.session, app.config, records, app.history))

    async def action_fan_out(self) -> None:
        """Run the buffer (or its selection) in every context marked in the sidebar."""
        await self.editor_settled()
        marked = [c for c in self.workbench.runbook.live_contexts() if c.marked]
        if len(marked) < 2:
            self.notify(
                "Mark two or more contexts in the sidebar (Space on each), then Alt+M. "
                "\"Fan out to another sandbox\" (command palette) compares this one with another sandbox.",
                title="Fan out",
                timeout=8,
            )
            return
        self._fan_out(marked, [])

    def action_fan_out_sandbox(self) -> None:
        """Run the buffer here (or in the marked contexts) and in a fresh local or cloud sandbox."""
        from ..core.target import api_key, make_target

        choices = [("l", "A fresh local runtime")]
        if api_key():
            choices.append(("c", "A fresh E2B cloud sandbox"))

        def chosen(key: str | None) -> None:
            if not key:
                return
            mode = "cloud" if key == "c" else "local"
            current = self.current_context()
            lanes = [c for c in self.workbench.runbook.live_contexts() if c.marked] or ([current] if current else [])
            target = make_target(mode, self.workbench.config)
            self._fan_out(lanes, [(f"{'E2B cloud' if mode == 'cloud' else 'fresh local runtime'}", target)])

        self.app.push_screen(ChoiceScreen("Run the buffer here and in…", choices), chosen)

    def _fan_out(self, entries: list[ContextEntry], others: list) -> None:
        editor = self.editor_pane.current()
        if editor is None or not self.ready:
            self.notify("The runtime is not running yet.", severity="warning")
            return
        code = editor.code_to_run()
        if not code.strip():
            self.notify("Nothing to run: the buffer is empty.", severity="warning")
            return
        language = entries[0].language if entries else editor.buffer.language
        fanout = FanOut(code, language, [Lane(e.label, self.run_in(code, e)) for e in entries])
        extra = []
        for label, target in others:
            lane = Lane(f"{label} · {language}", note="opening the sandbox…")
            fanout.lanes.append(lane)
            extra.append((lane, target))
        self.app.push_screen(FanOutScreen(fanout, extra, self.workbench.config.run_timeout))

    def action_tool_call(self) -> None:
        """Try a tool call: paste it, run it on this session's sandbox, see the result JSON."""
        app = self.workbench
        if not self.ready:
            self.notify("The runtime is not running yet.", severity="warning")
            return
        self.app.push_screen(ToolCallScreen(app.session, app.session.languages, app.config.run_timeout))

    # -- files, terminal, commands, cockpit (their controllers do the work) ----------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """A pane that takes every key (the terminal) keeps the screen's keys for itself."""
        return not getattr(self.focused, "captures_keys", False)

    def action_files(self) -> None:
        """Show the Files tab (and the sidebar); from the Files tab, back to the contexts."""
        side = self.query_one("#side", TabbedContent)
        if side.active == "side-files" and self.files_pane.has_focus_within:
            # back to where Alt+D was pressed, the sidebar as it was: left in the contexts list,
            # the next letters typed were its keys (r restarts a context, without asking)
            side.active = "side-contexts"
            back, choice = self._files_return or (None, self._sidebar_choice)
            self._files_return = None
            self._sidebar_choice = choice
            self._show_sidebar()
            if back is not None and back.is_attached and back.focusable and back.display:
                back.focus()
            else:
                (self.editor_pane.current() or self.sidebar.list_view).focus()
            return
        if not self.files_pane.has_focus_within:
            self._files_return = (self.focused, self._sidebar_choice)
        side.remove_class("-hidden")
        self._sidebar_choice = True  # asked for: it stays, narrow terminal or not
        side.active = "side-files"
        self.workbench.files.show()
        # now, not on the next turn of the queue: keys behind Alt+D in the same read (Down,
        # Down, d) are the tree's, and would otherwise reach the editor and type a "d"
        self.set_focus(self.files_pane.tree)

    @on(TabbedContent.TabActivated, "#side")
    def _side_tab(self, event: TabbedContent.TabActivated) -> None:
        event.stop()
        if event.pane.id == "side-files":
            self.workbench.files.show()

    def on_files_pane_request(self, message: FilesPane.Request) -> None:
        self.workbench.files.request(message.action, message.entry)

    def on_files_pane_changed(self, message: FilesPane.Changed) -> None:
        self.workbench.files.changed(message.folder)

    def insert_text(self, text: str) -> None:
        """Put `text` (a file's path) at the cursor of the current buffer."""
        editor = self.editor_pane.current()
        if editor is None:
            return
        editor.insert(text)
        editor.focus()

    def action_upload(self) -> None:
        """Upload into the Files pane's highlighted folder (the home until the pane was used)."""
        if not self.files_pane.loaded:
            self.action_files()
            self.notify("The Files pane is loading: choose where to upload, then press u.")
            return
        folder = self.files_pane.folder_here()
        if folder is not None:
            self.workbench.files.request("upload", folder)

    def action_terminal(self) -> None:
        """Show the terminal in the log's place (starting its shell), or hide it again."""
        pane = self.query_one("#terminal-pane")
        showing = pane.has_class("-hidden")
        pane.set_class(not showing, "-hidden")
        self.log_view.display = not showing
        if showing:
            self.terminal_view.focus()
            self.workbench.terminal.show()
        else:
            editor = self.editor_pane.current()
            if editor is not None:
                editor.focus()

    def show_log(self) -> None:
        """Put the log back in the terminal's place (its shell keeps running): a run, a quick
        command or a search shows what it does there, not in a log the terminal hides."""
        pane = self.query_one("#terminal-pane")
        if pane.has_class("-hidden"):
            return
        pane.add_class("-hidden")
        self.log_view.display = True
        if self.focused is self.terminal_view:
            editor = self.editor_pane.current()
            if editor is not None:
                editor.focus()

    def on_terminal_view_input(self, message: TerminalView.Input) -> None:
        self.workbench.terminal.typed(message.data)

    def on_terminal_view_resized(self, message: TerminalView.Resized) -> None:
        self.workbench.terminal.resize(message.rows, message.cols)

    def on_terminal_view_leave(self, _message: TerminalView.Leave) -> None:
        editor = self.editor_pane.current()
        if editor is not None:
            editor.focus()

    def action_copy_terminal(self) -> None:
        self.workbench.terminal.copy()

    def action_quick_command(self) -> None:
        if not self.ready:
            self.notify("The sandbox is not open yet.", severity="warning")
            return
        self.workbench.commands.ask()

    def action_cockpit(self) -> None:
        self.app.push_screen(CockpitScreen())

    def action_set_sandbox_timeout(self) -> None:
        self.workbench.sandboxes.set_sandbox_timeout()

    def action_pause_sandbox(self) -> None:
        self.workbench.sandboxes.pause_sandbox()

    # -- sandboxes (the app's controller does the work) --------------------------------

    def action_new_sandbox(self) -> None:
        self.workbench.sandboxes.new_sandbox()

    def action_connect_sandbox(self) -> None:
        self.workbench.sandboxes.connect_sandbox()

    def action_extend_sandbox(self) -> None:
        self.workbench.sandboxes.extend_sandbox()

    def action_kill_sandbox(self) -> None:
        self.workbench.sandboxes.kill_sandbox()

    def action_switch_local(self) -> None:
        self.workbench.sandboxes.switch_local()


def _name_at(code: str, offset: int) -> str:
    """The dotted name around `offset` in `code` ('' if none)."""
    for found in _NAME.finditer(code):
        if found.start() <= offset <= found.end():
            return found.group(0)
    return ""
