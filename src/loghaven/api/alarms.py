"""The recommended alarms (ops/alarms.py): ``GET /_plugins/_loghaven/alarms`` lists them
against their monitors, ``POST /_plugins/_loghaven/alarms/_enable`` (body optional:
``{"channel_id": "..."}``) creates the missing ones and updates the mismatched ones."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from loghaven.api.http import json_body, node_of, run_json
from loghaven.errors import IllegalArgument

PATH = "/_plugins/_loghaven/alarms"


async def list_alarms(request: Request) -> Response:
    alarms = node_of(request).alarms
    return await run_json(request, alarms.list)


async def enable_alarms(request: Request) -> Response:
    body = await json_body(request)
    unknown = sorted(set(body) - {"channel_id"})
    if unknown:
        raise IllegalArgument(f"request body has unknown fields {unknown}: only "
                              f"[channel_id] is accepted")
    channel_id = body.get("channel_id")
    if channel_id is not None and not isinstance(channel_id, str):
        raise IllegalArgument("[channel_id] must be a string")
    alarms = node_of(request).alarms
    return await run_json(request, lambda: alarms.enable(channel_id))


routes = [
    Route(PATH, list_alarms, methods=["GET"]),
    Route(f"{PATH}/_enable", enable_alarms, methods=["POST"]),
]
