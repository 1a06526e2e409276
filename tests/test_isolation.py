"""The isolated mode (bubblewrap), through the real SDK: code that tries to escape, and fails.

One isolated runtime for the module's tests (session-scoped), started with secrets in its own
environment that must never reach the sandbox. Each escape test names what it tries and what
it must see. Skipped, with the reason, where bubblewrap cannot run here; in CI (`CI` set)
it must run, so there the same condition fails instead.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from e2b import PtySize
from e2b.exceptions import SandboxException, TimeoutException
from e2b_code_interpreter import Sandbox

from tests.conftest import ISOLATION_PROBLEM, descendants, require_language, wait_gone
from tui.runtime.isolation.settings import Isolation
from tui.runtime.launcher import LocalRuntime

pytestmark = pytest.mark.timeout(240)

# secrets the runtime's own environment holds: none may be seen inside
SECRETS = {
    "E2B_API_KEY": f"e2b_{uuid.uuid4().hex}",
    "OPENAI_API_KEY": f"sk-{uuid.uuid4().hex}",
    "ANTHROPIC_API_KEY": f"sk-ant-{uuid.uuid4().hex}",
    "GITHUB_TOKEN": f"ghp_{uuid.uuid4().hex}",
    "AWS_SECRET_ACCESS_KEY": uuid.uuid4().hex,
}


def require_isolation() -> None:
    if ISOLATION_PROBLEM:
        if os.environ.get("CI"):
            pytest.fail(f"isolation must work in CI: {ISOLATION_PROBLEM}")
        pytest.skip(f"isolation is not available here: {ISOLATION_PROBLEM}")


def start_isolated(workspace: Path, **settings) -> LocalRuntime:
    env = {**os.environ, **SECRETS}
    rt = LocalRuntime(
        isolation=Isolation(workspace=str(workspace), **settings), env=env, prestart=False, spares=False
    )
    rt.start()
    return rt


def stop_cleanly(rt: LocalRuntime) -> None:
    assert rt.proc is not None
    kids = descendants(rt.proc.pid)
    rt.stop()
    left = wait_gone(kids)
    for pid in left:
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
    assert not left, f"the isolated runtime left processes behind: {left}"


@pytest.fixture(scope="module")
def isolated(tmp_path_factory) -> Iterator[LocalRuntime]:
    """An isolated runtime (small limits, so that exhausting them is quick), its workspace."""
    require_isolation()
    rt = start_isolated(tmp_path_factory.mktemp("isolated-home"), processes=256, memory_mb=1024)
    yield rt
    stop_cleanly(rt)


@pytest.fixture(scope="module")
def sbx(isolated: LocalRuntime) -> Sandbox:
    return Sandbox.create(debug=True, sandbox_url=isolated.url)


@pytest.fixture
def workspace(isolated: LocalRuntime) -> Path:
    assert isolated.isolation is not None
    return Path(isolated.isolation.workspace)


def out(execution) -> str:
    assert execution.error is None, f"unexpected error: {execution.error}"
    return "".join(execution.logs.stdout)


def lines(sbx: Sandbox, code: str, **kw) -> list[str]:
    return out(sbx.run_code(code, timeout=120, **kw)).splitlines()


def health(rt: LocalRuntime) -> int:
    return httpx.get(f"{rt.url}/health", timeout=10).status_code


# -- happy paths ----------------------------------------------------------------------------------


def test_python_and_bash_contexts_run_inside_as_user_in_home(sbx: Sandbox):
    assert lines(sbx, "import os, getpass\nprint(os.getcwd(), getpass.getuser(), os.environ['HOME'])") == [
        "/home/user user /home/user"
    ]
    assert lines(sbx, "whoami; pwd; hostname", language="bash") == ["user", "/home/user", "e2b-sandbox"]
    assert sbx.run_code("x = 1\nx + 1").text == "2"


def test_javascript_runs_through_the_bridge(sbx: Sandbox):
    require_language("javascript")
    ctx = sbx.create_code_context(language="javascript")
    try:
        assert lines(sbx, "console.log(Deno.cwd())", context=ctx) == ["/home/user"]
        assert sbx.run_code("const a = 20; a + 22", context=ctx).text == "42"
    finally:
        sbx.remove_code_context(ctx)


HOME_CODE = {
    "typescript": "const home: string = Deno.env.get('HOME') ?? ''; console.log(home)",
    "r": "cat(Sys.getenv('HOME'), '\\n', sep = '')",
    "java": 'System.out.println(System.getenv("HOME"));',
}


@pytest.mark.parametrize("language", sorted(HOME_CODE))
def test_every_other_language_runs_inside(sbx: Sandbox, language: str):
    require_language(language)
    ctx = sbx.create_code_context(language=language, request_timeout=180)
    try:
        assert lines(sbx, HOME_CODE[language], context=ctx) == ["/home/user"]
    finally:
        sbx.remove_code_context(ctx)


def test_files_write_read_and_list_under_home_and_tmp(sbx: Sandbox, workspace: Path):
    name = f"notes-{uuid.uuid4().hex[:8]}"
    sbx.files.write(f"{name}/a.txt", "from the SDK\n")
    assert (workspace / name / "a.txt").read_text() == "from the SDK\n"  # the workspace is /home/user
    assert lines(sbx, f"print(open('/home/user/{name}/a.txt').read().strip())") == ["from the SDK"]
    out(sbx.run_code(f"open('{name}/b.txt', 'w').write('from the kernel')"))
    assert sbx.files.read(f"/home/user/{name}/b.txt") == "from the kernel"
    assert sorted(e.name for e in sbx.files.list(name)) == ["a.txt", "b.txt"]
    entry = sbx.files.get_info(f"{name}/a.txt")
    assert (entry.path, entry.owner) == (f"/home/user/{name}/a.txt", "user")
    # the sandbox's /tmp is its own: the same file for files and code, not this machine's /tmp
    tmp_name = f"/tmp/{name}.txt"
    sbx.files.write(tmp_name, "tmp")
    assert lines(sbx, f"print(open('{tmp_name}').read())") == ["tmp"]
    assert not Path(tmp_name).exists()


def tiny_wheel(folder: Path, name: str) -> Path:
    """A wheel of one pure-Python module (`VALUE = 42`), built by hand: no index, no network."""
    import base64
    import hashlib
    import zipfile

    info = f"{name}-0.1.dist-info"
    files = {
        f"{name}/__init__.py": b"VALUE = 42\n",
        f"{info}/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: 0.1\n".encode(),
        f"{info}/WHEEL": b"Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    record = []
    for path, data in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record.append(f"{path},sha256={digest},{len(data)}")
    files[f"{info}/RECORD"] = ("\n".join([*record, f"{info}/RECORD,,"]) + "\n").encode()
    wheel = folder / f"{name}-0.1-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        for path, data in files.items():
            archive.writestr(path, data)
    return wheel


def test_pip_install_goes_to_the_home_and_the_environment_stays_as_it_was(sbx: Sandbox, workspace: Path):
    name = f"e2btiny{uuid.uuid4().hex[:6]}"
    wheel = tiny_wheel(workspace, name)
    seen = lines(
        sbx,
        f"%pip install -q --no-index /home/user/{wheel.name}\nimport {name}, sys\n"
        f"print({name}.VALUE, {name}.__file__)\nprint(sys.prefix)",
    )
    value, where = seen[-2].split()
    assert value == "42" and where.startswith("/home/user/.local/lib/python"), seen
    assert next(workspace.glob(f".local/lib/python*/site-packages/{name}/__init__.py"))  # yours, kept
    prefix = seen[-1]  # the sandbox's environment: read-only, unchanged
    assert not list(Path(prefix).glob(f"lib/python*/site-packages/{name}"))
    assert sbx.commands.run(f"python -c 'import {name}; print({name}.VALUE)'").stdout == "42\n"


def test_a_watch_sees_what_the_sandbox_writes(sbx: Sandbox):
    folder = f"w-{uuid.uuid4().hex[:8]}"
    sbx.files.make_dir(folder)
    watcher = sbx.files.watch_dir(folder)
    try:
        out(sbx.run_code(f"open('{folder}/made.txt', 'w').write('x')"))
        deadline = time.monotonic() + 20
        names: set[str] = set()
        while "made.txt" not in names and time.monotonic() < deadline:
            names |= {e.name for e in watcher.get_new_events()}
        assert "made.txt" in names
    finally:
        watcher.stop()


def test_commands_and_a_terminal_run_inside(sbx: Sandbox):
    done = sbx.commands.run("id -un; pwd; echo $HOME; hostname")
    assert done.stdout.split() == ["user", "/home/user", "/home/user", "e2b-sandbox"]
    term = sbx.pty.create(PtySize(rows=24, cols=80))
    seen: list[bytes] = []
    sbx.pty.send_stdin(term.pid, b"echo pty=$((6*7)); whoami; exit\n")
    term.wait(on_pty=seen.append)
    text = b"".join(seen).decode(errors="replace")
    assert "pty=42" in text and "user" in text


def test_get_sandbox_says_isolated(isolated: LocalRuntime, runtime_url: str):
    said = httpx.get(f"{isolated.url}/sandbox").json()
    assert said["isolated"] is True and said["network"] is False and said["home"] == "/home/user"
    assert said["limits"]["memory_mb"] == 1024 and said["limits"]["processes"] == 256
    assert httpx.get(f"{runtime_url}/sandbox").json()["isolated"] is False


# -- escapes that must fail -----------------------------------------------------------------------


@pytest.fixture
def home_markers() -> Iterator[tuple[Path, Path]]:
    """A marker file in the runtime user's real home, and one in its ~/.ssh."""
    home = Path.home()
    ssh = home / ".ssh"
    made_ssh = not ssh.exists()
    ssh.mkdir(mode=0o700, exist_ok=True)
    token = uuid.uuid4().hex
    marker = home / f".e2b-isolation-{token}"
    key = ssh / f"id_e2b_isolation_{token}"
    marker.write_text(token)
    key.write_text(token)
    try:
        yield marker, key
    finally:
        marker.unlink(missing_ok=True)
        key.unlink(missing_ok=True)
        if made_ssh:
            with contextlib.suppress(OSError):
                ssh.rmdir()


def test_the_real_home_and_ssh_keys_are_invisible(sbx: Sandbox, home_markers):
    marker, key = home_markers
    code = (
        "import os\n"
        f"for p in ({str(marker)!r}, {str(key)!r}, {str(key.parent)!r}):\n"
        "    try:\n"
        "        open(p).read() if os.path.isfile(p) or not os.path.isdir(p) else os.listdir(p)\n"
        "        print('READ', p)\n"
        "    except OSError as e:\n"
        "        print(type(e).__name__)\n"
        f"print(sorted(os.listdir({str(marker.parent)!r})) if os.path.isdir({str(marker.parent)!r}) else 'no home')"
    )
    seen = lines(sbx, code)
    assert seen[:3] == ["FileNotFoundError"] * 3, seen
    assert marker.name not in seen[3] and ".ssh" not in seen[3], seen  # only tool folders, if any
    # the same through files, and through a symlink the sandbox's code plants in its workspace
    for path in (str(marker), str(key)):
        with pytest.raises(SandboxException):
            sbx.files.read(path)
    link = f"escape-{uuid.uuid4().hex[:6]}"
    out(sbx.run_code(f"import os\nos.symlink({str(key)!r}, '{link}')"))
    with pytest.raises(SandboxException):
        sbx.files.read(link)
    assert sbx.commands.run(f"cat {key} || echo refused", timeout=30).stdout.strip().endswith("refused")


def test_writing_outside_the_workspace_is_refused(sbx: Sandbox):
    name = f"e2b-escape-{uuid.uuid4().hex[:8]}"
    targets = [
        f"/usr/{name}",
        f"/etc/{name}",
        f"/{name}",
        f"/run/{name}",
        f"/var/{name}",
        f"{Path.home()}/{name}",
    ]
    code = (
        "import errno\n"
        f"for p in {targets!r}:\n"
        "    try:\n"
        "        open(p, 'w').write('x')\n"
        "        print('WROTE', p)\n"
        "    except OSError as e:\n"
        "        print(errno.errorcode[e.errno])\n"
    )
    assert set(lines(sbx, code)) <= {"EROFS", "EACCES", "ENOENT", "EPERM"}
    for path in targets:
        assert not Path(path).exists(), f"{path} was written on this machine"
    with pytest.raises(SandboxException, match="read-only|permission denied"):
        sbx.files.write(f"/usr/{name}", "x")
    with pytest.raises(SandboxException):
        sbx.files.write(f"/etc/{name}", "x")
    assert sbx.commands.run(f"touch /usr/{name} || echo refused").stdout.strip().endswith("refused")


@pytest.fixture
def host_server() -> Iterator[tuple[int, list]]:
    """A TCP server on this machine's 127.0.0.1, recording who connects."""
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.2)
    accepted: list = []
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, peer = server.accept()
            except OSError:
                continue
            accepted.append(peer)
            conn.sendall(b"hello from the host\n")
            conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield server.getsockname()[1], accepted
    stop.set()
    thread.join()
    server.close()


CONNECT = (
    "import socket\n"
    "for host, port in (('127.0.0.1', {port}), ('pypi.org', 443)):\n"
    "    try:\n"
    "        s = socket.create_connection((host, port), timeout=5)\n"
    "        print('CONNECTED', host, s.recv(100))\n"
    "    except OSError as e:\n"
    "        print(type(e).__name__)\n"
)


def test_no_network_neither_this_machine_nor_a_registry(sbx: Sandbox, host_server):
    port, accepted = host_server
    seen = lines(sbx, CONNECT.format(port=port))
    assert seen[0] == "ConnectionRefusedError"  # its 127.0.0.1 is its own, and nothing listens there
    assert seen[1] in ("gaierror", "OSError", "TimeoutError")  # no DNS, no route
    assert not accepted
    done = sbx.commands.run(f"exec 3<>/dev/tcp/127.0.0.1/{port} && echo CONNECTED || echo refused")
    assert done.stdout.strip() == "refused" and not accepted


def test_network_flag_gives_the_network_back(tmp_path: Path, host_server):
    require_isolation()
    port, accepted = host_server
    rt = start_isolated(tmp_path, network=True)
    try:
        sbx = Sandbox.create(debug=True, sandbox_url=rt.url)
        assert httpx.get(f"{rt.url}/sandbox").json()["network"] is True
        seen = lines(sbx, CONNECT.format(port=port))
        assert seen[0] == "CONNECTED 127.0.0.1 b'hello from the host\\n'"
        assert accepted
    finally:
        stop_cleanly(rt)


def test_its_code_cannot_stop_the_sandbox_s_own_processes(sbx: Sandbox):
    """PID 1 (the agent) ignores every signal from inside, SIGKILL included; the file worker can be
    killed (one user), and the next file operation gets a new one."""
    workers = "pgrep -f 'isolation/[a]gent.py' | grep -vx 1"
    before = sbx.commands.run(workers).stdout.split()
    done = sbx.commands.run(f"kill -9 1; kill -9 $({workers}); echo sent")
    assert done.stdout.strip().endswith("sent")
    sbx.files.write("after-kill.txt", "still here")
    assert sbx.files.read("after-kill.txt") == "still here"
    after = sbx.commands.run(workers).stdout.split()
    assert before and after and not set(before) & set(after), (before, after)  # a new worker
    assert sbx.commands.run("echo alive").stdout == "alive\n"  # and the same PID 1


def test_host_processes_are_invisible_and_out_of_reach(sbx: Sandbox, isolated: LocalRuntime):
    assert isolated.proc is not None
    me, runtime = os.getpid(), isolated.proc.pid
    code = (
        "import os\n"
        f"for pid in ({me}, {runtime}):\n"
        "    try:\n"
        "        os.kill(pid, 0)\n"
        "        print('REACHED', pid, open(f'/proc/{pid}/cmdline').read())\n"
        "    except OSError as e:\n"
        "        print(type(e).__name__)\n"
        "pids = [int(p) for p in os.listdir('/proc') if p.isdigit()]\n"
        "print(max(pids), any('pytest' in open(f'/proc/{p}/cmdline').read() for p in pids if os.path.exists(f'/proc/{p}/cmdline')))"
    )
    first, second, last = lines(sbx, code)
    assert (first, second) == ("ProcessLookupError", "ProcessLookupError")
    assert last.split()[1] == "False"  # no process of this machine in its /proc
    done = sbx.commands.run(f"kill -0 {me} 2>&1 || echo refused")
    assert done.stdout.strip().endswith("refused")


def test_the_runtime_secret_and_its_folder_are_nowhere_inside(sbx: Sandbox, isolated: LocalRuntime):
    secret = isolated.url.rsplit("/", 1)[1]
    code = (
        "import os\n"
        f"secret = {secret!r}.encode()\n"
        "found = [k for k, v in os.environ.items() if secret in v.encode()]\n"
        "for pid in [p for p in os.listdir('/proc') if p.isdigit()]:\n"
        "    for part in ('cmdline', 'environ'):\n"
        "        try:\n"
        "            if secret in open(f'/proc/{pid}/{part}', 'rb').read(): found.append(f'/proc/{pid}/{part}')\n"
        "        except OSError: pass\n"
        "skip = ('/usr', '/proc', '/sys', '/dev', '/opt', '/lib', '/lib64', '/bin', '/sbin')\n"
        "for top in [d for d in os.listdir('/') if '/' + d not in skip]:\n"
        "    for folder, _dirs, names in os.walk('/' + top):\n"
        "        if '/site-packages' in folder or '/lib/python' in folder: continue\n"
        "        for n in names:\n"
        "            p = os.path.join(folder, n)\n"
        "            try:\n"
        "                if os.path.isfile(p) and os.path.getsize(p) < 2**20 and secret in open(p, 'rb').read(): found.append(p)\n"
        "            except OSError: pass\n"
        "print(found)\n"
        "print([p for p in os.listdir('/tmp') if p.startswith('e2b-workbench-')])"
    )
    assert lines(sbx, code) == ["[]", "[]"]
    # each kernel's directory holds only its own connection file and sockets
    conn = lines(
        sbx,
        "import os, json, ipykernel.connect\nf = ipykernel.connect.get_connection_file()\n"
        "print(f)\nprint(json.dumps(os.listdir(os.path.dirname(f))))",
    )
    assert conn[0].startswith("/run/e2b/kernels/") and conn[0].endswith("/kernel.json")
    assert set(json.loads(conn[1])) <= {"kernel.json", *(f"kernel-{n}" for n in range(1, 6))}


def test_no_secret_of_the_runtime_s_environment_gets_in(sbx: Sandbox):
    code = "import os, json\nprint(json.dumps(dict(os.environ)))"
    for env in (
        json.loads(out(sbx.run_code(code))),
        dict(line.split("=", 1) for line in sbx.commands.run("env").stdout.splitlines() if "=" in line),
    ):
        assert not [k for k in env if k.startswith("E2B_")], env
        leaked = [k for k, v in env.items() if any(s in v for s in SECRETS.values())]
        assert not leaked and not set(SECRETS) & set(env), env


def test_a_fork_bomb_ends_with_a_clear_error_and_the_runtime_survives(sbx: Sandbox, isolated: LocalRuntime):
    ctx = sbx.create_code_context()
    try:
        bomb = (
            "import os, time\n"
            "while True:\n"
            "    if os.fork() == 0:\n"
            "        time.sleep(600)\n"
            "        os._exit(0)\n"
        )
        started = time.monotonic()
        execution = sbx.run_code(bomb, context=ctx, timeout=120)
        assert execution.error is not None and execution.error.name == "BlockingIOError", execution.error
        assert "Resource temporarily unavailable" in execution.error.value
        assert time.monotonic() - started < 60
        assert health(isolated) == 200
    finally:
        sbx.remove_code_context(ctx)  # and with its kernel, every process it forked
    # the sandbox has room again: the bomb's processes went with their context
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with contextlib.suppress(SandboxException):
            if int(sbx.commands.run("ls /proc | grep -c '^[0-9]'", timeout=30).stdout) < 50:
                break
        time.sleep(0.1)
    assert sbx.run_code("1 + 1", timeout=120).text == "2"
    # a shell's fork bomb in a command: it runs until the command's deadline, then its session goes
    with pytest.raises(TimeoutException):
        sbx.commands.run("b() { b | b & }; b; sleep 600", timeout=10)
    assert health(isolated) == 200
    assert sbx.commands.run("echo alive", timeout=60).stdout.strip() == "alive"


def test_exhausting_memory_is_a_memory_error_and_the_runtime_survives(sbx: Sandbox, isolated: LocalRuntime):
    ctx = sbx.create_code_context()
    try:
        execution = sbx.run_code(
            "kept = 'state'\nchunks = []\nwhile True:\n    chunks.append(bytearray(64 * 2**20))",
            context=ctx,
            timeout=120,
        )
        error = execution.error
        assert error is not None
        assert health(isolated) == 200
        if error.name == "MemoryError":  # its own limit: the context lives on
            assert sbx.run_code("del chunks\nkept", context=ctx).text == "state"
        else:  # the whole sandbox's (other kernels hold memory too): the OOM killer ended it, and says so
            assert error.name == "ContextRestarting" and "ran out of memory" in error.value, error
            assert sbx.run_code("1 + 1", context=ctx, timeout=120).text == "2"
    finally:
        sbx.remove_code_context(ctx)


def test_every_process_of_the_sandbox_dies_with_a_killed_runtime(tmp_path: Path):
    require_isolation()
    rt = start_isolated(tmp_path / "home")
    assert rt.proc is not None
    try:
        sbx = Sandbox.create(debug=True, sandbox_url=rt.url)
        # a daemon of its own session, with a cleared environment: the PID namespace still holds it
        out(
            sbx.run_code(
                "import subprocess\n"
                "subprocess.Popen(['sleep', '1000'], start_new_session=True, env={})\n"
                "subprocess.Popen(['setsid', 'sleep', '1001'], env={})"
            )
        )
        sbx.commands.run("sleep 1002", background=True)
        deadline = time.monotonic() + 20
        sleepers: set[int] = set()
        while len(sleepers) < 3 and time.monotonic() < deadline:
            sleepers = {p for p in descendants(rt.proc.pid) if _cmdline(p).startswith(b"sleep\x00100")}
            time.sleep(0.05)
        assert len(sleepers) == 3, "the sleepers did not start"
        everything = descendants(rt.proc.pid)
        folder = next(
            p for p in Path("/tmp").glob("e2b-workbench-*") if (p / "sandbox").exists() and _owned_by(p, rt)
        )
        rt.proc.send_signal(signal.SIGKILL)
        rt.proc.wait(30)
        assert not wait_gone(everything, 15), "a process of the sandbox outlived its runtime"
        deadline = time.monotonic() + 10
        while folder.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not folder.exists(), "the runtime's private folder (kernel keys) was left behind"
    finally:
        rt.stop()


def test_a_sandbox_that_died_is_started_again_and_says_so(tmp_path: Path):
    """Its container killed (what a memory cgroup's OOM killer could do to its PID 1): every
    context hears that its kernel died, and the next run, command or file operation gets a new
    sandbox. The run that comes once bubblewrap has exited runs there, however soon: the agent
    can outlive bubblewrap for a moment, and a run that went to its dying kernel was lost."""
    require_isolation()
    rt = start_isolated(tmp_path / "home")
    assert rt.proc is not None
    try:
        sbx = Sandbox.create(debug=True, sandbox_url=rt.url)
        ctx = sbx.create_code_context()
        assert sbx.run_code("x = 1; x", context=ctx).text == "1"
        container = next(p for p in descendants(rt.proc.pid) if _cmdline(p).startswith(b"/usr/bin/bwrap"))
        os.kill(container, signal.SIGKILL)
        assert not wait_gone({container}, 10)
        first = sbx.run_code("y = 2; y", context=ctx, timeout=120)
        assert first.error is None, first.error  # it ran, on the new kernel
        said = "".join(first.logs.stderr)
        assert "died" in said and "state is fresh" in said, said
        assert first.text == "2" and first.execution_count == 1, first
        then = sbx.run_code("y + 1", context=ctx, timeout=120)
        assert then.error is None, then.error  # one death, one restart: y is still there
        assert then.text == "3" and then.logs.stderr == [], then
        assert sbx.commands.run("echo again").stdout == "again\n"
        sbx.files.write("after.txt", "ok")
        assert sbx.files.read("after.txt") == "ok"
    finally:
        stop_cleanly(rt)


def test_a_process_that_ends_before_the_runtime_hears_of_its_start_is_still_started(tmp_path: Path):
    """A busy runtime can read the answer to a spawn only after the process has ended and PID 1
    has reaped it (a quick command, a loaded machine): its start still succeeds, with its pid
    outside, and its exit status is not lost (that start failed, as "process limit reached")."""
    require_isolation()
    import asyncio

    from tui.runtime.isolation.client import Sandbox as Container

    async def main() -> None:
        box = Container(Isolation(workspace=str(tmp_path / "home")), tmp_path / "private")
        await box.start()
        assert box.proc is not None
        null = os.open(os.devnull, os.O_RDWR)
        try:
            running = set(descendants(box.proc.pid))  # the agent and its file worker
            for code in (0, 3):
                marker = box.tmp / f"ran-{code}"
                argv = ["/bin/sh", "-c", f": > /tmp/{marker.name}; exit {code}"]
                spawning = asyncio.ensure_future(box.spawn(argv, cwd="/", env={}, stdio=[null] * 3))
                await asyncio.sleep(0)  # the request goes out; the event loop is then held up
                deadline = time.monotonic() + 30
                while not (marker.exists() and descendants(box.proc.pid) <= running):  # ran, then reaped
                    assert time.monotonic() < deadline, "the process did not run and end"
                    time.sleep(0.01)
                process = await spawning
                assert process.pid > 0 and process.inner_pid > 1
                assert await asyncio.wait_for(process.wait(), 10) == code
        finally:
            os.close(null)
            await box.stop()

    asyncio.run(main())


def test_the_isolate_setting_starts_an_isolated_runtime(tmp_path: Path, home):
    """What the app does with `isolate = true`: its session's runtime is isolated, and says so."""
    require_isolation()
    import asyncio

    from tui.core.session import Session
    from tui.core.target import Target

    session = Session(Target(mode="local", isolate=True, ephemeral=True))
    try:
        asyncio.run(session.open())
        assert session.isolated is True
        assert session.sandbox_info is not None and session.sandbox_info["ephemeral"] is True
        workspace = Path(session.sandbox_info["workspace"])
        assert workspace.is_dir()
    finally:
        session.close()
    assert not workspace.exists(), "an ephemeral workspace outlived its sandbox"


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def _owned_by(folder: Path, rt: LocalRuntime) -> bool:
    try:
        return int((folder / "owner").read_text().split()[0]) == rt.proc.pid  # type: ignore[union-attr]
    except (OSError, ValueError, IndexError):
        return False


# -- the commands: isolated by default for code from a model, refused without bubblewrap --------------


CLI = [sys.executable, "-m", "tui"]


def run_cli(*args: str, stdin: str = "", env: dict[str, str] | None = None, cwd: Path | None = None):
    base = {k: v for k, v in os.environ.items() if k not in ("E2B_API_KEY", "E2B_WORKBENCH_ISOLATE")}
    return subprocess.run(
        [*CLI, *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=180,
        env={**base, **(env or {})},
        cwd=cwd,
    )


def test_tool_call_runs_isolated_by_default(tmp_path: Path):
    require_isolation()
    call = {"code": "import os, getpass\nprint(os.getcwd(), getpass.getuser())"}
    done = run_cli("tool", "call", "--local", stdin=json.dumps(call), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["stdout"] == "/home/user user\n"


def test_without_bubblewrap_tool_call_and_mcp_refuse_unless_told_otherwise(tmp_path: Path):
    no_bwrap = {"PATH": str(tmp_path)}  # no bwrap on PATH (nor anything else: python is run by path)
    for command in (
        ["tool", "call", "--local"],
        ["mcp", "--local"],
        ["tool", "call", "--local", "--isolate"],
    ):
        done = run_cli(*command, stdin='{"code": "1"}', env=no_bwrap, cwd=tmp_path)
        assert done.returncode == 2, (command, done.stdout, done.stderr)
        assert "apt-get install -y bubblewrap" in done.stderr and "--no-isolate" in done.stderr
        assert done.stdout == ""  # nothing ran
    done = run_cli(
        "tool",
        "call",
        "--local",
        "--no-isolate",
        stdin='{"code": "import os; os.getcwd()"}',
        env=no_bwrap,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["text"] == str(tmp_path.resolve())


def test_tool_call_on_a_running_runtime_needs_it_to_be_isolated(isolated: LocalRuntime, runtime_url: str, tmp_path):
    call = '{"code": "import os; os.getcwd()"}'
    done = run_cli("tool", "call", "--url", runtime_url, stdin=call, cwd=tmp_path)
    assert done.returncode == 2 and "is not isolated" in done.stderr and "--no-isolate" in done.stderr
    assert runtime_url.rsplit("/", 1)[1] not in done.stderr  # its secret stays unsaid
    done = run_cli("tool", "call", "--url", isolated.url, stdin=call, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["text"] == "/home/user"


def test_a_workspace_that_would_show_the_home_is_refused(tmp_path: Path):
    require_isolation()
    for folder in (str(Path.home()), "/"):
        done = run_cli("tool", "call", "--local", "--cwd", folder, stdin='{"code": "1"}', cwd=tmp_path)
        assert done.returncode == 2 and "would put your home" in done.stderr, done.stderr
    # a folder of yours is never made ephemeral (removed at the end)
    mine = tmp_path / "mine"
    mine.mkdir()
    done = run_cli("tool", "call", "--local", "--cwd", str(mine), "--ephemeral", stdin='{"code": "1"}', cwd=tmp_path)
    assert done.returncode == 2 and "cannot be combined with --cwd" in done.stderr, done.stderr
    assert mine.is_dir()


def test_doctor_says_whether_isolation_works():
    done = run_cli("doctor")
    assert done.returncode == 0
    if ISOLATION_PROBLEM:
        assert "Isolation: not available" in done.stdout
    else:
        assert "Isolation: ok" in done.stdout


async def test_the_app_header_says_whether_the_sandbox_is_isolated(
    isolated: LocalRuntime, runtime_url: str, home
):
    await _header_ends_with(isolated.url, "· isolated")
    await _header_ends_with(runtime_url, "· not isolated")


async def _header_ends_with(url: str, said: str) -> None:
    from tui.app import WorkbenchApp
    from tui.core.session import Session
    from tui.demo import wait_ready, wait_until

    app = WorkbenchApp(session=Session(url=url))
    async with app.run_test(size=(120, 30)) as pilot:
        await wait_ready(pilot)
        await wait_until(pilot, lambda: app.sub_title.endswith(said), what=f"the header to say {said!r}")


def test_tool_folders_in_the_hosts_tmp_are_mounted_over_the_private_tmp():
    """A checkout (its venv, the workbench itself) under the host's /tmp: the sandbox's private
    /tmp is mounted after the tool folders and hid it, so no kernel could start (every isolation
    test failed in a clone made in /tmp). Such folders are mounted again, after /tmp."""
    from tui.runtime.isolation import bwrap

    folder = Path("/tmp") / f"e2b-workbench-tool-{uuid.uuid4().hex[:8]}"
    (folder / "bin").mkdir(parents=True)
    try:
        tools = [str(folder), str(folder / "bin"), "/usr/bin"]
        assert str(folder) not in bwrap.mounts(tools)  # early, /tmp would cover it
        assert bwrap.late_mounts(tools) == ["--ro-bind", str(folder), str(folder)]  # once, the outer one
        isolation = Isolation(workspace=str(folder / "bin"))
        argv = bwrap.argv(isolation, tmp="/nonexistent-tmp", kernels="/nonexistent-k", data_fds={}, agent=["true"])
        private_tmp = argv.index("/nonexistent-tmp")
        in_tmp = [i for i, arg in enumerate(argv) if arg == "--ro-bind" and argv[i + 1].startswith("/tmp/")]
        assert all(i > private_tmp for i in in_tmp), argv  # (this checkout's, when it is in /tmp)
    finally:
        import shutil

        shutil.rmtree(folder)
