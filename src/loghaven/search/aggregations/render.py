"""Print one level of final partials in Elasticsearch's shape, then run its pipelines."""

from __future__ import annotations

from typing import Any

from loghaven.search.aggregations.tree import Agg, Bucket, BucketAgg


def render_level(aggs: list[Agg], pipelines: list[Any], partials: dict[str, Any]) -> dict[str, Any]:
    """``{name: rendered}`` for a level, with ``meta`` echoed and sibling pipelines added."""
    out: dict[str, Any] = {}
    for agg in aggs:
        out[agg.name] = render(agg, partials[agg.name])
    for pipeline in pipelines:
        if not pipeline.parent:
            pipeline.apply_sibling(out)
    return out


def render(agg: Agg, partial: Any) -> dict[str, Any]:
    rendered = agg.render(partial)
    if agg.meta is not None:
        rendered = {"meta": agg.meta, **rendered}
    return rendered


def render_subs(agg: BucketAgg, bucket: Bucket) -> dict[str, Any]:
    """A bucket's rendered sub-aggregations and parent pipelines' outputs."""
    if not agg.subs and not agg.pipelines:
        return {}
    return render_level(agg.subs, agg.pipelines, bucket.subs)


def keyed_ranges(buckets: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Range-like buckets under their keys, which ES then leaves out of each bucket."""
    return {b["key"]: {k: v for k, v in b.items() if k != "key"} for b in buckets}
