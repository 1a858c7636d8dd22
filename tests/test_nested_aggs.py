"""``nested`` and ``reverse_nested`` aggregations, from the Elasticsearch documentation's
examples (the resellers' prices, the issues' commenters and tags)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest


def create(es: httpx.Client, index: str, properties: dict[str, Any]) -> None:
    response = es.put(f"/{index}", json={"mappings": {"properties": properties}})
    assert response.status_code == 200, response.text


def aggs(es: httpx.Client, index: str, body: dict[str, Any]) -> dict[str, Any]:
    response = es.post(f"/{index}/_search", json={"size": 0, **body})
    assert response.status_code == 200, response.text
    return response.json()["aggregations"]


@pytest.fixture
def products(es: httpx.Client, index_name: str) -> str:
    create(es, index_name, {"name": {"type": "text"}, "sku": {"type": "keyword"}, "resellers": {
        "type": "nested", "properties": {"reseller": {"type": "keyword"},
                                         "price": {"type": "double"}}}})
    es.put(f"/{index_name}/_doc/0", json={"name": "LED TV", "sku": "tv", "resellers": [
        {"reseller": "companyA", "price": 350}, {"reseller": "companyB", "price": 500}]})
    es.put(f"/{index_name}/_doc/1?refresh=true", json={"name": "radio", "sku": "radio", "resellers": [
        {"reseller": "companyA", "price": 20}]})
    return index_name


def test_nested_aggregation(es: httpx.Client, products: str) -> None:
    result = aggs(es, products, {"query": {"match": {"name": "led tv"}}, "aggs": {
        "resellers": {"nested": {"path": "resellers"},
                      "aggs": {"min_price": {"min": {"field": "resellers.price"}}}}}})
    assert result == {"resellers": {"doc_count": 2, "min_price": {"value": 350.0}}}
    everything = aggs(es, products, {"aggs": {"resellers": {
        "nested": {"path": "resellers"},
        "aggs": {"by": {"terms": {"field": "resellers.reseller"}}}}}})
    assert everything["resellers"]["doc_count"] == 3
    assert everything["resellers"]["by"]["buckets"] == [
        {"key": "companyA", "doc_count": 2}, {"key": "companyB", "doc_count": 1}]
    # outside a nested aggregation the nested fields have no values on the parents
    outside = aggs(es, products, {"aggs": {"m": {"min": {"field": "resellers.price"}}}})
    assert outside == {"m": {"value": None}}


def test_reverse_nested_aggregation(es: httpx.Client, index_name: str) -> None:
    create(es, index_name, {"tags": {"type": "keyword"}, "comments": {
        "type": "nested", "properties": {"username": {"type": "keyword"},
                                         "comment": {"type": "text"}}}})
    es.put(f"/{index_name}/_doc/1", json={"tags": ["tag1", "tag2"], "comments": [
        {"username": "username_1", "comment": "comment 1"},
        {"username": "username_2", "comment": "comment 2"}]})
    es.put(f"/{index_name}/_doc/2?refresh=true", json={"tags": ["tag2"], "comments": [
        {"username": "username_1", "comment": "again"},
        {"username": "username_1", "comment": "and again"}]})
    result = aggs(es, index_name, {"query": {"match_all": {}}, "aggs": {"comments": {
        "nested": {"path": "comments"},
        "aggs": {"top_usernames": {
            "terms": {"field": "comments.username"},
            "aggs": {"comment_to_issue": {
                "reverse_nested": {},
                "aggs": {"top_tags_per_comment": {"terms": {"field": "tags"}}}}}}}}}})
    assert result["comments"]["doc_count"] == 4
    buckets = result["comments"]["top_usernames"]["buckets"]
    assert buckets[0]["key"] == "username_1" and buckets[0]["doc_count"] == 3
    assert buckets[0]["comment_to_issue"] == {"doc_count": 2, "top_tags_per_comment": {
        "doc_count_error_upper_bound": 0, "sum_other_doc_count": 0,
        "buckets": [{"key": "tag2", "doc_count": 2}, {"key": "tag1", "doc_count": 1}]}}
    assert buckets[1]["key"] == "username_2" and buckets[1]["doc_count"] == 1
    assert buckets[1]["comment_to_issue"]["doc_count"] == 1
    assert buckets[1]["comment_to_issue"]["top_tags_per_comment"]["buckets"] == [
        {"key": "tag1", "doc_count": 1}, {"key": "tag2", "doc_count": 1}]


def test_errors(es: httpx.Client, products: str) -> None:
    outside = es.post(f"/{products}/_search", json={"size": 0, "aggs": {
        "back": {"reverse_nested": {}}}})
    assert outside.status_code == 400
    assert ("Reverse nested aggregation [back] can only be used inside a [nested] "
            "aggregation") in outside.text
    not_nested = es.post(f"/{products}/_search", json={"size": 0, "aggs": {
        "n": {"nested": {"path": "name"}}}})
    assert not_nested.status_code == 400
    assert "[nested] nested path [name] is not nested" in not_nested.text
    unmapped = aggs(es, products, {"aggs": {"n": {"nested": {"path": "nothing"}}}})
    assert unmapped == {"n": {"doc_count": 0}}


def test_nested_aggregation_under_a_terms_bucket(es: httpx.Client, products: str) -> None:
    result = aggs(es, products, {"aggs": {"names": {
        "terms": {"field": "sku"},
        "aggs": {"resellers": {"nested": {"path": "resellers"},
                               "aggs": {"top": {"max": {"field": "resellers.price"}}}}}}}})
    by_id = {b["key"]: b["resellers"] for b in result["names"]["buckets"]}
    assert by_id == {"tv": {"doc_count": 2, "top": {"value": 500.0}},
                     "radio": {"doc_count": 1, "top": {"value": 20.0}}}


def test_top_hits_and_top_metrics_inside_nested(es: httpx.Client, products: str) -> None:
    result = aggs(es, products, {"query": {"match": {"name": "led tv"}}, "aggs": {
        "resellers": {"nested": {"path": "resellers"}, "aggs": {
            "cheapest": {"top_hits": {"size": 1, "sort": [{"resellers.price": "asc"}]}},
            "dearest": {"top_metrics": {"metrics": {"field": "resellers.reseller"},
                                        "sort": {"resellers.price": "desc"}}}}}}})
    hits = result["resellers"]["cheapest"]["hits"]
    assert hits["total"] == {"value": 2, "relation": "eq"}
    assert hits["hits"] == [{"_index": products, "_id": "0",
                             "_nested": {"field": "resellers", "offset": 0}, "_score": None,
                             "_source": {"reseller": "companyA", "price": 350},
                             "sort": [350.0]}]
    assert result["resellers"]["dearest"]["top"] == [
        {"sort": [500.0], "metrics": {"resellers.reseller": "companyB"}}]


def test_multi_level_nested_and_reverse_nested_to_a_path(es: httpx.Client,
                                                         index_name: str) -> None:
    create(es, index_name, {"driver": {"type": "nested", "properties": {
        "last_name": {"type": "keyword"},
        "vehicle": {"type": "nested", "properties": {"make": {"type": "keyword"}}}}}})
    es.put(f"/{index_name}/_doc/1", json={"driver": [
        {"last_name": "McQueen", "vehicle": [{"make": "Powell"}, {"make": "Mifune"}]},
        {"last_name": "Hudson", "vehicle": [{"make": "Mifune"}]}]})
    es.put(f"/{index_name}/_doc/2?refresh=true", json={"driver": [
        {"last_name": "Hudson", "vehicle": [{"make": "Powell"}]}]})
    result = aggs(es, index_name, {"aggs": {"drivers": {
        "nested": {"path": "driver"},
        "aggs": {"vehicles": {
            "nested": {"path": "driver.vehicle"},
            "aggs": {"makes": {
                "terms": {"field": "driver.vehicle.make"},
                "aggs": {"to_driver": {
                    "reverse_nested": {"path": "driver"},
                    "aggs": {"names": {"terms": {"field": "driver.last_name"}}}},
                         "to_doc": {"reverse_nested": {}}}}}}}}}})
    assert result["drivers"]["doc_count"] == 3
    vehicles = result["drivers"]["vehicles"]
    assert vehicles["doc_count"] == 4
    makes = {b["key"]: b for b in vehicles["makes"]["buckets"]}
    assert makes["Mifune"]["doc_count"] == 2
    assert makes["Mifune"]["to_driver"]["doc_count"] == 2
    assert makes["Mifune"]["to_driver"]["names"]["buckets"] == [
        {"key": "Hudson", "doc_count": 1}, {"key": "McQueen", "doc_count": 1}]
    assert makes["Mifune"]["to_doc"] == {"doc_count": 1}
    assert makes["Powell"]["to_doc"] == {"doc_count": 2}
    assert makes["Powell"]["to_driver"]["names"]["buckets"] == [
        {"key": "Hudson", "doc_count": 1}, {"key": "McQueen", "doc_count": 1}]
