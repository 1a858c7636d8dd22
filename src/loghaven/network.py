"""Which addresses and names are this machine's own: the bind check and the ``Host`` check.

Both answer one question — could a stranger (another machine, or a web page through the user's
browser) reach the server? — so they share the address rules: loopback is 127.0.0.0/8, ``::1``
and ``localhost`` (browsers resolve ``*.localhost`` to loopback too, RFC 6761).
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable

from loghaven.config import Config

WILDCARDS = ("0.0.0.0", "::", "")

ANONYMOUS_FLAGS = ("--allow-anonymous", "http.allow_anonymous: true",
                   "LOGHAVEN_ALLOW_ANONYMOUS=true")


def _ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text.strip("[]"))
    except ValueError:
        return None


def is_loopback(host: str) -> bool:
    """True when ``host`` (an address or a name) reaches only this machine.

    A name other than ``localhost`` counts as loopback only if every address it resolves to
    is loopback; a name that does not resolve is not (binding to it would fail anyway).
    """
    name = host.strip().lower()
    if name == "localhost" or name.endswith(".localhost"):
        return True
    address = _ip(name)
    if address is not None:
        return address.is_loopback
    if name in WILDCARDS:
        return False
    try:
        infos = socket.getaddrinfo(name, None)
    except OSError:
        return False
    return bool(infos) and all(ipaddress.ip_address(str(info[4][0]).split("%")[0]).is_loopback
                               for info in infos)


SECURE_FLAGS = ("--secure", "security.enabled: true", "LOGHAVEN_SECURITY_ENABLED=true")


def _either(flags: tuple[str, ...]) -> str:
    return f"{', '.join(flags[:-1])} or {flags[-1]}"


def anonymous_bind_refusal(config: Config) -> str | None:
    """Why the server must not start as configured, or None when it may.

    Without security anyone who can reach the port can read, write and delete everything, so
    listening beyond loopback needs security on, or an explicit acceptance of anonymous access.
    """
    if config.security_enabled or config.allow_anonymous or is_loopback(config.host):
        return None
    return (f"refusing to listen on [{config.host}]: it is reachable from other machines and "
            f"security is off, so anyone who can reach {config.host}:{config.port} could "
            f"read, change and delete all data. Turn security on with "
            f"{_either(SECURE_FLAGS)} (users must then log in), listen on 127.0.0.1 (the "
            f"default), or accept anonymous access explicitly with {_either(ANONYMOUS_FLAGS)}")


def security_warnings(config: Config) -> list[str]:
    """What an operator must know about who can reach the server as configured: the banner of
    the security-off mode, and passwords sent in clear beyond loopback."""
    where = f"{config.host}:{config.port}"
    if not config.security_enabled:
        return [f"security is off: anyone who can reach {where} has full access to all data "
                f"(turn it on with {_either(SECURE_FLAGS)})"]
    if not config.ssl_certificate and not is_loopback(config.host):
        return [f"security is on but TLS is off on {where}: passwords, API keys and session "
                f"cookies cross the network in clear; serve HTTPS with http.ssl.certificate "
                f"and http.ssl.key (`loghaven certs` makes them)"]
    return []


def split_host(value: str) -> str:
    """The host part of a ``Host`` header or an origin's authority, lower-cased, no port."""
    value = value.strip().lower()
    if value.startswith("["):
        return value[1:value.find("]")] if "]" in value else value
    if value.count(":") == 1:
        return value.split(":", 1)[0]
    return value


class HostNames:
    """The names a request's ``Host`` may carry: a defence against DNS rebinding.

    A rebinding page is served from a name its author controls, later re-pointed at us, so
    its requests carry that name in ``Host``. Allowed: any IP literal (no name, nothing to
    rebind), ``localhost`` and ``*.localhost``, the bound host name, this machine's host
    name, and ``http.allowed_hosts`` (exact names, ``.example.com`` for a domain and its
    subdomains, ``*`` for any).
    """

    def __init__(self, bound_host: str, allowed: Iterable[str]) -> None:
        entries = {entry.strip().lower() for entry in allowed if entry.strip()}
        self.any = "*" in entries
        self.suffixes = tuple(e for e in entries if e.startswith("."))
        self.listed = {e for e in entries if not e.startswith(".")}
        self.own = {bound_host.strip().lower(), socket.gethostname().lower()}

    def configured(self, host: str) -> bool:
        """True for a name the operator listed in ``http.allowed_hosts``.

        An origin with such a name counts as the server's own (a reverse proxy's public name);
        the bound address does not, since another port on it is another site.
        """
        return host in self.listed or any(host.endswith(s) or host == s[1:]
                                          for s in self.suffixes)

    def allows(self, host_header: str | None) -> bool:
        if self.any or host_header is None:
            return True
        host = split_host(host_header)
        if _ip(host) is not None or host == "localhost" or host.endswith(".localhost"):
            return True
        host = host.rstrip(".")
        return host in self.own or self.configured(host)
