"""The root of a search: plan the splits, fan out to the leaves, merge, page, fetch, respond.

A :class:`Snapshot` fixes which splits (and which searcher of each, i.e. which committed
state) a search sees; scroll and point-in-time contexts keep one alive across requests. For
each request the root skips the splits whose time range the query cannot match (ES's
``can_match``: they count as ``_shards.skipped`` and are listed in ``profile``), compiles the
query per split, runs the leaves in a thread pool (tantivy releases the GIL), merges their
rows into one global order and fetches only the page's documents.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import tantivy

from loghaven.engine.catalog import Target
from loghaven.engine.index import Index
from loghaven.engine.mapping import Mapping
from loghaven.engine.split import Split
from loghaven.errors import IllegalArgument, LoghavenError, ParsingError
from loghaven.search import collapse, runtime
from loghaven.search.aggregations import run_aggregations
from loghaven.search.aggregations.fields import FielddataDisabled
from loghaven.search.context import SplitContext
from loghaven.search.fetch import FetchContext, fetch_hits, parse_cursor
from loghaven.search.highlight import Highlighter
from loghaven.search.inner_hits import NestedInnerHits, nested_inner_hits
from loghaven.search.leaf import (
    Cursor,
    LeafKey,
    LeafResult,
    Row,
    merge_rows,
    read_scores,
    resolve_keys,
    search_split,
)
from loghaven.search.query import (
    MATCH_ALL,
    QueryShardError,
    all_of,
    as_filter,
    compile_query,
    time_bounds,
)
from loghaven.search.request import SearchRequest, SortKey
from loghaven.search.restrictions import UNRESTRICTED, Restriction, Restrictions
from loghaven.search.task import Cancellation, SearchTask

_SCORE = SortKey("_score", "desc")
#: Compiling against no fields checks a query's syntax once, even when no split is searched.
_NO_FIELDS = Mapping()
_DOC = SortKey("_doc", "asc")
#: A split context's query until its own is compiled.
_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


def _executor() -> ThreadPoolExecutor:
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=min(32, 2 * (os.cpu_count() or 2)),
                                       thread_name_prefix="loghaven-leaf")
        return _pool


class SearchPhaseError(LoghavenError):
    """ES's wrapper for errors met while running a query on the shards (here: splits)."""

    type = "search_phase_execution_exception"
    status = 400

    def __init__(self, cause: LoghavenError, index: str, node_id: str) -> None:
        super().__init__("all shards failed", status=cause.status)
        self.cause = cause
        self.index = index
        self.node_id = node_id

    def to_body(self) -> dict[str, Any]:
        cause = self.cause.to_cause()
        return {"error": {
            "root_cause": [cause], "type": self.type, "reason": self.reason, "phase": "query",
            "grouped": True,
            "failed_shards": [{"shard": 0, "index": self.index, "node": self.node_id,
                               "reason": cause}],
            "caused_by": cause,
        }, "status": self.status}


@dataclass
class SnapshotEntry:
    """One split as a search sees it, and the alias filter it came through.

    Its searcher (the committed state it reads) is taken on first use, so the splits a query
    skips are never opened; scroll and point-in-time snapshots take them all up front.
    """

    index: Index
    alias_filter: dict[str, Any] | None
    split: Split
    pinned: tantivy.Searcher | None = None

    @property
    def searcher(self) -> tantivy.Searcher:
        if self.pinned is None:
            self.pinned = self.split.searcher()
        return self.pinned


@dataclass
class Snapshot:
    """The splits of a search's targets."""

    entries: list[SnapshotEntry] = field(default_factory=list)
    #: The targets' index names (an index without splits has no entry).
    targets: list[str] = field(default_factory=list)

    def index_names(self) -> Iterator[str]:
        return (entry.index.name for entry in self.entries)


def take_snapshot(targets: list[Target], *, pin: bool = False) -> Snapshot:
    """The splits of ``targets``; ``pin`` fixes every searcher now (scroll, point in time)."""
    snapshot = Snapshot()
    for target in targets:
        snapshot.targets.append(target.index.name)
        target.index.before_search()
        for split in target.index.searchable_splits():
            snapshot.entries.append(SnapshotEntry(target.index, target.alias_filter, split,
                                                  split.searcher() if pin else None))
    return snapshot


@dataclass
class SearchOutcome:
    body: dict[str, Any]
    #: Position after the page's last hit (what a scroll continues from).
    last: Cursor | None
    total: int | None
    #: The concrete indices searched, and the fetch phase's share of ``took``.
    indices: tuple[str, ...] = ()
    fetch_ms: float = 0.0


@dataclass
class _Planned:
    position: int
    ctx: SplitContext
    hit_query: tantivy.Query
    keys: list[LeafKey]
    matches_all: bool


def search(snapshot: Snapshot, request: SearchRequest, *, now_ms: int, node_id: str,
           cursor: Cursor | None = None, known_total: int | None = None,
           pit: bool = False, cancellation: Cancellation | None = None,
           restrictions: Restrictions = UNRESTRICTED) -> SearchOutcome:
    """Run ``request`` over ``snapshot``; ``cursor`` continues a scroll, ``known_total``
    reuses its first page's count, ``pit`` adds the ``_shard_doc`` tie-break to sort values.
    ``cancellation`` stops the search between splits and phases; the request's ``timeout``
    makes it answer with the splits searched so far (``timed_out``). ``restrictions`` are
    the acting subject's DLS and FLS per index (:mod:`.restrictions`).

    Without ``sort`` hits come by score, ties in index order; a scroll without ``sort`` pages
    in index order (``_doc``: ``_seq_no`` within an index), the order ES recommends for
    scrolls and the one each page resumes from cheaply.
    """
    started = time.perf_counter()
    task = SearchTask(cancellation, request.timeout_ms)
    _check_window(snapshot, request, node_id)
    for clause in (request.query, request.post_filter):
        try:
            compile_query(clause, None, _NO_FIELDS, now_ms=now_ms)
        except QueryShardError as error:  # a query_string's syntax: every shard fails alike
            if not snapshot.targets:
                continue  # no shard to fail: ES answers an empty search
            index = snapshot.targets[0]
            raise SearchPhaseError(QueryShardError(error.reason, **{
                **error.extra, "index": index}), index, node_id) from None
    nested_inner = nested_inner_hits(request.query)
    explicit_sort = bool(request.sort)
    sort = request.sort or ([_DOC] if request.scroll_ms is not None else [_SCORE])
    planned, skipped, failures = _plan(snapshot, request, sort, now_ms, node_id, task,
                                       restrictions)
    if cursor is None and request.search_after is not None and planned:
        if request.from_:
            raise IllegalArgument("[from] parameter must be set to 0 when [search_after] is "
                                  "used")
        cursor = parse_cursor(request.search_after, planned[0].keys, pit)
    count = request.track_total_hits is not False and known_total is None
    k = request.size if cursor is not None else request.from_ + request.size
    if count and k == 0 and request.track_total_hits is not True and len(planned) > 1:
        results = _count_until(planned, int(request.track_total_hits))
    else:
        results = _fan_out(planned, k, cursor, count)
    task.check()
    keys = planned[0].keys if planned else []
    start = 0 if cursor is not None else request.from_
    page = merge_rows([result.rows for result, _ in results], keys, start,
                      start + request.size)
    collapse_keys: list[Any] | None = None
    if request.collapse is not None:
        page, collapse_keys = _collapsed_page(planned, keys, request, results, k)
    scored = sort[0].field == "_score"
    if request.track_scores and not scored:
        _fill_scores(page, {p.position: p for p in planned})
    task.check()
    fetch_started = time.perf_counter()
    hits = fetch_hits(page, _fetch_contexts(request, planned, nested_inner, now_ms), request,
                      show_sort=explicit_sort or pit, with_shard_doc=pit)
    if collapse_keys is not None:
        collapse.expand(hits, collapse_keys, request, lambda sub: search(
            snapshot, sub, now_ms=now_ms, node_id=node_id, cancellation=cancellation,
            restrictions=restrictions).body)
    fetch_ms = (time.perf_counter() - fetch_started) * 1000
    total = known_total if known_total is not None else (
        sum(result.count or 0 for result, _ in results) if count else None)
    body: dict[str, Any] = {
        "took": 0, "timed_out": False,
        "_shards": _shards(snapshot, planned, skipped, failures),
        "hits": _hits_object(request, total, _max_score(results, page, scored, request,
                                                        snapshot), hits),
    }
    if request.aggs is not None and snapshot.targets:  # no shard: ES answers no aggregations
        try:
            body["aggregations"] = _aggregate(request.aggs, [p.ctx for p in planned], now_ms)
        except FielddataDisabled as error:
            raise SearchPhaseError(error, snapshot.targets[0], node_id) from None
        task.check()
    body["timed_out"] = task.timed_out
    took_ms = int((time.perf_counter() - started) * 1000)
    body["took"] = took_ms
    if request.profile:
        body["profile"] = _profile(planned, results, skipped, node_id)
    for index in {p.ctx.index.name: p.ctx.index for p in planned}.values():
        index.stats["query_total"] += 1
        index.stats["query_time_ms"] += took_ms
    last = Cursor(page[-1].values, page[-1].tiebreak) if page else cursor
    return SearchOutcome(body, last, total, tuple(dict.fromkeys(snapshot.index_names())),
                         fetch_ms)


def _collapsed_page(planned: list[_Planned], keys: list[LeafKey], request: SearchRequest,
                    results: list[tuple[LeafResult, int]], k: int
                    ) -> tuple[list[Row], list[Any]]:
    """The page of a collapsed search (one row per collapse value) and each row's value;
    more rows are asked of the splits while the groups found fall short of the page."""
    assert request.collapse is not None
    groups = collapse.Groups(request.collapse.field, {p.position: p.ctx for p in planned})
    want = request.from_ + request.size
    while True:
        rows = merge_rows([result.rows for result, _ in results], keys, 0, k)
        found = groups.first_rows(rows)
        if len(found) >= want or len(rows) < k:
            break
        k *= 4
        results = _fan_out(planned, k, None, False)
    chosen = found[request.from_:want]
    return [row for _, row in chosen], [key for key, _ in chosen]


def _fetch_contexts(request: SearchRequest, planned: list[_Planned],
                    nested_inner: list[NestedInnerHits] | None = None,
                    now_ms: int = 0) -> dict[int, FetchContext]:
    """What rendering each split's hits needs."""
    highlighter = Highlighter(request.highlight, request.query) \
        if request.highlight is not None and planned else None
    return {p.position: FetchContext(p.ctx, p.keys, highlighter, p.hit_query,
                                     nested_inner or [], now_ms)
            for p in planned}


def _shards(snapshot: Snapshot, planned: list[_Planned], skipped: list[Any],
            failures: list[dict[str, Any]]) -> dict[str, Any]:
    """``_shards``, a split counting as a shard; skipped splits count as successful, as ES's
    pre-filtered shards do."""
    total = len(snapshot.entries)
    header: dict[str, Any] = {"total": total, "successful": len(planned) + len(skipped),
                              "skipped": len(skipped),
                              "failed": total - len(planned) - len(skipped)}
    if failures:
        header["failures"] = failures
    return header


def _check_window(snapshot: Snapshot, request: SearchRequest, node_id: str) -> None:
    indices = {e.index.name: e.index for e in snapshot.entries}.values()
    for index in indices:
        window = index.settings.max_result_window
        if request.scroll_ms is not None and request.size > window:
            raise IllegalArgument(
                f"Batch size is too large, size must be less than or equal to: [{window}] but "
                f"was [{request.size}]. Scroll batch sizes cost as much memory as result "
                f"windows so they are controlled by the [index.max_result_window] index level "
                f"setting.")
        if request.scroll_ms is None and request.from_ + request.size > window:
            raise SearchPhaseError(IllegalArgument(
                f"Result window is too large, from + size must be less than or equal to: "
                f"[{window}] but was [{request.from_ + request.size}]. See the scroll api for a "
                f"more efficient way to request large data sets. This limit can be set by "
                f"changing the [index.max_result_window] index level setting."),
                index.name, node_id)


def _plan(snapshot: Snapshot, request: SearchRequest, sort: list[SortKey], now_ms: int,
          node_id: str, task: SearchTask, restrictions: Restrictions,
          ) -> tuple[list[_Planned], list[tuple[SnapshotEntry, str]], list[dict[str, Any]]]:
    """Compile per split; skip splits that cannot match (empty, or outside the time range).

    A split whose index cannot run the request (a sort field it does not map, a value its
    field cannot take) is a shard failure, as in ES: reported in ``_shards.failures`` while the
    others answer; when every split fails, the whole search does.
    """
    planned: list[_Planned] = []
    skipped: list[tuple[SnapshotEntry, str]] = []
    failures: dict[str, tuple[LoghavenError, dict[str, Any]]] = {}
    bounds_by_index: dict[str, dict[str, tuple[int, int]]] = {}
    steps: list[tuple[SnapshotEntry, Restriction | None, str | None]] = []
    for entry in snapshot.entries:
        restriction = restrictions.get(entry.index.name) if restrictions else None
        key = f"{entry.index.name}\0{id(entry.alias_filter)}"
        if key not in bounds_by_index:
            bounds_by_index[key] = _bounds(
                request.query, [entry.alias_filter, restriction and restriction.dls],
                entry.index.mapping, now_ms)
        reason = _skip_reason(entry, bounds_by_index[key])
        if reason is None and entry.pinned is None:
            entry.split.prefetch()  # warm splits: fetched in parallel, before they are opened
        steps.append((entry, restriction, reason))
    for position, (entry, restriction, reason) in enumerate(steps):
        task.check()
        index = entry.index
        if reason is not None:
            skipped.append((entry, reason))
            continue
        try:
            planned.append(_compile(position, entry, request, sort, now_ms, task, restriction))
        except ParsingError:
            raise
        except LoghavenError as error:
            failures.setdefault(index.name, (error, {
                "shard": 0, "index": index.name, "node": node_id, "reason": error.to_cause()}))
    if failures and not planned:
        (error, failure), *_ = failures.values()
        raise SearchPhaseError(error, failure["index"], node_id)
    return planned, skipped, [failure for _, failure in failures.values()]


def _bounds(query: dict[str, Any] | None, filters: list[dict[str, Any] | None],
            mapping: Mapping, now_ms: int) -> dict[str, tuple[int, int]]:
    """The date ranges a split must overlap: the query's, narrowed by the filters (the
    alias filter, the DLS query) that every hit must also match."""
    bounds = time_bounds(query, mapping, now_ms)
    for extra in filters:
        if not extra:
            continue
        for name, (low, high) in time_bounds(extra, mapping, now_ms).items():
            old_low, old_high = bounds.get(name, (low, high))
            bounds[name] = (max(low, old_low), min(high, old_high))
    return bounds


def _skip_reason(entry: SnapshotEntry, bounds: dict[str, tuple[int, int]]) -> str | None:
    if entry.split.meta.num_docs == 0:
        return "empty split"
    ranges = entry.split.meta.date_ranges
    for name, (low, high) in bounds.items():
        have = ranges.get(name)
        if have is None:
            return f"no document has a value for [{name}]"
        if high < have[0] or low > have[1] or low > high:
            return (f"[{name}] values {have[0]}..{have[1]} are outside the query's range "
                    f"{low}..{high}")
    return None


def _compile(position: int, entry: SnapshotEntry, request: SearchRequest,
             sort: list[SortKey], now_ms: int, task: SearchTask,
             restriction: Restriction | None) -> _Planned:
    ctx = SplitContext(entry.index, entry.split, entry.searcher, MATCH_ALL, task, restriction)
    if request.collapse is not None:
        collapse.check(request.collapse, ctx.mapping.fields.get(request.collapse.field))
    query, post_filter = request.query, request.post_filter
    fields = runtime.fields_of(request, ctx.mapping)
    if fields:
        values = ctx.runtime = runtime.SplitValues(ctx, fields, now_ms)
        query, post_filter = values.rewrite(query), values.rewrite(post_filter)
    ctx.query = ctx.within(ctx.compile(query, now_ms), entry.alias_filter, now_ms)
    hit_query = ctx.query
    if post_filter is not None:
        hit_query = all_of([ctx.query, as_filter(ctx.compile(post_filter, now_ms))])
    matches_all = request.query in (None, {}, {"match_all": {}}) and not entry.alias_filter \
        and request.post_filter is None and (restriction is None or restriction.dls is None) \
        and not entry.split.has_nested
    keys = (runtime.sort_keys(sort, ctx, fields) if fields else None) \
        or resolve_keys(sort, ctx.mapping, ctx.fields)
    return _Planned(position, ctx, hit_query, keys, matches_all)


def _count_until(planned: list[_Planned], limit: int) -> list[tuple[LeafResult, int]]:
    """Each split's count for a page of no hits whose total is tracked up to ``limit`` (ES's
    default 10,000 for ``size: 0`` searches): split after split, those whose count is free
    (a match_all) and then the smallest first, none once the total has reached the limit
    (their count stays 0: the total shows as ``gte`` the limit either way). Counting every
    split of a large index in full took as long as its aggregations."""
    results: list[tuple[LeafResult, int]] = [(LeafResult([], 0), 0)] * len(planned)
    total = 0
    for at in sorted(range(len(planned)), key=lambda i: (not planned[i].matches_all,
                                                         planned[i].ctx.split.meta.num_docs)):
        p = planned[at]
        if total >= limit or p.ctx.task.out_of_time():
            break
        began = time.perf_counter_ns()
        result = search_split(p.ctx, p.position, p.hit_query, p.keys, 0,
                              matches_all=p.matches_all)
        results[at] = (result, time.perf_counter_ns() - began)
        total += result.count or 0
    return results


def _fan_out(planned: list[_Planned], k: int, cursor: Cursor | None,
             count: bool) -> list[tuple[LeafResult, int]]:
    """Each split's leaf search with its duration in nanoseconds, in the thread pool.

    A split whose turn comes after the search's ``timeout`` contributes no rows (ES's
    timed-out shards answer with what they collected; here a split is searched whole or not
    at all); after a cancellation it raises.
    """
    def run(p: _Planned) -> tuple[LeafResult, int]:
        if p.ctx.task.out_of_time():
            return LeafResult([], 0), 0
        began = time.perf_counter_ns()
        if p.ctx.runtime is not None and any(key.kind == "runtime" for key in p.keys):
            result = runtime.search_split(p.ctx, p.position, p.hit_query, p.keys, k,
                                          p.ctx.runtime, cursor)
        else:
            result = search_split(p.ctx, p.position, p.hit_query, p.keys, k, cursor=cursor,
                                  count=count, matches_all=p.matches_all)
        return result, time.perf_counter_ns() - began

    if len(planned) <= 1:
        return [run(p) for p in planned]
    return list(_executor().map(run, planned))


def _fill_scores(page: list[Row], by_position: dict[int, _Planned]) -> None:
    groups: dict[int, list[Row]] = {}
    for row in page:
        groups.setdefault(row.ctx, []).append(row)
    for position, rows in groups.items():
        planned = by_position[position]
        read_scores(planned.ctx, planned.hit_query, rows)


def _max_score(results: list[tuple[LeafResult, int]], page: list[Row], scored: bool,
               request: SearchRequest, snapshot: Snapshot) -> float | None:
    if not snapshot.entries:
        return 0.0
    if scored:
        tops = [r.rows[0].score for r, _ in results if r.rows and r.rows[0].score is not None]
        return max(tops) if tops else None
    if request.track_scores:
        scores = [r.score for r in page if r.score is not None]
        return max(scores) if scores else None
    return None


def _hits_object(request: SearchRequest, total: int | None, max_score: float | None,
                 hits: list[dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if total is not None:
        limit = request.track_total_hits
        if limit is True or total <= limit:
            out["total"] = total if request.total_as_int else {"value": total, "relation": "eq"}
        else:
            out["total"] = limit if request.total_as_int else {"value": limit,
                                                               "relation": "gte"}
    out["max_score"] = max_score
    out["hits"] = hits
    return out


def _aggregate(aggs: dict[str, Any], contexts: list[SplitContext], now_ms: int) -> Any:
    return run_aggregations(aggs, contexts, now_ms=now_ms)


def _profile(planned: list[_Planned], results: list[tuple[LeafResult, int]],
             skipped: list[tuple[SnapshotEntry, str]], node_id: str) -> dict[str, Any]:
    """ES's ``profile`` shape, one "shard" per searched split, plus the skipped splits."""
    shards = []
    for p, (_, nanos) in zip(planned, results, strict=True):
        text = repr(p.hit_query)
        kind = text.removeprefix("Query(").split("(", 1)[0].split(" ", 1)[0]
        shards.append({
            "id": f"[{node_id}][{p.ctx.index.name}][{p.ctx.split.meta.split_id}]",
            "searches": [{
                "query": [{"type": kind, "description": text[:2000], "time_in_nanos": nanos,
                           "breakdown": {}}],
                "rewrite_time": 0,
                "collector": [{"name": "TopDocsCollector", "reason": "search_top_hits",
                               "time_in_nanos": nanos}],
            }],
            "aggregations": [],
        })
    return {"shards": shards, "skipped_splits": [
        {"index": e.index.name, "split": e.split.meta.split_id, "reason": reason}
        for e, reason in skipped]}
