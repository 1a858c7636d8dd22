"""The web UI under ``/_dashboards``: static files that talk to the same REST API."""

from __future__ import annotations

from pathlib import Path

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

STATIC = Path(__file__).resolve().parent.parent / "ui" / "static"


async def to_index(_request: Request) -> Response:
    return RedirectResponse("/_dashboards/")


routes = [
    Route("/_dashboards", to_index, methods=["GET"]),
    Mount("/_dashboards/", StaticFiles(directory=STATIC, html=True), name="dashboards"),
]
