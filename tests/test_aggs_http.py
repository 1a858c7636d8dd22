"""Aggregations through ``_search`` over HTTP: ``size: 0`` searches across two indices and
several splits, answered in OpenSearch's shapes (values worked out by hand)."""

from __future__ import annotations

from typing import Any

import httpx
import orjson
import pytest

MAPPING = {"properties": {"ip": {"type": "ip"}, "action": {"type": "keyword"},
                          "status": {"type": "long"}, "bytes": {"type": "double"},
                          "ts": {"type": "date"}, "msg": {"type": "text"}}}
DAY1, DAY2 = 1_704_067_200_000, 1_704_153_600_000


def bulk(es: httpx.Client, index: str, docs: list[dict[str, Any]]) -> None:
    lines = b"".join(orjson.dumps({"index": {"_index": index}}) + b"\n" + orjson.dumps(d) + b"\n"
                     for d in docs)
    response = es.post("/_bulk?refresh=true", content=lines,
                       headers={"content-type": "application/x-ndjson"})
    assert response.status_code == 200 and not response.json()["errors"], response.text


@pytest.fixture(scope="module")
def pattern(server: Any) -> str:
    """``<prefix>-*``: two daily indices, the first in two splits (a new field seals one)."""
    prefix = "waf-aggs"
    with httpx.Client(base_url=server.url, timeout=30) as es:
        for day in ("2024.01.01", "2024.01.02"):
            assert es.put(f"/{prefix}-{day}", json={"mappings": MAPPING}).status_code == 200
        bulk(es, f"{prefix}-2024.01.01", [
            {"ip": "10.0.0.1", "action": "ALLOW", "status": 200, "bytes": 100.0,
             "ts": "2024-01-01T00:10:00Z", "msg": "ok"},
            {"ip": "10.0.0.1", "action": "BLOCK", "status": 403, "bytes": 50.0,
             "ts": "2024-01-01T00:20:00Z", "msg": "blocked"},
            {"ip": "10.0.0.2", "action": "ALLOW", "status": 200, "bytes": 300.0,
             "ts": "2024-01-01T01:05:00Z", "msg": "ok"},
        ])
        bulk(es, f"{prefix}-2024.01.01", [
            {"ip": "10.0.0.3", "action": "ALLOW", "status": 500, "bytes": 10.0,
             "ts": "2024-01-01T23:00:00Z", "msg": "error", "rule": "r1"},
        ])
        bulk(es, f"{prefix}-2024.01.02", [
            {"ip": "10.0.0.2", "action": "BLOCK", "status": 403, "bytes": 70.0,
             "ts": "2024-01-02T05:00:00Z", "msg": "blocked"},
            {"ip": "10.0.0.4", "action": "ALLOW", "status": 200, "bytes": 40.0,
             "ts": "2024-01-02T06:00:00Z", "msg": "ok"},
        ])
    return f"{prefix}-*"


def search(es: httpx.Client, target: str, body: dict[str, Any]) -> httpx.Response:
    return es.post(f"/{target}/_search", json={"size": 0, **body})


def test_top_ips_split_by_action(es: httpx.Client, pattern: str) -> None:
    response = search(es, pattern, {"aggs": {"ips": {
        "terms": {"field": "ip", "size": 2}, "aggs": {"action": {"terms": {"field": "action"}}}}}})
    assert response.status_code == 200
    body = response.json()
    assert body["hits"]["hits"] == [] and body["hits"]["total"]["value"] == 6
    assert body["aggregations"] == {"ips": {
        "doc_count_error_upper_bound": 0, "sum_other_doc_count": 2, "buckets": [
            {"key": "10.0.0.1", "doc_count": 2, "action": {
                "doc_count_error_upper_bound": 0, "sum_other_doc_count": 0,
                "buckets": [{"key": "ALLOW", "doc_count": 1}, {"key": "BLOCK", "doc_count": 1}]}},
            {"key": "10.0.0.2", "doc_count": 2, "action": {
                "doc_count_error_upper_bound": 0, "sum_other_doc_count": 0,
                "buckets": [{"key": "ALLOW", "doc_count": 1}, {"key": "BLOCK", "doc_count": 1}]}},
        ]}}


def test_date_histogram_with_query_and_metrics(es: httpx.Client, pattern: str) -> None:
    response = search(es, pattern, {
        "query": {"range": {"ts": {"gte": "2024-01-01T00:00:00Z", "lt": "2024-01-03"}}},
        "aggs": {"per_day": {
            "date_histogram": {"field": "ts", "calendar_interval": "1d", "min_doc_count": 0,
                               "extended_bounds": {"min": "2023-12-31", "max": "2024-01-02"}},
            "aggs": {"bytes": {"sum": {"field": "bytes"}},
                     "status": {"stats": {"field": "status"}}}}}})
    assert response.status_code == 200
    buckets = response.json()["aggregations"]["per_day"]["buckets"]
    assert [(b["key_as_string"], b["key"], b["doc_count"], b["bytes"]["value"])
            for b in buckets] == [
        ("2023-12-31T00:00:00.000Z", DAY1 - 86_400_000, 0, 0.0),
        ("2024-01-01T00:00:00.000Z", DAY1, 4, 460.0),
        ("2024-01-02T00:00:00.000Z", DAY2, 2, 110.0)]
    assert buckets[0]["status"] == {"count": 0, "min": None, "max": None, "avg": None,
                                    "sum": 0.0}
    assert buckets[2]["status"] == {"count": 2, "min": 200.0, "max": 403.0, "avg": 301.5,
                                    "sum": 603.0}


def test_cardinality_across_indices_counts_each_ip_once(es: httpx.Client, pattern: str) -> None:
    response = search(es, pattern, {"aggs": {"ips": {"cardinality": {"field": "ip"}}}})
    assert response.json()["aggregations"] == {"ips": {"value": 4}}


def test_bucket_level_monitor_composite(es: httpx.Client, pattern: str) -> None:
    body = {"query": {"term": {"action": "BLOCK"}}, "aggs": {"by_ip": {"composite": {
        "size": 1, "sources": [{"ip": {"terms": {"field": "ip"}}}]},
        "aggs": {"n": {"value_count": {"field": "status"}},
                 "keep": {"bucket_selector": {"buckets_path": {"n": "n"},
                                              "script": "params.n >= 1"}}}}}}
    first = search(es, pattern, body).json()["aggregations"]["by_ip"]
    assert first == {"after_key": {"ip": "10.0.0.1"}, "buckets": [
        {"key": {"ip": "10.0.0.1"}, "doc_count": 1, "n": {"value": 1}}]}
    body["aggs"]["by_ip"]["composite"]["after"] = first["after_key"]
    second = search(es, pattern, body).json()["aggregations"]["by_ip"]
    assert second["buckets"] == [{"key": {"ip": "10.0.0.2"}, "doc_count": 1, "n": {"value": 1}}]


def test_composite_pages_addresses_in_address_order(es: httpx.Client) -> None:
    """``ip`` keys come in address order (9 < 10 < 100; ``::1`` first, since an IPv4 address
    is ``::ffff:a.b.c.d``), not as text; an ``after_key`` taken in text order made the next
    page skip addresses."""
    index = "composite-ip-order"
    assert es.put(f"/{index}", json={"mappings": MAPPING}).status_code == 200
    addresses = ["100.1.1.1", "9.9.9.9", "::1", "10.0.0.1", "10.0.0.20", "10.0.0.3"]
    bulk(es, index, [{"ip": ip} for ip in addresses])
    body: dict[str, Any] = {"aggs": {"g": {"composite": {
        "size": 2, "sources": [{"ip": {"terms": {"field": "ip"}}}]}}}}
    pages = []
    while True:
        answer = search(es, index, body).json()["aggregations"]["g"]
        if not answer["buckets"]:
            break
        pages.append([b["key"]["ip"] for b in answer["buckets"]])
        body["aggs"]["g"]["composite"]["after"] = answer["after_key"]
    assert pages == [["::1", "9.9.9.9"], ["10.0.0.1", "10.0.0.3"], ["10.0.0.20", "100.1.1.1"]]


def test_filters_and_percentiles(es: httpx.Client, pattern: str) -> None:
    response = search(es, pattern, {"aggs": {
        "kinds": {"filters": {"filters": {"errors": {"range": {"status": {"gte": 400}}},
                                          "blocked": {"match": {"msg": "blocked"}}}}},
        "p": {"percentiles": {"field": "bytes", "percents": [50]}}}})
    assert response.json()["aggregations"] == {
        "kinds": {"buckets": {"blocked": {"doc_count": 2}, "errors": {"doc_count": 3}}},
        "p": {"values": {"50.0": 60.0}}}


def test_errors_are_es_shaped(es: httpx.Client, pattern: str) -> None:
    text = search(es, pattern, {"aggs": {"t": {"terms": {"field": "msg"}}}})
    assert text.status_code == 400
    cause = text.json()["error"]["root_cause"][0]
    assert cause["type"] == "illegal_argument_exception"
    assert "Please use a keyword field instead" in cause["reason"]
    unknown = search(es, pattern, {"aggs": {"t": {"bogus": {"field": "ip"}}}})
    assert unknown.status_code == 400
    assert unknown.json()["error"]["root_cause"][0]["reason"] == "Unknown aggregation type [bogus]"
    script = search(es, pattern, {"aggs": {"t": {"terms": {"field": "ip"}, "aggs": {
        "s": {"bucket_script": {"buckets_path": {"c": "_count"},
                                "script": "doc['status'].value"}}}}}})
    assert script.status_code == 400


def test_empty_index_gives_empty_shapes(es: httpx.Client, index_name: str) -> None:
    assert es.put(f"/{index_name}", json={"mappings": MAPPING}).status_code == 200
    response = search(es, index_name, {"aggs": {
        "ips": {"terms": {"field": "ip"}}, "avg": {"avg": {"field": "bytes"}},
        "days": {"date_histogram": {"field": "ts", "fixed_interval": "1h"}}}})
    assert response.json()["aggregations"] == {
        "ips": {"doc_count_error_upper_bound": 0, "sum_other_doc_count": 0, "buckets": []},
        "avg": {"value": None}, "days": {"buckets": []}}


def test_opensearch_dsl_reads_the_aggregations(server: Any, pattern: str) -> None:
    import opensearch_dsl
    from opensearchpy import OpenSearch

    client = OpenSearch(hosts=[server.url], timeout=30)
    try:
        search = opensearch_dsl.Search(using=client, index=pattern).extra(size=0)
        search.aggs.bucket("per_day", "date_histogram", field="ts", calendar_interval="day") \
            .bucket("per_action", "terms", field="action") \
            .metric("bytes", "sum", field="bytes")
        search.aggs.metric("ips", "cardinality", field="ip")
        response = search.execute()
    finally:
        client.close()
    days = response.aggregations.per_day.buckets
    assert [(d.key_as_string, d.doc_count) for d in days] == [
        ("2024-01-01T00:00:00.000Z", 4), ("2024-01-02T00:00:00.000Z", 2)]
    assert [(b.key, b.bytes.value) for b in days[0].per_action.buckets] == [
        ("ALLOW", 410.0), ("BLOCK", 50.0)]
    assert response.aggregations.ips.value == 4
