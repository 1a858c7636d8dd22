"""OpenSearch's API keys (3.7, ``_plugins/_security/api/apitokens``) on a real secure server:
OpenSearch's create, list and revoke shapes; a key authenticates with ``Authorization: ApiKey
os_...`` and holds only its own permissions (not its creator's); expiry and revocation hold at
once; the token is shown once and never listed or audited; the endpoints need
``cluster:admin/plugins/security/api_token``."""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Iterator

import httpx
import pytest

from .conftest import SecureServer, role_user

TOKENS = "/_plugins/_security/api/apitokens"
TOKEN = re.compile(r"os_[A-Za-z0-9_-]{43}")


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def with_key(server: SecureServer, token: str) -> httpx.Client:
    return httpx.Client(base_url=server.url, timeout=30,
                        headers={"Authorization": f"ApiKey {token}"})


@pytest.fixture(scope="module")
def logs(secure: SecureServer) -> Iterator[None]:
    """Two indices, one of which the keys below may read."""
    with httpx.Client(base_url=secure.url, auth=secure.auth, timeout=30) as admin:
        for index in ("ostok-logs", "ostok-secret"):
            assert admin.put(f"/{index}/_doc/1", params={"refresh": "true"},
                             json={"message": index}).status_code == 201
    yield


def create(admin: httpx.Client, **body: object) -> dict:
    """A new key (for an hour unless ``duration_seconds`` says otherwise)."""
    response = admin.post(TOKENS, json={"duration_seconds": 3600, **body})
    assert response.status_code == 200, response.text
    return response.json()


def test_create_list_revoke_shapes(admin: httpx.Client) -> None:
    name = unique("ci")
    body = {"name": name, "cluster_permissions": ["cluster_monitor"],
            "index_permissions": [{"index_pattern": ["logs-*"], "allowed_actions": ["read"]}],
            "duration_seconds": 3600}
    before = int(time.time() * 1000)
    created = create(admin, **body)
    assert set(created) == {"id", "token"}
    assert TOKEN.fullmatch(created["token"]), created
    listed = admin.get(TOKENS)
    assert listed.status_code == 200
    assert created["token"] not in listed.text
    (entry,) = [e for e in listed.json() if e["id"] == created["id"]]
    assert set(entry) == {"id", "name", "iat", "expires_at", "cluster_permissions",
                          "index_permissions", "created_by"}
    assert (entry["name"], entry["created_by"]) == (name, "admin")
    assert entry["cluster_permissions"] == ["cluster_monitor"]
    assert entry["index_permissions"] == body["index_permissions"]
    assert entry["iat"] >= before
    assert entry["expires_at"] == entry["iat"] + 3_600_000

    revoked = admin.delete(f"{TOKENS}/{created['id']}")
    assert revoked.status_code == 200
    assert revoked.json() == {"message": f"Token {created['id']} revoked successfully."}
    (entry,) = [e for e in admin.get(TOKENS).json() if e["id"] == created["id"]]
    assert entry["revoked_at"] >= entry["iat"]

    bare = create(admin, name=unique("bare"))
    (entry,) = [e for e in admin.get(TOKENS).json() if e["id"] == bare["id"]]
    assert (entry["cluster_permissions"], entry["index_permissions"]) == ([], [])


def test_requests_are_checked(admin: httpx.Client) -> None:
    def refused(body: object, status: int = 400) -> str:
        response = admin.post(TOKENS, json=body)
        assert response.status_code == status, response.text
        return response.json()["error"]

    assert refused({}) == "Token name is required."
    assert refused({"name": "bad name!"}) == ("Token name must contain only alphanumeric "
                                              "characters, hyphens, and underscores.")
    assert refused({"name": unique("neg"), "duration_seconds": -5}) == \
        "Token duration must be positive."
    # OpenSearch's defaults: at most 90 days, so a key must expire
    assert refused({"name": unique("long"), "duration_seconds": 7_776_001}) == \
        "Token duration exceeds the maximum allowed duration of 7776000 seconds."
    assert refused({"name": unique("forever")}) == \
        "Non-expiring tokens are not allowed. Maximum duration is 7776000 seconds."
    assert refused({"name": unique("x"), "index_permissions": "logs"}).startswith(
        "Invalid request: ")
    taken = create(admin, name=unique("taken"))
    name = next(e["name"] for e in admin.get(TOKENS).json() if e["id"] == taken["id"])
    assert admin.delete(f"{TOKENS}/{taken['id']}").status_code == 200
    # a revoked key's name stays taken
    assert refused({"name": name, "duration_seconds": 60}) == f"A token with name '{name}' already exists."
    missing = admin.delete(f"{TOKENS}/no-such-id")
    assert missing.status_code == 404
    assert missing.json() == {"error": "No token found with id no-such-id"}


def test_a_key_has_its_own_permissions_only(admin: httpx.Client, secure: SecureServer,
                                            logs: None) -> None:
    name = unique("reader")
    token = create(admin, name=name, cluster_permissions=["cluster_monitor"],
                   index_permissions=[{"index_pattern": ["ostok-logs"],
                                       "allowed_actions": ["read"]}])["token"]
    with with_key(secure, token) as key:
        found = key.get("/ostok-logs/_search")
        assert found.status_code == 200, found.text
        assert found.json()["hits"]["total"]["value"] == 1
        assert key.get("/_cluster/health").status_code == 200
        # its creator (admin, all_access) may do all of these; the key may not
        for denied in (key.get("/ostok-secret/_search"),
                       key.put("/ostok-logs/_doc/2", json={"message": "x"}),
                       key.get("/_plugins/_security/api/internalusers"),
                       key.get(TOKENS)):
            assert denied.status_code == 403, denied.text
            assert denied.json()["error"]["type"] == "security_exception"
        who = key.get("/_plugins/_security/authinfo").json()
        assert (who["user_name"], who["roles"]) == (f"token:{name}", [])


def test_a_key_is_no_user(admin: httpx.Client, secure: SecureServer) -> None:
    """Even with every cluster permission, a key has no password to change and owns no
    Elasticsearch keys (whose owner must be a user)."""
    token = create(admin, name=unique("wide"), cluster_permissions=["*"])["token"]
    with with_key(secure, token) as key:
        assert key.post("/_security/api_key", json={"name": "derived"}).status_code == 403
        changed = key.put("/_plugins/_security/api/account", json={
            "current_password": "x", "password": "Another-Password-1"})
        assert changed.status_code == 403, changed.text


def test_unknown_tokens_and_es_keys_are_told_apart(admin: httpx.Client,
                                                   secure: SecureServer) -> None:
    with with_key(secure, "os_" + "A" * 43) as key:
        assert key.get("/").status_code == 401
    es_key = admin.post("/_security/api_key", json={"name": unique("es")}).json()["encoded"]
    with with_key(secure, es_key) as key:
        assert key.get("/").status_code == 200


def test_revocation_holds_at_once(admin: httpx.Client, secure: SecureServer) -> None:
    created = create(admin, name=unique("gone"), cluster_permissions=["cluster_monitor"])
    with with_key(secure, created["token"]) as key:
        assert key.get("/_cluster/health").status_code == 200
        assert admin.delete(f"{TOKENS}/{created['id']}").status_code == 200
        assert key.get("/_cluster/health").status_code == 401


def test_expired_keys_are_refused_and_listed(admin: httpx.Client,
                                             secure: SecureServer) -> None:
    created = create(admin, name=unique("brief"), cluster_permissions=["cluster_monitor"],
                     duration_seconds=1)
    with with_key(secure, created["token"]) as key:
        assert key.get("/_cluster/health").status_code == 200
        time.sleep(1.2)
        assert key.get("/_cluster/health").status_code == 401
    (entry,) = [e for e in admin.get(TOKENS).json() if e["id"] == created["id"]]
    assert entry["expires_at"] <= time.time() * 1000
    assert "revoked_at" not in entry


def test_the_permission_is_required(admin: httpx.Client, secure: SecureServer) -> None:
    created = create(admin, name=unique("kept"))
    name = unique("nokeys")
    with role_user(secure, admin, name, {"cluster_permissions": ["cluster_monitor"]}) as user:
        for response in (user.get(TOKENS), user.post(TOKENS, json={"name": unique("no"), "duration_seconds": 60}),
                         user.delete(f"{TOKENS}/{created['id']}")):
            assert response.status_code == 403, response.text
            assert response.json()["error"]["reason"].startswith(
                "no permissions for [cluster:admin/plugins/security/api_token]")
    name = unique("keymaker")
    with role_user(secure, admin, name, {"cluster_permissions": [
            "cluster:admin/plugins/security/api_token"]}) as user:
        assert user.get(TOKENS).status_code == 200
        assert user.post(TOKENS, json={"name": unique("made"), "duration_seconds": 60}).status_code == 200


def test_security_manager_manages_keys(admin: httpx.Client, secure: SecureServer) -> None:
    name = unique("secman")
    password = "Secman-Password-1"
    assert admin.put(f"/_plugins/_security/api/internalusers/{name}", json={
        "password": password, "opendistro_security_roles": ["security_manager"]}
    ).status_code == 201
    with httpx.Client(base_url=secure.url, timeout=30, auth=(name, password)) as user:
        assert user.post(TOKENS, json={"name": unique("bysm"),
                                         "duration_seconds": 60}).status_code == 200


def test_the_token_is_never_audited(admin: httpx.Client, secure: SecureServer) -> None:
    created = create(admin, name=unique("audited"))
    assert admin.delete(f"{TOKENS}/{created['id']}").status_code == 200
    path = secure.data_dir / "audit" / "audit.log"
    deadline = time.monotonic() + 20
    events: list[str] = []
    while time.monotonic() < deadline:
        events = [line for line in (path.read_text().splitlines() if path.exists() else [])
                  if '"audit_category":"API_TOKEN_WRITE"' in line and created["id"] in line]
        if events:
            break
        time.sleep(0.2)
    assert events, "no API_TOKEN_WRITE event of the revocation"
    text = path.read_text()
    written = [json.loads(line) for line in text.splitlines()
               if '"audit_category":"API_TOKEN_WRITE"' in line]
    assert {(e["audit_rest_request_method"], e["audit_request_effective_user"])
            for e in written if e["audit_rest_request_path"].startswith(TOKENS)} \
        >= {("POST", "admin"), ("DELETE", "admin")}
    assert created["token"] not in text
