"""``GET /`` and cluster health: who we are and whether we are well."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from loghaven.api.http import head_response, json_response, node_of, run
from loghaven.node import COMPAT_VERSION, Node
from loghaven.ops.metrics import cluster_status

#: What ``GET /`` reports in product-header mode: Elasticsearch 7.10.2 (the API level that
#: OpenSearch 2.x keeps, and what OpenSearch's own compatibility mode reports), with the
#: ``build_flavor`` and tagline that elasticsearch-py 7.x checks before its first request.
ELASTIC_IDENTITY = {"number": "7.10.2", "build_flavor": "default",
                    "minimum_wire_compatibility_version": "6.8.0",
                    "minimum_index_compatibility_version": "6.0.0-beta1"}


def info(node: Node) -> dict:
    return {
        "name": node.config.node_name,
        "cluster_name": node.config.cluster_name,
        "cluster_uuid": node.catalog.cluster_uuid,
        "version": {
            "distribution": "opensearch",
            "number": COMPAT_VERSION,
            "build_type": "tar",
            "build_hash": "loghaven-" + node.version,
            "build_date": "2024-01-01T00:00:00.000000Z",
            "build_snapshot": False,
            "lucene_version": "9.7.0",
            "minimum_wire_compatibility_version": "7.10.0",
            "minimum_index_compatibility_version": "7.0.0",
        },
        "tagline": "The OpenSearch Project: https://opensearch.org/",
    }


async def root(request: Request) -> Response:
    if request.method == "HEAD":
        return head_response(200)
    node = node_of(request)
    body = info(node)
    if node.config.elastic_product_header:
        body["version"].update(ELASTIC_IDENTITY)
        body["tagline"] = "You Know, for Search"
    return json_response(request, body)


def health_body(node: Node, index_expr: str | None, request: Request) -> dict:
    targets = node.catalog.resolve(index_expr, expand_wildcards="all",
                                   include_closed_error=False) \
        if index_expr else node.catalog.resolve("_all", expand_wildcards="all",
                                                include_failed=True)
    indices = [t.index for t in targets]
    red = sum(1 for i in indices if i.failure is not None)
    open_count = sum(1 for i in indices if i.state == "open") - red
    body = {
        "cluster_name": node.config.cluster_name,
        "status": cluster_status(indices),
        "timed_out": False,
        "number_of_nodes": 1,
        "number_of_data_nodes": 1,
        "discovered_master": True,
        "discovered_cluster_manager": True,
        "active_primary_shards": open_count,
        "active_shards": open_count,
        "relocating_shards": 0,
        "initializing_shards": 0,
        "unassigned_shards": red,
        "delayed_unassigned_shards": 0,
        "number_of_pending_tasks": 0,
        "number_of_in_flight_fetch": 0,
        "task_max_waiting_in_queue_millis": 0,
        "active_shards_percent_as_number": 100.0 * open_count / (open_count + red) if red
        else 100.0,
    }
    if request.query_params.get("level") == "indices":
        body["indices"] = {
            i.name: {"status": i.health, "number_of_shards": 1, "number_of_replicas": 0,
                     "active_primary_shards": 0 if i.failure else 1,
                     "active_shards": 0 if i.failure else 1, "relocating_shards": 0,
                     "initializing_shards": 0, "unassigned_shards": 1 if i.failure else 0}
            for i in indices}
    return body


async def cluster_health(request: Request) -> Response:
    node = node_of(request)
    index_expr = request.path_params.get("index")
    body = await run(health_body, node, index_expr, request)
    return json_response(request, body)


routes = [
    Route("/", root, methods=["GET", "HEAD"]),
    Route("/_cluster/health", cluster_health, methods=["GET"]),
    Route("/_cluster/health/{index}", cluster_health, methods=["GET"]),
]
