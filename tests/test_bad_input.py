"""Every bad input is a 4xx with Elasticsearch's error type, never a 500, and nothing of a
refused request is applied: type-confused bodies, document ids, alias names, index settings.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

import httpx
import pytest

BIG = 2**70


@pytest.fixture
def idx(es: httpx.Client, index_name: str) -> str:
    response = es.put(f"/{index_name}", json={"mappings": {"properties": {
        "n": {"type": "long"}, "k": {"type": "keyword"}}}})
    assert response.status_code == 200
    assert es.put(f"/{index_name}/_doc/1?refresh=true", json={"n": 1, "k": "a"}).status_code \
        == 201
    return index_name


def _raw(es: httpx.Client, method: str, path: str, body: Any) -> httpx.Response:
    """A body as a client writes it (integers beyond 64 bits included)."""
    return es.request(method, path, content=json.dumps(body),
                      headers={"content-type": "application/json"})


def _error_type(response: httpx.Response) -> str:
    return response.json()["error"]["type"]


TYPE_CONFUSED = [
    ("PUT", "/{new}", {"settings": "x"}, "parse_exception"),
    ("PUT", "/{new}", {"mappings": "x"}, "parse_exception"),
    ("PUT", "/{new}", {"aliases": "x"}, "parse_exception"),
    ("PUT", "/{new}", {"aliases": {"a": "x"}}, "x_content_parse_exception"),
    ("POST", "/{idx}/_update/1", {"doc": "x"}, "x_content_parse_exception"),
    ("POST", "/{idx}/_update/1", {"doc": 5}, "x_content_parse_exception"),
    ("POST", "/{idx}/_update/1", {"doc": {}, "doc_as_upsert": "x"},
     "illegal_argument_exception"),
    ("POST", "/_mget", {"docs": 5}, "x_content_parse_exception"),
    ("POST", "/_mget", {"docs": [5]}, "x_content_parse_exception"),
    ("POST", "/_mget", {"ids": 5}, "x_content_parse_exception"),
    ("POST", "/{idx}/_mget", {"docs": [{"_id": "1", "_source": 5}]}, "parsing_exception"),
    ("POST", "/{idx}/_mget", {"docs": [{"_id": {}}]}, "x_content_parse_exception"),
    ("POST", "/_aliases", {"actions": [5]}, "illegal_argument_exception"),
    ("POST", "/_aliases", {"actions": [{"add": 5}]}, "x_content_parse_exception"),
    ("POST", "/_aliases", {"actions": [{"add": {"index": "{idx}", "alias": {}}}]},
     "x_content_parse_exception"),
    ("POST", "/_aliases", {"actions": [{"add": {"index": "{idx}", "alias": "x",
                                                "filter": 5}}]}, "x_content_parse_exception"),
    ("PUT", "/_cluster/settings", {"persistent": 5}, "x_content_parse_exception"),
    ("PUT", "/_cluster/settings", {"transient": "x"}, "x_content_parse_exception"),
    ("PUT", "/_template/{new}", {"index_patterns": 5}, "x_content_parse_exception"),
    ("PUT", "/_template/{new}", {"index_patterns": ["zz*"], "settings": "x"},
     "parse_exception"),
    ("PUT", "/_template/{new}", {"index_patterns": ["zz*"], "order": "x"},
     "illegal_argument_exception"),
    ("PUT", "/_index_template/{new}", {"index_patterns": ["zz*"], "template": "x"},
     "x_content_parse_exception"),
    ("PUT", "/_index_template/{new}", {"index_patterns": ["zz*"], "composed_of": 5},
     "x_content_parse_exception"),
    ("PUT", "/_component_template/{new}", {"template": {"mappings": 5}}, "parse_exception"),
    ("POST", "/_analyze", {"text": {}}, "x_content_parse_exception"),
    ("POST", "/_analyze", {"text": "x", "filter": 5}, "illegal_argument_exception"),
    ("PUT", "/{idx}/_settings", {"settings": "x"}, "x_content_parse_exception"),
    ("PUT", "/{idx}/_mapping", {"properties": 5}, "mapper_parsing_exception"),
    ("POST", "/{idx}/_search", {"search_after": [BIG], "sort": ["n"]},
     "illegal_argument_exception"),
    ("POST", "/{idx}/_search", {"aggs": {"a": {"top_hits": {"size": "x"}}}},
     "parsing_exception"),
    ("POST", "/{idx}/_search", {"aggs": {"a": {"composite": {
        "sources": [{"x": {"terms": {"field": "k"}}}], "size": "x"}}}}, "parsing_exception"),
    ("POST", "/{idx}/_search", {"aggs": {"a": {"range": {"field": "n",
                                                         "ranges": [{"from": "x"}]}}}},
     "parsing_exception"),
    ("POST", "/{idx}/_search", {"aggs": {"a": {"cardinality": {
        "field": "k", "precision_threshold": "x"}}}}, "parsing_exception"),
    ("POST", "/{idx}/_search", {"aggs": {"a": {"date_histogram": {
        "field": "n", "fixed_interval": 5}}}}, "illegal_argument_exception"),
    ("POST", "/{idx}/_search", {"query": {"wildcard": {"k": {"value": []}}}},
     "parsing_exception"),
    ("POST", "/{idx}/_search", {"query": {"prefix": {"k": {"value": {}}}}}, "parsing_exception"),
    ("POST", "/{idx}/_search", {"query": {"range": {"n": 5}}}, "parsing_exception"),
    ("POST", "/{idx}/_search", {"query": {"exists": {"field": {}}}}, "parsing_exception"),
    ("POST", "/{idx}/_search", {"sort": [{"n": {"missing": {}}}]}, "x_content_parse_exception"),
    ("POST", "/{idx}/_search", {"terminate_after": "x"}, "illegal_argument_exception"),
    ("POST", "/{idx}/_doc", {"n": BIG}, "mapper_parsing_exception"),
    ("POST", "/{idx}/_doc", {"n": 1e300}, "mapper_parsing_exception"),
    ("POST", "/{idx}/_doc", {"n": [BIG]}, "mapper_parsing_exception"),
]


@pytest.mark.parametrize(("method", "path", "body", "error"), TYPE_CONFUSED)
def test_type_confused_bodies_are_400(es: httpx.Client, idx: str, index_name: str,
                                      method: str, path: str, body: Any, error: str) -> None:
    new = f"{index_name}-new"
    body = json.loads(json.dumps(body).replace("{idx}", idx))
    response = _raw(es, method, path.format(idx=idx, new=new), body)
    assert response.status_code == 400, response.text
    assert _error_type(response) == error, response.text
    assert es.get("/").status_code == 200
    # nothing was applied: no index, template or document appeared
    assert es.head(f"/{new}").status_code == 404
    es.post(f"/{idx}/_refresh")
    assert es.get(f"/{idx}/_count").json()["count"] == 1


@pytest.mark.parametrize(("query", "error"), [
    (f"version={BIG}&version_type=external", "illegal_argument_exception"),
    (f"if_seq_no={BIG}&if_primary_term=1", "illegal_argument_exception"),
    ("version_type=bogus&version=1", "illegal_argument_exception"),
    ("refresh=bogus", "illegal_argument_exception"),
])
def test_bad_write_parameters_are_400_before_writing(es: httpx.Client, idx: str, query: str,
                                                      error: str) -> None:
    response = es.put(f"/{idx}/_doc/2?{query}", json={"n": 2})
    assert response.status_code == 400, response.text
    assert _error_type(response) == error
    assert es.get(f"/{idx}/_doc/2").status_code == 404


# --- document ids ------------------------------------------------------------------------------

def test_any_utf8_id_works_through_the_url(es: httpx.Client, idx: str) -> None:
    response = es.put(f"/{idx}/_doc/日本語-ид", json={"n": 2})
    assert response.status_code == 201, response.text
    assert response.headers["location"] == \
        f"/{idx}/_doc/%E6%97%A5%E6%9C%AC%E8%AA%9E-%D0%B8%D0%B4"
    got = es.get(f"/{idx}/_doc/日本語-ид").json()
    assert got["found"] and got["_id"] == "日本語-ид"


def test_encoded_slash_is_part_of_the_id(es: httpx.Client, idx: str) -> None:
    assert es.put(f"/{idx}/_doc/a%2Fb", json={"n": 3}).status_code == 201
    got = es.get(f"/{idx}/_doc/a%2Fb").json()
    assert got["_id"] == "a/b" and got["found"]
    assert es.post(f"/{idx}/_update/a%2Fb", json={"doc": {"n": 4}}).status_code == 200
    assert es.get(f"/{idx}/_source/a%2Fb").json() == {"n": 4}
    assert es.delete(f"/{idx}/_doc/a%2Fb").json()["result"] == "deleted"
    # a real slash is no id: ES has no such route
    assert es.put(f"/{idx}/_doc/a/b", json={"n": 3}).status_code == 400


def test_too_long_id_is_refused_before_writing(es: httpx.Client, idx: str) -> None:
    doc_id = "é" * 257  # 514 bytes
    response = es.put(f"/{idx}/_doc/{doc_id}", json={"n": 5})
    assert response.status_code == 400
    assert _error_type(response) == "action_request_validation_exception"
    assert "is too long, must be no longer than 512 bytes but was: 514" in \
        response.json()["error"]["reason"]
    assert es.put(f"/{idx}/_doc/{'é' * 256}", json={"n": 5}).status_code == 201


def _bulk(es: httpx.Client, lines: list[Any]) -> httpx.Response:
    data = "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines)
    return es.post("/_bulk?refresh=true", content=data.encode(),
                   headers={"content-type": "application/x-ndjson"})


def test_bulk_ids_each_item_checked(es: httpx.Client, idx: str) -> None:
    response = _bulk(es, [
        {"index": {"_index": idx, "_id": "日本"}}, {"n": 1},
        {"index": {"_index": idx, "_id": ""}}, {"n": 1},
        {"index": {"_index": idx, "_id": "a\u0000b"}}, {"n": 1},
        {"index": {"_index": idx, "_id": "x" * 513}}, {"n": 1},
        {"index": {"_index": idx, "_id": 7}}, {"n": 1},
    ])
    assert response.status_code == 200
    statuses = [item["index"]["status"] for item in response.json()["items"]]
    assert statuses == [201, 400, 400, 400, 201]
    assert es.get(f"/{idx}/_doc/日本").json()["found"]
    assert es.get(f"/{idx}/_doc/7").json()["found"]
    assert es.get(f"/{idx}/_count").json()["count"] == 3


@pytest.mark.parametrize("bad_id", [{}, [1]])
def test_bulk_structured_id_fails_the_request(es: httpx.Client, idx: str, bad_id: Any) -> None:
    response = _bulk(es, [{"index": {"_index": idx, "_id": "ok"}}, {"n": 1},
                          {"index": {"_index": idx, "_id": bad_id}}, {"n": 1}])
    assert response.status_code == 400
    assert "expected a simple value for field [_id]" in response.json()["error"]["reason"]
    assert es.get(f"/{idx}/_doc/ok").status_code == 404


# --- alias names -------------------------------------------------------------------------------

BAD_ALIASES = ["../x", "_x", "-x", "+x", "a#b", "a:b", "a\\b", "a/b", "a*b", "a?b", 'a"b',
               "a<b", "a>b", "a|b", "a b", "a,b", ".", "..", "x" * 256]


@pytest.mark.parametrize("alias", BAD_ALIASES)
def test_bad_alias_names_are_refused_everywhere(es: httpx.Client, idx: str, index_name: str,
                                                alias: str) -> None:
    answers = [
        es.post("/_aliases", json={"actions": [{"add": {"index": idx, "alias": alias}}]}),
        es.put(f"/{index_name}-new", json={"aliases": {alias: {}}}),
        es.put(f"/_index_template/{index_name}", json={
            "index_patterns": [f"{index_name}-t*"], "template": {"aliases": {alias: {}}}}),
        es.put(f"/_template/{index_name}", json={
            "index_patterns": [f"{index_name}-l*"], "aliases": {alias: {}}}),
    ]
    if "/" not in alias and alias not in (".", ".."):  # those would be another path
        answers.append(es.put(f"/{idx}/_alias/{quote(alias, safe='')}"))
    for response in answers:
        assert response.status_code == 400, response.text
        assert _error_type(response) == "invalid_alias_name_exception", response.text
    assert es.get(f"/{idx}/_alias").json() == {idx: {"aliases": {}}}
    assert es.head(f"/{index_name}-new").status_code == 404


# --- index settings ----------------------------------------------------------------------------

@pytest.mark.parametrize(("settings", "reason"), [
    ({"max_result_window": "abc"},
     "Failed to parse value [abc] for setting [index.max_result_window]"),
    ({"max_result_window": 0},
     "Failed to parse value [0] for setting [index.max_result_window] must be >= 1"),
    ({"number_of_replicas": -1},
     "Failed to parse value [-1] for setting [index.number_of_replicas] must be >= 0"),
    ({"search": {"idle": {"after": "abc"}}},
     "failed to parse setting [index.search.idle.after] with value [abc] as a time value"),
    ({"hidden": "maybe"}, "Failed to parse value [maybe] as only [true] or [false]"),
])
def test_bad_index_settings_are_refused_and_never_stored(
        es: httpx.Client, idx: str, index_name: str, settings: dict[str, Any],
        reason: str) -> None:
    created = es.put(f"/{index_name}-new", json={"settings": settings})
    assert created.status_code == 400, created.text
    assert _error_type(created) == "illegal_argument_exception"
    assert reason in created.json()["error"]["reason"]
    assert es.head(f"/{index_name}-new").status_code == 404
    before = es.get(f"/{idx}/_settings").json()
    updated = es.put(f"/{idx}/_settings", json={"index": settings})
    assert updated.status_code == 400, updated.text
    assert reason in updated.json()["error"]["reason"]
    assert es.get(f"/{idx}/_settings").json() == before


@pytest.mark.parametrize("query", ["scroll_size=-1", "max_docs=-5"])
def test_bad_by_query_parameters_are_400(es: httpx.Client, idx: str, query: str) -> None:
    response = es.post(f"/{idx}/_delete_by_query?{query}", json={"query": {"match_all": {}}})
    assert response.status_code == 400, response.text
    assert es.get(f"/{idx}/_count").json()["count"] == 1


def test_top_level_field_starting_with_dash_is_400_and_harmless(es: httpx.Client, idx: str,
                                                                 index_name: str) -> None:
    # tantivy refuses a field path starting with "-" (a panic, and a mapping that kept it)
    response = es.post(f"/{idx}/_doc", json={"-a": 1})
    assert response.status_code == 400, response.text
    assert _error_type(response) == "mapper_parsing_exception"
    mapped = es.put(f"/{index_name}-new", json={"mappings": {"properties": {"-x": {
        "type": "keyword"}}}})
    assert mapped.status_code == 400 and _error_type(mapped) == "mapper_parsing_exception"
    assert es.post(f"/{idx}/_doc?refresh=true", json={"a": {"-b": 1}}).status_code == 201
    assert es.get(f"/{idx}/_count").json()["count"] == 2
