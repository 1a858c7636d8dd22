"""With security on, a scheduled report searches as the user who wrote its definition (as a
monitor runs as its owner), and an on-demand report as its caller: the owner's index
permissions decide what each section counts."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from tests.security.conftest import SecureServer, role_user

BASE = "/_plugins/_reports"
REPORTER = {"cluster_permissions": ["cluster:admin/opendistro/reports/*"],
            "index_permissions": [{"index_patterns": ["allowed-*"],
                                   "allowed_actions": ["read"]}]}


@pytest.fixture
def server(tmp_path: Path) -> Iterator[SecureServer]:
    instance = SecureServer(tmp_path / "data").start()
    yield instance
    instance.stop()


def test_scheduled_runs_act_as_the_owner(server: SecureServer) -> None:
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    with httpx.Client(base_url=server.url, auth=server.auth, timeout=60) as admin:
        for index in ("allowed-logs", "secret-logs"):
            assert admin.post(f"/{index}/_doc?refresh=true", json={
                "@timestamp": now, "message": "disk full"}).status_code == 201
        with role_user(server, admin, "reporter", REPORTER) as reporter:
            made = reporter.post(f"{BASE}/definition", json={"reportDefinition": {
                "name": "Disk", "sections": [
                    {"title": "allowed", "indexPattern": "allowed-*", "queryString": "disk"},
                    {"title": "secret", "indexPattern": "secret-*", "queryString": "disk"}],
                "trigger": {"triggerType": "CronSchedule", "schedule": {
                    "cron": {"expression": "* * * * * */2", "timezone": "UTC"}}}}})
            assert made.status_code == 200, made.text
            report_id = made.json()["reportDefinitionId"]
            shown = reporter.get(f"{BASE}/definition/{report_id}").json()
            assert shown["reportDefinitionDetails"]["access"] == ["User:reporter"]
            deadline = time.monotonic() + 30
            scheduled: list[dict] = []
            while not scheduled and time.monotonic() < deadline:
                time.sleep(0.5)
                scheduled = reporter.get(f"{BASE}/instances").json()["reportInstanceList"]
            assert scheduled, "no scheduled run"
            assert scheduled[0]["status"] == "Success", scheduled[0]
            assert scheduled[0]["sections"] == [{"title": "allowed", "total": 1},
                                                {"title": "secret", "total": 0}]
            # an index named outright that the caller may not read: the report fails
            named = reporter.post(f"{BASE}/definition", json={"reportDefinition": {
                "name": "Named", "sections": [{"title": "s", "indexPattern": "secret-logs"}],
                "trigger": {"triggerType": "OnDemand"}}}).json()["reportDefinitionId"]
            refused = reporter.post(f"{BASE}/on_demand/{named}").json()["reportInstance"]
            assert refused["status"] == "Failed"
            assert refused["statusText"].startswith("security_exception: no permissions for "
                                                    "[indices:data/read/search]")
        # the admin's on-demand run of the same definition acts as the admin
        mine = admin.post(f"{BASE}/on_demand/{report_id}").json()["reportInstance"]
        assert [s["total"] for s in mine["sections"]] == [1, 1]
        assert mine["access"] == ["User:admin"]
        # a report holds what the user it ran as may read: another reporting user sees the
        # definitions (OpenSearch's default) but neither the reporter's reports nor the admin's
        with role_user(server, admin, "other", REPORTER) as other:
            listed = other.get(f"{BASE}/definitions").json()["reportDefinitionDetailsList"]
            assert report_id in [d["id"] for d in listed]
            assert other.get(f"{BASE}/instances").json()["reportInstanceList"] == []
            for instance in (scheduled[0], mine):
                for path in ("", "/_download"):
                    hidden = other.get(f"{BASE}/instance/{instance['id']}{path}")
                    assert hidden.status_code == 403, hidden.text
                    assert hidden.json()["error"]["reason"] == \
                        f"Permission denied for Report Instance {instance['id']}"
        seen = {i["id"] for i in admin.get(f"{BASE}/instances").json()["reportInstanceList"]}
        assert {scheduled[0]["id"], mine["id"]} <= seen  # all_access sees every report
        assert admin.delete(f"{BASE}/definition/{report_id}").status_code == 200
