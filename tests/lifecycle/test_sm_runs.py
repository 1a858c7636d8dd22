"""Snapshot management policies running on their cron schedule, against real servers: a
policy that creates a snapshot every minute and deletes by age and count (never below
``min_count``), one whose repository is missing (retried, then FAILED and notified through a
webhook channel), and one whose server is killed (SIGKILL) right after it recorded
``CREATING``, which finishes the same snapshot after the restart.

A cron of ``* * * * *`` fires at the next minute: the test waits for it once (at most about 70
seconds) with all three policies armed, on two servers.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx

from conftest import Server, WebhookReceiver, wait_for

EVERY_MINUTE = {"schedule": {"cron": {"expression": "* * * * *", "timezone": "UTC"}}}
#: A minute boundary, the retries' backoff (1 + 2 + 4 s) and the snapshots themselves.
DEADLINE_S = 100


def remaining(deadline: float) -> float:
    return max(0.0, deadline - time.monotonic())


def setup_repository(http: httpx.Client, repo: Path, index: str) -> None:
    assert http.put("/_snapshot/repo", json={"type": "fs", "settings": {
        "location": str(repo)}}).status_code == 200
    assert http.put(f"/{index}/_doc/1?refresh=true", json={"message": "hello"}).status_code \
        in (200, 201)


def explain(http: httpx.Client, name: str) -> dict[str, Any]:
    return http.get(f"/_plugins/_sm/policies/{name}/_explain").json()["policies"][0]


def ended(http: httpx.Client, name: str, kind: str) -> dict[str, Any] | None:
    workflow = explain(http, name).get(kind) or {}
    execution = workflow.get("latest_execution") or {}
    done = execution.get("end_time") and workflow.get("current_state", "").endswith("_START")
    return workflow if done else None


def snapshot_names(http: httpx.Client) -> set[str]:
    listed = http.get("/_snapshot/repo/_all").json()
    return {s["snapshot"] for s in listed["snapshots"]}


def test_policies_run_on_their_cron(tmp_path: Path, receiver: WebhookReceiver) -> None:
    repo_a, repo_b = tmp_path / "repo-a", tmp_path / "repo-b"
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
    a = Server(tmp_path / "a" / "data", env={"LOGHAVEN_PATH_REPO": str(tmp_path)}).start()
    b = Server(tmp_path / "b" / "data", env={"LOGHAVEN_PATH_REPO": str(tmp_path),
                                             "LOGHAVEN_SM_KILL_AT": "CREATING"}).start()
    try:
        with httpx.Client(base_url=a.url, timeout=30) as http:
            setup_repository(http, repo_a, "logs-a")
            # four older snapshots of the policy (SM knows its own by metadata.sm_policy)
            manual = [f"rotate-manual-{i}" for i in range(4)]
            for snapshot in manual:
                assert http.put(f"/_snapshot/repo/{snapshot}?wait_for_completion=true", json={
                    "indices": "logs-a", "metadata": {"sm_policy": "rotate"}}).status_code == 200
                time.sleep(0.01)
            channel = http.post("/_plugins/_notifications/configs", json={"config": {
                "name": "sm", "config_type": "webhook", "is_enabled": True,
                "webhook": {"url": receiver.url}}}).json()["config_id"]
            notify = {"channel": {"id": channel},
                      "conditions": {"creation": True, "failure": True}}
            assert http.post("/_plugins/_sm/policies/rotate", json={
                "creation": EVERY_MINUTE,
                "deletion": {**EVERY_MINUTE, "condition": {"max_age": "1s", "min_count": 3}},
                "snapshot_config": {"repository": "repo", "indices": "logs-a",
                                    "date_format": "yyyy.MM.dd"},
                "notification": notify}).status_code == 201
            assert http.post("/_plugins/_sm/policies/broken", json={
                "creation": EVERY_MINUTE,
                "snapshot_config": {"repository": "no-such-repo"},
                "notification": notify}).status_code == 201
        with httpx.Client(base_url=b.url, timeout=30) as http:
            setup_repository(http, repo_b, "logs-b")
            assert http.post("/_plugins/_sm/policies/resume", json={
                "creation": EVERY_MINUTE,
                "snapshot_config": {"repository": "repo"}}).status_code == 201

        deadline = time.monotonic() + DEADLINE_S
        with httpx.Client(base_url=a.url, timeout=30) as http:
            creation = wait_for(lambda: ended(http, "rotate", "creation"), remaining(deadline),
                                "rotate's creation")
            assert creation["latest_execution"]["status"] == "SUCCESS"
            message = creation["latest_execution"]["info"]["message"]
            created = message.split("Snapshot ")[1].split(" creation")[0]
            today = time.strftime("%Y.%m.%d", time.gmtime())
            assert created.startswith(f"rotate-{today}-") and len(created.split("-")[-1]) == 8
            assert creation["trigger"]["time"] > creation["latest_execution"]["start_time"]

            deletion = wait_for(lambda: ended(http, "rotate", "deletion"), remaining(deadline),
                                "rotate's deletion")
            assert deletion["latest_execution"]["status"] == "SUCCESS"
            left = snapshot_names(http)
            assert created in left
            # the oldest went, down to min_count of the policy's ended snapshots: all four
            # manual ones are past max_age; the new one counts if it had ended by then
            finished = deletion["latest_execution"]["info"]["message"]
            deleted = finished.split("Snapshot(s) [")[1].split("]")[0].split(", ")
            ended_before = 5 if len(deleted) == 2 else 4
            assert deleted == manual[:ended_before - 3], finished
            assert left == {*manual[ended_before - 3:], created}

            failed = wait_for(lambda: ended(http, "broken", "creation"), remaining(deadline),
                              "broken's creation")
            assert failed["latest_execution"]["status"] == "FAILED"
            assert "no-such-repo" in failed["latest_execution"]["info"]["cause"]
            texts = wait_for(lambda: [r.body.decode() for r in receiver.requests
                                   if b"no-such-repo" in r.body], remaining(deadline),
                          "the failure notification")
            assert "Caught exception while creating snapshot broken-" in texts[0]
            assert any(created in r.body.decode() for r in receiver.requests)
            stats = next(iter(http.get("/_nodes/stats/snapshot_management").json()[
                "nodes"].values()))["snapshot_management"]
            assert stats["policies"] == 2
            assert stats["creation"] == {"succeeded": 1, "failed": 1}
            assert stats["deletion"] == {"succeeded": 1, "failed": 0}

        # b was killed right after recording CREATING; after a restart it finishes that run
        wait_for(lambda: b.process is not None and b.process.poll() is not None, remaining(deadline),
                 "the kill at CREATING")
        restarted = Server(b.data_dir, env={"LOGHAVEN_PATH_REPO": str(tmp_path)}).start()
        try:
            with httpx.Client(base_url=restarted.url, timeout=30) as http:
                done = wait_for(lambda: ended(http, "resume", "creation"), remaining(deadline),
                                "the resumed creation")
                assert done["latest_execution"]["status"] == "SUCCESS"
                # the run recorded before the kill was finished, once: one snapshot
                names = snapshot_names(http)
                assert len(names) == 1
                assert names.pop() in done["latest_execution"]["info"]["message"]
        finally:
            restarted.stop()
    finally:
        a.stop()
        b.kill()
