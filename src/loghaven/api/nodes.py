"""``_nodes`` info and ``_nodes/stats``: the one node this server is, as cluster tools ask for it.

Sniffing clients read ``http.publish_address`` and ``roles``; monitoring tools read the
``os``, ``process``, ``jvm``, ``fs`` and ``indices`` stats. A Python process has no JVM: the
``jvm`` sections describe the Python runtime, with the resident memory as the heap and the
node's memory limit (``node.memory.limit``) as the heap maximum, so that heap-percentage
dashboards and alarms (JVMMemoryPressure) show something true. The ``loghaven`` section has
the node's operations metrics (ops/metrics.py) under their CloudWatch names.
"""

from __future__ import annotations

import fnmatch
import os
import platform
import sys
import time
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from loghaven.api.http import json_response, node_of, run
from loghaven.config import Config
from loghaven.node import COMPAT_VERSION
from loghaven.ops import host, stats
from loghaven.ops.metrics import collect

ROLES = ["cluster_manager", "data", "ingest", "remote_cluster_client"]
#: Selector attributes ``<role>:true`` matches (``master`` is the pre-2.0 name).
ROLE_ATTRIBUTES = {*ROLES, "master"}

INFO_METRICS = {"settings", "os", "process", "jvm", "thread_pool", "transport", "http",
                "plugins", "ingest", "aggregations", "indices", "search_pipelines"}
STATS_METRICS = {"indices", "os", "process", "jvm", "thread_pool", "fs", "transport", "http",
                 "breaker", "script", "discovery", "ingest", "adaptive_selection",
                 "script_cache", "indexing_pressure", "shard_indexing_pressure",
                 "search_backpressure", "cluster_manager_throttling", "weighted_routing",
                 "file_cache", "task_cancellation", "search_pipeline", "resource_usage_stats",
                 "segment_replication_backpressure", "repositories", "admission_control",
                 "caches", "scheduler", "security", "streams", "warm",
                 "snapshot_management", "loghaven"}

#: The OpenSearch plugins whose REST APIs Loghaven answers, as ``_cat/plugins`` and ``_nodes``
#: name them (sorted, as OpenSearch lists them): component, description, and the route
#: prefixes of its APIs; a plugin is listed when the server has a route under one of them.
PLUGINS = [
    ("opensearch-alerting", "Alerting monitors, triggers and actions", ("/_plugins/_alerting",)),
    ("opensearch-index-management", "Index State Management and snapshot management policies",
     ("/_plugins/_ism", "/_plugins/_sm")),
    ("opensearch-job-scheduler", "The scheduler that alerting, ISM and reports jobs run on",
     ("/_plugins/_job_scheduler",)),
    ("opensearch-notifications", "Notification channels: Slack, Chime, Teams, webhooks, email, "
     "SNS", ("/_plugins/_notifications",)),
    ("opensearch-notifications-core", "Delivery of notifications to the channels",
     ("/_plugins/_notifications",)),
    ("opensearch-reports-scheduler", "Scheduled and on-demand reports",
     ("/_plugins/_reports",)),
    ("opensearch-security", "Users, roles, API keys, document- and field-level security",
     ("/_plugins/_security",)),
    ("opensearch-sql", "SQL and PPL queries", ("/_plugins/_sql", "/_plugins/_ppl")),
    ("prometheus-exporter", "The node's metrics in Prometheus' text format",
     ("/_prometheus/metrics",)),
]


def http_address(request: Request) -> str:
    """The address clients reach this node at (the request's host when bound to all)."""
    config = node_of(request).config
    address = config.host
    if address in ("0.0.0.0", "::", ""):
        address = request.url.hostname or "127.0.0.1"
    return f"{address}:{config.port}"


def identity(request: Request) -> dict[str, Any]:
    """The fields every node entry starts with."""
    node = node_of(request)
    address = http_address(request)
    ip = address.rsplit(":", 1)[0]
    return {"name": node.config.node_name, "transport_address": address, "host": ip, "ip": ip,
            "roles": list(ROLES), "attributes": {}}


def selected(request: Request, selector: str | None) -> bool:
    """Whether a ``node_id`` selector (ids, names, addresses, ``role:true``) picks this node."""
    if not selector:
        return True
    node = node_of(request)
    ip = http_address(request).rsplit(":", 1)[0]
    names = {node.node_id, node.config.node_name, ip}
    for part in selector.split(","):
        key, _, value = part.partition(":")
        if part in ("_all", "_local", "_master", "_cluster_manager"):
            return True
        if value and key in ROLE_ATTRIBUTES:
            if value == "true":
                return True
            continue
        if any(fnmatch.fnmatchcase(name, part) for name in names):
            return True
    return False


def served_plugins(request: Request) -> list[tuple[str, str]]:
    """Plugins whose REST APIs this server answers, found from its routes."""
    paths = [getattr(route, "path", "") for route in request.app.routes]
    return [(name, description) for name, description, prefixes in PLUGINS
            if any(path.startswith(prefixes) for path in paths)]


def _selector_and_metrics(request: Request, allowed: set[str]) -> tuple[str, set[str]]:
    """ES reads ``/_nodes/os`` as a metric and ``/_nodes/_local`` as a node selector."""
    params = request.path_params
    selector = params.get("node_id", "_all")
    metric_text = params.get("metric")
    if metric_text is None and set(selector.split(",")) <= allowed | {"_all"}:
        selector, metric_text = "_all", selector
    return selector, stats.metric_set(metric_text, allowed, request.url.path)


def _envelope(request: Request, entry: dict[str, Any] | None) -> dict[str, Any]:
    node = node_of(request)
    count = 1 if entry is not None else 0
    return {"_nodes": {"total": count, "successful": count, "failed": 0},
            "cluster_name": node.config.cluster_name,
            "nodes": {node.node_id: entry} if entry is not None else {}}


def settings_of(config: Config) -> dict[str, Any]:
    """The node's settings as ``GET _nodes`` shows them (nested, values as text): what
    ``loghaven check`` reads to judge the node (bind address, security, memory limit, tiers).
    Secrets (keys, passwords, tokens) are never among them."""
    return {
        "cluster": {"name": config.cluster_name},
        "node": {"name": config.node_name, "memory": {"limit": config.node_memory_limit}},
        "path": {"data": [str(config.data_dir.resolve())]},
        "network": {"host": config.host},
        "http": {"host": config.host, "port": str(config.port)},
        "plugins": {"security": {"disabled": str(not config.security_enabled).lower()}},
        "warm": {"bucket": config.warm_bucket},
        "object_store": {"type": config.object_store_type},
    }


def info_entry(request: Request, metrics: set[str]) -> dict[str, Any]:
    node = node_of(request)
    config = node.config
    address = http_address(request)
    entry = {**identity(request), "version": COMPAT_VERSION, "build_type": "tar",
             "build_hash": "loghaven-" + node.version,
             "total_indexing_buffer": 128_000_000}
    if "settings" in metrics:
        entry["settings"] = settings_of(config)
    if "os" in metrics:
        cpus = os.cpu_count() or 1
        entry["os"] = {"refresh_interval_in_millis": 1000, "name": platform.system(),
                       "pretty_name": platform.platform(), "arch": platform.machine(),
                       "version": platform.release(), "available_processors": cpus,
                       "allocated_processors": cpus}
    if "process" in metrics:
        entry["process"] = {"refresh_interval_in_millis": 1000, "id": os.getpid(),
                            "mlockall": False}
    if "jvm" in metrics:
        entry["jvm"] = {"pid": os.getpid(), "version": platform.python_version(),
                        "vm_name": platform.python_implementation(),
                        "vm_version": sys.version.split()[0], "vm_vendor": "Python",
                        "start_time_in_millis": int(node.started * 1000),
                        "mem": {"heap_init_in_bytes": 0,
                                "heap_max_in_bytes": node.metrics.memory_limit,
                                "non_heap_init_in_bytes": 0, "non_heap_max_in_bytes": 0,
                                "direct_max_in_bytes": 0},
                        "gc_collectors": [], "memory_pools": [], "input_arguments": sys.argv[1:]}
    if "transport" in metrics:
        entry["transport"] = {"bound_address": [address], "publish_address": address,
                              "profiles": {}}
    if "http" in metrics:
        entry["http"] = {"bound_address": [f"{config.host}:{config.port}"],
                         "publish_address": address,
                         "max_content_length_in_bytes": config.max_content_length}
    if "plugins" in metrics:
        entry["plugins"] = [
            {"name": name, "version": COMPAT_VERSION + ".0", "opensearch_version": COMPAT_VERSION,
             "java_version": "", "description": description, "classname": "",
             "custom_foldername": "", "extended_plugins": [], "has_native_controller": False}
            for name, description in served_plugins(request)]
        entry["modules"] = []
    return entry


def stats_entry(request: Request, metrics: set[str], index_metrics: str | None) -> dict[str, Any]:
    node = node_of(request)
    entry: dict[str, Any] = {"timestamp": int(time.time() * 1000), **identity(request)}
    if "indices" in metrics:
        wanted = stats.parse_metrics(index_metrics, request.url.path)
        indices = [i for i in node.catalog.indices.values() if i.state == "open"]
        entry["indices"] = stats.sum_stats(indices, wanted)
    if "os" in metrics:
        entry["os"] = host.os_stats()
    if "process" in metrics:
        entry["process"] = host.process_stats()
    if "jvm" in metrics:
        memory = host.memory_stats()
        entry["jvm"] = {
            "timestamp": int(time.time() * 1000),
            "uptime_in_millis": int((time.time() - node.started) * 1000),
            "mem": {"heap_used_in_bytes": memory["resident"],
                    "heap_used_percent": host.percent(memory["resident"],
                                                      node.metrics.memory_limit),
                    "heap_committed_in_bytes": memory["resident"],
                    "heap_max_in_bytes": node.metrics.memory_limit,
                    "non_heap_used_in_bytes": 0, "non_heap_committed_in_bytes": 0,
                    "pools": {}},
            "threads": {"count": memory["threads"], "peak_count": memory["threads"]},
            "gc": {"collectors": {}}, "buffer_pools": {},
        }
    if "fs" in metrics:
        entry["fs"] = host.fs_stats(node.config.data_dir)
    if "scheduler" in metrics:  # Loghaven's own: the node's background jobs
        entry["scheduler"] = node.scheduler.stats()
    if "streams" in metrics:  # Loghaven's own: each delivery stream's metrics
        entry["streams"] = node.streams.stats()
    if "warm" in metrics:  # Loghaven's own: the warm tier's split cache and orphan sweep
        entry["warm"] = {**node.warm.stats(), **node.warm_sweep.stats()}
    if "snapshot_management" in metrics:  # Loghaven's own: SM policies' runs counted
        entry["snapshot_management"] = node.sm.stats()
    if "loghaven" in metrics:  # Loghaven's own: the operations metrics, CloudWatch's names
        entry["loghaven"] = {"metrics": collect(node, advance=False),
                             "totals": node.metrics.totals(),
                             "history": node.metrics_history.stats()}
    if "security" in metrics and node.config.security_enabled:  # Loghaven's own
        entry["security"] = {"audit": node.audit.stats()}
    return entry


async def nodes_info(request: Request) -> Response:
    selector, metrics = _selector_and_metrics(request, INFO_METRICS)
    entry = info_entry(request, metrics) if selected(request, selector) else None
    return json_response(request, _envelope(request, entry))


async def nodes_stats(request: Request) -> Response:
    selector = request.path_params.get("node_id", "_all")
    metrics = stats.metric_set(request.path_params.get("metric"), STATS_METRICS,
                               request.url.path)
    index_metrics = request.path_params.get("index_metric")
    entry = await run(stats_entry, request, metrics, index_metrics) \
        if selected(request, selector) else None
    return json_response(request, _envelope(request, entry))


routes = [
    Route("/_nodes", nodes_info, methods=["GET"]),
    Route("/_nodes/stats", nodes_stats, methods=["GET"]),
    Route("/_nodes/stats/{metric}", nodes_stats, methods=["GET"]),
    Route("/_nodes/stats/{metric}/{index_metric}", nodes_stats, methods=["GET"]),
    Route("/_nodes/{node_id}/stats", nodes_stats, methods=["GET"]),
    Route("/_nodes/{node_id}/stats/{metric}", nodes_stats, methods=["GET"]),
    Route("/_nodes/{node_id}/stats/{metric}/{index_metric}", nodes_stats, methods=["GET"]),
    Route("/_nodes/{node_id}", nodes_info, methods=["GET"]),
    Route("/_nodes/{node_id}/{metric}", nodes_info, methods=["GET"]),
]
