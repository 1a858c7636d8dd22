"""The audit log of a secure server, end to end: requests that carry passwords, API keys,
session cookies and secret bodies are audited, and none of those secrets reaches the audit
file, the audit index or the server's log."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from conftest import Server

from .conftest import SecureServer

SECRETS = {
    "wrong_password": "Wr0ngPassw0rd-XYZZY",
    "other_password": "S3cretOfNobody-PLOVER",
    "api_key": "ApiKeySecret-QWERTY",
    "cookie": "CookieSecret-GRUE",
    "body": "B0dySecret-PLUGH",
    "query": "QuerySecret-FROBOZZ",
    "new_user": "NewUserPassw0rd-XAYZZY",
}


#: A reader of the audit indices (a grant on ``*``, the admin's, does not reach them).
AUDITOR_PASSWORD = "Auditor-Password-1"


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


@pytest.fixture(scope="module")
def audited(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, str]]:
    server = SecureServer(tmp_path_factory.mktemp("audit") / "data")
    server.env = {**server.env, "LOGHAVEN_AUDIT_LOG_GRANTED": "true"}
    server.start()
    password = server.auth[1]
    with httpx.Client(base_url=server.url, timeout=30) as client:
        assert client.get("/_cluster/health", headers={
            "Authorization": basic("admin", SECRETS["wrong_password"])}).status_code == 401
        assert client.get("/", headers={
            "Authorization": basic("nobody", SECRETS["other_password"])}).status_code == 401
        key = base64.b64encode(f"key-1:{SECRETS['api_key']}".encode()).decode()
        assert client.get("/_cat/indices", headers={
            "Authorization": f"ApiKey {key}"}).status_code == 401
        assert client.get("/_search", headers={
            "Cookie": f"security_authentication={SECRETS['cookie']}"}).status_code == 401
        admin = {"Authorization": basic("admin", password)}
        assert client.put("/app-logs/_doc/1", params={"refresh": "true"}, headers=admin,
                          json={"user": "carol", "password": SECRETS["body"]}).status_code == 201
        assert client.get("/app-logs/_search", params={"q": SECRETS["query"]},
                          headers=admin).status_code == 200
        assert client.put("/_plugins/_security/api/internalusers/dave", headers=admin,
                          json={"password": SECRETS["new_user"]}).status_code == 201
        assert client.put("/_plugins/_security/api/roles/auditor", headers=admin, json={
            "index_permissions": [{"index_patterns": ["security-auditlog-*"],
                                   "allowed_actions": ["read"]}]}).status_code == 201
        assert client.put("/_plugins/_security/api/internalusers/auditor", headers=admin, json={
            "password": AUDITOR_PASSWORD, "opendistro_security_roles": ["auditor"]}
        ).status_code == 201
        assert client.get("/app-logs/_search", headers={
            "Authorization": basic("dave", SECRETS["new_user"])}).status_code == 403
    wait_for_event(server, "MISSING_PRIVILEGES")  # the last request's
    yield server, password
    server.stop()


def audit_file(server: Server) -> Path:
    return server.data_dir / "audit" / "audit.log"


def wait_for_event(server: Server, category: str) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        path = audit_file(server)
        if path.exists() and f'"audit_category":"{category}"' in path.read_text():
            return
        time.sleep(0.2)
    raise AssertionError(f"no {category} audit event after 20 s")


def search_audit(server: Server) -> httpx.Response:
    deadline = time.monotonic() + 20
    while True:
        response = httpx.get(server.url + "/security-auditlog-*/_search", timeout=30,
                             params={"expand_wildcards": "all", "size": "200"},
                             headers={"Authorization": basic("auditor", AUDITOR_PASSWORD)})
        if response.json()["hits"]["total"]["value"] >= 8 or time.monotonic() > deadline:
            return response
        time.sleep(0.2)


def test_failed_logins_and_granted_requests_are_audited(audited: tuple[Server, str]) -> None:
    server, _password = audited
    events = [json.loads(line) for line in audit_file(server).read_text().splitlines()]
    failed = [e for e in events if e["audit_category"] == "FAILED_LOGIN"]
    assert {(e.get("audit_request_effective_user"), e["audit_rest_request_path"])
            for e in failed} >= {("admin", "/_cluster/health"), ("nobody", "/")}
    assert all(e["audit_request_remote_address"] == "127.0.0.1" for e in failed)
    granted = [e for e in events if e["audit_category"] == "GRANTED_PRIVILEGES"]
    change = next(e for e in events if e["audit_category"] == "COMPLIANCE_INTERNAL_CONFIG_WRITE"
                  and e["audit_rest_request_path"].endswith("/dave"))
    assert change["audit_request_effective_user"] == "admin"
    assert change["audit_rest_request_path"] == "/_plugins/_security/api/internalusers/dave"
    (missing,) = [e for e in events if e["audit_category"] == "MISSING_PRIVILEGES"]
    assert (missing["audit_request_effective_user"], missing["audit_rest_request_path"]) == \
        ("dave", "/app-logs/_search")
    assert missing["audit_request_privilege"] == "indices:data/read/search"
    assert any(e["audit_rest_request_method"] == "PUT"
               and e["audit_rest_request_path"] == "/app-logs/_doc/1"
               and e["audit_request_effective_user"] == "admin"
               and e["audit_request_privilege"].startswith("indices:data/write")
               for e in granted)


def test_no_secret_reaches_the_file_the_index_or_the_log(audited: tuple[Server, str]) -> None:
    server, password = audited
    response = search_audit(server)
    assert response.status_code == 200
    indexed = response.text
    assert response.json()["hits"]["total"]["value"] >= 8
    stored = audit_file(server).read_text()
    log_lines = "\n".join(line for line in server.log.read_text().splitlines()
                          if line.startswith("{"))  # the JSON log, not the password box
    secrets = [*SECRETS.values(), password, base64.b64encode(
        f"admin:{password}".encode()).decode()]
    for secret in secrets:
        assert secret not in stored
        assert secret not in indexed
        assert secret not in log_lines


def test_the_audit_index_is_not_in_wildcard_searches(audited: tuple[Server, str]) -> None:
    server, password = audited
    search_audit(server)  # the index exists and holds events
    response = httpx.get(server.url + "/*/_search", params={"size": "100"}, timeout=30,
                         headers={"Authorization": basic("admin", password)})
    assert response.status_code == 200
    assert {hit["_index"] for hit in response.json()["hits"]["hits"]} == {"app-logs"}


def events_of(server: Server) -> list[dict]:
    return [json.loads(line) for line in audit_file(server).read_text().splitlines()]


def wait_for(server: Server, wanted: dict) -> dict:
    """The first event (within 20 s) with every field of ``wanted``."""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if audit_file(server).exists():
            for event in events_of(server):
                if all(event.get(k) == v for k, v in wanted.items()):
                    return event
        time.sleep(0.2)
    raise AssertionError(f"no audit event {wanted} after 20 s")


def test_events_trace_indices_and_bad_tokens_are_failed_logins(
        audited: tuple[Server, str]) -> None:
    server, password = audited
    admin = {"Authorization": basic("admin", password)}
    with httpx.Client(base_url=server.url, timeout=30) as client:
        assert client.put("/_plugins/_security/api/roles/app_reader", headers=admin, json={
            "index_permissions": [{"index_patterns": ["app-*"], "allowed_actions": ["read"]}]}
        ).status_code == 201
        assert client.put("/_plugins/_security/api/internalusers/erin", headers=admin, json={
            "password": "Erin-Password-1", "opendistro_security_roles": ["app_reader"]}
        ).status_code == 201
        erin = {"Authorization": basic("erin", "Erin-Password-1")}
        dave = {"Authorization": basic("dave", SECRETS["new_user"])}
        assert client.get("/app-logs,other-logs/_count", headers=dave).status_code == 403
        assert client.get("/app-logs/_count", headers=admin).status_code == 200
        assert client.get("/vault-logs/_count", headers=erin).status_code == 403
        stats = client.get("/_nodes/stats/security", headers=admin).json()
    wait_for(server, {"audit_category": "MISSING_PRIVILEGES", "audit_request_effective_user":
                      "dave", "audit_trace_indices": ["app-logs", "other-logs"]})
    granted = wait_for(server, {"audit_category": "GRANTED_PRIVILEGES",
                                "audit_rest_request_path": "/app-logs/_count"})
    assert granted["audit_trace_indices"] == ["app-logs"]
    # refused where the name is resolved, after the edge let the request in
    deeper = wait_for(server, {"audit_category": "MISSING_PRIVILEGES",
                               "audit_request_effective_user": "erin"})
    assert deeper["audit_trace_indices"] == ["vault-logs"]
    assert deeper["audit_request_privilege"] == "indices:data/read/search"
    # the fixture's bad session cookie and bad API key
    assert wait_for(server, {"audit_category": "FAILED_LOGIN",
                             "audit_rest_request_path": "/_search"})
    assert wait_for(server, {"audit_category": "FAILED_LOGIN",
                             "audit_rest_request_path": "/_cat/indices"})
    (node,) = stats["nodes"].values()
    counters = node["security"]["audit"]
    assert set(counters) == {"recorded", "queued", "dropped", "indexed", "index_failures"}
    assert counters["recorded"] >= 10 and counters["dropped"] == 0
