"""Scenario 5: alerting monitors at scale (issue 15's benchmark).

N monitors run every minute over the WAF index while one client searches it. The client's
latency is measured alone before the monitors exist, with the monitors running, and alone
again once they are deleted (the baseline: the server is then in the same state, its ingest
merges long done); the scheduler's lag (how late each monitor run started after it fell due)
comes from the jobs the node lists in ``_nodes/stats``, polled so that each monitor run is
counted once.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from loghaven.bench.baseline import QueryContext
from loghaven.bench.scenarios import WAF_INDEX, percentile, settle
from loghaven.bench.server import BenchError, Server

MONITORS_PATH = "/_plugins/_alerting/monitors"
#: The searching client's query: the WAF dashboard's "top blocked client IPs" panel.
CLIENT_QUERY = {"size": 10, "query": {"term": {"action": "BLOCK"}},
                "aggs": {"ips": {"terms": {"field": "httpRequest.clientIp", "size": 10}}}}


def monitor_body(number: int, ctx: QueryContext) -> dict[str, Any]:
    """One monitor of the mix: even ones are query-level (blocked requests in the data's last
    15 minutes against a threshold), odd ones bucket-level (blocked requests per client IP).
    Thresholds are out of reach so that no notification work blurs the figure."""
    window = {"range": {"timestamp": {"gte": ctx.last15_gte, "lte": ctx.end_ms}}}
    blocked = {"bool": {"filter": [window, {"term": {"action": "BLOCK"}}]}}
    schedule = {"period": {"interval": 1, "unit": "MINUTES"}}
    if number % 2 == 0:
        return {"type": "monitor", "monitor_type": "query_level_monitor",
                "name": f"bench-query-{number}", "enabled": True, "schedule": schedule,
                "inputs": [{"search": {"indices": [WAF_INDEX],
                                       "query": {"size": 0, "query": blocked}}}],
                "triggers": [{"query_level_trigger": {
                    "name": "many blocked", "severity": "2",
                    "condition": {"script": {"source": "ctx.results[0].hits.total.value > "
                                                       "1000000000", "lang": "painless"}},
                    "actions": []}}]}
    composite = {"composite": {"size": 50, "sources": [
        {"ip": {"terms": {"field": "httpRequest.clientIp"}}}]}}
    return {"type": "monitor", "monitor_type": "bucket_level_monitor",
            "name": f"bench-bucket-{number}", "enabled": True, "schedule": schedule,
            "inputs": [{"search": {"indices": [WAF_INDEX], "query": {
                "size": 0, "query": blocked, "aggregations": {"by_ip": composite}}}}],
            "triggers": [{"bucket_level_trigger": {
                "name": "ip blocked a lot", "severity": "3",
                "condition": {"buckets_path": {"n": "_count"}, "parent_bucket_path": "by_ip",
                              "script": {"source": "params.n > 1000000000",
                                         "lang": "painless"}},
                "actions": []}}]}


def _client_latencies(server: Server, seconds: float) -> list[float]:
    """Run the client's query back to back for ``seconds``; each answer's latency."""
    client = server.client()
    latencies: list[float] = []
    deadline = time.monotonic() + seconds
    try:
        while time.monotonic() < deadline:
            resp = client.request("POST", f"/{WAF_INDEX}/_search", CLIENT_QUERY)
            if resp.status != 200:
                raise BenchError(f"client search failed: HTTP {resp.status} {resp.reason()}")
            latencies.append(resp.seconds)
    finally:
        client.close()
    return latencies


def _monitor_runs(server: Server, seen: dict[tuple[str, int], float]) -> None:
    """Add each monitor job's last run (job, run count) → lag in ms, from ``_nodes/stats``."""
    client = server.client()
    try:
        resp = client.request("GET", "/_nodes/stats")
    finally:
        client.close()
    if resp.status != 200:
        raise BenchError(f"_nodes/stats failed: HTTP {resp.status} {resp.reason()}")
    for node in resp.json()["nodes"].values():
        for name, job in node["scheduler"]["job"].items():
            if name.startswith("alerting-monitor") and job["last_lag_millis"] is not None:
                seen[(name, job["runs"])] = job["last_lag_millis"]


def scenario_monitors(server: Server, ctx: QueryContext, monitors: int,
                      seconds: float) -> dict[str, Any]:
    """The client alone for ``seconds``, then with ``monitors`` monitors every minute for as
    long (a minute and a bit at least, so that every monitor runs), then alone again."""
    settle(server, max_s=300.0)
    before = _client_latencies(server, seconds)
    client = server.client()
    ids = []
    try:
        created = time.monotonic()
        for number in range(monitors):
            resp = client.request("POST", MONITORS_PATH, monitor_body(number, ctx))
            if resp.status not in (200, 201):
                raise BenchError(f"creating monitor {number} failed: HTTP {resp.status} "
                                 f"{resp.reason()}")
            ids.append(resp.json()["_id"])
        create_s = time.monotonic() - created
        # the first runs fall due a minute after creation; measure from then on
        time.sleep(max(0.0, 60.0 - (time.monotonic() - created)))
        runs: dict[tuple[str, int], float] = {}
        stop = threading.Event()

        def poll() -> None:
            while not stop.wait(5.0):
                _monitor_runs(server, runs)

        poller = threading.Thread(target=poll, name="monitor-poll")
        poller.start()
        try:
            loaded = _client_latencies(server, max(seconds, 65.0))  # a whole period at least
        finally:
            stop.set()
            poller.join()
        _monitor_runs(server, runs)
        errors = _monitor_errors(server)
    finally:
        for monitor_id in ids:
            client.request("DELETE", f"{MONITORS_PATH}/{monitor_id}")
        client.close()
    settle(server, max_s=60.0)
    alone = _client_latencies(server, seconds)
    lags = list(runs.values())
    return {
        "monitors": monitors, "create_seconds": create_s, "monitor_runs": len(lags),
        "monitors_failed": errors,
        "lag_p50_ms": percentile(lags, 50), "lag_p99_ms": percentile(lags, 99),
        "lag_max_ms": max(lags) if lags else None,
        "client_alone": {"n": len(alone), "p50_s": percentile(alone, 50),
                         "p99_s": percentile(alone, 99)},
        "client_alone_before": {"n": len(before), "p50_s": percentile(before, 50),
                                "p99_s": percentile(before, 99)},
        "client_with_monitors": {"n": len(loaded), "p50_s": percentile(loaded, 50),
                                 "p99_s": percentile(loaded, 99)},
    }


def _monitor_errors(server: Server) -> int:
    """How many monitor jobs' last run raised (a failed search is an ERROR alert instead)."""
    client = server.client()
    try:
        resp = client.request("GET", "/_nodes/stats")
    finally:
        client.close()
    failed = 0
    for node in resp.json()["nodes"].values():
        jobs = node["scheduler"]["job"]
        failed += sum(1 for name, job in jobs.items()
                      if name.startswith("alerting-monitor") and job["last_error"])
    return failed
