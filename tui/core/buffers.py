"""Editor buffers, saved continuously and atomically, restored at the next launch."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from ..common.files import atomic_write
from ..common.languages import LANGUAGES
from . import paths
from .runbook import ContextEntry


@dataclass
class Buffer:
    name: str
    language: str
    text: str = ""
    cwd: str = ""  # the context's cwd ("" = the runtime's)
    context_id: str = ""  # the context it was bound to (ids do not survive a runtime restart)


@dataclass
class BufferSet:
    buffers: list[Buffer] = field(default_factory=list)
    active: int = 0


class BufferStore:
    def __init__(self, path: Path | None = None):
        self.path = path or paths.ensure(paths.data_dir()) / "buffers.json"

    def load(self) -> BufferSet:
        try:
            raw = json.loads(self.path.read_text())
            buffers = [
                Buffer(**{k: v for k, v in b.items() if k in Buffer.__dataclass_fields__})
                for b in raw.get("buffers", [])
            ]
            return BufferSet(buffers, int(raw.get("active", 0)))
        except (OSError, ValueError, TypeError, AttributeError):
            return BufferSet()

    def save(self, state: BufferSet) -> None:
        """Atomic and private (see atomic_write): a crash never leaves half a file."""
        data = json.dumps({"buffers": [asdict(b) for b in state.buffers], "active": state.active}, indent=1)
        atomic_write(self.path, data)


def first_buffer() -> Buffer:
    """What a first launch shows: a python example."""
    return Buffer("main", "python", LANGUAGES["python"].example)


def context_for(buffer: Buffer, contexts: Iterable[ContextEntry]) -> ContextEntry | None:
    """The context `buffer` runs in: its own while it exists (and is of its language), else a
    live one of its language, the one in the buffer's cwd when there is one."""
    live = [c for c in contexts if not c.placeholder]
    for entry in live:
        if entry.id == buffer.context_id and entry.language == buffer.language:
            return entry
    same_language = [c for c in live if c.language == buffer.language]
    for entry in same_language:
        if buffer.cwd and entry.cwd == buffer.cwd:
            return entry
    return same_language[0] if same_language else None
