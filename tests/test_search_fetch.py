"""What each hit carries: _source filtering, fields, docvalue_fields, highlight, versions and
explanations."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from searchdata import WEB_DOCS, WEB_MAPPING, load

LONG_TEXT = ("Firewall rule 7 matched a request from the scanner. " * 3
             + "Nothing else happened for a while, and then the scanner came back with a "
               "different user agent and another firewall rule fired.")


@pytest.fixture
def web(es: httpx.Client, index_name: str) -> str:
    load(es, index_name, {**WEB_DOCS, "9": {"message": LONG_TEXT, "action": "BLOCK"}},
         WEB_MAPPING)
    return index_name


def _hit(es: httpx.Client, index: str, body: dict[str, Any]) -> dict[str, Any]:
    response = es.post(f"/{index}/_search", json=body)
    assert response.status_code == 200, response.text
    return response.json()["hits"]["hits"][0]


@pytest.mark.parametrize(("source", "expected"), [
    (["user.name", "status"], {"status": 200, "user": {"name": "alice"}}),
    ("user", {"user": {"name": "alice", "age": 30}}),
    ({"includes": ["*"], "excludes": ["message", "user.*", "tags", "@timestamp"]},
     {"action": "ALLOW", "country": "US", "status": 200, "bytes": 1000, "latency": 0.5,
      "client_ip": "10.0.0.1", "secure": True, "required": 2, "user": {}}),
    ({"includes": ["c*"]}, {"country": "US", "client_ip": "10.0.0.1"}),
])
def test_source_filtering(es: httpx.Client, web: str, source: Any,
                          expected: dict[str, Any]) -> None:
    hit = _hit(es, web, {"query": {"ids": {"values": ["1"]}}, "_source": source})
    assert hit["_source"] == expected


def test_fields_and_docvalue_fields(es: httpx.Client, web: str) -> None:
    hit = _hit(es, web, {
        "query": {"ids": {"values": ["1"]}},
        "fields": ["user.*", "@timestamp", {"field": "status"}, "message", "nope"],
        "docvalue_fields": [{"field": "tags"}, {"field": "@timestamp",
                                                "format": "epoch_millis"}],
        "_source": False})
    assert "_source" not in hit
    assert hit["fields"] == {
        "user.name": ["alice"], "user.age": [30], "status": [200],
        "message": ["GET /index.html Firefox Linux quick brown fox"],
        "@timestamp": ["1704067200000"], "tags": ["prod", "web"]}
    dated = _hit(es, web, {"query": {"ids": {"values": ["1"]}}, "fields": ["@timestamp"]})
    assert dated["fields"] == {"@timestamp": ["2024-01-01T00:00:00.000Z"]}


def test_highlight_defaults(es: httpx.Client, web: str) -> None:
    hit = _hit(es, web, {"query": {"match": {"message": "firefox fox"}},
                         "highlight": {"fields": {"message": {}}}})
    assert hit["highlight"] == {
        "message": ["GET /index.html <em>Firefox</em> Linux quick brown <em>fox</em>"]}


def test_highlight_tags_fragments_and_sizes(es: httpx.Client, web: str) -> None:
    query = {"match": {"message": "scanner"}}
    hit = _hit(es, web, {"query": query, "highlight": {
        "pre_tags": ["<b>"], "post_tags": ["</b>"], "fragment_size": 60,
        "number_of_fragments": 2, "fields": {"message": {}}}})
    fragments = hit["highlight"]["message"]
    assert len(fragments) == 2
    assert all("<b>scanner</b>" in f and len(f) <= 60 + 7 * f.count("<b>") for f in fragments)
    whole = _hit(es, web, {"query": query, "highlight": {
        "number_of_fragments": 0, "fields": [{"message": {}}]}})
    assert whole["highlight"]["message"] == [LONG_TEXT.replace("scanner", "<em>scanner</em>")]


def test_highlight_query_forms_and_field_match(es: httpx.Client, web: str) -> None:
    hit = _hit(es, web, {
        "query": {"bool": {"must": [{"query_string": {"query": "message:firew*"}}],
                           "filter": [{"term": {"action": "BLOCK"}}]}},
        "highlight": {"fields": {"message": {"number_of_fragments": 1,
                                             "fragment_size": 40}, "action": {}}}})
    assert hit["highlight"]["message"][0].count("<em>Firewall</em>") >= 1
    assert hit["highlight"]["action"] == ["<em>BLOCK</em>"]
    other = _hit(es, web, {"query": {"match": {"action": "ALLOW"}},
                           "highlight": {"fields": {"message": {}}}})
    assert "highlight" not in other
    loose = _hit(es, web, {"query": {"ids": {"values": ["2"]}}, "highlight": {
        "fields": {"message": {"highlight_query": {"match": {"message": "chrome"}}}}}})
    assert loose["highlight"] == {"message": ["POST /login <em>Chrome</em> Windows brown dog"]}


def test_version_seq_no_and_explain(es: httpx.Client, web: str) -> None:
    es.put(f"/{web}/_doc/1?refresh=true", json=WEB_DOCS["1"])
    hit = _hit(es, web, {"query": {"ids": {"values": ["1"]}}, "version": True,
                         "seq_no_primary_term": True, "explain": True})
    assert hit["_version"] == 2 and hit["_primary_term"] == 1
    assert isinstance(hit["_seq_no"], int) and hit["_seq_no"] >= 9
    explanation = hit["_explanation"]
    assert explanation["value"] == pytest.approx(hit["_score"], rel=1e-5)
    assert isinstance(explanation["description"], str) and "details" in explanation
