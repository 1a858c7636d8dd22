"""Taking one snapshot: a consistent copy of each index's splits, then their files as
content-addressed blobs, then the metadata, then the repository's list (lifecycle/snapshots/
format.py says why in that order).

Consistency without stopping writes for long: under the index's lock the index is refreshed
(every acknowledged write committed) and each split's committed files are hard-linked into a
staging folder of the snapshot. tantivy never rewrites a file (a merge writes new segments, a
delete a new ``.del`` file, ``meta.json`` is replaced whole), so the links are a frozen copy
of that moment at the cost of a directory entry per file; the upload then runs outside the
lock while the index takes writes. A background merge of the split that finishes while the
links are made can remove a segment ``meta.json`` named: the staged copy is then checked
against its ``meta.json`` and made again (:func:`stage_split`). A warm split's files are
linked from the split cache while leased (fetched first if they are not there).
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from loghaven.engine.documents_state import now_ms
from loghaven.engine.sources import DICTIONARY_FILE
from loghaven.errors import LoghavenError
from loghaven.lifecycle.migration import migration_set_block
from loghaven.lifecycle.snapshots import format as fmt
from loghaven.lifecycle.snapshots.errors import reason_of
from loghaven.lifecycle.snapshots.global_state import GlobalState
from loghaven.lifecycle.snapshots.repositories import Repository
from loghaven.storage.splits import META_JSON

if TYPE_CHECKING:
    from loghaven.engine.catalog import Catalog
    from loghaven.engine.index import Index
    from loghaven.storage.metastore import Metastore

#: The files tantivy writes for every segment (``SegmentComponent``), besides its ``.del``.
SEGMENT_FILES = ("idx", "pos", "term", "store", "fast", "fieldnorm")
_STAGING_ATTEMPTS = 10
#: An index's snapshot metadata: whether its write block is a warm migration's (lifted when
#: it is restored, hot).
WARM_BLOCK = "warm_block_set"


class Aborted(Exception):
    """The snapshot was deleted while it ran, or the node is stopping."""


@dataclass
class IndexProgress:
    """One index's counts for ``_status``: files and bytes in all, and those new to the
    repository (ES's ``incremental``), done so far."""

    uuid: str
    file_count: int = 0
    size_in_bytes: int = 0
    incremental_file_count: int = 0
    incremental_size_in_bytes: int = 0
    done_file_count: int = 0
    done_size_in_bytes: int = 0
    stage: str = "INIT"
    start_time_in_millis: int = 0
    time_in_millis: int = 0
    failure: str | None = None

    def stats(self) -> dict[str, Any]:
        return {"incremental": {"file_count": self.incremental_file_count,
                                "size_in_bytes": self.incremental_size_in_bytes},
                "total": {"file_count": self.file_count, "size_in_bytes": self.size_in_bytes},
                "processed": {"file_count": self.done_file_count,
                              "size_in_bytes": self.done_size_in_bytes},
                "start_time_in_millis": self.start_time_in_millis,
                "time_in_millis": self.time_in_millis}


@dataclass
class SnapshotRun:
    """One snapshot being taken (``record`` is its metastore record: the request)."""

    repository: Repository
    record: dict[str, Any]
    catalog: Catalog
    metastore: Metastore
    staging: Path
    level: int
    stop: Callable[[], bool]
    #: What ``include_global_state`` saves (lifecycle/snapshots/global_state.py).
    global_state: GlobalState
    #: Called with a step's name between steps (the service's testing hook).
    pause: Callable[[str], None] = lambda step: None
    progress: dict[str, IndexProgress] = field(default_factory=dict)
    aborted: threading.Event = field(default_factory=threading.Event)

    def check(self) -> None:
        if self.aborted.is_set() or self.stop():
            raise Aborted()

    def run(self, indices: list[Index]) -> dict[str, Any]:
        """Take the snapshot of ``indices``; its metadata once listed in the repository.
        Raises Aborted (nothing listed) or an error (the caller records a FAILED snapshot)."""
        request = self.record
        listing = fmt.read_index(self.repository)
        known = fmt.known_blobs(self.repository, listing)
        failures: list[dict[str, Any]] = []
        done: dict[str, dict[str, Any]] = {}
        for index in indices:
            self.progress[index.name] = IndexProgress(index.uuid, start_time_in_millis=now_ms())
        for index in indices:
            self.check()
            progress = self.progress[index.name]
            try:
                done[index.name] = self._snapshot_index(index, known, progress)
                progress.stage = "DONE"
            except Aborted:
                raise
            except Exception as e:  # one index failing is a shard failure, as in ES
                progress.stage = "FAILURE"
                progress.failure = reason_of(e)
                failures.append({"index": index.name, "index_uuid": index.uuid, "shard_id": 0,
                                 "reason": progress.failure, "node_id": request["node_id"],
                                 "status": "INTERNAL_SERVER_ERROR"})
            finally:
                progress.time_in_millis = now_ms() - progress.start_time_in_millis
                shutil.rmtree(self.staging / index.uuid, ignore_errors=True)
        self.pause("create:uploaded")
        self.check()
        state = "SUCCESS"
        if failures:
            state = "PARTIAL" if request.get("partial") else "FAILED"
        meta = {
            "format": fmt.FORMAT, "snapshot": request["snapshot"], "uuid": request["uuid"],
            "version_id": request["version_id"], "version": request["version"],
            "state": state, "include_global_state": request["include_global_state"],
            "start_time_in_millis": request["start_time_in_millis"],
            "end_time_in_millis": now_ms(), "failures": failures,
            "indices": done if state != "FAILED" else {},
            "index_names": [i.name for i in indices],
            "shards": {"total": len(indices), "failed": len(failures),
                       "successful": len(indices) - len(failures)},
        }
        if request.get("metadata") is not None:
            meta["metadata"] = request["metadata"]
        if request["include_global_state"]:
            meta["global_state"] = self.global_state.capture()
        key = fmt.write_snapshot(self.repository, meta)
        self.check()
        self.pause("create:finishing")  # an abort from here on finds it listed
        listing = fmt.read_index(self.repository)
        listing["snapshots"] = [s for s in listing["snapshots"]
                                if s["name"] != request["snapshot"]]
        listing["snapshots"].append(listing_entry(meta, key))
        fmt.write_index(self.repository, listing)
        return meta

    def _snapshot_index(self, index: Index, known: set[str],
                        progress: IndexProgress) -> dict[str, Any]:
        progress.stage = "STARTED"
        state = stage_index(index, self.catalog, self.staging / index.uuid)
        for split in state["splits"]:
            folder = self.staging / index.uuid / split["split_id"]
            for name in split.pop("names"):
                progress.file_count += 1
                progress.size_in_bytes += (folder / name).stat().st_size
        blobs = self.repository.blobs(self.level)
        for split in state["splits"]:
            self.check()
            folder = self.staging / index.uuid / split["split_id"]
            names = sorted(p.name for p in folder.iterdir())
            stored = blobs.upload(
                folder, names, lambda _name, sha: fmt.blob_key(self.repository, sha),
                skip_existing=True, progress=lambda n: _add(progress, n))
            split["files"] = [fmt.file_record(b) for b in stored]
            for blob in stored:
                if blob.sha256 not in known:
                    known.add(blob.sha256)
                    progress.incremental_file_count += 1
                    progress.incremental_size_in_bytes += blob.size
            progress.done_file_count += len(stored)
        state["stats"] = progress.stats()
        return state


def _add(progress: IndexProgress, size: int) -> None:
    progress.done_size_in_bytes += size


def listing_entry(meta: dict[str, Any], key: str) -> dict[str, Any]:
    """What ``index.json`` keeps of a snapshot: enough for ``GET _snapshot`` and ``_cat``."""
    entry = {k: meta[k] for k in ("snapshot", "uuid", "state", "start_time_in_millis",
                                  "end_time_in_millis", "version_id", "version",
                                  "include_global_state", "failures", "shards")}
    entry.update(name=meta["snapshot"], key=key, indices=sorted(meta["index_names"]))
    if "metadata" in meta:
        entry["metadata"] = meta["metadata"]
    return entry


def stage_index(index: Index, catalog: Catalog, folder: Path) -> dict[str, Any]:
    """Under the index's lock: commit, then hard-link every split's committed files into
    ``folder/<split id>``; the index's metadata and split list of that moment."""
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    with index.lock:
        index.check_available()
        if index.state != "open":
            raise LoghavenError(f"index [{index.name}] is closed")
        index.refresh()
        splits = []
        for split in index.splits:
            meta = split.meta
            if split.remote is not None:  # a warm split: its files through the cache
                with split.remote.lease(meta) as path:
                    names = stage_split(path, folder / meta.split_id)
            else:
                names = stage_split(split.path, folder / meta.split_id)
            if names is None:
                if meta.state == "active":
                    continue  # no commit yet (a new active split): no documents
                raise LoghavenError(f"sealed split [{meta.split_id}] of index [{index.name}] "
                                    "has no committed files")
            splits.append({"split_id": meta.split_id, "num_docs": meta.num_docs,
                           "date_ranges": meta.date_ranges, "checksum": meta.checksum,
                           "names": names})
        return {"uuid": index.uuid, "settings": dict(index.settings.user),
                "mappings": index.mapping.body,
                "aliases": catalog.aliases.get(index.name, {}),
                "checkpoint": index.checkpoint, "splits": splits,
                WARM_BLOCK: migration_set_block(catalog.metastore, index)}


def stage_split(source: Path, target: Path) -> list[str] | None:
    """Link the committed files of the split in ``source`` into ``target`` (copy where links
    are not possible); the names, or None when the split has no commit. A segment's files
    that a concurrent merge removed make it try again with the newer ``meta.json``."""
    for _ in range(_STAGING_ATTEMPTS):
        shutil.rmtree(target, ignore_errors=True)
        target.mkdir(parents=True)
        try:
            meta_bytes = (source / META_JSON).read_bytes()
        except FileNotFoundError:
            return None
        (target / META_JSON).write_bytes(meta_bytes)
        wanted = [META_JSON]
        for segment in orjson.loads(meta_bytes)["segments"]:
            segment_id = segment["segment_id"].replace("-", "")
            wanted.extend(f"{segment_id}.{ext}" for ext in SEGMENT_FILES)
            deletes = segment.get("deletes")
            if deletes:
                wanted.append(f"{segment_id}.{deletes['opstamp']}.del")
        if (source / DICTIONARY_FILE).exists():  # what its compressed sources need
            wanted.append(DICTIONARY_FILE)
        try:
            for name in wanted[1:]:
                _link(source / name, target / name)
        except FileNotFoundError:
            continue  # merged away meanwhile: the next meta.json names its replacement
        return wanted
    raise LoghavenError(f"the split in [{source}] kept changing while it was copied")


def _link(source: Path, target: Path) -> None:
    try:
        os.link(source, target)
    except FileNotFoundError:
        raise
    except OSError:  # another file system, or no hard links: a copy
        shutil.copy2(source, target)


