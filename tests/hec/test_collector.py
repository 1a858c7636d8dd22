"""``/services/collector`` over HTTP with security off (the default): Splunk's JSON event
protocol and raw lines become documents, every refusal is Splunk's ``{"text", "code"}``
with Splunk's status, and a bad event ends its batch after the events before it."""

from __future__ import annotations

import gzip
import time
from pathlib import Path

import httpx
import pytest

from conftest import Server

from .conftest import TOKENS, hec_server, send, sources


def splunk(text: str, code: int, **extra: object) -> dict[str, object]:
    return {"text": text, "code": code, **extra}


SUCCESS = splunk("Success", 0)


def test_json_events_become_documents(hec: Server) -> None:
    body = (
        '{"event": "GET /index.html 200", "time": 1700000000.25, "host": "web-1",'
        ' "source": "/var/log/nginx.log", "sourcetype": "nginx", "fields": {"dc": "eu-1",'
        ' "message": "collides", "tags": ["a", "b"]}}\n'
        '{"event": {"user": "ana", "action": "login", "status": 200}, "time": "1700000001",'
        ' "index": "hec-events"}'
        '{"event": 42}'
    )
    answer = send(hec, TOKENS["events"], body)
    assert answer.status_code == 200 and answer.json() == SUCCESS
    found = sources(hec, "hec-events", query={"match_all": {}})[-3:]
    assert found[0] == {"message": "GET /index.html 200", "@timestamp": "2023-11-14T22:13:20.250Z",
                        "dc": "eu-1", "tags": ["a", "b"],
                        "splunk": {"host": "web-1", "source": "/var/log/nginx.log",
                                   "sourcetype": "nginx", "index": "hec-events",
                                   "fields": {"message": "collides"}}}
    assert found[1] == {"user": "ana", "action": "login", "status": 200,
                        "@timestamp": "2023-11-14T22:13:21.000Z",
                        "splunk": {"source": "app", "sourcetype": "app:json",
                                   "index": "hec-events"}}
    assert found[2]["message"] == "42" and found[2]["splunk"]["sourcetype"] == "app:json"
    assert found[2]["@timestamp"].endswith("Z")


@pytest.mark.parametrize("separator", ["", " ", "\n", "\r\n", "\n\n  \t"])
def test_concatenated_events_with_or_without_whitespace(hec: Server, separator: str) -> None:
    marker = f"concat-{len(separator)}-{separator.count(chr(10))}"
    body = separator.join(f'{{"event": "{marker}-{n}", "index": "hec-concat"}}'
                          for n in range(4))
    assert send(hec, TOKENS["events"], body).json() == SUCCESS
    messages = [d["message"] for d in sources(hec, "hec-concat")
                if d["message"].startswith(marker + "-")]
    assert messages == [f"{marker}-{n}" for n in range(4)]


def test_an_event_spread_over_lines(hec: Server) -> None:
    body = '{\n  "event": {"a": 1},\n  "index": "hec-pretty"\n}\n{"event": "b",\n"index": "hec-pretty"}'
    assert send(hec, TOKENS["events"], body).json() == SUCCESS
    assert [d.get("a", d.get("message")) for d in sources(hec, "hec-pretty")] == [1, "b"]


def test_raw_lines_take_the_query_string_metadata(hec: Server) -> None:
    body = "first line\r\n\n   \nsecond line\nthird line"
    answer = send(hec, TOKENS["events"], body, path="raw", params={
        "index": "hec-raw", "host": "fw-1", "sourcetype": "syslog", "time": "1700000000.5"},
        headers={"Content-Type": "text/plain"})
    assert answer.status_code == 200 and answer.json() == SUCCESS
    assert sources(hec, "hec-raw") == [
        {"@timestamp": "2023-11-14T22:13:20.500Z", "message": message,
         "splunk": {"host": "fw-1", "source": "app", "sourcetype": "syslog",
                    "index": "hec-raw"}}
        for message in ("first line", "second line", "third line")]


def test_indexes_default_to_the_tokens_then_main(hec: Server) -> None:
    assert send(hec, TOKENS["plain"], '{"event": "to main"}').json() == SUCCESS
    assert send(hec, TOKENS["limited"], '{"event": "to default"}').json() == SUCCESS
    assert "to main" in [d["message"] for d in sources(hec, "main")]
    assert [d["message"] for d in sources(hec, "hec-allowed")] == ["to default"]


def test_any_content_type_and_gzip(hec: Server) -> None:
    for n, headers in enumerate(({}, {"Content-Type": "text/plain"},
                                 {"Content-Type": "application/json; charset=utf-8"})):
        assert send(hec, TOKENS["events"], f'{{"event": "ct-{n}", "index": "hec-ct"}}',
                    headers=headers).json() == SUCCESS
    zipped = gzip.compress(b'{"event": "zipped", "index": "hec-ct"}')
    assert send(hec, TOKENS["events"], zipped, headers={"Content-Encoding": "gzip"}) \
        .json() == SUCCESS
    assert [d["message"] for d in sources(hec, "hec-ct")] == ["ct-0", "ct-1", "ct-2", "zipped"]


@pytest.mark.parametrize(("bad", "answer"), [
    ('{"nope": 1}', splunk("Event field is required", 12, **{"invalid-event-number": 2})),
    ('{"event": null}', splunk("Event field is required", 12, **{"invalid-event-number": 2})),
    ('{"event": "  "}', splunk("Event field cannot be blank", 13,
                               **{"invalid-event-number": 2})),
    ('{"event": "x", "time": "yesterday"}', splunk("Invalid data format", 6,
                                                   **{"invalid-event-number": 2})),
    ('{"event": "x", "host": 7}', splunk("Invalid data format", 6,
                                         **{"invalid-event-number": 2})),
    ('["event"]', splunk("Invalid data format", 6, **{"invalid-event-number": 2})),
    ('{"event": "x", "fields": {"nested": {"a": 1}}}',
     splunk("Error in handling indexed fields", 15, **{"invalid-event-number": 2})),
    ('{"event": "x", "fields": "a=1"}',
     splunk("Error in handling indexed fields", 15, **{"invalid-event-number": 2})),
    ('{"event": "broken', splunk("Invalid data format", 6, **{"invalid-event-number": 2})),
    ('{"event": "x", "index": "hec-secret"}',
     splunk("Incorrect index", 7, **{"invalid-event-number": 2})),
])
def test_a_bad_event_ends_the_batch_after_those_before_it(hec: Server, bad: str,
                                                          answer: dict) -> None:
    index = f"hec-bad-{abs(hash(bad)) % 10**8}"
    body = (f'{{"event": "one", "index": "{index}"}}{{"event": "two", "index": "{index}"}}'
            f'{bad}{{"event": "after", "index": "{index}"}}')
    token = TOKENS["limited"] if "hec-secret" in bad else TOKENS["events"]
    if token == TOKENS["limited"]:
        body = body.replace(index, "hec-other")
        index = "hec-other"
    refused = send(hec, token, body)
    assert refused.status_code == 400 and refused.json() == answer
    messages = [d["message"] for d in sources(hec, index)]
    assert messages[-2:] == ["one", "two"] and "after" not in messages


@pytest.mark.parametrize(("token", "headers", "params", "status", "answer"), [
    (None, {}, None, 401, splunk("Token is required", 2)),
    (None, {}, {"token": TOKENS["events"]}, 400,
     splunk("Query string authorization is not enabled", 16)),
    (None, {"Authorization": "Basic YWRtaW46eA=="}, None, 401,
     splunk("Invalid authorization", 3)),
    (None, {"Authorization": f"Bearer {TOKENS['events']}"}, None, 401,
     splunk("Invalid authorization", 3)),
    ("4a3b2c1d-0000-4000-8000-00000000dead", {}, None, 403, splunk("Invalid token", 4)),
    (TOKENS["off"], {}, None, 403, splunk("Token disabled", 1)),
])
@pytest.mark.parametrize("path", ["event", "raw", "", "event/1.0"])
def test_authentication_failures(hec: Server, token: str | None, headers: dict,
                                 params: dict | None, status: int, answer: dict,
                                 path: str) -> None:
    refused = send(hec, token, '{"event": "x"}', path=path, params=params, headers=headers)
    assert (refused.status_code, refused.json()) == (status, answer)


def test_request_errors(hec: Server) -> None:
    for body in ("", "  \n "):
        refused = send(hec, TOKENS["events"], body)
        assert (refused.status_code, refused.json()) == (400, splunk("No data", 5))
    refused = send(hec, TOKENS["events"], '{"event": "x"}', channel_id="not-a-guid")
    assert (refused.status_code, refused.json()) == (400, splunk("Invalid data channel", 11))
    refused = send(hec, TOKENS["acked"], '{"event": "x"}')
    assert (refused.status_code, refused.json()) == (400, splunk("Data channel is missing", 10))
    refused = send(hec, TOKENS["events"], '{"acks": [0]}', path="ack",
                   channel_id="6a0d3d54-1fd5-4b38-9e21-2d1b8e5b7c11")
    assert (refused.status_code, refused.json()) == (400, splunk("ACK is disabled", 14))
    refused = send(hec, TOKENS["events"], "x", path="raw",
                   params={"time": "noon", "index": "hec-raw"})
    assert (refused.status_code, refused.json()) == (
        400, splunk("Invalid data format", 6, **{"invalid-event-number": 0}))
    refused = send(hec, TOKENS["events"], '{"event": "x", "index": "Upper-Case"}')
    assert (refused.status_code, refused.json()) == (
        400, splunk("Incorrect index", 7, **{"invalid-event-number": 0}))


def test_health(hec: Server) -> None:
    for path in ("/services/collector/health", "/services/collector/health/1.0"):
        answer = httpx.get(hec.url + path, timeout=10)
        assert (answer.status_code, answer.json()) == (200, splunk("HEC is healthy", 17))


def test_a_page_cannot_post_events_without_a_token(hec: Server) -> None:
    """Text bodies need no CORS preflight, so the route needs ``Authorization`` (which a
    page cannot add without one): refused before anything is read."""
    refused = httpx.post(hec.url + "/services/collector/raw", content=b"forged",
                         headers={"Content-Type": "text/plain",
                                  "Origin": "http://evil.example"}, timeout=10)
    assert refused.status_code in (401, 403)


def test_hec_disabled(tmp_path: Path) -> None:
    server = hec_server(tmp_path / "data", enabled=False).start()
    try:
        for path in ("event", "raw", "ack"):
            refused = send(server, TOKENS["acked"], '{"event": "x"}', path=path,
                           channel_id="6a0d3d54-1fd5-4b38-9e21-2d1b8e5b7c11")
            assert (refused.status_code, refused.json()) == (403, splunk("Token disabled", 1))
        health = httpx.get(server.url + "/services/collector/health", timeout=10)
        assert (health.status_code, health.json()) == (403, splunk("Token disabled", 1))
    finally:
        server.stop()


def test_unhealthy_while_the_disk_is_past_its_flood_stage(tmp_path: Path) -> None:
    """Writes blocked by the flood-stage watermark (engine/disk.py): health answers 503
    code 18 and events "Server is busy" (503, code 9), until the disk is fine again."""
    server = hec_server(tmp_path / "data").start()
    prefix = "cluster.routing.allocation.disk."

    def watermarks(value: str | None) -> None:
        answer = httpx.put(f"{server.url}/_cluster/settings", json={"persistent": {
            f"{prefix}watermark.{level}": value for level in ("low", "high", "flood_stage")}},
            timeout=10)
        assert answer.status_code == 200, answer.text

    def health() -> httpx.Response:
        return httpx.get(server.url + "/services/collector/health", timeout=10)

    def wait(status: int) -> httpx.Response:
        deadline = time.monotonic() + 15
        answer = health()
        while answer.status_code != status and time.monotonic() < deadline:
            time.sleep(0.2)
            answer = health()
        return answer

    try:
        assert send(server, TOKENS["events"], '{"event": "before"}').json() == SUCCESS
        watermarks("1000tb")  # "free space left" below 1000 TB: past every watermark
        unhealthy = wait(503)
        assert unhealthy.json() == splunk("HEC is unhealthy, queues are full", 18)
        busy = send(server, TOKENS["events"], '{"event": "blocked"}')
        assert (busy.status_code, busy.json()) == (
            503, splunk("Server is busy", 9))
        watermarks(None)
        assert wait(200).json() == splunk("HEC is healthy", 17)
    finally:
        server.stop()
