"""Disk watermarks: Elasticsearch's guard that turns writes away before the disk is full.

A full disk fails tantivy's commits and the write-ahead log's appends; both are survived
(engine/index.py), but a node that keeps accepting writes at 100% spends its time failing.
Like Elasticsearch, the node measures the data folder's filesystem (at most once a second,
one ``statvfs``, as ``_nodes/stats`` reports it) against three cluster settings:

- ``cluster.routing.allocation.disk.watermark.low`` (85%) and ``.high`` (90%): logged;
- ``.flood_stage`` (95%): every index gets ``index.blocks.read_only_allow_delete: true``,
  so writes answer 429 ``cluster_block_exception`` while reads and deletes go on; the block
  is removed again once usage is below the high watermark (Elasticsearch 7.4+).

A watermark is a used share (``"95%"``, ``"0.95"``) or, as in Elasticsearch, an absolute
byte value (``"500mb"``) meaning the free space left. ``cluster.routing.allocation.disk.
threshold_enabled: false`` turns all of it off.
"""

from __future__ import annotations

import logging
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from loghaven.errors import IllegalArgument, ParseFailure
from loghaven.params import parse_byte_size

PREFIX = "cluster.routing.allocation.disk."
DEFAULTS = {"low": "85%", "high": "90%", "flood_stage": "95%"}
CHECK_EVERY_SECONDS = 1.0
log = logging.getLogger("loghaven.engine")


@dataclass(frozen=True)
class Watermark:
    """A used share (``fraction``) or a minimum of free bytes (``free_bytes``)."""

    setting: str
    fraction: float | None = None
    free_bytes: int | None = None

    @classmethod
    def parse(cls, setting: str, value: Any) -> Watermark:
        text = str(value).strip()
        try:
            if text.endswith("%"):
                return cls(setting, fraction=float(text[:-1]) / 100)
            number = float(text)
            if number <= 1.0:
                return cls(setting, fraction=number)
        except ValueError:
            pass
        if not text or not (text[0].isdigit() or text[0] == "-"):
            raise IllegalArgument(f"failed to parse setting [{setting}] with value [{text}] as a "
                                  f"percentage, ratio or byte size")
        try:
            return cls(setting, free_bytes=parse_byte_size(text, setting))
        except ParseFailure as error:
            raise IllegalArgument(error.reason if "unit is missing" in error.reason else
                                  f"failed to parse setting [{setting}] with value [{text}] as a "
                                  f"percentage, ratio or byte size") from None

    def exceeded(self, total: int, free: int) -> bool:
        if self.free_bytes is not None:
            return free < self.free_bytes
        assert self.fraction is not None
        return total > 0 and (total - free) / total > self.fraction


def watermarks(setting: Callable[[str, Any], Any]) -> dict[str, Watermark] | None:
    """The three watermarks from the cluster settings, or None if the check is disabled."""
    enabled = str(setting(PREFIX + "threshold_enabled", "true")).lower()
    if enabled == "false":
        return None
    return {level: Watermark.parse(PREFIX + "watermark." + level,
                                   setting(PREFIX + "watermark." + level, default))
            for level, default in DEFAULTS.items()}


def validate(setting: Callable[[str, Any], Any]) -> None:
    """Check the watermarks as Elasticsearch does before storing them: each parses, all
    three are shares or all are byte sizes, and low <= high <= flood stage."""
    raw = {level: str(setting(PREFIX + "watermark." + level, default))
           for level, default in DEFAULTS.items()}
    marks = {level: Watermark.parse(PREFIX + "watermark." + level, value)
             for level, value in raw.items()}
    low, high, flood = marks["low"], marks["high"], marks["flood_stage"]
    if low.fraction is not None and high.fraction is not None and flood.fraction is not None:
        if low.fraction > high.fraction:
            raise IllegalArgument(f"low disk watermark [{raw['low']}] more than high disk "
                                  f"watermark [{raw['high']}]")
        if high.fraction > flood.fraction:
            raise IllegalArgument(f"high disk watermark [{raw['high']}] more than flood stage "
                                  f"disk watermark [{raw['flood_stage']}]")
    elif low.free_bytes is not None and high.free_bytes is not None \
            and flood.free_bytes is not None:
        if low.free_bytes < high.free_bytes:
            raise IllegalArgument(f"low disk watermark [{raw['low']}] less than high disk "
                                  f"watermark [{raw['high']}]")
        if high.free_bytes < flood.free_bytes:
            raise IllegalArgument(f"high disk watermark [{raw['high']}] less than flood stage "
                                  f"disk watermark [{raw['flood_stage']}]")
    else:
        low_, high_, flood_ = (f"[{PREFIX}watermark.{level}={value}]"
                               for level, value in raw.items())
        raise IllegalArgument(f"unable to consistently parse {low_}, {high_}, and {flood_} as "
                              f"percentage or bytes")


class DiskMonitor:
    """Measures the data folder's filesystem, cheaply, and says which watermarks it passed."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._checked = 0.0
        self.level = "ok"  # ok | low | high | flood_stage | disabled
        self.total = 0
        self.free = 0

    def check(self, setting: Callable[[str, Any], Any], *, force: bool = False) -> str:
        """The current level, measured again if the last measurement is over a second old."""
        now = time.monotonic()
        if not force and now - self._checked < CHECK_EVERY_SECONDS:
            return self.level
        self._checked = now
        try:
            marks = watermarks(setting)
        except IllegalArgument:
            marks = watermarks(lambda key, default: default)
        if marks is None:
            self._set("disabled")  # blocks are left as they are, as Elasticsearch does
            return self.level
        usage = shutil.disk_usage(self.folder)  # free: what this user may still write
        self.total, self.free = usage.total, usage.free
        level = "ok"
        for name in ("low", "high", "flood_stage"):
            if marks[name].exceeded(self.total, self.free):
                level = name
        self._set(level)
        return self.level

    def _set(self, level: str) -> None:
        if level != self.level:
            used = 100.0 * (self.total - self.free) / self.total if self.total else 0.0
            log.log(logging.WARNING if level != "ok" else logging.INFO,
                    "disk usage of %s is %.1f%% (%d bytes free): %s", self.folder, used,
                    self.free, {"ok": "below the watermarks", "disabled": "not checked"}.get(
                        level, f"{level} watermark exceeded"))
        self.level = level

    @property
    def flood(self) -> bool:
        return self.level == "flood_stage"

    @property
    def below_high(self) -> bool:
        return self.level in ("ok", "low")
