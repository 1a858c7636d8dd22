"""Fan a level of aggregations out to the splits of a scope, and merge what comes back.

Native nodes of one level become one tantivy aggregation request per split, run in
parallel threads (tantivy releases the GIL); each split's answer is read into partials and
reduced split by split, as a coordinating node reduces shard results. Nodes that tantivy
cannot run go through their own :meth:`~loghaven.search.aggregations.tree.Agg.run`; nodes
over a runtime field through :func:`run_computed`. Bucket aggregations finish their buckets
here too, running deferred children on each bucket's documents.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import tantivy

from loghaven.errors import IllegalArgument
from loghaven.search.aggregations.computed import aggregate
from loghaven.search.aggregations.tree import Agg, Bucket, BucketAgg, Env, Scope
from loghaven.search.context import SplitContext

#: Searches and aggregations release the GIL, so splits run in parallel threads.
POOL = ThreadPoolExecutor(max_workers=8, thread_name_prefix="agg")


def execute(aggs: list[Agg], scope: Scope, env: Env) -> dict[str, Any]:
    """Final (merged and finished) partials of ``aggs`` over ``scope``, by name."""
    native = [agg for agg in aggs if agg.native]
    results: dict[str, Any] = {}
    if native:
        results.update(_run_native(native, scope))
    for agg in aggs:
        if not agg.native:
            results[agg.name] = run_computed(agg, scope) if agg.requests_computed \
                else agg.run(scope)
    for agg in native:
        results[agg.name] = agg.finish(results[agg.name], scope)
    return {agg.name: results[agg.name] for agg in aggs}


def _run_native(aggs: list[Agg], scope: Scope) -> dict[str, Any]:
    if not scope:
        return {agg.name: agg.empty() for agg in aggs}
    for agg in aggs:
        for node in agg.walk():
            node.prepare(scope)
    results = per_split(scope, lambda ctx, query: _one_split(aggs, ctx, query))
    if not results:  # the search ran out of time before any split
        return {agg.name: agg.empty() for agg in aggs}
    merged = results[0]
    for partials in results[1:]:
        merged = {agg.name: agg.merge(merged[agg.name], partials[agg.name]) for agg in aggs}
    return merged


def run_computed(agg: Agg, scope: Scope) -> Any:
    """The final partial of a node over a runtime field: its own requests, answered split by
    split from the computed values (:mod:`.computed`), read, merged and finished as the
    native node's are."""
    agg.prepare(scope)

    def one(ctx: SplitContext, query: tantivy.Query) -> Any:
        body = agg.request(ctx)
        return agg.read(aggregate(ctx, query, body), ctx) if body else agg.empty()

    partial = agg.empty()
    for part in per_split(scope, one):
        partial = agg.merge(partial, part)
    return agg.finish(partial, scope)


def _one_split(aggs: list[Agg], ctx: SplitContext, query: Any) -> dict[str, Any]:
    body: dict[str, Any] = {}
    for agg in aggs:
        request = agg.request(ctx)
        if request:
            body.update(request)
    raw: dict[str, Any] = {}
    if body:
        try:
            raw = ctx.searcher.aggregate(query, body)
        except ValueError as exc:
            raise IllegalArgument(f"aggregation failed on [{ctx.index.name}]: {exc}") from exc
    return {agg.name: agg.read(raw, ctx) for agg in aggs}


def finish_buckets(agg: BucketAgg, buckets: dict[Any, Bucket], scope: Scope) -> None:
    """Finish each bucket's children of a bucket aggregation; run deferred children on the
    bucket's documents."""
    if not agg.subs:
        return
    deferred = [sub for sub in agg.deferred_subs if not _hoist(agg, sub, buckets, scope)]
    scoped = agg.needs_scope()
    for key, bucket in buckets.items():
        inner: Scope = []
        if scoped and bucket.doc_count > 0:
            inner = narrow(scope, lambda ctx, k=key: agg.bucket_query(k, ctx))
        for sub in agg.native_subs:
            bucket.subs[sub.name] = sub.finish(bucket.subs.get(sub.name, sub.empty()), inner)
        if deferred:
            bucket.subs.update(execute(deferred, inner, agg.env))


def _hoist(agg: BucketAgg, sub: Agg, buckets: dict[Any, Bucket], scope: Scope) -> bool:
    """Run a filter-like child (filter, filters, missing, ip_range) once per filter, by
    re-running ``agg`` on the filtered documents with the child's children,
    instead of once per bucket. False when this aggregation cannot do that."""
    filters = sub.filters()
    if filters is None or not buckets or agg.bucket_map({}) is None:
        return False
    clone = copy.copy(agg)
    clone.subs, clone.pipelines = sub.subs, []
    for cached in ("native_subs", "deferred_subs"):
        clone.__dict__.pop(cached, None)
    for bucket in buckets.values():
        bucket.subs[sub.name] = {}
    for filter_key, make in filters:
        inner = narrow(scope, make)
        per_key = clone.bucket_map(execute([clone], inner, agg.env)[clone.name]) or {}
        for key, bucket in buckets.items():
            found = per_key.get(key)
            bucket.subs[sub.name][filter_key] = found if found is not None else \
                Bucket(0, clone.empty_subs())
    return True


def narrow(scope: Scope, make: Callable[[SplitContext], tantivy.Query | None]) -> Scope:
    """The scope restricted by a per-split query; a split where it matches nothing drops out
    (so does every split once the search is out of time, see :func:`per_split`)."""
    narrowed = []
    for ctx, query in scope:
        if ctx.task.out_of_time():
            continue
        extra = make(ctx)
        if extra is None:
            continue
        narrowed.append((ctx, tantivy.Query.boolean_query(
            [(tantivy.Occur.Must, query), (tantivy.Occur.Must, extra)])))
    return narrowed


T = TypeVar("T")


def per_split(scope: Scope, run: Callable[[SplitContext, tantivy.Query], T]) -> list[T]:
    """``run`` on every split of a scope, in parallel threads when there are several.

    A split whose turn comes after the search was cancelled raises; one whose turn comes after
    its ``timeout`` is left out (the answer covers the splits that ran).
    """
    def one(item: tuple[SplitContext, tantivy.Query]) -> T | _Skipped:
        ctx, query = item
        if ctx.task.out_of_time():
            return _SKIPPED
        return run(ctx, query)

    found = [one(scope[0])] if len(scope) == 1 else list(POOL.map(one, scope))
    return [result for result in found if not isinstance(result, _Skipped)]


class _Skipped:
    """A split left out of a search that ran out of time."""


_SKIPPED = _Skipped()


def count(scope: Scope) -> int:
    """How many documents a scope holds (``search(limit=0)`` panics in tantivy-py)."""
    return sum(per_split(scope, lambda ctx, query: ctx.searcher.search(query, 1).count or 0))
