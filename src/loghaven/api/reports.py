"""OpenSearch's Reporting plugin API (``_plugins/_reports``: definition, definitions,
on_demand, instances, instance) over reports/service.py, with Loghaven's additions: a report
instance's download (``instance/{id}/_download?format=csv|html|txt``) and the packs'
install (``packs/{name}/_install``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from loghaven.api.http import json_body, json_response, node_of, run
from loghaven.reports.service import ReportsService

BASE = "/_plugins/_reports"


def _endpoint(work: Callable[[ReportsService, Request, dict[str, Any]], Any], *,
              body: bool = False) -> Callable[[Request], Any]:
    """Run ``work(node.reports, request, body)`` in the thread pool (runs search and send)."""
    async def endpoint(request: Request) -> Response:
        data = await json_body(request, required=body)
        return json_response(request, await run(work, node_of(request).reports, request,
                                                data))
    return endpoint


def _id(request: Request) -> str:
    return str(request.path_params["id"])


async def download(request: Request) -> Response:
    content, media_type, filename = await run(
        node_of(request).reports.download, _id(request),
        request.query_params.get("format", "csv"))
    return Response(content, media_type=media_type,
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


routes: list[BaseRoute] = [
    Route(f"{BASE}/definition", _endpoint(lambda s, r, b: s.create(b), body=True),
          methods=["POST"]),
    Route(f"{BASE}/definition/{{id}}", _endpoint(lambda s, r, b: s.update(_id(r), b),
                                                body=True), methods=["PUT"]),
    Route(f"{BASE}/definition/{{id}}", _endpoint(lambda s, r, b: s.get(_id(r))),
          methods=["GET"]),
    Route(f"{BASE}/definition/{{id}}", _endpoint(lambda s, r, b: s.delete(_id(r))),
          methods=["DELETE"]),
    Route(f"{BASE}/definitions", _endpoint(lambda s, r, b: s.list(r.query_params)),
          methods=["GET"]),
    Route(f"{BASE}/on_demand/{{id}}", _endpoint(lambda s, r, b: s.on_demand(_id(r))),
          methods=["POST"]),
    Route(f"{BASE}/instances", _endpoint(lambda s, r, b: s.instances(r.query_params)),
          methods=["GET"]),
    Route(f"{BASE}/instance/{{id}}", _endpoint(lambda s, r, b: s.instance(_id(r))),
          methods=["GET"]),
    Route(f"{BASE}/instance/{{id}}/_download", download, methods=["GET"]),
    Route(f"{BASE}/packs/{{name}}/_install",
          _endpoint(lambda s, r, b: s.install_pack(str(r.path_params["name"]), b)),
          methods=["POST"]),
]
