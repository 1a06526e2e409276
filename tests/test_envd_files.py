"""`sbx.files` of the unmodified SDK against the runtime's envd: every method, sync and async,
with its happy path and its errors; uploads that are whole or absent; watches in order.

Paths are relative to the sandbox user's home, which is the runtime's workspace (`runtime_cwd`),
or absolute under it: the test checks the files on disk directly, as the same machine sees them.
"""

from __future__ import annotations

import asyncio
import hashlib
import http.client
import io
import json
import os
import stat
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from e2b import (
    FileNotFoundException,
    FilesystemEventType,
    FileType,
    InvalidArgumentException,
    NotEnoughSpaceException,
    NotFoundException,
    SandboxException,
)
from e2b.sandbox.filesystem.filesystem import WriteEntry
from e2b_code_interpreter import Sandbox

from tests.envd_helpers import inotify_watch_count, runtime_pid, split_url, wait_for

MiB = 1024 * 1024


def envelope(message: dict) -> bytes:
    """One Connect streaming envelope (flags 0, big-endian length, JSON)."""
    data = json.dumps(message).encode()
    return b"\x00" + len(data).to_bytes(4, "big") + data


def leftovers(folder: Path) -> list[str]:
    return [p.name for p in folder.iterdir() if p.name.startswith(".e2b-upload-")]


# -- write and read ------------------------------------------------------------------------


def test_text_round_trip_relative_to_the_home(sandbox, runtime_cwd, workdir):
    rel, path = workdir
    info = sandbox.files.write(f"{rel}/notes.txt", "héllo wörld ✓\n")
    assert info.name == "notes.txt"
    assert info.type == FileType.FILE
    assert info.path == f"{runtime_cwd}/{rel}/notes.txt"
    assert (path / "notes.txt").read_text() == "héllo wörld ✓\n"
    assert sandbox.files.read(f"{rel}/notes.txt") == "héllo wörld ✓\n"
    assert sandbox.files.read(f"~/{rel}/notes.txt") == "héllo wörld ✓\n"
    assert sandbox.files.read(str(path / "notes.txt")) == "héllo wörld ✓\n"


def test_bytes_round_trip(sandbox, workdir):
    rel, path = workdir
    data = bytes(range(256)) * 64
    sandbox.files.write(f"{rel}/blob.bin", data)
    assert (path / "blob.bin").read_bytes() == data
    got = sandbox.files.read(f"{rel}/blob.bin", format="bytes")
    assert isinstance(got, bytearray) and got == data


def test_stream_read_and_streamed_writes(sandbox, workdir):
    rel, path = workdir
    data = os.urandom(3 * MiB + 17)
    sandbox.files.write(f"{rel}/from-file.bin", io.BytesIO(data))  # octet-stream, streamed
    sandbox.files.write(f"{rel}/from-chunks.bin", (data[i : i + 65536] for i in range(0, len(data), 65536)))
    for name in ("from-file.bin", "from-chunks.bin"):
        assert (path / name).read_bytes() == data
        with sandbox.files.read(f"{rel}/{name}", format="stream") as stream:
            assert b"".join(stream) == data


def test_gzip_both_ways(sandbox, runtime_url, workdir):
    rel, path = workdir
    text = "line of text\n" * 50_000
    sandbox.files.write(f"{rel}/packed.txt", text, gzip=True)
    assert (path / "packed.txt").read_text() == text
    assert sandbox.files.read(f"{rel}/packed.txt", gzip=True) == text
    # the download really is compressed on the wire when asked
    with httpx.Client() as client:
        response = client.get(
            f"{runtime_url}/files",
            params={"path": str(path / "packed.txt")},
            headers={"accept-encoding": "gzip"},
        )
    assert response.headers["content-encoding"] == "gzip"
    assert len(response.content) == len(text)  # httpx inflated it
    assert int(response.headers.get("content-length") or 0) == 0  # streamed, compressed


def test_write_files_several_in_one_call(sandbox, runtime_cwd, workdir):
    rel, path = workdir
    infos = sandbox.files.write_files(
        [
            WriteEntry(path=f"{rel}/a.txt", data="A"),
            WriteEntry(path=f"{rel}/deep/er/b.bin", data=b"\x00B"),
            WriteEntry(path=str(path / 'odd "name" ü.txt'), data="C"),
        ]
    )
    assert [i.path for i in infos] == [
        f"{runtime_cwd}/{rel}/a.txt",
        f"{runtime_cwd}/{rel}/deep/er/b.bin",
        str(path / 'odd "name" ü.txt'),
    ]
    assert (path / "a.txt").read_text() == "A"
    assert (path / "deep/er/b.bin").read_bytes() == b"\x00B"
    assert (path / 'odd "name" ü.txt').read_text() == "C"
    assert sandbox.files.write_files([]) == []


def test_overwrite_keeps_mode_and_writes_through_symlinks(sandbox, workdir):
    rel, path = workdir
    target = path / "private.txt"
    target.write_text("old")
    target.chmod(0o640)
    (path / "link.txt").symlink_to("private.txt")
    sandbox.files.write(f"{rel}/private.txt", "new")
    assert target.read_text() == "new"
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    sandbox.files.write(f"{rel}/link.txt", "via link")
    assert (path / "link.txt").is_symlink()
    assert target.read_text() == "via link"
    assert leftovers(path) == []


def test_metadata_is_stored_and_read_back(sandbox, workdir):
    rel, path = workdir
    info = sandbox.files.write(f"{rel}/tagged.txt", "x", metadata={"Owner": "me", "stage": "raw"})
    assert info.metadata == {"owner": "me", "stage": "raw"}
    assert os.getxattr(path / "tagged.txt", "user.e2b.owner") == b"me"
    assert sandbox.files.get_info(f"{rel}/tagged.txt").metadata == {"owner": "me", "stage": "raw"}
    listed = {e.name: e for e in sandbox.files.list(rel)}
    assert listed["tagged.txt"].metadata == {"owner": "me", "stage": "raw"}


def test_read_errors(sandbox, workdir):
    rel, path = workdir
    with pytest.raises(FileNotFoundException) as caught:
        sandbox.files.read(f"{rel}/missing.txt")
    assert "missing.txt" in str(caught.value) and "no such file" in str(caught.value)
    with pytest.raises(InvalidArgumentException, match="is a directory"):
        sandbox.files.read(rel)
    with pytest.raises(FileNotFoundException):
        sandbox.files.read(f"{rel}/missing.txt", format="stream")
    with pytest.raises(InvalidArgumentException, match="unknown user 'nobody'"):
        sandbox.files.read(f"{rel}/missing.txt", user="nobody")


def test_write_errors(sandbox, workdir):
    rel, path = workdir
    (path / "folder").mkdir()
    (path / "plain.txt").write_text("x")
    with pytest.raises(InvalidArgumentException, match="is a directory"):
        sandbox.files.write(f"{rel}/folder", "x")
    with pytest.raises(InvalidArgumentException, match="a parent in the path is a file"):
        sandbox.files.write(f"{rel}/plain.txt/inside.txt", "x")
    with pytest.raises(InvalidArgumentException, match="not a regular file"):
        sandbox.files.write("/dev/null", "x")
    with pytest.raises(SandboxException, match="403.*permission denied"):
        sandbox.files.write("/sys/e2b-workbench-test.txt", "x")
    assert leftovers(path) == []
    assert (path / "plain.txt").read_text() == "x"


def test_both_users_are_the_runtime_account(sandbox, workdir):
    rel, path = workdir
    sandbox.files.write(f"{rel}/as-root.txt", "r", user="root")
    assert sandbox.files.read(f"{rel}/as-root.txt", user="user") == "r"
    assert (path / "as-root.txt").stat().st_uid == os.geteuid()
    assert sandbox.files.exists(f"{rel}/as-root.txt", user="root")


# -- list, exists, get_info --------------------------------------------------------------------


def test_list_with_depth_and_entry_fields(sandbox, runtime_cwd, workdir):
    rel, path = workdir
    (path / "b.txt").write_text("12345")
    (path / "a").mkdir()
    (path / "a" / "inner.txt").write_text("x")
    (path / "a" / "deeper").mkdir()
    (path / "a" / "deeper" / "deepest.txt").write_text("x")
    (path / "link").symlink_to("b.txt")
    (path / "dangling").symlink_to("nowhere")
    (path / "b.txt").chmod(0o604)

    one = sandbox.files.list(rel)
    assert [e.name for e in one] == ["a", "b.txt", "dangling", "link"]
    two = sandbox.files.list(rel, depth=2)
    assert [e.path for e in two] == [
        f"{runtime_cwd}/{rel}/{p}" for p in ["a", "a/deeper", "a/inner.txt", "b.txt", "dangling", "link"]
    ]
    three = sandbox.files.list(rel, depth=3)
    assert f"{runtime_cwd}/{rel}/a/deeper/deepest.txt" in [e.path for e in three]

    entries = {e.name: e for e in one}
    b = entries["b.txt"]
    assert b.type == FileType.FILE and b.size == 5
    assert b.mode == 0o604 and b.permissions == "-rw----r--"
    assert b.owner and b.group and b.symlink_target is None
    assert abs(b.modified_time - datetime.now(UTC)) < timedelta(minutes=5)
    a = entries["a"]
    assert a.type == FileType.DIR and a.permissions.startswith("d")
    link = entries["link"]
    assert link.type == FileType.SYMLINK and link.symlink_target == str(path / "b.txt")
    assert link.permissions.startswith("L") and link.mode == 0o604
    assert entries["dangling"].type == FileType.SYMLINK


def test_list_errors(sandbox, workdir):
    rel, path = workdir
    (path / "file.txt").write_text("x")
    with pytest.raises(FileNotFoundException):
        sandbox.files.list(f"{rel}/missing")
    with pytest.raises(InvalidArgumentException, match="not a directory"):
        sandbox.files.list(f"{rel}/file.txt")
    with pytest.raises(InvalidArgumentException):
        sandbox.files.list(rel, depth=0)  # the SDK refuses it itself


def test_list_follows_a_symlinked_directory(sandbox, runtime_cwd, workdir):
    rel, path = workdir
    (path / "real").mkdir()
    (path / "real" / "x.txt").write_text("x")
    (path / "alias").symlink_to("real")
    assert [e.path for e in sandbox.files.list(f"{rel}/alias")] == [f"{runtime_cwd}/{rel}/alias/x.txt"]


def test_exists_and_get_info(sandbox, runtime_cwd, workdir):
    rel, path = workdir
    (path / "f.txt").write_text("abc")
    assert sandbox.files.exists(f"{rel}/f.txt")
    assert sandbox.files.exists(rel)
    assert not sandbox.files.exists(f"{rel}/nope")
    assert not sandbox.files.exists(f"{rel}/f.txt/under-a-file")
    info = sandbox.files.get_info(f"{rel}/f.txt")
    assert (info.name, info.type, info.size, info.path) == (
        "f.txt",
        FileType.FILE,
        3,
        f"{runtime_cwd}/{rel}/f.txt",
    )
    home = sandbox.files.get_info("")
    assert home.path == runtime_cwd and home.type == FileType.DIR
    with pytest.raises(FileNotFoundException, match="nope"):
        sandbox.files.get_info(f"{rel}/nope")


# -- make_dir, rename, remove -----------------------------------------------------------------


def test_make_dir(sandbox, workdir):
    rel, path = workdir
    assert sandbox.files.make_dir(f"{rel}/x/y/z") is True
    assert (path / "x/y/z").is_dir()
    assert sandbox.files.make_dir(f"{rel}/x/y/z") is False
    (path / "file").write_text("x")
    with pytest.raises(InvalidArgumentException, match="a file with that name exists"):
        sandbox.files.make_dir(f"{rel}/file")
    with pytest.raises(InvalidArgumentException, match="a parent in the path is a file"):
        sandbox.files.make_dir(f"{rel}/file/sub")
    with pytest.raises(SandboxException, match="permission denied"):
        sandbox.files.make_dir("/sys/e2b-workbench-test")


def test_rename(sandbox, runtime_cwd, workdir):
    rel, path = workdir
    (path / "old.txt").write_text("content")
    info = sandbox.files.rename(f"{rel}/old.txt", f"{rel}/new/place.txt")
    assert info.path == f"{runtime_cwd}/{rel}/new/place.txt" and info.type == FileType.FILE
    assert not (path / "old.txt").exists()
    assert (path / "new/place.txt").read_text() == "content"
    (path / "d1").mkdir()
    moved = sandbox.files.rename(f"{rel}/d1", f"{rel}/d2")
    assert moved.type == FileType.DIR and (path / "d2").is_dir()
    with pytest.raises(FileNotFoundException):
        sandbox.files.rename(f"{rel}/ghost", f"{rel}/anything")
    (path / "full").mkdir()
    (path / "full" / "x").write_text("x")
    with pytest.raises(SandboxException, match="not empty"):
        sandbox.files.rename(f"{rel}/d2", f"{rel}/full")


def test_remove(sandbox, workdir):
    rel, path = workdir
    (path / "f.txt").write_text("x")
    (path / "tree/a/b").mkdir(parents=True)
    (path / "tree/a/b/c.txt").write_text("x")
    (path / "target.txt").write_text("kept")
    (path / "link").symlink_to("target.txt")
    sandbox.files.remove(f"{rel}/f.txt")
    sandbox.files.remove(f"{rel}/tree")
    sandbox.files.remove(f"{rel}/link")
    assert sorted(p.name for p in path.iterdir()) == ["target.txt"]
    sandbox.files.remove(f"{rel}/never-there")  # as on E2B (os.RemoveAll): not an error


# -- async -------------------------------------------------------------------------------------


async def test_async_files_round_trip(async_sandbox, runtime_cwd, workdir):
    rel, path = workdir
    files = async_sandbox.files
    info = await files.write(f"{rel}/a.txt", "async ✓")
    assert info.path == f"{runtime_cwd}/{rel}/a.txt"
    assert await files.read(f"{rel}/a.txt") == "async ✓"
    data = os.urandom(2 * MiB)
    await files.write(f"{rel}/b.bin", io.BytesIO(data))
    assert await files.read(f"{rel}/b.bin", format="bytes") == data
    async with await files.read(f"{rel}/b.bin", format="stream") as stream:
        assert b"".join([chunk async for chunk in stream]) == data
    written = await files.write_files(
        [WriteEntry(path=f"{rel}/m/1.txt", data="1"), WriteEntry(path=f"{rel}/m/2.txt", data="2")]
    )
    assert [w.name for w in written] == ["1.txt", "2.txt"]
    assert [e.name for e in await files.list(rel, depth=2)] == ["a.txt", "b.bin", "m", "1.txt", "2.txt"]
    assert await files.exists(f"{rel}/m/2.txt") and not await files.exists(f"{rel}/zz")
    assert (await files.get_info(f"{rel}/m")).type == FileType.DIR
    assert await files.make_dir(f"{rel}/n") is True and await files.make_dir(f"{rel}/n") is False
    assert (await files.rename(f"{rel}/a.txt", f"{rel}/n/a.txt")).path == f"{runtime_cwd}/{rel}/n/a.txt"
    await files.remove(f"{rel}/m")
    assert sorted(p.name for p in path.iterdir()) == ["b.bin", "n"]
    with pytest.raises(FileNotFoundException):
        await files.read(f"{rel}/zz")
    with pytest.raises(FileNotFoundException):
        await files.get_info(f"{rel}/zz")


# -- atomic uploads and large files --------------------------------------------------------------


def test_an_interrupted_upload_leaves_no_partial_file(runtime_url, workdir):
    rel, path = workdir
    (path / "keep.bin").write_bytes(b"old content")
    origin, secret = split_url(runtime_url)
    host, port = origin.removeprefix("http://").split(":")
    for name in ("new.bin", "keep.bin"):
        conn = http.client.HTTPConnection(host, int(port), timeout=30)
        conn.putrequest("POST", f"/{secret}/files?path={rel}/{name}")
        conn.putheader("content-type", "application/octet-stream")
        conn.putheader("content-length", str(10 * MiB))
        conn.endheaders()
        conn.send(os.urandom(MiB))  # a tenth of what was announced, then the client is gone
        wait_for(lambda: leftovers(path), what="the upload's temporary file")
        conn.sock.close()
        wait_for(lambda: not leftovers(path), what="the temporary file to be removed")
    assert not (path / "new.bin").exists()
    assert (path / "keep.bin").read_bytes() == b"old content"


def test_an_upload_that_fails_midway_leaves_no_partial_file(sandbox, workdir):
    rel, path = workdir
    (path / "keep.txt").write_text("old")

    def chunks():
        yield b"x" * MiB
        yield "not bytes"  # the SDK refuses this chunk and abandons the request

    with pytest.raises(InvalidArgumentException):
        sandbox.files.write(f"{rel}/keep.txt", chunks())
    wait_for(lambda: not leftovers(path), what="the temporary file to be removed")
    assert (path / "keep.txt").read_text() == "old"


def _rss_peak_reset(pid: int) -> bool:
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")  # resets VmHWM (Linux >= 4.0)
        return True
    except OSError:
        return False


def _vm(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    raise AssertionError(f"no {field} in /proc/{pid}/status")


def test_a_large_file_round_trips_byte_for_byte_in_bounded_memory(sandbox, runtime, workdir, tmp_path):
    rel, path = workdir
    size = 200 * MiB
    source = tmp_path / "big.bin"
    digest = hashlib.sha256()
    with open(source, "wb") as out:
        block = os.urandom(MiB)
        for i in range(size // MiB):
            chunk = bytes([i % 251]) + block[1:]
            digest.update(chunk)
            out.write(chunk)
    pid = runtime_pid(runtime)
    can_reset = _rss_peak_reset(pid)
    before = _vm(pid, "VmRSS")

    start = time.monotonic()
    with open(source, "rb") as data:
        sandbox.files.write(f"{rel}/big.bin", data)
    upload_s = time.monotonic() - start
    assert (path / "big.bin").stat().st_size == size

    start = time.monotonic()
    back = hashlib.sha256()
    received = 0
    with sandbox.files.read(f"{rel}/big.bin", format="stream") as stream:
        for chunk in stream:
            back.update(chunk)
            received += len(chunk)
    download_s = time.monotonic() - start
    assert received == size and back.hexdigest() == digest.hexdigest()
    grown = (_vm(pid, "VmHWM") if can_reset else _vm(pid, "VmRSS")) - before
    source.unlink()  # pytest keeps the last runs' temp dirs: do not keep 400 MB in them
    (path / "big.bin").unlink()
    assert grown < 64 * MiB, f"the runtime grew by {grown / MiB:.0f} MiB moving {size // MiB} MiB"
    print(
        f"200 MiB: upload {upload_s:.2f} s, download {download_s:.2f} s, runtime RSS +{grown / MiB:.1f} MiB"
    )


def test_a_full_disk_is_not_enough_space(sandbox, tmp_path):
    mount = tmp_path / "small"
    mount.mkdir()
    if os.system(f"mount -t tmpfs -o size=1m tmpfs {mount} 2>/dev/null") != 0:
        pytest.skip("cannot mount a small tmpfs here (needs privileges)")
    try:
        with pytest.raises(NotEnoughSpaceException, match="no space left"):
            sandbox.files.write(str(mount / "big.bin"), b"x" * (2 * MiB))
        assert leftovers(mount) == []
        assert not (mount / "big.bin").exists()
    finally:
        os.system(f"umount {mount}")


# -- the secret path, and both encodings -----------------------------------------------------------


def test_requests_without_the_secret_are_refused_on_every_envd_route(runtime_url, workdir):
    rel, path = workdir
    origin, secret = split_url(runtime_url)
    stream = envelope({"path": rel})
    for prefix in (origin, f"{origin}/wrong-{secret[:5]}", f"{origin}/{secret}x"):
        with httpx.Client(timeout=30) as client:
            responses = [
                client.get(f"{prefix}/files", params={"path": str(path / "x.txt")}),
                client.post(f"{prefix}/files", params={"path": f"{rel}/x.txt"}, content=b"x"),
                client.post(f"{prefix}/files", files={"file": (f"{rel}/y.txt", b"y")}),
                client.post(f"{prefix}/filesystem.Filesystem/MakeDir", json={"path": f"{rel}/made"}),
                client.post(f"{prefix}/filesystem.Filesystem/Stat", json={"path": rel}),
                client.post(f"{prefix}/filesystem.Filesystem/ListDir", json={"path": rel}),
                client.post(f"{prefix}/filesystem.Filesystem/Remove", json={"path": rel}),
                client.post(f"{prefix}/filesystem.Filesystem/Move", json={"source": rel, "destination": "z"}),
                client.post(f"{prefix}/filesystem.Filesystem/CreateWatcher", json={"path": rel}),
                client.post(
                    f"{prefix}/filesystem.Filesystem/WatchDir",
                    content=stream,
                    headers={"content-type": "application/connect+json"},
                ),
                client.post(
                    f"{prefix}/process.Process/Start",
                    content=envelope({"process": {"cmd": "/bin/touch", "args": [str(path / "ran")]}}),
                    headers={"content-type": "application/connect+json"},
                ),
                client.post(f"{prefix}/process.Process/List", json={}),
                client.post(
                    f"{prefix}/process.Process/SendSignal", json={"process": {"pid": 1}, "signal": 9}
                ),
            ]
        for response in responses:
            assert response.status_code == 403, (response.request.url, response.status_code)
            assert secret not in response.text
    assert sorted(p.name for p in path.iterdir()) == []


def test_the_sdk_with_a_wrong_secret_gets_nothing(runtime_url, workdir):
    rel, path = workdir
    origin, _secret = split_url(runtime_url)
    intruder = Sandbox.create(debug=True, sandbox_url=f"{origin}/not-the-secret")
    with pytest.raises(SandboxException, match="403"):
        intruder.files.write(f"{rel}/x.txt", "x")
    with pytest.raises(SandboxException):
        intruder.files.list(rel)
    with pytest.raises(SandboxException):
        intruder.commands.run(f"touch {path}/ran")
    assert list(path.iterdir()) == []


def test_the_protobuf_encoding_works_too(runtime_url, runtime_cwd, workdir):
    """The SDK speaks Connect JSON; connectrpc's default client speaks binary protobuf."""
    from e2b.envd.filesystem import filesystem_connect
    from e2b.envd.filesystem import filesystem_pb as fs

    rel, path = workdir
    (path / "p.txt").write_text("proto")
    client = filesystem_connect.FilesystemClientSync(runtime_url)
    try:
        entry = client.stat(fs.StatRequest(path=f"{rel}/p.txt")).entry
        assert entry is not None and entry.size == 5 and entry.path == f"{runtime_cwd}/{rel}/p.txt"
        made = client.make_dir(fs.MakeDirRequest(path=f"{rel}/pd")).entry
        assert made is not None and made.type == fs.FileType.DIRECTORY
        assert [e.name for e in client.list_dir(fs.ListDirRequest(path=rel)).entries] == ["p.txt", "pd"]
    finally:
        client.close()


# -- watch_dir ---------------------------------------------------------------------------------------


def _events_until(handle, wanted: list[tuple[FilesystemEventType, str]], timeout: float = 15.0):
    """Collect a sync watcher's events until `wanted` has been seen, in that order."""
    seen: list[tuple[FilesystemEventType, str]] = []

    def probe() -> bool:
        seen.extend((e.type, e.name) for e in handle.get_new_events())
        it = iter(seen)
        return all(w in it for w in wanted)  # an ordered subsequence

    wait_for(probe, timeout, what=f"events {wanted}, seen {seen}")
    return seen


def test_watch_dir_reports_each_kind_of_event_in_order(sandbox, runtime, workdir):
    rel, path = workdir
    (path / "existing.txt").write_text("x")
    watches_before = inotify_watch_count(runtime_pid(runtime))
    handle = sandbox.files.watch_dir(rel)
    try:
        sandbox.files.write(f"{rel}/new.txt", "hello")
        with open(path / "existing.txt", "a") as f:
            f.write("more")
        os.chmod(path / "existing.txt", 0o600)
        os.rename(path / "existing.txt", path / "renamed.txt")
        os.unlink(path / "new.txt")
        E = FilesystemEventType
        seen = _events_until(
            handle,
            [
                (E.CREATE, "new.txt"),
                (E.WRITE, "new.txt"),
                (E.WRITE, "existing.txt"),
                (E.CHMOD, "existing.txt"),
                (E.RENAME, "existing.txt"),
                (E.CREATE, "renamed.txt"),
                (E.REMOVE, "new.txt"),
            ],
        )
        assert not any(name.startswith(".e2b-upload-") for _, name in seen)
    finally:
        handle.stop()
    with pytest.raises(SandboxException, match="already stopped"):
        handle.get_new_events()
    wait_for(
        lambda: inotify_watch_count(runtime_pid(runtime)) == watches_before, what="the watch to be dropped"
    )


def test_watch_dir_recursive_and_not(sandbox, workdir):
    rel, path = workdir
    (path / "sub").mkdir()
    flat = sandbox.files.watch_dir(rel)
    deep = sandbox.files.watch_dir(rel, recursive=True, include_entry=True)
    try:
        (path / "sub" / "inner.txt").write_text("x")
        (path / "sub" / "new" / "newer").mkdir(parents=True)
        (path / "sub" / "new" / "newer" / "leaf.txt").write_text("x")
        (path / "top.txt").write_text("x")
        E = FilesystemEventType
        seen = _events_until(
            deep,
            [
                (E.CREATE, "sub/inner.txt"),
                (E.CREATE, "sub/new"),
                (E.CREATE, "sub/new/newer/leaf.txt"),
                (E.CREATE, "top.txt"),
            ],
        )
        assert all(name for _, name in seen)
        flat_seen = _events_until(flat, [(E.CREATE, "top.txt")])
        assert not [n for _, n in flat_seen if n.startswith("sub/")]
        deep.get_new_events()
        (path / "top.txt").write_text("again")  # include_entry: the event carries the entry

        def entry_of_top():
            return [e.entry for e in deep.get_new_events() if e.name == "top.txt" and e.entry is not None]

        entries = wait_for(entry_of_top, what="an event with its entry")
        assert entries[0].path == str(path / "top.txt") and entries[0].type == FileType.FILE
    finally:
        flat.stop()
        deep.stop()


def test_watch_dir_errors(sandbox, workdir):
    rel, path = workdir
    (path / "file.txt").write_text("x")
    with pytest.raises(NotFoundException):
        sandbox.files.watch_dir(f"{rel}/missing")
    with pytest.raises(InvalidArgumentException, match="not a directory"):
        sandbox.files.watch_dir(f"{rel}/file.txt")


async def test_async_watch_dir_streams_events_and_stops_cleanly(async_sandbox, runtime, workdir):
    rel, path = workdir
    pid = runtime_pid(runtime)
    watches_before = inotify_watch_count(pid)
    events: asyncio.Queue = asyncio.Queue()
    exits: list = []
    handle = await async_sandbox.files.watch_dir(
        rel, on_event=events.put, on_exit=exits.append, recursive=True
    )
    assert inotify_watch_count(pid) > watches_before
    await async_sandbox.files.write(f"{rel}/a.txt", "a")
    await async_sandbox.files.make_dir(f"{rel}/d")
    await async_sandbox.files.write(f"{rel}/d/b.txt", "b")
    await async_sandbox.files.rename(f"{rel}/a.txt", f"{rel}/d/a.txt")
    await async_sandbox.files.remove(f"{rel}/d/b.txt")
    E = FilesystemEventType
    wanted = [
        (E.CREATE, "a.txt"),
        (E.WRITE, "a.txt"),
        (E.CREATE, "d"),
        (E.CREATE, "d/b.txt"),
        (E.WRITE, "d/b.txt"),
        (E.RENAME, "a.txt"),
        (E.CREATE, "d/a.txt"),
        (E.REMOVE, "d/b.txt"),
    ]
    seen: list = []
    async with asyncio.timeout(15):
        while seen != wanted:
            event = await events.get()
            if event.type != E.CHMOD:
                seen.append((event.type, event.name))
            assert seen == wanted[: len(seen)], seen
    await handle.stop()
    assert exits == [None]
    async with asyncio.timeout(15):
        while inotify_watch_count(pid) != watches_before:
            await asyncio.sleep(0.02)
    assert events.empty()


async def test_async_watch_dir_of_a_missing_folder(async_sandbox, workdir):
    rel, _path = workdir
    with pytest.raises(NotFoundException):
        await async_sandbox.files.watch_dir(f"{rel}/missing", on_event=lambda e: None)


def test_a_watched_folder_that_is_removed_ends_the_watch(sandbox, runtime, workdir):
    rel, path = workdir
    (path / "w").mkdir()
    pid = runtime_pid(runtime)
    before = inotify_watch_count(pid)
    handle = sandbox.files.watch_dir(f"{rel}/w")
    os.rmdir(path / "w")
    wait_for(lambda: inotify_watch_count(pid) == before, what="the watch of a removed folder to end")
    handle.get_new_events()
    handle.stop()
