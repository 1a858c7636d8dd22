"""Firehose's index rotation: a base index name plus a part of the UTC arrival time.

Delivery streams (and ``loghaven ingest --rotation``) name their target index this way, so a
producer moved from Firehose keeps its daily ``awswaf-2026-11-26`` indices and the
templates that match them. OneWeek is ``<week-based year>-w<ISO week>``, which gives the
documented example (``myindex-2016-w08`` for 2016-02-25).
"""

from __future__ import annotations

from datetime import UTC, datetime

from loghaven.errors import IllegalArgument

PERIODS = ("NoRotation", "OneHour", "OneDay", "OneWeek", "OneMonth")


def rotated_index(base: str, period: str, now_ms: int) -> str:
    """``base`` with the arrival time ``now_ms`` (epoch millis) appended as ``period`` says."""
    when = datetime.fromtimestamp(now_ms / 1000, UTC)
    if period == "NoRotation":
        return base
    if period == "OneHour":
        return f"{base}-{when:%Y-%m-%d-%H}"
    if period == "OneDay":
        return f"{base}-{when:%Y-%m-%d}"
    if period == "OneWeek":
        year, week, _ = when.isocalendar()
        return f"{base}-{year}-w{week:02d}"
    if period == "OneMonth":
        return f"{base}-{when:%Y-%m}"
    raise IllegalArgument(f"unknown index rotation period [{period}], expected one of "
                          f"{', '.join(PERIODS)}")
