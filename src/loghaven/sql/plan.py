"""How a resolved SELECT runs: which searches it becomes and what DuckDB does after.

Push-down first: a statement whose WHERE translates to the query DSL and whose items are
plain columns is one search (rows straight from the hits, paged by scroll under a cursor);
GROUP BY over plain fields becomes aggregations (:mod:`loghaven.sql.aggregate`); anything
else pulls the matching rows (bounded by ``plugins.query.size_limit``) into DuckDB, which
runs the rest of the statement. Every plan lists the search requests it sends, which
``_explain`` shows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

import orjson
from sqlglot import exp

from loghaven.search.service import SearchService
from loghaven.sql import engine, fetch
from loghaven.sql.errors import SqlError
from loghaven.sql.pushdown import column_name, split_where
from loghaven.sql.resolve import Source, Statement
from loghaven.sql.result import Column
from loghaven.sql.settings import SqlSettings
from loghaven.sql.values import document_value, duck_type, hit_value, plugin_type, to_duck


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


def item_target(statement: Statement, target: exp.Expression) -> exp.Expression:
    """What an ORDER BY / GROUP BY entry names: an ordinal or an alias stands for its
    select item."""
    items = statement.tree.expressions
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


def int_clause(tree: exp.Select, key: str) -> int | None:
    node = tree.args.get(key)
    if node is None:
        return None
    value = node.expression if node.expression is not None else node.this
    if not isinstance(value, exp.Literal) or value.is_string:
        raise SqlError(f"{key.upper()} takes an integer literal.")
    return int(value.this)


def filters_of(statement: Statement, request_filter: dict[str, Any] | None,
               pushed: list[dict[str, Any]]) -> dict[str, Any]:
    return fetch.query_of(([request_filter] if request_filter else []) + pushed)


def output_schema(statement: Statement, names: list[str], types: list[str]) -> list[Column]:
    """The answer's columns: a plain field keeps its mapping's type, a computed column
    takes its DuckDB type (``COUNT`` answers ``integer`` as the plugin's does)."""
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


def sort_of(statement: Statement) -> list[dict[str, Any]] | None:
    """ORDER BY as a search sort, or None when an entry is no sortable field (NULLs first
    ascending and last descending, as the plugin sorts)."""
    order = statement.tree.args.get("order")
    if order is None:
        return []
    schema = statement.sources[0].schema
    sort = []
    for ordered in order.expressions:
        target = item_target(statement, ordered.this)
        path = plain_field(target)
        es_field = schema.keyword_of(path) if path else None
        if es_field is None or schema.fields[path].es_type in ("object", "nested"):
            return None
        sort.append({es_field: {"order": "desc" if ordered.args.get("desc") else "asc",
                                "missing": "_first" if ordered.args.get("nulls_first")
                                else "_last"}})
    return sort


def source_filter(source: Source) -> list[str] | bool:
    return list(source.fields) if source.fields else False


@dataclass
class HitsPlan:
    """Rows straight from the hits of one search: plain columns, a fully pushed WHERE."""

    source: Source
    items: list[tuple[str, str]]
    names: list[str]
    body: dict[str, Any]
    start: int
    limit: int | None
    statement: Statement
    in_process: str | None = None
    searches: list[Search] = field(default_factory=list)

    def __post_init__(self) -> None:
        shown = {**self.body, "from": self.start} if self.start else dict(self.body)
        if self.limit is not None:
            shown["size"] = self.limit
        self.searches = [Search(self.source.index, shown)]

    def run(self, search: SearchService, settings: SqlSettings, fetch_size: int) -> Answer:
        schema = output_schema(self.statement, self.names, ["VARCHAR"] * len(self.names))
        index = self.source.index
        if fetch_size and self.limit is None and not self.start:
            return self._first_scroll_page(search, settings, fetch_size, schema)
        if self.limit is not None and self.start + self.limit <= fetch.WINDOW:
            response = search.search(index, {**self.body, "from": self.start,
                                             "size": self.limit}, {})
            rows = [self.row(fetch.source_of(h)) for h in response["hits"]["hits"]]
            return Answer(schema, rows, len(rows), search=response)
        matching = fetch.count(search, index, self.body["query"])
        wanted = max(0, matching - self.start)
        wanted = wanted if self.limit is None else min(wanted, self.limit)
        if wanted > settings.size_limit and (self.limit is None or not fetch_size):
            fetch.refuse_over(settings.size_limit, index, wanted)
        rows = [self.row(s) for s in fetch.pull(search, index, self.body, self.start,
                                                 wanted)]
        return Answer(schema, rows, len(rows))

    def _first_scroll_page(self, search: SearchService, settings: SqlSettings,
                           fetch_size: int, schema: list[Column]) -> Answer:
        keep_alive = f"{settings.cursor_keep_alive_ms}ms"
        response = search.search(self.source.index, {**self.body, "size": fetch_size,
                                                     "track_total_hits": True},
                                 {"scroll": keep_alive})
        hits = response["hits"]["hits"]
        total = int(response["hits"]["total"]["value"])
        rows = [self.row(fetch.source_of(h)) for h in hits]
        scroll_id = response.get("_scroll_id")
        state = None
        if scroll_id and len(rows) < total:
            state = ScrollState(scroll_id, self.items, total - len(rows))
        elif scroll_id:
            search.clear_scroll([scroll_id])
        return Answer(schema, rows, total, search=response, scroll=state)

    def row(self, source: dict[str, Any]) -> list[Any]:
        return [hit_value(document_value(source, path), es_type)
                for path, es_type in self.items]


def scroll_rows(state: ScrollState, response: dict[str, Any]) -> list[list[Any]]:
    return [[hit_value(document_value(fetch.source_of(h), path), es_type)
             for path, es_type in state.fields] for h in response["hits"]["hits"]]


@dataclass
class Pull:
    """The rows of one index a DuckDB statement reads: which search, how many at most."""

    source: Source
    body: dict[str, Any]
    start: int = 0
    limit: int | None = None

    def search(self) -> Search:
        shown = dict(self.body)
        if self.start:
            shown["from"] = self.start
        if self.limit is not None:
            shown["size"] = self.limit
        return Search(self.source.index, shown)

    def table(self, search: SearchService, settings: SqlSettings) -> engine.Table:
        index = self.source.index
        matching = fetch.count(search, index, self.body["query"])
        wanted = max(0, matching - self.start)
        wanted = wanted if self.limit is None else min(wanted, self.limit)
        if wanted > settings.size_limit:
            fetch.refuse_over(settings.size_limit, index, matching)
        types = {path: self.source.schema.fields[path].es_type for path in self.source.fields}
        columns: dict[str, list[Any]] = {path: [] for path in types}
        for document in fetch.pull(search, index, self.body, self.start, wanted):
            for path, es_type in types.items():
                columns[path].append(to_duck(document_value(document, path), es_type))
        if not types:
            types, columns = {"__row": "integer"}, {"__row": [1] * wanted}
        return engine.Table(self.source.alias, {p: duck_type(t) for p, t in types.items()},
                            columns)


@dataclass
class RowsPlan:
    """Matching rows (each source's pushed-down filter) loaded into DuckDB, which runs the
    statement's remaining parts."""

    pulls: list[Pull]
    statement: Statement
    duck_sql: str
    searches: list[Search] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.searches = [p.search() for p in self.pulls]

    @property
    def in_process(self) -> str | None:
        return self.duck_sql

    def run(self, search: SearchService, settings: SqlSettings, fetch_size: int) -> Answer:
        tables = [p.table(search, settings) for p in self.pulls]
        output = engine.run(tables, self.duck_sql)
        schema = output_schema(self.statement, self.statement.names, output.types)
        rows = parse_objects(schema, output.rows)
        if not fetch_size and len(rows) > settings.size_limit:
            fetch.refuse_over(settings.size_limit, ", ".join(p.source.index
                                                             for p in self.pulls), len(rows))
        return Answer(schema, rows, len(rows))


def parse_objects(schema: list[Column], rows: list[list[Any]]) -> list[list[Any]]:
    """Object columns come back from DuckDB as their JSON text; answers hold the object."""
    positions = [i for i, c in enumerate(schema) if c.type in ("object", "nested")]
    for row in rows:
        for i in positions:
            if isinstance(row[i], str):
                row[i] = orjson.loads(row[i])
    return rows


def duck_statement(statement: Statement, where: exp.Expression | None,
                   keep_limit: bool = True) -> str:
    """The statement over the loaded tables: each index replaced by its table, the WHERE
    by what was not pushed down, LIMIT/OFFSET dropped when the search applied them."""
    tree = statement.tree.copy()
    for table in list(tree.find_all(exp.Table)):
        source = next(s for s in statement.sources
                      if table.alias_or_name == s.alias)
        table.replace(exp.Table(this=exp.to_identifier(source.alias, quoted=True)))
    tree.set("where", exp.Where(this=where) if where is not None else None)
    if not keep_limit:
        tree.set("limit", None)
        tree.set("offset", None)
    return engine.to_duckdb(tree)


def plan_select(statement: Statement, request_filter: dict[str, Any] | None) -> Plan:
    """The plan of a resolved SELECT."""
    from loghaven.sql import aggregate, join

    tree = statement.tree
    if not statement.sources:
        return RowsPlan([], statement, duck_statement(statement, tree.args.get("where")
                                                      and tree.args["where"].this))
    if len(statement.sources) == 2:
        return join.plan_join(statement, request_filter)
    source = statement.sources[0]
    where = tree.args.get("where")
    pushed, residual = split_where(where.this if where else None, source.schema)
    query = filters_of(statement, request_filter, pushed)
    grouped = tree.args.get("group") is not None or aggregate.has_aggregates(tree)
    if grouped and residual is None:
        pushed_plan = aggregate.plan_groups(statement, query)
        if pushed_plan is not None:
            return pushed_plan
    body = {"query": query, "_source": source_filter(source)}
    limit, start = int_clause(tree, "limit"), int_clause(tree, "offset") or 0
    sort = sort_of(statement) if not grouped else None
    items = [plain_field(i) for i in tree.expressions]
    if sort is not None and sort:
        body["sort"] = sort
    if not grouped and residual is None and sort is not None and not tree.args.get("distinct"):
        if all(p is not None and p in source.schema for p in items):
            typed = [(p, source.schema.fields[p].es_type) for p in items if p is not None]
            return HitsPlan(source, typed, statement.names, body, start, limit, statement)
        return RowsPlan([Pull(source, body, start, limit)], statement,
                        duck_statement(statement, None, keep_limit=False))
    body.pop("sort", None)
    return RowsPlan([Pull(source, body)], statement, duck_statement(statement, residual))
