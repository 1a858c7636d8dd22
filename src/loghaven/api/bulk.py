"""``POST|PUT /_bulk`` and ``/<index>/_bulk``."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from loghaven.api.http import body_bytes, node_of, param_refresh, run_json
from loghaven.ingest.bulk import execute_bulk, parse_bulk


async def bulk(request: Request) -> Response:
    data = await body_bytes(request)
    default_index = request.path_params.get("index")
    refresh = param_refresh(request)
    node = node_of(request)

    def work() -> dict:
        return execute_bulk(node.catalog, parse_bulk(data, default_index), refresh,
                            node.ingest_workers)

    return await run_json(request, work)


routes = [
    Route("/_bulk", bulk, methods=["POST", "PUT"]),
    Route("/{index}/_bulk", bulk, methods=["POST", "PUT"]),
    Route("/{index}/{type}/_bulk", bulk, methods=["POST", "PUT"]),
]
