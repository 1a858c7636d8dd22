"""Scenario ``sql``: what the SQL layer costs over the aggregation it becomes.

After the ingest scenario has loaded the WAF index, each query below is asked through
``POST _plugins/_sql`` and, as the equivalent aggregation, through ``_search``, the two
alternating call by call so that both see the same machine (a merge or a noisy neighbour hits
both sides alike); p50/p95 of each side and their ratio are the SQL layer's overhead:
parsing, planning, the search-service call and the jdbc rendering.

- ``top_ips``: one GROUP BY key, ``ORDER BY COUNT(*) DESC LIMIT 10`` — the push-down makes it
  a ``terms`` aggregation of size 10, the same request as the ``_search`` side.
- ``top_ips_by_country``: two keys (address and country), the same top 10 — the push-down
  makes it a ``multi_terms`` aggregation of size 10, the ``_search`` side's request.

Both sides must answer the same addresses and counts (``agree``); the plan the SQL became
(``_plugins/_sql/_explain``) goes to the JSON. Never asserted: a benchmark, not a test.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from loghaven.bench.scenarios import WAF_INDEX, count_docs, percentile, settle
from loghaven.bench.server import BenchError, HttpClient, Server

SQL = "/_plugins/_sql?format=jdbc"
#: Rows of a top-N answer: (address, country or None, hits).
Top = list[tuple[str, str | None, int]]


@dataclass(frozen=True)
class SqlQuery:
    """A statement and the ``_search`` body that answers the same numbers."""

    name: str
    sql: str
    search: dict[str, Any]
    by_country: bool


def sql_queries(index: str = WAF_INDEX) -> list[SqlQuery]:
    """The top-IPs GROUP BY, with one key and with two."""
    ips = {"terms": {"field": "httpRequest.clientIp", "size": 10}}
    return [
        SqlQuery("top_ips",
                 f"SELECT httpRequest.clientIp AS ip, COUNT(*) AS hits FROM {index} "
                 f"GROUP BY httpRequest.clientIp ORDER BY hits DESC LIMIT 10",
                 {"size": 0, "aggs": {"ips": ips}}, by_country=False),
        SqlQuery("top_ips_by_country",
                 f"SELECT httpRequest.clientIp AS ip, httpRequest.country AS country, "
                 f"COUNT(*) AS hits FROM {index} GROUP BY httpRequest.clientIp, "
                 f"httpRequest.country ORDER BY hits DESC LIMIT 10",
                 {"size": 0, "aggs": {"ips": {"multi_terms": {"size": 10, "terms": [
                     {"field": "httpRequest.clientIp"}, {"field": "httpRequest.country"}]}}}},
                 by_country=True),
    ]


def _sql_top(answer: dict[str, Any], by_country: bool) -> Top:
    names = [c.get("alias") or c["name"] for c in answer["schema"]]
    ip, hits = names.index("ip"), names.index("hits")
    country = names.index("country") if by_country else None
    return [(str(row[ip]), None if country is None else row[country], int(row[hits]))
            for row in answer["datarows"]]


def _search_top(answer: dict[str, Any], by_country: bool) -> Top:
    top: Top = []
    for bucket in answer["aggregations"]["ips"]["buckets"]:
        ip, country = bucket["key"] if by_country else (bucket["key"], None)
        top.append((str(ip), country, int(bucket["doc_count"])))
    return top


def same_top(a: Top, b: Top) -> bool:
    """The same counts in the same order, and the same rows for every count above the last
    (rows tied at the cut-off may differ: either side may keep any of them)."""
    if [row[2] for row in a] != [row[2] for row in b]:
        return False
    cut = a[-1][2] if a else 0
    return sorted(r for r in a if r[2] > cut) == sorted(r for r in b if r[2] > cut)


def _ask(client: HttpClient, method: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = client.request(method, path, body)
    if response.status != 200:
        raise BenchError(f"{method} {path}: HTTP {response.status} {response.reason()}")
    return response.json()


def _measure(client: HttpClient, query: SqlQuery, reps: int, budget_s: float
             ) -> dict[str, Any]:
    """Alternate the two sides ``reps`` times (2 untimed rounds first), stopping early when
    both sides together have used twice ``budget_s``."""
    search_path = f"/{WAF_INDEX}/_search"
    sql_body = {"query": query.sql}
    sql_answer = _ask(client, "POST", SQL, sql_body)
    search_answer = _ask(client, "POST", search_path, query.search)
    sql_top = _sql_top(sql_answer, query.by_country)
    search_top = _search_top(search_answer, query.by_country)
    explain = client.request("POST", "/_plugins/_sql/_explain", sql_body)
    for _ in range(2):
        _ask(client, "POST", SQL, sql_body)
        _ask(client, "POST", search_path, query.search)
    sql_s: list[float] = []
    search_s: list[float] = []
    deadline = time.perf_counter() + 2 * budget_s
    while len(sql_s) < reps and (not sql_s or time.perf_counter() < deadline):
        for samples, path, body in ((sql_s, SQL, sql_body),
                                    (search_s, search_path, query.search)):
            t0 = time.perf_counter()
            _ask(client, "POST", path, body)
            samples.append(time.perf_counter() - t0)
    sql_p50, sql_p95 = percentile(sql_s, 50), percentile(sql_s, 95)
    search_p50, search_p95 = percentile(search_s, 50), percentile(search_s, 95)
    return {
        "name": query.name, "status": "ok", "sql": query.sql, "search_body": query.search,
        "runs": len(sql_s),
        "sql_p50_s": sql_p50, "sql_p95_s": sql_p95,
        "search_p50_s": search_p50, "search_p95_s": search_p95,
        "ratio_p50": sql_p50 / search_p50 if sql_p50 and search_p50 else None,
        "ratio_p95": sql_p95 / search_p95 if sql_p95 and search_p95 else None,
        "agree": same_top(sql_top, search_top),
        "sql_top": sql_top, "search_top": search_top,
        "explain": explain.json() if explain.status == 200 else
        f"HTTP {explain.status} {explain.reason()}",
    }


def scenario_sql(server: Server, reps: int, budget_s: float) -> dict[str, Any]:
    """Each query through ``_plugins/_sql`` and ``_search``, alternately, over the WAF index
    loaded by the ingest scenario."""
    client = server.client()
    settled = settle(server)
    rows = []
    for query in sql_queries():
        try:
            rows.append(_measure(client, query, reps, budget_s))
        except BenchError as error:  # a server without SQL: reported, not a failed run
            rows.append({"name": query.name, "status": "unsupported", "sql": query.sql,
                         "error": str(error)[:500]})
    docs = count_docs(client, WAF_INDEX)
    client.close()
    return {"index": WAF_INDEX, "docs": docs, "settle_s": settled, "queries": rows}
