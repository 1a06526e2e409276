"""envd, the other half of an E2B sandbox: files, commands and terminals for `sbx.files`,
`sbx.commands` and `sbx.pty` of the unmodified SDK.

With `debug=True` and a `sandbox_url`, the SDK sends envd's requests to the same base URL as
the code interpreter's, so the runtime serves both behind its secret path: the Connect RPC
services `filesystem.Filesystem` and `process.Process` (the SDK's own generated ASGI
applications on `connectrpc`, which speak Connect's JSON and protobuf encodings, unary and
streaming) and the plain-HTTP `/files`. `/health` is shared with the code interpreter.

Modules by job: `paths` (users and homes), `errors` (one error, two wire forms), `entries`
(EntryInfo as envd fills it), `storage` (where file operations run: here, or inside the
isolated sandbox), `filesystem` (the Filesystem service), `watch` (watches),
`process` (the Process service and the table of processes the runtime started), `pty`
(terminals), `files_http` (uploads and downloads), `streams` (disconnects and channels).
"""

from __future__ import annotations

from e2b.envd.filesystem.filesystem_connect import FilesystemASGIApplication
from e2b.envd.process.process_connect import ProcessASGIApplication
from starlette.routing import BaseRoute, Route

from ..isolation.client import Sandbox
from .files_http import FilesEndpoint
from .filesystem import FilesystemService
from .paths import Users
from .process import ProcessService, ProcessTable
from .storage import FileBackend, HostFiles
from .streams import disconnect_aware
from .watch import Watches

__all__ = ["Envd"]


class Envd:
    """envd's services over one home; `routes()` go into the router.

    Unisolated, the home is the runtime's workspace and everything runs here; with a
    `sandbox`, the home is `/home/user` inside it, where its file operations and processes run.
    """

    def __init__(
        self,
        home: str,
        owner: str = "",
        sandbox: Sandbox | None = None,
        base_env: dict[str, str] | None = None,
    ):
        self.users = Users(home, resolve_home=sandbox is None)
        files: FileBackend = sandbox.files if sandbox is not None else HostFiles()
        self.watches = Watches(files)
        self.processes = ProcessTable(self.users, owner, files=files, sandbox=sandbox, base_env=base_env)
        self.filesystem_app = disconnect_aware(
            FilesystemASGIApplication(FilesystemService(self.users, files, self.watches))
        )
        self.process_app = disconnect_aware(ProcessASGIApplication(ProcessService(self.processes)))
        self.files = FilesEndpoint(self.users, files)

    def routes(self) -> list[BaseRoute]:
        """Starlette routes, matched against the path after the runtime's secret prefix."""
        return [
            Route("/files", self.files),
            Route("/filesystem.Filesystem/{method}", self.filesystem_app),
            Route("/process.Process/{method}", self.process_app),
        ]

    async def shutdown(self) -> None:
        """The runtime stops: kill every session it started, close every watch."""
        self.processes.shutdown()
        self.watches.shutdown()

    def kill_all_now(self) -> None:
        """Last resort (atexit): SIGKILL every session the runtime started."""
        self.processes.kill_all_now()
