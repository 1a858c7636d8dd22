"""Indexer acknowledgements over HTTP: ackIds per channel, true only once the events are
durable (an acknowledged event is there after kill -9, with request and async translog
durability), their bounds, and Firehose's way of delivering: raw and event bodies with a
channel header, then polling ``/services/collector/ack``."""

from __future__ import annotations

import time
from pathlib import Path

import httpx

from conftest import Server

from .conftest import TOKENS, acks, channel, hec_server, send, sources, wait_acked

ACKED = TOKENS["acked"]


def test_ack_ids_count_per_channel_and_turn_true_once(hec: Server) -> None:
    first, second = channel(), channel()
    ids = [send(hec, ACKED, f'{{"event": "a{n}"}}', channel_id=first).json() for n in range(3)]
    assert ids == [{"text": "Success", "code": 0, "ackId": n} for n in range(3)]
    by_param = send(hec, ACKED, '{"event": "b"}', params={"channel": second})
    assert by_param.json() == {"text": "Success", "code": 0, "ackId": 0}
    wait_acked(hec, ACKED, first, [0, 1, 2])
    # answered true once, then forgotten (as Splunk); unknown ids and channels are false
    assert acks(hec, ACKED, first, [0, 1, 2, 7]).json() == {
        "acks": {"0": False, "1": False, "2": False, "7": False}}
    assert acks(hec, ACKED, channel(), [0]).json() == {"acks": {"0": False}}
    wait_acked(hec, ACKED, second, [0])
    assert [d["message"] for d in sources(hec, "hec-acks")][-4:] == ["a0", "a1", "a2", "b"]


def test_ack_request_errors(hec: Server) -> None:
    ch = channel()
    for body in ('{"acks": "0"}', '{"acks": [true]}', "[0]", "{"):
        refused = send(hec, ACKED, body, path="ack", channel_id=ch)
        assert (refused.status_code, refused.json()) == (
            400, {"text": "Invalid data format", "code": 6})
    refused = send(hec, ACKED, '{"acks": [0]}', path="ack")
    assert (refused.status_code, refused.json()) == (
        400, {"text": "Data channel is missing", "code": 10})
    refused = send(hec, ACKED, '{"acks": [0]}', path="ack", channel_id="x")
    assert (refused.status_code, refused.json()) == (
        400, {"text": "Invalid data channel", "code": 11})


def test_firehose_style_delivery_to_raw_and_event(hec: Server) -> None:
    """What Kinesis Data Firehose sends to a Splunk destination: first an empty request
    (it expects "No data"), then batches with ``X-Splunk-Request-Channel``, then it polls
    the acks with the same channel until each is true (else it retries the batch)."""
    ch = channel()
    probe = send(hec, ACKED, b"", path="raw", channel_id=ch)
    assert (probe.status_code, probe.json()) == (400, {"text": "No data", "code": 5})
    records = [f'{{"action":"BLOCK","clientIp":"10.0.0.{n}"}}' for n in range(5)]
    raw = send(hec, ACKED, "\n".join(records) + "\n", path="raw", channel_id=ch,
               params={"index": "hec-firehose-raw", "sourcetype": "aws:waf"},
               headers={"Content-Type": "application/json"})
    event = send(hec, ACKED, "".join(f'{{"event":{r},"sourcetype":"aws:waf"}}' for r in records),
                 channel_id=ch, params={"index": "hec-firehose-event"})
    assert [raw.json()["ackId"], event.json()["ackId"]] == [0, 1]
    wait_acked(hec, ACKED, ch, [0, 1])
    assert [d["message"] for d in sources(hec, "hec-firehose-raw")] == records
    assert [d["clientIp"] for d in sources(hec, "hec-firehose-event")] == [
        f"10.0.0.{n}" for n in range(5)]


def test_acknowledged_events_survive_kill_9(tmp_path: Path) -> None:
    server = hec_server(tmp_path / "data").start()
    try:
        settings = {"settings": {"index": {"translog": {"durability": "async"}}}}
        assert httpx.put(f"{server.url}/hec-async", json=settings, timeout=30) \
            .status_code == 200
        ch, sent = channel(), {"hec-acks": 0, "hec-async": 0}
        ids = []
        for batch in range(6):
            index = "hec-acks" if batch % 2 else "hec-async"
            body = "".join(f'{{"event": "e{batch}-{n}", "index": "{index}"}}'
                           for n in range(50))
            answer = send(server, ACKED, body, channel_id=ch)
            assert answer.status_code == 200, answer.text
            ids.append(answer.json()["ackId"])
            sent[index] += 50
        wait_acked(server, ACKED, ch, ids)
        server.kill()
        server.start()
        for index, count in sent.items():
            assert len(sources(server, index)) == count, index
    finally:
        server.kill()


def test_pending_acks_are_bounded(tmp_path: Path) -> None:
    server = hec_server(tmp_path / "data", ack={"max_pending": 2}).start()
    try:
        ch = channel()
        assert [send(server, ACKED, '{"event": "x"}', channel_id=ch).json()["ackId"]
                for _ in range(2)] == [0, 1]
        busy = send(server, ACKED, '{"event": "not written"}', channel_id=ch)
        assert (busy.status_code, busy.json()) == (503, {"text": "Server is busy", "code": 9})
        health = httpx.get(server.url + "/services/collector/health", timeout=10)
        assert (health.status_code, health.json()) == (
            503, {"text": "HEC is unhealthy, ack service unavailable", "code": 19})
        # events without acks still go in
        assert send(server, TOKENS["events"], '{"event": "y"}').json()["code"] == 0
        wait_acked(server, ACKED, ch, [0, 1])
        assert send(server, ACKED, '{"event": "z"}', channel_id=ch).json()["ackId"] == 2
        assert "not written" not in [d["message"] for d in sources(server, "hec-acks")]
    finally:
        server.stop()


def test_idle_channels_are_forgotten(tmp_path: Path) -> None:
    server = hec_server(tmp_path / "data", ack={"channel_timeout": "1s"}).start()
    try:
        ch = channel()
        assert send(server, ACKED, '{"event": "x"}', channel_id=ch).json()["ackId"] == 0
        time.sleep(2.5)  # past the timeout and the once-a-second sweep
        assert acks(server, ACKED, ch, [0]).json() == {"acks": {"0": False}}
        assert send(server, ACKED, '{"event": "x"}', channel_id=ch).json()["ackId"] == 0
    finally:
        server.stop()
