"""The parsers a format tries: compiled java.time patterns, and hand-written ISO 8601 and epoch
fast paths (the ES default sits on the ingest hot path)."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from loghaven.engine.dates.letters import (
    _ZONE_PAT,
    _fmt_offset,
    _internal_element,
    _letter_element,
    _Parts,
    _Printer,
)
from loghaven.engine.dates.locales import ROOT, text_names
from loghaven.engine.dates.zones import (
    _EPOCH_ORDINAL,
    _MS_PER_DAY,
    Zone,
    _civil_from_days,
    _days_from_civil,
    _epoch_day,
    _from_local,
    _is_leap,
    _iso_week_day,
    _to_local,
    _zone_or_none,
)

_from_iso_datetime = datetime.fromisoformat
_from_iso_date = date.fromisoformat

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
# Compiled java.time patterns
# ---------------------------------------------------------------------------------------------


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
    """A java.time pattern compiled to one anchored regex plus a resolver; text fields
    (month and day names, am/pm, eras) in the words of the locale ``locale``."""

    __slots__ = ("fields", "printers", "regex")

    def __init__(self, pattern: str, internal: bool = False, locale: str = ROOT) -> None:
        names = text_names(locale)
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
                el = (_internal_element(text) if kind == "internal"
                      else _letter_element(text, count, names))
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


@functools.lru_cache(maxsize=512)
def _compiled(pattern: str, internal: bool, locale: str = ROOT) -> _PatternParser:
    return _PatternParser(pattern, internal, locale)


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
