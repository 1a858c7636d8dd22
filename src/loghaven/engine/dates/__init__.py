"""Elasticsearch date handling: formats, date math, time zones and calendar rounding.

Dates are int epoch milliseconds (UTC) everywhere in Loghaven. This module turns ES date
strings into those integers and back, following Elasticsearch/OpenSearch's java.time based
behaviour (``DateFormatters``, ``JavaDateMathParser``, ``EpochTime``) closely enough that
mappings, range queries, date math index names and ``key_as_string`` values written for ES
behave the same here.

Only the standard library is used. Parsing sits on the ingest hot path, so the ES default
``strict_date_optional_time`` has a hand-written fast path; other patterns compile once to a
regular expression (see ``get_format``).
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable, Iterable
from datetime import date, datetime, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo

__all__ = [
    "DEFAULT",
    "DYNAMIC_DATE_FORMATS",
    "DateFormat",
    "calendar_floor",
    "calendar_next",
    "detect_date_format",
    "get_format",
    "get_zone",
    "is_date_string",
    "parse_date_math",
    "parse_duration_ms",
    "utc_offset_ms",
]

DEFAULT = "strict_date_optional_time||epoch_millis"
"""The format of a ``date`` field that names none."""

DYNAMIC_DATE_FORMATS: tuple[str, ...] = (
    "strict_date_optional_time",
    "yyyy/MM/dd HH:mm:ss||yyyy/MM/dd||epoch_millis",
)
"""ES's default ``dynamic_date_formats``. The docs print the second one as
``yyyy/MM/dd HH:mm:ss Z||yyyy/MM/dd Z``; the code (``RootObjectMapper``) uses this form, and
it is the ``format`` a dynamically detected field gets in its mapping."""

Zone = int | ZoneInfo
"""A parsed time zone: a fixed UTC offset in seconds, or an IANA zone."""

_MS_PER_DAY = 86_400_000
_EPOCH_ORDINAL = 719_163  # date(1970, 1, 1).toordinal()
_from_iso_datetime = datetime.fromisoformat
_from_iso_date = date.fromisoformat
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


# ---------------------------------------------------------------------------------------------
# Resolving parsed fields into an instant
# ---------------------------------------------------------------------------------------------


def _resolve(f: dict[str, Any], zone: Zone | None, round_up: bool) -> int:
    """Epoch millis from parsed fields, filling gaps the way ES's ``DateFormatters.from`` does.

    Missing date parts come from 1970-01-01 (or Jan 1 of a parsed year); missing time parts
    are 0, or 23:59:59.999 when rounding up (the range-query upper-bound parser).
    """
    parsed_zone = f.get("zone")
    if parsed_zone is not None:
        zone = parsed_zone

    hour = f.get("hour")
    if hour is None:
        if "hour24" in f:  # k: 1-24
            if not 1 <= f["hour24"] <= 24:
                raise ValueError("clock hour out of range")
            hour = f["hour24"] % 24
        elif "hour12" in f or "hour11" in f:  # h: 1-12, K: 0-11, with a (AM unless PM)
            h12 = f["hour12"] if "hour12" in f else f["hour11"]
            if not (1 <= h12 <= 12 if "hour12" in f else 0 <= h12 <= 11):
                raise ValueError("clock hour out of range")
            hour = h12 % 12 + (12 if f.get("ampm") == 1 else 0)
    minute = f.get("minute")
    second = f.get("second")
    nano = f.get("nano")
    if round_up:
        hour = 23 if hour is None else hour
        minute = 59 if minute is None else minute
        second = 59 if second is None else second
        nano = 999_999_999 if nano is None else nano
    else:
        hour = hour or 0
        minute = minute or 0
        second = second or 0
        nano = nano or 0
    if not (0 <= hour < 24 and 0 <= minute < 60 and 0 <= second < 60):
        raise ValueError("time field out of range")

    year = f.get("year")
    if year is None and "yoe" in f:
        yoe = f["yoe"]
        year = yoe if f.get("era", 1) == 1 else 1 - yoe
    full_date = True
    if year is not None:
        if "month" in f:
            days = _epoch_day(year, f["month"], f.get("day", 1))
        elif "doy" in f:
            doy = f["doy"]
            if not 1 <= doy <= (366 if _is_leap(year) else 365):
                raise ValueError("invalid day of year")
            days = _days_from_civil(year, 1, 1) + doy - 1
        else:
            days = _days_from_civil(year, 1, 1)
    elif "wyear" in f:
        days = _iso_week_day(f["wyear"], f.get("week", 1), f.get("dow", 1))
    else:
        full_date = False  # no year: ES falls back to 1970-01-01
        month = f.get("month")
        days = 0 if month is None else _epoch_day(1970, month, f.get("day", 1))
    if full_date and "dow" in f and (days + 3) % 7 + 1 != f["dow"]:
        raise ValueError("day of week does not match the date")

    msod = ((hour * 60 + minute) * 60 + second) * 1000 + nano // 1_000_000
    return _from_local(days, msod, zone)


# ---------------------------------------------------------------------------------------------
# Pattern compilation (java.time DateTimeFormatter letters)
# ---------------------------------------------------------------------------------------------

_MONTHS_FULL = [
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
]  # fmt: skip
_MONTHS_SHORT = [m[:3] for m in _MONTHS_FULL]
_DAYS_FULL = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
_DAYS_SHORT = [d[:3] for d in _DAYS_FULL]

# Offsets in every spelling java.time prints; zone ids ("Europe/Paris", "CET") besides.
_OFFSET_PAT = r"Z|[+-]\d\d(?::?\d\d(?::?\d\d)?)?|(?:GMT|UTC|UT)(?:[+-]\d\d?(?::?\d\d)?)?"
_ZONE_PAT = _OFFSET_PAT + r"|[A-Za-z][A-Za-z0-9_+\-]*(?:/[A-Za-z0-9_+\-]+)*"


def _text_alternation(names: Iterable[str]) -> str:
    return "((?i:" + "|".join(sorted(names, key=len, reverse=True)) + "))"


def _lookup(names: list[str]) -> Callable[[str], int]:
    table = {n.lower(): i + 1 for i, n in enumerate(names)}
    return lambda v: table[v.lower()]


def _zone_conv(v: str) -> Zone:
    zone = _zone_or_none(v)
    if zone is None:
        raise ValueError(f"unknown zone [{v}]")
    return zone


def _frac_conv(v: str) -> int:
    return int(v[:9].ljust(9, "0"))


class _Parts:
    """An instant broken into local fields, for printers."""

    __slots__ = (
        "day",
        "days",
        "hour",
        "milli",
        "minute",
        "month",
        "offset",
        "second",
        "year",
        "zone",
    )

    def __init__(self, ms: int, zone: Zone | None) -> None:
        days, msod, off = _to_local(ms, zone)
        self.days = days
        self.year, self.month, self.day = _civil_from_days(days)
        secs, self.milli = divmod(msod, 1000)
        self.hour, rem = divmod(secs, 3600)
        self.minute, self.second = divmod(rem, 60)
        self.offset = off
        self.zone = zone


_Printer = Callable[[_Parts], str]


def _pad_year(y: int, width: int) -> str:
    """java.time's EXCEEDS_PAD: zero-padded, '+' only once the width is exceeded."""
    if y < 0:
        return "-" + str(-y).zfill(width)
    s = str(y).zfill(width)
    return "+" + s if width >= 4 and len(s) > width else s


def _fmt_offset(off: int, colon: bool, zero: str, with_minutes: str = "always") -> str:
    """Render an offset: with_minutes is 'always', 'nonzero' (pattern X/x) or 'seconds'."""
    if off == 0 and zero:
        return zero
    sign = "-" if off < 0 else "+"
    h, rem = divmod(abs(off), 3600)
    m, s = divmod(rem, 60)
    sep = ":" if colon else ""
    out = f"{sign}{h:02d}"
    if with_minutes == "always" or m or s or with_minutes == "seconds":
        out += f"{sep}{m:02d}"
    if s and with_minutes == "seconds":
        out += f"{sep}{s:02d}"
    return out


def _fmt_gmt(off: int, long: bool) -> str:
    if off == 0:
        return "GMT"
    sign = "-" if off < 0 else "+"
    h, rem = divmod(abs(off), 3600)
    m = rem // 60
    if long:
        return f"GMT{sign}{h:02d}:{m:02d}"
    return f"GMT{sign}{h}" + (f":{m:02d}" if m else "")


def _zone_name(p: _Parts, long: bool) -> str:
    zone = p.zone
    if isinstance(zone, ZoneInfo):
        if long:
            return zone.key
        wall = datetime.fromtimestamp(
            (p.days * _MS_PER_DAY + ((p.hour * 60 + p.minute) * 60 + p.second) * 1000) // 1000
            - p.offset,
            zone,
        )
        return wall.tzname() or zone.key
    return _fmt_offset(p.offset, True, "Z")


def _zone_id(p: _Parts) -> str:
    return p.zone.key if isinstance(p.zone, ZoneInfo) else _fmt_offset(p.offset, True, "Z")


class _Element:
    """One compiled pattern piece: a regex fragment, the fields its groups fill, a printer."""

    __slots__ = ("fields", "printer", "regex")

    def __init__(
        self, regex: str, fields: list[tuple[str, Callable[[str], object]]], printer: _Printer
    ) -> None:
        self.regex = regex
        self.fields = fields
        self.printer = printer


def _num(field: str, lo: int, hi: int, getter: Callable[[_Parts], int]) -> _Element:
    width = lo if lo == hi else 0
    rx = f"(\\d{{{lo}}})" if lo == hi else f"(\\d{{{lo},{hi}}})"
    if width:
        return _Element(rx, [(field, int)], lambda p: str(getter(p)).zfill(width))
    return _Element(rx, [(field, int)], lambda p: str(getter(p)))


def _year_element(field: str, count: int, getter: Callable[[_Parts], int]) -> _Element:
    if count == 2:  # reduced two-digit year, base 2000 as in java.time
        return _Element(
            r"(\d\d)", [(field, lambda v: 2000 + int(v))], lambda p: f"{getter(p) % 100:02d}"
        )
    if count < 4:
        return _Element(
            f"(-?\\d{{{count},9}})", [(field, int)], lambda p: str(getter(p)).zfill(count)
        )
    return _Element(
        f"(\\d{{{count}}}|\\+\\d{{{count + 1},9}}|-\\d{{{count},9}})",
        [(field, int)],
        lambda p: _pad_year(getter(p), count),
    )


def _year_of_era(p: _Parts) -> int:
    return p.year if p.year > 0 else 1 - p.year


def _week_year(p: _Parts) -> int:
    return _iso_week(p.days)[0]


def _week(p: _Parts) -> int:
    return _iso_week(p.days)[1]


def _dow(p: _Parts) -> int:
    return (p.days + 3) % 7 + 1


def _doy(p: _Parts) -> int:
    return p.days - _days_from_civil(p.year, 1, 1) + 1


def _letter_element(c: str, n: int) -> _Element:
    """Compile ``n`` repetitions of pattern letter ``c`` as java.time's appendPattern does."""

    def too_many() -> ValueError:
        return ValueError(f"Too many pattern letters: {c}")

    if c in "yuY":
        field, getter = {
            "y": ("yoe", _year_of_era),
            "u": ("year", lambda p: p.year),
            "Y": ("wyear", _week_year),
        }[c]
        return _year_element(field, n, getter)
    if c in "ML":
        if n <= 2:
            return _num("month", n, 2, lambda p: p.month)
        if n == 3:
            return _Element(
                _text_alternation(_MONTHS_SHORT),
                [("month", _lookup(_MONTHS_SHORT))],
                lambda p: _MONTHS_SHORT[p.month - 1],
            )
        if n == 4:
            return _Element(
                _text_alternation(_MONTHS_FULL),
                [("month", _lookup(_MONTHS_FULL))],
                lambda p: _MONTHS_FULL[p.month - 1],
            )
        raise too_many()
    simple: dict[str, tuple[str, Callable[[_Parts], int]]] = {
        "d": ("day", lambda p: p.day),
        "H": ("hour", lambda p: p.hour),
        "h": ("hour12", lambda p: p.hour % 12 or 12),
        "K": ("hour11", lambda p: p.hour % 12),
        "k": ("hour24", lambda p: p.hour or 24),
        "m": ("minute", lambda p: p.minute),
        "s": ("second", lambda p: p.second),
        "w": ("week", _week),
    }
    if c in simple:
        if n > 2:
            raise too_many()
        field, getter = simple[c]
        return _num(field, n, 2, getter)
    if c == "D":
        if n > 3:
            raise too_many()
        return _num("doy", n, 3, _doy)
    if c == "S":
        if n > 9:
            raise too_many()
        return _Element(
            f"(\\d{{{n}}})",
            [("nano", _frac_conv)],
            lambda p: (f"{p.milli:03d}" + "0" * 6)[:n],
        )
    if c in "Eec":
        if c in "ec" and n <= 2:
            return _num("dow", n, 1 if n == 1 else 2, _dow)
        if n <= 3:
            return _Element(
                _text_alternation(_DAYS_SHORT),
                [("dow", _lookup(_DAYS_SHORT))],
                lambda p: _DAYS_SHORT[_dow(p) - 1],
            )
        if n == 4:
            return _Element(
                _text_alternation(_DAYS_FULL),
                [("dow", _lookup(_DAYS_FULL))],
                lambda p: _DAYS_FULL[_dow(p) - 1],
            )
        raise too_many()
    if c == "a":
        if n > 1:
            raise too_many()
        return _Element(
            "((?i:AM|PM))",
            [("ampm", lambda v: 0 if v.upper() == "AM" else 1)],
            lambda p: "AM" if p.hour < 12 else "PM",
        )
    if c == "G":
        if n > 4:
            raise too_many()
        words = ("BC", "AD") if n < 4 else ("Before Christ", "Anno Domini")
        return _Element(
            _text_alternation(words),
            [("era", lambda v: 0 if v.lower() == words[0].lower() else 1)],
            lambda p: words[1] if p.year > 0 else words[0],
        )
    if c in "ZXxO":
        printer: _Printer
        if c == "Z":
            if n <= 3:
                printer = lambda p: _fmt_offset(p.offset, False, "")  # noqa: E731
            elif n == 4:
                printer = lambda p: _fmt_gmt(p.offset, True)  # noqa: E731
            elif n == 5:
                printer = lambda p: _fmt_offset(p.offset, True, "Z", "seconds")  # noqa: E731
            else:
                raise too_many()
        elif c in "Xx":
            zero = "Z" if c == "X" else ""
            if n > 5:
                raise too_many()
            colon = n in (3, 5)
            style = "nonzero" if n == 1 else ("seconds" if n >= 4 else "always")

            def printer(
                p: _Parts, zero: str = zero, colon: bool = colon, style: str = style
            ) -> str:  # 'X' prints a zero offset as "Z", 'x' as digits ("+00", "+0000")
                return _fmt_offset(p.offset, colon, zero, style)

        else:
            if n not in (1, 4):
                raise ValueError(f"Pattern letter count must be 1 or 4: {c}")
            printer = lambda p: _fmt_gmt(p.offset, n == 4)  # noqa: E731
        return _Element(f"({_OFFSET_PAT})", [("zone", _zone_conv)], printer)
    if c == "z":
        if n > 4:
            raise too_many()
        return _Element(f"({_ZONE_PAT})", [("zone", _zone_conv)], lambda p: _zone_name(p, n == 4))
    if c == "V":
        if n != 2:
            raise ValueError("Pattern letter count must be 2: V")
        return _Element(f"({_ZONE_PAT})", [("zone", _zone_conv)], _zone_id)
    raise ValueError(f"Unknown pattern letter: {c}")


def _internal_element(name: str) -> _Element:
    """Building blocks of the named ES formats that plain patterns cannot express."""
    if name == "zone":  # appendZoneOrOffsetId() + "+HHmm"; printed as appendOffset("+HH:MM", "Z")
        return _Element(
            f"({_ZONE_PAT})", [("zone", _zone_conv)], lambda p: _fmt_offset(p.offset, True, "Z")
        )
    if name == "frac":  # appendFraction(NANO_OF_SECOND, 1, 9, true); ',' accepted as in ES
        return _Element(r"[.,](\d{1,9})", [("nano", _frac_conv)], lambda p: f".{p.milli:03d}")
    if name == "y5":  # lenient year of the non-strict formats: 1 to 5 digits
        return _Element(r"(-?\d{1,5})", [("year", int)], lambda p: _pad_year(p.year, 4))
    raise ValueError(f"unknown internal element {{{name}}}")


def _tokenize(pattern: str, internal: bool) -> list[tuple[str, str, int]]:
    """Split a java.time pattern into ('lit', text, 0), ('letter', c, n), '[' / ']' marks."""
    out: list[tuple[str, str, int]] = []
    i, n = 0, len(pattern)
    while i < n:
        c = pattern[i]
        if c == "'":
            j, buf = i + 1, []
            while True:
                if j >= n:
                    raise ValueError(f"Pattern ends with an incomplete string literal: {pattern}")
                if pattern[j] == "'":
                    if j + 1 < n and pattern[j + 1] == "'":
                        buf.append("'")
                        j += 2
                        continue
                    break
                buf.append(pattern[j])
                j += 1
            out.append(("lit", "".join(buf) if j > i + 1 else "'", 0))
            i = j + 1
        elif c.isascii() and c.isalpha():
            j = i
            while j < n and pattern[j] == c:
                j += 1
            out.append(("letter", c, j - i))
            i = j
        elif c in "[]":
            out.append((c, c, 0))
            i += 1
        elif c == "{" and internal:
            j = pattern.index("}", i)
            out.append(("internal", pattern[i + 1 : j], 0))
            i = j + 1
        elif c in "#{}":
            raise ValueError(f"Pattern includes reserved character: '{c}'")
        else:
            out.append(("lit", c, 0))
            i += 1
    return out


class _PatternParser:
    """A java.time pattern compiled to one anchored regex plus a resolver."""

    __slots__ = ("fields", "printers", "regex")

    def __init__(self, pattern: str, internal: bool = False) -> None:
        regex: list[str] = []
        fields: list[tuple[str, Callable[[str], object]]] = []
        printers: list[_Printer] = []
        depth = 0
        for kind, text, count in _tokenize(pattern, internal):
            if kind == "lit":
                regex.append(re.escape(text))
                printers.append(lambda p, text=text: text)
            elif kind == "[":
                regex.append("(?:")
                depth += 1
            elif kind == "]":
                if depth == 0:
                    raise ValueError("Pattern invalid as it contains ] without previous [")
                regex.append(")?")
                depth -= 1
            else:
                el = _internal_element(text) if kind == "internal" else _letter_element(text, count)
                regex.append(el.regex)
                fields.extend(el.fields)
                printers.append(el.printer)
        regex.append(")?" * depth)  # java.time closes open optional sections at the end
        self.regex = re.compile("".join(regex))
        self.fields = tuple((i, name, conv) for i, (name, conv) in enumerate(fields))
        self.printers = tuple(printers)

    def parse(self, s: str, zone: Zone | None, round_up: bool) -> int | None:
        m = self.regex.fullmatch(s)
        if m is None:
            return None
        groups = m.groups()
        f: dict[str, Any] = {}
        try:
            for i, name, conv in self.fields:
                v = groups[i]
                if v is not None:
                    f[name] = conv(v)
            return _resolve(f, zone, round_up)
        except (ValueError, KeyError, OverflowError):
            return None

    def format(self, ms: int, zone: Zone | None) -> str:
        p = _Parts(ms, zone)
        return "".join([pr(p) for pr in self.printers])


# ---------------------------------------------------------------------------------------------
# Fast paths: ISO 8601 (the ES default) and epoch numbers
# ---------------------------------------------------------------------------------------------

_ISO_RE = re.compile(
    r"(\d{4}|\+\d{5,9}|-\d{4,9})(?:-(\d\d)(?:-(\d\d))?)?"
    r"(?:T(?:(\d\d)(?::(\d\d)(?::(\d\d)(?:[.,](\d{1,9}))?)?)?)?"
    r"(" + _ZONE_PAT + r")?)?"
)


class _IsoParser:
    """``strict_date_optional_time``: yyyy[-MM[-dd]]['T'[HH[:mm[:ss[.S…]]]][zone]].

    Hand-resolved from one regex because it runs once per ingested document.
    """

    __slots__ = ()

    def parse(self, s: str, zone: Zone | None, round_up: bool) -> int | None:
        if not round_up:
            n = len(s)
            # The common shapes go through C's fromisoformat (5x faster than the regex). The
            # guard keeps it to strings ES's grammar accepts too: 'T' and ':' where ES wants
            # them, no hour 24, at most 9 fraction digits (a longer string takes the regex).
            if (
                19 <= n <= 29
                and s[10] == "T"
                and s[13] == ":"
                and s[16] == ":"
                and s[4] == "-"
                and s[7] == "-"
                and s[11:13] != "24"
            ):
                try:
                    dt = _from_iso_datetime(s)
                except ValueError:
                    dt = None
                if dt is not None:
                    days = dt.toordinal() - _EPOCH_ORDINAL
                    msod = (
                        (dt.hour * 60 + dt.minute) * 60 + dt.second
                    ) * 1000 + dt.microsecond // 1000
                    if s[-1] == "Z":
                        return days * _MS_PER_DAY + msod
                    off = dt.utcoffset()
                    if off is None:
                        if zone is None or zone == 0:
                            return days * _MS_PER_DAY + msod
                        return _from_local(days, msod, zone)
                    off_s = off.days * 86_400 + off.seconds
                    if off.microseconds or abs(off_s) > 18 * 3600:
                        return None
                    return days * _MS_PER_DAY + msod - off_s * 1000
            elif n == 10 and s[4] == "-" and s[7] == "-" and (zone is None or zone == 0):
                try:
                    return (_from_iso_date(s).toordinal() - _EPOCH_ORDINAL) * _MS_PER_DAY
                except ValueError:
                    pass
        m = _ISO_RE.fullmatch(s)
        if m is None:
            return None
        y, mo, d, h, mi, sec, frac, z = m.groups()
        year = int(y)
        hour = int(h) if h else (23 if round_up else 0)
        minute = int(mi) if mi else (59 if round_up else 0)
        second = int(sec) if sec else (59 if round_up else 0)
        if hour > 23 or minute > 59 or second > 59:
            return None
        milli = int(frac[:3].ljust(3, "0")) if frac else (999 if round_up else 0)
        try:
            days = _epoch_day(year, int(mo) if mo else 1, int(d) if d else 1)
        except ValueError:
            return None
        if z is not None:
            if z == "Z":
                zone = 0
            else:
                zone = _zone_or_none(z)
                if zone is None:
                    return None
        msod = ((hour * 60 + minute) * 60 + second) * 1000 + milli
        if zone is None or zone == 0:
            return days * _MS_PER_DAY + msod
        try:
            return _from_local(days, msod, zone)
        except ValueError:
            return None


_EPOCH_MILLIS_RE = re.compile(r"(-)?(\d{1,19})(?:\.(\d{0,6}))?")
_EPOCH_SECOND_RE = re.compile(r"(-)?(\d{1,19})(?:\.(\d{0,9}))?")


class _EpochMillisParser:
    """``epoch_millis``: [-]digits[.fraction of a millisecond], floored to the millisecond."""

    __slots__ = ()

    def parse(self, s: str, zone: Zone | None, round_up: bool) -> int | None:
        m = _EPOCH_MILLIS_RE.fullmatch(s)
        if m is None:
            return None
        neg, whole, frac = m.groups()
        if not frac or not frac.strip("0"):
            return -int(whole) if neg else int(whole)
        nanos = int(whole) * 1_000_000 + int(frac.ljust(6, "0"))
        return (-nanos if neg else nanos) // 1_000_000


class _EpochSecondParser:
    """``epoch_second``; like ES, a fraction is added forward in time even after a '-'."""

    __slots__ = ()

    def parse(self, s: str, zone: Zone | None, round_up: bool) -> int | None:
        m = _EPOCH_SECOND_RE.fullmatch(s)
        if m is None:
            return None
        neg, whole, frac = m.groups()
        secs = -int(whole) if neg else int(whole)
        if frac:
            return secs * 1000 + int(frac[:3].ljust(3, "0"))
        return secs * 1000 + (999 if round_up else 0)  # round-up defaults NANO_OF_SECOND


def _print_epoch_millis(ms: int, zone: Zone | None) -> str:
    return str(ms)


def _print_epoch_second(ms: int, zone: Zone | None) -> str:
    secs, milli = divmod(ms, 1000)
    return f"{secs}.{milli:03d}".rstrip("0") if milli else str(secs)


_ISO_PRINT = "uuuu-MM-dd'T'HH:mm:ss.SSS{zone}"


def _print_iso(ms: int, zone: Zone | None) -> str:
    """Fast printer for ``uuuu-MM-dd'T'HH:mm:ss.SSSXXX`` (ES's default output)."""
    days, msod, off = _to_local(ms, zone)
    y, mo, d = _civil_from_days(days)
    if not 0 <= y <= 9999:
        return _compiled(_ISO_PRINT, True).format(ms, zone)
    secs, milli = divmod(msod, 1000)
    z = "Z" if off == 0 else _fmt_offset(off, True, "Z")
    return (
        f"{y:04d}-{mo:02d}-{d:02d}T{secs // 3600:02d}:{secs // 60 % 60:02d}:{secs % 60:02d}"
        f".{milli:03d}{z}"
    )


# ---------------------------------------------------------------------------------------------
# Named formats
# ---------------------------------------------------------------------------------------------

_ISO = "@iso"
_EPOCH_MILLIS = "@epoch_millis"
_EPOCH_SECOND = "@epoch_second"
_LDATE = "{y5}[-M[-d]]"  # the lenient date of the non-strict formats

# name -> (printer pattern, parser patterns tried in order). Grammar follows ES's
# DateFormatters; internal tokens: {zone} any zone/offset, {frac} .S…, {y5} lenient year.
_NAMED: dict[str, tuple[str, tuple[str, ...]]] = {
    "strict_date_optional_time": (_ISO_PRINT, (_ISO,)),
    "iso8601": (_ISO_PRINT, (_ISO,)),
    "strict_date_optional_time_nanos": (
        _ISO_PRINT,
        ("uuuu[-MM[-dd]]['T'HH:mm:ss[{frac}][{zone}]]",),
    ),
    "date_optional_time": (_ISO_PRINT, (_LDATE + "['T'[H[:m[:s][{frac}][{zone}]]]]",)),
    "epoch_millis": ("", (_EPOCH_MILLIS,)),
    "epoch_second": ("", (_EPOCH_SECOND,)),
    "basic_date": ("uuuuMMdd", ("uuuuMMdd",)),
    "basic_date_time": ("uuuuMMdd'T'HHmmss.SSS{zone}", ("uuuuMMdd'T'HHmmss{frac}{zone}",)),
    "basic_date_time_no_millis": ("uuuuMMdd'T'HHmmss{zone}", ("uuuuMMdd'T'HHmmss{zone}",)),
    "basic_ordinal_date": ("uuuuDDD", ("uuuuDDD",)),
    "basic_ordinal_date_time": ("uuuuDDD'T'HHmmss.SSS{zone}", ("uuuuDDD'T'HHmmss{frac}{zone}",)),
    "basic_ordinal_date_time_no_millis": ("uuuuDDD'T'HHmmss{zone}", ("uuuuDDD'T'HHmmss{zone}",)),
    "basic_time": ("HHmmss.SSS{zone}", ("HHmmss{frac}{zone}",)),
    "basic_time_no_millis": ("HHmmss{zone}", ("HHmmss{zone}",)),
    "basic_t_time": ("'T'HHmmss.SSS{zone}", ("'T'HHmmss{frac}{zone}",)),
    "basic_t_time_no_millis": ("'T'HHmmss{zone}", ("'T'HHmmss{zone}",)),
    "basic_week_date": ("YYYY'W'wwe", ("Y'W'we",)),
    "strict_basic_week_date": ("YYYY'W'wwe", ("YYYY'W'we",)),
    "basic_week_date_time": (
        "YYYY'W'wwe'T'HHmmss.SSS{zone}",
        ("Y'W'we'T'HHmmss{frac}{zone}",),
    ),
    "strict_basic_week_date_time": (
        "YYYY'W'wwe'T'HHmmss.SSS{zone}",
        ("YYYY'W'we'T'HHmmss{frac}{zone}",),
    ),
    "basic_week_date_time_no_millis": ("YYYY'W'wwe'T'HHmmss{zone}", ("Y'W'we'T'HHmmss{zone}",)),
    "strict_basic_week_date_time_no_millis": (
        "YYYY'W'wwe'T'HHmmss{zone}",
        ("YYYY'W'we'T'HHmmss{zone}",),
    ),
    "date": ("uuuu-MM-dd", ("uuuu-MM-dd", _LDATE)),
    "strict_date": ("uuuu-MM-dd", ("uuuu-MM-dd",)),
    "date_hour": ("uuuu-MM-dd'T'HH", ("uuuu-MM-dd'T'HH", _LDATE + "'T'H")),
    "strict_date_hour": ("uuuu-MM-dd'T'HH", ("uuuu-MM-dd'T'HH",)),
    "date_hour_minute": ("uuuu-MM-dd'T'HH:mm", ("uuuu-MM-dd'T'HH:mm", _LDATE + "'T'H:m")),
    "strict_date_hour_minute": ("uuuu-MM-dd'T'HH:mm", ("uuuu-MM-dd'T'HH:mm",)),
    "date_hour_minute_second": (
        "uuuu-MM-dd'T'HH:mm:ss",
        ("uuuu-MM-dd'T'HH:mm:ss", _LDATE + "'T'H:m:s"),
    ),
    "strict_date_hour_minute_second": ("uuuu-MM-dd'T'HH:mm:ss", ("uuuu-MM-dd'T'HH:mm:ss",)),
    "date_hour_minute_second_fraction": (
        "uuuu-MM-dd'T'HH:mm:ss.SSS",
        ("uuuu[-MM[-dd]]'T'HH:mm:ss{frac}", _LDATE + "'T'H:m:s{frac}"),
    ),
    "date_hour_minute_second_millis": (
        "uuuu-MM-dd'T'HH:mm:ss.SSS",
        ("uuuu[-MM[-dd]]'T'HH:mm:ss{frac}", _LDATE + "'T'H:m:s{frac}"),
    ),
    "strict_date_hour_minute_second_fraction": (
        "uuuu-MM-dd'T'HH:mm:ss.SSS",
        ("uuuu[-MM[-dd]]'T'HH:mm:ss{frac}",),
    ),
    "strict_date_hour_minute_second_millis": (
        "uuuu-MM-dd'T'HH:mm:ss.SSS",
        ("uuuu[-MM[-dd]]'T'HH:mm:ss{frac}",),
    ),
    "date_time": (_ISO_PRINT, (_LDATE + "'T'H:m[:s{frac}]{zone}",)),
    "strict_date_time": (_ISO_PRINT, ("uuuu[-MM[-dd]]'T'HH:mm:ss[{frac}]{zone}",)),
    "date_time_no_millis": ("uuuu-MM-dd'T'HH:mm:ss{zone}", (_LDATE + "'T'H:m[:s][{zone}]",)),
    "strict_date_time_no_millis": (
        "uuuu-MM-dd'T'HH:mm:ss{zone}",
        ("uuuu[-MM[-dd]]'T'HH:mm:ss{zone}",),
    ),
    "hour": ("HH", ("H",)),
    "strict_hour": ("HH", ("HH",)),
    "hour_minute": ("HH:mm", ("H:m",)),
    "strict_hour_minute": ("HH:mm", ("HH:mm",)),
    "hour_minute_second": ("HH:mm:ss", ("H:m:s",)),
    "strict_hour_minute_second": ("HH:mm:ss", ("HH:mm:ss",)),
    "hour_minute_second_fraction": ("HH:mm:ss.SSS", ("H:m:s{frac}",)),
    "hour_minute_second_millis": ("HH:mm:ss.SSS", ("H:m:s{frac}",)),
    "strict_hour_minute_second_fraction": ("HH:mm:ss.SSS", ("HH:mm:ss{frac}",)),
    "strict_hour_minute_second_millis": ("HH:mm:ss.SSS", ("HH:mm:ss{frac}",)),
    "ordinal_date": ("uuuu-DDD", ("uuuu-D",)),
    "strict_ordinal_date": ("uuuu-DDD", ("uuuu-DDD",)),
    "ordinal_date_time": ("uuuu-DDD'T'HH:mm:ss.SSS{zone}", ("uuuu-D'T'H:m[:s{frac}]{zone}",)),
    "strict_ordinal_date_time": (
        "uuuu-DDD'T'HH:mm:ss.SSS{zone}",
        ("uuuu-DDD'T'HH:mm[:ss{frac}]{zone}",),
    ),
    "ordinal_date_time_no_millis": ("uuuu-DDD'T'HH:mm:ss{zone}", ("uuuu-D'T'H:m:s{zone}",)),
    "strict_ordinal_date_time_no_millis": (
        "uuuu-DDD'T'HH:mm:ss{zone}",
        ("uuuu-DDD'T'HH:mm:ss{zone}",),
    ),
    "time": ("HH:mm:ss.SSS{zone}", ("H:m:s{frac}{zone}",)),
    "strict_time": ("HH:mm:ss.SSS{zone}", ("HH:mm:ss{frac}{zone}",)),
    "time_no_millis": ("HH:mm:ss{zone}", ("H:m:s{zone}",)),
    "strict_time_no_millis": ("HH:mm:ss{zone}", ("HH:mm:ss{zone}",)),
    "t_time": ("'T'HH:mm:ss.SSS{zone}", ("'T'H:m:s{frac}{zone}",)),
    "strict_t_time": ("'T'HH:mm:ss.SSS{zone}", ("'T'HH:mm:ss{frac}{zone}",)),
    "t_time_no_millis": ("'T'HH:mm:ss{zone}", ("'T'H:m:s{zone}",)),
    "strict_t_time_no_millis": ("'T'HH:mm:ss{zone}", ("'T'HH:mm:ss{zone}",)),
    "week_date": ("YYYY-'W'ww-e", ("YYYY-'W'w-e",)),
    "strict_week_date": ("YYYY-'W'ww-e", ("YYYY-'W'ww-e",)),
    "week_date_time": (
        "YYYY-'W'ww-e'T'HH:mm:ss.SSS{zone}",
        ("YYYY-'W'w-e'T'H:m:s{frac}{zone}",),
    ),
    "strict_week_date_time": (
        "YYYY-'W'ww-e'T'HH:mm:ss.SSS{zone}",
        ("YYYY-'W'ww-e'T'HH:mm:ss{frac}{zone}",),
    ),
    "week_date_time_no_millis": ("YYYY-'W'ww-e'T'HH:mm:ss{zone}", ("YYYY-'W'w-e'T'H:m:s{zone}",)),
    "strict_week_date_time_no_millis": (
        "YYYY-'W'ww-e'T'HH:mm:ss{zone}",
        ("YYYY-'W'ww-e'T'HH:mm:ss{zone}",),
    ),
    "weekyear": ("YYYY", ("Y",)),
    "week_year": ("YYYY", ("Y",)),
    "strict_weekyear": ("YYYY", ("YYYY",)),
    "weekyear_week": ("YYYY-'W'ww", ("Y-'W'w",)),
    "strict_weekyear_week": ("YYYY-'W'ww", ("YYYY-'W'ww",)),
    "weekyear_week_day": ("YYYY-'W'ww-e", ("Y-'W'w-e",)),
    "strict_weekyear_week_day": ("YYYY-'W'ww-e", ("YYYY-'W'ww-e",)),
    "year": ("uuuu", ("u",)),
    "strict_year": ("uuuu", ("uuuu",)),
    "year_month": ("uuuu-MM", ("uuuu-MM", "u-M")),
    "strict_year_month": ("uuuu-MM", ("uuuu-MM",)),
    "year_month_day": ("uuuu-MM-dd", ("uuuu[-MM[-dd]]", "u-M-d")),
    "strict_year_month_day": ("uuuu-MM-dd", ("uuuu[-MM[-dd]]",)),
}


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


# ES also accepts the camelCase spelling of every name (dateOptionalTime, basicTTime, ...).
_ALIASES = {_camel(n): n for n in _NAMED if "_" in n and not n.startswith("epoch_")}


class _Parser(Protocol):
    """What every parser offers: epoch millis, or None when the text does not fit."""

    def parse(self, s: str, zone: Zone | None, round_up: bool) -> int | None: ...


_SPECIAL_PARSERS: dict[str, _Parser] = {
    _ISO: _IsoParser(),
    _EPOCH_MILLIS: _EpochMillisParser(),
    _EPOCH_SECOND: _EpochSecondParser(),
}


@functools.lru_cache(maxsize=512)
def _compiled(pattern: str, internal: bool) -> _PatternParser:
    return _PatternParser(pattern, internal)


_Formatter = Callable[[int, "Zone | None"], str]


def _single_format(name: str) -> tuple[list[_Parser], _Formatter]:
    """Parsers and printer of one ``||`` alternative: a named format or a pattern."""
    name = _ALIASES.get(name, name)
    if name not in _NAMED and name.startswith("8") and len(name) > 1:
        name = name[1:]  # ES 7's "8" prefix that opted into java.time patterns
        name = _ALIASES.get(name, name)
    if name in _NAMED:
        printer_pattern, parser_patterns = _NAMED[name]
        parsers = [
            _SPECIAL_PARSERS[p] if p.startswith("@") else _compiled(p, True)
            for p in parser_patterns
        ]
        printer: _Formatter
        if name == "epoch_millis":
            printer = _print_epoch_millis
        elif name == "epoch_second":
            printer = _print_epoch_second
        elif printer_pattern == _ISO_PRINT:
            printer = _print_iso
        else:
            printer = _compiled(printer_pattern, True).format
        return parsers, printer
    compiled = _compiled(name, False)
    return [compiled], compiled.format


# ---------------------------------------------------------------------------------------------
# Public: DateFormat
# ---------------------------------------------------------------------------------------------


def _number_text(value: float) -> str:
    """How a JSON number reaches ES's date parsers: as its decimal text, never 1.7E12."""
    if isinstance(value, int):
        return str(value)
    if not math.isfinite(value):
        raise ValueError(f"failed to parse date field [{value}]")
    if value.is_integer():
        return str(int(value))
    text = format(value, "f")
    return text.rstrip("0") if "." in text else text


class DateFormat:
    """A compiled ES ``format``: ``||``-separated alternatives, tried in order when parsing;
    the first one prints."""

    __slots__ = ("_parsers", "_printer", "names", "pattern")

    def __init__(self, fmt: str) -> None:
        if not isinstance(fmt, str) or not fmt.strip():
            raise ValueError("No date pattern provided")
        self.pattern = fmt
        self.names = tuple(part.strip() for part in fmt.split("||"))
        if not all(self.names):
            raise ValueError("No date pattern provided")
        compiled = [_single_format(name) for name in self.names]
        self._parsers = tuple(p for part_parsers, _ in compiled for p in part_parsers)
        self._printer: _Formatter = compiled[0][1]

    def __repr__(self) -> str:
        return f"DateFormat({self.pattern!r})"

    def parse(self, value: str | float, tz: str | None = None, *, round_up: bool = False) -> int:
        """Epoch millis of ``value``.

        Numbers are parsed from their decimal text, as ES does, so they reach ``epoch_millis``
        / ``epoch_second`` (or a pattern such as ``yyyy``). ``tz`` applies to values that name
        no zone. ``round_up`` fills missing time fields with their maximum (23:59:59.999), as
        ES does for ``lte``/``gt`` bounds in range queries.
        """
        if isinstance(value, str):
            text = value
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            text = _number_text(value)
        else:
            raise ValueError(f"failed to parse date field [{value}] with format [{self.pattern}]")
        if not text:
            raise ValueError("cannot parse empty date")
        zone = None if tz is None else get_zone(tz)
        for parser in self._parsers:
            result = parser.parse(text, zone, round_up)
            if result is not None:
                return result
        raise ValueError(f"failed to parse date field [{value}] with format [{self.pattern}]")

    def format(self, millis: int, tz: str | None = None) -> str:
        """Render ``millis`` with the first alternative, in ``tz`` (UTC by default)."""
        return self._printer(int(millis), None if tz is None else get_zone(tz))


@functools.lru_cache(maxsize=256)
def get_format(fmt: str) -> DateFormat:
    """The compiled ``DateFormat`` for ``fmt``; ValueError with the reason if it is invalid."""
    return DateFormat(fmt)


# ---------------------------------------------------------------------------------------------
# Dynamic date detection
# ---------------------------------------------------------------------------------------------

# What Java's Long.parseLong / Double.parseDouble accept: ES never detects those as dates.
_JAVA_NUMBER_RE = re.compile(
    r"[\x00- ]*[+-]?(?:NaN|Infinity|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?[fFdD]?"
    r"|0[xX](?:[0-9a-fA-F]+\.?[0-9a-fA-F]*|\.[0-9a-fA-F]+)[pP][+-]?\d+[fFdD]?)[\x00- ]*"
)


def detect_date_format(value: str, formats: Iterable[str] = DYNAMIC_DATE_FORMATS) -> str | None:
    """The first of ``formats`` that parses ``value`` (ES date_detection), or None.

    Strings that read as numbers are refused first, as ES does, so that ``epoch_millis`` or
    ``yyyy`` formats do not turn every number into a date.
    """
    if not isinstance(value, str) or not value or _JAVA_NUMBER_RE.fullmatch(value):
        return None
    for fmt in formats:
        try:
            get_format(fmt).parse(value)
        except ValueError:
            continue
        return fmt
    return None


def is_date_string(value: str, formats: Iterable[str] = DYNAMIC_DATE_FORMATS) -> bool:
    """Would ES's dynamic mapping map this string as a ``date``?"""
    return detect_date_format(value, formats) is not None


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


# ---------------------------------------------------------------------------------------------
# Durations (TimeValue)
# ---------------------------------------------------------------------------------------------

_DURATION_UNITS = (  # checked in this order, as TimeValue.parseTimeValue does
    ("nanos", 1, 1_000_000),
    ("micros", 1, 1000),
    ("ms", 1, 1),
    ("s", 1000, 1),
    ("m", 60_000, 1),
    ("h", 3_600_000, 1),
    ("d", 86_400_000, 1),
)


def parse_duration_ms(s: str | int, setting: str = "") -> int:
    """Milliseconds of an ES time value ("1s", "500ms", "15m", "7d", "1000nanos", "-1").

    As in ES a unit is required (except for "0" and "-1"), fractions are refused, and
    nanos/micros truncate to whole milliseconds.
    """
    if isinstance(s, int) and not isinstance(s, bool):
        return s
    if not isinstance(s, str):
        raise ValueError(f"failed to parse [{s}] as a time value")
    normalized = s.strip().lower()
    for suffix, mul, div in _DURATION_UNITS:
        if normalized.endswith(suffix):
            number = normalized[: -len(suffix)].strip()
            if not re.fullmatch(r"[+-]?\d+", number):
                if re.fullmatch(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?", number):
                    raise ValueError(
                        f"failed to parse [{s}], fractional time values are not supported"
                    )
                raise ValueError(f"failed to parse [{s}]")
            value = int(number)
            if value > 2**63 - 1:
                raise ValueError(f"failed to parse [{s}]: the value is too large")
            if value < -1:
                raise ValueError(
                    f"failed to parse setting [{setting}] with value [{s}] as a time value: "
                    "negative durations are not supported"
                )
            total = value * mul
            return total // div if total >= 0 else -(-total // div)
    if normalized == "-1":
        return -1
    if normalized == "0":
        return 0
    raise ValueError(
        f"failed to parse setting [{setting}] with value [{s}] as a time value: "
        "unit is missing or unrecognized"
    )
