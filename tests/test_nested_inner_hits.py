"""``inner_hits`` on ``nested`` queries, from the Elasticsearch documentation's example (a
document with comments by kimchy and nik9000)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

DOC = {"title": "Test title", "comments": [{"author": "kimchy", "number": 1},
                                          {"author": "nik9000", "number": 2}]}


@pytest.fixture
def posts(es: httpx.Client, index_name: str) -> str:
    assert es.put(f"/{index_name}", json={"mappings": {"properties": {
        "title": {"type": "text"},
        "comments": {"type": "nested", "properties": {"author": {"type": "keyword"},
                                                      "number": {"type": "long"}}}}}}
                  ).status_code == 200
    es.put(f"/{index_name}/_doc/1?refresh=true", json=DOC)
    return index_name


def search(es: httpx.Client, index: str, body: dict[str, Any]) -> dict[str, Any]:
    response = es.post(f"/{index}/_search", json=body)
    assert response.status_code == 200, response.text
    return response.json()


def test_the_matching_object_with_its_offset_and_source(es: httpx.Client, posts: str) -> None:
    result = search(es, posts, {"query": {"nested": {
        "path": "comments", "query": {"match": {"comments.number": 2}}, "inner_hits": {}}}})
    hit = result["hits"]["hits"][0]
    assert hit["_source"] == DOC
    # (a numeric term scores by BM25 here, 1.0 in ES: the parent has its one object's score)
    score = hit["_score"]
    assert hit["inner_hits"] == {"comments": {"hits": {
        "total": {"value": 1, "relation": "eq"}, "max_score": pytest.approx(score),
        "hits": [{"_index": posts, "_id": "1", "_nested": {"field": "comments", "offset": 1},
                  "_score": pytest.approx(score),
                  "_source": {"author": "nik9000", "number": 2}}]}}}


def test_options(es: httpx.Client, posts: str) -> None:
    everything = {"range": {"comments.number": {"gte": 0}}}
    result = search(es, posts, {"_source": False, "query": {"nested": {
        "path": "comments", "query": everything, "inner_hits": {
            "name": "all", "sort": [{"comments.number": "desc"}], "size": 1, "from": 1,
            "_source": ["comments.author"]}}}})
    inner = result["hits"]["hits"][0]["inner_hits"]["all"]["hits"]
    assert inner["total"] == {"value": 2, "relation": "eq"}
    assert inner["max_score"] is None
    assert inner["hits"] == [{"_index": posts, "_id": "1",
                              "_nested": {"field": "comments", "offset": 0}, "_score": None,
                              "_source": {"author": "kimchy"}, "sort": [1]}]
    no_source = search(es, posts, {"query": {"bool": {"must": [{"nested": {
        "path": "comments", "query": everything, "inner_hits": {"_source": False}}}]}}})
    hits = no_source["hits"]["hits"][0]["inner_hits"]["comments"]["hits"]["hits"]
    assert [h["_nested"]["offset"] for h in hits] == [0, 1]
    assert all("_source" not in h for h in hits)


def test_refusals(es: httpx.Client, posts: str) -> None:
    too_large = es.post(f"/{posts}/_search", json={"query": {"nested": {
        "path": "comments", "query": {"match_all": {}}, "inner_hits": {"size": 101}}}})
    assert too_large.status_code == 400
    assert "Inner result window is too large" in too_large.text
    unsupported = es.post(f"/{posts}/_search", json={"query": {"nested": {
        "path": "comments", "query": {"match_all": {}},
        "inner_hits": {"script_fields": {"five": {"script": "5"}}}}}})
    assert unsupported.status_code == 400
    assert "[inner_hits] option [script_fields] is not supported by Loghaven" in unsupported.text


def test_multi_level_path(es: httpx.Client, index_name: str) -> None:
    es.put(f"/{index_name}", json={"mappings": {"properties": {"driver": {
        "type": "nested", "properties": {"vehicle": {"type": "nested", "properties": {
            "make": {"type": "keyword"}}}}}}}})
    es.put(f"/{index_name}/_doc/1?refresh=true", json={"driver": {"vehicle": [
        {"make": "Powell Motors"}, {"make": "Miller-Meteor"}]}})
    result = search(es, index_name, {"query": {"nested": {
        "path": "driver.vehicle", "query": {"term": {"driver.vehicle.make": "Miller-Meteor"}},
        "inner_hits": {}}}})
    hit = result["hits"]["hits"][0]["inner_hits"]["driver.vehicle"]["hits"]["hits"][0]
    assert hit["_nested"] == {"field": "driver", "offset": 0,
                              "_nested": {"field": "vehicle", "offset": 1}}
    assert hit["_source"] == {"make": "Miller-Meteor"}


def test_inner_hits_of_a_nested_clause_inside_another(es: httpx.Client, index_name: str) -> None:
    es.put(f"/{index_name}", json={"mappings": {"properties": {"driver": {
        "type": "nested", "properties": {"last_name": {"type": "keyword"}, "vehicle": {
            "type": "nested", "properties": {"make": {"type": "keyword"}}}}}}}})
    es.put(f"/{index_name}/_doc/1?refresh=true", json={"driver": [
        {"last_name": "McQueen", "vehicle": [{"make": "Powell Motors"}, {"make": "Mifune"}]},
        {"last_name": "Hudson", "vehicle": [{"make": "Mifune"}]}]})
    result = search(es, index_name, {"query": {"nested": {
        "path": "driver", "inner_hits": {"_source": False}, "query": {"nested": {
            "path": "driver.vehicle", "inner_hits": {"name": "cars"},
            "query": {"term": {"driver.vehicle.make": "Mifune"}}}}}}})
    drivers = result["hits"]["hits"][0]["inner_hits"]["driver"]["hits"]["hits"]
    assert [d["_nested"] for d in drivers] == [{"field": "driver", "offset": 0},
                                              {"field": "driver", "offset": 1}]
    cars = [[(c["_nested"], c["_source"]) for c in d["inner_hits"]["cars"]["hits"]["hits"]]
            for d in drivers]
    assert cars == [
        [({"field": "driver", "offset": 0, "_nested": {"field": "vehicle", "offset": 1}},
          {"make": "Mifune"})],
        [({"field": "driver", "offset": 1, "_nested": {"field": "vehicle", "offset": 0}},
          {"make": "Mifune"})]]
