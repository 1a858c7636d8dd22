"""What the alarms' tests share: samples written into the metrics history over HTTP (the
documented fields, in the daily hidden index), the alarms API through opensearch-py, and a
monitor's run at a chosen period end."""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path
from typing import Any

import httpx
from opensearchpy import OpenSearch

ALARMS = "/_plugins/_loghaven/alarms"
#: The history's fields whose type matters to the alarms' searches (ops/history.py maps them
#: so too); the metrics themselves are numbers.
MAPPING = {"@timestamp": {"type": "date", "format": "epoch_millis||strict_date_optional_time"},
           "node_id": {"type": "keyword"}, "node_name": {"type": "keyword"}}
MINUTE_MS = 60_000
#: The secure tests' user: reading and writing monitors, nothing on any index.
ALARMIST = {"cluster_permissions": ["cluster:admin/opendistro/alerting/monitor/get",
                                    "cluster:admin/opendistro/alerting/monitor/write"]}
#: ``tests.security.conftest.role_user``'s password for ``alarmist``.
ALARMIST_AUTH = ("alarmist", "Alarmist-Password-1")


def minute_ago(days: int) -> int:
    """A whole minute ``days`` before now (epoch ms): a base for runs at chosen period ends,
    far from what a real sampler writes now."""
    now = int(time.time() * 1000) - days * 86_400_000
    return now - now % MINUTE_MS


def metrics_index(at_ms: int) -> str:
    return ".loghaven-metrics-" + time.strftime("%Y.%m.%d", time.gmtime(at_ms / 1000))


def identity(es: httpx.Client) -> tuple[str, str]:
    """The node's id and name, as its samples carry them."""
    nodes = es.get("/_nodes/_local").json()["nodes"]
    (node_id, node), = nodes.items()
    return node_id, node["name"]


def write_samples(es: httpx.Client, samples: list[tuple[int, dict[str, float]]]) -> None:
    """One history document per ``(timestamp ms, metrics)``, as the sampler writes them."""
    node_id, node_name = identity(es)
    lines = []
    for at_ms, metrics in samples:
        index = metrics_index(at_ms)
        if es.head(f"/{index}").status_code == 404:
            made = es.put(f"/{index}", json={"settings": {"index.hidden": True},
                                             "mappings": {"properties": MAPPING}})
            assert made.status_code == 200, made.text
        lines.append(json.dumps({"index": {"_index": index}}))
        lines.append(json.dumps({"@timestamp": at_ms, "node_id": node_id,
                                 "node_name": node_name, **metrics}))
    bulk = es.post("/_bulk", params={"refresh": "true"}, content="\n".join(lines) + "\n",
                   headers={"content-type": "application/x-ndjson"})
    assert bulk.status_code == 200 and not bulk.json()["errors"], bulk.text


def alarms(client: OpenSearch) -> dict[str, dict[str, Any]]:
    """``GET /_plugins/_loghaven/alarms`` by alarm name."""
    listed = client.transport.perform_request("GET", ALARMS)
    return {alarm["name"]: alarm for alarm in listed["alarms"]}


def enable(client: OpenSearch, channel_id: str | None = None) -> dict[str, list[str]]:
    body = None if channel_id is None else {"channel_id": channel_id}
    return client.transport.perform_request("POST", f"{ALARMS}/_enable", body=body)


def run_at(es: httpx.Client, monitor_id: str, period_end_ms: int, *,
           dryrun: bool = False) -> dict[str, Any]:
    """The monitor's run over the period ending at ``period_end_ms`` (alerts and
    notifications kept unless ``dryrun``); ``{"triggered": ..., "error": ...}``."""
    ran = es.post(f"/_plugins/_alerting/monitors/{monitor_id}/_execute",
                  params={"period_end": period_end_ms, "dryrun": str(dryrun).lower()})
    assert ran.status_code == 200, ran.text
    body = ran.json()
    assert body["error"] is None and body["input_results"]["error"] is None, body
    (trigger,) = body["trigger_results"].values()
    return trigger


def disk_total_mb(data_dir: Path) -> float:
    return shutil.disk_usage(data_dir).total / 2**20


def webhook_channel(es: httpx.Client, url: str, config_id: str | None = None) -> str:
    """A webhook channel (the notifications API) to ``url``."""
    config = {"name": "ops alarms", "config_type": "webhook", "is_enabled": True,
              "webhook": {"url": url}}
    body: dict[str, Any] = {"config": config}
    if config_id is not None:
        body["config_id"] = config_id
    made = es.post("/_plugins/_notifications/configs", json=body)
    assert made.status_code == 200, made.text
    return made.json()["config_id"]
