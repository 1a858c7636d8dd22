"""Cluster APIs that tools ask a server about: ``_cluster/state``, ``_cluster/settings``,
``_cluster/stats``, ``_cluster/allocation/explain``, ``_tasks`` (list, get, cancel, and the
bulk-by-scroll operations' ``_rethrottle``) and ``_resolve/index``.

A Loghaven server is a one-node cluster: every index is one started primary shard on it.
"""

from __future__ import annotations

import functools
import os
import time
from collections import Counter
from collections.abc import Sequence
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from loghaven.api.http import json_body, json_response, node_of, param_bool, run
from loghaven.api.nodes import identity, served_plugins
from loghaven.engine import templates
from loghaven.engine.dates.durations import parse_duration_ms
from loghaven.engine.index import Index
from loghaven.engine.settings import nest
from loghaven.errors import IllegalArgument, LoghavenError
from loghaven.node import COMPAT_VERSION, Node
from loghaven.ops import host, state, stats
from loghaven.ops.metrics import cluster_status
from loghaven.search.bulk_by_scroll import parse_requests_per_second
from loghaven.sql import settings as sql_settings
from loghaven.tasks import LIST_TASKS

STATE_METRICS = ("version", "master_node", "cluster_manager_node", "blocks", "nodes",
                 "metadata", "routing_table", "routing_nodes", "customs")
#: ES's default ``timeout`` of waiting for tasks.
DEFAULT_TASK_TIMEOUT_MS = 30_000


# --- _cluster/state --------------------------------------------------------------------------


def _index_metadata(node: Node, index: Index) -> dict[str, Any]:
    return {
        "state": index.state,
        "settings": index.settings.to_es(),
        "mappings": {"_doc": index.mapping.to_es()},
        "aliases": sorted(node.catalog.aliases.get(index.name, {})),
        "primary_terms": {"0": 1},
        "in_sync_allocations": {"0": [index.uuid]},
        "rollover_info": {},
        "system": False,
    }


def _shard_routing(node: Node, index: Index) -> dict[str, Any]:
    return {"state": "STARTED", "primary": True, "node": node.node_id, "relocating_node": None,
            "shard": 0, "index": index.name, "allocation_id": {"id": index.uuid}}


def _metadata(node: Node) -> dict[str, Any]:
    metastore = node.metastore
    return {
        "cluster_uuid": node.catalog.cluster_uuid,
        "cluster_uuid_committed": True,
        "cluster_coordination": {"term": 1, "last_committed_config": [node.node_id],
                                 "last_accepted_config": [node.node_id],
                                 "voting_config_exclusions": []},
        "templates": {name: templates.legacy_view(t) for name, t in
                      sorted(templates.find(metastore, templates.LEGACY, None).items())},
        "indices": {name: _index_metadata(node, index)
                    for name, index in sorted(node.catalog.indices.items())},
        "index-graveyard": {"tombstones": []},
        "index_template": {
            "index_template": templates.find(metastore, templates.COMPOSABLE, None)},
        "component_template": {
            "component_template": templates.find(metastore, templates.COMPONENT, None)},
    }


def cluster_state_body(request: Request) -> dict[str, Any]:
    node = node_of(request)
    metrics = stats.metric_set(request.path_params.get("metric"), STATE_METRICS,
                               request.url.path)
    expression = request.path_params.get("index")
    wanted: set[str] | None = None
    if expression:
        wanted = {t.index.name for t in node.catalog.resolve(
            expression, ignore_unavailable=True,
            expand_wildcards=request.query_params.get("expand_wildcards", "open"),
            include_closed_error=False)}
    metadata = _metadata(node)
    body: dict[str, Any] = {"cluster_name": node.config.cluster_name,
                            "cluster_uuid": node.catalog.cluster_uuid}
    if "version" in metrics:
        body["version"], body["state_uuid"] = state.state_version(node.metastore, metadata)
    if "cluster_manager_node" in metrics:
        body["cluster_manager_node"] = node.node_id
    if "master_node" in metrics:
        body["master_node"] = node.node_id
    if "blocks" in metrics:
        body["blocks"] = {}
    if "nodes" in metrics:
        me = identity(request)
        body["nodes"] = {node.node_id: {"name": me["name"], "ephemeral_id": node.node_id,
                                        "transport_address": me["transport_address"],
                                        "attributes": {}}}
    selected = [index for name, index in sorted(node.catalog.indices.items())
                if wanted is None or name in wanted]
    if "metadata" in metrics:
        if wanted is not None:
            metadata["indices"] = {i.name: metadata["indices"][i.name] for i in selected}
        body["metadata"] = metadata
    routed = [index for index in selected if index.state == "open"]
    if "routing_table" in metrics:
        body["routing_table"] = {"indices": {
            index.name: {"shards": {"0": [_shard_routing(node, index)]}} for index in routed}}
    if "routing_nodes" in metrics:
        body["routing_nodes"] = {"unassigned": [], "nodes": {
            node.node_id: [_shard_routing(node, index) for index in routed]}}
    return body


async def cluster_state(request: Request) -> Response:
    return json_response(request, await run(cluster_state_body, request))


# --- _cluster/settings -----------------------------------------------------------------------


def _settings_view(flat: dict[str, Any], flat_settings: bool) -> dict[str, Any]:
    return dict(sorted(flat.items())) if flat_settings else nest(flat)


async def get_cluster_settings(request: Request) -> Response:
    node = node_of(request)
    flat_settings = param_bool(request, "flat_settings")
    current = await run(node.catalog.cluster_settings)
    body = {scope: _settings_view(current.get(scope, {}), flat_settings)
            for scope in ("persistent", "transient")}
    if param_bool(request, "include_defaults"):
        config = node.config
        body["defaults"] = _settings_view({
            "action.auto_create_index": "true",
            "cluster.name": config.cluster_name,
            "node.name": config.node_name,
            "http.host": config.host,
            "http.port": str(config.port),
            "http.max_content_length": f"{config.max_content_length}b",
            "http.elastic_product_header": str(config.elastic_product_header).lower(),
            "path.data": str(config.data_dir.resolve()),
            # the SQL plugin's: SQL clients read the size limit to know when rows stop
            sql_settings.ENABLED: str(config.sql_enabled).lower(),
            sql_settings.PPL_ENABLED: str(config.ppl_enabled).lower(),
            sql_settings.SIZE_LIMIT: str(config.sql_size_limit),
            sql_settings.CURSOR_KEEP_ALIVE: config.sql_cursor_keep_alive,
        }, flat_settings)
    return json_response(request, body)


async def put_cluster_settings(request: Request) -> Response:
    body = await json_body(request, required=True)
    applied = await run(node_of(request).catalog.put_cluster_settings, body)
    flat_settings = param_bool(request, "flat_settings")
    return json_response(request, {"acknowledged": True, **{
        scope: _settings_view(values, flat_settings) for scope, values in applied.items()}})


# --- _cluster/stats --------------------------------------------------------------------------


def _min_max_avg(value: int) -> dict[str, float]:
    return {"min": value, "max": value, "avg": float(value)}


def cluster_stats_body(request: Request) -> dict[str, Any]:
    node = node_of(request)
    opened = [i for i in node.catalog.indices.values() if i.state == "open"]
    totals = stats.sum_stats(opened, ("docs", "store", "segments"))
    field_types: Counter[str] = Counter()
    index_counts: Counter[str] = Counter()
    for index in node.catalog.indices.values():
        kinds = Counter(info.type for info in index.mapping.fields.values())
        field_types.update(kinds)
        index_counts.update(kinds.keys())
    count = len(opened)
    per_index = _min_max_avg(1) if count else {"min": 0, "max": 0, "avg": 0.0}
    os_now = host.os_stats()
    process = host.process_stats()
    memory = host.memory_stats()
    cpus = os.cpu_count() or 1
    return {
        "_nodes": {"total": 1, "successful": 1, "failed": 0},
        "cluster_name": node.config.cluster_name,
        "cluster_uuid": node.catalog.cluster_uuid,
        "timestamp": int(time.time() * 1000),
        "status": cluster_status(list(node.catalog.indices.values())),
        "indices": {
            "count": count,
            "shards": {"total": count, "primaries": count, "replication": 0.0,
                       "index": {"shards": per_index, "primaries": per_index,
                                 "replication": {"min": 0.0, "max": 0.0, "avg": 0.0}}},
            **totals,
            "fielddata": {"memory_size_in_bytes": 0, "evictions": 0},
            "query_cache": {"memory_size_in_bytes": 0, "total_count": 0, "hit_count": 0,
                            "miss_count": 0, "cache_size": 0, "cache_count": 0,
                            "evictions": 0},
            "completion": {"size_in_bytes": 0},
            "mappings": {"field_types": [
                {"name": name, "count": field_types[name], "index_count": index_counts[name]}
                for name in sorted(field_types)]},
            "analysis": {"char_filter_types": [], "tokenizer_types": [], "filter_types": [],
                         "analyzer_types": [], "built_in_char_filters": [],
                         "built_in_tokenizers": [], "built_in_filters": [],
                         "built_in_analyzers": []},
        },
        "nodes": {
            "count": {"total": 1, "cluster_manager": 1, "coordinating_only": 0, "data": 1,
                      "ingest": 1, "master": 1, "remote_cluster_client": 1},
            "versions": [COMPAT_VERSION],
            "os": {"available_processors": cpus, "allocated_processors": cpus,
                   "names": [{"name": os.uname().sysname, "count": 1}],
                   "pretty_names": [{"pretty_name": os.uname().sysname, "count": 1}],
                   "mem": os_now["mem"]},
            "process": {"cpu": {"percent": process["cpu"]["percent"]},
                        "open_file_descriptors": _min_max_avg(
                            process["open_file_descriptors"])},
            "jvm": {"max_uptime_in_millis": int((time.time() - node.started) * 1000),
                    "versions": [], "mem": {"heap_used_in_bytes": memory["resident"],
                                            "heap_max_in_bytes": node.metrics.memory_limit},
                    "threads": memory["threads"]},
            "fs": host.fs_stats(node.config.data_dir)["total"],
            "plugins": [{"name": name, "version": COMPAT_VERSION + ".0", "description": text}
                        for name, text in served_plugins(request)],
            "network_types": {"transport_types": {}, "http_types": {"loghaven": 1}},
            "discovery_types": {"single-node": 1},
            "packaging_types": [{"type": "tar", "count": 1}],
        },
    }


async def cluster_stats(request: Request) -> Response:
    return json_response(request, await run(cluster_stats_body, request))


# --- _tasks ----------------------------------------------------------------------------------


def _timeout_ms(request: Request) -> int:
    value = request.query_params.get("timeout")
    return DEFAULT_TASK_TIMEOUT_MS if not value else parse_duration_ms(value, "timeout")


def _actions(request: Request) -> list[str]:
    return [a for a in request.query_params.get("actions", "").split(",") if a]


def render_tasks(request: Request, tasks: list[dict[str, Any]],
                 failures: Sequence[LoghavenError] = ()) -> Response:
    """ES's ``ListTasksResponse`` (the tasks list, cancel and rethrottle answer it), grouped
    as ``group_by`` asks (``nodes``, ``parents`` or ``none``)."""
    node = node_of(request)
    body: dict[str, Any] = {}
    if failures:
        body["node_failures"] = [{
            "type": "failed_node_exception", "reason": f"Failed node [{node.node_id}]",
            "node_id": node.node_id, "caused_by": failure.to_cause()} for failure in failures]
    group_by = request.query_params.get("group_by", "nodes")
    if group_by == "none":
        return json_response(request, {**body, "tasks": tasks})
    if group_by == "parents":
        return json_response(request, {**body, "tasks": {
            f"{t['node']}:{t['id']}": t for t in tasks}})
    if group_by != "nodes":
        raise IllegalArgument(f"No enum constant for group_by [{group_by}]")
    nodes = {}
    if tasks:
        nodes[node.node_id] = {**identity(request),
                               "tasks": {f"{t['node']}:{t['id']}": t for t in tasks}}
    return json_response(request, {**body, "nodes": nodes})


async def list_tasks(request: Request) -> Response:
    """The running tasks, among them this listing itself (ES's own list task)."""
    manager = node_of(request).tasks
    detailed = param_bool(request, "detailed")
    with manager.track(LIST_TASKS):
        tasks = manager.list(_actions(request))
        if request.query_params.get("parent_task_id") not in (None, "", "-1"):
            tasks = []  # no task here has a parent
        infos = [task.info(detailed) for task in tasks]
    if param_bool(request, "wait_for_completion"):
        await run(manager.wait, [t for t in tasks if t.action != LIST_TASKS],
                  _timeout_ms(request))
    return render_tasks(request, infos)


async def get_task(request: Request) -> Response:
    """A running task, or the stored result of one that ran in the background."""
    return json_response(request, await run(functools.partial(
        node_of(request).tasks.get, request.path_params["task_id"],
        wait=param_bool(request, "wait_for_completion"), timeout_ms=_timeout_ms(request))))


async def cancel_tasks(request: Request) -> Response:
    """Cancel one task (``/_tasks/<id>/_cancel``) or the tasks ``actions`` matches."""
    manager = node_of(request).tasks
    tasks, failures = manager.cancel_matching(request.path_params.get("task_id"),
                                              _actions(request))
    if param_bool(request, "wait_for_completion"):
        await run(manager.wait, tasks, _timeout_ms(request))
    return render_tasks(request, [task.info(detailed=False) for task in tasks], failures)


async def rethrottle(request: Request) -> Response:
    """``_reindex``/``_update_by_query``/``_delete_by_query``'s ``_rethrottle``."""
    value = request.query_params.get("requests_per_second")
    if value is None:
        raise IllegalArgument("requests_per_second is a required parameter")
    tasks, failures = node_of(request).tasks.rethrottle(request.path_params["task_id"],
                                                        parse_requests_per_second(value))
    return render_tasks(request, [task.info() for task in tasks], failures)


# --- _resolve/index --------------------------------------------------------------------------


def resolve_body(request: Request) -> dict[str, Any]:
    return node_of(request).catalog.resolve_index(
        request.path_params["name"],
        expand_wildcards=request.query_params.get("expand_wildcards", "open"),
        ignore_unavailable=param_bool(request, "ignore_unavailable"))


async def resolve_index(request: Request) -> Response:
    return json_response(request, await run(resolve_body, request))


# --- _cluster/allocation/explain -------------------------------------------------------------


def allocation_explain_body(node: Node, body: dict[str, Any]) -> dict[str, Any]:
    """Why a shard is where it is; for an index that failed to open, the failure."""
    if body.get("index") is not None:
        index = node.catalog.get(str(body["index"]))
    else:
        red = [i for _, i in sorted(node.catalog.indices.items()) if i.failure is not None]
        if not red:
            raise IllegalArgument(
                "unable to find any unassigned shards to explain "
                "[ClusterAllocationExplainRequest[useAnyUnassignedShard=true,"
                "includeYesDecisions?=false]")
        index = red[0]
    explained: dict[str, Any] = {"index": index.name, "shard": 0, "primary": True}
    if index.failure is None:
        explained.update({
            "current_state": "started",
            "current_node": {"id": node.node_id, "name": node.config.node_name},
            "can_remain_on_current_node": "yes", "can_rebalance_cluster": "no"})
        return explained
    explained.update({
        "current_state": "unassigned",
        "unassigned_info": {"reason": "ALLOCATION_FAILED", "failed_allocation_attempts": 1,
                            "details": index.failure, "last_allocation_status": "no"},
        "can_allocate": "no",
        "allocate_explanation": "the index failed to open on this node; see docs/recovery.md"})
    return explained


async def allocation_explain(request: Request) -> Response:
    body = await json_body(request)
    return json_response(request, await run(allocation_explain_body, node_of(request), body))


routes = [
    Route("/_cluster/allocation/explain", allocation_explain, methods=["GET", "POST"]),
    Route("/_cluster/state", cluster_state, methods=["GET"]),
    Route("/_cluster/state/{metric}", cluster_state, methods=["GET"]),
    Route("/_cluster/state/{metric}/{index}", cluster_state, methods=["GET"]),
    Route("/_cluster/settings", get_cluster_settings, methods=["GET"]),
    Route("/_cluster/settings", put_cluster_settings, methods=["PUT"]),
    Route("/_cluster/stats", cluster_stats, methods=["GET"]),
    Route("/_tasks", list_tasks, methods=["GET"]),
    Route("/_tasks/{task_id}", get_task, methods=["GET"]),
    Route("/_tasks/_cancel", cancel_tasks, methods=["POST"]),
    Route("/_tasks/{task_id}/_cancel", cancel_tasks, methods=["POST"]),
    Route("/_reindex/{task_id}/_rethrottle", rethrottle, methods=["POST"]),
    Route("/_update_by_query/{task_id}/_rethrottle", rethrottle, methods=["POST"]),
    Route("/_delete_by_query/{task_id}/_rethrottle", rethrottle, methods=["POST"]),
    Route("/_resolve/index/{name}", resolve_index, methods=["GET"]),
]
