"""Split locations and checksums: the storage interface's local implementation, the checksum
of a split's committed files, and what an index records of its splits (metastore and sidecar)."""

from __future__ import annotations

import threading
from pathlib import Path

import orjson
import pytest

from loghaven.engine import index as index_module
from loghaven.engine import sidecar
from loghaven.engine.catalog import Catalog
from loghaven.engine.documents_state import WriteRequest
from loghaven.engine.index import Index
from loghaven.engine.recovery import METASTORE_FILE, rebuild_metastore
from loghaven.errors import LoghavenError
from loghaven.storage.metastore import SqliteMetastore
from loghaven.storage.splits import LocalSplitStorage, split_checksum


def _open(data_dir: Path) -> Catalog:
    return Catalog(data_dir, SqliteMetastore(data_dir / METASTORE_FILE))


def _write(index: Index, first: int, count: int) -> None:
    outcomes = index.write([WriteRequest("index", f"d{n}", orjson.dumps({"n": n}))
                            for n in range(first, first + count)])
    assert all(outcome.status == 201 for outcome in outcomes)
    index.refresh()


@pytest.fixture
def sealed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Catalog, Index]:
    """An index with two sealed splits of 20 documents and an active one of 5."""
    monkeypatch.setattr(index_module, "SPLIT_MAX_DOCS", 20)
    catalog = _open(tmp_path)
    index = catalog.create_index("logs", {"mappings": {"properties": {"n": {"type": "long"}}}})
    for first in range(0, 45, 5):
        _write(index, first, 5)
    for split in index.splits:
        split.close_writer()  # the close threads have computed the checksums
    index.save_checksums()
    assert [s.meta.state for s in index.splits] == ["sealed", "sealed", "active"]
    return catalog, index


def _stored_splits(catalog: Catalog, index: Index) -> tuple[list[dict], list[dict]]:
    """The split list as the metastore and as the sidecar record it."""
    state = catalog.metastore.get("index_state", index.uuid)
    assert state is not None
    side = sidecar.read(index.folder)
    assert side is not None
    return state["splits"], side["splits"]


# --- the local storage ------------------------------------------------------------------------


def test_local_storage_resolves_lists_copies_and_deletes(tmp_path: Path) -> None:
    storage = LocalSplitStorage(tmp_path)
    location = storage.location("u1", "s1")
    assert location == "local:indices/u1/splits/s1"
    path = storage.local_path(location)
    assert path == tmp_path / "indices" / "u1" / "splits" / "s1"
    assert storage.list("u1") == [] and not storage.exists(location)
    path.mkdir(parents=True)
    (path / "seg.store").write_bytes(b"abc")
    assert storage.list("u1") == [location] and not storage.exists(location)  # not committed
    (path / "meta.json").write_bytes(b"{}")
    assert storage.exists(location)
    assert storage.files(location) == ["meta.json", "seg.store"]
    copy = storage.location("u1", "s2")
    storage.copy(location, copy)
    assert storage.files(copy) == ["meta.json", "seg.store"]
    assert storage.list("u1") == [location, copy]
    storage.delete(location)
    storage.delete(location)  # deleting what is gone is not an error
    assert storage.list("u1") == [copy] and storage.files(location) == []
    assert storage.list("other") == []


@pytest.mark.parametrize("location", ["local:../elsewhere/s1", "local:/abs/s1", "local:",
                                      "s3://bucket/s1", "file:///tmp/s1"])
def test_local_storage_refuses_locations_outside_the_data_folder(tmp_path: Path,
                                                                  location: str) -> None:
    with pytest.raises(LoghavenError, match="not in this node's data folder"):
        LocalSplitStorage(tmp_path).local_path(location)


def test_locations_survive_moving_the_data_folder(sealed: tuple[Catalog, Index],
                                                  tmp_path: Path) -> None:
    catalog, _ = sealed
    catalog.close()
    moved = tmp_path.parent / (tmp_path.name + "-moved")
    tmp_path.rename(moved)
    try:
        reopened = _open(moved)
        assert reopened.get("logs").doc_count() == 45
        reopened.close()
    finally:
        moved.rename(tmp_path)


# --- the checksum -----------------------------------------------------------------------------


def test_checksum_is_stable_and_covers_the_committed_files(
        sealed: tuple[Catalog, Index]) -> None:
    _, index = sealed
    path = index.splits[0].path
    checksum = split_checksum(path)
    assert checksum.startswith("sha256:") and len(checksum) == len("sha256:") + 64
    assert split_checksum(path) == checksum
    (path / ".managed.json").write_bytes(b"[]")  # tantivy's bookkeeping is not content
    (path / "0123456789abcdef0123456789abcdef.store").write_bytes(b"left for gc")
    assert split_checksum(path) == checksum
    store = next(p for p in path.iterdir() if p.suffix == ".store" and p.stem in
                 (path / "meta.json").read_text().replace("-", ""))
    data = bytearray(store.read_bytes())
    data[-1] ^= 1  # one bit of a segment file
    store.write_bytes(bytes(data))
    assert split_checksum(path) != checksum
    data[-1] ^= 1
    store.write_bytes(bytes(data))
    assert split_checksum(path) == checksum
    other = index.splits[1].path
    assert split_checksum(other) != checksum


def test_sealed_splits_record_location_and_checksum(sealed: tuple[Catalog, Index]) -> None:
    catalog, index = sealed
    for stored in _stored_splits(catalog, index):
        assert [s["location"] for s in stored] == [
            f"local:indices/{index.uuid}/splits/{s.meta.split_id}" for s in index.splits]
        assert [s["checksum"] for s in stored] == [
            split_checksum(index.splits[0].path), split_checksum(index.splits[1].path), None]
    catalog.close()


def test_sealing_computes_the_checksum_in_the_background(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Sealing returns before the checksum is computed; the scheduled refresh records it."""
    monkeypatch.setattr(index_module, "SPLIT_MAX_DOCS", 10)
    release = threading.Event()
    original = index_module.Split._finish

    def held(split: index_module.Split, writer: object) -> None:
        release.wait(10)
        original(split, writer)

    monkeypatch.setattr(index_module.Split, "_finish", held)
    catalog = _open(tmp_path)
    index = catalog.create_index("logs", {})
    _write(index, 0, 10)
    _write(index, 10, 5)  # seals the first split; its close thread waits for `release`
    sealed_split = index.splits[0]
    assert sealed_split.meta.state == "sealed" and sealed_split.meta.checksum is None
    release.set()
    catalog.refresh_due(threading.Event())
    sealed_split.close_writer()  # waits for its close thread
    assert sealed_split.meta.checksum is not None
    catalog.refresh_due(threading.Event())
    for stored in _stored_splits(catalog, index):
        assert stored[0]["checksum"] == split_checksum(sealed_split.path)
    catalog.close()


def test_a_delete_in_a_sealed_split_renews_its_checksum(sealed: tuple[Catalog, Index]) -> None:
    catalog, index = sealed
    first = index.splits[0]
    before = first.meta.checksum
    assert before is not None
    assert index.write([WriteRequest("delete", "d3")])[0].result == "deleted"
    assert first.meta.checksum is None  # its files are about to change
    index.refresh()
    first.close_writer()
    index.save_checksums()
    assert first.meta.checksum not in (None, before)
    assert first.meta.checksum == split_checksum(first.path)
    for stored in _stored_splits(catalog, index):
        assert stored[0]["checksum"] == first.meta.checksum
    catalog.close()


def test_merged_split_has_its_checksum_when_swapped_in(tmp_path: Path) -> None:
    from loghaven.engine.merge import merge_small_splits

    catalog = _open(tmp_path)
    index = catalog.create_index("logs", {})
    for name in ("a", "b", "c"):  # each new field seals a split
        index.write([WriteRequest("index", name, orjson.dumps({name: 1}))])
        index.refresh()
    merged = merge_small_splits(index)
    assert merged is not None
    assert merged.meta.checksum == split_checksum(merged.path)
    for stored in _stored_splits(catalog, index):
        assert stored[0]["checksum"] == merged.meta.checksum
    catalog.close()


def test_merge_does_not_bring_back_a_delete_not_yet_committed(tmp_path: Path) -> None:
    """A delete applied to a sealed split but not committed yet is committed before the
    merge copies the split (a copy of the last commit would resurrect the document)."""
    from loghaven.engine.merge import merge_small_splits

    catalog = _open(tmp_path)
    index = catalog.create_index("logs", {})
    for name in ("a", "b", "c"):  # each new field seals a split
        index.write([WriteRequest("index", name, orjson.dumps({name: 1}))])
        index.refresh()
    assert index.write([WriteRequest("delete", "a")])[0].result == "deleted"  # type: ignore[union-attr]
    merged = merge_small_splits(index)
    assert merged is not None and merged.num_docs() == 1  # "b": "c" is in the active split
    assert index.doc_count() == 2
    catalog.close()


# --- older data folders and the rebuild -------------------------------------------------------


def test_split_records_without_location_still_open(sealed: tuple[Catalog, Index],
                                                   tmp_path: Path) -> None:
    """A data folder written before split locations: the default local location is used."""
    catalog, index = sealed
    uuid = index.uuid
    catalog.close()
    metastore = SqliteMetastore(tmp_path / METASTORE_FILE)
    state = metastore.get("index_state", uuid)
    assert state is not None
    for split in state["splits"]:
        del split["location"], split["checksum"]
    metastore.put("index_state", uuid, state)
    metastore.close()
    reopened = _open(tmp_path)
    index = reopened.get("logs")
    assert index.doc_count() == 45 and len(index.splits) == 3
    assert [s.meta.location for s in index.splits] == [
        f"local:indices/{uuid}/splits/{s.meta.split_id}" for s in index.splits]
    reopened.close()


def test_rebuild_keeps_locations_and_checksums(sealed: tuple[Catalog, Index],
                                               tmp_path: Path) -> None:
    catalog, index = sealed
    before = catalog.metastore.get("index_state", index.uuid)
    assert before is not None
    catalog.close()
    (tmp_path / METASTORE_FILE).unlink()
    rebuild_metastore(tmp_path)
    reopened = _open(tmp_path)
    after = reopened.metastore.get("index_state", index.uuid)
    assert after is not None
    assert [(s["location"], s["checksum"]) for s in after["splits"]] == \
        [(s["location"], s["checksum"]) for s in before["splits"]]
    assert reopened.get("logs").doc_count() == 45
    reopened.close()


def test_a_checksum_is_forgotten_before_a_commit_changes_the_files(
        sealed: tuple[Catalog, Index], monkeypatch: pytest.MonkeyPatch) -> None:
    """If the state cannot be recorded after the commit (a crash, a full disk), the stored
    checksum of a sealed split that took a delete is none, not the old, now wrong one."""
    catalog, index = sealed
    assert index.wal is not None

    def fail() -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(index.wal, "roll", fail)  # recording the checkpoint fails
    assert index.write([WriteRequest("delete", "d3")])[0].result == "deleted"
    index.refresh()
    for stored in _stored_splits(catalog, index):
        assert stored[0]["checksum"] is None
    monkeypatch.undo()
    catalog.close()
