"""Offline repairs behind the ``loghaven recover-wal`` command (docs/recovery.md).

They run with the server stopped, on the data folder, and only add: quarantined files are
read, never deleted.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import orjson

from loghaven.engine.catalog import Catalog
from loghaven.engine.wal import (
    DAMAGE,
    QUARANTINE,
    RECOVERED,
    Operation,
    next_valid_frame,
    valid_frame,
)
from loghaven.errors import IndexNotFound, LoghavenError
from loghaven.storage.files import write_atomically
from loghaven.storage.metastore import SqliteMetastore

#: Called with (bytes scanned, bytes to scan) while a long repair runs.
Progress = Callable[[int, int], None]
METASTORE_FILE = "metastore.sqlite"


@dataclass
class WalRecovery:
    """What ``recover-wal`` did for one index."""

    index: str
    salvaged: int = 0
    skipped_bytes: int = 0
    damaged: list[str] = field(default_factory=list)
    health: str = "green"


def salvage(data: bytes, start: int) -> tuple[list[Operation], int]:
    """Every record with a good checksum from ``start`` on, skipping damaged bytes by scanning
    for the next valid frame; also the number of bytes skipped."""
    operations: list[Operation] = []
    skipped = 0
    offset = start
    while offset < len(data):
        frame = valid_frame(data, offset)
        if frame is not None:
            operation, offset = frame
            operations.append(operation)
            continue
        following = next_valid_frame(data, offset)
        if following is None:
            skipped += len(data) - offset
            break
        skipped += following - offset
        offset = following
    return operations, skipped


def recover_wal(data_dir: Path, name: str, progress: Progress | None = None) -> WalRecovery:
    """Salvage the quarantined log records of index ``name``, replay them and open it green.

    Each quarantine folder holds the damaged file (read from the damaged offset) and the
    files after it; their good records go back into the log as one new file, which the
    index replays on open like any log after a crash (replay is idempotent per document).
    """
    metastore = SqliteMetastore(data_dir / METASTORE_FILE)
    try:
        meta = metastore.get("index", name)
    finally:
        metastore.close()
    if meta is None:
        raise IndexNotFound(name)
    folder = data_dir / "indices" / str(meta["uuid"])
    report = WalRecovery(name)
    markers = sorted((folder / QUARANTINE).glob(f"*/{DAMAGE}"))
    plans = []
    for marker in markers:
        damage = orjson.loads(marker.read_bytes())
        for position, file_name in enumerate(damage["files"]):
            path = marker.parent / file_name
            plans.append((path, damage["offset"] if position == 0 else 0))
        report.damaged.append(f"{damage['file']}@{damage['offset']}")
    total = sum(path.stat().st_size - start for path, start in plans)
    done = 0
    operations: list[Operation] = []
    for path, start in plans:
        found, skipped = salvage(path.read_bytes(), start)
        operations.extend(found)
        report.skipped_bytes += skipped
        done += path.stat().st_size - start
        if progress is not None:
            progress(done, total)
    if operations:
        operations.sort(key=lambda op: op.seq_no)
        wal = folder / "wal"
        wal.mkdir(parents=True, exist_ok=True)
        target = wal / f"{operations[0].seq_no:020d}.log"
        if target.exists():  # cannot be: the log before the damage holds lower seq_nos
            raise LoghavenError(f"[{target}] exists; move it aside and run again")
        write_atomically(target, b"".join(p for op in operations for p in op.frame()))
    report.salvaged = len(operations)
    for marker in markers:
        record = orjson.loads(marker.read_bytes())
        record["salvaged"] = report.salvaged
        write_atomically(marker.parent / RECOVERED, orjson.dumps(record))
        marker.unlink()
    catalog = Catalog(data_dir, SqliteMetastore(data_dir / METASTORE_FILE))
    try:
        index = catalog.get(name)
        report.health = index.health
        if index.failure is not None:
            raise LoghavenError(f"index [{name}] still fails to open: {index.failure}")
    finally:
        catalog.close()
    return report
