"""``_delete_by_query`` and ``_update_by_query``: read the matches, then write each one.

Matches are read from a snapshot in batches (:mod:`.scan`), and each one is deleted or
re-indexed unchanged (which bumps its version) with ``if_seq_no`` set to the seq_no seen in
the snapshot, so a document changed meanwhile is a version conflict, as in ES. The writes go
through the write service (:mod:`loghaven.ingest.service`), so ``_update_by_query`` runs the
ingest pipeline hook as ES does. Counters and throttling are :mod:`.bulk_by_scroll`'s.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from loghaven.engine.catalog import Target
from loghaven.engine.documents_state import PRIMARY_TERM, WriteRequest
from loghaven.engine.index import Index
from loghaven.engine.mapping import Mapping
from loghaven.ingest.service import WriteService
from loghaven.search import scan
from loghaven.search.bulk_by_scroll import RESPONSE_FIELDS, Progress, run_batches
from loghaven.search.query import compile_query
from loghaven.search.restrictions import UNRESTRICTED, Restrictions
from loghaven.search.task import Cancellation, SearchTask

#: The actions of the two operations (their tasks' ``action``).
ACTIONS = {"delete": "indices:data/write/delete/byquery",
           "update": "indices:data/write/update/byquery"}


@dataclass
class ByQueryOptions:
    op: str  # "delete" | "update"
    proceed_on_conflicts: bool = False
    max_docs: int | None = None
    batch_size: int = 1000
    refresh: bool = False
    #: The ``pipeline`` URL parameter of ``_update_by_query``.
    pipeline: str | None = None


def by_query(targets: list[Target], query: dict[str, Any] | None, options: ByQueryOptions,
             writes: WriteService, *, now_ms: int, progress: Progress,
             cancellation: Cancellation, restrictions: Restrictions = UNRESTRICTED,
             slices: int | None = None) -> tuple[int, dict[str, Any]]:
    """Run the operation over every match; (HTTP status, ES response body).

    ``cancellation`` stops it between batches; the batches already written stay written (and
    are synced), and the response says ``canceled``, as in ES. ``restrictions`` (DLS, FLS)
    narrow the matches to the documents and fields the acting subject may see. ``slices``
    runs it as that many slices of the documents, one after the other.
    """
    started = time.perf_counter()
    compile_query(query, None, Mapping(), now_ms=now_ms)

    def read(part: scan.Slice | None, max_docs: int | None) -> Iterator[list[scan.Match]]:
        return scan.batches(targets, query, size=options.batch_size, max_docs=max_docs,
                            now_ms=now_ms, task=SearchTask(cancellation),
                            restrictions=restrictions, part=part)

    def write(matches: list[scan.Match], counted: Progress) -> None:
        for index, group in _by_index(matches).items():
            batch = [WriteRequest("delete" if options.op == "delete" else "index",
                                  match.doc_id, None if options.op == "delete" else match.source,
                                  if_seq_no=match.seq_no, if_primary_term=PRIMARY_TERM)
                     for match in group]
            for request, outcome in zip(batch, writes.write_batch(index, batch,
                                                                  options.pipeline),
                                        strict=True):
                counted.record(index.name, request.doc_id, outcome,
                               options.proceed_on_conflicts)
    try:
        run_batches(progress, read, write, slices=slices, max_docs=options.max_docs,
                    cancellation=cancellation)
    finally:
        for target in targets:
            writes.commit(target.index, options.refresh)
    return progress.response(int((time.perf_counter() - started) * 1000),
                             RESPONSE_FIELDS[options.op])


def _by_index(matches: list[scan.Match]) -> dict[Index, list[scan.Match]]:
    groups: dict[Index, list[scan.Match]] = {}
    for match in matches:
        groups.setdefault(match.index, []).append(match)
    return groups
