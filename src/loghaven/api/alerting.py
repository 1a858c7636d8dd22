"""The Alerting plugin's monitor API: ``_plugins/_alerting/monitors...`` and its stats, also
under the legacy ``_opendistro/_alerting`` prefix."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from loghaven.api.http import (
    body_bytes,
    json_body,
    json_response,
    node_of,
    param_bool,
    param_int,
    parse_json,
    run,
    run_json,
)

PREFIXES = ("/_plugins/_alerting", "/_opendistro/_alerting")


async def create_monitor(request: Request) -> Response:
    body = await json_body(request, required=True)
    alerting = node_of(request).alerting
    response = await run(alerting.create, body)
    # the plugin's MONITOR_BASE_URI, under either prefix
    location = f"{PREFIXES[0]}/monitors/{response['_id']}"
    return json_response(request, response, status=201, headers={"Location": location})


async def get_monitor(request: Request) -> Response:
    alerting = node_of(request).alerting
    monitor_id = request.path_params["monitor_id"]
    return await run_json(request, lambda: alerting.get(monitor_id))


async def update_monitor(request: Request) -> Response:
    body = await json_body(request, required=True)
    alerting = node_of(request).alerting
    monitor_id = request.path_params["monitor_id"]
    if_seq_no = param_int(request, "if_seq_no")
    if_primary_term = param_int(request, "if_primary_term")
    return await run_json(request, lambda: alerting.update(
        monitor_id, body, if_seq_no=if_seq_no, if_primary_term=if_primary_term))


async def delete_monitor(request: Request) -> Response:
    alerting = node_of(request).alerting
    monitor_id = request.path_params["monitor_id"]
    return await run_json(request, lambda: alerting.delete(monitor_id))


async def search_monitors(request: Request) -> Response:
    body = await json_body(request)
    alerting = node_of(request).alerting
    params = dict(request.query_params)
    return await run_json(request, lambda: alerting.search(body, params))


async def execute_monitor(request: Request) -> Response:
    monitor_id = request.path_params.get("monitor_id")
    data = await body_bytes(request)
    body = parse_json(data) if data.strip() else {}
    dryrun = param_bool(request, "dryrun")
    period_end = param_int(request, "period_end")
    alerting = node_of(request).alerting
    return await run_json(request, lambda: alerting.execute(
        monitor_id, body, dryrun=dryrun, period_end_ms=period_end))


async def stats(request: Request) -> Response:
    node = node_of(request)
    return json_response(request, node.alerting.stats(
        node_id=node.node_id, node_name=node.config.node_name,
        cluster_name=node.config.cluster_name,
        node_filter=request.path_params.get("node_id"),
        metric=request.path_params.get("metric"), path=request.url.path))


def _routes(prefix: str) -> list[Route]:
    monitors = f"{prefix}/monitors"
    # the literal paths (``_search``, ``_execute``) before ``{monitor_id}``; the alerts API's
    # ``monitors/alerts`` goes before these (api/app.py), and ``{node_id}/stats`` last
    return [
        Route(monitors, create_monitor, methods=["POST"]),
        Route(f"{monitors}/_search", search_monitors, methods=["GET", "POST"]),
        Route(f"{monitors}/_execute", execute_monitor, methods=["POST"]),
        Route(f"{monitors}/{{monitor_id}}", get_monitor, methods=["GET"]),
        Route(f"{monitors}/{{monitor_id}}", update_monitor, methods=["PUT"]),
        Route(f"{monitors}/{{monitor_id}}", delete_monitor, methods=["DELETE"]),
        Route(f"{monitors}/{{monitor_id}}/_execute", execute_monitor, methods=["POST"]),
        Route(f"{prefix}/stats", stats, methods=["GET"]),
        Route(f"{prefix}/stats/{{metric}}", stats, methods=["GET"]),
        Route(f"{prefix}/{{node_id}}/stats", stats, methods=["GET"]),
        Route(f"{prefix}/{{node_id}}/stats/{{metric}}", stats, methods=["GET"]),
    ]


routes = [route for prefix in PREFIXES for route in _routes(prefix)]
