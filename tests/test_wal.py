"""The write-ahead log's contract: records come back in order, a torn tail is cut off, and
appends are made durable by the next sync, which concurrent writers share."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from faults import short_write_then_full_disk
from loghaven.engine import wal as wal_module
from loghaven.engine.wal import OP_DELETE, OP_INDEX, Operation, WriteAheadLog


def _ops(first: int, count: int) -> list[Operation]:
    return [Operation(seq, OP_INDEX, f"id-{seq}", 1, b'{"n":%d}' % seq, 1_700_000_000_000)
            for seq in range(first, first + count)]


def test_records_replay_in_order_and_a_torn_tail_is_cut(tmp_path: Path) -> None:
    log = WriteAheadLog(tmp_path)
    log.append(_ops(0, 3))
    log.append([Operation(3, OP_DELETE, "id-1", 2, b"", 1_700_000_000_001)])
    log.sync()
    (path,) = tmp_path.glob("*.log")
    whole = path.stat().st_size
    with open(path, "ab") as handle:
        handle.write(b"\x40\x00\x00\x00torn")  # a frame header whose payload never arrived
    replayed = list(WriteAheadLog(tmp_path).replay(after_seq_no=0))
    assert [(op.seq_no, op.op, op.doc_id, op.source) for op in replayed] == [
        (1, OP_INDEX, "id-1", b'{"n":1}'), (2, OP_INDEX, "id-2", b'{"n":2}'),
        (3, OP_DELETE, "id-1", b"")]
    assert path.stat().st_size == whole  # the torn bytes are gone


def test_sync_fsyncs_once_for_everything_appended_before_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    log = WriteAheadLog(tmp_path)
    log.append(_ops(0, 2))  # creates the file (and fsyncs the folder once)
    calls: list[int] = []
    monkeypatch.setattr(wal_module.os, "fsync", lambda fd: calls.append(fd))
    log.append(_ops(2, 2))
    assert calls == []  # appending only writes
    log.sync()
    log.sync()  # nothing new: no second fsync
    assert len(calls) == 1
    log.append(_ops(4, 1))
    log.sync()
    assert len(calls) == 2


def test_a_failed_fsync_fails_every_later_sync_until_a_roll(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Linux may drop the pages of a failed fsync and report success on a retry, so a retry
    proves nothing: the log refuses syncs and appends until a commit has rolled it."""
    log = WriteAheadLog(tmp_path)
    log.append(_ops(0, 1))
    real_fsync = os.fsync

    def failing(fd: int) -> None:
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(wal_module.os, "fsync", failing)
    with pytest.raises(OSError):
        log.sync()
    monkeypatch.setattr(wal_module.os, "fsync", real_fsync)
    with pytest.raises(OSError):
        log.sync()  # the retry must not claim the lost pages are on disk
    with pytest.raises(OSError):
        log.append(_ops(1, 1))
    log.roll()  # after a commit
    log.append(_ops(1, 2))
    log.sync()
    log.close()
    assert [op.seq_no for op in WriteAheadLog(tmp_path).replay(-1)] == [0, 1, 2]


def test_a_write_that_fails_halfway_is_cut_back_and_later_records_replay(
        tmp_path: Path) -> None:
    log = WriteAheadLog(tmp_path)
    log.append(_ops(0, 2))
    log.sync()
    with short_write_then_full_disk(), pytest.raises(OSError):
        log.append(_ops(2, 3))
    log.append(_ops(5, 2))
    log.sync()
    log.close()
    assert [op.seq_no for op in WriteAheadLog(tmp_path).replay(-1)] == [0, 1, 5, 6]
