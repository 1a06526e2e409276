"""One error type for envd's two faces: a Connect code for the RPCs, an HTTP status for `/files`.

The SDK turns them into its own exceptions (`e2b/envd/rpc.py`, `e2b/envd/api.py`):
NOT_FOUND / 404 -> `NotFoundException` (`FileNotFoundException` for files), INVALID_ARGUMENT /
400 -> `InvalidArgumentException`, 507 -> `NotEnoughSpaceException`, ALREADY_EXISTS is what
`make_dir` reads as "exists already"; any other code becomes a `SandboxException` that carries
our message. RESOURCE_EXHAUSTED is avoided on purpose: the SDK reports it as a rate limit, so a
full disk on an RPC is INTERNAL with a message that says so. Every message names the path and
the cause in words a person can act on.
"""

from __future__ import annotations

import errno
import getpass

from connectrpc.code import Code
from connectrpc.errors import ConnectError

NOT_A_DIRECTORY = "a parent in the path is a file, not a directory"


class EnvdError(ConnectError):
    """A refusal: raised as is by the RPCs, answered as `{"code", "message"}` JSON by `/files`."""

    def __init__(self, code: Code, message: str, http_status: int):
        super().__init__(code, message)
        self.http_status = http_status


def not_found(message: str) -> EnvdError:
    return EnvdError(Code.NOT_FOUND, message, 404)


def invalid(message: str) -> EnvdError:
    return EnvdError(Code.INVALID_ARGUMENT, message, 400)


def already_exists(message: str) -> EnvdError:
    return EnvdError(Code.ALREADY_EXISTS, message, 409)


def failed_precondition(message: str) -> EnvdError:
    return EnvdError(Code.FAILED_PRECONDITION, message, 412)


def unimplemented(message: str) -> EnvdError:
    return EnvdError(Code.UNIMPLEMENTED, message, 501)


def _account() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "the runtime's account"


def from_os_error(err: OSError, action: str, path: str) -> EnvdError:
    """The refusal for an OSError met while doing `action` ("cannot read", ...) on `path`."""
    code = err.errno
    where = f"{action} '{path}'"
    if code == errno.ENOENT:
        return not_found(f"{where}: no such file or directory")
    if code == errno.ENOTDIR:
        return invalid(f"{where}: {NOT_A_DIRECTORY}")
    if code == errno.EISDIR:
        return invalid(f"{where}: it is a directory")
    if code in (errno.EACCES, errno.EPERM):
        return EnvdError(
            Code.PERMISSION_DENIED,
            f"{where}: permission denied (the runtime runs as {_account()}; "
            "the sandbox users 'user' and 'root' both act as that account)",
            403,
        )
    if code == errno.EROFS:
        return EnvdError(Code.PERMISSION_DENIED, f"{where}: the file system is read-only", 403)
    if code == errno.EAGAIN:  # an isolated sandbox's process limit
        return EnvdError(
            Code.UNAVAILABLE,
            f"{where}: the sandbox's process limit is reached (too many processes or threads); "
            "end some and try again",
            503,
        )
    if code in (errno.ENOSPC, errno.EDQUOT):
        return EnvdError(Code.INTERNAL, f"{where}: no space left on the device (the disk is full)", 507)
    if code == errno.EEXIST:
        return already_exists(f"{where}: it already exists")
    if code == errno.ENOTEMPTY:
        return failed_precondition(f"{where}: the directory is not empty")
    if code in (errno.ENAMETOOLONG, errno.EINVAL, errno.ELOOP):
        return invalid(f"{where}: {err.strerror}")
    return EnvdError(Code.INTERNAL, f"{where}: {err.strerror or err}", 500)
