"""Runtime fields in a search: queries on them, and their values in ``fields``.

tantivy cannot search values that are not in the index, so a query clause on a runtime
field is answered by computing the field for every document of the split (each document's
``_source`` is read and its script run) and replacing the clause by an ``ids`` query of the
documents whose values match. That is ES's own cost model for runtime fields (no index: a
scan per search), without its per-segment caching: a split's values are computed once per
search and field. A sort on a runtime field orders every match here, and ``search_after``
and scroll pages keep the computed rows after their cursor; aggregations beyond those
computed here are refused by name.
"""

from __future__ import annotations

import dataclasses
import fnmatch
from collections.abc import Callable
from typing import Any

import orjson
import tantivy

from loghaven.engine.dates import get_format, parse_date_math
from loghaven.engine.mapping import Mapping
from loghaven.engine.runtime import RuntimeField
from loghaven.engine.schema import ID, SOURCE
from loghaven.errors import IllegalArgument, LoghavenError
from loghaven.search.context import SplitContext
from loghaven.search.leaf import (
    Cursor,
    LeafKey,
    LeafResult,
    Row,
    compare,
    resolve_keys,
    sort_rows,
)
from loghaven.search.query import all_of, as_filter
from loghaven.search.request import SearchRequest, SortKey

_LEAVES = ("term", "terms", "range", "exists", "match", "match_phrase", "prefix", "wildcard")


def fields_of(request: SearchRequest, mapping: Mapping) -> dict[str, RuntimeField]:
    """The runtime fields a search sees in one index: the mapping's, then the request's."""
    if not mapping.runtime and not request.runtime:
        return {}
    return {**mapping.runtime, **request.runtime}


def refuse_unsupported(request: SearchRequest, runtime: dict[str, RuntimeField]) -> None:
    """Aggregating on a runtime field other than at the top level with ``terms`` or a
    single-field metric (no sub-aggregations) is not done: a 400 naming it."""
    if request.aggs:
        top = {name for name, spec in request.aggs.items() if _runtime_agg(spec, runtime)}
        rest = {name: spec for name, spec in request.aggs.items() if name not in top}
        for name in _aggregated_fields(rest):
            if name in runtime:
                raise IllegalArgument(f"aggregations on runtime field [{name}] are supported by "
                                      f"Loghaven only at the top level, as [terms] or "
                                      f"{sorted(_METRICS)}, without sub-aggregations")


#: Aggregations computed here over runtime values (top level, no sub-aggregations).
_METRICS = frozenset({"avg", "sum", "min", "max", "value_count", "stats", "cardinality"})
_AGG_KEYS = frozenset({"meta"})


def _runtime_agg(spec: Any, runtime: dict[str, RuntimeField]) -> str | None:
    """The aggregation type when ``spec`` is one this module computes over a runtime field."""
    if not isinstance(spec, dict):
        return None
    kinds = [k for k in spec if k not in _AGG_KEYS]
    subs = spec.get("aggs", spec.get("aggregations"))
    if subs is not None:
        # native sub-aggregations under a runtime ``terms``, run once per bucket
        kinds = [k for k in kinds if k not in ("aggs", "aggregations")]
        if kinds != ["terms"] or not isinstance(subs, dict) or any(
                name in runtime for name in _aggregated_fields(subs)):
            return None
    if len(kinds) != 1 or kinds[0] not in _METRICS | {"terms"}:
        return None
    body = spec[kinds[0]]
    if not isinstance(body, dict) or not isinstance(body.get("field"), str) \
            or body["field"] not in runtime:
        return None  # a malformed field is the native aggregation's 400
    if set(body) - {"field", "size", "min_doc_count", "missing"}:
        return None
    return kinds[0]


#: Runs native aggregations over split contexts: ``(aggs, contexts) -> results``.
NativeAggregations = Callable[[dict[str, Any], list[SplitContext]], dict[str, Any]]


def aggregate_runtime(aggs: dict[str, Any], splits: list[tuple[SplitContext, SplitValues | None]],
                      native_run: NativeAggregations, now_ms: int
                      ) -> tuple[dict[str, Any], dict[str, Any]]:
    """``aggs`` split into the native ones and the results of those on runtime fields, which
    are computed here from the values of the documents the query matches (a runtime
    ``terms``' native sub-aggregations run per bucket, over that bucket's documents)."""
    native: dict[str, Any] = {}
    computed: dict[str, Any] = {}
    matched: dict[int, set[str]] = {}
    for name, spec in aggs.items():
        runtime = next((v.runtime for _, v in splits if v is not None), {})
        kind = _runtime_agg(spec, runtime)
        if kind is None:
            native[name] = spec
            continue
        body = spec[kind]
        values: list[Any] = []
        by_split: list[tuple[SplitContext, list[tuple[str, list[Any]]]]] = []
        field: RuntimeField | None = None
        for ctx, split_values in splits:
            if split_values is None or body["field"] not in split_values.runtime:
                continue
            field = split_values.runtime[body["field"]]
            if id(ctx) not in matched:
                matched[id(ctx)] = _matching_ids(ctx)
            ids = matched[id(ctx)]
            docs = []
            for doc_id, found in split_values.values(body["field"]):
                if doc_id in ids:
                    if not found and body.get("missing") is not None:
                        found = [_typed(field, body["missing"])]
                    values.append(found)
                    docs.append((doc_id, found))
            by_split.append((ctx, docs))
        computed[name] = _terms(body, values, field) if kind == "terms" else \
            _metric(kind, [v for found in values for v in found])
        subs = spec.get("aggs", spec.get("aggregations"))
        if subs:
            for bucket in computed[name]["buckets"]:
                bucket.update(native_run(subs, _bucket_contexts(by_split, bucket, now_ms)))
        if "meta" in spec:
            computed[name]["meta"] = spec["meta"]
    return native, computed


def _bucket_contexts(by_split: list[tuple[SplitContext, list[tuple[str, list[Any]]]]],
                     bucket: dict[str, Any], now_ms: int) -> list[SplitContext]:
    """The split contexts narrowed to one bucket's documents."""
    key = bucket["key"]
    if "key_as_string" in bucket and isinstance(key, int) and bucket["key_as_string"] in (
            "true", "false"):
        key = bucket["key_as_string"] == "true"
    contexts = []
    for ctx, docs in by_split:
        ids = [doc_id for doc_id, found in docs if key in found]
        narrowed = ctx.compile({"ids": {"values": ids}}, now_ms) if ids else \
            tantivy.Query.empty_query()
        contexts.append(dataclasses.replace(ctx, query=all_of([ctx.query, as_filter(narrowed)])))
    return contexts


def _matching_ids(ctx: SplitContext) -> set[str]:
    searcher = ctx.searcher
    if not searcher.num_docs:
        return set()
    hits = searcher.search(ctx.query, limit=searcher.num_docs).hits
    return {searcher.doc(address).get_first(ID) for _, address in hits}


def _terms(body: dict[str, Any], values: list[list[Any]], field: RuntimeField | None
           ) -> dict[str, Any]:
    counts: dict[Any, int] = {}
    for found in values:
        for value in set(found):
            counts[value] = counts.get(value, 0) + 1
    size = int(body.get("size", 10))
    least = int(body.get("min_doc_count", 1))
    ordered = sorted(((k, c) for k, c in counts.items() if c >= least),
                     key=lambda item: (-item[1], item[0]))
    buckets = []
    for key, count in ordered[:size]:
        bucket: dict[str, Any] = {"key": key, "doc_count": count}
        if field is not None and field.type == "date":
            bucket["key_as_string"] = field.render(key)
        elif field is not None and field.type == "boolean":
            bucket = {"key": int(key), "key_as_string": "true" if key else "false",
                      "doc_count": count}
        buckets.append(bucket)
    return {"doc_count_error_upper_bound": 0,
            "sum_other_doc_count": sum(c for _, c in ordered[size:]), "buckets": buckets}


def _metric(kind: str, values: list[Any]) -> dict[str, Any]:
    numbers = [float(v) for v in values if not isinstance(v, str)]
    if kind == "value_count":
        return {"value": len(values)}
    if kind == "cardinality":
        return {"value": len(set(values))}
    total = sum(numbers)
    if kind == "sum":
        return {"value": total}
    low, high = (min(numbers), max(numbers)) if numbers else (None, None)
    avg = total / len(numbers) if numbers else None
    if kind == "stats":
        return {"count": len(numbers), "min": low, "max": high, "avg": avg,
                "sum": total}
    return {"value": {"avg": avg, "min": low, "max": high}[kind]}


def _aggregated_fields(node: Any) -> list[str]:
    found: list[str] = []
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            for key, value in item.items():
                if key == "field" and isinstance(value, str):
                    found.append(value)
                else:
                    stack.append(value)
        elif isinstance(item, list):
            stack.extend(item)
    return found


class SplitValues:
    """Each document's runtime values in one split, computed on first use per field."""

    def __init__(self, ctx: SplitContext, runtime: dict[str, RuntimeField],
                 now_ms: int) -> None:
        self.ctx = ctx
        self.runtime = runtime
        #: what ``now`` means in date math of range queries on runtime dates
        self.now_ms = now_ms
        self._docs: list[tuple[str, dict[str, Any], dict[str, Any]]] | None = None
        self._values: dict[str, list[tuple[str, list[Any]]]] = {}
        #: (segment, doc) → position in the documents list
        self.positions: dict[tuple[int, int], int] = {}

    def document(self, address: tantivy.DocAddress
                 ) -> tuple[str, dict[str, Any], dict[str, Any]] | None:
        docs = self._documents()
        at = self.positions.get((address.segment_ord, address.doc))
        return None if at is None else docs[at]

    def _documents(self) -> list[tuple[str, dict[str, Any], dict[str, Any]]]:
        if self._docs is None:
            searcher = self.ctx.searcher
            docs = []
            if searcher.num_docs:
                hits = searcher.search(self.ctx.visible, limit=searcher.num_docs).hits
                for _, address in hits:
                    self.positions[(address.segment_ord, address.doc)] = len(docs)
                    doc = searcher.doc(address)
                    doc_id = doc.get_first(ID)
                    source = orjson.loads(self.ctx.source(doc.get_first(SOURCE)))
                    try:
                        flat, _ = self.ctx.index.builder.build(source, doc_id)
                    except LoghavenError:
                        flat = {}
                    docs.append((doc_id, source, flat))
            self._docs = docs
        return self._docs

    def values(self, name: str) -> list[tuple[str, list[Any]]]:
        if name not in self._values:
            field = self.runtime[name]
            mapping = self.ctx.mapping
            self._values[name] = [(doc_id, field.values(source, flat, mapping, self.runtime))
                                  for doc_id, source, flat in self._documents()]
        return self._values[name]


def sort_keys(sort: list[SortKey], ctx: SplitContext, runtime: dict[str, RuntimeField]
              ) -> list[LeafKey] | None:
    """The leaf keys of a sort that names a runtime field (None when it names none)."""
    if not any(key.field in runtime for key in sort):
        return None
    return [LeafKey(key, "runtime", key.field) if key.field in runtime
            else resolve_keys([key], ctx.mapping, ctx.fields)[0] for key in sort]


def search_split(ctx: SplitContext, position: int, query: tantivy.Query, keys: list[LeafKey],
                 k: int, values: SplitValues, cursor: Cursor | None = None) -> LeafResult:
    """The top ``k`` rows of ``query`` on one split sorted with runtime keys (after
    ``cursor``, a ``search_after`` or a scroll's, if given): every match's sort values
    computed (min of a key's values ascending, max descending, as ES sorts multi-valued
    fields), then sorted here."""
    searcher = ctx.searcher
    if not searcher.num_docs:
        return LeafResult([], 0)
    hits = searcher.search(query, limit=searcher.num_docs).hits
    rows = []
    for score, address in hits:
        found = values.document(address)
        sort_values = tuple(_sort_value(key, score, found, values) for key in keys)
        row = Row(sort_values, address, score, position)
        if cursor is None or compare(row.values, row.tiebreak, cursor.values, cursor.tiebreak,
                                     keys) > 0:
            rows.append(row)
    return LeafResult(sort_rows(rows, keys)[:k], len(hits))


def _sort_value(key: LeafKey, score: float,
                found: tuple[str, dict[str, Any], dict[str, Any]] | None,
                values: SplitValues) -> Any:
    if key.kind == "score":
        return score
    if found is None or key.path is None or key.kind in ("doc", "none"):
        return None
    _, source, flat = found
    if key.kind == "runtime":
        candidates = values.runtime[key.path].values(source, flat, values.ctx.mapping,
                                                      values.runtime)
    else:
        value = flat.get(key.path)
        candidates = [] if value is None else value if isinstance(value, list) else [value]
    if not candidates:
        return None
    return max(candidates) if key.key.desc else min(candidates)


def rewrite(clause: dict[str, Any] | None, values: SplitValues) -> dict[str, Any] | None:
    """``clause`` with each leaf query on a runtime field replaced by the ids it matches."""
    if clause is None:
        return None
    return _rewrite(clause, values)


def _rewrite(node: Any, values: SplitValues) -> Any:
    if isinstance(node, list):
        return [_rewrite(item, values) for item in node]
    if not isinstance(node, dict):
        return node
    if len(node) == 1:
        (kind, body), = node.items()
        name = _field_of(kind, body)
        if name is not None and name in values.runtime:
            field = values.runtime[name]
            test = _matcher(kind, field, body[name] if kind != "exists" else None,
                            values.now_ms)
            ids = [doc_id for doc_id, found in values.values(name) if found and test(found)]
            if not ids:
                return {"bool": {"must_not": {"match_all": {}}}}
            return {"ids": {"values": ids}}
    return {key: _rewrite(value, values) for key, value in node.items()}


def _field_of(kind: str, body: Any) -> str | None:
    if kind not in _LEAVES or not isinstance(body, dict):
        return None
    if kind == "exists":
        name = body.get("field")
        return name if isinstance(name, str) else None
    names = [k for k in body if k not in ("boost", "_name")]
    return names[0] if len(names) == 1 else None


def _matcher(kind: str, field: RuntimeField, spec: Any, now_ms: int) -> Any:
    """A test on a document's values for one leaf query."""
    if kind == "exists":
        return bool
    if kind == "range":
        if not isinstance(spec, dict):
            raise IllegalArgument(f"[range] query malformed for field [{field.name}]")
        bounds = []
        for op in ("gt", "gte", "lt", "lte", "from", "to"):
            if spec.get(op) is not None:
                bounds.append((op, _bound(field, op, spec, now_ms)))

        def in_range(value: Any) -> bool:
            for op, bound in bounds:
                if (op == "gt" and not value > bound) or (op in ("gte", "from") and
                                                           not value >= bound) or \
                        (op == "lt" and not value < bound) or \
                        (op in ("lte", "to") and not value <= bound):
                    return False
            return True

        return lambda found: any(in_range(v) for v in found)
    value = spec
    if isinstance(spec, dict):
        value = spec.get("query" if kind.startswith("match") else "value")
    if kind == "terms":
        if not isinstance(spec, list):
            raise IllegalArgument(f"[terms] query on field [{field.name}] needs an array")
        wanted = {_typed(field, v) for v in spec}
        return lambda found: any(v in wanted for v in found)
    if kind == "prefix":
        return lambda found: any(str(v).startswith(str(value)) for v in found)
    if kind == "wildcard":
        return lambda found: any(fnmatch.fnmatchcase(str(v), str(value)) for v in found)
    target = _typed(field, value)
    return lambda found: target in found


def _bound(field: RuntimeField, op: str, spec: dict[str, Any], now_ms: int) -> Any:
    """A range bound; on a runtime date with ES's date math and rounding."""
    if field.type != "date":
        return _typed(field, spec[op], spec.get("format"))
    try:
        return parse_date_math(spec[op], now_ms, get_format(spec.get("format")
                                                            or field.date_format),
                               spec.get("time_zone"), round_up=op in ("gt", "lte", "to"))
    except ValueError as exc:
        raise IllegalArgument(f"failed to parse date field [{spec[op]}] with format "
                              f"[{spec.get('format') or field.date_format}]") from exc


def _typed(field: RuntimeField, value: Any, fmt: str | None = None) -> Any:
    """A query value in the runtime field's type."""
    try:
        if field.type == "date" and not (isinstance(value, int) and not isinstance(value, bool)):
            return get_format(fmt or field.date_format).parse(value)
        if field.type == "boolean":
            return value in (True, "true")
        if field.type in ("keyword", "ip"):
            if isinstance(value, bool):
                return "true" if value else "false"
            return value if isinstance(value, str) else str(value)
        if field.type == "long":
            number = float(value)
            return int(number) if number.is_integer() else number
        return float(value)
    except (TypeError, ValueError) as exc:
        raise IllegalArgument(f"failed to create query: value [{value}] does not fit runtime "
                              f"field [{field.name}] of type [{field.type}]") from exc


def hit_fields(runtime: dict[str, RuntimeField], patterns: list[tuple[str, str | None]],
               source: dict[str, Any], flat: dict[str, Any], mapping: Mapping
               ) -> dict[str, list[Any]]:
    """The runtime fields a hit's ``fields`` asks for, with their values."""
    out: dict[str, list[Any]] = {}
    for name, field in runtime.items():
        spec = next((fmt for pattern, fmt in patterns if fnmatch.fnmatchcase(name, pattern)),
                    False)
        if spec is False:
            continue
        found = field.values(source, flat, mapping, runtime)
        if found:
            out[name] = [field.render(v, spec) for v in found]  # type: ignore[arg-type]
    return out
