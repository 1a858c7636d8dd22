"""Calendar rounding in a time zone and ES date math (``now-1d/d``)."""

from __future__ import annotations

import math

from loghaven.engine.dates.formats import DEFAULT, DateFormat, get_format
from loghaven.engine.dates.zones import (
    _MS_PER_DAY,
    Zone,
    _civil_from_days,
    _days_from_civil,
    _from_local,
    _month_len,
    _to_local,
    _zone_arg,
)

# ---------------------------------------------------------------------------------------------
# Calendar rounding and arithmetic in a time zone
# ---------------------------------------------------------------------------------------------

_FIXED_UNIT_MS = {"s": 1000, "m": 60_000, "h": 3_600_000, "H": 3_600_000}


def _floor_day(days: int, unit: str) -> int:
    """First local day of the day-or-longer unit (d w M q y) that holds ``days``."""
    if unit == "d":
        return days
    if unit == "w":
        return days - (days + 3) % 7  # back to Monday
    y, m, _ = _civil_from_days(days)
    if unit == "q":
        return _days_from_civil(y, (m - 1) // 3 * 3 + 1, 1)
    if unit == "y":
        return _days_from_civil(y, 1, 1)
    if unit == "M":
        return _days_from_civil(y, m, 1)
    raise ValueError(f"unit [{unit}] not supported for date math")


def _floor(ms: int, unit: str, zone: Zone | None) -> int:
    """Start of the calendar unit holding ``ms``, in local time (unit in y q M w d h m s)."""
    days, msod, off = _to_local(ms, zone)
    if unit in _FIXED_UNIT_MS:
        msod -= msod % _FIXED_UNIT_MS[unit]
    else:
        days, msod = _floor_day(days, unit), 0
    if zone is None or isinstance(zone, int):
        return days * _MS_PER_DAY + msod - off * 1000
    return _from_local(days, msod, zone, prefer=off)


def _add(ms: int, unit: str, n: int, zone: Zone | None) -> int:
    """``ms`` plus ``n`` units; days and longer move the local date (keeping the wall time
    across DST), hours and shorter move the instant, as java.time's ZonedDateTime does."""
    if unit in _FIXED_UNIT_MS:
        return ms + n * _FIXED_UNIT_MS[unit]
    if unit in "dw" and (zone is None or isinstance(zone, int)):
        return ms + n * (7 if unit == "w" else 1) * _MS_PER_DAY
    days, msod, off = _to_local(ms, zone)
    if unit in "dw":
        days += n * (7 if unit == "w" else 1)
    elif unit in "Mqy":
        months = n * {"M": 1, "q": 3, "y": 12}[unit]
        y, m, d = _civil_from_days(days)
        y, m0 = divmod(y * 12 + (m - 1) + months, 12)
        days = _days_from_civil(y, m0 + 1, min(d, _month_len(y, m0 + 1)))
    else:
        raise ValueError(f"unit [{unit}] not supported for date math")
    return _from_local(days, msod, zone, prefer=off)


_CALENDAR_UNITS = {
    "second": "s", "1s": "s", "s": "s",
    "minute": "m", "1m": "m", "m": "m",
    "hour": "h", "1h": "h", "h": "h",
    "day": "d", "1d": "d", "d": "d",
    "week": "w", "1w": "w", "w": "w",
    "month": "M", "1M": "M", "M": "M",
    "quarter": "q", "1q": "q", "q": "q",
    "year": "y", "1y": "y", "y": "y",
}  # fmt: skip


def _calendar_unit(unit: str) -> str:
    try:
        return _CALENDAR_UNITS[unit]
    except (KeyError, TypeError):
        raise ValueError(
            f"The supplied interval [{unit}] could not be parsed as a calendar interval."
        ) from None


def calendar_floor(millis: int, unit: str, tz: str | None = None) -> int:
    """Start of the ``calendar_interval`` bucket holding ``millis`` (weeks start on Monday)."""
    return _floor(millis, _calendar_unit(unit), _zone_arg(tz))


def calendar_next(millis: int, unit: str, tz: str | None = None) -> int:
    """Start of the bucket after the one holding ``millis``.

    Local-calendar steps for day and longer (a DST day lasts 23 or 25 hours); for hour and
    shorter one unit of real time, so the repeated hour when clocks go back is its own bucket.
    """
    u = _calendar_unit(unit)
    zone = _zone_arg(tz)
    if u in _FIXED_UNIT_MS:
        start = _floor(millis, u, zone)
        step = _FIXED_UNIT_MS[u]
        nxt = _floor(start + step, u, zone)
        return nxt if nxt > start else start + step
    # The next local midnight that starts a unit. Not start + 1 unit: where midnight falls
    # in a DST gap the unit starts at 01:00, and adding a day to that would skip an hour.
    days = _floor_day(_to_local(millis, zone)[0], u)
    days = _floor_day(days + {"d": 1, "w": 7, "M": 31, "q": 92, "y": 366}[u], u)
    return _from_local(days, 0, zone)


# ---------------------------------------------------------------------------------------------
# Date math
# ---------------------------------------------------------------------------------------------


def _apply_math(ms: int, expr: str, zone: Zone | None, round_up: bool) -> int:
    """Apply ``+1d``, ``-15m``, ``/d`` ... left to right (JavaDateMathParser.parseMath)."""
    i, n = 0, len(expr)
    while i < n:
        op = expr[i]
        i += 1
        if op not in "+-/":
            raise ValueError(f"operator not supported for date math [{expr}]")
        if i >= n:
            raise ValueError(f"truncated date math [{expr}]")
        num = 1
        if "0" <= expr[i] <= "9":
            start = i
            while i < n and "0" <= expr[i] <= "9":
                i += 1
            if i >= n:
                raise ValueError(f"truncated date math [{expr}]")
            num = int(expr[start:i])
        unit = expr[i]
        i += 1
        if op == "/" and num != 1:
            raise ValueError(f"rounding `/` can only be used on single unit types [{expr}]")
        if unit not in "yMwdhHms":
            raise ValueError(f"unit [{unit}] not supported for date math [{expr}]")
        if op == "/":
            ms = _floor(ms, unit, zone)
            if round_up:  # last millisecond of the unit: inclusive upper bound
                ms = _add(ms, unit, 1, zone) - 1
        else:
            ms = _add(ms, unit, num if op == "+" else -num, zone)
    return ms


def parse_date_math(
    expr: str | float,
    now_ms: int,
    fmt: DateFormat | None = None,
    tz: str | None = None,
    round_up: bool = False,
) -> int:
    """Resolve ES date math (``now-1d/d``, ``2024-01-01||+1M/d``, plain dates) to millis.

    ``round_up`` is what ES uses for ``lte`` and ``gt`` bounds: ``/d`` goes to the day's last
    millisecond and a date without ``||`` gets its missing time fields maxed (23:59:59.999).
    Numbers are epoch millis unless ``fmt`` is given. Rounding happens in ``tz``.
    """
    if isinstance(expr, bool):
        raise ValueError(f"failed to parse date field [{expr}]")
    if isinstance(expr, (int, float)):
        if fmt is None:
            if isinstance(expr, float) and not math.isfinite(expr):
                raise ValueError(f"failed to parse date field [{expr}]")
            return math.floor(expr)
        return fmt.parse(expr, tz, round_up=round_up)
    if not isinstance(expr, str):
        raise ValueError(f"failed to parse date field [{expr}]")
    zone = _zone_arg(tz)
    if not expr:
        raise ValueError("cannot parse empty date")
    if expr.startswith("now"):
        return _apply_math(int(now_ms), expr[3:], zone, round_up)
    f = fmt or get_format(DEFAULT)
    sep = expr.find("||")
    if sep < 0:
        return f.parse(expr, tz, round_up=round_up)
    base = f.parse(expr[:sep], tz)
    return _apply_math(base, expr[sep + 2 :], zone, round_up)
