"""Fan a level of aggregations out to the splits of a scope, and merge what comes back.

Native nodes of one level become one tantivy aggregation request per split, run in
parallel threads (tantivy releases the GIL); each split's answer is read into partials and
reduced split by split, as a coordinating node reduces shard results. Nodes that tantivy
cannot run go through their own :meth:`~loghaven.search.aggregations.node.Agg.run`.
"""

from __future__ import annotations

from typing import Any

from loghaven.errors import IllegalArgument
from loghaven.search.aggregations.node import Agg, Env, Scope, per_split
from loghaven.search.context import SplitContext


def execute(aggs: list[Agg], scope: Scope, env: Env) -> dict[str, Any]:
    """Final (merged and finished) partials of ``aggs`` over ``scope``, by name."""
    native = [agg for agg in aggs if agg.native]
    results: dict[str, Any] = {}
    if native:
        results.update(_run_native(native, scope))
    for agg in aggs:
        if not agg.native:
            results[agg.name] = agg.run(scope)
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
