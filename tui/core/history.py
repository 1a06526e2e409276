"""Execution history in SQLite: every run's code, context, language, time, duration, status."""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

from ..common.files import PRIVATE_FILE, private_file
from . import paths
from .records import ExecutionRecord

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
    error_name TEXT
);
CREATE INDEX IF NOT EXISTS runs_by_context ON runs (context_id, id);
CREATE INDEX IF NOT EXISTS runs_by_language ON runs (language, id);
"""


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
        self.db.commit()

    def add(self, record: ExecutionRecord) -> int:
        cur = self.db.execute(
            "INSERT INTO runs (code, context_id, language, started_at, duration, status, execution_count,"
            " error_name) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                record.code,
                record.context_id,
                record.language,
                record.started_at,
                record.run_time() if record.duration is not None else None,
                record.status,
                record.execution_count,
                record.error.name if record.error else None,
            ),
        )
        self.db.commit()
        return int(cur.lastrowid or 0)

    def recent(self, limit: int = 500, search: str = "") -> list[HistoryEntry]:
        query = "SELECT * FROM runs"
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
            "SELECT * FROM runs WHERE context_id = ? OR language = ? "
            "ORDER BY (context_id = ?) DESC, id DESC LIMIT ?",
            (context_id, language, context_id, limit),
        ).fetchall()
        return [HistoryEntry(*row) for row in rows]

    def close(self) -> None:
        self.db.close()
