"""Monitors with security on: the monitor records its owner as OpenSearch's ``user``, and its
runs (``_execute`` and scheduled) search with the owner's permissions, never the node's."""

from __future__ import annotations

import time
from typing import Any

import httpx

from .conftest import SecureServer, role_user

MONITORS = "/_plugins/_alerting/monitors"
ROLE = {"cluster_permissions": ["cluster:admin/opendistro/alerting/monitor/*",
                                "cluster:admin/opendistro/_scheduled_jobs/stats"],
        "index_permissions": [{"index_patterns": ["owned-*"],
                               "allowed_actions": ["indices:data/read/search"]}]}


def monitor(index: str, **extra: Any) -> dict[str, Any]:
    return {"name": f"watch-{index}", "enabled": False,
            "schedule": {"period": {"interval": 1, "unit": "MINUTES"}},
            "inputs": [{"search": {"indices": [index],
                                   "query": {"size": 0, "query": {"match_all": {}}}}}],
            "triggers": [{"query_level_trigger": {
                "id": "any", "name": "any", "severity": "1", "actions": [],
                "condition": {"script": {"source": "ctx.results[0].hits.total.value > 0"}}}}],
            **extra}


def test_a_monitor_runs_as_its_owner(secure: SecureServer, admin: httpx.Client) -> None:
    for index in ("owned-1", "secret-1"):
        assert admin.put(f"/{index}/_doc/1?refresh=true", json={"m": 1}).status_code == 201
    with role_user(secure, admin, "mon-owner", ROLE) as owner:
        created = owner.post(MONITORS, json=monitor("owned-1"))
        assert created.status_code == 201, created.text
        assert created.json()["monitor"]["user"] == {
            "name": "mon-owner", "backend_roles": [], "roles": ["mon-owner"],
            "custom_attribute_names": [], "user_requested_tenant": None}
        ran = owner.post(f"{MONITORS}/{created.json()['_id']}/_execute?dryrun=true").json()
        assert ran["trigger_results"]["any"]["triggered"] is True, ran

        denied = owner.post(f"{MONITORS}/_execute?dryrun=true",
                            json={"monitor": monitor("secret-1")}).json()
        assert "no permissions for [indices:data/read/search]" in \
            denied["input_results"]["error"], denied

        every_2s = {"cron": {"expression": "* * * * * */2", "timezone": "UTC"}}
        scheduled = owner.post(MONITORS, json=monitor("secret-1", enabled=True,
                                                      schedule=every_2s)).json()
        deadline = time.monotonic() + 20
        info: dict[str, Any] = {}
        while time.monotonic() < deadline and not info.get("last_execution_time"):
            time.sleep(0.3)
            (node,) = owner.get("/_plugins/_alerting/stats").json()["nodes"].values()
            info = node["jobs_info"].get(scheduled["_id"], {})
        assert "indices:data/read/search" in info["last_error"], info
        owner.delete(f"{MONITORS}/{scheduled['_id']}")
