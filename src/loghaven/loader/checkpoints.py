"""Where ``loghaven ingest`` remembers how far it got: per server and source version, how
many records the server acknowledged and whether the file is done.

A small SQLite file (``$XDG_STATE_HOME/loghaven/ingest.sqlite``), written only after the
bulk that carried the records was answered, so a rerun skips done files and continues a
half-done one after its last acknowledged record.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS checkpoints (
    server TEXT NOT NULL,
    source TEXT NOT NULL,
    version TEXT NOT NULL,
    acked INTEGER NOT NULL,
    done INTEGER NOT NULL,
    updated REAL NOT NULL,
    PRIMARY KEY (server, source, version)
)
"""


def default_path() -> Path:
    state = os.environ.get("XDG_STATE_HOME") or os.path.join(os.path.expanduser("~"),
                                                             ".local", "state")
    return Path(state) / "loghaven" / "ingest.sqlite"


@dataclass(frozen=True)
class Checkpoint:
    acked: int = 0
    done: bool = False


class Checkpoints:
    """The checkpoint table, shared by the sender threads (one connection, one lock)."""

    def __init__(self, path: Path | None, server: str) -> None:
        self.server = server
        self.lock = threading.Lock()
        self.db: sqlite3.Connection | None = None
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            self.db = sqlite3.connect(path, check_same_thread=False, timeout=30)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute(SCHEMA)
            self.db.commit()

    def get(self, source: str | None, version: str) -> Checkpoint:
        if self.db is None or source is None:
            return Checkpoint()
        with self.lock:
            row = self.db.execute(
                "SELECT acked, done FROM checkpoints WHERE server=? AND source=? AND version=?",
                (self.server, source, version)).fetchone()
        return Checkpoint(row[0], bool(row[1])) if row else Checkpoint()

    def save(self, source: str | None, version: str, acked: int, done: bool) -> None:
        if self.db is None or source is None:
            return
        with self.lock:
            self.db.execute(
                "INSERT INTO checkpoints VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT "
                "(server, source, version) DO UPDATE SET acked=excluded.acked, "
                "done=excluded.done, updated=excluded.updated",
                (self.server, source, version, acked, int(done), time.time()))
            self.db.commit()

    def forget(self, source: str | None) -> None:
        """``--restart``: every version of ``source`` on this server is loaded again."""
        if self.db is None or source is None:
            return
        with self.lock:
            self.db.execute("DELETE FROM checkpoints WHERE server=? AND source=?",
                            (self.server, source))
            self.db.commit()

    def close(self) -> None:
        if self.db is not None:
            self.db.close()
