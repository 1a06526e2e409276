"""`sbx.commands` of the unmodified SDK against the runtime's envd, sync and async: foreground
and background commands, envs, cwd, stdin, timeouts, list, connect, kill, exit codes; and the
safety rules: only the runtime's own processes are reachable, children die with their command,
descriptors are not inherited, and every process ends when the runtime stops.

A command is killed only after it printed a marker (see tests/envd_helpers.py: a login shell
killed during start-up can leave a lock of the machine's profile behind).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from pathlib import Path

import pytest
from e2b import (
    CommandExitException,
    InvalidArgumentException,
    NotFoundException,
    SandboxException,
    TimeoutException,
)
from e2b.envd.process import process_connect
from e2b.envd.process import process_pb as pb
from e2b_code_interpreter import Sandbox
from protobuf import Oneof

from tests.envd_helpers import alive, wait_for
from tui.runtime.launcher import LocalRuntime


def first_stdout(handle, marker: str) -> str:
    """Iterate a background handle until `marker` appears on its stdout; return what came."""
    seen = ""
    for stdout, _stderr, _pty in handle:
        seen += stdout or ""
        if marker in seen:
            return seen
    raise AssertionError(f"the command ended before printing {marker!r}: {seen!r}")


# -- foreground ----------------------------------------------------------------------------


def test_foreground_command_output_and_default_cwd(sandbox, runtime_cwd):
    result = sandbox.commands.run("echo out; echo err >&2; pwd")
    assert result.exit_code == 0
    assert result.stdout == f"out\n{runtime_cwd}\n"
    assert result.stderr == "err\n"
    assert result.error is None


def test_non_zero_exit_raises_command_exit_exception(sandbox):
    with pytest.raises(CommandExitException) as caught:
        sandbox.commands.run("echo partial; echo broken >&2; exit 3")
    err = caught.value
    assert err.exit_code == 3
    assert err.stdout == "partial\n" and err.stderr == "broken\n"
    assert err.error == "exit status 3"
    assert "Command exited with code 3" in str(err)


def test_envs_and_cwd(sandbox, runtime_cwd, workdir):
    rel, path = workdir
    result = sandbox.commands.run('echo "$GREETING $OTHER"', envs={"GREETING": "hi there", "OTHER": "x"})
    assert result.stdout == "hi there x\n"
    assert sandbox.commands.run("pwd", cwd=rel).stdout == f"{path}\n"
    assert sandbox.commands.run("pwd", cwd=str(path)).stdout == f"{path}\n"
    assert sandbox.commands.run("pwd", cwd="~").stdout == f"{runtime_cwd}\n"
    with pytest.raises(InvalidArgumentException, match="not an existing directory"):
        sandbox.commands.run("pwd", cwd=f"{rel}/missing")


def test_output_streams_to_callbacks_in_order(sandbox):
    out: list[str] = []
    err: list[str] = []
    sandbox.commands.run(
        "for i in 1 2 3; do echo o$i; echo e$i >&2; done",
        on_stdout=out.append,
        on_stderr=err.append,
    )
    assert "".join(out) == "o1\no2\no3\n"
    assert "".join(err) == "e1\ne2\ne3\n"


def test_binary_and_large_output(sandbox):
    result = sandbox.commands.run("head -c 3000000 /dev/zero | tr '\\0' 'a'; printf '\\xff\\n'")
    assert len(result.stdout) == 3_000_002
    assert result.stdout.endswith("\ufffd\n")


def test_users(sandbox):
    assert sandbox.commands.run("id -u", user="root").stdout == f"{os.geteuid()}\n"
    assert sandbox.commands.run("id -u", user="user").stdout == f"{os.geteuid()}\n"
    with pytest.raises(InvalidArgumentException, match="unknown user 'nobody'"):
        sandbox.commands.run("true", user="nobody")


def test_timeout_kills_the_command(sandbox, workdir):
    _rel, path = workdir
    with pytest.raises(TimeoutException):
        sandbox.commands.run(f"echo $$ > {path}/pid; exec sleep 60", timeout=2)
    pid = int((path / "pid").read_text())
    wait_for(lambda: not alive(pid), what="the timed-out command to be killed")
    wait_for(lambda: pid not in [p.pid for p in sandbox.commands.list()], what="the list to drop it")


# -- stdin ---------------------------------------------------------------------------------


def test_stdin_send_and_close(sandbox):
    handle = sandbox.commands.run("echo ready; cat", background=True, stdin=True)
    first_stdout(handle, "ready")
    handle.send_stdin("line one\n")
    sandbox.commands.send_stdin(handle.pid, b"line two\n")
    handle.close_stdin()
    result = handle.wait()
    assert result.stdout == "ready\nline one\nline two\n"


def test_stream_input(sandbox):
    handle = sandbox.commands.run("echo ready; wc -c", background=True, stdin=True)
    first_stdout(handle, "ready")
    sandbox.commands.stream_input(handle.pid, [b"abc", "déf", b"\n"])
    sandbox.commands.close_stdin(handle.pid)
    assert handle.wait().stdout == "ready\n8\n"


def test_stdin_is_refused_when_not_asked_for(sandbox):
    handle = sandbox.commands.run("echo ready; sleep 30", background=True)
    try:
        first_stdout(handle, "ready")
        with pytest.raises(SandboxException, match="stdin=True"):
            handle.send_stdin("x")
    finally:
        handle.kill()


def test_commands_read_no_stdin_by_default(sandbox):
    assert sandbox.commands.run("cat; echo done").stdout == "done\n"


# -- background, list, connect, kill -------------------------------------------------------------


def test_background_list_and_kill(sandbox, runtime_cwd):
    handle = sandbox.commands.run("echo ready; sleep 60", background=True, envs={"TAGGED": "1"})
    first_stdout(handle, "ready")
    listed = {p.pid: p for p in sandbox.commands.list()}
    assert handle.pid in listed
    info = listed[handle.pid]
    assert info.cmd == "/bin/bash" and info.args == ["-l", "-c", "echo ready; sleep 60"]
    assert info.envs == {"TAGGED": "1"} and info.cwd == runtime_cwd and info.tag is None
    assert handle.kill() is True
    with pytest.raises(CommandExitException) as caught:
        handle.wait()
    assert caught.value.exit_code == -1 and caught.value.error == "signal: killed"
    assert handle.pid not in [p.pid for p in sandbox.commands.list()]
    assert sandbox.commands.kill(handle.pid) is False


def test_kill_takes_the_whole_process_group(sandbox):
    handle = sandbox.commands.run("sleep 60 & echo child=$!; sleep 60; wait", background=True)
    child = int(first_stdout(handle, "child=").split("child=")[1].split()[0])
    assert alive(child)
    assert sandbox.commands.kill(handle.pid) is True
    wait_for(lambda: not alive(child) and not alive(handle.pid), what="the command and its child to die")


def test_connect_and_disconnect(sandbox):
    handle = sandbox.commands.run(
        "echo ready; read line; echo got $line; sleep 60", background=True, stdin=True
    )
    first_stdout(handle, "ready")
    handle.disconnect()  # the command keeps running
    assert handle.pid in [p.pid for p in sandbox.commands.list()]
    again = sandbox.commands.connect(handle.pid)
    again.send_stdin("hello\n")
    assert first_stdout(again, "got hello") == "got hello\n"
    assert again.kill() is True
    with pytest.raises(CommandExitException):
        again.wait()


def test_unknown_and_foreign_pids_are_not_found(sandbox):
    """The runtime only reaches its own processes: this test's pid is a live process of the machine."""
    foreign = os.getpid()
    assert sandbox.commands.kill(foreign) is False
    assert alive(foreign)
    with pytest.raises(NotFoundException, match=f"pid {foreign} not found"):
        sandbox.commands.send_stdin(foreign, "x")
    with pytest.raises(NotFoundException):
        sandbox.commands.connect(foreign)
    with pytest.raises(NotFoundException):
        sandbox.commands.close_stdin(foreign)
    assert foreign not in [p.pid for p in sandbox.commands.list()]
    assert sandbox.commands.kill(2**31 - 1) is False


def test_finished_commands_leave_the_list(sandbox):
    handle = sandbox.commands.run("echo quick", background=True)
    assert handle.wait().stdout == "quick\n"
    wait_for(lambda: handle.pid not in [p.pid for p in sandbox.commands.list()], what="the list to drop it")
    with pytest.raises(NotFoundException):
        sandbox.commands.connect(handle.pid)


def test_no_descriptor_of_the_runtime_is_inherited(sandbox):
    """A command gets stdin, stdout and stderr, nothing else (no listening socket, no kernel pipes)."""
    # `ls` lists the shell's descriptors from outside (`; true`: the shell stays, it does not exec ls)
    listing = sandbox.commands.run("ls -l /proc/$$/fd; true").stdout
    descriptors = [line.split(" -> ")[0].split()[-1] for line in listing.splitlines()[1:]]
    assert descriptors == ["0", "1", "2"], listing


def _listening_inode(port: int) -> str:
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError), open(table) as f:
            for line in f.readlines()[1:]:
                fields = line.split()
                if fields[3] == "0A" and int(fields[1].rsplit(":", 1)[1], 16) == port:
                    return fields[9]
    raise AssertionError(f"no listening socket on port {port}")


def test_kernels_do_not_inherit_the_listening_socket(sandbox, runtime_url):
    """uvloop ignores close_fds: the runtime's socket must not be inheritable (it used to be)."""
    inode = _listening_inode(int(runtime_url.split(":")[2].split("/")[0]))
    kernel = int(sandbox.run_code("import os; os.getpid()").text)
    held = {os.readlink(fd) for fd in Path(f"/proc/{kernel}/fd").iterdir() if fd.name.isdigit()}
    assert f"socket:[{inode}]" not in held


def test_tags_and_the_protobuf_encoding(runtime_url, runtime_cwd):
    """A process started with a tag (what E2B's start commands use) is found by it; binary protobuf."""
    client = process_connect.ProcessClientSync(runtime_url)
    try:
        events = client.start(
            pb.StartRequest(
                process=pb.ProcessConfig(cmd="/bin/sh", args=["-c", "echo ready; exec sleep 60"]),
                tag="my-server",
            )
        )
        first = next(events)
        pid = first.event.event.value.pid
        data = next(events)
        assert data.event.event.value.output == Oneof("stdout", b"ready\n")
        listed = {p.pid: p for p in client.list(pb.ListRequest()).processes}
        assert listed[pid].tag == "my-server" and listed[pid].config.cwd == runtime_cwd
        by_tag = pb.ProcessSelector(selector=Oneof("tag", "my-server"))
        client.send_signal(pb.SendSignalRequest(process=by_tag, signal=pb.Signal.SIGTERM))
        rest = list(events)
        end = rest[-1].event.event.value
        assert (end.exit_code, end.exited, end.status) == (-1, False, "signal: terminated")
    finally:
        client.close()


# -- the runtime's end is every command's end -------------------------------------------------------


@pytest.mark.parametrize("how", ["SIGTERM", "SIGKILL"])
def test_commands_end_with_the_runtime(tmp_path, how):
    rt = LocalRuntime(cwd=str(tmp_path), spares=False, prestart=False)
    rt.start()
    try:
        sbx = Sandbox.create(debug=True, sandbox_url=rt.url)
        # `exec sleep`: the runtime's direct child, which PR_SET_PDEATHSIG covers even on SIGKILL
        direct = sbx.commands.run("echo ready; exec sleep 300", background=True)
        first_stdout(direct, "ready")
        group = sbx.commands.run("sleep 300 & echo child=$!; sleep 300", background=True)
        child = int(first_stdout(group, "child=").split("child=")[1].split()[0])
        # a command that ended but left a child running in its session (`server &`)
        orphan = int(sbx.commands.run("sleep 300 >/dev/null 2>&1 & echo $!").stdout)
        assert alive(orphan)
        assert rt.proc is not None
        if how == "SIGTERM":
            rt.stop()
            pids = (direct.pid, group.pid, child, orphan)
            wait_for(lambda: not any(map(alive, pids)), what="every command and child to end")
        else:
            rt.proc.send_signal(signal.SIGKILL)
            rt.proc.wait()
            wait_for(lambda: not alive(direct.pid) and not alive(group.pid), what="direct children to die")
            # grandchildren outlive a SIGKILLed runtime (documented); clean them up
            with contextlib.suppress(ProcessLookupError):
                os.killpg(group.pid, signal.SIGKILL)
            with contextlib.suppress(ProcessLookupError):
                os.kill(orphan, signal.SIGKILL)
            wait_for(
                lambda: not alive(child) and not alive(orphan), what="the grandchildren to be cleaned up"
            )
    finally:
        rt.stop()


# -- async ----------------------------------------------------------------------------------------


async def test_async_commands(async_sandbox, runtime_cwd):
    commands = async_sandbox.commands
    result = await commands.run("echo $X; pwd", envs={"X": "async"})
    assert result.stdout == f"async\n{runtime_cwd}\n"
    with pytest.raises(CommandExitException) as caught:
        await commands.run("exit 7")
    assert caught.value.exit_code == 7

    got: asyncio.Queue[str] = asyncio.Queue()
    handle = await commands.run(
        "echo ready; read line; echo got $line; sleep 60", background=True, stdin=True, on_stdout=got.put
    )
    async with asyncio.timeout(15):
        assert await got.get() == "ready\n"
    assert handle.pid in [p.pid for p in await commands.list()]
    await commands.send_stdin(handle.pid, "there\n")
    async with asyncio.timeout(15):
        assert await got.get() == "got there\n"
    other = await commands.connect(handle.pid)
    assert await commands.kill(handle.pid) is True
    with pytest.raises(CommandExitException):
        await handle.wait()
    with pytest.raises(CommandExitException):
        await other.wait()
    assert await commands.kill(handle.pid) is False
    with pytest.raises(TimeoutException):
        await commands.run("exec sleep 60", timeout=1)
    with pytest.raises(NotFoundException):
        await commands.send_stdin(os.getpid(), "x")
