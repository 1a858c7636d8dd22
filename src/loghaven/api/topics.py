"""Loghaven's extension route of hosted topics (SNS has no such API): the dead letters,
deliveries that failed their last attempt, optionally of one topic (``?topic_arn=``)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from loghaven.api.http import json_response, node_of, run


async def dead_letters(request: Request) -> Response:
    letters = await run(node_of(request).topics.dead_letters,
                        request.query_params.get("topic_arn"))
    return json_response(request, {"total": len(letters), "dead_letters": letters})


routes = [Route("/_plugins/_loghaven/topics/dead_letters", dead_letters, methods=["GET"])]
