"""``POST|PUT /_bulk`` and ``/<index>/_bulk``."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from loghaven.api.http import body_bytes, node_of, param_refresh, run_json
from loghaven.ingest.bulk import parse_bulk


async def bulk(request: Request) -> Response:
    data = await body_bytes(request)
    default_index = request.path_params.get("index")
    pipeline = request.query_params.get("pipeline")
    refresh = param_refresh(request)
    writes = node_of(request).write_service

    def work() -> dict:
        return writes.bulk(parse_bulk(data, default_index, pipeline), refresh)

    return await run_json(request, work)


routes = [
    Route("/_bulk", bulk, methods=["POST", "PUT"]),
    Route("/{index}/_bulk", bulk, methods=["POST", "PUT"]),
    Route("/{index}/{type}/_bulk", bulk, methods=["POST", "PUT"]),
]
