"""Offline repairs behind ``loghaven recover-wal`` and ``loghaven rebuild-metastore``, and
the start-up check that sends an operator to the second (docs/recovery.md).

They run with the server stopped, on the data folder, and only add: quarantined files and
a replaced metastore are kept, never deleted.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
import tantivy

from loghaven.engine import sidecar
from loghaven.engine.analysis import IndexAnalysis
from loghaven.engine.catalog import INDEX, Catalog
from loghaven.engine.mapping import Mapping
from loghaven.engine.schema import SEQ_NO
from loghaven.engine.split import Split
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
from loghaven.storage.splits import LocalSplitStorage, SplitStorage

#: Called with (bytes scanned, bytes to scan) while a long repair runs.
Progress = Callable[[int, int], None]
METASTORE_FILE = "metastore.sqlite"
#: What a metastore holds that no index folder keeps, so a rebuild cannot bring it back.
NOT_REBUILT = ("index templates (legacy, composable, component), cluster settings, and any "
               "other object that is not an index")


class MetastoreLost(Exception):
    """The metastore is missing, unreadable or behind the index folders: starting would
    serve an empty or partial cluster while the data sits on disk."""


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


# --- the metastore ----------------------------------------------------------------------------


def _index_folders(data_dir: Path) -> dict[str, dict[str, Any]]:
    """Index folders that carry a sidecar, by uuid (a folder without one is not an index: a
    delete removes the sidecar first)."""
    found = {}
    root = data_dir / "indices"
    if root.is_dir():
        for folder in sorted(root.iterdir()):
            meta = sidecar.read(folder) if folder.is_dir() else None
            if meta is not None:
                found[str(meta["uuid"])] = meta
    return found


def _check_records(metastore: SqliteMetastore, folders: dict[str, dict[str, Any]], what: str,
                   where: str, command: str) -> None:
    """Raise MetastoreLost if the file is damaged or lacks an index that a folder describes."""
    try:
        problem = metastore.integrity_problem()
        if problem is not None:
            raise MetastoreLost(f"{what} cannot be read ({problem}); {command}")
        stored = {str(meta.get("uuid")) for meta in metastore.list(INDEX).values()}
    except sqlite3.DatabaseError as exc:
        raise MetastoreLost(f"{what} cannot be read ({exc}); {command}") from exc
    missing = sorted(meta["name"] for uuid, meta in folders.items() if uuid not in stored)
    if missing:
        raise MetastoreLost(f"{what} has no record of {len(missing)} indices found in {where} "
                            f"({', '.join(missing[:10])}); it was lost or truncated; {command}")


def open_metastore(data_dir: Path) -> SqliteMetastore:
    """Open the metastore, refusing to start on a lost, damaged or truncated one
    (MetastoreLost).

    Index folders whose sidecar names an index the metastore does not hold mean the
    metastore lost records; starting would hide (and later overwrite) their data. The
    checks go through the metastore's own connection, which can open on a full disk.
    """
    folders = _index_folders(data_dir)
    path = data_dir / METASTORE_FILE
    command = f"run `loghaven rebuild-metastore --data-dir {data_dir}` with the server stopped"
    if folders and (not path.exists() or path.stat().st_size == 0):
        raise MetastoreLost(f"the metastore [{path}] is missing or empty but [{data_dir}/indices]"
                            f" holds {len(folders)} indices; {command}")
    try:
        metastore = SqliteMetastore(path)
    except sqlite3.DatabaseError as exc:
        raise MetastoreLost(f"the metastore [{path}] cannot be read ({exc}); {command}") from exc
    try:
        _check_records(metastore, folders, f"the metastore [{path}]", f"[{data_dir}/indices]",
                       command)
    except BaseException:
        metastore.close()
        raise
    return metastore


@dataclass
class MetastoreRebuild:
    """What ``rebuild-metastore`` did."""

    indices: list[str] = field(default_factory=list)
    kept_objects: int = 0
    old_metastore: Path | None = None
    old_readable: bool = False
    skipped: list[str] = field(default_factory=list)


def rebuild_metastore(data_dir: Path, progress: Progress | None = None) -> MetastoreRebuild:
    """A new metastore from the sidecars of the index folders; the old one is kept beside it.

    Per split, the document count and the date ranges (which searches prune by) are read
    from the split itself; the checkpoint is put no later than the start of the remaining
    write-ahead log, so opening replays all of it (idempotent per document). Objects other
    than indices are copied from the old metastore when it can still be read.
    """
    report = MetastoreRebuild()
    path = data_dir / METASTORE_FILE
    carried: list[tuple[str, str, bytes]] = []
    if path.exists():
        try:
            db = sqlite3.connect(str(path))
            try:
                carried = [(kind, name, value) for kind, name, value in db.execute(
                    "SELECT kind, name, value FROM objects WHERE kind NOT IN (?, ?)",
                    (INDEX, "index_state"))]
            finally:
                db.close()
            report.old_readable = True
        except sqlite3.DatabaseError:
            carried = []
        report.old_metastore = path.with_name(f"{path.name}.replaced-{time.strftime('%Y%m%dT%H%M%S')}")
        for suffix in ("", "-wal", "-shm"):
            old = Path(f"{path}{suffix}")
            if old.exists():
                os.replace(old, Path(f"{report.old_metastore}{suffix}"))
    by_name: dict[str, dict[str, Any]] = {}
    for meta in sorted(_index_folders(data_dir).values(), key=_created):
        older = by_name.get(meta["name"])  # two folders, one name: the newer one wins
        if older is not None:
            report.skipped.append(f"{older['name']} ({older['uuid']}, an older copy)")
        by_name[meta["name"]] = meta
    storage = LocalSplitStorage(data_dir)
    metastore = SqliteMetastore(path)
    try:
        items: list[tuple[str, str, dict[str, Any] | None]] = [
            (kind, name, orjson.loads(value)) for kind, name, value in carried]
        report.kept_objects = len(items)
        for position, (name, meta) in enumerate(sorted(by_name.items())):
            folder = data_dir / "indices" / str(meta["uuid"])
            record = {key: meta[key] for key in ("name", "uuid", "settings", "mappings",
                                                 "aliases", "state") if key in meta}
            items.append((INDEX, name, record))
            items.append(("index_state", str(meta["uuid"]),
                          _index_state(folder, storage, str(meta["uuid"]), meta.get("splits", []),
                                       meta.get("mappings"), meta.get("settings"))))
            report.indices.append(name)
            if progress is not None:
                progress(position + 1, len(by_name))
        metastore.put_many(items)
    finally:
        metastore.close()
    return report


def _created(meta: dict[str, Any]) -> int:
    return int(meta.get("settings", {}).get("index.creation_date", 0) or 0)


def _index_state(folder: Path, storage: SplitStorage, index_uuid: str,
                 listed: list[dict[str, Any]], mappings: dict[str, Any] | None,
                 settings: dict[str, Any] | None = None) -> dict[str, Any]:
    """The split list with counts and date ranges read from the splits, and a safe checkpoint
    (locations and checksums as the sidecar lists them)."""
    mapping = Mapping(mappings, IndexAnalysis(settings or {}))
    date_fields = [f.path for f in mapping.fields.values() if f.kind == "date"]
    splits = []
    highest = -1
    for entry in listed:
        split = Split.open_stored(entry, storage, index_uuid)
        if split is None:
            continue
        meta = split.meta
        searcher = split.searcher()
        meta.num_docs = searcher.num_docs
        if meta.num_docs:
            aggs = {"seq": {"max": {"field": SEQ_NO}}}
            for position, name in enumerate(date_fields):
                aggs[f"min{position}"] = {"min": {"field": name}}
                aggs[f"max{position}"] = {"max": {"field": name}}
            result = searcher.aggregate(tantivy.Query.all_query(), aggs)
            highest = max(highest, int(result["seq"]["value"] or -1))
            meta.date_ranges = {}
            for position, name in enumerate(date_fields):
                low, high = result[f"min{position}"]["value"], result[f"max{position}"]["value"]
                if low is not None and high is not None:
                    meta.date_ranges[name] = [int(low), int(high)]
        split.close_writer()
        splits.append(meta.to_json())
    logged = sorted(int(p.stem) for p in (folder / "wal").glob("*.log") if p.stem.isdigit())
    checkpoint = min(highest, logged[0] - 1) if logged else highest
    return {"checkpoint": checkpoint, "splits": splits}
