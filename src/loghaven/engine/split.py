"""A split: one tantivy index folder, the unit of writing, searching, moving and deleting."""

from __future__ import annotations

import base64
import contextlib
import importlib.metadata
import logging
import threading
import weakref
from collections.abc import Iterable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import orjson
import tantivy

from loghaven.engine.mapping import Mapping
from loghaven.engine.schema import (
    ID,
    NESTED_PATH,
    SEQ_NO,
    SOURCE,
    VERSION,
    register_analyzers,
)
from loghaven.engine.schema import build_schema as schema_for
from loghaven.engine.sources import SourceDictionary, is_compressed
from loghaven.errors import LoghavenError
from loghaven.storage.objects import ObjectStoreError
from loghaven.storage.splits import SplitStorage, split_checksum

WRITER_HEAP_BYTES = 128_000_000
#: What writes the segments (``_cat/segments`` shows it where ES shows the Lucene version).
ENGINE_VERSION = "tantivy-" + importlib.metadata.version("tantivy")
log = logging.getLogger("loghaven.engine")

#: The document store of a split bound for the warm tier (meta.json's ``index_settings``):
#: uncompressed, in 1 MiB blocks, because the object store compresses each file with zstd,
#: which finds far more in the raw ``_source`` than in tantivy's lz4 blocks of 16 KiB (50k
#: WAF documents: 0.106 bytes stored per raw byte with lz4 inside, 0.068 without; decision
#: 0013). tantivy-py is built without its zstd store, and has no option for either: the
#: settings are written into meta.json before the first writer opens.
WARM_DOCSTORE = {"docstore_compression": "none", "docstore_blocksize": 1 << 20}
#: tantivy's default document store, which a split moved back to hot is rewritten with.
HOT_DOCSTORE = {"docstore_compression": "lz4", "docstore_blocksize": 65536}


#: The key of a built document that lists its nested objects' hidden documents (flat
#: documents too, without ``_id``, ``_source`` and versions: the parent's are added).
NESTED = "#nested"


def tantivy_json(flat: dict[str, Any]) -> bytes:
    """A flat document (its ``_source`` as the bytes to store) as the JSON
    ``IndexWriter.add_json`` reads."""
    flat[SOURCE] = base64.b64encode(flat[SOURCE]).decode()
    return orjson.dumps(flat)


@dataclass
class SplitMeta:
    """What the metastore (and the sidecar) records of a split.

    ``location`` is where its files live (storage/splits.py; None in records written before
    locations: the default local location). ``checksum`` is that of its committed files
    (:func:`split_checksum`), set once a sealed split's writer is closed; None while the
    split is active or takes writes (deletes) after sealing.
    """

    split_id: str
    state: str = "active"  # active | sealed
    created_ms: int = 0
    num_docs: int = 0
    date_ranges: dict[str, list[int]] = field(default_factory=dict)
    location: str | None = None
    checksum: str | None = None
    #: A remote (warm) split's stored files (storage/blobs.py ``BlobFile.to_json``) and its
    #: tantivy schema (meta.json's ``schema``): it is listed and planned without fetching.
    files: list[dict[str, Any]] | None = None
    schema: list[dict[str, Any]] | None = None
    #: And meta.json's ``segments`` (``segment_id``, ``max_doc``, ``deletes``), for
    #: ``_cat/segments`` and the document count without fetching.
    segments: list[dict[str, Any]] | None = None

    def to_json(self) -> dict[str, Any]:
        data = {"split_id": self.split_id, "state": self.state, "created_ms": self.created_ms,
                "num_docs": self.num_docs, "date_ranges": self.date_ranges,
                "location": self.location, "checksum": self.checksum}
        if self.files is not None:
            data.update(files=self.files, schema=self.schema, segments=self.segments)
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SplitMeta:
        return cls(data["split_id"], data.get("state", "sealed"), data.get("created_ms", 0),
                   data.get("num_docs", 0), data.get("date_ranges", {}), data.get("location"),
                   data.get("checksum"), data.get("files"), data.get("schema"),
                   data.get("segments"))


class RemoteSplits(Protocol):
    """What a warm split needs of its storage (storage/splits.py TieredSplitStorage)."""

    def lease(self, meta: SplitMeta) -> AbstractContextManager[Path]: ...

    def prefetch(self, meta: SplitMeta) -> None: ...

    def touch(self, meta: SplitMeta) -> bool: ...

    def on_evict(self, meta: SplitMeta, callback: Any) -> None: ...


class WarmSplitUnavailable(LoghavenError):
    """A warm split's files could not be fetched or opened (the object store is unreachable,
    an object is missing or damaged): the search fails rather than answer without it."""

    type = "warm_split_unavailable_exception"
    status = 503

    def __init__(self, split_id: str, error: Exception) -> None:
        super().__init__(f"warm split [{split_id}] could not be fetched from the object "
                         f"store: {error}")


@dataclass(frozen=True)
class SegmentInfo:
    """One committed tantivy segment of a split, as ``_cat/segments`` and ``_stats`` report it."""

    segment_id: str
    num_docs: int
    num_deleted: int
    size_bytes: int


class Split:
    """A tantivy index with a lazily opened writer and a cached searcher.

    Its folder comes from ``storage`` for ``meta.location``; with ``mapping`` a new split is
    created there (with ``docstore``'s settings, tantivy's defaults without, and its index's
    source ``dictionary`` if it has one), without it a stored one is opened.
    """

    def __init__(self, meta: SplitMeta, storage: SplitStorage,
                 mapping: Mapping | None = None,
                 docstore: dict[str, Any] | None = None,
                 dictionary: SourceDictionary | None = None) -> None:
        assert meta.location is not None
        self.meta = meta
        self.storage = storage
        self.path = path = storage.local_path(meta.location)
        #: A warm split's storage: its files are fetched into ``path`` on its first search
        #: (and after an eviction); until then ``index`` is None.
        self.remote: RemoteSplits | None = None
        self.index: tantivy.Index | None
        if storage.is_remote(meta.location):
            if mapping is not None or meta.schema is None:
                raise LoghavenError(f"warm split [{meta.split_id}] has no recorded schema"
                                    if mapping is None else
                                    f"cannot create split [{meta.split_id}] in the warm tier")
            self.remote = storage  # type: ignore[assignment]
            self.index = None
            # pickling's constructor: a schema from meta.json's list, without the files
            self.schema = tantivy.Schema._internal_from_pythonized({"inner": meta.schema})
            self.field_names: frozenset[str] = frozenset(f["name"] for f in meta.schema)
            # weakly: the cache must not keep a dropped split (and its mapped files) alive
            evicted = weakref.WeakMethod(self._evicted)
            storage.on_evict(meta,  # type: ignore[attr-defined]
                             lambda: (method := evicted()) is not None and method())
        else:
            if mapping is not None:
                path.mkdir(parents=True, exist_ok=True)
                self.index = tantivy.Index(schema_for(mapping), path=str(path))
                _set_index_settings(path, docstore or HOT_DOCSTORE)
                if dictionary is not None:
                    dictionary.write(path)
                self.index = tantivy.Index.open(str(path))
            else:
                self.index = tantivy.Index.open(str(path))
            register_analyzers(self.index)
            self.schema = self.index.schema
            self.field_names = frozenset(_field_names(path))
        self._writer: tantivy.IndexWriter | None = None
        #: A released writer whose merges tantivy is still finishing (see close_writer).
        self._closing: threading.Thread | None = None
        self._searcher: tantivy.Searcher | None = None
        self._lock = threading.Lock()
        self.uncommitted = False
        #: ``meta.num_docs`` as of the last commit, restored by :meth:`rollback`.
        self.committed_docs = meta.num_docs
        #: Deletes applied since opening; a merge that copied this split checks it is unchanged.
        self.deletions = 0
        #: The copy of its index's source dictionary (engine/sources.py) that the split's
        #: compressed sources were written with; a stored split's is read on first use.
        self._dictionary = dictionary
        self._dictionary_known = mapping is not None or self.remote is not None

    @classmethod
    def open_stored(cls, record: dict[str, Any], storage: SplitStorage,
                    index_uuid: str) -> Split | None:
        """The split a stored record describes, or None if its files are not there. A record
        without a location (written before locations) means the default local one."""
        meta = SplitMeta.from_json(record)
        meta.location = meta.location or storage.location(index_uuid, meta.split_id)
        if storage.is_remote(meta.location) and (meta.files is None or meta.schema is None):
            # never skipped: the next state write would forget the split's documents
            raise LoghavenError(f"warm split [{meta.split_id}] has no files or schema "
                                "recorded; the index stays red until its record is repaired")
        return cls(meta, storage) if storage.exists(meta.location) else None

    @property
    def is_remote(self) -> bool:
        return self.remote is not None

    @property
    def dictionary(self) -> SourceDictionary | None:
        """The index's source dictionary as this split holds it (None: it stores sources as
        they are; warm splits always do)."""
        if not self._dictionary_known:
            self._dictionary = SourceDictionary.read(self.path)
            self._dictionary_known = True
        return self._dictionary

    def take_dictionary(self, dictionary: SourceDictionary) -> None:
        """Store sources with ``dictionary`` from now on: the index has just trained it, or
        this active split was made before. A split that has a copy keeps its own."""
        own = self.dictionary
        if own is None:
            dictionary.write(self.path)
            self._dictionary = dictionary
        elif own.data == dictionary.data:
            self._dictionary = dictionary  # one object: prepared documents check identity

    def source(self, stored: bytes) -> bytes:
        """A stored ``_source`` as it was sent."""
        if not is_compressed(stored):
            return stored
        dictionary = self.dictionary
        if dictionary is None:
            raise LoghavenError(f"split [{self.meta.split_id}] has a compressed _source but "
                                f"no source dictionary in [{self.path}]")
        return dictionary.decompress(stored)

    def _stored(self, flat: dict[str, Any]) -> dict[str, Any]:
        """``flat`` with its ``_source`` (as sent) as this split stores it."""
        dictionary = self.dictionary
        if dictionary is not None and SOURCE in flat:
            flat[SOURCE] = dictionary.compress(flat[SOURCE])
        return flat

    @property
    def writer(self) -> tantivy.IndexWriter:
        if self.remote is not None:
            raise LoghavenError(f"split [{self.meta.split_id}] is in the warm tier and is "
                                "read-only: move its index back to hot to write to it")
        if self._writer is None:
            self._await_closing()  # tantivy allows one writer per index
            self._writer = self.index.writer(WRITER_HEAP_BYTES, 1)
            self.meta.checksum = None  # its files change until the writer is closed again
        return self._writer

    def document(self, flat: dict[str, Any]) -> tantivy.Document:
        """A tantivy document for this split's schema; ValueError if a value does not fit.

        Text analysed in Python (a dict of ``text`` and ``tokens``) is added pre-tokenized:
        ``from_dict`` takes only strings for text fields."""
        flat = self._stored(flat)
        analysed = {k: v for k, v in flat.items() if isinstance(v, dict)}
        if not analysed:
            return tantivy.Document.from_dict(flat, self.schema)
        document = tantivy.Document.from_dict(
            {k: v for k, v in flat.items() if k not in analysed}, self.schema)
        for name, value in analysed.items():
            tokens = [tantivy.Token(t["text"], t["position"], t["offset_from"], t["offset_to"])
                      for t in value["tokens"]]
            document.add_pre_tokenized_text(name, tantivy.PreTokenizedString(value["text"],
                                                                             tokens))
        return document

    def add_flat(self, flat: dict[str, Any]) -> None:
        """Add a flat document through tantivy's JSON path (the fastest way in, measured),
        and the hidden documents of its nested objects."""
        children = flat.pop(NESTED, None)
        nested = self.nested_documents(flat, children) if children else []
        self.add_json(tantivy_json(self._stored(flat)).decode())
        self.add_nested(nested)

    def nested_documents(self, parent: dict[str, Any],
                         children: list[dict[str, Any]]) -> list[tantivy.Document]:
        """A document's nested objects as tantivy documents, each with the parent's ``_id``
        (so that deleting or replacing the parent by its id takes them along, in the same
        commit), sequence number and version; ValueError if a value does not fit. Made
        before the parent is added, so that a misfit adds nothing."""
        for child in children:
            child[ID] = parent[ID]
            child[SEQ_NO] = parent[SEQ_NO]
            child[VERSION] = parent[VERSION]
        return [self.document(child) for child in children]

    def add_nested(self, documents: list[tantivy.Document]) -> None:
        """Add a document's nested objects (:meth:`nested_documents`), right after it."""
        for document in documents:
            self.writer.add_document(document)
        self.meta.num_docs += len(documents)

    @property
    def has_nested(self) -> bool:
        """Whether the split's schema has nested documents' fields (it may hold some)."""
        return NESTED_PATH in self.field_names

    def add_json(self, text: str) -> None:
        """Add a document given as tantivy JSON; ValueError if a value does not fit."""
        self.writer.add_json(text)
        self.uncommitted = True

    def add_document(self, document: tantivy.Document) -> None:
        self.writer.add_document(document)
        self.uncommitted = True

    def delete_id(self, doc_id: str) -> None:
        self.writer.delete_documents_by_term(ID, doc_id)
        self.uncommitted = True
        self.deletions += 1

    def commit(self) -> None:
        if self.uncommitted and self._writer is not None:
            self._writer.commit()
            self.uncommitted = False
            self.committed_docs = self.meta.num_docs
            self.index.reload()
            with self._lock:
                self._searcher = None

    def rollback(self) -> None:
        """Drop the writer and what it has not committed (a failed add or commit kills
        tantivy's writer and loses its documents); the next write opens a fresh one."""
        if self.remote is not None:
            return  # never written
        writer, self._writer = self._writer, None
        if writer is not None:
            with contextlib.suppress(ValueError):
                writer.rollback()
            del writer  # releases tantivy's writer lock
        self.uncommitted = False
        self.meta.num_docs = self.committed_docs
        self.index.reload()  # a commit that failed late may have been applied after all
        with self._lock:
            self._searcher = None

    def close_writer(self, *, background: bool = False) -> None:
        """Release the writer (and its heap); sealed splits keep none open.

        tantivy finishes its merges first, which for a large split takes seconds, and then a
        sealed split's checksum is computed. With ``background`` a thread does both, so that
        sealing a split does not stall the writes to the next one; the next use of this
        split's writer waits instead.
        """
        if self._writer is not None:
            if self.uncommitted:
                self.commit()
            writer, self._writer = self._writer, None
            if background:
                self._closing = threading.Thread(target=self._finish, args=(writer,),
                                                 name="split-close", daemon=True)
                self._closing.start()
                return
            self._finish(writer)
        if not background:
            self._await_closing()

    def _finish(self, writer: tantivy.IndexWriter) -> None:
        """Wait for a released writer's merges; then checksum a sealed split's files."""
        writer.wait_merging_threads()
        if self.meta.state == "sealed":
            try:
                self.meta.checksum = split_checksum(self.path)
            except (OSError, ValueError, KeyError) as exc:  # the disk; computed next time
                log.warning("split %s: computing its checksum failed: %s", self.path, exc)

    def _await_closing(self) -> None:
        self.wait_closed()
        self._closing = None

    def has_writer(self) -> bool:
        """Whether a writer is open or a released one is still finishing its merges."""
        return self._writer is not None or (self._closing is not None
                                            and self._closing.is_alive())

    def wait_closed(self) -> None:
        """Wait for a background close (tantivy's merges, the checksum) without the index
        lock: the thread is only joined, the next writer still clears it."""
        thread = self._closing
        if thread is not None:
            thread.join()

    def record_checksum(self) -> None:
        """Give a sealed split without a writer its missing checksum (one sealed before
        checksums existed, or whose close thread could not compute it)."""
        if self.meta.state == "sealed" and self.meta.checksum is None and not self.has_writer():
            self.meta.checksum = split_checksum(self.path)

    def searcher(self) -> tantivy.Searcher:
        if self.remote is not None:
            return self._remote_searcher(self.remote)
        with self._lock:
            if self._searcher is None:
                self._searcher = self.index.searcher()  # type: ignore[union-attr]
            return self._searcher

    def _remote_searcher(self, remote: RemoteSplits) -> tantivy.Searcher:
        """A warm split's searcher: its files fetched through the cache (or found there)
        and opened by tantivy, which maps every file of every segment now, so that an
        eviction later does not disturb this searcher."""
        searcher = self._searcher
        if searcher is not None and remote.touch(self.meta):
            return searcher
        with self._lock:
            searcher = self._searcher
            if searcher is None:
                try:
                    with remote.lease(self.meta) as path:
                        index = tantivy.Index.open(str(path))
                        register_analyzers(index)
                        searcher = index.searcher()
                        self.index, self._searcher = index, searcher
                except (ObjectStoreError, OSError, ValueError) as e:
                    raise WarmSplitUnavailable(self.meta.split_id, e) from e
            return searcher

    def _evicted(self) -> None:
        """The cache removed this warm split's files: the next search fetches them again.
        No lock: the evicting thread may hold another split's."""
        self.index = None
        self._searcher = None

    def prefetch(self) -> None:
        """Fetch a warm split's files in the background if they are not open yet."""
        if self.remote is not None and self._searcher is None:
            self.remote.prefetch(self.meta)

    def num_docs(self) -> int:
        if self.remote is not None:
            return sum(segment.num_docs for segment in self.segments())
        return self.searcher().num_docs

    def size_bytes(self) -> int:
        """Bytes of its files (a warm split's as files, from its metadata: not fetched)."""
        if self.remote is not None:
            return sum(f["size"] for f in self.meta.files or ())
        return sum(p.stat().st_size for p in self.path.iterdir() if p.is_file())

    def segments(self) -> list[SegmentInfo]:
        """Committed segments, read from tantivy's meta.json (the bindings expose none); a
        warm split's from its metadata."""
        if self.remote is not None:
            return _segment_infos(self.meta.segments or [], {
                f["name"]: f["size"] for f in self.meta.files or ()}.items())
        meta = orjson.loads((self.path / "meta.json").read_bytes())
        files: list[tuple[str, int]] = []
        for file in self.path.iterdir():
            try:
                if file.is_file():
                    files.append((file.name, file.stat().st_size))
            except FileNotFoundError:  # a merge garbage-collected it meanwhile
                continue
        return _segment_infos(meta["segments"], files)

    def docstore(self) -> dict[str, Any]:
        """A local split's meta.json ``index_settings``: how its document store is compressed
        and blocked."""
        return orjson.loads((self.path / "meta.json").read_bytes()).get("index_settings", {})

    def remove(self) -> None:
        self._await_closing()
        self._writer = None
        self._searcher = None
        assert self.meta.location is not None
        self.storage.delete(self.meta.location)


def top_level(split: Split, query: tantivy.Query) -> tantivy.Query:
    """``query`` without the split's hidden nested documents (as is, for a split without)."""
    return root_documents(query) if split.has_nested else query


def root_documents(query: tantivy.Query) -> tantivy.Query:
    """``query`` without hidden nested documents, in a split whose schema has them."""
    return tantivy.Query.boolean_query([
        (tantivy.Occur.Must, query),
        (tantivy.Occur.MustNot, tantivy.Query.exists_query(NESTED_PATH))])


def _segment_infos(segments: list[dict[str, Any]],
                   files: Iterable[tuple[str, int]]) -> list[SegmentInfo]:
    """meta.json's segments with the bytes of their files (named ``<segment id>.<ext>``)."""
    sizes: dict[str, int] = {}
    for name, size in files:
        stem = name.split(".", 1)[0]
        if len(stem) == 32:
            sizes[stem] = sizes.get(stem, 0) + size
    result = []
    for segment in segments:
        segment_id = segment["segment_id"].replace("-", "")
        deleted = (segment.get("deletes") or {}).get("num_deleted_docs", 0)
        result.append(SegmentInfo(segment_id, segment["max_doc"] - deleted, deleted,
                                  sizes.get(segment_id, 0)))
    return result


def _set_index_settings(path: Path, settings: dict[str, Any]) -> None:
    """Rewrite a new, empty split's meta.json with ``settings`` in its ``index_settings``."""
    meta_path = path / "meta.json"
    meta = orjson.loads(meta_path.read_bytes())
    meta.setdefault("index_settings", {}).update(settings)
    staged = meta_path.with_suffix(".json.tmp")
    staged.write_bytes(orjson.dumps(meta))
    staged.replace(meta_path)


def _field_names(path: Path) -> list[str]:
    """Field names from tantivy's meta.json (the bindings expose no schema iterator)."""
    meta = orjson.loads((path / "meta.json").read_bytes())
    return [f["name"] for f in meta["schema"]]
