"""``GET /_dashboards/api/console/api_server``: the REST endpoints the Dev Tools console
completes, as OpenSearch Dashboards' console API answers its autocompletion spec.

The list is the permission table (api/permissions.py), which names every route there is,
so a new endpoint is offered as soon as it exists; nothing here is a second copy of it.
The UI's own routes, Splunk's HEC and the legacy ``_opendistro`` prefix (a duplicate of
``_plugins``) are left out: the console is for the OpenSearch API.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from loghaven.api.http import json_response
from loghaven.api.permissions import TABLE

_LEFT_OUT = ("/_dashboards", "/services", "/_opendistro/")


def endpoints() -> dict[str, dict[str, Any]]:
    """``{name: {"methods": [...], "patterns": [...]}}`` keyed by the action name (with a
    ``#n`` suffix for the same action under other methods); patterns have no leading slash
    and their placeholders as the table writes them (``{index}``, ``{id}``)."""
    methods_of: dict[tuple[str, str], set[str]] = {}
    for (method, path), permission in TABLE.items():
        if (path == "/" and method == "POST") or path.startswith(_LEFT_OUT) \
                or "{type}" in path:
            continue  # POST / is the AWS protocols' root; typed paths are deprecated
        methods_of.setdefault((path, permission.action or permission.kind), set()).add(method)
    grouped: dict[tuple[str, tuple[str, ...]], list[str]] = {}
    for (path, action), methods in sorted(methods_of.items()):
        grouped.setdefault((action, tuple(sorted(methods))), []).append(path.lstrip("/"))
    out: dict[str, dict[str, Any]] = {}
    for (action, methods), patterns in grouped.items():
        name, n = action, 1
        while name in out:
            n += 1
            name = f"{action}#{n}"
        out[name] = {"methods": list(methods), "patterns": patterns}
    return out


async def api_server(request: Request) -> Response:
    return json_response(request, {"es": {"name": "es", "endpoints": endpoints()}})
