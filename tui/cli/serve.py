"""`e2b-workbench serve`: the E2B-compatible local runtime in the foreground, for any script
or test suite that uses the E2B SDK. It prints its URL first (the secret path included)."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

from ..runtime.isolation import settings as isolation_settings
from ..runtime.sandboxenv import flags as sandbox_flags
from .process import EXIT_USAGE, say

USAGE_AFTER_URL = """\
The local E2B runtime is serving ({where}).
Point any E2B SDK script at it:

  export E2B_DEBUG=true E2B_SANDBOX_URL={url}
  python -c "from e2b_code_interpreter import Sandbox; print(Sandbox.create().run_code('1+1').text)"

or in code: Sandbox.create(debug=True, sandbox_url="{url}")
{home}. Languages: {languages}. Press Ctrl+C to stop it and its kernels.
"""


def add_parser(commands: argparse._SubParsersAction) -> None:
    serve = commands.add_parser("serve", help="run the E2B-compatible local runtime in the foreground")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=49999, help="port (default 49999; 0 = any free port)")
    serve.add_argument(
        "--cwd",
        default=None,
        help="default working directory of contexts (default: here); isolated: the folder "
        "mounted at /home/user (default: a new one, kept under the data dir)",
    )
    serve.add_argument("--no-spares", action="store_true", help="do not keep warm spare kernels")
    serve.add_argument(
        "--no-prestart",
        action="store_true",
        help="start the default contexts on first use instead of at once",
    )
    sandbox_flags.add_arguments(serve)
    isolation_settings.add_arguments(serve)
    serve.set_defaults(main=main, exit_at_once=False)


def isolation_from_args(args: argparse.Namespace) -> Any:
    """The isolated sandbox `--isolate` asks for (None without it); TargetError when it cannot be
    had (bubblewrap missing or unusable, a workspace that would show the home)."""
    if not args.isolate:
        return None
    from dataclasses import replace

    from ..core.target import Target, isolation_for

    target = Target(mode="local", cwd=args.cwd, isolate=True, network=args.network, ephemeral=args.ephemeral)
    found = isolation_for(target)
    return replace(found, memory_mb=args.memory, processes=args.processes)


def main(args: argparse.Namespace) -> int:
    """Serve until Ctrl+C; every kernel started is stopped before returning."""
    from ..core.errors import TargetError
    from ..runtime.languages import available_languages
    from ..runtime.serve import serve

    try:
        isolation = isolation_from_args(args)
    except TargetError as err:
        say(str(err))
        return EXIT_USAGE
    cwd = str(Path(args.cwd or os.getcwd()).resolve())
    if not Path(cwd).is_dir():
        say(f"--cwd {args.cwd!r} is not a directory.")
        return EXIT_USAGE
    if isolation is not None:
        network = "this machine's network" if isolation.network else "no network"
        kept = "removed when it stops" if isolation.ephemeral else "kept"
        where = f"isolated: a bubblewrap sandbox with {network}, limits {isolation.memory_mb} MB, {isolation.processes} processes"
        home = f"/home/user (the contexts' working directory) is {isolation.workspace} ({kept})"
    else:
        user = os.environ.get("USER") or "the current user"
        where = f"code runs as {user} on this machine, without a sandbox's isolation; --isolate for one"
        home = f"Contexts start in {cwd}"

    def announce(url: str) -> None:
        print(url, flush=True)
        print(
            USAGE_AFTER_URL.format(
                url=url,
                where=where,
                home=home,
                languages=", ".join(available_languages()) or "none (run e2b-workbench doctor)",
            ),
            flush=True,
        )

    serve(
        args.host,
        args.port,
        cwd,
        announce=announce,
        spares=not args.no_spares,
        prestart=not args.no_prestart,
        profile=args.profile,
        python_env=args.python_env,
        isolation=isolation,
    )
    print("Runtime stopped; every kernel it started is gone.", flush=True)
    return 0
