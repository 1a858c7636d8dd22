"""Merging small sealed splits into one.

A mapping that gains fields seals the active split (decisions/0002), so an index whose
documents keep bringing new field names leaves small splits behind, and every search fans
out over all of them. A merge copies the documents of the small sealed splits into one new
split built with the current mapping, then swaps it in with a single metastore write:

1. outside the index lock, build and commit the merged split in a folder the state does not
   list yet, and compute its checksum (a crash here leaves an unlisted folder, removed on the
   next open);
2. under the lock, if no input took a delete meanwhile, replace the inputs by the merged split
   in the state (one metastore put: the switch is atomic);
3. leave the input folders to the next open, which removes unlisted folders, so that searches,
   scrolls and points in time that still hold the old splits keep working.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import orjson
import tantivy

from loghaven.engine.document import DocumentBuilder
from loghaven.engine.schema import ID, SEQ_NO, SOURCE, VERSION
from loghaven.engine.split import Split
from loghaven.errors import LoghavenError

if TYPE_CHECKING:
    from loghaven.engine.index import Index

#: Sealed splits below this many documents are merged together.
SMALL_SPLIT_DOCS = 200_000


def merge_candidates(index: Index) -> list[Split]:
    """The small sealed splits of ``index``, if there are at least two (never warm ones:
    they stay as they were uploaded)."""
    small = [s for s in index.splits[:-1]
             if s.meta.num_docs < SMALL_SPLIT_DOCS and not s.is_remote]
    return small if len(small) >= 2 else []


def merge_small_splits(index: Index) -> Split | None:
    """Merge the small sealed splits of ``index``; the merged split, or None if nothing to do."""
    with index.lock:
        sources = merge_candidates(index)
        if not sources:
            return None
        mapping = index.mapping
        deletions = [s.deletions for s in sources]
        meta = index.next_split_meta(state="sealed")
    try:
        merged = Split(meta, index.storage, mapping)
        builder = DocumentBuilder(mapping)
        for source in sources:
            _copy_documents(source, merged, builder)
            for name, (low, high) in source.meta.date_ranges.items():
                bounds = meta.date_ranges.setdefault(name, [low, high])
                bounds[0], bounds[1] = min(bounds[0], low), max(bounds[1], high)
        merged.close_writer()
    except BaseException:  # a full disk: leave no half-written split taking space
        assert meta.location is not None
        index.storage.delete(meta.location)
        raise
    with index.lock:
        unchanged = all(s in index.splits for s in sources) and \
            [s.deletions for s in sources] == deletions
        if not unchanged or index.state != "open":
            merged.remove()
            return None
        index.replace_splits(sources, merged)
    return merged


def _copy_documents(source: Split, target: Split, builder: DocumentBuilder) -> None:
    """Re-add every live document of ``source`` with its id, version and sequence number."""
    searcher = source.searcher()
    if searcher.num_docs == 0:
        return
    hits = searcher.search(tantivy.Query.all_query(), searcher.num_docs).hits
    addresses = [address for _, address in hits]
    seq_nos = searcher.fast_field_values(SEQ_NO, addresses)
    versions = searcher.fast_field_values(VERSION, addresses)
    for address, seq_no, version in zip(addresses, seq_nos, versions, strict=True):
        stored = searcher.doc(address)
        doc_id = stored.get_first(ID)
        source_bytes = stored.get_first(SOURCE)
        try:
            flat, _ = builder.build(orjson.loads(source_bytes), doc_id)
        except LoghavenError:  # indexed under an older mapping; keep it as it was accepted
            flat = {}
        flat.update({ID: doc_id, SOURCE: source_bytes, SEQ_NO: seq_no, VERSION: version})
        target.add_flat(flat)
        target.meta.num_docs += 1


def force_merge(index: Index, *, max_num_segments: int | None = None,
                only_expunge_deletes: bool = False, flush: bool = True) -> None:
    """ES's ``_forcemerge`` on one index: with ``flush`` the active split is sealed first;
    the sealed splits are merged into as few as :data:`~loghaven.engine.index.SPLIT_MAX_DOCS`
    allows (``max_num_segments``: at most that many splits where they fit), deleted
    documents are dropped, and ``_segments`` then shows what a user expects. Runs outside
    the index lock, swapped in as :func:`merge_small_splits` does."""
    raise NotImplementedError("CONTRACT: issue 19, helper engine-ops")
