"""The state of documents between writes: versions in the live map and in committed splits,
and the requests and results of :meth:`Index.write <loghaven.engine.index.Index.write>`.

Realtime GET and version checks read the live map (writes since the last refresh, and
recent tombstones) first, then the committed splits (``find_committed``).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import tantivy

from loghaven.engine.prepare import Prepared
from loghaven.engine.schema import ID, SEQ_NO, SOURCE, VERSION
from loghaven.engine.split import Split, top_level

PRIMARY_TERM = 1


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



def find_committed(split: Split, doc_id: str,
                   within: tantivy.Query | None = None) -> DocState | None:
    """The committed copy of a document in ``split`` (if it also matches ``within``)."""
    searcher = split.searcher()
    query = tantivy.Query.term_query(split.schema, ID, doc_id)
    if within is not None:
        query = tantivy.Query.boolean_query([(tantivy.Occur.Must, query),
                                             (tantivy.Occur.Must, within)])
    result = searcher.search(top_level(split, query), 1)
    if not result.hits:
        return None
    address = result.hits[0][1]
    version, = searcher.fast_field_values(VERSION, [address])
    seq_no, = searcher.fast_field_values(SEQ_NO, [address])
    source = split.source(searcher.doc(address).get_first(SOURCE))
    return DocState(version, seq_no, source, split)


def ids_in_split(split: Split, ids: list[str]) -> list[str]:
    if not ids:  # before the searcher: a warm split is not fetched for nothing
        return []
    searcher = split.searcher()
    if searcher.num_docs == 0:
        return []
    query = top_level(split, tantivy.Query.term_set_query(split.schema, ID, ids))
    result = searcher.search(query, len(ids))
    return [searcher.doc(address).get_first(ID) for _, address in result.hits]
