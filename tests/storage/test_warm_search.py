"""A warm index answers searches exactly as a hot one (storage/warm.py, engine/split.py's lazy
warm split, the split cache): an index is built over HTTP on a real server, its sealed splits
are moved to the warm tier through the engine while the server is stopped (what the migration
does step by step), and the restarted server is asked the same questions."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from tests.conftest import Server

from loghaven.config import Config
from loghaven.engine.catalog import Catalog
from loghaven.engine.recovery import METASTORE_FILE
from loghaven.engine.split import SplitMeta
from loghaven.storage.metastore import SqliteMetastore
from loghaven.storage.objects import object_store
from loghaven.storage.splits import LocalSplitStorage, TieredSplitStorage
from loghaven.storage.warm import WarmTier

INDEX = "weblogs"
#: Two batches: one sealed split and the active one on the hot server (the merge job, which
#: joins two small sealed splits, has nothing to do), two warm splits once moved.
BATCHES = 2
PER_BATCH = 400


def _documents(batch: int) -> list[dict[str, Any]]:
    """WAF-like lines; each batch brings a field of its own, which starts a new split."""
    docs = []
    for n in range(batch * PER_BATCH, (batch + 1) * PER_BATCH):
        docs.append({"@timestamp": 1_700_000_000_000 + n * 37_000, "bytes": n * 7 + 1,
                     "status": ["200", "404", "500", "403"][n % 4], "host": f"web-{n % 5}",
                     "message": ["GET /index.php ok", "timeout talking to upstream",
                                 "error: blocked SQL injection", "denied by rule 942100"][n % 4]
                     + f" request {n}", f"extra{batch}": f"v{n % 3}"})
    return docs


def _build(client: httpx.Client, batches: int = BATCHES) -> None:
    answer = client.put(f"/{INDEX}", json={"mappings": {"properties": {
        "@timestamp": {"type": "date"}, "bytes": {"type": "long"},
        "status": {"type": "keyword"}, "host": {"type": "keyword"},
        "message": {"type": "text"}}}})
    assert answer.status_code == 200, answer.text
    for batch in range(batches):
        lines = []
        for n, doc in enumerate(_documents(batch)):
            lines += [orjson.dumps({"index": {"_id": f"d{batch}-{n}"}}), orjson.dumps(doc)]
        answer = client.post(f"/{INDEX}/_bulk?refresh=true", content=b"\n".join(lines) + b"\n",
                             headers={"content-type": "application/x-ndjson"})
        assert answer.status_code == 200 and not answer.json()["errors"], answer.text[:500]


QUERIES: list[dict[str, Any]] = [
    {"query": {"match": {"message": "timeout error"}}, "size": 7},
    {"query": {"range": {"@timestamp": {"gte": 1_700_010_000_000, "lt": 1_700_030_000_000}}},
     "size": 5, "sort": [{"@timestamp": "desc"}], "track_total_hits": True},
    {"size": 0, "aggs": {"by_status": {"terms": {"field": "status"}},
                         "bytes": {"stats": {"field": "bytes"}},
                         "hourly": {"date_histogram": {"field": "@timestamp",
                                                       "fixed_interval": "1h"}},
                         "hosts": {"terms": {"field": "host", "size": 3},
                                   "aggs": {"top": {"max": {"field": "bytes"}}}}}},
    {"query": {"bool": {"filter": [{"term": {"host": "web-2"}}],
                        "must": [{"query_string": {"query": "message:denied OR status:500"}}]}},
     "size": 4, "sort": [{"bytes": "asc"}], "_source": ["bytes", "status", "extra1"]},
    {"query": {"term": {"extra1": "v1"}}, "size": 3, "sort": ["bytes"],
     "highlight": {"fields": {"message": {}}}},
]


def _answers(client: httpx.Client) -> list[Any]:
    """The answers to QUERIES, a count and a document by id, without what may differ (took,
    and _shards: the warm index has an empty active split besides)."""
    answers: list[Any] = []
    for body in QUERIES:
        response = client.post(f"/{INDEX}/_search", json=body)
        assert response.status_code == 200, response.text
        data = response.json()
        assert data["_shards"]["failed"] == 0, data["_shards"]
        answers.append({k: v for k, v in data.items() if k not in ("took", "_shards")})
    answers.append(client.get(f"/{INDEX}/_count").json()["count"])
    doc = client.get(f"/{INDEX}/_doc/d1-17").json()
    answers.append({k: v for k, v in doc.items() if k != "_primary_term"})
    return answers


def move_to_warm(data_dir: Path) -> list[SplitMeta]:
    """With the server stopped: seal the index and move every sealed split to the warm tier
    as the migration does (Index.seal, WarmTier.upload and verify, Index.relocate: one
    metastore switch, then the local files deleted). The warm metadata of each."""
    config = Config(data_dir=data_dir)
    warm = WarmTier(config, object_store(config))
    storage = TieredSplitStorage(LocalSplitStorage(data_dir), warm)
    metastore = SqliteMetastore(data_dir / METASTORE_FILE)
    catalog = Catalog(data_dir, metastore, split_storage=storage)
    try:
        index = catalog.get(INDEX)
        index.seal()
        moved = {}
        for split in index.splits:
            if split.meta.state == "sealed":
                meta = warm.upload(split.meta, split.path, index_uuid=index.uuid)
                warm.verify(meta)
                moved[meta.split_id] = meta
        index.relocate(moved)
        assert all(split.is_remote for split in index.splits[:-1])
        return list(moved.values())
    finally:
        catalog.close()
        warm.close()
        metastore.close()


def _stats(client: httpx.Client) -> dict[str, Any]:
    nodes = client.get("/_nodes/stats/warm").json()["nodes"]
    (entry,) = nodes.values()
    return entry["warm"]


@pytest.fixture
def warm_server(tmp_path: Path) -> Iterator[tuple[Server, list[Any], list[SplitMeta]]]:
    """A server whose index was built hot (its answers recorded) and then moved to warm;
    started again with a cache of ``LOGHAVEN_WARM_CACHE_SIZE`` (set by the test through
    ``server.env`` before ``start``)."""
    server = Server(tmp_path / "data").start()
    try:
        with httpx.Client(base_url=server.url, timeout=60) as client:
            _build(client)
            hot = _answers(client)
        server.stop()
        moved = move_to_warm(server.data_dir)
        yield server, hot, moved
    finally:
        server.kill()


def _cache_folder(server: Server) -> Path:
    return server.data_dir / "cache" / "warm"


def test_warm_index_answers_as_hot(warm_server: tuple[Server, list[Any], list[SplitMeta]]
                                   ) -> None:
    server, hot, moved = warm_server
    assert len(moved) == BATCHES
    assert all(m.location and m.location.startswith("warm:") and m.files and m.schema
               and m.segments for m in moved)
    splits = server.data_dir / "indices"
    local = [p for p in splits.glob("*/splits/*") if p.is_dir()]
    assert len(local) == 1  # only the new empty active split is local
    server.start()
    with httpx.Client(base_url=server.url, timeout=60) as client:
        # Nothing fetched at start, nor for listing, counting and segments.
        cat = client.get(f"/_cat/indices/{INDEX}?format=json&bytes=b").json()
        assert cat[0]["docs.count"] == str(BATCHES * PER_BATCH)
        segments = client.get(f"/_cat/segments/{INDEX}?format=json").json()
        assert sum(int(s["docs.count"]) for s in segments) == BATCHES * PER_BATCH
        assert client.get(f"/{INDEX}/_stats").status_code == 200
        stats = _stats(client)
        assert (stats["misses"], stats["hits"], stats["splits"], stats["bytes_fetched"]) == \
            (0, 0, 0, 0)
        assert not any(_cache_folder(server).glob("*/*"))
        warm = _answers(client)
        assert warm == hot
        stats = _stats(client)
        assert stats["misses"] == len(moved) and stats["evictions"] == 0
        assert stats["prefetches"] == len(moved)  # the first search asked for both at once
        assert stats["splits"] == len(moved)
        assert stats["bytes_fetched"] == sum(f["stored_size"] for m in moved
                                             for f in m.files or ())
        assert stats["size_in_bytes"] == sum(f["size"] for m in moved for f in m.files or ())
        before = stats["hits"]
        assert _answers(client) == hot  # from the cache now
        stats = _stats(client)
        assert stats["misses"] == len(moved) and stats["hits"] > before
        # writes to a warm split are refused, never half-applied
        answer = client.delete(f"/{INDEX}/_doc/d0-3")
        assert answer.status_code >= 400 and "warm tier" in answer.text
    # A restart finds the cached splits: searching fetches nothing more.
    server.restart()
    with httpx.Client(base_url=server.url, timeout=60) as client:
        assert _stats(client)["splits"] == len(moved)
        assert _answers(client) == hot
        assert _stats(client)["misses"] == 0


def test_tiny_cache_evicts_and_searches_in_flight_keep_their_files(
        warm_server: tuple[Server, list[Any], list[SplitMeta]]) -> None:
    server, hot, moved = warm_server
    sizes = sorted(sum(f["size"] for f in m.files or ()) for m in moved)
    limit = sizes[0] + sizes[1] - 1  # never two splits at once
    server.env = {"LOGHAVEN_WARM_CACHE_SIZE": str(limit)}
    server.start()
    with httpx.Client(base_url=server.url, timeout=60) as client:
        assert _stats(client)["limit_in_bytes"] == limit
        # A scroll pins every split's searcher: each fetch evicts the one before, which the
        # scroll still holds (its files stay mapped) and pages through to the end.
        page = client.post(f"/{INDEX}/_search?scroll=1m",
                           json={"size": 250, "sort": ["_doc"], "_source": False}).json()
        assert page["_shards"]["failed"] == 0
        evicted = _stats(client)["evictions"]
        assert evicted >= len(moved) - 1
        ids = [hit["_id"] for hit in page["hits"]["hits"]]
        while page["hits"]["hits"]:
            page = client.post("/_search/scroll", json={"scroll": "1m",
                                                        "scroll_id": page["_scroll_id"]}).json()
            ids += [hit["_id"] for hit in page["hits"]["hits"]]
        assert sorted(ids) == sorted(f"d{b}-{n}" for b in range(BATCHES)
                                     for n in range(PER_BATCH))
        assert len(ids) == len(set(ids))
        stats = _stats(client)
        assert stats["size_in_bytes"] <= limit and stats["splits"] == 1
        # Every search needs them all: each fetches again and evicts, answers unchanged.
        assert _answers(client) == hot
        stats = _stats(client)
        assert stats["evictions"] > evicted and stats["misses"] > len(moved)
        assert stats["size_in_bytes"] <= limit
        assert len(list(_cache_folder(server).glob("*/*"))) == 1


def test_corrupted_object_fails_the_search_clearly(
        warm_server: tuple[Server, list[Any], list[SplitMeta]]) -> None:
    server, _, moved = warm_server
    bucket = server.data_dir / "buckets" / "loghaven-warm"

    def damage(meta: SplitMeta) -> None:
        store = next(f for f in meta.files or () if f["name"].endswith(".store"))
        path = bucket / store["key"]
        path.write_bytes(os.urandom(path.stat().st_size))

    # One split damaged: a shard failure, as ES reports one (the others answer, and the
    # response says which split failed and why).
    damage(moved[0])
    server.start()
    with httpx.Client(base_url=server.url, timeout=60) as client:
        answer = client.post(f"/{INDEX}/_search", json={"query": {"match_all": {}}})
        assert answer.status_code == 200, answer.text
        shards = answer.json()["_shards"]
        assert shards["failed"] == 1, shards
        reason = shards["failures"][0]["reason"]
        assert reason["type"] == "warm_split_unavailable_exception"
        assert f"warm split [{moved[0].split_id}] could not be fetched" in reason["reason"]
        assert "is damaged" in reason["reason"]
        assert answer.json()["hits"]["total"]["value"] == moved[1].num_docs
    server.stop()
    # Every split damaged (and the good copy fetched above gone from the cache): no answer
    # at all rather than a wrong one.
    damage(moved[1])
    shutil.rmtree(_cache_folder(server))
    server.start()
    with httpx.Client(base_url=server.url, timeout=60) as client:
        answer = client.post(f"/{INDEX}/_search", json={"query": {"match_all": {}}})
        assert answer.status_code >= 500, answer.text
        text = orjson.dumps(answer.json()).decode()
        assert "warm split" in text and "is damaged" in text, text
        assert _stats(client)["fetch_failures"] >= 1
        assert not any(_cache_folder(server).glob("*/*"))  # nothing half-fetched kept
