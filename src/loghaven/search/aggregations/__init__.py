"""The Elasticsearch aggregation framework over tantivy splits.

``run_aggregations`` plans the request's ``aggs`` once (:mod:`.plan`), runs each level
natively per split where tantivy can and merges splits like a coordinating node
(:mod:`.execute`), then prints ES's response shape and runs pipeline aggregations on it
(:mod:`.render`, :mod:`.pipeline`).
"""

from __future__ import annotations

from typing import Any

from loghaven.search.aggregations.execute import execute
from loghaven.search.aggregations.plan import parse_aggs
from loghaven.search.aggregations.render import render_level
from loghaven.search.aggregations.tree import Env
from loghaven.search.context import SplitContext
from loghaven.search.limits import check_buckets

__all__ = ["run_aggregations"]


def run_aggregations(aggs: dict[str, Any], contexts: list[SplitContext], *,
                     now_ms: int) -> dict[str, Any]:
    """The ES ``aggregations`` object for ``aggs`` over the given splits (each with its query)."""
    env = Env(contexts, now_ms)
    nodes, pipelines = parse_aggs(aggs, env)
    partials = execute(nodes, [(ctx, ctx.query) for ctx in contexts], env)
    rendered = render_level(nodes, pipelines, partials)
    check_buckets(count_buckets(rendered))
    return rendered


def count_buckets(rendered: dict[str, Any]) -> int:
    """The buckets of all multi-bucket aggregations in a response, sub-aggregations' too (what
    ES's ``search.max_buckets`` counts when it reduces); a loop, not recursion."""
    total = 0
    stack: list[Any] = list(rendered.values())
    while stack:
        result = stack.pop()
        if not isinstance(result, dict):
            continue
        buckets = result.get("buckets")
        if isinstance(buckets, (list, dict)):
            total += len(buckets)
            stack.extend(buckets.values() if isinstance(buckets, dict) else buckets)
        stack.extend(value for key, value in result.items()
                     if key != "buckets" and isinstance(value, dict))
    return total
