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
    scan = plan["children"][0]["children"][0]["description"]["request"]
    assert scan["aggs"]["groups"]["terms"]["size"] == 5


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


def test_span_buckets_by_hour(waf_node: Node) -> None:
    result = ppl(waf_node, "source=awswaf-* | where month = '12' "
                           "| stats count() by span(`@timestamp`, 1d)")
    days = Counter((d["timestamp"] // 86_400_000) for d in DOCS if d["month"] == "12")
    assert sorted(r[0] for r in result.rows) == sorted(days.values())
