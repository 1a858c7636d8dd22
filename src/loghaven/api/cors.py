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
from starlette.types import ASGIApp, Send

from loghaven.api.gate import Gate
from loghaven.api.response_headers import with_headers
from loghaven.api.route_policy import SAFE_METHODS
from loghaven.config import Config
from loghaven.errors import LoghavenError
from loghaven.network import HostNames, split_host


def _listed(value: str) -> list[str]:
    return [item.strip() for item in value.split(",") if item.strip()]


class Cors(Gate):
    def __init__(self, app: ASGIApp, config: Config) -> None:
        super().__init__(app)
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

    def refuse(self, request: Request) -> Response | LoghavenError | None:
        origin = request.headers.get("origin")
        if not origin or self.permitted(origin, request.headers.get("host")):
            if self.config.cors_enabled and origin and request.method == "OPTIONS" and \
                    "access-control-request-method" in request.headers:
                return Response(b"", headers=self._preflight_headers(origin))
            return None
        if self.config.cors_enabled:
            return Response(b"", status_code=403, headers={"content-length": "0"})
        if request.method in SAFE_METHODS:
            return None  # the browser shows the page nothing without Access-Control-*
        return LoghavenError(
            f"cross-origin request from [{origin}] refused: CORS is disabled "
            f"(http.cors.enabled); a web page may not change data on this server",
            status=403, type="security_exception")

    def permitted(self, origin: str, host: str | None) -> bool:
        return self.own(origin, host) or \
            (self.config.cors_enabled and (self.any_origin or self.allowed(origin)))

    def passing(self, request: Request, send: Send) -> Send:
        origin = request.headers.get("origin")
        if not (self.config.cors_enabled and origin):
            return send
        return with_headers(send, self._response_headers(origin))

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
