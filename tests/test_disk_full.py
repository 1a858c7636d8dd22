"""A full disk loses nothing: on a real small filesystem (tmpfs), failed log appends are cut
back, a failed tantivy commit keeps the checkpoint and the log, and the server answers
5xx (or 429 at the flood-stage watermark), never a 400, and never acknowledges what is not
on disk."""

from __future__ import annotations

import collections
import contextlib
import errno
import os
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import orjson
import pytest

from conftest import Server
from loghaven.engine import wal as wal_module
from loghaven.engine.catalog import Catalog
from loghaven.engine.documents_state import WriteRequest, WriteResult
from loghaven.engine.index import Index
from loghaven.engine.merge import merge_small_splits
from loghaven.engine.wal import OP_INDEX, Operation, WriteAheadLog
from loghaven.errors import LoghavenError
from loghaven.storage.metastore import SqliteMetastore


class SmallDisk:
    """A tmpfs of a few MB; :meth:`fill` takes all but ``leave`` bytes with a filler file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.filler = path / "filler"

    def free(self) -> int:
        stat = os.statvfs(self.path)
        return stat.f_bavail * stat.f_frsize

    def fill(self, leave: int = 0) -> None:
        """Grow the filler until at most ``leave`` bytes are free."""
        with open(self.filler, "ab") as handle:
            while self.free() > leave:
                chunk = max(4096, min(1 << 20, self.free() - leave))
                try:
                    handle.write(b"\0" * chunk)
                    handle.flush()
                except OSError as exc:
                    assert exc.errno == errno.ENOSPC
                    break

    def release(self) -> None:
        self.filler.unlink(missing_ok=True)


@contextlib.contextmanager
def small_disk(base: Path, megabytes: int) -> Iterator[SmallDisk]:
    path = base / "small"
    path.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={megabytes}m", "tmpfs",
                           str(path)], capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"mounting a tmpfs is not permitted here: {done.stderr.strip()}")
    try:
        yield SmallDisk(path)
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


@pytest.fixture
def disk(tmp_path: Path) -> Iterator[SmallDisk]:
    with small_disk(tmp_path, 8) as mounted:
        yield mounted


def _ops(first: int, count: int, size: int = 100) -> list[Operation]:
    return [Operation(seq, OP_INDEX, f"id-{seq}", 1, b'{"n":"%s"}' % (b"x" * size), 1)
            for seq in range(first, first + count)]


# --- the write-ahead log's contract --------------------------------------------------------

def test_an_append_that_does_not_fit_fails_and_later_appends_stay_readable(
        disk: SmallDisk) -> None:
    log = WriteAheadLog(disk.path / "wal")
    log.append(_ops(0, 10))
    log.sync()
    disk.fill(leave=20_000)
    with pytest.raises(OSError) as raised:  # 50 kB: a short write, then ENOSPC
        log.append(_ops(10, 50, size=1000))
    assert raised.value.errno == errno.ENOSPC
    disk.release()
    log.append(_ops(60, 5))
    log.sync()
    log.close()
    replayed = [op.seq_no for op in WriteAheadLog(disk.path / "wal").replay(-1)]
    assert replayed == list(range(10)) + list(range(60, 65))


# --- a failed tantivy commit ---------------------------------------------------------------

@contextlib.contextmanager
def open_index(folder: Path, settings: dict[str, str]) -> Iterator[Index]:
    """An index named ``logs`` in a catalog of its own (no server), closed at the end."""
    folder.mkdir(exist_ok=True)
    catalog = Catalog(folder, SqliteMetastore(folder / "meta.db"))
    try:
        yield catalog.create_index("logs", {"settings": settings})
    finally:
        catalog.close()


def _bulk(index: Index, first: int, count: int) -> list[WriteResult | LoghavenError]:
    requests = [WriteRequest("index", f"doc-{n}", b'{"n":%d,"text":"%s"}' % (n, b"w" * 200))
                for n in range(first, first + count)]
    results = index.write(requests)
    index.sync()
    return results


def test_a_failed_commit_keeps_the_checkpoint_and_the_next_commit_has_every_document(
        disk: SmallDisk) -> None:
    with open_index(disk.path / "data", {"refresh_interval": "-1"}) as index:
        _bulk(index, 0, 500)
        index.refresh()
        acknowledged = _bulk(index, 500, 2000)
        assert all(isinstance(r, WriteResult) for r in acknowledged)
        checkpoint = index.checkpoint
        disk.fill()
        with pytest.raises(Exception) as raised:
            index.refresh()  # tantivy cannot write its segment
        assert index.checkpoint == checkpoint
        assert index.get("doc-2499") is not None  # still visible to realtime get
        disk.release()
        index.refresh()  # the same running index, no restart
        assert index.checkpoint > checkpoint
        assert index.doc_count() == 2500
        assert all(index.get(f"doc-{n}") is not None for n in range(0, 2500, 97))
        assert isinstance(raised.value, LoghavenError) and raised.value.status == 500


def test_a_batch_that_seals_a_split_midway_logs_first_what_the_seal_commits(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with open_index(tmp_path, {"refresh_interval": "-1"}) as index:
        _bulk(index, 0, 5)
        assert index.wal is not None
        real_append = index.wal.append
        calls: list[int] = []

        def append_then_fail(operations: list[Operation]) -> None:
            calls.append(len(operations))
            if len(calls) > 1:
                raise OSError(errno.ENOSPC, "No space left on device")
            real_append(operations)

        monkeypatch.setattr(index.wal, "append", append_then_fail)
        results = index.write([WriteRequest("index", "before", b'{"n":1}'),
                               WriteRequest("index", "sealing", b'{"new_field":"x"}'),
                               WriteRequest("index", "after", b'{"n":2}')])
        # "before" reached the log ahead of the commit that sealed its split; the rest not
        assert [r.status for r in results] == [201, 500, 500]
        index.sync()
        monkeypatch.setattr(index.wal, "append", real_append)
        index.refresh()
        assert index.get("before") is not None
        assert index.get("sealing") is None and index.get("after") is None
        assert index.doc_count() == 6


def test_when_even_the_log_cannot_be_read_back_writes_wait_for_a_refresh(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with open_index(tmp_path, {"refresh_interval": "-1"}) as index:
        _bulk(index, 0, 5)
        assert index.wal is not None
        wal = index.wal

        def unreadable(after_seq_no: int) -> Iterator[Operation]:
            raise OSError(errno.EIO, "Input/output error")

        def full(operations: list[Operation]) -> None:
            raise OSError(errno.ENOSPC, "No space left on device")

        monkeypatch.setattr(wal, "append", full)
        monkeypatch.setattr(wal, "replay", unreadable)
        assert [r.status for r in index.write([WriteRequest("index", "x", b"{}")])] == [500]
        monkeypatch.undo()
        refused = index.write([WriteRequest("index", "y", b"{}")])
        assert [r.status for r in refused] == [500]  # not taken: memory may lack the log
        index.refresh()  # reads the log again, and commits it
        assert [r.status for r in index.write([WriteRequest("index", "z", b"{}")])] == [201]
        index.sync()
        index.refresh()
        assert index.doc_count() == 6 and index.get("x") is None and index.get("y") is None


def test_a_search_of_a_search_idle_index_goes_on_when_its_refresh_fails(
        disk: SmallDisk) -> None:
    with open_index(disk.path / "data", {"index.search.idle.after": "1ms"}) as index:
        _bulk(index, 0, 300)
        time.sleep(0.01)
        disk.fill()
        index.before_search()  # the refresh it starts fails; the search is answered anyway
        assert index.get("doc-299") is not None
        disk.release()
        index.refresh()
        assert index.doc_count() == 300


def test_after_a_failed_fsync_nothing_is_acknowledged_until_a_commit(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with open_index(tmp_path, {"refresh_interval": "-1"}) as index:
        _bulk(index, 0, 10)
        real_fsync = os.fsync

        def failing(fd: int) -> None:
            raise OSError(errno.EIO, "Input/output error")

        monkeypatch.setattr(wal_module.os, "fsync", failing)
        index.write([WriteRequest("index", "doc-10", b'{"n":10}')])
        with pytest.raises(LoghavenError) as raised:
            index.sync()
        assert (raised.value.status, raised.value.type) == (500, "translog_exception")
        monkeypatch.setattr(wal_module.os, "fsync", real_fsync)
        with pytest.raises(LoghavenError):
            index.sync()  # a retried fsync may succeed after the kernel dropped the pages
        refused = index.write([WriteRequest("index", "doc-11", b'{"n":11}')])
        assert [getattr(r, "status", None) for r in refused] == [500]
        index.refresh()  # the commit makes what the log held durable; writes resume
        assert all(isinstance(r, WriteResult) for r in _bulk(index, 12, 5))
        index.refresh()
        # the write whose sync failed was not acknowledged, but it is kept, consistently
        assert index.doc_count() == 16 and index.get("doc-10") is not None
        assert index.get("doc-11") is None


def test_a_merge_that_fails_on_a_full_disk_leaves_no_split_behind(disk: SmallDisk) -> None:
    with open_index(disk.path / "data", {"refresh_interval": "-1"}) as index:
        for field in ("a", "b", "c"):  # each new field seals the split before it
            requests = [WriteRequest("index", f"{field}{n}", orjson.dumps(
                {field: os.urandom(600).hex()})) for n in range(300)]
            assert all(isinstance(r, WriteResult) for r in index.write(requests))
            index.sync()
        index.refresh()
        folders = {path.name for path in (index.folder / "splits").iterdir()}
        assert len(folders) == 3
        disk.fill(leave=300_000)
        with pytest.raises(ValueError):  # tantivy: the merged split does not fit
            merge_small_splits(index)
        assert {path.name for path in (index.folder / "splits").iterdir()} == folders
        disk.release()
        assert merge_small_splits(index) is not None  # and later it does
        assert index.doc_count() == 900


# --- the watermark settings -----------------------------------------------------------------

def test_disk_watermarks_are_checked_as_elasticsearch_checks_them(es: httpx.Client) -> None:
    low = "cluster.routing.allocation.disk.watermark.low"
    for value, reason in (
            ("96%", "low disk watermark [96%] more than high disk watermark [90%]"),
            ("lots", f"failed to parse setting [{low}] with value [lots] as a percentage, "
                     f"ratio or byte size"),
            ("1gb", f"unable to consistently parse [{low}=1gb], [cluster.routing.allocation."
                    f"disk.watermark.high=90%], and [cluster.routing.allocation.disk."
                    f"watermark.flood_stage=95%] as percentage or bytes")):
        response = es.put("/_cluster/settings", json={"persistent": {low: value}})
        assert response.status_code == 400
        assert response.json()["error"]["type"] == "illegal_argument_exception"
        assert response.json()["error"]["reason"] == reason
    stored = es.get("/_cluster/settings", params={"flat_settings": "true"}).json()
    assert low not in stored["persistent"]


# --- the server on a small filesystem ------------------------------------------------------

class Ingest:
    """Sends bulks of new documents with explicit ids and remembers what was acknowledged."""

    def __init__(self, client: httpx.Client, index: str) -> None:
        self.client = client
        self.index = index
        self.next_id = 0
        self.acked: set[str] = set()
        self.statuses: collections.Counter[int] = collections.Counter()
        self.errors: collections.Counter[str] = collections.Counter()

    def bulk(self, count: int = 100) -> int:
        """One bulk; how many of its items were acknowledged."""
        ids = [f"d{self.next_id + n}" for n in range(count)]
        self.next_id += count
        lines = []
        for doc_id in ids:
            lines.append(orjson.dumps({"index": {"_index": self.index, "_id": doc_id}}))
            lines.append(orjson.dumps({"id": doc_id, "msg": "event " + doc_id * 20}))
        try:
            response = self.client.post("/_bulk", content=b"\n".join(lines) + b"\n",
                                        headers={"content-type": "application/x-ndjson"})
        except httpx.TransportError as exc:
            self.errors[type(exc).__name__] += 1
            return 0
        if response.status_code != 200:
            self.statuses[response.status_code] += 1
            self.errors[response.json()["error"]["type"]] += 1
            return 0
        acked = 0
        for item in response.json()["items"]:
            result = item["index"]
            self.statuses[result["status"]] += 1
            if result["status"] in (200, 201):
                self.acked.add(result["_id"])
                acked += 1
            else:
                self.errors[result["error"]["type"]] += 1
        return acked

    def until(self, done: Callable[[], bool], seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while not done() and time.monotonic() < deadline:
            self.bulk()

    def missing(self) -> set[str]:
        """Acknowledged ids that realtime GET (``_mget``) does not find."""
        ids = sorted(self.acked)
        found: set[str] = set()
        for start in range(0, len(ids), 1000):
            docs = self.client.post(f"/{self.index}/_mget",
                                    json={"ids": ids[start:start + 1000]}).json()["docs"]
            found.update(d["_id"] for d in docs if d.get("found"))
        return self.acked - found

    def assert_all_there(self) -> None:
        deadline = time.monotonic() + 30
        while self.client.post(f"/{self.index}/_refresh").status_code != 200:
            assert time.monotonic() < deadline, "refresh keeps failing with space free"
            time.sleep(0.5)
        assert not self.missing()
        count = self.client.get(f"/{self.index}/_count").json()["count"]
        assert count == len(self.acked)


def _settings(client: httpx.Client, **disk: str) -> None:
    body = {f"cluster.routing.allocation.disk.{k}": v for k, v in disk.items()}
    assert client.put("/_cluster/settings", json={"persistent": body}).status_code == 200


def _index_settings(client: httpx.Client, **settings: str) -> None:
    assert client.put("/logs/_settings", json={"index": settings}).status_code == 200


def _blocked(client: httpx.Client, index: str) -> str | None:
    settings = client.get(f"/{index}/_settings", params={"flat_settings": "true"}).json()
    return settings[index]["settings"].get("index.blocks.read_only_allow_delete")


def test_a_filling_disk_loses_no_acknowledged_document(tmp_path: Path) -> None:
    with small_disk(tmp_path, 48) as disk:
        server = Server(disk.path / "data", "--ingest-workers", "1")
        server.log = tmp_path / "server.log"  # not on the disk that fills
        server.start()
        try:
            _fill_free_and_restart(server, disk)
        finally:
            server.kill()


def _fill_free_and_restart(server: Server, disk: SmallDisk) -> None:
    client = httpx.Client(base_url=server.url, timeout=30)
    _settings(client, threshold_enabled="false")
    assert client.put("/logs", json={"settings": {"refresh_interval": "300ms"}}).status_code \
        == 200
    assert client.put("/spare", json={}).status_code == 200
    ingest = Ingest(client, "logs")
    for _ in range(5):
        ingest.bulk()

    # 1. the disk fills for real: writes and commits fail, then space comes back
    disk.fill(leave=1_500_000)
    ingest.until(lambda: sum(ingest.statuses[s] for s in (500, 503)) >= 500, 30)
    assert ingest.statuses[500] + ingest.statuses[503] >= 500, ingest.statuses
    assert 400 not in ingest.statuses, ingest.errors  # never "a bad document"
    disk.release()
    before = len(ingest.acked)
    ingest.until(lambda: len(ingest.acked) >= before + 2000, 30)
    assert len(ingest.acked) >= before + 2000, ingest.errors
    ingest.assert_all_there()

    # 1b. a commit fails with acknowledged documents in the log only; the next one has them
    _index_settings(client, refresh_interval="-1")
    for _ in range(20):
        ingest.bulk()
    disk.fill()
    assert client.post("/logs/_refresh").status_code == 500
    ingest.bulk()
    disk.release()
    for _ in range(20):
        ingest.bulk()
    _index_settings(client, refresh_interval="300ms")
    ingest.assert_all_there()

    # 2. the flood-stage watermark blocks writes (not reads or deletes) and lets go again
    _settings(client, threshold_enabled="true", **{
        "watermark.low": "16mb", "watermark.high": "12mb", "watermark.flood_stage": "8mb"})
    disk.fill(leave=4_000_000)
    deadline = time.monotonic() + 15
    while "cluster_block_exception" not in ingest.errors and time.monotonic() < deadline:
        ingest.bulk(10)
        time.sleep(0.2)
    assert ingest.statuses[429] > 0, ingest.statuses
    response = client.put("/logs/_doc/blocked", json={"x": 1})
    assert response.status_code == 429
    assert response.json()["error"]["reason"] == (
        "index [logs] blocked by: [TOO_MANY_REQUESTS/12/disk usage exceeded flood-stage "
        "watermark, index has read-only-allow-delete block];")
    assert client.put("/other", json={}).status_code == 429
    assert _blocked(client, "logs") == "true"
    first, second = sorted(ingest.acked)[:2]
    assert client.post(f"/logs/_update/{first}", json={"doc": {"x": 1}}).status_code == 429
    assert client.delete(f"/logs/_doc/{first}").status_code == 200  # deletes go on
    by_query = client.post("/logs/_delete_by_query", json={"query": {"ids": {"values": [second]}}})
    assert by_query.json()["deleted"] == 1
    ingest.acked -= {first, second}
    assert client.delete("/spare").status_code == 200
    assert client.get(f"/logs/_doc/{sorted(ingest.acked)[0]}").status_code == 200
    disk.release()
    deadline = time.monotonic() + 15
    while _blocked(client, "logs") is not None and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _blocked(client, "logs") is None
    before = len(ingest.acked)
    ingest.bulk()
    assert len(ingest.acked) == before + 100
    assert 400 not in ingest.statuses, ingest.errors

    # 3. a restart, and kill -9, keep every acknowledged document
    server.restart()
    ingest.assert_all_there()
    for _ in range(5):
        ingest.bulk()
    server.kill()
    server.start()
    ingest.assert_all_there()

    # 4. starting on a full disk works: read-only, the log's documents readable
    _index_settings(client, refresh_interval="-1")
    for _ in range(5):
        ingest.bulk()
    server.kill()
    disk.fill()
    server.start()
    assert not ingest.missing()
    ingest.bulk()
    assert 400 not in ingest.statuses, ingest.errors
    disk.release()
    ingest.assert_all_there()

    # 5. also after a clean stop, which leaves no SQLite -wal/-shm files behind
    server.stop()
    disk.fill()
    server.start()
    assert not ingest.missing()
    assert client.put("/logs/_doc/late", json={"x": 1}).status_code == 429
    disk.release()
    ingest.assert_all_there()
    client.close()
