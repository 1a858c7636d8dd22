"""Alerting's alerts and findings: ``GET .../monitors/alerts``,
``POST .../monitors/{monitor_id}/_acknowledge/alerts`` (under ``_plugins/_alerting`` and the
legacy ``_opendistro/_alerting``) and ``GET _plugins/_alerting/findings/_search``, over the
node's alert and finding stores (alerting/alerts.py, alerting/findings.py)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from loghaven.api.http import body_bytes, node_of, parse_json, run_json
from loghaven.errors import IllegalArgument, ParseFailure
from loghaven.params import token_array

#: OpenSearch's ``MONITOR_BASE_URI`` and ``LEGACY_OPENDISTRO_MONITOR_BASE_URI``.
MONITOR_BASES = ("/_plugins/_alerting/monitors", "/_opendistro/_alerting/monitors")


async def get_alerts(request: Request) -> Response:
    params = dict(request.query_params)
    alerts = node_of(request).alerts
    return await run_json(request, lambda: alerts.list(params))


async def acknowledge(request: Request) -> Response:
    monitor_id = request.path_params["monitor_id"]
    data = await body_bytes(request)
    if not data.strip():
        raise ParseFailure("request body is required")
    body = parse_json(data)
    alert_ids = token_array(body.get("alerts", []))
    if not alert_ids:
        raise IllegalArgument("You must provide at least one alert id.")
    ids = [str(alert_id) for alert_id in alert_ids]
    alerting = node_of(request).alerting
    return await run_json(request, lambda: alerting.acknowledge(monitor_id, ids))


async def search_findings(request: Request) -> Response:
    params = dict(request.query_params)
    findings = node_of(request).findings
    return await run_json(request, lambda: findings.search(params))


# Literal paths: before the monitors' ``{monitor_id}`` routes in app.py's list.
routes = [
    *(route for base in MONITOR_BASES for route in (
        Route(f"{base}/alerts", get_alerts, methods=["GET"]),
        Route(f"{base}/{{monitor_id}}/_acknowledge/alerts", acknowledge, methods=["POST"]))),
    Route("/_plugins/_alerting/findings/_search", search_findings, methods=["GET"]),
]
