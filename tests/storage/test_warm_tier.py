"""storage/warm.py's WarmTier and TieredSplitStorage's warm side, on a real sealed split, in a
local folder and in SeaweedFS (where the warm bucket does not exist until the first upload)."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import orjson
import pytest
from tests.conftest import S3Store

from loghaven.config import Config
from loghaven.engine.catalog import Catalog
from loghaven.engine.documents_state import WriteRequest
from loghaven.engine.index import Index
from loghaven.engine.recovery import METASTORE_FILE
from loghaven.errors import LoghavenError
from loghaven.storage.metastore import SqliteMetastore
from loghaven.storage.objects import ObjectStoreError
from loghaven.storage.splits import LocalSplitStorage, TieredSplitStorage, split_checksum
from loghaven.storage.warm import WarmTier


@pytest.fixture(params=["local", "s3"])
def config(request: pytest.FixtureRequest, tmp_path: Path) -> Config:
    config = Config(data_dir=tmp_path / "data")
    if request.param == "s3":
        s3: S3Store = request.getfixturevalue("s3")
        config.object_store_type = "s3"
        config.object_store_s3_endpoint = s3.endpoint_url
        config.object_store_s3_access_key = s3.access_key
        config.object_store_s3_secret_key = s3.secret_key
        config.warm_bucket = f"warm-{uuid.uuid4().hex[:8]}"  # made by the first upload
    return config


def _sealed_index(config: Config) -> tuple[Catalog, Index]:
    catalog = Catalog(config.data_dir, SqliteMetastore(config.data_dir / METASTORE_FILE))
    index = catalog.create_index("logs", {"mappings": {"properties": {
        "n": {"type": "long"}, "msg": {"type": "text"}}}})
    index.write([WriteRequest("index", f"d{n}", orjson.dumps({"n": n, "msg": f"line {n}"}))
                 for n in range(50)])
    index.seal()
    return catalog, index


def test_upload_verify_download_delete(config: Config, tmp_path: Path) -> None:
    from loghaven.storage.objects import object_store

    config.data_dir.mkdir(parents=True)
    catalog, index = _sealed_index(config)
    split = index.splits[0]
    warm = WarmTier(config, object_store(config))
    try:
        meta = warm.upload(split.meta, split.path)  # the uuid from the local location
        assert meta.location == f"warm:{index.uuid}/{split.meta.split_id}"
        assert meta.checksum == split.meta.checksum == split_checksum(split.path)
        assert meta.state == "sealed" and meta.num_docs == 50
        tantivy_meta = orjson.loads((split.path / "meta.json").read_bytes())
        assert meta.schema == tantivy_meta["schema"]
        assert meta.segments == tantivy_meta["segments"]
        names = sorted(f["name"] for f in meta.files or ())
        assert "meta.json" in names and all(not n.startswith(".") for n in names)
        assert [f["key"] for f in meta.files or ()] == [
            f"{index.uuid}/{meta.split_id}/{f['name']}" for f in meta.files or ()]
        stored = list(warm.store.list(config.warm_bucket, f"{index.uuid}/"))
        assert warm.stored_bytes(meta) == sum(info.size for info in stored)
        assert warm.upload(split.meta, split.path) == meta  # again: harmless
        warm.verify(meta)

        target = tmp_path / "back"
        warm.download(meta, target)
        assert split_checksum(target) == meta.checksum
        with pytest.raises(LoghavenError, match="the folder is not empty"):
            warm.download(meta, target)

        # The tiered storage resolves the warm location without fetching anything.
        tiered = TieredSplitStorage(LocalSplitStorage(config.data_dir), warm)
        assert meta.location is not None
        assert tiered.is_remote(meta.location) and tiered.exists(meta.location)
        assert tiered.local_path(meta.location) == warm.cache.path(
            f"{index.uuid}/{meta.split_id}")
        assert tiered.files(meta.location) == []  # not cached
        assert all(loc.startswith("local:") for loc in tiered.list(index.uuid))
        with warm.lease(meta) as folder:
            assert sorted(p.name for p in folder.iterdir()) == names
        assert tiered.files(meta.location) == names

        # A damaged object: the download fails and leaves no folder.
        key = next(f["key"] for f in meta.files or () if f["name"].endswith(".store"))
        info = warm.store.head(config.warm_bucket, key)
        assert info is not None
        warm.store.put(config.warm_bucket, key, os.urandom(info.size))
        with pytest.raises(ObjectStoreError, match=r"is damaged: file \[.+\.store\]"):
            warm.download(meta, tmp_path / "again")
        assert not (tmp_path / "again").exists()

        tiered.delete(meta.location)  # every object under the split's prefix, and the cache
        assert list(warm.store.list(config.warm_bucket, f"{index.uuid}/")) == []
        assert not tiered.local_path(meta.location).exists()
        assert warm.stats()["splits"] == 0
        with pytest.raises(ObjectStoreError, match="is missing"):
            warm.verify(meta)
    finally:
        warm.close()
        catalog.close()


@pytest.mark.parametrize("location", ["warm:../x", "warm:u/../../x", "warm:u", "warm:u/s/f",
                                      "warm:/u/s"])
def test_hostile_warm_locations_are_refused(tmp_path: Path, location: str) -> None:
    from loghaven.storage.objects import LocalObjectStore

    warm = WarmTier(Config(data_dir=tmp_path), LocalObjectStore(tmp_path / "buckets"))
    tiered = TieredSplitStorage(LocalSplitStorage(tmp_path), warm)
    with pytest.raises(LoghavenError, match="invalid warm split key"):
        tiered.local_path(location)
    with pytest.raises(LoghavenError, match="invalid warm split key"):
        tiered.delete(location)


def test_a_warm_record_without_files_is_never_skipped(tmp_path: Path) -> None:
    from loghaven.engine.split import Split
    from loghaven.storage.objects import LocalObjectStore

    warm = WarmTier(Config(data_dir=tmp_path), LocalObjectStore(tmp_path / "buckets"))
    tiered = TieredSplitStorage(LocalSplitStorage(tmp_path), warm)
    record = {"split_id": "s1", "state": "sealed", "num_docs": 5, "location": "warm:u1/s1"}
    with pytest.raises(LoghavenError, match=r"warm split \[s1\] has no files or schema"):
        Split.open_stored(record, tiered, "u1")
