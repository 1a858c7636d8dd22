"""Cross-origin requests: Elasticsearch's ``http.cors.*`` behaviour, off by default.

Enabled, it follows ES's CorsHandler: a preflight (``OPTIONS`` with ``Origin`` and
``Access-Control-Request-Method``) from an allowed origin gets 200 and the Access-Control-*
headers, from any other origin 403 with an empty body; any other request whose ``Origin`` is
neither allowed nor this server's own gets that 403 too; allowed responses carry
``Access-Control-Allow-Origin``. ``http.cors.allow-origin`` is ``*``, a comma-separated list, or
a ``/regex/`` matched against the whole origin.

Disabled (the default), ES lets cross-origin requests through and relies on the browser not
showing the answer to the page. That does not stop a page from *sending* a bodiless
``POST /_all/_delete_by_query?q=*``, which needs no Content-Type and so no preflight; browsers
send ``Origin`` with every such POST, so a request with an unsafe method and a foreign
``Origin`` is refused with 403 here (docs/decisions/0005-browser-safety.md).
"""

from __future__ import annotations

import re
from email.utils import formatdate

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from loghaven.api.http import error_response
from loghaven.api.response_headers import with_headers
from loghaven.api.route_policy import SAFE_METHODS
from loghaven.config import Config
from loghaven.errors import LoghavenError
from loghaven.network import HostNames, split_host


def _listed(value: str) -> list[str]:
    return [item.strip() for item in value.split(",") if item.strip()]


class Cors:
    def __init__(self, app: ASGIApp, config: Config) -> None:
        self.app = app
        self.config = config
        self.names = HostNames(config.host, config.allowed_hosts)
        origin = config.cors_allow_origin.strip()
        self.any_origin = origin == "*"
        regex = len(origin) > 1 and origin.startswith("/") and origin.endswith("/")
        self.pattern = re.compile(origin[1:-1]) if regex else None
        self.origins = set() if regex or self.any_origin else set(_listed(origin))

    def own(self, origin: str, host: str | None) -> bool:
        """Same origin as ES judges it (origin minus scheme equals Host), or a configured name."""
        authority = re.sub(r"^https?://", "", origin)
        return authority == host or (authority != origin and
                                     self.names.configured(split_host(authority)))

    def allowed(self, origin: str) -> bool:
        if self.pattern is not None:
            return self.pattern.fullmatch(origin) is not None
        return origin in self.origins

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        origin = request.headers.get("origin")
        if not origin:
            await self.app(scope, receive, send)
            return
        permitted = self.own(origin, request.headers.get("host")) or \
            (self.config.cors_enabled and (self.any_origin or self.allowed(origin)))
        if not self.config.cors_enabled:
            if permitted or scope["method"] in SAFE_METHODS:
                await self.app(scope, receive, send)
                return
            error = LoghavenError(
                f"cross-origin request from [{origin}] refused: CORS is disabled "
                f"(http.cors.enabled); a web page may not change data on this server",
                status=403, type="security_exception")
            await error_response(request, error)(scope, receive, send)
            return
        preflight = scope["method"] == "OPTIONS" and \
            "access-control-request-method" in request.headers
        if not permitted:
            await Response(b"", status_code=403, headers={"content-length": "0"})(
                scope, receive, send)
        elif preflight:
            await Response(b"", headers=self._preflight_headers(origin))(scope, receive, send)
        else:
            await self.app(scope, receive, with_headers(send, self._response_headers(origin)))

    def _origin_headers(self, origin: str) -> dict[str, str]:
        if self.any_origin and not self.config.cors_allow_credentials:
            headers = {"access-control-allow-origin": "*"}
        else:
            headers = {"access-control-allow-origin": origin, "vary": "origin"}
        if self.config.cors_allow_credentials:
            headers["access-control-allow-credentials"] = "true"
        return headers

    def _preflight_headers(self, origin: str) -> dict[str, str]:
        return {**self._origin_headers(origin),
                "access-control-allow-methods": ",".join(_listed(
                    self.config.cors_allow_methods)),
                "access-control-allow-headers": ",".join(_listed(
                    self.config.cors_allow_headers)),
                "access-control-max-age": str(self.config.cors_max_age),
                "date": formatdate(usegmt=True)}

    def _response_headers(self, origin: str) -> list[tuple[bytes, bytes]]:
        extra = self._origin_headers(origin)
        exposed = _listed(self.config.cors_expose_headers)
        if exposed:
            extra["access-control-expose-headers"] = ",".join(exposed)
        return [(k.encode(), v.encode()) for k, v in extra.items()]
