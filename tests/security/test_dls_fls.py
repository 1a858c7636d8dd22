"""Document- and field-level security through the search service and the document reads.

Each test acts as a subject whose roles give fixed ``IndexRules`` (``security.context.acting``,
as the HTTP edge and scheduled jobs set it) and compares what it gets with what the node
itself gets for the same request with the DLS query added as a filter: same hits, same
totals, same aggregation buckets. Field-level security and masking are checked against the
stored documents.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import orjson
import pytest

from loghaven.config import Config
from loghaven.engine import aliases
from loghaven.engine.documents_state import WriteRequest
from loghaven.errors import LoghavenError
from loghaven.node import Node
from loghaven.search.service import SearchService
from loghaven.security.context import acting
from loghaven.security.subject import AllAccess, IndexRules, Subject

MAPPING = {"properties": {
    "n": {"type": "long"}, "team": {"type": "keyword"}, "action": {"type": "keyword"},
    "msg": {"type": "text", "fields": {"keyword": {"type": "keyword"}}},
    "email": {"type": "keyword"}, "ts": {"type": "date"},
    "geo": {"properties": {"country": {"type": "keyword"}, "city": {"type": "keyword"}}},
}}
TEAMS = ("red", "blue", "green")


def doc(n: int) -> dict[str, Any]:
    return {"n": n, "team": TEAMS[n % 3], "action": "BLOCK" if n % 2 else "ALLOW",
            "msg": f"event {n} on host{n % 4}", "email": f"user{n % 5}@example.com",
            "ts": 1_700_000_000_000 + n * 60_000,
            "geo": {"country": "DE" if n % 2 else "FR", "city": f"c{n % 3}"}}


DOCS_A = {str(n): doc(n) for n in range(30)}
DOCS_B = {str(n): doc(n) for n in range(100, 112)}
RED: dict[str, Any] = {"term": {"team": "red"}}
SALT = b"e1ukloTsQlOgPquJ"  # OpenSearch's default plugins.security.compliance.salt


class FixedRules(AllAccess):
    """Privileges granting every action, with fixed DLS/FLS per index."""

    def __init__(self, rules: dict[str, IndexRules]) -> None:
        self.rules = rules

    def index_rules(self, index: str, aliases: Collection[str] = ()) -> IndexRules | None:
        return self.rules.get(index)


@contextmanager
def as_user(action: str = "indices:data/read/search", **rules: IndexRules) -> Iterator[None]:
    subject = Subject(name="analyst", privileges=FixedRules(
        {name.replace("_", "-"): r for name, r in rules.items()}))
    with acting(subject, action):
        yield


def write(node: Node, name: str, docs: dict[str, dict[str, Any]]) -> None:
    index = node.catalog.create_index(name, {"mappings": MAPPING})
    index.write([WriteRequest("index", doc_id=i, source=orjson.dumps(d), parsed=d)
                 for i, d in docs.items()])
    index.refresh()


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Node]:
    folder: Path = tmp_path_factory.mktemp("dls")
    node = Node(Config(data_dir=folder, ingest_workers=0))
    write(node, "logs-a", DOCS_A)
    write(node, "logs-b", DOCS_B)
    yield node
    node.close()


@pytest.fixture()
def service(node: Node) -> SearchService:
    return node.search_service


def ids(body: dict[str, Any]) -> list[str]:
    return [hit["_id"] for hit in body["hits"]["hits"]]


def sources(body: dict[str, Any]) -> dict[str, Any]:
    return {hit["_id"]: orjson.loads(orjson.dumps(hit["_source"])) for hit in body["hits"]["hits"]}


def filtered(query: dict[str, Any] | None, dls: dict[str, Any]) -> dict[str, Any]:
    """``query`` with the DLS query added as a filter (what DLS must be equal to)."""
    return {"bool": {"must": [query or {"match_all": {}}], "filter": [dls]}}


def comparable(body: dict[str, Any]) -> dict[str, Any]:
    body = orjson.loads(orjson.dumps(body))
    body.pop("took", None)
    body.pop("_shards", None)
    return body


AGGS = {"teams": {"terms": {"field": "team"}},
        "actions": {"terms": {"field": "action"}, "aggs": {"top_n": {"max": {"field": "n"}}}},
        "per_minute": {"date_histogram": {"field": "ts", "fixed_interval": "10m"}},
        "n_stats": {"stats": {"field": "n"}},
        "everyone": {"global": {}, "aggs": {"count": {"value_count": {"field": "n"}}}},
        "no_country": {"missing": {"field": "geo.country"}}}


@pytest.mark.parametrize("query", [None, {"term": {"action": "BLOCK"}},
                                   {"match": {"msg": "host1"}},
                                   {"range": {"n": {"gte": 5, "lt": 25}}}])
def test_dls_search_equals_the_filtered_search(service: SearchService,
                                               query: dict[str, Any] | None) -> None:
    body: dict[str, Any] = {"size": 50, "sort": [{"n": "asc"}], "aggs": AGGS}
    if query is not None:
        body["query"] = query
    with as_user(logs_a=IndexRules(dls=RED)):
        seen = service.search("logs-a", body, {})
    expected = comparable(service.search("logs-a", {**body, "query": filtered(query, RED)}, {}))
    seen = comparable(seen)
    # ``global`` ignores the query, not DLS: it counts every visible document
    red = sum(d["team"] == "red" for d in DOCS_A.values())
    assert seen["aggregations"].pop("everyone") == {"doc_count": red, "count": {"value": red}}
    assert expected["aggregations"].pop("everyone")["doc_count"] == len(DOCS_A)
    assert seen == expected
    assert seen["hits"]["hits"] and all(DOCS_A[i]["team"] == "red" for i in ids(seen))
    everything = service.search("logs-a", body, {})
    assert seen["hits"]["total"]["value"] < everything["hits"]["total"]["value"]


def test_dls_applies_per_index_in_one_search(service: SearchService) -> None:
    """Indices of one request keep their own rules: logs-a is filtered, logs-b is not."""
    body = {"size": 100, "sort": [{"n": "asc"}], "aggs": {"teams": {"terms": {"field": "team"}}},
            "track_total_hits": True}
    with as_user(logs_a=IndexRules(dls=RED)):
        seen = service.search("logs-*", body, {})
    either = {"bool": {"should": [
        {"bool": {"filter": [{"term": {"_index": "logs-a"}}, RED]}},
        {"bool": {"must_not": [{"term": {"_index": "logs-a"}}]}}]}}
    expected = service.search("logs-*", {**body, "query": either}, {})
    assert comparable(seen) == comparable(expected)
    assert set(DOCS_B) <= set(ids(seen))


def test_dls_count_and_msearch(service: SearchService) -> None:
    query = {"term": {"action": "ALLOW"}}
    with as_user(logs_a=IndexRules(dls=RED)):
        count = service.count("logs-a", {"query": query}, {})
        many = service.msearch(None, [({"index": "logs-a"}, {"query": query}),
                                      ({"index": "logs-b"}, {"query": query})], {})
    assert count["count"] == service.count("logs-a", {"query": filtered(query, RED)}, {})["count"]
    assert 0 < count["count"] < service.count("logs-a", {"query": query}, {})["count"]
    first, second = many["responses"]
    assert first["hits"]["total"]["value"] == count["count"]
    assert second["hits"]["total"]["value"] == service.count("logs-b", {"query": query},
                                                             {})["count"]


def test_dls_scroll_pages_only_visible_documents(service: SearchService) -> None:
    with as_user(logs_a=IndexRules(dls=RED)):
        page = service.search("logs-a", {"size": 3, "sort": ["n"]}, {"scroll": "1m"})
        seen, total, scroll_id = ids(page), page["hits"]["total"]["value"], page["_scroll_id"]
        for _ in range(10):
            page = service.scroll(scroll_id, "1m", {})
            if not page["hits"]["hits"]:
                break
            seen += ids(page)
        service.clear_scroll([scroll_id])
    expected = ids(service.search("logs-a", {"size": 50, "sort": ["n"], "query": RED}, {}))
    assert seen == expected and total == len(expected)


def test_dls_point_in_time_applies_the_searching_subject(service: SearchService) -> None:
    """The rules of the request, not of the opening: the same owner (a PIT is its opener's,
    search/scroll.py) searches it with and without a restriction."""
    with as_user():
        pit_id = service.open_pit("logs-a", "1m", {})["pit_id"]
    try:
        body = {"size": 50, "sort": ["n"], "pit": {"id": pit_id},
                "aggs": {"teams": {"terms": {"field": "team"}}}}
        with as_user(logs_a=IndexRules(dls=RED)):
            seen = service.search(None, body, {})
        assert ids(seen) == ids(service.search("logs-a", {"size": 50, "sort": ["n"],
                                                          "query": RED}, {}))
        assert [b["key"] for b in seen["aggregations"]["teams"]["buckets"]] == ["red"]
        with as_user():
            unrestricted = service.search(None, body, {})
        assert len(ids(unrestricted)) == len(DOCS_A)
    finally:
        with as_user():
            service.close_pits([pit_id])


def test_dls_get_and_mget(service: SearchService) -> None:
    red, blue = "3", "4"
    assert DOCS_A[red]["team"] == "red" and DOCS_A[blue]["team"] == "blue"
    with as_user(logs_a=IndexRules(dls=RED)):
        index, state = service.get("logs-a", red)
        _, hidden = service.get("logs-a", blue)
        _, absent = service.get("logs-a", "nope")
    assert index.name == "logs-a" and state is not None
    assert state.source is not None and orjson.loads(state.source) == DOCS_A[red]
    assert state.version == service.get("logs-a", red)[1].version  # type: ignore[union-attr]
    assert hidden is None and absent is None
    assert service.get("logs-a", blue)[1] is not None
    with as_user("indices:data/read/mget", logs_a=IndexRules(dls=RED)):
        many = service.mget([("logs-a", red), ("logs-a", blue), ("logs-b", "101"),
                             ("nope", red)])
    assert [item[1] is not None for item in many[:3]] == [True, False, True]  # type: ignore[index]
    assert isinstance(many[3], LoghavenError) and many[3].status == 404


def scores(body: dict[str, Any]) -> set[float]:
    return {hit["_score"] for hit in body["hits"]["hits"]} | {body["hits"]["max_score"]}


def test_match_all_scores_one_under_dls_filtered_aliases_and_filters(
        service: SearchService, node: Node) -> None:
    """ES gives every match of ``match_all`` a score of 1.0 (its ``boost``), whatever
    filters the search adds: DLS, a filtered alias, a bool ``filter`` beside it. tantivy
    drops a bare match-all from a boolean's required clauses, score and all, which made
    these 0.0."""
    aliases.update(node.catalog, [{"add": {"index": "logs-a", "alias": "red-alias",
                                           "filter": RED}}])
    match_all = {"query": {"match_all": {}}, "size": 50}
    with as_user(logs_a=IndexRules(dls=RED)):
        assert scores(service.search("logs-a", match_all, {})) == {1.0}
    assert scores(service.search("red-alias", match_all, {})) == {1.0}
    for query, score in [({"bool": {"must": [{"match_all": {}}], "filter": [RED]}}, 1.0),
                         ({"bool": {"must": [{"match_all": {"boost": 2}}],
                                    "filter": [RED]}}, 2.0),
                         ({"bool": {"must": [{"bool": {}}], "filter": [RED]}}, 1.0),
                         ({"bool": {"filter": [RED]}}, 0.0)]:
        body = service.search("logs-a", {"query": query, "size": 50}, {})
        assert body["hits"]["hits"] and scores(body) == {score}, query


def test_dls_get_reads_through_an_alias(service: SearchService, node: Node) -> None:
    aliases.update(node.catalog, [{"add": {"index": "logs-a", "alias": "dls-alias"}}])
    with as_user(logs_a=IndexRules(dls=RED)):
        assert service.get("dls-alias", "4")[1] is None
        assert service.get("dls-alias", "3")[1] is not None


def test_dls_by_query_acts_only_on_visible_documents(service: SearchService,
                                                     node: Node) -> None:
    docs = {str(n): doc(n) for n in range(12)}
    write(node, "logs-del", docs)
    with as_user("indices:data/write/delete/byquery", logs_del=IndexRules(dls=RED)):
        status, body = service.by_query("delete", "logs-del",
                                        {"query": {"match_all": {}}}, {"refresh": "true"})
    assert status == 200 and body["deleted"] == sum(d["team"] == "red" for d in docs.values())
    left = ids(service.search("logs-del", {"size": 50}, {}))
    assert sorted(left, key=int) == [i for i, d in docs.items() if d["team"] != "red"]
    with as_user("indices:data/write/update/byquery",
                 logs_del=IndexRules(dls={"term": {"team": "blue"}})):
        status, body = service.by_query("update", "logs-del", {}, {"refresh": "true"})
    assert body["updated"] == sum(d["team"] == "blue" for d in docs.values())


def test_unrestricted_subject_sees_what_the_node_sees(service: SearchService) -> None:
    body = {"size": 50, "sort": ["n"], "aggs": AGGS}
    with as_user(logs_b=IndexRules(dls=RED)):
        seen = service.search("logs-a", body, {})
    assert comparable(seen) == comparable(service.search("logs-a", body, {}))


# -- field-level security --

ONLY = IndexRules(fls_include=("n", "team", "msg", "geo.country"))
EXCEPT = IndexRules(fls_exclude=("email", "geo.city"))


@pytest.mark.parametrize("rules", [ONLY, EXCEPT], ids=["include", "exclude"])
def test_fls_hides_fields_in_source(service: SearchService, rules: IndexRules) -> None:
    with as_user(logs_a=rules):
        body = service.search("logs-a", {"size": 50}, {})
        filtered_source = service.search("logs-a", {"size": 50, "_source": ["geo.*", "email"]},
                                         {})
        _, state = service.get("logs-a", "7")
    for doc_id, source in sources(body).items():
        full = DOCS_A[doc_id]
        assert "email" not in source and source["geo"] == {"country": full["geo"]["country"]}
        if rules is ONLY:
            assert source == {"n": full["n"], "team": full["team"], "msg": full["msg"],
                              "geo": {"country": full["geo"]["country"]}}
        else:
            assert source["action"] == full["action"] and source["ts"] == full["ts"]
    assert all(s == {"geo": {"country": DOCS_A[i]["geo"]["country"]}}
               for i, s in sources(filtered_source).items())
    assert state is not None and state.source is not None
    assert "email" not in orjson.loads(state.source)


def test_fls_hidden_fields_match_nothing_and_aggregate_nothing(service: SearchService) -> None:
    with as_user(logs_a=EXCEPT):
        query = service.count("logs-a", {"query": {"term": {"email": "user1@example.com"}}}, {})
        exists = service.count("logs-a", {"query": {"exists": {"field": "geo.city"}}}, {})
        lucene = service.count("logs-a", {}, {"q": "email:user1@example.com"})
        aggs = service.search("logs-a", {"size": 0, "aggs": {
            "emails": {"terms": {"field": "email"}}, "cities": {"cardinality": {
                "field": "geo.city"}}, "teams": {"terms": {"field": "team"}}}}, {})
        everywhere = service.count("logs-a", {"query": {"query_string": {
            "query": "user1@example.com"}}}, {})
        shown = service.count("logs-a", {"query": {"term": {"team": "red"}}}, {})
    assert query["count"] == exists["count"] == lucene["count"] == 0
    assert everywhere["count"] == 0
    assert shown["count"] == 10
    assert aggs["aggregations"]["emails"]["buckets"] == []
    assert aggs["aggregations"]["cities"]["value"] == 0
    assert len(aggs["aggregations"]["teams"]["buckets"]) == 3
    assert service.count("logs-a", {"query": {"exists": {"field": "geo.city"}}},
                         {})["count"] == len(DOCS_A)


def test_fls_multi_fields_follow_their_parent(service: SearchService) -> None:
    with as_user(logs_a=IndexRules(fls_exclude=("msg",))):
        aggs = service.search("logs-a", {"size": 0, "aggs": {
            "m": {"terms": {"field": "msg.keyword"}}}}, {})
        match = service.count("logs-a", {"query": {"match": {"msg": "event"}}}, {})
    assert aggs["aggregations"]["m"]["buckets"] == [] and match["count"] == 0


def test_fls_sort_on_a_hidden_field_sees_it_missing(service: SearchService) -> None:
    with as_user(logs_a=EXCEPT):
        body = service.search("logs-a", {"size": 3, "sort": [{"email": "desc"}, {"n": "asc"}]},
                              {})
    assert ids(body) == ["0", "1", "2"]
    assert [hit["sort"][0] for hit in body["hits"]["hits"]] == [None, None, None]


def test_fls_fields_docvalues_and_highlight(service: SearchService) -> None:
    with as_user(logs_a=EXCEPT):
        body = service.search("logs-a", {
            "size": 1, "query": {"match": {"msg": "event"}}, "sort": ["n"],
            "fields": ["*"], "docvalue_fields": ["email", "team"],
            "highlight": {"fields": {"*": {}}}}, {})
    hit = body["hits"]["hits"][0]
    assert "email" not in hit["fields"] and "geo.city" not in hit["fields"]
    assert hit["fields"]["team"] == ["red"] and "msg" in hit["highlight"]


def test_fls_field_caps_lists_only_visible_fields(service: SearchService) -> None:
    with as_user(logs_a=ONLY):
        caps = service.field_caps("logs-a", {}, {"fields": "*"})["fields"]
    user_fields = {name for name in caps if not name.startswith("_")}
    assert user_fields == {"n", "team", "msg", "msg.keyword", "geo", "geo.country"}
    assert "email" in service.field_caps("logs-a", {}, {"fields": "*"})["fields"]


def test_fls_top_hits_source(service: SearchService) -> None:
    with as_user(logs_a=EXCEPT):
        body = service.search("logs-a", {"size": 0, "aggs": {"t": {"top_hits": {
            "size": 2, "sort": [{"n": "asc"}]}}}}, {})
    hits = body["aggregations"]["t"]["hits"]["hits"]
    assert len(hits) == 2 and all("email" not in h["_source"] for h in hits)


# -- masking --

def blake2b(value: str) -> str:
    return hashlib.blake2b(value.encode(), digest_size=32, salt=SALT).hexdigest()


def test_masked_values_are_hashed_consistently(service: SearchService) -> None:
    masked = IndexRules(masked=("email", "geo.*"))
    with as_user(logs_a=masked):
        body = service.search("logs-a", {"size": 50, "sort": ["n"]}, {})
        _, state = service.get("logs-a", "2")
    shown = sources(body)
    for doc_id, source in shown.items():
        full = DOCS_A[doc_id]
        assert source["email"] == blake2b(full["email"])
        assert source["geo"] == {"country": blake2b(full["geo"]["country"]),
                                 "city": blake2b(full["geo"]["city"])}
        assert source["n"] == full["n"] and source["team"] == full["team"]
    assert shown["0"]["email"] == shown["5"]["email"] != shown["1"]["email"]
    assert state is not None and state.source is not None
    assert orjson.loads(state.source)["email"] == blake2b(DOCS_A["2"]["email"])


def test_masked_fields_cannot_be_searched_or_sorted(service: SearchService) -> None:
    with as_user(logs_a=IndexRules(masked=("email",))):
        by_clear = service.count("logs-a", {"query": {"term": {"email": "user1@example.com"}}},
                                 {})
        by_hash = service.count("logs-a", {"query": {"term": {
            "email": blake2b("user1@example.com")}}}, {})
        sorted_body = service.search("logs-a", {"size": 1, "sort": [{"email": "asc"}]}, {})
    assert by_clear["count"] == by_hash["count"] == 0
    assert sorted_body["hits"]["hits"][0]["sort"] == [None]


def test_terms_on_a_masked_field_group_by_the_hash(service: SearchService) -> None:
    """Buckets of a masked keyword field are the clear buckets with hashed keys: same counts,
    same sub-aggregations; ``_key`` order and ``include`` read the hashes."""
    aggs = {"e": {"terms": {"field": "email", "size": 10}, "aggs": {
        "top_n": {"max": {"field": "n"}}, "hit": {"top_hits": {"size": 1, "sort": ["n"]}}}}}
    clear = service.search("logs-a", {"size": 0, "aggs": aggs}, {})["aggregations"]["e"]
    one = blake2b("user1@example.com")
    by_key = {"e": {"terms": {"field": "email", "order": {"_key": "asc"}, "size": 3}}}
    only = {"e": {"terms": {"field": "email", "include": [one]}}}
    with as_user(logs_a=IndexRules(masked=("email",)), logs_b=IndexRules()):
        masked = service.search("logs-a", {"size": 0, "aggs": aggs}, {})["aggregations"]["e"]
        ordered = service.search("logs-a", {"size": 0, "aggs": by_key}, {})["aggregations"]
        included = service.search("logs-a", {"size": 0, "aggs": only}, {})["aggregations"]
    assert len(clear["buckets"]) == 5
    expected = [{**b, "key": blake2b(b["key"])} for b in clear["buckets"]]
    for bucket in expected:
        for hit in bucket["hit"]["hits"]["hits"]:
            hit["_source"]["email"] = blake2b(hit["_source"]["email"])
    # every bucket holds 6 documents: ties are ordered by key, here the hash
    assert orjson.loads(orjson.dumps(masked))["buckets"] == sorted(expected,
                                                                   key=lambda b: b["key"])
    assert [b["key"] for b in ordered["e"]["buckets"]] == sorted(b["key"] for b in expected)[:3]
    assert [b["key"] for b in included["e"]["buckets"]] == [one]


def test_masking_with_another_digest_and_with_a_pattern(service: SearchService) -> None:
    with as_user(logs_a=IndexRules(masked=("email::SHA-512", "geo.city::/[0-9]/::#"))):
        source = sources(service.search("logs-a", {"size": 1, "sort": ["n"]}, {}))["0"]
    assert source["email"] == hashlib.sha512(b"user0@example.com").hexdigest()
    assert source["geo"]["city"] == "c#"


def test_dls_and_fls_together(service: SearchService) -> None:
    """The DLS query reads a field FLS hides: the rule is the role's, so it still applies."""
    rules = IndexRules(dls=RED, fls_exclude=("team",))
    with as_user(logs_a=rules):
        body = service.search("logs-a", {"size": 50, "sort": ["n"]}, {})
    assert ids(body) == [i for i, d in DOCS_A.items() if d["team"] == "red"]
    assert all("team" not in s for s in sources(body).values())


LEAKY_AGGS = {
    "terms": {"terms": {"field": "email", "min_doc_count": 0}},
    "multi": {"multi_terms": {"terms": [{"field": "team"}, {"field": "email"}]}},
    "composite": {"composite": {"size": 50, "sources": [{"e": {"terms": {"field": "email"}}}]}},
    "significant": {"significant_terms": {"field": "geo.city", "min_doc_count": 1}},
    "rare": {"rare_terms": {"field": "email"}},
    "filters": {"filters": {"filters": {"one": {"term": {"email": "user1@example.com"}}}}},
    "by_team": {"terms": {"field": "team"}, "aggs": {
        "top": {"top_hits": {"size": 1, "_source": ["email", "geo"]}},
        "metric": {"top_metrics": {"metrics": {"field": "email"}, "sort": {"n": "desc"}}},
        "count": {"value_count": {"field": "email"}}}},
    "global": {"global": {}, "aggs": {"cities": {"terms": {"field": "geo.city"}}}},
}


@pytest.mark.parametrize("rules", [EXCEPT, IndexRules(masked=("email", "geo.city"))],
                         ids=["hidden", "masked"])
def test_no_aggregation_shows_a_hidden_or_masked_value(service: SearchService,
                                                       rules: IndexRules) -> None:
    with as_user(logs_a=rules):
        body = service.search("logs-a", {"size": 0, "aggs": LEAKY_AGGS}, {})
    text = orjson.dumps(body).decode()
    assert "example.com" not in text and '"c1"' not in text, text
    clear = orjson.dumps(service.search("logs-a", {"size": 0, "aggs": LEAKY_AGGS}, {})).decode()
    assert "example.com" in clear and '"c1"' in clear
