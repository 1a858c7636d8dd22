"""``_ingest/pipeline``: PUT/GET/DELETE pipelines and ``_simulate``."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from loghaven.api.http import json_body, json_response, node_of, param_bool, run
from loghaven.ingest.pipeline.simulate import simulate


def _store(request: Request) -> Any:
    return node_of(request).write_service.pipelines


async def put_pipeline(request: Request) -> Response:
    body = await json_body(request, required=True)
    await run(_store(request).put, request.path_params["id"], body)
    return json_response(request, {"acknowledged": True})


async def get_pipeline(request: Request) -> Response:
    found = await run(_store(request).get, request.path_params.get("id"))
    # ES answers a lookup that finds nothing with 404 and an empty object
    return json_response(request, found, status=200 if found else 404)


async def delete_pipeline(request: Request) -> Response:
    await run(_store(request).delete, request.path_params["id"])
    return json_response(request, {"acknowledged": True})


async def simulate_pipeline(request: Request) -> Response:
    body = await json_body(request, required=True)
    verbose = param_bool(request, "verbose")
    answer = await run(simulate, _store(request), request.path_params.get("id"), body, verbose)
    return json_response(request, answer)


routes = [
    Route("/_ingest/pipeline/_simulate", simulate_pipeline, methods=["GET", "POST"]),
    Route("/_ingest/pipeline/{id}/_simulate", simulate_pipeline, methods=["GET", "POST"]),
    Route("/_ingest/pipeline", get_pipeline, methods=["GET"]),
    Route("/_ingest/pipeline/{id}", get_pipeline, methods=["GET"]),
    Route("/_ingest/pipeline/{id}", put_pipeline, methods=["PUT"]),
    Route("/_ingest/pipeline/{id}", delete_pipeline, methods=["DELETE"]),
]
