"""Sorting and paging over HTTP across indices and splits: one global order, from/size,
search_after, scroll and point in time."""

from __future__ import annotations

import random
from typing import Any

import httpx
import pytest

from searchdata import WEB_DOCS, WEB_MAPPING, ids, load, ndjson

LOG_MAPPING = {"properties": {"ts": {"type": "date"}, "host": {"type": "keyword"},
                              "n": {"type": "long"}, "score": {"type": "double"},
                              "msg": {"type": "text"}}}


def _docs(count: int, seed: int) -> dict[str, dict[str, Any]]:
    rng = random.Random(seed)
    docs = {}
    for i in range(count):
        doc: dict[str, Any] = {"ts": 1704067200000 + rng.randrange(0, 50) * 60_000,
                               "host": rng.choice(["a", "b", "c", "d"]), "n": seed * 1000 + i,
                               "msg": rng.choice(["alpha beta", "beta gamma", "gamma"])}
        if i % 7:
            doc["score"] = round(rng.random() * 10, 1)
        docs[f"{seed}-{i}"] = doc
    return docs


@pytest.fixture
def logs(es: httpx.Client, index_name: str) -> dict[str, dict[str, Any]]:
    """Three indices ``<name>-1..3``, the second with two splits; all docs by id."""
    everything: dict[str, dict[str, Any]] = {}
    for number in (1, 2, 3):
        docs = _docs(40, number)
        load(es, f"{index_name}-{number}", docs, LOG_MAPPING)
        everything.update(docs)
    second = f"{index_name}-2"
    es.put(f"/{second}/_mapping", json={"properties": {"extra": {"type": "keyword"}}})
    more = _docs(20, 4)
    es.post("/_bulk?refresh=true", content=ndjson(*[
        line for doc_id, doc in more.items()
        for line in ({"index": {"_index": second, "_id": doc_id}}, {**doc, "extra": "x"})]),
        headers={"content-type": "application/x-ndjson"})
    everything.update(more)
    return everything


def _key(doc: dict[str, Any], field: str, desc: bool) -> tuple[Any, ...]:
    value = doc.get(field)
    if value is None:
        return (1, 0)
    return (0, -value if desc else value)


def _all_pages(es: httpx.Client, path: str, body: dict[str, Any], size: int) -> list[str]:
    seen: list[str] = []
    offset = 0
    while True:
        page = ids(es.post(path, json={**body, "from": offset, "size": size}))
        if not page:
            return seen
        seen += page
        offset += size


def test_global_sort_across_indices_and_splits(es: httpx.Client, index_name: str,
                                               logs: dict[str, dict[str, Any]]) -> None:
    path = f"/{index_name}-*/_search"
    body = {"sort": [{"ts": "desc"}, {"n": "asc"}, {"host": "asc"}], "size": 200}
    hits = es.post(path, json=body).json()["hits"]["hits"]
    expected = sorted(logs, key=lambda i: (-logs[i]["ts"], logs[i]["n"], logs[i]["host"]))
    assert [h["_id"] for h in hits] == expected
    assert hits[0]["sort"] == [logs[expected[0]]["ts"], logs[expected[0]]["n"],
                               logs[expected[0]]["host"]]
    assert {h["_index"] for h in hits} == {f"{index_name}-{n}" for n in (1, 2, 3)}


def test_paging_with_from_size_is_consistent(es: httpx.Client, index_name: str,
                                             logs: dict[str, dict[str, Any]]) -> None:
    path = f"/{index_name}-*/_search"
    for body in ({"sort": [{"host": "asc"}]},
                 {"sort": [{"score": {"order": "desc", "missing": "_first"}}]},
                 {"query": {"match": {"msg": "beta"}}},
                 {"query": {"bool": {"filter": {"term": {"host": "a"}}}}},
                 {}):
        whole = ids(es.post(path, json={**body, "size": 500}))
        assert _all_pages(es, path, body, 7) == whole, body
        assert len(set(whole)) == len(whole)


def test_sort_options(es: httpx.Client, index_name: str,
                      logs: dict[str, dict[str, Any]]) -> None:
    path = f"/{index_name}-*/_search"
    last = ids(es.post(path, json={"sort": [{"score": "asc"}, {"n": "asc"}], "size": 200}))
    assert last == sorted(logs, key=lambda i: (_key(logs[i], "score", False), logs[i]["n"]))
    first = ids(es.post(path, json={"sort": [{"score": {"order": "desc", "missing": "_first"}},
                                             {"n": "desc"}], "size": 200}))
    assert first == sorted(logs, key=lambda i: (
        0 if "score" not in logs[i] else 1, -logs[i].get("score", 0), -logs[i]["n"]))
    custom = es.post(path, json={"sort": [{"score": {"order": "asc", "missing": 5.05}},
                                          {"n": "asc"}], "size": 200}).json()["hits"]["hits"]
    assert [h["_id"] for h in custom] == sorted(
        logs, key=lambda i: (logs[i].get("score", 5.05), logs[i]["n"]))
    missing_values = {h["sort"][0] for h in custom if "score" not in logs[h["_id"]]}
    assert missing_values == {5.05}
    formatted = es.post(path, json={"sort": [{"ts": {"order": "asc", "format": "yyyy-MM-dd"}},
                                             "_score"], "size": 1}).json()["hits"]["hits"]
    assert formatted[0]["sort"][0] == "2024-01-01"
    by_doc = ids(es.post(f"/{index_name}-1/_search", json={"sort": ["_doc"], "size": 100}))
    assert by_doc == [f"1-{i}" for i in range(40)]


def test_score_sort_with_tie_breaking_field(es: httpx.Client, index_name: str,
                                            logs: dict[str, dict[str, Any]]) -> None:
    body = {"query": {"constant_score": {"filter": {"match": {"msg": "gamma"}}}},
            "sort": ["_score", {"n": "desc"}, {"host": "desc"}], "size": 200}
    hits = es.post(f"/{index_name}-*/_search", json=body).json()["hits"]["hits"]
    expected = sorted((i for i in logs if "gamma" in logs[i]["msg"]),
                      key=lambda i: (-logs[i]["n"], [-ord(c) for c in logs[i]["host"]]))
    assert [h["_id"] for h in hits] == expected
    assert hits[0]["_score"] == 1.0 and hits[0]["sort"][0] == 1.0


def test_track_scores_with_field_sort(es: httpx.Client, index_name: str,
                                      logs: dict[str, dict[str, Any]]) -> None:
    body = {"query": {"match": {"msg": "beta"}}, "sort": [{"n": "asc"}]}
    plain = es.post(f"/{index_name}-1/_search", json=body).json()["hits"]
    assert plain["max_score"] is None and plain["hits"][0]["_score"] is None
    tracked = es.post(f"/{index_name}-1/_search", json={**body, "track_scores": True}).json()
    assert all(h["_score"] > 0 for h in tracked["hits"]["hits"])
    assert tracked["hits"]["max_score"] >= tracked["hits"]["hits"][0]["_score"]


def test_search_after(es: httpx.Client, index_name: str,
                      logs: dict[str, dict[str, Any]]) -> None:
    path = f"/{index_name}-*/_search"
    body = {"sort": [{"ts": "asc"}, {"n": "asc"}, {"host": "asc"}], "size": 9}
    seen: list[str] = []
    after: list[Any] | None = None
    while True:
        request = {**body, **({"search_after": after} if after else {})}
        hits = es.post(path, json=request).json()["hits"]["hits"]
        if not hits:
            break
        seen += [h["_id"] for h in hits]
        after = hits[-1]["sort"]
    assert seen == sorted(logs, key=lambda i: (logs[i]["ts"], logs[i]["n"], logs[i]["host"]))
    keyword = es.post(path, json={"sort": [{"host": "desc"}, {"n": "desc"}], "size": 1000,
                                  "search_after": ["c", 2010]})
    assert ids(keyword) == sorted(
        (i for i in logs if (logs[i]["host"], logs[i]["n"]) < ("c", 2010)),
        key=lambda i: (-ord(logs[i]["host"]), -logs[i]["n"]))
    with_missing = es.post(path, json={"sort": [{"score": "asc"}, {"n": "asc"}], "size": 1000,
                                       "search_after": [9223372036854775807, 2005]})
    assert ids(with_missing) == sorted(
        (i for i in logs if "score" not in logs[i] and logs[i]["n"] > 2005),
        key=lambda i: logs[i]["n"])
    wrong = es.post(path, json={"sort": [{"ts": "asc"}], "search_after": [1, 2, 3]})
    assert wrong.status_code == 400


def test_scroll_through_everything(es: httpx.Client, index_name: str,
                                   logs: dict[str, dict[str, Any]]) -> None:
    first = es.post(f"/{index_name}-*/_search?scroll=1m", json={"size": 11}).json()
    assert first["hits"]["total"]["value"] == len(logs)
    scroll_id = first["_scroll_id"]
    seen = [h["_id"] for h in first["hits"]["hits"]]
    while True:
        page = es.post("/_search/scroll", json={"scroll": "1m", "scroll_id": scroll_id}).json()
        assert page["hits"]["total"]["value"] == len(logs)
        if not page["hits"]["hits"]:
            break
        seen += [h["_id"] for h in page["hits"]["hits"]]
        scroll_id = page["_scroll_id"]
    assert sorted(seen) == sorted(logs) and len(seen) == len(set(seen))
    cleared = es.request("DELETE", "/_search/scroll", json={"scroll_id": [scroll_id]})
    assert cleared.json() == {"succeeded": True, "num_freed": 1}
    gone = es.post("/_search/scroll", json={"scroll_id": scroll_id})
    assert gone.status_code == 404
    assert gone.json()["error"]["root_cause"][0]["type"] == "search_context_missing_exception"


def test_scroll_sorted_and_isolated_from_later_writes(es: httpx.Client, index_name: str,
                                                      logs: dict[str, dict[str, Any]]) -> None:
    path = f"/{index_name}-1/_search"
    first = es.get(path, params={"scroll": "30s", "size": "15", "sort": "n:desc",
                                 "q": "host:a OR host:b"}).json()
    expected = sorted((i for i in logs if i.startswith("1-") and logs[i]["host"] in "ab"),
                      key=lambda i: -logs[i]["n"])
    es.delete(f"/{index_name}-1/_doc/{expected[-1]}?refresh=true")
    es.put(f"/{index_name}-1/_doc/new?refresh=true", json={"host": "a", "n": 1000})
    seen = [h["_id"] for h in first["hits"]["hits"]]
    scroll_id = first["_scroll_id"]
    while True:
        page = es.get(f"/_search/scroll/{scroll_id}", params={"scroll": "30s"}).json()
        if not page["hits"]["hits"]:
            break
        seen += [h["_id"] for h in page["hits"]["hits"]]
    assert seen == expected
    assert es.request("DELETE", f"/_search/scroll/{scroll_id}").status_code == 200
    assert es.post(f"{path}?scroll=1m", json={"from": 5}).status_code == 400


def test_point_in_time_with_search_after(es: httpx.Client, index_name: str,
                                         logs: dict[str, dict[str, Any]]) -> None:
    pit = es.post(f"/{index_name}-*/_search/point_in_time?keep_alive=1m").json()
    assert pit["_shards"]["failed"] == 0 and isinstance(pit["creation_time"], int)
    pit_id = pit["pit_id"]
    es.put(f"/{index_name}-3/_doc/late?refresh=true", json={"host": "a", "n": 5000,
                                                              "ts": 1704067200000})
    body: dict[str, Any] = {"pit": {"id": pit_id, "keep_alive": "1m"}, "size": 13,
                            "sort": [{"host": "asc"}]}
    seen: list[str] = []
    while True:
        response = es.post("/_search", json=body).json()
        assert response["pit_id"] == pit_id
        hits = response["hits"]["hits"]
        if not hits:
            break
        assert all(len(h["sort"]) == 2 for h in hits)  # the field and _shard_doc
        seen += [h["_id"] for h in hits]
        body["search_after"] = hits[-1]["sort"]
    assert sorted(seen) == sorted(logs) and len(set(seen)) == len(seen)
    assert [logs[i]["host"] for i in seen] == sorted(logs[i]["host"] for i in seen)
    listed = es.get("/_search/point_in_time/_all").json()["pits"]
    assert pit_id in [p["pit_id"] for p in listed]
    with_index = es.post(f"/{index_name}-1/_search", json={"pit": {"id": pit_id}})
    assert with_index.status_code == 400
    deleted = es.request("DELETE", "/_search/point_in_time", json={"pit_id": [pit_id]}).json()
    assert deleted == {"pits": [{"successful": True, "pit_id": pit_id}]}
    assert es.post("/_search", json={"pit": {"id": pit_id}}).status_code == 404


def test_elasticsearch_style_pit(es: httpx.Client, index_name: str) -> None:
    load(es, index_name, WEB_DOCS, WEB_MAPPING)
    opened = es.post(f"/{index_name}/_pit?keep_alive=1m")
    pit_id = opened.json()["id"]
    page = es.post("/_search", json={"pit": {"id": pit_id}, "sort": [{"status": "asc"}],
                                     "size": 3}).json()
    assert len(page["hits"]["hits"]) == 3
    closed = es.request("DELETE", "/_pit", json={"id": pit_id})
    assert closed.json() == {"succeeded": True, "num_freed": 1}
    assert es.post(f"/{index_name}/_pit").status_code == 400


def test_date_sorted_pages_over_many_documents(es: httpx.Client, index_name: str) -> None:
    """Newest-first pages (which read time windows of a split) match a full sort."""
    rng = random.Random(7)
    docs = {str(i): {"ts": 1704067200000 + rng.randrange(0, 600) * 30_000, "n": i,
                     "host": "rare" if i % 37 == 0 else "common"} for i in range(600)}
    load(es, index_name, docs, LOG_MAPPING)
    for query, order in (({"match_all": {}}, "desc"), ({"match_all": {}}, "asc"),
                         ({"term": {"host": "rare"}}, "desc")):
        matching = [i for i in docs if query.get("term") is None or docs[i]["host"] == "rare"]
        expected = sorted(matching, key=lambda i: (
            -docs[i]["ts"] if order == "desc" else docs[i]["ts"], docs[i]["n"]))
        body: dict[str, Any] = {"query": query, "size": 4,
                                "sort": [{"ts": order}, {"n": "asc"}]}
        first = es.post(f"/{index_name}/_search", json=body).json()
        assert first["hits"]["total"]["value"] == len(matching)
        assert [h["_id"] for h in first["hits"]["hits"]] == expected[:4]
        seen: list[str] = []
        while True:
            hits = es.post(f"/{index_name}/_search", json=body).json()["hits"]["hits"]
            if not hits:
                break
            seen += [h["_id"] for h in hits]
            body["search_after"] = hits[-1]["sort"]
        assert seen == expected, (query, order)
    by_host = es.post(f"/{index_name}/_search", json={
        "size": 5, "sort": [{"host": "asc"}, {"ts": "desc"}, {"n": "asc"}]}).json()
    assert [h["_id"] for h in by_host["hits"]["hits"]] == sorted(
        docs, key=lambda i: (docs[i]["host"], -docs[i]["ts"], docs[i]["n"]))[:5]
