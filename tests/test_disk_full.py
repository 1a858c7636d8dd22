"""A full disk loses nothing: on a real small filesystem (tmpfs), failed log appends are cut
back, a failed tantivy commit keeps the checkpoint and the log, and the server answers
5xx (or 429 at the flood-stage watermark), never a 400, and never acknowledges what is not
on disk."""

from __future__ import annotations

import contextlib
import errno
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from loghaven.engine.catalog import Catalog
from loghaven.engine.index import Index, WriteRequest, WriteResult
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

def _bulk(index: Index, first: int, count: int) -> list[WriteResult | LoghavenError]:
    requests = [WriteRequest("index", f"doc-{n}", b'{"n":%d,"text":"%s"}' % (n, b"w" * 200))
                for n in range(first, first + count)]
    results = index.write(requests)
    index.sync()
    return results


def test_a_failed_commit_keeps_the_checkpoint_and_the_next_commit_has_every_document(
        disk: SmallDisk) -> None:
    catalog = Catalog(disk.path / "data", SqliteMetastore(disk.path / "data" / "meta.db"))
    try:
        index = catalog.create_index("logs", {"settings": {"refresh_interval": "-1"}})
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
    finally:
        catalog.close()
