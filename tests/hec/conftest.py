"""Fixtures: servers with HEC tokens in their configuration file (``hec.tokens``) and small
helpers to send HEC requests and read what was indexed."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from conftest import Server

#: Tokens of the configuration file, by name (security off: no ``user``).
TOKENS = {
    "events": "00000000-0000-4000-8000-000000000001",
    "acked": "00000000-0000-4000-8000-000000000002",
    "limited": "00000000-0000-4000-8000-000000000003",
    "off": "00000000-0000-4000-8000-000000000004",
    "plain": "00000000-0000-4000-8000-000000000005",
}
CONFIG_TOKENS = [
    {"name": "events", "token": TOKENS["events"], "index": "hec-events", "source": "app",
     "sourcetype": "app:json"},
    {"name": "acked", "token": TOKENS["acked"], "index": "hec-acks", "useACK": True},
    {"name": "limited", "token": TOKENS["limited"], "index": "hec-allowed",
     "indexes": ["hec-allowed", "hec-other"]},
    {"name": "off", "token": TOKENS["off"], "disabled": True},
    {"name": "plain", "token": TOKENS["plain"]},
]


def configured(data_dir: Path, settings: dict[str, Any]) -> Path:
    """Write ``loghaven.yml`` where the server subprocess reads it (its working folder)."""
    data_dir.parent.mkdir(parents=True, exist_ok=True)
    (data_dir.parent / "loghaven.yml").write_text(yaml.safe_dump(settings))
    return data_dir


def hec_server(data_dir: Path, **hec: Any) -> Server:
    """A server (security off) with the configuration tokens and ``hec.*`` settings."""
    return Server(configured(data_dir, {"hec": {"tokens": CONFIG_TOKENS, **hec}}))


@pytest.fixture(scope="module")
def hec(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    instance = hec_server(tmp_path_factory.mktemp("hec") / "data").start()
    yield instance
    instance.stop()


def channel() -> str:
    return str(uuid.uuid4())


def send(server: Server, token: str | None, body: bytes | str, *, path: str = "event",
         channel_id: str | None = None, params: dict[str, str] | None = None,
         headers: dict[str, str] | None = None) -> httpx.Response:
    """POST to ``/services/collector/<path>`` with ``Authorization: Splunk <token>``."""
    sent = dict(headers or {})
    if token is not None:
        sent.setdefault("Authorization", f"Splunk {token}")
    if channel_id is not None:
        sent["X-Splunk-Request-Channel"] = channel_id
    content = body.encode() if isinstance(body, str) else body
    return httpx.post(f"{server.url}/services/collector/{path}".rstrip("/"), content=content,
                      headers=sent, params=params, timeout=30)


def acks(server: Server, token: str, channel_id: str, ids: list[int]) -> httpx.Response:
    return send(server, token, f'{{"acks": {ids}}}', path="ack", channel_id=channel_id)


def wait_acked(server: Server, token: str, channel_id: str, ids: list[int]) -> None:
    """Poll ``/services/collector/ack`` (as Firehose and Splunk's clients do) until every
    id is true (each answered true once, then forgotten), within 10 s."""
    waiting = set(ids)
    deadline = time.monotonic() + 10
    while waiting and time.monotonic() < deadline:
        answer = acks(server, token, channel_id, sorted(waiting))
        assert answer.status_code == 200, answer.text
        waiting -= {int(i) for i, done in answer.json()["acks"].items() if done}
        if waiting:
            time.sleep(0.05)
    assert not waiting, f"not acknowledged within 10 s: {sorted(waiting)}"


def sources(server: Server, index: str, **query: Any) -> list[dict[str, Any]]:
    """The documents of ``index`` (refreshed first), oldest write first."""
    assert httpx.post(f"{server.url}/{index}/_refresh", timeout=30).status_code == 200
    found = httpx.post(f"{server.url}/{index}/_search", json={
        "size": 1000, "seq_no_primary_term": True, **query}, timeout=30)
    assert found.status_code == 200, found.text
    hits = sorted(found.json()["hits"]["hits"], key=lambda hit: hit["_seq_no"])
    return [hit["_source"] for hit in hits]
