"""Execution history in SQLite: every run's code, context, language, time, duration, status.

Each row also names the session it ran in and the run's transcript (`transcript.py`: its
whole execution, kept beside its output file), so runs of earlier sessions can be exported
and replayed with their outputs. Databases made before those columns existed are migrated
when opened (their old rows have no transcript).
"""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

from ..common.files import PRIVATE_FILE, private_file
from . import paths
from .records import ExecutionRecord
from .transcript import transcript_path

SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    code TEXT NOT NULL,
    context_id TEXT NOT NULL,
    language TEXT NOT NULL,
    started_at REAL NOT NULL,
    duration REAL,
    status TEXT NOT NULL,
    execution_count INTEGER,
    error_name TEXT,
    session TEXT,
    execution_path TEXT
);
CREATE INDEX IF NOT EXISTS runs_by_context ON runs (context_id, id);
CREATE INDEX IF NOT EXISTS runs_by_language ON runs (language, id);
"""

# columns added after the first release, added to older databases when they are opened
MIGRATIONS = (("session", "TEXT"), ("execution_path", "TEXT"))
COLUMNS = (
    "id, code, context_id, language, started_at, duration, status, execution_count, error_name,"
    " session, execution_path"
)


@dataclass(frozen=True)
class HistoryEntry:
    id: int
    code: str
    context_id: str
    language: str
    started_at: float
    duration: float | None
    status: str
    execution_count: int | None
    error_name: str | None
    session: str | None = None  # the session's name (its run-output folder)
    execution_path: str | None = None  # the run's transcript, when it was kept

    @property
    def when(self) -> str:
        return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(self.started_at))

    @property
    def first_line(self) -> str:
        for line in self.code.splitlines():
            if line.strip():
                return line.strip()
        return ""


class History:
    """A small SQLite store; one connection, used from the thread that made it."""

    def __init__(self, path: Path | None = None):
        self.path = path or paths.ensure(paths.data_dir()) / "history.sqlite3"
        self.path.touch(mode=PRIVATE_FILE)  # sqlite's journal files take the database's mode
        private_file(self.path)
        self.db = sqlite3.connect(self.path, check_same_thread=False)
        self.db.executescript(SCHEMA)
        self._migrate()
        self.db.commit()

    def _migrate(self) -> None:
        have = {row[1] for row in self.db.execute("PRAGMA table_info(runs)")}
        for name, kind in MIGRATIONS:
            if name not in have:
                self.db.execute(f"ALTER TABLE runs ADD COLUMN {name} {kind}")

    def add(self, record: ExecutionRecord) -> int:
        """Record a finished run; its session is its output folder's name, its transcript the
        file beside its output (when the run kept one)."""
        kept = transcript_path(record.output_path) if record.output_path else None
        cur = self.db.execute(
            "INSERT INTO runs (code, context_id, language, started_at, duration, status, execution_count,"
            " error_name, session, execution_path) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                record.code,
                record.context_id,
                record.language,
                record.started_at,
                record.run_time() if record.duration is not None else None,
                record.status,
                record.execution_count,
                record.error.name if record.error else None,
                record.output_path.parent.name if record.output_path else None,
                str(kept) if kept is not None and kept.exists() else None,
            ),
        )
        self.db.commit()
        return int(cur.lastrowid or 0)

    def recent(self, limit: int = 500, search: str = "") -> list[HistoryEntry]:
        query = f"SELECT {COLUMNS} FROM runs"
        args: list = []
        if search:
            query += " WHERE code LIKE ? OR language LIKE ?"
            args += [f"%{search}%", f"%{search}%"]
        query += " ORDER BY id DESC LIMIT ?"
        args.append(limit)
        return [HistoryEntry(*row) for row in self.db.execute(query, args)]

    def for_context(self, context_id: str, language: str, limit: int = 200) -> list[HistoryEntry]:
        """Newest first: this context's runs, then (for contexts of a past launch) its language's."""
        rows = self.db.execute(
            f"SELECT {COLUMNS} FROM runs WHERE context_id = ? OR language = ? "
            "ORDER BY (context_id = ?) DESC, id DESC LIMIT ?",
            (context_id, language, context_id, limit),
        ).fetchall()
        return [HistoryEntry(*row) for row in rows]

    def by_ids(self, ids: list[int]) -> list[HistoryEntry]:
        """The rows with these ids, oldest first (unknown ids are left out)."""
        if not ids:
            return []
        marks = ", ".join("?" for _ in ids)
        rows = self.db.execute(f"SELECT {COLUMNS} FROM runs WHERE id IN ({marks}) ORDER BY id", ids)
        return [HistoryEntry(*row) for row in rows]

    def last_session(self) -> list[HistoryEntry]:
        """The runs of the latest session that recorded any, oldest first."""
        row = self.db.execute(
            "SELECT session FROM runs WHERE session IS NOT NULL ORDER BY id DESC LIMIT 1"
        ).fetchone()
        if row is None:
            return []
        rows = self.db.execute(f"SELECT {COLUMNS} FROM runs WHERE session = ? ORDER BY id", (row[0],))
        return [HistoryEntry(*r) for r in rows]

    def referenced_transcripts(self) -> set[Path]:
        """Every transcript file a row refers to (what a cache pruner should keep)."""
        rows = self.db.execute("SELECT execution_path FROM runs WHERE execution_path IS NOT NULL")
        return {Path(row[0]) for row in rows}

    def close(self) -> None:
        self.db.close()
