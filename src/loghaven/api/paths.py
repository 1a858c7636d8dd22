"""Request paths routed as Elasticsearch routes them: on the path as sent, each parameter
decoded after the split.

The HTTP server hands the application a percent-decoded ``path``, so an encoded slash would
split a segment: ``PUT /%3Clogs-%7Bnow%2Fd%7D-000001%3E`` (``<logs-{now/d}-000001>``, as
opensearch-py and curl users send a date-math name) and a document id ``a%2Fb`` would reach
no route. ES's ``RestController`` matches routes on the raw path and decodes each path
parameter (``RestUtils.decodeComponent``) once matched. :class:`RawPaths` gives the routes
(and the route policies, which find the same route) the raw path; :func:`decode_parameters`
makes every route decode its parameters as ES does. Error messages that quote the path then
quote it as sent, as ES's ``request.uri()`` does.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from starlette.convertors import Convertor
from starlette.routing import BaseRoute, Match, Mount
from starlette.types import ASGIApp, Receive, Scope, Send

from loghaven.errors import IllegalArgument

_HEX = "0123456789abcdefABCDEF"


def decode_component(text: str) -> str:
    """ES's ``RestUtils.decodeComponent`` for a path: ``%XX`` is a byte, ``%%`` is ``%``, a
    ``+`` stays a ``+``; the bytes are UTF-8 (an invalid sequence becomes U+FFFD, as Java's
    decoder has it); a malformed escape is ES's ``illegal_argument_exception``. ``text`` is
    the path as sent, one character per byte (the server's raw path read as Latin-1)."""
    if "%" not in text:
        return text
    out = bytearray()
    i, size = 0, len(text)
    while i < size:
        char = text[i]
        if char != "%":
            out += char.encode("latin-1" if ord(char) < 256 else "utf-8")
            i += 1
            continue
        if i == size - 1:
            raise IllegalArgument(f"unterminated escape sequence at end of string: {text}")
        if text[i + 1] == "%":
            out.append(ord("%"))
            i += 2
            continue
        if i + 1 == size - 1:
            raise IllegalArgument(f"partial escape sequence at end of string: {text}")
        pair = text[i + 1:i + 3]
        if pair[0] not in _HEX or pair[1] not in _HEX:
            raise IllegalArgument(f"invalid escape sequence `%{pair}' at index {i} of: {text}")
        out.append(int(pair, 16))
        i += 3
    return out.decode("utf-8", "replace")


class RawPaths:
    """Gives everything inside it (route policies, the router, the endpoints) the path as
    sent, without the query string (which some clients' ``raw_path`` holds)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        raw = scope.get("raw_path") if scope["type"] == "http" else None
        if raw:
            scope = {**scope, "path": raw.split(b"?", 1)[0].decode("latin-1")}
        await self.app(scope, receive, send)


#: The scope key of the path as sent, when :class:`TrailingSlashes` routed it without its
#: trailing slashes (error messages quote it as sent, as ES's ``request.uri()``).
PATH_AS_SENT = "loghaven.path_as_sent"


class TrailingSlashes:
    """A path with trailing slashes answers like the path without them, as in ES (its path
    trie splits the path with Java's ``String.split``, which drops trailing empty segments):
    ``POST /cwl-/default/`` indexes a document. Starlette's own answer was a 307 redirect
    with an empty body, which clients do not follow for a POST.

    A path that some route takes as sent keeps its slashes (routes defined with one, the UI's
    static directories); a path that no route takes either way is left as sent, so that the
    400 quotes it."""

    def __init__(self, app: ASGIApp, routes: Sequence[BaseRoute]) -> None:
        self.app = app
        self.routes = routes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        if len(path) > 1 and path.endswith("/") and not _known(self.routes, scope):
            stripped = {**scope, "path": path.rstrip("/") or "/", PATH_AS_SENT: path}
            if _known(self.routes, stripped):
                scope = stripped
        await self.app(scope, receive, send)


def _known(routes: Sequence[BaseRoute], scope: Scope) -> bool:
    """Whether the route the router picks for this path takes it, for any method (under a
    mount of routes, one of those)."""
    for route in routes:
        try:
            match, child = route.matches(scope)
        except IllegalArgument:  # a malformed escape: the routing answers it
            return True
        if match is Match.NONE:
            continue
        if isinstance(route, Mount) and route.routes:  # the router goes in: its routes say
            return _known(route.routes, {**scope, **child})
        return True
    return False


class _Decoded(Convertor[Any]):
    """A route parameter's convertor that first decodes the matched raw text."""

    def __init__(self, inner: Convertor[Any]) -> None:
        self.inner = inner
        self.regex = inner.regex

    def convert(self, value: str) -> Any:
        return self.inner.convert(decode_component(value))

    def to_string(self, value: Any) -> str:
        return self.inner.to_string(value)


def decode_parameters(routes: Iterable[BaseRoute]) -> None:
    """Make every route under ``routes`` decode its path parameters once matched (a mount's
    remaining ``path`` stays raw: the routes under it match it). Idempotent: the API modules'
    route objects are shared by every application built from them."""
    for route in routes:
        raw_keys = set()
        if isinstance(route, Mount):
            raw_keys.add("path")
            decode_parameters(route.routes)
        convertors: dict[str, Convertor[Any]] | None = getattr(route, "param_convertors", None)
        if convertors is None:
            continue
        route.param_convertors = {  # type: ignore[attr-defined]
            key: convertor if key in raw_keys or isinstance(convertor, _Decoded)
            else _Decoded(convertor) for key, convertor in convertors.items()}
