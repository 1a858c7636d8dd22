"""One-level JOIN of two indices: each side's rows pulled (with the WHERE conjuncts that
only read that side pushed into its search, each side bounded by the size limit), then
joined in DuckDB."""

from __future__ import annotations

from typing import Any

from sqlglot import exp

from loghaven.sql.plan import duck_statement, filters_of, reads
from loghaven.sql.pushdown import to_query
from loghaven.sql.resolve import Source, Statement
from loghaven.sql.rows import Pull, RowsPlan


def plan_join(statement: Statement, request_filter: dict[str, Any] | None) -> RowsPlan:
    """The join's plan. A WHERE conjunct that reads one side only is pushed into that
    side's search where filtering before the join cannot change the answer (either side of
    an inner join, the preserved side of a LEFT/RIGHT join); the others run in DuckDB."""
    tree = statement.tree
    join = tree.args["joins"][0]
    side = (join.side or "").upper()
    safe = {"": (0, 1), "INNER": (0, 1), "LEFT": (0,), "RIGHT": (1,)}.get(side, ())
    where = tree.args.get("where")
    conjuncts = list(where.this.flatten()) if where is not None and \
        isinstance(where.this, exp.And) else [where.this] if where is not None else []
    pulls, residual = [], list(conjuncts)
    for position, source in enumerate(statement.sources):
        pushed = []
        if position in safe:
            for conjunct in conjuncts:
                query = _side_query(conjunct, source)
                if query is not None:
                    pushed.append(query)
                    residual.remove(conjunct)
        body = {"query": filters_of(request_filter, pushed), **reads(source)}
        pulls.append(Pull(source, body))
    return RowsPlan(pulls, statement,
                    duck_statement(statement, exp.and_(*residual) if residual else None))


def _side_query(conjunct: exp.Expression, source: Source) -> dict[str, Any] | None:
    """The DSL of a conjunct that reads only ``source``'s columns, else None."""
    columns = list(conjunct.find_all(exp.Column))
    if not columns or any(c.table != source.alias for c in columns):
        return None
    bare = conjunct.copy()
    for column in list(bare.find_all(exp.Column)):
        column.replace(exp.column(column.this.copy()))
    return to_query(bare, source.schema)
