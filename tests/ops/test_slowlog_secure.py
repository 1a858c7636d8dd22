"""The slow and error logs of a secure server: entries name the authenticated user, and no
credential (a password, an ``Authorization`` header, an API key, a session cookie) reaches
any log file or log index."""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Iterator

import httpx
import pytest

from conftest import wait_for
from security.conftest import SecureServer, role_user

SECRETS = {"wrong_password": "Wr0ngPassw0rd-LOGS1", "api_key": "ApiKeySecret-LOGS2",
           "cookie": "CookieSecret-LOGS3", "new_user": "NewUserPassw0rd-LOGS4"}
ZERO = {"index.search.slowlog.threshold.query.warn": "0ms",
        "index.indexing.slowlog.threshold.index.warn": "0ms"}


@pytest.fixture(scope="module")
def secure(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SecureServer]:
    instance = SecureServer(tmp_path_factory.mktemp("secure-logs") / "data").start()
    yield instance
    instance.stop()


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def logged(server: SecureServer, kind: str, opaque_id: str) -> list[dict]:
    path = server.data_dir / "logs" / f"loghaven_{kind}.json"
    return wait_for(lambda: path.exists() and [
        e for e in map(json.loads, path.read_text().splitlines())
        if e.get("x_opaque_id") == opaque_id], what=f"{kind} entries")


def test_entries_name_the_user_and_no_secret_is_logged(secure: SecureServer) -> None:
    tag = uuid.uuid4().hex
    with httpx.Client(base_url=secure.url, auth=secure.auth, timeout=30) as admin:
        assert admin.put("/secure-app", json={"settings": ZERO}).status_code == 200
        writer = role_user(secure, admin, "writer", {"index_permissions": [{
            "index_patterns": ["secure-*"], "allowed_actions": ["read", "write"]}]})
        with writer:
            assert writer.put("/secure-app/_doc/1?refresh=true", json={"msg": "hello"},
                              headers={"X-Opaque-Id": tag}).status_code == 201
            assert writer.post("/secure-app/_search", json={"query": {"match_all": {}}},
                               headers={"X-Opaque-Id": tag}).status_code == 200
        # requests carrying secrets: refused logins, a new user's password
        headers = {"X-Opaque-Id": tag}
        assert httpx.get(secure.url + "/secure-app/_search", timeout=30, headers={
            **headers, "Authorization": basic("admin", SECRETS["wrong_password"])}
        ).status_code == 401
        key = base64.b64encode(f"key-1:{SECRETS['api_key']}".encode()).decode()
        assert httpx.get(secure.url + "/secure-app/_search", timeout=30, headers={
            **headers, "Authorization": f"ApiKey {key}"}).status_code == 401
        assert httpx.get(secure.url + "/secure-app/_search", timeout=30, headers={
            **headers, "Cookie": f"security_authentication={SECRETS['cookie']}"}
        ).status_code == 401
        assert admin.put("/_plugins/_security/api/internalusers/erin", headers=headers,
                         json={"password": SECRETS["new_user"]}).status_code == 201
        assert admin.post("/secure-app/_search", headers={"X-Opaque-Id": tag + "-admin"},
                          json={"size": 1}).status_code == 200

    (searched,) = logged(secure, "index_search_slowlog", tag)
    assert (searched["user"], searched["client.address"]) == ("writer", "127.0.0.1")
    (indexed,) = logged(secure, "index_indexing_slowlog", tag)
    assert (indexed["user"], indexed["id"]) == ("writer", "1")
    (by_admin,) = logged(secure, "index_search_slowlog", tag + "-admin")
    assert by_admin["user"] == "admin"

    # the entries are in the log indices too, which hold other indices' documents: read by
    # a role that names them, not through the admin's grant on *; no secret anywhere
    with httpx.Client(base_url=secure.url, auth=secure.auth, timeout=30) as admin, \
            role_user(secure, admin, "logreader", {"index_permissions": [{
                "index_patterns": [".loghaven-logs-*"], "allowed_actions": ["read"]}]}
                      ) as reader:
        def everything(client: httpx.Client) -> list[dict]:
            return client.post("/.loghaven-logs-*/_search", params={
                "expand_wildcards": "all"}, json={"size": 1000}).json()["hits"]["hits"]

        hits = wait_for(lambda: len([h for h in everything(reader)
                                     if h["_source"].get("x_opaque_id", "").startswith(tag)])
                        >= 3 and everything(reader))
        assert everything(admin) == []
        day = hits[0]["_index"]
        assert admin.post(f"/{day}/_doc", json={"message": "forged"}).status_code == 403
        assert reader.post(f"/{day}/_doc", json={"message": "forged"}).status_code == 403
    texts = [path.read_text() for path in (secure.data_dir / "logs").iterdir()]
    texts.append(json.dumps(hits))
    for text in texts:
        for secret in (*SECRETS.values(), secure.auth[1], "Writer-Password-1",
                       basic("writer", "Writer-Password-1").split()[1]):
            assert secret not in text
