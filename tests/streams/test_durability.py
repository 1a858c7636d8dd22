"""Delivery streams on a real server driven by boto3's ``firehose`` client: the streams'
metrics in ``_nodes/stats``, and kill -9 while records are put and delivered — after the
restart the index holds every acknowledged record exactly once, under its RecordId."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import httpx
import orjson
import pytest
from botocore.config import Config as BotoConfig
from tests.streams.streamkit import index_stream

from conftest import Server, wait_for


def firehose(server: Server) -> Any:
    return boto3.client("firehose", endpoint_url=server.url, region_name="us-east-1",
                        aws_access_key_id="k", aws_secret_access_key="s",
                        config=BotoConfig(retries={"total_max_attempts": 1},
                                          connect_timeout=5, read_timeout=30))


def stream_stats(server: Server) -> dict[str, Any]:
    nodes = httpx.get(f"{server.url}/_nodes/stats/streams", timeout=10).json()["nodes"]
    (node,) = nodes.values()
    return node["streams"]


def all_docs(server: Server, index: str) -> list[dict[str, Any]]:
    """Every document of ``index``, read with a scroll (more than one search's 10,000)."""
    httpx.post(f"{server.url}/{index}/_refresh", timeout=30)
    page = httpx.post(f"{server.url}/{index}/_search?scroll=1m", json={"size": 5000},
                      timeout=30).json()
    hits: list[dict[str, Any]] = []
    while page["hits"]["hits"] and len(hits) < 1_000_000:
        hits += page["hits"]["hits"]
        page = httpx.post(f"{server.url}/_search/scroll", timeout=30,
                          json={"scroll": "1m", "scroll_id": page["_scroll_id"]}).json()
    return hits


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    instance = Server(tmp_path / "data").start()
    yield instance
    instance.kill()


def test_node_stats_show_each_stream(server: Server) -> None:
    client = firehose(server)
    client.create_delivery_stream(**index_stream("stats", interval=900))
    client.put_record_batch(DeliveryStreamName="stats",
                            Records=[{"Data": b'{"a":1}'}, {"Data": b'{"a":2}'}])
    shown = stream_stats(server)["stats"]
    assert shown["incoming_records"] == 2 and shown["incoming_bytes"] == 14
    assert shown["buffered_records"] == 2 and shown["delivered_records"] == 0
    described = httpx.post(server.url + "/", content=b'{"DeliveryStreamName":"stats"}',
                           headers={"X-Amz-Target":
                                    "Firehose_20150804.DescribeDeliveryStream",
                                    "Content-Type": "application/x-amz-json-1.1"}).json()
    assert described["DeliveryStreamDescription"]["LoghavenMetrics"]["buffered_records"] == 2


def test_kill_9_while_putting_and_delivering_loses_and_duplicates_nothing(
        server: Server) -> None:
    client = firehose(server)
    client.create_delivery_stream(**index_stream("durable", index="durable",
                                                 rotation="NoRotation", interval=0))
    acked: dict[int, str] = {}  # n → RecordId
    attempted: set[int] = set()
    stop = threading.Event()

    def produce() -> None:
        n = 0
        while not stop.is_set() and n < 200_000:
            numbers = list(range(n, n + 50))
            n += 50
            attempted.update(numbers)
            try:
                answer = client.put_record_batch(
                    DeliveryStreamName="durable",
                    Records=[{"Data": orjson.dumps({"n": i, "pad": "x" * 200})}
                             for i in numbers])
            except Exception:  # the server was killed
                return
            assert answer["FailedPutCount"] == 0
            for i, item in zip(numbers, answer["RequestResponses"], strict=True):
                acked[i] = item["RecordId"]

    producer = threading.Thread(target=produce)
    producer.start()
    wait_for(lambda: stream_stats(server)["durable"]["delivered_records"] > 500,
             timeout=60, what="deliveries under way")
    time.sleep(0.3)
    server.kill()
    stop.set()
    producer.join(30)
    assert not producer.is_alive()
    assert len(acked) > 500

    server.start()
    wait_for(lambda: stream_stats(server)["durable"]["buffered_records"] == 0,
             timeout=120, what="the buffered records delivered after the restart")
    hits = all_docs(server, "durable")
    numbers = [hit["_source"]["n"] for hit in hits]
    assert len(numbers) == len(set(numbers)), "a record was delivered twice"
    assert set(numbers) <= attempted
    ids = {hit["_source"]["n"]: hit["_id"] for hit in hits}
    missing = set(acked) - set(ids)
    assert not missing, f"{len(missing)} acknowledged records lost"
    assert all(ids[n] == record_id for n, record_id in acked.items())
    # beyond the acknowledged ones, at most the batch whose answer the kill cut off
    assert len(set(ids) - set(acked)) <= 50
