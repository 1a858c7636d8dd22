"""The web UI under ``/_dashboards``: static files, the login page and its session, and the
UI's own API under ``/api``.

The UI's API follows OpenSearch Dashboards' paths (``/api/status``, saved objects
(api/saved_objects.py),
``/auth/login`` and ``/auth/logout``) and its XSRF rule: every route under
``/_dashboards/api`` inherits ``DASHBOARDS_API``, so unsafe requests need the ``osd-xsrf``
header (api/route_policy.py). The login page and what it loads (``/public``) are open to
anyone; every other page needs a session (api/auth.py sends an anonymous page load to login).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from loghaven.api import console, saved_objects
from loghaven.api.auth import SESSION_COOKIE, login_subject, record_login, session_cookie
from loghaven.api.http import json_body, json_response, node_of, run
from loghaven.api.route_policy import DASHBOARDS_API, PolicyMount, PolicyRoute
from loghaven.errors import AuthenticationRequired
from loghaven.node import COMPAT_VERSION
from loghaven.params import expect_string
from loghaven.security import context

STATIC = Path(__file__).resolve().parent.parent / "ui" / "static"


async def to_index(_request: Request) -> Response:
    return RedirectResponse("/_dashboards/")


async def status(request: Request) -> Response:
    """``GET /api/status`` as OpenSearch Dashboards answers it (name, uuid, version, overall)."""
    node = node_of(request)
    since = datetime.fromtimestamp(node.started, UTC).isoformat(timespec="milliseconds")
    return json_response(request, {
        "name": node.config.node_name,
        "uuid": node.node_id,
        "version": {"number": COMPAT_VERSION, "build_hash": "loghaven-" + node.version,
                    "build_number": 0, "build_snapshot": False},
        "status": {"overall": {"since": since.replace("+00:00", "Z"), "state": "green",
                               "title": "Green", "nickname": "Looking good",
                               "icon": "success", "uiColor": "secondary"},
                   "statuses": []},
    })


async def login_page(request: Request) -> Response:
    """The login form (a session is only needed, and only opened, with security enabled)."""
    if not node_of(request).security.enabled:
        return RedirectResponse("/_dashboards/")
    return FileResponse(STATIC / "login.html")


async def login(request: Request) -> Response:
    """``POST /auth/login`` with ``{"username", "password"}``: opens a session and sets its
    cookie; answers who logged in, as OpenSearch Dashboards' security plugin does."""
    node = node_of(request)
    body = await json_body(request, required=True)
    username = expect_string(body.get("username", ""), "username", "login")
    password = expect_string(body.get("password", ""), "password", "login")
    if not node.security.enabled:
        return json_response(request, _unauthorized("Authentication is not enabled"),
                             status=401)
    try:
        subject = await login_subject(request, node, username, password)
    except AuthenticationRequired:
        return json_response(request, _unauthorized("Invalid username or password"),
                             status=401)
    token = await run(node.security.open_session, subject)
    record_login(node, request, subject.name)
    return json_response(request, {"username": subject.name,
                                   "roles": list(subject.roles),
                                   "backendroles": list(subject.backend_roles)},
                         headers={"set-cookie": session_cookie(request, token)})


async def logout(request: Request) -> Response:
    """``POST /auth/logout``: ends the session and clears its cookie."""
    node = node_of(request)
    token = request.cookies.get(SESSION_COOKIE)
    if token and node.security.enabled:
        await run(node.security.close_session, token)
    return json_response(request, {}, headers={"set-cookie": session_cookie(
        request, "", max_age=0)})


async def authinfo(request: Request) -> Response:
    """``GET /api/v1/auth/authinfo``: who the UI's user is, as OpenSearch Dashboards' security
    plugin answers it (``user_name`` null without security: the UI then offers no log-out)."""
    now = context.current()
    if now is None:
        return json_response(request, {"user_name": None, "roles": [], "backend_roles": []})
    subject = now.subject
    return json_response(request, {"user_name": subject.name, "roles": list(subject.roles),
                                   "backend_roles": list(subject.backend_roles)})


def _unauthorized(message: str) -> dict[str, object]:
    return {"statusCode": 401, "error": "Unauthorized", "message": message}


routes = [
    Route("/_dashboards", to_index, methods=["GET"]),
    Route("/_dashboards/login", login_page, methods=["GET"]),
    PolicyRoute("/_dashboards/auth/login", login, methods=["POST"], policy=DASHBOARDS_API),
    PolicyRoute("/_dashboards/auth/logout", logout, methods=["POST"], policy=DASHBOARDS_API),
    PolicyMount("/_dashboards/api", policy=DASHBOARDS_API, routes=[
        Route("/status", status, methods=["GET"]),
        Route("/v1/auth/authinfo", authinfo, methods=["GET"]),
        *saved_objects.routes,
        Route("/console/api_server", console.api_server, methods=["GET"]),
    ]),
    Mount("/_dashboards/public", StaticFiles(directory=STATIC / "public"), name="public"),
    Mount("/_dashboards/", StaticFiles(directory=STATIC, html=True), name="dashboards"),
]
