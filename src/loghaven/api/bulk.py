"""``POST|PUT /_bulk``, ``/<index>/_bulk`` and ES 7's typed ``/<index>/<type>/_bulk``."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from loghaven.api.deprecation import BULK, deprecate, warns
from loghaven.api.http import body_bytes, node_of, param_refresh, run_json
from loghaven.ingest.bulk import BulkItem, parse_bulk


@warns
async def bulk(request: Request) -> Response:
    data = await body_bytes(request)
    default_index = request.path_params.get("index")
    default_type = request.path_params.get("type")
    pipeline = request.query_params.get("pipeline")
    refresh = param_refresh(request)
    writes = node_of(request).write_service
    if default_type is not None:
        deprecate(request, BULK)

    def work() -> dict:
        items = parse_bulk(data, default_index, pipeline, default_type)
        result = writes.bulk(items, refresh)
        if default_type is not None or b'"_type"' in data:
            _typed_items(request, items, result)
        return result

    return await run_json(request, work)


def _typed_items(request: Request, items: list[BulkItem], result: dict) -> None:
    """ES 7's ``_type`` in the answer of each item that named one, and its deprecation."""
    for item, slot in zip(items, result["items"], strict=True):
        if item.doc_type is None:
            continue
        deprecate(request, BULK)
        body = slot[item.action]
        typed = {"_index": body.pop("_index"), "_type": item.doc_type}
        typed.update(body)
        slot[item.action] = typed


routes = [
    Route("/_bulk", bulk, methods=["POST", "PUT"]),
    Route("/{index}/_bulk", bulk, methods=["POST", "PUT"]),
    Route("/{index}/{type}/_bulk", bulk, methods=["POST", "PUT"]),
]
