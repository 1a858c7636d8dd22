"""``GET /_prometheus/metrics``: the node's metrics in the Prometheus text format, where the
OpenSearch Prometheus exporter plugin serves them.

Figures that plugin exports keep its names and labels (``opensearch_cluster_status``
``{cluster}``, ``opensearch_fs_total_free_bytes{cluster,node,nodeid}``, ...), so its
dashboards and alert rules work unchanged; Loghaven's own are ``loghaven_*``, among them
the search and indexing latency histograms. Every figure is read at the scrape
(ops/metrics.py); nothing is cached between scrapes.
"""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from loghaven.api.http import node_of, run
from loghaven.node import Node
from loghaven.ops.metrics import STATUS_VALUES, Figures, figures


class _Scrape:
    """A collector of one scrape: the figures as metric families, then the node's
    counters and histograms."""

    def __init__(self, node: Node) -> None:
        self.node = node

    def collect(self) -> Iterator[Metric]:
        node = self.node
        f = figures(node)
        cluster = {"cluster": node.config.cluster_name}
        for name, text, value in (
                ("opensearch_cluster_status", "Cluster status (0 green, 1 yellow, 2 red)",
                 STATUS_VALUES[f.status]),
                ("opensearch_cluster_nodes_number", "Number of nodes in the cluster", 1),
                ("opensearch_cluster_datanodes_number", "Number of data nodes in the cluster",
                 1)):
            yield _labelled(name, text, value, cluster)
        labels = {**cluster, "node": node.config.node_name, "nodeid": node.node_id}
        for name, text, value in _node_gauges(f):
            yield _labelled(name, text, value, labels)
        yield from _loghaven_families(f)
        yield from node.metrics.registry.collect()


def _labelled(name: str, text: str, value: float, labels: dict[str, str]
              ) -> GaugeMetricFamily:
    """A gauge with the exporter plugin's cluster (and node) labels."""
    family = GaugeMetricFamily(name, text, labels=list(labels))
    family.add_metric(list(labels.values()), value)
    return family


def _node_gauges(f: Figures) -> Iterator[tuple[str, str, float]]:
    """The node figures the exporter plugin names: (name, help, value)."""
    counters = f.index_counters
    indexing, search = counters["indexing"], counters["search"]
    refresh, merges = counters["refresh"], counters["merges"]
    yield ("opensearch_fs_total_total_bytes", "Total disk space of the data path",
           f.total_bytes)
    yield ("opensearch_fs_total_free_bytes", "Free disk space of the data path",
           f.free_bytes)
    yield ("opensearch_fs_total_available_bytes", "Available disk space of the data path",
           f.free_bytes)
    yield ("opensearch_jvm_mem_heap_used_bytes", "Resident memory of the process",
           f.resident_bytes)
    yield ("opensearch_jvm_mem_heap_max_bytes", "The node's memory limit "
           "(node.memory.limit)", f.memory_limit_bytes)
    yield ("opensearch_jvm_mem_heap_used_percent", "Resident memory as a percentage of "
           "the memory limit", round(f.memory_pressure, 3))
    yield ("opensearch_os_cpu_percent", "CPU usage of the machine in percent",
           f.cpu_percent)
    yield ("opensearch_indices_doc_number", "Total number of documents", f.documents)
    yield ("opensearch_indices_doc_deleted_number", "Number of deleted documents",
           f.deleted_documents)
    yield ("opensearch_indices_store_size_bytes", "Store size of the indices in bytes",
           f.store_bytes)
    yield ("opensearch_indices_indexing_index_count", "Count of documents indexed",
           indexing["index_total"])
    yield ("opensearch_indices_indexing_index_time_seconds",
           "Time spent while indexing documents", indexing["index_time_in_millis"] / 1000)
    yield ("opensearch_indices_indexing_delete_count", "Count of documents deleted",
           indexing["delete_total"])
    yield ("opensearch_indices_search_open_contexts_number",
           "Number of search open contexts", sum(f.contexts.values()))
    yield ("opensearch_indices_search_query_count", "Count of search queries",
           search["query_total"])
    yield ("opensearch_indices_search_query_time_seconds",
           "Time spent while search queries", search["query_time_in_millis"] / 1000)
    yield ("opensearch_indices_refresh_total_count", "Count of refreshes",
           refresh["total"])
    yield ("opensearch_indices_refresh_total_time_seconds", "Time spent while refreshes",
           refresh["total_time_in_millis"] / 1000)
    yield ("opensearch_indices_merges_total_number", "Count of merges", merges["total"])
    yield ("opensearch_indices_merges_total_time_seconds", "Time spent while merging",
           merges["total_time_in_millis"] / 1000)
    yield ("opensearch_indices_merges_total_docs_count", "Count of documents merged",
           merges["total_docs"])
    yield ("opensearch_indices_merges_total_size_bytes",
           "Count of bytes of merged documents", merges["total_size_in_bytes"])


def _loghaven_families(f: Figures) -> Iterator[Metric]:
    """Loghaven's own figures (the scraped node's: Prometheus adds its ``instance``)."""
    yield _gauge("loghaven_cluster_index_writes_blocked", "1 when an index has the "
                 "flood-stage write block (ClusterIndexWritesBlocked)", f.writes_blocked)
    yield _gauge("loghaven_memory_pressure_percent", "Resident memory as a percentage of "
                 "node.memory.limit (JVMMemoryPressure)", f.memory_pressure)
    yield _gauge("loghaven_scheduler_lag_seconds", "The largest delay of a scheduler job's "
                 "last run behind its due time", f.scheduler_lag_seconds)
    contexts = GaugeMetricFamily("loghaven_search_contexts", "Open search contexts by type",
                                 labels=["type"])
    for kind, count in sorted(f.contexts.items()):
        contexts.add_metric([kind], count)
    yield contexts
    yield _counter("loghaven_warm_cache_hits", "Warm split cache hits", f.warm.get("hits", 0))
    yield _counter("loghaven_warm_cache_misses", "Warm split cache misses",
                   f.warm.get("misses", 0))
    yield _counter("loghaven_warm_cache_fetched_bytes", "Bytes fetched into the warm cache",
                   f.warm.get("bytes_fetched", 0))
    yield _gauge("loghaven_warm_cache_bytes", "Bytes in the warm split cache",
                 f.warm.get("size_in_bytes", 0))
    backlog_bytes = GaugeMetricFamily("loghaven_stream_backlog_bytes", "Bytes buffered by a "
                                      "delivery stream, not delivered yet", labels=["stream"])
    backlog_records = GaugeMetricFamily("loghaven_stream_backlog_records", "Records buffered "
                                        "by a delivery stream", labels=["stream"])
    for name, (size, records) in sorted(f.streams.items()):
        backlog_bytes.add_metric([name], size)
        backlog_records.add_metric([name], records)
    yield backlog_bytes
    yield backlog_records
    snapshots = CounterMetricFamily("loghaven_snapshot_runs", "Snapshot-management runs by "
                                    "result", labels=["result"])
    snapshots.add_metric(["succeeded"], f.snapshots_succeeded)
    snapshots.add_metric(["failed"], f.snapshots_failed)
    yield snapshots
    yield _gauge("loghaven_snapshot_last_run_failed", "1 when the latest run of a "
                 "snapshot-management policy failed (AutomatedSnapshotFailure)",
                 f.snapshot_failure)
    alerts = GaugeMetricFamily("loghaven_alerts", "Current alerts by state", labels=["state"])
    for state, count in sorted(f.alerts.items()):
        alerts.add_metric([state], count)
    yield alerts


def _gauge(name: str, text: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, text, value=float(value))


def _counter(name: str, text: str, value: float) -> CounterMetricFamily:
    return CounterMetricFamily(name, text, value=float(value))


def exposition(node: Node) -> bytes:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Scrape(node))
    return generate_latest(registry)


async def metrics(request: Request) -> Response:
    body = await run(exposition, node_of(request))
    return Response(body, media_type=CONTENT_TYPE_PLAIN_0_0_4)


routes = [Route("/_prometheus/metrics", metrics, methods=["GET"])]
