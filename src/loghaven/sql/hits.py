"""Rows straight from the hits of one search: plain columns and a WHERE that pushed down
entirely. Nothing runs in process; under a cursor the rows page with a scroll of the search
service, however many there are."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from loghaven.search.service import SearchService
from loghaven.sql import fetch
from loghaven.sql.plan import Answer, ScrollState, Search, output_schema
from loghaven.sql.resolve import Source, Statement
from loghaven.sql.result import Column
from loghaven.sql.settings import SqlSettings
from loghaven.sql.values import document_value, hit_value


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
        if self.limit is None and wanted > settings.size_limit:  # a LIMIT bounds the answer
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
