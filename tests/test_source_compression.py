"""Stored sources are compressed with a zstd dictionary that an index trains on its first
documents (engine/sources.py, decision 0019): every way of reading a document gives back the
bytes as they were sent, and a split carries the dictionary wherever it goes: a restart after
kill -9, a force merge, a snapshot and its restore."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import tantivy

from conftest import Server
from loghaven.engine.sources import DICTIONARY_FILE, SAMPLE_DOCS, ZSTD_MAGIC

NDJSON = {"content-type": "application/x-ndjson"}
#: Past the dictionary's samples, so that the later documents are stored compressed.
DOCS = SAMPLE_DOCS + 300


@pytest.fixture(scope="module")
def repo_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("repos")


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory, repo_root: Path) -> Iterator[Server]:
    server = Server(tmp_path_factory.mktemp("compression") / "data",
                    env={"LOGHAVEN_PATH_REPO": str(repo_root)}).start()
    yield server
    server.stop()


@pytest.fixture
def es(node: Server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=node.url, timeout=60) as client:
        yield client


def source_text(i: int) -> str:
    """A source as a client writes it: its own spacing, key order and non-ASCII text,
    which ES gives back byte for byte."""
    return (f'{{"msg" : "événement {i} from host-{i % 7}",  "n":{i}, "host":"host-{i % 7}",'
            f' "tags":["a", "b{i % 3}"], "nested":{{"deep":{{"x":{i * 0.5}}}}}}}')


def write(es: httpx.Client, index: str, ids: range, per_bulk: int = 100) -> None:
    """Bulks of ``per_bulk`` (large enough for the ingest workers to prepare them)."""
    for start in range(ids.start, ids.stop, per_bulk):
        lines = []
        for i in range(start, min(start + per_bulk, ids.stop)):
            lines += [json.dumps({"index": {"_id": str(i)}}), source_text(i)]
        answer = es.post(f"/{index}/_bulk", content="\n".join(lines) + "\n", headers=NDJSON)
        assert answer.status_code == 200 and not answer.json()["errors"], answer.text


def split_folders(node: Server, index: str, es: httpx.Client) -> list[Path]:
    uuid = es.get(f"/{index}/_settings").json()[index]["settings"]["index"]["uuid"]
    return sorted(p for p in (node.data_dir / "indices" / uuid / "splits").iterdir()
                  if p.is_dir())


def stored_sources(folder: Path) -> list[bytes]:
    """The ``_source`` values of a split's committed documents, as tantivy holds them."""
    searcher = tantivy.Index.open(str(folder)).searcher()
    hits = searcher.search(tantivy.Query.all_query(), max(searcher.num_docs, 1)).hits
    return [searcher.doc(address).get_first("_source") for _, address in hits]


def assert_every_source(es: httpx.Client, index: str, ids: range) -> None:
    """GET, ``_source``, ``_mget`` and a scroll over everything give the bytes as sent."""
    for i in (*ids[:5], *ids[-40:]):
        assert es.get(f"/{index}/_source/{i}").content.decode() == source_text(i)
        assert es.get(f"/{index}/_doc/{i}").json()["_source"] == json.loads(source_text(i))
    docs = es.post(f"/{index}/_mget", json={"ids": [str(i) for i in ids[-20:]]}).json()["docs"]
    assert [d["_source"] for d in docs] == [json.loads(source_text(i)) for i in ids[-20:]]
    seen: dict[str, object] = {}
    page = es.post(f"/{index}/_search?scroll=1m", json={"size": 500, "sort": ["_doc"]}).json()
    while page["hits"]["hits"]:
        seen.update((h["_id"], h["_source"]) for h in page["hits"]["hits"])
        page = es.post("/_search/scroll", json={"scroll": "1m",
                                                "scroll_id": page["_scroll_id"]}).json()
    assert seen == {str(i): json.loads(source_text(i)) for i in ids}


def test_sources_past_the_samples_are_stored_compressed_and_read_back_as_sent(
        node: Server, es: httpx.Client) -> None:
    es.put("/zs-reads", json={"settings": {"index.refresh_interval": "-1"}})
    write(es, "zs-reads", range(DOCS))
    es.put(f"/zs-reads/_doc/{DOCS}", content=source_text(DOCS),
           headers={"content-type": "application/json"})  # one write on the in-process path
    es.post("/zs-reads/_refresh")
    (folder,) = split_folders(node, "zs-reads", es)
    assert (folder / DICTIONARY_FILE).stat().st_size > 0
    stored = stored_sources(folder)
    compressed = [s for s in stored if s.startswith(ZSTD_MAGIC)]
    assert len(stored) == DOCS + 1
    assert len(compressed) == DOCS + 1 - SAMPLE_DOCS  # the first ones trained the dictionary
    assert sum(map(len, compressed)) * 3 < sum(
        len(source_text(i).encode()) for i in range(SAMPLE_DOCS, DOCS + 1))
    assert_every_source(es, "zs-reads", range(DOCS + 1))

    hits = es.post("/zs-reads/_search", json={
        "query": {"match": {"msg": str(DOCS - 3)}}, "_source": ["host", "nested.deep"]}).json()
    assert hits["hits"]["hits"][0]["_source"] == {"host": f"host-{(DOCS - 3) % 7}",
                                                  "nested": {"deep": {"x": (DOCS - 3) * 0.5}}}
    top = es.post("/zs-reads/_search", json={"size": 0, "aggs": {
        "last": {"top_hits": {"size": 1, "sort": [{"n": "desc"}]}}}}).json()
    assert top["aggregations"]["last"]["hits"]["hits"][0]["_source"] == \
        json.loads(source_text(DOCS))

    updated = es.post(f"/zs-reads/_update/{DOCS - 1}?refresh=true", json={"doc": {"n": -1}})
    assert updated.json()["result"] == "updated"
    assert es.get(f"/zs-reads/_doc/{DOCS - 1}").json()["_source"] == {
        **json.loads(source_text(DOCS - 1)), "n": -1}


def test_a_split_keeps_its_dictionary_through_kill_9_and_force_merge(
        node: Server, es: httpx.Client) -> None:
    es.put("/zs-durable", json={"settings": {"index.refresh_interval": "-1"}})
    write(es, "zs-durable", range(DOCS))
    es.post("/zs-durable/_refresh")
    write(es, "zs-durable", range(DOCS, DOCS + 200))  # acknowledged, only in the log
    node.kill()
    node.start()
    es.post("/zs-durable/_refresh")
    assert_every_source(es, "zs-durable", range(DOCS + 200))
    folders = split_folders(node, "zs-durable", es)
    dictionary = (folders[0] / DICTIONARY_FILE).read_bytes()
    assert all((f / DICTIONARY_FILE).read_bytes() == dictionary for f in folders)
    replayed = stored_sources(folders[-1])
    assert any(s.startswith(ZSTD_MAGIC) for s in replayed)

    assert es.post("/zs-durable/_forcemerge?max_num_segments=1").status_code == 200
    merged = split_folders(node, "zs-durable", es)
    assert all((f / DICTIONARY_FILE).read_bytes() == dictionary for f in merged)
    assert sum(s.startswith(ZSTD_MAGIC) for f in merged for s in stored_sources(f)) \
        == DOCS + 200  # a merge stores every source with the dictionary
    assert_every_source(es, "zs-durable", range(DOCS + 200))


def test_snapshot_restore_and_reindex_keep_the_sources(node: Server, es: httpx.Client,
                                                        repo_root: Path) -> None:
    write(es, "zs-snap", range(DOCS))
    es.post("/zs-snap/_refresh")
    assert es.put("/_snapshot/zs-repo", json={
        "type": "fs", "settings": {"location": "zs-repo"}}).status_code == 200
    taken = es.put("/_snapshot/zs-repo/one?wait_for_completion=true",
                   json={"indices": "zs-snap"})
    assert taken.json()["snapshot"]["state"] == "SUCCESS", taken.text
    reindexed = es.post("/_reindex?refresh=true", json={
        "source": {"index": "zs-snap"}, "dest": {"index": "zs-copy"}})
    assert reindexed.json()["created"] == DOCS
    assert_every_source(es, "zs-copy", range(DOCS))

    assert es.delete("/zs-snap").status_code == 200
    restored = es.post("/_snapshot/zs-repo/one/_restore?wait_for_completion=true",
                       json={"indices": "zs-snap"})
    assert restored.status_code == 200, restored.text
    assert any((f / DICTIONARY_FILE).exists() for f in split_folders(node, "zs-snap", es))
    assert_every_source(es, "zs-snap", range(DOCS))
