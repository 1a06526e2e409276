"""envd's plain-HTTP `/files`: download (GET) and upload (POST) of whole files, streamed.

What the SDK sends (e2b 2.63, envd "newest" in debug mode): `files.read` is `GET /files?path=P`
(`Accept-Encoding: gzip` with `gzip=True`); `files.write` / `write_files` of str and bytes is
a `multipart/form-data` POST whose `file` parts carry the path as their filename (plus
`?path=P` when there is one file); a stream, an iterable, or `gzip=True` is an
`application/octet-stream` POST of one file per request with `?path=P` (and `Content-Encoding:
gzip`). `username` names the user, `X-Metadata-<key>` headers the file metadata. The answer
is a JSON list of `{name, type, path}` (plus `metadata`), errors `{"code", "message"}` with the
status the SDK maps to its exceptions (404 missing, 400 invalid, 507 disk full).

Nothing is held in memory: a download is read and sent in 1 MiB chunks (gzip compressed on
the fly when the client asked for gzip itself, see `_gzip_asked`), and an upload is written, as it arrives, to a temporary file beside the
target (`.e2b-upload-*`, which watches never report) that is renamed over the target only once
complete. An upload that fails or is cut off deletes its temporary file: a reader never sees a
half-written file, and the old content stays until the new one is whole. Overwriting keeps the
old file's permission bits; writing through a symlink replaces the file it points at. Paths
are opened by the file backend (`storage.py`: here, or inside the isolated sandbox); the bytes
go through the descriptor it hands back, in worker threads, so a slow disk never stalls the
event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import zlib
from collections.abc import Awaitable, Callable, Sequence
from typing import Any
from urllib.parse import parse_qs, quote

from python_multipart.multipart import MultipartParser, parse_options_header

from ..fileops import write_metadata
from .errors import EnvdError, from_os_error, invalid
from .paths import Users
from .storage import FileBackend, run

CHUNK = 1024 * 1024
METADATA_HEADER = "x-metadata-"
# what the SDK itself accepts (e2b/sandbox/filesystem/filesystem.py): header tokens, printable ASCII
_METADATA_KEY = re.compile(r"\A[A-Za-z0-9!#$%&'*+\-.^_`|~]+\Z")
_METADATA_VALUE = re.compile(r"\A[\x20-\x7e]*\Z")
# httpx percent-escapes '"' and control characters in a multipart filename
_HTTPX_ESCAPES = re.compile(r"%(22|[01][0-9A-Fa-f])")

Receive = Callable[[], Awaitable[dict]]
Send = Callable[[dict], Awaitable[None]]


class ClientGone(Exception):
    """The client disconnected before its request body was complete."""


async def send_json(
    send: Send, status: int, payload: Any, headers: Sequence[tuple[bytes, bytes]] = ()
) -> None:
    body = json.dumps(payload).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def send_error(send: Send, err: EnvdError) -> None:
    await send_json(send, err.http_status, {"code": err.http_status, "message": err.message})


def _headers(scope: dict) -> dict[str, str]:
    found: dict[str, str] = {}
    for key, value in scope.get("headers", ()):
        name = key.decode("latin-1").lower()
        text = value.decode("latin-1")
        found[name] = f"{found[name]}, {text}" if name in found else text
    return found


def _metadata(headers: dict[str, str]) -> dict[str, str]:
    found: dict[str, str] = {}
    for name, value in headers.items():
        if not name.startswith(METADATA_HEADER):
            continue
        key = name[len(METADATA_HEADER) :]
        if not _METADATA_KEY.match(key) or not _METADATA_VALUE.match(value):
            raise invalid(f"invalid metadata {key!r}: keys are header tokens, values printable ASCII")
        found[key.lower()] = value
    return found


class Upload:
    """One file being written: a temporary file beside the target (made by the file backend,
    where the path resolves), written here through its descriptor, renamed over the target
    only when complete."""

    def __init__(self, files: FileBackend, path: str):
        self.files = files
        self.path = path  # as reported back
        self.target = path
        self.fd: int | None = None
        self.tmp = ""
        self.mode: int | None = None
        self.buffer = bytearray()

    async def open(self) -> None:
        """Create the parents and the temporary file."""
        self.fd, self.tmp, self.target, self.mode = await run(self.files.open_upload(self.path))

    def _write(self, data: bytes | bytearray) -> None:
        assert self.fd is not None
        view = memoryview(data)
        while view:
            view = view[os.write(self.fd, view) :]

    async def write(self, data: bytes) -> None:
        """Buffer, and write in 1 MiB blocks from a worker thread."""
        self.buffer += data
        if len(self.buffer) >= CHUNK:
            block, self.buffer = self.buffer, bytearray()
            await self._in_thread(self._write, block)

    async def _in_thread(self, fn: Callable[..., Any], *args: Any) -> Any:
        try:
            return await asyncio.to_thread(fn, *args)
        except OSError as err:
            raise from_os_error(err, "cannot write", self.path) from None

    def _finish(self, block: bytes, metadata: dict[str, str]) -> None:
        assert self.fd is not None
        self._write(block)
        if metadata:
            write_metadata(self.fd, metadata)
        if self.mode is not None:
            os.fchmod(self.fd, self.mode)
        os.close(self.fd)
        self.fd = None

    async def finish(self, metadata: dict[str, str]) -> dict[str, Any]:
        block, self.buffer = bytes(self.buffer), bytearray()
        await self._in_thread(self._finish, block, metadata)
        await run(self.files.commit_upload(self.tmp, self.target, self.path))
        self.tmp = ""
        info: dict[str, Any] = {"name": os.path.basename(self.path), "type": "file", "path": self.path}
        if metadata:
            info["metadata"] = metadata
        return info

    def abort(self) -> None:
        """Drop the temporary file: the target keeps its old content (or stays absent)."""
        if self.fd is not None:
            with contextlib.suppress(OSError):
                os.close(self.fd)
            self.fd = None
        if self.tmp:
            self.files.discard_upload(self.tmp)
            self.tmp = ""


class FilesEndpoint:
    """`GET /files` and `POST /files` (an ASGI app, routed by Starlette)."""

    def __init__(self, users: Users, files: FileBackend):
        self.users = users
        self.files = files

    async def __call__(self, scope: dict, receive: Receive, send: Send) -> None:
        try:
            if scope["method"] == "GET":
                await self.download(scope, receive, send)
            elif scope["method"] == "POST":
                await self.upload(scope, receive, send)
            else:
                message = f"/files answers GET (download) and POST (upload), not {scope['method']}"
                await send_json(send, 405, {"code": 405, "message": message}, [(b"allow", b"GET, POST")])
        except EnvdError as err:
            await send_error(send, err)
        except ClientGone:
            return

    def _params(self, scope: dict) -> dict[str, str]:
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
        params = {k: v[-1] for k, v in query.items()}
        self.users.check(params.get("username"))
        return params

    # -- download ---------------------------------------------------------------------------

    async def download(self, scope: dict, receive: Receive, send: Send) -> None:
        params = self._params(scope)
        if not params.get("path"):
            raise invalid("the 'path' query parameter is required: which file to read")
        path = self.users.resolve(params["path"])

        fd, size = await run(self.files.open_read(path))
        handle = open(fd, "rb", buffering=0)  # noqa: SIM115 - closed below
        gone = asyncio.ensure_future(_wait_disconnect(receive))  # stop reading for a client that left
        try:
            gzip = _gzip_asked(_headers(scope).get("accept-encoding", ""))
            name = os.path.basename(path)
            headers = [
                (b"content-type", b"application/octet-stream"),
                (b"content-disposition", f"attachment; filename*=UTF-8''{quote(name)}".encode()),
                (b"cache-control", b"no-store"),
            ]
            if gzip:
                headers += [(b"content-encoding", b"gzip"), (b"vary", b"Accept-Encoding")]
            else:
                headers.append((b"content-length", str(size).encode()))
            await send({"type": "http.response.start", "status": 200, "headers": headers})
            compressor = zlib.compressobj(6, zlib.DEFLATED, 31) if gzip else None
            while not gone.done():
                chunk = await asyncio.to_thread(handle.read, CHUNK)
                if not chunk:
                    break
                if compressor is not None:
                    chunk = compressor.compress(chunk)
                    if not chunk:
                        continue
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
            tail = compressor.flush() if compressor is not None else b""
            await send({"type": "http.response.body", "body": tail, "more_body": False})
        finally:
            gone.cancel()
            handle.close()

    # -- upload -----------------------------------------------------------------------------

    async def upload(self, scope: dict, receive: Receive, send: Send) -> None:
        params = self._params(scope)
        headers = _headers(scope)
        metadata = _metadata(headers)
        encoding = headers.get("content-encoding", "identity").strip().lower()
        if encoding not in ("identity", "gzip", ""):
            raise invalid(f"unsupported Content-Encoding {encoding!r}: send identity or gzip")
        body = _body(receive, gzip=encoding == "gzip")
        content_type, options = parse_options_header(headers.get("content-type", ""))
        if content_type == b"multipart/form-data":
            boundary = options.get(b"boundary")
            if not boundary:
                raise invalid("a multipart upload needs a boundary in its Content-Type")
            written = await self._multipart(body, boundary, params.get("path"), metadata)
        else:
            if not params.get("path"):
                raise invalid("the 'path' query parameter is required: where to write the file")
            upload = Upload(self.files, self.users.resolve(params["path"]))
            await upload.open()
            try:
                async for chunk in body:
                    await upload.write(chunk)
                written = [await upload.finish(metadata)]
            except BaseException:
                upload.abort()
                raise
        await send_json(send, 200, written)

    async def _multipart(
        self, body: Any, boundary: bytes, path: str | None, metadata: dict[str, str]
    ) -> list[dict[str, Any]]:
        """Each `file` part streamed to its own file; other fields are skipped."""
        actions: list[tuple[str, Any]] = []
        header: dict[str, bytearray] = {"field": bytearray(), "value": bytearray()}
        part_headers: dict[str, str] = {}

        def on_header_field(data: bytes, start: int, end: int) -> None:
            header["field"] += data[start:end]

        def on_header_value(data: bytes, start: int, end: int) -> None:
            header["value"] += data[start:end]

        def on_header_end() -> None:
            part_headers[header["field"].decode("latin-1").lower()] = header["value"].decode("latin-1")
            header["field"], header["value"] = bytearray(), bytearray()

        def on_headers_finished() -> None:
            actions.append(("begin", dict(part_headers)))
            part_headers.clear()

        def on_part_data(data: bytes, start: int, end: int) -> None:
            actions.append(("data", bytes(data[start:end])))

        def on_part_end() -> None:
            actions.append(("end", None))

        parser = MultipartParser(
            boundary,
            {
                "on_header_field": on_header_field,
                "on_header_value": on_header_value,
                "on_header_end": on_header_end,
                "on_headers_finished": on_headers_finished,
                "on_part_data": on_part_data,
                "on_part_end": on_part_end,
            },
        )
        written: list[dict[str, Any]] = []
        upload: Upload | None = None
        skipping = False
        files = 0
        try:
            async for chunk in body:
                try:
                    parser.write(chunk)
                except Exception as err:  # the parser's own errors: a malformed body
                    raise invalid(f"the multipart body is malformed: {err}") from None
                for kind, value in actions:
                    if kind == "begin":
                        _, options = parse_options_header(value.get("content-disposition", ""))
                        skipping = options.get(b"name") != b"file"
                        if skipping:
                            continue
                        files += 1
                        if path and files > 1:
                            raise invalid("'path' names one file, but the upload has several: leave it out")
                        target = path or _filename(options.get(b"filename"))
                        if not target:
                            raise invalid("a file part has no filename and there is no 'path' parameter")
                        upload = Upload(self.files, self.users.resolve(target))
                        await upload.open()
                    elif kind == "data" and not skipping and upload is not None:
                        await upload.write(value)
                    elif kind == "end" and not skipping and upload is not None:
                        written.append(await upload.finish(metadata))
                        upload = None
                actions.clear()
            parser.finalize()
        except BaseException:
            if upload is not None:
                upload.abort()
            raise
        if upload is not None:  # the body ended inside a part
            upload.abort()
            raise invalid("the multipart body ended in the middle of a file")
        if not written:
            raise invalid("the upload has no file: send a multipart part named 'file'")
        return written


def _gzip_asked(accept_encoding: str) -> bool:
    """Whether the client asked for gzip itself (`files.read(gzip=True)` sends exactly `gzip`).

    HTTP transports also offer codings by default (the SDK's sends `zstd,gzip,br` on every
    request); the runtime answers those with identity, which a server may always do: over
    loopback, compressing costs CPU on both ends and saves nothing (a 100 MB read took 2.3 s
    compressed against 0.05 s plain).
    """
    codings = {}
    for item in accept_encoding.lower().split(","):
        name, _, params = item.strip().partition(";")
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                q = 0.0
        if name.strip():
            codings[name.strip()] = q
    return codings.get("gzip", 0) > 0 and all(
        q == 0 for c, q in codings.items() if c not in ("gzip", "identity")
    )


def _filename(raw: bytes | None) -> str:
    """A part's filename (the target path): UTF-8, with httpx's percent escapes undone."""
    if not raw:
        return ""
    name = raw.decode("latin-1").encode("latin-1").decode("utf-8", "replace")
    return _HTTPX_ESCAPES.sub(lambda m: chr(int(m.group(1), 16)), name)


async def _wait_disconnect(receive: Receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass


async def _body(receive: Receive, gzip: bool) -> Any:
    """The request body as it arrives (inflated when gzip), in bounded pieces."""
    inflater = zlib.decompressobj(47) if gzip else None  # gzip or zlib header
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientGone
        chunk = message.get("body", b"")
        if inflater is None:
            if chunk:
                yield chunk
        else:
            data = chunk
            while data:
                try:
                    out = inflater.decompress(data, CHUNK)
                except zlib.error as err:
                    raise invalid(f"the gzip body is corrupt: {err}") from None
                if out:
                    yield out
                data = inflater.unconsumed_tail
        if not message.get("more_body"):
            if inflater is not None:
                tail = inflater.flush()
                if tail:
                    yield tail
                if not inflater.eof:
                    raise invalid("the gzip body is truncated")
            return
