"""Bucket ``order``: parsing, resolving ``_count``/``_key``/sub-aggregation paths, sorting.

ES sorts by the requested criteria and breaks ties by key ascending; a path like
``stats_agg.max`` or ``filter_agg>avg_agg`` reads a sub-aggregation of each bucket.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Any

from loghaven.errors import ParsingError
from loghaven.search.aggregations.execute import finish_buckets
from loghaven.search.aggregations.tree import Agg, Bucket, BucketAgg, MetricAgg, Scope

_PATH_PART = re.compile(r"^([^.\[]+)(?:\[([^\]]+)\]|\.(.+))?$")


@dataclass(frozen=True)
class OrderKey:
    path: str
    asc: bool

    @property
    def is_count(self) -> bool:
        return self.path == "_count"

    @property
    def is_key(self) -> bool:
        return self.path in ("_key", "_term", "_time")


def parse_order(value: Any, agg_name: str) -> list[OrderKey]:
    """``{"_count": "desc"}`` or a list of such objects → criteria."""
    items = value if isinstance(value, list) else [value]
    keys = []
    for item in items:
        if not isinstance(item, dict):
            raise ParsingError(f"Order must be an object in [{agg_name}]")
        for path, direction in item.items():
            if str(direction).lower() not in ("asc", "desc"):
                raise ParsingError(f"Unknown order direction [{direction}] in [{agg_name}]")
            keys.append(OrderKey(path, str(direction).lower() == "asc"))
    return keys


def split_path(path: str) -> tuple[list[str], str | None]:
    """``a>b.max`` → (["a", "b"], "max"); ``p[99.9]`` → (["p"], "99.9")."""
    parts = path.split(">")
    match = _PATH_PART.match(parts[-1])
    if match is None:
        raise ParsingError(f"Invalid path [{path}]")
    return [*parts[:-1], match.group(1)], match.group(2) or match.group(3)


def sub_value(subs: list[Agg], partials: dict[str, Any], doc_count: int, path: str) -> Any:
    """The number a path names inside one bucket (its sub-aggregations' partials)."""
    if path == "_count":
        return doc_count
    names, metric = split_path(path)
    aggs, current, count = subs, partials, doc_count
    for i, name in enumerate(names):
        agg = next((a for a in aggs if a.name == name), None)
        if agg is None:
            raise ParsingError(f"Invalid aggregator order path [{path}]. Unknown aggregation "
                               f"[{name}]")
        partial = current.get(name)
        if isinstance(agg, MetricAgg):
            if i != len(names) - 1:
                raise ParsingError(f"Invalid aggregation order path [{path}]")
            return agg.value_of(partial if partial is not None else agg.empty(), metric)
        single = agg.single_bucket(partial) if isinstance(agg, BucketAgg) else None
        if single is None:
            raise ParsingError(
                f"Invalid aggregation order path [{path}]. Buckets can only be sorted on a "
                f"sub-aggregator path that is built out of zero or more single-bucket "
                f"aggregations within the path and a final single-bucket or a metrics "
                f"aggregation at the path end.")
        aggs, current, count = agg.subs, single.subs, single.doc_count
        if i == len(names) - 1:
            return count if metric in (None, "_count", "doc_count") else None
    return None


def native_path(subs: list[Agg], order: OrderKey) -> str | None:
    """The tantivy ``order`` key for one criterion, when tantivy can sort by it."""
    if order.is_count:
        return "_count"
    if order.is_key:
        return "_key"
    names, metric = split_path(order.path)
    if len(names) != 1:
        return None
    agg = next((a for a in subs if a.name == names[0]), None)
    if isinstance(agg, MetricAgg) and agg.native:
        return agg.native_order(metric)
    return None


def sort_buckets(agg: BucketAgg, items: list[tuple[Any, Bucket]],
                 order: list[OrderKey]) -> list[tuple[Any, Bucket]]:
    """Sort (key, bucket) pairs by the criteria, ties broken by key ascending."""
    if len(order) == 1 and order[0].is_key:
        return sorted(items, key=lambda item: item[0], reverse=not order[0].asc)
    if len(order) == 1 and order[0].is_count and not order[0].asc:
        by_key = sorted(items, key=lambda item: item[0])
        return sorted(by_key, key=lambda item: item[1].doc_count, reverse=True)
    criteria = [*order, OrderKey("_key", True)]

    def value(key: Any, bucket: Bucket, crit: OrderKey) -> Any:
        if crit.is_key:
            return key
        if crit.is_count:
            return bucket.doc_count
        return sub_value(agg.subs, bucket.subs, bucket.doc_count, crit.path)

    def compare(a: tuple[Any, Bucket], b: tuple[Any, Bucket]) -> int:
        for crit in criteria:
            x, y = value(a[0], a[1], crit), value(b[0], b[1], crit)
            if x == y:
                continue
            if x is None:
                return 1
            if y is None:
                return -1
            result = -1 if x < y else 1
            return result if crit.asc else -result
        return 0

    return sorted(items, key=functools.cmp_to_key(compare))


def rank_buckets(agg: BucketAgg, buckets: dict[Any, Bucket], order: list[OrderKey],
                 scope: Scope) -> tuple[list[tuple[Any, Bucket]], bool]:
    """Buckets sorted by ``order``, and whether their children are already finished: an
    order that reads a deferred child (``"errors": "desc"`` on a filter) needs it run on
    every bucket first."""
    deferred = {sub.name for sub in agg.deferred_subs}
    early = any(not (o.is_count or o.is_key) and split_path(o.path)[0][0] in deferred
                for o in order)
    if early:
        finish_buckets(agg, buckets, scope)
    return sort_buckets(agg, list(buckets.items()), order), early
