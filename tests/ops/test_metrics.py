"""The node's metrics in ``_nodes/stats`` and ``_cluster/health`` (read with opensearch-py
from a real server whose memory limit is 2 GiB), and the listener's constant cost per
event."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, overload

import pytest
from opensearchpy import OpenSearch
from tests.alerting.test_alerts_store import alert
from tests.conftest import Server

from loghaven.config import Config
from loghaven.node import Node
from loghaven.ops.metrics import NodeMetrics, collect, memory_limit
from loghaven.ops.observe import Observers, Searched, Written

GIB = 1024 ** 3


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OpenSearch]:
    base: Path = tmp_path_factory.mktemp("metrics")
    server = Server(base / "data", env={"LOGHAVEN_NODE_MEMORY_LIMIT": "2gb"}).start()
    yield OpenSearch(hosts=[server.url], timeout=30)
    server.stop()


def local(response: dict[str, Any]) -> dict[str, Any]:
    entry, = response["nodes"].values()
    return entry


def test_jvm_memory_is_the_process_against_the_memory_limit(client: OpenSearch) -> None:
    stats = local(client.nodes.stats(node_id="_local", metric="jvm"))
    mem = stats["jvm"]["mem"]
    assert mem["heap_max_in_bytes"] == 2 * GIB
    assert 0 < mem["heap_used_in_bytes"] < 2 * GIB
    assert mem["heap_used_percent"] == round(100 * mem["heap_used_in_bytes"] / (2 * GIB))
    info = local(client.nodes.info(node_id="_local", metric="jvm"))
    assert info["jvm"]["mem"]["heap_max_in_bytes"] == 2 * GIB


def test_refresh_and_merge_sections(client: OpenSearch) -> None:
    before = local(client.nodes.stats(metric="indices"))["indices"]
    client.index(index="refreshed", body={"n": 1}, refresh=True)
    after = local(client.nodes.stats(metric="indices"))["indices"]
    assert after["refresh"]["total"] > before["refresh"]["total"]
    assert after["refresh"]["total_time_in_millis"] >= 0
    assert set(after["merges"]) >= {"current", "total", "total_time_in_millis",
                                    "total_docs", "total_size_in_bytes"}
    one = client.indices.stats(index="refreshed", metric="refresh")
    assert one["indices"]["refreshed"]["primaries"]["refresh"]["total"] >= 1


def test_the_loghaven_section(client: OpenSearch) -> None:
    client.index(index="counted", body={"n": 1}, refresh=True)
    client.search(index="counted", body={})
    section = local(client.nodes.stats(metric="loghaven"))["loghaven"]
    metrics = section["metrics"]
    assert metrics["ClusterStatus.green"] == 1
    assert metrics["loghaven.memory.limit_bytes"] == 2 * GIB
    assert metrics["JVMMemoryPressure"] == pytest.approx(
        100 * metrics["loghaven.memory.resident_bytes"] / (2 * GIB))
    assert metrics["SearchRate"] > 0 and metrics["IndexingRate"] > 0
    assert section["totals"]["searches"] >= 1 and section["totals"]["documents"] >= 1
    assert set(section["history"]) == {"samples_written", "samples_failed"}
    # a look does not start a new period: the rates are still there the next time
    again = local(client.nodes.stats(metric="loghaven"))["loghaven"]["metrics"]
    assert again["IndexingRate"] > 0


def test_cluster_health_keeps_its_shape(client: OpenSearch) -> None:
    health = client.cluster.health()
    assert health["status"] == "green" and health["number_of_nodes"] == 1


class _Untouchable(Sequence[Any]):
    """A write's documents that may be counted but not read: a listener that walks them
    fails."""

    def __init__(self, length: int) -> None:
        self.length = length

    def __len__(self) -> int:
        return self.length

    @overload
    def __getitem__(self, index: int) -> Any: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[Any]: ...
    def __getitem__(self, index: int | slice) -> Any:
        raise AssertionError("the metrics listener read a document")

    def __iter__(self) -> Iterator[Any]:
        raise AssertionError("the metrics listener walked the documents")


def test_the_listener_does_no_work_per_document() -> None:
    """A million-document write is one event of constant cost: counted by its length."""
    metrics = NodeMetrics(GIB)
    observers = Observers()
    metrics.listen(observers)
    metrics.written(Written("logs", _Untouchable(1_000_000), took_ms=1500.0, failed=3))
    metrics.searched(Searched("search", ("logs",), 12.0, 1.0, 10, {"query": {}}))
    totals = metrics.totals()
    assert totals["documents"] == 1_000_000 and totals["searches"] == 1
    rates = metrics.rates(advance=True)
    assert rates["IndexingLatency"] == pytest.approx(1500.0 / 1_000_000)
    assert rates["SearchLatency"] == pytest.approx(12.0)
    assert metrics.documents.labels("failed")._value.get() == 3


@pytest.mark.parametrize(("value", "expected"), [
    ("80%", 800), ("100%", 1000), ("4gb", 4 * GIB), ("512mb", 512 * 1024 ** 2)])
def test_memory_limit(value: str, expected: int) -> None:
    assert memory_limit(value, 1000) == expected


@pytest.mark.parametrize("value", ["0%", "120%", "lots", "-1"])
def test_a_wrong_memory_limit_is_refused(value: str) -> None:
    with pytest.raises(ValueError):
        memory_limit(value, 1000)


def test_alert_counts_by_state(tmp_path: Path) -> None:
    """Alerts written through alerting's store are counted by state in a sample, and reading
    them is not counted as a search."""
    node = Node(Config(data_dir=tmp_path / "data", ingest_workers=0))
    try:
        assert collect(node)["loghaven.alerts.active"] == 0
        node.alerts.save([alert("m1", "cpu high"), alert("m1", "cpu low"),
                          alert("m2", "disk", state="ERROR", error_message="failed"),
                          alert("m3", "gone", state="COMPLETED", end_time=2)])
        sample = collect(node)
        assert (sample["loghaven.alerts.active"], sample["loghaven.alerts.acknowledged"],
                sample["loghaven.alerts.error"]) == (2, 0, 1)
        assert node.metrics.totals()["searches"] == 0
    finally:
        node.close()
