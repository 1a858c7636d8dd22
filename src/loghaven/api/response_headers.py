"""Headers every response carries: ``nosniff``, the UI's Content-Security-Policy, the product.

``X-Content-Type-Options: nosniff`` keeps a browser from running a JSON answer (which may echo
user data) as a script or page. The UI under ``/_dashboards`` also gets a CSP that loads only
its own files and may not be framed (``frame-ancestors 'none'``: no clickjacking). The 8.x/9.x
Elasticsearch clients insist on ``X-Elastic-Product: Elasticsearch``, sent when configured.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from loghaven.config import Config

NOSNIFF = (b"x-content-type-options", b"nosniff")
UI_CSP = (b"content-security-policy",
          b"default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; "
          b"form-action 'self'; frame-ancestors 'none'")
UI_PREFIX = "/_dashboards"


def with_headers(send: Send, headers: list[tuple[bytes, bytes]]) -> Send:
    """``send`` that appends these headers to the response start."""

    async def send_with_headers(message: Message) -> None:
        if message["type"] == "http.response.start":
            message["headers"] = [*message.get("headers", []), *headers]
        await send(message)

    return send_with_headers


class ResponseHeaders:
    def __init__(self, app: ASGIApp, config: Config) -> None:
        self.app = app
        self.common = [NOSNIFF]
        if config.elastic_product_header:
            self.common.append((b"x-elastic-product", b"Elasticsearch"))
        self.ui = [*self.common, UI_CSP]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        ui = path == UI_PREFIX or path.startswith(UI_PREFIX + "/")
        await self.app(scope, receive, with_headers(send, self.ui if ui else self.common))
