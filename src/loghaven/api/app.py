"""The ASGI application: routes from each API module, ES-shaped errors, product header."""

from __future__ import annotations

import logging
from contextlib import asynccontextmanager
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

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
from loghaven.api.http import error_response
from loghaven.errors import LoghavenError
from loghaven.node import Node

log = logging.getLogger("loghaven.api")


class ProductHeader:
    """Adds ``X-Elastic-Product: Elasticsearch``, which the 8.x/9.x clients insist on."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_header(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers.append((b"x-elastic-product", b"Elasticsearch"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_header)


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

    app = Starlette(
        routes=[*root.routes, *dashboards.routes, *cat.routes, *cluster.routes, *nodes.routes, *jobs.routes,
                *stats.routes,
                *analyze.routes, *search.routes, *metadata.routes, *bulk.routes, *indices.routes,
                *documents.routes],
        exception_handlers={LoghavenError: loghaven_error, HTTPException: http_error,
                            Exception: unexpected_error},
        lifespan=lifespan,
    )
    app.state.node = node
    if node.config.elastic_product_header:
        return ProductHeader(app)
    return app
