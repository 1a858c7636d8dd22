"""Small splits left behind by mapping growth are merged, and nothing is lost or duplicated."""

from __future__ import annotations

import threading
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


def test_a_full_split_is_sealed_and_its_documents_stay_reachable(
        tmp_path, monkeypatch) -> None:
    """Past SPLIT_MAX_DOCS the active split is sealed while tantivy finishes its merges in the
    background; its documents can be read, deleted and survive a restart meanwhile."""
    import orjson

    from loghaven.engine import index as index_module
    from loghaven.engine.catalog import Catalog
    from loghaven.engine.documents_state import WriteRequest
    from loghaven.storage.metastore import SqliteMetastore

    monkeypatch.setattr(index_module, "SPLIT_MAX_DOCS", 50)

    class SlowMerges(threading.Thread):
        """A released writer's thread as when tantivy still has large merges to finish."""

        def run(self) -> None:
            time.sleep(0.5)
            super().run()

    monkeypatch.setattr(threading, "Thread", SlowMerges)
    catalog = Catalog(tmp_path, SqliteMetastore(tmp_path / "metastore.sqlite"))
    index = catalog.create_index("logs", {"mappings": {"properties": {"n": {"type": "long"}}}})
    for first in range(0, 180, 5):  # a commit every 5 documents gives tantivy merges to do
        outcomes = index.write([WriteRequest("index", f"d{i}", orjson.dumps({"n": i}))
                                for i in range(first, first + 5)])
        assert all(outcome.status == 201 for outcome in outcomes)
        if first == 50:
            # d50 sealed the first split just now; deleting d3 from it needs its writer
            # again while the released one is still finishing merges
            assert index.write([WriteRequest("delete", "d3")])[0].result == "deleted"
        index.refresh()
    assert [s.meta.state for s in index.splits] == ["sealed"] * 3 + ["active"]
    assert [s.meta.num_docs for s in index.splits] == [50, 50, 50, 30]
    assert index.doc_count() == 179
    catalog.close()

    reopened = Catalog(tmp_path, SqliteMetastore(tmp_path / "metastore.sqlite"))
    again = reopened.get("logs")
    assert again.doc_count() == 179
    assert again.get("d3") is None
    state = again.get("d120")
    assert state is not None and orjson.loads(state.source) == {"n": 120}
    reopened.close()
