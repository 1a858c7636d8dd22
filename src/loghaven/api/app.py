"""The ASGI application: routes from each API module, ES-shaped errors, the edge middleware.

Middleware, outermost first: response headers (nosniff, CSP, product), the Host check, CORS,
the raw path for routing (api/paths.py), then each route's policy (content types,
Authorization, osd-xsrf, OPTIONS), the request's origin for the logs (ops/origin.py), then the
error boundary that answers what no handler took.
With security enabled each route's endpoint runs behind its guard (api/auth.py:
authentication, the route's permission from api/permissions.py); every route must have a
permission, with security on or off, and its accepted URL parameters (api/url_parameters.py).
"""

from __future__ import annotations

import logging
from asyncio import CancelledError
from contextlib import asynccontextmanager
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from loghaven.api import (
    alarms,
    alerting,
    alerting_alerts,
    analyze,
    auth,
    aws_root,
    bulk,
    cat,
    cluster,
    dashboards,
    documents,
    hec,
    hec_inputs,
    index_ops,
    indices,
    info,
    ingest,
    ingest_processors,
    ism,
    jobs,
    metadata,
    nodes,
    notifications,
    permissions,
    prometheus,
    reports,
    scripts,
    search,
    security,
    sm,
    snapshots,
    sql,
    stats,
    topics,
    typed,
    ultrawarm,
    url_parameters,
)
from loghaven.api.cors import Cors
from loghaven.api.host_check import HostCheck
from loghaven.api.http import error_response
from loghaven.api.paths import PATH_AS_SENT, RawPaths, TrailingSlashes, decode_parameters
from loghaven.api.response_headers import ResponseHeaders
from loghaven.api.route_policy import RoutePolicies
from loghaven.errors import LoghavenError, unexpected_error
from loghaven.node import Node
from loghaven.ops import origin

log = logging.getLogger("loghaven.api")


async def loghaven_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, LoghavenError)
    if exc.status >= 500:  # the error log keeps the stack trace of every 5xx answer
        log.error("%s on %s %s: %s", exc.type, request.method, request.url.path, exc.reason,
                  exc_info=exc)
    return error_response(request, exc)


async def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    path = request.scope.get(PATH_AS_SENT, request.url.path)
    if exc.status_code == 405:
        error = LoghavenError(
            f"Incorrect HTTP method for uri [{path}] and method "
            f"[{request.method}], allowed: [{exc.headers.get('Allow', '') if exc.headers else ''}]",
            status=405, type="illegal_argument_exception")
    elif exc.status_code == 404:
        error = LoghavenError(f"no handler found for uri [{path}] and method "
                              f"[{request.method}]", status=400, type="illegal_argument_exception")
    else:
        error = LoghavenError(str(exc.detail), status=exc.status_code)
    return error_response(request, error)


class RequestOrigin:
    """Sets who sent each request (:mod:`loghaven.ops.origin`) while it is served: its
    address, ``X-Opaque-Id``, method and path (never its query string or credentials)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        client = scope.get("client")
        opaque_id = next((value.decode("latin-1") for name, value in scope["headers"]
                          if name == b"x-opaque-id"), None)
        with origin.receiving(origin.Origin(client[0] if client else "", opaque_id,
                                            scope.get("method", ""), scope.get("path", ""))):
            await self.app(scope, receive, send)


class ErrorBoundary:
    """Answers any exception no handler took, and keeps the connection usable.

    Starlette's outermost handler re-raises after answering, and the HTTP server then drops
    the keep-alive connection: a client saw a dropped connection for a bad request. Here the
    error is rendered (a 400 when it came from parsing the request, see
    :func:`loghaven.errors.unexpected_error`) and not raised further.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except BaseException as exc:  # also a native library's panic (pyo3's PanicException)
            if started or isinstance(exc, (KeyboardInterrupt, SystemExit, GeneratorExit,
                                           CancelledError)):
                raise
            request = Request(scope)
            error = unexpected_error(exc)
            log.log(logging.ERROR if error.status >= 500 else logging.WARNING,
                    "unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
            await error_response(request, error)(scope, receive, send)


def create_app(node: Node, *, manage_lifecycle: bool = True) -> ASGIApp:
    @asynccontextmanager
    async def lifespan(_app: Starlette) -> Any:
        if manage_lifecycle:
            node.start()
        yield
        if manage_lifecycle:
            node.close()

    # alerting_alerts' literal ``monitors/alerts`` before the monitors' ``monitors/{id}``;
    # indices' ``/{index}`` routes match every one-segment path (``GET /_mget`` too): last,
    # so that a literal path of another module is found first; then ES 7's typed document
    # paths (api/typed.py), which take only what no other route knows
    routes = [*info.routes, *dashboards.routes, *cat.routes, *cluster.routes, *nodes.routes, *prometheus.routes,
              *jobs.routes, *stats.routes, *ingest_processors.routes, *notifications.routes,
              *alerting_alerts.routes, *alerting.routes, *alarms.routes,
              *analyze.routes, *ingest.routes, *scripts.routes, *search.routes, *metadata.routes, *bulk.routes,
              *typed.api_routes, *documents.routes, *security.routes, *aws_root.routes, *topics.routes,
              *hec.routes, *hec_inputs.routes,
              *ultrawarm.routes, *ism.routes, *snapshots.routes, *sm.routes, *index_ops.routes,
              *reports.routes, *sql.routes,
              *indices.routes, *typed.routes]
    permissions.check(routes)
    decode_parameters(routes)
    # the URL parameters are checked after the guard (ES checks them in the handler)
    routes = url_parameters.checked(routes)
    if node.security.enabled:
        routes = auth.guarded(routes, node)
    app = Starlette(
        routes=routes,
        middleware=[Middleware(ResponseHeaders, config=node.config),
                    Middleware(HostCheck, config=node.config),
                    Middleware(Cors, config=node.config),
                    Middleware(RawPaths),
                    Middleware(TrailingSlashes, routes=routes),
                    Middleware(RoutePolicies, routes=routes),
                    Middleware(RequestOrigin),
                    Middleware(ErrorBoundary)],
        exception_handlers={LoghavenError: loghaven_error, HTTPException: http_error},
        lifespan=lifespan,
    )
    app.router.redirect_slashes = False  # TrailingSlashes answers them, as ES does
    app.state.node = node
    return app
