"""Scenario ``warm``: the WAF index moved to the warm tier (UltraWarm's migration API) and
searched there.

After the ingest scenario has loaded the WAF documents hot through ``_bulk``:

1. the two queries below are timed on the hot index (force-merged first where
   ``_forcemerge`` exists, as the migration force-merges: the *hot copy* of the comparison is
   this same index before it moves, so both sides hold the same documents in a like layout);
2. ``POST _ultrawarm/migration/<index>/_warm``, polled until its state is ``FINISHED*`` (or, as
   on AWS, its status is gone and the index carries ``box_type: warm``) (throughput: raw MB/s and documents/s over that wall time);
3. the bytes the warm bucket holds (the local object store's folder, ``buckets/<warm.bucket>``
   under the data folder) per raw byte of the documents: the goal is ≤ 0.15;
4. each query once on a cold warm index — the server restarted with its warm cache folder
   (``warm.cache.path``) emptied, so every split comes from the object store — then timed again
   with the splits cached; the warm cache counters of ``_nodes/stats`` are recorded, and with
   them the bytes fetched while the node started (before any search) and by the cold query:
   a fetch at start (the write-ahead log's replay opening the split) is reported, since the
   cold query then finds the split cached.

Timings are medians of ``reps`` runs (at most ``budget_s`` each side); the cold figure is one
run by nature. Never asserted anywhere: a benchmark, not a test.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path
from typing import Any

from loghaven.bench.proc import dir_bytes
from loghaven.bench.scenarios import (
    WAF_INDEX,
    QuerySpec,
    _timed,
    _total,
    percentile,
    settle,
)
from loghaven.bench.server import BenchError, HttpClient, Server

#: UltraWarm's goal for this data: bytes in object storage per raw byte of WAF logs.
GOAL_RATIO = 0.15
#: Defaults of ``warm.bucket``, ``object_store.path`` and ``warm.cache.path`` (config.py).
WARM_BUCKET = "loghaven-warm"
OBJECT_STORE_PATH = "buckets"
WARM_CACHE_PATH = Path("cache/warm")
MIGRATION_TIMEOUT_S = 3600.0


def warm_queries(index: str = WAF_INDEX) -> list[QuerySpec]:
    """A top-10 terms aggregation and a full-text match with hits."""
    search = f"/{index}/_search"
    return [
        QuerySpec("top10_terms", "POST", search,
                  {"size": 0, "aggs": {"ips": {"terms": {"field": "httpRequest.clientIp",
                                                         "size": 10}}}},
                  lambda r: {"buckets": len(r["aggregations"]["ips"]["buckets"]),
                             "top_count": (r["aggregations"]["ips"]["buckets"] or
                                           [{"doc_count": 0}])[0]["doc_count"]}),
        QuerySpec("match_hits", "POST", search,
                  {"size": 10, "track_total_hits": True,
                   "query": {"match": {"httpRequest.headers.value": "firefox linux"}}},
                  _total),
    ]


def _ask(client: HttpClient, spec: QuerySpec) -> dict[str, Any]:
    response = client.request(spec.method, spec.path, spec.body)
    if response.status != 200:
        raise BenchError(f"{spec.name}: {response.status} {response.reason()}")
    return spec.summarize(response.json())


def _timings(client: HttpClient, specs: list[QuerySpec], reps: int,
             budget_s: float) -> dict[str, Any]:
    out = {}
    for spec in specs:
        answer = _ask(client, spec)
        samples = _timed(lambda s=spec: _ask(client, s), reps, budget_s, warmup=1)
        out[spec.name] = {"p50_s": percentile(samples, 50), "runs": len(samples),
                          "answer": answer}
    return out


def _warm_stats(client: HttpClient) -> dict[str, Any] | None:
    """The ``warm`` section of ``_nodes/stats`` (the split cache's counters), if any."""
    response = client.request("GET", "/_nodes/stats")
    if response.status != 200:
        return None
    nodes = (response.json() or {}).get("nodes") or {}
    for node in nodes.values():
        if isinstance(node, dict) and "warm" in node:
            return node["warm"]
    return None


def migrate(client: HttpClient, index: str, timeout_s: float = MIGRATION_TIMEOUT_S
            ) -> dict[str, Any]:
    """Start the hot → warm migration and poll it to its end; its wall time and states."""
    start = time.perf_counter()
    response = client.request("POST", f"/_ultrawarm/migration/{index}/_warm")
    if response.status != 200:
        raise BenchError(f"migration refused: {response.status} {response.reason()}")
    states: list[str] = []
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        status = client.request("GET", f"/_ultrawarm/migration/{index}/_status")
        if status.status == 404 and _box_type(client, index) == "warm":
            states.append("FINISHED")  # as on AWS, a finished migration has no status left
            break
        state = str(((status.json() or {}).get("migration_status") or {}).get("state", ""))
        if state and (not states or states[-1] != state):
            states.append(state)
        if state.startswith("FAILED"):
            raise BenchError(f"migration failed: {status.body[:500]!r}")
        if state.startswith("FINISHED") or state == "COMPLETED":
            break
        time.sleep(0.2)
    else:
        raise BenchError(f"migration not finished after {timeout_s:.0f}s: {states}")
    return {"seconds": time.perf_counter() - start, "states": states}


def _box_type(client: HttpClient, index: str) -> str | None:
    response = client.request("GET", f"/{index}/_settings?flat_settings=true")
    if response.status != 200:
        return None
    settings = ((response.json() or {}).get(index) or {}).get("settings") or {}
    return settings.get("index.routing.allocation.require.box_type")


def _restart_cold(server: Server) -> float | None:
    """Restart the server with an empty warm cache: the seconds until it answered, or None
    for a server not ours."""
    if server.proc is None:
        return None
    server.stop()
    shutil.rmtree(server.data_dir / WARM_CACHE_PATH, ignore_errors=True)
    start = time.perf_counter()
    server.start()
    return time.perf_counter() - start


def _fetched(stats: dict[str, Any] | None) -> int | None:
    return None if stats is None else stats.get("bytes_fetched")


def scenario_warm(server: Server, ingest: dict[str, Any], reps: int,
                  budget_s: float) -> dict[str, Any]:
    """Migrate the WAF index loaded by the ingest scenario and time it hot, cold and cached."""
    index = ingest["index"]
    raw = int(ingest["raw_bytes"])
    docs = int(ingest["docs_acked"])
    specs = warm_queries(index)
    client = server.client()
    merged = client.request("POST", f"/{index}/_forcemerge?max_num_segments=1")
    settle(server)
    hot = _timings(client, specs, reps, budget_s)
    hot_bytes = server.disk_bytes()

    migration = migrate(client, index)
    client.close()
    bucket = server.data_dir / OBJECT_STORE_PATH / WARM_BUCKET
    object_bytes = dir_bytes(bucket) if bucket.exists() else None
    seconds = migration["seconds"]

    cold: dict[str, Any] = {}
    cached: dict[str, Any] = {}
    cache_stats: dict[str, Any] = {}
    for spec in specs:
        restart_s = _restart_cold(server)
        client = server.client()
        if restart_s is not None:
            cache_stats[f"{spec.name}_before"] = before = _warm_stats(client)
            t0 = time.perf_counter()
            answer = _ask(client, spec)
            seconds = time.perf_counter() - t0
            cache_stats[f"{spec.name}_after_cold"] = after = _warm_stats(client)
            before_b, after_b = _fetched(before), _fetched(after)
            cold[spec.name] = {
                "seconds": seconds, "answer": answer, "restart_seconds": restart_s,
                # fetched while the node started (before any search), and by the query
                "bytes_fetched_at_start": before_b,
                "bytes_fetched_by_query": None if before_b is None or after_b is None
                else after_b - before_b}
        cached.update(_timings(client, [spec], reps, budget_s))
        cache_stats[f"{spec.name}_after_cached"] = _warm_stats(client)
        client.close()

    ratio = object_bytes / raw if object_bytes is not None and raw else None
    return {
        "index": index,
        "docs": docs,
        "raw_bytes": raw,
        "forcemerge_status": merged.status,
        "hot_disk_bytes": hot_bytes,
        "object_store_bytes": object_bytes,
        "object_bytes_per_raw_byte": ratio,
        "goal_ratio": GOAL_RATIO,
        "ratio_to_goal": ratio / GOAL_RATIO if ratio is not None else None,
        "migration": {**migration, "raw_mb_per_s": raw / seconds / 1e6 if seconds else None,
                      "docs_per_s": docs / seconds if seconds else None},
        "queries": {spec.name: {"hot": hot[spec.name], "cold": cold.get(spec.name),
                                "cached": cached[spec.name]} for spec in specs},
        "warm_cache": cache_stats,
        "cold_measured": bool(cold),
    }
