"""The alert and finding stores' contract on a real node: OpenSearch's indices, moves to the
history, acknowledgement (also against a concurrent run), a deleted monitor's alerts, and the
history's rollover and retention on a clock the test moves."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest

from loghaven.alerting.alerts import ACTIVE_INDEX, HISTORY_WRITE_ALIAS, AlertStore
from loghaven.alerting.findings import FindingStore
from loghaven.alerting.history import HistoryPolicy
from loghaven.config import Config
from loghaven.engine.documents_state import WriteRequest
from loghaven.node import Node

DAY = 86_400.0
#: 2026-03-01 00:00 UTC.
START = datetime.datetime(2026, 3, 1, tzinfo=datetime.UTC).timestamp()
#: An alert's times, in epoch milliseconds.
T = int(START * 1000)


class Clock:
    def __init__(self) -> None:
        self.now = START + 3600

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def node(tmp_path: Path) -> Iterator[Node]:
    instance = Node(Config(data_dir=tmp_path / "data", ingest_workers=0))
    yield instance
    instance.close()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(node: Node, clock: Clock) -> AlertStore:
    return AlertStore(node.write_service, node.search_service, clock=clock)


def alert(monitor_id: str = "m1", trigger: str = "cpu high", state: str = "ACTIVE",
          **fields: Any) -> dict[str, Any]:
    return {"monitor_id": monitor_id, "monitor_name": "IoT CPU", "monitor_version": 1,
            "schema_version": 5, "trigger_id": "t1", "trigger_name": trigger, "state": state,
            "severity": "1", "start_time": T, "last_notification_time": T,
            "end_time": None, "acknowledged_time": None, "finding_ids": [],
            "related_doc_ids": [], "alert_history": [], "action_execution_results": [],
            "error_message": None, "monitor_user": None, **fields}


def history(node: Node) -> list[dict[str, Any]]:
    response = node.search_service.search(".opendistro-alerting-alert-history-*",
                                          {"size": 100}, {})
    return [orjson.loads(orjson.dumps(hit["_source"])) | {"_index": hit["_index"]}
            for hit in response["hits"]["hits"]]


def test_saved_alerts_are_current_with_ids_in_the_hidden_active_index(
        node: Node, store: AlertStore) -> None:
    first, second, other = alert(), alert(trigger="cpu low"), alert(monitor_id="m2")
    store.save([first, second, other])
    assert first["id"] and second["id"] and first["id"] != second["id"]
    current = store.current("m1")
    assert sorted(a["id"] for a in current) == sorted([first["id"], second["id"]])
    assert all(isinstance(a["_seq_no"], int) and a["_primary_term"] == 1 for a in current)
    index = node.catalog.indices[ACTIVE_INDEX]
    assert index.settings.flat["index.hidden"] in (True, "true")
    assert index.mapping.body["dynamic"] == "strict"
    # hidden: a plain wildcard does not reach it
    assert node.search_service.search("*", {}, {})["hits"]["total"]["value"] == 0
    # an upsert by id replaces, it does not add
    current[0]["last_notification_time"] = T + 5_000
    store.save([current[0]])
    again = {a["id"]: a for a in store.current("m1")}
    assert len(again) == 2 and again[current[0]["id"]]["last_notification_time"] == T + 5_000


def test_completed_and_deleted_alerts_move_to_the_daily_history(
        node: Node, store: AlertStore) -> None:
    kept, done = alert(), alert(trigger="cpu low")
    store.save([kept, done])
    done = next(a for a in store.current("m1") if a["id"] == done["id"])
    store.save([{**done, "state": "COMPLETED", "end_time": T + 9_000}])
    assert [a["id"] for a in store.current("m1")] == [kept["id"]]
    moved, = history(node)
    assert moved["id"] == done["id"] and moved["state"] == "COMPLETED"
    assert moved["end_time"] == T + 9_000 and "_seq_no" not in moved
    assert moved["_index"] == ".opendistro-alerting-alert-history-2026.03.01-1"
    assert node.catalog.aliases[moved["_index"]][HISTORY_WRITE_ALIAS]["is_write_index"]


def test_acknowledge_only_the_monitors_active_alerts(store: AlertStore, clock: Clock) -> None:
    active, errored, other = alert(), alert(state="ERROR", error_message="boom"), \
        alert(monitor_id="m2")
    store.save([active, errored, other])
    answer = store.acknowledge("m1", [active["id"], errored["id"], other["id"], "nope"])
    assert answer == {"success": [active["id"]], "failed": [
        {errored["id"]: {"failed_reason": "Alert is in an error state and can not be "
                                          "acknowledged."}},
        {other["id"]: {"failed_reason": f"Alert: {other['id']} does not exist (it may have "
                                        f"already completed)."}},
        {"nope": {"failed_reason": "Alert: nope does not exist (it may have already "
                                   "completed)."}}]}
    acked = next(a for a in store.current("m1") if a["id"] == active["id"])
    assert acked["state"] == "ACKNOWLEDGED"
    assert acked["acknowledged_time"] == int(clock.now * 1000)
    again = store.acknowledge("m1", [active["id"]])
    assert again == {"success": [], "failed": [
        {active["id"]: {"failed_reason": "Alert has already been acknowledged."}}]}


def test_a_runs_stale_write_keeps_an_acknowledgement_made_meanwhile(store: AlertStore) -> None:
    store.save([alert()])
    read_by_run, = store.current("m1")
    assert store.acknowledge("m1", [read_by_run["id"]])["success"] == [read_by_run["id"]]
    read_by_run["last_notification_time"] = T + 7_000  # the run saves what it read before
    store.save([read_by_run])
    stored, = store.current("m1")
    assert stored["state"] == "ACKNOWLEDGED" and stored["acknowledged_time"] is not None
    assert stored["last_notification_time"] == T + 7_000


def test_a_run_cannot_resurrect_an_alert_its_deleted_monitor_moved(
        node: Node, store: AlertStore) -> None:
    store.save([alert()])
    read_by_run, = store.current("m1")
    store.monitor_deleted("m1")
    store.save([read_by_run])
    assert store.current("m1") == []
    deleted, = history(node)
    assert deleted["state"] == "DELETED" and deleted["id"] == read_by_run["id"]


def test_monitor_deleted_moves_every_current_alert_as_deleted(
        node: Node, store: AlertStore) -> None:
    store.save([alert(), alert(state="ACKNOWLEDGED"), alert(state="ERROR"),
                alert(monitor_id="m2")])
    store.monitor_deleted("m1")
    assert store.current("m1") == []
    assert len(store.current("m2")) == 1
    assert sorted(a["state"] for a in history(node)) == ["DELETED"] * 3


def test_document_level_alerts_move_to_history_when_acknowledged(
        node: Node, store: AlertStore) -> None:
    doc_alert = alert(finding_ids=["f1"], related_doc_ids=["d1"])
    store.save([doc_alert])
    assert store.acknowledge("m1", [doc_alert["id"]])["success"] == [doc_alert["id"]]
    assert store.current("m1") == []
    assert [a["state"] for a in history(node)] == ["ACKNOWLEDGED"]


def test_history_rolls_over_by_documents_and_age_and_expires(
        node: Node, clock: Clock) -> None:
    store = AlertStore(node.write_service, node.search_service, clock=clock,
                       policy=HistoryPolicy(max_docs=2, max_age="3d", retention_period="5d"))
    first = ".opendistro-alerting-alert-history-2026.03.01-1"
    store.save([alert(state="COMPLETED")])
    store.history.maintain()  # one document of two: stays
    assert store.history.members() == [first]
    store.save([alert(state="COMPLETED")])
    clock.now += DAY
    store.history.maintain()
    second = ".opendistro-alerting-alert-history-2026.03.02-000002"
    assert store.history.members() == [first, second]
    assert store.history.write_index() == second
    store.save([alert(state="DELETED")])
    assert [a["_index"] for a in history(node)].count(second) == 1
    clock.now += 3 * DAY  # 03-05: the write index is 3 days old, the first 4 days
    store.history.maintain()
    third = ".opendistro-alerting-alert-history-2026.03.05-000003"
    assert store.history.members() == [first, second, third]
    clock.now += DAY  # 03-06 01:00: the first is past 5 days, the second 4 days old
    store.history.maintain()
    assert store.history.members() == [second, third]
    assert len(history(node)) == 1  # the first index's two alerts went with it
    clock.now += 30 * DAY  # the write index is never deleted
    store.history.maintain()
    assert store.history.write_index() in store.history.members()
    assert second not in store.history.members()


def test_history_settings_come_from_the_configuration(tmp_path: Path) -> None:
    config = Config(data_dir=tmp_path, ingest_workers=0)
    config.set("alert_history_retention_period", "7d")
    config.set("finding_history_max_docs", "5")
    node = Node(config)
    try:
        assert node.alerts.history.policy.ms("retention_period") == 7 * 86_400_000
        assert node.findings.history.policy.max_docs == 5
        assert node.alerts.history.policy.max_docs == 1000
        node.alerts.schedule(node.scheduler)
        node.findings.schedule(node.scheduler)
        jobs = {job.name: job for job in node.scheduler.jobs()}
        for name in ("alerting-alert-history", "alerting-finding-history"):
            assert jobs[name].durable and jobs[name].schedule.describe() == {
                "interval_seconds": 12 * 3600.0}
    finally:
        node.close()
    with pytest.raises(ValueError):
        HistoryPolicy(rollover_period="0s")


def test_findings_are_saved_and_searched_with_their_documents(node: Node, clock: Clock) -> None:
    findings = FindingStore(node.write_service, node.search_service, clock=clock)
    node.write_service.write_document("logs", WriteRequest(
        "index", doc_id="d1", source=b'{"message":"blocked"}'), refresh="true")
    one = {"id": "f1", "related_doc_ids": ["d1", "gone"], "correlated_doc_ids": [],
           "monitor_id": "m1", "monitor_name": "waf", "index": "logs",
           "queries": [{"id": "q1", "name": "blocked", "query": "action:BLOCK",
                        "tags": ["waf"]}], "timestamp": 1_000, "execution_id": None}
    two = {**one, "id": "", "related_doc_ids": [], "queries": [
        {"id": "q2", "name": "other", "query": "x", "tags": ["misc"]}], "timestamp": 2_000}
    findings.save([one, two])
    assert two["id"]
    assert findings.history.members() == [".opensearch-alerting-finding-history-2026.03.01-1"]
    answer = findings.search({"sortString": "timestamp"})
    assert answer["total_findings"] == 2
    first = answer["findings"][0]
    assert first["finding"] == {k: one[k] for k in (
        "id", "related_doc_ids", "correlated_doc_ids", "monitor_id", "monitor_name", "index",
        "queries", "timestamp", "execution_id")}
    assert first["document_list"] == [
        {"index": "logs", "id": "d1", "found": True, "document": '{"message":"blocked"}'},
        {"index": "logs", "id": "gone", "found": False, "document": ""}]
    assert findings.search({"findingId": "f1"})["total_findings"] == 1
    assert [f["finding"]["id"] for f in findings.search({"searchString": "misc"})["findings"]
            ] == [two["id"]]
    assert [f["finding"]["id"] for f in findings.search(
        {"sortString": "timestamp", "sortOrder": "desc", "size": "1"})["findings"]] == [two["id"]]


def test_concurrent_runs_and_acknowledgements_lose_no_update(store: AlertStore) -> None:
    """A run rewrites its alerts while a user acknowledges them: every acknowledgement and
    the run's last write both survive (writes are checked against the version read)."""
    import threading

    store.save([alert(trigger=f"t{n}") for n in range(4)])
    ids = [a["id"] for a in store.current("m1")]
    writes = 15

    def run() -> None:
        for n in range(writes):
            current = store.current("m1")
            for each in current:
                each["last_notification_time"] = T + n
            store.save(current)

    runner = threading.Thread(target=run)
    runner.start()
    acknowledged = [store.acknowledge("m1", [alert_id])["success"] for alert_id in ids]
    runner.join(60)
    assert acknowledged == [[alert_id] for alert_id in ids]
    final = store.current("m1")
    assert [a["state"] for a in final] == ["ACKNOWLEDGED"] * 4
    assert [a["last_notification_time"] for a in final] == [T + writes - 1] * 4
