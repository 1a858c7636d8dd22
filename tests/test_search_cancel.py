"""A search stops when its client goes, when its ``timeout`` passes, and when the server is
asked to stop (SIGTERM), at the next split instead of after the last."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

import httpx
import orjson
import pytest

from conftest import Server

INDICES = 20
DOCS = 200


def ingest(url: str, prefix: str = "heavy") -> None:
    """INDICES indices of DOCS documents: every index is a split of its own."""
    with httpx.Client(base_url=url, timeout=60) as client:
        for i in range(INDICES):
            lines = []
            for j in range(DOCS):
                lines.append(b'{"index":{}}')
                lines.append(orjson.dumps({"n": j, "msg": f"w{(i * DOCS + j) % 1000} x{j % 97}"}))
            response = client.post(f"/{prefix}-{i}/_bulk", content=b"\n".join(lines) + b"\n",
                                   headers={"content-type": "application/x-ndjson"})
            assert response.status_code == 200 and not response.json()["errors"]
        client.post(f"/{prefix}-*/_refresh")


def heavy_aggs(filters: int = 2000) -> dict:
    """A ``filters`` aggregation that searches every split once per filter: tens of seconds
    over INDICES splits."""
    return {"filters": {"filters": {
        f"k{k}": {"wildcard": {"msg": f"*{k % 1000}*"}} for k in range(filters)}}}


def raw_request(url: str, method: str, path: str, body: dict) -> socket.socket:
    """Send a request on a socket of our own, so that the test decides when it closes."""
    parsed = urlparse(url)
    payload = orjson.dumps(body)
    sock = socket.create_connection((parsed.hostname, parsed.port))
    sock.sendall(f"{method} {path} HTTP/1.1\r\nHost: {parsed.hostname}\r\n"
                 f"Content-Type: application/json\r\nContent-Length: {len(payload)}\r\n\r\n"
                 .encode() + payload)
    return sock


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time of a process (and its threads) so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_rate(pid: int, seconds: float) -> float:
    before = cpu_seconds(pid)
    time.sleep(seconds)
    return (cpu_seconds(pid) - before) / seconds


@pytest.fixture
def heavy_server(tmp_path: Path) -> Iterator[Server]:
    server = Server(tmp_path / "data", "--ingest-workers", "0").start()
    ingest(server.url)
    yield server
    server.kill()


def test_search_stops_when_its_client_disconnects(heavy_server: Server) -> None:
    assert heavy_server.process is not None
    pid = heavy_server.process.pid
    sock = raw_request(heavy_server.url, "POST", "/heavy-*/_search",
                       {"size": 0, "aggs": {"f": heavy_aggs()}})
    time.sleep(0.5)
    busy = cpu_rate(pid, 1.5)
    sock.close()
    time.sleep(1.0)
    after = cpu_rate(pid, 2.0)
    assert busy > 0.2, f"the search did not keep the server busy ({busy:.2f} CPU/s)"
    assert after < busy / 4, f"still {after:.2f} CPU/s after the client left ({busy:.2f} before)"
    assert httpx.get(heavy_server.url + "/heavy-0/_count", timeout=10).json()["count"] == DOCS


def test_update_by_query_stops_when_its_client_disconnects(heavy_server: Server) -> None:
    """Batches written before the client left stay written; no batch is written after."""
    sock = raw_request(heavy_server.url, "POST", "/heavy-*/_update_by_query?scroll_size=1",
                       {"query": {"match_all": {}}})
    time.sleep(0.3)  # about a quarter of the documents, one per batch
    sock.close()
    time.sleep(5.0)
    with httpx.Client(base_url=heavy_server.url, timeout=30) as client:
        client.post("/heavy-*/_refresh")
        hits = client.post("/heavy-*/_search", json={
            "size": INDICES * DOCS, "version": True, "_source": False}).json()["hits"]
    versions = [hit["_version"] for hit in hits["hits"]]
    assert len(versions) == INDICES * DOCS
    assert 2 in versions, "no document was updated before the client left"
    assert versions.count(1) > 0, "every document was updated though the client left early"


def test_timeout_answers_partial_results(heavy_server: Server) -> None:
    body = {"size": 0, "timeout": "300ms", "aggs": {"f": heavy_aggs()}}
    started = time.monotonic()
    response = httpx.post(heavy_server.url + "/heavy-*/_search", json=body, timeout=60)
    elapsed = time.monotonic() - started
    assert response.status_code == 200, response.text[:500]
    result = response.json()
    assert result["timed_out"] is True
    assert result["_shards"]["total"] == INDICES and result["_shards"]["failed"] == 0
    assert "f" in result["aggregations"]
    assert elapsed < 15, f"a 300ms timeout answered after {elapsed:.1f}s"
    # The URL parameter does the same; without a timeout the search runs to the end.
    quick = {"size": 0, "aggs": {"f": heavy_aggs(5)}}
    response = httpx.post(heavy_server.url + "/heavy-*/_search?timeout=0ms", json=quick,
                          timeout=60)
    assert response.json()["timed_out"] is True
    full = httpx.post(heavy_server.url + "/heavy-*/_search?timeout=1m", json=quick, timeout=60)
    assert full.json()["timed_out"] is False
    assert full.json()["hits"]["total"]["value"] == INDICES * DOCS


def test_timeout_in_msearch_items_and_count(heavy_server: Server) -> None:
    lines = [{"index": "heavy-*"}, {"size": 0, "timeout": "300ms", "aggs": {"f": heavy_aggs()}},
             {"index": "heavy-0"}, {"size": 0}]
    body = b"".join(orjson.dumps(line) + b"\n" for line in lines)
    response = httpx.post(heavy_server.url + "/_msearch", content=body, timeout=60,
                          headers={"content-type": "application/x-ndjson"})
    first, second = response.json()["responses"]
    assert first["timed_out"] is True and first["status"] == 200
    assert second["timed_out"] is False and second["hits"]["total"]["value"] == DOCS
    counted = httpx.get(heavy_server.url + "/heavy-*/_count?timeout=0ms", timeout=60).json()
    assert counted["count"] < INDICES * DOCS
    assert httpx.get(heavy_server.url + "/heavy-*/_count", timeout=60).json()["count"] \
        == INDICES * DOCS


def test_sigterm_during_heavy_aggregation_exits_within_10s(heavy_server: Server) -> None:
    process = heavy_server.process
    assert process is not None
    with httpx.Client(base_url=heavy_server.url, timeout=30) as client:
        # Written but not yet refreshed when the signal comes: shutdown must flush it.
        client.put("/heavy-0/_doc/last", json={"n": -1, "msg": "last"})
    sock = raw_request(heavy_server.url, "POST", "/heavy-*/_search",
                       {"size": 0, "aggs": {"f": heavy_aggs()}})
    time.sleep(1.0)
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        pytest.fail("the server did not exit within 10 s of SIGTERM during an aggregation")
    finally:
        sock.close()
    heavy_server.start()
    with httpx.Client(base_url=heavy_server.url, timeout=30) as client:
        assert client.get("/heavy-*/_count").json()["count"] == INDICES * DOCS + 1
        assert client.get("/heavy-0/_doc/last").json()["_source"]["msg"] == "last"
