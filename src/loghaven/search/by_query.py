"""``_delete_by_query`` and ``_update_by_query``: search a snapshot, then write each match.

Matches are read from a snapshot in index order, in batches (``scroll_size``), and each one is
deleted or re-indexed unchanged (which bumps its version) with ``if_seq_no`` set to the seq_no
seen in the snapshot, so a document changed meanwhile is a version conflict, as in ES. The
writes go through the write service (:mod:`loghaven.ingest.service`), so
``_update_by_query`` runs the ingest pipeline hook as ES does.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import tantivy

from loghaven.engine.catalog import Target
from loghaven.engine.documents_state import PRIMARY_TERM, WriteRequest
from loghaven.engine.mapping import Mapping
from loghaven.engine.schema import ID, SEQ_NO, SOURCE
from loghaven.errors import LoghavenError, VersionConflict
from loghaven.ingest.service import WriteService
from loghaven.search.context import SplitContext
from loghaven.search.leaf import Cursor, resolve_keys, search_split
from loghaven.search.query import compile_query
from loghaven.search.request import SortKey
from loghaven.search.restrictions import UNRESTRICTED, Restriction, Restrictions
from loghaven.search.task import Cancellation, SearchTask

_INDEX_ORDER = [SortKey("_doc", "asc")]


@dataclass
class ByQueryOptions:
    op: str  # "delete" | "update"
    proceed_on_conflicts: bool = False
    max_docs: int | None = None
    batch_size: int = 1000
    refresh: bool = False
    #: The ``pipeline`` URL parameter of ``_update_by_query``.
    pipeline: str | None = None


@dataclass
class _Tally:
    total: int = 0
    done: int = 0
    batches: int = 0
    conflicts: int = 0
    #: Documents a pipeline dropped (ES counts them as noops).
    noops: int = 0
    failures: list[dict[str, Any]] = field(default_factory=list)

    @property
    def aborted(self) -> bool:
        return bool(self.failures)


def by_query(targets: list[Target], query: dict[str, Any] | None, options: ByQueryOptions,
             writes: WriteService, *, now_ms: int,
             cancellation: Cancellation | None = None,
             restrictions: Restrictions = UNRESTRICTED) -> tuple[int, dict[str, Any]]:
    """Run the operation over every match; (HTTP status, ES response body).

    ``cancellation`` stops it between batches; the batches already written stay written (and
    are synced), as in ES. ``restrictions`` (DLS, FLS) narrow the matches to the documents
    and fields the acting subject may see.
    """
    started = time.perf_counter()
    compile_query(query, None, Mapping(), now_ms=now_ms)
    tally = _Tally()
    task = SearchTask(cancellation)
    for target in targets:
        if tally.aborted or _limit_reached(tally, options):
            break
        try:
            _run_index(target, query, options, writes, now_ms, tally, task,
                       restrictions.get(target.index.name) if restrictions else None)
        finally:
            writes.commit(target.index, options.refresh)
    body: dict[str, Any] = {
        "took": int((time.perf_counter() - started) * 1000),
        "timed_out": False,
        "total": tally.total,
    }
    if options.op == "delete":
        body["deleted"] = tally.done
    else:
        body["updated"] = tally.done
        body["deleted"] = 0
    body.update({
        "batches": tally.batches, "version_conflicts": tally.conflicts, "noops": tally.noops,
        "retries": {"bulk": 0, "search": 0}, "throttled_millis": 0,
        "requests_per_second": -1.0, "throttled_until_millis": 0, "failures": tally.failures,
    })
    return (409 if tally.aborted else 200), body


def _limit_reached(tally: _Tally, options: ByQueryOptions) -> bool:
    return options.max_docs is not None and tally.total >= options.max_docs


def _run_index(target: Target, query: dict[str, Any] | None, options: ByQueryOptions,
               writes: WriteService, now_ms: int, tally: _Tally, task: SearchTask,
               restriction: Restriction | None) -> None:
    index = target.index
    for position, split in enumerate(index.searchable_splits()):
        searcher = split.searcher()
        ctx = SplitContext(index, split, searcher, tantivy.Query.all_query(), task, restriction)
        compiled = ctx.query = ctx.within(ctx.compile(query, now_ms), target.alias_filter,
                                          now_ms)
        keys = resolve_keys(_INDEX_ORDER, index.mapping, split.field_names)
        cursor: Cursor | None = None
        while not tally.aborted and not _limit_reached(tally, options):
            task.check()
            size = options.batch_size
            if options.max_docs is not None:
                size = min(size, options.max_docs - tally.total)
            rows = search_split(ctx, position, compiled, keys, size, cursor=cursor,
                                count=False).rows
            if not rows:
                break
            cursor = Cursor(rows[-1].values, None)
            batch = []
            for row in rows:
                doc = searcher.doc(row.address)
                seq_no, = searcher.fast_field_values(SEQ_NO, [row.address])
                batch.append(WriteRequest(
                    "delete" if options.op == "delete" else "index", doc.get_first(ID),
                    None if options.op == "delete" else doc.get_first(SOURCE),
                    if_seq_no=seq_no, if_primary_term=PRIMARY_TERM))
            _apply(target, batch, options, writes, tally)


def _apply(target: Target, batch: list[WriteRequest], options: ByQueryOptions,
           writes: WriteService, tally: _Tally) -> None:
    index = target.index
    tally.batches += 1
    tally.total += len(batch)
    outcomes = writes.write_batch(index, batch, options.pipeline)
    for write, outcome in zip(batch, outcomes, strict=True):
        if not isinstance(outcome, LoghavenError):
            if outcome.result == "noop":
                tally.noops += 1
            else:
                tally.done += 1
            continue
        if isinstance(outcome, VersionConflict):
            tally.conflicts += 1
            if options.proceed_on_conflicts:
                continue
        tally.failures.append({"index": index.name, "id": write.doc_id,
                               "cause": {**outcome.to_cause(), "index": index.name},
                               "status": outcome.status})
