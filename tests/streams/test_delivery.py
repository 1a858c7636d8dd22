"""A stream's delivery to an index of the node, through the StreamService contract on a node
of the test's own: the rotated daily index and the idempotent ids, flushing by size and by
time, retries then ``elasticsearch-failed`` backups, records refused at once, the
transformation's outcomes, AllDocuments backups, a backup that cannot be written, the
buffer's bound, the metrics, deletion and restarts."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import orjson
import pytest
from tests.streams.streamkit import (
    backups,
    batch,
    documents,
    failed_lines,
    http_server,
    index_stream,
    lambda_processing,
    metrics,
    raw,
    record,
    reply,
    running_node,
    today,
)

from conftest import wait_for
from loghaven.engine import index_metadata
from loghaven.engine.documents_state import WriteRequest
from loghaven.node import Node
from loghaven.streams.errors import FirehoseError


@pytest.fixture
def node(tmp_path: Path) -> Iterator[Node]:
    with running_node(tmp_path / "data") as instance:
        yield instance


def waf(n: int, **extra: Any) -> bytes:
    return orjson.dumps({"timestamp": 1764115200000 + n, "action": "BLOCK", "n": n, **extra})


def test_records_reach_the_daily_index_under_their_record_ids(node: Node) -> None:
    node.streams.create(index_stream("waf", index="awswaf"), owner=None)
    answer = node.streams.put_record_batch(batch("waf", [waf(1), waf(2), waf(3)]))
    assert answer["FailedPutCount"] == 0
    ids = [item["RecordId"] for item in answer["RequestResponses"]]
    single = node.streams.put_record(record("waf", waf(4)))["RecordId"]
    index = today("awswaf")
    delivered = wait_for(lambda: len(documents(node, index)) == 4 and documents(node, index),
                         what="four documents")
    assert set(delivered) == {*ids, single}
    assert delivered[ids[1]] == orjson.loads(waf(2))
    seen = metrics(node, "waf")
    assert seen["incoming_records"] == 4 and seen["delivered_records"] == 4
    assert seen["incoming_bytes"] == sum(len(waf(n)) for n in range(1, 5))
    assert seen["buffered_records"] == 0 and seen["oldest_buffered_record_age_millis"] == 0


def test_a_record_already_indexed_before_a_crash_is_not_indexed_twice(node: Node) -> None:
    """What a restart after kill -9 between a delivery and its commit sees: the documents
    are there already (409 on create); they count as delivered and nothing is backed up."""
    node.streams.create(index_stream("again", index="again", interval=2), owner=None)
    answer = node.streams.put_record_batch(batch("again", [waf(1), waf(2)]))
    ids = [item["RecordId"] for item in answer["RequestResponses"]]
    for record_id in ids:  # as the delivery before the crash wrote them
        node.write_service.write_document(today("again"), WriteRequest(
            "create", doc_id=record_id, source=orjson.dumps({"earlier": record_id})))
    seen = wait_for(lambda: metrics(node, "again")["buffered_records"] == 0
                    and metrics(node, "again"), what="the delivery")
    assert seen["delivered_records"] == 2 and seen["failed_records"] == 0
    assert documents(node, today("again")) == {i: {"earlier": i} for i in ids}
    assert backups(node, "backups") == []


def test_no_document_id_lets_the_index_choose_ids(node: Node) -> None:
    node.streams.create(index_stream("noid", index="noid", document_ids=False), owner=None)
    ids = [r["RecordId"] for r in
           node.streams.put_record_batch(batch("noid", [waf(1), waf(2)]))["RequestResponses"]]
    delivered = wait_for(lambda: documents(node, today("noid")), what="delivery")
    wait_for(lambda: len(documents(node, today("noid"))) == 2)
    assert not set(delivered) & set(ids)


def test_a_full_size_hint_flushes_before_the_interval(node: Node) -> None:
    node.streams.create(index_stream("big", index="big", interval=900, size_mb=1), owner=None)
    node.streams.create(index_stream("small", index="small", interval=900, size_mb=1),
                        owner=None)
    pad = "x" * 1000
    for start in range(0, 1100, 275):
        answer = node.streams.put_record_batch(
            batch("big", [waf(n, pad=pad) for n in range(start, start + 275)]))
        assert answer["FailedPutCount"] == 0
    node.streams.put_record_batch(batch("small", [waf(1, pad=pad)]))
    seen = wait_for(lambda: metrics(node, "big")["delivered_records"] and metrics(node, "big"),
                    what="size flush")
    # one flush took a megabyte's worth of records; the rest waits for the 900 s interval
    record_size = len(waf(1000, pad=pad))
    assert 1024 * 1024 - record_size < seen["delivered_bytes"] <= 1024 * 1024
    assert seen["buffered_records"] == 1100 - seen["delivered_records"]
    assert len(documents(node, today("big"))) == seen["delivered_records"]
    assert metrics(node, "small")["buffered_records"] == 1
    assert metrics(node, "small")["delivered_records"] == 0


def test_a_write_block_is_retried_then_backed_up_as_elasticsearch_failed(node: Node) -> None:
    index = today("blocked")
    node.write_service.write_document(index, WriteRequest("index", doc_id="seed",
                                                          source=b"{}"))
    index_metadata.update_settings(node.catalog, [node.catalog.get(index)],
                                   {"index.blocks.write": "true"})
    node.streams.create(index_stream("blk", index="blocked", retry=2), owner=None)
    ids = [r["RecordId"] for r in
           node.streams.put_record_batch(batch("blk", [waf(1), waf(2)]))["RequestResponses"]]
    objects = wait_for(lambda: backups(node, "backups", "elasticsearch-failed/"),
                       what="a backup")
    lines = [line for _, content in objects for line in failed_lines(content)]
    assert sorted(line["esDocumentId"] for line in lines) == sorted(ids)
    assert {line["esIndexName"] for line in lines} == {index}
    assert {line["errorCode"] for line in lines} == {"403"}
    assert "cluster_block_exception" in lines[0]["errorMessage"]
    assert sorted(raw(line) for line in lines) == sorted([waf(1), waf(2)])
    assert all(line["attemptsMade"] >= 2 for line in lines)
    seen = wait_for(lambda: metrics(node, "blk")["buffered_records"] == 0
                    and metrics(node, "blk"))
    assert seen["retries"] >= 1 and seen["failed_records"] == 2
    assert seen["backed_up_records"] == 2 and seen["delivered_records"] == 0
    assert "cluster_block_exception" in seen["last_error"]
    assert set(documents(node, index)) == {"seed"}


def test_a_closed_index_is_retried_and_delivered_once_opened(node: Node) -> None:
    index = today("closing")
    node.write_service.write_document(index, WriteRequest("index", doc_id="seed",
                                                          source=b"{}"))
    index_metadata.set_closed(node.catalog, [node.catalog.get(index)], True)
    node.streams.create(index_stream("cls", index="closing", retry=60), owner=None)
    node.streams.put_record_batch(batch("cls", [waf(1)]))
    wait_for(lambda: metrics(node, "cls")["retries"] >= 1, what="a retry")
    index_metadata.set_closed(node.catalog, [node.catalog.get(index)], False)
    wait_for(lambda: metrics(node, "cls")["delivered_records"] == 1, what="the delivery")
    assert len(documents(node, index)) == 2
    assert backups(node, "backups") == []


def test_records_that_are_not_json_are_backed_up_at_once(node: Node) -> None:
    node.streams.create(index_stream("bad", index="mixed", retry=300), owner=None)
    answer = node.streams.put_record_batch(batch("bad", [b"not json at all", waf(1)]))
    bad_id = answer["RequestResponses"][0]["RecordId"]
    objects = wait_for(lambda: backups(node, "backups", "elasticsearch-failed/"),
                       timeout=20, what="a backup well before the 300 s retry duration")
    (line,) = [line for _, content in objects for line in failed_lines(content)]
    assert raw(line) == b"not json at all" and line["esDocumentId"] == bad_id
    assert line["errorCode"] == "400" and line["attemptsMade"] == 1
    wait_for(lambda: len(documents(node, today("mixed"))) == 1)
    seen = metrics(node, "bad")
    assert seen["retries"] == 0 and seen["failed_records"] == 1


@pytest.fixture
def function() -> Iterator[str]:
    """A transform function that follows Firehose's data-transformation contract: records
    with "drop" are Dropped, with "bad" ProcessingFailed, others Ok with a field added."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = orjson.loads(self.rfile.read(int(self.headers["content-length"])))
            out = []
            for item in body["records"]:
                data = base64.b64decode(item["data"])
                if b"drop" in data:
                    out.append({"recordId": item["recordId"], "result": "Dropped",
                                "data": item["data"]})
                elif b"bad" in data:
                    out.append({"recordId": item["recordId"], "result": "ProcessingFailed",
                                "data": item["data"]})
                else:
                    doc = {**orjson.loads(data), "transformed": True}
                    out.append({"recordId": item["recordId"], "result": "Ok",
                                "data": base64.b64encode(orjson.dumps(doc)).decode()})
            reply(self, 200, {"records": out})

        def log_message(self, *args: Any) -> None:
            pass

    with http_server(Handler) as url:
        yield f"{url}/transform"


def test_transformed_dropped_and_processing_failed_records(node: Node, function: str) -> None:
    node.streams.create(index_stream("fn", index="fn", processing=lambda_processing(function)),
                        owner=None)
    answer = node.streams.put_record_batch(batch("fn", [
        waf(1), waf(2, note="drop"), waf(3, note="bad"), waf(4)]))
    ok = [answer["RequestResponses"][i]["RecordId"] for i in (0, 3)]
    objects = wait_for(lambda: backups(node, "backups", "processing-failed/"),
                       what="the processing-failed backup")
    (line,) = [line for _, content in objects for line in failed_lines(content)]
    assert raw(line) == waf(3, note="bad") and line["lambdaArn"] == function
    delivered = wait_for(lambda: len(documents(node, today("fn"))) == 2
                         and documents(node, today("fn")))
    assert set(delivered) == set(ok)
    assert all(doc["transformed"] for doc in delivered.values())
    seen = wait_for(lambda: metrics(node, "fn")["buffered_records"] == 0
                    and metrics(node, "fn"))
    assert seen["transformed_records"] == 2 and seen["dropped_records"] == 1
    assert seen["processing_failed_records"] == 1 and seen["delivered_records"] == 2


def test_an_opensearch_destinations_failed_records_go_under_its_own_prefix(
        node: Node) -> None:
    request = index_stream("os", index="os")
    request["AmazonopensearchserviceDestinationConfiguration"] = request.pop(
        "ElasticsearchDestinationConfiguration")
    node.streams.create(request, owner=None)
    node.streams.put_record_batch(batch("os", [b"not json"]))
    objects = wait_for(lambda: backups(node, "backups", "AmazonOpenSearchService-failed/"),
                       what="the OpenSearch destination's failed record")
    (line,) = [line for _, content in objects for line in failed_lines(content)]
    assert raw(line) == b"not json" and line["esIndexName"] == today("os")
    assert backups(node, "backups", "elasticsearch-failed/") == []


def test_all_documents_are_backed_up_beside_their_delivery(node: Node) -> None:
    node.streams.create(index_stream("all", index="all", mode="AllDocuments"), owner=None)
    node.streams.put_record_batch(batch("all", [waf(1), waf(2), b"nope"]))
    wait_for(lambda: len(documents(node, today("all"))) == 2)
    objects = wait_for(lambda: [o for o in backups(node, "backups")
                                if not o[0].startswith("elasticsearch-failed/")],
                       what="the all-documents backup")
    # Firehose's "all incoming records": the one that failed too, as it came in
    assert b"".join(content for _, content in objects) == waf(1) + waf(2) + b"nope"
    assert [o for o in backups(node, "backups", "elasticsearch-failed/")]


def test_a_backup_that_fails_keeps_the_records_until_it_succeeds(node: Node,
                                                                  tmp_path: Path) -> None:
    blocker = tmp_path / "data" / "buckets" / "later"  # a file where the bucket's folder goes
    blocker.parent.mkdir(parents=True, exist_ok=True)
    blocker.write_bytes(b"")
    node.streams.create(index_stream("later", index="later", retry=0, bucket="later"),
                        owner=None)
    node.streams.put_record_batch(batch("later", [b"not json", waf(1)]))
    seen = wait_for(lambda: metrics(node, "later")["backup_failures"]
                    and metrics(node, "later"), what="a failed backup")
    assert seen["buffered_records"] == 2 and "later" in seen["last_error"]
    assert len(documents(node, today("later"))) == 1  # the good record was delivered
    blocker.unlink()
    wait_for(lambda: metrics(node, "later")["buffered_records"] == 0,
             timeout=60, what="the backup retried and the buffer committed")
    ((_, content),) = backups(node, "later")
    (line,) = failed_lines(content)
    assert raw(line) == b"not json"
    seen = metrics(node, "later")
    assert seen["delivered_records"] == 1 and seen["backed_up_records"] == 1
    assert len(documents(node, today("later"))) == 1


def test_the_buffer_bound_answers_service_unavailable(tmp_path: Path) -> None:
    with running_node(tmp_path / "data", streams_buffer_max_bytes=4096) as node:
        node.streams.create(index_stream("tight", interval=900, size_mb=5), owner=None)
        first = node.streams.put_record_batch(batch("tight", [b"x" * 1000] * 3))
        assert first["FailedPutCount"] == 0
        refused = node.streams.put_record_batch(batch("tight", [b"y" * 1000] * 2))
        assert refused["FailedPutCount"] == 2
        assert {r["ErrorCode"] for r in refused["RequestResponses"]} == \
            {"ServiceUnavailableException"}
        with pytest.raises(FirehoseError) as error:
            node.streams.put_record(record("tight", b"z" * 2000))
        assert error.value.code == "ServiceUnavailableException" and error.value.status == 503
        seen = metrics(node, "tight")
        assert seen["buffered_records"] == 3 and seen["incoming_records"] == 3
        assert seen["rejected_records"] == 3


def test_metrics_are_in_describe(node: Node) -> None:
    node.streams.create(index_stream("desc", index="desc", interval=900), owner=None)
    node.streams.put_record_batch(batch("desc", [waf(1), waf(2)]))
    described = node.streams.describe({"DeliveryStreamName": "desc"})
    shown = described["DeliveryStreamDescription"]["LoghavenMetrics"]
    assert shown["incoming_records"] == 2 and shown["buffered_records"] == 2
    assert shown["oldest_buffered_record_age_millis"] >= 0


def test_delete_stops_the_job_and_removes_buffer_and_record(node: Node, tmp_path: Path) -> None:
    node.streams.create(index_stream("gone", interval=900), owner=None)
    node.streams.put_record_batch(batch("gone", [waf(1)]))
    folder = tmp_path / "data" / "streams" / "gone"
    assert folder.is_dir()
    assert node.streams.delete({"DeliveryStreamName": "gone"}) == {}
    assert not folder.exists()
    assert "streams.gone" not in {job.name for job in node.scheduler.jobs()}
    assert node.metastore.get("delivery_stream", "gone") is None
    with pytest.raises(FirehoseError) as error:
        node.streams.describe({"DeliveryStreamName": "gone"})
    assert error.value.code == "ResourceNotFoundException"
    node.streams.create(index_stream("gone", interval=900), owner=None)
    assert metrics(node, "gone")["buffered_records"] == 0


def test_streams_and_their_buffered_records_survive_a_restart(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with running_node(data) as node:
        node.streams.create(index_stream("keep", index="keep", interval=900), owner=None)
        answer = node.streams.put_record_batch(batch("keep", [waf(1), waf(2)]))
        ids = {r["RecordId"] for r in answer["RequestResponses"]}
        assert metrics(node, "keep")["delivered_records"] == 0
    with running_node(data) as node:
        assert node.streams.list({})["DeliveryStreamNames"] == ["keep"]
        assert metrics(node, "keep")["buffered_records"] == 2
        # past the size hint: the two from before the restart go first
        node.streams.put_record_batch(batch("keep", [waf(3, pad="x" * 1_000_000)]))
        node.streams.put_record_batch(batch("keep", [waf(4, pad="x" * 100_000)]))
        wait_for(lambda: len(documents(node, today("keep"))) == 3, what="delivery")
        assert ids < set(documents(node, today("keep")))
        assert metrics(node, "keep")["buffered_records"] == 1
