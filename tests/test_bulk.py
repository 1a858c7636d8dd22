"""The _bulk API over HTTP: item results, errors per item, content types, gzip, limits."""

from __future__ import annotations

import gzip

import httpx
import orjson


def ndjson(*lines: object) -> bytes:
    return b"".join(orjson.dumps(line) + b"\n" for line in lines)


def test_bulk_items_and_statuses(es: httpx.Client, index_name: str) -> None:
    body = ndjson(
        {"index": {"_index": index_name, "_id": "1"}}, {"a": 1},
        {"create": {"_index": index_name, "_id": "2"}}, {"a": 2},
        {"create": {"_index": index_name, "_id": "1"}}, {"a": 3},
        {"update": {"_index": index_name, "_id": "2"}}, {"doc": {"b": 1}},
        {"delete": {"_index": index_name, "_id": "1"}},
        {"index": {"_index": index_name}}, {"a": 4},
    )
    response = es.post("/_bulk?refresh=true", content=body,
                       headers={"content-type": "application/x-ndjson"})
    assert response.status_code == 200
    result = response.json()
    assert result["errors"] is True
    items = result["items"]
    assert [next(iter(i)) for i in items] == ["index", "create", "create", "update", "delete",
                                              "index"]
    assert [next(iter(i.values()))["status"] for i in items] == [201, 201, 409, 200, 200, 201]
    conflict = items[2]["create"]
    assert conflict["error"]["type"] == "version_conflict_engine_exception"
    assert items[0]["index"]["_index"] == index_name and items[0]["index"]["_version"] == 1
    assert items[4]["delete"]["result"] == "deleted"
    assert es.get(f"/{index_name}/_doc/2").json()["_source"] == {"a": 2, "b": 1}


def test_malformed_line_fails_only_its_item(es: httpx.Client, index_name: str) -> None:
    es.put(f"/{index_name}", json={"mappings": {"properties": {"n": {"type": "long"}}}})
    body = (ndjson({"index": {"_index": index_name, "_id": "1"}}) + b'{"n": 1,,}\n'
            + ndjson({"index": {"_index": index_name, "_id": "2"}}, {"n": "abc"},
                     {"index": {"_index": index_name, "_id": "3"}}, {"n": 3}))
    items = es.post("/_bulk", content=body,
                    headers={"content-type": "application/x-ndjson"}).json()["items"]
    assert items[0]["index"]["status"] == 400
    assert items[0]["index"]["error"]["type"] == "mapper_parsing_exception"
    assert items[1]["index"]["error"]["type"] == "mapper_parsing_exception"
    assert items[2]["index"]["status"] == 201


def test_content_types_blank_lines_type_and_put(es: httpx.Client, index_name: str) -> None:
    body = (b'{"index":{"_index":"%s","_type":"_doc"}}\n{"a":1}\n\n' % index_name.encode()
            + b'{"index":{"_index":"%s"}}\n\n{"a":2}\n\n' % index_name.encode())
    for content_type in ("application/json; charset=utf-8", "application/x-ndjson",
                         "application/vnd.elasticsearch+x-ndjson; compatible-with=8"):
        response = es.put("/_bulk", content=body, headers={"content-type": content_type})
        assert response.status_code == 200, content_type
        assert response.json()["errors"] is False
    vendor = es.post("/_bulk", content=body, headers={
        "content-type": "application/vnd.elasticsearch+x-ndjson; compatible-with=8",
        "accept": "application/vnd.elasticsearch+json; compatible-with=8"})
    assert vendor.headers["content-type"].startswith("application/vnd.elasticsearch+json")


def test_gzip_body_and_index_in_path(es: httpx.Client, index_name: str) -> None:
    body = gzip.compress(ndjson({"index": {}}, {"a": 1}, {"index": {"_id": "k"}}, {"a": 2}))
    response = es.post(f"/{index_name}/_bulk", content=body, headers={
        "content-type": "application/x-ndjson", "content-encoding": "gzip"})
    assert response.json()["errors"] is False
    assert es.get(f"/{index_name}/_doc/k").json()["_source"] == {"a": 2}


def test_missing_index_fails_the_whole_request(es: httpx.Client) -> None:
    # ES's BulkRequest.validate: every item's validation errors fail the request
    response = es.post("/_bulk", content=ndjson({"index": {}}, {"a": 1}),
                       headers={"content-type": "application/x-ndjson"})
    assert response.status_code == 400
    assert response.json()["error"]["type"] == "action_request_validation_exception"
    assert response.json()["error"]["reason"] == "Validation Failed: 1: index is missing;"


def test_body_size_limit_is_413(tmp_path) -> None:
    from conftest import Server

    server = Server(tmp_path / "data", env={"LOGHAVEN_MAX_CONTENT_LENGTH": "1kb"}).start()
    try:
        body = ndjson(*[line for i in range(100) for line in ({"index": {"_index": "x"}},
                                                               {"i": i})])
        response = httpx.post(server.url + "/_bulk", content=body,
                              headers={"content-type": "application/x-ndjson"})
        assert response.status_code == 413
        assert "max_content_length" in response.json()["error"]["reason"]
    finally:
        server.kill()


def test_pipelines_fail_their_items(es: httpx.Client, index_name: str) -> None:
    """The URL's ``pipeline`` is every item's default; an action line's own wins."""
    es.put(f"/{index_name}-d", json={"settings": {"index": {"default_pipeline": "parse"}}})
    body = ndjson(
        {"index": {"_index": index_name, "_id": "1"}}, {"a": 1},
        {"index": {"_index": index_name, "_id": "2", "pipeline": "_none"}}, {"a": 2},
        {"create": {"_index": index_name, "_id": "3", "pipeline": "enrich"}}, {"a": 3},
    )
    items = es.post("/_bulk?pipeline=geoip", content=body,
                    headers={"content-type": "application/x-ndjson"}).json()["items"]
    assert [next(iter(i.values()))["status"] for i in items] == [400, 201, 400]
    assert items[0]["index"]["error"] == {
        "type": "illegal_argument_exception",
        "reason": "pipeline with id [geoip] does not exist"}
    assert items[2]["create"]["error"]["reason"] == "pipeline with id [enrich] does not exist"
    body = ndjson({"index": {"_index": f"{index_name}-d", "_id": "1"}}, {"a": 1},
                  {"index": {"_index": f"{index_name}-d", "_id": "2", "pipeline": "_none"}},
                  {"a": 2})
    items = es.post("/_bulk", content=body,
                    headers={"content-type": "application/x-ndjson"}).json()["items"]
    assert [i["index"]["status"] for i in items] == [400, 201]
    assert items[0]["index"]["error"]["reason"] == "pipeline with id [parse] does not exist"
