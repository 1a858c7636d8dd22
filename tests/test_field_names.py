"""Metadata, empty and dotted-empty field names are refused with a 400 and change nothing.

Before, a document with an ``_id`` field answered 500 and left a mapping with a second
``_id`` field in the metastore, which tantivy refused at every later start.
"""

from __future__ import annotations

import httpx
import orjson
import pytest

from conftest import Server

BAD_DOCUMENTS = [
    ({"_id": "x", "msg": "a"}, "Field [_id] is a metadata field and cannot be added inside a "
                               "document. Use the index API request parameters."),
    ({"_source": {"a": 1}}, "Field [_source] is a metadata field"),
    ({"_version": 3}, "Field [_version] is a metadata field"),
    ({"_seq_no": 3}, "Field [_seq_no] is a metadata field"),
    ({"_routing": "r"}, "Field [_routing] is a metadata field"),
    ({"_index": "other"}, "Field [_index] is a metadata field"),
    ({"": "empty"}, "field name cannot be an empty string"),
    ({"obj": {"": 1}}, "field name cannot be an empty string"),
    ({"a..b": 1}, "object field starting or ending with a [.] makes object resolution ambiguous"),
    ({".": 1}, "field name cannot contain only dots"),
    ({"a.": 1}, "object field starting or ending with a [.] makes object resolution ambiguous"),
]


def _reason(error: dict) -> str:
    return error["reason"] + " " + error.get("caused_by", {}).get("reason", "")


@pytest.fixture
def client(fresh_server: Server):
    with httpx.Client(base_url=fresh_server.url, timeout=30) as client:
        yield client


def test_documents_with_reserved_names_are_refused_and_the_server_still_starts(
        fresh_server: Server, client: httpx.Client) -> None:
    assert client.put("/logs", json={"mappings": {"properties": {
        "msg": {"type": "keyword"}}}}).status_code == 200
    before = client.get("/logs/_mapping").json()
    for document, reason in BAD_DOCUMENTS:
        response = client.post("/logs/_doc", json=document)
        assert response.status_code == 400, (document, response.text)
        error = response.json()["error"]
        assert error["type"] == "mapper_parsing_exception"
        assert reason in _reason(error), (document, error)
    # a document to an index that does not exist yet: nothing is created by the refused one
    assert client.put("/fresh/_doc/1", json={"_id": "1"}).status_code == 400
    assert client.post("/logs/_doc/ok", json={"msg": "fine", "nested": {"_id": "allowed"}},
                       params={"refresh": "true"}).status_code == 201
    after = client.get("/logs/_mapping").json()["logs"]["mappings"]["properties"]
    assert set(after) == {"msg", "nested"}
    assert set(after["nested"]["properties"]) == {"_id"}  # only at the root is it reserved
    fresh_server.restart()
    assert client.get("/logs/_doc/ok").json()["_source"]["msg"] == "fine"
    mapping = client.get("/logs/_mapping").json()
    assert mapping["logs"]["mappings"]["properties"].keys() == after.keys()
    assert before["logs"]["mappings"]["properties"]["msg"] == \
        mapping["logs"]["mappings"]["properties"]["msg"]


def test_a_bulk_refuses_only_the_item_with_a_reserved_name(fresh_server: Server,
                                                          client: httpx.Client) -> None:
    lines = []
    for doc_id, document in [("1", {"msg": "one"}), ("2", {"_id": "two", "msg": "two"}),
                             ("3", {"msg": "three"}), ("4", {"": 4}), ("5", {"x..y": 5})]:
        lines += [orjson.dumps({"index": {"_index": "bulked", "_id": doc_id}}),
                  orjson.dumps(document)]
    response = client.post("/_bulk", params={"refresh": "true"},
                           content=b"\n".join(lines) + b"\n",
                           headers={"content-type": "application/x-ndjson"})
    assert response.status_code == 200
    body = response.json()
    assert body["errors"] is True
    statuses = [item["index"]["status"] for item in body["items"]]
    assert statuses == [201, 400, 201, 400, 400]
    assert body["items"][1]["index"]["error"]["type"] == "mapper_parsing_exception"
    assert client.get("/bulked/_count").json()["count"] == 2
    fresh_server.restart()
    assert client.get("/bulked/_count").json()["count"] == 2
    assert set(client.get("/bulked/_mapping").json()["bulked"]["mappings"]["properties"]) == \
        {"msg"}


@pytest.mark.parametrize("properties", [
    {"_id": {"type": "keyword"}},
    {"_source": {"type": "text"}},
    {"_seq_no": {"type": "long"}},
    {"": {"type": "keyword"}},
    {"a..b": {"type": "keyword"}},
    {".": {"type": "keyword"}},
    {"title": {"type": "text", "fields": {"": {"type": "keyword"}}}},
    {"loc": {"type": "geo_point"}, "loc.lat": {"type": "double"}},
])
def test_mappings_with_reserved_names_are_refused_and_nothing_is_stored(
        fresh_server: Server, client: httpx.Client, properties: dict) -> None:
    created = client.put("/made", json={"mappings": {"properties": properties}})
    assert created.status_code == 400, created.text
    assert created.json()["error"]["type"] == "mapper_parsing_exception"
    assert client.head("/made").status_code == 404
    assert client.put("/kept", json={"mappings": {"properties": {
        "msg": {"type": "keyword"}}}}).status_code == 200
    updated = client.put("/kept/_mapping", json={"properties": properties})
    assert updated.status_code == 400, updated.text
    assert updated.json()["error"]["type"] == "mapper_parsing_exception"
    fresh_server.restart()
    assert client.get("/kept/_mapping").json()["kept"]["mappings"] == {
        "properties": {"msg": {"type": "keyword"}}}
    assert client.post("/kept/_doc", json={"msg": "after"}).status_code == 201


def test_templates_with_reserved_names_are_refused(fresh_server: Server,
                                                   client: httpx.Client) -> None:
    bad = {"properties": {"_id": {"type": "keyword"}}}
    legacy = client.put("/_template/t1", json={"index_patterns": ["t1-*"], "mappings": bad})
    composable = client.put("/_index_template/t2", json={
        "index_patterns": ["t2-*"], "template": {"mappings": bad}})
    component = client.put("/_component_template/t3", json={"template": {"mappings": bad}})
    for response in (legacy, composable, component):
        assert response.status_code == 400, response.text
        assert response.json()["error"]["type"] == "mapper_parsing_exception"
    fresh_server.restart()
    assert client.get("/_template/t1").status_code == 404
    assert client.get("/_index_template/t2").status_code == 404
    assert client.put("/t1-a/_doc/1", json={"a": 1}).status_code == 201
