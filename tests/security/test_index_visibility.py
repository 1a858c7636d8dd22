"""Multi-index and pattern requests show a user only the indices its roles grant, over HTTP:
no listing, statistic, mapping, setting, alias or search over ``*`` names a forbidden index,
its aliases, its fields or its documents; and a count under DLS counts what a search finds."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from .conftest import SecureServer

API = "/_plugins/_security/api"
PASSWORD = "Visible-Password-1"
NDJSON = {"content-type": "application/x-ndjson"}
#: Everything of the forbidden index carries this word: its name, alias, field and values.
VAULT = "vault"
TEAM = {"cluster_permissions": ["cluster_composite_ops_ro"],
        "index_permissions": [{"index_patterns": ["team-*"],
                               "allowed_actions": ["indices_all"]}]}
#: Reads of ``team-*`` with DLS: only the documents of kind ``public``.
PUBLIC_ONLY = {"cluster_permissions": ["cluster_composite_ops_ro"],
               "index_permissions": [{"index_patterns": ["team-*"],
                                      "allowed_actions": ["read", "indices:monitor/*"],
                                      "dls": '{"term": {"kind": "public"}}'}]}


@pytest.fixture(scope="module")
def tess(secure: SecureServer) -> Iterator[httpx.Client]:
    """The user of ``team-*``; the admin made ``team-a``, ``vault-x`` and aliases of both."""
    with httpx.Client(base_url=secure.url, auth=secure.auth, timeout=30) as admin:
        for name, role in (("team", TEAM), ("public_only", PUBLIC_ONLY)):
            assert admin.put(f"{API}/roles/{name}", json=role).status_code == 201
        for name, role in (("tess", "team"), ("pia", "public_only")):
            assert admin.put(f"{API}/internalusers/{name}", json={
                "password": PASSWORD, "opendistro_security_roles": [role]}).status_code == 201
        docs = (b'{"index":{"_index":"team-a","_id":"1"}}\n{"kind":"public","m":"team"}\n'
                b'{"index":{"_index":"team-a","_id":"2"}}\n{"kind":"internal","m":"team"}\n'
                b'{"index":{"_index":"vault-x","_id":"1"}}\n'
                b'{"vault_field":"vault value","kind":"public"}\n')
        bulk = admin.post("/_bulk?refresh=true", content=docs, headers=NDJSON)
        assert bulk.status_code == 200 and not bulk.json()["errors"]
        assert admin.post("/_aliases", json={"actions": [
            {"add": {"index": "vault-x", "alias": "vault-alias"}},
            {"add": {"index": "team-a", "alias": "team-alias"}},
            {"add": {"index": "vault-x", "alias": "mixed"}},
            {"add": {"index": "team-a", "alias": "mixed"}}]}).status_code == 200
    with httpx.Client(base_url=secure.url, auth=("tess", PASSWORD), timeout=30) as client:
        yield client


LISTINGS = [
    "/_search?q=*", "/*/_search", "/_all/_search", "/team-*,vault-*/_search", "/_count",
    "/*/_count", "/_cat/indices", "/_cat/indices?format=json&expand_wildcards=all",
    "/_cat/indices/*", "/_cat/aliases", "/_cat/aliases?format=json", "/_cat/aliases/*",
    "/_cat/shards", "/_cat/segments", "/_cat/count", "/_cat/count/*", "/_stats",
    "/_stats/docs", "/*/_stats", "/_mapping", "/*/_mapping", "/_mapping/field/*",
    "/*/_mapping/field/*", "/_settings", "/*/_settings", "/_settings/index.number_*",
    "/_alias", "/_aliases", "/_alias/*", "/*/_alias", "/*/_alias/*", "/team-a/_alias",
    "/_resolve/index/*", "/_resolve/index/*?expand_wildcards=all", "/_field_caps?fields=*",
    "/*/_field_caps?fields=*", "/*", "/_validate/query?explain=true&q=*",
    "/_refresh", "/*/_flush",
]


@pytest.mark.parametrize("path", LISTINGS)
def test_pattern_requests_do_not_name_forbidden_indices(tess: httpx.Client, path: str) -> None:
    response = tess.get(path) if "_refresh" not in path and "_flush" not in path \
        else tess.post(path)
    assert response.status_code == 200, (path, response.text)
    assert VAULT not in response.text, (path, response.text)
    assert "mixed" not in response.text or "team-a" in response.text


def test_search_over_a_pattern_finds_the_permitted_documents(tess: httpx.Client) -> None:
    hits = tess.get("/*/_search").json()["hits"]["hits"]
    assert sorted((h["_index"], h["_id"]) for h in hits) == [("team-a", "1"), ("team-a", "2")]
    responses = tess.post("/_msearch", content=b'{"index":"*"}\n{}\n',
                          headers=NDJSON).json()["responses"]
    assert responses[0]["hits"]["total"]["value"] == 2


def test_an_alias_over_a_forbidden_index_lists_only_permitted_members(
        tess: httpx.Client) -> None:
    aliases = tess.get("/team-a/_alias").json()
    assert aliases == {"team-a": {"aliases": {"mixed": {}, "team-alias": {}}}}
    # an alias name selects among the permitted indices' aliases
    assert tess.get("/_alias/mixed").json() == {"team-a": {"aliases": {"mixed": {}}}}
    assert tess.get("/_alias/vault-*").json() == {}
    assert tess.get("/_cat/aliases/mixed?format=json").json() == [
        {"alias": "mixed", "index": "team-a", "filter": "-", "routing.index": "-",
         "routing.search": "-", "is_write_index": "-"}]


def test_cluster_state_needs_its_cluster_permission(tess: httpx.Client) -> None:
    """``_cluster/state`` is a cluster action, answered whole (OpenSearch): refused here."""
    for path in ("/_cluster/state/metadata", "/_cluster/state/metadata/*"):
        denied = tess.get(path)
        assert denied.status_code == 403
        assert VAULT not in denied.text


def test_cat_count_under_dls_counts_what_a_search_finds(secure: SecureServer) -> None:
    with httpx.Client(base_url=secure.url, auth=("pia", PASSWORD), timeout=30) as pia:
        searched = pia.get("/team-a/_search").json()["hits"]["total"]["value"]
        counted = pia.get("/team-a/_count").json()["count"]
        cat = pia.get("/_cat/count/team-a?format=json").json()
        every = pia.get("/_cat/count?format=json").json()
    assert searched == counted == 1
    assert int(cat[0]["count"]) == int(every[0]["count"]) == 1
