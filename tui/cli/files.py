"""`e2b-workbench files ls|get|put|rm`: a sandbox's files from the shell, on the local runtime
or an E2B cloud sandbox, through the SDK's `sandbox.files` (`tui.core.transfer`).

Where: the same flags as `run`. On the local runtime, `--url` (or E2B_SANDBOX_URL with
E2B_DEBUG=true, as `serve` tells you to export) names a running runtime; without one, a
runtime is started for the command with `--cwd` (default: here) as its workspace, so
relative paths are the workspace's. On E2B cloud, `--sandbox-id` names the sandbox (a new
one would be empty and killed at exit: `ls` and `put` on it say so).

Exit codes: 0 done, 1 the transfer failed (nothing there, a local file in the way without
`--force`, a refusal), 2 usage or the sandbox could not be opened, 130 Ctrl+C, 141 the
reader of stdout went away.
"""

from __future__ import annotations

import argparse
import posixpath
import sys
import time
from typing import Any

from ..core.flags import add_target_arguments
from .process import EXIT_USAGE, run_async, say

EXIT_FAILED = 1
PROGRESS_MIN = 1 << 20  # files smaller than this get no progress line


def add_parser(commands: argparse._SubParsersAction) -> None:
    files = commands.add_parser(
        "files", help="list, download, upload and remove a sandbox's files (local runtime or E2B cloud)"
    )
    actions = files.add_subparsers(dest="files_command", required=True)
    ls = actions.add_parser("ls", help="list a folder of the sandbox (default: the home)")
    ls.add_argument("path", nargs="?", default=".", help="a path in the sandbox (relative: from its home)")
    ls.add_argument("--depth", type=int, default=1, help="levels to list (default 1)")
    ls.add_argument("--json", action="store_true", help="print the entries as JSON")
    get = actions.add_parser(
        "get", help="download a file or folder (never replaces a local file without --force)"
    )
    get.add_argument("remote", help="a file or folder in the sandbox")
    get.add_argument(
        "local_path",
        metavar="local",
        nargs="?",
        default="",
        help="where to put it (default: here, under its name; - for stdout)",
    )
    get.add_argument("--force", "-f", action="store_true", help="replace local files that are in the way")
    put = actions.add_parser("put", help="upload a file or folder")
    put.add_argument("local_path", metavar="local", help="a local file or folder")
    put.add_argument(
        "remote",
        nargs="?",
        default="",
        help="where it goes (default: the home, under its name; a folder receives it)",
    )
    rm = actions.add_parser("rm", help="remove files or folders from the sandbox")
    rm.add_argument("paths", nargs="+", help="paths in the sandbox")
    for action in (ls, get, put, rm):
        action.add_argument(
            "--cwd", default=None, help="local runtime started here: its workspace (default: here)"
        )
        action.add_argument(
            "--progress",
            action=argparse.BooleanOptionalAction,
            default=None,
            help="show transfer progress on stderr (default: when stderr is a terminal)",
        )
        add_target_arguments(action)
    files.set_defaults(main=main, exit_at_once=True)


class ProgressLine:
    """`name  12.0/100.0 MB  12%  45 MB/s` redrawn on stderr while a large file moves."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.name = ""
        self.started = 0.0
        self.last = 0.0
        self.drawn = False

    def __call__(self, name: str, done: int, total: int) -> None:
        if not self.enabled or (total < PROGRESS_MIN and not self.drawn):
            return
        now = time.monotonic()
        if name != self.name:
            self.end()
            self.name, self.started, self.last = name, now, 0.0
        if done < total and now - self.last < 0.1:
            return
        self.last = now
        rate = done / max(now - self.started, 1e-6)
        percent = 100 * done // total if total else 100
        line = f"{name}  {_mb(done)}/{_mb(total)} MB  {percent:3d}%  {_mb(rate)} MB/s"
        print(f"\r{line}\x1b[K", end="", file=sys.stderr, flush=True)
        self.drawn = True
        if done >= total:
            self.end()

    def end(self) -> None:
        if self.drawn:
            print(file=sys.stderr, flush=True)
        self.drawn = False
        self.name = ""


def _mb(count: float) -> str:
    return f"{count / 1e6:.1f}"


def human_size(size: int) -> str:
    for unit in ("B", "K", "M", "G"):
        if size < 1024 or unit == "G":
            return f"{size:.0f}{unit}" if unit == "B" else f"{size:.1f}{unit}"
        size /= 1024  # type: ignore[assignment]
    return str(size)


def print_listing(entries: list[Any], base: str, as_json: bool) -> None:
    """`ls -l`-like lines, paths relative to the listed folder `base` (JSON: absolute)."""
    if as_json:
        import json

        rows = [
            {
                "name": e.name,
                "path": e.path,
                "type": getattr(e.type, "value", str(e.type)) if e.type else None,
                "size": e.size,
                "permissions": e.permissions,
                "modified": e.modified_time.isoformat() if e.modified_time else None,
                "symlink_target": e.symlink_target,
            }
            for e in entries
        ]
        print(json.dumps(rows, indent=2, ensure_ascii=False), flush=True)
        return
    for e in entries:
        kind = "/" if e.type is not None and getattr(e.type, "value", "") == "dir" else ""
        when = e.modified_time.strftime("%Y-%m-%d %H:%M") if e.modified_time else ""
        link = f" -> {e.symlink_target}" if e.symlink_target else ""
        shown = posixpath.relpath(e.path, base) if base and e.path.startswith(base) else e.path
        print(f"{e.permissions:<11} {human_size(e.size):>7}  {when}  {shown}{kind}{link}", flush=True)


def main(args: argparse.Namespace) -> int:
    """Open the sandbox, do the action, say how it went."""
    from ..core.target import TargetError, open_async_sandbox, target_from_args
    from ..core.transfer import TransferError

    target = target_from_args(args)
    if args.files_command == "get" and args.local_path == "-" and args.progress:
        say("--progress goes to stderr; stdout carries the file.")
    progress = ProgressLine(sys.stderr.isatty() if args.progress is None else args.progress)

    async def act() -> int:
        from ..core import transfer

        async with open_async_sandbox(target) as sandbox:
            try:
                if args.files_command == "ls":
                    entries = await transfer.listing(sandbox, args.path, max(1, args.depth))
                    folder = await transfer.stat(sandbox, args.path)
                    print_listing(entries, folder.path if folder else "", args.json)
                elif args.files_command == "get":
                    if args.local_path == "-":
                        await transfer.read_to(sandbox, args.remote, sys.stdout.buffer)
                        return 0
                    moved = await transfer.download(
                        sandbox, args.remote, args.local_path, force=args.force, progress=progress
                    )
                    progress.end()
                    _report(moved, "downloaded")
                elif args.files_command == "put":
                    moved = await transfer.upload(sandbox, args.local_path, args.remote, progress=progress)
                    progress.end()
                    _report(moved, "uploaded")
                else:
                    for path in args.paths:
                        await transfer.remove(sandbox, path)
                        print(f"removed {path}", file=sys.stderr)
            except (TransferError, TargetError) as err:
                progress.end()
                say(str(err))
                return EXIT_FAILED
            except Exception as err:  # an SDK refusal (permission, not a folder...), said plainly
                progress.end()
                say(str(_explain(err, target)))
                return EXIT_FAILED
        return 0

    if target.cloud and not (target.sandbox_id or target.keep) and args.files_command != "ls":
        say(
            "a new cloud sandbox would be created for this command and killed at its end: "
            "name one with --sandbox-id (see `e2b-workbench sandbox create`), or add --keep."
        )
        return EXIT_USAGE
    code, failed = run_async(act())
    progress.end()
    return failed or code or 0


def _report(moved: list[Any], verb: str) -> None:
    total = sum(m.size for m in moved)
    for item in moved:
        print(f"{item.source} -> {item.target}", file=sys.stderr)
    print(f"{verb} {len(moved)} file{'s' if len(moved) != 1 else ''}, {human_size(total)}", file=sys.stderr)


def _explain(err: BaseException, target: Any) -> Any:
    from ..core.target import explain_target

    return explain_target(err, target)
