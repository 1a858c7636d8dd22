"""Cluster, node, stats, _cat, _resolve, _analyze and _tasks APIs over HTTP, in ES's shapes."""

from __future__ import annotations

import json

import httpx
import pytest

from conftest import Server


@pytest.fixture
def populated(es: httpx.Client, index_name: str) -> str:
    """An index with a mapping, an alias, two live documents and one deleted."""
    es.put(f"/{index_name}", json={"mappings": {"properties": {
        "msg": {"type": "text"}, "code": {"type": "keyword"}, "n": {"type": "long"}}}})
    lines = [{"index": {"_index": index_name, "_id": str(i)}} if i % 2 == 0 else
             {"msg": f"Hello world {i}", "code": f"c{i}", "n": i} for i in range(6)]
    body = "\n".join(json.dumps(line) for line in lines) + "\n"
    assert not es.post("/_bulk?refresh=true", content=body,
                       headers={"content-type": "application/x-ndjson"}).json()["errors"]
    assert es.delete(f"/{index_name}/_doc/4?refresh=true").json()["result"] == "deleted"
    es.post("/_aliases", json={"actions": [{"add": {"index": index_name,
                                                    "alias": f"{index_name}-alias"}}]})
    return index_name


def test_nodes_info_and_selectors(es: httpx.Client, server: Server) -> None:
    body = es.get("/_nodes").json()
    assert body["_nodes"] == {"total": 1, "successful": 1, "failed": 0}
    (node_id, node), = body["nodes"].items()
    assert node["http"]["publish_address"] == f"127.0.0.1:{server.port}"
    assert "data" in node["roles"] and "cluster_manager" in node["roles"]
    assert node["os"]["available_processors"] >= 1 and node["process"]["id"] > 0
    local = es.get("/_nodes/_local").json()
    assert list(local["nodes"]) == [node_id]
    only_http = es.get("/_nodes/http").json()["nodes"][node_id]
    assert "http" in only_http and "os" not in only_http
    assert set(es.get(f"/_nodes/{node_id}/os,process").json()["nodes"][node_id]) >= {
        "os", "process", "name", "roles"}
    none = es.get("/_nodes/no-such-node").json()
    assert none["_nodes"]["total"] == 0 and none["nodes"] == {}
    assert es.get("/_nodes/data:true").json()["_nodes"]["total"] == 1


def test_nodes_stats(es: httpx.Client, populated: str) -> None:
    body = es.get("/_nodes/stats").json()
    (node,) = body["nodes"].values()
    assert node["indices"]["docs"]["count"] >= 2
    assert node["indices"]["indexing"]["index_total"] >= 3
    assert node["os"]["mem"]["total_in_bytes"] > 0 and 0 <= node["os"]["cpu"]["percent"] <= 100
    assert node["process"]["open_file_descriptors"] > 0
    assert node["fs"]["total"]["total_in_bytes"] > 0
    assert node["jvm"]["mem"]["heap_used_in_bytes"] > 0
    filtered = es.get("/_nodes/_local/stats/indices/docs").json()
    (node,) = filtered["nodes"].values()
    assert set(node["indices"]) == {"docs"} and "os" not in node
    wrong = es.get("/_nodes/stats/nonsense")
    assert wrong.status_code == 400
    assert wrong.json()["error"]["reason"] == \
        "request [/_nodes/stats/nonsense] contains unrecognized metric: [nonsense]"


def test_index_stats_counts_docs_deletes_store_and_indexing(es: httpx.Client,
                                                           populated: str) -> None:
    body = es.get(f"/{populated}/_stats").json()
    assert body["_shards"] == {"total": 1, "successful": 1, "failed": 0}
    entry = body["indices"][populated]
    assert entry["uuid"]
    primaries = entry["primaries"]
    assert primaries["docs"] == {"count": 2, "deleted": 1}
    assert primaries["store"]["size_in_bytes"] > 0
    assert primaries["indexing"]["index_total"] == 3
    assert primaries["indexing"]["delete_total"] == 1
    assert primaries["search"]["query_total"] >= 0
    assert primaries["segments"]["count"] >= 1
    assert entry["total"] == primaries
    only = es.get(f"/{populated}/_stats/docs,store").json()["indices"][populated]["primaries"]
    assert set(only) == {"docs", "store"}
    every = es.get("/_stats").json()
    assert every["_all"]["primaries"]["docs"]["count"] >= 2 and populated in every["indices"]
    shards = es.get(f"/{populated}/_stats/docs?level=shards").json()["indices"][populated]
    assert shards["shards"]["0"][0]["routing"]["primary"] is True
    assert "indices" not in es.get("/_stats?level=cluster").json()
    assert es.get("/nope-missing/_stats").status_code == 404


def test_index_stats_count_searches(es: httpx.Client, populated: str) -> None:
    def searches() -> int:
        return es.get(f"/{populated}/_stats/search").json()["indices"][populated][
            "primaries"]["search"]["query_total"]

    before = searches()
    assert es.post(f"/{populated}/_search", json={"query": {"match_all": {}}}).status_code == 200
    assert searches() == before + 1


def test_cluster_state_metadata_and_routing(es: httpx.Client, populated: str) -> None:
    body = es.get("/_cluster/state").json()
    assert body["cluster_name"] == "loghaven" and body["cluster_uuid"]
    assert body["master_node"] == body["cluster_manager_node"] in body["nodes"]
    meta = body["metadata"]["indices"][populated]
    assert meta["state"] == "open"
    assert meta["mappings"]["_doc"]["properties"]["code"] == {"type": "keyword"}
    assert meta["settings"]["index"]["number_of_shards"] == "1"
    assert meta["aliases"] == [f"{populated}-alias"]
    assert body["routing_table"]["indices"][populated]["shards"]["0"][0]["state"] == "STARTED"
    version = body["version"]
    assert es.get("/_cluster/state/version").json()["version"] == version
    es.put(f"/{populated}-other")
    assert es.get("/_cluster/state/version").json()["version"] == version + 1
    only = es.get(f"/_cluster/state/metadata/{populated}").json()
    assert set(only) == {"cluster_name", "cluster_uuid", "metadata"}
    assert list(only["metadata"]["indices"]) == [populated]
    es.put("/_template/t-state", json={"index_patterns": ["zzz-*"], "order": 3})
    templates = es.get("/_cluster/state/metadata").json()["metadata"]["templates"]
    assert templates["t-state"]["order"] == 3
    es.delete("/_template/t-state")


def test_cluster_settings_persistent_and_transient(es: httpx.Client) -> None:
    response = es.put("/_cluster/settings", json={
        "persistent": {"cluster": {"routing.allocation.enable": "all"}},
        "transient": {"indices.recovery.max_bytes_per_sec": "50mb"}})
    assert response.json() == {
        "acknowledged": True,
        "persistent": {"cluster": {"routing": {"allocation": {"enable": "all"}}}},
        "transient": {"indices": {"recovery": {"max_bytes_per_sec": "50mb"}}}}
    flat = es.get("/_cluster/settings?flat_settings=true").json()
    assert flat["persistent"]["cluster.routing.allocation.enable"] == "all"
    assert flat["transient"]["indices.recovery.max_bytes_per_sec"] == "50mb"
    reset = es.put("/_cluster/settings", json={"persistent": {"cluster.routing.*": None},
                                               "transient": {"indices.recovery.*": None}})
    assert reset.json() == {"acknowledged": True, "persistent": {}, "transient": {}}
    assert es.get("/_cluster/settings").json() == {"persistent": {}, "transient": {}}
    defaults = es.get("/_cluster/settings?include_defaults=true").json()["defaults"]
    assert defaults["cluster"]["name"] == "loghaven"
    empty = es.put("/_cluster/settings", json={})
    assert empty.status_code == 400
    assert empty.json()["error"]["type"] == "action_request_validation_exception"


def test_cluster_settings_take_effect(es: httpx.Client, index_name: str) -> None:
    es.put("/_cluster/settings", json={"transient": {"action.auto_create_index": False}})
    try:
        refused = es.put(f"/{index_name}/_doc/1", json={"a": 1})
        assert refused.status_code == 404
    finally:
        es.put("/_cluster/settings", json={"transient": {"action.auto_create_index": None}})
    assert es.put(f"/{index_name}/_doc/1", json={"a": 1}).status_code == 201


def test_cluster_stats(es: httpx.Client, populated: str) -> None:
    body = es.get("/_cluster/stats").json()
    assert body["status"] == "green" and body["_nodes"]["total"] == 1
    assert body["indices"]["count"] >= 1
    assert body["indices"]["docs"]["count"] >= 2
    assert body["indices"]["store"]["size_in_bytes"] > 0
    types = {t["name"]: t for t in body["indices"]["mappings"]["field_types"]}
    assert types["keyword"]["index_count"] >= 1
    assert body["nodes"]["count"]["total"] == 1 and body["nodes"]["versions"]


def test_cat_nodes_shards_segments_plugins(es: httpx.Client, populated: str) -> None:
    lines = es.get("/_cat/nodes?v").text.splitlines()
    assert lines[0].split() == ["ip", "heap.percent", "ram.percent", "cpu", "load_1m",
                                "load_5m", "load_15m", "node.role", "node.roles",
                                "cluster_manager", "name"]
    assert lines[1].split()[0] == "127.0.0.1" and lines[1].split()[-2:] == ["*", "loghaven-1"]
    heap = es.get("/_cat/nodes?h=heap.*&v").text.splitlines()
    assert heap[0].split() == ["heap.current", "heap.percent", "heap.max"]
    assert len(es.get("/_cat/nodes?h=id").text.strip()) == 4
    assert len(es.get("/_cat/nodes?h=id&full_id=true").text.strip()) > 4

    shards = es.get(f"/_cat/shards/{populated}?format=json&bytes=b").json()
    assert shards == [{"index": populated, "shard": "0", "prirep": "p", "state": "STARTED",
                       "docs": "2", "store": shards[0]["store"], "ip": "127.0.0.1",
                       "node": "loghaven-1"}]
    assert int(shards[0]["store"]) > 0

    segments = es.get(f"/_cat/segments/{populated}?format=json").json()
    assert sum(int(s["docs.count"]) for s in segments) == 2
    assert sum(int(s["docs.deleted"]) for s in segments) == 1
    assert {s["committed"] for s in segments} == {"true"}

    rows = [line.split() for line in es.get("/_cat/plugins?v").text.splitlines()]
    assert rows[0] == ["name", "component", "version"]
    # the plugins whose APIs are served, in OpenSearch's order (by name)
    assert [row[1] for row in rows[1:]] == [
        "opensearch-alerting", "opensearch-index-management", "opensearch-job-scheduler",
        "opensearch-notifications", "opensearch-notifications-core",
        "opensearch-reports-scheduler", "opensearch-security", "opensearch-sql",
        "prometheus-exporter"]
    assert {row[2] for row in rows[1:]} == {"2.11.0.0"}


def test_resolve_index(es: httpx.Client, populated: str) -> None:
    es.put(f"/{populated}-closed")
    es.post(f"/{populated}-closed/_close")
    body = es.get(f"/_resolve/index/{populated}*").json()
    assert body == {
        "indices": [{"name": populated, "aliases": [f"{populated}-alias"],
                     "attributes": ["open"]}],
        "aliases": [{"name": f"{populated}-alias", "indices": [populated]}],
        "data_streams": []}
    every = es.get(f"/_resolve/index/{populated}*?expand_wildcards=all").json()
    assert {"name": f"{populated}-closed", "attributes": ["closed"]} in every["indices"]
    alias_only = es.get(f"/_resolve/index/{populated}-alias").json()
    assert alias_only["indices"] == [] and alias_only["aliases"][0]["indices"] == [populated]
    assert es.get("/_resolve/index/no-such-index").status_code == 404
    assert es.get("/_resolve/index/no-such-index?ignore_unavailable=true").json()[
        "indices"] == []


@pytest.mark.parametrize(("analyzer", "text", "tokens"), [
    ("standard", "The QUICK brown-fox, 42!", [
        ("the", 0, 3, "<ALPHANUM>", 0), ("quick", 4, 9, "<ALPHANUM>", 1),
        ("brown", 10, 15, "<ALPHANUM>", 2), ("fox", 16, 19, "<ALPHANUM>", 3),
        ("42", 21, 23, "<NUM>", 4)]),
    ("simple", "Hello W0rld", [
        ("hello", 0, 5, "word", 0), ("w", 6, 7, "word", 1), ("rld", 8, 11, "word", 2)]),
    ("whitespace", "Foo-Bar  baz", [("Foo-Bar", 0, 7, "word", 0), ("baz", 9, 12, "word", 1)]),
    ("keyword", "Foo Bar", [("Foo Bar", 0, 7, "word", 0)]),
])
def test_analyze_builtin_analyzers(es: httpx.Client, analyzer: str, text: str,
                                   tokens: list[tuple[str, int, int, str, int]]) -> None:
    body = es.post("/_analyze", json={"analyzer": analyzer, "text": text}).json()
    assert body == {"tokens": [
        {"token": t, "start_offset": s, "end_offset": e, "type": k, "position": p}
        for t, s, e, k, p in tokens]}


def test_analyze_arrays_fields_chains_and_errors(es: httpx.Client, populated: str) -> None:
    array = es.post("/_analyze", json={"tokenizer": "standard", "text": ["Foo Bar", "Baz"]})
    assert [(t["token"], t["start_offset"], t["position"]) for t in array.json()["tokens"]] == \
        [("Foo", 0, 0), ("Bar", 4, 1), ("Baz", 8, 2)]
    field = es.post(f"/{populated}/_analyze", json={"field": "msg", "text": ["a b", "c"]})
    assert [t["position"] for t in field.json()["tokens"]] == [0, 1, 102]
    keyword = es.post(f"/{populated}/_analyze", json={"field": "code", "text": "Foo Bar"})
    assert [t["token"] for t in keyword.json()["tokens"]] == ["Foo Bar"]
    emoji = es.post("/_analyze", json={"analyzer": "standard", "text": "😀 ok"}).json()
    assert emoji["tokens"][0]["start_offset"] == 3  # UTF-16 units, as Elasticsearch counts
    detail = es.post("/_analyze", json={
        "tokenizer": "standard", "explain": True, "text": "foo bar buzz",
        "filter": [{"type": "stop", "stopwords": ["foo", "buzz"]}]}).json()["detail"]
    assert [t["token"] for t in detail["tokenizer"]["tokens"]] == ["foo", "bar", "buzz"]
    assert detail["tokenfilters"][0]["name"] == "_anonymous_tokenfilter"
    assert [(t["token"], t["position"]) for t in detail["tokenfilters"][0]["tokens"]] == \
        [("bar", 1)]
    normalizer = es.post("/_analyze", json={"text": "ABc", "filter": ["lowercase"]}).json()
    assert normalizer["tokens"][0]["token"] == "abc"
    for body, error in [({"analyzer": "nope", "text": "x"}, "illegal_argument_exception"),
                        ({"analyzer": "standard"}, "action_request_validation_exception"),
                        ({"tokenizer": "nope", "text": "x"}, "illegal_argument_exception")]:
        response = es.post("/_analyze", json=body)
        assert response.status_code == 400 and response.json()["error"]["type"] == error
    assert es.post("/no-such-index/_analyze", json={"text": "x"}).status_code == 404


def test_tasks(es: httpx.Client) -> None:
    body = es.get("/_tasks").json()
    (node,) = body["nodes"].values()
    (task,) = node["tasks"].values()
    assert task["action"] == "cluster:monitor/tasks/lists" and task["type"] == "transport"
    flat = es.get("/_tasks?group_by=none&detailed=true").json()["tasks"]
    assert flat[0]["action"] == "cluster:monitor/tasks/lists" and "description" in flat[0]
    assert es.get("/_tasks?actions=indices:*").json() == {"nodes": {}}
    missing = es.get("/_tasks/abc:1")
    assert missing.status_code == 404
    assert missing.json()["error"]["type"] == "resource_not_found_exception"
