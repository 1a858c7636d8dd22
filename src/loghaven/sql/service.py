"""The SQL and PPL service: statements in, :class:`~loghaven.sql.result.Result` pages out.

The API (``api/sql.py``) calls it in the thread pool with the caller's security context;
every read goes through the search service, so index permissions, DLS and FLS apply as for
``_search``. Statements are planned by :mod:`loghaven.sql.plan` (push-down first, DuckDB
for the rest); PPL compiles to the same statements.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlglot import exp

from loghaven.errors import LoghavenError
from loghaven.search.service import SearchService
from loghaven.sql import metadata, ppl
from loghaven.sql.cursor import Cursor, Cursors
from loghaven.sql.errors import SqlError
from loghaven.sql.plan import Answer, Plan
from loghaven.sql.planner import plan_select
from loghaven.sql.resolve import parse_statement, resolve
from loghaven.sql.result import Column, Result
from loghaven.sql.settings import SqlSettings
from loghaven.sql.stats import CLIENT, SYSTEM, SqlStats


@dataclass
class SqlRequest:
    query: str
    fetch_size: int = 0
    filter: dict[str, Any] | None = None
    parameters: list[dict[str, Any]] = field(default_factory=list)


class SqlService:
    def __init__(self, search: SearchService, settings: SqlSettings, *,
                 cluster_name: str = "loghaven") -> None:
        self.search = search
        self.settings = settings
        self.cluster_name = cluster_name
        self.cursors = Cursors(search)
        self.counters = SqlStats()

    # -- statements --

    def sql(self, request: SqlRequest) -> Result:
        """The first page of a SQL statement's answer (the whole answer without
        ``fetch_size``)."""
        self._enabled("sql")
        return self._counted(lambda: self._sql(request))

    def ppl(self, request: SqlRequest) -> Result:
        """A PPL query, compiled to the statement it means and run as SQL."""
        self._enabled("ppl")
        result = self._counted(lambda: self._run(ppl.compile(request.query), None, request))
        # PPL names its columns (``count()``, an ``as`` name): no alias beside the name
        result.schema = [Column(c.name, c.type) for c in result.schema]
        return result

    def next_page(self, cursor: str) -> Result:
        self._enabled("sql")
        return self._counted(lambda: self.cursors.next_page(cursor))

    def close(self, cursor: str) -> bool:
        return self.cursors.close(cursor)

    def explain(self, request: SqlRequest, language: str = "sql") -> dict[str, Any]:
        """The plan as the plugin's explain outlines it: a project over the index scans,
        each scan showing the search request it sends, and what DuckDB runs in between."""
        self._enabled(language)
        if language == "sql" and metadata.is_metadata(request.query):
            return {"root": {"name": "MetadataOperator",
                             "description": {"statement": request.query.strip()},
                             "children": []}}
        tree = ppl.compile(request.query) if language == "ppl" else \
            parse_statement(request.query)
        statement = resolve(self.search, tree, request.query if language == "sql" else None,
                            request.parameters)
        plan = plan_select(statement, request.filter)
        scans = [{"name": "OpenSearchIndexScan",
                  "description": {"index": s.index, "request": s.body},
                  "children": []} for s in plan.searches]
        children = scans
        if plan.in_process is not None:
            children = [{"name": "DuckDBOperator", "description": {"sql": plan.in_process},
                         "children": scans}]
        return {"root": {"name": "ProjectOperator",
                         "description": {"fields": statement.names},
                         "children": children}}

    def stats(self) -> dict[str, Any]:
        return self.counters.snapshot()

    # -- internals --

    def _enabled(self, language: str) -> None:
        if language == "ppl" and not self.settings.ppl_enabled:
            raise SqlError("Either plugins.ppl.enabled or rest.action.multi.allow_explicit_index"
                           " setting is false", type="IllegalAccessException",
                           reason="Invalid Query")
        if language == "sql" and not self.settings.sql_enabled:
            raise SqlError("Either plugins.sql.enabled or rest.action.multi.allow_explicit_index"
                           " setting is false", type="SQLFeatureDisabledException",
                           reason="Invalid SQL query")

    def _counted(self, run: Callable[[], Result]) -> Result:
        try:
            result = run()
        except (SqlError, LoghavenError) as error:
            status = getattr(error, "status", 400)
            self.counters.record(SYSTEM if isinstance(status, int) and status >= 500
                                 else CLIENT)
            raise
        except Exception:
            self.counters.record(SYSTEM)
            raise
        self.counters.record()
        return result

    def _sql(self, request: SqlRequest) -> Result:
        if metadata.is_metadata(request.query):
            return metadata.answer(self.search, request.query, self.cluster_name)
        return self._run(parse_statement(request.query), request.query, request)

    def _run(self, tree: exp.Expression, sql: str | None, request: SqlRequest) -> Result:
        statement = resolve(self.search, tree, sql, request.parameters)
        plan: Plan = plan_select(statement, request.filter)
        started = time.monotonic()
        answer = plan.run(self.search, self.settings, max(0, request.fetch_size))
        return self._page(answer, request.fetch_size, started)

    def _page(self, answer: Answer, fetch_size: int, started: float) -> Result:
        """The first page; the rest behind a cursor when ``fetch_size`` asks for pages."""
        cursor_id = None
        rows = answer.rows
        keep_alive = self.settings.cursor_keep_alive_ms
        if answer.scroll is not None:
            cursor_id = self.cursors.open(Cursor(answer.schema, answer.total, fetch_size,
                                                 None, answer.scroll, keep_alive,
                                                 time.monotonic()))
        elif fetch_size > 0 and len(rows) > fetch_size:
            cursor_id = self.cursors.open(Cursor(answer.schema, answer.total, fetch_size,
                                                 rows[fetch_size:], None, keep_alive,
                                                 time.monotonic()))
            rows = rows[:fetch_size]
        return Result(answer.schema, rows, answer.total, cursor=cursor_id,
                      search=answer.search,
                      extra={"took_ms": int((time.monotonic() - started) * 1000)})
