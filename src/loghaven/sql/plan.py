"""The vocabulary of query plans: the searches a plan sends, the answer it gives, and the
reading of a resolved statement they share (plain fields, ORDER BY targets, LIMIT).

A plan (:class:`Plan`) is one of :class:`~loghaven.sql.hits.HitsPlan` (rows straight from
the hits), :class:`~loghaven.sql.rows.RowsPlan` (rows pulled into DuckDB),
:class:`~loghaven.sql.aggregate.GroupPlan` (aggregations); :mod:`loghaven.sql.planner`
chooses. Every plan lists the search requests it sends, which ``_explain`` shows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from sqlglot import exp

from loghaven.search.service import SearchService
from loghaven.sql import engine, fetch
from loghaven.sql.errors import SqlError
from loghaven.sql.pushdown import column_name
from loghaven.sql.resolve import Source, Statement, base_select
from loghaven.sql.result import Column
from loghaven.sql.schema import OBJECT_TYPES
from loghaven.sql.settings import SqlSettings
from loghaven.sql.values import plugin_type


@dataclass
class Search:
    """One request the plan sends to the search service."""

    index: str
    body: dict[str, Any]


@dataclass
class ScrollState:
    """A cursor over a scroll: rows come straight from its hits."""

    scroll_id: str
    fields: list[tuple[str, str]]
    remaining: int


@dataclass
class Answer:
    schema: list[Column]
    rows: list[list[Any]]
    total: int
    search: dict[str, Any] | None = None
    #: Set when the rest of the answer pages with a scroll (a cursor holds it).
    scroll: ScrollState | None = None


class Plan(Protocol):
    searches: list[Search]
    #: What runs in process (DuckDB SQL), None when the searches answer alone.
    in_process: str | None

    def run(self, search: SearchService, settings: SqlSettings, fetch_size: int) -> Answer:
        ...


def plain_field(item: exp.Expression) -> str | None:
    """The field a select item (or ORDER BY / GROUP BY target) reads as it is, if any."""
    inner = item.this if isinstance(item, exp.Alias) else item
    if isinstance(inner, exp.Column) and not isinstance(inner.this, exp.Star):
        return column_name(exp.column(inner.this))
    return None


def item_target(statement: Statement, target: exp.Expression,
                select: exp.Select | None = None) -> exp.Expression:
    """What an ORDER BY / GROUP BY entry of ``select`` (the statement's own by default)
    names: an ordinal or an alias stands for its select item."""
    items = (select or statement.tree).expressions
    if isinstance(target, exp.Literal) and not target.is_string:
        position = int(target.this)
        if not 1 <= position <= len(items):
            raise SqlError(f"Ordinal [{position}] is out of the select list's range "
                           f"[1, {len(items)}].", type="SemanticCheckException")
        item = items[position - 1]
        return item.this if isinstance(item, exp.Alias) else item
    if isinstance(target, exp.Column) and not target.table:
        for item in items:
            if isinstance(item, exp.Alias) and item.alias == target.name \
                    and plain_field(target) not in _fields_of(statement):
                return item.this
    return target


def _fields_of(statement: Statement) -> set[str]:
    return {f for s in statement.sources for f in s.fields}


#: The clauses a search alone can answer (with sort, size and from).
SEARCH_CLAUSES = frozenset({"expressions", "from_", "where", "order", "limit", "offset"})


def only_clauses(tree: exp.Select, allowed: frozenset[str]) -> bool:
    """Whether ``tree`` uses no clause beyond ``allowed`` (no QUALIFY, window, DISTINCT...
    that the search could not apply in the right order)."""
    used = {key for key, value in tree.args.items() if value}
    return used <= allowed and tree.find(exp.Window) is None


def int_clause(tree: exp.Select, key: str) -> int | None:
    node = tree.args.get(key)
    if node is None:
        return None
    value = node.expression if node.expression is not None else node.this
    if not isinstance(value, exp.Literal) or value.is_string:
        raise SqlError(f"{key.upper()} takes an integer literal.")
    return int(value.this)


def filters_of(request_filter: dict[str, Any] | None,
               pushed: list[dict[str, Any]]) -> dict[str, Any]:
    """The request's ``filter`` first, then the pushed-down WHERE conjuncts."""
    return fetch.query_of(([request_filter] if request_filter else []) + pushed)


def output_schema(statement: Statement, names: list[str], types: list[str]) -> list[Column]:
    """The answer's columns: a plain field keeps its mapping's type, a computed column
    takes its DuckDB type (``COUNT`` answers ``integer`` as the plugin's does)."""
    if len(types) != len(statement.tree.expressions):  # a * over a subquery
        return [Column(name, plugin_type(duck)) for name, duck in zip(names, types,
                                                                        strict=True)]
    columns = []
    for item, name, duck in zip(statement.tree.expressions, names, types, strict=True):
        alias = item.alias if isinstance(item, exp.Alias) else None
        inner = item.this if isinstance(item, exp.Alias) else item
        path = plain_field(inner)
        source = _source_of(statement, inner) if path else None
        if source is not None and path in source.schema:
            kind = source.schema.fields[path].sql_type
        elif isinstance(inner, exp.Count):
            kind = "integer"
        else:
            kind = plugin_type(duck)
        columns.append(Column(name, kind, alias))
    return columns


def _source_of(statement: Statement, column: exp.Expression) -> Source | None:
    if not isinstance(column, exp.Column):
        return None
    if len(statement.sources) == 1:
        return statement.sources[0]
    return next((s for s in statement.sources if s.alias == column.table), None)


def sort_of(statement: Statement, select: exp.Select | None = None
            ) -> list[dict[str, Any]] | None:
    """ORDER BY of ``select`` (the statement's own by default) as a search sort, or None
    when an entry is no sortable field (NULLs first ascending and last descending, as the
    plugin sorts)."""
    order = (select or statement.tree).args.get("order")
    if order is None:
        return []
    schema = statement.sources[0].schema
    sort = []
    for ordered in order.expressions:
        target = item_target(statement, ordered.this, select)
        path = plain_field(target)
        es_field = schema.keyword_of(path) if path else None
        if es_field is None or schema.fields[path].es_type in OBJECT_TYPES \
                or schema.in_nested(path):
            return None
        sort.append({es_field: {"order": "desc" if ordered.args.get("desc") else "asc",
                                "missing": "_first" if ordered.args.get("nulls_first")
                                else "_last"}})
    return sort


def reads(source: Source) -> dict[str, Any]:
    """What a search returns of each hit: the statement's fields from ``_source``; date
    fields as epoch millis from their doc values, whatever format the mapping gives them
    (``yyyy/MM/dd``, ``epoch_second``...); and multi-field sub-fields (``message.keyword``,
    in no ``_source``) from theirs."""
    schema = source.schema
    body: dict[str, Any] = {"_source": list(source.fields) if source.fields else False}
    doc_values = [{"field": f, "format": "epoch_millis"} if schema.fields[f].es_type in
                  ("date", "date_nanos") else {"field": f} for f in source.fields
                  if schema.fields[f].es_type in ("date", "date_nanos")
                  or schema.is_sub_field(f)]
    if doc_values:
        body["docvalue_fields"] = doc_values
    return body


def duck_statement(statement: Statement, where: exp.Expression | None,
                   keep_limit: bool = True) -> str:
    """The statement over the loaded tables: each index replaced by its table, and in the
    SELECT that reads it the WHERE by what was not pushed down and LIMIT/OFFSET dropped when
    the search applied them."""
    tree = statement.tree.copy()
    for table in list(tree.find_all(exp.Table)):
        source = next(s for s in statement.sources
                      if table.alias_or_name == s.alias)
        table.replace(exp.Table(this=exp.to_identifier(source.alias, quoted=True)))
    base = base_select(tree)
    base.set("where", exp.Where(this=where) if where is not None else None)
    if not keep_limit:
        base.set("limit", None)
        base.set("offset", None)
    return engine.to_duckdb(tree)
