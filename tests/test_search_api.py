"""Search endpoints over HTTP: targets, URL parameters, response shape, errors, _count,
_msearch, _validate/query, _field_caps, field mappings and split pruning."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest

from searchdata import WEB_DOCS, WEB_MAPPING, ids, load


@pytest.fixture
def two_indices(es: httpx.Client, index_name: str) -> tuple[str, str]:
    """``<name>-a`` and ``<name>-b`` with documents 1-2 and 3-4 of the web set."""
    first, second = f"{index_name}-a", f"{index_name}-b"
    load(es, first, {k: WEB_DOCS[k] for k in ("1", "2")}, WEB_MAPPING)
    load(es, second, {k: WEB_DOCS[k] for k in ("3", "4")}, WEB_MAPPING)
    return first, second


def test_response_shape(es: httpx.Client, two_indices: tuple[str, str]) -> None:
    first, _ = two_indices
    body = es.post(f"/{first}/_search", json={"query": {"term": {"action": "ALLOW"}}}).json()
    assert set(body) == {"took", "timed_out", "_shards", "hits"}
    assert isinstance(body["took"], int) and body["timed_out"] is False
    assert body["_shards"]["failed"] == 0
    assert body["_shards"]["successful"] == body["_shards"]["total"] >= 1
    hit, = body["hits"]["hits"]
    assert list(hit) == ["_index", "_id", "_score", "_source"]
    assert hit["_index"] == first and hit["_id"] == "1"
    assert hit["_source"] == WEB_DOCS["1"]


def test_source_is_returned_byte_exact(es: httpx.Client, index_name: str) -> None:
    raw = b'{"b":  2, "a":1.50,"z":"\\u00e9"}'
    es.put(f"/{index_name}/_doc/x?refresh=true", content=raw,
           headers={"content-type": "application/json"})
    response = es.get(f"/{index_name}/_search")
    assert raw in response.content


@pytest.mark.parametrize(("suffix", "expected"), [
    ("{a}", ["1", "2"]),
    ("{a},{b}", ["1", "2", "3", "4"]),
    ("{p}-*", ["1", "2", "3", "4"]),
    ("{p}-*,-{b}", ["1", "2"]),
    ("{p}-%3F", ["1", "2", "3", "4"]),
    ("{p}-*,nothing-here-*", ["1", "2", "3", "4"]),
])
def test_target_expressions(es: httpx.Client, two_indices: tuple[str, str], suffix: str,
                            expected: list[str]) -> None:
    first, second = two_indices
    path = suffix.format(a=first, b=second, p=first[:-2])
    assert sorted(ids(es.post(f"/{path}/_search", json={"size": 20}))) == expected


def test_all_and_no_index(es: httpx.Client, two_indices: tuple[str, str]) -> None:
    first, second = two_indices
    for path in ("/_search", "/_all/_search", "/*/_search"):
        found = {(h["_index"], h["_id"]) for h in es.post(
            path, json={"size": 1000, "query": {"terms": {"_index": [first, second]}}}
        ).json()["hits"]["hits"]}
        assert found == {(first, "1"), (first, "2"), (second, "3"), (second, "4")}, path


def test_missing_index_404_but_wildcard_empty(es: httpx.Client, index_name: str) -> None:
    missing = es.post(f"/{index_name}-missing/_search")
    assert missing.status_code == 404
    assert missing.json()["error"]["type"] == "index_not_found_exception"
    empty = es.post(f"/{index_name}-missing-*/_search").json()
    assert empty["hits"]["hits"] == [] and empty["hits"]["total"]["value"] == 0
    assert empty["_shards"]["total"] == 0
    refused = es.post(f"/{index_name}-missing-*/_search?allow_no_indices=false")
    assert refused.status_code == 404


def test_ignore_unavailable_and_expand_wildcards(es: httpx.Client,
                                                 two_indices: tuple[str, str]) -> None:
    first, second = two_indices
    both = es.post(f"/{first},{first}-gone/_search?ignore_unavailable=true")
    assert sorted(ids(both)) == ["1", "2"]
    es.post(f"/{second}/_close")
    try:
        open_only = es.post(f"/{first[:-2]}-*/_search")
        assert sorted(ids(open_only)) == ["1", "2"]
        none = es.post(f"/{first[:-2]}-*/_search?expand_wildcards=none")
        assert ids(none) == []
    finally:
        es.post(f"/{second}/_open")


def test_aliases_and_alias_filters(es: httpx.Client, two_indices: tuple[str, str]) -> None:
    first, second = two_indices
    alias, blocked = f"{first}-all", f"{first}-blocked"
    es.post("/_aliases", json={"actions": [
        {"add": {"indices": [first, second], "alias": alias}},
        {"add": {"indices": [first, second], "alias": blocked,
                 "filter": {"term": {"action": "BLOCK"}}}}]})
    assert sorted(ids(es.post(f"/{alias}/_search"))) == ["1", "2", "3", "4"]
    assert sorted(ids(es.post(f"/{blocked}/_search"))) == ["2", "3"]
    narrowed = es.post(f"/{blocked}/_search", json={"query": {"match": {"message": "firefox"}}})
    assert ids(narrowed) == ["3"]
    assert es.post(f"/{blocked}/_count").json()["count"] == 2


def test_date_math_index_names(es: httpx.Client, index_name: str) -> None:
    day = time.strftime("%Y.%m.%d", time.gmtime())
    name = f"{index_name}-{day}"
    load(es, name, {"1": {"a": 1}})
    encoded = f"/%3C{index_name}-%7Bnow%2Fd%7D%3E/_search"
    assert ids(es.post(encoded)) == ["1"]
    # ES routes on the path as sent: a slash left unencoded splits the name, and ES 7 reads
    # the three segments as a typed search (api/typed.py) on the index "<name-{now"
    expression = httpx.URL(f"/<{index_name}-{{now/d}}>/_search").raw_path.decode()
    refused = es.post(expression)
    assert refused.status_code == 404
    assert refused.json()["error"]["type"] == "index_not_found_exception"
    assert refused.json()["error"]["index"] == f"<{index_name}-{{now"


def test_url_parameters(es: httpx.Client, index_name: str) -> None:
    load(es, index_name, WEB_DOCS, WEB_MAPPING)
    got = es.get(f"/{index_name}/_search", params={
        "q": "action:BLOCK", "sort": "status:desc,@timestamp:asc", "size": "2", "from": "1",
        "_source_includes": "user.*,status", "_source_excludes": "user.age",
        "timeout": "5s"}).json()
    hits = got["hits"]["hits"]
    assert [h["_id"] for h in hits] == ["3", "7"]
    assert hits[0]["_source"] == {"status": 403, "user": {"name": "carol"}}
    assert hits[0]["sort"] == [403, 1704153600000] and hits[0]["_score"] is None
    assert got["hits"]["total"]["value"] == 3
    no_source = es.get(f"/{index_name}/_search", params={"_source": "false", "q": "status:200"})
    assert all("_source" not in h for h in no_source.json()["hits"]["hits"])
    q_fields = es.get(f"/{index_name}/_search", params={"q": "firefox", "df": "message"})
    assert sorted(ids(q_fields)) == ["1", "3"]


def test_get_with_body_and_body_source_filters(es: httpx.Client, index_name: str) -> None:
    load(es, index_name, WEB_DOCS, WEB_MAPPING)
    response = es.request("GET", f"/{index_name}/_search", json={
        "query": {"ids": {"values": ["2"]}},
        "_source": {"includes": ["user.*", "action"], "excludes": ["*.age"]}})
    assert response.json()["hits"]["hits"][0]["_source"] == {"action": "BLOCK",
                                                             "user": {"name": "bob"}}
    disabled = es.request("GET", f"/{index_name}/_search", json={"_source": False})
    assert "_source" not in disabled.json()["hits"]["hits"][0]


@pytest.mark.parametrize(("track", "expected"), [
    (None, {"value": 25, "relation": "eq"}),
    (True, {"value": 25, "relation": "eq"}),
    (10, {"value": 10, "relation": "gte"}),
    (25, {"value": 25, "relation": "eq"}),
    (False, None),
])
def test_track_total_hits(es: httpx.Client, index_name: str, track: Any,
                          expected: dict[str, Any] | None) -> None:
    load(es, index_name, {str(i): {"n": i} for i in range(25)})
    body: dict[str, Any] = {"size": 1}
    if track is not None:
        body["track_total_hits"] = track
    hits = es.post(f"/{index_name}/_search", json=body).json()["hits"]
    assert hits.get("total") == expected
    as_int = es.post(f"/{index_name}/_search?rest_total_hits_as_int=true").json()
    assert as_int["hits"]["total"] == 25


def test_max_result_window(es: httpx.Client, index_name: str) -> None:
    load(es, index_name, {"1": {"a": 1}})
    response = es.post(f"/{index_name}/_search", json={"from": 9995, "size": 10})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["type"] == "search_phase_execution_exception"
    assert error["root_cause"][0]["type"] == "illegal_argument_exception"
    assert error["root_cause"][0]["reason"].startswith(
        "Result window is too large, from + size must be less than or equal to: [10000] but "
        "was [10005].")
    assert es.post(f"/{index_name}/_search", json={"from": 9990, "size": 10}).status_code == 200
    es.put(f"/{index_name}/_settings", json={"index": {"max_result_window": 20}})
    assert es.post(f"/{index_name}/_search", json={"size": 21}).status_code == 400


def test_request_errors(es: httpx.Client, index_name: str) -> None:
    load(es, index_name, WEB_DOCS, WEB_MAPPING)
    malformed = es.post(f"/{index_name}/_search", content=b'{"query": {"match_all": {}',
                        headers={"content-type": "application/json"})
    assert malformed.status_code == 400
    assert malformed.json()["error"]["type"] == "parsing_exception"
    assert "line 1 column 27" in malformed.json()["error"]["reason"]
    unknown_key = es.post(f"/{index_name}/_search", json={"qeury": {}})
    assert unknown_key.status_code == 400
    assert unknown_key.json()["error"]["reason"] == "Unknown key for a START_OBJECT in [qeury]."
    negative = es.post(f"/{index_name}/_search", json={"size": -1})
    assert negative.status_code == 400
    text_sort = es.post(f"/{index_name}/_search", json={"sort": ["message"]})
    assert text_sort.status_code == 400
    assert "Text fields are not optimised" in text_sort.json()["error"]["root_cause"][0][
        "reason"]
    no_aggs = es.post(f"/{index_name}/_search", json={"suggest": {}})
    assert no_aggs.status_code == 400


def test_unmapped_sort_field_is_a_shard_failure(es: httpx.Client,
                                                 two_indices: tuple[str, str]) -> None:
    first, _ = two_indices
    es.put(f"/{first}/_mapping", json={"properties": {"only_a": {"type": "long"}}})
    partial = es.post(f"/{first[:-2]}-*/_search", json={"sort": [{"only_a": "asc"}]}).json()
    assert partial["_shards"]["failed"] >= 1
    assert partial["_shards"]["failures"][0]["reason"]["type"] == "query_shard_exception"
    assert sorted(h["_id"] for h in partial["hits"]["hits"]) == ["1", "2"]
    unmapped = es.post(f"/{first[:-2]}-*/_search", json={
        "sort": [{"nowhere": {"order": "asc", "unmapped_type": "long"}}]}).json()
    assert unmapped["hits"]["total"]["value"] == 4
    assert unmapped["hits"]["hits"][0]["sort"] == [9223372036854775807]


def test_count(es: httpx.Client, two_indices: tuple[str, str]) -> None:
    first, second = two_indices
    pattern = f"{first[:-2]}-*"
    body = es.post(f"/{pattern}/_count").json()
    assert body["count"] == 4 and body["_shards"]["failed"] == 0
    assert es.post(f"/{pattern}/_count", json={"query": {"term": {"action": "BLOCK"}}}
                   ).json()["count"] == 2
    assert es.get(f"/{pattern}/_count", params={"q": "status:200"}).json()["count"] == 2
    assert es.post(f"/{first}/_count", json={"size": 1}).status_code == 400
    assert es.post(f"/{second}-gone/_count").status_code == 404


def test_msearch(es: httpx.Client, two_indices: tuple[str, str]) -> None:
    first, second = two_indices
    body = (b'{"index": "%s"}\n{"query": {"match_all": {}}, "size": 1}\n'
            b'{"index": "%s-gone"}\n{}\n'
            b'{}\n{"query": {"term": {"action": "BLOCK"}}}\n'
            b'{"index": ["%s", "%s"], "ignore_unavailable": true}\n{"size": 0}\n'
            % (first.encode(), first.encode(), first.encode(), second.encode()))
    response = es.post(f"/{second}/_msearch", content=body,
                       headers={"content-type": "application/x-ndjson"})
    assert response.status_code == 200
    answers = response.json()["responses"]
    assert [a["status"] for a in answers] == [200, 404, 200, 200]
    assert len(answers[0]["hits"]["hits"]) == 1 and answers[0]["hits"]["total"]["value"] == 2
    assert answers[1]["error"]["type"] == "index_not_found_exception"
    assert [h["_id"] for h in answers[2]["hits"]["hits"]] == ["3"]
    assert answers[3]["hits"]["total"]["value"] == 4


def test_validate_query(es: httpx.Client, two_indices: tuple[str, str]) -> None:
    first, _ = two_indices
    good = es.post(f"/{first}/_validate/query",
                   json={"query": {"match": {"message": "fox"}}}).json()
    assert good["valid"] is True and good["_shards"]["failed"] == 0
    explained = es.post(f"/{first}/_validate/query?explain=true",
                        json={"query": {"match": {"message": "fox"}}}).json()
    assert explained["explanations"][0]["index"] == first
    assert "fox" in explained["explanations"][0]["explanation"]
    bad = es.post(f"/{first}/_validate/query?explain=true", json={"query": {"fox": {}}}).json()
    assert bad["valid"] is False and "unknown query [fox]" in bad["error"]
    assert es.get(f"/{first}/_validate/query", params={"q": "action:BLOCK"}).json()["valid"]


def test_field_caps(es: httpx.Client, two_indices: tuple[str, str]) -> None:
    first, second = two_indices
    es.put(f"/{second}/_mapping", json={"properties": {"extra": {"type": "keyword"}}})
    es.put(f"/{first}/_mapping", json={"properties": {"extra": {"type": "long"}}})
    body = es.get(f"/{first[:-2]}-*/_field_caps", params={"fields": "message*,action,extra,"
                                                                    "user.name,@timestamp"}
                  ).json()
    assert body["indices"] == [first, second]
    fields = body["fields"]
    assert fields["message"] == {"text": {"type": "text", "searchable": True,
                                          "aggregatable": False}}
    assert fields["message.keyword"]["keyword"]["aggregatable"] is True
    assert fields["@timestamp"] == {"date": {"type": "date", "searchable": True,
                                             "aggregatable": True}}
    assert fields["extra"] == {
        "long": {"type": "long", "searchable": True, "aggregatable": True,
                 "indices": [first]},
        "keyword": {"type": "keyword", "searchable": True, "aggregatable": True,
                    "indices": [second]}}
    assert set(fields) == {"message", "message.keyword", "action", "extra", "user.name",
                           "@timestamp"}
    assert es.get(f"/{first}/_field_caps").status_code == 400
    posted = es.post(f"/{first}/_field_caps", json={"fields": ["status"]}).json()
    assert posted["fields"]["status"]["integer"]["type"] == "integer"


def test_field_mapping(es: httpx.Client, two_indices: tuple[str, str]) -> None:
    first, _ = two_indices
    body = es.get(f"/{first}/_mapping/field/user.name,message").json()
    mappings = body[first]["mappings"]
    assert mappings["user.name"] == {"full_name": "user.name",
                                     "mapping": {"name": {"type": "keyword"}}}
    assert mappings["message"]["mapping"]["message"]["type"] == "text"


def test_split_pruning_by_time_range(es: httpx.Client, index_name: str) -> None:
    """Splits whose @timestamp range the query excludes are skipped, and profile says so."""
    load(es, index_name, {}, {"properties": {"@timestamp": {"type": "date"}}})
    for day in ("01", "02", "03"):
        # A new mapped field makes the next document roll into a new split.
        es.put(f"/{index_name}/_mapping", json={"properties": {f"f{day}": {"type": "long"}}})
        es.put(f"/{index_name}/_doc/{day}?refresh=true",
               json={"@timestamp": f"2024-01-{day}T12:00:00Z", f"f{day}": 1})
    everything = es.post(f"/{index_name}/_search", json={"profile": True}).json()
    searched = len(everything["profile"]["shards"])
    assert searched >= 3
    query = {"range": {"@timestamp": {"gte": "2024-01-03T00:00:00Z", "lt": "2024-01-04"}}}
    body = es.post(f"/{index_name}/_search", json={"query": query, "profile": True}).json()
    assert [h["_id"] for h in body["hits"]["hits"]] == ["03"]
    profile = body["profile"]
    assert len(profile["shards"]) == 1
    assert body["_shards"]["skipped"] == body["_shards"]["total"] - 1
    outside = [s for s in profile["skipped_splits"] if "outside" in s["reason"]]
    assert len(outside) == 2 and all(s["index"] == index_name for s in outside)
    shard = profile["shards"][0]
    assert f"][{index_name}][" in shard["id"]
    assert shard["searches"][0]["query"][0]["time_in_nanos"] > 0
    counted = es.post(f"/{index_name}/_count", json={"query": {"bool": {"filter": [query]}}})
    assert counted.json()["count"] == 1
    assert counted.json()["_shards"]["skipped"] == body["_shards"]["skipped"]
