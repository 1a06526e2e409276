"""Every action of the app, once: its binding id, default keys, palette title and help.

The key bindings (of the main screen, the sidebar, a log block, the app), the command
palette and the README's key tables and binding-id list all come from `ACTIONS`; a test
compares the README with `readme_tables()`, so the docs cannot drift from the keys.
`python -m tui.actions` prints the tables.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from textual.binding import Binding

Scope = Literal["app", "main", "sidebar", "block", "editor", "files", "terminal", "cockpit"]
Mode = Literal["any", "local", "cloud"]


@dataclass(frozen=True)
class Action:
    """One thing a person can do, and where it is bound."""

    id: str  # binding id: the keymap's name for it (config.toml [keymap])
    action: str  # the Textual action run on the scope's widget (main: the main screen)
    title: str  # in the command palette ("" = not there)
    help: str  # the palette's help line and the README's description
    keys: str = ""  # default keys, comma separated ("" = palette only)
    scope: Scope = "main"
    footer: str = ""  # short label in the footer ("" = not shown there)
    mode: Mode = "any"  # offered only on the local runtime, or only on E2B cloud

    @property
    def binding_id(self) -> str:
        """The id in the keymap: scoped ids for widgets (`block.copy`), plain for screens."""
        return f"{self.scope}.{self.id}" if self.scope not in ("app", "main") else self.id


ACTIONS: tuple[Action, ...] = (
    # -- the main screen ------------------------------------------------------------
    Action("run", "run", "Run", "run the buffer, or its selection", "f5,ctrl+r", footer="Run"),
    Action(
        "interrupt",
        "interrupt",
        "Interrupt",
        "interrupt the running execution of the context (state is kept)",
        "f6,ctrl+g",
        footer="Interrupt",
    ),
    Action(
        "new_context",
        "new_context",
        "New context",
        "new context (language, working directory)",
        "f2",
        footer="New ctx",
    ),
    Action(
        "history",
        "history",
        "History",
        "history: browse past runs, `Enter` puts one in the editor, `F5` runs it again",
        "f3",
        footer="History",
    ),
    Action(
        "set_timeout", "set_timeout", "Set run timeout", "per-run timeout (0 = none)", "f4", footer="Timeout"
    ),
    Action(
        "recall_previous",
        "recall(1)",
        "Recall previous run",
        "put this context's previous run into the editor",
        "f7,ctrl+up",
        footer="Prev run",
    ),
    Action(
        "recall_next",
        "recall(-1)",
        "Recall next run",
        "step forward through this context's runs",
        "f8,ctrl+down",
    ),
    Action("toggle_sidebar", "toggle_sidebar", "Toggle sidebar", "show or hide the sidebar", "f9"),
    Action(
        "cycle_focus",
        "cycle_focus",
        "Next pane",
        "move focus: sidebar → editor → log",
        "ctrl+o",
        footer="Next pane",
    ),
    Action("new_buffer", "new_buffer", "New buffer", "open a new editor tab", "ctrl+n"),
    Action("next_buffer", "next_buffer", "Next buffer", "switch to the next editor tab", "ctrl+pagedown"),
    Action(
        "previous_buffer",
        "previous_buffer",
        "Previous buffer",
        "switch to the previous editor tab",
        "ctrl+pageup",
    ),
    Action("close_buffer", "close_buffer", "Close buffer", "close the current editor tab"),
    Action("reopen_buffer", "reopen_buffer", "Reopen closed buffer", "open the buffer closed last again"),
    Action("clear_log", "clear_log", "Clear log", "remove finished runs from the log", "ctrl+l"),
    Action(
        "search",
        "search",
        "Search the log",
        "search the log from any pane: `Enter` / `↓` next match, `↑` previous, `Esc` closes",
        "ctrl+f",
        footer="Search",
    ),
    Action("maximize_pane", "maximize_pane", "Maximize pane", "maximize the focused pane (again to restore)"),
    Action(
        "artifacts",
        "artifacts('list')",
        "Artifacts",
        "charts and images of the focused (or last) run: preview, interactive chart, save",
        "ctrl+t",
    ),
    Action(
        "preview",
        "artifacts('preview')",
        "Preview image or chart",
        "full-screen image (kitty, sixel or half-block) of the focused or last run",
    ),
    Action(
        "chart",
        "artifacts('chart')",
        "Interactive chart",
        "draw the chart from its data, with its data table",
    ),
    Action(
        "save",
        "artifacts('save')",
        "Save image or chart",
        "save PNG (and SVG / chart JSON) to a path you choose",
    ),
    Action("copy_output", "copy_output", "Copy output", "copy the focused (or last) run's output (OSC 52)"),
    Action(
        "restart_context",
        "restart_context",
        "Restart context",
        "fresh state for the selected context (same id and cwd)",
    ),
    Action("remove_context", "remove_context", "Remove context", "remove the selected context (asks first)"),
    Action(
        "type_check",
        "type_check",
        "Type-check buffer",
        "check the TypeScript buffer's types with deno check (local runtime)",
    ),
    Action(
        "tool_call",
        "tool_call",
        "Tool call",
        "tool call: paste an LLM's tool call or reply, run it, see the JSON that goes back",
        "f12",
    ),
    # -- keep and compare: export, replay, fan-out ----------------------------------------
    Action(
        "export",
        "export",
        "Export runs",
        "export the log's or the history's runs: Jupyter notebook with outputs, Markdown or JSON",
        "alt+e",
    ),
    Action(
        "replay",
        "replay",
        "Replay",
        "replay runs, a notebook or a `# %%` file in fresh contexts and see whether each output matches",
        "alt+r",
    ),
    Action(
        "fan_out",
        "fan_out",
        "Fan out",
        "run the buffer (or its selection) in every context marked in the sidebar, outputs side by side",
        "alt+m",
    ),
    Action(
        "fan_out_sandbox",
        "fan_out_sandbox",
        "Fan out to another sandbox",
        "run the buffer here and in a fresh local runtime or E2B cloud sandbox, outputs side by side",
    ),
    # -- files, terminal, commands, cockpit ---------------------------------------------------
    Action(
        "files",
        "files",
        "Files",
        "the sandbox's files in the sidebar (again: back to the contexts)",
        "alt+d",
        footer="Files",
    ),
    Action(
        "terminal",
        "terminal",
        "Terminal",
        "a shell in the sandbox, in place of the log (again: back to the log); `Ctrl+]` leaves it",
        "f10",
        footer="Terminal",
    ),
    Action(
        "quick_command",
        "quick_command",
        "Run a command",
        "run a shell command in the sandbox; its output streams into the log (`F6` on its block stops it)",
        "ctrl+s",
        footer="$ cmd",
    ),
    Action(
        "cockpit",
        "cockpit",
        "Sandbox cockpit",
        "the sandbox cockpit: sandboxes (cloud) or kernels and processes (local), metrics, lifetime",
        "f11",
        footer="Cockpit",
    ),
    Action("upload", "upload", "Upload files", "upload local files or folders into the sandbox"),
    Action(
        "copy_terminal",
        "copy_terminal",
        "Copy terminal text",
        "copy the terminal's screen and scrollback (OSC 52)",
    ),
    Action(
        "set_sandbox_timeout",
        "set_sandbox_timeout",
        "Set sandbox timeout",
        "how long the sandbox lives without a keep-alive (the header counts down)",
        mode="cloud",
    ),
    Action(
        "pause_sandbox",
        "pause_sandbox",
        "Pause sandbox",
        "pause the cloud sandbox (memory and files kept; Reconnect resumes it)",
        mode="cloud",
    ),
    # -- sandboxes (command palette) ------------------------------------------------------
    Action("new_sandbox", "new_sandbox", "New sandbox", "create a new E2B cloud sandbox and switch to it"),
    Action(
        "connect_sandbox",
        "connect_sandbox",
        "Connect to sandbox",
        "connect to a running E2B sandbox by its id",
    ),
    Action(
        "switch_cloud",
        "new_sandbox",
        "Switch to cloud",
        "leave the local runtime, run on a new E2B cloud sandbox",
        mode="local",
    ),
    Action(
        "extend_sandbox", "extend_sandbox", "Extend sandbox", "reset the sandbox's lifetime now", mode="cloud"
    ),
    Action(
        "kill_sandbox", "kill_sandbox", "Kill sandbox", "kill the cloud sandbox (asks first)", mode="cloud"
    ),
    Action(
        "switch_local",
        "switch_local",
        "Switch to local runtime",
        "leave the cloud sandbox, run on this machine",
        mode="cloud",
    ),
    # -- the app -----------------------------------------------------------------------
    Action(
        "quit", "quit", "", "quit (stops the runtime and every kernel)", "ctrl+q", scope="app", footer="Quit"
    ),
    # -- the sidebar ---------------------------------------------------------------------
    Action(
        "select",
        "select_cursor",
        "",
        "make the highlighted context the one the buffer runs in",
        "enter",
        scope="sidebar",
    ),
    Action("new", "screen.new_context", "", "new context", "n", scope="sidebar", footer="New context"),
    Action(
        "mark",
        "mark",
        "",
        "mark or unmark the context for fan-out (`Alt+M` runs the buffer in every marked one)",
        "space",
        scope="sidebar",
        footer="Mark",
    ),
    Action(
        "restart",
        "screen.restart_context",
        "",
        "restart (fresh state, same id and cwd)",
        "r",
        scope="sidebar",
        footer="Restart",
    ),
    Action(
        "remove",
        "screen.remove_context",
        "",
        "remove (asks first)",
        "x,delete",
        scope="sidebar",
        footer="Remove",
    ),
    # -- a block in the log ------------------------------------------------------------------
    Action(
        "copy",
        "copy",
        "",
        "copy its output (OSC 52, works over SSH and in tmux)",
        "c",
        scope="block",
        footer="Copy output",
    ),
    Action(
        "open_full",
        "open_full",
        "",
        "the full output, results and errors included (a block shows the first and last 60 lines)",
        "o",
        scope="block",
        footer="Full output",
    ),
    Action(
        "to_editor",
        "to_editor",
        "",
        "put its code in the editor",
        "e",
        scope="block",
        footer="Code to editor",
    ),
    Action(
        "preview",
        "artifact('preview')",
        "",
        "preview its image or chart",
        "p",
        scope="block",
        footer="Preview",
    ),
    Action(
        "chart", "artifact('chart')", "", "interactive chart", "i", scope="block", footer="Interactive chart"
    ),
    Action(
        "save", "artifact('save')", "", "save its image or chart", "s", scope="block", footer="Save artifact"
    ),
    Action("artifacts", "artifact('list')", "", "list its artifacts", "a", scope="block", footer="Artifacts"),
    Action(
        "search",
        "screen.search",
        "",
        "search the log, like `Ctrl+F` (`Ctrl+F` in the full output searches that)",
        "slash",
        scope="block",
        footer="Search",
    ),
    Action(
        "form",
        "next_form",
        "",
        "switch its results between their forms: text (the default), table, markdown, HTML, JSON",
        "f",
        scope="block",
        footer="Form",
    ),
    # -- the editor (with Textual's TextArea keys: Ctrl+Z / Ctrl+Y undo and redo, Ctrl+X / C / V...) --
    Action(
        "complete",
        "complete",
        "Complete",
        "complete the name before the cursor, from the context's kernel (`Tab` after a name does too)",
        "ctrl+space,ctrl+@",
        scope="editor",
    ),
    Action(
        "inspect",
        "inspect",
        "Inspect name",
        "the signature and docstring of the name under the cursor, from the context's kernel",
        "f1",
        scope="editor",
    ),
    Action(
        "indent",
        "indent",
        "",
        "indent the selected lines (with no selection: complete after a name, else indent)",
        "tab",
        scope="editor",
    ),
    Action("dedent", "dedent", "", "dedent the current or selected lines", "shift+tab", scope="editor"),
    Action(
        "toggle_comment",
        "toggle_comment",
        "Toggle comment",
        "comment or uncomment the current or selected lines, in the buffer's language",
        "ctrl+underscore,ctrl+slash",
        scope="editor",
    ),
    Action("select_all", "select_all", "Select all", "select the whole buffer", "ctrl+a", scope="editor"),
    Action("document_start", "document_start", "", "to the start of the buffer", "ctrl+home", scope="editor"),
    Action("document_end", "document_end", "", "to the end of the buffer", "ctrl+end", scope="editor"),
    Action(
        "select_to_start",
        "document_start(True)",
        "",
        "select to the start of the buffer",
        "ctrl+shift+home",
        scope="editor",
    ),
    Action(
        "select_to_end",
        "document_end(True)",
        "",
        "select to the end of the buffer",
        "ctrl+shift+end",
        scope="editor",
    ),
    Action(
        "go_to_line",
        "go_to_line",
        "Go to line",
        "go to a line (`12`, or line and column: `12:5`)",
        "alt+g",
        scope="editor",
    ),
    # -- the Files pane --------------------------------------------------------------------
    Action(
        "preview",
        "preview",
        "",
        "preview the file (text and code highlighted, CSV as a table, JSON, images); a folder opens",
        "enter",
        scope="files",
    ),
    Action("upload", "upload", "", "upload local files or folders here", "u", scope="files", footer="Upload"),
    Action(
        "download",
        "download",
        "",
        "download the file or folder (asks before replacing)",
        "d",
        scope="files",
        footer="Download",
    ),
    Action("rename", "rename", "", "rename or move", "r", scope="files", footer="Rename"),
    Action("make_folder", "make_folder", "", "new folder here", "m", scope="files", footer="New folder"),
    Action("delete", "delete", "", "delete (asks first)", "x,delete", scope="files", footer="Delete"),
    Action(
        "insert_path", "insert_path", "", "insert its path into the editor", "i", scope="files", footer="Path"
    ),
    Action("reload", "reload", "", "load the folder again", "R", scope="files", footer="Reload"),
    # -- the terminal (every other key goes to the shell) ----------------------------------
    Action(
        "leave",
        "leave",
        "",
        "leave the terminal (focus goes to the editor)",
        "ctrl+right_square_bracket",
        scope="terminal",
        footer="Leave",
    ),
    Action("scroll_back", "scroll_back", "", "scroll back", "shift+pageup", scope="terminal"),
    Action("scroll_forward", "scroll_forward", "", "scroll forward", "shift+pagedown", scope="terminal"),
    # -- the cockpit ------------------------------------------------------------------------
    Action(
        "refresh",
        "refresh",
        "",
        "refresh now (it also refreshes every few seconds)",
        "g",
        scope="cockpit",
        footer="Refresh",
    ),
    Action(
        "connect",
        "connect",
        "",
        "cloud: switch to the highlighted sandbox (resumes a paused one)",
        "c",
        scope="cockpit",
        footer="Connect",
    ),
    Action(
        "pause", "pause", "", "cloud: pause the highlighted sandbox", "p", scope="cockpit", footer="Pause"
    ),
    Action(
        "timeout",
        "timeout",
        "",
        "cloud: set the highlighted sandbox's timeout",
        "t",
        scope="cockpit",
        footer="Timeout",
    ),
    Action(
        "kill",
        "kill",
        "",
        "cloud: kill the highlighted sandbox (asks first)",
        "k",
        scope="cockpit",
        footer="Kill",
    ),
    Action(
        "filter",
        "filter",
        "",
        "cloud: list only sandboxes with this metadata (key=value,...)",
        "f",
        scope="cockpit",
        footer="Filter",
    ),
    Action("close", "close", "", "close the cockpit", "escape,f11", scope="cockpit", footer="Close"),
)


def actions_in(scope: Scope) -> list[Action]:
    return [a for a in ACTIONS if a.scope == scope]


def bindings(scope: Scope, priority: bool = False) -> list[Binding]:
    """The Textual bindings of `scope` (its actions that have keys), with their keymap ids."""
    return [
        Binding(
            a.keys,
            a.action,
            a.footer or a.title or a.help,
            show=bool(a.footer),
            id=a.binding_id,
            priority=priority,
            tooltip=a.help,
        )
        for a in actions_in(scope)
        if a.keys
    ]


def palette_actions(mode: str) -> list[Action]:
    """The command palette's entries on the local runtime (`mode` local) or E2B cloud:
    the main view's, and the editor's (they act on the current buffer)."""
    return [a for a in ACTIONS if a.title and a.scope in ("main", "editor") and a.mode in ("any", mode)]


def key_label(keys: str) -> str:
    """`f5,ctrl+r` as the README shows it: `` `F5` / `Ctrl+R` ``."""

    def one(key: str) -> str:
        names = {
            "pagedown": "PgDn",
            "pageup": "PgUp",
            "up": "↑",
            "down": "↓",
            "right_square_bracket": "]",
            "escape": "Esc",
            "delete": "Del",
            "enter": "Enter",
            "underscore": "_",
            "slash": "/",
            "@": "@",
            "space": "Space",
            "tab": "Tab",
            "home": "Home",
            "end": "End",
        }
        *mods, last = key.split("+")
        if last in names:
            last = names[last]
        elif len(last) == 1:
            last = last.upper() if mods else last
        else:
            last = last.upper() if last[0] == "f" and last[1:].isdigit() else last.capitalize()
        return "`" + "+".join([m.capitalize() for m in mods] + [last]) + "`"

    return " / ".join(one(k) for k in keys.split(",") if k)


def readme_tables() -> str:
    """The README's keys section body: one table per scope, then the binding ids."""
    out: list[str] = []
    headings = {
        "main": "In the main view (`F5` and the other keys work from any pane; every action is also in the command palette, `Ctrl+P`):",
        "sidebar": "In the sidebar:",
        "block": "On a block in the log:",
        "editor": "In the editor (besides Textual's own: `Ctrl+Z` / `Ctrl+Y` undo and redo, per buffer, "
        "`Ctrl+X` / `Ctrl+C` / `Ctrl+V`, `Shift+arrows` select):",
        "files": "In the Files pane (`Alt+D`):",
        "terminal": "In the terminal (`F10`; every other key, `F5` and `Ctrl+Q` included, goes to the shell):",
        "cockpit": "In the cockpit (`F11`):",
    }
    for scope in ("main", "sidebar", "block", "editor", "files", "terminal", "cockpit"):
        rows = [a for a in ACTIONS if a.keys and (a.scope == scope or (scope == "main" and a.scope == "app"))]
        out.append(headings[scope])
        out.append("")
        out.append("| key | action |")
        out.append("|---|---|")
        out += [f"| {key_label(a.keys)} | {a.help} |" for a in rows]
        out.append("")
    palette = [a.title for a in ACTIONS if a.title and not a.keys and a.scope in ("main", "editor")]
    out.append(f"Only in the command palette: {', '.join(palette)}.")
    out.append("")
    ids = [f"`{a.binding_id}`" for a in ACTIONS if a.keys]
    out.append(f"Binding ids (for `[keymap]`): {', '.join(ids)}.")
    return "\n".join(out)


if __name__ == "__main__":
    print(readme_tables())
