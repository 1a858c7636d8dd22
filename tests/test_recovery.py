"""Damage on disk never stops the node: the damaged index is red, the others are served, and
the documented commands (docs/recovery.md) bring the data back."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx
import orjson
import pytest

from conftest import Server


@pytest.fixture
def client(fresh_server: Server):
    with httpx.Client(base_url=fresh_server.url, timeout=30) as client:
        yield client


def _bulk(client: httpx.Client, index: str, ids: list[str], *, refresh: str = "true") -> None:
    lines = []
    for doc_id in ids:
        lines += [orjson.dumps({"index": {"_index": index, "_id": doc_id}}),
                  orjson.dumps({"msg": f"event {doc_id}", "n": len(doc_id)})]
    response = client.post("/_bulk", params={"refresh": refresh},
                           content=b"\n".join(lines) + b"\n",
                           headers={"content-type": "application/x-ndjson"})
    assert response.status_code == 200 and not response.json()["errors"], response.text


def _folder(server: Server, client: httpx.Client, index: str) -> Path:
    uuid = client.get(f"/{index}/_settings").json()[index]["settings"]["index"]["uuid"]
    return server.data_dir / "indices" / uuid


def _loghaven(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "loghaven", *args], capture_output=True,
                          text=True, timeout=120)


def _assert_red(client: httpx.Client, index: str, *reason_parts: str) -> None:
    health = client.get("/_cluster/health", params={"level": "indices"}).json()
    assert health["status"] == "red"
    assert health["indices"][index]["status"] == "red"
    assert health["unassigned_shards"] == 1
    rows = client.get("/_cat/indices", params={"format": "json"}).json()
    assert {r["index"]: r["health"] for r in rows}[index] == "red"
    explained = client.get("/_cluster/allocation/explain").json()
    assert explained["index"] == index and explained["current_state"] == "unassigned"
    for part in reason_parts:
        assert part in explained["unassigned_info"]["details"], explained
    shards = client.get("/_cat/shards", params={"format": "json", "h": "index,state,ud"}).json()
    assert {r["index"]: r["state"] for r in shards}[index] == "UNASSIGNED"
    for response in (client.get(f"/{index}/_search"), client.get(f"/{index}/_doc/a1"),
                     client.post(f"/{index}/_doc", json={"msg": "x"}),
                     client.get(f"/{index}/_count")):
        assert response.status_code == 503, response.text
        assert response.json()["error"]["type"] == "no_shard_available_action_exception"


def test_a_corrupt_split_makes_only_its_index_red(fresh_server: Server,
                                                  client: httpx.Client) -> None:
    _bulk(client, "good", ["g1", "g2"])
    _bulk(client, "broken", ["a1", "a2", "a3"])
    folder = _folder(fresh_server, client, "broken")
    fresh_server.stop()
    for meta in (folder / "splits").glob("*/meta.json"):
        meta.write_bytes(b"{not json")
    fresh_server.start()
    assert client.get("/good/_count").json()["count"] == 2
    assert client.get("/_search", params={"q": "msg:event"}).json()["hits"]["total"]["value"] == 2
    _assert_red(client, "broken", "meta.json")
    assert "failed to open" in fresh_server.log.read_text()
    assert client.post("/good/_doc", json={"msg": "still writable"}).status_code == 201
    assert client.delete("/broken").status_code == 200
    assert not folder.exists()
    assert client.get("/_cluster/health").json()["status"] == "green"


def test_an_unreadable_mapping_record_makes_only_its_index_red(fresh_server: Server,
                                                              client: httpx.Client) -> None:
    import sqlite3

    _bulk(client, "good", ["g1"])
    _bulk(client, "broken", ["a1"])
    fresh_server.stop()
    db = sqlite3.connect(fresh_server.data_dir / "metastore.sqlite")
    record = orjson.loads(db.execute("SELECT value FROM objects WHERE kind='index' AND "
                                     "name='broken'").fetchone()[0])
    record["mappings"] = {"properties": {"_id": {"type": "keyword"}}}  # as old versions stored
    db.execute("UPDATE objects SET value=? WHERE kind='index' AND name='broken'",
               (orjson.dumps(record),))
    db.commit()
    db.close()
    fresh_server.start()
    assert client.get("/good/_count").json()["count"] == 1
    _assert_red(client, "broken", "Field [_id] is defined more than once")
    assert client.post("/_aliases", json={"actions": [
        {"add": {"index": "good", "alias": "g"}}]}).status_code == 200
    fresh_server.restart()  # saving the aliases kept the broken record as it was
    _assert_red(client, "broken", "Field [_id] is defined more than once")
    assert client.delete("/broken").status_code == 200
    assert client.get("/_cluster/health").json()["status"] == "green"
