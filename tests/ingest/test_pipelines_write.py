"""The pipeline hook on every write path, over HTTP: index, bulk (URL and per item, one item
failing alone), default and final pipelines, ``_none``, re-routing through ``_index``, drops,
update-by-query, and a large bulk run in the ingest worker processes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from conftest import Server

NDJSON = {"content-type": "application/x-ndjson"}


def put(es: httpx.Client, pid: str, processors: list[dict[str, Any]], **extra: Any) -> None:
    response = es.put(f"/_ingest/pipeline/{pid}", json={"processors": processors, **extra})
    assert response.status_code == 200, response.text


def source(es: httpx.Client, index: str, doc_id: str) -> Any:
    response = es.get(f"/{index}/_doc/{doc_id}")
    return response.json().get("_source") if response.status_code == 200 else None


def bulk(es: httpx.Client, path: str, lines: list[Any]) -> dict[str, Any]:
    body = b"\n".join(orjson.dumps(line) for line in lines) + b"\n"
    response = es.post(path, content=body, headers=NDJSON)
    assert response.status_code == 200, response.text
    return response.json()


def test_index_api_runs_the_requested_pipeline(es: httpx.Client) -> None:
    put(es, "w-tag", [{"set": {"field": "seen", "value": "{{_ingest.timestamp}}"}},
                      {"set": {"field": "copy", "value": "{{msg}}!"}}])
    response = es.put("/w-index/_doc/1?pipeline=w-tag&refresh=true", json={"msg": "hi"})
    assert response.status_code == 201, response.text
    stored = source(es, "w-index", "1")
    assert stored["copy"] == "hi!" and stored["seen"].endswith("Z")
    missing = es.put("/w-index/_doc/2?pipeline=w-none", json={"msg": "hi"})
    assert missing.status_code == 400
    assert missing.json()["error"]["reason"] == "pipeline with id [w-none] does not exist"
    assert source(es, "w-index", "2") is None


def test_bulk_item_failure_fails_that_item_only(es: httpx.Client) -> None:
    put(es, "w-rename", [{"rename": {"field": "a", "target_field": "b"}}])
    put(es, "w-other", [{"set": {"field": "other", "value": True}}])
    answer = bulk(es, "/w-bulk/_bulk?pipeline=w-rename&refresh=true", [
        {"index": {"_id": "1"}}, {"a": 1},
        {"index": {"_id": "2"}}, {"c": 1},
        {"index": {"_id": "3", "pipeline": "w-other"}}, {"a": 3},
        {"create": {"_id": "4", "pipeline": "_none"}}, {"a": 4},
        {"index": {"_id": "5", "pipeline": "w-missing"}}, {"a": 5}])
    assert answer["errors"] is True
    items = [next(iter(item.values())) for item in answer["items"]]
    assert [item["status"] for item in items] == [201, 400, 201, 201, 400]
    assert items[1]["error"]["type"] == "illegal_argument_exception"
    assert items[1]["error"]["reason"] == "field [a] doesn't exist"
    assert items[4]["error"]["reason"] == "pipeline with id [w-missing] does not exist"
    assert source(es, "w-bulk", "1") == {"b": 1}
    assert source(es, "w-bulk", "2") is None
    assert source(es, "w-bulk", "3") == {"a": 3, "other": True}
    assert source(es, "w-bulk", "4") == {"a": 4}


def test_a_condition_that_changes_the_document_fails_that_item(es: httpx.Client) -> None:
    put(es, "w-cond", [{"set": {"if": "ctx.n == 2 ? (ctx.hacked = true) : false",
                                "field": "ran", "value": True}},
                       {"set": {"if": "ctx.n == 3", "field": "ran", "value": True}}])
    answer = bulk(es, "/w-cond/_bulk?pipeline=w-cond&refresh=true", [
        {"index": {"_id": "1"}}, {"n": 1}, {"index": {"_id": "2"}}, {"n": 2},
        {"index": {"_id": "3"}}, {"n": 3}])
    items = [item["index"] for item in answer["items"]]
    assert [item["status"] for item in items] == [201, 400, 201]
    error = items[1]["error"]
    assert (error["type"], error["reason"]) == ("script_exception", "runtime error")
    assert error["caused_by"] == {
        "type": "unsupported_operation_exception",
        "reason": "Mutating ingest documents in conditionals is not supported"}
    assert source(es, "w-cond", "1") == {"n": 1}
    assert source(es, "w-cond", "2") is None
    assert source(es, "w-cond", "3") == {"n": 3, "ran": True}


def test_default_and_final_pipelines(es: httpx.Client) -> None:
    put(es, "w-default", [{"append": {"field": "ran", "value": "default"}}])
    put(es, "w-final", [{"append": {"field": "ran", "value": "final"}}])
    put(es, "w-asked", [{"append": {"field": "ran", "value": "asked"}}])
    assert es.put("/w-dflt", json={"settings": {"index.default_pipeline": "w-default",
                                                "index.final_pipeline": "w-final"}}
                  ).status_code == 200
    es.put("/w-dflt/_doc/1", json={"ran": []})
    es.put("/w-dflt/_doc/2?pipeline=w-asked", json={})
    es.put("/w-dflt/_doc/3?pipeline=_none", json={"ran": []})
    assert source(es, "w-dflt", "1") == {"ran": ["default", "final"]}
    assert source(es, "w-dflt", "2") == {"ran": ["asked", "final"]}
    assert source(es, "w-dflt", "3") == {"ran": ["final"]}


def test_an_update_runs_the_pipelines_on_the_document_it_may_index(es: httpx.Client) -> None:
    put(es, "w-up", [{"set": {"field": "via", "value": "pipeline"}}])
    es.put("/w-upserts", json={"settings": {"index.default_pipeline": "w-up"}})
    answer = bulk(es, "/w-upserts/_bulk?refresh=true", [
        {"update": {"_id": "1"}}, {"doc": {"a": 1}, "upsert": {"a": 0}},
        {"update": {"_id": "2"}}, {"doc": {"b": 1}, "doc_as_upsert": True},
        {"update": {"_id": "3"}}, {"doc": {"c": 1}}])
    assert [item["update"]["status"] for item in answer["items"]] == [201, 201, 404]
    assert source(es, "w-upserts", "1") == {"a": 0, "via": "pipeline"}
    assert source(es, "w-upserts", "2") == {"b": 1, "via": "pipeline"}


def test_a_pipeline_may_send_the_document_to_another_index(es: httpx.Client) -> None:
    put(es, "w-route", [{"set": {"field": "_index", "value": "w-routed-{{kind}}"}}])
    put(es, "w-final-a", [{"set": {"field": "final", "value": "a"}}])
    put(es, "w-final-b", [{"set": {"field": "final", "value": "b"}}])
    put(es, "w-final-move", [{"set": {"field": "_index", "value": "w-elsewhere"}}])
    es.put("/w-src", json={"settings": {"index.default_pipeline": "w-route",
                                        "index.final_pipeline": "w-final-a"}})
    es.put("/w-routed-x", json={"settings": {"index.final_pipeline": "w-final-b"}})
    response = es.put("/w-src/_doc/1", json={"kind": "x"})
    assert response.status_code == 201, response.text
    assert response.json()["_index"] == "w-routed-x"
    assert source(es, "w-routed-x", "1") == {"kind": "x", "final": "b"}
    assert source(es, "w-src", "1") is None
    es.put("/w-bad-final", json={"settings": {"index.final_pipeline": "w-final-move"}})
    refused = es.put("/w-bad-final/_doc/1", json={})
    assert refused.status_code == 500
    assert refused.json()["error"]["reason"] == \
        "final pipeline [w-final-move] can't change the target index"


def test_dropped_documents_answer_noop(es: httpx.Client) -> None:
    put(es, "w-drop", [{"drop": {"if": "ctx.level == 'debug'"}}])
    answer = bulk(es, "/w-drops/_bulk?pipeline=w-drop&refresh=true", [
        {"index": {"_id": "1"}}, {"level": "debug"},
        {"index": {"_id": "2"}}, {"level": "error"}])
    first, second = (item["index"] for item in answer["items"])
    assert (first["result"], first["status"]) == ("noop", 200)
    assert second["result"] == "created"
    assert source(es, "w-drops", "1") is None
    assert first == {"_index": "w-drops", "_id": "1", "_version": -3, "result": "noop",
                     "_shards": {"total": 0, "successful": 0, "failed": 0}, "status": 200}
    single = es.put("/w-drops/_doc/3?pipeline=w-drop", json={"level": "debug"})
    assert single.status_code == 200
    assert single.json() == {"_index": "w-drops", "_id": "3", "_version": -3, "result": "noop",
                             "_shards": {"total": 0, "successful": 0, "failed": 0}}


def test_update_by_query_runs_its_pipeline(es: httpx.Client) -> None:
    put(es, "w-ubq", [{"drop": {"if": "ctx.n == 3"}},
                      {"script": {"source": "ctx.n = ctx.n * params.k", "params": {"k": 10}}}])
    for i in range(4):
        es.put(f"/w-ubq/_doc/{i}", json={"n": i})
    es.post("/w-ubq/_refresh")
    response = es.post("/w-ubq/_update_by_query?pipeline=w-ubq&refresh=true")
    assert response.status_code == 200, response.text
    assert (response.json()["updated"], response.json()["noops"]) == (3, 1)
    assert [source(es, "w-ubq", str(i))["n"] for i in range(4)] == [0, 10, 20, 3]


def test_on_failure_on_the_write_path(es: httpx.Client) -> None:
    put(es, "w-inner", [{"rename": {"tag": "mv", "field": "missing", "target_field": "x"}}])
    put(es, "w-handled", [
        {"pipeline": {"name": "w-inner"}},
        {"set": {"field": "never", "value": 1}}],
        on_failure=[{"set": {"field": "error", "value": "{{_ingest.on_failure_message}} "
                                                        "({{_ingest.on_failure_processor_type}}"
                                                        "/{{_ingest.on_failure_processor_tag}}"
                                                        " in {{_ingest.on_failure_pipeline}})"}}])
    es.put("/w-failures/_doc/1?pipeline=w-handled", json={})
    assert source(es, "w-failures", "1") == {
        "error": "field [missing] doesn't exist (rename/mv in w-inner)"}


@pytest.fixture
def worker_server(tmp_path: Path) -> Iterator[Server]:
    server = Server(tmp_path / "data", "--ingest-workers", "1").start()
    yield server
    server.kill()


def test_a_large_bulk_runs_its_pipelines_in_the_workers(worker_server: Server) -> None:
    with httpx.Client(base_url=worker_server.url, timeout=60) as client:
        put(client, "big", [
            {"set": {"field": "pid", "value": "{{_ingest.pipeline}}"}},
            {"script": {"source": "ctx.double = ctx.n * 2"}},
            {"fail": {"if": "ctx.n % 50 == 7", "message": "bad {{n}}"}},
            {"drop": {"if": "ctx.n % 50 == 9"}},
            {"set": {"if": "ctx.n % 50 == 11", "field": "_index", "value": "big-moved"}}])
        client.put("/big-moved", json={"settings": {"index.final_pipeline": "mark"}})
        put(client, "mark", [{"set": {"field": "marked", "value": True}}])
        lines: list[Any] = []
        for n in range(400):
            lines += [{"index": {"_id": str(n)}}, {"n": n}]
        answer = bulk(client, "/big/_bulk?pipeline=big&refresh=true", lines)
        items = [item["index"] for item in answer["items"]]
        assert worker_pids_of(worker_server), "the bulk was large enough for the workers"
        failed = [i for i, item in enumerate(items) if "error" in item]
        assert failed == [n for n in range(400) if n % 50 == 7]
        assert items[7]["error"] == {"type": "fail_processor_exception", "reason": "bad 7"}
        assert items[7]["status"] == 500
        assert {items[n]["result"] for n in range(9, 400, 50)} == {"noop"}
        assert {items[n]["_index"] for n in range(11, 400, 50)} == {"big-moved"}
        assert client.get("/big/_count").json()["count"] == 400 - 8 * 3
        assert source(client, "big", "1") == {"n": 1, "pid": "big", "double": 2}
        assert source(client, "big-moved", "11") == {"n": 11, "pid": "big", "double": 22,
                                                     "marked": True}


def worker_pids_of(server: Server) -> list[int]:
    from test_ingest_workers import worker_pids
    return worker_pids(server)


def test_the_grok_watchdog_setting_reaches_the_workers(tmp_path: Path) -> None:
    """``ingest.grok.watchdog.max_execution_time`` is a node setting: pipelines that run in
    the ingest workers stop a runaway match after the server's limit, not the default."""
    server = Server(tmp_path / "data", "--ingest-workers", "1",
                    env={"LOGHAVEN_GROK_MAX_EXECUTION_TIME": "30ms"}).start()
    try:
        with httpx.Client(base_url=server.url, timeout=120) as client:
            put(client, "runaway", [{"grok": {"field": "m",
                                              "patterns": ["^(?:%{DATA},){15}P"]}}])
            lines: list[Any] = []
            for n in range(80):
                lines += [{"index": {"_id": str(n)}}, {"m": "1," * 40}]
            answer = bulk(client, "/runaway/_bulk?pipeline=runaway", lines)
            assert worker_pids_of(server), "the bulk was large enough for the workers"
            reasons = {item["index"]["error"]["reason"] for item in answer["items"]}
            assert reasons == {"grok pattern matching was interrupted after [30] ms"}
    finally:
        server.kill()
