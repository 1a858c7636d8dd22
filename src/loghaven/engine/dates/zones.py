"""Civil-day arithmetic and time zones: the ground every date format and rounding stands on."""

from __future__ import annotations

import functools
import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

Zone = int | ZoneInfo
"""A parsed time zone: a fixed UTC offset in seconds, or an IANA zone."""

_MS_PER_DAY = 86_400_000
_EPOCH_ORDINAL = 719_163  # date(1970, 1, 1).toordinal()
_UTC_OFFSET_RE = re.compile(r"([+-])(\d\d?)(?::?(\d\d))?(?::?(\d\d))?")

# ---------------------------------------------------------------------------------------------
# Calendar arithmetic (proleptic Gregorian, any year; H. Hinnant's algorithms)
# ---------------------------------------------------------------------------------------------


def _days_from_civil(y: int, m: int, d: int) -> int:
    """Days since 1970-01-01; pure arithmetic so years outside datetime's 1..9999 work."""
    y -= m <= 2
    era = y // 400
    yoe = y - era * 400
    doy = (153 * (m + (-3 if m > 2 else 9)) + 2) // 5 + d - 1
    return era * 146_097 + yoe * 365 + yoe // 4 - yoe // 100 + doy - 719_468


def _civil_from_days(days: int) -> tuple[int, int, int]:
    z = days + 719_468
    era = z // 146_097
    doe = z - era * 146_097
    yoe = (doe - doe // 1460 + doe // 36_524 - doe // 146_096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    d = doy - (153 * mp + 2) // 5 + 1
    m = mp + 3 if mp < 10 else mp - 9
    return yoe + era * 400 + (m <= 2), m, d


def _is_leap(y: int) -> bool:
    return y % 4 == 0 and (y % 100 != 0 or y % 400 == 0)


def _month_len(y: int, m: int) -> int:
    if m == 2:
        return 29 if _is_leap(y) else 28
    return 30 if m in (4, 6, 9, 11) else 31


def _epoch_day(y: int, m: int, d: int) -> int:
    """Days since the epoch of a valid date; ValueError for an invalid one (Feb 30, month 13)."""
    if 0 < y < 10_000:
        return date(y, m, d).toordinal() - _EPOCH_ORDINAL
    if not (1 <= m <= 12 and 1 <= d <= _month_len(y, m)):
        raise ValueError("invalid date")
    return _days_from_civil(y, m, d)


def _iso_week_day(wyear: int, week: int, dow: int) -> int:
    """Epoch day of an ISO week date (week 1 holds the year's first Thursday)."""
    jan4 = _days_from_civil(wyear, 1, 4)
    week1_monday = jan4 - (jan4 + 3) % 7
    last_week = 53 if (_days_from_civil(wyear + 1, 1, 4) - week1_monday) // 7 == 53 else 52
    if not (1 <= week <= last_week and 1 <= dow <= 7):
        raise ValueError("invalid week date")
    return week1_monday + (week - 1) * 7 + dow - 1


def _iso_week(days: int) -> tuple[int, int]:
    """(week-based year, week of week-based year) of an epoch day."""
    thursday = days - (days + 3) % 7 + 3
    wyear = _civil_from_days(thursday)[0]
    return wyear, (thursday - _days_from_civil(wyear, 1, 1)) // 7 + 1


# ---------------------------------------------------------------------------------------------
# Time zones
# ---------------------------------------------------------------------------------------------

# Zone names that java.time's text parser ('z') knows but zoneinfo has no key for.
_ZONE_ABBREVIATIONS = {
    "PST": "America/Los_Angeles",
    "PDT": "America/Los_Angeles",
    "MDT": "America/Denver",
    "CST": "America/Chicago",
    "CDT": "America/Chicago",
    "EDT": "America/New_York",
    "CEST": "Europe/Paris",
    "EEST": "Europe/Athens",
    "WEST": "Europe/Lisbon",
    "BST": "Europe/London",
    "IST": "Asia/Kolkata",
    "JST": "Asia/Tokyo",
    "KST": "Asia/Seoul",
    "AEST": "Australia/Sydney",
    "AEDT": "Australia/Sydney",
}


@functools.lru_cache(maxsize=2048)
def _zone_or_none(text: str) -> Zone | None:
    if text in ("Z", "UTC", "GMT", "UT", "Zulu") or text.upper() in ("Z", "UTC", "GMT"):
        return 0
    body = text
    for prefix in ("UTC", "GMT", "UT"):
        if text.startswith(prefix) and text[len(prefix) : len(prefix) + 1] in ("+", "-"):
            body = text[len(prefix) :]
            break
    m = _UTC_OFFSET_RE.fullmatch(body)
    if m:
        sign, hh, mm, ss = m.groups()
        hours, minutes, seconds = int(hh), int(mm or 0), int(ss or 0)
        if minutes > 59 or seconds > 59:
            return None
        total = hours * 3600 + minutes * 60 + seconds
        if total > 18 * 3600:  # java.time's ZoneOffset bound
            return None
        return -total if sign == "-" else total
    name = _ZONE_ABBREVIATIONS.get(text, text)
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_+\-]*(?:/[A-Za-z0-9_+\-]+)*", name):
        return None
    try:
        return ZoneInfo(name)
    except Exception:  # unknown key, a directory such as "America", unreadable tzdata
        return None


def get_zone(tz: str) -> Zone:
    """Parse an ES ``time_zone`` ("+01:00", "-0800", "Z", "UTC", "Europe/Paris")."""
    zone = _zone_or_none(tz) if isinstance(tz, str) else None
    if zone is None:
        raise ValueError(f"Unknown time-zone ID: {tz}")
    return zone


def _zone_arg(tz: str | None) -> Zone | None:
    return None if tz is None else get_zone(tz)


def _td_seconds(td: timedelta | None) -> int:
    return 0 if td is None else td.days * 86_400 + td.seconds


def _offset_at_instant(zone: Zone | None, ms: int) -> int:
    """UTC offset in seconds that ``zone`` has at the instant ``ms``."""
    if zone is None:
        return 0
    if isinstance(zone, int):
        return zone
    try:
        return _td_seconds(datetime.fromtimestamp(ms // 1000, zone).utcoffset())
    except (OverflowError, OSError) as exc:
        raise ValueError(f"date [{ms}] is out of range for time zone [{zone}]") from exc


def _offset_for_local(zone: Zone | None, days: int, msod: int, prefer: int | None = None) -> int:
    """UTC offset for a local wall time, resolved the way java.time's ZonedDateTime does.

    In an overlap (clocks set back) the earlier offset wins unless ``prefer`` names the other
    valid one; a time in a gap (clocks set forward) uses the offset before the gap, which
    lands on the same instant as Java's "shift forward by the gap".
    """
    if zone is None:
        return 0
    if isinstance(zone, int):
        return zone
    y, m, d = _civil_from_days(days)
    s = msod // 1000
    if not 0 < y < 10_000:
        raise ValueError(f"year [{y}] is out of range for time zone [{zone}]")
    wall = datetime(y, m, d, s // 3600, s // 60 % 60, s % 60)
    off0 = _td_seconds(zone.utcoffset(wall))
    if prefer is not None and prefer != off0:
        off1 = _td_seconds(zone.utcoffset(wall.replace(fold=1)))
        if off1 == prefer and off0 > off1:
            return off1
    return off0


def _to_local(ms: int, zone: Zone | None) -> tuple[int, int, int]:
    """(epoch day, millisecond of day, offset seconds) of an instant seen in ``zone``."""
    off = _offset_at_instant(zone, ms)
    days, msod = divmod(ms + off * 1000, _MS_PER_DAY)
    return days, msod, off


def _from_local(days: int, msod: int, zone: Zone | None, prefer: int | None = None) -> int:
    return days * _MS_PER_DAY + msod - _offset_for_local(zone, days, msod, prefer) * 1000


def utc_offset_ms(millis: int, tz: str | None) -> int:
    """Offset of ``tz`` from UTC at ``millis``, for shifting fixed-interval buckets."""
    return _offset_at_instant(_zone_arg(tz), millis) * 1000
