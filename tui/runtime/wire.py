"""The Jupyter wire format as the runtime reads it: signed multipart frames to messages.

Our own decoder rather than jupyter_client's Session.deserialize: that one parses every
date into a datetime only for us to print it back (a third of the runtime's CPU per
round trip in the benchmark). Frames that are malformed, unsigned or signed with another
key are dropped (None): garbage on a kernel's socket is never acted on. Text that is not
valid UTF-8 (ipykernel sends lone surrogates as raw bytes) is replaced visibly (U+FFFD)
instead of losing the whole message.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from enum import Enum
from typing import Any, NamedTuple

Message = dict[str, Any]

DELIMITER = b"<IDS|MSG>"


class Channel(Enum):
    """Where a kernel event comes from (DIED: the kernel process ended, no message)."""

    SHELL = "shell"
    CONTROL = "control"
    IOPUB = "iopub"
    STDIN = "stdin"
    DIED = "died"


class KernelEvent(NamedTuple):
    channel: Channel
    msg: Message | None  # None for DIED


DIED = KernelEvent(Channel.DIED, None)


def _text(part: bytes) -> Any:
    try:
        return json.loads(part)
    except UnicodeDecodeError:
        return json.loads(part.decode("utf-8", "replace"))


def decode(key: bytes, frames: list[bytes]) -> Message | None:
    """The message in `frames` if it is well formed and signed with `key`, else None."""
    try:
        start = frames.index(DELIMITER) + 1
        signature, header, parent, metadata, content = frames[start : start + 5]
    except ValueError:
        return None
    expected = hmac.new(key, digestmod=hashlib.sha256)
    for part in (header, parent, metadata, content):
        expected.update(part)
    if not hmac.compare_digest(expected.hexdigest().encode(), signature):
        return None
    try:
        head = _text(header)
        return {
            "header": head,
            "msg_type": head.get("msg_type"),
            "parent_header": _text(parent),
            "content": _text(content),
        }
    except (ValueError, AttributeError, RecursionError):
        return None
