"""The ``nested`` field type and query, from the Elasticsearch documentation's examples
(decisions/0017): each object of a nested array is matched on its own, hidden from hits,
counts and aggregations, and kept consistent with its parent through updates and deletes."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest

USER_DOC = {"group": "fans", "user": [{"first": "John", "last": "Smith"},
                                      {"first": "Alice", "last": "White"}]}
ALICE_SMITH = {"bool": {"must": [{"match": {"user.first": "Alice"}},
                                 {"match": {"user.last": "Smith"}}]}}


def create(es: httpx.Client, index: str, properties: dict[str, Any],
           settings: dict[str, Any] | None = None) -> None:
    body: dict[str, Any] = {"mappings": {"properties": properties}}
    if settings:
        body["settings"] = settings
    response = es.put(f"/{index}", json=body)
    assert response.status_code == 200, response.text


def search(es: httpx.Client, index: str, body: dict[str, Any]) -> dict[str, Any]:
    response = es.post(f"/{index}/_search", json=body)
    assert response.status_code == 200, response.text
    return response.json()


def ids(result: dict[str, Any]) -> list[str]:
    return [hit["_id"] for hit in result["hits"]["hits"]]


@pytest.fixture
def users(es: httpx.Client, index_name: str) -> str:
    create(es, index_name, {"group": {"type": "keyword"}, "user": {
        "type": "nested", "properties": {"first": {"type": "text"}, "last": {"type": "text"}}}})
    assert es.put(f"/{index_name}/_doc/1?refresh=true", json=USER_DOC).status_code == 201
    return index_name


def test_object_arrays_are_flattened_but_nested_ones_are_not(es: httpx.Client,
                                                             index_name: str) -> None:
    flat = index_name + "-object"
    create(es, flat, {"user": {"properties": {"first": {"type": "text"},
                                              "last": {"type": "text"}}}})
    es.put(f"/{flat}/_doc/1?refresh=true", json=USER_DOC)
    assert ids(search(es, flat, {"query": ALICE_SMITH})) == ["1"]
    create(es, index_name, {"user": {"type": "nested", "properties": {
        "first": {"type": "text"}, "last": {"type": "text"}}}})
    es.put(f"/{index_name}/_doc/1?refresh=true", json=USER_DOC)
    assert ids(search(es, index_name, {"query": {"nested": {
        "path": "user", "query": ALICE_SMITH}}})) == []
    alice_white = {"bool": {"must": [{"match": {"user.first": "Alice"}},
                                     {"match": {"user.last": "White"}}]}}
    result = search(es, index_name, {"query": {"nested": {"path": "user",
                                                           "query": alice_white}}})
    assert ids(result) == ["1"]
    assert result["hits"]["hits"][0]["_source"] == USER_DOC
    # the nested fields are not on the parent document
    assert ids(search(es, index_name, {"query": {"match": {"user.first": "Alice"}}})) == []


def test_hidden_documents_stay_out_of_hits_counts_and_aggregations(
        es: httpx.Client, users: str) -> None:
    result = search(es, users, {"query": {"match_all": {}},
                                "aggs": {"g": {"terms": {"field": "group"}},
                                         "all": {"global": {}}}})
    assert result["hits"]["total"] == {"value": 1, "relation": "eq"}
    assert ids(result) == ["1"]
    assert result["aggregations"]["g"]["buckets"] == [{"key": "fans", "doc_count": 1}]
    assert result["aggregations"]["all"]["doc_count"] == 1
    assert es.get(f"/{users}/_count").json()["count"] == 1
    assert es.post(f"/{users}/_count", json={"query": {"bool": {"must_not": [
        {"term": {"group": "nobody"}}]}}}).json()["count"] == 1
    assert es.get(f"/{users}/_doc/1").json()["_source"] == USER_DOC
    docs = es.post("/_mget", json={"docs": [{"_index": users, "_id": "1"}]}).json()["docs"]
    assert docs[0]["_source"] == USER_DOC
    # as in ES, the index's document count holds the nested objects' documents
    cat = es.get(f"/_cat/indices/{users}?format=json&h=docs.count").json()
    assert cat == [{"docs.count": "3"}]


@pytest.mark.parametrize(("mode", "expected"), [
    ("avg", 1.5), ("max", 2.0), ("min", 1.0), ("sum", 3.0), ("none", 0.0)])
def test_score_mode(es: httpx.Client, index_name: str, mode: str, expected: float) -> None:
    create(es, index_name, {"comments": {"type": "nested", "properties": {
        "stars": {"type": "integer"}}}})
    es.put(f"/{index_name}/_doc/1?refresh=true", json={"comments": [
        {"stars": 1}, {"stars": 2}, {"stars": 9}]})
    scored = {"bool": {"should": [
        {"constant_score": {"filter": {"term": {"comments.stars": 1}}, "boost": 1}},
        {"constant_score": {"filter": {"term": {"comments.stars": 2}}, "boost": 2}}]}}
    result = search(es, index_name, {"query": {"nested": {
        "path": "comments", "score_mode": mode, "query": scored}}})
    assert ids(result) == ["1"]
    assert result["hits"]["hits"][0]["_score"] == pytest.approx(expected)


def test_bad_paths_and_ignore_unmapped(es: httpx.Client, users: str) -> None:
    missing = es.post(f"/{users}/_search", json={"query": {"nested": {
        "path": "nope", "query": {"match_all": {}}}}})
    assert missing.status_code == 400
    assert "[nested] failed to find nested object under path [nope]" in missing.text
    assert ids(search(es, users, {"query": {"nested": {
        "path": "nope", "query": {"match_all": {}}, "ignore_unmapped": True}}})) == []
    not_nested = es.post(f"/{users}/_search", json={"query": {"nested": {
        "path": "group", "query": {"match_all": {}}}}})
    assert not_nested.status_code == 400
    assert "[nested] nested object under path [group] is not of nested type" in not_nested.text
    bad_mode = es.post(f"/{users}/_search", json={"query": {"nested": {
        "path": "user", "query": {"match_all": {}}, "score_mode": "median"}}})
    assert bad_mode.status_code == 400


def test_updates_and_deletes_take_the_nested_objects_along(es: httpx.Client,
                                                           users: str) -> None:
    alice = {"nested": {"path": "user", "query": {"match": {"user.first": "Alice"}}}}
    bob = {"nested": {"path": "user", "query": {"match": {"user.first": "Bob"}}}}
    assert es.put(f"/{users}/_doc/1?refresh=true", json={"group": "fans", "user": [
        {"first": "Bob", "last": "Jones"}]}).status_code == 200
    assert ids(search(es, users, {"query": alice})) == []
    assert ids(search(es, users, {"query": bob})) == ["1"]
    assert es.post(f"/{users}/_update/1?refresh=true", json={"doc": {"user": [
        {"first": "Alice", "last": "White"}]}}).status_code == 200
    assert ids(search(es, users, {"query": alice})) == ["1"]
    assert ids(search(es, users, {"query": bob})) == []
    cat = es.get(f"/_cat/indices/{users}?format=json&h=docs.count").json()
    assert cat == [{"docs.count": "2"}]
    assert es.delete(f"/{users}/_doc/1?refresh=true").status_code == 200
    assert ids(search(es, users, {"query": alice})) == []
    cat = es.get(f"/_cat/indices/{users}?format=json&h=docs.count").json()
    assert cat == [{"docs.count": "0"}]


def test_delete_by_query_counts_parents(es: httpx.Client, users: str) -> None:
    es.put(f"/{users}/_doc/2?refresh=true", json={"group": "other", "user": [
        {"first": "Zed", "last": "Z"}]})
    result = es.post(f"/{users}/_delete_by_query?refresh=true", json={"query": {"nested": {
        "path": "user", "query": {"match": {"user.first": "Alice"}}}}}).json()
    assert result["deleted"] == 1
    assert ids(search(es, users, {"query": {"match_all": {}}})) == ["2"]
    assert es.get(f"/_cat/indices/{users}?format=json&h=docs.count").json() == [
        {"docs.count": "2"}]


def test_multi_level_nested(es: httpx.Client, index_name: str) -> None:
    create(es, index_name, {"driver": {"type": "nested", "properties": {
        "last_name": {"type": "text"},
        "vehicle": {"type": "nested", "properties": {"make": {"type": "text"},
                                                     "model": {"type": "text"}}}}}})
    es.put(f"/{index_name}/_doc/1", json={"driver": {"last_name": "McQueen", "vehicle": [
        {"make": "Powell Motors", "model": "Canyonero"}, {"make": "Miller-Meteor",
                                                          "model": "Ecto-1"}]}})
    es.put(f"/{index_name}/_doc/2?refresh=true", json={"driver": {"last_name": "Hudson",
                                                                  "vehicle": [
        {"make": "Mifune", "model": "Mach Five"}, {"make": "Miller-Meteor",
                                                   "model": "Ecto-1"}]}})
    query = {"nested": {"path": "driver", "query": {"nested": {
        "path": "driver.vehicle", "query": {"bool": {"must": [
            {"match": {"driver.vehicle.make": "Powell Motors"}},
            {"match": {"driver.vehicle.model": "Canyonero"}}]}}}}}}
    assert ids(search(es, index_name, {"query": query})) == ["1"]
    crossed = {"nested": {"path": "driver", "query": {"nested": {
        "path": "driver.vehicle", "query": {"bool": {"must": [
            {"match": {"driver.vehicle.make": "Mifune"}},
            {"match": {"driver.vehicle.model": "Ecto-1"}}]}}}}}}
    assert ids(search(es, index_name, {"query": crossed})) == []


def test_include_in_parent_and_root(es: httpx.Client, index_name: str) -> None:
    create(es, index_name, {"user": {"type": "nested", "include_in_parent": True,
                                     "properties": {"first": {"type": "keyword"},
                                                    "last": {"type": "keyword"}}}})
    es.put(f"/{index_name}/_doc/1?refresh=true", json=USER_DOC)
    # the parent has the values flattened (as an object would), the nested query still joins
    assert ids(search(es, index_name, {"query": {"bool": {"must": [
        {"term": {"user.first": "Alice"}}, {"term": {"user.last": "Smith"}}]}}})) == ["1"]
    assert ids(search(es, index_name, {"query": {"nested": {"path": "user", "query": {
        "bool": {"must": [{"term": {"user.first": "Alice"}},
                          {"term": {"user.last": "Smith"}}]}}}}})) == []


def test_mapping_rules(es: httpx.Client, index_name: str) -> None:
    create(es, index_name, {"obj": {"properties": {"a": {"type": "keyword"}}},
                            "nest": {"type": "nested", "properties": {"a": {"type": "keyword"}}}})
    to_nested = es.put(f"/{index_name}/_mapping", json={"properties": {"obj": {
        "type": "nested"}}})
    assert to_nested.status_code == 400
    assert "can't merge a non-nested mapping [obj] with a nested mapping" in to_nested.text
    to_object = es.put(f"/{index_name}/_mapping", json={"properties": {"nest": {
        "type": "object"}}})
    assert to_object.status_code == 400
    assert "can't merge a nested mapping [nest] with a non-nested mapping" in to_object.text
    mapping = es.get(f"/{index_name}/_mapping").json()[index_name]["mappings"]
    assert mapping["properties"]["nest"]["type"] == "nested"
    # dynamic mapping makes objects, never nested
    es.put(f"/{index_name}/_doc/1?refresh=true", json={"fresh": [{"a": "x"}, {"a": "y"}]})
    mapping = es.get(f"/{index_name}/_mapping").json()[index_name]["mappings"]
    assert "type" not in mapping["properties"]["fresh"]
    # a new nested field is taken by a mapping update, and later documents are nested
    assert es.put(f"/{index_name}/_mapping", json={"properties": {"later": {
        "type": "nested", "properties": {"x": {"type": "long"}, "y": {"type": "long"}}}}}
                  ).status_code == 200
    es.put(f"/{index_name}/_doc/2?refresh=true", json={"later": [{"x": 1, "y": 2},
                                                                 {"x": 2, "y": 1}]})
    assert ids(search(es, index_name, {"query": {"nested": {"path": "later", "query": {
        "bool": {"must": [{"term": {"later.x": 1}}, {"term": {"later.y": 2}}]}}}}})) == ["2"]
    assert es.get(f"/{index_name}/_count").json()["count"] == 2


def test_limits(es: httpx.Client, index_name: str) -> None:
    properties = {f"n{i}": {"type": "nested"} for i in range(3)}
    refused = es.put(f"/{index_name}", json={
        "settings": {"index.mapping.nested_fields.limit": 2},
        "mappings": {"properties": properties}})
    assert refused.status_code == 400
    assert "Limit of nested fields [2] has been exceeded" in refused.text
    create(es, index_name, {"n": {"type": "nested"}},
           settings={"index.mapping.nested_objects.limit": 2})
    too_many = es.put(f"/{index_name}/_doc/1", json={"n": [{"a": 1}, {"a": 2}, {"a": 3}]})
    assert too_many.status_code == 400
    assert too_many.json()["error"]["type"] == "mapper_parsing_exception"
    assert too_many.json()["error"]["reason"] == (
        "The number of nested documents has exceeded the allowed limit of [2]. This limit "
        "can be set by changing the [index.mapping.nested_objects.limit] index level setting.")
    ok = es.put(f"/{index_name}/_doc/1", json={"n": [{"a": 1}, {"a": 2}]})
    assert ok.status_code == 201, ok.text


def test_kill_and_restart_rebuilds_nested_objects_from_the_log(fresh_server: Any) -> None:
    with httpx.Client(base_url=fresh_server.url, timeout=30) as es:
        create(es, "users", {"user": {"type": "nested", "properties": {
            "first": {"type": "keyword"}, "last": {"type": "keyword"}}}},
            settings={"index.refresh_interval": "-1"})
        assert es.put("/users/_doc/1", json=USER_DOC).status_code == 201
        fresh_server.kill()
        fresh_server.start()
        es.post("/users/_refresh")
        query = {"nested": {"path": "user", "query": {"bool": {"must": [
            {"term": {"user.first": "Alice"}}, {"term": {"user.last": "White"}}]}}}}
        assert ids(search(es, "users", {"query": query})) == ["1"]
        assert es.get("/users/_count").json()["count"] == 1


def test_reindex_and_field_caps(es: httpx.Client, users: str) -> None:
    target = users + "-copy"
    create(es, target, {"group": {"type": "keyword"}, "user": {
        "type": "nested", "properties": {"first": {"type": "text"}, "last": {"type": "text"}}}})
    result = es.post("/_reindex?refresh=true", json={"source": {"index": users},
                                                     "dest": {"index": target}}).json()
    assert result["created"] == 1
    alice_white = {"nested": {"path": "user", "query": {"bool": {"must": [
        {"match": {"user.first": "Alice"}}, {"match": {"user.last": "White"}}]}}}}
    assert ids(search(es, target, {"query": alice_white})) == ["1"]
    caps = es.get(f"/{users}/_field_caps?fields=user*").json()["fields"]
    assert caps["user"]["nested"]["type"] == "nested"
    assert caps["user.first"]["text"]["searchable"] is True


def test_sorting_by_nested_fields(es: httpx.Client, index_name: str) -> None:
    create(es, index_name, {"comments": {"type": "nested", "properties": {
        "stars": {"type": "integer"}, "author": {"type": "keyword"}}}})
    es.put(f"/{index_name}/_doc/a", json={"comments": [{"stars": 1, "author": "x"},
                                                       {"stars": 5, "author": "y"}]})
    es.put(f"/{index_name}/_doc/b", json={"comments": [{"stars": 3, "author": "m"}]})
    es.put(f"/{index_name}/_doc/c?refresh=true", json={"comments": []})

    def order(sort: dict[str, Any], **more: Any) -> list[tuple[str, Any]]:
        result = search(es, index_name, {"sort": [sort], **more})
        return [(h["_id"], h["sort"][0]) for h in result["hits"]["hits"]]

    path = {"path": "comments"}
    last, first = 2**63 - 1, -2**63  # a missing long as ES prints it, sorted last
    # ES's defaults: ascending by each document's least value, descending by its greatest
    assert order({"comments.stars": {"order": "asc", "nested": path}}) == [
        ("a", 1), ("b", 3), ("c", last)]
    assert order({"comments.stars": {"order": "desc", "nested": path}}) == [
        ("a", 5), ("b", 3), ("c", first)]
    assert order({"comments.stars": {"order": "asc", "mode": "max", "nested": path}}) == [
        ("b", 3), ("a", 5), ("c", last)]
    assert order({"comments.author": {"order": "desc", "nested": path}}) == [
        ("a", "y"), ("b", "m"), ("c", None)]
    assert order({"comments.stars": {"order": "asc", "nested": path}},
                 search_after=[1]) == [("b", 3), ("c", last)]
    without = es.post(f"/{index_name}/_search", json={"sort": [{"comments.stars": "desc"}]})
    assert without.status_code == 400
    assert ("it is mandatory to set the [nested] context on the nested sort field: "
            "[comments.stars].") in without.text
    for refused in ({"mode": "avg", "nested": path},
                    {"nested": {"path": "comments", "filter": {"match_all": {}}}}):
        response = es.post(f"/{index_name}/_search", json={"sort": [
            {"comments.stars": refused}]})
        assert response.status_code == 400
        assert "not supported by Loghaven" in response.text


def test_merged_splits_keep_the_nested_objects(fresh_server: Any) -> None:
    """Each document brings a new field, so each seals a split; the small sealed splits are
    merged, which rebuilds the documents (and their nested objects) from their sources."""
    with httpx.Client(base_url=fresh_server.url, timeout=30) as es:
        create(es, "merged", {"user": {"type": "nested", "properties": {
            "first": {"type": "keyword"}, "last": {"type": "keyword"}}}})
        for n, field in enumerate(("a", "b", "c", "d")):
            es.put(f"/merged/_doc/{n}?refresh=true", json={field: n, **USER_DOC})
        deadline = time.monotonic() + 20
        while len(_splits(es, "merged")) > 2 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert len(_splits(es, "merged")) == 2, "the small sealed splits were not merged"
        query = {"nested": {"path": "user", "query": {"bool": {"must": [
            {"term": {"user.first": "Alice"}}, {"term": {"user.last": "White"}}]}}}}
        result = search(es, "merged", {"query": query, "sort": ["_doc"]})
        assert sorted(ids(result)) == ["0", "1", "2", "3"]
        assert es.get("/merged/_count").json()["count"] == 4
        assert es.get("/_cat/indices/merged?format=json&h=docs.count").json() == [
            {"docs.count": "12"}]


def _splits(es: httpx.Client, index: str) -> list[str]:
    body = es.post(f"/{index}/_search", json={"profile": True, "size": 0}).json()
    return [shard["id"] for shard in body["profile"]["shards"]]


def test_scroll_and_update_by_query_see_parents_only(es: httpx.Client, users: str) -> None:
    es.put(f"/{users}/_doc/2?refresh=true", json={"group": "other", "user": [
        {"first": "Zed", "last": "Z"}, {"first": "Y", "last": "Y"}]})
    page = es.post(f"/{users}/_search?scroll=1m", json={"size": 1}).json()
    seen = ids(page)
    while True:
        page = es.post("/_search/scroll", json={"scroll": "1m",
                                                "scroll_id": page["_scroll_id"]}).json()
        if not page["hits"]["hits"]:
            break
        seen += ids(page)
    assert sorted(seen) == ["1", "2"]
    updated = es.post(f"/{users}/_update_by_query?refresh=true").json()
    assert updated["total"] == 2 and updated["updated"] == 2
    alice = {"nested": {"path": "user", "query": {"bool": {"must": [
        {"match": {"user.first": "Alice"}}, {"match": {"user.last": "White"}}]}}}}
    assert ids(search(es, users, {"query": alice})) == ["1"]
    assert es.get(f"/_cat/indices/{users}?format=json&h=docs.count").json() == [
        {"docs.count": "6"}]  # two parents, each with two nested objects


def test_match_all_scores_one_as_on_other_indices(es: httpx.Client, users: str) -> None:
    result = search(es, users, {"query": {"match_all": {}}})
    assert result["hits"]["max_score"] == 1.0
    assert [h["_score"] for h in result["hits"]["hits"]] == [1.0]


def test_bulk_and_a_settings_change(es: httpx.Client, users: str) -> None:
    lines = []
    for n in range(2, 202):  # enough for the ingest workers, which leave these to the index
        lines.append(f'{{"index": {{"_id": "{n}"}}}}')
        lines.append(f'{{"group": "g{n % 3}", "user": [{{"first": "F{n}", "last": "L{n}"}}, '
                     f'{{"first": "Alice", "last": "L{n}"}}]}}')
    response = es.post(f"/{users}/_bulk?refresh=true", content="\n".join(lines) + "\n",
                       headers={"content-type": "application/x-ndjson"})
    assert response.status_code == 200 and not response.json()["errors"]
    assert es.get(f"/{users}/_count").json()["count"] == 201
    query = {"nested": {"path": "user", "query": {"bool": {"must": [
        {"match": {"user.first": "F7"}}, {"match": {"user.last": "L7"}}]}}}}
    assert ids(search(es, users, {"query": query})) == ["7"]
    alices = {"nested": {"path": "user", "query": {"match": {"user.first": "Alice"}}}}
    assert search(es, users, {"query": alices})["hits"]["total"]["value"] == 201
    assert es.put(f"/{users}/_settings", json={"index.mapping.nested_objects.limit": 1}
                  ).status_code == 200
    refused = es.put(f"/{users}/_doc/x", json={"user": [{"first": "a"}, {"first": "b"}]})
    assert refused.status_code == 400
    assert "allowed limit of [1]" in refused.text


def test_a_nested_clause_inside_another_must_be_below_its_path(es: httpx.Client,
                                                               users: str) -> None:
    response = es.post(f"/{users}/_search", json={"query": {"nested": {
        "path": "user", "query": {"nested": {"path": "user", "query": {"match_all": {}}}}}}})
    assert response.status_code == 400
    assert "[nested] nested path [user] is not inside the enclosing nested path [user]" \
        in response.text


def test_fields_group_nested_values_per_object(es: httpx.Client, index_name: str) -> None:
    create(es, index_name, {"group": {"type": "keyword"}, "user": {
        "type": "nested", "properties": {"first": {"type": "keyword"},
                                         "last": {"type": "keyword"}}}})
    es.put(f"/{index_name}/_doc/1?refresh=true", json=USER_DOC)
    result = search(es, index_name, {"_source": False, "fields": ["group", "user.first"]})
    assert result["hits"]["hits"][0]["fields"] == {
        "group": ["fans"], "user": [{"first": ["John"]}, {"first": ["Alice"]}]}
    result = search(es, index_name, {"_source": False, "docvalue_fields": ["user.*"]})
    assert result["hits"]["hits"][0]["fields"] == {"user": [
        {"first": ["John"], "last": ["Smith"]}, {"first": ["Alice"], "last": ["White"]}]}


def test_sql_reads_nested_fields_from_the_rows(es: httpx.Client, users: str) -> None:
    """No search filters, sorts or groups by a nested object's field (the rows' documents do
    not hold it): SQL evaluates such conditions in-process, on the row's value as SELECT
    shows it (the first object's, as OpenSearch's SQL plugin shows arrays)."""
    es.put(f"/{users}/_doc/2?refresh=true", json={"group": "other", "user": [
        {"first": "Zed", "last": "Z"}]})

    def rows(query: str) -> list[list[Any]]:
        response = es.post("/_plugins/_sql?format=jdbc", json={"query": query})
        assert response.status_code == 200, response.text
        return response.json()["datarows"]

    assert rows(f"SELECT `user.first` FROM {users} ORDER BY `group`") == [["John"], ["Zed"]]
    assert rows(f"SELECT `group` FROM {users} WHERE `user.first` = 'Zed'") == [["other"]]
    assert rows(f"SELECT `group` FROM {users} ORDER BY `user.first` DESC") == [
        ["other"], ["fans"]]


def test_a_nested_value_that_does_not_fit_adds_nothing(es: httpx.Client,
                                                       index_name: str) -> None:
    create(es, index_name, {"hosts": {"type": "nested", "properties": {"ip": {"type": "ip"}}}})
    assert es.put(f"/{index_name}/_doc/1?refresh=true", json={"hosts": [
        {"ip": "10.0.0.1"}]}).status_code == 201
    bad = es.put(f"/{index_name}/_doc/1?refresh=true", json={"hosts": [
        {"ip": "10.0.0.2"}, {"ip": "not an address"}]})
    assert bad.status_code == 400
    assert bad.json()["error"]["type"] == "mapper_parsing_exception"
    assert es.get(f"/{index_name}/_doc/1").json()["_source"] == {"hosts": [{"ip": "10.0.0.1"}]}
    assert es.get(f"/{index_name}/_count").json()["count"] == 1
    assert es.get(f"/_cat/indices/{index_name}?format=json&h=docs.count").json() == [
        {"docs.count": "2"}]
    found = search(es, index_name, {"query": {"nested": {"path": "hosts", "query": {
        "term": {"hosts.ip": "10.0.0.1"}}}}})
    assert ids(found) == ["1"]


def test_a_point_in_time_joins_on_its_own_documents(es: httpx.Client, users: str) -> None:
    pit_id = es.post(f"/{users}/_search/point_in_time?keep_alive=5m").json()["pit_id"]
    es.put(f"/{users}/_doc/1?refresh=true", json={"group": "fans", "user": [
        {"first": "Bob", "last": "Jones"}]})
    alice = {"nested": {"path": "user", "query": {"match": {"user.first": "Alice"}},
                        "inner_hits": {}}}
    assert ids(search(es, users, {"query": alice})) == []
    then = es.post("/_search", json={"pit": {"id": pit_id}, "query": alice}).json()
    assert ids(then) == ["1"]
    inner = then["hits"]["hits"][0]["inner_hits"]["user"]["hits"]["hits"]
    assert [h["_source"] for h in inner] == [{"first": "Alice", "last": "White"}]
