"""The node's operations metrics: what a managed domain's CloudWatch metrics say of it.

Three views share one set of figures (:func:`figures`): ``GET /_prometheus/metrics``
(api/prometheus.py), the ``loghaven`` section of ``_nodes/stats`` (api/nodes.py), and the
metrics history (:func:`collect`, written every ``ops.metrics.interval`` by ops/history.py,
read by the alarms and the UI). The figures are read from where the node keeps them —
cluster health, the data path's filesystem, the indices' blocks and counters, the process's
memory, the scheduler, the warm cache, the delivery streams, snapshot management, alerting —
when a view asks, so nothing is kept twice.

What only a listener can know is counted here: :class:`NodeMetrics` is told of every search
phase and every index's part of a write (ops/observe.py) and keeps counters and latency
histograms (``prometheus_client``'s, which take a lock and find a bucket: a constant cost per
event, never per document — a 10,000-document bulk costs what a single document does).
``SearchRate``/``IndexingRate`` and the average latencies are over the period since the
previous sample of the history. The node's own bookkeeping (the alert count the figures read,
the history's writes) runs :func:`uncounted`, so an idle node's rates are 0.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, Counter, Histogram

from loghaven.engine import blocks
from loghaven.engine.index import Index
from loghaven.errors import ParseFailure
from loghaven.lifecycle.sm.service import WORKFLOWS
from loghaven.ops import host, stats
from loghaven.ops.observe import Observers, Searched, Written
from loghaven.params import parse_byte_size

if TYPE_CHECKING:
    from loghaven.node import Node

#: TEST SEAM: when set, ``FreeStorageSpace`` (and the free bytes of the Prometheus and
#: ``_nodes/stats`` ``loghaven`` views) is this many megabytes instead of what the data
#: path's filesystem has, so that tests can simulate a full disk without filling one. The
#: disk watermarks (engine/disk.py) still measure the real disk. Never set it in production.
FREE_STORAGE_ENV = "LOGHAVEN_TEST_FREE_STORAGE_MB"
MB = 1024 * 1024
#: Latency histogram buckets in seconds: a term query takes ~0.2 ms, an aggregation over a
#: day ~10-50 ms, a bulk of 1,000 WAF documents ~15 ms; the top buckets catch stalls.
LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0,
                   2.5, 5.0, 10.0, 30.0)
#: The kinds of search phases (ops/observe.py's ``Searched.kind``).
SEARCH_KINDS = ("search", "scroll", "count", "msearch")
#: ``ClusterHealthStatus.value()`` of OpenSearch, as its Prometheus exporter reports it.
STATUS_VALUES = {"green": 0, "yellow": 1, "red": 2}
#: Set while the metrics read the node (the alert counts are a search) and write their
#: history: that work is not counted, so an idle node's rates stay 0.
_UNCOUNTED: ContextVar[bool] = ContextVar("loghaven_metrics_uncounted", default=False)


@contextlib.contextmanager
def uncounted() -> Iterator[None]:
    token = _UNCOUNTED.set(True)
    try:
        yield
    finally:
        _UNCOUNTED.reset(token)


def cluster_status(indices: list[Index]) -> str:
    """The health of these indices: red when one failed to open, else green (each index
    is one primary shard with no replica to be missing, so never yellow)."""
    return "red" if any(index.failure is not None for index in indices) else "green"


def memory_limit(value: str, machine_total: int) -> int:
    """``node.memory.limit`` in bytes: a share of the machine's memory (``"80%"``) or a
    byte size (``"4gb"``)."""
    text = value.strip()
    if text.endswith("%"):
        try:
            share = float(text[:-1])
        except ValueError:
            raise ValueError(f"node.memory.limit: [{value}] is not a percentage") from None
        if not 0 < share <= 100:
            raise ValueError(f"node.memory.limit: [{value}] must be above 0% and at most "
                             f"100%")
        return int(machine_total * share / 100)
    try:
        limit = parse_byte_size(text, "node.memory.limit")
    except ParseFailure as error:
        raise ValueError(error.reason) from None
    if limit <= 0:
        raise ValueError(f"node.memory.limit: [{value}] must be positive")
    return limit


@dataclass
class _Totals:
    """Running totals of the node's searches and writes since it started."""

    searches: int = 0
    search_ms: float = 0.0
    documents: int = 0
    index_ms: float = 0.0

    def copy(self) -> _Totals:
        return _Totals(self.searches, self.search_ms, self.documents, self.index_ms)


class NodeMetrics:
    """Counters and latency histograms of the node's searches and writes, in a registry of
    the node's own (several nodes may share a process in tests)."""

    def __init__(self, memory_limit_bytes: int) -> None:
        self.memory_limit = memory_limit_bytes
        self.registry = CollectorRegistry(auto_describe=True)
        self.search_latency = Histogram(
            "loghaven_search_latency_seconds", "Wall time of each search phase (search, "
            "scroll page, count, msearch item), by kind", ["kind"], buckets=LATENCY_BUCKETS,
            registry=self.registry)
        self.search_failures = Counter(
            "loghaven_search_failures", "Search phases that failed, by kind", ["kind"],
            registry=self.registry)
        self.indexing_latency = Histogram(
            "loghaven_indexing_latency_seconds", "Wall time of each index's part of a write "
            "request (written and synced)", buckets=LATENCY_BUCKETS, registry=self.registry)
        self.documents = Counter(
            "loghaven_indexing_documents", "Document writes (index, create, update, delete) "
            "by outcome", ["result"], registry=self.registry)
        for kind in SEARCH_KINDS:  # every series from the start, at 0
            self.search_latency.labels(kind)
            self.search_failures.labels(kind)
        for result in ("succeeded", "failed"):
            self.documents.labels(result)
        self._lock = threading.Lock()
        self._totals = _Totals()
        #: The totals and monotonic time of the previous sample (the rates' period).
        self._previous = (time.monotonic(), _Totals())

    def listen(self, observers: Observers) -> None:
        observers.on_search(self.searched)
        observers.on_write(self.written)

    def searched(self, event: Searched) -> None:
        if _UNCOUNTED.get():
            return
        self.search_latency.labels(event.kind).observe(event.took_ms / 1000)
        if event.error is not None:
            self.search_failures.labels(event.kind).inc()
        with self._lock:
            self._totals.searches += 1
            self._totals.search_ms += event.took_ms

    def written(self, event: Written) -> None:
        if _UNCOUNTED.get():
            return
        count = len(event.requests)  # a Sequence's length: never a walk over the documents
        self.indexing_latency.observe(event.took_ms / 1000)
        self.documents.labels("failed").inc(event.failed)
        self.documents.labels("succeeded").inc(count - event.failed)
        with self._lock:
            self._totals.documents += count
            self._totals.index_ms += event.took_ms

    def totals(self) -> dict[str, float]:
        with self._lock:
            now = self._totals.copy()
        return {"searches": now.searches, "search_time_in_millis": round(now.search_ms, 3),
                "documents": now.documents, "indexing_time_in_millis": round(now.index_ms, 3)}

    def rates(self, *, advance: bool) -> dict[str, float]:
        """Searches and documents per minute and their average latency in ms, over the
        period since the previous sample; ``advance`` starts the next period (the history's
        sampler does, a look from ``_nodes/stats`` does not)."""
        now = time.monotonic()
        with self._lock:
            current = self._totals.copy()
            since, before = self._previous
            if advance:
                self._previous = (now, current)
        minutes = max(now - since, 1e-3) / 60
        searches = current.searches - before.searches
        documents = current.documents - before.documents
        return {
            "SearchRate": searches / minutes,
            "IndexingRate": documents / minutes,
            "SearchLatency": (current.search_ms - before.search_ms) / searches
            if searches else 0.0,
            "IndexingLatency": (current.index_ms - before.index_ms) / documents
            if documents else 0.0,
        }


@dataclass
class Figures:
    """The node's state as the metrics read it, at one moment."""

    status: str
    total_bytes: int
    free_bytes: int
    store_bytes: int
    documents: int
    deleted_documents: int
    writes_blocked: bool
    resident_bytes: int
    memory_limit_bytes: int
    cpu_percent: float
    index_counters: dict[str, dict[str, float]]
    contexts: dict[str, int]
    scheduler_lag_seconds: float
    warm: dict[str, float]
    #: Each delivery stream's buffered bytes and records.
    streams: dict[str, tuple[int, int]]
    snapshots_succeeded: int
    snapshots_failed: int
    snapshot_failure: bool
    alerts: dict[str, int] = field(default_factory=dict)

    @property
    def memory_pressure(self) -> float:
        if self.resident_bytes < 0 or self.memory_limit_bytes <= 0:
            return -1.0
        return 100.0 * self.resident_bytes / self.memory_limit_bytes


def free_storage_override() -> int | None:
    """The test seam's free megabytes (:data:`FREE_STORAGE_ENV`), if set."""
    value = os.environ.get(FREE_STORAGE_ENV)
    return None if value in (None, "") else int(float(value) * MB)


def figures(node: Node) -> Figures:
    """Read every figure the metrics report from the node (a few ``/proc`` reads, one
    ``statvfs``, a walk over the indices' splits, one aggregation over the alerts)."""
    catalog = node.catalog
    indices = list(catalog.indices.values())
    opened = [index for index in indices if index.state == "open" and index.failure is None]
    summed = stats.sum_stats(opened, ("docs", "store", "indexing", "search", "refresh",
                                      "merge"))
    usage = host.fs_stats(node.config.data_dir)["total"]
    free = free_storage_override()
    memory = host.memory_stats()
    scheduler_lags = [job.state.last_lag or 0.0 for job in node.scheduler.jobs()]
    sm = node.sm.stats()
    with uncounted():
        alerts = node.alerts.counts()
    return Figures(
        status=cluster_status(indices),
        total_bytes=usage["total_in_bytes"],
        free_bytes=usage["free_in_bytes"] if free is None else free,
        store_bytes=summed["store"]["size_in_bytes"],
        documents=summed["docs"]["count"],
        deleted_documents=summed["docs"]["deleted"],
        writes_blocked=catalog.disk.flood or any(
            blocks.is_set(index.settings.flat, blocks.READ_ONLY_ALLOW_DELETE)
            for index in indices),
        resident_bytes=memory["resident"],
        memory_limit_bytes=node.metrics.memory_limit,
        cpu_percent=float(host.os_stats()["cpu"]["percent"]),
        index_counters={key: summed[key] for key in ("indexing", "search", "refresh",
                                                     "merges")},
        contexts=node.search_service.contexts.counts(),
        scheduler_lag_seconds=max(scheduler_lags, default=0.0),
        warm=node.warm.stats(),
        streams={name: (s["buffered_bytes"], s["buffered_records"])
                 for name, s in node.streams.stats().items()},
        snapshots_succeeded=sum(sm[kind]["succeeded"] for kind in WORKFLOWS),
        snapshots_failed=sum(sm[kind]["failed"] for kind in WORKFLOWS),
        snapshot_failure=node.sm.last_run_failed(),
        alerts=alerts,
    )


def collect(node: Node, *, advance: bool = True, seen: Figures | None = None
            ) -> dict[str, float]:
    """One sample of the metrics history: CloudWatch's names for what AWS documents, and
    ``loghaven.*`` for the rest (docs: docs/operations.md, the metrics reference).
    ``advance`` starts the next period of the rates; ``seen`` reuses figures read already."""
    f = seen if seen is not None else figures(node)
    sample: dict[str, float] = {
        **{f"ClusterStatus.{status}": float(f.status == status) for status in STATUS_VALUES},
        "FreeStorageSpace": f.free_bytes / MB,
        "StorageSpaceTotal": f.total_bytes / MB,
        "ClusterUsedSpace": f.store_bytes / MB,
        "ClusterIndexWritesBlocked": float(f.writes_blocked),
        "JVMMemoryPressure": f.memory_pressure,
        "CPUUtilization": f.cpu_percent,
        **node.metrics.rates(advance=advance),
        "AutomatedSnapshotFailure": float(f.snapshot_failure),
        "Nodes": 1.0,
        "SearchableDocuments": float(f.documents),
        "DeletedDocuments": float(f.deleted_documents),
        "loghaven.memory.resident_bytes": float(f.resident_bytes),
        "loghaven.memory.limit_bytes": float(f.memory_limit_bytes),
        "loghaven.refresh.total": float(f.index_counters["refresh"]["total"]),
        "loghaven.merges.total": float(f.index_counters["merges"]["total"]),
        "loghaven.scheduler.lag_seconds": f.scheduler_lag_seconds,
        "loghaven.warm.cache_hits": float(f.warm.get("hits", 0)),
        "loghaven.warm.cache_misses": float(f.warm.get("misses", 0)),
        "loghaven.warm.cache_bytes": float(f.warm.get("size_in_bytes", 0)),
        "loghaven.streams.backlog_bytes": float(sum(b for b, _ in f.streams.values())),
        "loghaven.streams.backlog_records": float(sum(r for _, r in f.streams.values())),
        "loghaven.snapshots.succeeded": float(f.snapshots_succeeded),
        "loghaven.snapshots.failed": float(f.snapshots_failed),
        "loghaven.contexts.scroll": float(f.contexts["scroll"]),
        "loghaven.contexts.pit": float(f.contexts["pit"]),
    }
    for state, count in f.alerts.items():
        sample[f"loghaven.alerts.{state.lower()}"] = float(count)
    return sample
