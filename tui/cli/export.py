"""`e2b-workbench export`: runs from the history (this or earlier sessions) as a notebook with
outputs, Markdown or the SDK's execution JSON; or an exported file converted to another format.

Which runs: the latest session's (default), `--ids 3,5-7`, or the `--last N`; `--list` shows
the history's ids. The format comes from the output's suffix (`.ipynb`, `.md`, `.json`) or
`--format`; `-o -` writes to stdout. Exit 0 when written, 2 when there was nothing usable.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .process import EXIT_USAGE, say


def add_parser(commands: argparse._SubParsersAction) -> None:
    export = commands.add_parser(
        "export", help="export runs from history as a Jupyter notebook with outputs, Markdown or JSON"
    )
    export.add_argument("-o", "--output", help="the file to write (.ipynb, .md, .json), or - for stdout")
    export.add_argument("--format", choices=("ipynb", "markdown", "md", "json"), default=None)
    add_selection_arguments(export)
    export.add_argument(
        "--from",
        dest="source",
        metavar="FILE",
        default=None,
        help="convert an exported notebook, JSON file or `# %%%%` .py file instead of reading history",
    )
    export.add_argument("--list", action="store_true", help="list the history's runs with their ids")
    export.set_defaults(main=main, exit_at_once=False)


def add_selection_arguments(parser: argparse.ArgumentParser) -> None:
    """Which history runs: shared by export and replay."""
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--ids", default=None, help="history ids, e.g. 3,5-7 (see `export --list`)")
    which.add_argument("--last", type=int, default=None, metavar="N", help="the last N runs of the history")


def list_history(limit: int = 50) -> int:
    from ..core.history import History

    history = History()
    try:
        entries = history.recent(limit=limit)
    finally:
        history.close()
    if not entries:
        print("The history is empty.")
        return 0
    for entry in reversed(entries):
        kept = "" if entry.execution_path and Path(entry.execution_path).exists() else "  (outputs not kept)"
        print(
            f"{entry.id:>6}  {entry.when}  {entry.language:<10} {entry.status:<11} {entry.first_line[:50]}{kept}"
        )
    return 0


def main(args: argparse.Namespace) -> int:
    if args.list:
        return list_history()
    if not args.output:
        say("export needs -o FILE (.ipynb, .md, .json) or -o - for stdout; --list shows the history")
        return EXIT_USAGE
    from ..core.export import ExportError, export_steps, export_text, format_for
    from ..core.history import History
    from ..core.steps import UnusableInput, history_steps, load_steps

    try:
        fmt = format_for(args.output, args.format or ("ipynb" if args.output == "-" else None))
        if args.source:
            steps = load_steps(Path(args.source))
        else:
            history = History()
            try:
                steps = history_steps(history, args.ids, args.last)
            finally:
                history.close()
        if args.output == "-":
            sys.stdout.write(export_text(steps, fmt))
            return 0
        written = export_steps(steps, Path(args.output), fmt)
    except (UnusableInput, ExportError) as err:
        say(str(err))
        return EXIT_USAGE
    except OSError as err:
        say(f"cannot write {args.output}: {err}")
        return EXIT_USAGE
    say(
        f"wrote {len(steps)} run{'s' if len(steps) != 1 else ''} to {written[0]}"
        + (
            f" (and {len(written) - 1} file{'s' if len(written) > 2 else ''} beside it)"
            if len(written) > 1
            else ""
        )
    )
    return 0
