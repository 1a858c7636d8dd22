"""Query DSL clauses over HTTP, as data: each case is a query and the ids it must match."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from searchdata import WEB_DOCS, WEB_MAPPING, ids, load


@pytest.fixture(scope="module")
def web(server: Any) -> Iterator[tuple[httpx.Client, str]]:
    name = f"web-{uuid.uuid4().hex[:8]}"
    with httpx.Client(base_url=server.url, timeout=30) as client:
        load(client, name, WEB_DOCS, WEB_MAPPING)
        yield client, name


ALL = ["1", "2", "3", "4", "5", "6", "7", "8"]

CASES: list[tuple[str, dict[str, Any], list[str]]] = [
    ("match_all", {"match_all": {}}, ALL),
    ("match_none", {"match_none": {}}, []),
    ("match text", {"match": {"message": "fox"}}, ["1", "3"]),
    ("match or", {"match": {"message": "quick fox"}}, ["1", "3", "4", "7"]),
    ("match and", {"match": {"message": {"query": "quick fox", "operator": "and"}}},
     ["1", "3"]),
    ("match msm", {"match": {"message": {"query": "quick brown dog",
                                         "minimum_should_match": "2"}}}, ["1", "2"]),
    ("match fuzziness", {"match": {"message": {"query": "foxs", "fuzziness": "AUTO"}}},
     ["1", "3", "7"]),
    ("match zero terms all", {"match": {"message": {"query": "!!!",
                                                    "zero_terms_query": "all"}}}, ALL),
    ("match zero terms none", {"match": {"message": "!!!"}}, []),
    ("match keyword exact", {"match": {"action": "BLOCK"}}, ["2", "3", "7"]),
    ("match keyword case", {"match": {"action": "block"}}, []),
    ("match lowercase normalizer", {"match": {"country": "US"}}, ["1", "3", "5"]),
    ("match integer", {"match": {"status": "403"}}, ["2", "3"]),
    ("match_phrase", {"match_phrase": {"message": "quick brown"}}, ["1"]),
    ("match_phrase no slop", {"match_phrase": {"message": "quick fox"}}, ["3"]),
    ("match_phrase slop", {"match_phrase": {"message": {"query": "quick fox", "slop": 1}}},
     ["1", "3"]),
    ("match_phrase_prefix", {"match_phrase_prefix": {"message": "quick fo"}}, ["3", "7"]),
    ("match_bool_prefix", {"match_bool_prefix": {"message": "brown fo"}},
     ["1", "2", "3", "7"]),
    ("multi_match", {"multi_match": {"query": "firefox", "fields": ["message", "action"]}},
     ["1", "3"]),
    ("multi_match pattern", {"multi_match": {"query": "alice", "fields": ["user.*"]}}, ["1"]),
    ("multi_match boost", {"multi_match": {"query": "firefox", "fields": ["message^3"]}},
     ["1", "3"]),
    ("multi_match phrase", {"multi_match": {"query": "brown dog", "type": "phrase",
                                            "fields": ["message"]}}, ["2"]),
    ("multi_match phrase_prefix", {"multi_match": {"query": "lazy d", "type": "phrase_prefix",
                                                   "fields": ["message"]}}, ["6"]),
    ("multi_match most_fields", {"multi_match": {"query": "dog", "type": "most_fields",
                                                 "fields": ["message", "action"]}}, ["2", "6"]),
    ("multi_match cross_fields", {"multi_match": {"query": "quick fox", "type": "cross_fields",
                                                  "operator": "and",
                                                  "fields": ["message"]}}, ["1", "3"]),
    ("query_string and", {"query_string": {"query": "action:BLOCK AND status:403"}},
     ["2", "3"]),
    ("query_string default_field", {"query_string": {"query": "fox OR dog",
                                                     "default_field": "message"}},
     ["1", "2", "3", "6"]),
    ("query_string not", {"query_string": {"query": "message:quick -action:ALLOW"}},
     ["3", "7"]),
    ("query_string range", {"query_string": {"query": "status:[300 TO 500}"}},
     ["2", "3", "6"]),
    ("query_string wildcard", {"query_string": {"query": "user.name:a*"}}, ["1"]),
    ("query_string phrase", {"query_string": {"query": 'message:"brown dog"'}}, ["2"]),
    ("query_string all fields", {"query_string": {"query": "firefox"}}, ["1", "3"]),
    ("query_string comparison", {"query_string": {"query": "bytes:>1000"}}, ["4"]),
    ("query_string exists", {"query_string": {"query": "_exists_:latency"}},
     ["1", "2", "3", "4", "5"]),
    ("query_string date", {"query_string": {"query": "@timestamp:[2024-01-02 TO 2024-01-02]"}},
     ["3", "4"]),
    ("simple_query_string or", {"simple_query_string": {"query": "fox | dog",
                                                        "fields": ["message"]}},
     ["1", "2", "3", "6"]),
    ("simple_query_string and", {"simple_query_string": {"query": "quick + fox",
                                                         "fields": ["message"]}}, ["1", "3"]),
    ("simple_query_string phrase", {"simple_query_string": {"query": '"lazy dog"'}}, ["6"]),
    ("simple_query_string prefix", {"simple_query_string": {"query": "fox*",
                                                            "fields": ["message"]}},
     ["1", "3", "7"]),
    ("term keyword", {"term": {"action": "BLOCK"}}, ["2", "3", "7"]),
    ("term normalizer", {"term": {"country": "US"}}, ["1", "3", "5"]),
    ("term on text is not analysed", {"term": {"message": "Quick"}}, []),
    ("term on text token", {"term": {"message": "quick"}}, ["1", "3", "4", "7"]),
    ("term integer", {"term": {"status": 200}}, ["1", "4"]),
    ("term double", {"term": {"latency": 1.5}}, ["2"]),
    ("term boolean", {"term": {"secure": True}}, ["1", "3", "4"]),
    ("term ip", {"term": {"client_ip": "10.0.0.1"}}, ["1"]),
    ("term ip cidr", {"term": {"client_ip": "10.0.0.0/8"}}, ["1", "2", "5"]),
    ("term ipv6 cidr", {"term": {"client_ip": "2001:db8::/32"}}, ["4"]),
    ("term date is its whole day", {"term": {"@timestamp": "2024-01-02"}}, ["3", "4"]),
    ("term object leaf", {"term": {"user.name": {"value": "bob"}}}, ["2"]),
    ("term array value", {"term": {"tags": "prod"}}, ["1", "4"]),
    ("term case_insensitive", {"term": {"action": {"value": "block",
                                                   "case_insensitive": True}}},
     ["2", "3", "7"]),
    ("term unknown field", {"term": {"nope": "x"}}, []),
    ("terms keyword", {"terms": {"action": ["ALLOW", "COUNT"]}}, ["1", "4", "5", "6"]),
    ("terms integer", {"terms": {"status": [403, 500]}}, ["2", "3", "5"]),
    ("terms_set field", {"terms_set": {"message": {
        "terms": ["quick", "fox", "brown"], "minimum_should_match_field": "required"}}},
     ["1", "2"]),
    ("terms_set script", {"terms_set": {"message": {
        "terms": ["quick", "fox", "brown"],
        "minimum_should_match_script": {"source": "params.num_terms"}}}}, ["1"]),
    ("range integer", {"range": {"status": {"gte": 300, "lt": 500}}}, ["2", "3", "6"]),
    ("range long", {"range": {"bytes": {"gt": 100, "lte": 1000}}}, ["1", "2", "6"]),
    ("range double", {"range": {"latency": {"gte": 1.5}}}, ["2", "3", "5"]),
    ("range date", {"range": {"@timestamp": {"gte": "2024-01-02"}}}, ["3", "4", "5", "6"]),
    ("range date lt", {"range": {"@timestamp": {"lt": "2024-01-02"}}}, ["1", "2"]),
    ("range date day", {"range": {"@timestamp": {"gte": "2024-01-01", "lte": "2024-01-01"}}},
     ["1", "2"]),
    ("range date gt rounds up", {"range": {"@timestamp": {"gt": "2024-01-02"}}}, ["5", "6"]),
    ("range date format", {"range": {"@timestamp": {"gte": "02/01/2024",
                                                     "format": "dd/MM/yyyy"}}},
     ["3", "4", "5", "6"]),
    ("range date math anchor", {"range": {"@timestamp": {"gte": "2024-01-01||+1d"}}},
     ["3", "4", "5", "6"]),
    ("range date rounding", {"range": {"@timestamp": {"gte": "2024-01-02T15:00:00||/d",
                                                       "lte": "2024-01-02T01:00:00||/d"}}},
     ["3", "4"]),
    ("range time_zone", {"range": {"@timestamp": {"gte": "2024-01-01T07:00:00",
                                                   "time_zone": "+01:00"}}},
     ["2", "3", "4", "5", "6"]),
    ("range now", {"range": {"@timestamp": {"gte": "now-1d/d"}}}, []),
    ("range before now", {"range": {"@timestamp": {"lte": "now"}}},
     ["1", "2", "3", "4", "5", "6"]),
    ("range keyword", {"range": {"action": {"gte": "B", "lt": "C"}}}, ["2", "3", "7"]),
    ("range ip", {"range": {"client_ip": {"gte": "10.0.0.0", "lte": "10.0.0.255"}}},
     ["1", "2"]),
    ("range object leaf", {"range": {"user.age": {"gte": 30}}}, ["1", "2", "4", "5"]),
    ("exists", {"exists": {"field": "latency"}}, ["1", "2", "3", "4", "5"]),
    ("exists text", {"exists": {"field": "message"}}, ["1", "2", "3", "4", "5", "6", "7"]),
    ("exists object", {"exists": {"field": "user"}}, ["1", "2", "3", "4", "5", "6"]),
    ("exists empty array", {"exists": {"field": "tags"}}, ["1", "2", "3", "4"]),
    ("exists unknown", {"exists": {"field": "nope"}}, []),
    ("prefix keyword", {"prefix": {"action": "BL"}}, ["2", "3", "7"]),
    ("prefix text", {"prefix": {"message": "fir"}}, ["1", "3"]),
    ("prefix object leaf", {"prefix": {"user.name": {"value": "ca"}}}, ["3"]),
    ("wildcard keyword", {"wildcard": {"action": "*OW"}}, ["1", "4", "6"]),
    ("wildcard single char", {"wildcard": {"message": "fo?"}}, ["1", "3"]),
    ("wildcard text normalised", {"wildcard": {"message": {"value": "FOX*"}}},
     ["1", "3", "7"]),
    ("wildcard keyword subfield", {"wildcard": {"message.keyword": "*lazy*"}}, ["6"]),
    ("regexp keyword", {"regexp": {"action": "B.*K"}}, ["2", "3", "7"]),
    ("regexp optional group", {"regexp": {"message": "fox(es)?"}}, ["1", "3", "7"]),
    ("regexp class", {"regexp": {"message": "[a-c]url"}}, ["4"]),
    ("fuzzy transposition", {"fuzzy": {"message": "dgo"}}, ["2", "6"]),
    ("fuzzy keyword", {"fuzzy": {"user.name": {"value": "alise"}}}, ["1"]),
    ("ids", {"ids": {"values": ["1", "3", "99"]}}, ["1", "3"]),
    ("bool must filter", {"bool": {"must": [{"match": {"message": "fox"}}],
                                   "filter": [{"term": {"action": "BLOCK"}}]}}, ["3"]),
    ("bool should", {"bool": {"should": [{"term": {"action": "ALLOW"}},
                                         {"term": {"action": "COUNT"}}]}},
     ["1", "4", "5", "6"]),
    ("bool must_not only", {"bool": {"must_not": {"term": {"action": "ALLOW"}}}},
     ["2", "3", "5", "7", "8"]),
    ("bool minimum_should_match", {"bool": {"should": [
        {"term": {"status": 200}}, {"term": {"secure": True}}, {"term": {"tags": "prod"}}],
        "minimum_should_match": 2}}, ["1", "4"]),
    ("bool minimum_should_match percent", {"bool": {"should": [
        {"term": {"status": 200}}, {"term": {"secure": True}}, {"term": {"tags": "prod"}}],
        "minimum_should_match": "67%"}}, ["1", "4"]),
    ("bool nested", {"bool": {
        "must": [{"bool": {"should": [{"term": {"action": "BLOCK"}},
                                      {"term": {"action": "COUNT"}}]}}],
        "must_not": [{"term": {"status": 403}}]}}, ["5", "7"]),
    ("bool empty", {"bool": {}}, ALL),
    ("constant_score", {"constant_score": {"filter": {"term": {"action": "ALLOW"}}}},
     ["1", "4", "6"]),
    ("dis_max", {"dis_max": {"queries": [{"term": {"action": "COUNT"}},
                                         {"match": {"message": "dog"}}]}}, ["2", "5", "6"]),
    ("boosting", {"boosting": {"positive": {"match": {"message": "quick"}},
                               "negative": {"term": {"action": "BLOCK"}},
                               "negative_boost": 0.1}}, ["1", "3", "4", "7"]),
    ("_index", {"term": {"_index": "no-such-index"}}, []),
]


@pytest.mark.parametrize(("query", "expected"), [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_query_matches(web: tuple[httpx.Client, str], query: dict[str, Any],
                       expected: list[str]) -> None:
    client, index = web
    response = client.post(f"/{index}/_search", json={"query": query, "size": 100})
    assert sorted(ids(response)) == expected
    assert response.json()["hits"]["total"] == {"value": len(expected), "relation": "eq"}


def test_bm25_prefers_shorter_documents(web: tuple[httpx.Client, str]) -> None:
    client, index = web
    response = client.post(f"/{index}/_search", json={"query": {"match": {"message": "dog"}}})
    hits = response.json()["hits"]
    assert ids(response) == ["6", "2"]
    assert hits["max_score"] == hits["hits"][0]["_score"] > hits["hits"][1]["_score"] > 0


def test_scores_of_filters_constant_score_and_boosting(web: tuple[httpx.Client, str]) -> None:
    client, index = web
    constant = client.post(f"/{index}/_search", json={"query": {"constant_score": {
        "filter": {"term": {"action": "ALLOW"}}, "boost": 2.5}}}).json()["hits"]["hits"]
    assert {h["_score"] for h in constant} == {2.5}
    filtered = client.post(f"/{index}/_search", json={"query": {"bool": {
        "filter": {"term": {"action": "ALLOW"}}}}}).json()["hits"]["hits"]
    assert {h["_score"] for h in filtered} == {0.0}
    boosted = client.post(f"/{index}/_search", json={"query": {"boosting": {
        "positive": {"match": {"message": "quick"}}, "negative": {"term": {"action": "BLOCK"}},
        "negative_boost": 0.1}}})
    assert set(ids(boosted)[:2]) == {"1", "4"} and set(ids(boosted)[2:]) == {"3", "7"}
    weighted = client.post(f"/{index}/_search", json={"query": {"multi_match": {
        "query": "firefox admin", "fields": ["message", "tags^10"]}}})
    assert ids(weighted)[0] == "3"


def test_index_field_in_queries(web: tuple[httpx.Client, str]) -> None:
    client, index = web
    for query in ({"term": {"_index": index}}, {"terms": {"_id": ["2"]}},
                  {"prefix": {"_index": index[:4]}}):
        assert ids(client.post(f"/{index}/_search", json={"query": query, "size": 20}))


@pytest.mark.parametrize(("query", "reason"), [
    ({"foo": {"field": "x"}}, "unknown query [foo]"),
    ({"has_child": {"type": "answer", "query": {"match_all": {}}}},
     "[has_child] queries are not supported by Loghaven"),
    ({"match": {"message": "a", "action": "b"}},
     "[match] query doesn't support multiple fields, found [message] and [action]"),
    ({"bool": {"must": [{"match_all": {}}], "oops": []}}, "[bool] query does not support [oops]"),
    ({"match_all": {}, "term": {"a": 1}}, "[match_all] malformed query, expected [END_OBJECT] "
                                          "but found [FIELD_NAME] [term]"),
])
def test_malformed_queries_are_parsing_errors(web: tuple[httpx.Client, str],
                                              query: dict[str, Any], reason: str) -> None:
    client, index = web
    response = client.post(f"/{index}/_search", json={"query": query})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["type"] == "parsing_exception" and error["reason"] == reason
    assert error["root_cause"][0]["type"] == "parsing_exception"


def test_bad_value_for_field_type_is_a_shard_error(web: tuple[httpx.Client, str]) -> None:
    client, index = web
    response = client.post(f"/{index}/_search", json={"query": {"term": {"status": "abc"}}})
    assert response.status_code == 400
    body = response.json()
    assert body["error"]["type"] == "search_phase_execution_exception"
    assert body["error"]["root_cause"][0]["type"] == "query_shard_exception"
    lenient = client.post(f"/{index}/_search", json={"query": {"query_string": {
        "query": "abc", "fields": ["status", "action"], "lenient": True}}})
    assert lenient.status_code == 200 and ids(lenient) == []


def test_should_with_zero_minimum_still_needs_one_match(web: tuple[httpx.Client, str]) -> None:
    client, index = web
    response = client.post(f"/{index}/_search", json={"query": {"bool": {
        "should": [{"term": {"action": "COUNT"}}], "minimum_should_match": 0}}})
    assert ids(response) == ["5"]


# Words that ES's standard tokenizer keeps whole, as users search for them.
COMPOUND_DOCS = {
    "1": {"msg": "GET https://api.example.com/index.html from 192.168.1.1 (x86_64)"},
    "2": {"msg": "example com index html 192 168"},
    "3": {"msg": "user don't care: 1,000 rows at 10.0.0.7"},
}


@pytest.fixture(scope="module")
def compound(server: Any) -> Iterator[tuple[httpx.Client, str]]:
    name = f"words-{uuid.uuid4().hex[:8]}"
    with httpx.Client(base_url=server.url, timeout=30) as client:
        load(client, name, COMPOUND_DOCS)
        yield client, name


@pytest.mark.parametrize(("query", "expected"), [
    ({"match": {"msg": "api.example.com"}}, ["1"]),
    ({"match": {"msg": "example"}}, ["2"]),
    ({"match": {"msg": "192.168.1.1"}}, ["1"]),
    ({"match_phrase": {"msg": "index.html from 192.168.1.1"}}, ["1"]),
    ({"match": {"msg": "X86_64 DON'T"}}, ["1", "3"]),
    ({"term": {"msg": "1,000"}}, ["3"]),
    ({"term": {"msg": {"value": "API.example.com", "case_insensitive": True}}}, ["1"]),
    ({"terms": {"msg": ["don't", "192.168.1.1"]}}, ["1", "3"]),
    ({"prefix": {"msg": "api.exa"}}, ["1"]),
    ({"wildcard": {"msg": "*.html"}}, ["1"]),
    ({"regexp": {"msg": "10\\.0\\..*"}}, ["3"]),
    ({"fuzzy": {"msg": "10.0.0.8"}}, ["3"]),
    ({"query_string": {"query": "msg:\"192.168.1.1\" OR msg:api.example.com"}}, ["1"]),
])
def test_compound_words_are_single_terms(compound: tuple[httpx.Client, str],
                                         query: dict[str, Any], expected: list[str]) -> None:
    client, index = compound
    assert ids(client.post(f"/{index}/_search", json={"query": query})) == expected


def test_compound_words_show_as_written(compound: tuple[httpx.Client, str]) -> None:
    client, index = compound
    hit = client.post(f"/{index}/_search", json={
        "query": {"match": {"msg": "api.example.com x86_64"}}, "fields": ["msg"],
        "highlight": {"fields": {"msg": {}}}}).json()["hits"]["hits"][0]
    assert hit["highlight"]["msg"] == [
        "GET https://<em>api.example.com</em>/index.html from 192.168.1.1 (<em>x86_64</em>)"]
    assert hit["fields"]["msg"] == [COMPOUND_DOCS["1"]["msg"]]
    tokens = client.post(f"/{index}/_analyze", json={"field": "msg", "text": "at 10.0.0.7"})
    assert [(t["token"], t["start_offset"], t["end_offset"]) for t in tokens.json()["tokens"]] \
        == [("at", 0, 2), ("10.0.0.7", 3, 11)]


def test_a_keyword_term_scores_every_match_alike(es: httpx.Client, index_name: str) -> None:
    """ES indexes keywords with ``index_options: docs`` and no norms: how often a value
    repeats in a document's array, or what else is there, does not change its score."""
    es.put(f"/{index_name}", json={"mappings": {"properties": {"tag": {"type": "keyword"}}}})
    for doc_id, tags in {"1": "a", "2": ["a", "a"], "3": ["a", "b", "c"], "4": "b"}.items():
        es.put(f"/{index_name}/_doc/{doc_id}", json={"tag": tags})
    es.post(f"/{index_name}/_refresh")
    hits = es.post(f"/{index_name}/_search", json={
        "query": {"term": {"tag": "a"}}}).json()["hits"]["hits"]
    assert sorted(h["_id"] for h in hits) == ["1", "2", "3"]
    assert len({h["_score"] for h in hits}) == 1
