"""PPL through the service: each pipeline compiles to one statement the core plans as SQL,
with the same numbers the equivalent search answers."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from tests.sql.service_data import WAF_MAPPING, make_node, waf_documents

from loghaven.node import Node
from loghaven.sql.service import SqlRequest

DOCS = waf_documents()
INDEX = "awswaf-2018.12"


@pytest.fixture(scope="module")
def waf_node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Node]:
    node = make_node(tmp_path_factory.mktemp("sqlppl"), {INDEX: (WAF_MAPPING, DOCS)})
    yield node
    node.close()


def ppl(node: Node, query: str, **kwargs: Any) -> Any:
    return node.sql.ppl(SqlRequest(query, **kwargs))


def test_stats_by_pushes_down_as_a_terms_aggregation(waf_node: Node) -> None:
    query = ("source=awswaf-* | where action = 'BLOCK' | stats count() by httpRequest.clientIp"
             " | sort - `count()` | head 5")
    result = ppl(waf_node, query)
    expected = waf_node.search_service.search(INDEX, {"size": 0, "query": {"term": {
        "action": "BLOCK"}}, "aggs": {"t": {"terms": {"field": "httpRequest.clientIp",
                                                      "size": 5}}}}, {})
    assert result.rows == [[b["doc_count"], b["key"]]
                           for b in expected["aggregations"]["t"]["buckets"]]
    assert [c.name for c in result.schema] == ["count()", "httpRequest.clientIp"]
    plan = waf_node.sql.explain(SqlRequest(query), language="ppl")["root"]
    (scan,) = plan["children"]  # one search, nothing in process
    assert scan["description"]["request"]["aggs"]["groups"]["terms"]["size"] == 5


def test_fields_head_and_eval(waf_node: Node) -> None:
    result = ppl(waf_node, "source=awswaf-* | sort timestamp | head 4 | eval kb = bytes / 1000.0"
                           " | fields timestamp, kb")
    first = sorted(DOCS, key=lambda d: d["timestamp"])[:4]
    assert result.rows == [[d["timestamp"], d["bytes"] / 1000 if "bytes" in d else None]
                           for d in first]


def test_dedup_runs_in_duckdb_over_the_pushed_rows(waf_node: Node) -> None:
    result = ppl(waf_node, "source=awswaf-* | where bytes > 4000 | dedup action "
                           "| fields action | sort action")
    assert result.rows == [[a] for a in sorted({d["action"] for d in DOCS
                                                if d.get("bytes", 0) > 4000})]
    plan = waf_node.sql.explain(SqlRequest("source=awswaf-* | where bytes > 4000 | dedup action"
                                           " | fields action"), language="ppl")["root"]
    scan = plan["children"][0]["children"][0]["description"]["request"]  # under DuckDB
    assert scan["query"] == {"bool": {"filter": [{"range": {"bytes": {"gt": 4000}}},
                                                 {"exists": {"field": "action"}}]}}
    assert "QUALIFY" in plan["children"][0]["description"]["sql"]


def test_top_and_rename(waf_node: Node) -> None:
    top = ppl(waf_node, "source=awswaf-* | top 2 httpRequest.country")
    counts = Counter(d["httpRequest"]["country"] for d in DOCS)
    assert [r[:2] for r in top.rows] == [[c, n] for c, n in sorted(
        counts.items(), key=lambda kv: (-kv[1], kv[0]))[:2]]
    renamed = ppl(waf_node, "source=awswaf-* | rename action as a | where a = 'COUNT' "
                            "| stats count() as n")
    assert renamed.rows == [[sum(1 for d in DOCS if d["action"] == "COUNT")]]


def aggregation(node: Node, aggs: dict[str, Any]) -> list[dict[str, Any]]:
    return node.search_service.search(INDEX, {"size": 0, "aggs": {"x": aggs}},
                                      {})["aggregations"]["x"]["buckets"]


@pytest.mark.parametrize(("span", "interval"), [("1d", "1d"), ("6h", "6h"), ("1h", "1h")])
def test_time_spans_are_date_histograms(waf_node: Node, span: str, interval: str) -> None:
    query = f"source=awswaf-* | stats count() by span(`@timestamp`, {span})"
    result = ppl(waf_node, query)
    buckets = aggregation(waf_node, {"date_histogram": {
        "field": "@timestamp", "fixed_interval": interval, "min_doc_count": 1}})
    assert result.rows == [[b["doc_count"], b["key_as_string"].replace("T", " ")[:19]]
                           for b in buckets]
    (scan,) = waf_node.sql.explain(SqlRequest(query), language="ppl")["root"]["children"]
    assert "date_histogram" in str(scan["description"]["request"]["aggs"])


def test_numeric_span_is_a_histogram(waf_node: Node) -> None:
    query = "source=awswaf-* | stats count() by span(bytes, 1000)"
    result = ppl(waf_node, query)
    buckets = aggregation(waf_node, {"histogram": {"field": "bytes", "interval": 1000,
                                                   "min_doc_count": 1}})
    missing = sum(1 for d in DOCS if "bytes" not in d)
    assert result.rows == [[missing, None]] + [[b["doc_count"], b["key"]] for b in buckets]
    (scan,) = waf_node.sql.explain(SqlRequest(query), language="ppl")["root"]["children"]
    groups = scan["description"]["request"]["aggs"]["groups"]["composite"]
    assert groups["sources"][0]["k0"]["histogram"]["interval"] == 1000.0


def test_where_after_head_pulls_only_the_head(waf_node: Node) -> None:
    query = ("source=awswaf-* | sort timestamp | head 5 | where bytes > 1000 "
             "| fields timestamp, bytes")
    result = ppl(waf_node, query)
    first = sorted(DOCS, key=lambda d: d["timestamp"])[:5]
    assert result.rows == [[d["timestamp"], d["bytes"]] for d in first
                           if d.get("bytes", 0) > 1000]
    plan = waf_node.sql.explain(SqlRequest(query), language="ppl")["root"]
    request = plan["children"][0]["children"][0]["description"]["request"]
    assert request["size"] == 5
    assert request["sort"] == [{"timestamp": {"order": "asc", "missing": "_first"}}]


def test_fields_minus_leaves_the_others(waf_node: Node) -> None:
    result = ppl(waf_node, "source=awswaf-* | fields - message, httpRequest.uri | head 1")
    names = [c.name for c in result.schema]
    assert "message" not in names and "httpRequest.uri" not in names
    assert "httpRequest.clientIp" in names and len(result.rows) == 1
