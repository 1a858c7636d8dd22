"""The seed's IoT alerting example end to end, on a simulated fleet.

Five devices report CPU every tick: a sine wave, a constant with noise, a random drift, a
slow monotonic climb that stays below the threshold, and one that climbs from 50% to 100%
and later falls back. A bucket-level monitor alerts per device when the maximum CPU in the
window exceeds 90 and posts to a webhook channel on a real loopback receiver. Exactly one
alert fires (the climber's, once, when it crosses 90); none for the others; it completes when
the climber's readings above 90 leave the window. The seed's window is five minutes; here it
is a few seconds so that the fleet's life fits in a test, with the same monitor otherwise.
"""

from __future__ import annotations

import json
import math
import random
import time
from typing import Any

import httpx

from conftest import WebhookReceiver

INDEX = "iot-metrics"
WINDOW_SECONDS = 3
TICK_SECONDS = 1.0
CLIMBER = "device-climber"


def fleet(tick: int, rng: random.Random, drift: list[float]) -> dict[str, float]:
    """Each device's CPU at ``tick``; the climber goes 50 → 100 over ticks 0-5, stays at 100
    until tick 7, then falls back to 40."""
    drift[0] = min(75.0, max(20.0, drift[0] + rng.uniform(-5, 5)))
    climber = 50.0 + 10.0 * tick if tick <= 5 else (100.0 if tick <= 7 else 40.0)
    return {
        "device-sine": 55.0 + 25.0 * math.sin(tick / 2),
        "device-constant": 40.0 + rng.uniform(-2, 2),
        "device-drift": drift[0],
        "device-monotonic": 60.0 + 2.0 * tick,  # 60 → 84 over the run: never above 90
        CLIMBER: climber,
    }


def monitor(channel_id: str) -> dict[str, Any]:
    """The seed's monitor, per device: max CPU over the window > 90."""
    return {
        "type": "monitor", "monitor_type": "bucket_level_monitor", "name": "iot-cpu-high",
        "enabled": True, "schedule": {"period": {"interval": 1, "unit": "MINUTES"}},
        "inputs": [{"search": {"indices": [INDEX], "query": {
            "size": 0,
            "query": {"range": {"@timestamp": {
                "gte": f"{{{{period_end}}}}||-{WINDOW_SECONDS}s", "lte": "{{period_end}}",
                "format": "epoch_millis"}}},
            "aggregations": {"devices": {
                "composite": {"sources": [{"device": {"terms": {"field": "device_id"}}}]},
                "aggs": {"max_cpu": {"max": {"field": "cpu"}}}}}}}}],
        "triggers": [{"bucket_level_trigger": {
            "name": "cpu above 90", "severity": "1",
            "condition": {"buckets_path": {"max_cpu": "max_cpu"},
                          "parent_bucket_path": "devices",
                          "script": {"source": "params.max_cpu > 90", "lang": "painless"}},
            "actions": [{
                "name": "tell the on-call channel", "destination_id": channel_id,
                "subject_template": {"source": "CPU high on {{ctx.monitor.name}}"},
                "message_template": {"source": "{{#ctx.newAlerts}}Device {{bucket_keys}} "
                                               "is above 90% CPU. {{/ctx.newAlerts}}"},
                "action_execution_policy": {"action_execution_scope": {
                    "per_alert": {"actionable_alerts": ["NEW"]}}}}]}}],
    }


def alerts_of(es: httpx.Client, monitor_id: str) -> list[dict[str, Any]]:
    response = es.get("/_plugins/_alerting/monitors/alerts",
                      params={"monitorId": monitor_id, "size": 100})
    assert response.status_code == 200, response.text
    return response.json()["alerts"]


def test_one_alert_for_the_device_that_crosses_90_and_it_completes(
        es: httpx.Client, receiver: WebhookReceiver) -> None:
    es.delete(f"/{INDEX}")
    created = es.put(f"/{INDEX}", json={"mappings": {"properties": {
        "@timestamp": {"type": "date"}, "device_id": {"type": "keyword"},
        "cpu": {"type": "float"}}}})
    assert created.status_code == 200, created.text
    channel = es.post("/_plugins/_notifications/configs", json={"config": {
        "name": "on-call", "description": "the IoT on-call webhook", "config_type": "webhook",
        "is_enabled": True, "webhook": {"url": f"{receiver.url}/hook"}}})
    assert channel.status_code == 200, channel.text
    channel_id = channel.json()["config_id"]
    saved = es.post("/_plugins/_alerting/monitors", json=monitor(channel_id))
    assert saved.status_code in (200, 201), saved.text
    monitor_id = saved.json()["_id"]

    rng, drift = random.Random(7), [50.0]
    history: list[list[dict[str, Any]]] = []
    for tick in range(8 + WINDOW_SECONDS + 2):
        now = int(time.time() * 1000)
        lines = []
        for device, cpu in fleet(tick, rng, drift).items():
            lines.append(json.dumps({"index": {"_index": INDEX}}))
            lines.append(json.dumps({"@timestamp": now, "device_id": device, "cpu": cpu}))
        bulk = es.post("/_bulk", params={"refresh": "true"},
                       content="\n".join(lines) + "\n",
                       headers={"Content-Type": "application/x-ndjson"})
        assert bulk.status_code == 200 and not bulk.json()["errors"], bulk.text
        run = es.post(f"/_plugins/_alerting/monitors/{monitor_id}/_execute")
        assert run.status_code == 200, run.text
        assert run.json()["error"] is None, run.json()
        history.append(alerts_of(es, monitor_id))
        time.sleep(TICK_SECONDS)

    # before the climber passes 90 (tick 5: 100%), nothing fires
    assert all(not alerts for alerts in history[:5])
    # from then on exactly one alert exists, for the climber only
    ids = {alert["id"] for alerts in history[5:] for alert in alerts}
    assert len(ids) == 1, history
    (alert_id,) = ids
    keys = {tuple(alert["agg_alert_content"]["bucket_keys"])
            for alerts in history for alert in alerts}
    assert keys == {(CLIMBER,)}
    # one notification, naming the device
    bodies = [request.body.decode() for request in receiver.requests]
    assert len(bodies) == 1, bodies
    assert f"Device {CLIMBER} is above 90% CPU." in bodies[0]
    # it completed once the readings above 90 left the window
    final = {alert["id"]: alert for alert in history[-1]}
    assert final.get(alert_id, {"state": "COMPLETED"})["state"] == "COMPLETED"
    es.post("/.opendistro-alerting-alert-history-*/_refresh")
    found = es.post("/.opendistro-alerting-alert-history-*/_search", json={
        "query": {"term": {"monitor_id": monitor_id}}})
    assert found.status_code == 200, found.text
    states = [hit["_source"]["state"] for hit in found.json()["hits"]["hits"]]
    assert states == ["COMPLETED"], states
