"""What a ``loghaven ingest`` run did, counted by the reader and the senders, and the lines
it ends with."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

#: Distinct failure reasons a summary keeps (ES's first reasons are the useful ones).
MAX_REASONS = 5


@dataclass
class Summary:
    started: float = field(default_factory=time.monotonic)
    files_done: int = 0
    files_skipped: int = 0
    files_failed: int = 0
    indexed: int = 0
    failed: int = 0
    dropped: int = 0
    #: Records not sent again: acknowledged by an earlier run, or found already indexed.
    skipped: int = 0
    bytes: int = 0
    reasons: dict[str, int] = field(default_factory=dict)
    interrupted: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def fail(self, reasons: list[str]) -> None:
        with self.lock:
            self.failed += len(reasons)
            for reason in reasons:
                if reason in self.reasons or len(self.reasons) < MAX_REASONS:
                    self.reasons[reason] = self.reasons.get(reason, 0) + 1

    def add(self, **counts: int) -> None:
        with self.lock:
            for name, count in counts.items():
                setattr(self, name, getattr(self, name) + count)

    @property
    def ok(self) -> bool:
        return not (self.failed or self.files_failed or self.interrupted)

    def lines(self) -> list[str]:
        elapsed = time.monotonic() - self.started
        rate = self.indexed / elapsed if elapsed > 0 else 0.0
        out = [f"files: {self.files_done} done, {self.files_skipped} skipped, "
               f"{self.files_failed} failed",
               f"records: {self.indexed} indexed, {self.failed} failed, {self.dropped} "
               f"dropped, {self.skipped} skipped"]
        out += [f"  failed ({count}): {reason}" for reason, count in self.reasons.items()]
        out += [f"read: {_size(self.bytes)}",
                f"elapsed: {elapsed:.1f} s, {rate:.0f} docs/s"]
        if self.interrupted:
            out.append("interrupted: rerun the same command to continue")
        return out


def _size(count: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if count < 1024 or unit == "GiB":
            return f"{count:.0f} {unit}" if unit == "B" else f"{count:.1f} {unit}"
        count /= 1024
    return f"{count} B"
