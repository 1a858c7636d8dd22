"""The security REST APIs over HTTP against a real secure server: OpenSearch's internal
users, roles, role mappings and action groups (PUT/GET/DELETE/PATCH), account, health and
authinfo; Elasticsearch's API keys and _authenticate."""

from __future__ import annotations

import base64
import uuid

import httpx

from conftest import Server

API = "/_plugins/_security/api"


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def client_as(server: Server, user: str, password: str) -> httpx.Client:
    return httpx.Client(base_url=server.url, auth=(user, password), timeout=30)


def test_user_lifecycle(admin: httpx.Client, secure: Server) -> None:
    name = unique("bob")
    created = admin.put(f"{API}/internalusers/{name}",
                        json={"password": "Bob-Password-1", "backend_roles": ["dev"],
                              "attributes": {"team": "web"}})
    assert created.status_code == 201
    assert created.json() == {"status": "CREATED", "message": f"'{name}' created."}
    got = admin.get(f"{API}/internalusers/{name}")
    assert got.status_code == 200
    assert got.json() == {name: {"hash": "", "reserved": False, "hidden": False,
                                 "backend_roles": ["dev"], "attributes": {"team": "web"},
                                 "opendistro_security_roles": [], "static": False}}
    assert "Bob-Password-1" not in admin.get(f"{API}/internalusers").text
    with client_as(secure, name, "Bob-Password-1") as bob:
        info = bob.get("/_plugins/_security/authinfo").json()
        assert info["user_name"] == name and info["backend_roles"] == ["dev"]
        assert info["custom_attribute_names"] == ["team"]
        assert info["user"] == f"User [name={name}, backend_roles=[dev], requestedTenant=null]"
        assert info["remote_address"].startswith("127.0.0.1:")
    updated = admin.put(f"{API}/internalusers/{name}", json={"backend_roles": ["ops"]})
    assert updated.json() == {"status": "OK", "message": f"'{name}' updated."}
    with client_as(secure, name, "Bob-Password-1") as bob:  # the password was kept
        assert bob.get("/_plugins/_security/authinfo").json()["backend_roles"] == ["ops"]
    deleted = admin.delete(f"{API}/internalusers/{name}")
    assert deleted.json() == {"status": "OK", "message": f"'{name}' deleted."}
    missing = admin.get(f"{API}/internalusers/{name}")
    assert missing.status_code == 404
    assert missing.json() == {"status": "NOT_FOUND", "message": f"user '{name}' not found."}
    with client_as(secure, name, "Bob-Password-1") as bob:
        assert bob.get("/_plugins/_security/authinfo").status_code == 401


def test_user_validation(admin: httpx.Client) -> None:
    name = unique("carol")
    no_password = admin.put(f"{API}/internalusers/{name}", json={"backend_roles": []})
    assert no_password.status_code == 400
    assert no_password.json()["message"] == ("Please specify either 'hash' or 'password' when "
                                             "creating a new internal user.")
    bad_key = admin.put(f"{API}/internalusers/{name}", json={"password": "x", "rolez": []})
    assert bad_key.status_code == 400
    assert bad_key.json() == {"status": "error", "reason": "Invalid configuration",
                              "invalid_keys": {"keys": "rolez"}}
    bad_type = admin.put(f"{API}/internalusers/{name}", json={"password": "x",
                                                              "backend_roles": "dev"})
    assert bad_type.json() == {"status": "error", "reason": "Wrong datatype",
                               "backend_roles": "Array expected"}
    unknown_role = admin.put(f"{API}/internalusers/{name}",
                             json={"password": "x", "opendistro_security_roles": ["nope"]})
    assert unknown_role.status_code == 404
    assert unknown_role.json()["message"] == "role 'nope' not found."
    colon = admin.put(f"{API}/internalusers/a:b", json={"password": "x"})
    assert colon.status_code == 400
    not_json = admin.put(f"{API}/internalusers/{name}", content=b"{nope",
                         headers={"content-type": "application/json"})
    assert not_json.json() == {"status": "error",
                               "reason": "Could not parse content of request."}


def test_static_and_reserved_entities_refused(admin: httpx.Client) -> None:
    static = admin.put(f"{API}/roles/all_access", json={"cluster_permissions": ["*"]})
    assert static.status_code == 403
    assert static.json() == {"status": "FORBIDDEN", "message": "Resource 'all_access' is static."}
    reserved = admin.delete(f"{API}/roles/alerting_full_access")
    assert reserved.status_code == 403
    assert reserved.json()["message"] == "Resource 'alerting_full_access' is reserved."
    patched = admin.patch(f"{API}/actiongroups/read",
                          json=[{"op": "add", "path": "/description", "value": "x"}])
    assert patched.status_code == 403
    roles = admin.get(f"{API}/roles").json()
    assert roles["all_access"]["static"] is True
    assert roles["alerting_full_access"]["reserved"] is True


def test_role_mapping_and_permissions(admin: httpx.Client, secure: Server) -> None:
    user, role = unique("dana"), unique("logs_reader")
    index = unique("logs")
    admin.put(f"/{index}/_doc/1?refresh=true", json={"msg": "hello"}).raise_for_status()
    body = {"cluster_permissions": ["cluster_composite_ops_ro"],
            "index_permissions": [{"index_patterns": ["logs-*"],
                                   "allowed_actions": ["read"]}]}
    assert admin.put(f"{API}/roles/{role}", json=body).status_code == 201
    stored = admin.get(f"{API}/roles/{role}").json()[role]
    assert stored["index_permissions"][0]["index_patterns"] == ["logs-*"]
    assert admin.put(f"{API}/internalusers/{user}",
                     json={"password": "Dana-Password-1", "backend_roles": ["readers"]}
                     ).status_code == 201
    with client_as(secure, user, "Dana-Password-1") as dana:
        assert dana.get(f"/{index}/_search").status_code == 403
        mapping = admin.put(f"{API}/rolesmapping/{role}", json={"backend_roles": ["readers"]})
        assert mapping.status_code == 201
        # The mapping holds from the next request on.
        assert dana.get(f"/{index}/_search").status_code == 200
        assert role in dana.get("/_plugins/_security/authinfo").json()["roles"]
        assert dana.put(f"/{index}/_doc/2", json={"msg": "no"}).status_code == 403
        # dana may not administer security.
        assert dana.get(f"{API}/internalusers").status_code == 403
    missing_role = admin.put(f"{API}/rolesmapping/{unique('nope')}", json={"users": ["x"]})
    assert missing_role.status_code == 404
    empty = admin.put(f"{API}/rolesmapping/{role}", json={"description": "x"})
    assert empty.status_code == 400
    assert empty.json()["specify_one_of"]["keys"] == "and_backend_roles,backend_roles,hosts,users"


def test_patch_one_entity_and_the_collection(admin: httpx.Client, secure: Server) -> None:
    first, second = unique("erin"), unique("frank")
    admin.put(f"{API}/internalusers/{first}", json={"password": "Erin-Password-1"})
    one = admin.patch(f"{API}/internalusers/{first}",
                      json=[{"op": "add", "path": "/backend_roles", "value": ["a", "b"]}])
    assert one.json() == {"status": "OK", "message": f"'{first}' updated."}
    assert admin.get(f"{API}/internalusers/{first}").json()[first]["backend_roles"] == ["a", "b"]
    many = admin.patch(f"{API}/internalusers", json=[
        {"op": "add", "path": f"/{second}", "value": {"password": "Frank-Password-1"}},
        {"op": "remove", "path": f"/{first}"}])
    assert many.json() == {"status": "OK", "message": "Resource updated."}
    users = admin.get(f"{API}/internalusers").json()
    assert second in users and first not in users
    with client_as(secure, second, "Frank-Password-1") as frank:
        assert frank.get("/_plugins/_security/authinfo").status_code == 200
    nothing = admin.patch(f"{API}/internalusers", json=[
        {"op": "replace", "path": f"/{second}/backend_roles", "value": []}])
    assert nothing.json() == {"status": "OK", "message": "No updates required"}
    wrong_op = admin.patch(f"{API}/internalusers/{second}",
                           json=[{"op": "move", "from": "/a", "path": "/b"}])
    assert wrong_op.status_code == 400
    assert wrong_op.json()["message"].startswith("Unsupported patch operation: move.")
    not_a_list = admin.patch(f"{API}/internalusers/{second}", json={"op": "add"})
    assert not_a_list.json() == {"status": "BAD_REQUEST", "message": "Wrong request body"}
    bad_path = admin.patch(f"{API}/internalusers/{second}",
                           json=[{"op": "remove", "path": "/nope"}])
    assert bad_path.status_code == 400 and bad_path.json()["status"] == "BAD_REQUEST"


def test_action_groups(admin: httpx.Client) -> None:
    name = unique("my_group")
    created = admin.put(f"{API}/actiongroups/{name}",
                        json={"allowed_actions": ["indices:data/read/*"], "type": "index"})
    assert created.status_code == 201
    assert admin.get(f"{API}/actiongroups/{name}").json()[name]["type"] == "index"
    itself = admin.put(f"{API}/actiongroups/{name}", json={"allowed_actions": [name]})
    assert itself.json()["message"] == f"{name} cannot be an allowed_action of itself"
    bad_type = admin.put(f"{API}/actiongroups/{name}", json={"allowed_actions": [],
                                                             "type": "tenant"})
    assert bad_type.json()["message"] == ("Invalid action group type: tenant. Supported types "
                                          "are: cluster, index.")
    assert admin.delete(f"{API}/actiongroups/{name}").status_code == 200


def test_account_password_change(admin: httpx.Client, secure: Server) -> None:
    name = unique("gina")
    admin.put(f"{API}/internalusers/{name}", json={"password": "Gina-Password-1"})
    with client_as(secure, name, "Gina-Password-1") as gina:
        account = gina.get(f"{API}/account").json()
        assert account["user_name"] == name and account["is_internal_user"] is True
        wrong = gina.put(f"{API}/account", json={"current_password": "nope",
                                                 "password": "Gina-Password-2"})
        assert wrong.status_code == 400
        assert wrong.json()["message"] == "Could not validate your current password."
        missing = gina.put(f"{API}/account", json={"password": "Gina-Password-2"})
        assert missing.json()["missing_mandatory_keys"] == {"keys": "current_password"}
        changed = gina.put(f"{API}/account", json={"current_password": "Gina-Password-1",
                                                   "password": "Gina-Password-2"})
        assert changed.json() == {"status": "OK", "message": f"'{name}' updated."}
        assert gina.get(f"{API}/account").status_code == 401
    with client_as(secure, name, "Gina-Password-2") as gina:
        assert gina.get(f"{API}/account").status_code == 200


def test_health_and_opendistro_aliases(admin: httpx.Client, secure: Server) -> None:
    assert httpx.get(secure.url + "/_plugins/_security/health").json() == {
        "message": None, "mode": "strict", "status": "UP"}
    legacy = admin.get("/_opendistro/_security/api/internalusers/admin")
    assert legacy.json()["admin"]["hash"] == ""
    assert admin.get("/_opendistro/_security/authinfo").json()["user_name"] == "admin"


def test_api_keys(admin: httpx.Client, secure: Server) -> None:
    index = unique("keys")
    admin.put(f"/{index}/_doc/1?refresh=true", json={"msg": "hi"}).raise_for_status()
    created = admin.post("/_security/api_key", json={
        "name": "reader", "expiration": "1d",
        "role_descriptors": {"r": {"indices": [{"names": [index], "privileges": ["read"]}]}}})
    assert created.status_code == 200
    key = created.json()
    assert set(key) == {"id", "name", "expiration", "api_key", "encoded"}
    assert base64.b64decode(key["encoded"]).decode() == f"{key['id']}:{key['api_key']}"
    headers = {"Authorization": f"ApiKey {key['encoded']}"}
    with httpx.Client(base_url=secure.url, headers=headers, timeout=30) as by_key:
        assert by_key.get(f"/{index}/_search").status_code == 200
        # Restricted by its role descriptor although its owner is all_access.
        assert by_key.put(f"/{index}/_doc/2", json={"msg": "no"}).status_code == 403
        who = by_key.get("/_security/_authenticate").json()
        assert who["username"] == "admin" and who["authentication_type"] == "api_key"
        assert who["api_key"] == {"id": key["id"], "name": "reader"}
    listed = admin.get("/_security/api_key", params={"id": key["id"]}).json()["api_keys"]
    assert len(listed) == 1 and listed[0]["name"] == "reader"
    assert listed[0]["username"] == "admin" and listed[0]["invalidated"] is False
    assert key["api_key"] not in admin.get("/_security/api_key").text
    invalidated = admin.request("DELETE", "/_security/api_key", json={"ids": [key["id"]]})
    assert invalidated.json() == {"invalidated_api_keys": [key["id"]],
                                  "previously_invalidated_api_keys": [], "error_count": 0}
    again = admin.request("DELETE", "/_security/api_key", json={"ids": [key["id"]]})
    assert again.json()["previously_invalidated_api_keys"] == [key["id"]]
    with httpx.Client(base_url=secure.url, headers=headers, timeout=30) as by_key:
        assert by_key.get(f"/{index}/_search").status_code == 401
    wrong = base64.b64encode(f"{key['id']}:wrong".encode()).decode()
    assert httpx.get(secure.url + "/", headers={"Authorization": f"ApiKey {wrong}"}
                     ).status_code == 401


def test_api_key_errors_and_ownership(admin: httpx.Client, secure: Server) -> None:
    nameless = admin.post("/_security/api_key", json={})
    assert nameless.status_code == 400
    assert nameless.json()["error"]["reason"] == ("Validation Failed: 1: api key name is "
                                                 "required;")
    unscoped = admin.request("DELETE", "/_security/api_key", json={})
    assert unscoped.json()["error"]["type"] == "action_request_validation_exception"
    both = admin.get("/_security/api_key", params={"id": "a", "name": "b"})
    assert both.json()["error"]["reason"] == ("Validation Failed: 1: only one of [api key id, "
                                             "api key name] can be specified;")
    user = unique("hank")
    admin.put(f"{API}/internalusers/{user}", json={"password": "Hank-Password-1"})
    admin_key = admin.post("/_security/api_key", json={"name": "admins"}).json()
    with client_as(secure, user, "Hank-Password-1") as hank:
        own = hank.post("/_security/api_key", json={"name": "mine"}).json()
        seen = {k["id"] for k in hank.get("/_security/api_key").json()["api_keys"]}
        assert seen == {own["id"]}  # only their own keys
        refused = hank.request("DELETE", "/_security/api_key", json={"ids": [admin_key["id"]]})
        assert refused.json()["invalidated_api_keys"] == []
    everyone = {k["id"] for k in admin.get("/_security/api_key").json()["api_keys"]}
    assert {own["id"], admin_key["id"]} <= everyone


def test_authenticate_as_user(admin: httpx.Client) -> None:
    who = admin.get("/_security/_authenticate").json()
    assert who["username"] == "admin" and "all_access" in who["roles"]
    assert who["authentication_type"] == "realm"
