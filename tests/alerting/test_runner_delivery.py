"""Actions delivered by the real notification service to a webhook receiver on loopback,
and to a dead one: the outcome of each is recorded on the alert."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import WebhookReceiver, free_port
from loghaven.alerting.runner import MonitorRunner, RunContext
from loghaven.config import Config
from loghaven.node import Node

from .conftest import T0, Clock, Harness
from .monitors import action, query_level


@pytest.fixture()
def live(tmp_path: Path) -> Iterator[Harness]:
    node = Node(Config(data_dir=tmp_path / "data", ingest_workers=0,
                       notifications_retry_attempts=2, notifications_retry_backoff="10ms",
                       notifications_timeout="2s"))
    clock = Clock()
    runner = MonitorRunner(RunContext(node.search_service, node.write_service, node.alerts,
                                      node.findings, node.notifications, clock))
    yield Harness(node, None, clock, runner)
    node.close()


def test_delivery_outcomes_recorded_on_the_alert(live: Harness,
                                                 receiver: WebhookReceiver) -> None:
    for config_id, url in (("hook", f"{receiver.url}/hook"),
                           ("dead", f"http://127.0.0.1:{free_port()}/nobody")):
        live.node.notifications.create({"config_id": config_id, "config": {
            "name": f"{config_id} channel", "config_type": "webhook",
            "webhook": {"url": url}}})
    live.index("logs-a", [{"@timestamp": T0, "level": "error"}],
               {"@timestamp": {"type": "date"}, "level": {"type": "keyword"}})
    monitor = query_level({"query": {"match_all": {}}}, "ctx.results[0].hits.total.value > 0",
                          [action("to-hook", "hook", message="{{ctx.monitor.name}}: "
                                  "{{ctx.results.0.hits.total.value}} error(s)"),
                           action("to-dead", "dead")])
    body = live.run(monitor)
    results = body["trigger_results"]["t1"]["action_results"]
    assert results["to-hook"]["error"] is None
    assert [r.body for r in receiver.requests] == [b"errors: 1 error(s)"]
    assert results["to-dead"]["error"].startswith(
        "Failed to send the notification through channel [dead channel]: [500] ")
    alert, = live.alerts()
    assert alert["state"] == "ERROR"
    assert alert["error_message"] == "Error running action:\n" + results["to-dead"]["error"]
    assert alert["last_notification_time"] == T0
