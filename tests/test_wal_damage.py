"""Replay tells a torn tail (cut off) from damage (quarantined, never skipped silently), and
salvage finds every good record after damage."""

from __future__ import annotations

from pathlib import Path

import pytest

from loghaven.engine.recovery import salvage
from loghaven.engine.wal import DAMAGE, OP_INDEX, Operation, WalDamaged, WriteAheadLog


def _ops(first: int, count: int) -> list[Operation]:
    return [Operation(seq, OP_INDEX, f"id-{seq}", 1, b'{"n":%d}' % seq, 1_700_000_000_000)
            for seq in range(first, first + count)]


def _write(folder: Path, first: int, count: int) -> tuple[Path, list[int]]:
    """A closed log file of ``count`` records and the offset of each record."""
    log = WriteAheadLog(folder)
    offsets, position = [], 0
    for op in _ops(first, count):
        offsets.append(position)
        position += sum(len(part) for part in op.frame())
        log.append([op])
    log.roll()
    return folder / f"{first:020d}.log", offsets


def _flip(path: Path, offset: int) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0xFF
    path.write_bytes(bytes(data))


def test_a_bad_record_followed_by_good_ones_is_damage_not_a_torn_tail(tmp_path: Path) -> None:
    wal = tmp_path / "index" / "wal"
    path, offsets = _write(wal, 0, 6)
    _flip(path, offsets[2] + 12)  # inside the third record's payload
    with pytest.raises(WalDamaged) as raised:
        list(WriteAheadLog(wal).replay(-1))
    assert f"[{path.name}] offset [{offsets[2]}]" in str(raised.value)
    (marker,) = (tmp_path / "index" / "quarantine").glob(f"*/{DAMAGE}")
    kept = marker.parent / path.name
    assert kept.stat().st_size > offsets[5]  # the whole damaged file is kept aside
    assert path.stat().st_size == offsets[2]  # the readable prefix stays in the log
    with pytest.raises(WalDamaged):  # and the index stays red until recovered
        list(WriteAheadLog(wal).replay(-1))
    operations, skipped = salvage(kept.read_bytes(), offsets[2])
    assert [op.seq_no for op in operations] == [3, 4, 5]
    assert skipped == offsets[3] - offsets[2]


def test_damage_in_an_earlier_file_quarantines_it_and_the_later_files(tmp_path: Path) -> None:
    wal = tmp_path / "index" / "wal"
    first, offsets = _write(wal, 0, 3)
    second, _ = _write(wal, 3, 3)
    with open(first, "r+b") as handle:  # an incomplete record, but more of the log follows
        handle.truncate(offsets[2] + 5)
    with pytest.raises(WalDamaged, match=first.name):
        list(WriteAheadLog(wal).replay(-1))
    (marker,) = (tmp_path / "index" / "quarantine").glob(f"*/{DAMAGE}")
    assert (marker.parent / second.name).exists() and not second.exists()


def test_a_zero_filled_tail_is_a_torn_tail(tmp_path: Path) -> None:
    wal = tmp_path / "index" / "wal"
    path, _ = _write(wal, 0, 3)
    size = path.stat().st_size
    with open(path, "ab") as handle:
        handle.write(bytes(64))  # what a crash can leave when the size was written, not data
    assert [op.seq_no for op in WriteAheadLog(wal).replay(-1)] == [0, 1, 2]
    assert path.stat().st_size == size
    assert not (tmp_path / "index" / "quarantine").exists()
