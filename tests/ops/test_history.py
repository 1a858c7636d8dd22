"""The node-metrics history of a real server sampling every second: documents with the
contract's fields in hidden daily indices, rates that follow the traffic, retention, and a
sample recorded while the flood-stage disk block refuses every other write."""

from __future__ import annotations

import datetime
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.conftest import Server

from conftest import wait_for

PATTERN = ".loghaven-metrics-*"
READ_ONLY = "index.blocks.read_only_allow_delete"
DISK = "cluster.routing.allocation.disk."
#: The CloudWatch names every sample has (COMMON20.md's contract).
CLOUDWATCH = {"ClusterStatus.green", "ClusterStatus.yellow", "ClusterStatus.red",
              "FreeStorageSpace", "StorageSpaceTotal", "ClusterUsedSpace",
              "ClusterIndexWritesBlocked", "JVMMemoryPressure", "CPUUtilization", "SearchRate",
              "IndexingRate", "SearchLatency", "IndexingLatency", "AutomatedSnapshotFailure",
              "Nodes", "SearchableDocuments", "DeletedDocuments"}
OWN = {"loghaven.scheduler.lag_seconds", "loghaven.warm.cache_hits",
       "loghaven.warm.cache_bytes", "loghaven.streams.backlog_bytes",
       "loghaven.snapshots.succeeded", "loghaven.snapshots.failed", "loghaven.alerts.active",
       "loghaven.contexts.scroll", "loghaven.contexts.pit"}


@pytest.fixture(scope="module")
def sampled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    base: Path = tmp_path_factory.mktemp("history")
    server = Server(base / "data", env={"LOGHAVEN_OPS_METRICS_INTERVAL": "1s"}).start()
    yield server
    server.stop()


@pytest.fixture
def es(sampled: Server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=sampled.url, timeout=30) as client:
        yield client


def flat(source: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in source.items():
        if isinstance(value, dict):
            out.update(flat(value, f"{prefix}{key}."))
        else:
            out[prefix + key] = value
    return out


def samples(es: httpx.Client, query: dict[str, Any] | None = None,
            size: int = 5) -> list[dict[str, Any]]:
    """The newest samples (flattened) matching ``query``."""
    es.post(f"/{PATTERN}/_refresh")
    response = es.post(f"/{PATTERN}/_search", json={
        "size": size, "sort": [{"@timestamp": "desc"}],
        "query": query or {"match_all": {}}})
    assert response.status_code == 200, response.text
    return [flat(hit["_source"]) for hit in response.json()["hits"]["hits"]]


def test_samples_have_the_contracts_fields(es: httpx.Client) -> None:
    found = wait_for(lambda: samples(es), what="a metrics sample")
    sample = found[0]
    node_id, = es.get("/_nodes/_local").json()["nodes"]
    assert sample["node_id"] == node_id and sample["node_name"]
    assert set(sample) >= CLOUDWATCH | OWN
    assert sample["ClusterStatus.green"] == 1 and sample["ClusterStatus.red"] == 0
    assert sample["Nodes"] == 1 and sample["ClusterIndexWritesBlocked"] == 0
    assert 0 < sample["FreeStorageSpace"] < sample["StorageSpaceTotal"]
    assert 0 < sample["JVMMemoryPressure"] < 100
    assert 0 <= sample["CPUUtilization"] <= 100
    today = datetime.datetime.now(datetime.UTC).strftime("%Y.%m.%d")
    index = f".loghaven-metrics-{today}"
    mapping = es.get(f"/{index}/_mapping").json()[index]["mappings"]["properties"]
    assert mapping["@timestamp"]["type"] == "date"
    assert mapping["node_id"]["type"] == "keyword"
    assert mapping["FreeStorageSpace"]["type"] == "double"
    assert mapping["ClusterStatus"]["properties"]["red"]["type"] == "double"
    # a range query over the dotted figure, as an alarm's monitor asks it
    assert samples(es, {"range": {"ClusterStatus.green": {"gte": 1}}})


def test_the_history_is_hidden_like_other_system_indices(es: httpx.Client) -> None:
    """``index.hidden``, as alerting's and the audit log's indices: ``*`` does not reach it
    (``_cat/indices`` lists it, as ES's lists hidden indices by default)."""
    wait_for(lambda: samples(es), what="a metrics sample")
    settings = es.get(f"/{PATTERN}/_settings").json()
    assert settings and all(entry["settings"]["index"]["hidden"] == "true"
                            for entry in settings.values())
    assert es.post("/*/_search", json={"query": {"exists": {"field": "FreeStorageSpace"}}}
                   ).json()["hits"]["total"]["value"] == 0
    resolved = es.get("/_resolve/index/*").json()["indices"]
    assert not any(entry["name"].startswith(".loghaven-metrics-") for entry in resolved)


def test_rates_follow_the_traffic(es: httpx.Client, index_name: str) -> None:
    started = int(time.time() * 1000)
    bulk = "".join(f'{{"index":{{"_index":"{index_name}"}}}}\n{{"n":{i}}}\n'
                   for i in range(40))
    es.post("/_bulk?refresh=true", content=bulk, headers={"content-type": "application/x-ndjson"})
    for _ in range(5):
        es.post(f"/{index_name}/_search", json={})
    since = {"range": {"@timestamp": {"gte": started}}}

    def busy() -> list[dict[str, Any]]:
        return [s for s in samples(es, since, size=20)
                if s["IndexingRate"] > 0 and s["SearchRate"] > 0]

    sample = wait_for(busy, what="a sample with the traffic")[0]
    assert sample["IndexingLatency"] > 0 and sample["SearchLatency"] > 0
    assert sample["SearchableDocuments"] >= 40
    # the samples of the next seconds report no writes: the history's own are not counted
    # (this test's searches of the history are)
    wait_for(lambda: [s for s in samples(es, since, size=20) if s["IndexingRate"] == 0],
             what="a sample without writes")


def test_retention_deletes_old_daily_indices(es: httpx.Client) -> None:
    old = ".loghaven-metrics-2020.01.01"
    assert es.put(f"/{old}", json={"settings": {"index.hidden": True}}).status_code == 200
    wait_for(lambda: es.head(f"/{old}").status_code == 404, what="the old day deleted")
    today = datetime.datetime.now(datetime.UTC).strftime("%Y.%m.%d")
    assert es.head(f"/.loghaven-metrics-{today}").status_code == 200


def test_a_sample_is_recorded_while_writes_are_blocked(es: httpx.Client,
                                                       index_name: str) -> None:
    """At the flood stage every index gets the read-only-allow-delete block; the history's
    own sample still goes in (and says so), while a user's writes, to the history index
    too, are refused."""
    assert es.put(f"/{index_name}/_doc/1", json={"a": 1}).status_code == 201
    tiny = {DISK + "watermark.low": "0.001%", DISK + "watermark.high": "0.002%",
            DISK + "watermark.flood_stage": "0.003%"}
    assert es.put("/_cluster/settings", json={"transient": tiny}).status_code == 200
    try:
        blocked = {"term": {"ClusterIndexWritesBlocked": 1}}
        sample = wait_for(lambda: samples(es, blocked), what="a sample with writes blocked")[0]
        assert sample["ClusterStatus.green"] == 1
        assert es.put(f"/{index_name}/_doc/2", json={"a": 1}).status_code == 429
        today = f".loghaven-metrics-{datetime.datetime.now(datetime.UTC):%Y.%m.%d}"
        # a day's index made by the first sample after the flood began gets the block at
        # the next disk check, as in ES (which blocks the indices it finds at each check)
        wait_for(lambda: es.get(f"/{today}/_settings", params={"flat_settings": "true"})
                 .json()[today]["settings"].get(READ_ONLY) == "true",
                 what="the day's history index blocked")
        assert es.post(f"/{today}/_doc", json={"x": 1}).status_code == 429
        count = len(samples(es, blocked, size=100))
        wait_for(lambda: len(samples(es, blocked, size=100)) > count,
                 what="the next sample, still under the block")
    finally:
        reset = {"transient": {key: None for key in tiny}}
        assert es.put("/_cluster/settings", json=reset).status_code == 200
    wait_for(lambda: es.put(f"/{index_name}/_doc/3", json={"a": 1}).status_code == 201,
             what="writes allowed again")
