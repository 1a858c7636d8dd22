"""An index: its mapping, its splits, its write-ahead log and its live version map.

Writes go through :meth:`Index.write`, which resolves versions, builds documents, appends
to the write-ahead log and applies to the active split under one lock; the caller then
waits for :meth:`Index.sync` before acknowledging. :meth:`Index.refresh` commits tantivy,
records the checkpoint and truncates the log. On open, the log after the checkpoint is
replayed, so an acknowledged write survives ``kill -9``.

When the log or tantivy fails (a full disk), memory is brought back to exactly what the log
holds (:meth:`Index._reapply_log`), the failed items answer 500, and the checkpoint never
moves past an operation that a commit did not take.
"""

from __future__ import annotations

import binascii
import contextlib
import itertools
import logging
import os
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
import tantivy

from loghaven.engine.disk import flood_stage_block, is_blocked
from loghaven.engine.document import DateBounds, DocumentBuilder
from loghaven.engine.mapping import Mapping, check_mapping_limits
from loghaven.engine.prepare import Prepared
from loghaven.engine.schema import (
    ID,
    SEQ_NO,
    SOURCE,
    VERSION,
    build_schema,
    indexed_field_names,
)
from loghaven.engine.settings import IndexSettings
from loghaven.engine.split import Split, SplitMeta
from loghaven.engine.wal import OP_DELETE, OP_INDEX, Operation, WriteAheadLog
from loghaven.errors import (
    DocumentMissing,
    EngineFailure,
    IllegalArgument,
    LoghavenError,
    MapperParsing,
    ShardUnavailable,
    TranslogFailure,
    VersionConflict,
)
from loghaven.storage.metastore import Metastore
from loghaven.storage.splits import SplitStorage

PRIMARY_TERM = 1
#: ES keeps the version of a deleted document for 60 s (``index.gc_deletes``).
GC_DELETES_MS = 60_000
#: A full active split is sealed and a new one started. tantivy merges segments only within
#: a split, so this bounds the largest merge: the files it maps (counted in the server's
#: RSS) and the CPU it takes. 5M WAF documents in one split made merges of 1.5 GB.
SPLIT_MAX_DOCS = 2_000_000
log = logging.getLogger("loghaven.engine")


_ID_NODE = os.urandom(6)
_URL_SAFE = bytes.maketrans(b"+/", b"-_")
_ID_SEQUENCE = itertools.count(int.from_bytes(os.urandom(3), "big"))


def new_doc_id() -> str:
    """A 20-character URL-safe id that sorts by creation time, like Elasticsearch's.

    The clock (ms) and a sequence come first, so ids made together share a prefix, which
    tantivy's term dictionary builds and stores cheaply (a third less CPU per id than random
    ids, measured); six random bytes of this process make ids of other processes differ.
    """
    sequence = next(_ID_SEQUENCE) & 0xFFFFFF
    millis = time.time_ns() // 1_000_000
    raw = millis.to_bytes(6, "big") + sequence.to_bytes(3, "big") + _ID_NODE
    return binascii.b2a_base64(raw, newline=False).translate(_URL_SAFE).decode()


def now_ms() -> int:
    return int(time.time() * 1000)


@dataclass(slots=True)
class LiveDoc:
    """The latest state of a document written since the last refresh (or a recent tombstone)."""

    version: int
    seq_no: int
    source: bytes | None  # None: deleted
    split: Split | None = None
    deleted_at_ms: int = 0


@dataclass(slots=True)
class DocState:
    """The current version of one document, wherever it lives."""

    version: int
    seq_no: int
    source: bytes | None
    split: Split | None


@dataclass(slots=True)
class WriteRequest:
    """One index/create/update/delete, as parsed from the document APIs or a bulk line."""

    op: str
    doc_id: str | None = None
    source: bytes | None = None
    parsed: dict[str, Any] | None = None
    if_seq_no: int | None = None
    if_primary_term: int | None = None
    version: int | None = None
    version_type: str | None = None
    update: dict[str, Any] | None = None
    #: Set by an ingest worker (engine/prepare.py): the document already built, as JSON.
    prepared: Prepared | None = None


@dataclass(slots=True)
class WriteResult:
    doc_id: str
    version: int
    seq_no: int
    result: str
    status: int
    get: dict[str, Any] | None = None
    extra: dict[str, Any] = field(default_factory=dict)


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
        self.seq_no = -1
        self.checkpoint = -1
        self.pending = False
        self.last_refresh = time.monotonic()
        self.last_write = time.monotonic()
        self.last_search = time.monotonic()
        self.pending_bytes = 0
        self.stats = {"index_total": 0, "delete_total": 0, "index_time_ms": 0,
                      "query_total": 0, "query_time_ms": 0}
        self.wal: WriteAheadLog | None = None
        #: Set when the log could not be applied again after a failure (see
        #: _reapply_log): the splits lack logged operations, so no writes.
        self._unapplied: EngineFailure | None = None
        #: Operations of the batch being written that are not in the log yet.
        self._unlogged: list[Operation] = []
        self._mapping_fits = False
        self._split_counter = 0
        #: Why the index could not be opened (it is then red and serves no reads or writes).
        self.failure = failure
        self._opened = False  # split-list changes are announced once opening is done
        self._listed_splits: list[tuple[str, str, str | None]] = []
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
        if not self.splits or self.splits[-1].meta.state != "active":
            self._new_split()
        self._check_mapping_fits()
        self.wal = WriteAheadLog(folder / "wal")
        self._replay()

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

    def replace_splits(self, old: list[Split], new: Split) -> None:
        """Put ``new`` where the first of ``old`` was and drop the rest (a merge's swap)."""
        with self.lock:
            first = self.splits.index(old[0])
            kept = [s for s in self.splits if s not in old]
            kept.insert(min(first, len(kept) - 1), new)
            self.splits = kept
            self._save_state()

    def _new_split(self) -> Split:
        split = Split(self.next_split_meta(), self.storage, self.mapping)
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

    def _listing(self) -> list[tuple[str, str, str | None]]:
        """What the sidecar records of each split besides counts: rewritten when it changes."""
        return [(s.meta.split_id, s.meta.state, s.meta.checksum) for s in self.splits]

    def save_checksums(self) -> None:
        """Record the checksums that splits' close threads computed since the last save (the
        scheduled refresh job calls it; the lock is taken only when there is one)."""
        if self._listing() == self._listed_splits:
            return
        with self.lock:
            if self.state == "open" and self.failure is None \
                    and self._listing() != self._listed_splits:
                self._save_state()

    def _save_state(self) -> None:
        splits = self.split_list()
        listed = self._listing()
        if listed != self._listed_splits and self._opened and self._on_meta_change is not None:
            self._on_meta_change(self)  # the sidecar (engine/sidecar.py) lists the splits too
        self._listed_splits = listed
        self.metastore.put("index_state", self._state_key(), {
            "checkpoint": self.checkpoint,
            "splits": splits,
        })

    def _replay(self) -> None:
        """Re-apply logged operations after the checkpoint and commit them.

        On a full disk the commit fails: the operations stay in the log and in the writer,
        and a later refresh commits them, so the index opens (read-only) all the same.
        """
        self._reapply_log()
        if self.pending:
            try:
                self.refresh()
            except LoghavenError as error:
                log.warning("index %s: committing the replayed log failed (%s); a later "
                            "refresh retries", self.name, error.to_cause())

    def _reapply_log(self) -> None:
        """Make memory agree with the log: on open, and after a failed append or commit.

        The live map is rebuilt from the log and swapped in whole, so realtime GET answers
        every logged operation throughout, even if tantivy cannot take them now (on a full
        disk its writer cannot even buffer). Then every split drops what its writer has
        not committed (a failed commit has lost it anyway) and the logged operations are
        applied again: what the log holds is there, what it lacks is not. If applying
        fails too, writes are refused until a refresh manages it.
        """
        assert self.wal is not None
        operations = list(self.wal.replay(self.checkpoint))
        live = {k: v for k, v in self.live.items()
                if v.source is None and v.seq_no <= self.checkpoint}
        for op in operations:
            live[op.doc_id] = LiveDoc(op.version, op.seq_no,
                                      op.source if op.op == OP_INDEX else None, None, now_ms())
        self.live = live
        for split in self.splits:
            split.rollback()
        self.pending = bool(operations)
        self.pending_bytes = sum(len(op.source) for op in operations)
        self.seq_no = max([self.seq_no, *(op.seq_no for op in operations)])
        try:
            self._apply_logged(operations)
            self._unapplied = None
        except Exception as exc:  # any engine failure; retried by refresh
            self._refuse_writes(exc)

    def _recover(self) -> None:
        """:meth:`_reapply_log` in the running index, where even a log that cannot be read
        (an error on the full disk) must leave it consistent: no writes until a refresh."""
        try:
            self._reapply_log()
        except Exception as exc:
            self._refuse_writes(exc)

    def _refuse_writes(self, exc: Exception) -> None:
        for split in self.splits:
            split.rollback()
        self._unapplied = EngineFailure(self.name, exc)
        log.warning("index %s: re-applying the log failed (%s); writes are refused until a "
                    "refresh succeeds", self.name, exc)

    def _apply_logged(self, operations: list[Operation]) -> None:
        """Apply logged operations to the splits, idempotently (each id is deleted first)."""
        ids = list({op.doc_id for op in operations})
        for split in self.splits[:-1]:
            for doc_id in self._ids_in_split(split, ids):
                split.delete_id(doc_id)
        for op in operations:
            self.active.delete_id(op.doc_id)
            if op.op == OP_INDEX:
                try:
                    self._apply_index(self._build(orjson.loads(op.source), op.doc_id), op, None)
                except LoghavenError:  # accepted once, no longer fits: not there
                    self.live.pop(op.doc_id, None)

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
        a document is always in one or the other, and readers never wait for a bulk write.
        """
        live = self.live.get(doc_id)
        if live is not None:
            if live.source is None:
                return None
            return DocState(live.version, live.seq_no, live.source, live.split)
        for split in reversed(list(self.splits)):
            found = self._find_committed(split, doc_id)
            if found is not None:
                return found
        return None

    def _find_committed(self, split: Split, doc_id: str) -> DocState | None:
        searcher = split.searcher()
        result = searcher.search(tantivy.Query.term_query(split.schema, ID, doc_id), 1)
        if not result.hits:
            return None
        address = result.hits[0][1]
        version, = searcher.fast_field_values(VERSION, [address])
        seq_no, = searcher.fast_field_values(SEQ_NO, [address])
        source = searcher.doc(address).get_first(SOURCE)
        return DocState(version, seq_no, source, split)

    def _ids_in_split(self, split: Split, ids: list[str]) -> list[str]:
        searcher = split.searcher()
        if not ids or searcher.num_docs == 0:
            return []
        query = tantivy.Query.term_set_query(split.schema, ID, ids)
        result = searcher.search(query, len(ids))
        return [searcher.doc(address).get_first(ID) for _, address in result.hits]

    def _current(self, doc_ids: list[str]) -> dict[str, DocState]:
        """Current state of the given ids, looking each split up once for the whole batch."""
        found: dict[str, DocState] = {}
        remaining = []
        for doc_id in doc_ids:
            live = self.live.get(doc_id)
            if live is None:
                remaining.append(doc_id)
            elif live.source is not None:
                found[doc_id] = DocState(live.version, live.seq_no, live.source, live.split)
        for split in reversed(self.splits):
            if not remaining:
                break
            hits = set(self._ids_in_split(split, remaining))
            for doc_id in hits:
                state = self._find_committed(split, doc_id)
                if state is not None:
                    found[doc_id] = state
            remaining = [d for d in remaining if d not in hits]
        return found

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
            blocked = is_blocked(self.settings.flat)
            explicit = [r.doc_id for r in requests if r.doc_id is not None]
            current = self._current(explicit) if explicit else {}
            try:
                for request in requests:
                    if blocked and request.op != "delete":
                        results.append(flood_stage_block(self.name))
                        continue
                    try:
                        result, operation = self._write_one(request, current)
                    except LoghavenError as error:
                        results.append(error)
                        continue
                    results.append(result)
                    if operation is not None:
                        operations.append(operation)
                        self._unlogged.append(operation)
                self._log_unlogged()
            except Exception as exc:  # the log or tantivy failed (a full disk)
                return self._undo(requests, results, exc)
            if operations:
                self.pending = True
                self.pending_bytes += sum(len(op.source) for op in operations)
                self.last_write = time.monotonic()
        self.stats["index_time_ms"] += int((time.monotonic() - started) * 1000)
        return results

    def _log_unlogged(self) -> None:
        """Append the batch's operations so far to the log: at its end, and before a split
        is sealed (committed) in the middle of it, so no commit holds what the log lacks."""
        if self._unlogged:
            assert self.wal is not None
            self.wal.append(self._unlogged)
            self._unlogged = []

    def _undo(self, requests: list[WriteRequest], results: list[WriteResult | LoghavenError],
              exc: Exception) -> list[WriteResult | LoghavenError]:
        """After the log or tantivy failed in a batch: memory goes back to what the log
        holds, and the items that did not reach it fail with a 500."""
        failure = (TranslogFailure(self.name, exc) if isinstance(exc, OSError)
                   else EngineFailure(self.name, exc))
        lost = {op.seq_no for op in self._unlogged}
        self._unlogged = []
        log.warning("index %s: a write failed and was undone: %s", self.name, exc)
        self._recover()
        kept = [failure if isinstance(r, WriteResult) and r.seq_no in lost else r
                for r in results]
        return kept + [failure] * (len(requests) - len(results))

    @property
    def needs_commit(self) -> bool:
        """Writes are refused until a commit: the log failed an fsync, or lacks a re-apply."""
        return self._refusal() is not None

    def _refusal(self) -> LoghavenError | None:
        """Why no write can be taken now: the log failed an fsync, or lacks a re-apply."""
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

    def _write_one(self, request: WriteRequest,
                   current: dict[str, DocState]) -> tuple[WriteResult, Operation | None]:
        op = request.op
        doc_id = request.doc_id
        if op == "update":
            return self._update(request, current)
        existing = current.get(doc_id) if doc_id is not None else None
        self._check_conditions(request, existing, doc_id)
        if op == "delete":
            assert doc_id is not None
            if existing is None:
                version = (self.tombstone_version(doc_id) or 0) + 1
                return WriteResult(doc_id, version, self._next_seq(), "not_found", 404), None
            return self._delete(doc_id, existing, current)
        if op == "create" and existing is not None:
            raise VersionConflict(
                f"[{doc_id}]: version conflict, document already exists (current version "
                f"[{existing.version}])", index=self.name, shard="0", index_uuid=self.uuid)
        if doc_id is None:
            doc_id = new_doc_id()
        assert request.source is not None
        if request.version_type in ("external", "external_gte"):
            version = int(request.version or 0)
        elif existing is not None:
            version = existing.version + 1
        else:
            version = (self.tombstone_version(doc_id) or 0) + 1
        prepared = request.prepared
        flat: dict[str, Any] | None = None
        if (prepared is None or prepared.mapping is not self.mapping or not self._mapping_fits
                or existing is not None):
            source = (request.parsed if request.parsed is not None
                      else _parse_source(request.source))
            flat = self._build(source, doc_id)  # before the seq_no: a misfit consumes none
        operation = Operation(self._next_seq(), OP_INDEX, doc_id, version, request.source,
                              now_ms())
        if flat is not None:
            self._apply_index(flat, operation, existing)
        else:
            assert prepared is not None
            self._apply_prepared(prepared, operation)
        if request.doc_id is not None:  # later items of the batch may address it again
            current[doc_id] = DocState(version, operation.seq_no, request.source, self.active)
        result = "updated" if existing is not None else "created"
        self.stats["index_total"] += 1
        return WriteResult(doc_id, version, operation.seq_no, result,
                           200 if existing is not None else 201), operation

    def _check_conditions(self, request: WriteRequest, existing: DocState | None,
                          doc_id: str | None) -> None:
        if request.if_seq_no is not None or request.if_primary_term is not None:
            if existing is None:
                raise VersionConflict(
                    f"[{doc_id}]: version conflict, required seqNo [{request.if_seq_no}], "
                    f"primary term [{request.if_primary_term}] but no document was found",
                    index=self.name, shard="0", index_uuid=self.uuid)
            if (existing.seq_no != request.if_seq_no
                    or (request.if_primary_term or PRIMARY_TERM) != PRIMARY_TERM):
                raise VersionConflict(
                    f"[{doc_id}]: version conflict, required seqNo [{request.if_seq_no}], "
                    f"primary term [{request.if_primary_term}]. current document has seqNo "
                    f"[{existing.seq_no}] and primary term [{PRIMARY_TERM}]",
                    index=self.name, shard="0", index_uuid=self.uuid)
        if request.version_type in ("external", "external_gte") and existing is not None:
            wanted = int(request.version or 0)
            too_low = (wanted <= existing.version if request.version_type == "external"
                       else wanted < existing.version)
            if too_low:
                raise VersionConflict(
                    f"[{doc_id}]: version conflict, current version [{existing.version}] is "
                    f"higher or equal to the one provided [{wanted}]",
                    index=self.name, shard="0", index_uuid=self.uuid)

    def _delete(self, doc_id: str, existing: DocState,
                current: dict[str, DocState]) -> tuple[WriteResult, Operation]:
        version = existing.version + 1
        operation = Operation(self._next_seq(), OP_DELETE, doc_id, version, b"", now_ms())
        if existing.split is not None:
            existing.split.delete_id(doc_id)
        self.live[doc_id] = LiveDoc(version, operation.seq_no, None, None, now_ms())
        current.pop(doc_id, None)
        self.stats["delete_total"] += 1
        return WriteResult(doc_id, version, operation.seq_no, "deleted", 200), operation

    def _update(self, request: WriteRequest,
                current: dict[str, DocState]) -> tuple[WriteResult, Operation | None]:
        doc_id = request.doc_id
        assert doc_id is not None and request.update is not None
        body = request.update
        existing = current.get(doc_id)
        self._check_conditions(request, existing, doc_id)
        if "script" in body:
            raise IllegalArgument("scripted updates are not supported; send a partial [doc]")
        if existing is None:
            if body.get("doc_as_upsert") and "doc" in body:
                new_source = body["doc"]
            elif "upsert" in body:
                new_source = body["upsert"]
            else:
                raise DocumentMissing(f"[{doc_id}]: document missing", index=self.name,
                                      shard="0", index_uuid=self.uuid)
        else:
            assert existing.source is not None
            old = orjson.loads(existing.source)
            if "doc" not in body:
                raise IllegalArgument("Validation Failed: 1: script or doc is missing;")
            new_source = _deep_merge(dict(old), body["doc"])
            if new_source == old and body.get("detect_noop", True):
                return WriteResult(doc_id, existing.version, existing.seq_no, "noop", 200), None
        source_bytes = orjson.dumps(new_source)
        index_request = WriteRequest("index", doc_id, source_bytes, parsed=new_source)
        result, operation = self._write_one(index_request, current)
        if body.get("_source") or request.update.get("_source_includes"):
            result.get = {"_source": new_source, "found": True}
        return result, operation

    def _next_seq(self) -> int:
        self.seq_no += 1
        return self.seq_no

    def _build(self, source: dict[str, Any], doc_id: str) -> dict[str, Any]:
        flat, unmapped = self.builder.build(source, doc_id)
        if unmapped:
            additions = self.mapping.dynamic_update(source)
            if additions:
                self.set_mapping(self.merged_mapping({"properties": additions}))
                flat, _ = self.builder.build(source, doc_id)
        return flat

    def _apply_index(self, flat: dict[str, Any], operation: Operation,
                     existing: DocState | None) -> None:
        """Add the document, replacing ``existing``; the old copy goes only once the new fits."""
        split = self._target_split(flat)
        flat[ID] = operation.doc_id
        flat[SOURCE] = operation.source
        flat[SEQ_NO] = operation.seq_no
        flat[VERSION] = operation.version
        try:
            if existing is None or existing.split is None:
                split.add_flat(flat)  # validated and added in one native call
            else:
                document = split.document(flat)
                existing.split.delete_id(operation.doc_id)
                split.add_document(document)
        except ValueError as exc:
            raise _not_fitting(operation, exc) from exc
        self._added(split, operation, self.builder.date_bounds(flat))

    def _apply_prepared(self, prepared: Prepared, operation: Operation) -> None:
        """Add a new document that an ingest worker built for the current mapping."""
        split = self._target_split()  # a prepared document fits the mapping's fields
        try:
            split.add_json(prepared.json(operation.doc_id, operation.seq_no, operation.version))
        except ValueError as exc:
            raise _not_fitting(operation, exc) from exc
        self._added(split, operation, prepared.date_bounds)

    def _added(self, split: Split, operation: Operation, date_bounds: DateBounds) -> None:
        """Count the document in its split, widen the split's date ranges (used to prune
        searches) and make it visible to realtime GET."""
        split.meta.num_docs += 1
        ranges = split.meta.date_ranges
        for name, low, high in date_bounds:
            known = ranges.get(name)
            if known is None:
                ranges[name] = [low, high]
            else:
                if low < known[0]:
                    known[0] = low
                if high > known[1]:
                    known[1] = high
        self.live[operation.doc_id] = LiveDoc(operation.version, operation.seq_no,
                                              operation.source, split)

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

    # --- refresh ---------------------------------------------------------------------------

    def refresh(self) -> None:
        """Commit every split with pending changes, then record the checkpoint."""
        with self.lock:
            if self.state != "open":
                return
            if self._unapplied is not None:
                self._recover()
                if self._unapplied is not None:
                    raise self._unapplied
            if self.pending or self.needs_commit:
                committed = self.seq_no
                self._commit_splits()
                self.checkpoint = committed
                self.pending = False
                self.pending_bytes = 0
                cutoff = now_ms() - GC_DELETES_MS
                self.live = {k: v for k, v in self.live.items()
                             if v.source is None and v.deleted_at_ms > cutoff}
                self._record_checkpoint()
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
                self._recover()
                if attempt == 2 or self._unapplied is not None:
                    raise EngineFailure(self.name, exc) from exc

    def _forget_stale_checksums(self) -> None:
        """Before a commit changes a sealed split's files (deletes), record that its checksum
        is gone, so that a crash before the new one is recorded leaves none, never a wrong one."""
        recorded = {split_id: checksum for split_id, _, checksum in self._listed_splits}
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

    def remove(self) -> None:
        with self.lock:
            for split in self.splits:
                split.remove()
            if self.wal is not None:
                with contextlib.suppress(OSError):  # going away: a failed fsync is moot
                    self.wal.close()
            self.splits = []


#: How tantivy's messages for a value that does not fit its field begin; any other error
#: from adding a document is its writer failing (a full disk), never the document's fault.
_NOT_FITTING = ("The field ", "Expected ", "The provided string is not valid JSON")


def _not_fitting(operation: Operation, exc: ValueError) -> Exception:
    """tantivy's own validation failed (e.g. of an IP address) when adding the document:
    a 400 for that document; or its writer failed, which fails the whole batch (a 5xx)."""
    if not str(exc).startswith(_NOT_FITTING):
        return RuntimeError(f"tantivy's index writer failed: {exc}")
    return MapperParsing(f"failed to parse document with id '{operation.doc_id}': {exc}",
                         caused_by={"type": "illegal_argument_exception", "reason": str(exc)})


def _parse_source(source: bytes) -> dict[str, Any]:
    try:
        value = orjson.loads(source)
    except orjson.JSONDecodeError as exc:
        raise MapperParsing("failed to parse", caused_by={
            "type": "json_parse_exception", "reason": str(exc)}) from exc
    if not isinstance(value, dict):
        raise MapperParsing("failed to parse", caused_by={
            "type": "not_x_content_exception",
            "reason": "Compressor detection can only be called on some xcontent bytes or "
                      "compressed xcontent bytes"})
    return value


def _deep_merge(base: dict[str, Any], update: dict[str, Any]) -> dict[str, Any]:
    for key, value in update.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            base[key] = _deep_merge(dict(base[key]), value)
        else:
            base[key] = value
    return base
