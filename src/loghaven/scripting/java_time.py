"""The date values scripts read from ``doc['date']``: ES gives a ``ZonedDateTime`` in UTC.

Only what runtime-field scripts commonly call is here: the calendar getters, epoch
milliseconds and seconds, ``getDayOfWeek()``/``dayOfWeekEnum`` with ``getValue()`` and
``getDisplayName(TextStyle, Locale)`` (English names), and ``toString()``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

#: ``TextStyle`` and ``Locale`` constants a script may name (Loghaven prints English).
CONSTANTS = {"TextStyle": {"FULL", "SHORT", "NARROW", "FULL_STANDALONE", "SHORT_STANDALONE"},
             "Locale": {"ROOT", "ENGLISH", "US", "UK"}}
_DAYS = ("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY")


class DayOfWeek:
    """``java.time.DayOfWeek``."""

    def __init__(self, value: int) -> None:
        self.value = value  # 1 (Monday) .. 7

    def __str__(self) -> str:
        return _DAYS[self.value - 1]

    def __eq__(self, other: object) -> bool:
        return isinstance(other, DayOfWeek) and other.value == self.value

    def __hash__(self) -> int:
        return self.value

    def display_name(self, style: Any, _locale: Any = None) -> str:
        name = _DAYS[self.value - 1].capitalize()
        if str(style).startswith("TextStyle.SHORT"):
            return name[:3]
        if str(style) == "TextStyle.NARROW":
            return name[:1]
        return name


class ZonedDateTime:
    """A date doc value: epoch milliseconds, shown and taken apart in UTC."""

    def __init__(self, millis: int) -> None:
        self.millis = millis
        self.moment = dt.datetime(1970, 1, 1, tzinfo=dt.UTC) + dt.timedelta(milliseconds=millis)

    def __str__(self) -> str:
        text = self.moment.strftime("%Y-%m-%dT%H:%M:%S")
        if self.millis % 1000:
            text += f".{self.millis % 1000:03d}"
        return text + "Z"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ZonedDateTime) and other.millis == self.millis

    def __lt__(self, other: ZonedDateTime) -> bool:
        return self.millis < other.millis

    def __hash__(self) -> int:
        return hash(self.millis)


class Instant:
    def __init__(self, millis: int) -> None:
        self.millis = millis


def _getters() -> dict[str, Any]:
    return {
        "getYear": lambda d: d.moment.year,
        "getMonthValue": lambda d: d.moment.month,
        "getDayOfMonth": lambda d: d.moment.day,
        "getDayOfYear": lambda d: d.moment.timetuple().tm_yday,
        "getHour": lambda d: d.moment.hour,
        "getMinute": lambda d: d.moment.minute,
        "getSecond": lambda d: d.moment.second,
        "getNano": lambda d: (d.millis % 1000) * 1_000_000,
        "getMillis": lambda d: d.millis,
        "toEpochSecond": lambda d: d.millis // 1000,
        "getDayOfWeek": lambda d: DayOfWeek(d.moment.isoweekday()),
        "getDayOfWeekEnum": lambda d: DayOfWeek(d.moment.isoweekday()),
        "toInstant": lambda d: Instant(d.millis),
    }


#: ``(value kind, method, arity) -> handler(run, node, value, *args)`` for the evaluator.
METHODS: dict[tuple[str, str, int], Any] = {
    ("date", name, 0): (lambda f: lambda r, n, v: f(v))(getter)
    for name, getter in _getters().items()
}
METHODS.update({
    ("instant", "toEpochMilli", 0): lambda r, n, v: v.millis,
    ("instant", "getEpochSecond", 0): lambda r, n, v: v.millis // 1000,
    ("dow", "getValue", 0): lambda r, n, v: v.value,
    ("dow", "name", 0): lambda r, n, v: str(v),
    ("dow", "getDisplayName", 2): lambda r, n, v, style, locale: v.display_name(style, locale),
})
#: Method names the parser must accept for these values.
METHOD_NAMES = frozenset(name for _, name, _ in METHODS)


def kind(value: Any) -> str | None:
    if isinstance(value, ZonedDateTime):
        return "date"
    if isinstance(value, Instant):
        return "instant"
    if isinstance(value, DayOfWeek):
        return "dow"
    return None


def type_name(value: Any) -> str | None:
    return {"date": "java.time.ZonedDateTime", "instant": "java.time.Instant",
            "dow": "java.time.DayOfWeek"}.get(kind(value) or "")


def field(value: Any, name: str) -> tuple[bool, Any]:
    """Painless' getter shortcut (``d.millis`` is ``d.getMillis()``; ``dayOfWeekEnum`` too)."""
    value_kind = kind(value)
    if value_kind is None or not name:
        return False, None
    getter = METHODS.get((value_kind, "get" + name[0].upper() + name[1:], 0))
    if getter is None:
        return False, None
    return True, getter(None, None, value)
