"""The error log: the node's warnings and errors, a 5xx answer's stack trace with the request
and its origin, in ``<cluster>_server.json`` and ``.loghaven-logs-server-*``; and the logs
never fail a request. In process (the application over httpx's ASGI transport), because the
faults are forced: a full disk under a write (tests/faults.py), a bug in a service."""

from __future__ import annotations

import asyncio
import datetime
import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from faults import short_write_then_full_disk
from loghaven.api.app import create_app
from loghaven.config import Config
from loghaven.node import Node

CLIENT = ("192.0.2.9", 50123)


@pytest.fixture
def node(tmp_path: Path) -> Iterator[Node]:
    instance = Node(Config(data_dir=tmp_path / "data", ingest_workers=0,
                           ingest_parsers_install=False, dashboards_builtin_install=False,
                           cluster_name="ops-test"))
    instance.start()
    yield instance
    instance.close()


def send(node: Node, method: str, path: str, **options: Any) -> httpx.Response:
    app = create_app(node, manage_lifecycle=False)

    async def call() -> httpx.Response:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app, client=CLIENT),
                                     base_url="http://localhost") as client:
            return await client.request(method, path, **options)

    return asyncio.run(call())


def server_entries(node: Node) -> list[dict]:
    node.logs.flush()
    path = node.config.data_dir / "logs" / "ops-test_server.json"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def indexed(node: Node) -> list[dict]:
    node.logs.flush()
    for target in node.catalog.resolve(".loghaven-logs-server-*", expand_wildcards="all"):
        target.index.refresh()
    body = node.search_service.search(".loghaven-logs-server-*", {"size": 100},
                                      {"expand_wildcards": "all"})
    return [orjson.loads(orjson.dumps(hit["_source"])) for hit in body["hits"]["hits"]]


def test_a_bug_answered_with_500_is_logged_with_its_stack_trace(
        node: Node, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*_args: Any, **_kwargs: Any) -> Any:
        raise RuntimeError("the counter broke")

    assert send(node, "PUT", "/app").status_code == 200
    monkeypatch.setattr(node.search_service, "count", broken)
    response = send(node, "GET", "/app/_count?q=secret-in-query",
                    headers={"X-Opaque-Id": "trace-500", "Authorization": "Basic c2VjcmV0"})
    assert response.status_code == 500
    (entry,) = [e for e in server_entries(node) if e.get("x_opaque_id") == "trace-500"]
    assert entry["level"] == "ERROR"
    assert entry["logger"] == "loghaven.api"
    assert "RuntimeError: the counter broke" in entry["stacktrace"]
    assert "Traceback (most recent call last)" in entry["stacktrace"]
    assert (entry["method"], entry["path"]) == ("GET", "/app/_count")
    assert entry["client.address"] == "192.0.2.9"
    assert (entry["node.name"], entry["cluster.name"]) == ("loghaven-1", "ops-test")
    # the same entry, searchable; and neither the query string nor the credentials anywhere
    assert [e for e in indexed(node) if e.get("x_opaque_id") == "trace-500"] == [entry]
    text = (node.config.data_dir / "logs" / "ops-test_server.json").read_text()
    assert "secret-in-query" not in text and "c2VjcmV0" not in text


def test_an_engine_error_answered_with_500_is_logged_with_its_stack_trace(node: Node) -> None:
    assert send(node, "PUT", "/app").status_code == 200
    with short_write_then_full_disk():
        response = send(node, "PUT", "/app/_doc/1", json={"msg": "x"},
                        headers={"X-Opaque-Id": "disk-full"})
    assert response.status_code >= 500
    entries = [e for e in server_entries(node) if e.get("x_opaque_id") == "disk-full"]
    assert entries and all(e["level"] in ("WARN", "ERROR") for e in entries)
    (error,) = [e for e in entries if e["level"] == "ERROR"]
    assert (error["method"], error["path"]) == ("PUT", "/app/_doc/1")
    assert "TranslogFailure" in error["stacktrace"]
    # the engine's warning of the same request, with its cause
    assert any("No space left on device" in e["message"] for e in entries
               if e["level"] == "WARN")


def test_warnings_of_the_node_are_in_the_error_log_without_a_request(node: Node) -> None:
    logging.getLogger("loghaven.scheduler").warning("a job is late by %d s", 12)
    logging.getLogger("loghaven.scheduler").info("not an error")
    (entry,) = [e for e in server_entries(node) if e["logger"] == "loghaven.scheduler"]
    assert (entry["level"], entry["message"]) == ("WARN", "a job is late by 12 s")
    assert "client.address" not in entry and "stacktrace" not in entry


def test_a_failing_log_never_fails_a_request(node: Node, monkeypatch: pytest.MonkeyPatch,
                                             tmp_path: Path) -> None:
    assert send(node, "PUT", "/app", json={"settings": {
        "index.search.slowlog.threshold.query.warn": "0ms",
        "index.indexing.slowlog.threshold.index.warn": "0ms"}}).status_code == 200

    def full(*_args: Any) -> None:
        raise MemoryError("no room for the entry")

    monkeypatch.setattr(node.logs.search, "put", full)
    monkeypatch.setattr(node.logs.indexing, "put", full)
    assert send(node, "PUT", "/app/_doc/1?refresh=true", json={"a": 1}).status_code == 201
    assert send(node, "GET", "/app/_search").json()["hits"]["total"]["value"] == 1
    # a file that cannot be written: the flush job fails, requests do not
    monkeypatch.undo()
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    for sink in node.logs.sinks:
        monkeypatch.setattr(sink, "file", blocker / "x.json")
    assert send(node, "GET", "/app/_search").status_code == 200
    with pytest.raises(OSError):
        node.logs.flush()
    assert send(node, "GET", "/app/_search").status_code == 200


def test_old_log_indices_are_deleted_after_the_retention(node: Node) -> None:
    old = datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC)
    node.logs.search.put({"@timestamp": old.isoformat(), "message": "old"}, old)
    node.logs.search.put({"message": "today"}, datetime.datetime.now(datetime.UTC))
    node.logs.flush()
    assert ".loghaven-logs-search-2020.01.01" in node.catalog.indices
    assert node.logs.expire() == [".loghaven-logs-search-2020.01.01"]
    assert [n for n in node.catalog.indices if n.startswith(".loghaven-logs-search-")] \
        == [".loghaven-logs-search-" + datetime.datetime.now(datetime.UTC).strftime("%Y.%m.%d")]
