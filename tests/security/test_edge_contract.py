"""The edge's guard over the security service's contract, in process (a stand-in service)."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from loghaven.api.app import create_app
from loghaven.config import Config
from loghaven.node import Node
from loghaven.security.builtin import STATIC_ACTION_GROUPS
from loghaven.security.privileges import RolePrivileges
from loghaven.security.service import AuthenticationFailed, SecurityService
from loghaven.security.subject import Subject

ROLES = {
    "admin": {"all": {"cluster_permissions": ["*"],
                      "index_permissions": [{"index_patterns": ["*"], "allowed_actions": ["*"]}]}},
    "bob": {"logs": {"cluster_permissions": ["cluster_composite_ops"],
                     "index_permissions": [{"index_patterns": ["logs-*"],
                                            "allowed_actions": ["crud", "create_index"]}]}},
}


class StandIn(SecurityService):
    """Users ``admin`` and ``bob`` (password: their name twice)."""

    sessions: dict[str, str] = {}

    def _subject(self, name: str, auth_type: str) -> Subject:
        return Subject(name, RolePrivileges(ROLES[name], STATIC_ACTION_GROUPS, name),
                       roles=tuple(ROLES[name]), auth_type=auth_type)

    def authenticate_basic(self, username: str, password: str, address: str) -> Subject:
        if username not in ROLES or password != username * 2:
            raise AuthenticationFailed("wrong")
        return self._subject(username, "basic")

    def open_session(self, subject: Subject) -> str:
        token = f"t-{subject.name}-{len(self.sessions)}"
        self.sessions[token] = subject.name
        return token

    def authenticate_session(self, token: str) -> Subject:
        if token not in self.sessions:
            raise AuthenticationFailed("expired")
        return self._subject(self.sessions[token], "session")

    def close_session(self, token: str) -> None:
        self.sessions.pop(token, None)


def basic(user: str) -> dict[str, str]:
    return {"authorization": "Basic " + base64.b64encode(f"{user}:{user * 2}".encode()).decode()}


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    data: Path = tmp_path_factory.mktemp("edge")
    config = Config(data_dir=data / "data", security_enabled=True)
    node = Node(config)
    node.security = StandIn(node.metastore, config)
    with TestClient(create_app(node), base_url="http://127.0.0.1") as test_client:
        yield test_client


def test_anonymous_is_challenged(client: TestClient) -> None:
    response = client.get("/_cluster/health?pretty")
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith('Basic realm="security"')
    assert response.json()["error"]["type"] == "security_exception"
    assert response.json()["error"]["reason"] == (
        "missing authentication credentials for REST request [/_cluster/health?pretty]")


def test_wrong_password(client: TestClient) -> None:
    response = client.get("/", headers={"authorization": "Basic "
                                        + base64.b64encode(b"bob:nope").decode()})
    assert response.status_code == 401
    assert response.json()["error"]["reason"] == (
        "unable to authenticate user [bob] for REST request [/]")


def test_cluster_and_index_permissions(client: TestClient) -> None:
    assert client.put("/logs-a/_doc/1?refresh=true", json={"m": 1},
                      headers=basic("bob")).status_code == 201
    assert client.put("/secret/_doc/1?refresh=true", json={"m": 2},
                      headers=basic("admin")).status_code == 201
    denied = client.get("/_cluster/health", headers=basic("bob"))
    assert denied.status_code == 403
    assert denied.json()["error"]["reason"] == (
        "no permissions for [cluster:monitor/health] and User [name=bob, backend_roles=[], "
        "requestedTenant=null]")
    assert client.get("/_cluster/health", headers=basic("admin")).status_code == 200
    forbidden = client.get("/secret/_search", headers=basic("bob"))
    assert forbidden.status_code == 403
    assert "no permissions for [indices:data/read/search]" in forbidden.json()["error"]["reason"]
    assert client.get("/logs-a/_search", headers=basic("bob")).status_code == 200
    hits = client.get("/*/_search", headers=basic("bob")).json()["hits"]["hits"]
    assert {h["_index"] for h in hits} == {"logs-a"}
    hits = client.get("/_search", headers=basic("admin")).json()["hits"]["hits"]
    assert {h["_index"] for h in hits} == {"logs-a", "secret"}


def test_bulk_item_denied_alone(client: TestClient) -> None:
    body = (b'{"index":{"_index":"logs-b","_id":"1"}}\n{"a":1}\n'
            b'{"index":{"_index":"other","_id":"1"}}\n{"a":2}\n')
    response = client.post("/_bulk", content=body, headers={
        **basic("bob"), "content-type": "application/x-ndjson"})
    assert response.status_code == 200
    first, second = (next(iter(i.values())) for i in response.json()["items"])
    assert first["status"] == 201
    assert second["status"] == 403
    assert second["error"]["type"] == "security_exception"
    assert second["error"]["reason"].startswith("no permissions for [indices:data/write/index]")


def test_login_session_and_logout(client: TestClient) -> None:
    page = client.get("/_dashboards/", follow_redirects=False)
    assert page.status_code == 302
    assert page.headers["location"].startswith("/_dashboards/login?nextUrl=")
    assert client.get("/_dashboards/login").status_code == 200
    assert client.get("/_dashboards/public/login.js").status_code == 200
    response = client.post("/_dashboards/auth/login", json={"username": "admin",
                                                            "password": "adminadmin"},
                           headers={"osd-xsrf": "true"})
    assert response.status_code == 200
    cookie = response.headers["set-cookie"]
    assert "security_authentication=" in cookie and "HttpOnly" in cookie
    assert "SameSite=Strict" in cookie and "Secure" not in cookie
    assert client.get("/_cluster/health").status_code == 200
    assert client.post("/_dashboards/auth/logout", headers={"osd-xsrf": "true"}).status_code == 200
    assert client.get("/_cluster/health").status_code == 401
