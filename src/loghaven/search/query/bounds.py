"""The date ranges a query requires, so the root can skip splits (ES's ``can_match`` phase)."""

from __future__ import annotations

from typing import Any

from loghaven.engine.mapping import Mapping
from loghaven.errors import LoghavenError
from loghaven.search.lucene import query_string_to_dsl
from loghaven.search.query.body import as_list, field_body, single
from loghaven.search.query.context import QueryContext
from loghaven.search.query.values import LONG_MAX, LONG_MIN, date_range, range_bounds


def time_bounds(query: dict[str, Any] | None, mapping: Mapping,
                now_ms: int) -> dict[str, tuple[int, int]]:
    """Inclusive ``[low, high]`` epoch-millis bounds that every match must satisfy, per date
    field (from ``range`` clauses reached through ``must``/``filter``); empty when unknown."""
    try:
        return _bounds(query, mapping, now_ms)
    except (LoghavenError, ValueError, TypeError, AttributeError):
        return {}


def _bounds(query: dict[str, Any] | None, mapping: Mapping,
            now_ms: int) -> dict[str, tuple[int, int]]:
    if not query:
        return {}
    name, body = single(query)
    if name == "range":
        field, opts = field_body("range", body, "gte")
        info = mapping.fields.get(field)
        if info is None or info.kind != "date":
            return {}
        low, high, include_low, include_high = range_bounds(opts)
        dates = QueryContext({}, None, mapping, now_ms, None)  # for date math only
        lo, hi = date_range(dates, info, opts, low, high, include_low, include_high)
        return {info.path: (LONG_MIN if lo is None else lo, LONG_MAX if hi is None else hi)}
    if name == "constant_score":
        return _bounds(body.get("filter"), mapping, now_ms)
    if name == "bool":
        result: dict[str, tuple[int, int]] = {}
        for key in ("must", "filter"):
            clauses = body.get(key, [])
            for clause in [clauses] if isinstance(clauses, dict) else clauses:
                for field, (lo, hi) in _bounds(clause, mapping, now_ms).items():
                    old_lo, old_hi = result.get(field, (LONG_MIN, LONG_MAX))
                    result[field] = (max(lo, old_lo), min(hi, old_hi))
        return result
    if name == "query_string" and isinstance(body, dict):
        try:
            translated = query_string_to_dsl(
                str(body.get("query", "")), default_field=body.get("default_field", "*"),
                default_operator=str(body.get("default_operator", "OR")),
                fields=as_list(body.get("fields")) or None)
        except LoghavenError:  # a syntax error: compiling the query reports it, per split
            return {}
        return _bounds(translated, mapping, now_ms)
    return {}
