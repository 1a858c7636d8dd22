"""Snapshot management policies `_plugins/_sm/policies` (lifecycle/sm/)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from loghaven.api.http import json_body, json_response, node_of, param_int, run
from loghaven.lifecycle.sm.service import SnapshotPolicies

BASE = "/_plugins/_sm/policies"


def _endpoint(work: Callable[[SnapshotPolicies, Request, dict[str, Any]], dict[str, Any]], *,
              body: bool = False) -> Callable[[Request], Any]:
    """Run ``work(node.sm, request, body)`` in the thread pool; a ``status`` in its answer is
    the HTTP status, with the policy's ``Location`` as SM sends it."""
    async def endpoint(request: Request) -> Response:
        data = await json_body(request, required=True) if body else {}
        answer = await run(work, node_of(request).sm, request, data)
        status = answer.pop("status", 200)
        headers = ({"Location": f"{BASE}/{answer['sm_policy']['name']}"}
                   if "sm_policy" in answer and body else None)
        return json_response(request, answer, status=status, headers=headers)
    return endpoint


def _name(request: Request) -> str:
    return str(request.path_params["name"])


routes: list[BaseRoute] = [
    Route(BASE, _endpoint(lambda s, r, b: s.search(r.query_params)), methods=["GET"]),
    Route(f"{BASE}/", _endpoint(lambda s, r, b: s.search(r.query_params)), methods=["GET"]),
    Route(f"{BASE}/{{name}}", _endpoint(lambda s, r, b: s.create(_name(r), b), body=True),
          methods=["POST"]),
    Route(f"{BASE}/{{name}}", _endpoint(lambda s, r, b: s.update(
        _name(r), b, if_seq_no=param_int(r, "if_seq_no"),
        if_primary_term=param_int(r, "if_primary_term")), body=True), methods=["PUT"]),
    Route(f"{BASE}/{{name}}", _endpoint(lambda s, r, b: s.get(_name(r))), methods=["GET"]),
    Route(f"{BASE}/{{name}}", _endpoint(lambda s, r, b: s.delete(_name(r))),
          methods=["DELETE"]),
    Route(f"{BASE}/{{name}}/_explain", _endpoint(lambda s, r, b: s.explain(_name(r))),
          methods=["GET"]),
    Route(f"{BASE}/{{name}}/_start", _endpoint(lambda s, r, b: s.set_enabled(_name(r), True)),
          methods=["POST"]),
    Route(f"{BASE}/{{name}}/_stop", _endpoint(lambda s, r, b: s.set_enabled(_name(r), False)),
          methods=["POST"]),
]
