"""UltraWarm's migration API `_ultrawarm/migration/...` (lifecycle/migration.py).

``POST _ultrawarm/migration/<index>/_warm`` and ``/_hot`` queue a migration and answer
``{"acknowledged": true}``; ``GET _ultrawarm/migration/<index>/_status`` answers its
``migration_status``; ``GET _ultrawarm/migration/_status`` lists them (``migration_type``
filters, ``v`` or ``format=txt`` gives UltraWarm's plain-text table); ``POST
_ultrawarm/migration/_cancel/<index>`` cancels.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from loghaven.api.cat import render
from loghaven.api.http import json_response, node_of, run


async def to_warm(request: Request) -> Response:
    migrations = node_of(request).migrations
    return json_response(request, await run(migrations.migrate,
                                            request.path_params["index"], "warm"))


async def to_hot(request: Request) -> Response:
    migrations = node_of(request).migrations
    return json_response(request, await run(migrations.migrate,
                                            request.path_params["index"], "hot"))


async def status(request: Request) -> Response:
    migrations = node_of(request).migrations
    return json_response(request, await run(migrations.status, request.path_params["index"]))


async def list_status(request: Request) -> Response:
    migrations = node_of(request).migrations
    found = await run(migrations.list_status, request.query_params.get("migration_type"))
    params = request.query_params
    if "v" in params or params.get("format") in ("txt", "text"):
        rows = [{"index": m["index"], "migration_type": m["migration_type"],
                 "state": m["state"]} for m in found["migration_status"]]
        return render(request, ["index", "migration_type", "state"], rows)
    return json_response(request, found)


async def cancel(request: Request) -> Response:
    migrations = node_of(request).migrations
    return json_response(request, await run(migrations.cancel, request.path_params["index"]))


routes: list[BaseRoute] = [
    Route("/_ultrawarm/migration/_status", list_status, methods=["GET"]),
    Route("/_ultrawarm/migration/_cancel/{index}", cancel, methods=["POST"]),
    Route("/_ultrawarm/migration/{index}/_warm", to_warm, methods=["POST"]),
    Route("/_ultrawarm/migration/{index}/_hot", to_hot, methods=["POST"]),
    Route("/_ultrawarm/migration/{index}/_status", status, methods=["GET"]),
]
