"""Field collapsing (``collapse``): one hit per value of a keyword or numeric field, the top
one by the request's sort, and each group's ``inner_hits`` run as a search of its own.

As in ES, ``hits.total`` counts the matching documents, not the groups, and aggregations see
every hit. ES collapses on each shard and again when merging; here the merged top rows are
walked in order and the first row of each value is kept, asking the splits for more rows
(four times as many each round) until ``from + size`` groups are found or the hits run out.
A row's value is read from its ``_source`` through the mapping (tantivy-py reads fast fields
of numbers only), so a collapsed page costs one stored-document read per row walked.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson

from loghaven.engine.mapping import FieldInfo
from loghaven.engine.schema import ID, SOURCE
from loghaven.errors import IllegalArgument, LoghavenError
from loghaven.search.context import SplitContext
from loghaven.search.leaf import Row
from loghaven.search.request import Collapse, SearchRequest, parse_search_request

#: ES's ``index.max_inner_result_window`` default.
MAX_INNER_RESULT_WINDOW = 100
_COLLAPSE_TYPES = {"keyword", "long", "integer", "short", "byte", "unsigned_long", "double",
                   "float", "half_float", "scaled_float"}

#: Runs a search over the same indices: ``(request) -> response body``.
SubSearch = Callable[[SearchRequest], dict[str, Any]]


def check(collapse: Collapse, info: FieldInfo | None) -> None:
    """ES's refusals for the field one index maps (``CollapseBuilder.build``)."""
    name = collapse.field
    if info is None:
        raise IllegalArgument(f"no mapping found for `{name}` in order to collapse on")
    if info.type not in _COLLAPSE_TYPES:
        raise IllegalArgument(f"unknown type for collapse field `{name}`, only keywords and "
                              f"numbers are accepted")
    if not info.doc_values:
        raise IllegalArgument(f"cannot collapse on field `{name}` without `doc_values`")
    for inner in collapse.inner_hits:
        window = _int(inner.body.get("from", 0)) + _int(inner.body.get("size", 3))
        if window > MAX_INNER_RESULT_WINDOW:
            raise IllegalArgument(
                f"Inner result window is too large, the inner hit definition's [{inner.name}]'s "
                f"from + size must be less than or equal to: [{MAX_INNER_RESULT_WINDOW}] but was "
                f"[{window}]. This limit can be set by changing the "
                f"[index.max_inner_result_window] index level setting.")


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError) as exc:
        raise IllegalArgument(f"Failed to parse int parameter with value [{value}]") from exc


class Groups:
    """The first row of each collapse value among rows walked in sort order."""

    def __init__(self, field: str, contexts: dict[int, SplitContext]) -> None:
        self.field = field
        self.contexts = contexts
        self._keys: dict[tuple[int, int, int], Any] = {}

    def first_rows(self, rows: list[Row]) -> list[tuple[Any, Row]]:
        seen: dict[Any, Row] = {}
        for row in rows:
            key = self.key(row)
            if key not in seen:
                seen[key] = row
        return list(seen.items())

    def key(self, row: Row) -> Any:
        cached = row.tiebreak
        if cached not in self._keys:
            self._keys[cached] = self._read(row)
        return self._keys[cached]

    def _read(self, row: Row) -> Any:
        ctx = self.contexts[row.ctx]
        doc = ctx.searcher.doc(row.address)
        source = orjson.loads(ctx.source(doc.get_first(SOURCE)))
        try:
            flat, _ = ctx.index.builder.build(source, doc.get_first(ID))
        except LoghavenError:
            return None
        value = flat.get(self.field)
        if isinstance(value, list):
            if len(set(value)) > 1:
                raise LoghavenError(f"failed to collapse {row.address.doc}, the collapse field "
                                    f"must be single valued", status=500,
                                    type="illegal_state_exception")
            value = value[0]
        return value


def expand(hits: list[dict[str, Any]], keys: list[Any], request: SearchRequest,
           sub_search: SubSearch) -> None:
    """Each hit's collapse value in ``fields`` and its groups' ``inner_hits``."""
    collapse = request.collapse
    assert collapse is not None
    for hit, key in zip(hits, keys, strict=True):
        hit.setdefault("fields", {})[collapse.field] = [key]
        if not collapse.inner_hits:
            continue
        group = {"term": {collapse.field: key}} if key is not None else \
            {"bool": {"must_not": {"exists": {"field": collapse.field}}}}
        filters = [group] + ([request.post_filter] if request.post_filter else [])
        query = {"bool": {"must": [request.query or {"match_all": {}}], "filter": filters}}
        inner_hits: dict[str, Any] = {}
        for inner in collapse.inner_hits:
            sub = parse_search_request({**inner.body, "query": query}, {})
            sub.total_as_int = request.total_as_int
            inner_hits[inner.name] = {"hits": sub_search(sub)["hits"]}
        hit.setdefault("inner_hits", {}).update(inner_hits)
