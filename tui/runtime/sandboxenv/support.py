"""What the sandbox's processes get from the workbench, and nothing more.

- The IPython extension: `tui/runtime/ipython_ext.py` is the one source; it is copied, as the
  module `e2b_workbench_ipython`, into a support folder that only the python kernels put on
  their `sys.path` (from the launch line, not PYTHONPATH: the kernel's own subprocesses never
  see it). The sandbox's Python can import that module, and not the `tui` package or any
  other package of the workbench's venv.
- `e2b-sandbox-env.sh`: bash puts the environment first on PATH with it. The environment's
  `bin` is first on the PATH every sandbox process starts with, but a login profile can reset
  PATH (Debian's /etc/profile does) or put pyenv's or conda's shims in front; so bash reads
  this file through BASH_ENV after a login shell's profile (`commands.run` is `bash -l -c`),
  and terminals (`bash -i -l`) run it once before their first prompt (PROMPT_COMMAND). The
  bash kernel's shell reads no profile or ~/.bashrc (tui/runtime/bashrc.sh): the PATH it
  starts with is already right. Non-login scripts leave PATH as they got it, so a PATH a
  person sets on purpose stays theirs.

The support folder is named after a hash of its content, under the environments' root: a
new workbench version writes a new one, two runtimes never write the same files twice.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import shlex
import shutil
import sys
import sysconfig
from collections.abc import Mapping
from pathlib import Path

from .layout import EnvSpec, envs_root

EXTENSION = "e2b_workbench_ipython"
HOOK_NAME = "e2b-sandbox-env.sh"
ONCE_VAR = "__e2b_sandbox_env_once"


def _extension_source() -> bytes:
    return (Path(__file__).resolve().parent.parent / "ipython_ext.py").read_bytes()


def _hook(spec: EnvSpec, user_bash_env: str | None) -> str:
    chain = ""
    if user_bash_env:  # the runtime's own BASH_ENV still runs, for scripts as before
        quoted = shlex.quote(user_bash_env)
        chain = f"\ncase $- in *i*) ;; *) if [ -r {quoted} ]; then . {quoted}; fi ;; esac\n"
    return f"""\
# e2b-workbench: the local sandbox's Python environment ({spec.path}) first on PATH.
# Read through BASH_ENV (login shells, after their profile) and by terminals before their first
# prompt; other non-login scripts keep the PATH they got.
__e2b_sandbox_env() {{
  local bin={shlex.quote(str(spec.bin))}
  PATH=":${{PATH-}}:"
  PATH="${{PATH//":$bin:"/:}}"
  PATH="${{PATH#:}}"
  PATH="${{PATH%:}}"
  PATH="$bin${{PATH:+:$PATH}}"
  VIRTUAL_ENV={shlex.quote(str(spec.path))}
  export PATH VIRTUAL_ENV
}}
case $- in
  *i*) __e2b_sandbox_env ;;  # a terminal, through PROMPT_COMMAND
  *) if shopt -q login_shell 2>/dev/null; then __e2b_sandbox_env; fi ;;
esac
{chain}"""


def support_dir(spec: EnvSpec, user_bash_env: str | None = None) -> Path:
    """The folder with the extension module and the bash file for `spec` (made once, atomically)."""
    files = {f"{EXTENSION}.py": _extension_source(), HOOK_NAME: _hook(spec, user_bash_env).encode()}
    digest = hashlib.sha256(b"\0".join(name.encode() + b"\0" + data for name, data in files.items()))
    base = envs_root() / ".support"
    folder = base / digest.hexdigest()[:16]
    if folder.is_dir():
        return folder
    base.mkdir(parents=True, exist_ok=True)
    tmp = base / f".tmp-{secrets.token_hex(4)}"
    tmp.mkdir()
    try:
        for name, data in files.items():
            (tmp / name).write_bytes(data)
        os.rename(tmp, folder)
    except OSError:
        shutil.rmtree(tmp, ignore_errors=True)
        if not folder.is_dir():  # not another runtime that won the race: a real failure
            raise
    return folder


def python_kernel_argv(spec: EnvSpec, support: Path, connection_file: str) -> list[str]:
    """ipykernel from the environment's Python, with the extension from the support folder."""
    # `python -m ipykernel_launcher`, with the support folder first on sys.path (and not cwd)
    launch = (
        "import runpy, sys; sys.path[:1] == [''] and sys.path.pop(0); "
        f"sys.path.insert(0, {str(support)!r}); "
        "runpy.run_module('ipykernel_launcher', run_name='__main__', alter_sys=True)"
    )
    return [
        str(spec.python),
        "-c",
        launch,
        "-f",
        connection_file,
        f"--IPKernelApp.extensions=['{EXTENSION}']",
        "--HistoryManager.enabled=False",
        "--InteractiveShell.colors=NoColor",
        "--IPKernelApp.quiet=True",
    ]


def _workbench_scripts() -> str | None:
    """The workbench venv's own bin folder, when it runs from a venv (never the sandbox's)."""
    if sys.prefix == sys.base_prefix:
        return None
    return sysconfig.get_path("scripts")


def process_env(spec: EnvSpec, base: Mapping[str, str], support: Path) -> dict[str, str]:
    """`base` for a process of the sandbox: the environment first on PATH (the workbench's venv
    off it), VIRTUAL_ENV, and the bash file through BASH_ENV and PROMPT_COMMAND."""
    env = dict(base)
    drop = {str(spec.bin), _workbench_scripts()}
    parts = [p for p in base.get("PATH", os.defpath).split(os.pathsep) if p and p not in drop]
    env["PATH"] = os.pathsep.join([str(spec.bin), *parts])
    env["VIRTUAL_ENV"] = str(spec.path)
    env.pop("PYTHONHOME", None)
    hook = support / HOOK_NAME
    env["BASH_ENV"] = str(hook)
    once = f'[ -n "${{{ONCE_VAR}-}}" ] || {{ {ONCE_VAR}=1; . {shlex.quote(str(hook))}; }}'
    prior = base.get("PROMPT_COMMAND", "")
    env["PROMPT_COMMAND"] = f"{once}; {prior}" if prior and ONCE_VAR not in prior else prior or once
    return env

