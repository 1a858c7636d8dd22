"""What a statement becomes (``_explain``), JOINs of two indices, and the counters of
``_plugins/_sql/stats``."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from tests.sql.service_data import WAF_MAPPING, make_node, waf_documents

from loghaven.node import Node
from loghaven.sql.errors import SqlError
from loghaven.sql.service import SqlRequest

DOCS = waf_documents()
INDEX = "awswaf-2018.12"
OWNERS = [{"ip": f"10.0.{a}.{b}", "owner": f"team-{(a * 30 + b) % 4}"}
          for a in range(4) for b in range(0, 30, 2)]


@pytest.fixture(scope="module")
def waf_node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Node]:
    node = make_node(tmp_path_factory.mktemp("sqlplan"), {
        INDEX: (WAF_MAPPING, DOCS),
        "owners": ({"properties": {"ip": {"type": "keyword"}, "owner": {"type": "keyword"}}},
                   OWNERS)})
    yield node
    node.close()


def explain(node: Node, query: str) -> dict[str, Any]:
    return node.sql.explain(SqlRequest(query))["root"]


def scans(root: dict[str, Any]) -> list[dict[str, Any]]:
    found = [root] if root["name"] == "OpenSearchIndexScan" else []
    for child in root["children"]:
        found += scans(child)
    return found


def test_explain_plain_select_is_one_search(waf_node: Node) -> None:
    root = explain(waf_node, f"SELECT action, bytes FROM {INDEX} WHERE action = 'BLOCK' "
                             f"ORDER BY bytes DESC LIMIT 3")
    assert root["name"] == "ProjectOperator"
    assert root["description"]["fields"] == ["action", "bytes"]
    (scan,) = root["children"]  # no in-process step
    request = scan["description"]["request"]
    assert request["query"] == {"term": {"action": "BLOCK"}}
    assert request["sort"] == [{"bytes": {"order": "desc", "missing": "_last"}}]
    assert request["size"] == 3 and request["_source"] == ["action", "bytes"]


def test_explain_top_n_group_is_a_terms_aggregation(waf_node: Node) -> None:
    root = explain(waf_node, f"SELECT httpRequest.clientIp, count(*) AS c FROM {INDEX} "
                             f"WHERE month = '12' GROUP BY httpRequest.clientIp "
                             f"ORDER BY c DESC LIMIT 10")
    (scan,) = scans(root)
    request = scan["description"]["request"]
    assert request["size"] == 0 and request["query"] == {"term": {"month": "12"}}
    assert request["aggs"]["groups"]["terms"] == {
        "field": "httpRequest.clientIp", "size": 10, "order": {"_count": "desc"}}
    assert root["children"] == [scan]  # the buckets answer as they are: nothing in process


def test_explain_having_is_a_composite_aggregation(waf_node: Node) -> None:
    root = explain(waf_node, f"SELECT action, avg(bytes) FROM {INDEX} GROUP BY action "
                             f"HAVING avg(bytes) > 100")
    groups = scans(root)[0]["description"]["request"]["aggs"]["groups"]
    assert groups["composite"]["sources"] == [
        {"k0": {"terms": {"field": "action", "missing_bucket": True}}}]
    assert groups["aggs"] == {"a0": {"avg": {"field": "bytes"}}}
    assert "WHERE a0 > 100" in root["children"][0]["description"]["sql"]


def test_explain_residual_runs_in_duckdb(waf_node: Node) -> None:
    root = explain(waf_node, f"SELECT action FROM {INDEX} WHERE action = 'BLOCK' AND "
                             f"bytes % 2 = 0")
    duck = root["children"][0]
    assert duck["name"] == "DuckDBOperator"
    assert "% 2" in duck["description"]["sql"] and "'BLOCK'" not in duck["description"]["sql"]
    assert scans(root)[0]["description"]["request"]["query"] == {"term": {"action": "BLOCK"}}


def test_join_two_indices(waf_node: Node) -> None:
    result = waf_node.sql.sql(SqlRequest(f"""
        SELECT o.owner, count(*) AS n FROM {INDEX} w JOIN owners o
          ON w.httpRequest.clientIp = o.ip
        WHERE w.action = 'BLOCK' AND o.owner <> 'team-0'
        GROUP BY o.owner ORDER BY o.owner"""))
    owner_of = {o["ip"]: o["owner"] for o in OWNERS}
    counts: dict[str, int] = {}
    for d in DOCS:
        owner = owner_of.get(d["httpRequest"]["clientIp"])
        if d["action"] == "BLOCK" and owner is not None and owner != "team-0":
            counts[owner] = counts.get(owner, 0) + 1
    assert counts and result.rows == [[o, counts[o]] for o in sorted(counts)]
    assert [c.name for c in result.schema] == ["o.owner", "count(*)"]
    root = waf_node.sql.explain(SqlRequest(f"""
        SELECT o.owner FROM {INDEX} w JOIN owners o ON w.httpRequest.clientIp = o.ip
        WHERE w.action = 'BLOCK'"""))["root"]
    requests = [s["description"]["request"] for s in scans(root)]
    assert requests[0]["query"] == {"term": {"action": "BLOCK"}}
    assert requests[1]["query"] == {"match_all": {}}


def test_join_sides_are_bounded_by_the_size_limit(waf_node: Node) -> None:
    settings = waf_node.sql.settings
    limit, settings.size_limit = settings.size_limit, 100
    try:
        with pytest.raises(SqlError) as caught:
            waf_node.sql.sql(SqlRequest(f"SELECT o.owner FROM {INDEX} w JOIN owners o "
                                        f"ON w.httpRequest.clientIp = o.ip"))
        assert f"[{INDEX}]" in caught.value.details
    finally:
        settings.size_limit = limit


def test_stats_count_requests_and_failures(waf_node: Node) -> None:
    before = waf_node.sql.stats()
    waf_node.sql.sql(SqlRequest(f"SELECT action FROM {INDEX} LIMIT 1"))
    with pytest.raises(SqlError):
        waf_node.sql.sql(SqlRequest(f"SELECT nope FROM {INDEX}"))
    after = waf_node.sql.stats()
    assert set(after) == {"request_total", "request_count", "failed_request_count_syserr",
                          "failed_request_count_cuserr", "failed_request_count_cb",
                          "circuit_breaker"}
    assert after["request_total"] == before["request_total"] + 2
    assert after["failed_request_count_cuserr"] == before["failed_request_count_cuserr"] + 1
    assert after["failed_request_count_syserr"] == before["failed_request_count_syserr"]


def test_disabled_ppl_is_refused(waf_node: Node) -> None:
    waf_node.catalog.put_cluster_settings({"transient": {"plugins.ppl.enabled": False}})
    try:
        with pytest.raises(SqlError) as caught:
            waf_node.sql.ppl(SqlRequest(f"source={INDEX} | head 1"))
        assert caught.value.type == "IllegalAccessException"
    finally:
        waf_node.catalog.put_cluster_settings({"transient": {"plugins.ppl.enabled": None}})


def test_stats_count_within_the_interval(waf_node: Node) -> None:
    counters = waf_node.sql.counters
    interval, counters.interval_s = counters.interval_s, 0.3
    try:
        waf_node.sql.sql(SqlRequest(f"SELECT action FROM {INDEX} LIMIT 1"))
        assert waf_node.sql.stats()["request_count"] >= 1
        time.sleep(0.4)
        after = waf_node.sql.stats()
    finally:
        counters.interval_s = interval
    assert after["request_count"] == 0 and after["request_total"] >= 1
