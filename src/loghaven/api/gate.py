"""The shape of an edge check: ASGI middleware that lets a request through or refuses it."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from loghaven.api.http import error_response
from loghaven.errors import LoghavenError


class Gate:
    """Subclasses say why a request is refused (``refuse``) and may add response headers."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    def refuse(self, request: Request) -> Response | LoghavenError | None:
        raise NotImplementedError

    def passing(self, request: Request, send: Send) -> Send:
        """The ``send`` for a request let through (to add headers to its response)."""
        return send

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        refusal = self.refuse(request)
        if refusal is None:
            await self.app(scope, receive, self.passing(request, send))
            return
        if isinstance(refusal, LoghavenError):
            refusal = error_response(request, refusal)
        await refusal(scope, receive, send)
