"""The Files pane, the terminal, quick commands and the local cockpit, driven with Pilot
against the session's real local runtime (through the SDK only, as on E2B cloud)."""

from __future__ import annotations

import io
import json
import os
import uuid
from pathlib import Path

import pytest
from PIL import Image
from rich.console import Console
from textual.widgets import DataTable, Input

from tui.app import WorkbenchApp
from tui.core.commands import CommandRecord
from tui.core.session import Session
from tui.demo import quit_app, run_and_wait, wait_ready, wait_until
from tui.screens.cockpit import CockpitScreen
from tui.screens.confirm import ConfirmScreen
from tui.screens.file_preview import FilePreviewScreen, ImagePreviewScreen
from tui.screens.local_path import LocalPathScreen, complete, expand_paths
from tui.screens.prompt import PromptScreen
from tui.widgets.command_block import CommandBlock
from tui.widgets.files import FilesPane

pytestmark = pytest.mark.timeout(180)


def make_app(runtime_url: str) -> WorkbenchApp:
    return WorkbenchApp(session=Session(url=runtime_url))


async def open_files(pilot) -> FilesPane:
    app = pilot.app
    await pilot.press("alt+d")
    pane = app.main.files_pane
    await wait_until(pilot, lambda: pane.loaded, 30, "the home listed")
    return pane


async def highlight(pilot, pane: FilesPane, path: Path) -> None:
    """Put the tree's cursor on `path` (as the arrow keys would), focus the tree, and wait until
    the cursor is really there: a folder listed again meanwhile lays out new lines."""

    def there() -> bool:
        node = pane.tree.cursor_node
        if node is not None and node.data is not None and node.data.path == str(path):
            return True
        found = pane.nodes.get(str(path))
        if found is not None:
            pane.tree.move_cursor(found)
        return False

    await wait_until(pilot, lambda: str(path) in pane.nodes, 30, f"{path.name} in the tree")
    pane.tree.focus()
    await wait_until(pilot, there, 30, f"the cursor on {path.name}")


async def open_folder(pilot, pane: FilesPane, path: Path) -> None:
    """Highlight `path` in the tree and open it with Enter, as a person does."""
    await highlight(pilot, pane, path)
    await pilot.press("enter")
    await wait_until(pilot, lambda: pane.nodes[str(path)].data.loaded, 30, f"{path.name} listed")


async def answer(pilot, screen_type, value: str) -> None:
    """Type `value` into the dialog's input (replacing what is there) and press Enter."""
    app = pilot.app
    await wait_until(pilot, lambda: isinstance(app.screen, screen_type), 10, screen_type.__name__)
    field = app.screen.query_one(Input)
    field.value = value
    field.cursor_position = len(value)
    await pilot.press("enter")


async def test_files_pane_lists_lazily_follows_changes_and_marks_what_a_run_wrote(runtime_url, workdir, home):
    rel, folder = workdir
    (folder / "old.txt").write_text("old\n")
    (folder / "sub").mkdir()
    (folder / "sub" / "deep.txt").write_text("deep\n")
    app = make_app(runtime_url)
    async with app.run_test(size=(140, 44)) as pilot:
        await wait_ready(pilot)
        pane = await open_files(pilot)
        assert str(folder) in pane.nodes and str(folder / "old.txt") not in pane.nodes  # not listed yet
        await open_folder(pilot, pane, folder)
        assert str(folder / "old.txt") in pane.nodes
        assert str(folder / "sub" / "deep.txt") not in pane.nodes  # lazily: only what is opened

        (folder / "outside.txt").write_text("written by someone else\n")  # the watch brings it in
        await wait_until(pilot, lambda: str(folder / "outside.txt") in pane.nodes, 30, "the watch")
        (folder / "outside.txt").unlink()
        await wait_until(pilot, lambda: str(folder / "outside.txt") not in pane.nodes, 30, "the removal")

        await run_and_wait(
            pilot,
            f"open({rel + '/made.csv'!r}, 'w').write('x\\n1\\n')\nopen({rel + '/old.txt'!r}, 'a').write('more')",
        )
        await wait_until(pilot, lambda: pane.marks.get(str(folder / "made.csv")) == "new", 30, "the new mark")
        assert pane.marks.get(str(folder / "old.txt")) == "changed"
        assert str(folder / "sub" / "deep.txt") not in pane.marks
        await wait_until(pilot, lambda: str(folder / "made.csv") in pane.nodes, 30, "the new file listed")
        label = pane.nodes[str(folder / "made.csv")].label.plain
        assert label.startswith("+ made.csv")
        assert pane.nodes[str(folder)].label.plain.startswith("• ")  # a folder holding marks
        await quit_app(pilot)


async def test_a_long_name_is_cut_in_the_middle_and_its_size_stays_whole(runtime_url, workdir, home):
    """The tree cuts a label at the pane's edge: a long name took the size's unit with it
    ('e2b-runs-....ipynb  40.5'). Names are cut in the middle, their end kept, to fit."""
    from rich.cells import cell_len

    rel, folder = workdir
    long_name = "a-rather-long-export-name-from-a-session-" + "x" * 40 + ".ipynb"
    (folder / long_name).write_bytes(b"{}" * 20_000)  # 40,000 bytes: 39.1 K
    app = make_app(runtime_url)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot)
        pane = await open_files(pilot)
        await open_folder(pilot, pane, folder)
        node = pane.nodes[str(folder / long_name)]
        label = node.label.plain
        assert label.endswith(".ipynb  39.1 K"), label
        assert "…" in label and label.startswith("a-rather"), label
        width = pane.tree.scrollable_content_region.width
        assert cell_len(label) + 3 * pane.tree.guide_depth <= width, (label, width)
        (folder / "short.txt").write_text("hi\n")
        await wait_until(pilot, lambda: str(folder / "short.txt") in pane.nodes, 30, "short.txt")
        assert pane.nodes[str(folder / "short.txt")].label.plain == "short.txt  3 B"  # whole
        await quit_app(pilot)


async def test_upload_several_with_progress_and_download_asking_before_replacing(
    runtime_url, workdir, home, tmp_path: Path
):
    rel, folder = workdir
    local = tmp_path / "local"
    (local / "pics").mkdir(parents=True)
    big = local / "big.bin"
    big.write_bytes(os.urandom(6 * 1024 * 1024))
    (local / "small.csv").write_text("a,b\n1,2\n")
    (local / "pics" / "p.txt").write_text("p\n")
    app = make_app(runtime_url)
    async with app.run_test(size=(140, 44)) as pilot:
        await wait_ready(pilot)
        pane = await open_files(pilot)
        await open_folder(pilot, pane, folder)
        # what the transfer reports (session thread), and what the pane draws: the pane keeps only
        # the latest of the reports queued to it, so under load it may draw just the first and last
        sent: list[tuple[str, int, int]] = []
        seen: list[tuple[str, int, int]] = []
        report, draw = app.files._progress, pane.progress
        app.files._progress = lambda name, done, total: (sent.append((name, done, total)), report(name, done, total))
        pane.progress = lambda name, done, total: (seen.append((name, done, total)), draw(name, done, total))

        await highlight(pilot, pane, folder)
        await pilot.press("u")
        await answer(pilot, LocalPathScreen, f"{local}/big.bin {local}/small.csv {local}/pics")
        await wait_until(pilot, lambda: (folder / "pics" / "p.txt").exists(), 60, "the upload")
        assert (folder / "big.bin").read_bytes() == big.read_bytes()
        assert (folder / "small.csv").read_text() == "a,b\n1,2\n"
        partial = [s for s in sent if s[0] == "big.bin" and 0 < s[1] < s[2]]
        assert partial, f"the large file's upload reported no progress: {sent[:5]}"
        assert any(name == "big.bin" and done < total for name, done, total in seen), seen[:5]  # a bar shown
        await wait_until(pilot, lambda: str(folder / "big.bin") in pane.nodes, 30, "the new files listed")
        assert not pane.query_one("#files-progress").display  # hidden once done

        # uploading over a file asks first
        await pilot.press("u")
        await answer(pilot, LocalPathScreen, f"{local}/small.csv")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen), 30, "the question")
        await pilot.press("n")

        out = tmp_path / "out"
        out.mkdir()
        await highlight(pilot, pane, folder / "small.csv")
        await pilot.press("d")
        await answer(pilot, LocalPathScreen, str(out) + "/")
        await wait_until(pilot, lambda: (out / "small.csv").exists(), 30, "the download")
        (out / "small.csv").write_text("mine")
        await pilot.press("d")
        await answer(pilot, LocalPathScreen, str(out / "small.csv"))
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen), 30, "the question")
        await pilot.press("n")
        assert (out / "small.csv").read_text() == "mine"  # not replaced without asking
        await pilot.press("d")
        await answer(pilot, LocalPathScreen, str(out / "small.csv"))
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen), 30, "the question")
        await pilot.press("y")
        await wait_until(
            pilot, lambda: (out / "small.csv").read_text() == "a,b\n1,2\n", 30, "the replacement"
        )

        await highlight(pilot, pane, folder / "pics")
        await pilot.press("d")
        await answer(pilot, LocalPathScreen, str(out) + "/")
        await wait_until(pilot, lambda: (out / "pics" / "p.txt").exists(), 30, "a folder's download")
        assert not list(out.rglob(".*.part"))
        await quit_app(pilot)


async def test_previews_rename_new_folder_delete_and_path_into_the_editor(runtime_url, workdir, home):
    rel, folder = workdir
    (folder / "table.csv").write_text("name,score\n" + "".join(f"p{i},{i}\n" for i in range(300)))
    (folder / "data.json").write_text('{"b": [1, 2], "a": {"x": true}}')
    (folder / "code.py").write_text("def f(x):\n    return x * 2\n")
    image = io.BytesIO()
    Image.new("RGB", (40, 20), (200, 30, 30)).save(image, "GIF")
    (folder / "pic.gif").write_bytes(image.getvalue())
    app = make_app(runtime_url)
    async with app.run_test(size=(140, 44)) as pilot:
        await wait_ready(pilot)
        pane = await open_files(pilot)
        await open_folder(pilot, pane, folder)

        await highlight(pilot, pane, folder / "table.csv")
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, FilePreviewScreen), 30, "the table preview")
        preview = app.screen.preview
        assert (preview.kind, preview.row_count) == ("table", 300)
        table = app.screen.query_one(DataTable)
        assert [str(c.label) for c in table.columns.values()] == ["name", "score"]
        assert table.row_count == 200 and "300 rows" in preview.title()
        await pilot.press("escape")

        await highlight(pilot, pane, folder / "data.json")
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, FilePreviewScreen), 30, "the JSON preview")
        assert app.screen.preview.kind == "json"
        assert json.loads(app.screen.preview.text) == {"b": [1, 2], "a": {"x": True}}
        assert app.screen.preview.text.startswith('{\n  "b"')
        await pilot.press("escape")

        await highlight(pilot, pane, folder / "code.py")
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, FilePreviewScreen), 30, "the code preview")
        assert (app.screen.preview.kind, app.screen.preview.lexer) == ("code", "python")
        await pilot.press("escape")

        await highlight(pilot, pane, folder / "pic.gif")
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ImagePreviewScreen), 30, "the image preview")
        assert app.screen.picture.image is not None and app.screen.picture.image.size == (40, 20)
        await pilot.press("escape")

        await highlight(pilot, pane, folder / "code.py")
        await pilot.press("i")
        editor = app.main.editor_pane.current()
        await wait_until(pilot, lambda: f"{rel}/code.py" in editor.text, 10, "the path in the editor")

        await highlight(pilot, pane, folder / "code.py")
        await pilot.press("r")
        await answer(pilot, PromptScreen, f"{rel}/renamed.py")
        await wait_until(pilot, lambda: (folder / "renamed.py").exists(), 30, "the rename")
        assert not (folder / "code.py").exists()

        await highlight(pilot, pane, folder)
        await pilot.press("m")
        await answer(pilot, PromptScreen, "made")
        await wait_until(pilot, lambda: (folder / "made").is_dir(), 30, "the new folder")

        await wait_until(pilot, lambda: str(folder / "renamed.py") in pane.nodes, 30, "the renamed file")
        await highlight(pilot, pane, folder / "renamed.py")
        await pilot.press("x")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen), 10, "the question")
        assert app.screen.question == f"Delete the file {rel}/renamed.py?"
        await pilot.press("y")
        await wait_until(pilot, lambda: not (folder / "renamed.py").exists(), 30, "the delete")
        await wait_until(pilot, lambda: str(folder / "made") in pane.nodes, 30, "the new folder listed")
        await highlight(pilot, pane, folder / "made")
        await pilot.press("x")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen), 10, "the question")
        # it read "Delete the folder and everything in it t-.../made?"
        assert app.screen.question == f"Delete the folder {rel}/made and everything in it?"
        await pilot.press("n")
        await wait_until(pilot, lambda: not isinstance(app.screen, ConfirmScreen), 10, "the answer")
        assert (folder / "made").is_dir()
        await quit_app(pilot)


def test_local_paths_complete_and_expand(tmp_path: Path) -> None:
    (tmp_path / "data set").mkdir()
    (tmp_path / "data.csv").write_text("")
    (tmp_path / "b1.png").write_text("")
    (tmp_path / "b2.png").write_text("")
    assert complete("dat", tmp_path) == "data set/" or complete("dat", tmp_path) == '"data set/'
    assert complete("x.csv data.c", tmp_path) == "x.csv data.csv"
    assert complete("nothing-here", tmp_path) is None
    (tmp_path / "my notes.txt").write_text("")
    # a file's name with a space completes quoted and closed: Enter takes it as it is
    assert complete("my", tmp_path) == '"my notes.txt"'
    assert expand_paths(complete("data.csv my", tmp_path) or "", tmp_path) == [
        tmp_path / "data.csv",
        tmp_path / "my notes.txt",
    ]
    found = expand_paths('data.csv "data set" *.png', tmp_path)
    assert found == [tmp_path / "data.csv", tmp_path / "data set", tmp_path / "b1.png", tmp_path / "b2.png"]


async def test_terminal_runs_a_shell_that_gets_keys_follows_resizes_and_stays_in_its_pane(
    runtime_url, workdir, home
):
    rel, folder = workdir
    # a title, a clipboard write (OSC 52), a bell and a colour, as raw bytes in a file
    (folder / "esc.txt").write_bytes(b"\x1b]0;pwned\x07\x1b]52;c;cHduZWQ=\x07\x07\x1b[31mred\x1b[0m-safe\n")
    app = make_app(runtime_url)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot)
        main = app.main
        await pilot.press("f10")
        view = main.terminal_view
        assert app.focused is view and not main.log_view.display
        await wait_until(pilot, lambda: app.terminal.running and view.fed > 0, 30, "the shell's output")
        # a prompt of its own (the login profile's says nothing certain), typed so that its echo
        # is not the prompt itself: the end of each command's output is where it appears again
        prompt = "prompt-42:"
        await pilot.press(*"unset PROMPT_COMMAND; PS1=prompt-$((40+2)):", "enter")
        await wait_until(pilot, lambda: view.text().splitlines()[-1:] == [prompt], 30, "the shell's prompt")

        async def shell(line: str, last: str) -> None:
            """Type `line`, then wait until its output has ended with the line `last` and the shell
            is back at its prompt: the echoed command can hold `last` too ("seq 1 300"), and
            output still coming would change the screen under the next step."""
            await pilot.press(*line, "enter")

            def done() -> bool:
                lines = view.text().splitlines()
                return lines[-2:] == [last, prompt]

            await wait_until(pilot, done, 30, f"{last!r}, then the prompt, in the terminal")

        await shell("stty size", f"{view.rows} {view.cols}")
        rows, cols = view.rows, view.cols  # the pane's: already less than 100 x 34
        await pilot.resize_terminal(100, 34)
        await wait_until(pilot, lambda: view.rows < rows and view.cols < cols, 10, "the pane to shrink")
        await shell("clear; stty size", f"{view.rows} {view.cols}")  # typed after the resize: sees it

        # keys the app uses elsewhere reach the shell: Ctrl+R (run) and F5 start no run
        records = len(app.runbook.records)
        await pilot.press("ctrl+r", "f5", "ctrl+c")
        await shell("echo keys-went-$((40+2))", "keys-went-42")
        assert len(app.runbook.records) == records

        # what the shell writes cannot act on the real terminal: escapes become cells, never bytes
        await shell(f"cat {rel}/esc.txt", "red-safe")
        strips = [view.render_line(y) for y in range(view.rows)]
        drawn = "".join(segment.text for strip in strips for segment in strip)
        assert "\x1b" not in drawn and "\x07" not in drawn and "pwned" not in drawn and "cHduZWQ" not in drawn

        await shell("seq 1 300", "300")
        bottom = view.display_lines()
        await pilot.press("shift+pageup")
        assert view.display_lines() != bottom and view.scrolled > 0
        await pilot.press("shift+pagedown", "shift+pagedown")
        assert view.display_lines() == bottom

        app.terminal.copy()
        await pilot.press("ctrl+right_square_bracket")
        assert app.focused is main.editor_pane.current()
        await pilot.press("f10")  # hides the terminal, the log is back
        assert main.log_view.display and not main.query_one("#terminal-pane").display
        await quit_app(pilot)


async def test_quick_command_streams_into_a_block_with_its_exit_code_and_stops_on_f6(runtime_url, home):
    app = make_app(runtime_url)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot)
        await pilot.press("ctrl+s")
        await answer(pilot, PromptScreen, "echo out; echo err >&2; printf 'a\\rb\\n'; exit 3")
        await wait_until(
            pilot, lambda: app.runbook.latest() and not app.runbook.latest().running, 30, "the command"
        )
        record = app.runbook.latest()
        assert isinstance(record, CommandRecord)
        assert (record.status, record.exit_code) == ("error", 3)
        block = app.main.log_view.blocks[record.seq]
        assert isinstance(block, CommandBlock)
        header = block.query_one(".run-header").content.plain
        assert header.startswith("$ echo out") and "exit 3" in header
        console = Console(width=120, record=True, file=io.StringIO())
        console.print(block.query_one(".run-body").content)
        body = console.export_text()
        assert "out" in body and "err" in body and "b" in body.splitlines() and "a\rb" not in body

        await pilot.press("ctrl+s")
        nap = f"sleep 60.{uuid.uuid4().int % 1000:03d}"  # this test's own, among every process here
        await answer(pilot, PromptScreen, f"echo started; {nap}")
        await wait_until(pilot, lambda: "started" in app.runbook.latest().full_output(), 30, "the output")
        slow = app.runbook.latest()
        app.main.log_view.blocks[slow.seq].focus()
        await pilot.press("f6")
        await wait_until(pilot, lambda: not slow.running, 20, "the command to stop")
        assert slow.status == "interrupted" and slow.duration < 30

        def sleeping() -> bool:
            return any(line.strip() == nap for line in os.popen("ps -eo args").read().splitlines())

        await wait_until(pilot, lambda: not sleeping(), 20, "the command's process to be gone")
        await quit_app(pilot)


async def test_local_cockpit_shows_kernels_and_the_terminal_with_pids_memory_and_isolation(runtime_url, home):
    app = make_app(runtime_url)
    async with app.run_test(size=(140, 44)) as pilot:
        await wait_ready(pilot)
        await pilot.press("f10")
        await wait_until(pilot, lambda: app.terminal.running, 30, "the shell")
        await pilot.press("ctrl+right_square_bracket", "f11")
        await wait_until(pilot, lambda: isinstance(app.screen, CockpitScreen), 10, "the cockpit")
        cockpit = app.screen
        await wait_until(pilot, lambda: cockpit.refreshed >= 2, 30, "two refreshes")
        status = cockpit.status
        assert status is not None and status.available and status.isolated is False
        python = app.runbook.for_language("python")
        kernel = next(k for k in status.kernels if k["context_id"] == python.id)
        assert kernel["pid"] and kernel["memory"] > 10_000_000 and kernel["cpu"] is not None
        assert kernel["isolated"] is False
        assert any(p["terminal"] and p["pid"] == app.terminal.pid for p in status.processes)
        table = cockpit.query_one(DataTable)
        rows = [[str(cell) for cell in table.get_row_at(i)] for i in range(table.row_count)]
        assert ["kernel", python.id[:8], "python", str(kernel["pid"])] == rows[
            [r[1] for r in rows].index(python.id[:8])
        ][:4]
        assert "not isolated" in str(cockpit.query_one("#cockpit-summary").content)
        await pilot.press("escape")
        assert not isinstance(app.screen, CockpitScreen)
        await quit_app(pilot)
