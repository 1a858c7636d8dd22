"""The HTTP scenarios (ingest, queries, mixed), driving a real Loghaven server in a
subprocess (bench/server.py)."""

from __future__ import annotations

import contextlib
import http.client
import itertools
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from loghaven.bench.baseline import TANTIVY_QUERIES, BaselineIndex, QueryContext
from loghaven.bench.generators import FIELDS, es_mapping, ndjson_bulk_bodies
from loghaven.bench.server import NDJSON, BenchError, HttpClient, Response, Server
from loghaven.bench.spool import Spool

WAF_INDEX = "bench-waf"
SECONDARY = {"cloudtrail": "bench-cloudtrail", "vpcflow": "bench-vpcflow", "iot": "bench-iot"}
INDEX_PATTERN = "bench-*"


# --------------------------------------------------------------------------- helpers


def percentile(samples: list[float], q: float) -> float | None:
    """Linear-interpolated percentile (q in 0..100) of unsorted samples."""
    if not samples:
        return None
    s = sorted(samples)
    pos = (len(s) - 1) * q / 100
    lo = int(pos)
    hi = min(lo + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (pos - lo)


def _delta(after: float | None, before: float | None) -> float | None:
    return None if after is None or before is None else after - before


def create_index(client: HttpClient, index: str, fields: dict[str, str],
                 dynamic: bool = False) -> dict[str, Any]:
    """Create ``index`` with an explicit mapping (or, ``dynamic``, none: every field is
    mapped as the first document shows it) and request durability.

    Falls back to the mapping alone if the server refuses the settings, and
    says so in the result.
    """
    client.request("DELETE", f"/{index}")  # a leftover from an --url run; 404 is fine
    # dynamic: false keeps the fields the baseline indexes and no others (the rest stays
    # in _source), so both sides do the same indexing work
    mappings = {} if dynamic else {**es_mapping(fields), "dynamic": False}
    settings = {"index": {"number_of_shards": 1, "translog": {"durability": "request"}}}
    resp = client.request("PUT", f"/{index}", {"settings": settings, "mappings": mappings})
    if resp.status == 200:
        return {"settings": settings, "durability": "request (explicit)",
                "mapping": "dynamic" if dynamic else "explicit"}
    first = resp.reason()
    resp = client.request("PUT", f"/{index}", {"mappings": mappings})
    if resp.status != 200:
        raise BenchError(f"PUT /{index} failed: HTTP {resp.status} {resp.reason()}")
    return {"settings": None, "durability": "server default", "settings_refused": first}


def count_docs(client: HttpClient, index: str) -> int | None:
    """Documents in ``index`` by ``_count``, or ``_cat/count`` if search is missing."""
    resp = client.request("GET", f"/{index}/_count")
    if resp.status == 200:
        return int(resp.json()["count"])
    resp = client.request("GET", f"/_cat/count/{index}?format=json")
    if resp.status == 200:
        rows = resp.json()
        return int(rows[0]["count"]) if rows else None
    return None


@dataclass
class CallStats:
    """What a side's clients saw: per-call latencies, documents accepted and refused."""

    latencies: list[float] = field(default_factory=list)
    docs: int = 0
    failed_docs: int = 0
    retries: int = 0
    #: Documents a producer sent again after the server refused them in a partial failure.
    resent: int = 0
    first_error: str | None = None
    #: When the last call was answered (``perf_counter``).
    last_answer: float | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    def answered(self, started: float) -> None:
        """Count one call that began at ``started`` and has just been answered."""
        now = time.perf_counter()
        with self.lock:
            self.latencies.append(now - started)
            self.last_answer = max(self.last_answer or now, now)

    def error(self, text: str) -> None:
        """Keep the first error's text."""
        with self.lock:
            if self.first_error is None:
                self.first_error = text[:300]


def _bulk_worker(
    server: Server, take: Callable[[], tuple[bytes, int] | None], stats: CallStats
) -> None:
    client = server.client()
    try:
        while (item := take()) is not None:
            body, ndocs = item
            for attempt in range(6):
                resp = client.request("POST", "/_bulk", body, NDJSON)
                if resp.status not in (429, 503) or attempt == 5:
                    break
                with stats.lock:
                    stats.retries += 1
                time.sleep(0.2 * 2**attempt)
            failed, error = 0, None
            if resp.status != 200:
                failed, error = ndocs, f"HTTP {resp.status} {resp.reason()}"
            elif b'"errors":false' not in resp.body[:64]:
                result = resp.json()
                if result.get("errors"):
                    bad = [
                        next(iter(item.values()))
                        for item in result["items"]
                        if next(iter(item.values())).get("error")
                    ]
                    failed = len(bad)
                    if bad:
                        error = orjson.dumps(bad[0]["error"]).decode()[:300]
            with stats.lock:
                stats.latencies.append(resp.seconds)
                stats.docs += ndocs - failed
                stats.failed_docs += failed
                if error and stats.first_error is None:
                    stats.first_error = error
    finally:
        client.close()


def run_bulk(server: Server, spool: Spool, clients: int) -> tuple[CallStats, float]:
    """Send every body of ``spool`` with ``clients`` threads; return stats and wall time."""
    stats = CallStats()
    queue = spool.queue()
    threads = [
        threading.Thread(target=_bulk_worker, args=(server, queue.take, stats), name=f"bulk-{i}")
        for i in range(clients)
    ]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - start
    queue.close()
    return stats, wall


# --------------------------------------------------------------------------- 1. ingest


def scenario_ingest(server: Server, spool: Spool, clients: int,
                    dynamic: bool = False) -> dict[str, Any]:
    """``_bulk`` over HTTP with K clients into the WAF index, durability on; ``dynamic``:
    into an index without a mapping, which maps every field of the documents (strings as
    ``text`` with a ``keyword`` sub-field), so it indexes more than the explicit one."""
    client = server.client()
    created = create_index(client, WAF_INDEX, FIELDS["waf"], dynamic)
    cpu0, client_cpu0 = server.cpu(), time.process_time()
    with server.rss() as rss:
        stats, wall = run_bulk(server, spool, clients)
        cpu1, client_cpu1 = server.cpu(), time.process_time()
        refresh = client.request("POST", f"/{WAF_INDEX}/_refresh")
    count = count_docs(client, WAF_INDEX)
    caps = client.request("GET", f"/{WAF_INDEX}/_field_caps?fields=*")
    fields = sorted(name for name, types in caps.json().get("fields", {}).items()
                    if not name.startswith("_") and "object" not in types) \
        if caps.status == 200 else None
    disk = server.disk_bytes()
    # A flush may truncate the write-ahead log: measure once more after it.
    flush = client.request("POST", f"/{WAF_INDEX}/_flush")
    disk_flushed = server.disk_bytes() if flush.status == 200 else None
    client.close()
    source = spool.source_bytes
    cpu = _delta(cpu1, cpu0)
    return {
        "index": WAF_INDEX,
        "clients": clients,
        "bulk_docs": spool.entries[0][2] if spool.entries else 0,
        "bulk_requests": len(stats.latencies),
        **created,
        "docs_sent": spool.docs,
        "docs_acked": stats.docs,
        "docs_failed": stats.failed_docs,
        "first_error": stats.first_error,
        "retries_429_503": stats.retries,
        "seconds": wall,
        "docs_per_s": stats.docs / wall if wall else None,
        "mb_per_s": source / wall / 1e6 if wall else None,
        "bulk_p50_s": percentile(stats.latencies, 50),
        "bulk_p99_s": percentile(stats.latencies, 99),
        "refresh_status": refresh.status,
        "refresh_s": refresh.seconds,
        "count_after_refresh": count,
        "fields_indexed": len(fields) if fields is not None else None,
        "server_cpu_s": cpu,
        "docs_per_server_cpu_s": stats.docs / cpu if cpu else None,
        "client_cpu_s": client_cpu1 - client_cpu0,
        "peak_rss_bytes": rss.peak if rss else None,
        "peak_anon_rss_bytes": rss.peak_anon if rss else None,
        "raw_bytes": source,
        "body_bytes": spool.body_bytes,
        "disk_bytes": disk,
        "disk_ratio": disk / source if disk is not None and source else None,
        "flush_status": flush.status,
        "disk_bytes_after_flush": disk_flushed,
    }


# --------------------------------------------------------------------------- 3. queries


@dataclass(frozen=True)
class QuerySpec:
    """One benchmark query: its HTTP request and how to summarise the answer."""

    name: str
    method: str
    path: str
    body: dict[str, Any]
    summarize: Callable[[Any], dict[str, Any]]
    #: Relative tolerance when comparing with tantivy (sketches are approximate).
    tolerance: float = 0.0


def _total(resp: Any) -> dict[str, Any]:
    total = resp["hits"]["total"]
    return {"hits": total["value"] if isinstance(total, dict) else total}


def _agg(name: str, pick: Callable[[Any], dict[str, Any]]) -> Callable[[Any], dict[str, Any]]:
    return lambda resp: pick(resp["aggregations"][name])


def _top_bucket(agg: Any) -> dict[str, Any]:
    buckets = agg["buckets"]
    return {
        "top": buckets[0]["key"] if buckets else None,
        "top_count": buckets[0]["doc_count"] if buckets else 0,
    }


def query_specs(ctx: QueryContext) -> list[QuerySpec]:
    """The dashboard and investigation queries of the seed articles, ES DSL."""
    search = f"/{WAF_INDEX}/_search"
    day = {"gte": ctx.day_gte, "lte": ctx.end, "format": "strict_date_optional_time"}
    last15 = {"gte": ctx.last15_gte, "lte": ctx.end, "format": "strict_date_optional_time"}
    hits10 = {"size": 10, "track_total_hits": True}
    return [
        QuerySpec(
            "term", "POST", search, {**hits10, "query": {"term": {"action": "BLOCK"}}}, _total
        ),
        QuerySpec(
            "match",
            "POST",
            search,
            {**hits10, "query": {"match": {"httpRequest.headers.value": "firefox linux"}}},
            _total,
        ),
        QuerySpec(
            "phrase",
            "POST",
            search,
            {
                **hits10,
                "query": {
                    "bool": {
                        "must": [{"match_phrase": {"httpRequest.args": "name=badname"}}],
                        "filter": [{"term": {"action": "BLOCK"}}],
                    }
                },
            },
            _total,
        ),
        QuerySpec(
            "last_15m_count",
            "POST",
            f"/{WAF_INDEX}/_count",
            {"query": {"range": {"timestamp": last15}}},
            lambda r: {"hits": r["count"]},
        ),
        QuerySpec(
            "top_ips_by_action",
            "POST",
            search,
            {
                "size": 0,
                "aggs": {
                    "ips": {
                        "terms": {"field": "httpRequest.clientIp", "size": 10},
                        "aggs": {"action": {"terms": {"field": "action"}}},
                    }
                },
            },
            _agg("ips", _top_bucket),
        ),
        QuerySpec(
            "date_histogram_1m_24h",
            "POST",
            search,
            {
                "size": 0,
                "query": {"range": {"timestamp": day}},
                "aggs": {"m": {"date_histogram": {"field": "timestamp", "fixed_interval": "1m"}}},
            },
            _agg("m", lambda a: {"buckets": len(a["buckets"])}),
        ),
        QuerySpec(
            "percentiles",
            "POST",
            search,
            {
                "size": 0,
                "aggs": {
                    "rt": {"percentiles": {"field": "responseTimeMs", "percents": [50, 95, 99]}}
                },
            },
            _agg("rt", lambda a: {"p50": a["values"].get("50.0")}),
            tolerance=0.05,
        ),
        QuerySpec(
            "cardinality",
            "POST",
            search,
            {"size": 0, "aggs": {"ips": {"cardinality": {"field": "httpRequest.clientIp"}}}},
            _agg("ips", lambda a: {"value": a["value"]}),
            tolerance=0.05,
        ),
        QuerySpec(
            "multi_index_ip_pivot",
            "POST",
            f"/{INDEX_PATTERN}/_search",
            {
                **hits10,
                "query": {
                    "bool": {
                        "should": [
                            {"term": {"httpRequest.clientIp": ctx.hot_ip}},
                            {"term": {"sourceIPAddress": ctx.hot_ip}},
                            {"term": {"srcaddr": ctx.hot_ip}},
                        ],
                        "minimum_should_match": 1,
                    }
                },
            },
            _total,
        ),
    ]


def settle(server: Server, quiet_share: float = 0.05, max_s: float = 30.0) -> float:
    """Wait until the server uses under ``quiet_share`` of a core (merges done); seconds waited.

    Idle-latency figures taken while the server still merges segments from the
    ingest would mostly measure that merging.
    """
    if server.proc is None:
        return 0.0
    start = time.monotonic()
    last = server.cpu() or 0.0
    while time.monotonic() - start < max_s:
        time.sleep(0.5)
        now = server.cpu() or 0.0
        if now - last < 0.5 * quiet_share:
            break
        last = now
    return time.monotonic() - start


def _timed(fn: Callable[[], Any], reps: int, budget_s: float, warmup: int = 2) -> list[float]:
    """Latencies of up to ``reps`` calls, stopping early after ``budget_s``."""
    for _ in range(warmup):
        fn()
    samples: list[float] = []
    deadline = time.perf_counter() + budget_s
    while len(samples) < reps and (not samples or time.perf_counter() < deadline):
        t0 = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t0)
    return samples


def _agrees(a: dict[str, Any] | None, b: dict[str, Any] | None, tol: float) -> bool | None:
    if a is None or b is None:
        return None
    for key, va in a.items():
        vb = b.get(key)
        if isinstance(va, int | float) and isinstance(vb, int | float) and tol:
            if abs(va - vb) > tol * max(abs(va), abs(vb), 1e-9):
                return False
        elif va != vb:
            return False
    return True


def load_secondary(server: Server, docs: int, seed: int, clients: int) -> dict[str, Any]:
    """Put CloudTrail, VPC flow and IoT indices next to the WAF index for the pattern query."""
    client = server.client()
    out: dict[str, Any] = {}
    for kind, index in SECONDARY.items():
        create_index(client, index, FIELDS[kind])
        bodies = ndjson_bulk_bodies(kind, docs, index, seed=seed)
        lock = threading.Lock()

        def take(bodies: Any = bodies, lock: threading.Lock = lock) -> tuple[bytes, int] | None:
            with lock:
                nxt = next(bodies, None)
            return None if nxt is None else (nxt.body, nxt.docs)

        stats = CallStats()
        threads = [
            threading.Thread(target=_bulk_worker, args=(server, take, stats))
            for _ in range(clients)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        client.request("POST", f"/{index}/_refresh")
        out[kind] = {"index": index, "docs": stats.docs, "failed": stats.failed_docs}
        if stats.first_error:
            out[kind]["first_error"] = stats.first_error
    client.close()
    return out


def scenario_queries(
    server: Server,
    baseline: BaselineIndex | None,
    ctx: QueryContext,
    reps: int,
    budget_s: float,
) -> dict[str, Any]:
    """Each query serially over HTTP, then directly in tantivy: p50/p95 and their ratio."""
    settled = settle(server)
    client = server.client()
    searcher = baseline.searcher() if baseline else None
    rows: list[dict[str, Any]] = []
    for spec in query_specs(ctx):
        row: dict[str, Any] = {"name": spec.name, "path": spec.path, "body": spec.body}
        try:
            first = client.request(spec.method, spec.path, spec.body)
        except (OSError, http.client.HTTPException) as exc:
            server.check_alive()
            row.update(status="error", http_status=None, error=f"{type(exc).__name__}: {exc}")
        else:
            if first.status != 200:
                # A 4xx (or 501) is a query the server does not handle yet; other 5xx are bugs.
                kind = "unsupported" if first.status < 500 or first.status == 501 else "error"
                row.update(status=kind, http_status=first.status, error=first.reason())
            else:
                try:
                    row["http_result"] = spec.summarize(first.json())
                    row["status"] = "ok"
                except (KeyError, IndexError, TypeError, ValueError) as exc:
                    row.update(
                        status="bad response",
                        http_status=200,
                        error=f"{type(exc).__name__}: {exc}",
                    )
        if row["status"] == "ok":
            lat = _timed(lambda s=spec: client.request(s.method, s.path, s.body), reps, budget_s)
            row.update(
                http_reps=len(lat),
                http_p50_s=percentile(lat, 50),
                http_p95_s=percentile(lat, 95),
            )
        direct = TANTIVY_QUERIES.get(spec.name)
        if direct is not None and baseline is not None and searcher is not None:
            row["tantivy_result"] = direct(baseline, searcher, ctx)
            lat = _timed(lambda d=direct: d(baseline, searcher, ctx), reps, budget_s)
            row.update(
                tantivy_reps=len(lat),
                tantivy_p50_s=percentile(lat, 50),
                tantivy_p95_s=percentile(lat, 95),
            )
            if row.get("http_p50_s") and row["tantivy_p50_s"]:
                row["ratio_p50"] = row["http_p50_s"] / row["tantivy_p50_s"]
            row["results_agree"] = _agrees(
                row.get("http_result"), row["tantivy_result"], spec.tolerance
            )
        rows.append(row)
    client.close()
    return {
        "hot_ip": ctx.hot_ip,
        "reps": reps,
        "budget_s": budget_s,
        "settle_s": settled,
        "queries": rows,
    }


# --------------------------------------------------------------------------- 4. mixed


def scenario_mixed(
    server: Server,
    spool: Spool,
    clients: int,
    query_clients: int,
    specs: list[QuerySpec],
    max_seconds: float,
) -> dict[str, Any]:
    """Q query clients cycling through ``specs`` while K clients ingest ``spool``."""
    done = threading.Event()
    lat: dict[str, list[float]] = {s.name: [] for s in specs}
    errors: dict[str, int] = {s.name: 0 for s in specs}
    lock = threading.Lock()

    def query_loop(offset: int) -> None:
        client = server.client()
        deadline = time.monotonic() + max_seconds
        try:
            for i in itertools.count(offset):
                if done.is_set() or time.monotonic() > deadline:
                    return
                spec = specs[i % len(specs)]
                try:
                    resp = client.request(spec.method, spec.path, spec.body)
                except (OSError, http.client.HTTPException):
                    resp = Response(0, b"", 0.0)
                    time.sleep(0.1)  # the server is overwhelmed or gone; do not spin
                with lock:
                    if resp.status == 200:
                        lat[spec.name].append(resp.seconds)
                    else:
                        errors[spec.name] += 1
        finally:
            client.close()

    query_threads = [
        threading.Thread(target=query_loop, args=(i,), name=f"query-{i}")
        for i in range(query_clients if specs else 0)
    ]
    cpu0 = server.cpu()
    with server.rss() as rss:
        start = time.perf_counter()
        for t in query_threads:
            t.start()
        stats, ingest_wall = run_bulk(server, spool, clients)
        done.set()
        for t in query_threads:
            t.join()
        wall = time.perf_counter() - start
    cpu = _delta(server.cpu(), cpu0)
    total_queries = sum(len(v) for v in lat.values())
    return {
        "clients": clients,
        "query_clients": query_clients,
        "docs_sent": spool.docs,
        "docs_acked": stats.docs,
        "docs_failed": stats.failed_docs,
        "first_error": stats.first_error,
        "ingest_seconds": ingest_wall,
        "ingest_docs_per_s": stats.docs / ingest_wall if ingest_wall else None,
        "ingest_mb_per_s": spool.source_bytes / ingest_wall / 1e6 if ingest_wall else None,
        "bulk_p50_s": percentile(stats.latencies, 50),
        "bulk_p99_s": percentile(stats.latencies, 99),
        "queries": total_queries,
        "query_errors": sum(errors.values()),
        "queries_per_s": total_queries / wall if wall else None,
        "per_query": {
            name: {
                "n": len(v),
                "errors": errors[name],
                "p50_s": percentile(v, 50),
                "p95_s": percentile(v, 95),
            }
            for name, v in lat.items()
        },
        "server_cpu_s": cpu,
        "peak_rss_bytes": rss.peak if rss else None,
        "peak_anon_rss_bytes": rss.peak_anon if rss else None,
    }


def spool_for(
    path: Path, kind: str, n: int, index: str, seed: int, batch: int, end_ms: int
) -> Spool:
    """Generate ``n`` documents into a spool file before any clock starts."""
    path.parent.mkdir(parents=True, exist_ok=True)
    return Spool.write(
        path, ndjson_bulk_bodies(kind, n, index, seed=seed, batch=batch, end_ms=end_ms)
    )


def cleanup(path: Path) -> None:
    """Remove a work folder this run created."""
    import shutil

    shutil.rmtree(path, ignore_errors=True)
    with contextlib.suppress(OSError):
        os.rmdir(path)
