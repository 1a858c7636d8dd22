"""The engine's split operations that the warm tier, snapshots and ISM build on: sealing an
index, relocating its sealed splits (one metastore write, old files gone, searches and scrolls
that hold the old splits unharmed) and force merging, called directly on a node."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest

from loghaven.config import Config
from loghaven.engine import index as index_module
from loghaven.engine.documents_state import WriteRequest
from loghaven.engine.index import Index, SplitsChanged
from loghaven.engine.merge import UNSET, check_params, force_merge
from loghaven.engine.split import HOT_DOCSTORE, WARM_DOCSTORE, SplitMeta
from loghaven.errors import ActionRequestValidation
from loghaven.node import Node
from loghaven.storage.splits import split_checksum

MAPPING = {"mappings": {"properties": {"n": {"type": "long"}, "tag": {"type": "keyword"},
                                       "@timestamp": {"type": "date"}}}}


@pytest.fixture()
def node(tmp_path: Path) -> Iterator[Node]:
    node = Node(Config(data_dir=tmp_path, ingest_workers=0))
    yield node
    node.close()


def write(index: Index, numbers: range) -> None:
    docs = [{"n": n, "tag": f"t{n % 3}", "@timestamp": 1_700_000_000_000 + n} for n in numbers]
    results = index.write([WriteRequest("index", str(d["n"]), orjson.dumps(d), parsed=d)
                           for d in docs])
    assert all(r.status == 201 for r in results)  # type: ignore[union-attr]


def delete(index: Index, doc_id: str) -> None:
    assert index.write([WriteRequest("delete", doc_id)])[0].result == "deleted"  # type: ignore[union-attr]


def all_hits(node: Node, name: str) -> list[tuple[str, dict]]:
    body = node.search_service.search(name, {"size": 1000, "sort": [{"n": "asc"}]}, {})
    return [(h["_id"], orjson.loads(orjson.dumps(h["_source"]))) for h in body["hits"]["hits"]]


def stored_state(node: Node, index: Index) -> dict:
    return node.metastore.get("index_state", index.uuid)


def moved_copies(index: Index) -> dict[str, SplitMeta]:
    """Each sealed split copied to a new local folder, as a relocation's caller does."""
    moved = {}
    for split in index.splits:
        if split.meta.state != "sealed":
            continue
        target = index.storage.location(index.uuid, split.meta.split_id + "-moved")
        assert split.meta.location is not None
        index.storage.copy(split.meta.location, target)
        meta = SplitMeta.from_json(split.meta.to_json())
        meta.location = target
        meta.checksum = split_checksum(index.storage.local_path(target))
        moved[split.meta.split_id] = meta
    return moved


# --- seal -------------------------------------------------------------------------------------

def test_seal_leaves_every_document_in_a_checksummed_sealed_split(node: Node) -> None:
    index = node.catalog.create_index("sealing", MAPPING)
    write(index, range(10))  # not refreshed: seal commits
    index.seal()
    states = [s.meta.state for s in index.splits]
    assert states == ["sealed", "active"]
    sealed = index.splits[0]
    assert sealed.meta.checksum == split_checksum(sealed.path)
    assert index.active.meta.num_docs == 0
    assert len(all_hits(node, "sealing")) == 10
    stored = stored_state(node, index)["splits"]
    assert [s["state"] for s in stored] == ["sealed", "active"]
    assert stored[0]["checksum"] == sealed.meta.checksum
    assert stored_state(node, index)["checkpoint"] == index.seq_no
    # idempotent: nothing new, nothing sealed
    index.seal()
    assert index.splits[0] is sealed
    assert len(index.splits) == 2


def test_seal_gives_a_checksum_to_a_sealed_split_that_lacks_one(node: Node) -> None:
    index = node.catalog.create_index("legacy", MAPPING)
    write(index, range(5))
    index.seal()
    index.splits[0].meta.checksum = None  # as sealed before checksums existed
    index.seal()
    assert index.splits[0].meta.checksum == split_checksum(index.splits[0].path)
    assert stored_state(node, index)["splits"][0]["checksum"] == index.splits[0].meta.checksum


# --- relocate ---------------------------------------------------------------------------------

def test_relocate_switches_in_one_write_and_deletes_the_old_files(node: Node) -> None:
    index = node.catalog.create_index("moving", MAPPING)
    write(index, range(0, 30))
    index.seal()
    write(index, range(30, 50))
    index.seal()
    before = all_hits(node, "moving")
    old = {s.meta.split_id: s.path for s in index.splits if s.meta.state == "sealed"}
    # a search and a scroll opened on the old splits, still running when the switch happens
    scroll = node.search_service.search("moving", {"size": 7, "sort": [{"n": "asc"}]},
                                        {"scroll": "1m"})
    held = index.searchable_splits()
    moved = moved_copies(index)
    index.relocate(moved)
    assert all(not path.exists() for path in old.values())
    assert [s.meta.location for s in index.splits[:-1]] == [m.location for m in moved.values()]
    stored = stored_state(node, index)["splits"]
    assert [s["location"] for s in stored[:-1]] == [m.location for m in moved.values()]
    assert all_hits(node, "moving") == before
    # the old Split objects still answer: their files stay mapped
    assert sum(split.searcher().num_docs for split in held) == 50
    pages = [h["_id"] for h in scroll["hits"]["hits"]]
    scroll_id = scroll["_scroll_id"]
    while True:
        page = node.search_service.scroll(scroll_id, "1m", {})
        if not page["hits"]["hits"]:
            break
        pages += [h["_id"] for h in page["hits"]["hits"]]
        scroll_id = page["_scroll_id"]
    assert pages == [str(n) for n in range(50)]
    # the sidecar lists the new locations (rebuild-metastore reads it)
    sidecar = orjson.loads((index.folder / "index.json").read_bytes())
    assert [s["location"] for s in sidecar["splits"][:-1]] == [m.location for m in moved.values()]
    # writes and deletes keep working on the relocated splits, and a restart finds them
    delete(index, "3")
    write(index, range(50, 52))
    index.refresh()
    node.close()
    reopened = Node(Config(data_dir=node.config.data_dir, ingest_workers=0))
    try:
        hits = all_hits(reopened, "moving")
        assert [h[0] for h in hits] == [str(n) for n in range(52) if n != 3]
    finally:
        reopened.close()
    node.catalog.indices.clear()  # closed above; the fixture's close must not close it again


def test_relocate_during_concurrent_searches(node: Node) -> None:
    index = node.catalog.create_index("busy", MAPPING)
    write(index, range(200))
    index.seal()
    expected = all_hits(node, "busy")
    failures: list[BaseException] = []
    results: list[int] = []
    stop = threading.Event()

    def search() -> None:
        while not stop.is_set():
            try:
                body = node.search_service.search("busy", {"size": 200,
                                                           "sort": [{"n": "asc"}]}, {})
                results.append(len(body["hits"]["hits"]))
            except BaseException as exc:  # any failure fails the test
                failures.append(exc)
                return

    threads = [threading.Thread(target=search) for _ in range(3)]
    for thread in threads:
        thread.start()
    try:
        while len(results) < 5 and not failures:
            stop.wait(0.01)
        index.relocate(moved_copies(index))
        seen = len(results)
        while len(results) < seen + 5 and not failures:
            stop.wait(0.01)
    finally:
        stop.set()
        for thread in threads:
            thread.join(10)
    assert not failures
    assert set(results) == {200}
    assert all_hits(node, "busy") == expected


def test_relocate_is_refused_when_a_split_took_a_delete(node: Node) -> None:
    index = node.catalog.create_index("changing", MAPPING)
    write(index, range(20))
    index.seal()
    write(index, range(20, 30))
    index.seal()
    moved = moved_copies(index)
    before = stored_state(node, index)
    delete(index, "4")  # into the first sealed split, after its copy was taken
    with pytest.raises(SplitsChanged):
        index.relocate(moved)
    assert stored_state(node, index) == before
    assert [s.meta.location for s in index.splits] == [s["location"] for s in before["splits"]]
    index.refresh()
    index.seal()  # the delete is committed and a new checksum computed: still refused
    with pytest.raises(SplitsChanged):
        index.relocate(moved)
    assert [h[0] for h in all_hits(node, "changing")] == [str(n) for n in range(30) if n != 4]


def test_a_crash_before_or_after_the_switch_leaves_one_copy(node: Node) -> None:
    index = node.catalog.create_index("crashy", MAPPING)
    write(index, range(10))
    index.seal()
    moved = moved_copies(index)
    (copy,) = moved.values()
    assert copy.location is not None
    copy_path = index.storage.local_path(copy.location)
    old_path = index.splits[0].path
    # a crash before the switch: the state lists the old split; the copy is swept at open
    node.close()
    node.catalog.indices.clear()
    reopened = Node(Config(data_dir=node.config.data_dir, ingest_workers=0))
    try:
        assert not copy_path.exists() and old_path.exists()
        assert len(all_hits(reopened, "crashy")) == 10
    finally:
        reopened.close()


def test_a_crash_after_the_switch_leaves_the_new_copy(node: Node,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    index = node.catalog.create_index("switched", MAPPING)
    write(index, range(10))
    index.seal()
    old_path = index.splits[0].path
    moved = moved_copies(index)
    # the process dies after the metastore write, before the old files are deleted
    monkeypatch.setattr(Index, "drop_split_files", lambda self, splits: None)
    index.relocate(moved)
    assert old_path.exists()
    node.close()
    node.catalog.indices.clear()
    monkeypatch.undo()
    reopened = Node(Config(data_dir=node.config.data_dir, ingest_workers=0))
    try:
        assert not old_path.exists()  # swept: the state no longer lists it
        (copy,) = moved.values()
        assert reopened.catalog.indices["switched"].splits[0].meta.location == copy.location
        assert len(all_hits(reopened, "switched")) == 10
    finally:
        reopened.close()


# --- force merge ------------------------------------------------------------------------------

def test_force_merge_to_one_split_drops_deleted_documents(node: Node) -> None:
    index = node.catalog.create_index("merging", MAPPING)
    for first in range(0, 40, 10):
        write(index, range(first, first + 10))
        index.seal()
    delete(index, "5")
    delete(index, "25")
    write(index, range(40, 45))  # in the active split: flush seals it first
    index.refresh()
    before = all_hits(node, "merging")
    assert len(before) == 43
    force_merge(index, max_num_segments=1)
    sealed = [s for s in index.splits if s.meta.state == "sealed"]
    assert len(sealed) == 1
    segments = sealed[0].segments()
    assert len(segments) == 1 and segments[0].num_deleted == 0 and segments[0].num_docs == 43
    assert sealed[0].meta.checksum == split_checksum(sealed[0].path)
    assert all_hits(node, "merging") == before
    assert index.splits[-1].meta.state == "active"
    # the inputs' folders are gone, not left until the next start
    listed = {s.meta.location for s in index.splits}
    assert set(index.storage.list(index.uuid)) == listed
    # nothing to do the second time: the same split stays
    force_merge(index, max_num_segments=1)
    assert [s for s in index.splits if s.meta.state == "sealed"] == sealed


def test_hot_splits_store_documents_in_64_kib_blocks_and_keywords_without_norms(
        node: Node) -> None:
    """A new split's store compresses 64 KiB blocks (a third smaller than tantivy's 16 KiB
    for log documents), and fields indexed whole keep no norms (ES keeps none for keywords),
    while text fields keep theirs for scoring; documents and keyword scores read back."""
    index = node.catalog.create_index("stored", {"mappings": {"properties": {
        "tag": {"type": "keyword"}, "message": {"type": "text"}}}})
    written = [{"tag": "a" if i % 3 else "b", "message": f"line {i}"} for i in range(40)]
    index.write([WriteRequest("index", str(i), orjson.dumps(doc), parsed=doc)
                 for i, doc in enumerate(written)])
    index.refresh()
    split = index.splits[-1]
    assert split.docstore() == HOT_DOCSTORE == {"docstore_compression": "lz4",
                                                "docstore_blocksize": 65536}
    schema = {f["name"]: f for f in orjson.loads((split.path / "meta.json").read_bytes())["schema"]}
    assert schema["tag"]["options"]["indexing"]["fieldnorms"] is False
    assert schema["_id"]["options"]["indexing"]["fieldnorms"] is False
    assert schema["message"]["options"]["indexing"]["fieldnorms"] is True
    body = node.search_service.search("stored", {"query": {"term": {"tag": "b"}}, "size": 50}, {})
    found = body["hits"]["hits"]
    assert len(found) == 14 and len({h["_score"] for h in found}) == 1
    assert all(orjson.loads(orjson.dumps(h["_source"])) == written[int(h["_id"])] for h in found)


def test_force_merge_for_the_warm_tier_rewrites_the_document_store(node: Node) -> None:
    """A migration's force merge writes an uncompressed store in 1 MiB blocks (the object
    store's zstd compresses it), even for a split that already has one segment; the
    documents read back the same, and a second merge has nothing left to do."""
    index = node.catalog.create_index("warmbound", MAPPING)
    write(index, range(30))
    force_merge(index, max_num_segments=1)
    (single,) = [s for s in index.splits if s.meta.state == "sealed"]
    assert single.docstore()["docstore_compression"] == "lz4"
    before = all_hits(node, "warmbound")
    force_merge(index, max_num_segments=1, docstore=WARM_DOCSTORE)
    (rewritten,) = [s for s in index.splits if s.meta.state == "sealed"]
    assert rewritten is not single
    assert rewritten.docstore() == {"docstore_compression": "none",
                                    "docstore_blocksize": 1 << 20}
    assert len(rewritten.segments()) == 1
    assert rewritten.meta.checksum == split_checksum(rewritten.path)
    assert all_hits(node, "warmbound") == before
    force_merge(index, max_num_segments=1, docstore=WARM_DOCSTORE)
    assert [s for s in index.splits if s.meta.state == "sealed"] == [rewritten]


def test_force_merge_respects_split_max_docs(node: Node,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(index_module, "SPLIT_MAX_DOCS", 25)
    index = node.catalog.create_index("bounded", MAPPING)
    for first in range(0, 60, 10):
        write(index, range(first, first + 10))
        index.seal()
    before = all_hits(node, "bounded")
    force_merge(index, max_num_segments=1)  # 60 documents cannot fit one split of 25
    sealed = [s for s in index.splits if s.meta.state == "sealed"]
    assert [s.meta.num_docs for s in sealed] == [20, 20, 20]
    assert all_hits(node, "bounded") == before
    force_merge(index, max_num_segments=2)  # already fewer than it can be
    assert [s for s in index.splits if s.meta.state == "sealed"] == sealed


def test_force_merge_max_num_segments_keeps_several(node: Node) -> None:
    index = node.catalog.create_index("several", MAPPING)
    for first in range(0, 50, 10):
        write(index, range(first, first + 10))
        index.seal()
    force_merge(index, max_num_segments=2)
    assert [s.meta.num_docs for s in index.splits if s.meta.state == "sealed"] == [25, 25]
    assert [h[0] for h in all_hits(node, "several")] == [str(n) for n in range(50)]


def test_only_expunge_deletes_rewrites_only_splits_with_enough_deletes(node: Node) -> None:
    index = node.catalog.create_index("expunge", MAPPING)
    for first in range(0, 60, 20):
        write(index, range(first, first + 20))
        index.seal()
    first, second, third = (s for s in index.splits if s.meta.state == "sealed")
    delete(index, "1")  # 1 of 20 deleted: 5 %, below the 10 % allowed
    for n in range(20, 25):  # 5 of 20: 25 %
        delete(index, str(n))
    force_merge(index, only_expunge_deletes=True)
    sealed = [s for s in index.splits if s.meta.state == "sealed"]
    assert sealed[0] is first and sealed[2] is third
    assert sealed[1] is not second and sealed[1].meta.num_docs == 15
    assert sum(seg.num_deleted for seg in sealed[1].segments()) == 0
    assert sum(seg.num_deleted for seg in first.segments()) == 1
    assert len(all_hits(node, "expunge")) == 54


def test_force_merge_without_flush_leaves_the_active_split(node: Node) -> None:
    index = node.catalog.create_index("noflush", MAPPING)
    for first in range(0, 20, 10):
        write(index, range(first, first + 10))
        index.seal()
    write(index, range(20, 25))
    index.refresh()
    active = index.active
    force_merge(index, flush=False)
    assert index.active is active and active.meta.num_docs == 5
    assert [s.meta.num_docs for s in index.splits[:-1]] == [20]


def test_force_merge_parameters_are_checked_as_es_does() -> None:
    with pytest.raises(ActionRequestValidation) as error:
        check_params(1, True)
    assert "mutually exclusive" in error.value.reason
    assert check_params(UNSET, True) is None and check_params(2, False) == 2
