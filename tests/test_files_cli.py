"""`e2b-workbench files` and `run --upload/--download` as a user runs them: real processes,
the real SDK, the session's runtime (by `--url`) or one started for the command, and the
fake cloud for a sandbox named by id."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from e2b_code_interpreter import Sandbox

from tests.fake_cloud import GOOD_KEY

CLI = [sys.executable, "-m", "tui"]
REPO = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.timeout(240)


def cli(*args: str, cwd: Path, env: dict[str, str] | None = None, timeout: float = 180):
    return subprocess.run(
        [*CLI, *args],
        capture_output=True,
        cwd=cwd,
        timeout=timeout,
        env={**os.environ, "PYTHONPATH": str(REPO), **(env or {})},
    )


def test_put_ls_get_rm_round_trip_through_a_running_runtime(runtime_url, workdir, tmp_path: Path):
    rel, remote_dir = workdir
    here = tmp_path / "here"
    here.mkdir()
    big = here / "big.bin"
    big.write_bytes(os.urandom(3 * 1024 * 1024 + 17))
    (here / "tree" / "sub").mkdir(parents=True)
    (here / "tree" / "a.txt").write_text("alpha\n")
    (here / "tree" / "sub" / "b.txt").write_text("beta\n")
    url = ["--url", runtime_url]

    done = cli("files", "put", "big.bin", f"{rel}/", "--progress", *url, cwd=here)
    assert done.returncode == 0, done.stderr
    assert (remote_dir / "big.bin").read_bytes() == big.read_bytes()
    assert b"100%" in done.stderr and b"MB/s" in done.stderr  # the progress line
    done = cli("files", "put", "tree", rel, *url, cwd=here)
    assert done.returncode == 0, done.stderr
    assert (remote_dir / "tree" / "sub" / "b.txt").read_text() == "beta\n"

    listed = cli("files", "ls", rel, "--depth", "3", *url, cwd=here)
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.decode().splitlines()
    assert [line.split()[-1] for line in lines] == [
        "big.bin",
        "tree/",
        "tree/a.txt",
        "tree/sub/",
        "tree/sub/b.txt",
    ]
    as_json = json.loads(cli("files", "ls", rel, "--json", *url, cwd=here).stdout)
    assert {e["name"]: e["type"] for e in as_json} == {"big.bin": "file", "tree": "dir"}
    assert as_json[0]["size"] == big.stat().st_size

    out = tmp_path / "out"
    out.mkdir()
    done = cli("files", "get", f"{rel}/big.bin", *url, cwd=out)
    assert done.returncode == 0, done.stderr
    assert (out / "big.bin").read_bytes() == big.read_bytes()
    done = cli("files", "get", f"{rel}/tree", "copy/", *url, cwd=out)
    assert done.returncode == 0, done.stderr
    assert (out / "copy" / "tree" / "sub" / "b.txt").read_text() == "beta\n"
    piped = cli("files", "get", f"{rel}/tree/a.txt", "-", *url, cwd=out)
    assert (piped.returncode, piped.stdout) == (0, b"alpha\n")

    # never replaced without --force: the old content stays, nothing is half-written
    (out / "big.bin").write_bytes(b"mine")
    refused = cli("files", "get", f"{rel}/big.bin", *url, cwd=out)
    assert refused.returncode == 1
    assert b"already exists on this machine" in refused.stderr and b"--force" in refused.stderr
    assert (out / "big.bin").read_bytes() == b"mine"
    forced = cli("files", "get", f"{rel}/big.bin", "--force", *url, cwd=out)
    assert forced.returncode == 0, forced.stderr
    assert (out / "big.bin").read_bytes() == big.read_bytes()
    assert not list(out.glob(".*.part")), "a temporary file was left behind"

    missing = cli("files", "get", f"{rel}/nope.txt", *url, cwd=out)
    assert missing.returncode == 1
    assert f"No such file or folder in the sandbox: {rel}/nope.txt".encode() in missing.stderr
    assert not (out / "nope.txt").exists()
    no_local = cli("files", "put", "nope.txt", *url, cwd=out)
    assert no_local.returncode == 1 and b"No such file or folder here: nope.txt" in no_local.stderr

    done = cli("files", "rm", f"{rel}/tree", f"{rel}/big.bin", *url, cwd=out)
    assert done.returncode == 0, done.stderr
    assert list(remote_dir.iterdir()) == []
    again = cli("files", "rm", f"{rel}/tree", *url, cwd=out)
    assert again.returncode == 1 and b"No such file or folder" in again.stderr


def test_without_a_url_a_runtime_is_started_for_the_command_over_cwd(tmp_path: Path):
    workspace = tmp_path / "ws"
    workspace.mkdir()
    (tmp_path / "local.txt").write_text("from here\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("E2B_")}
    done = subprocess.run(
        [*CLI, "files", "put", "local.txt", "--local", "--cwd", str(workspace)],
        capture_output=True,
        cwd=tmp_path,
        env={**env, "PYTHONPATH": str(REPO)},
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert (workspace / "local.txt").read_text() == "from here\n"
    # E2B_DEBUG with E2B_SANDBOX_URL (what `serve` tells you to export) is a running runtime too
    bad = subprocess.run(
        [*CLI, "files", "ls"],
        capture_output=True,
        cwd=tmp_path,
        env={**env, "PYTHONPATH": str(REPO), "E2B_DEBUG": "true", "E2B_SANDBOX_URL": "http://127.0.0.1:9/x"},
        timeout=120,
    )
    assert bad.returncode == 2, bad.stderr
    assert b"Cannot reach the runtime at http://127.0.0.1:9/" in bad.stderr


def test_run_uploads_before_and_downloads_after(runtime_url, tmp_path: Path):
    (tmp_path / "in.csv").write_text("a,b\n1,2\n3,4\n")
    script = tmp_path / "job.py"
    script.write_text(
        "import pandas as pd\n"
        "df = pd.read_csv('up/in.csv')\n"
        "df['c'] = df.a * 10\n"
        "df.to_csv('result.csv', index=False)\n"
        "print(len(df), 'rows')\n"
    )
    args = ["run", "job.py", "--url", runtime_url, "--upload", "in.csv:up/in.csv", "--download", "result.csv"]
    done = cli(*args, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert b"2 rows" in done.stdout
    assert (tmp_path / "result.csv").read_text() == "a,b,c\n1,2,10\n3,4,30\n"
    assert b"uploaded in.csv -> up/in.csv" in done.stderr
    # a second run would replace result.csv: refused before the code runs
    (tmp_path / "result.csv").write_text("keep me")
    refused = cli(*args, cwd=tmp_path)
    assert refused.returncode == 2 and b"--force" in refused.stderr
    assert b"rows" not in refused.stdout
    assert (tmp_path / "result.csv").read_text() == "keep me"
    forced = cli(*args, "--force", "--download", "up:back/", cwd=tmp_path)
    assert forced.returncode == 0, forced.stderr
    assert (tmp_path / "result.csv").read_text().startswith("a,b,c")
    assert (tmp_path / "back" / "up" / "in.csv").read_text() == "a,b\n1,2\n3,4\n"
    # a download after code that raised still happens; the exit code says the code raised
    (tmp_path / "fail.py").write_text("open('partial.txt', 'w').write('so far')\n1 / 0\n")
    failed = cli("run", "fail.py", "--url", runtime_url, "--download", "partial.txt", cwd=tmp_path)
    assert failed.returncode == 1, failed.stderr
    assert (tmp_path / "partial.txt").read_text() == "so far"
    bad = cli("run", "job.py", "--url", runtime_url, "--upload", "missing.csv", cwd=tmp_path)
    assert bad.returncode == 2 and b"no such local file or folder: missing.csv" in bad.stderr


def test_files_on_a_cloud_sandbox_by_id(cloud, runtime_cwd, tmp_path: Path):
    box = Sandbox.create(api_key=GOOD_KEY, timeout=120)
    (tmp_path / "note.txt").write_text("to the cloud\n")
    rel = f"cloud-{box.sandbox_id}"
    done = cli("files", "put", "note.txt", f"{rel}/", "--sandbox-id", box.sandbox_id, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert Path(runtime_cwd, rel, "note.txt").read_text() == "to the cloud\n"
    listed = cli("files", "ls", rel, "--sandbox-id", box.sandbox_id, cwd=tmp_path)
    assert listed.stdout.decode().split()[-1] == "note.txt"
    assert cloud.calls("POST", f"/v2/sandboxes/{box.sandbox_id}/connect")
    assert not cloud.calls("DELETE", "/sandboxes/"), "a sandbox named by id is left running"
    # without an id, a new sandbox would be made and killed for nothing: refused
    refused = cli("files", "put", "note.txt", "--cloud", cwd=tmp_path)
    assert refused.returncode == 2 and b"--sandbox-id" in refused.stderr
    assert len(cloud.created()) == 1
