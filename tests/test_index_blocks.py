"""Index blocks (``index.blocks.*``) over HTTP: in force from creation, from a template or
from ``_settings``, with Elasticsearch's ``cluster_block_exception`` for each."""

from __future__ import annotations

import time
from collections.abc import Callable

import httpx

from conftest import Server

FLOOD = ("index [{}] blocked by: [TOO_MANY_REQUESTS/12/disk usage exceeded flood-stage "
         "watermark, index has read-only-allow-delete block];")
DISK = "cluster.routing.allocation.disk."


def _error(response: httpx.Response) -> tuple[int, str, str]:
    error = response.json()["error"]
    assert error["root_cause"][0]["type"] == error["type"]
    return response.status_code, error["type"], error["reason"]


def _bulk_item(es: httpx.Client, index: str, doc_id: str) -> dict:
    body = (f'{{"create":{{"_index":"{index}","_id":"{doc_id}"}}}}\n{{"a":1}}\n').encode()
    response = es.post("/_bulk", content=body,
                       headers={"content-type": "application/x-ndjson"})
    assert response.status_code == 200
    return response.json()["items"][0]["create"]


def _disk_measured_again() -> None:
    """Let the node's disk monitor measure again (at most once a second, every 200 ms),
    which once lifted every read-only-allow-delete block on a healthy disk."""
    time.sleep(1.5)


def test_read_only_allow_delete_given_at_creation_holds(es: httpx.Client,
                                                        index_name: str) -> None:
    body = {"settings": {"index.blocks.read_only_allow_delete": True}}
    assert es.put(f"/{index_name}", json=body).status_code == 200
    _disk_measured_again()
    reason = FLOOD.format(index_name)
    assert _error(es.post(f"/{index_name}/_doc", json={"a": 1})) == (
        429, "cluster_block_exception", reason)
    item = _bulk_item(es, index_name, "1")
    assert (item["status"], item["error"]["type"], item["error"]["reason"]) == (
        429, "cluster_block_exception", reason)
    settings = es.get(f"/{index_name}/_settings", params={"flat_settings": "true"}).json()
    assert settings[index_name]["settings"]["index.blocks.read_only_allow_delete"] == "true"
    # lifted by the user, writes go on
    assert es.put(f"/{index_name}/_settings",
                  json={"index.blocks.read_only_allow_delete": None}).status_code == 200
    assert es.put(f"/{index_name}/_doc/1", json={"a": 1}).status_code == 201


def test_read_only_allow_delete_set_through_settings_holds(es: httpx.Client,
                                                           index_name: str) -> None:
    assert es.put(f"/{index_name}/_doc/1", json={"a": 1}).status_code == 201
    assert es.put(f"/{index_name}/_settings", json={
        "index": {"blocks": {"read_only_allow_delete": "true"}}}).status_code == 200
    _disk_measured_again()
    assert es.put(f"/{index_name}/_doc/2", json={"a": 1}).status_code == 429
    assert es.delete(f"/{index_name}/_doc/1").status_code == 200  # deletes free space


def test_write_block_at_creation_refuses_writes_and_deletes(es: httpx.Client,
                                                            index_name: str) -> None:
    assert es.put(f"/{index_name}/_doc/1", json={"a": 1}, params={"refresh": "true"}) \
        .status_code == 201
    other = f"{index_name}-w"
    assert es.put(f"/{other}", json={"settings": {"index": {"blocks": {"write": True}}}}) \
        .status_code == 200
    reason = f"index [{other}] blocked by: [FORBIDDEN/8/index write (api)];"
    assert _error(es.put(f"/{other}/_doc/1", json={"a": 1})) == (
        403, "cluster_block_exception", reason)
    assert _error(es.delete(f"/{other}/_doc/1"))[:2] == (403, "cluster_block_exception")
    assert _error(es.post(f"/{other}/_update/1", json={"doc": {"a": 2}, "doc_as_upsert": True})
                  )[:2] == (403, "cluster_block_exception")
    assert es.get(f"/{other}/_search").status_code == 200  # reads go on
    assert es.put(f"/{other}/_settings", json={"index.blocks.write": False}).status_code == 200
    assert es.put(f"/{other}/_doc/1", json={"a": 1}).status_code == 201
    # set on an index with documents: deletes are refused too
    assert es.put(f"/{index_name}/_settings", json={"index.blocks.write": True}).status_code \
        == 200
    assert es.delete(f"/{index_name}/_doc/1").status_code == 403
    assert es.get(f"/{index_name}/_doc/1").json()["found"] is True


def test_read_only_from_a_template_blocks_an_auto_created_index(es: httpx.Client,
                                                                index_name: str) -> None:
    template = {"index_patterns": [f"{index_name}-*"],
                "template": {"settings": {"index.blocks.read_only": True}}}
    assert es.put(f"/_index_template/{index_name}", json=template).status_code == 200
    try:
        target = f"{index_name}-1"
        item = _bulk_item(es, target, "1")  # the index is created; the write is refused
        assert (item["status"], item["error"]["type"], item["error"]["reason"]) == (
            403, "cluster_block_exception",
            f"index [{target}] blocked by: [FORBIDDEN/5/index read-only (api)];")
        assert es.head(f"/{target}").status_code == 200
    finally:
        es.delete(f"/_index_template/{index_name}")


def test_several_blocks_are_named_together_with_the_highest_status(
        es: httpx.Client, index_name: str) -> None:
    body = {"settings": {"index.blocks.write": True, "index.blocks.read_only": True,
                         "index.blocks.read_only_allow_delete": True}}
    assert es.put(f"/{index_name}", json=body).status_code == 200
    assert _error(es.put(f"/{index_name}/_doc/1", json={"a": 1})) == (
        429, "cluster_block_exception",
        f"index [{index_name}] blocked by: [FORBIDDEN/5/index read-only (api), "
        f"FORBIDDEN/8/index write (api), TOO_MANY_REQUESTS/12/disk usage exceeded "
        f"flood-stage watermark, index has read-only-allow-delete block];")


def _blocked(es: httpx.Client, index: str) -> str | None:
    settings = es.get(f"/{index}/_settings", params={"flat_settings": "true"}).json()
    return settings[index]["settings"].get("index.blocks.read_only_allow_delete")


def _until(condition: Callable[[], bool], seconds: float = 15) -> bool:
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.1)
    return condition()


def test_the_flood_stage_block_is_lifted_on_the_way_down(fresh_server: Server) -> None:
    """The disk monitor puts the block on every index at the flood stage and lifts it once
    usage is below the high watermark again, the user's too (as Elasticsearch does); on a
    healthy disk it leaves a block the user set alone."""
    with httpx.Client(base_url=fresh_server.url, timeout=30) as es:
        assert es.put("/mine", json={"settings": {
            "index.blocks.read_only_allow_delete": True}}).status_code == 200
        assert es.put("/logs/_doc/1", json={"a": 1}).status_code == 201
        _disk_measured_again()
        assert _blocked(es, "mine") == "true" and _blocked(es, "logs") is None
        # any used share is over these watermarks: the flood stage
        tiny = {DISK + "watermark.low": "0.001%", DISK + "watermark.high": "0.002%",
                DISK + "watermark.flood_stage": "0.003%"}
        assert es.put("/_cluster/settings", json={"transient": tiny}).status_code == 200
        assert _until(lambda: _blocked(es, "logs") == "true")
        assert es.put("/logs/_doc/2", json={"a": 1}).status_code == 429
        reset = {"transient": {key: None for key in tiny}}
        assert es.put("/_cluster/settings", json=reset).status_code == 200
        assert _until(lambda: _blocked(es, "logs") is None and _blocked(es, "mine") is None)
        assert es.put("/logs/_doc/2", json={"a": 1}).status_code == 201
