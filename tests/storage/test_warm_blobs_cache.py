"""storage/blobs.py (split files as zstd objects, checked by SHA-256 on the way back) on a local
folder and on SeaweedFS, and storage/split_cache.py (whole split folders, LRU by bytes, leases,
one fetch per key, prefetch, restart)."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest
import zstandard

from loghaven.storage import blobs as blob_module
from loghaven.storage.blobs import BlobFile, BlobStore
from loghaven.storage.objects import ObjectStore, ObjectStoreError
from loghaven.storage.split_cache import SplitCache, SplitTooLarge


@pytest.fixture
def blobs(store: tuple[ObjectStore, str]) -> BlobStore:
    return BlobStore(store[0], store[1], level=3)


def _split_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "splits" / "s1"
    folder.mkdir(parents=True)
    (folder / "meta.json").write_bytes(b'{"segments": []}')
    (folder / "a.store").write_bytes(b"GET /index.php?id=1 200\n" * 20_000)  # compressible
    (folder / "b.idx").write_bytes(os.urandom(50_000))  # not
    (folder / "empty.del").write_bytes(b"")
    return folder


NAMES = ["a.store", "b.idx", "empty.del", "meta.json"]


def _upload(blobs: BlobStore, folder: Path, **options: object) -> list[BlobFile]:
    return blobs.upload(folder, NAMES, lambda name, sha: f"u1/s1/{name}", **options)  # type: ignore[arg-type]


def test_upload_download_round_trip(blobs: BlobStore, tmp_path: Path,
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(blob_module, "_WRITEBACK", 64 << 10)  # sent to disk in pieces
    folder = _split_folder(tmp_path)
    done: list[int] = []
    files = _upload(blobs, folder, progress=done.append)
    assert [f.name for f in files] == NAMES and [f.key for f in files] == [
        f"u1/s1/{n}" for n in NAMES]
    assert done == [(folder / n).stat().st_size for n in NAMES]
    by_name = {f.name: f for f in files}
    assert by_name["a.store"].stored_size < by_name["a.store"].size / 20
    assert [p.name for p in (tmp_path / "splits").iterdir()] == ["s1"]  # no scratch left
    blobs.verify(files)
    target = tmp_path / "copy"
    target.mkdir()
    read = blobs.download(files, target)
    assert read == sum(f.stored_size for f in files)
    assert sorted(p.name for p in target.iterdir()) == NAMES
    for name in NAMES:
        assert (target / name).read_bytes() == (folder / name).read_bytes()
    # an object is zstd at the configured level: readable by any zstd
    compressed = blobs.store.get(blobs.bucket, "u1/s1/a.store")
    assert zstandard.ZstdDecompressor().decompressobj().decompress(compressed) == \
        (folder / "a.store").read_bytes()
    blobs.delete([f.key for f in files] + ["u1/s1/never"])
    assert list(blobs.store.list(blobs.bucket, "u1/")) == []
    with pytest.raises(ObjectStoreError, match=r"object \[u1/s1/a.store\] of file \[a.store\] "
                                               r"in bucket \[.+\] of .+ is missing"):
        blobs.verify(files)


def test_skip_existing_sends_nothing_twice(blobs: BlobStore, tmp_path: Path) -> None:
    folder = _split_folder(tmp_path)
    key_of = lambda name, sha: f"content/{sha}"  # noqa: E731
    first = blobs.upload(folder, NAMES, key_of)
    puts: list[str] = []
    original = blobs.store.put_file
    blobs.store.put_file = lambda b, k, p: puts.append(k) or original(b, k, p)  # type: ignore[method-assign]
    (folder / "c.new").write_bytes(b"new file")
    again = blobs.upload(folder, [*NAMES, "c.new"], key_of, skip_existing=True)
    assert again[:4] == first and len(puts) == 1 and puts[0] == again[4].key


@pytest.mark.parametrize("damage", ["other", "short", "garbage"])
def test_damaged_object_is_detected_and_nothing_half_written(
        blobs: BlobStore, tmp_path: Path, damage: str) -> None:
    folder = _split_folder(tmp_path)
    files = _upload(blobs, folder)
    good = blobs.store.get(blobs.bucket, "u1/s1/a.store")
    bad = {"other": zstandard.ZstdCompressor().compress(b"x" * 480_000),
           "short": good[:len(good) // 2], "garbage": os.urandom(len(good))}[damage]
    blobs.store.put(blobs.bucket, "u1/s1/a.store", bad)
    if damage == "short":  # verify checks sizes only
        with pytest.raises(ObjectStoreError, match=r"object \[u1/s1/a.store\] .* has"):
            blobs.verify(files)
    target = tmp_path / "copy"
    target.mkdir()
    with pytest.raises(ObjectStoreError, match=r"object \[u1/s1/a.store\] in bucket \[.+\] of "
                                               r".+ is damaged: file \[a.store\] should be "
                                               r"480000 bytes with SHA-256 [0-9a-f]{64}"):
        blobs.download(files, target)
    assert sorted(p.name for p in target.iterdir()) == []  # nothing half-written


def test_a_damaged_file_takes_the_files_fetched_with_it(blobs: BlobStore,
                                                        tmp_path: Path) -> None:
    """Files come several at a time, the largest first: when the smallest is damaged the
    others are already there, and are removed again."""
    folder = _split_folder(tmp_path)
    files = _upload(blobs, folder)
    blobs.store.put(blobs.bucket, "u1/s1/meta.json", zstandard.ZstdCompressor().compress(b"{}"))
    target = tmp_path / "copy"
    target.mkdir()
    with pytest.raises(ObjectStoreError, match=r"file \[meta.json\] should be 16 bytes"):
        blobs.download(files, target)
    assert sorted(p.name for p in target.iterdir()) == []


# --- the split cache --------------------------------------------------------------------------


class Fetcher:
    """Writes ``size`` bytes into the folder it is given; counts its calls."""

    def __init__(self, size: int, delay: float = 0.0, fail: bool = False) -> None:
        self.size = size
        self.delay = delay
        self.fail = fail
        self.calls = 0

    def __call__(self, folder: Path) -> int:
        self.calls += 1
        time.sleep(self.delay)
        if self.fail:
            (folder / "part").write_bytes(b"x")
            raise ObjectStoreError("unreachable")
        (folder / "data").write_bytes(b"x" * self.size)
        return self.size // 2  # "compressed"


def test_lru_by_bytes_and_counters(tmp_path: Path) -> None:
    cache = SplitCache(tmp_path / "cache", 250)
    evicted: list[str] = []
    for key in ("u/a", "u/b", "u/c"):
        cache.on_evict(key, lambda k=key: evicted.append(k))
    fetch = Fetcher(100)
    assert cache.open("u/a", 100, fetch) == tmp_path / "cache" / "u" / "a"
    cache.open("u/b", 100, fetch)
    cache.open("u/a", 100, fetch)  # a hit: a is now the most recently used
    cache.open("u/c", 100, fetch)  # 300 > 250: b goes
    assert evicted == ["u/b"] and not (tmp_path / "cache" / "u" / "b").exists()
    assert (tmp_path / "cache" / "u" / "a" / "data").exists()
    assert cache.stats() == {"hits": 1, "misses": 3, "bytes_fetched": 150, "evictions": 1,
                             "prefetches": 0, "fetch_failures": 0, "size_in_bytes": 200,
                             "limit_in_bytes": 250, "splits": 2, "fetching": 0}
    assert cache.touch("u/a") and not cache.touch("u/b")
    cache.drop("u/a")
    assert evicted == ["u/b", "u/a"] and cache.stats()["splits"] == 1
    with pytest.raises(SplitTooLarge, match=r"warm split \[u/d\] has 300 bytes, more than the "
                                            r"whole warm cache \(250 bytes"):
        cache.open("u/d", 300, Fetcher(300))


def test_a_leased_split_is_never_evicted(tmp_path: Path) -> None:
    cache = SplitCache(tmp_path / "cache", 150)
    with cache.lease("u/a", 100, Fetcher(100)) as held:
        other = cache.open("u/b", 100, Fetcher(100))  # over the bound: a is in use
        assert (held / "data").exists() and (other / "data").exists()
        assert cache.stats()["evictions"] == 0 and cache.stats()["size_in_bytes"] == 200
    # back under the bound as a is released: b goes (a, just used, is kept)
    assert (held / "data").exists() and not other.exists()
    assert cache.stats()["evictions"] == 1 and cache.stats()["size_in_bytes"] == 100
    cache.open("u/c", 100, Fetcher(100))
    assert not held.exists() and cache.stats()["evictions"] == 2


def test_one_fetch_per_key_and_failures_shared(tmp_path: Path) -> None:
    cache = SplitCache(tmp_path / "cache", 1000)
    fetch = Fetcher(100, delay=0.3)
    results: list[Path] = []
    threads = [threading.Thread(target=lambda: results.append(cache.open("u/a", 100, fetch)))
               for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert fetch.calls == 1 and len(results) == 4 and len(set(results)) == 1
    assert (cache.stats()["misses"], cache.stats()["hits"]) == (1, 3)
    failing = Fetcher(100, fail=True)
    with pytest.raises(ObjectStoreError):
        cache.open("u/b", 100, failing)
    assert sorted(p.name for p in (tmp_path / "cache").iterdir()) == ["u"]  # no partial
    assert cache.stats()["fetch_failures"] == 1 and not cache.touch("u/b")
    assert cache.stats()["size_in_bytes"] == 100  # the failed fetch's room is given back


def test_prefetch_runs_in_the_background(tmp_path: Path) -> None:
    cache = SplitCache(tmp_path / "cache", 1000, prefetch_threads=2)
    fetches = [Fetcher(100, delay=0.2) for _ in range(3)]
    for n, fetch in enumerate(fetches):
        cache.prefetch(f"u/{n}", 100, fetch)
    cache.prefetch("u/0", 100, fetches[0])  # under way: not again
    deadline = time.monotonic() + 10
    while cache.stats()["splits"] < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert [f.calls for f in fetches] == [1, 1, 1]
    assert cache.stats()["prefetches"] == 3
    cache.open("u/0", 100, fetches[0])
    assert fetches[0].calls == 1 and cache.stats()["hits"] == 1
    cache.close()
    cache.prefetch("u/9", 100, Fetcher(100))  # closed: ignored
    assert cache.stats()["prefetches"] == 3


def test_restart_accounts_cached_folders_and_removes_partial_fetches(tmp_path: Path) -> None:
    root = tmp_path / "cache"
    cache = SplitCache(root, 1000)
    cache.open("u/a", 100, Fetcher(100))
    time.sleep(0.02)
    cache.open("u/b", 200, Fetcher(200))
    cache.close()
    (root / ".fetch-0123").mkdir()
    (root / ".fetch-0123" / "part").write_bytes(b"x" * 50)
    again = SplitCache(root, 250)
    assert sorted(p.name for p in root.iterdir()) == ["u"]
    assert again.stats()["size_in_bytes"] == 300 and again.stats()["splits"] == 2
    fetch = Fetcher(100)
    again.open("u/a", 100, fetch)
    assert fetch.calls == 0 and again.stats()["hits"] == 1
    again.open("u/c", 100, Fetcher(100))  # b is the least recently used now
    assert not (root / "u" / "b").exists() and (root / "u" / "a").exists()


@pytest.mark.parametrize("key", ["../x", "u/../../x", "u", "u/a/b", "u/.fetch-1", "/u/a"])
def test_hostile_keys_are_refused(tmp_path: Path, key: str) -> None:
    with pytest.raises(Exception, match="invalid warm split key"):
        SplitCache(tmp_path, 100).open(key, 1, Fetcher(1))
