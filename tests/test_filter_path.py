"""``filter_path``: Elasticsearch's response filtering, on every JSON answer."""

from __future__ import annotations

import httpx
import pytest

from loghaven.api.filter_path import apply

DOCS = [{"user": "ann", "n": 1, "geo": {"country": "NL", "city": "Delft"}},
        {"user": "bob", "n": 2, "geo": {"country": "US", "city": "Austin"}}]


@pytest.fixture()
def loaded(es: httpx.Client, index_name: str) -> str:
    for i, doc in enumerate(DOCS):
        assert es.put(f"/{index_name}/_doc/{i}", json=doc).status_code == 201
    es.post(f"/{index_name}/_refresh")
    return index_name


def test_search_keeps_only_the_listed_paths(es: httpx.Client, loaded: str) -> None:
    body = es.get(f"/{loaded}/_search?filter_path=hits.hits._id,hits.total.value").json()
    assert body == {"hits": {"total": {"value": 2}, "hits": [{"_id": "0"}, {"_id": "1"}]}}


def test_wildcards_reach_into_source(es: httpx.Client, loaded: str) -> None:
    body = es.post(f"/{loaded}/_search?filter_path=hits.hits._source.geo.c*",
                   json={"sort": [{"n": "asc"}]}).json()
    assert [h["_source"] for h in body["hits"]["hits"]] == [
        {"geo": d["geo"]} for d in DOCS]
    body = es.post(f"/{loaded}/_search?filter_path=**.city",
                   json={"sort": [{"n": "asc"}]}).json()
    assert body == {"hits": {"hits": [{"_source": {"geo": {"city": "Delft"}}},
                                      {"_source": {"geo": {"city": "Austin"}}}]}}


def test_exclusions_and_aggregations(es: httpx.Client, loaded: str) -> None:
    body = es.post(f"/{loaded}/_search?filter_path=-hits,-_shards,-took,-timed_out",
                   json={"size": 0, "aggs": {"users": {"terms": {"field": "user.keyword"}}}}
                   ).json()
    assert list(body) == ["aggregations"]
    assert [b["key"] for b in body["aggregations"]["users"]["buckets"]] == ["ann", "bob"]


def test_nothing_matched_is_an_empty_object(es: httpx.Client, loaded: str) -> None:
    assert es.get(f"/{loaded}/_search?filter_path=nothing.here").json() == {}
    assert es.get("/_cluster/health?filter_path=status").json().keys() == {"status"}


def test_arrays_at_the_top_are_filtered_element_by_element(es: httpx.Client,
                                                           loaded: str) -> None:
    rows = es.get(f"/_cat/indices/{loaded}?format=json&filter_path=index,docs.count").json()
    assert rows == [{"index": loaded, "docs.count": "2"}]


def test_errors_are_filtered_too(es: httpx.Client) -> None:
    response = es.get("/no-such-index-fp/_search?filter_path=status")
    assert response.status_code == 404 and response.json() == {"status": 404}


def test_module_rules() -> None:
    data = {"a": {"b": 1, "c": {"d": 2}}, "e": [{"f": 3, "g": 4}, {"g": 5}], "h": {}}
    assert apply(data, "a.b") == {"a": {"b": 1}}
    assert apply(data, "a.**") == {"a": {"b": 1, "c": {"d": 2}}}
    assert apply(data, "**.d") == {"a": {"c": {"d": 2}}}
    assert apply(data, "e.f") == {"e": [{"f": 3}]}
    assert apply(data, "-a,-e.g") == {"e": [{"f": 3}, {}], "h": {}}
    assert apply(data, "a.*,-a.c") == {"a": {"b": 1}}
    assert apply(data, " a.b , ") == {"a": {"b": 1}}
    assert apply([1, 2], "x") == {}
