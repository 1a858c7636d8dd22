"""Strict requests (issue 22), through HTTP, from the behaviour Elasticsearch documents.

- an unknown URL parameter is a 400 on every endpoint (``BaseRestHandler``'s
  ``contains unrecognized parameter``), with ``did you mean`` for close names;
- ``query_string`` / ``q=`` syntax errors are ``query_shard_exception`` 400s, lenient or not;
- ``_source``, ``_source_includes`` and ``_source_excludes`` take comma lists (and arrays);
- a bulk item without an index fails the whole request (``action_request_validation_exception``);
- a search over a pattern that matches no index has no ``aggregations``;
- ``_segments``, ``_cat/segments`` and ``_stats`` agree, before and after ``_forcemerge``;
- aggregations and sorting on a ``text`` field without ``fielddata`` are ES's 400.
"""

from __future__ import annotations

import json
import uuid

import httpx
import pytest

NDJSON = {"Content-Type": "application/x-ndjson"}


@pytest.fixture
def docs(es: httpx.Client) -> str:
    name = f"strict-{uuid.uuid4().hex[:8]}"
    assert es.put(f"/{name}", json={"mappings": {"properties": {
        "message": {"type": "text"}, "user": {"properties": {
            "id": {"type": "keyword"}, "name": {"type": "keyword"}}},
        "count": {"type": "long"}}}}).status_code == 200
    lines = []
    for i, (message, user) in enumerate([("quick brown fox", "kimchy"),
                                         ("lazy dog", "elastic"),
                                         ("brown dog", "kimchy")]):
        lines += [json.dumps({"index": {"_id": str(i + 1)}}),
                  json.dumps({"message": message, "user": {"id": user, "name": user.upper()},
                              "count": i})]
    response = es.post(f"/{name}/_bulk?refresh=true", content="\n".join(lines) + "\n",
                       headers=NDJSON)
    assert response.status_code == 200 and not response.json()["errors"]
    return name


# --- unknown URL parameters ----------------------------------------------------------------


def _error(response: httpx.Response) -> dict:
    assert response.status_code == 400, response.text
    return response.json()["error"]


def test_an_unknown_parameter_is_refused_on_every_kind_of_endpoint(es: httpx.Client,
                                                                   docs: str) -> None:
    error = _error(es.get(f"/{docs}/_search?b=1"))
    assert error["type"] == "illegal_argument_exception"
    assert error["reason"] == f"request [/{docs}/_search] contains unrecognized parameter: [b]"
    assert error["root_cause"][0]["reason"] == error["reason"]
    for method, path in [("GET", f"/{docs}/_doc/1"), ("GET", "/_cluster/health"),
                         ("GET", "/_cat/indices"), ("POST", f"/{docs}/_refresh"),
                         ("GET", f"/{docs}/_mapping"), ("GET", "/")]:
        error = _error(es.request(method, f"{path}?nonsense=true"))
        assert error["reason"] == \
            f"request [{path}] contains unrecognized parameter: [nonsense]"


def test_a_misspelt_parameter_names_the_close_ones(es: httpx.Client, docs: str) -> None:
    reason = _error(es.put(f"/{docs}/_doc/9?refersh=true", json={"a": 1}))["reason"]
    assert reason == (f"request [/{docs}/_doc/9] contains unrecognized parameter: "
                      "[refersh] -> did you mean [refresh]?")
    reason = _error(es.get(f"/{docs}/_search?sise=1&zzz=2"))["reason"]
    assert reason.startswith(f"request [/{docs}/_search] contains unrecognized parameters: "
                             "[sise] -> did you mean ")
    assert reason.endswith(", [zzz]")
    assert "[size]" in reason
    assert es.get(f"/{docs}/_doc/9").status_code == 404  # nothing was written


def test_common_and_spec_parameters_pass(es: httpx.Client, docs: str) -> None:
    response = es.get(f"/{docs}/_search?pretty&human=true&error_trace=false"
                      "&filter_path=hits.total&typed_keys=true&q=dog&size=1"
                      "&ignore_unavailable=true&allow_no_indices=true")
    assert response.status_code == 200, response.text
    assert response.json() == {"hits": {"total": {"value": 2, "relation": "eq"}}}
    assert es.get("/_cat/indices?v&h=index&s=index&format=json&bytes=kb").status_code == 200
    assert es.get(f"/{docs}/_doc/1?_source_includes=message&realtime=true&routing=x"
                  ).status_code == 200
    source = json.dumps({"query": {"match": {"message": "dog"}}})
    response = es.get(f"/{docs}/_count", params={"source": source,
                                                 "source_content_type": "application/json"})
    assert response.status_code == 200 and response.json()["count"] == 2


def test_the_web_ui_s_routes_are_not_checked(es: httpx.Client) -> None:
    response = es.get("/_dashboards/login?nextUrl=%2F_dashboards%2Fapp")
    assert response.status_code in (200, 307), response.text


# --- query_string syntax -------------------------------------------------------------------


@pytest.mark.parametrize("query", ["(quick", "quick)", '"brown fox', "AND", "message:",
                                   "[a TO", "quick AND"])
def test_query_string_syntax_errors_are_shard_failures(es: httpx.Client, docs: str,
                                                       query: str) -> None:
    for lenient in ("false", "true"):  # lenient covers values, never the syntax
        response = es.get(f"/{docs}/_search", params={"q": query, "lenient": lenient})
        error = _error(response)
        assert error["type"] == "search_phase_execution_exception"
        cause = error["root_cause"][0]
        assert cause["type"] == "query_shard_exception"
        assert cause["reason"] == f"Failed to parse query [{query}]"
        assert cause["index"] == docs
        assert cause["caused_by"]["type"] == "parse_exception"
        assert cause["caused_by"]["reason"].startswith(f"Cannot parse '{query}': ")
    body = {"query": {"query_string": {"query": "(quick"}}}
    assert _error(es.post(f"/{docs}/_search", json=body))["root_cause"][0]["type"] == \
        "query_shard_exception"


def test_lenient_ignores_values_that_do_not_fit(es: httpx.Client, docs: str) -> None:
    assert es.get(f"/{docs}/_search", params={"q": "count:abc"}).status_code == 400
    response = es.get(f"/{docs}/_search", params={"q": "count:abc", "lenient": "true"})
    assert response.status_code == 200 and response.json()["hits"]["total"]["value"] == 0


# --- _source filtering ---------------------------------------------------------------------


def _sources(es: httpx.Client, index: str, query: str) -> list[dict]:
    hit = es.get(f"/{index}/_doc/1?{query}").json()["_source"]
    searched = es.post(f"/{index}/_search?{query}", json={"query": {"ids": {"values": ["1"]}}}
                       ).json()["hits"]["hits"][0]["_source"]
    mget = es.post(f"/{index}/_mget?{query}", json={"ids": ["1"]}).json()["docs"][0]["_source"]
    return [hit, searched, mget]


def test_source_filters_take_comma_lists_and_arrays(es: httpx.Client, docs: str) -> None:
    # the get API's documented example: _source_includes=*.id&_source_excludes=entities
    for query in ("_source_includes=*.id,message", '_source_includes=["*.id","message"]',
                  "_source=message,user.id"):
        for source in _sources(es, docs, query):
            assert source == {"message": "quick brown fox", "user": {"id": "kimchy"}}, query
    for source in _sources(es, docs, "_source_excludes=user.name,count"):
        assert source == {"message": "quick brown fox", "user": {"id": "kimchy"}}
    # _source_includes wins over _source's patterns (FetchSourceContext.parseFromRestRequest)
    for source in _sources(es, docs, "_source=count&_source_includes=message"):
        assert source == {"message": "quick brown fox"}
    body = {"query": {"ids": {"values": ["1"]}}, "_source": ["user.*"]}
    hit = es.post(f"/{docs}/_search", json=body).json()["hits"]["hits"][0]
    assert hit["_source"] == {"user": {"id": "kimchy", "name": "KIMCHY"}}


# --- bulk without an index ----------------------------------------------------------------


def test_a_bulk_item_without_an_index_fails_the_whole_request(es: httpx.Client,
                                                              docs: str) -> None:
    lines = [{"index": {"_id": "a"}}, {"x": 1}, {"index": {"_index": docs, "_id": "b"}},
             {"x": 2}, {"delete": {"_id": "c"}}]
    body = "\n".join(json.dumps(line) for line in lines) + "\n"
    error = _error(es.post("/_bulk", content=body, headers=NDJSON))
    assert error["type"] == "action_request_validation_exception"
    assert error["reason"] == "Validation Failed: 1: index is missing;2: index is missing;"
    es.post(f"/{docs}/_refresh")
    assert es.get(f"/{docs}/_doc/b").status_code == 404  # nothing was written
    # with the index in the URL the same lines are fine
    response = es.post(f"/{docs}/_bulk?refresh=true", content=body, headers=NDJSON)
    assert response.status_code == 200
    assert [item[next(iter(item))]["status"] for item in response.json()["items"]] == \
        [201, 201, 404]


# --- no index, no aggregations ---------------------------------------------------------------


def test_a_pattern_matching_no_index_answers_no_aggregations(es: httpx.Client,
                                                             docs: str) -> None:
    body = {"size": 0, "aggs": {"users": {"terms": {"field": "user.id"}}}}
    empty = es.post("/no-such-index-*/_search", json=body).json()
    assert "aggregations" not in empty
    assert empty["_shards"]["total"] == 0 and empty["hits"]["total"]["value"] == 0
    found = es.post(f"/{docs}/_search", json=body).json()
    assert found["aggregations"]["users"]["buckets"][0] == {"key": "kimchy", "doc_count": 2}


# --- segments ------------------------------------------------------------------------------


def _segment_views(es: httpx.Client, index: str) -> tuple[int, int, int, int]:
    shard = es.get(f"/{index}/_segments").json()["indices"][index]["shards"]["0"][0]
    listed = es.get(f"/_cat/segments/{index}?format=json").json()
    stats = es.get(f"/{index}/_stats/segments").json()["indices"][index]["primaries"]
    docs = sum(s["num_docs"] for s in shard["segments"].values())
    assert docs == sum(int(row["docs.count"]) for row in listed)
    return len(shard["segments"]), shard["num_search_segments"], len(listed), \
        stats["segments"]["count"]


def test_segments_cat_segments_and_stats_agree_around_a_force_merge(es: httpx.Client) -> None:
    name = f"strict-seg-{uuid.uuid4().hex[:8]}"
    for i in range(4):  # one refresh per document: one segment each
        es.post(f"/{name}/_doc?refresh=true", json={"n": i})
    before = _segment_views(es, name)
    assert len(set(before)) == 1 and before[0] >= 2
    assert es.post(f"/{name}/_forcemerge?max_num_segments=1").status_code == 200
    assert _segment_views(es, name) == (1, 1, 1, 1)
    assert es.get(f"/{name}/_count").json()["count"] == 4


# --- fielddata ---------------------------------------------------------------------------

FIELDDATA_OFF = (
    "Text fields are not optimised for operations that require per-document field data like "
    "aggregations and sorting, so these operations are disabled by default. Please use a "
    "keyword field instead. Alternatively, set fielddata=true on [message] in order to load "
    "field data by uninverting the inverted index. Note that this can use significant memory.")


def test_aggregating_or_sorting_on_text_without_fielddata_is_refused(es: httpx.Client,
                                                                     docs: str) -> None:
    for body in ({"aggs": {"words": {"terms": {"field": "message"}}}},
                 {"sort": [{"message": "asc"}]}):
        error = _error(es.post(f"/{docs}/_search", json=body))
        assert error["type"] == "search_phase_execution_exception"
        assert error["root_cause"] == [{"type": "illegal_argument_exception",
                                        "reason": FIELDDATA_OFF}]


def test_fielddata_aggregates_and_sorts_on_the_analysed_tokens(es: httpx.Client) -> None:
    # the fielddata documentation's example: a text field "my_field" with fielddata enabled
    # (its multi-field example then aggregates on tokens such as "quick", "brown")
    name = f"strict-fd-{uuid.uuid4().hex[:8]}"
    assert es.put(f"/{name}", json={"mappings": {"properties": {
        "my_field": {"type": "text", "fielddata": True},
        "english": {"type": "text", "analyzer": "english", "fielddata": True}}}}
                  ).status_code == 200
    lines = []
    for i, (text, english) in enumerate([("The quick brown fox", "running dogs"),
                                         (["lazy dog", "Brown dog"], "the dog runs"),
                                         ("zebra at example.com", None)]):
        doc = {"my_field": text} if english is None else {"my_field": text, "english": english}
        lines += [json.dumps({"index": {"_id": str(i + 1)}}), json.dumps(doc)]
    response = es.post(f"/{name}/_bulk?refresh=true", content="\n".join(lines) + "\n",
                       headers=NDJSON)
    assert not response.json()["errors"], response.text
    body = {"size": 0, "aggs": {"words": {"terms": {"field": "my_field", "size": 2}},
                                "stems": {"terms": {"field": "english"}},
                                "distinct": {"cardinality": {"field": "my_field"}}}}
    aggs = es.post(f"/{name}/_search", json=body).json()["aggregations"]
    assert aggs["words"]["buckets"] == [{"key": "brown", "doc_count": 2},
                                        {"key": "at", "doc_count": 1}]  # ties: by key
    assert aggs["words"]["sum_other_doc_count"] == 7
    assert aggs["stems"]["buckets"] == [{"key": "dog", "doc_count": 2},
                                        {"key": "run", "doc_count": 2}]
    assert aggs["distinct"]["value"] == 9  # the, quick, brown, fox, lazy, dog, zebra, at, ...
    # ascending: each document's least token (ES's default mode for ascending sorts)
    hits = es.post(f"/{name}/_search", json={"sort": [{"my_field": "asc"}]}).json()
    assert [(h["_id"], h["sort"]) for h in hits["hits"]["hits"]] == \
        [("3", ["at"]), ("1", ["brown"]), ("2", ["brown"])]
    # descending: each document's greatest token (ES's default mode for descending sorts)
    hits = es.post(f"/{name}/_search", json={"sort": [{"my_field": "desc"}]}).json()
    assert [(h["_id"], h["sort"]) for h in hits["hits"]["hits"]] == \
        [("3", ["zebra"]), ("1", ["the"]), ("2", ["lazy"])]
    # full-text search on the field is unchanged
    assert es.get(f"/{name}/_count", params={"q": "my_field:brown"}).json()["count"] == 2


def test_fielddata_can_be_turned_on_later(es: httpx.Client) -> None:
    name = f"strict-fd-{uuid.uuid4().hex[:8]}"
    es.put(f"/{name}", json={"mappings": {"properties": {"msg": {"type": "text"}}}})
    assert es.put(f"/{name}/_mapping", json={"properties": {
        "msg": {"type": "text", "fielddata": True}}}).status_code == 200
    es.post(f"/{name}/_doc?refresh=true", json={"msg": "Hello there"})
    body = {"size": 0, "aggs": {"t": {"terms": {"field": "msg"}}}}
    buckets = es.post(f"/{name}/_search", json=body).json()["aggregations"]["t"]["buckets"]
    assert buckets == [{"key": "hello", "doc_count": 1}, {"key": "there", "doc_count": 1}]


def test_field_caps_call_a_fielddata_text_field_aggregatable(es: httpx.Client) -> None:
    name = f"strict-fd-{uuid.uuid4().hex[:8]}"
    es.put(f"/{name}", json={"mappings": {"properties": {
        "plain": {"type": "text"}, "tokens": {"type": "text", "fielddata": True}}}})
    fields = es.get(f"/{name}/_field_caps?fields=plain,tokens").json()["fields"]
    assert fields["plain"]["text"]["aggregatable"] is False
    assert fields["tokens"]["text"]["aggregatable"] is True
