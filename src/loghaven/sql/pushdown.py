"""WHERE clauses as query DSL: what the search service can filter exactly, it filters.

:func:`split_where` takes the conjuncts of a WHERE clause that translate exactly into the
query DSL and leaves the rest (the residual) for the in-process engine, which evaluates it
over the rows the pushed-down query returned. Nothing is approximated: a condition whose
DSL could match a different set of rows than SQL would is not pushed down.

SQL's three-valued logic is kept by translating every condition twice: the rows where it is
TRUE and the rows where it is FALSE (rows where it is NULL are in neither). ``NOT x`` is the
FALSE query of ``x``; a comparison is FALSE only where its field has a value
(``exists`` + ``must_not``), so ``NOT (a = 1)`` does not match rows without ``a``, while
``NOT (a = 1 AND b = 2)`` still matches a row with ``b = 3`` and no ``a`` (FALSE AND NULL is
FALSE). On a multi-valued field a comparison is TRUE when any value satisfies it, as a search
does, and FALSE when the field has values and none does.
"""

from __future__ import annotations

import ipaddress
import math
import re
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlglot import exp

from loghaven.sql import relevance
from loghaven.sql.errors import SemanticError
from loghaven.sql.schema import OBJECT_TYPES, Schema

Query = dict[str, Any]

_RANGE = {exp.GT: "gt", exp.GTE: "gte", exp.LT: "lt", exp.LTE: "lte"}
#: ``literal <op> field`` is ``field <flipped op> literal``.
_FLIP: dict[type, type] = {exp.GT: exp.LT, exp.GTE: exp.LTE, exp.LT: exp.GT, exp.LTE: exp.GTE,
                           exp.EQ: exp.EQ, exp.NEQ: exp.NEQ}
_INTEGERS = frozenset({"long", "integer", "short", "byte", "unsigned_long"})
_KEYWORDS = frozenset({"keyword", "text", "match_only_text"})
#: ``date_nanos`` stays in the engine: a millisecond bound does not name a nanosecond instant.
_DATES = frozenset({"date"})
#: Fields that hold no value of their own (``{}`` is no NULL, yet nothing ``exists``).
_CONTAINERS = OBJECT_TYPES | {"flat_object"}
_NONE: Query = {"match_none": {}}
_ALL: Query = {"match_all": {}}
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
#: The timestamp literals the plugin reads (``yyyy-MM-dd[ HH:mm:ss[.fraction]]``), with ISO's
#: ``T`` and zone offsets as ES reads them; anything else is left to the engine.
_TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}(?:[ T]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?)?"
                        r"(?:Z|[+-]\d{2}:?\d{2})?")


def split_where(where: exp.Expression | None, schema: Schema
                ) -> tuple[list[Query], exp.Expression | None]:
    """The DSL filters of the conjuncts of ``where`` that push down, and the conjunction
    of those that do not (None when all did). A relevance function left in the residual is
    refused: it only exists as a search query."""
    if where is None:
        return [], None
    pushed: list[Query] = []
    residual: list[exp.Expression] = []
    for conjunct in _conjuncts(where):
        query = to_query(conjunct, schema)
        if query is not None:
            pushed.append(query)
            continue
        name = relevance.contains_relevance(conjunct)
        if name is not None:
            raise SemanticError(f"{name.lower()} is a relevance function and must be pushed "
                                f"down to the search, but [{conjunct.sql()}] combines it with "
                                f"a condition that cannot be: move that condition out of "
                                f"the OR, or drop it")
        residual.append(conjunct)
    return pushed, exp.and_(*residual) if residual else None


def to_query(condition: exp.Expression, schema: Schema) -> Query | None:
    """The query DSL that matches exactly the rows where ``condition`` is TRUE, or None
    when it cannot be expressed (then the in-process engine evaluates it)."""
    return _translate(condition, schema, True)


def column_name(column: exp.Column) -> str:
    """The dotted field path a column reference names (``httpRequest.clientIp`` parses as
    table ``httpRequest``, column ``clientIp``)."""
    return ".".join(part.name for part in column.parts)


def literal_value(literal: exp.Literal) -> Any:
    if literal.is_string:
        return literal.this
    text = literal.this
    return float(text) if any(c in text for c in ".eE") else int(text)


def _conjuncts(where: exp.Expression) -> list[exp.Expression]:
    while isinstance(where, exp.Paren):
        where = where.this
    if isinstance(where, exp.And):
        return [c for part in where.flatten() for c in _conjuncts(part)]
    return [where]


def _translate(node: exp.Expression, schema: Schema, truth: bool) -> Query | None:
    """The rows where ``node`` is ``truth`` (TRUE or FALSE; never NULL), or None."""
    if isinstance(node, exp.Paren):
        return _translate(node.this, schema, truth)
    if isinstance(node, exp.Not):
        return _translate(node.this, schema, not truth)
    if isinstance(node, exp.And | exp.Or):
        parts = [_translate(c, schema, truth) for c in node.flatten()]
        if any(p is None for p in parts):
            return None
        conjunction = isinstance(node, exp.And) == truth
        return {"bool": {"filter": parts}} if conjunction \
            else {"bool": {"should": parts, "minimum_should_match": 1}}
    if isinstance(node, exp.Boolean):
        return _ALL if node.this == truth else _NONE
    if isinstance(node, exp.Null):
        return _NONE
    if relevance.function_name(node) is not None:
        query = relevance.to_query(node, schema)
        return query if truth else {"bool": {"must_not": [query]}}
    if isinstance(node, exp.Column):  # a boolean field as a condition
        return _comparison(exp.EQ, node, exp.true(), schema, truth)
    if isinstance(node, exp.Is):
        return _is(node, schema, truth)
    if isinstance(node, exp.In):
        return _in(node, schema, truth)
    if isinstance(node, exp.Between):
        return _between(node, schema, truth)
    if isinstance(node, exp.Like | exp.Escape):
        return _like(node, schema, truth)
    if isinstance(node, exp.NullSafeEQ):
        return _null_safe_equals(node, schema, truth)
    if type(node) in _FLIP:
        return _binary(node, schema, truth)
    return None


def _binary(node: exp.Binary, schema: Schema, truth: bool) -> Query | None:
    left, right = node.this, node.expression
    if isinstance(node, exp.EQ) and isinstance(left, exp.Column) \
            and relevance.function_name(right) is not None:
        query = relevance.to_query(right, schema, field=left)  # field = match_query('x')
        return query if truth else {"bool": {"must_not": [query]}}
    if isinstance(node, exp.EQ | exp.NEQ) and isinstance(right, exp.Boolean) \
            and not isinstance(left, exp.Column):  # (a LIKE 'x') = TRUE
        return _translate(left, schema, truth == (right.this == isinstance(node, exp.EQ)))
    if isinstance(left, exp.Column):
        return _comparison(type(node), left, right, schema, truth)
    if isinstance(right, exp.Column):
        return _comparison(_FLIP[type(node)], right, left, schema, truth)
    return None


def _comparison(op: type, column: exp.Column, value_node: exp.Expression, schema: Schema,
                truth: bool) -> Query | None:
    field = _field(column, schema)
    if field is None:
        return None
    if isinstance(value_node, exp.Null):
        return _NONE  # a comparison with NULL is NULL: neither TRUE nor FALSE
    if op is exp.NEQ:
        return _comparison(exp.EQ, column, value_node, schema, not truth)
    target, value = _operand(field, value_node, schema)
    if target is None:
        return None
    if op is exp.EQ:
        query = _equals(field, target, value, schema)
    else:
        query = {"range": {target: {_RANGE[op]: value, **_format(field, schema)}}}
    return query if truth else _false(field, query, schema)


def _equals(field: str, target: str, value: Any, schema: Schema) -> Query:
    if _type(field, schema) in _DATES:  # a date term covers the unit it names: say the instant
        return {"range": {target: {"gte": value, "lte": value, "format": "epoch_millis"}}}
    return {"term": {target: value}}


def _is(node: exp.Is, schema: Schema, truth: bool) -> Query | None:
    """``x IS NULL``, and ``x IS TRUE``/``IS FALSE`` (never NULL themselves)."""
    if isinstance(node.expression, exp.Boolean):
        query = _translate(node.this, schema, node.expression.this)
        if query is None:
            return None
        return query if truth else {"bool": {"must_not": [query]}}
    if not isinstance(node.expression, exp.Null) or not isinstance(node.this, exp.Column):
        return None
    field = _field(node.this, schema)
    if field is None or _type(field, schema) in _CONTAINERS:
        return None
    exists = _has_value(field, schema)
    return {"bool": {"must_not": [exists]}} if truth else exists


def _null_safe_equals(node: exp.NullSafeEQ, schema: Schema, truth: bool) -> Query | None:
    """``a <=> v``: equality where NULL equals NULL, so never NULL itself."""
    column, value = node.this, node.expression
    if not isinstance(column, exp.Column):
        column, value = value, column
    if not isinstance(column, exp.Column):
        return None
    if isinstance(value, exp.Null):
        return _is(exp.Is(this=column, expression=exp.Null()), schema, truth)
    query = _comparison(exp.EQ, column, value, schema, True)
    if query is None:
        return None
    return query if truth else {"bool": {"must_not": [query]}}


def _in(node: exp.In, schema: Schema, truth: bool) -> Query | None:
    if not isinstance(node.this, exp.Column) or node.args.get("query") \
            or not node.expressions or any(isinstance(v, exp.Null) for v in node.expressions):
        return None
    field = _field(node.this, schema)
    if field is None:
        return None
    operands = [_operand(field, v, schema) for v in node.expressions]
    if any(target is None for target, _ in operands):
        return None
    target = operands[0][0]
    values = [value for _, value in operands]
    if _type(field, schema) in _DATES:
        query = {"bool": {"should": [_equals(field, target, v, schema) for v in values],
                          "minimum_should_match": 1}}
    else:
        query = {"terms": {target: values}}
    return query if truth else _false(field, query, schema)


def _between(node: exp.Between, schema: Schema, truth: bool) -> Query | None:
    if not isinstance(node.this, exp.Column) or node.args.get("symmetric"):
        return None
    field = _field(node.this, schema)
    if field is None:
        return None
    low, high = node.args["low"], node.args["high"]
    if isinstance(low, exp.Null) or isinstance(high, exp.Null):
        return None
    (target, lo), (target_hi, hi) = _operand(field, low, schema), _operand(field, high, schema)
    if target is None or target_hi is None:
        return None
    query = {"range": {target: {"gte": lo, "lte": hi, **_format(field, schema)}}}
    return query if truth else _false(field, query, schema)


def _like(node: exp.Like | exp.Escape, schema: Schema, truth: bool) -> Query | None:
    escape = "\\"
    if isinstance(node, exp.Escape):
        escape_node = node.expression
        if not isinstance(node.this, exp.Like) or not isinstance(escape_node, exp.Literal) \
                or not escape_node.is_string or len(escape_node.this) != 1:
            return None
        node, escape = node.this, escape_node.this
    if node.args.get("negate"):
        truth = not truth
    column, pattern = node.this, node.expression
    if not isinstance(column, exp.Column) or not isinstance(pattern, exp.Literal) \
            or not pattern.is_string:
        return None
    field = _field(column, schema)
    if field is None or _type(field, schema) not in _KEYWORDS:
        return None
    target = schema.keyword_of(field)
    if target is None:
        return None
    query = {"wildcard": {target: {"value": like_to_wildcard(pattern.this, escape)}}}
    return query if truth else _false(field, query, schema)


def like_to_wildcard(pattern: str, escape: str = "\\") -> str:
    """A SQL LIKE pattern as a Lucene wildcard: ``%`` → ``*``, ``_`` → ``?``, the escape
    character makes the next one literal, and Lucene's own ``*``, ``?`` and ``\\`` are
    escaped so that they match themselves."""
    out: list[str] = []
    chars = iter(pattern)
    for char in chars:
        if char == escape:
            char = next(chars, escape)
        elif char in "%_":
            out.append("*" if char == "%" else "?")
            continue
        out.append("\\" + char if char in "*?\\" else char)
    return "".join(out)


def _false(field: str, query: Query, schema: Schema) -> Query:
    """The rows where a comparison on ``field`` is FALSE: it has a value, and no value
    satisfies ``query`` (NULL compares to nothing)."""
    return {"bool": {"filter": [_has_value(field, schema)], "must_not": [query]}}


def _has_value(field: str, schema: Schema) -> Query:
    """The rows where ``field`` is not NULL. A text field has a value when either it or its
    keyword sub-field indexed one: ``""`` has no tokens, a keyword longer than its
    ``ignore_above`` no term."""
    exists: Query = {"exists": {"field": field}}
    target = schema.keyword_of(field)
    if target is None or target == field:
        return exists
    return {"bool": {"should": [exists, {"exists": {"field": target}}],
                     "minimum_should_match": 1}}


def _field(column: exp.Column, schema: Schema) -> str | None:
    name = column_name(column)
    return name if name in schema and not schema.in_nested(name) else None


def _type(field: str, schema: Schema) -> str:
    info = schema.get(field)
    return info.es_type if info is not None else ""


def _format(field: str, schema: Schema) -> dict[str, str]:
    return {"format": "epoch_millis"} if _type(field, schema) in _DATES else {}


def _operand(field: str, node: exp.Expression, schema: Schema) -> tuple[str | None, Any]:
    """(the field to query, the value) that compare exactly as SQL compares ``field`` with
    the literal ``node``; (None, None) when there is no such pair. Dates become epoch
    milliseconds (queried with ``format: epoch_millis``), text fields their ``keyword``
    sub-field; floats narrower than a double are left to the engine (their stored values
    differ from the literal's)."""
    es_type = _type(field, schema)
    value = _literal(node)
    if value is None:
        return None, None
    if es_type in _DATES:
        millis = _epoch_millis(value)
        return (field, millis) if millis is not None else (None, None)
    if isinstance(value, datetime):
        return None, None
    if es_type in _INTEGERS or es_type == "double":
        if isinstance(value, bool) or not isinstance(value, int | float) \
                or (isinstance(value, float) and not math.isfinite(value)):
            return None, None
        return field, value
    if es_type == "boolean":
        return (field, value) if isinstance(value, bool) else (None, None)
    if es_type == "ip":
        return (field, value) if isinstance(value, str) and _is_ip(value) else (None, None)
    if es_type in _KEYWORDS:
        return (schema.keyword_of(field), value) if isinstance(value, str) else (None, None)
    return None, None


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def _literal(node: exp.Expression) -> Any:
    """A Python value for a literal (``-3``, ``'x'``, ``TRUE``, ``TIMESTAMP '...'``)."""
    if isinstance(node, exp.Paren):
        return _literal(node.this)
    if isinstance(node, exp.Literal):
        return literal_value(node)
    if isinstance(node, exp.Neg) and isinstance(node.this, exp.Literal) \
            and not node.this.is_string:
        return -literal_value(node.this)
    if isinstance(node, exp.Boolean):
        return node.this
    if isinstance(node, exp.Cast) and isinstance(node.this, exp.Literal) \
            and node.this.is_string and node.to.this in (exp.DataType.Type.DATE,
                                                         exp.DataType.Type.TIMESTAMP,
                                                         exp.DataType.Type.TIMESTAMPTZ,
                                                         exp.DataType.Type.DATETIME):
        parsed = _parse_timestamp(node.this.this)
        if parsed is None:
            return None
        if node.to.this == exp.DataType.Type.DATE:
            parsed = parsed.replace(hour=0, minute=0, second=0, microsecond=0)
        return parsed
    return None


def _epoch_millis(value: Any) -> int | None:
    """A date literal as epoch milliseconds: a number is milliseconds (as ES reads one), a
    string is ``yyyy-MM-dd[ HH:mm:ss[.SSS]]`` (or ISO, UTC unless it says otherwise)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        value = _parse_timestamp(value)
    if not isinstance(value, datetime) or value.microsecond % 1000:
        return None  # sub-millisecond precision: leave it to the engine
    return (value - _EPOCH) // timedelta(milliseconds=1)


def _parse_timestamp(text: str) -> datetime | None:
    if not _TIMESTAMP.fullmatch(text):
        return None
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)
