"""Disk faults for unit tests of append-only files, where a real full disk would need a
mount: the write paths must cut a failed append back whatever the kernel did first."""

from __future__ import annotations

import contextlib
import errno
import os
from collections.abc import Iterator

import pytest


@contextlib.contextmanager
def short_write_then_full_disk() -> Iterator[None]:
    """``os.write`` writes half of what it is given once (a short write), then fails with
    ENOSPC, as a disk filling up during the write does."""
    real_write = os.write
    calls: list[int] = []

    def half_then_full(fd: int, data: bytes) -> int:
        if not calls:
            calls.append(len(data))
            return real_write(fd, bytes(data[:len(data) // 2]))
        raise OSError(errno.ENOSPC, "No space left on device")

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(os, "write", half_then_full)
        yield
