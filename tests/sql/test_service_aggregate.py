"""GROUP BY and aggregates through the SQL service: the numbers must be those the
equivalent aggregation through ``_search`` answers."""

from __future__ import annotations

import statistics
import time
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from tests.sql.service_data import WAF_MAPPING, make_node, waf_documents

from loghaven.node import Node
from loghaven.sql import engine
from loghaven.sql.errors import SqlError
from loghaven.sql.service import SqlRequest

DOCS = waf_documents()
INDEX = "awswaf-2018.12"
MANY = 10_050  # more groups than one composite page, more than 10k


@pytest.fixture(scope="module")
def waf_node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Node]:
    many = [{"user": f"u{n:05d}", "n": n % 3} for n in range(MANY)]
    node = make_node(tmp_path_factory.mktemp("sqlagg"), {
        INDEX: (WAF_MAPPING, DOCS),
        "many": ({"properties": {"user": {"type": "keyword"}, "n": {"type": "long"}}}, many)})
    yield node
    node.close()


def sql(node: Node, query: str, **kwargs: Any) -> Any:
    return node.sql.sql(SqlRequest(query, **kwargs))


def aggs(node: Node, body: dict[str, Any], index: str = INDEX) -> dict[str, Any]:
    return node.search_service.search(index, {"size": 0, **body}, {})["aggregations"]


def test_top_client_ips_by_country_for_a_month(waf_node: Node) -> None:
    """The issue's question, as the security team asks it, against the terms aggregation
    the same question is through ``_search``."""
    result = sql(waf_node, """
        SELECT httpRequest.clientIp AS ip, count(*) AS hits FROM awswaf-*
        WHERE year = '2018' AND month = '12' AND httpRequest.country = 'US'
        GROUP BY httpRequest.clientIp ORDER BY hits DESC LIMIT 5""")
    expected = aggs(waf_node, {
        "query": {"bool": {"filter": [{"term": {"year": "2018"}}, {"term": {"month": "12"}},
                                      {"term": {"httpRequest.country": "US"}}]}},
        "aggs": {"ips": {"terms": {"field": "httpRequest.clientIp", "size": 5}}}})
    assert result.rows == [[b["key"], b["doc_count"]] for b in expected["ips"]["buckets"]]
    assert [(c.name, c.alias, c.type) for c in result.schema] == [
        ("httpRequest.clientIp", "ip", "keyword"), ("count(*)", "hits", "integer")]
    assert result.search is not None  # one search answered it (format=json shows it)


def test_top_ips_by_country_is_one_multi_terms_aggregation(waf_node: Node) -> None:
    """Two keys ordered by a count with a LIMIT: the ``multi_terms`` aggregation, whose
    numbers it answers, and the true top counts (no composite read of every pair)."""
    query = f"""SELECT httpRequest.clientIp AS ip, httpRequest.country AS country,
                       count(*) AS hits
                FROM {INDEX} GROUP BY ip, country ORDER BY hits DESC LIMIT 5"""
    result = sql(waf_node, query)
    expected = aggs(waf_node, {"aggs": {"top": {"multi_terms": {"terms": [
        {"field": "httpRequest.clientIp"}, {"field": "httpRequest.country"}], "size": 5}}}})
    assert result.rows == [[*b["key"], b["doc_count"]] for b in expected["top"]["buckets"]]
    pairs = Counter((d["httpRequest"]["clientIp"], d["httpRequest"]["country"]) for d in DOCS
                    if d["httpRequest"].get("clientIp") and d["httpRequest"].get("country"))
    assert [r[2] for r in result.rows] == sorted(pairs.values(), reverse=True)[:5]
    plan = str(waf_node.sql.explain(SqlRequest(query)))
    assert "multi_terms" in plan and "composite" not in plan and "DuckDB" not in plan


def test_group_by_two_keys_with_metrics(waf_node: Node) -> None:
    result = sql(waf_node, f"""
        SELECT httpRequest.country, action, count(*), sum(bytes), avg(latency), min(bytes),
               max(`@timestamp`), count(bytes)
        FROM {INDEX} GROUP BY httpRequest.country, action""")
    expected = aggs(waf_node, {"aggs": {"g": {
        "composite": {"size": 100, "sources": [
            {"c": {"terms": {"field": "httpRequest.country"}}},
            {"a": {"terms": {"field": "action"}}}]},
        "aggs": {"s": {"sum": {"field": "bytes"}}, "v": {"avg": {"field": "latency"}},
                 "m": {"min": {"field": "bytes"}}, "t": {"max": {"field": "@timestamp"}},
                 "n": {"value_count": {"field": "bytes"}}}}}})
    rows = [[b["key"]["c"], b["key"]["a"], b["doc_count"], int(b["s"]["value"]),
             b["v"]["value"], int(b["m"]["value"]), b["t"]["value_as_string"], b["n"]["value"]]
            for b in expected["g"]["buckets"]]
    for row in rows:  # the plugin's timestamp text
        row[6] = row[6].replace("T", " ").rstrip("Z")
    assert result.rows == rows
    assert [c.type for c in result.schema] == ["keyword", "keyword", "integer", "long",
                                               "double", "long", "timestamp", "integer"]


def test_having_order_and_expressions_over_aggregates(waf_node: Node) -> None:
    result = sql(waf_node, f"""
        SELECT httpRequest.country AS country, count(*) AS n, sum(bytes) / count(*) AS per
        FROM {INDEX} WHERE action <> 'COUNT'
        GROUP BY country HAVING count(*) > 40 ORDER BY per DESC, country""")
    counts = Counter(d["httpRequest"]["country"] for d in DOCS if d["action"] != "COUNT")
    sums = Counter()
    for d in DOCS:
        if d["action"] != "COUNT":
            sums[d["httpRequest"]["country"]] += d.get("bytes", 0)
    expected = sorted(([c, n, sums[c] / n] for c, n in counts.items() if n > 40),
                      key=lambda r: (-r[2], r[0]))
    assert [r[:2] for r in result.rows] == [r[:2] for r in expected]
    assert [r[2] for r in result.rows] == pytest.approx([r[2] for r in expected])


def test_date_trunc_groups_as_a_date_histogram(waf_node: Node) -> None:
    query = (f"SELECT date_trunc('day', `@timestamp`) AS day, count(*) AS n, max(bytes) "
             f"FROM {INDEX} WHERE action = 'BLOCK' GROUP BY 1 ORDER BY n DESC, day LIMIT 4")
    result = sql(waf_node, query)
    expected = aggs(waf_node, {"query": {"term": {"action": "BLOCK"}}, "aggs": {"d": {
        "date_histogram": {"field": "@timestamp", "calendar_interval": "1d",
                           "min_doc_count": 1},
        "aggs": {"m": {"max": {"field": "bytes"}}}}}})
    buckets = sorted(expected["d"]["buckets"], key=lambda b: (-b["doc_count"], b["key"]))[:4]
    assert result.rows == [[b["key_as_string"][:10] + " 00:00:00", b["doc_count"],
                            int(b["m"]["value"])] for b in buckets]
    assert [c.type for c in result.schema] == ["timestamp", "integer", "long"]
    request = waf_node.sql.explain(SqlRequest(query))["root"]["children"][0]["children"][0]
    sources = request["description"]["request"]["aggs"]["groups"]["composite"]["sources"]
    assert sources == [{"k0": {"date_histogram": {
        "field": "@timestamp", "fixed_interval": "86400000ms", "missing_bucket": True}}}]


def test_calendar_units_group_in_duckdb(waf_node: Node) -> None:
    """Months are no fixed length: DATE_TRUNC('month', ...) groups over pulled rows."""
    result = sql(waf_node, f"SELECT date_trunc('month', `@timestamp`) AS m, count(*) "
                           f"FROM {INDEX} GROUP BY 1 ORDER BY 1")
    months = Counter(_day(d["timestamp"])[:7] for d in DOCS)
    assert result.rows == [[f"{m}-01 00:00:00", n] for m, n in sorted(months.items())]


def test_ordinals_and_aliases_group(waf_node: Node) -> None:
    by_ordinal = sql(waf_node, f"SELECT action, count(*) FROM {INDEX} GROUP BY 1 ORDER BY 1")
    by_alias = sql(waf_node, f"SELECT action AS a, count(*) FROM {INDEX} GROUP BY a ORDER BY a")
    counts = Counter(d["action"] for d in DOCS)
    assert by_ordinal.rows == by_alias.rows == [[a, counts[a]] for a in sorted(counts)]


def test_metrics_without_group_by(waf_node: Node) -> None:
    result = sql(waf_node, f"""
        SELECT count(*), count(DISTINCT httpRequest.clientIp), sum(bytes), max(latency),
               percentile(bytes, 50), percentile_approx(latency, 90)
        FROM {INDEX} WHERE action = 'ALLOW'""")
    expected = aggs(waf_node, {"query": {"term": {"action": "ALLOW"}}, "aggs": {
        "d": {"cardinality": {"field": "httpRequest.clientIp"}},
        "s": {"sum": {"field": "bytes"}}, "m": {"max": {"field": "latency"}},
        "p": {"percentiles": {"field": "bytes", "percents": [50]}},
        "q": {"percentiles": {"field": "latency", "percents": [90]}}}})
    allowed = [d for d in DOCS if d["action"] == "ALLOW"]
    assert result.rows[0][:4] == [len(allowed), expected["d"]["value"],
                                  int(expected["s"]["value"]), expected["m"]["value"]]
    assert expected["d"]["value"] == len({d["httpRequest"]["clientIp"] for d in allowed})
    assert result.rows[0][4] == pytest.approx(expected["p"]["values"]["50.0"])
    assert result.rows[0][5] == pytest.approx(expected["q"]["values"]["90.0"])
    assert [c.name for c in result.schema][1] == "count(DISTINCT httpRequest.clientIp)"


def test_composite_pages_past_ten_thousand_groups(waf_node: Node) -> None:
    result = sql(waf_node, "SELECT user, count(*) FROM many GROUP BY user")
    assert len(result.rows) == MANY
    assert result.rows[0] == ["u00000", 1] and result.rows[-1] == [f"u{MANY - 1:05d}", 1]
    assert len({r[0] for r in result.rows}) == MANY


def test_group_by_is_not_bounded_by_size_limit(waf_node: Node) -> None:
    settings = waf_node.sql.settings
    limit, settings.size_limit = settings.size_limit, 100
    try:
        result = sql(waf_node, "SELECT n, count(*) FROM many GROUP BY n ORDER BY n")
        assert result.rows == [[n, len(range(n, MANY, 3))] for n in range(3)]
        with pytest.raises(SqlError) as caught:  # an expression key pulls every row
            sql(waf_node, "SELECT n + 1, count(*) FROM many GROUP BY n + 1")
        assert "size_limit" in caught.value.details
    finally:
        settings.size_limit = limit


def test_group_by_expression_falls_back_to_rows(waf_node: Node) -> None:
    result = sql(waf_node, f"""
        SELECT date_format(`@timestamp`, '%Y-%m-%d') AS day, count(*) AS n, avg(bytes)
        FROM {INDEX} WHERE month = '12' GROUP BY 1 ORDER BY n DESC, day LIMIT 3""")
    days = Counter(_day(d["timestamp"]) for d in DOCS if d["month"] == "12")
    top = sorted(days.items(), key=lambda kv: (-kv[1], kv[0]))[:3]
    assert [r[:2] for r in result.rows] == [[d, n] for d, n in top]
    first = [d.get("bytes") for d in DOCS if d["month"] == "12"
             and _day(d["timestamp"]) == top[0][0] and "bytes" in d]
    assert result.rows[0][2] == pytest.approx(statistics.mean(first))


def test_residual_where_with_group_by(waf_node: Node) -> None:
    result = sql(waf_node, f"SELECT action, count(*) FROM {INDEX} WHERE bytes % 2 = 0 "
                           f"GROUP BY action ORDER BY action")
    counts = Counter(d["action"] for d in DOCS if "bytes" in d and d["bytes"] % 2 == 0)
    assert result.rows == [[a, counts[a]] for a in sorted(counts)]


def _day(millis: int) -> str:
    import datetime as dt

    return (dt.datetime(1970, 1, 1) + dt.timedelta(milliseconds=millis)).strftime("%Y-%m-%d")


def test_limit_without_order_stops_paging(waf_node: Node) -> None:
    result = sql(waf_node, "SELECT user, count(*) FROM many GROUP BY user LIMIT 3")
    assert result.rows == [["u00000", 1], ["u00001", 1], ["u00002", 1]]
    assert result.search is not None  # one composite page answered it


def test_hits_past_the_result_window_scroll_in_order(waf_node: Node) -> None:
    settings = waf_node.sql.settings
    limit, settings.size_limit = settings.size_limit, 100
    try:
        deep = sql(waf_node, "SELECT user FROM many ORDER BY user LIMIT 5 OFFSET 10040")
        long = sql(waf_node, "SELECT user, n FROM many ORDER BY user DESC LIMIT 10020")
    finally:
        settings.size_limit = limit
    assert deep.rows == [[f"u{n:05d}"] for n in range(10040, 10045)]
    assert [r[0] for r in long.rows] == [f"u{n:05d}" for n in range(MANY - 1, 29, -1)]


def test_distinct_fields_push_down_as_groups(waf_node: Node) -> None:
    settings = waf_node.sql.settings
    limit, settings.size_limit = settings.size_limit, 100
    try:
        result = sql(waf_node, "SELECT DISTINCT n FROM many ORDER BY n DESC")
        pairs = sql(waf_node, f"SELECT DISTINCT action, month FROM {INDEX}")
    finally:
        settings.size_limit = limit
    assert result.rows == [[2], [1], [0]]  # 10,050 rows, never pulled
    assert pairs.rows == sorted([list(p) for p in {(d["action"], d["month"]) for d in DOCS}])


def test_a_runaway_statement_is_stopped(waf_node: Node, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engine, "TIMEOUT_S", 0.3)
    monkeypatch.setattr(waf_node.sql.settings, "size_limit", MANY)
    started = time.monotonic()
    with pytest.raises(SqlError) as caught:  # 10,050 x 10,050 rows compared
        sql(waf_node, "SELECT count(*) FROM many a JOIN many b ON md5(concat(a.user, b.user)) < "
                      "'8'")
    assert caught.value.type == "QueryTimeoutException"
    assert time.monotonic() - started < 10
