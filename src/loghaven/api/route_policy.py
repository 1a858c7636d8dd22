"""Per-route edge policy: what a route accepts before its endpoint runs.

A route declares its policy (``PolicyRoute`` / ``PolicyMount``); every other route has the
REST default. The ``RoutePolicies`` middleware finds the route a request is for and refuses:

- a body whose Content-Type the route does not take (ES's 406; media_types.py);
- an unsafe request without ``Authorization`` on routes that take types a web page could post
  without a CORS preflight (HEC's raw text, the SNS query API's forms): a page cannot add that
  header without a preflight, which CORS answers;
- an unsafe request without ``osd-xsrf`` (or ``osd-version``) under the UI's own API, as
  OpenSearch Dashboards does.

A route may also render every error of its requests in its own protocol (``render_error``:
the SNS query API's XML at ``POST /``, Splunk's JSON on the HEC routes) and raise the bound on
its bodies to what its protocol needs (``min_body_limit``: Firehose's largest
PutRecordBatch); the middleware (and the route, for the requests the middleware lets through
unchecked) hands both on in the request's scope, where
:func:`loghaven.api.http.error_response` and :func:`loghaven.api.http.body_limit` find them.
A route that serves several protocols at one path (``POST /``: SNS's forms, Firehose's JSON
1.1) picks each request's policy from its headers (``select``), so that only the protocols a
web page can post need ``Authorization``.

It also answers ``OPTIONS`` as ES's RestController does: 200, empty, ``Allow`` listing the
path's methods. Requests that match no route go on to the router's 400/405 unchecked, as in ES,
where the content-type check runs only once a handler is found.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Match, Mount, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from loghaven.api.http import BODY_LIMIT, RENDER_ERROR, error_response, json_response
from loghaven.api.media_types import ES_BODY_TYPES, content_type_refusal
from loghaven.errors import AuthenticationRequired, LoghavenError

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
XSRF_HEADERS = ("osd-xsrf", "osd-version")


@dataclass(frozen=True)
class RoutePolicy:
    """What a route takes at the edge. The default is the Elasticsearch REST API's."""

    #: Media types its request bodies may have (parameters such as charset are ignored);
    #: None: any, or none (HEC senders label their bodies as they like, or not at all).
    content_types: frozenset[str] | None = ES_BODY_TYPES
    #: Unsafe methods need an ``Authorization`` header (routes taking page-postable types).
    requires_authorization: bool = False
    #: Unsafe methods need ``osd-xsrf`` or ``osd-version`` (the UI's own API).
    requires_xsrf: bool = False
    #: Renders every error of the route's requests (the edge's, the guard's, the endpoint's)
    #: in the route's protocol, e.g. SNS's XML (api/aws_root.py); None: ES's JSON.
    render_error: Callable[[Request, LoghavenError], Response] | None = None
    #: Bodies up to this size pass even when ``http.max_content_length`` is lower: what the
    #: route's protocol promises its clients (0: the setting alone bounds them).
    min_body_limit: int = 0
    #: The policy of each request, chosen by its headers (the body is not read yet), for a
    #: route that serves several protocols; None: this policy.
    select: Callable[[Request], RoutePolicy] | None = None

    def of(self, request: Request) -> RoutePolicy:
        """The policy that applies to ``request``."""
        return self.select(request) if self.select is not None else self


REST = RoutePolicy()
#: Routes under ``/_dashboards/api``: OpenSearch Dashboards' XSRF rule.
DASHBOARDS_API = RoutePolicy(requires_xsrf=True)


class PolicyRoute(Route):
    """A ``Route`` that declares its edge policy."""

    def __init__(self, path: str, endpoint: Any, *, policy: RoutePolicy, **kwargs: Any) -> None:
        super().__init__(path, endpoint, **kwargs)
        self.policy = policy

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        # the middleware hands the renderer on only for requests it checks (not a GET
        # without a body): the route does it for all of its requests
        render_error = self.policy.of(Request(scope)).render_error
        if render_error is not None:
            scope[RENDER_ERROR] = render_error
        await super().handle(scope, receive, send)


class PolicyMount(Mount):
    """A ``Mount`` whose policy covers every route under its prefix that declares none."""

    def __init__(self, path: str, *, policy: RoutePolicy, **kwargs: Any) -> None:
        super().__init__(path, **kwargs)
        self.policy = policy


def find_route(routes: Sequence[BaseRoute], scope: Scope, inherited: RoutePolicy = REST, *,
               all_methods: bool = False) -> tuple[Match, RoutePolicy, set[str]]:
    """How the request matches these routes, the policy that applies, and (``all_methods``,
    for ``OPTIONS``) every method of the path; otherwise the first full match ends the walk,
    as the router's own does."""
    match, policy, methods = Match.NONE, inherited, set()
    for route in routes:
        found, child = route.matches(scope)
        if found is Match.NONE:
            continue
        own = getattr(route, "policy", inherited)
        if isinstance(route, Mount):
            inner, inner_policy, inner_methods = find_route(
                route.routes, {**scope, **child}, own, all_methods=all_methods)
            methods |= inner_methods
            if match is not Match.FULL:
                match, policy = Match.FULL, inner_policy if inner is Match.FULL else own
            if not all_methods:
                break
            continue
        methods |= getattr(route, "methods", None) or set()
        if found is Match.FULL and match is not Match.FULL:
            match, policy = Match.FULL, own
            if not all_methods:
                break
        elif match is Match.NONE:
            match = Match.PARTIAL
    return match, policy, methods


def _announces_body(scope: Scope) -> bool:
    """Whether the headers say a body follows (a length over 0, or chunked)."""
    for name, value in scope["headers"]:
        if (name == b"content-length" and value.strip() not in (b"", b"0")) \
                or name == b"transfer-encoding":
            return True
    return False


async def _peek_body(scope: Scope, receive: Receive) -> tuple[bool, Receive]:
    """Whether the request has a body, and a ``receive`` that still yields all of it."""
    headers = dict(scope["headers"])
    length = headers.get(b"content-length")
    if length is not None:
        return length.strip() not in (b"", b"0"), receive
    if b"transfer-encoding" not in headers:
        return False, receive
    seen: list[Message] = []
    while True:  # chunked: read up to the first non-empty chunk, then replay it
        message = await receive()
        seen.append(message)
        if message["type"] != "http.request" or message.get("body") or \
                not message.get("more_body"):
            break

    async def replay() -> Message:
        return seen.pop(0) if seen else await receive()

    return any(m.get("body") for m in seen), replay


class RoutePolicies:
    """Enforces each route's ``RoutePolicy`` and answers ``OPTIONS``."""

    def __init__(self, app: ASGIApp, routes: Sequence[BaseRoute]) -> None:
        self.app = app
        self.routes = routes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        method = scope["method"]
        if method in ("GET", "HEAD") and not _announces_body(scope):
            await self.app(scope, receive, send)  # no body, safe: no policy applies
            return
        try:
            match, policy, methods = find_route(self.routes, scope,
                                                all_methods=method == "OPTIONS")
        except LoghavenError as error:  # a malformed escape in a path parameter (api/paths.py)
            await error_response(Request(scope), error)(scope, receive, send)
            return
        if method == "OPTIONS" and "OPTIONS" not in methods:
            headers = {"Allow": ",".join(sorted(methods))} if methods else None
            await Response(b"", headers=headers, media_type="text/plain; charset=UTF-8")(
                scope, receive, send)
            return
        if match is not Match.FULL:
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        policy = policy.of(request)
        if policy.render_error is not None:
            scope[RENDER_ERROR] = policy.render_error
        if policy.min_body_limit:
            scope[BODY_LIMIT] = policy.min_body_limit
        refusal = None
        if method not in SAFE_METHODS:
            refusal = _header_refusal(request, policy)
        if refusal is None:
            has_body, receive = await _peek_body(scope, receive)
            message = has_body and policy.content_types is not None and content_type_refusal(
                request.headers.getlist("content-type"), policy.content_types)
            if message:
                refusal = json_response(request, {"error": message, "status": 406}, status=406)
        if refusal is not None:
            await refusal(scope, receive, send)
            return
        await self.app(scope, receive, send)


def _header_refusal(request: Request, policy: RoutePolicy) -> Response | None:
    if policy.requires_xsrf and not any(h in request.headers for h in XSRF_HEADERS):
        return json_response(request, {"statusCode": 400, "error": "Bad Request",
                                       "message": "Request must contain a osd-xsrf header."},
                             status=400)
    if policy.requires_authorization and "authorization" not in request.headers:
        return error_response(request, AuthenticationRequired(
            f"missing authentication credentials for REST request [{request.url.path}]"))
    return None
