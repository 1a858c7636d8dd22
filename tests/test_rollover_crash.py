"""kill -9 of the server inside a rollover, between creating the new index and moving the
alias (the step made to wait by ``LOGHAVEN_TEST_ROLLOVER_PAUSE``), then a restart: the
rollover left all or nothing, as ES's one cluster-state update does, so the alias still
writes to the old index and the next rollover succeeds."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from opensearchpy import OpenSearch

from conftest import Server, wait_for


@pytest.fixture
def own(tmp_path: Path) -> Iterator[Server]:
    server = Server(tmp_path / "data")
    yield server
    server.kill()


def start(server: Server, *, paused: bool = False) -> OpenSearch:
    server.env = {"LOGHAVEN_TEST_ROLLOVER_PAUSE": "1"} if paused else {}
    server.start()
    return OpenSearch(hosts=[server.url], timeout=30)


def members(client: OpenSearch, alias: str) -> dict[str, dict]:
    return {index: entry["aliases"][alias]
            for index, entry in client.indices.get_alias(name=alias).items()}


@pytest.mark.parametrize("explicit", [True, False], ids=["is_write_index", "only_member"])
def test_kill_between_creating_the_index_and_moving_the_alias(own: Server,
                                                                explicit: bool) -> None:
    client = start(own)
    alias = {"is_write_index": True} if explicit else {}
    client.indices.create(index="logs-000001", body={"aliases": {"logs": alias}})
    client.index(index="logs", id="1", body={"n": 1}, refresh=True)
    own.stop()

    start(own, paused=True)

    def roll() -> None:  # hangs at the pause until the kill cuts it
        with contextlib.suppress(httpx.HTTPError):
            httpx.post(f"{own.url}/logs/_rollover", timeout=120)

    request = threading.Thread(target=roll)
    request.start()
    wait_for(lambda: "rollover paused" in own.log.read_text(), timeout=60,
             what="the rollover's pause")
    own.kill()
    request.join(timeout=60)

    client = start(own)
    assert not client.indices.exists(index="logs-000002")
    assert members(client, "logs") == {"logs-000001": alias}
    client.index(index="logs", id="2", body={"n": 2}, refresh=True)
    assert client.count(index="logs-000001")["count"] == 2

    rolled = client.indices.rollover(alias="logs")
    assert (rolled["rolled_over"], rolled["new_index"]) == (True, "logs-000002")
    client.index(index="logs", id="3", body={"n": 3}, refresh=True)
    assert client.count(index="logs-000002")["count"] == 1
    assert client.count(index="logs-*")["count"] == 3
    own.restart()
    written = {"is_write_index": True} if explicit else {}
    assert members(client, "logs")["logs-000002"] == written
