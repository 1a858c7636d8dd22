"""Field-level security beyond documents: the mappings (``_mapping``, ``GET /<index>``,
``_mapping/field``) list no field FLS hides, as OpenSearch's field filter does; and an update
(which reads the whole document) is refused under DLS, FLS or masking, as OpenSearch does."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from .conftest import SecureServer, role_user

MAPPING = {"properties": {
    "public": {"type": "keyword"},
    "secret": {"type": "keyword"},
    "message": {"type": "text", "fields": {"keyword": {"type": "keyword"}}},
    "user": {"properties": {"name": {"type": "keyword"}, "ssn": {"type": "keyword"}}},
    "vault": {"properties": {"code": {"type": "keyword"}}},
}}
#: Reads and writes ``fls-*`` without ``secret``, ``user.ssn`` and ``vault``.
HIDING = {"cluster_permissions": ["cluster_composite_ops"], "index_permissions": [{
    "index_patterns": ["fls-*"], "allowed_actions": ["crud", "indices:admin/mappings/get",
                                                     "indices:admin/get"],
    "fls": ["~secret", "~user.ssn", "~vault"]}]}
#: The same without FLS, only masking: updates are refused too.
MASKING = {"cluster_permissions": ["cluster_composite_ops"], "index_permissions": [{
    "index_patterns": ["fls-*"], "allowed_actions": ["crud"], "masked_fields": ["public"]}]}
DOC = {"public": "p", "secret": "s", "message": "hello", "user": {"name": "n", "ssn": "1"},
       "vault": {"code": "c"}}


@pytest.fixture(scope="module")
def users(secure: SecureServer) -> Iterator[dict[str, httpx.Client]]:
    with httpx.Client(base_url=secure.url, timeout=30, auth=secure.auth) as admin:
        assert admin.put("/fls-a", json={"mappings": MAPPING}).status_code == 200
        assert admin.put("/fls-a/_doc/1?refresh=true", json=DOC).status_code == 201
        clients = {name: role_user(secure, admin, name, role)
                   for name, role in (("hider", HIDING), ("masker", MASKING))}
        clients["admin"] = admin
        yield clients
        for client in clients.values():
            client.close()


SEEN = {"public": {"type": "keyword"},
        "message": {"type": "text", "fields": {"keyword": {"type": "keyword"}}},
        "user": {"properties": {"name": {"type": "keyword"}}}}


def test_mappings_list_only_visible_fields(users: dict[str, httpx.Client]) -> None:
    hider, admin = users["hider"], users["admin"]
    assert hider.get("/fls-a/_mapping").json()["fls-a"]["mappings"]["properties"] == SEEN
    assert hider.get("/fls-a").json()["fls-a"]["mappings"]["properties"] == SEEN
    fields = hider.get("/fls-a/_mapping/field/*").json()["fls-a"]["mappings"]
    assert set(fields) == {"public", "message", "message.keyword", "user.name"}
    assert hider.get("/fls-a/_mapping/field/secret,vault.code").json() == {
        "fls-a": {"mappings": {}}}
    # the administrator, unrestricted, sees them all
    assert admin.get("/fls-a/_mapping").json()["fls-a"]["mappings"] == MAPPING
    assert "secret" in admin.get("/fls-a/_mapping/field/secret").json()["fls-a"]["mappings"]


def test_updates_are_refused_under_field_and_document_rules(
        users: dict[str, httpx.Client]) -> None:
    for name in ("hider", "masker"):
        client = users[name]
        refused = client.post("/fls-a/_update/1?_source=true", json={"doc": {"public": "q"}})
        assert refused.status_code == 500, name
        assert refused.json()["error"]["root_cause"][0] == {
            "type": "security_exception",
            "reason": "Update is not supported when FLS or DLS or Fieldmasking is activated"}
        bulk = client.post("/_bulk", headers={"content-type": "application/x-ndjson"},
                           content=b'{"update":{"_index":"fls-a","_id":"1"}}\n'
                                   b'{"doc":{"public":"q"}}\n')
        assert bulk.json()["items"][0]["update"]["error"]["type"] == "security_exception"
    # whole-document writes are not refused (OpenSearch checks no DLS/FLS on them)
    assert users["hider"].put("/fls-a/_doc/2", json={"public": "new"}).status_code == 201
    assert users["admin"].get("/fls-a/_doc/1").json()["_source"] == DOC
