"""Runtime fields in a search: queries on them, and their values in ``fields``.

tantivy cannot search values that are not in the index, so a query clause on a runtime
field is answered by computing the field for every document of the split (each document's
``_source`` is read and its script run) and replacing the clause by an ``ids`` query of the
documents whose values match. That is ES's own cost model for runtime fields (no index: a
scan per search), without its per-segment caching: a split's values are computed once per
search and field. A sort on a runtime field orders every match here, and ``search_after``
and scroll pages keep the computed rows after their cursor. Aggregations read the values
through :class:`SplitValues` (search/aggregations/computed.py).
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable
from typing import Any

import orjson
import tantivy

from loghaven.engine.dates import get_format, parse_date_math
from loghaven.engine.mapping import Mapping
from loghaven.engine.runtime import RuntimeField, doc_values
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
from loghaven.search.request import SearchRequest, SortKey

_LEAVES = ("term", "terms", "range", "exists", "match", "match_phrase", "prefix", "wildcard")


def fields_of(request: SearchRequest, mapping: Mapping) -> dict[str, RuntimeField]:
    """The runtime fields a search sees in one index: the mapping's, then the request's."""
    if not mapping.runtime and not request.runtime:
        return {}
    return {**mapping.runtime, **request.runtime}


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
        """Each document's id and values of ``name``: a runtime field's computed ones, or a
        mapped field's indexed ones as ``doc['name']`` reads them (what an aggregation over
        a runtime and a mapped field together pairs them with); none for an unmapped one."""
        if name not in self._values:
            mapping = self.ctx.mapping
            field = self.runtime.get(name)
            info = mapping.fields.get(name)
            docs = self._documents()
            if field is not None:
                found = [(doc_id, field.values(source, flat, mapping, self.runtime))
                         for doc_id, source, flat in docs]
            else:
                found = [(doc_id, doc_values(info, flat) if info is not None else [])
                         for doc_id, _, flat in docs]
            self._values[name] = found
        return self._values[name]

    def document_values(self, name: str, address: tantivy.DocAddress) -> list[Any]:
        """The values of runtime field ``name`` in one document of the split (a top
        document's metric): computed for that document only."""
        found = self.document(address)
        if found is None or name not in self.runtime:
            return []
        _, source, flat = found
        return self.runtime[name].values(source, flat, self.ctx.mapping, self.runtime)

    def matching(self, name: str, query: tantivy.Query) -> list[list[Any]]:
        """The values of ``name`` in each document of the split that ``query`` matches."""
        values = self.values(name)
        searcher = self.ctx.searcher
        if not searcher.num_docs:
            return []
        found = []
        for _, address in searcher.search(query, limit=searcher.num_docs).hits:
            at = self.positions.get((address.segment_ord, address.doc))
            if at is not None:
                found.append(values[at][1])
        return found

    def where(self, name: str, test: Callable[[list[Any]], bool]) -> tantivy.Query:
        """The documents whose values of ``name`` pass ``test``, as an ``ids`` query (what
        narrows an aggregation to one bucket of a runtime field)."""
        ids = [doc_id for doc_id, found in self.values(name) if test(found)]
        if not ids:
            return tantivy.Query.empty_query()
        return self.ctx.compile({"ids": {"values": ids}}, self.now_ms)

    def rewrite(self, clause: dict[str, Any] | None) -> dict[str, Any] | None:
        """``clause`` with each leaf query on a runtime field replaced by the ids it matches."""
        return None if clause is None else _rewrite(clause, self)

    def on(self, ctx: SplitContext) -> SplitValues:
        """The same runtime fields over another split of the index."""
        return SplitValues(ctx, self.runtime, self.now_ms)


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
        wanted = {field.typed(v) for v in spec}
        return lambda found: any(v in wanted for v in found)
    if kind == "prefix":
        return lambda found: any(str(v).startswith(str(value)) for v in found)
    if kind == "wildcard":
        return lambda found: any(fnmatch.fnmatchcase(str(v), str(value)) for v in found)
    target = field.typed(value)
    return lambda found: target in found


def _bound(field: RuntimeField, op: str, spec: dict[str, Any], now_ms: int) -> Any:
    """A range bound; on a runtime date with ES's date math and rounding."""
    if field.type != "date":
        return field.typed(spec[op], spec.get("format"))
    try:
        return parse_date_math(spec[op], now_ms, get_format(spec.get("format")
                                                            or field.date_format),
                               spec.get("time_zone"), round_up=op in ("gt", "lte", "to"))
    except ValueError as exc:
        raise IllegalArgument(f"failed to parse date field [{spec[op]}] with format "
                              f"[{spec.get('format') or field.date_format}]") from exc


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
