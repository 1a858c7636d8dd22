"""OpenSearch's Notifications plugin API (``_plugins/_notifications``: configs, channels,
features, feature/test) and Alerting's legacy destinations (``_plugins/_alerting/destinations``
and ``_opendistro``), over notify/service.py and notify/legacy.py."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from loghaven.api.http import json_body, json_response, node_of, run
from loghaven.notify import legacy
from loghaven.notify.service import NotificationService

BASE = "/_plugins/_notifications"
LEGACY_PREFIXES = ("/_plugins/_alerting", "/_opendistro/_alerting")


def _service(request: Request) -> NotificationService:
    return node_of(request).notifications


def _endpoint(work: Callable[[NotificationService, Request, dict[str, Any]], Any], *,
              body: bool = False) -> Callable[[Request], Any]:
    """A route that runs ``work(service, request, body)`` in the thread pool (sends block)."""
    async def endpoint(request: Request) -> Response:
        data = await json_body(request, required=True) if body else {}
        return json_response(request, await run(work, _service(request), request, data))
    return endpoint


def _path(request: Request, name: str) -> str:
    return request.path_params[name]


def _delete_ids(request: Request) -> list[str]:
    params = request.query_params
    ids = [part for part in (params.get("config_id_list") or "").split(",") if part.strip()]
    if not ids and params.get("config_id"):
        ids = [params["config_id"]]
    return ids


routes = [
    Route(f"{BASE}/configs", _endpoint(lambda s, r, b: s.create(b), body=True),
          methods=["POST"]),
    Route(f"{BASE}/configs", _endpoint(lambda s, r, b: s.list(r.query_params)),
          methods=["GET"]),
    Route(f"{BASE}/configs", _endpoint(lambda s, r, b: s.delete(_delete_ids(r))),
          methods=["DELETE"]),
    Route(f"{BASE}/configs/{{config_id}}",
          _endpoint(lambda s, r, b: s.get(_path(r, "config_id"))), methods=["GET"]),
    Route(f"{BASE}/configs/{{config_id}}",
          _endpoint(lambda s, r, b: s.update(_path(r, "config_id"), b), body=True),
          methods=["PUT"]),
    Route(f"{BASE}/configs/{{config_id}}",
          _endpoint(lambda s, r, b: s.delete([_path(r, "config_id")])), methods=["DELETE"]),
    Route(f"{BASE}/channels", _endpoint(lambda s, r, b: s.channels(r.query_params)),
          methods=["GET"]),
    Route(f"{BASE}/features", _endpoint(lambda s, r, b: s.features()), methods=["GET"]),
    Route(f"{BASE}/feature/test/{{config_id}}",
          _endpoint(lambda s, r, b: s.test(_path(r, "config_id"))), methods=["GET", "POST"]),
]
for _prefix in LEGACY_PREFIXES:
    routes += [
        Route(f"{_prefix}/destinations",
              _endpoint(lambda s, r, b: legacy.list_destinations(s, r.query_params)),
              methods=["GET"]),
        Route(f"{_prefix}/destinations/{{destination_id}}",
              _endpoint(lambda s, r, b: legacy.list_destinations(
                  s, r.query_params, _path(r, "destination_id"))), methods=["GET"]),
        Route(f"{_prefix}/destinations",
              _endpoint(lambda s, r, b: legacy.write_destination(s, b), body=True),
              methods=["POST"]),
        Route(f"{_prefix}/destinations/{{destination_id}}",
              _endpoint(lambda s, r, b: legacy.write_destination(
                  s, b, _path(r, "destination_id")), body=True), methods=["PUT"]),
        Route(f"{_prefix}/destinations/{{destination_id}}",
              _endpoint(lambda s, r, b: legacy.delete_destination(
                  s, _path(r, "destination_id"))), methods=["DELETE"]),
    ]
