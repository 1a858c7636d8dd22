"""Document- and field-level security over HTTP, with roles stored through the security REST
API: what a restricted user sees equals what the admin sees for the same request with the
role's DLS query as a filter and its FLS as source filtering (masked values as their hash).
Some requests go through opensearch-py with ``http_auth``, as users send them."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import Any

import httpx
import orjson
import pytest
from opensearchpy import NotFoundError, OpenSearch

from .conftest import SecureServer

API = "/_plugins/_security/api"
PASSWORD = "Dls-Password-1"
INDEX = "dls-logs"
SALT = b"e1ukloTsQlOgPquJ"  # OpenSearch's default plugins.security.compliance.salt
TEAMS = ("red", "blue", "green")
OWNERS = ("alice", "dave", "nobody")
MAPPING = {"properties": {
    "n": {"type": "long"}, "team": {"type": "keyword"}, "owner": {"type": "keyword"},
    "msg": {"type": "text"}, "email": {"type": "keyword"}, "secret": {"type": "keyword"},
    "geo": {"properties": {"country": {"type": "keyword"}, "city": {"type": "keyword"}}}}}
DOCS = {str(n): {"n": n, "team": TEAMS[n % 3], "owner": OWNERS[n % 4 % 3],
                 "msg": f"event {n} on host{n % 4}", "email": f"user{n % 5}@example.com",
                 "secret": f"s{n % 2}", "geo": {"country": "DE" if n % 2 else "FR",
                                                "city": f"c{n % 3}"}}
        for n in range(40)}

RED = {"term": {"team": "red"}}
BLUE = {"term": {"team": "blue"}}
#: alice: her own documents (``${user.name}``), no ``secret``, ``email`` masked.
OWN = {"index_patterns": ["dls-*"], "allowed_actions": ["read", "indices:data/write/*"],
       "dls": '{"term": {"owner": "${user.name}"}}', "fls": ["~secret"],
       "masked_fields": ["email"]}
#: carol: the red team's documents, only the fields listed.
RED_FIELDS = {"index_patterns": ["dls-*"], "allowed_actions": ["read"],
              "dls": orjson.dumps(RED).decode(), "fls": ["n", "team", "geo.*"]}
ROLES = {
    "dls_own": {"cluster_permissions": ["cluster_composite_ops"], "index_permissions": [OWN]},
    "dls_red": {"cluster_permissions": ["cluster_composite_ops_ro"],
                "index_permissions": [RED_FIELDS]},
    "dls_red_all": {"cluster_permissions": ["cluster_composite_ops_ro"], "index_permissions": [
        {"index_patterns": ["dls-*"], "allowed_actions": ["read"], "dls": orjson.dumps(
            RED).decode()}]},
    "dls_blue_all": {"index_permissions": [
        {"index_patterns": ["dls-*"], "allowed_actions": ["read"], "dls": orjson.dumps(
            BLUE).decode()}]},
}
USERS = {"alice": ["dls_own"], "carol": ["dls_red"], "dave": ["dls_red_all", "dls_blue_all"]}
#: Each user's DLS as the admin's filter, and FLS as the admin's source filtering.
FILTERS = {"alice": {"term": {"owner": "alice"}}, "carol": RED,
           "dave": {"bool": {"should": [RED, BLUE]}}}
SOURCE = {"alice": {"excludes": ["secret"]}, "carol": {"includes": ["n", "team", "geo.*"]},
          "dave": True}
AGGS = {"teams": {"terms": {"field": "team"}, "aggs": {"top": {"max": {"field": "n"}}}},
        "n": {"stats": {"field": "n"}}, "countries": {"terms": {"field": "geo.country"}},
        "hist": {"histogram": {"field": "n", "interval": 10}}}


def blake2b(value: str) -> str:
    return hashlib.blake2b(value.encode(), digest_size=32, salt=SALT).hexdigest()


def masked(user: str, source: dict[str, Any]) -> dict[str, Any]:
    """The admin's view of a document as ``user`` must see it: masked fields hashed."""
    if user == "alice" and "email" in source:
        return {**source, "email": blake2b(source["email"])}
    return source


@pytest.fixture(scope="module")
def admin(secure: SecureServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=secure.url, auth=secure.auth, timeout=30) as client:
        for name, role in ROLES.items():
            assert client.put(f"{API}/roles/{name}", json=role).status_code == 201
        for name, roles in USERS.items():
            assert client.put(f"{API}/internalusers/{name}", json={
                "password": PASSWORD, "opendistro_security_roles": roles}).status_code == 201
        for index in (INDEX, "dls-deletes", "dls-updates"):
            assert client.put(f"/{index}", json={"mappings": MAPPING}).status_code == 200
            lines = b"".join(orjson.dumps({"index": {"_id": i}}) + b"\n" + orjson.dumps(d)
                             + b"\n" for i, d in DOCS.items())
            bulk = client.post(f"/{index}/_bulk?refresh=true", content=lines,
                               headers={"content-type": "application/x-ndjson"})
            assert bulk.status_code == 200 and not bulk.json()["errors"]
        yield client


def user(server: SecureServer, name: str) -> httpx.Client:
    return httpx.Client(base_url=server.url, auth=(name, PASSWORD), timeout=30)


def opensearch(server: SecureServer, name: str) -> OpenSearch:
    return OpenSearch(hosts=[server.url], http_auth=(name, PASSWORD), timeout=30)


def filtered(name: str, body: dict[str, Any]) -> dict[str, Any]:
    """``body`` as the admin sends it to see what ``name`` may see."""
    query = {"bool": {"must": [body.get("query", {"match_all": {}})],
                      "filter": [FILTERS[name]]}}
    return {**body, "query": query, "_source": SOURCE[name]}


def comparable(body: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k not in ("took", "_shards", "_scroll_id",
                                                         "pit_id", "status")}


def as_seen_by(name: str, body: dict[str, Any]) -> dict[str, Any]:
    """The admin's answer with ``name``'s masked fields hashed."""
    for hit in body.get("hits", {}).get("hits", []):
        hit["_source"] = masked(name, hit["_source"])
    return comparable(body)


@pytest.mark.parametrize("name", sorted(USERS))
@pytest.mark.parametrize("query", [None, {"terms": {"geo.city": ["c1", "c2"]}},
                                   {"range": {"n": {"gte": 10, "lt": 30}}}])
def test_search_with_aggregations_equals_the_filtered_search(
        secure: SecureServer, admin: httpx.Client, name: str,
        query: dict[str, Any] | None) -> None:
    body: dict[str, Any] = {"size": 50, "sort": ["n"], "aggs": AGGS}
    if query is not None:
        body["query"] = query
    client = opensearch(secure, name)
    seen = client.search(index=INDEX, body=body)
    expected = admin.post(f"/{INDEX}/_search", json=filtered(name, body)).json()
    assert 0 < seen["hits"]["total"]["value"] < len(DOCS) or query is not None
    assert comparable(seen) == as_seen_by(name, expected)
    count = client.count(index=INDEX, body={"query": query} if query else None)["count"]
    assert count == expected["hits"]["total"]["value"]


def test_two_roles_or_their_queries(secure: SecureServer, admin: httpx.Client) -> None:
    with user(secure, "dave") as dave:
        teams = {h["_source"]["team"] for h in dave.get(f"/{INDEX}/_search?size=50").json()[
            "hits"]["hits"]}
    assert teams == {"red", "blue"}


def test_fls_and_masking_in_sources(secure: SecureServer, admin: httpx.Client) -> None:
    with user(secure, "alice") as alice, user(secure, "carol") as carol:
        source = alice.get(f"/{INDEX}/_doc/0").json()["_source"]
        assert source == masked("alice", {k: v for k, v in DOCS["0"].items() if k != "secret"})
        assert carol.get(f"/{INDEX}/_source/3").json() == {"n": 3, "team": "red",
                                                            "geo": DOCS["3"]["geo"]}
        # a hidden field matches nothing, a masked one is not searchable by its clear value
        assert alice.post(f"/{INDEX}/_count", json={"query": {"term": {
            "secret": "s0"}}}).json()["count"] == 0
        assert alice.post(f"/{INDEX}/_count", json={"query": {"term": {
            "email": "user0@example.com"}}}).json()["count"] == 0
        buckets = alice.post(f"/{INDEX}/_search", json={"size": 0, "aggs": {
            "s": {"terms": {"field": "secret"}}}}).json()["aggregations"]["s"]["buckets"]
        assert buckets == []


def test_msearch_items_equal_their_filtered_searches(secure: SecureServer,
                                                     admin: httpx.Client) -> None:
    bodies = [{"size": 5, "sort": ["n"]}, {"size": 0, "aggs": AGGS}]
    client = opensearch(secure, "carol")
    lines = [line for body in bodies for line in ({"index": INDEX}, body)]
    responses = client.msearch(body=lines)["responses"]
    for body, seen in zip(bodies, responses, strict=True):
        expected = admin.post(f"/{INDEX}/_search", json=filtered("carol", body)).json()
        assert comparable(seen) == as_seen_by("carol", expected)


def test_scroll_pages_hold_only_visible_documents(secure: SecureServer,
                                                  admin: httpx.Client) -> None:
    client = opensearch(secure, "alice")
    page = client.search(index=INDEX, body={"size": 3, "sort": ["n"]}, scroll="1m")
    seen: list[dict[str, Any]] = []
    for _ in range(20):
        if not page["hits"]["hits"]:
            break
        seen.extend({"_id": h["_id"], "_source": h["_source"]} for h in page["hits"]["hits"])
        page = client.scroll(scroll_id=page["_scroll_id"], scroll="1m")
    expected = admin.post(f"/{INDEX}/_search", json=filtered("alice", {
        "size": 50, "sort": ["n"]})).json()
    assert seen == [{"_id": h["_id"], "_source": masked("alice", h["_source"])}
                    for h in expected["hits"]["hits"]]
    assert len(seen) > 3  # more than one page


def test_point_in_time_search(secure: SecureServer, admin: httpx.Client) -> None:
    with user(secure, "carol") as carol:
        pit = carol.post(f"/{INDEX}/_search/point_in_time?keep_alive=1m").json()["pit_id"]
        body = {"size": 50, "sort": ["n"], "aggs": AGGS}
        seen = carol.post("/_search", json={**body, "pit": {"id": pit}}).json()
        carol.request("DELETE", "/_search/point_in_time", json={"pit_id": [pit]})
    expected = admin.post(f"/{INDEX}/_search", json=filtered("carol", body)).json()
    for hit in seen["hits"]["hits"]:
        hit.pop("sort", None)
    for hit in expected["hits"]["hits"]:
        hit.pop("sort", None)
    assert seen["hits"] == as_seen_by("carol", expected)["hits"]
    assert seen["aggregations"] == expected["aggregations"]


def test_reads_by_id_of_invisible_documents(secure: SecureServer, admin: httpx.Client) -> None:
    # 0 is alice's and red; 1 is dave's and blue; 2 is nobody's and green
    client = opensearch(secure, "alice")
    assert client.get(index=INDEX, id="0")["found"] is True
    with pytest.raises(NotFoundError):
        client.get(index=INDEX, id="1")
    assert client.exists(index=INDEX, id="1") is False
    with pytest.raises(NotFoundError):
        client.get_source(index=INDEX, id="2")
    docs = client.mget(index=INDEX, body={"ids": ["0", "1", "2"]})["docs"]
    assert [d["found"] for d in docs] == [True, False, False]
    assert docs[0]["_source"] == masked("alice", {k: v for k, v in DOCS["0"].items()
                                                  if k != "secret"})
    with user(secure, "carol") as carol:
        assert carol.get(f"/{INDEX}/_doc/1").status_code == 404
        assert carol.head(f"/{INDEX}/_doc/1").status_code == 404
        assert carol.get(f"/{INDEX}/_source/1").status_code == 404
        assert carol.head(f"/{INDEX}/_doc/0").status_code == 200


def test_field_caps_without_hidden_fields(secure: SecureServer, admin: httpx.Client) -> None:
    with user(secure, "alice") as alice, user(secure, "carol") as carol:
        alice_fields = set(alice.get(f"/{INDEX}/_field_caps?fields=*").json()["fields"])
        carol_fields = set(carol.get(f"/{INDEX}/_field_caps?fields=*").json()["fields"])
    every = set(admin.get(f"/{INDEX}/_field_caps?fields=*").json()["fields"])
    assert "secret" in every and "secret" not in alice_fields and "email" in alice_fields
    assert {f for f in carol_fields if not f.startswith("_")} == {
        "n", "team", "geo", "geo.country", "geo.city"}


def test_delete_by_query_acts_only_on_visible_documents(secure: SecureServer,
                                                        admin: httpx.Client) -> None:
    mine = admin.post("/dls-deletes/_count", json={"query": FILTERS["alice"]}).json()["count"]
    with user(secure, "alice") as alice:
        deleted = alice.post("/dls-deletes/_delete_by_query?refresh=true",
                             json={"query": {"match_all": {}}}).json()
    assert deleted["deleted"] == mine > 0
    assert admin.get("/dls-deletes/_count").json()["count"] == len(DOCS) - mine
    assert admin.post("/dls-deletes/_count", json={"query": FILTERS["alice"]}).json()[
        "count"] == 0


def test_updates_are_refused_under_dls_and_fls(secure: SecureServer,
                                               admin: httpx.Client) -> None:
    """OpenSearch refuses updates where DLS, FLS or masking applies (an update writes back the
    whole stored document); re-indexing by query keeps the fields the user cannot see."""
    refused = "Update is not supported when FLS or DLS or Fieldmasking is activated"
    with user(secure, "alice") as alice:
        for doc_id in ("0", "1"):  # hers, and dave's that she cannot see
            response = alice.post(f"/dls-updates/_update/{doc_id}", json={"doc": {"n": -1}})
            assert response.status_code == 500, response.text
            assert response.json()["error"] == {
                "root_cause": [{"type": "security_exception", "reason": refused}],
                "type": "security_exception", "reason": refused}
        bulk = alice.post("/_bulk?refresh=true",
                          content=b'{"update":{"_index":"dls-updates","_id":"1"}}\n'
                          b'{"doc":{"n":-1}}\n{"index":{"_index":"dls-updates","_id":"0"}}\n'
                          b'{"owner":"alice","n":0}\n',
                          headers={"content-type": "application/x-ndjson"}).json()
        assert bulk["items"][0]["update"]["error"]["reason"] == refused
        assert bulk["items"][1]["index"]["status"] == 200
        updated = alice.post("/dls-updates/_update_by_query?refresh=true").json()
    mine = admin.post("/dls-updates/_count", json={"query": FILTERS["alice"]}).json()["count"]
    assert updated["updated"] == mine
    stored = {h["_id"]: h["_source"] for h in admin.get(
        "/dls-updates/_search?size=50").json()["hits"]["hits"]}
    assert stored["1"] == DOCS["1"]  # dave's: not updated
    assert stored["4"] == DOCS["4"]  # alice's: re-indexed whole, its secret kept
    assert stored["0"] == {"owner": "alice", "n": 0}


def test_terms_with_min_doc_count_zero_shows_no_invisible_term(secure: SecureServer,
                                                               admin: httpx.Client) -> None:
    aggs = {"owners": {"terms": {"field": "owner", "min_doc_count": 0}}}
    with user(secure, "alice") as alice:
        buckets = alice.post(f"/{INDEX}/_search", json={"size": 0, "aggs": aggs}).json()[
            "aggregations"]["owners"]["buckets"]
    assert [b["key"] for b in buckets] == ["alice"]


AGGREGATIONS = {
    "rare": {"rare_terms": {"field": "team"}},
    "composite": {"composite": {"size": 50, "sources": [{"t": {"terms": {"field": "team"}}},
                                                        {"c": {"terms": {
                                                            "field": "geo.city"}}}]}},
    "cardinality": {"cardinality": {"field": "geo.city"}},
    "percentiles": {"percentiles": {"field": "n", "percents": [50, 90]}},
    "filters": {"filters": {"filters": {"red": RED, "blue": BLUE}}},
    "missing": {"missing": {"field": "team"}},
    "top_hits": {"top_hits": {"size": 3, "sort": ["n"]}},
    "range": {"range": {"field": "n", "ranges": [{"to": 10}, {"from": 10}]}},
    "value_count": {"value_count": {"field": "team"}},
    "index": {"terms": {"field": "_index"}},
    "sampler": {"sampler": {"shard_size": 100}, "aggs": {"t": {"terms": {"field": "team"}}}},
}


@pytest.mark.parametrize("aggregation", sorted(AGGREGATIONS))
@pytest.mark.parametrize("name", ["carol", "dave"])
def test_each_aggregation_equals_the_filtered_one(secure: SecureServer, admin: httpx.Client,
                                                  aggregation: str, name: str) -> None:
    body = {"size": 0, "aggs": {"a": AGGREGATIONS[aggregation]}}
    with user(secure, name) as client:
        seen = client.post(f"/{INDEX}/_search", json=body)
    wanted = filtered(name, body)
    if aggregation == "top_hits":  # its hits' sources, filtered as the user's
        wanted["aggs"] = {"a": {"top_hits": {**AGGREGATIONS["top_hits"]["top_hits"],
                                             "_source": SOURCE[name]}}}
    expected = admin.post(f"/{INDEX}/_search", json=wanted)
    assert seen.status_code == expected.status_code
    assert comparable(seen.json()) == as_seen_by(name, expected.json())


def test_global_and_background_sets_are_the_visible_documents(secure: SecureServer,
                                                              admin: httpx.Client) -> None:
    """``global`` leaves the query out, not DLS; ``significant_terms`` compares with the
    documents the user may see (OpenSearch filters the index reader itself)."""
    visible = admin.post(f"/{INDEX}/_count", json={"query": FILTERS["dave"]}).json()["count"]
    body = {"size": 0, "query": RED, "aggs": {
        "all": {"global": {}, "aggs": {"n": {"value_count": {"field": "n"}}}},
        "significant": {"significant_terms": {"field": "team", "min_doc_count": 1}}}}
    with user(secure, "dave") as dave:
        aggregations = dave.post(f"/{INDEX}/_search", json=body).json()["aggregations"]
    assert aggregations["all"]["doc_count"] == aggregations["all"]["n"]["value"] == visible
    assert aggregations["significant"]["bg_count"] == visible < len(DOCS)
