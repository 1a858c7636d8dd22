"""The alarms on a secure server: a user who may only read and write monitors enables them,
and they are the node's own (no ``user``: they run as the node, whatever that user may read);
a monitor saved through the alerting API by someone else is reported as not the node's own
until ``_enable`` takes it back."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from opensearchpy import OpenSearch
from tests.conftest import WebhookReceiver
from tests.security.conftest import SecureServer, role_user

from .alarmkit import ALARMIST, ALARMIST_AUTH, alarms, enable, identity, webhook_channel


@pytest.fixture
def secure(tmp_path: Path) -> Iterator[SecureServer]:
    instance = SecureServer(tmp_path / "data").start()
    yield instance
    instance.stop()


def test_alarms_enabled_by_a_user_are_the_nodes_own(
        secure: SecureServer, receiver: WebhookReceiver) -> None:
    with httpx.Client(base_url=secure.url, auth=secure.auth, timeout=60) as admin:
        channel = webhook_channel(admin, f"{receiver.url}/secure")
        role_user(secure, admin, "alarmist", ALARMIST).close()
        client = OpenSearch(hosts=[secure.url], http_auth=ALARMIST_AUTH, timeout=60)
        done = enable(client, channel)
        assert len(done["created"]) == 10
        _, node_name = identity(admin)
        red = f"Loghaven-{node_name}-ClusterStatus.red-Alarm"
        listed = alarms(client)
        assert {entry["status"] for entry in listed.values()} == {"ok"}
        monitor_id = listed[red]["monitor_id"]
        stored = admin.get(f"/_plugins/_alerting/monitors/{monitor_id}").json()["monitor"]
        assert stored["user"] is None  # not the alarmist's: it runs as the node

        # the admin saves it through the alerting API: it would run as the admin now
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
