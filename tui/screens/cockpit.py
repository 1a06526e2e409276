"""The sandbox cockpit (F11): what runs where, and its lifetime.

On E2B cloud: the team's sandboxes, running and paused (`Sandbox.list`, filtered by
metadata), the current one marked; CPU, memory and disk of the highlighted one as small
sparklines (`get_metrics`); connect (which resumes a paused one), pause, set the timeout,
kill. On the local runtime: its contexts and their kernels, and the commands and
terminals it runs, with PID, state, CPU, memory and whether each is isolated (the
runtime's `GET /processes` extension; a runtime without it shows the contexts the app
knows), and the runtime's own CPU and memory over time.

Blocking SDK and HTTP calls run in threads (`tui.core.cockpit`); changing the app's own
sandbox goes through the app's SandboxController.
"""

from __future__ import annotations

import asyncio
from collections import deque
from typing import Any, cast

from rich.style import Style
from rich.text import Text
from textual import work
from textual.app import ComposeResult, RenderResult
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Label, Sparkline, Static

from ..actions import bindings
from ..core import cockpit
from ..core.errors import TargetError
from ..core.target import extend_sandbox, kill_sandbox, make_target
from ..workbench import Workbench
from .confirm import ConfirmScreen
from .prompt import PromptScreen

CLOUD_REFRESH = 5.0
LOCAL_REFRESH = 2.0
HISTORY = 60  # samples kept for the local sparklines


class ScaledSparkline(Sparkline):
    """Samples over time as bars measured from zero, newest at the right, against `ceiling`
    when it is set (cpu: 100 %) or else the largest sample. Textual's sparkline spans the
    smallest to the largest sample: an idle runtime going from 0 % to 1 % drew full bars, and
    so did a single sample."""

    BARS = "▁▂▃▄▅▆▇█"

    def __init__(self, ceiling: float | None = None, **kwargs) -> None:
        super().__init__([], **kwargs)
        self.ceiling = ceiling

    def render(self) -> RenderResult:
        width, height = self.size.width, max(1, self.size.height)
        samples = list(self.data or [])[-width:] if width else []
        top = max([self.ceiling or 0.0, *samples]) or 1.0
        steps = len(self.BARS)
        rows = []
        for row in reversed(range(height)):
            cells = []
            for value in samples:
                filled = round(max(0.0, value) / top * height * steps) - row * steps
                cells.append(" " if filled <= 0 else self.BARS[min(filled, steps) - 1])
            if row == 0 and not samples:
                cells = [self.BARS[0]] * width
            rows.append("".join(cells).rjust(width))
        colour = self.get_component_styles("sparkline--max-color").color
        return Text("\n".join(rows), style=Style(color=colour.rich_color), no_wrap=True)


def mb(size: float | None) -> str:
    return "–" if size is None else f"{size / (1024 * 1024):,.0f} MB"


def pct(value: float | None) -> str:
    return "–" if value is None else f"{value:.0f}%"


def left(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    if seconds <= 0:
        return "ended"
    seconds = int(seconds)
    return (
        f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"
        if seconds >= 3600
        else f"{seconds // 60}:{seconds % 60:02d}"
    )


class CockpitScreen(ModalScreen[None]):
    BINDINGS = bindings("cockpit")

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[cockpit.SandboxRow] = []
        self.metadata: dict[str, str] = {}
        self.local_cpu: deque[float] = deque(maxlen=HISTORY)
        self.local_memory: deque[float] = deque(maxlen=HISTORY)
        self.status: cockpit.LocalStatus | None = None
        self.metrics_for = ""
        self.refreshed = 0  # refreshes done (tests wait on it)

    @property
    def workbench(self) -> Workbench:
        return cast(Workbench, self.app)

    @property
    def cloud(self) -> bool:
        return self.workbench.session.mode == "cloud"

    def compose(self) -> ComposeResult:
        with Vertical(classes="cockpit"):
            yield Label("", id="cockpit-title", classes="dialog-title")
            yield Static("", id="cockpit-summary")
            with Horizontal(id="cockpit-metrics"):
                for name in ("cpu", "memory", "disk"):
                    with Vertical(classes="cockpit-metric", id=f"metric-{name}"):
                        yield Label(name, classes="cockpit-metric-label")
                        yield ScaledSparkline(100.0 if name == "cpu" else None, id=f"spark-{name}")
            yield DataTable(id="cockpit-table", cursor_type="row", zebra_stripes=True)
            yield Static("", id="cockpit-note", classes="dim")

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        if self.cloud:
            self.query_one("#cockpit-title", Label).update("Sandboxes on E2B cloud")
            table.add_columns(
                " ", "sandbox", "template", "state", "started", "ends in", "cpu", "memory", "metadata"
            )
        else:
            self.query_one("#cockpit-title", Label).update("The local runtime")
            self.query_one("#metric-disk").display = False
            table.add_columns("what", "id", "language / command", "pid", "state", "cpu", "memory", "isolated")
        table.focus()
        self.refresh_now()
        self.refresh_timer = self.set_interval(
            CLOUD_REFRESH if self.cloud else LOCAL_REFRESH, self.refresh_now
        )

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("connect", "pause", "timeout", "kill", "filter"):
            return self.cloud
        return True

    # -- refreshing ---------------------------------------------------------------------

    def action_refresh(self) -> None:
        self.refresh_now()

    def refresh_now(self) -> None:
        if self.cloud:
            self._refresh_cloud()
        else:
            self._refresh_local()

    @work(group="cockpit", exclusive=True, exit_on_error=False)
    async def _refresh_cloud(self) -> None:
        session = self.workbench.session
        target = session.target
        try:
            rows = await asyncio.to_thread(cockpit.list_sandboxes, target, self.metadata)
        except TargetError as err:
            self._note(f"[red]{err}[/]")
            return
        self.rows = rows
        table = self.query_one(DataTable)
        cursor = table.cursor_row
        table.clear()
        for row in rows:
            current = row.sandbox_id == session.sandbox_id and not session.gone
            started = row.started_at.astimezone().strftime("%H:%M:%S") if row.started_at else "–"
            state = Text(row.state, style="green" if row.state == "running" else "yellow")
            table.add_row(
                "▶" if current else "",
                row.sandbox_id,
                row.template,
                state,
                started,
                left(row.seconds_left) if row.state == "running" else "paused",
                str(row.cpu_count or "–"),
                f"{row.memory_mb or '–'} MB",
                ", ".join(f"{k}={v}" for k, v in row.metadata.items()),
                key=row.sandbox_id,
            )
        if rows:
            table.move_cursor(row=min(max(cursor, 0), len(rows) - 1))
        self._summary_cloud()
        filtered = f" with {', '.join(f'{k}={v}' for k, v in self.metadata.items())}" if self.metadata else ""
        self._note(
            f"{len(rows)} sandbox{'es' if len(rows) != 1 else ''}{filtered} · c connect (resumes) · p pause · "
            "t timeout · k kill · f filter · g refresh · Esc close"
        )
        await self._metrics()
        self.refreshed += 1

    def _summary_cloud(self) -> None:
        session = self.workbench.session
        if not session.sandbox_id or session.gone:
            state = "paused" if session.paused else "gone"
            text = f"This app: no live sandbox ({state})." if session.sandbox_id else "This app: no sandbox."
        else:
            text = (
                f"This app: {session.sandbox_id} · timeout {session.target.sandbox_timeout} s · "
                f"{left(session.seconds_left)} left (extended every {int(min(60, max(1, session.target.sandbox_timeout / 3)))} s)"
            )
        self.query_one("#cockpit-summary", Static).update(text)

    def highlighted(self) -> cockpit.SandboxRow | None:
        table = self.query_one(DataTable)
        if not self.rows or table.cursor_row < 0 or table.cursor_row >= len(self.rows):
            return None
        return self.rows[table.cursor_row]

    def on_data_table_row_highlighted(self, _event: DataTable.RowHighlighted) -> None:
        if self.cloud:
            self.run_worker(self._metrics, group="cockpit-metrics", exclusive=True, exit_on_error=False)

    async def _metrics(self) -> None:
        row = self.highlighted()
        if row is None:
            return
        try:
            found = await asyncio.to_thread(
                cockpit.sandbox_metrics, self.workbench.session.target, row.sandbox_id
            )
        except TargetError:
            found = None
        self.metrics_for = row.sandbox_id
        if found is None:
            self._spark("cpu", [], f"cpu of {row.sandbox_id}: no metrics yet")
            self._spark("memory", [], "memory: –")
            self._spark("disk", [], "disk: –")
            return
        self._spark("cpu", found.cpu_pct, f"cpu {pct(found.cpu_pct[-1])} of {found.cpu_count} cores")
        self._spark(
            "memory",
            [float(m) for m in found.mem_used],
            f"memory {mb(found.mem_used[-1])} of {mb(found.mem_total)}",
        )
        self._spark(
            "disk",
            [float(d) for d in found.disk_used],
            f"disk {mb(found.disk_used[-1])} of {mb(found.disk_total)}",
        )

    def _spark(self, name: str, data: list[float], label: str) -> None:
        self.query_one(f"#spark-{name}", Sparkline).data = data
        self.query_one(f"#metric-{name} Label", Label).update(label)

    @work(group="cockpit", exclusive=True, exit_on_error=False)
    async def _refresh_local(self) -> None:
        app = self.workbench
        session = app.session
        if not session.url or not session.is_open:
            self._note("The local runtime is not running.")
            return
        try:
            status = await asyncio.to_thread(cockpit.local_status, session.url)
        except TargetError as err:
            self._note(f"[red]{err}[/]")
            return
        self.show_local(status)
        self.refreshed += 1

    def show_local(self, status: cockpit.LocalStatus) -> None:
        """Draw the runtime's account of itself (or, without the route, the contexts the app knows)."""
        app = self.workbench
        session = app.session
        self.status = status
        table = self.query_one(DataTable)
        cursor = table.cursor_row
        table.clear()
        if status.available:
            for kernel in status.kernels:
                table.add_row(
                    "kernel",
                    kernel["context_id"][:8],
                    kernel["language"],
                    str(kernel.get("pid") or "–"),
                    kernel["state"],
                    pct(kernel.get("cpu")),
                    mb(kernel.get("memory")),
                    "yes" if kernel.get("isolated") else "no",
                )
            for proc in status.processes:
                table.add_row(
                    "terminal" if proc.get("terminal") else "command",
                    str(proc["pid"]),
                    proc["cmd"][:60],
                    str(proc["pid"]),
                    "running",
                    pct(proc.get("cpu")),
                    mb(proc.get("memory")),
                    "yes" if proc.get("isolated") else "no",
                )
            runtime = status.runtime
            if runtime.get("cpu") is not None:
                self.local_cpu.append(float(runtime["cpu"]))
            if runtime.get("memory") is not None:
                self.local_memory.append(float(runtime["memory"]))
            self._spark("cpu", list(self.local_cpu), f"cpu {pct(runtime.get('cpu'))}")
            self._spark("memory", list(self.local_memory), f"memory {mb(runtime.get('memory'))}")
            isolated = (
                "isolated (its own namespaces)" if status.isolated else "not isolated: code runs as you"
            )
            self._note(
                "cpu and memory: the runtime and all it started · refreshed every 2 s · g refresh · Esc close"
            )
        else:
            for entry in app.runbook.live_contexts():
                table.add_row("context", entry.id[:8], entry.language, "–", entry.state, "–", "–", "–")
            isolated = "isolation unknown"
            self._note(status.note)
        if table.row_count:
            table.move_cursor(row=min(max(cursor, 0), table.row_count - 1))
        shown = session.url.rsplit("/", 1)[0] + "/…"
        self.query_one("#cockpit-summary", Static).update(
            f"Runtime at {shown} · {len(status.kernels)} kernel{'s' if len(status.kernels) != 1 else ''} · "
            f"{len(status.processes)} command{'s' if len(status.processes) != 1 else ''} or terminal{'s' if len(status.processes) != 1 else ''} · {isolated}"
        )

    def _note(self, text: str) -> None:
        self.query_one("#cockpit-note", Static).update(text)

    # -- cloud actions ---------------------------------------------------------------------

    def _target(self, sandbox_id: str | None = None) -> Any:
        session = self.workbench.session
        return make_target("cloud", self.workbench.config, sandbox_id=sandbox_id, keep=session.target.keep)

    def _is_current(self, row: cockpit.SandboxRow) -> bool:
        session = self.workbench.session
        return row.sandbox_id == session.sandbox_id and not session.gone

    def action_connect(self) -> None:
        row = self.highlighted()
        if row is None:
            return
        if self._is_current(row):
            self.notify("The app already runs on this sandbox.")
            return
        self.dismiss(None)
        verb = "Resuming" if row.state == "paused" else "Connecting to"
        self.workbench.sandboxes.switch_to(row.sandbox_id, f"{verb} sandbox {row.sandbox_id}")

    def action_pause(self) -> None:
        row = self.highlighted()
        if row is None:
            return
        if row.state == "paused":
            self.notify(f"{row.sandbox_id} is paused already.")
            return
        if self._is_current(row):
            self.workbench.sandboxes.pause_sandbox()
            return
        self._act(lambda: cockpit.pause_sandbox(self._target(), row.sandbox_id), f"Paused {row.sandbox_id}.")

    def action_timeout(self) -> None:
        row = self.highlighted()
        if row is None:
            return
        if self._is_current(row):
            self.workbench.sandboxes.set_sandbox_timeout()
            return

        def chosen(value: str | None) -> None:
            seconds = _seconds(value)
            if seconds:
                self._act(
                    lambda: extend_sandbox(self._target(), row.sandbox_id, seconds),
                    f"{row.sandbox_id} now ends in {left(seconds)}.",
                )

        self.app.push_screen(PromptScreen(f"Timeout of {row.sandbox_id} in seconds, from now", "300"), chosen)

    def action_kill(self) -> None:
        row = self.highlighted()
        if row is None:
            return
        if self._is_current(row):
            self.workbench.sandboxes.kill_sandbox()
            return

        def confirmed(yes: bool | None) -> None:
            if yes:
                self._act(lambda: kill_sandbox(self._target(), row.sandbox_id), f"Killed {row.sandbox_id}.")

        self.app.push_screen(
            ConfirmScreen(f"Kill sandbox {row.sandbox_id}?\nIts files and state are lost.", "Kill"), confirmed
        )

    def action_filter(self) -> None:
        def chosen(value: str | None) -> None:
            if value is None:
                return
            try:
                self.metadata = cockpit.parse_metadata(value)
            except ValueError as err:
                self.notify(str(err), severity="error")
                return
            self.refresh_now()

        current = ", ".join(f"{k}={v}" for k, v in self.metadata.items())
        self.app.push_screen(
            PromptScreen("Only sandboxes with this metadata (key=value, ...; empty: all)", current), chosen
        )

    def _act(self, call: Any, done: str) -> None:
        async def act() -> None:
            try:
                await asyncio.to_thread(call)
            except TargetError as err:
                self.notify(str(err), severity="error", timeout=15)
                return
            self.notify(done)
            self.refresh_now()

        self.run_worker(act(), group="cockpit-act", exit_on_error=False)

    def action_close(self) -> None:
        self.dismiss(None)


def _seconds(value: str | None) -> int | None:
    if not value or not value.strip():
        return None
    try:
        seconds = int(float(value))
    except ValueError:
        return None
    return seconds if seconds > 0 else None
