"""Mapping features met in real templates, each checked with the Elasticsearch documentation's
own example (request and documented answer): ``copy_to``, ``ignore_above``, ``null_value``,
``index: false``, ``doc_values: false``, multi-fields, field collapsing with ``inner_hits``,
and ``runtime_mappings``."""

from __future__ import annotations

from typing import Any

import httpx
import pytest


def _create(es: httpx.Client, index: str, mappings: dict[str, Any]) -> None:
    response = es.put(f"/{index}", json={"mappings": mappings})
    assert response.status_code == 200, response.text


def _docs(es: httpx.Client, index: str, docs: dict[str, dict[str, Any]]) -> None:
    for doc_id, source in docs.items():
        response = es.put(f"/{index}/_doc/{doc_id}", json=source)
        assert response.status_code == 201, response.text
    es.post(f"/{index}/_refresh")


def _search(es: httpx.Client, index: str, body: dict[str, Any], status: int = 200
            ) -> dict[str, Any]:
    response = es.post(f"/{index}/_search", json=body)
    assert response.status_code == status, response.text
    return response.json()


def _ids(answer: dict[str, Any]) -> list[str]:
    return [hit["_id"] for hit in answer["hits"]["hits"]]


# --- copy_to (docs: mapping-params copy-to) ----------------------------------------------------

def test_copy_to_groups_first_and_last_name(es: httpx.Client, index_name: str) -> None:
    _create(es, index_name, {"properties": {
        "first_name": {"type": "text", "copy_to": "full_name"},
        "last_name": {"type": "text", "copy_to": "full_name"},
        "full_name": {"type": "text"}}})
    _docs(es, index_name, {"1": {"first_name": "John", "last_name": "Smith"}})
    answer = _search(es, index_name, {"query": {"match": {
        "full_name": {"query": "John Smith", "operator": "and"}}}})
    assert _ids(answer) == ["1"]
    # the original _source is not modified to show the copied values
    assert answer["hits"]["hits"][0]["_source"] == {"first_name": "John", "last_name": "Smith"}
    assert _ids(_search(es, index_name, {"query": {"match": {"first_name": "John"}}})) == ["1"]
    # the fields API returns the values copied into a field (ES 7.10+, elastic/elasticsearch#61309)
    answer = _search(es, index_name, {"fields": ["full_name"]})
    assert answer["hits"]["hits"][0]["fields"] == {"full_name": ["John", "Smith"]}


def test_copy_to_several_targets_and_keyword(es: httpx.Client, index_name: str) -> None:
    """``copy_to`` as a list; the target indexes the value by its own mapping (a keyword
    target aggregates the copied values)."""
    _create(es, index_name, {"properties": {
        "first_name": {"type": "text", "copy_to": ["full_name", "names"]},
        "last_name": {"type": "text", "copy_to": ["full_name", "names"]},
        "full_name": {"type": "text"}, "names": {"type": "keyword"}}})
    _docs(es, index_name, {"1": {"first_name": "John", "last_name": "Smith"},
                           "2": {"first_name": "Jane", "last_name": "Smith"}})
    answer = _search(es, index_name, {"size": 0, "aggs": {"n": {"terms": {"field": "names"}}}})
    buckets = {b["key"]: b["doc_count"] for b in answer["aggregations"]["n"]["buckets"]}
    assert buckets == {"Smith": 2, "John": 1, "Jane": 1}
    assert _ids(_search(es, index_name, {"query": {"term": {"names": "Jane"}}})) == ["2"]


def test_copy_to_on_a_multi_field_is_refused(es: httpx.Client, index_name: str) -> None:
    response = es.put(f"/{index_name}", json={"mappings": {"properties": {
        "a": {"type": "text", "fields": {"raw": {"type": "keyword", "copy_to": "b"}}},
        "b": {"type": "keyword"}}}})
    assert response.status_code == 400
    assert response.json()["error"]["type"] == "mapper_parsing_exception"
    assert "copy_to" in response.json()["error"]["reason"]


# --- ignore_above (docs: mapping-params ignore-above) -----------------------------------------

def test_ignore_above_indexes_short_values_only(es: httpx.Client, index_name: str) -> None:
    _create(es, index_name, {"properties": {"message": {"type": "keyword", "ignore_above": 20}}})
    _docs(es, index_name, {"1": {"message": "Syntax error"},
                           "2": {"message": "Syntax error with some long stacktrace"}})
    answer = _search(es, index_name, {"aggs": {"messages": {"terms": {"field": "message"}}}})
    # both documents are returned; only the short value is indexed and aggregated
    assert sorted(_ids(answer)) == ["1", "2"]
    assert answer["aggregations"]["messages"]["buckets"] == [
        {"key": "Syntax error", "doc_count": 1}]
    long_value = "Syntax error with some long stacktrace"
    assert _ids(_search(es, index_name, {"query": {"term": {"message": long_value}}})) == []


# --- null_value (docs: mapping-params null-value) ---------------------------------------------

def test_null_value_replaces_explicit_null(es: httpx.Client, index_name: str) -> None:
    _create(es, index_name, {"properties": {"status_code": {"type": "keyword",
                                                            "null_value": "NULL"}}})
    _docs(es, index_name, {"1": {"status_code": None}, "2": {"status_code": []}})
    # a query for NULL returns document 1 but not document 2 (an empty array holds no null)
    answer = _search(es, index_name, {"query": {"term": {"status_code": "NULL"}}})
    assert _ids(answer) == ["1"]
    assert answer["hits"]["hits"][0]["_source"] == {"status_code": None}


def test_null_value_in_arrays_and_numbers(es: httpx.Client, index_name: str) -> None:
    _create(es, index_name, {"properties": {
        "tags": {"type": "keyword", "null_value": "NULL"},
        "price": {"type": "float", "null_value": 0.0}}})
    _docs(es, index_name, {"1": {"tags": ["a", None], "price": None}, "2": {"tags": ["b"]}})
    assert _ids(_search(es, index_name, {"query": {"term": {"tags": "NULL"}}})) == ["1"]
    assert _ids(_search(es, index_name, {"query": {"term": {"price": 0}}})) == ["1"]


def test_null_value_of_the_wrong_type_is_refused(es: httpx.Client, index_name: str) -> None:
    response = es.put(f"/{index_name}", json={"mappings": {"properties": {
        "n": {"type": "long", "null_value": "abc"}}}})
    assert response.status_code == 400
    assert response.json()["error"]["type"] == "mapper_parsing_exception"


# --- index: false / doc_values: false (docs: mapping-index, doc-values) -----------------------

def test_query_on_a_field_not_indexed_nor_with_doc_values(es: httpx.Client,
                                                          index_name: str) -> None:
    _create(es, index_name, {"properties": {
        "note": {"type": "text", "index": False},
        "session": {"type": "keyword", "index": False, "doc_values": False}}})
    _docs(es, index_name, {"1": {"note": "hello world", "session": "abc"}})
    for query in ({"match": {"note": "hello"}}, {"term": {"session": "abc"}}):
        error = _search(es, index_name, {"query": query}, 400)["error"]
        field = next(iter(next(iter(query.values()))))
        assert error["root_cause"][0]["type"] == "query_shard_exception"
        assert error["root_cause"][0]["reason"] == (
            f"failed to create query: Cannot search on field [{field}] since it is not indexed.")
    # the document is still there, with its _source
    assert _search(es, index_name, {})["hits"]["hits"][0]["_source"]["note"] == "hello world"


def test_index_false_keeps_doc_values_for_queries_sort_and_aggs(es: httpx.Client,
                                                                index_name: str) -> None:
    """ES: a numeric, keyword or date field with ``index: false`` but doc values can still
    be queried (slower, from doc values), sorted and aggregated."""
    _create(es, index_name, {"properties": {
        "code": {"type": "keyword", "index": False},
        "bytes": {"type": "long", "index": False}}})
    _docs(es, index_name, {"1": {"code": "a", "bytes": 10}, "2": {"code": "b", "bytes": 20}})
    assert _ids(_search(es, index_name, {"query": {"term": {"code": "b"}}})) == ["2"]
    assert _ids(_search(es, index_name, {"query": {"range": {"bytes": {"gte": 15}}}})) == ["2"]
    assert _ids(_search(es, index_name, {"sort": [{"bytes": "desc"}]})) == ["2", "1"]
    answer = _search(es, index_name, {"size": 0, "aggs": {"c": {"terms": {"field": "code"}}}})
    assert [b["key"] for b in answer["aggregations"]["c"]["buckets"]] == ["a", "b"]


def test_doc_values_false_still_searchable_but_not_aggregatable(es: httpx.Client,
                                                                 index_name: str) -> None:
    _create(es, index_name, {"properties": {
        "status_code": {"type": "keyword"},
        "session_id": {"type": "keyword", "doc_values": False}}})
    _docs(es, index_name, {"1": {"status_code": "200", "session_id": "s1"}})
    assert _ids(_search(es, index_name, {"query": {"term": {"session_id": "s1"}}})) == ["1"]
    error = _search(es, index_name, {"aggs": {"s": {"terms": {"field": "session_id"}}}},
                    400)["error"]
    assert error["root_cause"][0]["type"] == "illegal_argument_exception"
    assert error["root_cause"][0]["reason"] == (
        "Can't load fielddata on [session_id] because fielddata is unsupported on fields of "
        "type [keyword]. Use doc values instead.")
    error = _search(es, index_name, {"sort": ["session_id"]}, 400)["error"]
    assert error["root_cause"][0]["reason"] == (
        "Can't load fielddata on [session_id] because fielddata is unsupported on fields of "
        "type [keyword]. Use doc values instead.")


# --- multi-fields (docs: multi-fields) ---------------------------------------------------------

def test_multi_fields_sort_and_aggregate_on_raw(es: httpx.Client, index_name: str) -> None:
    _create(es, index_name, {"properties": {"city": {
        "type": "text", "fields": {"raw": {"type": "keyword"}}}}})
    _docs(es, index_name, {"1": {"city": "New York"}, "2": {"city": "York"}})
    answer = _search(es, index_name, {
        "query": {"match": {"city": "york"}}, "sort": {"city.raw": "asc"},
        "aggs": {"Cities": {"terms": {"field": "city.raw"}}}})
    assert _ids(answer) == ["1", "2"]
    assert [h["sort"] for h in answer["hits"]["hits"]] == [["New York"], ["York"]]
    assert [b["key"] for b in answer["aggregations"]["Cities"]["buckets"]] == ["New York", "York"]


def test_multi_fields_with_their_own_analyzer(es: httpx.Client, index_name: str) -> None:
    _create(es, index_name, {"properties": {"text": {
        "type": "text", "fields": {"english": {"type": "text", "analyzer": "english"}}}}})
    _docs(es, index_name, {"1": {"text": "quick brown fox"}, "2": {"text": "quick brown foxes"}})
    answer = _search(es, index_name, {"query": {"multi_match": {
        "query": "quick brown foxes", "fields": ["text", "text.english"],
        "type": "most_fields"}}})
    assert sorted(_ids(answer)) == ["1", "2"]
    assert _ids(answer)[0] == "2"
    assert _ids(_search(es, index_name, {"query": {"match": {"text": "foxes"}}})) == ["2"]


def test_multi_field_of_a_number_type(es: httpx.Client, index_name: str) -> None:
    _create(es, index_name, {"properties": {"code": {
        "type": "keyword", "fields": {"num": {"type": "long"}}}}})
    _docs(es, index_name, {"1": {"code": "200"}, "2": {"code": "404"}})
    assert _ids(_search(es, index_name, {"query": {"range": {"code.num": {"gte": 300}}}})) \
        == ["2"]


# --- collapse with inner_hits (docs: collapse-search-results) ----------------------------------

_LOGS = {"properties": {
    "message": {"type": "text"}, "user": {"properties": {"id": {"type": "keyword"}}},
    "http": {"properties": {"response": {"properties": {"bytes": {"type": "long"}}}}},
    "@timestamp": {"type": "date"}, "level": {"type": "integer"},
    "tags": {"type": "keyword"}, "nodv": {"type": "keyword", "doc_values": False}}}


def _logs(es: httpx.Client, index: str) -> None:
    _create(es, index, _LOGS)
    rows = [("1", "kimchy", 100, "2099-11-15T14:12:12Z", "GET /search", 1),
            ("2", "kimchy", 300, "2099-11-15T14:12:13Z", "GET /search", 2),
            ("3", "elkbee", 200, "2099-11-15T14:12:14Z", "GET /search", 1),
            ("4", "elkbee", 50, "2099-11-15T14:12:15Z", "GET /search again", 3),
            ("5", "other", 900, "2099-11-15T14:12:16Z", "PUT /upload", 1)]
    _docs(es, index, {doc_id: {"user": {"id": user}, "http": {"response": {"bytes": size}},
                               "@timestamp": ts, "message": message, "level": level}
                      for doc_id, user, size, ts, message, level in rows})


def test_collapse_keeps_the_top_hit_per_value(es: httpx.Client, index_name: str) -> None:
    _logs(es, index_name)
    body = {"query": {"match": {"message": "GET /search"}}, "collapse": {"field": "user.id"},
            "sort": [{"http.response.bytes": {"order": "desc"}}], "from": 0}
    answer = _search(es, index_name, body)
    assert _ids(answer) == ["2", "3"]
    # the total counts matching documents, not groups
    assert answer["hits"]["total"] == {"value": 4, "relation": "eq"}
    assert [h["fields"] for h in answer["hits"]["hits"]] == [
        {"user.id": ["kimchy"]}, {"user.id": ["elkbee"]}]
    assert [h["sort"] for h in answer["hits"]["hits"]] == [[300], [200]]
    assert _ids(_search(es, index_name, {**body, "from": 1})) == ["3"]
    assert _ids(_search(es, index_name, {**body, "size": 1})) == ["2"]
    # aggregations are not affected
    answer = _search(es, index_name, {**body, "aggs": {"u": {"terms": {"field": "user.id"}}}})
    assert {b["key"]: b["doc_count"] for b in answer["aggregations"]["u"]["buckets"]} == {
        "kimchy": 2, "elkbee": 2}


def test_collapse_expands_inner_hits(es: httpx.Client, index_name: str) -> None:
    _logs(es, index_name)
    answer = _search(es, index_name, {
        "query": {"match": {"message": "GET /search"}},
        "collapse": {"field": "user.id", "inner_hits": {
            "name": "most_recent", "size": 5, "sort": [{"@timestamp": "desc"}]},
            "max_concurrent_group_searches": 4},
        "sort": [{"http.response.bytes": {"order": "desc"}}]})
    first, second = answer["hits"]["hits"]
    inner = first["inner_hits"]["most_recent"]["hits"]
    assert inner["total"] == {"value": 2, "relation": "eq"}
    assert [h["_id"] for h in inner["hits"]] == ["2", "1"]
    assert inner["hits"][0]["_source"]["user"] == {"id": "kimchy"}
    assert [h["_id"] for h in second["inner_hits"]["most_recent"]["hits"]["hits"]] == ["4", "3"]


def test_collapse_several_inner_hits_and_a_numeric_field(es: httpx.Client,
                                                         index_name: str) -> None:
    _logs(es, index_name)
    answer = _search(es, index_name, {
        "collapse": {"field": "level", "inner_hits": [
            {"name": "largest", "size": 1, "sort": [{"http.response.bytes": "desc"}]},
            {"name": "smallest", "size": 1, "from": 0, "sort": [{"http.response.bytes": "asc"}],
             "_source": False}]},
        "sort": ["level"]})
    assert [h["fields"] for h in answer["hits"]["hits"]] == [
        {"level": [1]}, {"level": [2]}, {"level": [3]}]
    level_one = answer["hits"]["hits"][0]["inner_hits"]
    assert [h["_id"] for h in level_one["largest"]["hits"]["hits"]] == ["5"]
    assert level_one["largest"]["hits"]["total"]["value"] == 3
    assert [h["_id"] for h in level_one["smallest"]["hits"]["hits"]] == ["1"]
    assert "_source" not in level_one["smallest"]["hits"]["hits"][0]


def test_collapse_pages_past_many_hits_of_one_value(es: httpx.Client, index_name: str) -> None:
    """The groups of a page may lie far down the sorted hits: more rows are asked for."""
    _create(es, index_name, {"properties": {"g": {"type": "keyword"}, "n": {"type": "long"}}})
    lines = []
    for n in range(60):
        lines.append('{"index":{}}')
        lines.append(f'{{"g": "{"big" if n < 55 else f"g{n}"}", "n": {100 - n}}}')
    es.post(f"/{index_name}/_bulk?refresh=true", content="\n".join(lines) + "\n",
            headers={"content-type": "application/x-ndjson"})
    answer = _search(es, index_name, {"collapse": {"field": "g"}, "sort": [{"n": "desc"}],
                                      "size": 4})
    assert [h["fields"]["g"][0] for h in answer["hits"]["hits"]] == ["big", "g55", "g56", "g57"]
    assert answer["hits"]["total"]["value"] == 60


def test_collapse_refusals(es: httpx.Client, index_name: str) -> None:
    _logs(es, index_name)
    es.put(f"/{index_name}/_doc/9?refresh=true", json={"user": {"id": "x"},
                                                       "tags": ["a", "b"]})
    cases = [
        ({"collapse": {"field": "message"}},
         "unknown type for collapse field `message`, only keywords and numbers are accepted"),
        ({"collapse": {"field": "nope"}}, "no mapping found for `nope` in order to collapse on"),
        ({"collapse": {"field": "nodv"}}, "cannot collapse on field `nodv` without `doc_values`"),
        ({"collapse": {"field": "user.id"}, "sort": ["level"], "search_after": [1]},
         "cannot use `collapse` in conjunction with `search_after`"),
        ({"collapse": {"field": "user.id"}, "rescore": {"query": {"rescore_query": {
            "match_all": {}}}}}, "cannot use `collapse` in conjunction with `rescore`"),
    ]
    for body, reason in cases:
        error = _search(es, index_name, body, 400)["error"]
        assert error["root_cause"][0]["reason"] == reason, error
    response = es.post(f"/{index_name}/_search?scroll=1m", json={"collapse": {"field": "user.id"}})
    assert response.status_code == 400
    assert "cannot use `collapse` in a scroll context" in response.json()["error"]["reason"]
    response = es.post(f"/{index_name}/_search", json={"collapse": {"field": "tags"}})
    assert response.status_code == 500
    assert "the collapse field must be single valued" in response.text
    error = _search(es, index_name, {"collapse": {"field": "user.id", "bad": 1}}, 400)["error"]
    assert error["reason"] == "[collapse] unknown field [bad]"


# --- runtime fields (docs: runtime-override-values, runtime-search-request, runtime-mapping) ----

_MEASURES = [(1516729294000, "QVKC92Q", 5.2), (1516642894000, "QVKC92Q", 5.8),
             (1516556494000, "QVKC92Q", 5.1), (1516470094000, "QVKC92Q", 5.6),
             (1516383694000, "HG537PU", 4.2), (1516297294000, "HG537PU", 4.0)]


def _measures(es: httpx.Client, index: str, mappings: dict[str, Any] | None = None) -> None:
    if mappings is not None:
        _create(es, index, mappings)
    lines = []
    for ts, model, voltage in _MEASURES:
        lines.append('{"index":{}}')
        lines.append(f'{{"@timestamp":{ts},"model_number":"{model}",'
                     f'"measures":{{"voltage":{voltage}}}}}')
    response = es.post(f"/{index}/_bulk?refresh=true", content="\n".join(lines) + "\n",
                       headers={"content-type": "application/x-ndjson"})
    assert response.status_code == 200 and not response.json()["errors"], response.text


def test_runtime_field_overrides_values_at_query_time(es: httpx.Client, index_name: str) -> None:
    _measures(es, index_name)
    answer = _search(es, index_name, {
        "runtime_mappings": {"measures.voltage": {"type": "double", "script": {"source":
            "if (doc['model_number.keyword'].value.equals('HG537PU'))"
            " {emit(1.7 * params._source['measures']['voltage']);}"
            " else {emit(params._source['measures']['voltage']);}"}}},
        "query": {"match": {"model_number": "HG537PU"}},
        "fields": ["measures.voltage"]})
    voltages = sorted(h["fields"]["measures.voltage"][0] for h in answer["hits"]["hits"])
    assert voltages == [pytest.approx(6.8), pytest.approx(7.14)]
    # _source is as indexed
    assert sorted(h["_source"]["measures"]["voltage"] for h in answer["hits"]["hits"]) == [
        4.0, 4.2]


def test_runtime_field_in_a_query_with_params(es: httpx.Client, index_name: str) -> None:
    _measures(es, index_name, {"properties": {
        "@timestamp": {"type": "date", "format": "strict_date_optional_time||epoch_millis"},
        "model_number": {"type": "keyword"},
        "measures": {"properties": {"voltage": {"type": "double"}}}}})
    runtime = {"voltage_corrected": {"type": "double", "script": {
        "source": "emit(doc['measures.voltage'].value * params['multiplier'])",
        "params": {"multiplier": 2}}}}
    answer = _search(es, index_name, {
        "runtime_mappings": runtime, "size": 10,
        "query": {"range": {"voltage_corrected": {"gte": 11, "lte": 12}}},
        "fields": ["voltage_corrected", "model_number"]})
    assert sorted(h["fields"]["voltage_corrected"][0] for h in answer["hits"]["hits"]) == [
        pytest.approx(11.2), pytest.approx(11.6)]
    assert answer["hits"]["total"]["value"] == 2
    # inside a bool, beside an indexed field, and with aggregations over the matching hits
    answer = _search(es, index_name, {
        "runtime_mappings": runtime, "size": 0,
        "query": {"bool": {"filter": [{"range": {"voltage_corrected": {"lt": 10}}},
                                      {"term": {"model_number": "HG537PU"}}]}},
        "aggs": {"avg_voltage": {"avg": {"field": "measures.voltage"}}}})
    assert answer["hits"]["total"]["value"] == 2
    assert answer["aggregations"]["avg_voltage"]["value"] == pytest.approx(4.1)
    assert _search(es, index_name, {"runtime_mappings": runtime, "query": {
        "exists": {"field": "voltage_corrected"}}})["hits"]["total"]["value"] == 6


def test_runtime_section_of_the_mapping(es: httpx.Client, index_name: str) -> None:
    """``runtime`` in the mapping: with a script, and without one (read from ``_source``)."""
    mappings = {"dynamic": "runtime", "runtime": {
        "model_lower": {"type": "keyword", "script": {
            "source": "emit(doc['model_number'].value.toLowerCase())"}},
        "site": {"type": "keyword"}},
        "properties": {"model_number": {"type": "keyword"}}}
    _create(es, index_name, mappings)
    _docs(es, index_name, {"1": {"model_number": "HG537PU", "site": "ams"},
                           "2": {"model_number": "QVKC92Q", "site": "fra"}})
    assert es.get(f"/{index_name}/_mapping").json()[index_name]["mappings"]["runtime"] == \
        mappings["runtime"]
    answer = _search(es, index_name, {"query": {"term": {"model_lower": "hg537pu"}},
                                      "fields": ["model_lower", "site"]})
    assert _ids(answer) == ["1"]
    assert answer["hits"]["hits"][0]["fields"] == {"model_lower": ["hg537pu"], "site": ["ams"]}
    assert _ids(_search(es, index_name, {"query": {"term": {"site": "fra"}}})) == ["2"]
    # a request's runtime_mappings override the mapping's
    answer = _search(es, index_name, {"runtime_mappings": {"site": {"type": "keyword", "script":
        "emit('x')"}}, "query": {"term": {"site": "x"}}})
    assert sorted(_ids(answer)) == ["1", "2"]
    # a mapping update adds or removes (null) one runtime field
    response = es.put(f"/{index_name}/_mapping", json={"runtime": {"site": None, "n": {
        "type": "long", "script": "emit(doc['model_number'].value.length())"}}})
    assert response.status_code == 200, response.text
    runtime = es.get(f"/{index_name}/_mapping").json()[index_name]["mappings"]["runtime"]
    assert sorted(runtime) == ["model_lower", "n"]
    assert sorted(_ids(_search(es, index_name, {"query": {"term": {"n": 7}}}))) == ["1", "2"]


def test_runtime_field_refusals(es: httpx.Client, index_name: str) -> None:
    _measures(es, index_name)
    bad = es.put(f"/{index_name}-x", json={"mappings": {"runtime": {"a": {"type": "text"}}}})
    assert bad.status_code == 400
    assert bad.json()["error"]["reason"] == "No handler for type [text] declared on runtime " \
                                            "field [a]"
    error = _search(es, index_name, {"runtime_mappings": {"a": {"type": "long", "script":
        "emit(doc['measures.voltage'].value"}}}, 400)["error"]
    assert error["type"] == "script_exception"
    error = _search(es, index_name, {"runtime_mappings": {"a": {"type": "long", "script":
        "emit(1)"}}, "aggs": {"x": {"significant_terms": {"field": "a"}}}}, 400)["error"]
    assert "runtime field [a]" in error["root_cause"][0]["reason"]


def test_a_sort_on_a_runtime_field_pages_with_search_after_and_scroll(
        es: httpx.Client, index_name: str) -> None:
    """Each page continues after the last hit's ``sort`` values, as ES pages any sort; equal
    values are broken by the index's order (search_after without a tie-break skips ties, as
    ES does without ``_shard_doc``)."""
    _measures(es, index_name)
    runtime = {"voltage_x10": {"type": "double", "script": {
        "source": "emit(doc['measures.voltage'].value * 10)"}}}
    sort = [{"voltage_x10": "desc"}, {"@timestamp": "asc"}]
    everything = _search(es, index_name, {"runtime_mappings": runtime, "size": 10, "sort": sort})
    order = [h["_id"] for h in everything["hits"]["hits"]]
    assert [h["sort"][0] for h in everything["hits"]["hits"]] == pytest.approx(
        [58, 56, 52, 51, 42, 40])
    pages, after = [], None
    while True:
        body = {"runtime_mappings": runtime, "size": 4, "sort": sort}
        if after is not None:
            body["search_after"] = after
        hits = _search(es, index_name, body)["hits"]["hits"]
        if not hits:
            break
        pages.append([h["_id"] for h in hits])
        after = hits[-1]["sort"]
    assert [len(page) for page in pages] == [4, 2]
    assert [i for page in pages for i in page] == order
    # a scroll walks the same order
    first = es.post(f"/{index_name}/_search?scroll=1m", json={
        "runtime_mappings": runtime, "size": 4, "sort": [{"voltage_x10": "asc"}]})
    assert first.status_code == 200, first.text
    seen = [h["_id"] for h in first.json()["hits"]["hits"]]
    more = es.post("/_search/scroll", json={"scroll": "1m",
                                            "scroll_id": first.json()["_scroll_id"]}).json()
    seen += [h["_id"] for h in more["hits"]["hits"]]
    assert seen == order[::-1]


def test_runtime_field_aggregations(es: httpx.Client, index_name: str) -> None:
    """The docs' terms aggregation over a runtime keyword, and metrics over a runtime number,
    over the documents the query matches."""
    _measures(es, index_name)
    answer = _search(es, index_name, {
        "runtime_mappings": {
            "model_lower": {"type": "keyword", "script": {
                "source": "emit(doc['model_number.keyword'].value.toLowerCase())"}},
            "voltage_x2": {"type": "double", "script": {
                "source": "emit(doc['measures.voltage'].value * 2)"}}},
        "size": 0,
        "aggs": {"models": {"terms": {"field": "model_lower"}},
                 "top_voltage": {"max": {"field": "voltage_x2"}},
                 "stats": {"stats": {"field": "voltage_x2"}},
                 "native": {"terms": {"field": "model_number.keyword"}}}})
    aggs = answer["aggregations"]
    assert list(aggs) == ["models", "top_voltage", "stats", "native"]
    assert aggs["models"] == {"doc_count_error_upper_bound": 0, "sum_other_doc_count": 0,
                              "buckets": [{"key": "qvkc92q", "doc_count": 4},
                                          {"key": "hg537pu", "doc_count": 2}]}
    assert aggs["top_voltage"]["value"] == pytest.approx(11.6)
    assert aggs["stats"]["count"] == 6
    assert [b["key"] for b in aggs["native"]["buckets"]] == ["QVKC92Q", "HG537PU"]
    # native sub-aggregations under a runtime terms run over each bucket's documents
    answer = _search(es, index_name, {
        "runtime_mappings": {"model_lower": {"type": "keyword", "script": {
            "source": "emit(doc['model_number.keyword'].value.toLowerCase())"}}},
        "size": 0, "aggs": {"models": {"terms": {"field": "model_lower"}, "aggs": {
            "avg_voltage": {"avg": {"field": "measures.voltage"}}}}}})
    assert [(b["key"], b["doc_count"], round(b["avg_voltage"]["value"], 3))
            for b in answer["aggregations"]["models"]["buckets"]] == [
        ("qvkc92q", 4, 5.425), ("hg537pu", 2, 4.1)]
    answer = _search(es, index_name, {
        "runtime_mappings": {"voltage_x2": {"type": "double", "script": {
            "source": "emit(doc['measures.voltage'].value * 2)"}}},
        "size": 0, "query": {"term": {"model_number.keyword": "HG537PU"}},
        "aggs": {"avg": {"avg": {"field": "voltage_x2"}}}})
    assert answer["aggregations"]["avg"]["value"] == pytest.approx(8.2)


def test_runtime_day_of_week_from_a_date(es: httpx.Client, index_name: str) -> None:
    """The docs' ``day_of_week`` runtime field (mapping ``runtime`` section), aggregated and
    queried; ``doc['@timestamp'].value`` is a date (ZonedDateTime) in UTC."""
    _measures(es, index_name, {
        "runtime": {"day_of_week": {"type": "keyword", "script": {"source":
            "emit(doc['@timestamp'].value.dayOfWeekEnum"
            ".getDisplayName(TextStyle.FULL, Locale.ROOT))"}}},
        "properties": {"@timestamp": {"type": "date", "format":
                                      "strict_date_optional_time||epoch_millis"}}})
    answer = _search(es, index_name, {"size": 0, "aggs": {"day_of_week": {"terms": {
        "field": "day_of_week"}}}})
    assert [b["key"] for b in answer["aggregations"]["day_of_week"]["buckets"]] == [
        "Friday", "Monday", "Saturday", "Sunday", "Thursday", "Tuesday"]
    answer = _search(es, index_name, {
        "query": {"term": {"day_of_week": "Tuesday"}}, "fields": ["day_of_week", "hour"],
        "runtime_mappings": {"hour": {"type": "long", "script":
                                      "emit(doc['@timestamp'].value.getHour())"}}})
    assert [h["fields"] for h in answer["hits"]["hits"]] == [
        {"day_of_week": ["Tuesday"], "hour": [17]}]
    # a range with date math on a runtime date
    answer = _search(es, index_name, {
        "runtime_mappings": {"day": {"type": "date", "script":
                                     "emit(doc['@timestamp'].value.toInstant().toEpochMilli())"}},
        "query": {"range": {"day": {"gte": "2018-01-22||/d", "lte": "2018-01-22||/d"}}},
        "fields": [{"field": "day", "format": "yyyy-MM-dd"}]})
    assert [h["fields"]["day"] for h in answer["hits"]["hits"]] == [["2018-01-22"]]
    assert _search(es, index_name, {"runtime_mappings": {"day": {"type": "date", "script":
        "emit(doc['@timestamp'].value.millis)"}}, "query": {"range": {"day": {
            "gte": "now-1d"}}}})["hits"]["total"]["value"] == 0


def test_copy_to_an_unmapped_field_maps_it(es: httpx.Client, index_name: str) -> None:
    _create(es, index_name, {"properties": {"first_name": {"type": "keyword",
                                                           "copy_to": "all.names"}}})
    _docs(es, index_name, {"1": {"first_name": "John"}})
    mapping = es.get(f"/{index_name}/_mapping").json()[index_name]["mappings"]
    assert mapping["properties"]["all"] == {"properties": {"names": {
        "type": "text", "fields": {"keyword": {"type": "keyword", "ignore_above": 256}}}}}
    es.put(f"/{index_name}/_doc/2?refresh=true", json={"first_name": "Jane"})
    assert sorted(_ids(_search(es, index_name, {"query": {"match": {"all.names": "john"}}}))) \
        == ["1"]
    assert _ids(_search(es, index_name, {"query": {"term": {"all.names.keyword": "Jane"}}})) \
        == ["2"]


def test_runtime_field_sort(es: httpx.Client, index_name: str) -> None:
    _measures(es, index_name)
    runtime = {"voltage_corrected": {"type": "double", "script": {
        "source": "emit(doc['measures.voltage'].value * params['multiplier'])",
        "params": {"multiplier": 2}}}}
    answer = _search(es, index_name, {"runtime_mappings": runtime, "size": 3,
                                      "sort": [{"voltage_corrected": "desc"}]})
    assert [h["sort"][0] for h in answer["hits"]["hits"]] == [
        pytest.approx(11.6), pytest.approx(11.2), pytest.approx(10.4)]
    assert answer["hits"]["total"]["value"] == 6
    answer = _search(es, index_name, {
        "runtime_mappings": runtime, "from": 1, "size": 2,
        "query": {"term": {"model_number.keyword": "QVKC92Q"}},
        "sort": [{"model_number.keyword": "asc"}, {"voltage_corrected": "asc"}]})
    assert [h["sort"] for h in answer["hits"]["hits"]] == [
        ["QVKC92Q", pytest.approx(10.4)], ["QVKC92Q", pytest.approx(11.2)]]


def test_dynamic_runtime_maps_new_fields_as_runtime_fields(es: httpx.Client,
                                                           index_name: str) -> None:
    """docs (dynamic-mapping, ``"dynamic": "runtime"``): new fields become runtime fields of
    the guessed type, read from ``_source`` when searched."""
    _measures(es, index_name, {"dynamic": "runtime", "properties": {
        "@timestamp": {"type": "date", "format": "strict_date_optional_time||epoch_millis"}}})
    mappings = es.get(f"/{index_name}/_mapping").json()[index_name]["mappings"]
    assert mappings["runtime"] == {"model_number": {"type": "keyword"},
                                   "measures.voltage": {"type": "double"}}
    assert set(mappings["properties"]) == {"@timestamp"}
    answer = _search(es, index_name, {"query": {"term": {"model_number": "HG537PU"}},
                                      "fields": ["measures.voltage"], "sort": ["@timestamp"]})
    assert [h["fields"] for h in answer["hits"]["hits"]] == [
        {"measures.voltage": [4.0]}, {"measures.voltage": [4.2]}]


def test_runtime_fields_read_each_other_and_show_in_field_caps(es: httpx.Client,
                                                               index_name: str) -> None:
    _measures(es, index_name, {
        "runtime": {"voltage_x2": {"type": "double", "script":
                                   "emit(doc['measures.voltage'].value * 2)"}},
        "properties": {"measures": {"properties": {"voltage": {"type": "double"}}}}})
    answer = _search(es, index_name, {
        "runtime_mappings": {"high": {"type": "boolean", "script":
                                      "emit(doc['voltage_x2'].value > 11)"}},
        "query": {"term": {"high": True}}, "fields": ["high", "voltage_x2"]})
    assert sorted(h["fields"]["voltage_x2"][0] for h in answer["hits"]["hits"]) == [
        pytest.approx(11.2), pytest.approx(11.6)]
    assert {h["fields"]["high"][0] for h in answer["hits"]["hits"]} == {True}
    caps = es.get(f"/{index_name}/_field_caps?fields=voltage_x2").json()["fields"]
    assert caps["voltage_x2"]["double"]["searchable"] is True
    assert caps["voltage_x2"]["double"]["aggregatable"] is True
    # the request's runtime_mappings are fields too, over the mapping's (ES 7.12+)
    caps = es.post(f"/{index_name}/_field_caps?fields=*voltage*,day_of_week", json={
        "runtime_mappings": {
            "day_of_week": {"type": "keyword", "script": {
                "source": "emit(doc['@timestamp'].value.dayOfWeekEnum.toString())"}},
            "voltage_x2": {"type": "long", "script": "emit(1)"}}}).json()["fields"]
    assert caps["day_of_week"] == {"keyword": {"type": "keyword", "searchable": True,
                                               "aggregatable": True}}
    assert list(caps["voltage_x2"]) == ["long"]
    assert caps["measures.voltage"]["double"]["searchable"] is True
