"""A stream's delivery to a Splunk HTTP Event Collector as Firehose sends it: to a recording
HEC that follows Splunk's documented protocol (raw and event endpoints, indexer
acknowledgements polled until true, errors with Splunk's codes), and to Loghaven's own HEC on
a second server, whose acknowledgements turn true only when the events are durable."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from tests.streams.streamkit import (
    backups,
    batch,
    failed_lines,
    http_server,
    metrics,
    raw,
    reply,
    running_node,
    splunk_stream,
)

from conftest import Server, wait_for
from loghaven.node import Node

TOKEN = "9b2b3f52-5a38-4e9a-b6a5-0c1f5d6a7e10"


@dataclass
class FakeHec:
    """Splunk HEC as its documentation describes it: ``{"text":"Success","code":0,
    "ackId":N}`` per request, each ackId true from its ``acks_after``-th poll on."""

    url: str
    requests: list[tuple[str, dict[str, str], bytes]] = field(default_factory=list)
    acks_after: int = 2
    busy: bool = False
    polls: dict[int, int] = field(default_factory=dict)


@pytest.fixture
def hec() -> Iterator[FakeHec]:
    state = FakeHec("")
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length") or 0))
            headers = {k.lower(): v for k, v in self.headers.items()}
            with lock:
                state.requests.append((self.path, headers, body))
                if headers.get("authorization") != f"Splunk {TOKEN}":
                    status, answer = 403, {"text": "Invalid token", "code": 4}
                elif state.busy:
                    status, answer = 503, {"text": "Server is busy", "code": 9}
                elif self.path == "/services/collector/ack":
                    acks = {}
                    for ack_id in orjson.loads(body)["acks"]:
                        state.polls[ack_id] = state.polls.get(ack_id, 0) + 1
                        acks[str(ack_id)] = state.polls[ack_id] >= state.acks_after
                    status, answer = 200, {"acks": acks}
                else:
                    ack_id = len(state.polls)
                    state.polls[ack_id] = 0
                    status, answer = 200, {"text": "Success", "code": 0, "ackId": ack_id}
            reply(self, status, answer)

        def log_message(self, *args: Any) -> None:
            pass

    with http_server(Handler) as url:
        state.url = url
        yield state


@pytest.fixture
def node(tmp_path: Path) -> Iterator[Node]:
    with running_node(tmp_path / "data") as instance:
        yield instance


def sent(hec: FakeHec, path: str) -> list[tuple[str, dict[str, str], bytes]]:
    return [request for request in hec.requests if request[0] == path]


def test_raw_records_are_sent_with_the_token_and_a_channel_until_acknowledged(
        node: Node, hec: FakeHec) -> None:
    node.streams.create(splunk_stream("spl", hec.url, token=TOKEN, kind="Raw"), owner=None)
    node.streams.put_record_batch(batch("spl", [b"line one\n", b"line two\n"]))
    wait_for(lambda: metrics(node, "spl")["delivered_records"] == 2, what="delivery")
    (_, headers, body), = sent(hec, "/services/collector/raw")
    assert body == b"line one\nline two\n"
    assert headers["authorization"] == f"Splunk {TOKEN}"
    channel = headers["x-splunk-request-channel"]
    polls = sent(hec, "/services/collector/ack")
    assert len(polls) >= 2  # the first poll was false
    assert {request[1]["x-splunk-request-channel"] for request in polls} == {channel}
    assert orjson.loads(polls[-1][2]) == {"acks": [0]}
    assert metrics(node, "spl")["buffered_records"] == 0


def test_event_records_go_to_the_event_endpoint(node: Node, hec: FakeHec) -> None:
    events = [orjson.dumps({"event": {"n": n}, "sourcetype": "aws:waf"}) for n in range(3)]
    node.streams.create(splunk_stream("ev", hec.url, token=TOKEN, kind="Event"), owner=None)
    node.streams.put_record_batch(batch("ev", events))
    wait_for(lambda: metrics(node, "ev")["delivered_records"] == 3, what="delivery")
    (_, _, body), = sent(hec, "/services/collector/event")
    assert body == b"".join(events)


def test_a_busy_hec_is_retried_then_backed_up_as_splunk_failed(node: Node,
                                                                hec: FakeHec) -> None:
    hec.busy = True
    node.streams.create(splunk_stream("busy", hec.url, token=TOKEN, retry=2), owner=None)
    ids = [r["RecordId"] for r in node.streams.put_record_batch(
        batch("busy", [b"a\n", b"b\n"]))["RequestResponses"]]
    objects = wait_for(lambda: backups(node, "backups", "splunk-failed/"), what="backup")
    lines = [line for _, content in objects for line in failed_lines(content)]
    assert sorted(line["EventId"] for line in lines) == sorted(ids)
    assert {line["errorCode"] for line in lines} == {"Splunk.ServerError"}
    assert sorted(raw(line) for line in lines) == [b"a\n", b"b\n"]
    assert len(sent(hec, "/services/collector/raw")) >= 2
    seen = wait_for(lambda: metrics(node, "busy")["buffered_records"] == 0
                    and metrics(node, "busy"))
    assert seen["retries"] >= 1 and seen["failed_records"] == 2
    assert seen["delivered_records"] == 0


def test_a_wrong_token_is_backed_up_with_firehose_s_code(node: Node, hec: FakeHec) -> None:
    node.streams.create(splunk_stream("tok", hec.url, token="wrong", retry=0), owner=None)
    node.streams.put_record_batch(batch("tok", [b"x\n"]))
    objects = wait_for(lambda: backups(node, "backups", "splunk-failed/"), what="backup")
    (line,) = [line for _, content in objects for line in failed_lines(content)]
    assert line["errorCode"] == "Splunk.InvalidToken"


@pytest.fixture
def loghaven_hec(tmp_path: Path) -> Iterator[Server]:
    """A second Loghaven server whose HEC takes TOKEN, with acknowledgements."""
    folder = tmp_path / "hec"
    folder.mkdir()
    config = folder / "loghaven.yml"
    config.write_text(orjson.dumps({"hec": {"tokens": [
        {"name": "firehose", "token": TOKEN, "index": "splunk-main", "useACK": True}]}})
        .decode())
    server = Server(folder / "data", "--config", str(config)).start()
    yield server
    server.stop()


@pytest.mark.parametrize("kind", ["Raw", "Event"])
def test_a_stream_delivers_to_loghaven_s_own_hec(node: Node, loghaven_hec: Server,
                                                 kind: str) -> None:
    if kind == "Raw":
        records = [f"waf line {n}\n".encode() for n in range(5)]
    else:
        records = [orjson.dumps({"event": {"n": n}, "time": 1764115200 + n})
                   for n in range(5)]
    name = f"to-hec-{kind.lower()}"
    node.streams.create(splunk_stream(name, loghaven_hec.url, token=TOKEN, kind=kind),
                        owner=None)
    node.streams.put_record_batch(batch(name, records))
    wait_for(lambda: metrics(node, name)["delivered_records"] == 5, what="delivery")
    assert metrics(node, name)["failed_records"] == 0
    httpx.post(f"{loghaven_hec.url}/splunk-main/_refresh", timeout=10)
    count = httpx.get(f"{loghaven_hec.url}/splunk-main/_count", timeout=10).json()["count"]
    assert count == 5
