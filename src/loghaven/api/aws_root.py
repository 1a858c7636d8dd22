"""``POST /``: the AWS APIs producers reach at the server's root URL, told apart by header, as
AWS's endpoints are one per service: the query protocol (form ``Action=``: SNS, api/sns.py) and
JSON 1.1 (``X-Amz-Target: Firehose_20150804.*``: api/firehose.py). Each protocol has its own
edge policy (RoutePolicy.select): its content types, whether it needs ``Authorization``, its
body bound, and the renderer of every error of its requests, the edge's and the guard's
included.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response

from loghaven.api import firehose, sns
from loghaven.api.route_policy import PolicyRoute, RoutePolicy
from loghaven.streams.model import MAX_REQUEST_BYTES


@dataclass(frozen=True)
class RootProtocol:
    #: Whether a request is this protocol's (by its headers; the body is not read yet).
    accepts: Callable[[Request], bool]
    endpoint: Callable[[Request], Awaitable[Response]]
    policy: RoutePolicy


#: The query protocol: no ``X-Amz-Target``; the default when no other protocol accepts. Its
#: forms are what a web page may post without a CORS preflight: taken only with
#: ``Authorization``, which a page cannot add without one.
QUERY = RootProtocol(lambda request: "x-amz-target" not in request.headers, sns.endpoint,
                     RoutePolicy(content_types=frozenset({sns.FORM}),
                                 requires_authorization=True, render_error=sns.render_error))
#: JSON 1.1: a page can send neither its ``X-Amz-Target`` nor its content type without a
#: preflight, so it needs no ``Authorization`` beyond what security asks; its bodies may be
#: as large as the largest valid PutRecordBatch.
JSON_11 = RootProtocol(firehose.accepts, firehose.endpoint,
                       RoutePolicy(content_types=frozenset({firehose.JSON_11}),
                                   render_error=firehose.render_error,
                                   min_body_limit=MAX_REQUEST_BYTES))
PROTOCOLS: tuple[RootProtocol, ...] = (QUERY, JSON_11)


def protocol_of(request: Request) -> RootProtocol:
    return next((p for p in PROTOCOLS if p.accepts(request)), QUERY)


async def dispatch(request: Request) -> Response:
    return await protocol_of(request).endpoint(request)


POLICY = RoutePolicy(select=lambda request: protocol_of(request).policy)

routes = [PolicyRoute("/", dispatch, methods=["POST"], policy=POLICY)]
