"""WHERE clauses as query DSL: what the search service can filter, it filters.

:func:`split_where` takes the conjuncts of a WHERE clause that translate exactly into the
query DSL and leaves the rest (the residual) for the in-process engine, which evaluates it
over the rows the pushed-down query returned.
"""

from __future__ import annotations

from typing import Any

from sqlglot import exp

from loghaven.sql.schema import Schema

Query = dict[str, Any]

_RANGE = {exp.GT: "gt", exp.GTE: "gte", exp.LT: "lt", exp.LTE: "lte"}


def split_where(where: exp.Expression | None, schema: Schema
                ) -> tuple[list[Query], exp.Expression | None]:
    """The DSL filters of the conjuncts of ``where`` that push down, and the conjunction
    of those that do not (None when all did)."""
    if where is None:
        return [], None
    pushed: list[Query] = []
    residual: list[exp.Expression] = []
    for conjunct in where.flatten() if isinstance(where, exp.And) else [where]:
        query = to_query(conjunct, schema)
        if query is None:
            residual.append(conjunct)
        else:
            pushed.append(query)
    return pushed, exp.and_(*residual) if residual else None


def to_query(condition: exp.Expression, schema: Schema) -> Query | None:
    """The query DSL that matches exactly the rows where ``condition`` is true, or None
    when it cannot be expressed (then the in-process engine evaluates it)."""
    if isinstance(condition, exp.Paren):
        return to_query(condition.this, schema)
    if isinstance(condition, exp.And):
        parts = [to_query(c, schema) for c in condition.flatten()]
        return None if any(p is None for p in parts) else {"bool": {"filter": parts}}
    if isinstance(condition, exp.EQ | exp.GT | exp.GTE | exp.LT | exp.LTE):
        column, value = _column_and_literal(condition, schema)
        if column is None:
            return None
        if isinstance(condition, exp.EQ):
            target = schema.keyword_of(column)
            return None if target is None else {"term": {target: value}}
        op = _RANGE[type(condition)]
        return {"range": {column: {op: value}}}
    return None


def _column_and_literal(condition: exp.Binary, schema: Schema) -> tuple[str | None, Any]:
    """(field, value) of ``field <op> literal``; (None, None) for any other shape."""
    left, right = condition.this, condition.expression
    if isinstance(left, exp.Column) and isinstance(right, exp.Literal):
        name = column_name(left)
        if name in schema:
            return name, literal_value(right)
    return None, None


def column_name(column: exp.Column) -> str:
    """The dotted field path a column reference names (``httpRequest.clientIp`` parses as
    table ``httpRequest``, column ``clientIp``)."""
    return ".".join(part.name for part in column.parts)


def literal_value(literal: exp.Literal) -> Any:
    if literal.is_string:
        return literal.this
    text = literal.this
    return float(text) if any(c in text for c in ".eE") else int(text)
