"""ES date formats by name or pattern (``DateFormat``, ``get_format``) and dynamic date detection."""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable, Iterable
from typing import Protocol

from loghaven.engine.dates.locales import ROOT
from loghaven.engine.dates.parsers import (
    _ISO_PRINT,
    _compiled,
    _EpochMillisParser,
    _EpochSecondParser,
    _IsoParser,
    _print_epoch_millis,
    _print_epoch_second,
    _print_iso,
)
from loghaven.engine.dates.zones import Zone, get_zone

DEFAULT = "strict_date_optional_time||epoch_millis"
"""The format of a ``date`` field that names none."""

DYNAMIC_DATE_FORMATS: tuple[str, ...] = (
    "strict_date_optional_time",
    "yyyy/MM/dd HH:mm:ss||yyyy/MM/dd||epoch_millis",
)
"""ES's default ``dynamic_date_formats``. The docs print the second one as
``yyyy/MM/dd HH:mm:ss Z||yyyy/MM/dd Z``; the code (``RootObjectMapper``) uses this form, and
it is the ``format`` a dynamically detected field gets in its mapping."""


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


_Formatter = Callable[[int, "Zone | None"], str]


def _single_format(name: str, locale: str) -> tuple[list[_Parser], _Formatter]:
    """Parsers and printer of one ``||`` alternative: a named format or a pattern (its text
    fields in ``locale``'s words)."""
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
    compiled = _compiled(name, False, locale)
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
    the first one prints. Month and day names are ``locale``'s (a :func:`parse_locale` key;
    ROOT, English, by default)."""

    __slots__ = ("_parsers", "_printer", "names", "pattern")

    def __init__(self, fmt: str, locale: str = ROOT) -> None:
        if not isinstance(fmt, str) or not fmt.strip():
            raise ValueError("No date pattern provided")
        self.pattern = fmt
        self.names = tuple(part.strip() for part in fmt.split("||"))
        if not all(self.names):
            raise ValueError("No date pattern provided")
        compiled = [_single_format(name, locale) for name in self.names]
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
def get_format(fmt: str, locale: str = ROOT) -> DateFormat:
    """The compiled ``DateFormat`` for ``fmt`` in ``locale``; ValueError with the reason if
    it is invalid."""
    return DateFormat(fmt, locale)


def get_pattern(pattern: str, locale: str = ROOT) -> Callable[[int], str]:
    """The printer (epoch millis → UTC text) of one java.time pattern as
    ``DateTimeFormatter.ofPattern`` reads it, with no ES named formats and no ``||``
    alternatives: for patterns that are not an ES ``format`` (Firehose's ``!{timestamp:...}``
    prefixes, streams/prefixes.py). ValueError with java.time's reason if it is invalid."""
    compiled = _compiled(pattern, False, locale)
    return lambda millis: compiled.format(millis, None)


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
