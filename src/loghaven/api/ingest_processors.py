"""``GET /_ingest/processor/grok``: the built-in grok patterns, as ES lists them (load
order, or sorted with ``?s``; ``?ecs_compatibility=disabled|v1`` picks the set)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from loghaven.api.http import json_response, param_bool
from loghaven.ingest.grok import builtin_patterns


async def grok_patterns(request: Request) -> Response:
    patterns = builtin_patterns(request.query_params.get("ecs_compatibility", "disabled"))
    if param_bool(request, "s"):
        patterns = dict(sorted(patterns.items()))
    return json_response(request, {"patterns": patterns})


routes = [Route("/_ingest/processor/grok", grok_patterns, methods=["GET"])]
