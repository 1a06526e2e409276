"""The HTTP face of the runtime: E2B's code-interpreter API and envd's API as one ASGI app.

Every route lives under a random secret path segment (`/SECRET/execute`, ...), so the
base URL is a capability: another local user who cannot read it cannot run code.
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import socket
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from starlette.routing import Route, Router
from starlette.types import Receive, Scope, Send

from . import extensions, sandboxenv
from .envd import Envd
from .isolation.client import PYTHON_VERSION, Sandbox
from .isolation.settings import HOME, Isolation, base_env
from .kernel import KernelStartError
from .languages import ENV_NAME, LanguageUnavailable, UnknownLanguage, describe
from .manager import ContextNotFound, InvalidRequest, Runtime
from .status import Sampler, processes

MAX_BODY = 64 * 1024 * 1024
FORBIDDEN_BODY_READ = 1024 * 1024  # of a request refused for want of the secret
MAX_DEPTH = 64  # nesting of a request body (the protocol's bodies nest 2 deep)



class HTTPError(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


async def _send_json(send: Send, status: int, payload: Any) -> None:
    body = json.dumps(payload).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def _send_text(send: Send, status: int, text: str) -> None:
    body = text.encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"text/plain; charset=utf-8"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def _read_body(receive: Receive) -> bytes:
    chunks = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ConnectionResetError
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY:
            raise HTTPError(413, f"Request body larger than {MAX_BODY // (1024 * 1024)} MiB.")
        chunks.append(chunk)
        if not message.get("more_body"):
            return b"".join(chunks)


def _too_deep(body: bytes) -> bool:
    """Whether brackets nest deeper than MAX_DEPTH (counted outside strings), cheaply:
    only bodies with that many opening brackets are scanned at all."""
    if body.count(b"[") + body.count(b"{") <= MAX_DEPTH:
        return False
    depth = 0
    in_string = escaped = False
    for byte in body:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:  # quote
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):
            depth += 1
            if depth > MAX_DEPTH:
                return True
        elif byte in (0x5D, 0x7D):
            depth -= 1
    return False


def _parse_json(body: bytes, allow_empty: bool = False) -> Any:
    if not body.strip():
        if allow_empty:
            return {}
        raise HTTPError(422, "The request body is empty; send a JSON object.")
    if _too_deep(body):
        raise HTTPError(
            422, f"The request body nests deeper than {MAX_DEPTH} levels; send a flat JSON object."
        )
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError) as err:
        raise HTTPError(422, f"The request body is not valid JSON: {err}.") from None


def _optional_str(payload: dict, key: str) -> str | None:
    value = payload.get(key)
    if value is not None and not isinstance(value, str):
        raise HTTPError(422, f"'{key}' must be a string or null, not {type(value).__name__}.")
    return value


def _execute_request(payload: Any) -> tuple[str, str | None, str | None, dict[str, str]]:
    if not isinstance(payload, dict):
        raise HTTPError(422, "The body must be a JSON object with 'code' (a string).")
    code = payload.get("code")
    if not isinstance(code, str):
        raise HTTPError(422, "'code' is required and must be a string.")
    context_id = _optional_str(payload, "context_id")
    language = _optional_str(payload, "language")
    env = payload.get("env_vars") or {}
    if not isinstance(env, dict) or not all(isinstance(v, str) for v in env.values()):
        raise HTTPError(422, "'env_vars' must be an object mapping names to string values.")
    bad = [k for k in env if not ENV_NAME.match(k)]
    if bad:
        raise HTTPError(
            422, f"Invalid env var name(s): {', '.join(map(repr, bad))} (use letters, digits, _)."
        )
    return code, context_id, language, env


class _Handlers:
    """A Starlette route target: the App's handler for the request's method, with the App's errors.

    A class instance, not a function, so Starlette passes it the raw ASGI scope (no Request
    wrapper on the hot /execute path); a method without a handler gets the App's 404.
    """

    def __init__(self, app: App, **by_method: Callable[..., Awaitable[None]]):
        self.app = app
        self.by_method = by_method

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app._serve(scope, receive, send, self.by_method.get(scope["method"]))


class App:
    """ASGI app; `runtime` is created at lifespan startup on the server's loop.

    Behind the secret prefix, a Starlette router sends each route family to its handler: the
    code interpreter's routes here, envd's (files, commands, terminals) to `envd`.
    """

    def __init__(
        self,
        secret: str,
        cwd: str | None = None,
        spares: bool = True,
        prestart: bool = True,
        workdir: Path | None = None,
        owner: str = "",
        isolation: Isolation | None = None,
    ):
        self.prefix = f"/{secret}"
        self.cwd = cwd
        self.spares = spares
        self.prestart = prestart
        self.workdir = workdir
        self.owner = owner
        self.runtime: Runtime | None = None
        # isolated: everything runs inside one sandbox, whose home is /home/user (the
        # workspace); otherwise the sandbox user's home is the runtime's workspace (the
        # contexts' default cwd)
        self.sandbox: Sandbox | None = None
        self.env: dict[str, str] | None = None
        if isolation is not None:
            self.sandbox = Sandbox(isolation, (workdir or Path(tempfile.mkdtemp())) / "sandbox", owner)
            self.env = base_env(python_version=PYTHON_VERSION)  # the sandbox's python: sandboxenv's
            self.envd = Envd(HOME, owner, sandbox=self.sandbox, base_env=self.env)
        else:
            self.envd = Envd(str(Path(cwd or os.getcwd()).resolve()), owner)
        self._sampler = Sampler()
        self.router = Router(
            routes=[
                Route("/execute", _Handlers(self, POST=self._execute)),
                Route("/health", _Handlers(self, GET=self._health)),
                Route("/languages", _Handlers(self, GET=self._languages)),
                Route("/sandbox", _Handlers(self, GET=self._sandbox)),
                Route("/contexts", _Handlers(self, GET=self._list_contexts, POST=self._create_context)),
                Route("/contexts/{context_id}", _Handlers(self, DELETE=self._remove_context)),
                Route("/contexts/{context_id}/restart", _Handlers(self, POST=self._restart_context)),
                Route("/environment", _Handlers(self, GET=self._environment)),  # our extension
                Route("/processes", _Handlers(self, GET=self._processes)),  # our extension (status.py)
                # extensions (docs/e2b-protocol.md section 11): complete, inspect, check, interrupt
                *(
                    Route(f"/contexts/{{context_id}}/{what}", _Handlers(self, POST=self._extension))
                    for what in extensions.ROUTES
                ),
                *self.envd.routes(),
            ],
            redirect_slashes=False,
            default=self._not_found,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
        elif scope["type"] == "http":
            await self._http(scope, receive, send)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                try:
                    sandboxenv.active().start()  # built in the background: GET /environment follows it
                    if self.sandbox is not None:
                        await self.sandbox.start()
                    self.runtime = Runtime(
                        self.cwd,
                        workdir=self.workdir,
                        spares=self.spares,
                        owner=self.owner,
                        sandbox=self.sandbox,
                        env=self.env,
                    )
                    if self.prestart:
                        await self.runtime.start()
                except Exception as err:
                    await send({"type": "lifespan.startup.failed", "message": str(err)})
                    return
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await sandboxenv.active().stop()
                await self.envd.shutdown()
                if self.runtime is not None:
                    await self.runtime.shutdown()
                if self.sandbox is not None:
                    await self.sandbox.stop()
                await send({"type": "lifespan.shutdown.complete"})
                return

    def kill_all_now(self) -> None:
        """Last resort (atexit / signal): SIGKILL every kernel and every session of a command or terminal."""
        self.envd.kill_all_now()
        if self.runtime is not None:
            self.runtime.kill_all_now()
        if self.sandbox is not None:
            self.sandbox.kill_now()

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope["path"]
        if path != self.prefix and not path.startswith(self.prefix + "/"):
            # no secret, no service (and no hint of what is behind it); a small body is read
            # first, so a client still sending it gets the answer rather than a reset connection
            await _discard_body(receive, FORBIDDEN_BODY_READ)
            await _send_text(send, 403, "Forbidden: use the runtime's full base URL, secret path included.")
            return
        route = path[len(self.prefix) :].rstrip("/") or "/"
        await self.router({**scope, "path": route}, receive, send)

    async def _not_found(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self._serve(scope, receive, send, None)

    async def _serve(
        self, scope: Scope, receive: Receive, send: Send, handler: Callable[..., Awaitable[None]] | None
    ) -> None:
        """Run a code-interpreter handler, answering its errors as the E2B server does."""
        runtime = self.runtime
        try:
            if runtime is None:
                raise HTTPError(503, "The runtime is starting; try again in a moment.")
            if handler is None:
                raise HTTPError(
                    404,
                    f"No route {scope['method']} {scope['path']}. Routes: POST /execute, GET|POST /contexts, "
                    "POST /contexts/ID/restart, DELETE /contexts/ID, POST /contexts/ID/complete|inspect|check|interrupt, "
                    "GET /health, GET /languages, GET /environment, GET /processes, GET /sandbox; envd: GET|POST /files, "
                    "POST /filesystem.Filesystem/METHOD, POST /process.Process/METHOD.",
                )
            await handler(runtime, scope, receive, send)
        except HTTPError as err:
            await _send_text(send, err.status, err.message)
        except ContextNotFound as err:
            await _send_text(send, 404, err.args[0])
        except (InvalidRequest, UnknownLanguage) as err:
            await _send_text(send, 400, str(err))
        except LanguageUnavailable as err:
            await _send_text(send, 500, f"Failed to create context: {err}")
        except KernelStartError as err:
            await _send_text(send, 500, f"Failed to create context: {err}")
        except ConnectionResetError:
            return

    async def _health(self, runtime: Runtime, scope: Scope, receive: Receive, send: Send) -> None:
        await _send_json(send, 200, "OK")

    async def _environment(self, runtime: Runtime, scope: Scope, receive: Receive, send: Send) -> None:
        """Our extension: the sandbox's Python environment (building, ready, failed), progress, error."""
        await _send_json(send, 200, sandboxenv.active().status())

    async def _sandbox(self, runtime: Runtime, scope: Scope, receive: Receive, send: Send) -> None:
        """Our extension: whether this sandbox is isolated, its network, home and limits."""
        if self.sandbox is not None:
            await _send_json(send, 200, self.sandbox.describe())
            return
        home = runtime.cwd
        await _send_json(
            send,
            200,
            {"isolated": False, "network": True, "home": home, "workspace": home, "ephemeral": False,
             "backend": None, "limits": {"memory_mb": None, "processes": None, "cgroup": None}},
        )

    async def _languages(self, runtime: Runtime, scope: Scope, receive: Receive, send: Send) -> None:
        """Our extension: every language the workbench knows, and whether this runtime runs it."""
        await _send_json(send, 200, describe())

    async def _processes(self, runtime: Runtime, scope: Scope, receive: Receive, send: Send) -> None:
        """Our extension: kernels, commands and terminals with their pids, CPU and memory (status.py)."""
        await _send_json(send, 200, processes(runtime, self.envd, self._sampler))

    async def _list_contexts(self, runtime: Runtime, scope: Scope, receive: Receive, send: Send) -> None:
        await _send_json(send, 200, runtime.list())

    async def _create_context(self, runtime: Runtime, scope: Scope, receive: Receive, send: Send) -> None:
        payload = _parse_json(await _read_body(receive), allow_empty=True)
        if not isinstance(payload, dict):
            raise HTTPError(422, 'The body must be a JSON object like {"language": "python", "cwd": "/tmp"}.')
        ctx = await runtime.create_context(_optional_str(payload, "language"), _optional_str(payload, "cwd"))
        await _send_json(send, 200, ctx.to_json())

    async def _remove_context(self, runtime: Runtime, scope: Scope, receive: Receive, send: Send) -> None:
        await runtime.remove(scope["path_params"]["context_id"])
        await _send_json(send, 200, None)

    async def _restart_context(self, runtime: Runtime, scope: Scope, receive: Receive, send: Send) -> None:
        await runtime.restart(scope["path_params"]["context_id"])
        await _send_json(send, 200, None)

    async def _extension(self, runtime: Runtime, scope: Scope, receive: Receive, send: Send) -> None:
        what = scope["path"].rsplit("/", 1)[-1]
        body = await _read_body(receive)
        status, payload = await extensions.answer(runtime, what, scope["path_params"]["context_id"], body)
        await _send_json(send, status, payload)

    async def _execute(self, runtime: Runtime, scope: Scope, receive: Receive, send: Send) -> None:
        code, context_id, language, env = _execute_request(_parse_json(await _read_body(receive)))
        ctx = runtime.context_for(context_id, language)
        run = runtime.submit(ctx, code, env)
        gone = asyncio.ensure_future(_wait_disconnect(receive))
        gone.add_done_callback(lambda _f: run.cancel())
        try:
            await send(
                {
                    "type": "http.response.start",
                    "status": 200,
                    "headers": [(b"content-type", b"application/x-ndjson"), (b"cache-control", b"no-store")],
                }
            )
            lines = run.lines
            while True:
                first = await lines.get()
                if first is None:
                    break
                chunk = [first]
                end = False
                while not lines.empty():  # batch what is already waiting into one write
                    item = lines.get_nowait()
                    if item is None:
                        end = True
                        break
                    chunk.append(item)
                await send({"type": "http.response.body", "body": b"".join(chunk), "more_body": True})
                if end:
                    break
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        except (OSError, RuntimeError, asyncio.CancelledError):
            run.cancel()
            raise
        finally:
            gone.cancel()


async def _wait_disconnect(receive: Receive) -> None:
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return


async def _discard_body(receive: Receive, limit: int) -> None:
    """Read and drop up to `limit` bytes of the request body (all of it when it is smaller)."""
    seen = 0
    while seen <= limit:
        message = await receive()
        if message["type"] != "http.request":
            return
        seen += len(message.get("body", b""))
        if not message.get("more_body"):
            return


def bind_socket(host: str, port: int) -> socket.socket:
    """A listening TCP socket (port 0: any free port)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind((host, port))
    sock.listen(128)
    # not inherited (Python's default, said out loud): uvloop ignores close_fds, so an
    # inheritable socket would leak into every kernel and command; uvicorn gets the object
    sock.set_inheritable(False)
    return sock


def new_secret() -> str:
    return secrets.token_urlsafe(18)
