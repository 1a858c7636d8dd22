"""The write service's contract, called directly as the node's own features will call it:
plain values in, the Elasticsearch body out, ES errors raised, no HTTP anywhere."""

from __future__ import annotations

from collections.abc import Iterator

import orjson
import pytest

from loghaven.config import Config
from loghaven.engine import templates
from loghaven.engine.documents_state import WriteRequest
from loghaven.errors import LoghavenError
from loghaven.ingest.bulk import parse_bulk
from loghaven.ingest.service import WriteService
from loghaven.node import Node


@pytest.fixture()
def node(tmp_path) -> Iterator[Node]:
    node = Node(Config(data_dir=tmp_path, ingest_workers=0))
    yield node
    node.close()


@pytest.fixture()
def service(node: Node) -> WriteService:
    return node.write_service


def ndjson(*lines: object) -> bytes:
    return b"".join(orjson.dumps(line) + b"\n" for line in lines)


def source(node: Node, index: str, doc_id: str) -> dict | None:
    state = node.catalog.write_index(index, auto_create=False).get(doc_id)
    return None if state is None else orjson.loads(state.source)


def test_index_a_document_creates_the_index_and_refreshes(node: Node,
                                                          service: WriteService) -> None:
    status, body = service.write_document("logs", WriteRequest("index", "1", b'{"a":1}'),
                                          refresh="true")
    assert status == 201
    assert body["_index"] == "logs" and body["_id"] == "1" and body["result"] == "created"
    assert body["_version"] == 1 and "status" not in body
    found = node.search_service.search("logs", {"query": {"term": {"a": 1}}}, {})
    assert [hit["_id"] for hit in found["hits"]["hits"]] == ["1"]


def test_writes_to_an_alias_go_to_its_write_index(node: Node, service: WriteService) -> None:
    node.catalog.create_index("logs-1", {"aliases": {"logs": {"is_write_index": True}}})
    _, body = service.write_document("logs", WriteRequest("index", "1", b'{"a":1}'))
    assert body["_index"] == "logs-1"


def test_update_and_delete(node: Node, service: WriteService) -> None:
    service.write_document("logs", WriteRequest("index", "1", b'{"a":1}'))
    status, body = service.write_document(
        "logs", WriteRequest("update", "1", update={"doc": {"b": 2}}))
    assert (status, body["result"], body["_version"]) == (200, "updated", 2)
    assert source(node, "logs", "1") == {"a": 1, "b": 2}
    status, body = service.write_document("logs", WriteRequest("delete", "1"))
    assert (status, body["result"]) == (200, "deleted")
    status, body = service.write_document("logs", WriteRequest("delete", "1"))
    assert (status, body["result"]) == (404, "not_found")


def test_a_failed_single_write_raises_es_error(service: WriteService) -> None:
    service.write_document("logs", WriteRequest("create", "1", b"{}"))
    with pytest.raises(LoghavenError) as raised:
        service.write_document("logs", WriteRequest("create", "1", b"{}"))
    assert raised.value.status == 409
    assert raised.value.type == "version_conflict_engine_exception"
    with pytest.raises(LoghavenError) as raised:
        service.write_document("absent", WriteRequest("delete", "1"), auto_create=False)
    assert raised.value.type == "index_not_found_exception"


def test_bulk_fails_only_the_failing_item(node: Node, service: WriteService) -> None:
    items = parse_bulk(ndjson(
        {"index": {"_id": "1"}}, {"a": 1},
        {"create": {"_id": "1"}}, {"a": 2},
        {"update": {"_id": "1"}}, {"doc": {"b": 1}},
        {"index": {"_index": "other", "_id": "x"}}, {"c": 1},
    ), "logs")
    body = service.bulk(items, refresh="true")
    assert body["errors"] is True
    assert [next(iter(i.values()))["status"] for i in body["items"]] == [201, 409, 200, 201]
    assert body["items"][1]["create"]["error"]["type"] == "version_conflict_engine_exception"
    assert source(node, "logs", "1") == {"a": 1, "b": 1}
    assert source(node, "other", "x") == {"c": 1}


def test_naming_a_pipeline_fails_as_es_fails_for_a_missing_one(
        node: Node, service: WriteService) -> None:
    with pytest.raises(LoghavenError) as raised:
        service.write_document("logs", WriteRequest("index", "1", b"{}"), pipeline="geoip")
    assert (raised.value.status, raised.value.type, raised.value.reason) == (
        400, "illegal_argument_exception", "pipeline with id [geoip] does not exist")
    assert "logs" not in node.catalog.indices  # failed before the index was created
    status, _ = service.write_document("logs", WriteRequest("index", "1", b"{}"),
                                       pipeline="_none")
    assert status == 201


def test_a_bulk_item_naming_a_pipeline_fails_alone(node: Node, service: WriteService) -> None:
    items = parse_bulk(ndjson(
        {"index": {"_id": "1"}}, {"a": 1},
        {"index": {"_id": "2", "pipeline": "enrich"}}, {"a": 2},
        {"index": {"_id": "3", "pipeline": "_none"}}, {"a": 3},
        {"delete": {"_id": "1"}},
    ), "logs", default_pipeline="parse")
    body = service.bulk(items, refresh=None)
    statuses = [next(iter(i.values()))["status"] for i in body["items"]]
    assert statuses == [400, 400, 201, 404]
    errors = [i["index"]["error"]["reason"] for i in body["items"][:2]]
    assert errors == ["pipeline with id [parse] does not exist",
                      "pipeline with id [enrich] does not exist"]
    assert source(node, "logs", "1") is None and source(node, "logs", "3") == {"a": 3}


def test_index_default_and_final_pipelines(node: Node, service: WriteService) -> None:
    node.catalog.create_index("logs", {"settings": {"index.default_pipeline": "parse"}})
    node.catalog.create_index("audit", {"settings": {"index.final_pipeline": "stamp"}})
    with pytest.raises(LoghavenError, match=r"pipeline with id \[parse\] does not exist"):
        service.write_document("logs", WriteRequest("index", "1", b"{}"))
    status, _ = service.write_document("logs", WriteRequest("index", "1", b"{}"),
                                       pipeline="_none")
    assert status == 201
    status, _ = service.write_document("logs", WriteRequest("delete", "1"))
    assert status == 200  # a delete carries no document: no pipeline runs
    with pytest.raises(LoghavenError, match=r"pipeline with id \[stamp\] does not exist"):
        service.write_document("audit", WriteRequest("index", "1", b"{}"), pipeline="_none")


def test_update_by_query_writes_through_the_pipeline_hook(node: Node) -> None:
    node.write_service.write_document("logs", WriteRequest("index", "1", b'{"a":1}'),
                                      refresh="true")
    status, body = node.search_service.by_query("update", "logs", {}, {"pipeline": "parse"})
    # ES answers the worst failure's status: the missing pipeline's 400
    assert status == 400 and body["updated"] == 0
    assert body["failures"][0]["cause"]["reason"] == "pipeline with id [parse] does not exist"
    status, body = node.search_service.by_query("update", "logs", {}, {"refresh": "true"})
    assert (status, body["updated"]) == (200, 1)


def test_a_template_default_pipeline_applies_before_the_index_is_created(
        node: Node, service: WriteService) -> None:
    templates.put(node.metastore, templates.COMPOSABLE, "logs", {
        "index_patterns": ["logs-*"], "template": {"settings": {"default_pipeline": "parse"}}})
    with pytest.raises(LoghavenError, match=r"pipeline with id \[parse\] does not exist"):
        service.write_document("logs-a", WriteRequest("index", "1", b"{}"))
    assert "logs-a" not in node.catalog.indices
    status, body = service.write_document("logs-a", WriteRequest("index", "1", b"{}"),
                                          pipeline="_none")
    assert status == 201 and body["_index"] == "logs-a"
