"""Run the runtime server in the foreground (`e2b-workbench serve`, `python -m tui.runtime`).

Whatever stops it, nothing is left behind: SIGINT, SIGTERM and SIGHUP stop it cleanly
(every kernel, every process user code started, the private folder); a SIGKILL is
cleaned up by its guardian (processes.py); folders of runtimes that are gone without
either are removed at the next start.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import os
import signal
import socket
import sys
import threading
import uuid
from collections.abc import Callable, Generator
from types import FrameType
from typing import Any

import uvicorn

from . import folders, processes, sandboxenv
from .isolation import settings as isolation_settings
from .isolation.settings import Isolation
from .server import App, bind_socket, new_secret

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


class _Server(uvicorn.Server):
    """Stops on SIGINT, SIGTERM and SIGHUP alike, and exits cleanly (uvicorn would re-raise
    the signal that stopped it, and ignores SIGHUP)."""

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        if threading.current_thread() is not threading.main_thread():
            yield  # signals can only be handled on the main thread
            return
        original = {sig: signal.signal(sig, self.handle_exit) for sig in STOP_SIGNALS}
        try:
            yield
        finally:
            for sig, handler in original.items():
                signal.signal(sig, handler)

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        if self.should_exit:
            self.force_exit = True
        self.should_exit = True


def _event_loop() -> str:
    try:
        import uvloop  # noqa: F401

        return "uvloop"
    except ImportError:
        return "asyncio"


def serve(
    host: str = "127.0.0.1",
    port: int = 49999,
    cwd: str | None = None,
    announce: Callable[[str], None] | None = None,
    spares: bool = True,
    prestart: bool = True,
    profile: str | None = None,
    python_env: str | None = None,
    isolation: Isolation | None = None,
) -> None:
    """Bind, announce the base URL, serve until SIGINT/SIGTERM, then stop every kernel.

    Python runs on the sandbox environment of `profile` (or the one at `python_env`; both
    default to their env vars), built in the background on first use, progress on stderr.
    With `isolation`, every kernel, command, terminal and file operation runs inside one
    bubblewrap sandbox; when that cannot be had here, it refuses to start (never unisolated).
    """
    try:
        sandboxenv.configure(profile, python_env, report=_report)
    except sandboxenv.UnknownProfile as err:
        raise SystemExit(f"e2b-workbench: {err}") from None
    if isolation is not None:
        from .isolation import bwrap

        problem = bwrap.problem()
        if problem:
            raise SystemExit(f"e2b-workbench: isolation is not available: {problem}.")
    try:
        sock = bind_socket(host, port)
    except OSError as err:
        raise SystemExit(
            f"e2b-workbench: cannot listen on {host}:{port}: {err.strerror}. "
            "Choose another port with --port (0 picks a free one)."
        ) from None
    bound_port = sock.getsockname()[1]
    secret = new_secret()
    shown_host = f"[{host}]" if ":" in host else host
    url = f"http://{shown_host}:{bound_port}/{secret}"
    folders.remove_stale()  # left by runtimes that were killed with their guardian
    processes.become_subreaper()  # what user code daemonises stays ours to end
    workdir = folders.make_workdir()
    owner = f"{uuid.uuid4().hex[:12]}/"
    guardian = processes.start_guardian(owner, workdir)
    app = App(
        secret, cwd=cwd, spares=spares, prestart=prestart, workdir=workdir, owner=owner, isolation=isolation
    )

    def last_resort() -> None:
        app.kill_all_now()  # kernels, and the sessions of commands and terminals
        processes.kill_marked(owner, prefix=True)
        folders.remove(workdir)

    atexit.register(last_resort)
    config = uvicorn.Config(
        app,
        lifespan="on",
        log_level="warning",
        access_log=False,
        http="httptools",
        loop=_event_loop(),
        timeout_graceful_shutdown=2,
        # longer than any client keeps an idle connection: at uvicorn's default (5 s) a client
        # reusing a connection the moment the server closed it got "connection closed"
        timeout_keep_alive=75,
        server_header=False,
    )
    server = _Server(config)
    (announce or _print_url)(url)
    try:
        asyncio.run(server.serve(sockets=[sock])) if config.loop == "asyncio" else _run_uvloop(server, sock)
    finally:
        sock.close()
        last_resort()
        if guardian is not None:
            os.close(guardian)  # its job is done: it checks once more and exits


def _run_uvloop(server: uvicorn.Server, sock: socket.socket) -> None:
    import uvloop

    uvloop.run(server.serve(sockets=[sock]))


def _print_url(url: str) -> None:
    print(url, flush=True)


def _report(text: str) -> None:
    print(f"e2b-workbench: {text}", file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> None:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m tui.runtime", description="E2B-compatible local runtime")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=49999)
    parser.add_argument("--cwd", default=None)
    parser.add_argument("--no-spares", action="store_true", help="do not keep warm spare kernels")
    parser.add_argument("--no-prestart", action="store_true", help="start default contexts on first use")
    sandboxenv.add_arguments(parser)
    isolation_settings.add_arguments(parser)
    args = parser.parse_args(argv)
    serve(
        args.host,
        args.port,
        args.cwd,
        spares=not args.no_spares,
        prestart=not args.no_prestart,
        profile=args.profile,
        python_env=args.python_env,
        isolation=isolation_from_args(args),
    )
    sys.exit(0)


def isolation_from_args(args: Any) -> Isolation | None:
    """The sandbox `--isolate` and its flags ask for (None without it); SystemExit for a
    workspace that would show the user's home. Without --cwd, a new ephemeral workspace; with
    --cwd and --ephemeral, that folder, removed at the end."""
    if not args.isolate:
        return None
    ephemeral = bool(args.ephemeral) or not args.cwd
    try:
        if args.cwd:
            workspace = isolation_settings.check_workspace(args.cwd)
        else:
            import tempfile

            workspace = tempfile.mkdtemp(prefix="e2b-sandbox-home-")
    except isolation_settings.WorkspaceRefused as err:
        raise SystemExit(f"e2b-workbench: {err}") from None
    return Isolation(
        workspace=workspace,
        ephemeral=ephemeral,
        network=bool(args.network),
        memory_mb=args.memory,
        processes=args.processes,
    )
