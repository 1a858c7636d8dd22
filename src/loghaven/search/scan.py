"""Reading every match of a query, in batches, from a snapshot: what the bulk-by-scroll
operations (``_delete_by_query``, ``_update_by_query``, ``_reindex``) read.

The snapshot pins each split's searcher when the operation starts, so documents written
meanwhile (by the operation itself, too) are not read, as ES's scroll does not see them.
Matches come in index order (split by split, ``_doc`` order within one), ``size`` at a time,
at most ``max_docs`` in all, each with the seq_no and version seen in the snapshot (a write
made meanwhile is a version conflict for a write that sets ``if_seq_no``). The acting
subject's restrictions apply: DLS narrows the matches, FLS the ``_source`` a copy reads.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import tantivy

from loghaven.engine.catalog import Target
from loghaven.engine.index import Index
from loghaven.engine.schema import ID, SEQ_NO, SOURCE, VERSION
from loghaven.search.context import SplitContext
from loghaven.search.leaf import Cursor, resolve_keys, search_split
from loghaven.search.request import SortKey
from loghaven.search.restrictions import Restriction, Restrictions
from loghaven.search.root import take_snapshot
from loghaven.search.task import SearchTask

_INDEX_ORDER = [SortKey("_doc", "asc")]


@dataclass(frozen=True)
class Match:
    """One matching document as the snapshot holds it."""

    index: Index
    doc_id: str
    #: The stored ``_source``, whole (a by-query update writes it back unchanged).
    source: bytes
    seq_no: int
    version: int
    restriction: Restriction | None = None

    def visible_source(self) -> bytes:
        """The ``_source`` as the acting subject may see it (FLS and masking applied)."""
        return self.source if self.restriction is None else self.restriction.source(self.source)


@dataclass(frozen=True)
class Slice:
    """A manual slice (``"slice": {"id": n, "max": m}``): the documents whose id hashes to
    ``id`` modulo ``max``, so that ``max`` requests together read every document once."""

    id: int
    max: int

    def holds(self, doc_id: str) -> bool:
        return zlib.crc32(doc_id.encode()) % self.max == self.id


def batches(targets: list[Target], query: dict[str, Any] | None, *, size: int,
            max_docs: int | None, now_ms: int, task: SearchTask,
            restrictions: Restrictions, part: Slice | None = None,
            ) -> Iterator[list[Match]]:
    """The matches of ``query`` in ``targets``, ``size`` at a time (a batch may span splits
    and indices, as a scroll's page does). ``task`` is checked before each search: a
    cancelled one raises there."""
    batch: list[Match] = []
    for match in _matches(targets, query, size, max_docs, now_ms, task, restrictions, part):
        batch.append(match)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _matches(targets: list[Target], query: dict[str, Any] | None, size: int,
             max_docs: int | None, now_ms: int, task: SearchTask, restrictions: Restrictions,
             part: Slice | None) -> Iterator[Match]:
    snapshot = take_snapshot(targets, pin=True)
    read = 0
    for position, entry in enumerate(snapshot.entries):
        restriction = restrictions.get(entry.index.name)
        searcher = entry.searcher
        ctx = SplitContext(entry.index, entry.split, searcher, tantivy.Query.all_query(), task,
                           restriction)
        compiled = ctx.query = ctx.within(ctx.compile(query, now_ms), entry.alias_filter,
                                          now_ms)
        keys = resolve_keys(_INDEX_ORDER, entry.index.mapping, entry.split.field_names)
        cursor: Cursor | None = None
        while max_docs is None or read < max_docs:
            task.check()
            wanted = size if max_docs is None or part is not None else \
                min(size, max_docs - read)
            rows = search_split(ctx, position, compiled, keys, wanted, cursor=cursor,
                                count=False).rows
            if not rows:
                break
            cursor = Cursor(rows[-1].values, None)
            for row in rows:
                doc = searcher.doc(row.address)
                doc_id = doc.get_first(ID)
                if part is not None and not part.holds(doc_id):
                    continue
                if max_docs is not None and read >= max_docs:
                    return
                seq_no, = searcher.fast_field_values(SEQ_NO, [row.address])
                version, = searcher.fast_field_values(VERSION, [row.address])
                read += 1
                yield Match(entry.index, doc_id, entry.split.source(doc.get_first(SOURCE)),
                            seq_no, version, restriction)
