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
    ES's ``search.max_buckets`` counts when it reduces); a loop, not recursion. A bucket is
    looked into only for its sub-aggregations (its dict values): most have none."""
    total = 0
    stack: list[Any] = [v for v in rendered.values() if v.__class__ is dict]
    while stack:
        result = stack.pop()
        for key, value in result.items():
            if key == "buckets":
                if value.__class__ is dict:
                    value = value.values()
                elif value.__class__ is not list:
                    continue
                total += len(value)
                for bucket in value:
                    if bucket.__class__ is dict:
                        for inner in bucket.values():
                            if inner.__class__ is dict:
                                stack.append(inner)
            elif value.__class__ is dict:
                stack.append(value)
    return total
