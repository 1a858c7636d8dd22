"""Every route has a permission (api/permissions.py): no endpoint ships without one."""

from __future__ import annotations

from pathlib import Path

import pytest
from starlette.responses import Response
from starlette.routing import Route

from loghaven.api import app as app_module
from loghaven.api import info, permissions
from loghaven.api.app import create_app
from loghaven.config import Config
from loghaven.node import Node


@pytest.fixture
def node(tmp_path: Path) -> Node:
    return Node(Config(data_dir=tmp_path / "data"))


def test_every_route_has_a_permission_and_every_entry_a_route(node: Node) -> None:
    app = create_app(node, manage_lifecycle=False)
    seen = set()
    for _, path, methods in permissions.endpoints(app.routes):  # type: ignore[attr-defined]
        for method in methods:
            found = permissions.permission(method, path)
            assert found is not None, f"{method} {path} has no permission"
            seen.add((method, path))
            seen.add(("GET", path) if method == "HEAD" else (method, path))
    stale = set(permissions.TABLE) - seen
    assert not stale, f"table entries for no route: {sorted(stale)}"


def test_an_unlisted_route_stops_the_application(node: Node,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    async def endpoint(_request: object) -> Response:
        return Response(b"")

    monkeypatch.setattr(info, "routes", [*info.routes, Route("/_new/{index}", endpoint,
                                                             methods=["POST"])])
    monkeypatch.setattr(app_module, "info", info)
    with pytest.raises(RuntimeError, match=r"POST /_new/\{index\}"):
        create_app(node, manage_lifecycle=False)


@pytest.mark.parametrize(("method", "path", "kind", "action"), [
    ("GET", "/_cluster/health", "cluster", "cluster:monitor/health"),
    ("POST", "/{index}/_search", "index", "indices:data/read/search"),
    ("PUT", "/_bulk", "cluster", "indices:data/write/bulk"),
    ("PUT", "/{index}", "index", "indices:admin/create"),
    ("DELETE", "/{index}", "index", "indices:admin/delete"),
    ("HEAD", "/{index}/_doc/{id}", "index", "indices:data/read/get"),
    ("PUT", "/_template/{name}", "cluster", "indices:admin/template/put"),
    ("GET", "/_dashboards/login", "public", None),
    ("GET", "/_dashboards/{path}", "ui", None),
])
def test_actions_and_scopes_are_opensearch_s(method: str, path: str, kind: str,
                                             action: str | None) -> None:
    assert permissions.permission(method, path) == permissions.Permission(kind, action)


def test_composite_requests_act_as_their_items() -> None:
    assert permissions.permission("POST", "/_msearch").acting == "indices:data/read/search"
    assert permissions.permission("GET", "/_search").acting == "indices:data/read/search"
