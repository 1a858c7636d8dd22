"""Authentication and authorization at the HTTP edge.

With ``security.enabled`` every route is wrapped by a :class:`Guard` that knows the route's
permission (api/permissions.py), looked up once when the application is built rather than
matched again per request. The guard authenticates the caller (``Authorization: Basic``,
``Authorization: ApiKey``, an AWS SigV4 signature, a Splunk HEC token on the routes the table
marks ``hec``, or the UI's session cookie), checks the route's cluster action, or
whether any index pattern grants its index action, and runs the endpoint as the caller
(:func:`loghaven.security.context.acting`), so the names it resolves are checked too. Without
security no route is wrapped: the request path is exactly what it was.

``OPTIONS`` is answered by the route policies (api/route_policy.py) before any route runs, so
CORS preflights need no credentials; a ``Host`` or CORS refusal also comes first.

A SigV4 signature covers the body: the guard reads it (as sent, within
``http.max_content_length`` or the route's own bound) and hands the endpoint a ``receive`` that gives the same bytes
again. Every refusal is ES's 401 ``security_exception``, its reason AWS's or Splunk's wording.
"""

from __future__ import annotations

import base64
import binascii
import copy
from collections.abc import Sequence
from http.cookies import SimpleCookie
from typing import TYPE_CHECKING
from urllib.parse import quote, unquote

from starlette.requests import Request
from starlette.responses import RedirectResponse
from starlette.routing import BaseRoute, Mount, Router
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from loghaven.api import permissions
from loghaven.api.http import body_limit, error_response, run
from loghaven.api.permissions import CLUSTER, PUBLIC, UI, Permission
from loghaven.errors import AuthenticationRequired, LoghavenError
from loghaven.inflate import too_large
from loghaven.ops import origin
from loghaven.security import audit, sigv4
from loghaven.security.access import no_permissions
from loghaven.security.context import acting, current
from loghaven.security.service import AuthenticationFailed
from loghaven.security.subject import Subject

if TYPE_CHECKING:
    from loghaven.node import Node

#: The UI's session cookie, named as OpenSearch Dashboards' security plugin names it.
SESSION_COOKIE = "security_authentication"
LOGIN_PAGE = "/_dashboards/login"


def guarded(routes: Sequence[BaseRoute], node: Node, prefix: str = "") -> list[BaseRoute]:
    """Copies of ``routes`` whose endpoints run behind a :class:`Guard` (the route objects of
    the API modules are shared, so they are not changed in place); every route has its
    permissions (:func:`loghaven.api.permissions.check` ran first)."""
    out: list[BaseRoute] = []
    for route in routes:
        if isinstance(route, Mount) and route.routes:
            inner = Router(routes=guarded(route.routes, node, prefix + route.path))
            wrapped = copy.copy(route)
            wrapped._base_app = wrapped.app = inner
            out.append(wrapped)
            continue
        entries: dict[str, Permission] = {}
        for _, path, methods in permissions.endpoints([route], prefix):
            for method in methods:
                found = permissions.permission(method, path)
                if found is None:
                    raise RuntimeError(f"{method} {path} has no permission")
                entries[method] = found
        wrapped = copy.copy(route)
        wrapped.app = Guard(route.app, entries, node)  # type: ignore[attr-defined]
        out.append(wrapped)
    return out


def request_uri(request: Request) -> str:
    """The path and query as ES quotes them in its 401 messages."""
    query = request.url.query
    return request.url.path + (f"?{query}" if query else "")


def address(request: Request) -> str:
    return request.client.host if request.client else ""


def scheme_of(request: Request) -> tuple[str, str]:
    """The ``Authorization`` header's scheme (lower case) and credentials."""
    scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
    return scheme.lower(), credentials


async def authenticate(request: Request, node: Node, *, hec: bool = False,
                       body: bytes = b"") -> Subject:
    """The caller's subject from its credentials; AuthenticationRequired (401) when there are
    none or they are wrong. ``hec``: whether the route takes Splunk HEC tokens; ``body``: the
    body as sent, which a SigV4 signature covers."""
    scheme, credentials = scheme_of(request)
    security = node.security
    where = address(request)
    if scheme == "basic":
        try:
            username, _, password = base64.b64decode(credentials.strip(), validate=True) \
                .decode("utf-8").partition(":")
        except (binascii.Error, UnicodeDecodeError):
            username = password = ""
        return await login_subject(request, node, username, password)
    if scheme == "apikey":
        try:
            return await run(security.authenticate_api_key, credentials.strip(), where)
        except AuthenticationFailed:
            _record(node, audit.FAILED_LOGIN, request, user=None)
            raise AuthenticationRequired(
                "unable to authenticate with provided credentials and anonymous access is not "
                "allowed for this request") from None
    if scheme == sigv4.ALGORITHM.lower():
        try:
            signed = signed_request(request, credentials, body)
            return await run(security.authenticate_sigv4, signed, where)
        except (sigv4.SignatureError, AuthenticationFailed) as exc:
            _record(node, audit.FAILED_LOGIN, request, user=None, reason=f"sigv4: {exc}")
            raise AuthenticationRequired(str(exc)) from None
    if scheme == "splunk" and hec:
        try:
            return await run(security.authenticate_hec, credentials.strip(), where)
        except AuthenticationFailed as exc:
            _record(node, audit.FAILED_LOGIN, request, user=None, reason=f"hec: {exc}")
            raise AuthenticationRequired(str(exc)) from None
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        try:
            # a session seen in the last seconds needs no I/O: no thread-pool hop
            return security.cached_session(token) \
                or await run(security.authenticate_session, token)
        except AuthenticationFailed:
            _record(node, audit.FAILED_LOGIN, request, user=None)
            raise SessionExpired(f"missing authentication credentials for REST request "
                                 f"[{request_uri(request)}]") from None
    raise AuthenticationRequired(
        f"missing authentication credentials for REST request [{request_uri(request)}]")


async def login_subject(request: Request, node: Node, username: str,
                        password: str) -> Subject:
    """The subject of a user name and password (argon2: in the thread pool); a failure is
    audited and answered with ES's 401."""
    try:
        return await run(node.security.authenticate_basic, username, password, address(request))
    except AuthenticationFailed:
        _record(node, audit.FAILED_LOGIN, request, user=username)
        raise AuthenticationRequired(f"unable to authenticate user [{username}] for REST "
                                     f"request [{request_uri(request)}]") from None


def signed_request(request: Request, credentials: str, body: bytes) -> sigv4.SignedRequest:
    """What a SigV4 signature covers, as the request arrived (the path still encoded)."""
    return sigv4.SignedRequest(
        method=request.method, raw_path=request.scope.get("raw_path", b"").decode("latin-1")
        or request.url.path, query=request.scope.get("query_string", b"").decode("latin-1"),
        headers=request.headers.getlist, body=body,
        authorization=sigv4.parse_authorization(credentials))


async def read_body(receive: Receive, limit: int) -> tuple[bytes, Receive]:
    """The body as sent (at most ``limit`` bytes), and a ``receive`` that gives it again."""
    chunks: list[bytes] = []
    received = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        received += len(chunks[-1])
        if received > limit:
            raise too_large(received, limit)
        if not message.get("more_body", False):
            break
    body = b"".join(chunks)
    replayed = False

    async def again() -> Message:
        nonlocal replayed
        if replayed:
            return await receive()
        replayed = True
        return {"type": "http.request", "body": body, "more_body": False}

    return body, again


class SessionExpired(AuthenticationRequired):
    """A UI session that ended: 401 without the Basic challenge, so that the browser shows
    the UI's login page rather than its own credentials dialog."""

    headers: dict[str, str] = {}


def authorize(subject: Subject, permission: Permission) -> bool:
    """Whether the route's action is granted, before any index name is known."""
    if permission.action is None:
        return True
    privileges = subject.privileges
    if permission.kind == CLUSTER:
        return privileges.allows_cluster(permission.action)
    return privileges.allows_some_index(permission.action)


class Guard:
    """One route's endpoint behind authentication and its permission (by method)."""

    def __init__(self, app: ASGIApp, entries: dict[str, Permission], node: Node) -> None:
        self.app = app
        self.entries = entries
        self.node = node

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        permission = self.entries.get(scope.get("method", "GET"))
        if scope["type"] != "http" or permission is None or permission.kind == PUBLIC:
            await self.app(scope, receive, send)  # no entry: a method the route refuses (405)
            return
        request = Request(scope, receive)
        body = b""
        try:
            if scheme_of(request)[0] == sigv4.ALGORITHM.lower():
                body, receive = await read_body(receive, body_limit(scope, self.node))
                request = Request(scope, receive)
            subject = await authenticate(request, self.node, hec=permission.hec, body=body)
        except AuthenticationRequired as error:
            if permission.kind == UI and request.method in ("GET", "HEAD"):
                target = LOGIN_PAGE + "?nextUrl=" + quote(request_uri(request), safe="")
                await RedirectResponse(target, status_code=302)(scope, receive, send)
            else:
                await error_response(request, error)(scope, receive, send)
            return
        except LoghavenError as error:  # a body over http.max_content_length
            await error_response(request, error)(scope, receive, send)
            return
        origin.authenticated(subject.name)
        indices = trace_indices(request)
        if not authorize(subject, permission):
            assert permission.action is not None
            _record(self.node, audit.MISSING_PRIVILEGES, request, user=subject.name,
                    action=permission.action, indices=indices)
            await error_response(request, no_permissions(permission.action, subject))(
                scope, receive, send)
            return
        if self.node.config.audit_log_granted and permission.action is not None:
            _record(self.node, audit.AUTHENTICATED, request, user=subject.name)
            _record(self.node, audit.GRANTED_PRIVILEGES, request, user=subject.name,
                    action=permission.action, indices=indices)
        def denied(name: str, action: str) -> None:
            _record(self.node, audit.MISSING_PRIVILEGES, request, user=subject.name,
                    action=action, indices=(name,))

        with acting(subject, permission.acting, denied):
            await self.app(scope, receive, send)


def require_cluster_action(request: Request, node: Node, action: str) -> None:
    """For a route whose action depends on its body (the SNS query API's ``Action``): OpenSearch's
    403, audited, unless the acting subject's roles grant the cluster ``action`` (always with
    security off)."""
    now = current()
    if now is None or now.subject.privileges.allows_cluster(action):
        return
    _record(node, audit.MISSING_PRIVILEGES, request, user=now.subject.name, action=action)
    raise no_permissions(action, now.subject)


def session_cookie(request: Request, token: str, *, max_age: int | None = None) -> str:
    """The ``Set-Cookie`` value of the UI session: HttpOnly, SameSite=Strict, and Secure when
    the request came over TLS (an empty token with ``max_age=0`` clears it)."""
    cookie: SimpleCookie = SimpleCookie()
    cookie[SESSION_COOKIE] = token
    morsel = cookie[SESSION_COOKIE]
    morsel["path"] = "/"
    morsel["httponly"] = True
    morsel["samesite"] = "Strict"
    if request.url.scheme == "https":
        morsel["secure"] = True
    if max_age is not None:
        morsel["max-age"] = max_age
    return morsel.OutputString()


def trace_indices(request: Request) -> tuple[str, ...]:
    """The indices a request names in its path (the route's ``{index}``), as OpenSearch's
    ``audit_trace_indices`` lists them."""
    expression = request.path_params.get("index")
    return tuple(n for n in expression.split(",") if n) if isinstance(expression, str) else ()


def _record(node: Node, category: str, request: Request, *, user: str | None,
            action: str | None = None, indices: tuple[str, ...] = (),
            reason: str | None = None) -> None:
    """An audit event (security/audit.py), its path decoded as OpenSearch's
    ``request.path()`` (routes see it as sent: api/paths.py)."""
    node.audit.record(category, user=user, address=address(request), method=request.method,
                      path=unquote(request.url.path), action=action, indices=indices, reason=reason)


def record_login(node: Node, request: Request, user: str) -> None:
    """The audit event of a UI login."""
    _record(node, audit.AUTHENTICATED, request, user=user)

