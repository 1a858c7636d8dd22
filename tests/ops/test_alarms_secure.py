"""The alarms on a secure server: a user who may only write monitors enables them, and they
still read the hidden metrics history, which that user may not, because they run as the node;
a monitor saved through the alerting API by someone else is reported as not the node's own
until ``_enable`` takes it back."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from opensearchpy import OpenSearch
from tests.conftest import WebhookReceiver
from tests.security.conftest import SecureServer, role_user

from .alarmkit import alarms, enable, identity, webhook_channel, write_samples

#: Reading and writing monitors, nothing on any index.
ALARMIST = {"cluster_permissions": ["cluster:admin/opendistro/alerting/monitor/get",
                                    "cluster:admin/opendistro/alerting/monitor/write"]}
#: role_user's password for ``alarmist``.
ALARMIST_AUTH = ("alarmist", "Alarmist-Password-1")


@pytest.fixture
def secure(tmp_path: Path) -> Iterator[SecureServer]:
    instance = SecureServer(tmp_path / "data").start()
    yield instance
    instance.stop()


def test_alarms_enabled_by_a_user_run_as_the_node(
        secure: SecureServer, receiver: WebhookReceiver) -> None:
    with httpx.Client(base_url=secure.url, auth=secure.auth, timeout=60) as admin:
        channel = webhook_channel(admin, f"{receiver.url}/secure")
        role_user(secure, admin, "alarmist", ALARMIST).close()
        client = OpenSearch(hosts=[secure.url], http_auth=ALARMIST_AUTH, timeout=60)
        done = enable(client, channel)
        assert len(done["created"]) == 10
        _, node_name = identity(admin)
        red = f"Loghaven-{node_name}-ClusterStatus.red-Alarm"
        write_samples(admin, [(int(time.time() * 1000), {"ClusterStatus.red": 1})])
        assert admin.post("/.loghaven-metrics-*/_search",
                          auth=ALARMIST_AUTH).status_code == 403

        # red samples now: the monitor's own minute run reads them as the node and notifies
        deadline = time.monotonic() + 180
        while not any(r.body.decode().startswith(f"ALARM: {red}") for r in receiver.requests):
            assert time.monotonic() < deadline, [r.body for r in receiver.requests]
            write_samples(admin, [(int(time.time() * 1000), {"ClusterStatus.red": 1})])
            time.sleep(5)
        listed = alarms(client)
        assert listed[red]["state"] == "ALARM"

        # the admin saves it through the alerting API: it would run as the admin now
        monitor_id = listed[red]["monitor_id"]
        stored = admin.get(f"/_plugins/_alerting/monitors/{monitor_id}").json()["monitor"]
        assert stored["user"] is None
        assert admin.put(f"/_plugins/_alerting/monitors/{monitor_id}",
                         json=stored).status_code == 200
        entry = alarms(client)[red]
        assert entry["status"] == "mismatch"
        assert entry["differences"] == [{"field": "owner", "expected": None,
                                         "actual": "admin"}]
        assert enable(client)["updated"] == [red]
        assert alarms(client)[red]["status"] == "ok"
        assert admin.get(f"/_plugins/_alerting/monitors/{monitor_id}") \
            .json()["monitor"]["user"] is None
