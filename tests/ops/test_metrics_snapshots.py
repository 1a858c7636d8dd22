"""AutomatedSnapshotFailure from a real snapshot-management policy whose every run fails (its
repository does not exist): its cron fires at the next minute, so this waits up to ~100 s."""

from __future__ import annotations

from pathlib import Path

import httpx
from tests.conftest import Server
from tests.ops.test_prometheus import one, scrape

from conftest import wait_for

EVERY_MINUTE = {"schedule": {"cron": {"expression": "* * * * *", "timezone": "UTC"}}}


def loghaven_metrics(http: httpx.Client) -> dict[str, float]:
    entry, = http.get("/_nodes/_local/stats/loghaven").json()["nodes"].values()
    return entry["loghaven"]["metrics"]


def test_a_failed_policy_run_is_an_automated_snapshot_failure(tmp_path: Path) -> None:
    server = Server(tmp_path / "data").start()
    try:
        with httpx.Client(base_url=server.url, timeout=30) as http:
            assert loghaven_metrics(http)["AutomatedSnapshotFailure"] == 0
            assert http.post("/_plugins/_sm/policies/broken", json={
                "creation": EVERY_MINUTE,
                "snapshot_config": {"repository": "no-such-repo"}}).status_code == 201
            wait_for(lambda: loghaven_metrics(http)["AutomatedSnapshotFailure"] == 1, 100,
                     "the failed run")
            metrics = loghaven_metrics(http)
            assert metrics["loghaven.snapshots.failed"] == 1
            assert metrics["loghaven.snapshots.succeeded"] == 0
            families = scrape(http)
            assert one(families, "loghaven_snapshot_last_run_failed") == 1
            assert one(families, "loghaven_snapshot_runs_total", result="failed") == 1
    finally:
        server.stop()
