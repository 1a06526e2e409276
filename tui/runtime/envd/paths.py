"""Who the sandbox user is, and where a path given by the SDK leads.

On E2B the sandbox users are `user` (home `/home/user`) and `root`; envd resolves a relative
path, or one that starts with `~`, against the user's home. The local runtime runs as one
account, the one that started it, so both names map to that account, and the home of both is
the runtime's workspace (`serve --cwd`, by default the directory it was started in):
`files.write("data.csv", ...)` lands in the workspace, as it would land in `/home/user` on E2B.
Absolute paths are used as they are: the runtime is no jail (its code runs as you anyway).

In an isolated runtime the home is the sandbox's `/home/user` and a path is one of the
sandbox: the file operations run inside it (`storage.py`), where its mounts and symlinks
decide what a path reaches, and nothing else of the machine exists.

The SDK names the user in two ways: the `username` query parameter of `/files`, and an
`Authorization: Basic base64("user:")` header on the RPCs (sent only when a call passes
`user=`). Any other user name is refused with a message that says which ones exist.
"""

from __future__ import annotations

import base64
import binascii
import os

from .errors import invalid

USERS = ("user", "root")


class Users:
    """The sandbox's users, all mapped to the runtime's own account and workspace."""

    def __init__(self, home: str, resolve_home: bool = True):
        # a path of this machine is resolved; the isolated sandbox's `/home/user` is its own
        self.home = os.path.realpath(home) if resolve_home else home

    def check(self, name: str | None) -> str:
        """The user name to act as (`user` when none is given); unknown names are refused."""
        if not name:
            return "user"
        if name not in USERS:
            raise invalid(
                f"unknown user {name!r}: the local runtime has the users 'user' and 'root', "
                "both run as the account that started it"
            )
        return name

    def from_authorization(self, header: str | None) -> str:
        """The user named by an RPC's `Authorization: Basic base64("name:")` header."""
        if not header:
            return "user"
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "basic":
            raise invalid(f"unsupported Authorization scheme {scheme!r}: expected Basic with the user name")
        try:
            decoded = base64.b64decode(token.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            raise invalid("the Authorization header is not valid base64 of 'user:'") from None
        return self.check(decoded.partition(":")[0])

    def resolve(self, path: str | None, default: str | None = None) -> str:
        """An absolute, normalised path: `~` and relative paths start at the home."""
        if not path:
            path = default or self.home
        if path.startswith("~"):
            if len(path) > 1 and path[1] != "/":
                raise invalid(f"cannot expand {path!r}: only '~' (the sandbox user's home) is known")
            path = self.home + path[1:]
        if "\x00" in path:
            raise invalid("a path cannot contain a NUL character")
        return os.path.normpath(os.path.join(self.home, path))
