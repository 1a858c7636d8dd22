"""Scheduled reports: a cron schedule (seconds field) fires and delivers through a webhook
channel (which gets the text), stops when the definition is disabled, and a run that fell
due while the node was killed with ``kill -9`` runs once at the next start."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from tests.notify.conftest import NOTIFY_ENV

from conftest import Server, WebhookReceiver

BASE = "/_plugins/_reports"


def webhook_channel(client: httpx.Client, url: str, config_id: str) -> str:
    made = client.post("/_plugins/_notifications/configs", json={
        "config_id": config_id, "config": {"name": "report hook", "config_type": "webhook",
                                           "webhook": {"url": url}}})
    assert made.status_code == 200, made.text
    return config_id


def one_event(client: httpx.Client, index: str) -> None:
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    answer = client.post(f"/{index}/_doc?refresh=true",
                         json={"@timestamp": now, "message": "disk almost full"})
    assert answer.status_code == 201, answer.text


def definition(name: str, index: str, cron: str, channel: str, **extra: Any) -> dict[str, Any]:
    return {"reportDefinition": {
        "name": name, "isEnabled": True,
        "sections": [{"title": "Disk warnings", "indexPattern": index,
                      "queryString": "message:disk", "matchText": "disk warnings"}],
        "format": {"timeFrom": "now-1h", "topEvents": 1},
        "trigger": {"triggerType": "CronSchedule",
                    "schedule": {"cron": {"expression": cron, "timezone": "UTC"}}},
        "delivery": {"configIds": [channel]}, **extra}}


def instances_of(client: httpx.Client, report_id: str) -> list[dict[str, Any]]:
    listed = client.get(f"{BASE}/instances").json()["reportInstanceList"]
    return [i for i in listed if i["reportDefinitionDetails"]["id"] == report_id]


def wait_for(check: Any, seconds: float) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.2)
    raise AssertionError(f"not within {seconds} s")


def test_cron_schedule_fires_and_stops_when_disabled(client: httpx.Client,
                                                     receiver: WebhookReceiver) -> None:
    one_event(client, "sched-disk")
    channel = webhook_channel(client, receiver.url, "sched-hook")
    body = definition("Disk report", "sched-disk", "* * * * * */2", channel)
    made = client.post(f"{BASE}/definition", json=body)
    assert made.status_code == 200, made.text
    report_id = made.json()["reportDefinitionId"]

    wait_for(lambda: len(receiver.requests) >= 2, 30)
    text = receiver.requests[0].body.decode()
    lines = text.splitlines()
    assert lines[0].startswith("Disk report - ")
    assert lines[1:5] == ["Events for time period: 'now-1h'", "", "Disk warnings",
                          "- 1 disk warnings"]
    assert "message=disk almost full" in text
    runs = wait_for(lambda: instances_of(client, report_id), 10)
    assert {run["status"] for run in runs} == {"Success"}

    body["reportDefinition"]["isEnabled"] = False
    assert client.put(f"{BASE}/definition/{report_id}", json=body).status_code == 200
    time.sleep(5)  # a run in flight when it was disabled ends (slowly, on a busy machine)
    settled = len(receiver.requests)
    time.sleep(4.5)  # two more fire times of the old schedule
    assert len(receiver.requests) == settled


def test_a_run_due_while_killed_runs_at_restart(tmp_path: Path,
                                                receiver: WebhookReceiver) -> None:
    server = Server(tmp_path / "data", env=NOTIFY_ENV).start()
    try:
        with httpx.Client(base_url=server.url, timeout=60) as client:
            one_event(client, "killed-disk")
            channel = webhook_channel(client, receiver.url, "killed-hook")
            fire = datetime.fromtimestamp(int(time.time()) + 25, UTC)
            daily = f"{fire.minute} {fire.hour} * * * {fire.second}"  # once a day, soon
            made = client.post(f"{BASE}/definition",
                               json=definition("Daily disk report", "killed-disk", daily,
                                               channel))
            assert made.status_code == 200, made.text
            report_id = made.json()["reportDefinitionId"]
        server.kill()  # before it fires
        assert not receiver.requests
        time.sleep(max(0.0, fire.timestamp() + 1 - time.time()))
        server.start()
        with httpx.Client(base_url=server.url, timeout=60) as client:
            [run] = wait_for(lambda: instances_of(client, report_id), 30)
            assert run["status"] == "Success", run
            assert run["createdTimeMs"] > fire.timestamp() * 1000
            wait_for(lambda: receiver.requests, 10)
            assert receiver.requests[0].body.decode().startswith("Daily disk report - ")
            time.sleep(1)
            assert len(instances_of(client, report_id)) == 1  # once, not once per missed day
    finally:
        server.kill()


def test_reports_enabled_false_stops_schedules_not_on_demand(
        tmp_path: Path, receiver: WebhookReceiver) -> None:
    server = Server(tmp_path / "data",
                    env={**NOTIFY_ENV, "LOGHAVEN_REPORTS_ENABLED": "false"}).start()
    try:
        with httpx.Client(base_url=server.url, timeout=60) as client:
            one_event(client, "off-disk")
            channel = webhook_channel(client, receiver.url, "off-hook")
            made = client.post(f"{BASE}/definition", json=definition(
                "Disk report", "off-disk", "* * * * * */2", channel))
            assert made.status_code == 200, made.text
            time.sleep(5)  # two fire times
            assert not receiver.requests and not instances_of(
                client, made.json()["reportDefinitionId"])
            ran = client.post(f"{BASE}/on_demand/{made.json()['reportDefinitionId']}")
            assert ran.json()["reportInstance"]["status"] == "Success"
            assert len(receiver.requests) == 1
    finally:
        server.stop()
