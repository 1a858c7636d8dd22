"""Cancelling the work of a request whose client has gone away.

Starlette reads a request's body and then never listens to the connection again, so a
search whose client disconnected would run to the end and render an answer nobody reads.
:func:`cancellable` listens for the ASGI ``http.disconnect`` message while the handler works
and sets the request's :class:`~loghaven.search.task.Cancellation`, which the search checks
between splits and phases. The same cancellation is registered with the node's search
service, which cancels every running search when the node shuts down.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from starlette.requests import Request
from starlette.types import Receive

from loghaven.api.http import node_of
from loghaven.search.task import Cancellation

CLIENT_GONE = "http channel closed"


@contextlib.asynccontextmanager
async def cancellable(request: Request) -> AsyncIterator[Cancellation]:
    """A cancellation set when the client disconnects (read the body before entering)."""
    with node_of(request).search_service.running.track() as cancellation:
        watcher = asyncio.create_task(_watch(request.receive, cancellation))
        try:
            yield cancellation
        finally:
            watcher.cancel()


async def _watch(receive: Receive, cancellation: Cancellation) -> None:
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            cancellation.cancel(CLIENT_GONE)
            return
