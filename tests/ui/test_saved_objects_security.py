"""Who may read and write saved objects with security enabled: as OpenSearch authorizes
Dashboards' requests, by index permissions on ``.kibana`` (``kibana_user`` and
``all_access`` read and write, ``readall`` reads) and Dashboards' read-only mode
(``kibana_read_only``)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from security.conftest import SecureServer

BASE = "/_dashboards/api/saved_objects"
XSRF = {"osd-xsrf": "true"}
NDJSON = b'{"type":"search","id":"imported","attributes":{"title":"Imported"}}\n'


@pytest.fixture(scope="module")
def secure(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SecureServer]:
    instance = SecureServer(tmp_path_factory.mktemp("secure-objects") / "data").start()
    yield instance
    instance.stop()


def user(server: SecureServer, name: str, roles: list[str]) -> httpx.Client:
    """An internal user holding ``roles`` (created by the admin)."""
    password = f"{name.title()}-Password-1"
    with httpx.Client(base_url=server.url, auth=server.auth, timeout=30) as admin:
        made = admin.put(f"/_plugins/_security/api/internalusers/{name}", json={
            "password": password, "opendistro_security_roles": roles})
        assert made.status_code in (200, 201), made.text
    return httpx.Client(base_url=server.url, auth=(name, password), timeout=30)


def writes(client: httpx.Client, id_: str) -> list[httpx.Response]:
    """Each kind of write: create, update, import, bulk create, delete."""
    return [
        client.post(f"{BASE}/search/{id_}", headers=XSRF, json={"attributes": {"title": id_}}),
        client.put(f"{BASE}/search/shared", headers=XSRF,
                   json={"attributes": {"description": f"by {id_}"}}),
        client.post(f"{BASE}/_import", headers=XSRF, params={"overwrite": "true"},
                    files={"file": ("export.ndjson", NDJSON, "application/octet-stream")}),
        client.post(f"{BASE}/_bulk_create", headers=XSRF, params={"overwrite": "true"},
                    json=[{"type": "search", "id": f"{id_}-bulk", "attributes": {}}]),
        client.delete(f"{BASE}/search/{id_}", headers=XSRF),
    ]


def reads(client: httpx.Client) -> list[httpx.Response]:
    return [
        client.get(f"{BASE}/search/shared"),
        client.get(f"{BASE}/_find", params={"type": "search"}),
        client.post(f"{BASE}/_bulk_get", headers=XSRF, json=[{"type": "search", "id": "shared"}]),
        client.post(f"{BASE}/_export", headers=XSRF, json={"type": "search"}),
    ]


def test_roles_read_and_write_as_opensearch_decides(secure: SecureServer) -> None:
    with httpx.Client(base_url=secure.url, auth=secure.auth, timeout=30) as admin:
        made = admin.post(f"{BASE}/search/shared", headers=XSRF,
                          json={"attributes": {"title": "Shared"}})
        assert made.status_code == 200, made.text
        assert all(r.status_code == 200 for r in writes(admin, "by-admin")), "all_access"

    with user(secure, "kuser", ["kibana_user"]) as kuser:
        assert [r.status_code for r in reads(kuser)] == [200] * 4
        assert [r.status_code for r in writes(kuser, "by-kuser")] == [200] * 5

    for name, roles in (("reader", ["readall"]),
                        ("viewer", ["kibana_user", "kibana_read_only"])):
        with user(secure, name, roles) as client:
            assert [r.status_code for r in reads(client)] == [200] * 4, name
            refused = writes(client, f"by-{name}")
            assert [r.status_code for r in refused] == [403] * 5, name
            body = refused[0].json()
            assert body["statusCode"] == 403 and body["error"] == "Forbidden"
            assert body["message"].startswith("no permissions for [indices:data/write/index] "
                                              f"and User [name={name}")
            assert refused[-1].json()["message"].startswith(
                "no permissions for [indices:data/write/delete]")
            assert client.get(f"{BASE}/search/by-{name}").status_code == 404

    with httpx.Client(base_url=secure.url, auth=secure.auth, timeout=30) as admin:
        made = admin.put("/_plugins/_security/api/roles/logs_reader", json={
            "index_permissions": [{"index_patterns": ["logs-*"],
                                   "allowed_actions": ["read"]}]})
        assert made.status_code in (200, 201), made.text
    with user(secure, "logs", ["logs_reader"]) as logs:
        denied = logs.get(f"{BASE}/search/shared")
        assert denied.status_code == 403
        assert denied.json()["message"].startswith(
            "no permissions for [indices:data/read/get] and User [name=logs")
        assert logs.get(f"{BASE}/_find", params={"type": "search"}).status_code == 403

    anonymous = httpx.get(f"{secure.url}{BASE}/search/shared", timeout=30)
    assert anonymous.status_code == 401
    assert anonymous.json()["statusCode"] == 401
    assert anonymous.json()["error"] == "Unauthorized"
