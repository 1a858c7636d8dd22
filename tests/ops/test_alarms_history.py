"""End to end with the real metrics history (ops/history.py): a secure node whose sampler
reports a nearly full disk (the ``LOGHAVEN_TEST_FREE_STORAGE_MB`` seam) every second. A user
who cannot read the history enables the alarms; their own minute runs read it as the node and
notify both free-storage levels into a webhook; after a restart with the disk freed, they
notify OK. No sample is written by the test: the history is the node's alone."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from opensearchpy import OpenSearch
from tests.conftest import WebhookReceiver
from tests.security.conftest import SecureServer, role_user

from .alarmkit import ALARMIST, ALARMIST_AUTH, alarms, enable, identity, webhook_channel

#: Scheduled runs are a minute apart; a run after a restart waits for its next due time.
RUNS_SECONDS = 200


@pytest.fixture
def full_disk(tmp_path: Path) -> Iterator[SecureServer]:
    pytest.importorskip("loghaven.ops.history")  # the sampler (branch h20-metrics)
    instance = SecureServer(tmp_path / "data")
    instance.env = {**instance.env, "LOGHAVEN_OPS_METRICS_INTERVAL": "1s",
                    "LOGHAVEN_TEST_FREE_STORAGE_MB": "1"}
    yield instance.start()
    instance.stop()


def wait_for_message(receiver: WebhookReceiver, found: Callable[[str], bool]) -> None:
    deadline = time.monotonic() + RUNS_SECONDS
    while not any(found(request.body.decode()) for request in receiver.requests):
        assert time.monotonic() < deadline, [r.body for r in receiver.requests]
        time.sleep(1)


def test_a_full_disk_in_the_history_fires_both_levels_and_resolves(
        full_disk: SecureServer, receiver: WebhookReceiver) -> None:
    with httpx.Client(base_url=full_disk.url, auth=full_disk.auth, timeout=60) as admin:
        channel = webhook_channel(admin, f"{receiver.url}/disk")
        role_user(full_disk, admin, "alarmist", ALARMIST).close()
        _, node_name = identity(admin)
    client = OpenSearch(hosts=[full_disk.url], http_auth=ALARMIST_AUTH, timeout=60)
    enable(client, channel)
    warn = f"Loghaven-{node_name}-FreeStorageSpace-warn-Alarm"
    critical = f"Loghaven-{node_name}-FreeStorageSpace-critical-Alarm"
    for alarm in (critical, warn):
        wait_for_message(receiver, lambda text, alarm=alarm: text.startswith(f"ALARM: {alarm}"))
    listed = alarms(client)
    assert listed[critical]["state"] == listed[warn]["state"] == "ALARM"
    assert listed[f"Loghaven-{node_name}-ClusterStatus.red-Alarm"]["state"] == "OK"
    assert not any(text.startswith("ALARM: ") and "ClusterStatus.red" in text
                   for text in (r.body.decode() for r in receiver.requests))

    # space freed: the samples after the restart report plenty, and the alarms resolve
    full_disk.stop()
    full_disk.env = {**full_disk.env, "LOGHAVEN_TEST_FREE_STORAGE_MB": str(10**9)}
    full_disk.start()
    for alarm in (critical, warn):
        wait_for_message(receiver, lambda text, alarm=alarm: text.startswith(f"OK: {alarm}"))
    after = alarms(OpenSearch(hosts=[full_disk.url], http_auth=ALARMIST_AUTH, timeout=60))
    assert after[critical]["state"] == after[warn]["state"] == "OK"
