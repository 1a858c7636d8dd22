"""``GET /_prometheus/metrics`` over HTTP from a real server, read with ``prometheus_client``'s
own parser: the exporter plugin's names and labels, and figures that move with searches,
writes and refreshes."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import boto3
import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from tests.conftest import Server
from tests.streams.streamkit import index_stream

MB = 1024 * 1024


def scrape(es: httpx.Client) -> dict[str, dict[tuple[str, tuple[tuple[str, str], ...]], float]]:
    """Each family's samples, by sample name and sorted labels."""
    response = es.get("/_prometheus/metrics")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    return {family.name: {(s.name, tuple(sorted(s.labels.items()))): s.value
                          for s in family.samples}
            for family in text_string_to_metric_families(response.text)}


def one(families: dict, name: str, **labels: str) -> float:
    """The value of the one sample of ``name`` whose labels include ``labels``."""
    found = [value for family in families.values()
             for (sample, have), value in family.items()
             if sample == name and set(labels.items()) <= set(have)]
    assert len(found) == 1, (name, labels, found)
    return found[0]


def test_the_exporter_plugins_names_and_labels(es: httpx.Client) -> None:
    families = scrape(es)
    node = es.get("/_nodes/_local").json()
    node_id, = node["nodes"]
    cluster = node["cluster_name"]
    assert one(families, "opensearch_cluster_status", cluster=cluster) == 0  # green
    assert one(families, "opensearch_cluster_nodes_number") == 1
    labels = {"cluster": cluster, "node": node["nodes"][node_id]["name"], "nodeid": node_id}
    total = one(families, "opensearch_fs_total_total_bytes", **labels)
    free = one(families, "opensearch_fs_total_free_bytes", **labels)
    assert 0 < free <= total
    used = one(families, "opensearch_jvm_mem_heap_used_bytes", **labels)
    limit = one(families, "opensearch_jvm_mem_heap_max_bytes", **labels)
    assert 10 * MB < used < limit
    assert one(families, "opensearch_jvm_mem_heap_used_percent") == pytest.approx(
        100 * used / limit, rel=0.2)
    assert one(families, "loghaven_cluster_index_writes_blocked") == 0
    for state in ("ACTIVE", "ACKNOWLEDGED", "ERROR"):
        assert one(families, "loghaven_alerts", state=state) >= 0
    assert {"loghaven_search_contexts", "loghaven_scheduler_lag_seconds",
            "loghaven_warm_cache_hits", "loghaven_snapshot_runs",
            "loghaven_stream_backlog_bytes"} <= set(families)


def test_figures_move_with_searches_writes_and_refreshes(es: httpx.Client,
                                                         index_name: str) -> None:
    before = scrape(es)
    bulk = "".join(f'{{"index":{{"_index":"{index_name}"}}}}\n{{"n":{i}}}\n'
                   for i in range(25))
    assert not es.post("/_bulk?refresh=true", content=bulk,
                       headers={"content-type": "application/x-ndjson"}).json()["errors"]
    for _ in range(3):
        assert es.post(f"/{index_name}/_search", json={"query": {"match_all": {}}}
                       ).status_code == 200
    assert es.post(f"/{index_name}/_count", json={}).status_code == 200
    scroll = es.post(f"/{index_name}/_search?scroll=1m", json={"size": 5}).json()
    after = scrape(es)

    def moved(name: str, **labels: str) -> float:
        return one(after, name, **labels) - one(before, name, **labels)

    assert moved("loghaven_indexing_documents_total", result="succeeded") >= 25
    assert moved("loghaven_indexing_latency_seconds_count") >= 1
    assert moved("loghaven_search_latency_seconds_count", kind="search") >= 4
    assert moved("loghaven_search_latency_seconds_count", kind="count") >= 1
    # the histogram's buckets are cumulative and end at +Inf = count
    assert one(after, "loghaven_search_latency_seconds_bucket", kind="search", le="+Inf") \
        == one(after, "loghaven_search_latency_seconds_count", kind="search")
    assert moved("opensearch_indices_indexing_index_count") >= 25
    assert moved("opensearch_indices_doc_number") >= 25
    assert moved("opensearch_indices_refresh_total_count") >= 1
    assert moved("opensearch_indices_search_query_count") >= 4
    assert one(after, "loghaven_search_contexts", type="scroll") >= 1
    assert one(after, "opensearch_indices_search_open_contexts_number") >= 1
    es.request("DELETE", "/_search/scroll", json={"scroll_id": scroll["_scroll_id"]})


def test_a_failed_search_is_counted_as_a_failure(es: httpx.Client, index_name: str) -> None:
    es.put(f"/{index_name}/_doc/1?refresh=true", json={"n": 1})

    def failures(families: dict) -> float:
        return sum(value for (sample, labels), value in
                   families.get("loghaven_search_failures", {}).items()
                   if sample == "loghaven_search_failures_total"
                   and ("kind", "search") in labels)

    before = failures(scrape(es))
    bad = es.post(f"/{index_name}/_search", json={"query": {"range": {"n": {"gte": "x"}}}})
    assert bad.status_code == 400
    assert failures(scrape(es)) == before + 1


def test_a_delivery_streams_backlog(server: Server, es: httpx.Client) -> None:
    """A record a Firehose client put, buffered until its 15-minute interval, is backlog."""
    firehose = boto3.client("firehose", endpoint_url=server.url, region_name="us-east-1",
                            aws_access_key_id="k", aws_secret_access_key="s")
    name = f"metrics-{uuid.uuid4().hex[:8]}"
    firehose.create_delivery_stream(**index_stream(name, index="backlogged", interval=900,
                                                   size_mb=100))
    try:
        firehose.put_record(DeliveryStreamName=name, Record={"Data": b'{"a": 1}\n' * 50})
        families = scrape(es)
        assert one(families, "loghaven_stream_backlog_bytes", stream=name) >= 450
        assert one(families, "loghaven_stream_backlog_records", stream=name) == 1
    finally:
        firehose.delete_delivery_stream(DeliveryStreamName=name)


@pytest.fixture(scope="module")
def small_disk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server whose free storage is the test seam's 123 MB."""
    base: Path = tmp_path_factory.mktemp("seam")
    server = Server(base / "data", env={"LOGHAVEN_TEST_FREE_STORAGE_MB": "123"}).start()
    yield server
    server.stop()


def test_the_free_storage_test_seam(small_disk: Server) -> None:
    with httpx.Client(base_url=small_disk.url, timeout=30) as es:
        families = scrape(es)
        assert one(families, "opensearch_fs_total_free_bytes") == 123 * MB
        metrics = es.get("/_nodes/_local/stats/loghaven").json()
        sample, = (n["loghaven"]["metrics"] for n in metrics["nodes"].values())
        assert sample["FreeStorageSpace"] == 123
        assert sample["StorageSpaceTotal"] > 123
