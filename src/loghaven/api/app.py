"""The ASGI application: routes from each API module, ES-shaped errors, the edge middleware.

Middleware, outermost first: response headers (nosniff, CSP, product), the Host check, CORS,
then each route's policy (content types, Authorization, osd-xsrf, OPTIONS).
"""

from __future__ import annotations

import logging
from contextlib import asynccontextmanager
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp

from loghaven.api import (
    analyze,
    bulk,
    cat,
    cluster,
    dashboards,
    documents,
    indices,
    jobs,
    metadata,
    nodes,
    root,
    search,
    stats,
)
from loghaven.api.cors import Cors
from loghaven.api.host_check import HostCheck
from loghaven.api.http import error_response
from loghaven.api.response_headers import ResponseHeaders
from loghaven.api.route_policy import RoutePolicies
from loghaven.errors import LoghavenError
from loghaven.node import Node

log = logging.getLogger("loghaven.api")


async def loghaven_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, LoghavenError)
    return error_response(request, exc)


async def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 405:
        error = LoghavenError(
            f"Incorrect HTTP method for uri [{request.url.path}] and method "
            f"[{request.method}], allowed: [{exc.headers.get('Allow', '') if exc.headers else ''}]",
            status=405, type="illegal_argument_exception")
    elif exc.status_code == 404:
        error = LoghavenError(f"no handler found for uri [{request.url.path}] and method "
                              f"[{request.method}]", status=400, type="illegal_argument_exception")
    else:
        error = LoghavenError(str(exc.detail), status=exc.status_code)
    return error_response(request, error)


async def unexpected_error(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return error_response(request, LoghavenError(f"{type(exc).__name__}: {exc}", status=500))


def create_app(node: Node, *, manage_lifecycle: bool = True) -> ASGIApp:
    @asynccontextmanager
    async def lifespan(_app: Starlette) -> Any:
        if manage_lifecycle:
            node.start()
        yield
        if manage_lifecycle:
            node.close()

    routes = [*root.routes, *dashboards.routes, *cat.routes, *cluster.routes, *nodes.routes,
              *jobs.routes, *stats.routes,
              *analyze.routes, *search.routes, *metadata.routes, *bulk.routes, *indices.routes,
              *documents.routes]
    app = Starlette(
        routes=routes,
        middleware=[Middleware(ResponseHeaders, config=node.config),
                    Middleware(HostCheck, config=node.config),
                    Middleware(Cors, config=node.config),
                    Middleware(RoutePolicies, routes=routes)],
        exception_handlers={LoghavenError: loghaven_error, HTTPException: http_error,
                            Exception: unexpected_error},
        lifespan=lifespan,
    )
    app.state.node = node
    return app
