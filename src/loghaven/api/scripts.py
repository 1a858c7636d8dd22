"""``_scripts/<id>``: PUT/POST, GET and DELETE stored scripts (scripting/stored.py)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from loghaven.api.http import json_body, json_response, node_of, run


async def put_script(request: Request) -> Response:
    body = await json_body(request, required=True)
    await run(node_of(request).scripts.put, request.path_params["id"], body)
    return json_response(request, {"acknowledged": True})


async def get_script(request: Request) -> Response:
    script_id = request.path_params["id"]
    found = await run(node_of(request).scripts.get, script_id)
    if found is None:  # ES answers 404 with found: false
        return json_response(request, {"_id": script_id, "found": False}, status=404)
    return json_response(request, {"_id": script_id, "found": True, "script": found})


async def delete_script(request: Request) -> Response:
    await run(node_of(request).scripts.delete, request.path_params["id"])
    return json_response(request, {"acknowledged": True})


routes = [
    Route("/_scripts/{id}", get_script, methods=["GET"]),
    Route("/_scripts/{id}", put_script, methods=["PUT", "POST"]),
    Route("/_scripts/{id}", delete_script, methods=["DELETE"]),
]
