"""`e2b-workbench run FILE`: a file (or stdin) run headless, locally or on E2B cloud, its
output streamed as it comes. Exit codes: 0, 1 (the code raised), 2 (usage or runtime
problem), 124 (`--timeout` hit), 141 (stdout's reader went away, as with `| head`).

The language comes from `--language` (any name or alias of `tui.common.languages`), else
the file's extension, else its `#!` line; a file none of these names is refused with the
list of languages and extensions, never guessed.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from ..common import languages
from ..core.flags import add_target_arguments
from .process import EXIT_USAGE, run_async, say

EXIT_ERROR = 1
EXIT_TIMEOUT = 124
_VERSION_SUFFIX = re.compile(r"[\d.]+$")  # python3.11 -> python


def add_parser(commands: argparse._SubParsersAction) -> None:
    run = commands.add_parser("run", help="run a file (or - for stdin) headless, locally or on E2B cloud")
    run.add_argument("file", help="a source file, or - to read the code from stdin")
    run.add_argument(
        "--language",
        "-l",
        default=None,
        help=f"{languages.names_help()} (default: from the file extension; stdin: python)",
    )
    run.add_argument(
        "--timeout", type=float, default=0, help="seconds before the run is interrupted (default 0: no limit)"
    )
    run.add_argument(
        "--save-dir", default="e2b-output", help="where image results are saved (default ./e2b-output)"
    )
    run.add_argument(
        "--upload",
        action="append",
        default=[],
        metavar="LOCAL[:REMOTE]",
        help="upload a file or folder before the run (default REMOTE: the sandbox home, same name; repeatable)",
    )
    run.add_argument(
        "--download",
        action="append",
        default=[],
        metavar="REMOTE[:LOCAL]",
        help="download a file or folder after the run, even if the code raised (default LOCAL: here; repeatable)",
    )
    run.add_argument(
        "--cwd", default=None, help="local: the workspace of the runtime started for the run (default: here)"
    )
    run.add_argument(
        "--force",
        action="store_true",
        help="let --download replace local files (refused otherwise, before the run)",
    )
    add_target_arguments(run)
    run.set_defaults(main=main, exit_at_once=True)


def transfer_pairs(values: list[str], flag: str) -> list[tuple[str, str]]:
    """`A[:B]` pairs of --upload / --download, split at the first colon (ValueError if empty)."""
    pairs = []
    for value in values:
        first, _sep, second = value.partition(":")
        if not first:
            raise ValueError(f"{flag} {value!r}: the path before the colon is missing.")
        pairs.append((first, second))
    return pairs


def shebang_language(code: str) -> str | None:
    """The language a `#!` line names (`#!/usr/bin/env python3`, `#!/bin/sh`), or None."""
    if not code.startswith("#!"):
        return None
    for word in code[2:].partition("\n")[0].split():
        found = languages.lookup(_VERSION_SUFFIX.sub("", word.rsplit("/", 1)[-1]))
        if found:
            return found
    return None


def language_of(file: str, explicit: str | None, code: str = "") -> str:
    """The language to run `file` in: `explicit` (--language), else its extension, else its
    `#!` line (stdin: python). UnknownLanguage, listing what exists, when none says one."""
    if explicit:
        return languages.normalize(explicit)
    if file == "-":
        return languages.DEFAULT
    found = languages.for_path(file) or shebang_language(code)
    if found is None:
        raise languages.UnknownLanguage(
            f"cannot tell the language of {file} from its extension: use --language "
            f"({languages.names_help()}). Known extensions: {languages.known_extensions()}."
        )
    return found


def main(args: argparse.Namespace) -> int:
    """Read the code, open the sandbox, run, say how it ended."""
    if args.file == "-":
        code = sys.stdin.read()
        stem, script = "stdin", "<stdin>"
    else:
        path = Path(args.file)
        try:
            code = path.read_text()
        except (OSError, UnicodeDecodeError) as err:
            say(f"cannot read {args.file}: {err}")
            return EXIT_USAGE
        stem, script = path.stem, args.file
    try:
        language = language_of(args.file, args.language, code)
        uploads = transfer_pairs(args.upload, "--upload")
        downloads = transfer_pairs(args.download, "--download")
    except (languages.UnknownLanguage, ValueError) as err:
        say(str(err))
        return EXIT_USAGE
    missing = [local for local, _remote in uploads if not Path(local).expanduser().exists()]
    if missing:
        say(f"--upload: no such local file or folder: {', '.join(missing)}")
        return EXIT_USAGE

    from e2b.exceptions import SandboxException, TimeoutException

    from ..core.headless import run_headless
    from ..core.target import explain_cloud, open_async_sandbox, target_from_args
    from ..core.transfer import TransferError, check_local_targets

    target = target_from_args(args)
    if not args.force:  # refused before anything runs, not after the work is done
        try:
            check_local_targets(downloads)
        except TransferError as err:
            say(str(err))
            return EXIT_USAGE
    if not target.cloud:  # a cloud sandbox has its own kernels: what is installed here is moot
        from ..runtime.languages import LanguageUnavailable, require

        try:
            require(language)
        except LanguageUnavailable as err:
            say(str(err))
            return EXIT_USAGE

    async def run() -> int:
        async with open_async_sandbox(target) as sandbox:
            try:
                await move_files(sandbox, uploads, [], args.force)
            except TransferError as err:
                say(str(err))
                return EXIT_USAGE
            try:
                execution, _saver = await run_headless(
                    sandbox, code, language, stem, Path(args.save_dir), args.timeout or 0, script=script
                )
            except TimeoutException as err:
                if target.cloud and "sandbox timeout" in str(err):
                    say(explain_cloud(err, target))
                    return EXIT_USAGE
                say(f"the run timed out after {args.timeout:g} s and was interrupted.")
                status = EXIT_TIMEOUT
            except SandboxException as err:
                say(explain_cloud(err, target) if target.cloud else str(err))
                return EXIT_USAGE
            else:
                status = EXIT_ERROR if execution.error else 0
            try:
                await move_files(sandbox, [], downloads, args.force)
            except TransferError as err:
                say(str(err))
                return status or EXIT_USAGE
            return status

    exit_code, failed = run_async(run())
    return failed or exit_code or 0


async def move_files(
    sandbox: object, uploads: list[tuple[str, str]], downloads: list[tuple[str, str]], force: bool
) -> None:
    """The --upload transfers, or the --download ones, each said on stderr."""
    from ..core import transfer

    for local, remote in uploads:
        for moved in await transfer.upload(sandbox, local, remote):
            say(f"uploaded {moved.source} -> {moved.target}")
    for remote, local in downloads:
        for moved in await transfer.download(sandbox, remote, local, force=force):
            say(f"downloaded {moved.source} -> {moved.target}")
