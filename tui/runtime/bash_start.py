"""Start bash_kernel with the runtime's rc file (`python -P path/to/bash_start.py -f CONN`).

bash_kernel starts its shell with pexpect's rc file, which sources the user's ~/.bashrc:
whatever that does at start (pyenv's rehash lock, slow network mounts) made bash contexts
take 30 s or fail to start at all. Here the shell gets `bashrc.sh` beside this file instead.
It imports nothing of the workbench: it runs by path, where `tui` may not be importable.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pexpect

RCFILE = str(Path(__file__).with_name("bashrc.sh"))
_spawn = pexpect.spawn


def _spawn_with_our_rcfile(command: str, args: Any = (), *more: Any, **kwargs: Any) -> Any:
    args = list(args)
    if command == "bash" and args[:1] == ["--rcfile"]:
        args = ["--rcfile", RCFILE]
    return _spawn(command, args, *more, **kwargs)


def main() -> None:
    pexpect.spawn = _spawn_with_our_rcfile
    from bash_kernel.kernel import BashKernel
    from ipykernel.kernelapp import IPKernelApp

    IPKernelApp.launch_instance(kernel_class=BashKernel)


if __name__ == "__main__":
    main()
