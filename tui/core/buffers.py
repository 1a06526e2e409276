"""Editor buffers, saved continuously and atomically, restored at the next launch."""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

from . import paths

EXAMPLES = {
    "python": "import math\n\nprint('hello from python')\n[math.sqrt(n) for n in range(5)]\n",
    "javascript": "const xs = [1, 2, 3].map(x => x * x);\nconsole.log('hello from javascript');\nxs\n",
    "typescript": "const greet = (who: string): string => `hello from ${who}`;\ngreet('typescript')\n",
    "r": "x <- c(1, 2, 3)\ncat('hello from r\\n')\nsummary(x)\n",
    "java": 'System.out.println("hello from java");\n',
    "bash": "echo hello from bash\nuname -a\n",
}


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
        """Atomic: write a temp file in the same folder, fsync, rename over the old one."""
        data = json.dumps({"buffers": [asdict(b) for b in state.buffers], "active": state.active}, indent=1)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".buffers-", dir=self.path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise
