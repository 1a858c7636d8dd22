"""_reindex as a subject: its roles' DLS and FLS narrow what it copies; it needs OpenSearch's
``indices:data/write/reindex``, read on the source and write on the destination."""

from __future__ import annotations

import httpx
import orjson

from .conftest import SecureServer, role_user

DOCS = {str(i): {"owner": "alice" if i % 2 else "bob", "n": i, "secret": f"s{i}"}
        for i in range(6)}
READ_OWN = {"index_patterns": ["rx-src"], "allowed_actions": ["read"],
            "dls": '{"term": {"owner": "${user.name}"}}', "fls": ["~secret"]}


def _load(admin: httpx.Client) -> None:
    lines = b"".join(orjson.dumps({"index": {"_index": "rx-src", "_id": doc_id}}) + b"\n"
                     + orjson.dumps(doc) + b"\n" for doc_id, doc in DOCS.items())
    response = admin.post("/_bulk?refresh=true", content=lines,
                          headers={"content-type": "application/x-ndjson"})
    assert not response.json()["errors"], response.text


def test_a_restricted_subject_copies_only_what_it_sees(secure: SecureServer,
                                                       admin: httpx.Client) -> None:
    _load(admin)
    role = {"cluster_permissions": ["indices:data/write/reindex"], "index_permissions": [
        READ_OWN, {"index_patterns": ["rx-dst*"], "allowed_actions": ["write", "create_index"]}]}
    with role_user(secure, admin, "alice", role) as alice:
        response = alice.post("/_reindex?refresh=true", json={
            "source": {"index": "rx-src"}, "dest": {"index": "rx-dst"}})
        assert response.status_code == 200, response.text
        assert response.json()["created"] == 3
        into_source = alice.post("/_reindex", json={"source": {"index": "rx-dst"},
                                                    "dest": {"index": "rx-src"}})
        assert into_source.status_code == 403, into_source.text
    copied = {h["_id"]: h["_source"] for h in admin.post(
        "/rx-dst/_search", json={"size": 20}).json()["hits"]["hits"]}
    assert copied == {doc_id: {"owner": "alice", "n": doc["n"]}
                      for doc_id, doc in DOCS.items() if doc["owner"] == "alice"}


def test_reindex_needs_its_cluster_action_and_write_on_the_destination(
        secure: SecureServer, admin: httpx.Client) -> None:
    _load(admin)
    reader = {"index_permissions": [{"index_patterns": ["rx-*"], "allowed_actions": ["read"]}]}
    with role_user(secure, admin, "reader", reader) as user:
        refused = user.post("/_reindex", json={"source": {"index": "rx-src"},
                                               "dest": {"index": "rx-other"}})
        assert refused.status_code == 403, refused.text
        assert "indices:data/write/reindex" in refused.json()["error"]["reason"]
    no_write = {"cluster_permissions": ["indices:data/write/reindex"],
                "index_permissions": [{"index_patterns": ["rx-*"], "allowed_actions": ["read"]}]}
    with role_user(secure, admin, "copier", no_write) as user:
        response = user.post("/_reindex", json={"source": {"index": "rx-src"},
                                                "dest": {"index": "rx-other"}})
        assert response.status_code == 403, response.text
        body = response.json()
        assert body["created"] == 0 and body["failures"][0]["status"] == 403
        assert body["failures"][0]["cause"]["type"] == "security_exception"
    assert admin.head("/rx-other").status_code == 404
