"""The edge's contract for Splunk HEC tokens, on a small application of the guard
(api/auth.py) with one route the permission table's syntax marks ``hec`` and one it does not:
``Authorization: Splunk <token>`` yields the token owner's subject, limited to the token's
allowed indexes, on the marked route only; failures are audited without the token."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from loghaven.api import permissions
from loghaven.api.auth import Guard
from loghaven.config import Config
from loghaven.node import Node
from loghaven.security import context
from loghaven.security.service import Origin
from test_route_policy import Client

HEC_TABLE = """
POST    /services/collector/event       indices:data/write/bulk     hec
POST    /_bulk                          indices:data/write/bulk
"""


class Recorder:
    """Stands for node.audit: the events the guard records."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []

    def record(self, category: str, **fields: Any) -> None:
        self.events.append({"category": category, **fields})


async def whoami(request: Request) -> JSONResponse:
    acting = context.current()
    assert acting is not None
    subject = acting.subject
    return JSONResponse({
        "user": subject.name, "auth_type": subject.auth_type,
        "credential": subject.credential, "body": (await request.body()).decode(),
        "writes": {index: subject.privileges.allows_index("indices:data/write/bulk[s]", index)
                   for index in ("main", "web", "other")}})


@pytest.fixture
def node(tmp_path: Path) -> Iterator[Node]:
    instance = Node(Config(data_dir=tmp_path / "data", security_enabled=True,
                           ingest_workers=0))
    instance.security.bootstrap()
    audit, instance.audit = instance.audit, Recorder()  # type: ignore[assignment]
    yield instance
    instance.audit = audit
    instance.close()


@pytest.fixture
def client(node: Node) -> Client:
    table = permissions.parse(HEC_TABLE)
    routes = []
    for (method, path), permission in table.items():
        route = copy.copy(Route(path, whoami, methods=[method]))
        route.app = Guard(route.app, {method: permission}, node)
        routes.append(route)
    app = Starlette(routes=routes)
    app.state.node = node
    return Client(app)


def new_token(node: Node, name: str, **body: Any) -> str:
    admin = node.security.subject_of("admin")
    token = node.security.put_hec_token(admin, name, body, Origin("admin", "127.0.0.1"))
    assert token is not None
    return token


def test_the_hec_mark_is_read_from_the_table() -> None:
    table = permissions.parse(HEC_TABLE)
    assert table["POST", "/services/collector/event"].hec
    assert not table["POST", "/_bulk"].hec
    assert {path for (_, path), p in permissions.TABLE.items() if p.hec} == {
        "/services/collector", "/services/collector/event", "/services/collector/event/1.0",
        "/services/collector/raw", "/services/collector/raw/1.0", "/services/collector/ack"}


def test_a_token_acts_as_its_owner_on_hec_routes_only(node: Node, client: Client) -> None:
    token = new_token(node, "web-events", index="main", indexes=["main", "web"])
    headers = {"Authorization": f"Splunk {token}"}
    answer = client.post("/services/collector/event", content=b'{"event": "x"}',
                         headers=headers)
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"user": "admin", "auth_type": "hec", "credential": "web-events",
                             "body": '{"event": "x"}',
                             "writes": {"main": True, "web": True, "other": False}}
    assert node.security.hec_token(node.security.authenticate_hec(token, "127.0.0.1"))[
        "index"] == "main"
    refused = client.post("/_bulk", content=b"{}", headers=headers)
    assert refused.status_code == 401
    assert refused.json()["error"]["reason"].startswith("missing authentication credentials")
    anywhere = new_token(node, "anywhere")
    assert client.post("/services/collector/event", headers={
        "Authorization": f"Splunk {anywhere}"}).json()["writes"] == {
        "main": True, "web": True, "other": True}


def test_the_query_string_token_is_not_accepted(node: Node, client: Client) -> None:
    token = new_token(node, "in-query")
    answer = client.post(f"/services/collector/event?token={token}")
    assert answer.status_code == 401


def test_unknown_and_disabled_tokens_are_refused_and_audited(node: Node,
                                                             client: Client) -> None:
    token = new_token(node, "soon-off")
    admin = node.security.subject_of("admin")
    assert node.security.put_hec_token(admin, "soon-off", {"disabled": True},
                                       Origin("admin", "127.0.0.1")) is None
    disabled = client.post("/services/collector/event",
                           headers={"Authorization": f"Splunk {token}"})
    assert disabled.status_code == 401
    assert disabled.json()["error"]["reason"] == "Token disabled"
    unknown = "0f6b4c7e-3d2a-4c1b-9e8f-7a6b5c4d3e2f"
    invalid = client.post("/services/collector/event",
                          headers={"Authorization": f"Splunk {unknown}"})
    assert invalid.status_code == 401
    assert invalid.json()["error"]["reason"] == "Invalid token"
    audit: Recorder = node.audit  # type: ignore[assignment]
    failed = [e for e in audit.events if e["category"] == "FAILED_LOGIN"]
    assert [e["reason"] for e in failed] == ["hec: Token disabled", "hec: Invalid token"]
    assert all(e["path"] == "/services/collector/event" for e in failed)
    assert token not in repr(audit.events) and unknown not in repr(audit.events)
