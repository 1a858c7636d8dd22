"""Rows pulled into DuckDB: the matching rows of each index (filtered by what pushed down,
bounded by ``plugins.query.size_limit``) loaded as tables, the statement's remaining parts
run over them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import orjson

from loghaven.search.service import SearchService
from loghaven.sql import engine, fetch
from loghaven.sql.plan import Answer, Search, int_clause, output_schema
from loghaven.sql.resolve import Source, Statement
from loghaven.sql.result import Column
from loghaven.sql.schema import OBJECT_TYPES
from loghaven.sql.settings import SqlSettings
from loghaven.sql.values import document_value, duck_type, to_duck


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
        unbounded = int_clause(self.statement.tree, "limit") is None and not fetch_size
        if unbounded and len(rows) > settings.size_limit:  # e.g. a JOIN that multiplies
            fetch.refuse_over(settings.size_limit, ", ".join(p.source.index
                                                             for p in self.pulls), len(rows))
        return Answer(schema, rows, len(rows))


def parse_objects(schema: list[Column], rows: list[list[Any]]) -> list[list[Any]]:
    """Object columns come back from DuckDB as their JSON text; answers hold the object."""
    positions = [i for i, c in enumerate(schema) if c.type in OBJECT_TYPES]
    for row in rows:
        for i in positions:
            if isinstance(row[i], str):
                row[i] = orjson.loads(row[i])
    return rows
