"""``POST /``: the AWS APIs producers reach at the server's root URL, told apart by header, as
AWS's endpoints are one per service: the query protocol (form ``Action=``: SNS, api/sns.py)
now, and JSON 1.1 (``X-Amz-Target: Firehose_20150804.*``) with issue 17, by adding its
``RootProtocol`` to ``PROTOCOLS``. Each protocol renders every error of the request, the
edge's and the guard's included, in its own format (RoutePolicy.render_error).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response

from loghaven.api import sns
from loghaven.api.route_policy import PolicyRoute, RoutePolicy
from loghaven.errors import LoghavenError


@dataclass(frozen=True)
class RootProtocol:
    #: Whether a request is this protocol's (by its headers; the body is not read yet).
    accepts: Callable[[Request], bool]
    content_types: frozenset[str]
    endpoint: Callable[[Request], Awaitable[Response]]
    render_error: Callable[[Request, LoghavenError], Response]


#: The query protocol: no ``X-Amz-Target``; the default when no other protocol accepts.
QUERY = RootProtocol(lambda request: "x-amz-target" not in request.headers,
                     frozenset({sns.FORM}), sns.endpoint, sns.render_error)
PROTOCOLS: tuple[RootProtocol, ...] = (QUERY,)


def protocol_of(request: Request) -> RootProtocol:
    return next((p for p in PROTOCOLS if p.accepts(request)), QUERY)


async def dispatch(request: Request) -> Response:
    return await protocol_of(request).endpoint(request)


def render_error(request: Request, error: LoghavenError) -> Response:
    return protocol_of(request).render_error(request, error)


#: Forms (which a web page may post) are taken only here, and only with ``Authorization``.
POLICY = RoutePolicy(content_types=frozenset().union(*(p.content_types for p in PROTOCOLS)),
                     requires_authorization=True, render_error=render_error)

routes = [PolicyRoute("/", dispatch, methods=["POST"], policy=POLICY)]
