"""Which plan a resolved SELECT gets: push-down first.

A statement whose WHERE translates to the query DSL and whose items are plain columns is
one search (:mod:`.hits`); GROUP BY over plain fields becomes aggregations
(:mod:`.aggregate`); a JOIN pulls both sides (:mod:`.join`); anything else pulls the
matching rows into DuckDB (:mod:`.rows`), with sort and LIMIT pushed when they can be.
"""

from __future__ import annotations

from typing import Any

from sqlglot import exp

from loghaven.sql import aggregate, join
from loghaven.sql.hits import HitsPlan
from loghaven.sql.plan import (
    SEARCH_CLAUSES,
    Plan,
    duck_statement,
    filters_of,
    int_clause,
    only_clauses,
    plain_field,
    reads,
    sort_of,
)
from loghaven.sql.pushdown import split_where
from loghaven.sql.resolve import Statement
from loghaven.sql.rows import Pull, RowsPlan


def plan_select(statement: Statement, request_filter: dict[str, Any] | None) -> Plan:
    """The plan of a resolved SELECT."""
    tree = statement.tree
    if not statement.sources:
        return RowsPlan([], statement, duck_statement(statement, tree.args.get("where")
                                                      and tree.args["where"].this))
    if len(statement.sources) == 2:
        return join.plan_join(statement, request_filter)
    if statement.nested:
        return _nested(statement, request_filter)
    source = statement.sources[0]
    where = tree.args.get("where")
    pushed, residual = split_where(where.this if where else None, source.schema)
    query = filters_of(request_filter, pushed)
    grouped = tree.args.get("group") is not None or aggregate.has_aggregates(tree)
    plain = only_clauses(tree, SEARCH_CLAUSES)
    if grouped and residual is None and only_clauses(tree, aggregate.CLAUSES):
        pushed_plan = aggregate.plan_groups(statement, query)
        if pushed_plan is not None:
            return pushed_plan
    if not grouped and residual is None and _distinct_fields(tree):
        pushed_plan = aggregate.plan_groups(_as_group_by(statement), query)
        if pushed_plan is not None:
            return pushed_plan
    body = {"query": query, **reads(source)}
    limit, start = int_clause(tree, "limit"), int_clause(tree, "offset") or 0
    sort = sort_of(statement) if not grouped else None
    items = [plain_field(i) for i in tree.expressions]
    if sort is not None and sort:
        body["sort"] = sort
    if not grouped and residual is None and sort is not None and plain:
        if all(p is not None and p in source.schema for p in items):
            typed = [(p, source.schema.fields[p].es_type) for p in items if p is not None]
            return HitsPlan(source, typed, statement.names, body, start, limit, statement)
        return RowsPlan([Pull(source, body, start, limit)], statement,
                        duck_statement(statement, None, keep_limit=False))
    body.pop("sort", None)
    return RowsPlan([Pull(source, body)], statement, duck_statement(statement, residual))


def _distinct_fields(tree: exp.Select) -> bool:
    """``SELECT DISTINCT`` of plain fields only: the same groups as a GROUP BY of them."""
    distinct = tree.args.get("distinct")
    return distinct is not None and not distinct.args.get("on") and \
        all(plain_field(item) is not None for item in tree.expressions)


def _as_group_by(statement: Statement) -> Statement:
    """``SELECT DISTINCT a, b ...`` as ``SELECT a, b ... GROUP BY a, b``, which pushes down
    as aggregations instead of pulling every row."""
    tree = statement.tree.copy()
    tree.set("distinct", None)
    tree.set("group", exp.Group(expressions=[
        (item.this if isinstance(item, exp.Alias) else item).copy()
        for item in tree.expressions]))
    return Statement(tree, statement.sources, statement.names)


def _nested(statement: Statement, request_filter: dict[str, Any] | None) -> RowsPlan:
    """A statement over subqueries: the innermost SELECT's WHERE filters the rows pulled
    from its index as far as it pushes down (with its ORDER BY and LIMIT when it is a plain
    SELECT: ``head 5 | where ...`` pulls 5 rows); DuckDB runs the rest of the statement."""
    base = statement.base
    source = statement.sources[0]
    where = base.args.get("where")
    pushed, residual = split_where(where.this if where else None, source.schema)
    body = {"query": filters_of(request_filter, pushed), **reads(source)}
    sort = sort_of(statement, base) if residual is None else None
    if sort is not None and only_clauses(base, SEARCH_CLAUSES):
        if sort:
            body["sort"] = sort
        pull = Pull(source, body, int_clause(base, "offset") or 0, int_clause(base, "limit"))
        return RowsPlan([pull], statement, duck_statement(statement, None, keep_limit=False))
    return RowsPlan([Pull(source, body)], statement, duck_statement(statement, residual))
