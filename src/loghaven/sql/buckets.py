"""GROUP BY keys as composite aggregation sources.

A plain field is a ``terms`` source; ``DATE_TRUNC(unit, date)`` (PPL's ``span(ts, 1h)``) a
``date_histogram`` of that unit; ``FLOOR(x / w) * w`` (PPL's ``span(x, w)``) a ``histogram``
of interval ``w``; and PPL's wider time spans (epoch milliseconds floored to a width) a
``date_histogram`` of that fixed interval. Each source buckets exactly as the expression
does (UTC, aligned on the epoch), and keeps documents without the field in a NULL group, as
SQL's GROUP BY does.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlglot import exp

from loghaven.sql.plan import plain_field
from loghaven.sql.schema import OBJECT_TYPES, Schema
from loghaven.sql.values import duck_type, millis_of, timestamp_of

#: DATE_TRUNC units that are fixed lengths in UTC (weeks, months, quarters and years are
#: calendar units the composite source does not take: DuckDB groups those).
_UNIT_MS = {"SECOND": 1_000, "MINUTE": 60_000, "HOUR": 3_600_000, "DAY": 86_400_000}
_NUMBERS = frozenset({"long", "integer", "short", "byte", "double", "float", "half_float",
                      "scaled_float", "unsigned_long"})
_DATES = frozenset({"date", "date_nanos"})
#: Fields whose values are no group key (a geo_point's is a pair).
_NOT_KEYS = OBJECT_TYPES | {"geo_point"}


@dataclass
class Key:
    """One group key: its column in the group table, the statement's expression for it
    (by its SQL text), and the composite source that computes it."""

    column: str
    expression: str
    field: str
    es_type: str
    source: dict[str, Any]

    @property
    def is_terms(self) -> bool:
        return "terms" in self.source

    @property
    def duck_type(self) -> str:
        if "date_histogram" in self.source:
            return "TIMESTAMP"
        if "histogram" in self.source:
            return "DOUBLE"
        return duck_type(self.es_type)

    def value(self, raw: Any) -> Any:
        if raw is None:
            return None
        if "histogram" in self.source:
            return float(raw)
        if "date_histogram" in self.source or self.es_type in _DATES:
            millis = millis_of(raw)
            return None if millis is None else timestamp_of(millis)
        if self.es_type == "boolean":
            return raw in (True, 1, "true")
        return raw


def key_of(target: exp.Expression, schema: Schema, column: str) -> Key | None:
    """The composite source that groups as ``target`` does, or None."""
    path = plain_field(target)
    if path is not None:
        field = schema.keyword_of(path) if path in schema else None
        if field is None or schema.fields[path].es_type in _NOT_KEYS \
                or schema.in_nested(path):
            return None
        return Key(column, target.sql(), path, schema.fields[path].es_type,
                   {"terms": {"field": field, "missing_bucket": True}})
    found = _date_trunc(target) or _fixed_time_span(target)
    if found is not None:
        path, width_ms = found
        if path not in schema or schema.fields[path].es_type not in _DATES:
            return None
        return Key(column, target.sql(), path, schema.fields[path].es_type, {"date_histogram": {
            "field": path, "fixed_interval": f"{width_ms}ms", "missing_bucket": True}})
    found = _floor_bucket(target)
    if found is not None:
        path, width = found
        if path not in schema or schema.fields[path].es_type not in _NUMBERS:
            return None
        return Key(column, target.sql(), path, schema.fields[path].es_type, {"histogram": {
            "field": path, "interval": width, "missing_bucket": True}})
    return None


def _date_trunc(node: exp.Expression) -> tuple[str, int] | None:
    """(field, unit in ms) of ``DATE_TRUNC('hour', field)``."""
    if not isinstance(node, exp.DateTrunc | exp.TimestampTrunc):
        return None
    unit = node.args.get("unit")
    width = _UNIT_MS.get(unit.name.upper()) if isinstance(unit, exp.Literal | exp.Var) \
        else None
    path = plain_field(node.this)
    return None if width is None or path is None else (path, width)


def _floor_bucket(node: exp.Expression) -> tuple[str, float] | None:
    """(field, width) of ``FLOOR(field / width) * width``."""
    parts = _floored(node)
    path = plain_field(parts[0]) if parts is not None else None
    return None if parts is None or path is None else (path, parts[1])


def _fixed_time_span(node: exp.Expression) -> tuple[str, int] | None:
    """(field, width in ms) of PPL's ``span(ts, 5m)``: the epoch milliseconds of ``ts``
    floored to a multiple of the width, as a timestamp again."""
    if not isinstance(node, exp.UnixToTime) or node.args.get("scale") != exp.UnixToTime.MILLIS:
        return None
    inner = _unparen(node.this)
    parts = _floored(_unparen(inner.this) if isinstance(inner, exp.Cast) else inner)
    if parts is None or not parts[1].is_integer():
        return None
    millis = parts[0]
    if not isinstance(millis, exp.Mul) or not isinstance(_unparen(millis.this), exp.TimeToUnix) \
            or not _same_number(millis.expression, exp.Literal.number(1000)):
        return None
    path = plain_field(_unparen(_unparen(millis.this).this))
    return None if path is None else (path, int(parts[1]))


def _floored(node: exp.Expression) -> tuple[exp.Expression, float] | None:
    """(x, w) of ``FLOOR(x / w) * w`` with a literal width."""
    node = _unparen(node)
    if not isinstance(node, exp.Mul):
        return None
    floor, width = _unparen(node.this), node.expression
    if not isinstance(floor, exp.Floor) or floor.args.get("decimals") is not None:
        return None
    division = _unparen(floor.this)
    if not isinstance(division, exp.Div) or not _same_number(division.expression, width):
        return None
    return _unparen(division.this), float(width.this)


def _unparen(node: exp.Expression) -> exp.Expression:
    while isinstance(node, exp.Paren):
        node = node.this
    return node


def _same_number(a: exp.Expression, b: exp.Expression) -> bool:
    return isinstance(a, exp.Literal) and isinstance(b, exp.Literal) and not a.is_string \
        and not b.is_string and float(a.this) == float(b.this)
