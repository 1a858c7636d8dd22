"""Monitors as scheduler jobs, over HTTP: one durable job per enabled monitor, none for a
disabled one, and after a restart one catch-up run with the missed periods recorded."""

from __future__ import annotations

import time
from typing import Any

import httpx

from conftest import Server, wait_for

from .monitor_examples import QUERY_LEVEL

MONITORS = "/_plugins/_alerting/monitors"
JOBS = "/_plugins/_job_scheduler/api/jobs"
#: Every two seconds: a sixth cron field (seconds, last) is Loghaven's extension of
#: OpenSearch's five-field cron, so that a test sees several periods pass in seconds.
EVERY_2S = {"cron": {"expression": "* * * * * */2", "timezone": "UTC"}}


def job_names(es: httpx.Client) -> set[str]:
    return {job["job_id"] for job in es.get(JOBS).json()["jobs"]}


def jobs_info(es: httpx.Client) -> dict[str, Any]:
    (node,) = es.get("/_plugins/_alerting/stats").json()["nodes"].values()
    return node["jobs_info"]


def test_each_enabled_monitor_is_one_job(es: httpx.Client) -> None:
    created = es.post(MONITORS, json=QUERY_LEVEL).json()
    name = f"alerting-monitor.{created['_id']}"
    assert name in job_names(es)
    (job,) = [job for job in es.get(JOBS).json()["jobs"] if job["job_id"] == name]
    assert job["schedule"]["interval"] == 60 and job["durable"] is True
    path = f"{MONITORS}/{created['_id']}"
    assert es.put(path, json={**QUERY_LEVEL, "enabled": False}).status_code == 200
    assert name not in job_names(es)
    assert created["_id"] not in jobs_info(es)
    disabled = es.get(path).json()["monitor"]
    assert disabled["enabled"] is False and disabled["enabled_time"] is None
    assert es.put(path, json={**QUERY_LEVEL, "schedule": EVERY_2S}).status_code == 200
    assert name in job_names(es)
    (job,) = [job for job in es.get(JOBS).json()["jobs"] if job["job_id"] == name]
    assert job["schedule"]["expression"] == "* * * * * */2"
    assert es.delete(path).status_code == 200
    assert name not in job_names(es)


def test_a_disabled_monitor_does_not_run(es: httpx.Client) -> None:
    created = es.post(MONITORS, json={**QUERY_LEVEL, "schedule": EVERY_2S}).json()
    path = f"{MONITORS}/{created['_id']}"
    first = wait_for(lambda: jobs_info(es).get(created["_id"], {}).get("last_execution_time"))
    assert es.put(path, json={**QUERY_LEVEL, "schedule": EVERY_2S,
                              "enabled": False}).status_code == 200
    time.sleep(4.5)  # two periods pass while it is disabled
    assert es.put(path, json={**QUERY_LEVEL, "schedule": EVERY_2S}).status_code == 200
    runs = jobs_info(es)[created["_id"]]
    assert runs.get("last_execution_time", first) <= first + 2500  # none while disabled
    assert "skipped_runs" not in runs  # disabled periods are not missed runs


def test_restart_runs_once_and_records_the_skipped_runs(fresh_server: Server) -> None:
    with httpx.Client(base_url=fresh_server.url, timeout=30) as es:
        created = es.post(MONITORS, json={**QUERY_LEVEL, "schedule": EVERY_2S}).json()
        monitor_id = created["_id"]
        wait_for(lambda: jobs_info(es).get(monitor_id, {}).get("last_execution_time"))
    fresh_server.stop()
    stopped_ms = int(time.time() * 1000)
    time.sleep(7)  # at least three periods fall due while the node is down
    fresh_server.start()
    started_ms = int(time.time() * 1000)
    with httpx.Client(base_url=fresh_server.url, timeout=30) as es:
        info = wait_for(lambda: (entry := jobs_info(es).get(monitor_id, {})).get(
            "last_execution_time", 0) >= stopped_ms + 7000 and entry)
        assert info["skipped_runs"] >= 2
        assert stopped_ms <= info["last_skipped_time"] <= started_ms
    assert "missed" in fresh_server.log.read_text()


def test_the_search_projection_is_rebuilt_when_lost(fresh_server: Server) -> None:
    """``monitors/_search`` reads .opendistro-alerting-config, a projection of the metastore:
    deleted by hand, it is filled again; out of step at start, it is brought back."""
    query = {"query": {"term": {"monitor.name.keyword": "projected"}}}
    with httpx.Client(base_url=fresh_server.url, timeout=30) as es:
        # no monitor yet: no index is made, and the search answers empty
        assert es.head("/.opendistro-alerting-config").status_code == 404
        empty = es.post(f"{MONITORS}/_search", json=query)
        assert empty.status_code == 200 and empty.json()["hits"]["hits"] == []
        assert es.head("/.opendistro-alerting-config").status_code == 404
        created = es.post(MONITORS, json={**QUERY_LEVEL, "name": "projected"}).json()
        assert es.delete("/.opendistro-alerting-config").status_code == 200
        hits = es.post(f"{MONITORS}/_search", json=query).json()["hits"]["hits"]
        assert [hit["_id"] for hit in hits] == [created["_id"]]
        # a projection document no monitor backs, as a crash between the two writes leaves
        stray = es.put("/.opendistro-alerting-config/_doc/stray?refresh=true",
                       json={"monitor": {"name": "projected", "type": "monitor"}})
        assert stray.status_code == 201, stray.text
    fresh_server.restart()
    with httpx.Client(base_url=fresh_server.url, timeout=30) as es:
        hits = es.post(f"{MONITORS}/_search", json=query).json()["hits"]["hits"]
        assert [hit["_id"] for hit in hits] == [created["_id"]]
