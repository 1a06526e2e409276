"""The workbench app: editor pane, context sidebar, live output log.

Textual only renders and routes keys here; the sandbox lives in `tui.core.session`
(its own thread, through the E2B SDK), and the local runtime in its own process.
"""

from __future__ import annotations

import asyncio
import gc
import os
import threading
from collections.abc import Iterable
from concurrent.futures import Future
from pathlib import Path
from typing import Any

from textual import on, work
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.css.query import NoMatches
from textual.message import Message
from textual.screen import ModalScreen, Screen
from textual.widgets import Footer, Header, TabbedContent, TextArea

from .core.artifacts import Artifact, artifacts_of
from .core.buffers import EXAMPLES, Buffer, BufferSet, BufferStore
from .core.config import Config, load_config
from .core.history import History, HistoryEntry
from .core.records import ExecutionRecord
from .core.saving import existing, save_plan, target_from_input, write_plan
from .core.session import ContextInfo, Session, SessionError
from .core.target import Target
from .sandbox_commands import SandboxCommands
from .screens.artifacts import ArtifactsScreen
from .screens.chart import ChartScreen
from .screens.confirm import ConfirmScreen
from .screens.full_output import FullOutputScreen
from .screens.history import HistoryChoice, HistoryScreen
from .screens.new_context import NewContextRequest, NewContextScreen
from .screens.preview import PreviewScreen
from .screens.prompt import PromptScreen
from .screens.tool_call import ToolCallScreen
from .widgets.artifacts import ArtifactAction
from .widgets.editor import CodeEditor, EditorPane
from .widgets.output_log import OutputLog, RunBlock
from .widgets.sidebar import ContextSidebar

SAVE_DELAY = 0.5


class SessionReady(Message):
    pass


class SessionFailed(Message):
    def __init__(self, reason: str) -> None:
        super().__init__()
        self.reason = reason


class RunUpdated(Message):
    def __init__(self, seq: int) -> None:
        super().__init__()
        self.seq = seq


class RunFinished(Message):
    def __init__(self, record: ExecutionRecord) -> None:
        super().__init__()
        self.record = record


class _Listener:
    """Called on the session thread; posts at most one pending update per run."""

    def __init__(self, app: WorkbenchApp) -> None:
        self.app = app
        self.dirty: set[int] = set()
        self.lock = threading.Lock()

    def on_update(self, record: ExecutionRecord) -> None:
        with self.lock:
            if record.seq in self.dirty:
                return
            self.dirty.add(record.seq)
        self.app.post_message(RunUpdated(record.seq))

    def taken(self, seq: int) -> None:
        with self.lock:
            self.dirty.discard(seq)

    def on_finished(self, record: ExecutionRecord) -> None:
        self.app.post_message(RunFinished(record))


class WorkbenchApp(SandboxCommands, App[int]):
    CSS_PATH = "app.tcss"
    TITLE = "e2b-workbench"

    BINDINGS = [
        Binding("f5,ctrl+r", "run", "Run", id="run", priority=True),
        Binding("f6,ctrl+g", "interrupt", "Interrupt", id="interrupt", priority=True),
        Binding("f2", "new_context", "New ctx", id="new_context", priority=True),
        Binding("f3", "history", "History", id="history", priority=True),
        Binding("f4", "set_timeout", "Timeout", id="set_timeout", priority=True),
        Binding("f7,ctrl+up", "recall(1)", "Prev run", id="recall_previous", priority=True),
        Binding("f8,ctrl+down", "recall(-1)", "Next run", id="recall_next", priority=True, show=False),
        Binding("f9", "toggle_sidebar", "Sidebar", id="toggle_sidebar", priority=True, show=False),
        Binding("ctrl+o", "cycle_focus", "Next pane", id="cycle_focus", priority=True),
        Binding("ctrl+n", "new_buffer", "New buffer", id="new_buffer", priority=True, show=False),
        Binding("ctrl+pagedown", "next_buffer", "Next buffer", id="next_buffer", priority=True, show=False),
        Binding(
            "ctrl+pageup", "previous_buffer", "Prev buffer", id="previous_buffer", priority=True, show=False
        ),
        Binding("ctrl+l", "clear_log", "Clear log", id="clear_log", priority=True, show=False),
        Binding("ctrl+t", "artifacts('list')", "Artifacts", id="artifacts", priority=True, show=False),
        Binding("f12", "tool_call", "Tool call", id="tool_call", priority=True, show=False),
        Binding("ctrl+q", "quit", "Quit", id="quit", priority=True),
    ]

    def __init__(self, session: Session | None = None, config: Config | None = None) -> None:
        super().__init__()
        self.config = config or load_config()
        self.session = session or Session()
        self.history = History()
        self.store = BufferStore()
        self.listener = _Listener(self)
        self.futures: dict[int, Future] = {}
        self.records: dict[int, ExecutionRecord] = {}
        self.starting: dict[str, ContextInfo] = {}  # placeholders for contexts being created
        self.ready = False
        self.languages: list[str] = []
        self._save_timer = None
        self._recall: dict[int, tuple[int, str]] = {}  # editor id -> (index, draft)
        self._quitting = False
        self.graphics = self.config.graphics  # how previews draw images (g in a preview switches)
        self.session_closed = asyncio.Event()  # set once the session is closed, just before exit

    # -- layout -----------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False)
        with Horizontal(id="body"):
            yield ContextSidebar(id="sidebar")
            with Vertical(id="main"):
                yield EditorPane(id="editor")
                yield OutputLog(id="log")
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

    async def on_mount(self) -> None:
        self.sub_title = self.header_text()
        if self.config.theme in self.available_themes:
            self.theme = self.config.theme
        if self.config.keymap:
            self.set_keymap(self.config.keymap)
        for problem in self.config.problems:
            self.notify(problem, title="Config", severity="warning", timeout=10)
        await self._restore_buffers()
        self.sidebar.set_status(
            "Opening the cloud sandbox…" if self.session.mode == "cloud" else "Starting the local runtime…"
        )
        self.set_interval(0.1, self._tick)
        self._start_session()

    @work(thread=True, exclusive=True, group="session")
    def _start_session(self) -> None:
        try:
            self.session.start()
            self.post_message(SessionReady())
        except Exception as err:  # shown to the person, never as a traceback
            self.post_message(SessionFailed(self.session.explain(err)))

    # -- session lifecycle --------------------------------------------------------

    async def on_session_ready(self, _message: SessionReady) -> None:
        self.ready = True
        # everything alive now lives for the whole session: keep it out of the GC's full
        # collections, which otherwise stall frames while a flood renders
        gc.freeze()
        self.languages = list(self.session.languages)
        self.sub_title = self.header_text()
        try:
            await self._call(self.session.refresh_contexts())
        except Exception as err:
            self.notify(self.session.explain(err), title="Contexts", severity="error")
        self._bind_buffers()
        self._show_contexts()
        self.sidebar.set_status(f"Languages: {', '.join(self.languages)}")
        self._ensure_default_contexts()

    def on_session_failed(self, message: SessionFailed) -> None:
        self.session.start_error = message.reason
        if self.session.mode == "cloud":
            self.sub_title = "cloud · no sandbox"
            self.sidebar.set_status(
                f"[b red]No cloud sandbox[/]\n{message.reason}\n\nCommand palette (ctrl+p): "
                "New sandbox, Connect to sandbox or Switch to local runtime."
            )
            self.offer_way_out(message.reason)
            return
        self.sub_title = "local · runtime not running"
        self.sidebar.set_status(f"[b red]Runtime failed to start[/]\n{message.reason}")
        self.notify(
            f"{message.reason}\nRun `e2b-workbench doctor` to check your kernels.",
            title="Runtime failed to start",
            severity="error",
            timeout=30,
        )

    def _ensure_default_contexts(self) -> None:
        present = {c.language for c in self.session.contexts.values()}
        wanted = self.languages
        if self.session.mode == "cloud":  # a context costs the sandbox memory: only what buffers use
            used = {e.buffer.language for e in self.editor_pane.editors()} | {"python"}
            wanted = [lang for lang in self.languages if lang in used]
        for language in wanted:
            if language not in present:
                self._create_context(language, "", bind=False)

    @work(group="contexts")
    async def _create_context(self, language: str, cwd: str, bind: bool = True) -> None:
        placeholder = ContextInfo(
            f"starting-{language}-{len(self.starting)}", language, cwd or "…", state="starting"
        )
        self.starting[placeholder.id] = placeholder
        self._show_contexts()
        try:
            info = await self._call(self.session.create_context(language, cwd or None))
        except Exception as err:
            self.starting.pop(placeholder.id, None)
            if not self._quitting and self.is_running:
                self._show_contexts()
                self.notify(
                    f"Could not create a {language} context: {self.session.explain(err)}",
                    title="New context",
                    severity="error",
                    timeout=15,
                )
            return
        finally:
            self.starting.pop(placeholder.id, None)
        if self._quitting or not self.is_running:
            return  # the app is closing: nothing left to show it in
        if bind:
            editor = self.editor_pane.current()
            if editor is not None:
                self._bind(editor, info)
        self._bind_buffers()
        self._show_contexts()

    async def _call(self, coro) -> Any:
        return await asyncio.wrap_future(self.session.submit(coro))

    # -- buffers ------------------------------------------------------------------

    async def _restore_buffers(self) -> None:
        state = self.store.load()
        buffers = state.buffers or [Buffer("main", "python", EXAMPLES["python"])]
        for buffer in buffers:
            await self.editor_pane.add_buffer(buffer, activate=False)
        self.editor_pane.activate(min(state.active, len(buffers) - 1))
        editor = self.editor_pane.current()
        if editor is not None:
            editor.focus()

    def _bind_buffers(self) -> None:
        """Give every buffer a live context: its own if alive, else one of its language."""
        contexts = self.session.contexts
        for editor in self.editor_pane.editors():
            buffer = editor.buffer
            if buffer.context_id in contexts:
                continue
            match = self._context_for_language(buffer.language, buffer.cwd)
            if match is not None:
                buffer.context_id = match.id

    def _context_for_language(self, language: str, cwd: str = "") -> ContextInfo | None:
        candidates = [c for c in self.session.contexts.values() if c.language == language]
        for info in candidates:
            if cwd and info.cwd == cwd:
                return info
        return candidates[0] if candidates else None

    def _bind(self, editor: CodeEditor, info: ContextInfo) -> None:
        editor.buffer.context_id = info.id
        editor.buffer.cwd = info.cwd
        if editor.buffer.language != info.language:
            editor.apply_language(info.language)
            self.editor_pane.relabel(editor)
        self._schedule_save()
        self._show_contexts()

    def _schedule_save(self) -> None:
        if self._save_timer is not None:
            self._save_timer.stop()
        self._save_timer = self.set_timer(SAVE_DELAY, self.save_buffers)

    def save_buffers(self) -> None:
        editors = self.editor_pane.editors()
        buffers = []
        for editor in editors:
            editor.buffer.text = editor.text
            buffers.append(editor.buffer)
        try:
            self.store.save(BufferSet(buffers, self.editor_pane.active_index()))
        except OSError as err:
            self.notify(f"Could not save buffers to {self.store.path}: {err}", severity="error")

    @on(TextArea.Changed)
    def _buffer_changed(self, _event: TextArea.Changed) -> None:
        self._schedule_save()

    @on(TabbedContent.TabActivated)
    def _tab_changed(self, _event: TabbedContent.TabActivated) -> None:
        self._show_contexts()
        self._schedule_save()

    # -- contexts in the sidebar ----------------------------------------------------

    def current_context(self) -> ContextInfo | None:
        editor = self.editor_pane.current()
        if editor is None:
            return None
        info = self.session.contexts.get(editor.buffer.context_id)
        if info is None:
            info = self._context_for_language(editor.buffer.language, editor.buffer.cwd)
            if info is not None:
                editor.buffer.context_id = info.id
        return info

    def _show_contexts(self) -> None:
        contexts = list(self.session.contexts.values()) + list(self.starting.values())
        current = self.current_context()
        self.sidebar.show(contexts, current.id if current else None)

    def on_context_sidebar_selected(self, message: ContextSidebar.Selected) -> None:
        info = self.session.contexts.get(message.context_id)
        editor = self.editor_pane.current()
        if info is None or editor is None:
            return
        self._bind(editor, info)
        self.notify(f"{editor.buffer.name} now runs in {info.language} context {info.id[:6]}.")
        editor.focus()

    def _target_context(self) -> ContextInfo | None:
        """The sidebar's highlighted context when the sidebar has focus, else the buffer's."""
        if self.sidebar.has_focus_within:
            found = self.sidebar.highlighted()
            if found is not None and found.id in self.session.contexts:
                return found
        return self.current_context()

    # -- runs -----------------------------------------------------------------------

    def action_run(self) -> None:
        editor = self.editor_pane.current()
        if editor is None:
            return
        self.run_code(editor.code_to_run(), editor)

    def run_code(self, code: str, editor: CodeEditor | None = None) -> ExecutionRecord | None:
        if not code.strip():
            self.notify("Nothing to run: the buffer is empty.", severity="warning")
            return None
        if not self.ready:
            self.notify("The runtime is not running yet.", severity="warning")
            return None
        info = self.current_context()
        if info is None:
            language = editor.buffer.language if editor else "python"
            self.notify(
                f"No {language} context yet (it may still be starting): try again in a moment, "
                "or press F2 to create one.",
                severity="warning",
            )
            return None
        record = self.session.new_record(code, info)
        self.records[record.seq] = record
        self.log_view.add_run(record)
        try:
            self.futures[record.seq] = self.session.run(record, self.listener, self.config.run_timeout)
        except SessionError as err:
            self.notify(str(err), severity="error")
        self._show_contexts()
        if editor is not None:
            self._recall.pop(id(editor), None)
        return record

    def on_run_updated(self, message: RunUpdated) -> None:
        self.listener.taken(message.seq)
        self.log_view.update_run(message.seq)

    def on_run_finished(self, message: RunFinished) -> None:
        record = message.record
        self.futures.pop(record.seq, None)
        self.listener.taken(record.seq)
        block = self.log_view.blocks.get(record.seq)
        if block is not None:
            block.refresh_block()
        try:
            self.history.add(record)
        except Exception as err:
            self.notify(f"Could not record the run in history: {err}", severity="warning")
        if record.error is not None and record.error.name == "ContextRestarting":
            self.notify(record.error.value, title="Kernel died", severity="error", timeout=10)
        elif record.status == "failed" and self.session.gone:
            self.offer_way_out(record.failure)
        elif record.status == "failed":
            self.notify(record.failure, title="Run failed", severity="error", timeout=10)
        elif record.status == "timeout":
            self.notify(record.failure, title="Timeout", severity="warning")
        self._show_contexts()

    def action_interrupt(self) -> None:
        info = self._target_context()
        running = [
            r for r in self.records.values() if r.running and (info is None or r.context_id == info.id)
        ]
        if not running:
            self.notify("Nothing is running in this context.")
            return
        for record in running:
            self.session.cancel(record)
        self.notify(f"Interrupting {len(running)} run{'s' if len(running) > 1 else ''}…")

    def action_set_timeout(self) -> None:
        def done(value: str | None) -> None:
            if value is None:
                return
            try:
                seconds = max(0.0, float(value or 0))
            except ValueError:
                self.notify(f"Not a number of seconds: {value!r}", severity="error")
                return
            self.config.run_timeout = seconds
            self.notify(f"Run timeout: {'none' if not seconds else f'{seconds:g} s'}")

        self.push_screen(
            PromptScreen("Run timeout in seconds (0 = no limit)", f"{self.config.run_timeout:g}", "0"), done
        )

    def _tick(self) -> None:
        if self._quitting or not self.is_running or not self.screen.is_current:
            return
        try:
            log, sidebar = self.log_view, self.sidebar
        except NoMatches:  # the main screen is being torn down
            return
        if any(r.running for r in self.records.values()):
            log.tick()
        sidebar.tick()
        self.tick_sandbox()

    # -- log ------------------------------------------------------------------------

    def action_clear_log(self) -> None:
        self.log_view.clear()
        self.records = {seq: r for seq, r in self.records.items() if r.running}

    def on_run_block_open_full(self, message: RunBlock.OpenFull) -> None:
        record = message.record
        title = f"Run [{record.execution_count or '*'}] {record.language} · {record.context_label}"
        self.push_screen(FullOutputScreen(title, record.output_path, record.full_output()))

    def on_run_block_code_to_editor(self, message: RunBlock.CodeToEditor) -> None:
        self._put_code(message.record.code)

    def action_copy_output(self) -> None:
        block = self.log_view.focused_block()
        if block is None:
            self.notify("No output to copy yet.")
            return
        block.action_copy()

    # -- artifacts: images and charts of a run ----------------------------------------

    def _artifact_record(self) -> ExecutionRecord | None:
        """The focused block's run if it made artifacts, else the latest run that did."""
        focused = self.focused
        if isinstance(focused, RunBlock) and artifacts_of(focused.record):
            return focused.record
        for seq in sorted(self.records, reverse=True):
            if artifacts_of(self.records[seq]):
                return self.records[seq]
        return None

    def action_artifacts(self, action: str = "list") -> None:
        """`action` (list, preview, chart, save) on the artifacts of the selected or last run."""
        record = self._artifact_record()
        if record is None:
            self.notify("No images or charts in the log: a run that shows a plot or an image makes one.")
            return
        self._run_artifacts(record, action)

    def on_run_block_artifacts_requested(self, message: RunBlock.ArtifactsRequested) -> None:
        self._run_artifacts(message.record, message.action)

    def _run_artifacts(self, record: ExecutionRecord, action: str) -> None:
        if isinstance(self.screen, ModalScreen):  # a key typed ahead while a dialog was closing
            return
        artifacts = artifacts_of(record)
        run = f"Run [{record.execution_count or '*'}]"
        if not artifacts:
            self.notify(f"{run} made no images or charts.")
            return
        if action == "chart":
            artifacts = [a for a in artifacts if a.chart is not None]
            if not artifacts:
                self.notify(f"{run} has images but no chart data to draw: p previews them.")
                return
        if action != "list" and len(artifacts) == 1:
            self.open_artifact(artifacts[0], action)
            return

        def chosen(choice: tuple[Artifact, str] | None) -> None:
            if choice is not None:
                self.open_artifact(*choice)

        count = f"{len(artifacts)} artifact{'s' if len(artifacts) != 1 else ''}"
        self.push_screen(ArtifactsScreen(f"{run} · {count}", artifacts), chosen)

    def on_artifact_action(self, message: ArtifactAction) -> None:
        self.open_artifact(message.artifact, message.action)

    def open_artifact(self, artifact: Artifact, action: str) -> None:
        """Preview, draw (chart) or save one artifact (never on top of another dialog)."""
        if isinstance(self.screen, ModalScreen):
            return
        if action == "preview":

            def closed(mode: str | None) -> None:
                if mode:
                    self.graphics = mode

            self.push_screen(PreviewScreen(artifact, self.graphics), closed)
        elif action == "chart":
            if artifact.chart is None:
                self.notify(f"{artifact.name} has no chart data to draw: p previews the image.")
                return
            self.push_screen(ChartScreen(artifact))
        elif action == "save":
            self._ask_save(artifact)

    def _ask_save(self, artifact: Artifact) -> None:
        cwd = Path.cwd()
        default = target_from_input("", artifact, cwd)
        shown = str(default.relative_to(cwd)) if default.is_relative_to(cwd) else str(default)
        extra = [suffix for suffix, _data in artifact.files()[1:]]
        also = f" (with {', '.join(extra)} next to it)" if extra else ""

        def chosen(value: str | None) -> None:
            if value is None:
                return
            plan = save_plan(artifact, target_from_input(value, artifact, cwd))
            taken = existing(plan)
            if not taken:
                self._save(plan, overwrite=False)
                return
            names = ", ".join(str(p) for p in taken)

            def confirmed(yes: bool | None) -> None:
                if yes:
                    self._save(plan, overwrite=True)
                else:
                    self.notify("Not saved: nothing was overwritten.")

            verb = "exist" if len(taken) > 1 else "exists"
            self.push_screen(ConfirmScreen(f"{names} already {verb}. Replace?", "Replace"), confirmed)

        self.push_screen(PromptScreen(f"Save {artifact.name} as{also}", shown, shown), chosen)

    def _save(self, plan: list[tuple[Path, bytes]], overwrite: bool) -> None:
        try:
            written = write_plan(plan, overwrite=overwrite)
        except FileExistsError as err:
            self.notify(f"Not saved: {err} appeared meanwhile.", severity="warning")
            return
        except OSError as err:
            self.notify(f"Could not save: {err}", title="Save", severity="error", timeout=10)
            return
        folder = written[0].parent
        names = ", ".join(p.name for p in written)
        self.notify(f"Saved {names} in {folder}", title="Saved", timeout=8)

    # -- history --------------------------------------------------------------------

    def action_history(self) -> None:
        def chosen(choice: HistoryChoice | None) -> None:
            if choice is None:
                return
            if choice.rerun:
                self.run_code(choice.entry.code, self.editor_pane.current())
            else:
                self._put_code(choice.entry.code)

        self.push_screen(HistoryScreen(self.history), chosen)

    def _put_code(self, code: str) -> None:
        editor = self.editor_pane.current()
        if editor is None:
            return
        editor.replace(code, (0, 0), editor.document.end)
        editor.focus()

    def action_recall(self, step: int) -> None:
        """Bring an earlier (step 1) or later (step -1) run of this context into the editor."""
        editor = self.editor_pane.current()
        info = self.current_context()
        if editor is None:
            return
        entries: list[HistoryEntry] = self.history.for_context(
            info.id if info else "", editor.buffer.language
        )
        if not entries:
            self.notify("No earlier runs for this context.")
            return
        index, draft = self._recall.get(id(editor), (-1, editor.text))
        index = index + step
        if index < 0:
            self._recall.pop(id(editor), None)
            editor.replace(draft, (0, 0), editor.document.end)
            self.notify("Back to your draft.")
            return
        index = min(index, len(entries) - 1)
        self._recall[id(editor)] = (index, draft)
        entry = entries[index]
        editor.replace(entry.code, (0, 0), editor.document.end)
        self.notify(f"Run from {entry.when} ({index + 1}/{len(entries)}).", timeout=2)

    # -- contexts: new / restart / remove ---------------------------------------------

    def action_new_context(self) -> None:
        if not self.ready:
            self.notify("The runtime is not running yet.", severity="warning")
            return
        editor = self.editor_pane.current()
        language = editor.buffer.language if editor else "python"

        def created(request: NewContextRequest | None) -> None:
            if request is not None:
                self._create_context(request.language, os.path.expanduser(request.cwd))

        self.push_screen(NewContextScreen(self.languages, language, ""), created)

    @work(group="contexts")
    async def action_restart_context(self) -> None:
        info = self._target_context()
        if info is None:
            self.notify("No context selected.", severity="warning")
            return
        info.state = "starting"
        self._show_contexts()
        try:
            await self._call(self.session.restart_context(info.id))
            self.notify(f"Restarted {info.language} context {info.id[:6]}: fresh state, same cwd.")
        except Exception as err:
            info.state = "dead"
            self.notify(self.session.explain(err), title="Restart failed", severity="error")
        self._show_contexts()

    def action_remove_context(self) -> None:
        info = self._target_context()
        if info is None:
            self.notify("No context selected.", severity="warning")
            return

        def confirmed(yes: bool | None) -> None:
            if yes:
                self._remove_context(info)

        self.push_screen(
            ConfirmScreen(f"Remove {info.language} context {info.id[:6]}? Its state is lost.", "Remove"),
            confirmed,
        )

    @work(group="contexts")
    async def _remove_context(self, info: ContextInfo) -> None:
        try:
            await self._call(self.session.remove_context(info.id))
        except Exception as err:
            self.notify(self.session.explain(err), title="Remove failed", severity="error")
            return
        self.notify(f"Removed {info.language} context {info.id[:6]}.")
        self._bind_buffers()
        self._show_contexts()

    # -- buffers: new / next / close --------------------------------------------------

    async def action_new_buffer(self) -> None:
        current = self.editor_pane.current()
        language = current.buffer.language if current else "python"
        name = f"buffer{len(self.editor_pane.editors()) + 1}"
        buffer = Buffer(name, language, "")
        info = self._context_for_language(language)
        if info:
            buffer.context_id, buffer.cwd = info.id, info.cwd
        editor = await self.editor_pane.add_buffer(buffer)
        editor.focus()
        self._schedule_save()

    def action_next_buffer(self) -> None:
        count = len(self.editor_pane.editors())
        if count:
            self.editor_pane.activate((self.editor_pane.active_index() + 1) % count)

    def action_previous_buffer(self) -> None:
        count = len(self.editor_pane.editors())
        if count:
            self.editor_pane.activate((self.editor_pane.active_index() - 1) % count)

    async def action_close_buffer(self) -> None:
        if len(self.editor_pane.editors()) <= 1:
            self.notify("The last buffer stays open.", severity="warning")
            return
        await self.editor_pane.close_current()
        self._schedule_save()

    # -- panes ------------------------------------------------------------------------

    def action_toggle_sidebar(self) -> None:
        self.sidebar.toggle_class("-hidden")

    def action_cycle_focus(self) -> None:
        order = [self.sidebar.list_view, self.editor_pane.current(), self.log_view]
        panes = [p for p in order if p is not None and p.display]
        focused = self.focused
        current = 0
        for i, pane in enumerate(panes):
            if focused is pane or (focused is not None and pane in focused.ancestors_with_self):
                current = i
                break
        target = panes[(current + 1) % len(panes)]
        if target is self.log_view:
            block = self.log_view.focused_block()
            (block or self.log_view).focus()
        else:
            target.focus()

    def action_tool_call(self) -> None:
        """Try a tool call: paste it, run it on this session's sandbox, see the result JSON."""
        if not self.ready:
            self.notify("The runtime is not running yet.", severity="warning")
            return
        self.push_screen(ToolCallScreen(self.session, self.languages, self.config.run_timeout))

    def action_maximize_pane(self) -> None:
        if self.screen.maximized is not None:
            self.screen.minimize()
            return
        focused = self.focused
        if focused is not None:
            self.screen.maximize(focused)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Main-screen keys stay quiet while a dialog is open (it may use them itself)."""
        if isinstance(self.screen, ModalScreen) and action != "quit" and action in self._main_actions:
            return False
        return True

    @property
    def _main_actions(self) -> set[str]:
        return {binding.action.split("(")[0] for binding in self.BINDINGS if isinstance(binding, Binding)}

    # -- command palette ----------------------------------------------------------------

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        commands = [
            ("Run", "Run the buffer (or its selection) in its context", self.action_run),
            ("Interrupt", "Interrupt the running execution of the selected context", self.action_interrupt),
            ("New context", "Start a context: language and working directory", self.action_new_context),
            (
                "Restart context",
                "Fresh state for the selected context (same id and cwd)",
                self.action_restart_context,
            ),
            ("Remove context", "Remove the selected context (asks first)", self.action_remove_context),
            ("History", "Browse past runs; load one into the editor or run it again", self.action_history),
            (
                "Recall previous run",
                "Put this context's previous run into the editor",
                lambda: self.action_recall(1),
            ),
            ("Recall next run", "Step forward through this context's runs", lambda: self.action_recall(-1)),
            ("Set run timeout", "Seconds before a run is interrupted (0 = none)", self.action_set_timeout),
            ("Copy output", "Copy the focused (or last) run's output via OSC 52", self.action_copy_output),
            (
                "Artifacts",
                "Images and charts of the focused (or last) run that made some",
                lambda: self.action_artifacts("list"),
            ),
            (
                "Preview image or chart",
                "Full-screen image (kitty, sixel or half-block) of the focused or last run",
                lambda: self.action_artifacts("preview"),
            ),
            (
                "Interactive chart",
                "Draw the chart from its data, with its data table",
                lambda: self.action_artifacts("chart"),
            ),
            (
                "Save image or chart",
                "Save PNG (and SVG / chart JSON) to a path you choose",
                lambda: self.action_artifacts("save"),
            ),
            ("Clear log", "Remove finished runs from the log", self.action_clear_log),
            ("New buffer", "Open a new editor tab", self.action_new_buffer),
            ("Close buffer", "Close the current editor tab", self.action_close_buffer),
            ("Next buffer", "Switch to the next editor tab", self.action_next_buffer),
            ("Previous buffer", "Switch to the previous editor tab", self.action_previous_buffer),
            ("Toggle sidebar", "Show or hide the context sidebar", self.action_toggle_sidebar),
            ("Maximize pane", "Maximize the focused pane (again to restore)", self.action_maximize_pane),
            ("Next pane", "Move focus: sidebar, editor, log", self.action_cycle_focus),
            (
                "Tool call",
                "Paste an LLM tool call or reply, run it, see the JSON that goes back",
                self.action_tool_call,
            ),
        ]
        commands += self.sandbox_commands()
        for title, help_text, callback in commands:
            yield SystemCommand(title, help_text, callback)

    # -- quitting ---------------------------------------------------------------------

    def action_quit(self) -> None:
        """Save, stop every run, the runtime and its kernels, then exit 0."""
        if self._quitting:
            return
        self._quitting = True
        self.save_buffers()
        self.notify("Stopping the runtime and its kernels…", timeout=10)
        self.run_worker(self._close_and_exit(), group="quit")

    async def _close_and_exit(self) -> None:
        await asyncio.to_thread(self.session.close)
        self.history.close()
        self.session_closed.set()
        self.exit(0)


def run_app(target: Target | None = None, config: Config | None = None) -> int:
    """Open the app on `target` (local by default); after quitting, say what became of a kept sandbox."""
    app = WorkbenchApp(session=Session(target=target) if target else None, config=config)
    try:
        result = app.run()
    finally:
        app.session.close()
        if app.session.closing_note:
            print(f"e2b-workbench: {app.session.closing_note}")
    return 0 if result is None else int(result)
