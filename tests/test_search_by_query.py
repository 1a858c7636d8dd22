"""_delete_by_query and _update_by_query over HTTP: matches, versions, conflicts, ES bodies."""

from __future__ import annotations

import httpx

from searchdata import WEB_DOCS, WEB_MAPPING, ids, load

_COUNTERS = {"noops": 0, "retries": {"bulk": 0, "search": 0}, "throttled_millis": 0,
             "requests_per_second": -1.0, "throttled_until_millis": 0, "failures": [],
             "timed_out": False}


def test_delete_by_query(es: httpx.Client, index_name: str) -> None:
    load(es, index_name, WEB_DOCS, WEB_MAPPING)
    response = es.post(f"/{index_name}/_delete_by_query?refresh=true&scroll_size=2",
                       json={"query": {"term": {"action": "BLOCK"}}})
    assert response.status_code == 200
    body = response.json()
    assert isinstance(body.pop("took"), int)
    assert body == {"total": 3, "deleted": 3, "batches": 2, "version_conflicts": 0,
                    **_COUNTERS}
    left = ids(es.post(f"/{index_name}/_search", json={"size": 20}))
    assert sorted(left) == ["1", "4", "5", "6", "8"]
    assert es.get(f"/{index_name}/_doc/2").status_code == 404


def test_delete_by_query_max_docs_alias_filter_and_q(es: httpx.Client, index_name: str) -> None:
    load(es, index_name, WEB_DOCS, WEB_MAPPING)
    alias = f"{index_name}-allowed"
    es.post("/_aliases", json={"actions": [{"add": {
        "index": index_name, "alias": alias, "filter": {"term": {"action": "ALLOW"}}}}]})
    limited = es.post(f"/{alias}/_delete_by_query?refresh=true",
                      json={"query": {"match_all": {}}, "max_docs": 2}).json()
    assert limited["total"] == 2 and limited["deleted"] == 2
    assert es.post(f"/{index_name}/_count", json={"query": {"term": {"action": "ALLOW"}}}
                   ).json()["count"] == 1
    by_q = es.post(f"/{index_name}/_delete_by_query?q=status:500&refresh=true", json={}).json()
    assert by_q["deleted"] == 1
    assert es.post(f"/{index_name}/_delete_by_query", json={}).status_code == 400
    missing = es.post(f"/{index_name}-gone/_delete_by_query", json={"query": {"match_all": {}}})
    assert missing.status_code == 404


def test_update_by_query_bumps_versions(es: httpx.Client, index_name: str) -> None:
    load(es, index_name, WEB_DOCS, WEB_MAPPING)
    response = es.post(f"/{index_name}/_update_by_query?refresh=true",
                       json={"query": {"term": {"country": "us"}}})
    assert response.status_code == 200
    body = response.json()
    body.pop("took")
    assert body == {"total": 3, "updated": 3, "deleted": 0, "batches": 1,
                    "version_conflicts": 0, **_COUNTERS}
    for doc_id, version in (("1", 2), ("3", 2), ("5", 2), ("2", 1)):
        got = es.get(f"/{index_name}/_doc/{doc_id}").json()
        assert got["_version"] == version and got["_source"] == WEB_DOCS[doc_id]
    everything = es.post(f"/{index_name}/_update_by_query?refresh=true").json()
    assert everything["updated"] == len(WEB_DOCS)
    assert es.post(f"/{index_name}/_update_by_query",
                   json={"script": {"source": "ctx._source.a = 1"}}).status_code == 400


def test_update_by_query_picks_up_new_mappings(es: httpx.Client, index_name: str) -> None:
    load(es, index_name, {"1": {"title": "Hello"}},
         {"dynamic": False, "properties": {"other": {"type": "keyword"}}})
    assert ids(es.post(f"/{index_name}/_search", json={"query": {"match": {"title": "hello"}}})
               ) == []
    es.put(f"/{index_name}/_mapping", json={"properties": {"title": {"type": "text"}}})
    es.post(f"/{index_name}/_update_by_query?refresh=true")
    assert ids(es.post(f"/{index_name}/_search", json={"query": {"match": {"title": "hello"}}})
               ) == ["1"]


def test_version_conflicts(es: httpx.Client, index_name: str) -> None:
    load(es, index_name, WEB_DOCS, WEB_MAPPING, settings={"refresh_interval": "-1"})
    # A write the search snapshot cannot see yet: its seq_no no longer matches.
    es.put(f"/{index_name}/_doc/2", json={**WEB_DOCS["2"], "status": 404})
    aborted = es.post(f"/{index_name}/_delete_by_query",
                      json={"query": {"term": {"action": "BLOCK"}}})
    assert aborted.status_code == 409
    body = aborted.json()
    assert body["version_conflicts"] == 1
    failure, = body["failures"]
    assert failure["id"] == "2" and failure["status"] == 409
    assert failure["cause"]["type"] == "version_conflict_engine_exception"
    es.put(f"/{index_name}/_doc/3", json=WEB_DOCS["3"])
    proceed = es.post(f"/{index_name}/_update_by_query?conflicts=proceed",
                      json={"query": {"term": {"action": "BLOCK"}}}).json()
    assert proceed["version_conflicts"] >= 1 and proceed["failures"] == []
    assert proceed["updated"] + proceed["version_conflicts"] == proceed["total"]
