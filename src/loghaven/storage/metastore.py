"""The metastore: every persistent object except documents.

:class:`Metastore` is the interface (a PostgreSQL implementation can satisfy it later);
:class:`SqliteMetastore` is the embedded default. Objects are stored as JSON documents in
a small number of tables keyed by kind and name, so that new features add kinds, not tables.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from pathlib import Path
from typing import Any, Protocol

import orjson

log = logging.getLogger("loghaven.storage")


class Metastore(Protocol):
    """Named JSON objects grouped by kind (``index``, ``template``, ``split``, ...)."""

    def get(self, kind: str, name: str) -> dict[str, Any] | None: ...

    def put(self, kind: str, name: str, value: dict[str, Any]) -> None: ...

    def delete(self, kind: str, name: str) -> None: ...

    def list(self, kind: str, prefix: str = "") -> dict[str, dict[str, Any]]: ...

    def put_many(self, items: list[tuple[str, str, dict[str, Any] | None]]) -> None:
        """Apply several puts (value) and deletes (None) in one transaction."""
        ...

    def close(self) -> None: ...


class SqliteMetastore:
    """SQLite in WAL mode, one connection guarded by a lock (writes are small and rare)."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        try:
            self._db = _connect(path)
        except sqlite3.OperationalError as exc:
            # On a full disk SQLite cannot create the shared-memory index of its WAL; in
            # exclusive locking mode it keeps that index in memory, so the node can start
            # (read-only until space returns) instead of failing on every start.
            log.warning("opening the metastore failed (%s); opening it in exclusive mode", exc)
            self._db = _connect(path, exclusive=True)
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS objects (kind TEXT NOT NULL, name TEXT NOT NULL, "
            "value BLOB NOT NULL, PRIMARY KEY (kind, name))")

    def integrity_problem(self) -> str | None:
        """What SQLite's ``quick_check`` finds wrong with the file, or None."""
        with self._lock:
            status = self._db.execute("PRAGMA quick_check").fetchone()[0]
        return None if status == "ok" else str(status)

    def get(self, kind: str, name: str) -> dict[str, Any] | None:
        with self._lock:
            row = self._db.execute("SELECT value FROM objects WHERE kind=? AND name=?",
                                   (kind, name)).fetchone()
        return orjson.loads(row[0]) if row else None

    def put(self, kind: str, name: str, value: dict[str, Any]) -> None:
        self.put_many([(kind, name, value)])

    def delete(self, kind: str, name: str) -> None:
        self.put_many([(kind, name, None)])

    def list(self, kind: str, prefix: str = "") -> dict[str, dict[str, Any]]:
        with self._lock:
            rows = self._db.execute(
                "SELECT name, value FROM objects WHERE kind=? AND substr(name, 1, ?)=? "
                "ORDER BY name", (kind, len(prefix), prefix)).fetchall()
        return {name: orjson.loads(value) for name, value in rows}

    def put_many(self, items: list[tuple[str, str, dict[str, Any] | None]]) -> None:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                for kind, name, value in items:
                    if value is None:
                        self._db.execute("DELETE FROM objects WHERE kind=? AND name=?",
                                         (kind, name))
                    else:
                        self._db.execute(
                            "INSERT OR REPLACE INTO objects (kind, name, value) VALUES (?, ?, ?)",
                            (kind, name, orjson.dumps(value)))
                self._db.execute("COMMIT")
            except BaseException:
                if self._db.in_transaction:  # SQLite ends it itself on a full disk
                    self._db.execute("ROLLBACK")
                raise

    def close(self) -> None:
        with self._lock:
            self._db.close()


def _connect(path: Path, *, exclusive: bool = False) -> sqlite3.Connection:
    db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
    try:
        if exclusive:
            db.execute("PRAGMA locking_mode=EXCLUSIVE")
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=FULL")
    except sqlite3.OperationalError:
        db.close()
        raise
    return db
