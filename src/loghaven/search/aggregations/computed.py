"""Aggregation requests over runtime fields, answered in Python as tantivy would answer them.

A node over a runtime field (``terms``, a histogram, ``range``, a metric) builds the same
tantivy request it builds over a column and reads the answer with the same code; only the
answer comes from here, computed from the values of the documents the split's query matches
(search/runtime.py evaluates the field once per split and search; a ``multi_terms`` pairs
a runtime field with the indexed values of the mapped fields beside it). So ordering, ``size``,
``min_doc_count``, ``missing``, keys and rendering are the native aggregations' own. The
requests are flat: a computed node's children run per bucket, never inside its request.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import tantivy

from loghaven.engine.runtime import RuntimeField
from loghaven.errors import IllegalArgument
from loghaven.search.context import SplitContext

Values = list[list[Any]]


def aggregate(ctx: SplitContext, query: tantivy.Query, body: dict[str, Any]) -> dict[str, Any]:
    """``searcher.aggregate(query, body)``, with the entries over runtime fields computed."""
    values = ctx.runtime
    if values is None:
        return ctx.searcher.aggregate(query, body)
    native: dict[str, Any] = {}
    out: dict[str, Any] = {}
    for name, entry in body.items():
        (kind, spec), = ((k, v) for k, v in entry.items() if k != "aggs")
        names = _fields_of(spec)
        field = next((values.runtime[n] for n in names if n in values.runtime), None)
        if field is None:
            native[name] = entry
            continue
        if "aggs" in entry or kind not in _ANSWERS:
            raise IllegalArgument(f"[{kind}] over runtime field [{field.name}] is not "
                                  f"supported by Loghaven")
        if kind == "multi_terms":
            found = _combinations([values.matching(n, query) for n in names])
        else:
            found = values.matching(field.name, query)
            if spec.get("missing") is not None:
                missing = field.typed(spec["missing"])
                found = [each or [missing] for each in found]
        out[name] = _ANSWERS[kind](spec, found, field)
    if native:
        out.update(ctx.searcher.aggregate(query, native))
    return out


def _fields_of(spec: Any) -> list[str]:
    """The fields a request reads: its ``field``, or a multi_terms' ``terms`` fields."""
    if not isinstance(spec, dict):
        return []
    if isinstance(spec.get("field"), str):
        return [spec["field"]]
    return [term["field"] for term in spec.get("terms") or ()
            if isinstance(term, dict) and isinstance(term.get("field"), str)]


def _combinations(per_field: list[Values]) -> Values:
    """Each document's tuples of one value per field (a multi_terms' keys); none when a
    field has no value there, as tantivy pairs columns."""
    return [list(itertools.product(*(sorted(set(values)) for values in doc)))
            for doc in zip(*per_field, strict=True)]


def has_values(ctx: SplitContext, name: str) -> bool:
    """Whether the split has the column ``name`` or the search's runtime field of that name."""
    return ctx.has_field(name) or (ctx.runtime is not None and name in ctx.runtime.runtime)


def _terms(spec: dict[str, Any], found: Values, field: RuntimeField) -> dict[str, Any]:
    counts: dict[Any, int] = {}
    for values in found:
        for value in set(values):
            counts[value] = counts.get(value, 0) + 1
    least = int(spec.get("min_doc_count", 1))
    items = [(key, n) for key, n in counts.items() if n >= least]
    (path, direction), = (spec.get("order") or {"_count": "desc"}).items()
    if path == "_key":
        items.sort(key=lambda item: item[0], reverse=direction == "desc")
    elif path == "_count":
        items.sort(key=lambda item: item[0])
        items.sort(key=lambda item: item[1], reverse=direction == "desc")
    else:
        raise IllegalArgument(f"[terms] over runtime field [{field.name}] cannot be ordered "
                              f"by [{path}] in the request")
    size = int(spec.get("size", 10))
    return {"doc_count_error_upper_bound": 0,
            "sum_other_doc_count": sum(n for _, n in items[size:]),
            "buckets": [{"key": key, "doc_count": n} for key, n in items[:size]]}


def _multi_terms(spec: dict[str, Any], found: Values, field: RuntimeField) -> dict[str, Any]:
    """terms over the documents' value tuples, each key a list as tantivy gives it."""
    answer = _terms(spec, found, field)
    for bucket in answer["buckets"]:
        bucket["key"] = list(bucket["key"])
    return answer


def _histogram(spec: dict[str, Any], found: Values, field: RuntimeField) -> dict[str, Any]:
    interval, offset = spec["interval"], spec.get("offset", 0)
    hard = spec.get("hard_bounds") or {}
    low, high = hard.get("min"), hard.get("max")
    counts: dict[Any, int] = {}
    for values in found:
        keys = {(v - offset) // interval * interval + offset for v in values
                if (low is None or v >= low) and (high is None or v <= high)}
        for key in keys:
            counts[key] = counts.get(key, 0) + 1
    return {"buckets": [{"key": float(key), "doc_count": counts[key]}
                        for key in sorted(counts)]}


def _range(spec: dict[str, Any], found: Values, field: RuntimeField) -> dict[str, Any]:
    buckets = []
    for item in spec["ranges"]:
        low, high = item.get("from"), item.get("to")
        inside = sum(1 for values in found if any(
            (low is None or v >= low) and (high is None or v < high) for v in values))
        buckets.append({**{k: item[k] for k in ("key", "from", "to") if k in item},
                        "doc_count": inside})
    return {"buckets": buckets}


def _stats(spec: dict[str, Any], found: Values, field: RuntimeField) -> dict[str, Any]:
    numbers = [float(v) for values in found for v in values]
    total = sum(numbers)
    return {"count": len(numbers), "sum": total,
            "min": min(numbers) if numbers else None, "max": max(numbers) if numbers else None,
            "avg": total / len(numbers) if numbers else None,
            "sum_of_squares": sum(n * n for n in numbers)}


def _value_count(spec: dict[str, Any], found: Values, field: RuntimeField) -> dict[str, Any]:
    return {"value": float(sum(len(values) for values in found))}


def _cardinality(spec: dict[str, Any], found: Values, field: RuntimeField) -> dict[str, Any]:
    return {"value": float(len({v for values in found for v in values}))}


_ANSWERS: dict[str, Callable[[dict[str, Any], Values, RuntimeField], dict[str, Any]]] = {
    "terms": _terms, "multi_terms": _multi_terms, "histogram": _histogram, "range": _range, "stats": _stats,
    "extended_stats": _stats, "value_count": _value_count, "cardinality": _cardinality,
}
