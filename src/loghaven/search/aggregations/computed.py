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
from typing import TYPE_CHECKING, Any

import tantivy

from loghaven.engine.runtime import RuntimeField
from loghaven.errors import IllegalArgument
from loghaven.search.context import SplitContext

if TYPE_CHECKING:  # search.runtime imports search.leaf, which imports this package
    from loghaven.search.runtime import SplitValues

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
        out[name] = _ANSWERS[kind](spec, _found(kind, spec, names, field, values, query),
                                   field)
    if native:
        out.update(ctx.searcher.aggregate(query, native))
    return out


def _found(kind: str, spec: dict[str, Any], names: list[str], field: RuntimeField,
           values: SplitValues, query: tantivy.Query) -> Values:
    """Each matching document's keys for a request: the runtime field's values (or
    ``missing``), or for several fields the tuples of their values."""
    if kind == "multi_terms":
        return _combinations([values.matching(n, query) for n in names])
    if kind == "composite":
        return _combinations([_source_keys(source, values.matching(n, query))
                              for source, n in zip(_sources(spec), names, strict=True)])
    found = values.matching(field.name, query)
    if spec.get("missing") is not None:
        missing = field.typed(spec["missing"])
        found = [each or [missing] for each in found]
    return found


def _fields_of(spec: Any) -> list[str]:
    """The fields a request reads: its ``field``, a multi_terms' ``terms`` fields or a
    composite's sources' fields."""
    if not isinstance(spec, dict):
        return []
    if isinstance(spec.get("field"), str):
        return [spec["field"]]
    if "sources" in spec:
        return [body["field"] for _, body in _sources(spec)]
    return [term["field"] for term in spec.get("terms") or ()
            if isinstance(term, dict) and isinstance(term.get("field"), str)]


def _sources(spec: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """A composite request's sources: (kind, body) each (kinds ``terms`` and ``histogram``)."""
    return [next(iter(body.items())) for source in spec["sources"] for body in source.values()]


def _source_keys(source: tuple[str, dict[str, Any]], found: Values) -> Values:
    """Each document's keys in one composite source: its values, or their histogram keys;
    ``[None]`` for a document without one when the source has a ``missing_bucket``."""
    kind, body = source
    if kind == "histogram":
        interval = body["interval"]
        found = [[v // interval * interval for v in values] for values in found]
    if body.get("missing_bucket"):
        found = [values or [None] for values in found]
    return found


def _combinations(per_field: list[Values]) -> Values:
    """Each document's tuples of one value per field (a multi_terms' or a composite's keys);
    none when a field has no value there, as tantivy pairs columns."""
    return [list(itertools.product(*(sorted(set(values)) for values in doc)))
            for doc in zip(*per_field, strict=True)]


def has_values(ctx: SplitContext, name: str) -> bool:
    """Whether the split has the column ``name`` or the search's runtime field of that name."""
    return ctx.has_field(name) or (ctx.runtime is not None and name in ctx.runtime.runtime)


def _doc_counts(found: Values) -> dict[Any, int]:
    """How many documents hold each key."""
    counts: dict[Any, int] = {}
    for values in found:
        for value in set(values):
            counts[value] = counts.get(value, 0) + 1
    return counts


def _terms(spec: dict[str, Any], found: Values, field: RuntimeField) -> dict[str, Any]:
    counts = _doc_counts(found)
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


def _composite(spec: dict[str, Any], found: Values, field: RuntimeField) -> dict[str, Any]:
    """Every key of the split, ``size`` and ``after`` left to the composite node, which pages
    after merging the splits (as it does for a split whose keys tantivy cannot page)."""
    names = [next(iter(source)) for source in spec["sources"]]
    return {"buckets": [{"key": dict(zip(names, key, strict=True)), "doc_count": n}
                        for key, n in _doc_counts(found).items()]}


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
    "terms": _terms, "multi_terms": _multi_terms, "composite": _composite,
    "histogram": _histogram, "range": _range, "stats": _stats,
    "extended_stats": _stats, "value_count": _value_count, "cardinality": _cardinality,
}
