"""A stream's write-ahead buffer (streams/buffer.py), through its contract: what an append
acknowledges is read back once, in order, after a commit never again, and survives kill -9,
a full disk and a failed fsync; what was not acknowledged never comes back."""

from __future__ import annotations

import errno
import os
import random
import shutil
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from faults import short_write_then_full_disk
from loghaven.streams.buffer import BufferDamaged, BufferedRecord, BufferFull, StreamBuffer

MB = 1 << 20


def _open(folder: Path, **options: int) -> StreamBuffer:
    return StreamBuffer(folder, max_bytes=options.pop("max_bytes", 64 * MB), **options)


def _all(buffer: StreamBuffer) -> list[BufferedRecord]:
    return buffer.pending(1 << 40)


def _segments(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.seg"))


def test_records_come_back_in_order_with_their_seqs_and_arrival_times(tmp_path: Path) -> None:
    buffer = _open(tmp_path)
    assert buffer.pending(100) == [] and buffer.stats() == {
        "records": 0, "bytes": 0, "oldest_arrival_ms": None, "max_bytes": 64 * MB}
    assert buffer.append([b"a" * 10, b"b" * 20], 1000) == [1, 2]
    assert buffer.append([], 1500) == []
    assert buffer.append([b"c" * 30], 2000) == [3]
    assert buffer.pending(1 << 20) == [BufferedRecord(1, 1000, b"a" * 10),
                                       BufferedRecord(2, 1000, b"b" * 20),
                                       BufferedRecord(3, 2000, b"c" * 30)]
    assert [r.seq for r in buffer.pending(30)] == [1, 2]  # up to max_bytes of data
    assert [r.seq for r in buffer.pending(29)] == [1]
    assert [r.seq for r in buffer.pending(5)] == [1]  # at least one record
    assert [r.seq for r in buffer.pending(1 << 20, max_records=2)] == [1, 2]
    assert buffer.stats() == {"records": 3, "bytes": 60, "oldest_arrival_ms": 1000,
                              "max_bytes": 64 * MB}
    buffer.close()
    reopened = _open(tmp_path)
    assert [(r.seq, r.arrival_ms, r.data) for r in _all(reopened)] == [
        (1, 1000, b"a" * 10), (2, 1000, b"b" * 20), (3, 2000, b"c" * 30)]
    assert reopened.stats()["bytes"] == 60


def test_records_larger_than_a_read_block_and_across_segments_come_back_whole(
        tmp_path: Path) -> None:
    buffer = _open(tmp_path, segment_bytes=1 * MB)
    sent = [bytes([n]) * (150_000 + n) for n in range(30)]
    for start in range(0, 30, 3):
        buffer.append(sent[start:start + 3], start)
    buffer.append([b"x" * (3 * MB)], 99)  # bigger than a read block
    assert len(_segments(tmp_path)) > 3
    assert [r.data for r in _all(buffer)] == [*sent, b"x" * (3 * MB)]
    assert [r.seq for r in buffer.pending(1_000_000)] == [1, 2, 3, 4, 5, 6]


def test_a_commit_is_durable_frees_whole_segments_and_seqs_are_never_reused(
        tmp_path: Path) -> None:
    buffer = _open(tmp_path, segment_bytes=100)
    for n in range(6):  # one segment per call: each is past 100 bytes
        buffer.append([b"%d" % n * 40, b"%d" % n * 41], 1000 + n)
    assert len(_segments(tmp_path)) == 6
    assert [r.seq for r in buffer.pending(100)] == [1, 2]
    buffer.commit(2)
    assert len(_segments(tmp_path)) == 5
    assert buffer.stats() == {"records": 10, "bytes": 405, "oldest_arrival_ms": 1001,
                              "max_bytes": 64 * MB}
    buffer.commit(5)  # a seq inside a segment, not from the last pending call
    assert len(_segments(tmp_path)) == 4
    assert [r.seq for r in _all(buffer)] == [6, 7, 8, 9, 10, 11, 12]
    assert buffer.stats()["oldest_arrival_ms"] == 1002
    buffer.close()
    reopened = _open(tmp_path, segment_bytes=100)  # delivered records are not read again
    assert [r.seq for r in _all(reopened)] == [6, 7, 8, 9, 10, 11, 12]
    reopened.commit(12)
    assert _segments(tmp_path) == []
    assert reopened.stats() == {"records": 0, "bytes": 0, "oldest_arrival_ms": None,
                                "max_bytes": 64 * MB}
    reopened.close()
    again = _open(tmp_path)  # nothing on disk but the cursor: the seqs go on from it
    assert again.append([b"next"], 3000) == [13]
    assert [r.seq for r in _all(again)] == [13]


def test_a_commit_backwards_or_past_the_last_record_is_refused(tmp_path: Path) -> None:
    buffer = _open(tmp_path)
    buffer.append([b"a", b"b", b"c"], 1)
    buffer.commit(2)
    with pytest.raises(ValueError, match="already committed"):
        buffer.commit(1)
    with pytest.raises(ValueError, match="the last record is"):
        buffer.commit(4)
    buffer.commit(2)  # the same point again is a no-op
    assert [r.seq for r in _all(buffer)] == [3]


def test_segments_a_crash_kept_after_the_cursor_moved_are_not_delivered_again(
        tmp_path: Path) -> None:
    """kill -9 between writing the cursor and deleting the segments it covers."""
    folder = tmp_path / "buffer"
    buffer = _open(folder, segment_bytes=10)
    for n in range(4):
        buffer.append([b"record %d" % n], n)
    kept = tmp_path / "kept"
    shutil.copytree(folder, kept)
    buffer.commit(3)
    buffer.close()
    for segment in _segments(kept):
        shutil.copy(segment, folder / segment.name)
    assert len(_segments(folder)) == 4
    reopened = _open(folder)
    assert [r.seq for r in _all(reopened)] == [4]
    assert len(_segments(folder)) == 1


def test_the_bound_refuses_a_call_whole_until_a_commit_frees_space(tmp_path: Path) -> None:
    buffer = _open(tmp_path, max_bytes=100)
    buffer.append([b"a" * 40, b"b" * 40], 1)
    with pytest.raises(BufferFull, match=r"streams\.buffer\.max_bytes"):
        buffer.append([b"c" * 10, b"d" * 11], 2)  # 80 + 21 > 100: none of it goes in
    assert buffer.append([b"e" * 20], 3) == [3]  # 100 is within the bound
    assert buffer.stats()["bytes"] == 100
    buffer.commit(2)
    assert buffer.append([b"f" * 80], 4) == [4]
    assert [r.data for r in _all(buffer)] == [b"e" * 20, b"f" * 80]


@pytest.mark.parametrize("last_call", [1, 3], ids=["one-record", "three-records"])
def test_a_tail_torn_at_any_byte_of_the_last_record_loses_exactly_the_last_call(
        tmp_path: Path, last_call: int) -> None:
    """kill -9 during an append leaves any prefix of its write: the call was never
    acknowledged, so all of it is cut, and everything before it is read back."""
    source = tmp_path / "source"
    buffer = _open(source)
    buffer.append([b"first", b"second"], 1)
    buffer.append([b"third"], 2)
    (segment,) = _segments(source)
    whole = segment.stat().st_size
    buffer.append([b"last call %d" % n for n in range(last_call)], 3)
    buffer.close()
    data = segment.read_bytes()
    last_record = len(b"last call 0") + 8 + 17
    assert len(data) - last_record >= whole
    expected = [(1, b"first"), (2, b"second"), (3, b"third")]
    for cut in range(len(data) - last_record, len(data)):
        folder = tmp_path / f"cut-{cut}"
        folder.mkdir()
        (folder / segment.name).write_bytes(data[:cut])
        reopened = _open(folder)
        assert [(r.seq, r.data) for r in _all(reopened)] == expected, cut
        assert (folder / segment.name).stat().st_size == whole, cut
        assert reopened.append([b"after"], 4) == [4]
        reopened.close()
        assert [(r.seq, r.data) for r in _all(_open(folder))] == [*expected, (4, b"after")]


def test_a_tail_of_zeros_is_cut_like_a_torn_record(tmp_path: Path) -> None:
    buffer = _open(tmp_path)
    buffer.append([b"kept"], 1)
    buffer.close()
    (segment,) = _segments(tmp_path)
    with open(segment, "ab") as handle:
        handle.write(bytes(100))
    assert [r.data for r in _all(_open(tmp_path))] == [b"kept"]


def test_damage_before_the_end_is_reported_with_the_file_and_offset(tmp_path: Path) -> None:
    buffer = _open(tmp_path)
    buffer.append([b"one"], 1)
    buffer.append([b"two"], 2)
    buffer.append([b"three"], 3)
    buffer.close()
    (segment,) = _segments(tmp_path)
    data = bytearray(segment.read_bytes())
    second = 8 + 17 + len(b"one")
    data[second + 8 + 17] ^= 0xFF  # the second record's data: its checksum fails
    segment.write_bytes(bytes(data))
    with pytest.raises(BufferDamaged) as raised:
        _open(tmp_path)
    assert (raised.value.path, raised.value.offset) == (segment, second)
    assert str(segment) in str(raised.value) and f"[{second}]" in str(raised.value)
    assert segment.read_bytes() == bytes(data)  # nothing was cut or skipped


def test_a_bad_record_at_the_end_of_an_earlier_segment_is_damage(tmp_path: Path) -> None:
    buffer = _open(tmp_path, segment_bytes=10)
    buffer.append([b"one"], 1)
    buffer.append([b"two"], 2)
    buffer.close()
    first, _ = _segments(tmp_path)
    size = first.stat().st_size
    with open(first, "r+b") as handle:
        handle.truncate(size - 1)
    with pytest.raises(BufferDamaged) as raised:
        _open(tmp_path)
    assert raised.value.path == first and raised.value.offset == 0


def test_damage_found_by_a_read_is_reported_not_skipped(tmp_path: Path) -> None:
    buffer = _open(tmp_path)
    buffer.append([b"one", b"two"], 1)
    (segment,) = _segments(tmp_path)
    with open(segment, "r+b") as handle:
        handle.seek(8 + 17)
        handle.write(b"X")
    with pytest.raises(BufferDamaged) as raised:
        buffer.pending(100)
    assert (raised.value.path, raised.value.offset) == (segment, 0)


def test_concurrent_appends_get_unique_seqs_and_each_record_is_read_once(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    buffer = _open(tmp_path, segment_bytes=4096)
    real_fsync = os.fsync
    fsyncs = [0]

    def counting(fd: int) -> None:
        if os.readlink(f"/proc/self/fd/{fd}").endswith(".seg"):
            fsyncs[0] += 1  # the segments' (the cursor's are the commits')
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", counting)
    acknowledged: dict[int, bytes] = {}
    delivered: list[BufferedRecord] = []
    appenders_done = threading.Event()
    errors: list[BaseException] = []

    def produce(worker: int) -> None:
        try:
            for n in range(40):
                records = [b"w%d-n%d-r%d" % (worker, n, r) for r in range(1 + n % 3)]
                for seq, data in zip(buffer.append(records, n), records, strict=True):
                    assert seq not in acknowledged
                    acknowledged[seq] = data
        except BaseException as error:
            errors.append(error)

    def deliver() -> None:
        try:
            while True:
                finished = appenders_done.is_set()
                batch = buffer.pending(300, max_records=7)
                if batch:
                    delivered.extend(batch)
                    buffer.commit(batch[-1].seq)
                elif finished:
                    return
                else:
                    time.sleep(0.001)
        except BaseException as error:
            errors.append(error)

    producers = [threading.Thread(target=produce, args=(w,)) for w in range(8)]
    consumer = threading.Thread(target=deliver)
    for thread in [*producers, consumer]:
        thread.start()
    for thread in producers:
        thread.join(60)
    appenders_done.set()
    consumer.join(60)
    assert errors == []
    calls = 8 * 40
    assert sum(1 + n % 3 for n in range(40)) * 8 == len(acknowledged)
    assert sorted(acknowledged) == list(range(1, len(acknowledged) + 1))
    assert [r.seq for r in delivered] == sorted(acknowledged)  # in order, each once
    assert all(acknowledged[r.seq] == r.data for r in delivered)
    assert fsyncs[0] <= calls + 20  # one per call at most, besides segment ends and the cursor
    assert buffer.stats()["records"] == 0 and _segments(tmp_path) == []


def test_appends_waiting_for_an_fsync_share_the_next_one(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    buffer = _open(tmp_path)
    buffer.append([b"creates the segment"], 0)
    real_fsync = os.fsync
    release = threading.Event()
    fsyncs: list[int] = []

    def slow(fd: int) -> None:
        fsyncs.append(fd)
        if len(fsyncs) == 1:
            release.wait(10)
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", slow)
    threads = [threading.Thread(target=buffer.append, args=([b"r%d" % n], n))
               for n in range(6)]
    threads[0].start()
    while not fsyncs:
        time.sleep(0.001)
    for thread in threads[1:]:  # they write while the first fsync is under way ...
        thread.start()
    deadline = time.monotonic() + 10
    while buffer.stats()["records"] < 7 and time.monotonic() < deadline:
        time.sleep(0.001)
    release.set()
    for thread in threads:
        thread.join(10)
    assert len(fsyncs) == 2  # ... and one fsync covers all five
    assert [r.seq for r in _all(buffer)] == list(range(1, 8))


def test_a_full_disk_leaves_the_buffer_usable_and_unchanged(tmp_path: Path) -> None:
    buffer = _open(tmp_path)
    buffer.append([b"before"], 1)
    (segment,) = _segments(tmp_path)
    before, stats = segment.read_bytes(), buffer.stats()
    with short_write_then_full_disk(), pytest.raises(OSError) as raised:
        buffer.append([b"x" * 1000, b"y" * 1000], 2)
    assert raised.value.errno == errno.ENOSPC
    assert segment.read_bytes() == before and buffer.stats() == stats
    assert [r.data for r in _all(buffer)] == [b"before"]
    assert buffer.append([b"after"], 3) == [2]
    buffer.close()
    assert [(r.seq, r.data) for r in _all(_open(tmp_path))] == [(1, b"before"), (2, b"after")]


def test_a_full_disk_when_a_segment_begins_keeps_the_records_before_it(tmp_path: Path) -> None:
    buffer = _open(tmp_path, segment_bytes=10)
    buffer.append([b"one", b"two"], 1)
    with short_write_then_full_disk(), pytest.raises(OSError):
        buffer.append([b"three"], 2)  # into a new segment, which stays empty
    assert len(_segments(tmp_path)) == 2
    buffer.commit(1)
    assert [r.data for r in _all(buffer)] == [b"two"]
    assert buffer.append([b"three"], 3) == [3]
    buffer.commit(3)
    assert buffer.stats()["records"] == 0 and _segments(tmp_path) == []
    buffer.close()
    assert [r.seq for r in _all(_open(tmp_path))] == []


def test_a_failed_fsync_cuts_the_call_back_and_the_next_one_starts_a_segment(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Linux may drop the pages of a failed fsync and let a retry succeed, so the records
    are cut, not retried: the producer was told they failed."""
    buffer = _open(tmp_path)
    buffer.append([b"before"], 1)
    (segment,) = _segments(tmp_path)
    before, stats = segment.read_bytes(), buffer.stats()
    real_fsync = os.fsync
    failures = [0]

    def failing_once(fd: int) -> None:
        if not failures[0]:
            failures[0] += 1
            raise OSError(errno.EIO, "Input/output error")
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", failing_once)
    with pytest.raises(OSError) as raised:
        buffer.append([b"lost 1", b"lost 2"], 2)
    assert raised.value.errno == errno.EIO
    assert segment.read_bytes() == before and buffer.stats() == stats
    assert [r.data for r in _all(buffer)] == [b"before"]
    with pytest.raises(ValueError):
        buffer.commit(3)  # never acknowledged
    assert buffer.append([b"after"], 3) == [4]  # the lost seqs are not reused
    assert len(_segments(tmp_path)) == 2
    buffer.close()
    assert [(r.seq, r.data) for r in _all(_open(tmp_path))] == [(1, b"before"), (4, b"after")]


def test_a_closed_buffer_refuses_calls_and_destroy_removes_it(tmp_path: Path) -> None:
    folder = tmp_path / "stream"
    buffer = _open(folder)
    buffer.append([b"a"], 1)
    buffer.close()
    with pytest.raises(ValueError, match="closed"):
        buffer.append([b"b"], 2)
    reopened = _open(folder)
    reopened.destroy()
    assert not folder.exists()


_CHILD = textwrap.dedent("""
    import random, sys
    from pathlib import Path
    from loghaven.streams.buffer import StreamBuffer
    folder, run = Path(sys.argv[1]), sys.argv[2]
    buffer = StreamBuffer(folder, max_bytes=1 << 30, segment_bytes=200_000)
    print("open", flush=True)
    for n in range(100_000):
        records = [f"{run}-{n}-{r}:".encode() + b"x" * random.randint(0, 30_000)
                   for r in range(random.randint(1, 5))]
        for seq, data in zip(buffer.append(records, n), records):
            print("ack", seq, data.split(b":")[0].decode(), len(data), flush=True)
        if n % 25 == 24:
            last = buffer.pending(300_000)[-1].seq
            print("committing", last, flush=True)
            buffer.commit(last)
            print("committed", last, flush=True)
""")


def test_kill_9_at_random_moments_loses_no_acknowledged_record_and_repeats_none(
        tmp_path: Path) -> None:
    """A producer appends in a loop and prints what each append acknowledged; it is killed
    at random moments and started again on the same folder."""
    folder = tmp_path / "buffer"
    acknowledged: dict[int, tuple[bytes, int]] = {}
    committed = 0
    #: Where the cursor may be: the last commit printed, or one under way when killed.
    possible = {0}
    chooser = random.Random(17)
    for run in range(6):
        child = subprocess.Popen([sys.executable, "-c", _CHILD, str(folder), f"run{run}"],
                                 stdout=subprocess.PIPE, text=True)
        assert child.stdout is not None
        assert child.stdout.readline() == "open\n"
        time.sleep(chooser.uniform(0.05, 0.6))
        child.send_signal(signal.SIGKILL)
        output = child.stdout.read()
        child.wait(10)
        for line in output.split("\n")[:-1]:  # the last line may be cut by the kill
            kind, seq, *rest = line.split()
            if kind == "ack":
                assert int(seq) not in acknowledged, f"seq {seq} acknowledged twice"
                acknowledged[int(seq)] = (rest[0].encode(), int(rest[1]))
            elif kind == "committing":
                possible.add(int(seq))
            else:
                committed = max(committed, int(seq))
    assert len(acknowledged) > 20
    found = _all(_open(folder))
    seqs = [r.seq for r in found]
    assert seqs == sorted(set(seqs))  # in order, nothing twice
    assert not seqs or seqs[0] > committed  # committed records never come back
    by_seq = {r.seq: r for r in found}
    cursor = [c for c in possible if c >= committed and (not seqs or seqs[0] > c)
              and all(seq in by_seq for seq in acknowledged if seq > c)]
    assert cursor, "an acknowledged record after the last commit is lost"
    for record in found:
        if record.seq in acknowledged:
            name, length = acknowledged[record.seq]
            assert (record.data.split(b":")[0], len(record.data)) == (name, length)
    names = [r.data.split(b":")[0] for r in found]
    assert len(names) == len(set(names))  # no record stored twice under two seqs
