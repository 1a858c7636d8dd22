"""Document APIs over HTTP: index, get, versions, update, delete, mget, mapping errors."""

from __future__ import annotations

import httpx


def test_index_get_realtime_before_refresh(es: httpx.Client, index_name: str) -> None:
    es.put(f"/{index_name}", json={"settings": {"refresh_interval": "-1"}})
    created = es.put(f"/{index_name}/_doc/1", json={"msg": "hello", "n": 1})
    assert created.status_code == 201
    body = created.json()
    assert body["result"] == "created" and body["_version"] == 1 and body["_seq_no"] == 0
    assert body["_primary_term"] == 1 and body["_index"] == index_name
    got = es.get(f"/{index_name}/_doc/1")
    assert got.status_code == 200
    assert got.json()["found"] and got.json()["_source"] == {"msg": "hello", "n": 1}
    assert es.head(f"/{index_name}/_doc/1").status_code == 200
    assert es.head(f"/{index_name}/_doc/2").status_code == 404
    missing = es.get(f"/{index_name}/_doc/2")
    assert missing.status_code == 404 and missing.json()["found"] is False


def test_source_is_returned_byte_exact(es: httpx.Client, index_name: str) -> None:
    raw = b'{"b":  2, "a":1.50,"z":"\\u00e9"}'
    es.put(f"/{index_name}/_doc/x", content=raw, headers={"content-type": "application/json"})
    got = es.get(f"/{index_name}/_doc/x").content
    assert raw in got
    assert es.get(f"/{index_name}/_source/x").content == raw


def test_versions_and_conditional_writes(es: httpx.Client, index_name: str) -> None:
    es.put(f"/{index_name}/_doc/1", json={"v": 1})
    second = es.put(f"/{index_name}/_doc/1", json={"v": 2}).json()
    assert second["result"] == "updated" and second["_version"] == 2
    conflict = es.put(f"/{index_name}/_doc/1?if_seq_no=0&if_primary_term=1", json={"v": 3})
    assert conflict.status_code == 409
    assert conflict.json()["error"]["type"] == "version_conflict_engine_exception"
    ok = es.put(f"/{index_name}/_doc/1?if_seq_no={second['_seq_no']}&if_primary_term=1",
                json={"v": 3})
    assert ok.status_code == 200 and ok.json()["_version"] == 3
    create = es.put(f"/{index_name}/_create/1", json={"v": 4})
    assert create.status_code == 409
    op_type = es.put(f"/{index_name}/_doc/1?op_type=create", json={"v": 4})
    assert op_type.status_code == 409


def test_auto_id_post(es: httpx.Client, index_name: str) -> None:
    body = es.post(f"/{index_name}/_doc", json={"a": 1}).json()
    assert body["result"] == "created" and len(body["_id"]) == 20
    assert es.get(f"/{index_name}/_doc/{body['_id']}").json()["_source"] == {"a": 1}


def test_delete_and_not_found(es: httpx.Client, index_name: str) -> None:
    es.put(f"/{index_name}/_doc/1?refresh=true", json={"a": 1})
    deleted = es.delete(f"/{index_name}/_doc/1")
    assert deleted.status_code == 200 and deleted.json()["result"] == "deleted"
    assert deleted.json()["_version"] == 2
    assert es.get(f"/{index_name}/_doc/1").status_code == 404
    again = es.delete(f"/{index_name}/_doc/1")
    assert again.status_code == 404 and again.json()["result"] == "not_found"
    recreated = es.put(f"/{index_name}/_doc/1", json={"a": 2}).json()
    assert recreated["_version"] == 3  # the tombstone keeps the version, as ES does


def test_update_partial_upsert_and_missing(es: httpx.Client, index_name: str) -> None:
    es.put(f"/{index_name}/_doc/1", json={"a": 1, "o": {"x": 1, "y": 2}})
    updated = es.post(f"/{index_name}/_update/1", json={"doc": {"b": 2, "o": {"y": 3}}})
    assert updated.status_code == 200 and updated.json()["result"] == "updated"
    source = es.get(f"/{index_name}/_doc/1").json()["_source"]
    assert source == {"a": 1, "b": 2, "o": {"x": 1, "y": 3}}
    noop = es.post(f"/{index_name}/_update/1", json={"doc": {"b": 2}})
    assert noop.json()["result"] == "noop"
    missing = es.post(f"/{index_name}/_update/2", json={"doc": {"b": 2}})
    assert missing.status_code == 404
    assert missing.json()["error"]["type"] == "document_missing_exception"
    upsert = es.post(f"/{index_name}/_update/2", json={"doc": {"b": 2}, "upsert": {"c": 3}})
    assert upsert.status_code == 201
    assert es.get(f"/{index_name}/_doc/2").json()["_source"] == {"c": 3}
    doc_as_upsert = es.post(f"/{index_name}/_update/3",
                            json={"doc": {"d": 4}, "doc_as_upsert": True})
    assert doc_as_upsert.status_code == 201
    assert es.get(f"/{index_name}/_doc/3").json()["_source"] == {"d": 4}


def test_mget(es: httpx.Client, index_name: str) -> None:
    es.put(f"/{index_name}/_doc/1", json={"a": 1, "b": 2})
    es.put(f"/{index_name}/_doc/2", json={"a": 3})
    docs = es.post(f"/{index_name}/_mget", json={"ids": ["1", "2", "9"]}).json()["docs"]
    assert [d["found"] for d in docs] == [True, True, False]
    docs = es.post("/_mget", json={"docs": [
        {"_index": index_name, "_id": "1", "_source": ["a"]}]}).json()["docs"]
    assert docs[0]["_source"] == {"a": 1}


def test_mapper_parsing_fails_only_that_document(es: httpx.Client, index_name: str) -> None:
    es.put(f"/{index_name}", json={"mappings": {"properties": {"n": {"type": "long"},
                                                               "ip": {"type": "ip"}}}})
    bad = es.put(f"/{index_name}/_doc/1", json={"n": "not a number"})
    assert bad.status_code == 400
    error = bad.json()["error"]
    assert error["type"] == "mapper_parsing_exception"
    assert "failed to parse field [n] of type [long]" in error["reason"]
    bad_ip = es.put(f"/{index_name}/_doc/2", json={"ip": "999.1.1.1"})
    assert bad_ip.status_code == 400
    assert bad_ip.json()["error"]["reason"] == (
        "failed to parse field [ip] of type [ip] in document with id '2'. Preview of field's "
        "value: '999.1.1.1'")
    assert bad_ip.json()["error"]["caused_by"] == {
        "type": "illegal_argument_exception", "reason": "'999.1.1.1' is not an IP string literal."}
    assert es.put(f"/{index_name}/_doc/3", json={"n": "42", "ip": "10.0.0.1"}).status_code == 201


def test_dynamic_mapping_like_elasticsearch(es: httpx.Client, index_name: str) -> None:
    es.put(f"/{index_name}/_doc/1", json={
        "message": "hello", "count": 3, "ratio": 0.5, "ok": True,
        "when": "2024-01-01T10:00:00Z", "http": {"status": 200}, "tags": ["a", "b"]})
    props = es.get(f"/{index_name}/_mapping").json()[index_name]["mappings"]["properties"]
    assert props["message"] == {"type": "text", "fields": {
        "keyword": {"type": "keyword", "ignore_above": 256}}}
    assert props["count"] == {"type": "long"}
    assert props["ratio"] == {"type": "float"}
    assert props["ok"] == {"type": "boolean"}
    assert props["when"] == {"type": "date"}
    assert props["http"] == {"properties": {"status": {"type": "long"}}}
    assert props["tags"]["type"] == "text"


def test_dynamic_strict_and_false(es: httpx.Client, index_name: str) -> None:
    es.put(f"/{index_name}", json={"mappings": {"dynamic": "strict",
                                                "properties": {"a": {"type": "long"}}}})
    refused = es.put(f"/{index_name}/_doc/1", json={"a": 1, "b": 2})
    assert refused.status_code == 400
    assert refused.json()["error"]["type"] == "strict_dynamic_mapping_exception"
    es.put(f"/{index_name}-f", json={"mappings": {"dynamic": False}})
    assert es.put(f"/{index_name}-f/_doc/1", json={"b": 2}).status_code == 201
    mapping = es.get(f"/{index_name}-f/_mapping").json()[f"{index_name}-f"]["mappings"]
    assert "properties" not in mapping or "b" not in mapping["properties"]
    assert es.get(f"/{index_name}-f/_doc/1").json()["_source"] == {"b": 2}


def test_malformed_json_body_is_parse_error(es: httpx.Client, index_name: str) -> None:
    response = es.put(f"/{index_name}", content=b'{"settings": ',
                      headers={"content-type": "application/json"})
    assert response.status_code == 400
    assert response.json()["error"]["type"] == "parsing_exception"


def missing_pipeline(name: str) -> dict:
    """ES's answer to a write naming a pipeline that does not exist."""
    cause = {"type": "illegal_argument_exception",
             "reason": f"pipeline with id [{name}] does not exist"}
    return {"error": {"root_cause": [cause], **cause}, "status": 400}


def test_pipeline_parameter_names_a_missing_pipeline(es: httpx.Client, index_name: str) -> None:
    response = es.put(f"/{index_name}/_doc/1?pipeline=geoip", json={"a": 1})
    assert response.status_code == 400
    assert response.json() == missing_pipeline("geoip")
    assert es.head(f"/{index_name}").status_code == 404  # nothing was written or created
    assert es.post(f"/{index_name}/_doc?pipeline=_none", json={"a": 1}).status_code == 201


def test_index_default_pipeline_applies_to_writes(es: httpx.Client, index_name: str) -> None:
    es.put(f"/{index_name}", json={"settings": {"index.default_pipeline": "parse"}})
    response = es.put(f"/{index_name}/_create/1", json={"a": 1})
    assert response.status_code == 400
    assert response.json() == missing_pipeline("parse")
    assert es.put(f"/{index_name}/_doc/1?pipeline=_none", json={"a": 1}).status_code == 201
    assert es.get(f"/{index_name}/_doc/1").json()["_source"] == {"a": 1}
