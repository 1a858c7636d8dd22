"""The acks' contract with the write-ahead log (hec/acks.py over engine/wal.py): a mark
taken after a write is durable only once an fsync (or the roll after a commit) has covered
it, which is what makes an ack of an ``async``-durability index wait for its next sync."""

from __future__ import annotations

from pathlib import Path

from loghaven.engine.wal import Operation, WriteAheadLog
from loghaven.hec.acks import Acks, Durability


def _append(wal: WriteAheadLog, seq_no: int) -> Durability:
    wal.append([Operation(seq_no, 0, f"d{seq_no}", 1, b'{"event": "x"}')])
    return Durability(((wal, wal.appended),))


def test_a_mark_is_durable_after_the_sync_that_covers_it(tmp_path: Path) -> None:
    wal = WriteAheadLog(tmp_path / "log")
    first = _append(wal, 1)
    assert not first.durable()
    wal.sync()
    assert first.durable()
    second = _append(wal, 2)
    assert first.durable() and not second.durable()
    wal.roll()  # after a commit: the file is fsynced and closed
    assert second.durable()
    wal.close()


def test_an_ack_turns_true_with_the_sync(tmp_path: Path) -> None:
    wal = WriteAheadLog(tmp_path / "log")
    acks = Acks(channel_timeout=600, max_pending=10)
    channel = "6a0d3d54-1fd5-4b38-9e21-2d1b8e5b7c11"
    ack_id = acks.add(channel, _append(wal, 1))
    assert acks.query(channel, [ack_id]) == {"0": False}
    assert acks.pending == 1
    wal.sync()
    assert acks.query(channel, [ack_id]) == {"0": True}
    assert acks.pending == 0 and acks.query(channel, [ack_id]) == {"0": False}
    wal.close()
