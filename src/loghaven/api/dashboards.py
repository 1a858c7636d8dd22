"""The web UI under ``/_dashboards``: static files, and the UI's own API under ``/api``.

The UI's API follows OpenSearch Dashboards' paths (``/api/status``, later saved objects) and
its XSRF rule: every route under ``/_dashboards/api`` inherits ``DASHBOARDS_API``, so unsafe
requests need the ``osd-xsrf`` header (api/route_policy.py).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from loghaven.api.http import json_response, node_of
from loghaven.api.route_policy import DASHBOARDS_API, PolicyMount
from loghaven.node import COMPAT_VERSION

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


routes = [
    Route("/_dashboards", to_index, methods=["GET"]),
    PolicyMount("/_dashboards/api", policy=DASHBOARDS_API, routes=[
        Route("/status", status, methods=["GET"]),
    ]),
    Mount("/_dashboards/", StaticFiles(directory=STATIC, html=True), name="dashboards"),
]
