"""Scroll and point-in-time contexts: keep-alive limits, the open-scroll limit, contexts freed
without being asked, deleted indices and garbage ids."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from conftest import Server


@pytest.fixture
def client(fresh_server: Server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=fresh_server.url, timeout=30) as client:
        yield client


def fill(client: httpx.Client, index: str, docs: int = 20) -> None:
    response = client.post(f"/{index}/_bulk?refresh=true",
                           content=b'{"index":{}}\n{"a":1}\n' * docs,
                           headers={"content-type": "application/x-ndjson"})
    assert response.status_code == 200


def reason(response: httpx.Response) -> str:
    return response.json()["error"]["root_cause"][0]["reason"]


def test_keep_alive_limits(client: httpx.Client) -> None:
    fill(client, "ka")
    too_long = client.post("/ka/_search?scroll=25h", json={"size": 1})
    assert too_long.status_code == 400
    assert reason(too_long) == (
        "Keep alive for request (1d) is too large. It must be less than (1d). This limit can "
        "be set by changing the [search.max_keep_alive] cluster level setting.")
    assert too_long.json()["error"]["root_cause"][0]["type"] == "illegal_argument_exception"
    client.put("/_cluster/settings", json={"persistent": {"search.max_keep_alive": "1h",
                                                          "point_in_time.max_keep_alive": "1h"}})
    assert client.post("/ka/_search?scroll=90m", json={"size": 1}).status_code == 400
    assert "(1.5h) is too large. It must be less than (1h)" in reason(
        client.post("/ka/_search?scroll=90m", json={"size": 1}))
    scroll_id = client.post("/ka/_search?scroll=1m", json={"size": 1}).json()["_scroll_id"]
    renewed = client.post("/_search/scroll", json={"scroll_id": scroll_id, "scroll": "2h"})
    assert renewed.status_code == 400 and "[search.max_keep_alive]" in reason(renewed)
    pit = client.post("/ka/_search/point_in_time?keep_alive=2h")
    assert pit.status_code == 400 and "[point_in_time.max_keep_alive]" in reason(pit)
    for bad in ("-1", "-1m", "soon", "1.5m"):
        response = client.post(f"/ka/_search?scroll={bad}", json={"size": 1})
        assert response.status_code == 400, bad
        response = client.post(f"/ka/_search/point_in_time?keep_alive={bad}")
        assert response.status_code == 400, bad


def test_open_scroll_limit_is_a_cluster_setting(client: httpx.Client) -> None:
    fill(client, "many")
    client.put("/_cluster/settings", json={"transient": {"search.max_open_scroll_context": 2}})
    for _ in range(2):
        assert client.post("/many/_search?scroll=1m", json={"size": 1}).status_code == 200
    third = client.post("/many/_search?scroll=1m", json={"size": 1})
    assert third.status_code == 400
    assert reason(third) == (
        "Trying to create too many scroll contexts. Must be less than or equal to: [2]. This "
        "limit can be set by changing the [search.max_open_scroll_context] setting.")
    plain = client.post("/many/_search", json={"size": 1})
    assert plain.status_code == 200 and plain.json()["hits"]["total"]["value"] == 20
    assert client.request("DELETE", "/_search/scroll",
                          json={"scroll_id": "_all"}).json()["num_freed"] == 2
    assert client.post("/many/_search?scroll=1m", json={"size": 1}).status_code == 200


def test_abandoned_contexts_release_their_splits(fresh_server: Server,
                                                 client: httpx.Client) -> None:
    """Contexts hold searchers (mapped split files): nobody has to touch them to free them."""
    assert fresh_server.process is not None
    fill(client, "gone")
    uuid = client.get("/gone/_settings").json()["gone"]["settings"]["index"]["uuid"]
    assert client.post("/gone/_search?scroll=1s", json={"size": 1}).status_code == 200
    maps = Path(f"/proc/{fresh_server.process.pid}/maps")
    assert uuid in maps.read_text()
    time.sleep(1.5)
    assert client.delete("/gone").status_code == 200
    deadline = time.monotonic() + 10
    while uuid in maps.read_text() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert uuid not in maps.read_text(), "an expired scroll still maps the deleted index"


def test_point_in_time_of_a_deleted_index_is_404(client: httpx.Client) -> None:
    fill(client, "pitgone")
    pit_id = client.post("/pitgone/_search/point_in_time?keep_alive=10m").json()["pit_id"]
    assert client.post("/_search", json={"pit": {"id": pit_id}}).status_code == 200
    client.delete("/pitgone")
    response = client.post("/_search", json={"pit": {"id": pit_id}})
    assert response.status_code == 404
    assert response.json()["error"]["root_cause"][0]["type"] == \
        "search_context_missing_exception"


@pytest.mark.parametrize("scroll_id", ["garbage!", "x", "c2Nyb2xsOmFi", "cGl0Olk-bPe0kduL"])
def test_garbage_context_ids_are_400(client: httpx.Client, scroll_id: str) -> None:
    response = client.post("/_search/scroll", json={"scroll_id": scroll_id, "scroll": "1m"})
    assert response.status_code == 400
    assert reason(response) == "Cannot parse scroll id"
    response = client.post("/_search", json={"pit": {"id": scroll_id}})
    assert response.status_code == 400
    assert response.json()["error"]["type"] == "illegal_argument_exception"
    assert client.post("/_search/scroll", json={"scroll_id": 5}).status_code == 400
