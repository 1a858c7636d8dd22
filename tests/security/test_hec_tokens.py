"""Splunk HEC tokens through the REST API of a real secure server: created with Splunk's
fields and shown once, listed without the token, changed and deleted by their owner (others'
with ``restapi:admin/hectokens``); ``Authorization: Splunk`` opens no route of today's API."""

from __future__ import annotations

import re
import uuid

import httpx

from conftest import Server

TOKENS = "/_plugins/_security/api/hectokens"
GUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def test_token_lifecycle(admin: httpx.Client) -> None:
    name = unique("web")
    created = admin.put(f"{TOKENS}/{name}", json={
        "index": "web-logs", "indexes": ["web-logs", "web-audit"],
        "description": "nginx forwarders", "sourcetype": "nginx"})
    assert created.status_code == 201, created.text
    token = created.json().pop("token")
    assert GUID.fullmatch(token)
    assert created.json() == {"status": "CREATED", "message": f"'{name}' created.",
                              "token": token}
    got = admin.get(f"{TOKENS}/{name}")
    expected = {"user": "admin", "index": "web-logs", "indexes": ["web-logs", "web-audit"],
                "disabled": False, "description": "nginx forwarders", "source": None,
                "sourcetype": "nginx", "host": None, "useACK": False}
    assert {k: v for k, v in got.json()[name].items() if k != "created"} == expected
    assert token not in admin.get(TOKENS).text and name in admin.get(TOKENS).json()
    updated = admin.put(f"{TOKENS}/{name}", json={"disabled": True})
    assert updated.json() == {"status": "OK", "message": f"'{name}' updated."}
    assert admin.get(f"{TOKENS}/{name}").json()[name]["disabled"] is True
    assert admin.get(f"{TOKENS}/{name}").json()[name]["index"] == "web-logs"
    deleted = admin.delete(f"{TOKENS}/{name}")
    assert deleted.json() == {"status": "OK", "message": f"'{name}' deleted."}
    assert admin.get(f"{TOKENS}/{name}").status_code == 404


def test_fields_are_checked(admin: httpx.Client) -> None:
    outside = admin.put(f"{TOKENS}/{unique('bad')}", json={"index": "a", "indexes": ["b"]})
    assert outside.status_code == 400
    assert "the default index [a] is not one of the allowed indexes" in outside.text
    assert admin.put(f"{TOKENS}/{unique('bad')}", json={"colour": "red"}).status_code == 400
    assert admin.put(f"{TOKENS}/bad name!", json={}).status_code == 400
    assert admin.put(f"{TOKENS}/{unique('bad')}", json={"user": "nobody"}).status_code == 404


def test_users_manage_their_own_tokens(admin: httpx.Client, secure: Server) -> None:
    name = unique("carol")
    assert admin.put(f"/_plugins/_security/api/internalusers/{name}",
                     json={"password": "Carol-Password-1"}).status_code == 201
    theirs, mine = unique("carols"), unique("admins")
    assert admin.put(f"{TOKENS}/{mine}", json={}).status_code == 201
    with httpx.Client(base_url=secure.url, auth=(name, "Carol-Password-1"),
                      timeout=30) as carol:
        assert carol.put(f"{TOKENS}/{theirs}", json={}).status_code == 201
        assert set(carol.get(TOKENS).json()) == {theirs}
        for answer in (carol.get(f"{TOKENS}/{mine}"), carol.delete(f"{TOKENS}/{mine}"),
                       carol.put(f"{TOKENS}/{mine}", json={"disabled": True})):
            assert answer.status_code == 403
            assert answer.json()["error"]["reason"].startswith(
                "no permissions for [restapi:admin/hectokens]")
        assert carol.put(f"{TOKENS}/{unique('x')}", json={"user": "admin"}).status_code == 403
    assert admin.get(f"{TOKENS}/{theirs}").json()[theirs]["user"] == name
    assert admin.put(f"{TOKENS}/{theirs}", json={"user": "admin"}).status_code == 400
    assert admin.delete(f"{TOKENS}/{theirs}").status_code == 200


def test_a_splunk_token_opens_no_route_of_the_rest_api(admin: httpx.Client,
                                                       secure: Server) -> None:
    token = admin.put(f"{TOKENS}/{unique('rest')}", json={}).json()["token"]
    for path in ("/", "/_search", "/_plugins/_security/authinfo", TOKENS):
        answer = httpx.get(secure.url + path, headers={"Authorization": f"Splunk {token}"})
        assert answer.status_code == 401, path
        assert answer.json()["error"]["type"] == "security_exception"
        assert token not in answer.text
