"""Scroll and point-in-time contexts belong to the subject that opened them: another user's
(or another API key's) id is an unknown id, as Elasticsearch answers it; clearing and closing
free only one's own; listing shows one's own and, to who may list PITs on ``*``, all."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from .conftest import SecureServer

API = "/_plugins/_security/api"
#: Readers of ``ctx-*``: search, scroll, points in time (not listing all of them).
READER = {
    "cluster_permissions": ["cluster_composite_ops_ro", "indices:data/read/scroll*"],
    "index_permissions": [{"index_patterns": ["ctx-*"], "allowed_actions": [
        "read", "indices:data/read/point_in_time/create",
        "indices:data/read/point_in_time/delete"]}],
}
USERS = {"ann": "Ann-Password-1", "ben": "Ben-Password-1"}


@pytest.fixture(scope="module")
def users(secure: SecureServer) -> Iterator[dict[str, httpx.Client]]:
    with httpx.Client(base_url=secure.url, timeout=30, auth=secure.auth) as admin:
        assert admin.put(f"{API}/roles/ctx_reader", json=READER).status_code == 201
        for name, password in USERS.items():
            assert admin.put(f"{API}/internalusers/{name}", json={
                "password": password, "opendistro_security_roles": ["ctx_reader"]}
            ).status_code == 201
        assert admin.post("/ctx-a/_bulk?refresh=true", headers={
            "content-type": "application/x-ndjson"}, content=b'{"index":{}}\n{"a":1}\n' * 5
        ).status_code == 200
        clients = {name: httpx.Client(base_url=secure.url, timeout=30, auth=(name, password))
                   for name, password in USERS.items()}
        clients["admin"] = admin
        yield clients
        for client in clients.values():
            client.close()


def missing(response: httpx.Response, context_id: str) -> None:
    """Elasticsearch's answer to an unknown search context."""
    assert response.status_code == 404, response.text
    cause = response.json()["error"]["root_cause"][0]
    assert cause["type"] == "search_context_missing_exception"
    assert cause["reason"] == f"No search context found for id [{context_id}]"


def test_a_scroll_is_its_owners(users: dict[str, httpx.Client]) -> None:
    ann, ben = users["ann"], users["ben"]
    scroll_id = ann.post("/ctx-a/_search?scroll=1m", json={"size": 1}).json()["_scroll_id"]
    missing(ben.post("/_search/scroll", json={"scroll_id": scroll_id, "scroll": "1m"}),
            scroll_id)
    cleared = ben.request("DELETE", "/_search/scroll", json={"scroll_id": [scroll_id]})
    assert cleared.status_code == 404 and cleared.json()["num_freed"] == 0
    # ben's "_all" frees his own scrolls only
    ben.post("/ctx-a/_search?scroll=1m", json={"size": 1})
    assert ben.request("DELETE", "/_search/scroll/_all").json()["num_freed"] == 1
    page = ann.post("/_search/scroll", json={"scroll_id": scroll_id, "scroll": "1m"})
    assert page.status_code == 200 and len(page.json()["hits"]["hits"]) == 1
    # the same user through an API key is another owner (ES compares the key's id)
    key = ann.post("/_security/api_key", json={"name": "ctx"}).json()["encoded"]
    missing(httpx.post(str(ann.base_url) + "/_search/scroll", timeout=30,
                       headers={"authorization": f"ApiKey {key}"},
                       json={"scroll_id": scroll_id}), scroll_id)
    assert ann.request("DELETE", "/_search/scroll",
                       json={"scroll_id": scroll_id}).json()["num_freed"] == 1


def test_a_point_in_time_is_its_owners(users: dict[str, httpx.Client]) -> None:
    ann, ben, admin = users["ann"], users["ben"], users["admin"]
    pit_id = ann.post("/ctx-a/_search/point_in_time?keep_alive=1m").json()["pit_id"]
    denied = ben.post("/_search", json={"pit": {"id": pit_id}})
    missing(denied, pit_id)
    closed = ben.request("DELETE", "/_search/point_in_time", json={"pit_id": [pit_id]})
    assert closed.json()["pits"] == [{"successful": False, "pit_id": pit_id}]
    assert ben.request("DELETE", "/_search/point_in_time/_all").json()["pits"] == []
    assert ben.get("/_search/point_in_time/_all").json()["pits"] == []  # readall on ctx-*
    listed = [p["pit_id"] for p in admin.get("/_search/point_in_time/_all").json()["pits"]]
    assert pit_id in listed  # readall on "*": the administrator sees every PIT
    assert ann.post("/_search", json={"pit": {"id": pit_id}}).json()["hits"]["total"][
        "value"] == 5
    assert ann.request("DELETE", "/_search/point_in_time", json={"pit_id": [pit_id]}).json()[
        "pits"] == [{"successful": True, "pit_id": pit_id}]
