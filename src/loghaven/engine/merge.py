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

import time
from collections.abc import Iterator
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

import orjson
import tantivy

from loghaven.engine import index as index_module
from loghaven.engine.blocks import metadata_block
from loghaven.engine.document import DocumentBuilder
from loghaven.engine.index import SplitsChanged
from loghaven.engine.mapping import Mapping
from loghaven.engine.schema import ID, SEQ_NO, SOURCE, VERSION
from loghaven.engine.split import WARM_DOCSTORE, Split, SplitMeta
from loghaven.errors import ActionRequestValidation, IllegalArgument, LoghavenError

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
    """Merge the small sealed splits of ``index``; the merged split, or None if there was
    nothing to do or no live document to keep (the inputs are dropped then)."""
    with index.lock:
        if not merge_candidates(index):
            return None
        # committed first: a delete still pending would be read back to life by the copy
        index.refresh()
        sources = merge_candidates(index)
        if not sources:
            return None
        mapping = index.mapping
        deletions = [s.deletions for s in sources]
        meta = index.next_split_meta(state="sealed")
    started = time.monotonic()
    merged = _rewrite(index, sources, [meta], mapping)
    with index.lock:
        unchanged = all(s in index.splits for s in sources) and \
            [s.deletions for s in sources] == deletions
        if not unchanged or index.state != "open":
            for split in merged:
                split.remove()
            return None
        index.replace_splits(sources, merged)
        index.stats["merge_total"] += 1
        index.stats["merge_time_ms"] += int((time.monotonic() - started) * 1000)
        index.stats["merge_docs"] += sum(s.meta.num_docs for s in sources)
        index.stats["merge_bytes"] += sum(s.size_bytes() for s in sources)
    return merged[0] if merged else None


def _live_documents(source: Split, builder: DocumentBuilder) -> Iterator[dict[str, Any]]:
    """Each live document of ``source`` as a flat document of the current mapping, keeping
    its id, version and sequence number (deleted documents are not read)."""
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
        if source_bytes is None:  # a nested object's document: rebuilt with its parent's
            continue
        source_bytes = source.source(source_bytes)  # stored again as the target stores it
        try:
            flat, _ = builder.build(orjson.loads(source_bytes), doc_id)
        except LoghavenError:  # indexed under an older mapping; keep it as it was accepted
            flat = {}
        flat.update({ID: doc_id, SOURCE: source_bytes, SEQ_NO: seq_no, VERSION: version})
        yield flat


# --- force merge ------------------------------------------------------------------------------

#: OpenSearch's ``index.merge.policy.expunge_deletes_allowed``: ``only_expunge_deletes``
#: rewrites a split when more than this percentage of its documents are deleted.
EXPUNGE_DELETES_ALLOWED = 10.0
#: ``max_num_segments`` when the request gives none (ES's ``-1``).
UNSET = -1
#: A force merge whose inputs take deletes while it copies them starts again this many times.
FORCE_MERGE_ATTEMPTS = 3


def force_merge(index: Index, *, max_num_segments: int | None = None,
                only_expunge_deletes: bool = False, flush: bool = True,
                docstore: dict[str, Any] | None = None) -> None:
    """ES's ``_forcemerge`` on one index, with splits in the place of Lucene's segments.

    - ``flush`` (default): the active split is sealed first (``Index.seal``), so that every
      document written so far takes part; without it the active split is left alone.
    - ``max_num_segments`` N: the sealed splits become at most N splits where
      :data:`~loghaven.engine.index.SPLIT_MAX_DOCS` allows (more when their documents do
      not fit in N), never more splits than there were; nothing happens when they already
      have at most N segments and no deleted documents, as Lucene's ``forceMerge(N)``.
    - neither: as few splits as ``SPLIT_MAX_DOCS`` allows (ES merges "as needed" here;
      the scheduled merge of small splits is that, so a request asks for the full merge).
    - ``only_expunge_deletes``: only the splits whose deleted documents exceed
      :data:`EXPUNGE_DELETES_ALLOWED` percent are rewritten (merged together), as Lucene's
      ``forceMergeDeletes``; exclusive with ``max_num_segments``, as in ES.
    - ``docstore`` (a migration to the warm tier: ``split.WARM_DOCSTORE``): the new splits'
      document store settings, and a split whose store differs is rewritten even when its
      segments already fit.

    Deleted documents are dropped by every rewrite. tantivy-py has no segment merge, so a
    rewrite copies the live documents into new splits through one writer each and commits
    once; tantivy then holds one segment per flush of its indexing heap (128 MB), merged
    by its log merge policy when eight or more are alike. Measured with WAF documents:
    200k (88 MB) end in 2 segments, 1M (432 MB, from 4 splits of 20 segments) in 7, in
    161 s on this 2-core machine. The copy runs outside the index lock; the swap is one
    metastore write, refused if an input took a delete or was merged meanwhile (then the
    merge starts again, at most :data:`FORCE_MERGE_ATTEMPTS` times), and the inputs' files
    are deleted at once (searches holding them keep them mapped). Warm (remote) splits are
    never rewritten here.
    """
    if flush:
        index.seal()
    for _attempt in range(FORCE_MERGE_ATTEMPTS):
        with index.lock:
            if index.removed or index.state != "open":
                return
            # committed: no live version points into a split about to be replaced
            index.refresh()
            plan = _plan(index, max_num_segments, only_expunge_deletes, docstore)
            if plan is None:
                return
            sources, outputs = plan
            mapping = index.mapping
            deletions = [s.deletions for s in sources]
            metas = [index.next_split_meta(state="sealed") for _ in range(outputs)]
        merged = _rewrite(index, sources, metas, mapping, docstore)
        with index.lock:
            unchanged = all(s in index.splits for s in sources) and \
                [s.deletions for s in sources] == deletions
            if unchanged and index.state == "open" and not index.removed:
                index.replace_splits(sources, merged)
                index.drop_split_files(sources)  # a full rewrite must not double the disk
                return
        for split in merged:
            split.remove()
    raise SplitsChanged(f"force merge of [{index.name}] gave up: its splits took deletes "
                        f"during {FORCE_MERGE_ATTEMPTS} attempts")


def check_params(max_num_segments: int | None, only_expunge_deletes: bool) -> int | None:
    """``max_num_segments`` (None when unset, ES's ``-1`` included), refused as ES refuses
    it: with ``only_expunge_deletes``, or below one (Lucene's message). The request's
    validation (ES's ``ForceMergeRequest.validate``), run once by the API before any index
    is resolved or task started; :func:`force_merge` takes checked values."""
    if max_num_segments == UNSET:
        max_num_segments = None
    if only_expunge_deletes and max_num_segments is not None:
        raise ActionRequestValidation(
            "Validation Failed: 1: cannot set only_expunge_deletes and max_num_segments at "
            "the same time, those two parameters are mutually exclusive;")
    if max_num_segments is not None and max_num_segments < 1:
        raise IllegalArgument(f"maxNumSegments must be >= 1; got {max_num_segments}")
    return max_num_segments


def _plan(index: Index, max_num_segments: int | None, only_expunge_deletes: bool,
          docstore: dict[str, Any] | None) -> tuple[list[Split], int] | None:
    """The sealed splits to rewrite and how many splits to write, or None: nothing to do."""
    sealed = [s for s in index.splits if s.meta.state == "sealed"
              and s.meta.location is not None and not index.storage.is_remote(s.meta.location)]
    counts = {s: (s.num_docs(), s.segments()) for s in sealed}

    def deleted(split: Split) -> int:
        return sum(segment.num_deleted for segment in counts[split][1])

    if only_expunge_deletes:
        sources = [s for s in sealed if deleted(s) * 100
                   > EXPUNGE_DELETES_ALLOWED * (counts[s][0] + deleted(s))]
    else:
        sources = sealed
    if not sources:
        return None
    live = sum(counts[s][0] for s in sources)
    fewest = -(-live // index_module.SPLIT_MAX_DOCS)
    outputs = min(len(sources), max(fewest, max_num_segments or fewest))
    if not only_expunge_deletes:
        segments = sum(len(counts[s][1]) for s in sources)
        stored_alike = docstore is None or all(
            s.docstore().items() >= docstore.items() for s in sources)
        if segments <= outputs and stored_alike and not any(deleted(s) for s in sources):
            return None
    return sources, outputs


def _rewrite(index: Index, sources: list[Split], metas: list[SplitMeta], mapping: Mapping,
             docstore: dict[str, Any] | None = None) -> list[Split]:
    """Copy the live documents of ``sources``, in order, into as many new splits as
    ``metas``, evenly; each committed, merged by tantivy and checksummed. On any failure (a
    full disk) the new splits' folders are removed. Sources are stored with the index's
    dictionary, except in splits bound for the warm tier, whose object store compresses
    them whole (engine/sources.py)."""
    dictionary = None if docstore == WARM_DOCSTORE else index.source_dictionary
    live = sum(source.num_docs() for source in sources)
    quota = -(-live // len(metas)) if metas else 0
    builder = DocumentBuilder(mapping)
    builder.nested_objects_limit = 2**62  # every document was accepted once: keep them all
    merged: list[Split] = []
    try:
        target: Split | None = None
        for source in sources:
            for flat in _live_documents(source, builder):
                if target is None or target.meta.num_docs >= quota:
                    if target is not None:
                        target.close_writer()
                    target = Split(metas[len(merged)], index.storage, mapping, docstore,
                                   dictionary)
                    merged.append(target)
                target.add_flat(flat)
                target.meta.num_docs += 1
                _widen(target.meta.date_ranges, source.meta.date_ranges)
        if target is not None:
            target.close_writer()
    except BaseException:
        for meta in metas:
            assert meta.location is not None
            index.storage.delete(meta.location)
        raise
    return merged


def _widen(ranges: dict[str, list[int]], more: dict[str, list[int]]) -> None:
    """Widen a split's date ranges (used to prune searches) by another's."""
    for name, (low, high) in more.items():
        bounds = ranges.setdefault(name, [low, high])
        if low < bounds[0]:
            bounds[0] = low
        if high > bounds[1]:
            bounds[1] = high


#: OpenSearch's action of a force merge (its task's action too).
FORCE_MERGE = "indices:admin/forcemerge"


def force_merge_all(indices: list[Index], *, max_num_segments: int | None = None,
                    only_expunge_deletes: bool = False, flush: bool = True) -> dict[str, Any]:
    """:func:`force_merge` on each index (one shard each), and ES's broadcast answer: the
    ``_shards`` header, an index that failed counted with its failure (``status`` is the
    HTTP status's name, as ES's ``RestStatus``)."""
    for index in indices:
        block = metadata_block(index.name, index.settings.flat)
        if block is not None:
            raise block
    failures = []
    for index in indices:
        try:
            force_merge(index, max_num_segments=max_num_segments,
                        only_expunge_deletes=only_expunge_deletes, flush=flush)
        except LoghavenError as error:
            failures.append({"shard": 0, "index": index.name,
                             "status": HTTPStatus(error.status).name,
                             "reason": error.to_cause()})
    header: dict[str, Any] = {"total": len(indices), "successful": len(indices) - len(failures),
                              "failed": len(failures)}
    if failures:
        header["failures"] = failures
    return {"_shards": header}
