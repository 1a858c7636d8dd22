"""The java.time pattern letters (``yyyy``, ``MM``, ``XXX``, ...): how each one parses and prints."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from loghaven.engine.dates.locales import ENGLISH, TextNames
from loghaven.engine.dates.zones import (
    _MS_PER_DAY,
    Zone,
    _civil_from_days,
    _days_from_civil,
    _iso_week,
    _to_local,
    _zone_or_none,
)

# ---------------------------------------------------------------------------------------------
# Pattern compilation (java.time DateTimeFormatter letters)
# ---------------------------------------------------------------------------------------------

# Offsets in every spelling java.time prints; zone ids ("Europe/Paris", "CET") besides.
_OFFSET_PAT = r"Z|[+-]\d\d(?::?\d\d(?::?\d\d)?)?|(?:GMT|UTC|UT)(?:[+-]\d\d?(?::?\d\d)?)?"
_ZONE_PAT = _OFFSET_PAT + r"|[A-Za-z][A-Za-z0-9_+\-]*(?:/[A-Za-z0-9_+\-]+)*"


# CLDR versions differ on the space inside names ("p. m." with U+00A0 or U+202F): any
# of them matches any other, so a log's plain space parses whatever CLDR Java shipped.
_SPACE_CLASS = "[ \u00a0\u202f]"
_SPACES = re.compile(_SPACE_CLASS)


def _fold(text: str) -> str:
    return _SPACES.sub(" ", text).lower()


def _text_alternation(names: Iterable[str]) -> str:
    words = (re.escape(_fold(n)).replace("\\ ", _SPACE_CLASS)
             for n in sorted(names, key=len, reverse=True))
    return "((?i:" + "|".join(words) + "))"


def _text(field: str, names: Sequence[str], value: Callable[[_Parts], int],
          first: int = 1) -> _Element:
    """A field written as one of ``names``, the first being the value ``first``."""
    table = {_fold(n): i + first for i, n in enumerate(names)}
    return _Element(_text_alternation(names), [(field, lambda v: table[_fold(v)])],
                    lambda p: names[value(p) - first])


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


def _letter_element(c: str, n: int, names: TextNames = ENGLISH) -> _Element:
    """Compile ``n`` repetitions of pattern letter ``c`` as java.time's appendPattern does,
    text fields in the words of ``names``' locale."""

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
            short = names.months_short if c == "M" else names.months_short_standalone
            return _text("month", short, lambda p: p.month)
        if n == 4:
            full = names.months_full if c == "M" else names.months_full_standalone
            return _text("month", full, lambda p: p.month)
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
            short = names.days_short if c != "c" else names.days_short_standalone
            return _text("dow", short, _dow)
        if n == 4:
            full = names.days_full if c != "c" else names.days_full_standalone
            return _text("dow", full, _dow)
        raise too_many()
    if c == "a":
        if n > 1:
            raise too_many()
        # the values are 0 (AM) and 1 (PM), as java.time's AMPM_OF_DAY
        return _text("ampm", names.ampm, lambda p: 0 if p.hour < 12 else 1, first=0)
    if c == "G":
        if n > 4:
            raise too_many()
        # the values are 0 (BC) and 1 (AD), as java.time's ERA
        return _text("era", names.eras_short if n < 4 else names.eras_full,
                     lambda p: 1 if p.year > 0 else 0, first=0)
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
