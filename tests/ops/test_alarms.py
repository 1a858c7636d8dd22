"""The recommended alarms over a real server: installed once however often they are enabled,
their definitions (free storage from the disk's size), a changed threshold reported and put
right, and alarms that fire into a webhook when the history shows a full disk, blocked writes
or a failed snapshot, and resolve when it recovers."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from opensearchpy import OpenSearch
from opensearchpy.exceptions import NotFoundError, RequestError
from tests.conftest import Server, WebhookReceiver

from .alarmkit import (
    MINUTE_MS,
    alarms,
    disk_total_mb,
    enable,
    identity,
    minute_ago,
    run_at,
    webhook_channel,
    write_samples,
)

#: A sampler that samples rarely, so that only the samples a test writes are in its windows.
QUIET = {"LOGHAVEN_OPS_METRICS_INTERVAL": "1d"}
#: The recommended set: (metric, level) → statistic, period, evaluation periods, comparison,
#: threshold, severity (the free storage thresholds are shares of the disk).
DEFINITIONS = {
    ("ClusterStatus.red", None): ("Maximum", 60, 1, "GreaterThanOrEqualToThreshold", 1.0,
                                  "critical"),
    ("ClusterStatus.yellow", None): ("Maximum", 60, 5, "GreaterThanOrEqualToThreshold", 1.0,
                                     "warn"),
    ("FreeStorageSpace", "warn"): ("Minimum", 60, 1, "LessThanOrEqualToThreshold", 0.25,
                                   "warn"),
    ("FreeStorageSpace", "critical"): ("Minimum", 60, 1, "LessThanOrEqualToThreshold", 0.20,
                                       "critical"),
    ("ClusterIndexWritesBlocked", None): ("Maximum", 300, 1, "GreaterThanOrEqualToThreshold",
                                          1.0, "critical"),
    ("AutomatedSnapshotFailure", None): ("Maximum", 60, 1, "GreaterThanOrEqualToThreshold",
                                         1.0, "critical"),
    ("JVMMemoryPressure", "warn"): ("Maximum", 60, 3, "GreaterThanOrEqualToThreshold", 80.0,
                                    "warn"),
    ("JVMMemoryPressure", "critical"): ("Maximum", 60, 3, "GreaterThanOrEqualToThreshold",
                                        95.0, "critical"),
    ("CPUUtilization", "warn"): ("Average", 300, 1, "GreaterThanOrEqualToThreshold", 60.0,
                                 "warn"),
    ("CPUUtilization", "critical"): ("Maximum", 900, 3, "GreaterThanOrEqualToThreshold", 80.0,
                                     "critical"),
}


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    instance = Server(tmp_path_factory.mktemp("alarms") / "data", env=QUIET).start()
    yield instance
    instance.stop()


@pytest.fixture
def es(node: Server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=node.url, timeout=60) as client:
        yield client


@pytest.fixture
def client(node: Server) -> OpenSearch:
    return OpenSearch(hosts=[node.url], timeout=60)


def name(node_name: str, metric: str, level: str | None = None) -> str:
    return f"Loghaven-{node_name}-{metric}{'-' + level if level else ''}-Alarm"


def monitors_named(es: httpx.Client, alarm: str) -> list[str]:
    found = es.post("/_plugins/_alerting/monitors/_search", json={
        "size": 100, "query": {"match_phrase": {"monitor.name": alarm}}})
    assert found.status_code == 200, found.text
    return [hit["_id"] for hit in found.json()["hits"]["hits"]
            if hit["_source"]["name"] == alarm]


def messages(receiver: WebhookReceiver) -> list[str]:
    return [request.body.decode() for request in receiver.requests]


def test_enabling_twice_installs_each_alarm_once_with_its_definition(
        node: Server, es: httpx.Client, client: OpenSearch) -> None:
    _, node_name = identity(es)
    before = alarms(client)
    assert {entry["status"] for entry in before.values()} <= {"missing", "ok", "mismatch"}

    first = enable(client)
    second = enable(client)

    expected = {name(node_name, metric, level) for metric, level in DEFINITIONS}
    assert set(first["created"]) | set(first["updated"]) | set(first["unchanged"]) == expected
    assert second == {"created": [], "updated": [], "unchanged": second["unchanged"]}
    assert set(second["unchanged"]) == expected
    for alarm in expected:
        assert len(monitors_named(es, alarm)) == 1, alarm
    listed = alarms(client)
    assert set(listed) == expected
    disk = disk_total_mb(node.data_dir)
    for (metric, level), (statistic, period, periods, comparison, threshold,
                          severity) in DEFINITIONS.items():
        entry = listed[name(node_name, metric, level)]
        if metric == "FreeStorageSpace":  # a share of the data path's disk, in MB
            threshold = round(disk * threshold, 1)
        assert (entry["metric"], entry["statistic"], entry["period_seconds"],
                entry["evaluation_periods"], entry["comparison"], entry["threshold"],
                entry["severity"]) == (metric, statistic, period, periods, comparison,
                                       threshold, severity)
        assert entry["status"] == "ok" and entry["differences"] == []
        assert entry["monitor_id"] in monitors_named(es, entry["name"])
        assert entry["state"] in ("OK", "INSUFFICIENT_DATA", "ALARM")
        assert entry["description"]


def test_a_changed_threshold_is_a_mismatch_that_enable_puts_right(
        es: httpx.Client, client: OpenSearch) -> None:
    enable(client)
    _, node_name = identity(es)
    alarm = name(node_name, "FreeStorageSpace", "critical")
    entry = alarms(client)[alarm]
    stored = es.get(f"/_plugins/_alerting/monitors/{entry['monitor_id']}").json()["monitor"]
    stored["triggers"][0]["query_level_trigger"]["condition"]["script"]["params"][
        "threshold"] = 1000.0
    edited = es.put(f"/_plugins/_alerting/monitors/{entry['monitor_id']}", json=stored)
    assert edited.status_code == 200, edited.text

    mismatched = alarms(client)[alarm]
    assert mismatched["status"] == "mismatch"
    assert mismatched["differences"] == [
        {"field": "threshold", "expected": entry["threshold"], "actual": 1000.0}]

    fixed = enable(client)
    assert fixed["updated"] == [alarm] and fixed["created"] == []
    after = alarms(client)[alarm]
    assert after["status"] == "ok" and after["monitor_id"] == entry["monitor_id"]
    assert monitors_named(es, alarm) == [entry["monitor_id"]]


def test_a_deleted_or_disabled_alarm_is_missing_or_mismatched_until_enabled(
        es: httpx.Client, client: OpenSearch) -> None:
    enable(client)
    _, node_name = identity(es)
    red, snapshot = (name(node_name, "ClusterStatus.red"),
                     name(node_name, "AutomatedSnapshotFailure"))
    listed = alarms(client)
    assert es.delete(f"/_plugins/_alerting/monitors/{listed[red]['monitor_id']}") \
        .status_code == 200
    stored = es.get(f"/_plugins/_alerting/monitors/{listed[snapshot]['monitor_id']}") \
        .json()["monitor"]
    stored["enabled"] = False
    assert es.put(f"/_plugins/_alerting/monitors/{listed[snapshot]['monitor_id']}",
                  json=stored).status_code == 200

    now = alarms(client)
    assert (now[red]["status"], now[red]["monitor_id"], now[red]["state"]) == \
        ("missing", None, None)
    assert now[snapshot]["status"] == "mismatch"
    assert now[snapshot]["differences"] == [
        {"field": "enabled", "expected": True, "actual": False}]

    fixed = enable(client)
    assert (fixed["created"], fixed["updated"]) == ([red], [snapshot])
    assert {entry["status"] for entry in alarms(client).values()} == {"ok"}


def test_the_enable_body_is_checked(client: OpenSearch) -> None:
    with pytest.raises(NotFoundError):
        enable(client, "no-such-channel")
    with pytest.raises(RequestError):
        client.transport.perform_request("POST", "/_plugins/_loghaven/alarms/_enable",
                                         body={"channel": "x"})


def test_low_free_storage_and_blocked_writes_fire_into_the_webhook_and_resolve(
        es: httpx.Client, client: OpenSearch, receiver: WebhookReceiver) -> None:
    channel = webhook_channel(es, f"{receiver.url}/alarms")
    enable(client, channel)
    _, node_name = identity(es)
    listed = alarms(client)
    storage = listed[name(node_name, "FreeStorageSpace", "critical")]
    blocked = listed[name(node_name, "ClusterIndexWritesBlocked")]
    base = minute_ago(days=3)
    # the disk passes the critical free-storage level; the flood stage blocks writes
    write_samples(es, [(base - 30_000, {"FreeStorageSpace": storage["threshold"] - 1,
                                        "ClusterIndexWritesBlocked": 1})])

    assert run_at(es, storage["monitor_id"], base)["triggered"]
    assert run_at(es, blocked["monitor_id"], base)["triggered"]
    assert run_at(es, storage["monitor_id"], base + 10_000)["triggered"]  # still: no resend
    sent = messages(receiver)
    assert len(sent) == 2, sent
    assert any(text.startswith(f"ALARM: {storage['name']} on node {node_name}")
               and "FreeStorageSpace Minimum <= " in text for text in sent), sent
    assert any(text.startswith(f"ALARM: {blocked['name']}") for text in sent), sent
    assert {path for path in (r.path for r in receiver.requests)} == {"/alarms"}
    now = alarms(client)
    assert now[storage["name"]]["state"] == now[blocked["name"]]["state"] == "ALARM"

    # space is freed and the block lifted: each alarm resolves once its window is clear
    write_samples(es, [(base + MINUTE_MS, {"FreeStorageSpace": storage["threshold"] * 3,
                                           "ClusterIndexWritesBlocked": 0})])
    assert not run_at(es, storage["monitor_id"], base + 90_000)["triggered"]
    assert run_at(es, blocked["monitor_id"], base + 90_000)["triggered"]  # 5-minute period
    assert not run_at(es, blocked["monitor_id"], base + 5 * MINUTE_MS)["triggered"]
    resolved = messages(receiver)[2:]
    assert sorted(text.split(" on node")[0] for text in resolved) == sorted(
        [f"OK: {storage['name']}", f"OK: {blocked['name']}"]), resolved
    after = alarms(client)
    assert after[storage["name"]]["state"] != "ALARM"
    assert after[blocked["name"]]["state"] != "ALARM"


def test_a_failed_automated_snapshot_fires_and_resolves(
        es: httpx.Client, client: OpenSearch, receiver: WebhookReceiver) -> None:
    channel = webhook_channel(es, f"{receiver.url}/snapshots")
    enable(client, channel)
    _, node_name = identity(es)
    snapshot = alarms(client)[name(node_name, "AutomatedSnapshotFailure")]
    base = minute_ago(days=4)
    write_samples(es, [(base - 50_000, {"AutomatedSnapshotFailure": 0}),
                       (base - 20_000, {"AutomatedSnapshotFailure": 1})])
    assert run_at(es, snapshot["monitor_id"], base)["triggered"]
    write_samples(es, [(base + 30_000, {"AutomatedSnapshotFailure": 0})])
    assert not run_at(es, snapshot["monitor_id"], base + MINUTE_MS)["triggered"]
    sent = messages(receiver)
    assert [text.split(" on node")[0] for text in sent] == [
        f"ALARM: {snapshot['name']}", f"OK: {snapshot['name']}"], sent
    alerts = es.get("/_plugins/_alerting/monitors/alerts",
                    params={"monitorId": snapshot["monitor_id"], "alertState": "ALL"})
    assert [alert["state"] for alert in alerts.json()["alerts"]] == ["COMPLETED"]


def test_an_alarm_holds_only_when_every_evaluation_period_breaches(
        es: httpx.Client, client: OpenSearch) -> None:
    enable(client)
    _, node_name = identity(es)
    listed = alarms(client)
    yellow = listed[name(node_name, "ClusterStatus.yellow")]["monitor_id"]
    cpu_warn = listed[name(node_name, "CPUUtilization", "warn")]["monitor_id"]
    base = minute_ago(days=5)
    # yellow in four of the last five minutes, green in the oldest
    write_samples(es, [(base - k * MINUTE_MS - 30_000, {"ClusterStatus.yellow": 1})
                       for k in range(4)] + [(base - 4 * MINUTE_MS - 30_000,
                                              {"ClusterStatus.yellow": 0})])
    assert not run_at(es, yellow, base, dryrun=True)["triggered"]
    # the oldest minute turns yellow too (its maximum is what counts)
    write_samples(es, [(base - 4 * MINUTE_MS - 10_000, {"ClusterStatus.yellow": 1})])
    assert run_at(es, yellow, base, dryrun=True)["triggered"]
    # no samples at all: nothing breaches
    assert not run_at(es, yellow, base - 86_400_000, dryrun=True)["triggered"]
    # Average over five minutes: 50 and 80 average 65 (>= 60); 50 and 60 do not reach it
    write_samples(es, [(base + 10 * MINUTE_MS - 200_000, {"CPUUtilization": 50.0}),
                       (base + 10 * MINUTE_MS - 100_000, {"CPUUtilization": 80.0})])
    assert run_at(es, cpu_warn, base + 10 * MINUTE_MS, dryrun=True)["triggered"]
    write_samples(es, [(base + 20 * MINUTE_MS - 200_000, {"CPUUtilization": 50.0}),
                       (base + 20 * MINUTE_MS - 100_000, {"CPUUtilization": 60.0})])
    assert not run_at(es, cpu_warn, base + 20 * MINUTE_MS, dryrun=True)["triggered"]


def test_the_state_follows_the_latest_samples(es: httpx.Client, client: OpenSearch) -> None:
    enable(client)
    _, node_name = identity(es)
    red = name(node_name, "ClusterStatus.red")
    assert alarms(client)[red]["state"] in ("OK", "INSUFFICIENT_DATA")
    now = int(time.time() * 1000)
    write_samples(es, [(now - 1_000, {"ClusterStatus.red": 1})])
    assert alarms(client)[red]["state"] == "ALARM"  # it would fire now
    write_samples(es, [(now, {"ClusterStatus.red": 0})])
    assert alarms(client)[red]["state"] == "ALARM"  # the maximum of the minute
    # a metric without a sample in its window has insufficient data
    assert alarms(client)[name(node_name, "CPUUtilization", "critical")]["state"] == \
        "INSUFFICIENT_DATA"


def test_the_setting_installs_them_at_start_with_its_channel(
        tmp_path: Path, receiver: WebhookReceiver) -> None:
    server = Server(tmp_path / "data", env={**QUIET, "LOGHAVEN_OPS_ALARMS_ENABLED": "true",
                                            "LOGHAVEN_OPS_ALARMS_CHANNEL": "ops-alarms"})
    server.start()
    try:
        client = OpenSearch(hosts=[server.url], timeout=60)
        with httpx.Client(base_url=server.url, timeout=60) as es:
            listed = alarms(client)
            assert len(listed) == len(DEFINITIONS)
            assert {entry["status"] for entry in listed.values()} == {"ok"}
            assert client.transport.perform_request(
                "GET", "/_plugins/_loghaven/alarms")["enabled"] is True
            # the configured channel is made after the alarms: they notify it from then on
            webhook_channel(es, f"{receiver.url}/ops", config_id="ops-alarms")
            _, node_name = identity(es)
            red = listed[name(node_name, "ClusterStatus.red")]
            base = minute_ago(days=2)
            write_samples(es, [(base - 5_000, {"ClusterStatus.red": 1})])
            assert run_at(es, red["monitor_id"], base)["triggered"]
            assert [text.split(" on node")[0] for text in messages(receiver)] == [
                f"ALARM: {red['name']}"]
        server.restart()  # installed again at start: found by name, nothing twice
        with httpx.Client(base_url=server.url, timeout=60) as es:
            again = alarms(OpenSearch(hosts=[server.url], timeout=60))
            assert {entry["monitor_id"] for entry in again.values()} == \
                {entry["monitor_id"] for entry in listed.values()}
            for alarm in again:
                assert len(monitors_named(es, alarm)) == 1
    finally:
        server.stop()


def test_the_scheduled_runs_notify_the_level_that_is_reached(
        es: httpx.Client, client: OpenSearch, receiver: WebhookReceiver) -> None:
    """No ``_execute``: the monitors' own minute runs see free storage between the two levels
    of the ladder and notify the warning only."""
    channel = webhook_channel(es, f"{receiver.url}/scheduled")
    enable(client, channel)
    _, node_name = identity(es)
    listed = alarms(client)
    warn = listed[name(node_name, "FreeStorageSpace", "warn")]
    critical = listed[name(node_name, "FreeStorageSpace", "critical")]
    between = (warn["threshold"] + critical["threshold"]) / 2
    deadline = time.monotonic() + 180  # a minute's schedule, on a loaded machine
    while not any(text.startswith(f"ALARM: {warn['name']}") for text in messages(receiver)):
        assert time.monotonic() < deadline, messages(receiver)
        write_samples(es, [(int(time.time() * 1000), {"FreeStorageSpace": between})])
        time.sleep(5)
    assert not any(critical["name"] in text for text in messages(receiver))
    assert alarms(client)[warn["name"]]["state"] == "ALARM"
    assert alarms(client)[critical["name"]]["state"] == "OK"
