"""An index: its mapping, its splits, its write-ahead log and its live version map.

Writes go through :meth:`Index.write`, which resolves versions, builds documents, appends
to the write-ahead log and applies to the active split under one lock (engine/writes.py); the caller then
waits for :meth:`Index.sync` before acknowledging. :meth:`Index.refresh` commits tantivy,
records the checkpoint and truncates the log. On open, the log after the checkpoint is
replayed (engine/replay.py), so an acknowledged write survives ``kill -9``.

When the log or tantivy fails (a full disk), memory is brought back to exactly what the log
holds (:func:`loghaven.engine.replay.reapply_log`), the failed items answer 500, and the checkpoint never
moves past an operation that a commit did not take.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from loghaven.engine.blocks import write_block
from loghaven.engine.document import DocumentBuilder
from loghaven.engine.documents_state import (
    DocState,
    LiveDoc,
    WriteRequest,
    WriteResult,
    find_committed,
    now_ms,
)
from loghaven.engine.mapping import Mapping, check_mapping_limits
from loghaven.engine.replay import recover, replay, undo
from loghaven.engine.schema import build_schema, indexed_field_names
from loghaven.engine.settings import IndexSettings
from loghaven.engine.sources import SourceDictionary, SourceSamples
from loghaven.engine.split import Split, SplitMeta
from loghaven.engine.wal import OP_INDEX, Operation, WriteAheadLog
from loghaven.engine.writes import current_states, write_one
from loghaven.errors import (
    EngineFailure,
    IndexClosed,
    IndexNotFound,
    LoghavenError,
    ShardUnavailable,
    TranslogFailure,
)
from loghaven.storage.metastore import Metastore
from loghaven.storage.splits import SplitStorage

#: ES keeps the version of a deleted document for 60 s (``index.gc_deletes``).
GC_DELETES_MS = 60_000
#: A full active split is sealed and a new one started. tantivy merges segments only within
#: a split, so this bounds the largest merge: the files it maps (counted in the server's
#: RSS) and the CPU it takes. 5M WAF documents in one split made merges of 1.5 GB.
SPLIT_MAX_DOCS = 2_000_000
#: Test-only: a deleted index's file removal waits before its first file until the server is
#: killed (or 10 minutes passed), so that a test can kill -9 it there; never set it in
#: production.
DELETE_PAUSE_ENV = "LOGHAVEN_TEST_DELETE_PAUSE"
log = logging.getLogger("loghaven.engine")


class Index:
    """One Elasticsearch index on local disk."""

    def __init__(self, name: str, uuid: str, folder: Path, metastore: Metastore,
                 settings: IndexSettings, mapping: Mapping, state: str = "open",
                 on_meta_change: Callable[[Index], None] | None = None,
                 failure: str | None = None, *, storage: SplitStorage) -> None:
        self.name = name
        self.uuid = uuid
        self.folder = folder
        self.metastore = metastore
        #: Where the split files live (storage/splits.py); the index folder keeps the log.
        self.storage = storage
        self.settings = settings
        self.mapping = mapping
        self.state = state
        self._on_meta_change = on_meta_change
        self.builder = DocumentBuilder(mapping)
        self.lock = threading.RLock()
        self.splits: list[Split] = []
        self.live: dict[str, LiveDoc] = {}
        #: Bytes of source the live map holds; a search-idle index refreshes at
        #: IDLE_REFRESH_BYTES (catalog.py) to bound them.
        self.live_bytes = 0
        #: Documents with generated ids that are in neither the live map nor a commit
        #: (Elasticsearch's "unsafe" version map): a lookup by id refreshes first
        #: (:meth:`make_ids_findable`).
        self.unlisted_appends = False
        #: Whether appends go into the live map after all: an id lookup needed it during the
        #: last refresh interval (:meth:`make_ids_findable`).
        self.list_appends = False
        self._id_lookups = False
        self.seq_no = -1
        self.checkpoint = -1
        self.pending = False
        self.last_refresh = time.monotonic()
        self.last_write = time.monotonic()
        self.last_search = time.monotonic()
        self.pending_bytes = 0
        #: Counters of ``_stats`` and the node's metrics (ops/metrics.py); refreshes count
        #: commits that made something new visible, merges count merge_small_splits' runs.
        self.stats = {"index_total": 0, "delete_total": 0, "index_time_ms": 0,
                      "query_total": 0, "query_time_ms": 0, "refresh_total": 0,
                      "refresh_time_ms": 0, "merge_total": 0, "merge_time_ms": 0,
                      "merge_docs": 0, "merge_bytes": 0}
        self.wal: WriteAheadLog | None = None
        #: Set when the log could not be applied again after a failure (see
        #: replay.reapply_log): the splits lack logged operations, so no writes.
        self._unapplied: EngineFailure | None = None
        #: Operations of the batch being written that are not in the log yet.
        self._unlogged: list[Operation] = []
        self._mapping_fits = False
        self._split_counter = 0
        #: Why the index could not be opened (it is then red and serves no reads or writes).
        self.failure = failure
        self._opened = False  # split-list changes are announced once opening is done
        #: Set by :meth:`remove` (the index was deleted): a write that found the index before
        #: the delete answers ES's ``index_not_found_exception``, not a failed log append.
        self.removed = False
        self._listed_splits: list[tuple[str, str, str | None, str | None]] = []
        #: What new sources are compressed with (engine/sources.py), once trained on the
        #: samples of the first writes; the active split always holds a copy.
        self.source_dictionary: SourceDictionary | None = None
        self._samples = SourceSamples()
        if state == "open" and failure is None:
            self._try_open()

    # --- lifecycle -------------------------------------------------------------------------

    @property
    def health(self) -> str:
        return "red" if self.failure is not None else "green"

    def check_available(self) -> None:
        """Raise ShardUnavailable (503) if the index failed to open."""
        if self.failure is not None:
            raise ShardUnavailable(self.name, self.uuid, self.failure)

    def _try_open(self) -> None:
        """Open; on any failure the index stays red with the reason, and the node starts.

        Nothing is deleted or rewritten on failure, so the data stays as it was for
        ``loghaven recover-wal`` or a manual repair; closing and opening retries.
        """
        try:
            self._open()
            self.failure = None
            self._opened = True
        except BaseException as exc:  # any failure, tantivy's panics (BaseExceptions) too
            if isinstance(exc, (KeyboardInterrupt, SystemExit)):
                raise
            self._fail(f"{type(exc).__name__}: {exc}")

    def _fail(self, reason: str) -> None:
        self.failure = reason
        log.error("index [%s/%s] failed to open: %s", self.name, self.uuid, reason)
        for split in self.splits:
            with contextlib.suppress(Exception):  # release what can be released
                split.close_writer()
        if self.wal is not None:
            self.wal.close()
        self.wal = None
        self.splits = []
        self.live = {}
        self.live_bytes = 0
        self.unlisted_appends = False

    def _state_key(self) -> str:
        return self.uuid

    def _open(self) -> None:
        folder = self.folder
        folder.mkdir(parents=True, exist_ok=True)
        saved = self.metastore.get("index_state", self._state_key())
        if saved is None and any(map(self.storage.exists, self.storage.list(self.uuid))):
            raise LoghavenError(f"the metastore has no split list for the splits in [{folder}]; "
                                f"run `loghaven rebuild-metastore`")
        saved = saved or {}
        self.checkpoint = saved.get("checkpoint", -1)
        self.seq_no = self.checkpoint
        for record in saved.get("splits", []):
            split = Split.open_stored(record, self.storage, self.uuid)
            if split is not None:
                self.splits.append(split)
        self._remove_unlisted_split_folders()
        self.source_dictionary = next(
            (s.dictionary for s in reversed(self.splits) if s.dictionary is not None), None)
        if not self.splits or self.splits[-1].meta.state != "active":
            self._new_split()
        elif self.source_dictionary is not None:
            self.active.take_dictionary(self.source_dictionary)
            self.source_dictionary = self.active.dictionary
        self._check_mapping_fits()
        self.wal = WriteAheadLog(folder / "wal")
        replay(self)

    def _remove_unlisted_split_folders(self) -> None:
        """Delete split folders the state does not list: merge inputs or outputs a crash left."""
        listed = {split.meta.location for split in self.splits}
        for location in self.storage.list(self.uuid):
            if location not in listed:
                self.storage.delete(location)

    def next_split_meta(self, state: str = "active") -> SplitMeta:
        """Metadata for a new split, with an id no other split of this node has."""
        self._split_counter += 1
        split_id = f"{now_ms():013d}-{self._split_counter:04d}"
        return SplitMeta(split_id=split_id, state=state, created_ms=now_ms(),
                         location=self.storage.location(self.uuid, split_id))

    def replace_splits(self, old: list[Split], new: Split | list[Split]) -> None:
        """Put ``new`` (one split or several, in order) where the first of ``old`` was and
        drop the rest (a merge's swap)."""
        added = [new] if isinstance(new, Split) else new
        with self.lock:
            first = self.splits.index(old[0])
            kept = [s for s in self.splits if s not in old]
            position = min(first, len(kept) - 1)
            kept[position:position] = added
            self.splits = kept
            self._save_state()

    def _new_split(self) -> Split:
        split = Split(self.next_split_meta(), self.storage, self.mapping,
                      dictionary=self.source_dictionary)
        self.splits.append(split)
        self._check_mapping_fits()
        self._save_state()
        return split

    def _check_mapping_fits(self) -> None:
        """Whether every field of the mapping is in the active split (then no per-doc check)."""
        self._mapping_fits = bool(self.splits) and self.active.field_names.issuperset(
            indexed_field_names(self.mapping))

    @property
    def active(self) -> Split:
        return self.splits[-1]

    def split_list(self) -> list[dict[str, Any]]:
        return [s.meta.to_json() for s in self.splits]

    def _listing(self) -> list[tuple[str, str, str | None, str | None]]:
        """What the sidecar records of each split besides counts: rewritten when it changes."""
        return [(s.meta.split_id, s.meta.state, s.meta.checksum, s.meta.location)
                for s in self.splits]

    def save_checksums(self) -> None:
        """Record the checksums that splits' close threads computed since the last save (the
        scheduled refresh job calls it; the lock is taken only when there is one)."""
        if self._listing() == self._listed_splits:
            return
        with self.lock:
            if self.state == "open" and self.failure is None and not self.removed \
                    and self._listing() != self._listed_splits:
                self._save_state()

    def _save_state(self) -> None:
        if self.removed:  # deleted: its records are gone and stay gone
            return
        splits = self.split_list()
        listed = self._listing()
        if listed != self._listed_splits and self._opened and self._on_meta_change is not None:
            self._on_meta_change(self)  # the sidecar (engine/sidecar.py) lists the splits too
        self._listed_splits = listed
        self.metastore.put("index_state", self._state_key(), {
            "checkpoint": self.checkpoint,
            "splits": splits,
        })

    def close(self) -> None:
        with self.lock:
            if self.state == "open":
                try:
                    self.refresh()
                except LoghavenError as error:  # a full disk: the log keeps them for the start
                    log.warning("index %s: final commit failed: %s", self.name,
                                error.to_cause())
                    for split in self.splits:
                        split.rollback()
                for split in self.splits:
                    split.close_writer()
                try:
                    self.save_checksums()  # of sealed splits whose writers closed just now
                except Exception as exc:  # e.g. the metastore on a full disk
                    log.warning("index %s: recording split checksums failed: %s", self.name,
                                exc)
                if self.wal is not None:
                    try:
                        self.wal.close()
                    except OSError as exc:
                        log.warning("index %s: closing the log failed: %s", self.name, exc)
            self.splits = []
            self.live = {}
            self.live_bytes = 0
            self.unlisted_appends = False

    def set_closed(self, closed: bool) -> None:
        with self.lock:
            if closed and self.state == "open":
                self.close()
                self.state = "close"
                self.failure = None
            elif not closed and self.state == "close":
                self.state = "open"
                self._try_open()

    def merged_mapping(self, update: dict[str, Any]) -> Mapping:
        """This index's mapping with ``update`` merged in, within the index's mapping limits
        (checked on the update before merging, so that nothing recursive sees a body deeper
        than allowed, then on the result); nothing changes here until :meth:`set_mapping`."""
        limits = self.settings.mapping_limits()
        check_mapping_limits(update, limits)
        merged = self.mapping.merge(update)
        check_mapping_limits(merged.body, limits)
        return merged

    def set_mapping(self, mapping: Mapping) -> None:
        """Install a new mapping; the next write rolls to a split whose schema has its fields.

        The schema is built first: a mapping tantivy cannot take is refused, never stored.
        """
        build_schema(mapping)
        with self.lock:
            self.mapping = mapping
            self.builder = DocumentBuilder(mapping)
            self._check_mapping_fits()
            if self._on_meta_change is not None:
                self._on_meta_change(self)

    # --- reads -----------------------------------------------------------------------------

    def get(self, doc_id: str) -> DocState | None:
        """Realtime get: the live map first, then the committed splits, newest first.

        No lock: a refresh commits the splits before it drops entries from the live map, so
        a document is always in one or the other, and readers never wait for a bulk write;
        only appends left out of the live map make the first lookup refresh.
        """
        live = self.live.get(doc_id)
        if live is None and self.make_ids_findable():
            live = self.live.get(doc_id)  # a failed commit put the log in the live map
        if live is not None:
            if live.source is None:
                return None
            return DocState(live.version, live.seq_no, live.source, live.split)
        for split in reversed(list(self.splits)):
            found = find_committed(split, doc_id)
            if found is not None:
                return found
        return None

    def make_ids_findable(self) -> bool:
        """Before looking documents up by id: when appends with generated ids were left out of
        the live map, commit them (True when it did), and list the appends of the next
        refresh interval, as Elasticsearch refreshes an "unsafe" version map and then keeps
        it safe while lookups go on. Pure log ingest thus keeps no per-document state."""
        self._id_lookups = True
        if not self.unlisted_appends:
            return False
        self.list_appends = True  # also if the commit fails: no commit per lookup meanwhile
        self.try_refresh()
        return True

    def tombstone_version(self, doc_id: str) -> int | None:
        live = self.live.get(doc_id)
        if live is not None and live.source is None:
            return live.version
        return None

    # --- writes ----------------------------------------------------------------------------

    def write(self, requests: list[WriteRequest]) -> list[WriteResult | LoghavenError]:
        """Apply a batch of writes; each succeeds or fails alone. Call :meth:`sync` before acking."""
        started = time.monotonic()
        results: list[WriteResult | LoghavenError] = []
        operations: list[Operation] = []
        with self.lock:
            refusal = self._refusal()
            if refusal is not None:
                return [refusal] * len(requests)
            blocks = {op: write_block(self.name, self.settings.flat, op)
                      for op in {r.op for r in requests}}
            explicit = [r.doc_id for r in requests if r.doc_id is not None]
            current = current_states(self, explicit) if explicit else {}
            try:
                for request in requests:
                    block = blocks[request.op]
                    if block is not None:
                        results.append(block)
                        continue
                    try:
                        result, operation = write_one(self, request, current)
                    except LoghavenError as error:
                        results.append(error)
                        continue
                    results.append(result)
                    if operation is not None:
                        operations.append(operation)
                        self._unlogged.append(operation)
                self._log_unlogged()
            except Exception as exc:  # the log or tantivy failed (a full disk)
                return undo(self, requests, results, exc)
            if operations:
                self.pending = True
                self.pending_bytes += sum(len(op.source) for op in operations)
                self.last_write = time.monotonic()
                if self.source_dictionary is None and not self._samples.given_up:
                    self._learn_sources(operations)
        self.stats["index_time_ms"] += int((time.monotonic() - started) * 1000)
        return results

    def _learn_sources(self, operations: list[Operation]) -> None:
        """Collect sources until the dictionary can be trained, then compress the sources
        written from now on with it (the ones before stay as they are)."""
        dictionary = self._samples.add([op.source for op in operations if op.op == OP_INDEX])
        if dictionary is None:
            return
        try:
            self.active.take_dictionary(dictionary)
        except OSError as exc:  # a full disk: trained again from later writes
            log.warning("index %s: storing the source dictionary failed: %s", self.name, exc)
            return
        self.source_dictionary = self.active.dictionary

    def _log_unlogged(self) -> None:
        """Append the batch's operations so far to the log: at its end, and before a split
        is sealed (committed) in the middle of it, so no commit holds what the log lacks."""
        if self._unlogged:
            assert self.wal is not None
            self.wal.append(self._unlogged)
            self._unlogged = []

    @property
    def needs_commit(self) -> bool:
        """Writes are refused until a commit: the log failed an fsync, or lacks a re-apply."""
        return self._commit_refusal() is not None

    def _refusal(self) -> LoghavenError | None:
        """Why no write can be taken now: the index was deleted or closed since the writer
        found it, or it waits for a commit."""
        if self.removed:
            return IndexNotFound(self.name)
        if self.state != "open":
            return IndexClosed(self.name)
        return self._commit_refusal()

    def _commit_refusal(self) -> LoghavenError | None:
        if self.wal is not None and self.wal.failed is not None:
            return TranslogFailure(self.name, self.wal.failed)
        return self._unapplied

    def sync(self) -> None:
        """Make the log durable up to here (the ``request`` durability contract); a
        ``TranslogFailure`` (500) if it could not be, so that nothing is acknowledged."""
        if self.wal is not None and self.settings.durability == "request":
            try:
                self.wal.sync()
            except OSError as error:
                raise TranslogFailure(self.name, error) from error

    def _next_seq(self) -> int:
        self.seq_no += 1
        return self.seq_no

    def _target_split(self, fields: Iterable[str] = ()) -> Split:
        """The active split, or a new one if it is full or lacks some of ``fields``."""
        split = self.active
        if split.meta.num_docs >= SPLIT_MAX_DOCS \
                or (not self._mapping_fits and not split.field_names.issuperset(fields)):
            split = self._roll()
        return split

    def _roll(self) -> Split:
        """Seal the active split and start one whose schema has the current mapping's fields.

        An active split that never took a document is dropped instead of sealed.
        """
        old = self.active
        if old.meta.num_docs == 0 and not old.uncommitted:
            self.splits.pop()
            old.remove()
            return self._new_split()
        self._log_unlogged()
        old.commit()
        old.meta.state = "sealed"
        old.close_writer(background=True)
        return self._new_split()

    # --- moving splits (warm migration, force merge) ----------------------------------------

    def seal(self) -> None:
        """Commit everything and seal the active split (an empty one takes its place), waiting
        for the close threads: afterwards every document is in a sealed split with a
        checksum, the first step of moving or snapshotting an index. Sealing an index whose
        active split holds nothing seals nothing (it is idempotent).

        The close threads are waited for outside the lock (tantivy's last merges of a large
        split take seconds); writes that arrive meanwhile go to the new active split, and a
        delete into a sealed split clears its checksum again, which :meth:`relocate` sees.
        """
        with self.lock:
            self._check_movable()
            self.refresh()
            active = self.active
            if active.meta.num_docs > 0 or active.uncommitted:
                self._roll()
            sealed = [split for split in self.splits if split.meta.state == "sealed"]
        for split in sealed:
            split.wait_closed()
        with self.lock:
            self._check_movable()
            for split in self.splits:
                if split in sealed:
                    split.record_checksum()
            self._save_state()

    def _check_movable(self) -> None:
        """Splits are sealed and moved only in an open, available index."""
        if self.removed:
            raise IndexNotFound(self.name)
        if self.state != "open":
            raise IndexClosed(self.name)
        self.check_available()

    def relocate(self, moved: dict[str, SplitMeta]) -> None:
        """Switch sealed splits to new metadata (split id → its metadata at the new location,
        same documents) in one metastore write, then delete the old files; searches,
        scrolls and points in time holding the old splits finish on them (their files stay
        mapped). A split that changed meanwhile (a delete) refuses the whole switch.

        "Unchanged" means: still listed, sealed, no writer open, and its checksum the one
        the new metadata carries (a delete clears the checksum when it opens the writer,
        and a later close computes a different one). Crash safety comes from the single
        write: before it the state lists the old locations, after it the new ones, and the
        sweep of unlisted local folders at open (:meth:`_remove_unlisted_split_folders`)
        removes whichever copy a crash left behind.
        """
        with self.lock:
            self._check_movable()
            current = {split.meta.split_id: split for split in self.splits}
            replaced: dict[Split, Split] = {}
            for split_id, meta in moved.items():
                old = current.get(split_id)
                _check_unchanged(split_id, old, meta)
                assert old is not None
                replaced[old] = Split(_sealed_copy(meta), self.storage)
            previous = self.splits
            self.splits = [replaced.get(split, split) for split in previous]
            try:
                self._save_state()
            except BaseException:
                self.splits = previous
                raise
            for doc_id, live in list(self.live.items()):
                if live.split in replaced:
                    self.live[doc_id] = LiveDoc(live.version, live.seq_no, live.source,
                                                replaced[live.split], live.deleted_at_ms)
            self.drop_split_files([old for old, new in replaced.items()
                                   if old.meta.location != new.meta.location])

    def drop_split_files(self, splits: list[Split]) -> None:
        """Delete the files of splits the state no longer lists, now rather than at the next
        open. A search, scroll or point in time that holds one of them keeps working: its
        searcher (made here if it had none) has the files mapped, and deleted files stay
        readable until unmapped. A failure is logged: the sweep of unlisted local folders at
        the next open removes what is left."""
        for split in splits:
            location = split.meta.location
            assert location is not None
            try:
                if not self.storage.is_remote(location):
                    split.searcher()
                self.storage.delete(location)
            except Exception as exc:
                log.warning("index %s: deleting the files of split %s failed: %s", self.name,
                            location, exc)

    # --- refresh ---------------------------------------------------------------------------

    def refresh(self) -> None:
        """Commit every split with pending changes, then record the checkpoint."""
        with self.lock:
            if self.state != "open" or self.removed:
                return
            if self._unapplied is not None:
                recover(self)
                if self._unapplied is not None:
                    raise self._unapplied
            if self.pending or self.needs_commit:
                started = time.monotonic()
                committed = self.seq_no
                self._commit_splits()
                self.checkpoint = committed
                self.pending = False
                self.pending_bytes = 0
                cutoff = now_ms() - GC_DELETES_MS
                self.live = {k: v for k, v in self.live.items()
                             if v.source is None and v.deleted_at_ms > cutoff}
                self.live_bytes = 0
                self.unlisted_appends = False
                self.list_appends, self._id_lookups = self._id_lookups, False
                self._record_checkpoint()
                self.stats["refresh_total"] += 1
                self.stats["refresh_time_ms"] += int((time.monotonic() - started) * 1000)
            self.last_refresh = time.monotonic()

    def _commit_splits(self) -> None:
        """Commit every split; if tantivy fails (a full disk), the checkpoint stays where it
        is, the log is applied again to fresh writers, and the commit is tried once more.

        tantivy's writer fails asynchronously: a document buffered while the disk was full
        can fail the first commit after space came back, and the second then succeeds.
        """
        self._forget_stale_checksums()
        for attempt in (1, 2):
            try:
                for split in self.splits:
                    split.commit()
                    if split is not self.active:
                        split.close_writer(background=True)
                return
            except Exception as exc:
                log.warning("index %s: commit failed, the log is kept and applied again: "
                            "%s", self.name, exc)
                recover(self)
                if attempt == 2 or self._unapplied is not None:
                    raise EngineFailure(self.name, exc) from exc

    def _forget_stale_checksums(self) -> None:
        """Before a commit changes a sealed split's files (deletes), record that its checksum
        is gone, so that a crash before the new one is recorded leaves none, never a wrong one."""
        recorded = {split_id: checksum for split_id, _, checksum, _ in self._listed_splits}
        if any(recorded.get(s.meta.split_id) and s.meta.checksum is None for s in self.splits):
            try:
                self._save_state()
            except Exception as exc:  # e.g. the metastore on a full disk: commit all the same
                log.warning("index %s: recording split checksums failed: %s", self.name, exc)

    def _record_checkpoint(self) -> None:
        """After a commit: start a new log file, persist the checkpoint, drop older files.

        The commit made the operations durable, so a failure here loses nothing: the log
        files are deleted only once the checkpoint that covers them is stored.
        """
        assert self.wal is not None
        try:
            self.wal.roll()
            self._save_state()
        except Exception as exc:  # e.g. the metastore on a full disk
            log.warning("index %s: recording the checkpoint failed (kept the log): %s",
                        self.name, exc)
            return
        self.wal.truncate(self.checkpoint)

    def try_refresh(self) -> None:
        """A refresh that comes with another request: a write's ``refresh=true|wait_for``,
        or a search of a search-idle index. The writes are durable in the log already, so a
        failed commit (a full disk) fails neither; the scheduled refresh retries it."""
        try:
            self.refresh()
        except LoghavenError as error:
            log.warning("index %s: refresh failed: %s", self.name, error.to_cause())

    def flush(self) -> None:
        self.refresh()

    def search_idle(self) -> bool:
        """No search for ``index.search.idle.after`` (30 s), and no explicit refresh interval.

        Elasticsearch then skips scheduled refreshes, so that pure ingest does not commit
        every second; the next search refreshes first (:meth:`before_search`).
        """
        if self.settings.refresh_explicit:
            return False
        return (time.monotonic() - self.last_search) * 1000 > self.settings.search_idle_after_ms

    def before_search(self) -> None:
        """Mark the index searched; if it was search-idle with pending writes, refresh now."""
        idle = self.search_idle()
        self.last_search = time.monotonic()
        if idle and self.pending:
            self.try_refresh()

    def release_idle_writer(self, idle_seconds: float) -> None:
        """Free the active split's writer (and its indexing heap) after a quiet period."""
        with self.lock:
            if (self.state == "open" and not self.pending and self.splits
                    and time.monotonic() - self.last_write > idle_seconds):
                self.active.close_writer()

    # --- searching helpers ---------------------------------------------------------------------

    def searchable_splits(self) -> list[Split]:
        """A snapshot of the splits, taken without waiting for writers."""
        return list(self.splits)

    def doc_count(self) -> int:
        return sum(s.num_docs() for s in self.searchable_splits())

    def size_bytes(self) -> int:
        return sum(s.size_bytes() for s in self.searchable_splits())

    def remove(self, forget: Callable[[], None] | None = None) -> None:
        """Delete the index's split files and warm objects. ``forget`` (the catalog's
        deletion of the index's records) runs first, once no state can be saved any more, so
        that a crash midway leaves files nothing references, never a listed split without
        its files: a start removes unrecorded index folders, and the warm orphan sweep
        (storage/warm_gc.py) the objects. A file that cannot be deleted is logged and left to
        those sweeps."""
        with self.lock:
            self.removed = True
            if forget is not None:
                forget()
            if self.wal is not None:
                with contextlib.suppress(OSError):  # going away: a failed fsync is moot
                    self.wal.close()
            if os.environ.get(DELETE_PAUSE_ENV):
                _pause_deletion()
            for split in self.splits:
                try:
                    split.remove()
                except Exception as exc:
                    log.warning("index %s: deleting the files of split %s failed (left to "
                                "the sweeps): %s", self.name, split.meta.location, exc)
            self.splits = []


def _pause_deletion() -> None:
    log.warning("index deletion paused before its files (%s)", DELETE_PAUSE_ENV)
    time.sleep(600)


class SplitsChanged(LoghavenError):
    """A relocation found a split other than it was when its copy was taken."""

    type = "illegal_state_exception"
    status = 409


def _check_unchanged(split_id: str, split: Split | None, meta: SplitMeta) -> None:
    if split is None:
        raise SplitsChanged(f"split [{split_id}] is no longer in the index")
    if split.meta.state != "sealed" or split.uncommitted or split.has_writer():
        raise SplitsChanged(f"split [{split_id}] takes writes")
    if split.meta.checksum is None or split.meta.checksum != meta.checksum:
        raise SplitsChanged(f"split [{split_id}] changed since it was copied (checksum "
                            f"[{split.meta.checksum}], the copy's [{meta.checksum}])")
    if meta.split_id != split_id:
        raise SplitsChanged(f"the metadata for split [{split_id}] names split "
                            f"[{meta.split_id}]")


def _sealed_copy(meta: SplitMeta) -> SplitMeta:
    """The new metadata as the index keeps it (its own object, sealed)."""
    copy = SplitMeta.from_json(meta.to_json())
    copy.state = "sealed"
    return copy
