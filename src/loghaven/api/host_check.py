"""Refuse requests whose ``Host`` is not one of this server's names (DNS rebinding).

A page on ``http://attacker.example`` can re-point its own name at 127.0.0.1 and then read
and write the user's Loghaven as same-origin; its requests still say ``Host:
attacker.example``. The allowed names are in network.HostNames; the answer is 421 Misdirected
Request with an ES-shaped error that says which setting adds a name
(docs/decisions/0005-browser-safety.md).
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.types import ASGIApp

from loghaven.api.gate import Gate
from loghaven.config import Config
from loghaven.errors import LoghavenError
from loghaven.network import HostNames


class HostCheck(Gate):
    def __init__(self, app: ASGIApp, config: Config) -> None:
        super().__init__(app)
        self.names = HostNames(config.host, config.allowed_hosts)

    def refuse(self, request: Request) -> LoghavenError | None:
        host = request.headers.get("host")
        if self.names.allows(host):
            return None
        return LoghavenError(
            f"Host [{host}] is not a name of this server; if clients reach it by that name, "
            f"add it to http.allowed_hosts (env LOGHAVEN_ALLOWED_HOSTS)",
            status=421, type="illegal_argument_exception")
