"""The sweep of orphaned warm objects: objects in ``warm.bucket`` that no index's split list and
no migration references any more, so that none stays in the bucket (and on the bill) for good.

Orphans come from crashes and failures that are safe for the data but leave objects behind: a
kill -9 while an index is deleted (its records go first, then its objects: engine/catalog.py),
a delete of objects that failed, an upload cut short by a kill whose migration was then
abandoned (the index deleted before the split was recorded in its ``moved``).

What the sweep may delete, and why nothing else:

- only keys of the warm tier's own shape, ``<index uuid>/<split id>/<file>``, with the 22 hex
  digits of an index uuid (engine/catalog.py) and a ``<13 digits>-<4+ digits>`` split id
  (engine/index.py): an ``s3`` snapshot repository or stream backups in the same bucket never
  have keys of that shape;
- only under index uuids this node uploaded to (metastore kind :data:`OWNED`, written before a
  migration's first upload), so a bucket shared with another node loses nothing of its;
- never a split that an index's split list (``index_state``), a migration record (``moved``,
  ``sources``) or an upload under way (``WarmTier.uploading``) names;
- only objects older than ``warm.orphan_grace`` (their LastModified as the store lists it),
  a second guard for uploads in flight.

The references are read in the order they move in: uploads under way, then migration records,
then split lists (a migration records a copy before it ends its upload, and switches the
split list before it drops its record), so a split moving along that path is always seen once.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from loghaven.scheduler import Every
from loghaven.storage.objects import ObjectStoreError
from loghaven.storage.warm import WARM

if TYPE_CHECKING:
    from loghaven.scheduler import Scheduler
    from loghaven.storage.metastore import Metastore
    from loghaven.storage.warm import WarmTier

#: Metastore kind: index uuid → ``{"index": name}`` of every index this node put warm objects
#: under; dropped once the index is gone and its prefix is empty.
OWNED = "warm_prefix"
JOB = "warm.orphan_sweep"
#: How often the sweep runs (and once at every start).
INTERVAL_SECONDS = 3600.0
_INDEX_UUID = re.compile(r"[0-9a-f]{22}")
_SPLIT_ID = re.compile(r"\d{13}-\d{4,}")
log = logging.getLogger("loghaven.storage")


def own(metastore: Metastore, index_uuid: str, index: str) -> None:
    """Record that this node puts warm objects under ``index_uuid/`` (before it does)."""
    if metastore.get(OWNED, index_uuid) is None:
        metastore.put(OWNED, index_uuid, {"index": index})


def split_keys(metas: Iterable[dict[str, Any]]) -> set[str]:
    """``<index uuid>/<split id>`` of the warm ones among split metadata records."""
    return {location[len(WARM):] for meta in metas
            if isinstance(location := meta.get("location"), str) and location.startswith(WARM)}


def _split_key(key: str) -> str | None:
    """``<index uuid>/<split id>`` of an object key of a warm split's shape, else None."""
    parts = key.split("/")
    if len(parts) != 3 or not parts[2] or not _INDEX_UUID.fullmatch(parts[0]) \
            or not _SPLIT_ID.fullmatch(parts[1]):
        return None
    return f"{parts[0]}/{parts[1]}"


class OrphanSweep:
    """``node.warm_sweep``: deletes unreferenced warm objects older than the grace period,
    as a durable scheduler job and once at start."""

    def __init__(self, warm: WarmTier, metastore: Metastore, grace_ms: int, *,
                 pinned: Callable[[], set[str]]) -> None:
        if grace_ms < 0:
            raise ValueError(f"warm.orphan_grace must not be negative, got [{grace_ms}ms]")
        self.warm = warm
        self.metastore = metastore
        self.grace_ms = grace_ms
        #: ``<index uuid>/<split id>`` of splits the migrations hold (read before split lists).
        self.pinned = pinned
        self.counters = {"orphan_sweeps": 0, "orphan_objects_deleted": 0,
                         "orphan_bytes_deleted": 0, "orphan_delete_failures": 0}
        self._lock = threading.Lock()

    def schedule(self, scheduler: Scheduler) -> None:
        """The hourly job, in a pool of its own: listing a large bucket takes a while, and
        the engine's housekeeping must not wait for it."""
        scheduler.add_pool(JOB, 1)
        scheduler.add(JOB, self.run, Every(INTERVAL_SECONDS), durable=True, pool=JOB)
        scheduler.run_soon(JOB)  # after the start's recovery: what a crash left goes now

    def run(self, stopping: threading.Event | None = None) -> None:
        """One sweep of every index prefix this node owns."""
        with self._lock:
            referenced = self.warm.in_flight() | self.pinned()
            for state in self.metastore.list("index_state").values():
                referenced |= split_keys(state.get("splits") or ())
            names = {str(record.get("uuid")): name
                     for name, record in self.metastore.list("index").items()}
            live = set(names) | {key.partition("/")[0] for key in referenced}
            owned = set(self.metastore.list(OWNED))
            for index_uuid in sorted(live - owned):  # warm indices from before the sweep
                if any(key.startswith(index_uuid + "/") for key in referenced):
                    own(self.metastore, index_uuid, names.get(index_uuid, ""))
                    owned.add(index_uuid)
            cutoff = int(time.time() * 1000) - self.grace_ms
            for index_uuid in sorted(owned):
                if stopping is not None and stopping.is_set():
                    return
                if not _INDEX_UUID.fullmatch(index_uuid):
                    continue
                kept = self._sweep(index_uuid, referenced, cutoff)
                if not kept and index_uuid not in live:
                    self.metastore.delete(OWNED, index_uuid)
            self.counters["orphan_sweeps"] += 1

    def _sweep(self, index_uuid: str, referenced: set[str], cutoff: int) -> bool:
        """Delete the orphans under one index's prefix; whether any object is left there."""
        kept = False
        dropped: set[str] = set()
        for info in self.warm.store.list(self.warm.bucket, index_uuid + "/"):
            key = _split_key(info.key)
            if key is None or key in referenced or info.modified_ms > cutoff \
                    or key in self.warm.in_flight():
                kept = True
                continue
            try:
                self.warm.store.delete(self.warm.bucket, info.key)
            except ObjectStoreError as exc:  # the next sweep tries again
                self.counters["orphan_delete_failures"] += 1
                log.warning("deleting the orphaned warm object [%s] failed: %s", info.key, exc)
                kept = True
                continue
            self.counters["orphan_objects_deleted"] += 1
            self.counters["orphan_bytes_deleted"] += info.size
            dropped.add(key)
        for key in sorted(dropped):
            log.info("deleted the orphaned objects of warm split [%s]", key)
            self.warm.cache.drop(key)
        return kept

    def stats(self) -> dict[str, int]:
        """The sweep's counters for ``_nodes/stats/warm``."""
        return dict(self.counters)
