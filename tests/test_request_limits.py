"""Request-cost limits (docs/limits.md): each a 400 with ES's setting, error type and message,
refused before the work it bounds, and a refused mapping change leaves everything as it was."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

NDJSON = {"content-type": "application/x-ndjson"}


def ndjson(*lines: object) -> bytes:
    return b"".join(json.dumps(line).encode() + b"\n" for line in lines)


def error(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["status"] == 400
    return body["error"]["root_cause"][0]


@pytest.fixture
def numbers(es: httpx.Client, index_name: str) -> str:
    """200 documents: n = 0..199, an address and a time per document, k in 4 values."""
    mapping = {"properties": {"n": {"type": "long"}, "ip": {"type": "ip"},
                              "t": {"type": "date"}, "k": {"type": "keyword"},
                              "msg": {"type": "text"}}}
    assert es.put(f"/{index_name}", json={"mappings": mapping}).status_code == 200
    lines: list[object] = []
    for i in range(200):
        lines += [{"index": {}}, {"n": i, "ip": f"10.0.0.{i}", "t": 1_700_000_000_000 + i,
                                  "k": f"k{i % 4}"}]
    response = es.post(f"/{index_name}/_bulk?refresh=true", content=ndjson(*lines),
                       headers=NDJSON)
    assert response.status_code == 200 and not response.json()["errors"]
    return index_name


@pytest.fixture
def max_buckets(es: httpx.Client) -> Iterator[None]:
    """``search.max_buckets`` at 5 for the test, reset afterwards (the server is shared)."""
    response = es.put("/_cluster/settings", json={"persistent": {"search.max_buckets": 5}})
    assert response.status_code == 200, response.text
    yield
    es.put("/_cluster/settings", json={"persistent": {"search.max_buckets": None}})


def aggs(es: httpx.Client, index: str, body: dict[str, Any]) -> httpx.Response:
    return es.post(f"/{index}/_search", json={"size": 0, "aggs": body})


# --- search.max_buckets ------------------------------------------------------------------------


def test_max_buckets_is_the_cluster_setting_and_bounds_request_defined_buckets(
        es: httpx.Client, numbers: str, max_buckets: None) -> None:
    six = range(6)
    requests = {
        "range": {"field": "n", "ranges": [{"from": i, "to": i + 1} for i in six]},
        "date_range": {"field": "t", "ranges": [{"from": 1_700_000_000_000 + i} for i in six]},
        "ip_range": {"field": "ip", "ranges": [{"from": f"10.0.0.{i}"} for i in six]},
        "filters": {"filters": {f"f{i}": {"term": {"n": i}} for i in six}},
    }
    for kind, spec in requests.items():
        cause = error(aggs(es, numbers, {"a": {kind: spec}}))
        assert cause["type"] == "too_many_buckets_exception", kind
        assert cause["reason"] == (
            "Trying to create too many buckets. Must be less than or equal to: [5] but was [6]. "
            "This limit can be set by changing the [search.max_buckets] cluster level setting.")
        assert cause["max_buckets"] == 5
    # Five are fine; a filters "other" bucket counts too.
    five = {"filters": {f"f{i}": {"term": {"n": i}} for i in range(5)}}
    assert aggs(es, numbers, {"a": {"filters": five}}).status_code == 200
    other = error(aggs(es, numbers, {"a": {"filters": {**five, "other_bucket": True}}}))
    assert other["type"] == "too_many_buckets_exception"


def test_max_buckets_counts_sub_aggregation_buckets_of_the_response(
        es: httpx.Client, numbers: str, max_buckets: None) -> None:
    # 4 terms buckets, each with 2 range buckets: 12 buckets in all.
    body = {"k": {"terms": {"field": "k"}, "aggs": {"r": {"range": {
        "field": "n", "ranges": [{"to": 100}, {"from": 100}]}}}}}
    assert error(aggs(es, numbers, body))["type"] == "too_many_buckets_exception"
    assert aggs(es, numbers, {"k": {"terms": {"field": "k"}}}).status_code == 200


def test_max_buckets_setting_is_validated_and_resettable(es: httpx.Client) -> None:
    before = es.get("/_cluster/settings").json()
    for bad, reason in ((-1, "Failed to parse value [-1] for setting [search.max_buckets] must "
                             "be >= 0"),
                        ("lots", "Failed to parse value [lots] for setting "
                                 "[search.max_buckets]")):
        response = es.put("/_cluster/settings",
                          json={"persistent": {"search.max_buckets": bad}})
        cause = error(response)
        assert cause == {"type": "illegal_argument_exception", "reason": reason}
    assert es.get("/_cluster/settings").json() == before


def test_hundred_thousand_ranges_are_refused_before_any_work(es: httpx.Client,
                                                             numbers: str) -> None:
    ranges = [{"from": i, "to": i + 1} for i in range(100_000)]
    cause = error(aggs(es, numbers, {"a": {"range": {"field": "n", "ranges": ranges}}}))
    assert cause["type"] == "too_many_buckets_exception"
    assert "but was [100000]" in cause["reason"]


def test_ten_thousand_overlapping_ranges_answer(server: Any, numbers: str) -> None:
    # Overlapping ranges are dealt into layers of disjoint ones; that was quadratic (tens of
    # seconds for 10,000 nested ranges). The timeout only bounds "answers at all", generously.
    ranges = [{"from": 0, "to": i + 1} for i in range(10_000)]
    with httpx.Client(base_url=server.url, timeout=15) as client:
        response = aggs(client, numbers, {"a": {"range": {"field": "n", "ranges": ranges}}})
    assert response.status_code == 200, response.text
    buckets = response.json()["aggregations"]["a"]["buckets"]
    assert len(buckets) == 10_000
    assert [b["doc_count"] for b in buckets[:3]] == [1, 2, 3]
    assert buckets[-1]["doc_count"] == 200


# --- queries -----------------------------------------------------------------------------------


def nest(levels: int, wrap: Any) -> dict[str, Any]:
    query: dict[str, Any] = {"match_all": {}}
    for _ in range(levels - 1):
        query = wrap(query)
    return query


WRAPPERS = {
    "bool": lambda q: {"bool": {"must": [q]}},
    "constant_score": lambda q: {"constant_score": {"filter": q}},
    "dis_max": lambda q: {"dis_max": {"queries": [q]}},
    "boosting": lambda q: {"boosting": {"positive": q, "negative": {"match_none": {}},
                                        "negative_boost": 0.5}},
}


@pytest.mark.parametrize("kind", sorted(WRAPPERS))
def test_query_nesting_is_bounded_by_max_nested_depth(es: httpx.Client, numbers: str,
                                                      kind: str) -> None:
    wrap = WRAPPERS[kind]
    assert es.post(f"/{numbers}/_search", json={"query": nest(20, wrap)}).status_code == 200
    for levels in (21, 200):
        cause = error(es.post(f"/{numbers}/_search", json={"query": nest(levels, wrap)}))
        assert cause == {"type": "illegal_argument_exception", "reason": (
            "The nested depth of the query exceeds the maximum nested depth for queries set in "
            "[indices.query.bool.max_nested_depth]")}
    count = es.post(f"/{numbers}/_count", json={"query": nest(21, wrap)})
    assert error(count)["type"] == "illegal_argument_exception"


def test_json_nested_deeper_than_the_parser_allows_is_a_parsing_error(
        es: httpx.Client, numbers: str) -> None:
    levels = 10_000
    body = '{"query":' + '{"bool":{"must":[' * levels + '{"match_all":{}}' + ']}}' * levels + "}"
    response = es.post(f"/{numbers}/_search", content=body,
                       headers={"content-type": "application/json"})
    assert error(response)["type"] == "parsing_exception"
    assert es.get("/").status_code == 200


def test_too_many_clauses(es: httpx.Client, numbers: str) -> None:
    many = " OR ".join(f"k:v{i}" for i in range(1100))
    cases = [
        {"query_string": {"query": many}},
        {"query_string": {"query": " ".join(f"v{i}" for i in range(1100)),
                          "default_field": "msg"}},
        {"match": {"msg": " ".join(f"v{i}" for i in range(1100))}},
        {"bool": {"should": [{"term": {"k": f"v{i}"}} for i in range(1025)]}},
    ]
    for query in cases:
        cause = error(es.post(f"/{numbers}/_search", json={"query": query}))
        assert cause == {"type": "too_many_clauses", "reason": "maxClauseCount is set to 1024"}
    # Over the whole query: 40 booleans of 30 clauses each.
    wide = {"bool": {"should": [{"bool": {"should": [{"term": {"k": f"v{i}"}}
                                                     for i in range(30)]}} for _ in range(40)]}}
    cause = error(es.post(f"/{numbers}/_search", json={"query": wide}))
    assert cause["type"] == "too_many_nested_clauses"
    ok = {"bool": {"should": [{"term": {"k": f"v{i}"}} for i in range(1000)]}}
    assert es.post(f"/{numbers}/_search", json={"query": ok}).status_code == 200


def test_terms_query_is_bounded_by_max_terms_count(es: httpx.Client, index_name: str) -> None:
    settings = {"index.max_terms_count": 10}
    assert es.put(f"/{index_name}", json={"settings": settings}).status_code == 200
    es.put(f"/{index_name}/_doc/1?refresh=true", json={"k": "v1"})
    ten = {"query": {"terms": {"k": [f"v{i}" for i in range(10)]}}}
    assert es.post(f"/{index_name}/_search", json=ten).json()["hits"]["total"]["value"] == 1
    eleven = {"query": {"terms": {"k": [f"v{i}" for i in range(11)]}}}
    cause = error(es.post(f"/{index_name}/_search", json=eleven))
    assert cause == {"type": "illegal_argument_exception", "reason": (
        "The number of terms [11] used in the Terms Query request has exceeded the allowed "
        "maximum of [10]. This maximum can be set by changing the [index.max_terms_count] "
        "index level setting.")}
    bad = es.put(f"/{index_name}/_settings", json={"index.max_terms_count": 0})
    assert error(bad)["reason"] == ("Failed to parse value [0] for setting "
                                    "[index.max_terms_count] must be >= 1")


# --- aggregation nesting -------------------------------------------------------------------------


def nested_aggs(levels: int, kind: str) -> dict[str, Any]:
    spec = {"terms": {"field": "k"}} if kind == "terms" else {"filter": {"match_all": {}}}
    body: dict[str, Any] = {"leaf": {"max": {"field": "n"}}}
    for i in range(levels):
        body = {f"a{i}": {**spec, "aggs": body}}
    return body


def test_aggregation_nesting_is_bounded(es: httpx.Client, numbers: str) -> None:
    # A terms tree 100 deep answered 500 (its response is deeper than JSON output allows).
    for levels, kind in ((100, "terms"), (65, "filter"), (400, "filter")):
        cause = error(aggs(es, numbers, nested_aggs(levels, kind)))
        assert cause == {"type": "parsing_exception", "reason": (
            "The nested depth of the aggregations exceeds the maximum nested depth for "
            "aggregations of [64]")}
    response = aggs(es, numbers, nested_aggs(63, "terms"))
    assert response.status_code == 200, response.text


# --- mappings ------------------------------------------------------------------------------------


def deep_properties(levels: int) -> dict[str, Any]:
    props: dict[str, Any] = {"leaf": {"type": "keyword"}}
    for _ in range(levels):
        props = {"o": {"properties": props}}
    return props


def test_explicit_mappings_are_bounded(es: httpx.Client, index_name: str) -> None:
    wide = {"properties": {f"f{i}": {"type": "keyword"} for i in range(1001)}}
    cause = error(es.put(f"/{index_name}", json={"mappings": wide}))
    assert cause == {"type": "illegal_argument_exception",
                     "reason": "Limit of total fields [1000] has been exceeded"}
    # Multi-fields and objects count: 500 text fields with a keyword each.
    multi = {"properties": {f"f{i}": {"type": "text", "fields": {"raw": {"type": "keyword"}}}
                            for i in range(501)}}
    assert error(es.put(f"/{index_name}", json={"mappings": multi}))["reason"] == \
        "Limit of total fields [1000] has been exceeded"
    cause = error(es.put(f"/{index_name}", json={"mappings": {
        "properties": deep_properties(20)}}))
    assert cause["reason"] == ("Limit of mapping depth [20] has been exceeded due to object "
                               "field [" + ".".join(["o"] * 20) + "]")
    cause = error(es.put(f"/{index_name}", json={"mappings": {
        "properties": deep_properties(300)}}))
    assert cause["reason"].startswith("Limit of mapping depth [20] has been exceeded")
    short = {"settings": {"index.mapping.field_name_length.limit": 5},
             "mappings": {"properties": {"toolong": {"type": "keyword"}}}}
    assert error(es.put(f"/{index_name}", json=short))["reason"] == \
        "Field name [toolong] is longer than the limit of [5] characters"
    assert es.head(f"/{index_name}").status_code == 404
    # Raised limits allow more.
    raised = {"settings": {"index.mapping.total_fields.limit": 2000}, "mappings": wide}
    assert es.put(f"/{index_name}", json=raised).status_code == 200


@pytest.mark.parametrize("key", ["index.mapping.total_fields.limit",
                                 "index.mapping.depth.limit",
                                 "index.mapping.field_name_length.limit"])
def test_mapping_limit_settings_are_validated(es: httpx.Client, index_name: str,
                                              key: str) -> None:
    for value in ("-1", "lots"):
        cause = error(es.put(f"/{index_name}", json={"settings": {key: value}}))
        assert cause["type"] == "illegal_argument_exception"
        assert cause["reason"].startswith(f"Failed to parse value [{value}] for setting [{key}]")
    assert es.head(f"/{index_name}").status_code == 404


def cluster_view(es: httpx.Client, index: str) -> tuple[Any, ...]:
    state = es.get("/_cluster/state")
    aliases = es.get("/_aliases")
    mapping = es.get(f"/{index}/_mapping")
    assert state.status_code == aliases.status_code == mapping.status_code == 200
    return (state.json()["metadata"]["indices"][index], aliases.json()[index], mapping.json(),
            es.get(f"/{index}/_settings").json())


def test_refused_mapping_update_leaves_everything_as_it_was(es: httpx.Client,
                                                            index_name: str) -> None:
    body = {"settings": {"index.mapping.total_fields.limit": 10},
            "mappings": {"properties": {"a": {"type": "keyword"}}},
            "aliases": {f"{index_name}-alias": {}}}
    assert es.put(f"/{index_name}", json=body).status_code == 200
    before = cluster_view(es, index_name)
    updates = [
        {"properties": {f"f{i}": {"type": "keyword"} for i in range(10)}},
        {"properties": deep_properties(25)},
        {"properties": {"b": {"type": "long"}, "a": {"type": "long"}}},
    ]
    for update in updates:
        response = es.put(f"/{index_name}/_mapping", json=update)
        assert error(response)["type"] == "illegal_argument_exception"
        assert cluster_view(es, index_name) == before
    # The index still takes documents with its fields, and a fitting update.
    assert es.put(f"/{index_name}/_doc/1?refresh=true", json={"a": "x"}).status_code == 201
    assert es.put(f"/{index_name}/_mapping",
                  json={"properties": {"b": {"type": "long"}}}).status_code == 200


def test_dynamic_mapping_over_the_limit_fails_only_that_document(es: httpx.Client,
                                                                 index_name: str) -> None:
    settings = {"index.mapping.total_fields.limit": 5, "index.mapping.depth.limit": 3}
    assert es.put(f"/{index_name}", json={"settings": settings}).status_code == 200
    body = ndjson(
        {"index": {"_id": "1"}}, {"a": 1, "b": 2, "c": 3},
        {"index": {"_id": "2"}}, {"d": 1, "e": 2, "f": 3},
        {"index": {"_id": "3"}}, {"x": {"y": {"z": {"w": 1}}}},
        {"index": {"_id": "4"}}, {"a": 10, "b": 20},
    )
    response = es.post(f"/{index_name}/_bulk?refresh=true", content=body, headers=NDJSON)
    assert response.status_code == 200
    items = [item["index"] for item in response.json()["items"]]
    assert [item["status"] for item in items] == [201, 400, 400, 201]
    assert items[1]["error"]["type"] == "illegal_argument_exception"
    assert items[1]["error"]["reason"] == "Limit of total fields [5] has been exceeded"
    assert items[2]["error"]["reason"] == ("Limit of mapping depth [3] has been exceeded due "
                                           "to object field [x.y.z]")
    properties = es.get(f"/{index_name}/_mapping").json()[index_name]["mappings"]["properties"]
    assert sorted(properties) == ["a", "b", "c"]
    assert es.get(f"/{index_name}/_count").json()["count"] == 2


def test_template_mappings_count_at_index_creation(es: httpx.Client, index_name: str) -> None:
    template = {"index_patterns": [f"{index_name}*"], "template": {"mappings": {
        "properties": {f"t{i}": {"type": "keyword"} for i in range(600)}}}}
    assert es.put(f"/_index_template/{index_name}", json=template).status_code == 200
    try:
        own = {"mappings": {"properties": {f"o{i}": {"type": "keyword"} for i in range(600)}}}
        cause = error(es.put(f"/{index_name}", json=own))
        assert cause["reason"] == "Limit of total fields [1000] has been exceeded"
        assert es.head(f"/{index_name}").status_code == 404
        assert es.get("/_cluster/state").status_code == 200
    finally:
        es.delete(f"/_index_template/{index_name}")


def test_source_filtering_of_a_deeply_nested_source(es: httpx.Client, index_name: str) -> None:
    # Unmapped objects may nest as deep as JSON parsing allows; filtering them answered 500.
    assert es.put(f"/{index_name}", json={"mappings": {"dynamic": False}}).status_code == 200
    doc = '{"a":' * 300 + "1" + "}" * 300
    response = es.put(f"/{index_name}/_doc/1?refresh=true", content=doc,
                      headers={"content-type": "application/json"})
    assert response.status_code == 201
    search = es.post(f"/{index_name}/_search", json={"_source": {"excludes": ["b"]}})
    assert search.status_code == 200, search.text
    source = search.json()["hits"]["hits"][0]["_source"]
    depth = 0
    while isinstance(source, dict):
        source, depth = source["a"], depth + 1
    assert (depth, source) == (300, 1)
