"""Index names reached by the admin and by-query APIs over patterns are checked one by one:
``_refresh``/``_flush`` over ``*``, ``_open``/``_close`` on a pattern, ``_delete_by_query``
on a pattern see only the permitted indices; a forbidden name is a 403; aliases an index
template adds when an index is created need ``indices:admin/aliases`` on them."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from .conftest import SecureServer

API = "/_plugins/_security/api"
#: Everything on ``team-*`` (creating indices too), nothing elsewhere.
TEAM = {"cluster_permissions": ["cluster_composite_ops"], "index_permissions": [{
    "index_patterns": ["team-*"], "allowed_actions": ["indices_all"]}]}
PASSWORD = "Tess-Password-1"


@pytest.fixture(scope="module")
def clients(secure: SecureServer) -> Iterator[tuple[httpx.Client, httpx.Client]]:
    with httpx.Client(base_url=secure.url, timeout=30, auth=secure.auth) as admin, \
            httpx.Client(base_url=secure.url, timeout=30, auth=("tess", PASSWORD)) as tess:
        assert admin.put(f"{API}/roles/team", json=TEAM).status_code == 201
        assert admin.put(f"{API}/internalusers/tess", json={
            "password": PASSWORD, "opendistro_security_roles": ["team"]}).status_code == 201
        for index in ("team-a", "other-a"):
            assert admin.put(f"/{index}/_doc/1?refresh=true", json={"n": 1}).status_code == 201
        yield admin, tess


def test_refresh_flush_and_by_query_over_patterns(
        clients: tuple[httpx.Client, httpx.Client]) -> None:
    admin, tess = clients
    for action in ("_refresh", "_flush"):
        one = admin.post(f"/team-a/{action}").json()["_shards"]["total"]
        assert admin.post(f"/{action}").json()["_shards"]["total"] > one
        for path in (f"/{action}", f"/*/{action}"):
            response = tess.post(path)
            assert response.status_code == 200, path
            assert response.json()["_shards"]["total"] == one, path  # team-a only
    assert tess.post("/other-a/_refresh").status_code == 403
    deleted = tess.post("/*-a/_delete_by_query?refresh=true",
                        json={"query": {"match_all": {}}})
    assert deleted.status_code == 200 and deleted.json()["deleted"] == 1
    assert admin.get("/other-a/_count").json()["count"] == 1
    assert tess.post("/other-a/_delete_by_query",
                     json={"query": {"match_all": {}}}).status_code == 403


def test_open_and_close_on_patterns(clients: tuple[httpx.Client, httpx.Client]) -> None:
    admin, tess = clients
    closed = tess.post("/*-a/_close")
    assert closed.status_code == 200
    assert set(closed.json().get("indices", {})) <= {"team-a"}
    states = {i["index"]: i["status"] for i in admin.get("/_cat/indices?format=json").json()}
    assert states["team-a"] == "close" and states["other-a"] == "open"
    assert tess.post("/other-a/_close").status_code == 403
    assert tess.post("/*-a/_open").status_code == 200
    states = {i["index"]: i["status"] for i in admin.get("/_cat/indices?format=json").json()}
    assert states["team-a"] == "open"


def test_template_aliases_need_the_alias_permission(
        clients: tuple[httpx.Client, httpx.Client]) -> None:
    admin, tess = clients
    assert admin.put("/_index_template/team-aliased", json={
        "index_patterns": ["team-aliased-*"],
        "template": {"aliases": {"everyone": {}, "team-all": {}}}}).status_code == 200
    refused = tess.put("/team-aliased-1/_doc/1", json={"n": 1})
    assert refused.status_code == 403
    assert refused.json()["error"]["reason"].startswith(
        "no permissions for [indices:admin/aliases] and User [name=tess")
    assert admin.head("/team-aliased-1").status_code == 404  # nothing was created
    assert tess.put("/team-aliased-2").status_code == 403
    # with the alias in reach, the same template works
    assert admin.put("/_index_template/team-aliased", json={
        "index_patterns": ["team-aliased-*"],
        "template": {"aliases": {"team-all": {}}}}).status_code == 200
    assert tess.put("/team-aliased-3/_doc/1", json={"n": 1}).status_code == 201
    assert tess.get("/team-all/_count").status_code == 200
