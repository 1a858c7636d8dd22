"""The audit log's contract: OpenSearch's event fields, a JSON-lines file and a hidden daily
index written by the flush job, a bounded queue, and the categories the settings select."""

from __future__ import annotations

import datetime
import json
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest

from loghaven.config import Config
from loghaven.node import Node
from loghaven.security.audit import (
    AUTHENTICATED,
    FAILED_LOGIN,
    GRANTED_PRIVILEGES,
    MISSING_PRIVILEGES,
)


def make_node(folder: Path, **settings: object) -> Node:
    return Node(Config(data_dir=folder, ingest_workers=0, **{"security_enabled": True,
                                                             **settings}))


@pytest.fixture
def node(tmp_path: Path) -> Iterator[Node]:
    instance = make_node(tmp_path / "data")
    yield instance
    instance.close()


def today_index() -> str:
    return "security-auditlog-" + datetime.datetime.now(datetime.UTC).strftime("%Y.%m.%d")


def file_events(node: Node) -> list[dict]:
    path = node.config.data_dir / "audit" / "audit.log"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def index_events(node: Node, expression: str, query: dict | None = None) -> list[dict]:
    for target in node.catalog.resolve(expression, expand_wildcards="all"):
        target.index.refresh()
    body = node.search_service.search(expression, {"query": query or {"match_all": {}},
                                                   "size": 100}, {})
    return [orjson.loads(orjson.dumps(hit["_source"])) for hit in body["hits"]["hits"]]


def denied(node: Node, user: str = "alice") -> None:
    node.audit.record(MISSING_PRIVILEGES, user=user, address="192.0.2.7", method="GET",
                      path="/logs-2026/_search", action="indices:data/read/search",
                      indices=("logs-2026",), reason="no permissions for [indices:data/read/search]")


def test_an_event_has_opensearch_audit_fields_in_file_and_index(node: Node) -> None:
    denied(node)
    assert file_events(node) == []  # recording only queues: the request never writes
    node.audit.flush()
    (event,) = file_events(node)
    assert event["audit_category"] == "MISSING_PRIVILEGES"
    assert event["audit_format_version"] == 4
    assert (event["audit_request_layer"], event["audit_request_origin"]) == ("REST", "REST")
    assert event["audit_rest_request_method"] == "GET"
    assert event["audit_rest_request_path"] == "/logs-2026/_search"
    assert event["audit_request_effective_user"] == "alice"
    assert event["audit_request_remote_address"] == "192.0.2.7"
    assert event["audit_request_privilege"] == "indices:data/read/search"
    assert event["audit_trace_indices"] == ["logs-2026"]
    assert event["audit_node_id"] == node.node_id
    assert event["audit_node_name"] == node.config.node_name
    assert event["audit_cluster_name"] == node.config.cluster_name
    assert event["audit_request_effective_user_is_admin"] is False
    stamp = datetime.datetime.fromisoformat(event["@timestamp"])
    assert abs((datetime.datetime.now(datetime.UTC) - stamp).total_seconds()) < 600
    (indexed,) = index_events(node, today_index())
    assert indexed == event
    # the index's fields are keywords: a term query on the category finds the event
    assert len(index_events(node, today_index(),
                            {"term": {"audit_category": "MISSING_PRIVILEGES"}})) == 1


def test_the_audit_index_is_hidden_from_wildcard_searches(node: Node) -> None:
    node.catalog.create_index("logs-app")
    denied(node)
    node.audit.flush()
    index = node.catalog.get(today_index())
    assert index.settings.flat["index.hidden"] in (True, "true")
    names = [target.index.name for target in node.catalog.resolve("*")]
    assert names == ["logs-app"]
    assert [t.index.name for t in node.catalog.resolve("security-auditlog-*",
                                                       expand_wildcards="all")] \
        == [today_index()]


def test_flushes_are_batched_one_bulk_each(node: Node, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []
    bulk = node.write_service.bulk

    def counting(items: list, refresh: str | None) -> dict:
        calls.append(len(items))
        return bulk(items, refresh)

    monkeypatch.setattr(node.write_service, "bulk", counting)
    for n in range(25):
        denied(node, f"user{n}")
    node.audit.flush()
    node.audit.flush()  # nothing queued: no write
    assert calls == [25]
    assert len(file_events(node)) == 25
    assert node.audit.stats()["indexed"] == 25


def test_granted_privileges_only_when_asked(tmp_path: Path) -> None:
    for log_granted, expected in ((False, ["AUTHENTICATED", "FAILED_LOGIN"]),
                                  (True, ["AUTHENTICATED", "FAILED_LOGIN",
                                          "GRANTED_PRIVILEGES"])):
        node = make_node(tmp_path / str(log_granted), audit_log_granted=log_granted)
        try:
            for category in (AUTHENTICATED, FAILED_LOGIN, GRANTED_PRIVILEGES):
                node.audit.record(category, user="bob", address="127.0.0.1", method="GET",
                                  path="/")
            node.audit.flush()
            assert sorted(e["audit_category"] for e in file_events(node)) == expected
        finally:
            node.close()


@pytest.mark.parametrize("settings", [{"audit_enabled": False}, {"security_enabled": False}])
def test_nothing_is_recorded_when_audit_or_security_is_off(tmp_path: Path,
                                                           settings: dict) -> None:
    node = make_node(tmp_path / "data", **settings)
    try:
        node.start()
        denied(node)
        node.audit.flush()
        assert not (tmp_path / "data" / "audit").exists()
        assert today_index() not in node.catalog.indices
        assert "security-audit-flush" not in node.scheduler.stats()["job"]
    finally:
        node.close()


def test_the_queue_is_bounded_and_drops_are_counted(node: Node, monkeypatch: pytest.MonkeyPatch,
                                                    caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setattr(node.audit.sink, "max_queue", 10)
    for n in range(15):
        denied(node, f"user{n}")
    assert node.audit.stats()["queued"] == 10
    assert node.audit.stats()["dropped"] == 5
    with caplog.at_level("WARNING", logger="loghaven.audit"):
        node.audit.flush()
    assert "dropped 5 audit events" in caplog.text
    assert len(file_events(node)) == 10


def test_the_flush_job_runs_with_the_node_and_the_rest_is_flushed_at_close(
        tmp_path: Path) -> None:
    node = make_node(tmp_path / "data")
    node.start()
    try:
        assert "security-audit-flush" in node.scheduler.stats()["job"]
        denied(node)
    finally:
        node.close()
    assert [e["audit_category"] for e in file_events(node)] == ["MISSING_PRIVILEGES"]
    reopened = make_node(tmp_path / "data")
    try:
        assert len(index_events(reopened, today_index())) == 1
    finally:
        reopened.close()


def test_the_file_rotates_by_size(node: Node, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(node.audit.sink, "max_bytes", 2000)
    for _ in range(3):
        for n in range(5):
            denied(node, f"user{n}")
        node.audit.flush()
    folder = node.config.data_dir / "audit"
    rotated = sorted(p.name for p in folder.iterdir())
    assert rotated[0] == "audit.log" and "audit.log.1" in rotated
    assert all(p.stat().st_size <= 2000 + 1000 for p in folder.iterdir())
