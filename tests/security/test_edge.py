"""Authentication and authorization at the HTTP edge, against a secure server: 401 with the
challenge, 403 with OpenSearch's message, only the permitted indices seen, bulk items checked
one by one, and the UI's session cookie."""

from __future__ import annotations

import base64

import httpx
import pytest

from .conftest import SecureServer

BOB = "User [name=bob, backend_roles=[], requestedTenant=null]"
BOB_PASSWORD = "Bob-Password-1"
NDJSON = {"content-type": "application/x-ndjson"}
#: bob's team: data in ``logs-*`` (and creating it), writes only to ``drop-*``, reads through
#: the ``shared`` alias, monitoring of ``logs-*``; bulk, mget and msearch, no cluster monitoring.
LOGS_TEAM = {
    "cluster_permissions": ["cluster_composite_ops"],
    "index_permissions": [
        {"index_patterns": ["logs-*"], "allowed_actions": ["crud", "create_index",
                                                           "indices:monitor/*"]},
        {"index_patterns": ["drop-*"], "allowed_actions": ["write"]},
        {"index_patterns": ["shared"], "allowed_actions": ["read"]},
    ],
}


@pytest.fixture(scope="module", autouse=True)
def team(secure: SecureServer) -> None:
    """bob in the logs team, and indices of the team, of no one, and shared by an alias."""
    with httpx.Client(base_url=secure.url, timeout=30, auth=secure.auth) as admin:
        api = "/_plugins/_security/api"
        assert admin.put(f"{api}/roles/logs_team", json=LOGS_TEAM).status_code == 201
        assert admin.put(f"{api}/internalusers/bob", json={
            "password": BOB_PASSWORD, "opendistro_security_roles": ["logs_team"]}
        ).status_code == 201
        for index, doc in (("logs-a", {"m": "team"}), ("secret-a", {"m": "secret"}),
                           ("secret-b", {"m": "shared"})):
            assert admin.put(f"/{index}/_doc/1?refresh=true", json=doc).status_code == 201
        assert admin.post("/_aliases", json={"actions": [
            {"add": {"index": "secret-b", "alias": "shared"}}]}).status_code == 200


def client(server: SecureServer, user: str | None = None,
           password: str | None = None) -> httpx.Client:
    auth = None if user is None else server.auth if user == "admin" else (
        user, password or BOB_PASSWORD)
    return httpx.Client(base_url=server.url, timeout=30, auth=auth)


def test_anonymous_requests_are_challenged(secure: SecureServer) -> None:
    with client(secure) as anonymous:
        response = anonymous.get("/_cluster/health?pretty")
        assert response.status_code == 401
        assert response.headers["www-authenticate"].startswith('Basic realm="security"')
        assert response.json() == {"error": {"root_cause": [{
            "type": "security_exception",
            "reason": "missing authentication credentials for REST request "
                      "[/_cluster/health?pretty]"}],
            "type": "security_exception",
            "reason": "missing authentication credentials for REST request "
                      "[/_cluster/health?pretty]"}, "status": 401}
        assert anonymous.post("/logs-a/_search", json={}).status_code == 401
        assert anonymous.get("/_dashboards/api/status").status_code == 401
        # CORS preflights carry no credentials: answered without any
        preflight = anonymous.options("/logs-a/_search", headers={
            "origin": "http://example.test", "access-control-request-method": "POST"})
        assert preflight.status_code == 200


def test_wrong_password_is_401(secure: SecureServer) -> None:
    with client(secure, "bob", "nope") as wrong:
        response = wrong.get("/")
    assert response.status_code == 401
    assert "www-authenticate" in response.headers
    assert response.json()["error"]["reason"] == (
        "unable to authenticate user [bob] for REST request [/]")


def test_cluster_action_needs_a_cluster_permission(secure: SecureServer) -> None:
    with client(secure, "bob") as bob, client(secure, "admin") as admin:
        denied = bob.get("/_cluster/health")
        assert denied.status_code == 403
        assert denied.json()["error"] == {
            "root_cause": [{"type": "security_exception",
                            "reason": f"no permissions for [cluster:monitor/health] and {BOB}"}],
            "type": "security_exception",
            "reason": f"no permissions for [cluster:monitor/health] and {BOB}"}
        assert admin.get("/_cluster/health").status_code == 200
        # an index action no pattern grants is refused before any name is resolved
        assert bob.delete("/logs-a").status_code == 403


def test_index_actions_on_named_indices(secure: SecureServer) -> None:
    with client(secure, "bob") as bob:
        assert bob.get("/logs-a/_search").json()["hits"]["total"]["value"] == 1
        assert bob.get("/logs-a/_doc/1").json()["_source"] == {"m": "team"}
        for path in ("/secret-a/_search", "/secret-a/_doc/1", "/logs-a,secret-a/_count",
                     "/no-such-index/_search"):  # a forbidden name: 403, exists or not
            response = bob.get(path)
            assert response.status_code == 403, path
            assert response.json()["error"]["type"] == "security_exception"
            assert f"and {BOB}" in response.json()["error"]["reason"]
        assert bob.get("/secret-a/_search").json()["error"]["reason"] == (
            f"no permissions for [indices:data/read/search] and {BOB}")
        assert bob.get("/logs-none/_search").status_code == 404  # permitted, missing
        # through an alias the role names
        hits = bob.get("/shared/_search").json()["hits"]["hits"]
        assert [h["_source"] for h in hits] == [{"m": "shared"}]


def test_wildcards_expand_to_permitted_indices_only(secure: SecureServer) -> None:
    with client(secure, "bob") as bob, client(secure, "admin") as admin:
        for path in ("/_search", "/*/_search", "/_all/_search", "/*-a/_search"):
            indices = {h["_index"] for h in bob.get(path).json()["hits"]["hits"]}
            assert "secret-a" not in indices and "logs-a" in indices, path
        assert {h["_index"] for h in admin.get("/_search").json()["hits"]["hits"]} >= {
            "logs-a", "secret-a", "secret-b"}
        listed = bob.get("/_cat/indices?format=json").json()
        assert [row["index"] for row in listed] == ["logs-a"]
        assert bob.get("/_cat/indices/secret-*?format=json").json() == []


def test_bulk_items_are_checked_one_by_one(secure: SecureServer) -> None:
    body = (b'{"index":{"_index":"logs-b","_id":"1"}}\n{"a":1}\n'
            b'{"index":{"_index":"secret-a","_id":"2"}}\n{"a":2}\n'
            b'{"create":{"_index":"drop-new","_id":"3"}}\n{"a":3}\n'
            b'{"delete":{"_index":"logs-a","_id":"nope"}}\n')
    with client(secure, "bob") as bob, client(secure, "admin") as admin:
        response = bob.post("/_bulk?refresh=true", content=body, headers=NDJSON)
        assert response.status_code == 200 and response.json()["errors"] is True
        created, secret, drop, deleted = (next(iter(i.values()))
                                          for i in response.json()["items"])
        assert created["status"] == 201
        assert secret["status"] == 403
        assert secret["error"] == {"type": "security_exception", "reason":
                                   f"no permissions for [indices:data/write/index] and {BOB}"}
        assert drop["error"]["reason"] == (  # may write there, may not create the index
            f"no permissions for [indices:admin/create] and {BOB}")
        assert deleted["status"] == 404
        assert admin.get("/secret-a/_count").json()["count"] == 1
        assert admin.head("/drop-new").status_code == 404
        single = bob.put("/secret-a/_doc/9", json={"a": 9})
        assert single.status_code == 403
        assert single.json()["error"]["reason"] == (
            f"no permissions for [indices:data/write/index] and {BOB}")


def test_ui_session_cookie(secure: SecureServer) -> None:
    with client(secure) as browser:
        page = browser.get("/_dashboards/")
        assert page.status_code == 302
        assert page.headers["location"] == "/_dashboards/login?nextUrl=%2F_dashboards%2F"
        assert browser.get("/_dashboards/login").status_code == 200
        assert browser.get("/_dashboards/public/login.js").status_code == 200
        assert browser.post("/_dashboards/auth/login", json={
            "username": "bob", "password": BOB_PASSWORD}).status_code == 400  # osd-xsrf
        wrong = browser.post("/_dashboards/auth/login", headers={"osd-xsrf": "true"},
                             json={"username": "bob", "password": "nope"})
        assert wrong.status_code == 401 and "set-cookie" not in wrong.headers
        login = browser.post("/_dashboards/auth/login", headers={"osd-xsrf": "true"},
                             json={"username": "bob", "password": BOB_PASSWORD})
        assert login.status_code == 200 and login.json()["username"] == "bob"
        attributes = [a.strip() for a in login.headers["set-cookie"].split(";")]
        name, _, token = attributes[0].partition("=")
        assert name == "security_authentication" and len(token) >= 32
        assert {"HttpOnly", "SameSite=Strict", "Path=/"} <= set(attributes)
        assert "Secure" not in attributes  # plain HTTP here (tests/security/test_edge_tls.py)
        assert BOB_PASSWORD not in login.text
        assert browser.get("/logs-a/_search").status_code == 200  # the cookie authenticates
        assert browser.get("/_cluster/health").status_code == 403  # as bob
        assert browser.get("/_dashboards/api/v1/auth/authinfo").json()["user_name"] == "bob"
        assert browser.get("/_dashboards/").status_code == 200
        logout = browser.post("/_dashboards/auth/logout", headers={"osd-xsrf": "true"})
        assert logout.status_code == 200 and "Max-Age=0" in logout.headers["set-cookie"]
        browser.cookies.set("security_authentication", token)  # the old token: ended
        ended = browser.get("/logs-a/_search")
        assert ended.status_code == 401
        assert "www-authenticate" not in ended.headers  # the UI shows its own login page


def test_api_keys_authenticate_as_their_owner(secure: SecureServer) -> None:
    with client(secure, "bob") as bob, client(secure) as anonymous:
        key = bob.post("/_security/api_key", json={"name": "shipper"}).json()
        headers = {"authorization": f"ApiKey {key['encoded']}"}
        assert anonymous.get("/logs-a/_search", headers=headers).status_code == 200
        denied = anonymous.get("/_cluster/health", headers=headers)
        assert denied.status_code == 403 and f"and {BOB}" in denied.json()["error"]["reason"]
        wrong = base64.b64encode(f"{key['id']}:not-the-key".encode()).decode()
        refused = anonymous.get("/logs-a/_search", headers={"authorization": f"ApiKey {wrong}"})
        assert refused.status_code == 401 and "www-authenticate" in refused.headers
        assert refused.json()["error"]["reason"] == (
            "unable to authenticate with provided credentials and anonymous access is not "
            "allowed for this request")


def test_composite_requests_check_each_item(secure: SecureServer) -> None:
    with client(secure, "bob") as bob:
        body = (b'{"index":"logs-a"}\n{"query":{"match_all":{}}}\n'
                b'{"index":"secret-a"}\n{"query":{"match_all":{}}}\n')
        first, second = bob.post("/_msearch", content=body, headers=NDJSON).json()["responses"]
        assert first["hits"]["total"]["value"] == 1
        assert second["status"] == 403
        assert second["error"]["reason"] == (
            f"no permissions for [indices:data/read/search] and {BOB}")
        docs = bob.post("/_mget", json={"docs": [{"_index": "logs-a", "_id": "1"},
                                                 {"_index": "secret-a", "_id": "1"}]}).json()
        assert docs["docs"][0]["found"] is True
        assert docs["docs"][1]["error"]["type"] == "security_exception"
        resolved = bob.get("/_resolve/index/*").json()
        names = {i["name"] for i in resolved["indices"]}
        assert "logs-a" in names and "secret-a" not in names
        assert "secret-b" in names  # through the alias its role names, as OpenSearch grants
        assert bob.get("/_resolve/index/secret-a").status_code == 403


def test_cluster_actions_naming_indices_are_checked_whole(secure: SecureServer) -> None:
    with client(secure, "admin") as admin:
        api = "/_plugins/_security/api"
        assert admin.put(f"{api}/roles/monitor_only", json={
            "cluster_permissions": ["cluster_monitor"]}).status_code == 201
        assert admin.put(f"{api}/internalusers/mona", json={
            "password": "Mona-Password-1", "opendistro_security_roles": ["monitor_only"]}
        ).status_code == 201
    with client(secure, "mona", "Mona-Password-1") as mona:
        assert mona.get("/_cluster/health/secret-a").json()["status"] == "green"
        assert "secret-a" in mona.get("/_cluster/state/metadata/secret-a").json()[
            "metadata"]["indices"]
        assert mona.get("/secret-a/_search").status_code == 403
