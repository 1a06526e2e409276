"""Try a tool call: paste what a model sent (a tool call as JSON, or a reply with code
blocks), run it on the session's sandbox, and see side by side what ran and the exact
JSON that goes back to the model."""

from __future__ import annotations

import json
import re
from typing import Any

from e2b_code_interpreter import AsyncSandbox
from rich.console import Group, RenderableType
from rich.syntax import Syntax
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Label, Static, TextArea
from textual.worker import Worker

from ..common.terminal import clean
from ..core.session import Session
from ..core.tool import (
    ToolCall,
    ToolInputError,
    ToolLimits,
    aexecute_tool_call,
    read_calls,
    validate_call,
)

EXAMPLE = """\
{"type": "function", "id": "call_1", "function": {"name": "run_code",
 "arguments": "{\\"code\\": \\"import math\\\\nprint(math.pi)\\\\n6 * 7\\", \\"language\\": \\"python\\"}"}}
"""
SUMMARY_LINES = 12
# JSON escapes C0 controls but not these: shown raw, C1 controls can act on a terminal
_UNSAFE_IN_JSON = re.compile("[\x7f-\x9f\ud800-\udfff]")


def shown_json(payload: Any) -> str:
    """`payload` as indented JSON that is safe on screen (still valid JSON, same value)."""
    text = json.dumps(payload, indent=2, ensure_ascii=False)
    return _UNSAFE_IN_JSON.sub(lambda m: f"\\u{ord(m.group(0)):04x}", text)


STATUS_STYLE = {"ok": "green", "error": "red", "timeout": "yellow", "failed": "red", "invalid": "magenta"}


class ToolCallScreen(ModalScreen[None]):
    """Paste, run (F5 / Ctrl+R), compare: what ran on the left, the result JSON on the right."""

    DEFAULT_CSS = """
    ToolCallScreen {
        align: center middle;
    }
    ToolCallScreen > .tool-call {
        width: 96%;
        height: 94%;
        border: thick $primary;
        background: $surface;
        padding: 0 1;
    }
    ToolCallScreen #tool-input {
        width: 100%;
        height: 40%;
        min-height: 5;
    }
    ToolCallScreen #tool-panes {
        height: 1fr;
    }
    ToolCallScreen #tool-ran {
        width: 1fr;
        border: round $primary 40%;
        border-title-color: $accent;
    }
    ToolCallScreen #tool-json {
        width: 1fr;
        border: round $primary 40%;
        border-title-color: $accent;
    }
    ToolCallScreen #tool-status {
        height: 1;
        color: $text-muted;
    }
    """

    BINDINGS = [
        Binding("f5,ctrl+r", "run", "Run", priority=True),
        Binding("escape", "close", "Close"),
        # as in the editor: Textual's TextArea moves to the line's start on Ctrl+A, so "select
        # all, paste the next call" pasted it in front of the last one
        Binding("ctrl+a", "select_all", "Select all", show=False, priority=True),
    ]

    def __init__(self, session: Session, languages: list[str], timeout: float = 0, text: str = "") -> None:
        super().__init__()
        self.session = session
        self.languages = languages
        self.timeout = timeout
        self.initial = text
        self.results: list[dict[str, Any]] = []
        self.result_json = ""
        self._worker: Worker[None] | None = None

    def compose(self) -> ComposeResult:
        with Vertical(classes="tool-call"):
            yield Label(
                "Tool call — paste a tool call (JSON) or a model's reply with code blocks · "
                "F5/Ctrl+R: run · Esc: close",
                classes="dialog-title",
            )
            yield TextArea(
                self.initial,
                id="tool-input",
                soft_wrap=True,
                show_line_numbers=False,
                placeholder=f"Paste a tool call or a reply here, e.g.\n{EXAMPLE}",
            )
            with Horizontal(id="tool-panes"):
                yield VerticalScroll(Static("Nothing has run yet.", id="tool-ran-body"), id="tool-ran")
                yield TextArea("", id="tool-json", read_only=True, soft_wrap=True, language="json")
            yield Static("", id="tool-status")

    def action_select_all(self) -> None:
        focused = self.focused
        if isinstance(focused, TextArea):
            focused.select_all()

    def on_mount(self) -> None:
        self.query_one("#tool-ran").border_title = "what ran"
        self.query_one("#tool-json").border_title = "result JSON (goes back to the model)"
        self.query_one("#tool-input", TextArea).focus()

    def _status(self, text: str, label: str = "", style: str = "") -> None:
        """Say `label` (bold, in `style`) then `text` on the status line; neither is read as markup."""
        line = Text()
        if label:
            line.append(f"{label} ", style=f"bold {style}".strip())
        line.append(text)
        self.query_one("#tool-status", Static).update(line)

    @property
    def running(self) -> bool:
        """Whether a run started here has not finished yet."""
        return self._worker is not None and not self._worker.is_finished

    def action_close(self) -> None:
        self.dismiss(None)

    def action_run(self) -> None:
        if self.running:  # a second run would cancel this one half-way: say so instead
            self._status(
                "wait for it to finish, or press Esc to close the view and abandon it.",
                "Still running:",
                "yellow",
            )
            return
        text = self.query_one("#tool-input", TextArea).text
        try:
            calls, found = read_calls(text)
        except ToolInputError as err:
            self._status(str(err), "Nothing to run:", "red")
            return
        if self.session.sandbox is None:
            self._status("try again in a moment.", "The sandbox is not ready yet:", "yellow")
            return
        plural = "s" if len(calls) > 1 else ""
        if found == "tool calls":
            self._status(f"Running {len(calls)} tool call{plural}…")
        else:
            self._status(f"Running {len(calls)} code block{plural} (the fallback: no tool call found)…")
        self._worker = self._run(calls, found)

    @work(exclusive=True, group="tool-call")
    async def _run(self, calls: list[ToolCall], found: str) -> None:
        limits = ToolLimits(
            output_dir=self.session.output_dir / "tool",
            timeout=self.timeout if self.timeout and self.timeout > 0 else None,
        )
        results: list[dict[str, Any]] = []
        for call in calls:

            async def execute(sandbox: AsyncSandbox, call: ToolCall = call) -> dict[str, Any]:
                return await aexecute_tool_call(sandbox, call, languages=self.languages, limits=limits)

            try:
                results.append(await self.session.call(execute))
            except Exception as err:  # the session closed under us
                self._status(str(self.session.explain(err)), "Could not run:", "red")
                return
        self.show(calls, results, found)

    def show(self, calls: list[ToolCall], results: list[dict[str, Any]], found: str) -> None:
        """Fill both panes: each call's code and output summary, and the exact result JSON."""
        self.results = results
        payload: Any = results[0] if len(results) == 1 and found == "tool calls" else results
        self.result_json = json.dumps(payload, indent=2, ensure_ascii=False)
        self.query_one("#tool-json", TextArea).load_text(shown_json(payload))
        parts = [self._describe(call, result) for call, result in zip(calls, results, strict=True)]
        self.query_one("#tool-ran-body", Static).update(Group(*parts))
        states = ", ".join(result["status"] for result in results)
        self._status(f"Ran {len(results)} ({found}): {states}.")

    def _describe(self, call: ToolCall, result: dict[str, Any]) -> RenderableType:
        status = result["status"]
        head = Text()
        head.append(f"{status} ", style=f"bold {STATUS_STYLE.get(status, '')}")
        head.append(f"· {clean(call.source)}")
        if call.id:
            head.append(f" · id {clean(str(call.id))}")
        if result.get("language"):
            head.append(f" · {result['language']}")
        head.append(f" · {result['duration_s']:.2f} s")
        parts: list[RenderableType] = [head]
        code = self._code_of(call)
        if code is not None:
            parts.append(
                Syntax(clean(code), result.get("language") or "text", word_wrap=True, theme="ansi_dark")
            )
        parts.append(self._summary(result))
        parts.append(Text(""))
        return Group(*parts)

    def _code_of(self, call: ToolCall) -> str | None:
        try:
            return validate_call(call, self.languages).code
        except ValueError:
            return None

    @staticmethod
    def _summary(result: dict[str, Any]) -> Text:
        out = Text()

        def lines(label: str, value: str, style: str = "") -> None:
            shown = clean(value).rstrip("\n").splitlines()
            if not shown:
                return
            out.append(f"{label}:\n", style="bold")
            more = len(shown) - SUMMARY_LINES
            out.append("\n".join(shown[:SUMMARY_LINES]) + "\n", style=style)
            if more > 0:
                out.append(f"… {more} more lines\n", style="dim")

        lines("stdout", result.get("stdout") or "")
        lines("stderr", result.get("stderr") or "", "red")
        if result.get("text") is not None:
            lines("result", str(result["text"]))
        for entry in result.get("results") or []:
            for image in entry.get("images", []):
                out.append(f"image: {clean(str(image['path']))}\n", style="cyan")
            chart = entry.get("chart")
            if chart:
                title = clean(str(chart.get("title") or ""))
                out.append(f"chart: {clean(str(chart['type']))} {title}".rstrip() + "\n", style="cyan")
        error = result.get("error")
        if error:
            out.append(f"{clean(str(error['name']))}: {clean(str(error['value']))}\n", style="bold red")
        for warning in result.get("warnings", []):
            out.append(f"warning: {clean(str(warning))}\n", style="yellow")
        for name, info in (result.get("truncated") or {}).items():
            out.append(f"{name} truncated ({info['chars']} chars): {info['path']}\n", style="dim")
        return out
