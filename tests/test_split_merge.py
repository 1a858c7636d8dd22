"""Small splits left behind by mapping growth are merged, and nothing is lost or duplicated."""

from __future__ import annotations

import time

import httpx

from conftest import Server


def _splits(client: httpx.Client, index: str) -> list[str]:
    body = client.post(f"/{index}/_search", json={"profile": True, "size": 0}).json()
    return [shard["id"] for shard in body["profile"]["shards"]]


def test_growing_mapping_splits_merge_and_survive_restart(fresh_server: Server) -> None:
    index = "growing"
    with httpx.Client(base_url=fresh_server.url, timeout=30) as client:
        for n, field in enumerate(("a", "b", "c", "d")):
            # each document brings a new field, so each seals the split before it
            client.put(f"/{index}/_doc/{n}?refresh=true", json={field: f"value {n}", "n": n})
        client.put(f"/{index}/_doc/0?refresh=true", json={"a": "value 0 again", "n": 0})
        deadline = time.monotonic() + 20
        while len(_splits(client, index)) > 2 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert len(_splits(client, index)) == 2, "the three small sealed splits were not merged"
        hits = client.post(f"/{index}/_search", json={"size": 10, "sort": ["n"]}).json()["hits"]
        assert hits["total"]["value"] == 4
        assert [h["_id"] for h in hits["hits"]] == ["0", "1", "2", "3"]
        found = client.post(f"/{index}/_search", json={"query": {"match": {"c": "value"}}})
        assert [h["_id"] for h in found.json()["hits"]["hits"]] == ["2"]
        doc = client.get(f"/{index}/_doc/0").json()
        assert doc["_version"] == 2 and doc["_source"] == {"a": "value 0 again", "n": 0}
    fresh_server.restart()
    with httpx.Client(base_url=fresh_server.url, timeout=30) as client:
        assert len(_splits(client, index)) == 2
        assert client.get(f"/{index}/_count").json()["count"] == 4
        assert client.put(f"/{index}/_doc/1", json={"b": "x"}).json()["_version"] == 2
