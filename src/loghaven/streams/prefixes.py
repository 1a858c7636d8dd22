"""Firehose's custom S3 prefixes: ``!{timestamp:<Java DateTimeFormatter pattern>}``,
``!{firehose:random-string}`` and ``!{firehose:error-output-type}``, checked once when a
stream is created and evaluated for each backup object (streams/backup.py).

Timestamps are UTC and every ``timestamp`` expression of one prefix evaluates to the same
instant. Patterns follow java.time's DateTimeFormatter letters as Firehose (a Java service)
formats them with an English locale: so ``YYYY`` is the *week-based* year (Sunday-start weeks,
as Locale.US has them), which differs from ``yyyy`` in the last days of December, exactly as
it does on Firehose. Letters that need a time zone name (``V``, ``z``, ``v``) are refused.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass

#: An expression: ``!{namespace:value}``.
EXPRESSION = re.compile(r"!\{([^{}:]*):([^{}]*)\}")

_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December")
_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_QUARTERS = ("1st quarter", "2nd quarter", "3rd quarter", "4th quarter")


Formatter = Callable[[dt.datetime], str]


class PatternError(ValueError):
    """A DateTimeFormatter pattern java.time would refuse, or one Loghaven cannot format."""


def _number(get: Callable[[dt.datetime], int], most: int = 2) -> Callable[[int], Formatter]:
    """A numeric field: one letter prints as few digits as it needs, n letters pad to n."""
    def build(count: int) -> Formatter:
        if count > most:
            raise PatternError(f"Too many pattern letters: {count}")
        return lambda t: str(get(t)).zfill(count)
    return build


def _year(get: Callable[[dt.datetime], int]) -> Callable[[int], Formatter]:
    """``yy`` is the two-digit year; otherwise at least ``count`` digits (``yyyy`` = 2018)."""
    def build(count: int) -> Formatter:
        if count == 2:
            return lambda t: str(get(t) % 100).zfill(2)
        return lambda t: str(get(t)).zfill(count)
    return build


def _text(full: Callable[[dt.datetime], str], number: Callable[[dt.datetime], int] | None
          ) -> Callable[[int], Formatter]:
    """Month, day-of-week and the like: 1-2 letters numeric (when the field has a number),
    3 short text, 4 full text, 5 the first letter."""
    def build(count: int) -> Formatter:
        if count <= 2:
            if number is None:
                return lambda t: full(t)[:3]
            return lambda t: str(number(t)).zfill(count)
        if count == 3:
            return lambda t: full(t)[:3]
        if count == 4:
            return full
        if count == 5:
            return lambda t: full(t)[0]
        raise PatternError(f"Too many pattern letters: {count}")
    return build


def _sunday_weeks(t: dt.datetime) -> tuple[int, int]:
    """Locale.US week fields: weeks start on Sunday and week 1 holds January 1st.
    (week-based year, week of that year)."""
    saturday = t.date() + dt.timedelta(days=(5 - t.weekday()) % 7)
    year = saturday.year
    jan1 = dt.date(year, 1, 1)
    first_sunday = jan1 - dt.timedelta(days=(jan1.weekday() + 1) % 7)
    return year, (t.date() - first_sunday).days // 7 + 1


def _quarter(count: int) -> Formatter:
    """1-2 letters ``3``/``03``, 3 ``Q3``, 4 ``3rd quarter``, 5 ``3``."""
    if count > 5:
        raise PatternError(f"Too many pattern letters: {count}")
    forms: dict[int, Callable[[int], str]] = {
        1: str, 2: lambda q: f"{q:02d}", 3: lambda q: f"Q{q}",
        4: lambda q: _QUARTERS[q - 1], 5: str}
    return lambda t: forms[count]((t.month - 1) // 3 + 1)


def _era(count: int) -> Formatter:
    if count > 5:
        raise PatternError(f"Too many pattern letters: {count}")
    text = "AD" if count <= 3 else "Anno Domini" if count == 4 else "A"
    return lambda t: text


def _fraction(count: int) -> Formatter:
    if count > 9:
        raise PatternError(f"Too many pattern letters: {count}")
    return lambda t: f"{t.microsecond:06d}000"[:count]


def _offset(letter: str) -> Callable[[int], Formatter]:
    """UTC's offset as X, x, Z and O print it."""
    forms = {"X": ("Z", "Z", "Z", "Z", "Z"), "x": ("+00", "+0000", "+00:00", "+0000", "+00:00"),
             "Z": ("+0000", "+0000", "+0000", "GMT", "Z"), "O": ("GMT", None, None, "GMT", None)}

    def build(count: int) -> Formatter:
        text = forms[letter][count - 1] if count <= 5 else None
        if text is None:
            raise PatternError(f"Pattern letter count must be 1 or 4: {letter}")
        return lambda t: text
    return build


_FIELDS: dict[str, Callable[[int], Formatter]] = {
    "G": _era,
    "u": _year(lambda t: t.year),
    "y": _year(lambda t: t.year),
    "Y": _year(lambda t: _sunday_weeks(t)[0]),
    "D": _number(lambda t: t.timetuple().tm_yday, 3),
    "M": _text(lambda t: _MONTHS[t.month - 1], lambda t: t.month),
    "L": _text(lambda t: _MONTHS[t.month - 1], lambda t: t.month),
    "d": _number(lambda t: t.day),
    "Q": _quarter,
    "q": _quarter,
    "w": _number(lambda t: _sunday_weeks(t)[1]),
    "E": _text(lambda t: _DAYS[t.weekday()], None),
    "e": _text(lambda t: _DAYS[t.weekday()], lambda t: (t.weekday() + 1) % 7 + 1),
    "c": _text(lambda t: _DAYS[t.weekday()], lambda t: (t.weekday() + 1) % 7 + 1),
    "a": lambda count: (lambda t: "AM" if t.hour < 12 else "PM"),
    "H": _number(lambda t: t.hour),
    "k": _number(lambda t: t.hour or 24),
    "K": _number(lambda t: t.hour % 12),
    "h": _number(lambda t: t.hour % 12 or 12),
    "m": _number(lambda t: t.minute),
    "s": _number(lambda t: t.second),
    "S": _fraction,
    "A": _number(lambda t: ((t.hour * 60 + t.minute) * 60 + t.second) * 1000
                 + t.microsecond // 1000, 19),
    "n": _number(lambda t: t.microsecond * 1000, 19),
    "N": _number(lambda t: (((t.hour * 60 + t.minute) * 60 + t.second) * 1_000_000
                            + t.microsecond) * 1000, 19),
    "X": _offset("X"), "x": _offset("x"), "Z": _offset("Z"), "O": _offset("O"),
}


def compile_pattern(pattern: str) -> Formatter:
    """A DateTimeFormatter pattern as a function of a UTC datetime. Quoted text ('...', with
    '' for a quote) is literal, optional sections ([...]) are always printed (every field is
    known), other non-letters are literal."""
    parts: list[Formatter] = []
    i, depth = 0, 0
    while i < len(pattern):
        char = pattern[i]
        if char == "'":
            end = i + 1
            text = []
            while True:
                if end >= len(pattern):
                    raise PatternError(f"Pattern ends with an incomplete string literal: "
                                       f"{pattern}")
                if pattern[end] == "'":
                    if end + 1 < len(pattern) and pattern[end + 1] == "'":
                        text.append("'")
                        end += 2
                        continue
                    break
                text.append(pattern[end])
                end += 1
            literal = "".join(text) if end > i + 1 else "'"
            parts.append(lambda t, s=literal: s)
            i = end + 1
        elif char.isascii() and char.isalpha():
            end = i
            while end < len(pattern) and pattern[end] == char:
                end += 1
            field = _FIELDS.get(char)
            if field is None:
                raise PatternError(f"Unknown pattern letter: {char}"
                                   if char not in "Vvz" else
                                   f"Pattern letter {char} (a time zone name) is not "
                                   "supported: timestamps are UTC")
            parts.append(field(end - i))
            i = end
        elif char in "#{}":
            raise PatternError(f"Pattern includes reserved character: '{char}'")
        elif char == "[":
            depth += 1
            i += 1
        elif char == "]":
            if depth == 0:
                raise PatternError("Pattern invalid as it contains ] without previous [")
            depth -= 1
            i += 1
        else:
            parts.append(lambda t, s=char: s)
            i += 1
    return lambda t: "".join(part(t) for part in parts)


@dataclass(frozen=True)
class Prefix:
    """A checked prefix: literal text and compiled expressions, in order."""

    parts: tuple[str | Formatter | None, ...]  # text, timestamp formatter, None = firehose
    names: tuple[str, ...]  # the firehose value of each None part (or "")

    def evaluate(self, when: dt.datetime, error_output_type: str = "") -> str:
        out = []
        for part, name in zip(self.parts, self.names, strict=True):
            if isinstance(part, str):
                out.append(part)
            elif part is not None:
                out.append(part(when))
            elif name == "random-string":
                out.append(str(uuid.uuid4())[:11])
            else:
                out.append(error_output_type)
        return "".join(out)


def parse(prefix: str) -> tuple[Prefix, set[str]]:
    """A prefix and the namespaces:values it uses; ValueError saying what is wrong."""
    parts: list[str | Formatter | None] = []
    names: list[str] = []
    used: set[str] = set()
    position = 0
    for match in EXPRESSION.finditer(prefix):
        literal = prefix[position:match.start()]
        if "!{" in literal:
            raise ValueError("The sequence !{ can only appear in !{namespace:value} "
                             "expressions")
        parts.append(literal)
        names.append("")
        namespace, value = match.group(1), match.group(2)
        if namespace == "timestamp":
            try:
                parts.append(compile_pattern(value))
            except PatternError as e:
                raise ValueError(f"!{{timestamp:{value}}} is not a valid DateTimeFormatter "
                                 f"pattern: {e}") from None
            names.append("")
        elif namespace == "firehose" and value in ("random-string", "error-output-type"):
            parts.append(None)
            names.append(value)
        elif namespace in ("partitionKeyFromQuery", "partitionKeyFromLambda"):
            raise ValueError(f"!{{{namespace}:{value}}} needs dynamic partitioning, which "
                             "Loghaven does not have")
        else:
            raise ValueError(f"!{{{namespace}:{value}}} is not a valid expression: the "
                             "namespaces are timestamp and firehose (random-string, "
                             "error-output-type)")
        used.add(f"{namespace}:{value}" if namespace == "firehose" else namespace)
        position = match.end()
    if "!{" in prefix[position:]:
        raise ValueError("The sequence !{ can only appear in !{namespace:value} expressions")
    parts.append(prefix[position:])
    names.append("")
    return Prefix(tuple(parts), tuple(names)), used
