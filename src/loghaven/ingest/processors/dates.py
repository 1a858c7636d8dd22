"""The ``date`` and ``date_index_name`` processors (ES ``ingest-common``).

Both read a date with ES's ingest date formats: ``ISO8601``, ``UNIX`` (seconds, with a
fraction), ``UNIX_MS``, ``TAI64N``, or any java.time pattern or named format, which goes to
:mod:`loghaven.engine.dates` (the parser the mappings and range queries use). A pattern
without a year takes the current year, as ES's ingest ``DateFormat.Java`` does (syslog's
``MMM dd HH:mm:ss``). ``timezone`` and ``locale`` may be Mustache templates (``{{tz}}``),
rendered against the document as ES renders them. ``locale`` (ROOT, English, by default)
gives the words of month and day names, am/pm markers and eras, CLDR's as java.time's; an
unknown language or country fails the document with ``unable to parse date``, as in ES.
"""

from __future__ import annotations

import functools
import math
import re
import time
from collections.abc import Callable

import chevron

from loghaven.engine.dates import (
    ROOT,
    DateFormat,
    get_format,
    get_zone,
    language_tag_key,
    parse_locale,
)
from loghaven.errors import IllegalArgument
from loghaven.ingest.pipeline.document import IngestDocument
from loghaven.ingest.pipeline.processor import Processor, ProcessorConfig, processor_type
from loghaven.scripting.java_text import java_str

DEFAULT_OUTPUT_FORMAT = "yyyy-MM-dd'T'HH:mm:ss.SSSXXX"
DEFAULT_INDEX_DATE_FORMAT = "yyyy-MM-dd'T'HH:mm:ss.SSSXX"

#: ``(text, zone, locale) -> epoch millis``; raises ValueError when the text does not fit.
DateParser = Callable[[str, str, str], int]

_LONG_RE = re.compile(r"[+-]?\d+")
_DOUBLE_RE = re.compile(r"\s*[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?[dDfF]?\s*")
_QUOTED_RE = re.compile(r"'[^']*'")
_NAMED_FORMAT_RE = re.compile(r"[a-z0-9_]+")


def _unix(text: str, zone: str, locale: str) -> int:
    """``UNIX``: seconds as Java's Double.parseDouble reads them, truncated to millis."""
    if not _DOUBLE_RE.fullmatch(text):
        raise ValueError(f"For input string: \"{text}\"")
    seconds = float(text.strip().rstrip("dDfF"))
    if not math.isfinite(seconds):
        raise ValueError(f"For input string: \"{text}\"")
    return int(seconds * 1000.0)


def _unix_ms(text: str, zone: str, locale: str) -> int:
    if not _LONG_RE.fullmatch(text):
        raise ValueError(f"For input string: \"{text}\"")
    return int(text)


def _tai64n(text: str, zone: str, locale: str) -> int:
    """``TAI64N`` (``@4000000050d506482dbdf024``) with ES's arithmetic, 10 s offset included."""
    if text.startswith("@"):
        text = text[1:]
    base = int(text[1:16], 16)
    rest = int(text[16:24], 16)
    return base * 1000 - 10000 + rest // 1_000_000


def _without_year(pattern: str) -> bool:
    """Whether a java.time pattern names no year (``y``, ``u`` or week-based ``Y``)."""
    if "||" in pattern or _NAMED_FORMAT_RE.fullmatch(pattern):
        return False
    letters = _QUOTED_RE.sub("", pattern)
    return not any(c in letters for c in "yuY")


def _java(pattern: str) -> DateParser:
    """A java.time pattern or named format (ES 6's ``8`` prefix is dropped); compiled here
    in ROOT so that an invalid one is known, and per locale when first parsed in it."""
    if pattern.startswith("8") and len(pattern) > 1:
        pattern = pattern[1:]
    if _without_year(pattern):
        # ES fills in the current UTC year and keeps the parsed fields in the zone.
        with_year = "uuuu " + pattern
        get_format(with_year)

        def parse_current_year(text: str, zone: str, locale: str) -> int:
            year = time.gmtime().tm_year
            return get_format(with_year, locale).parse(f"{year} {text}", zone)

        return parse_current_year
    get_format(pattern)
    return lambda text, zone, locale: get_format(pattern, locale).parse(text, zone)


def _iso8601(text: str, zone: str, locale: str) -> int:
    return get_format("iso8601").parse(text, zone)


@functools.lru_cache(maxsize=256)
def date_parser(fmt: str) -> DateParser:
    """The parser of one ingest date format; ValueError if a pattern is invalid."""
    fixed = {"ISO8601": _iso8601, "UNIX": _unix, "UNIX_MS": _unix_ms, "TAI64N": _tai64n}
    return fixed.get(fmt) or _java(fmt)


def render(template: str, document: IngestDocument) -> str:
    """A ``{{field}}`` template against the document (ES's ``TemplateScript``); plain text
    is returned as it is."""
    if "{{" not in template:
        return template
    return chevron.render(template, {**document.fields, "_ingest": document.ingest})


def unparsable(value: str) -> IllegalArgument:
    """ES's error when no format fits (or the zone or locale is unknown: ES resolves them
    inside each parser)."""
    return IllegalArgument(f"unable to parse date [{value}]")


def parse_first(value: str, parsers: list[DateParser], zone: str, locale: str = ROOT) -> int:
    """Try each parser in order, with month and day names in ``locale`` (a key)."""
    for parser in parsers:
        try:
            get_zone(zone)
            return parser(value, zone, locale)
        except (ValueError, IndexError):
            continue
    raise unparsable(value)


def _never(error: ValueError) -> DateParser:
    def fail(text: str, zone: str, locale: str) -> int:
        raise error
    return fail


def _compile_formats(formats: list[str], *, lazy: bool) -> list[DateParser]:
    """The parsers of ``formats``. ``date`` compiles a format when it first parses (so an
    invalid one fails each document with ``unable to parse date``); ``date_index_name``
    refuses it up front with java.time's message, as ES does."""
    parsers = []
    for fmt in formats:
        try:
            parsers.append(date_parser(fmt))
        except ValueError as error:
            if not lazy:
                raise IllegalArgument(f"Invalid format: [{fmt}]: {error}") from None
            parsers.append(_never(error))
    return parsers


@processor_type("date")
class DateProcessor(Processor):
    """Parse ``field`` with the first of ``formats`` that fits and write it to
    ``target_field`` in ``output_format``, in ``timezone``."""

    type = "date"

    def __init__(self, config: ProcessorConfig) -> None:
        super().__init__(config.tag)
        self.field: str = config.string("field")
        self.target_field: str = config.string("target_field", "@timestamp")
        self.timezone: str | None = config.string("timezone", None)
        self.locale: str | None = config.string("locale", None)
        self.formats: list[str] = config.strings("formats")
        self.output_format: str = config.string("output_format", DEFAULT_OUTPUT_FORMAT)
        try:
            self.formatter: DateFormat = get_format(self.output_format)
        except ValueError:
            raise IllegalArgument(f"invalid output format [{self.output_format}]") from None
        self.parsers = _compile_formats(self.formats, lazy=True)
        config.finish()

    def execute(self, document: IngestDocument) -> IngestDocument:
        value = java_str(document.get(self.field))
        zone = "UTC" if self.timezone is None else render(self.timezone, document)
        try:
            locale = ROOT if self.locale is None else parse_locale(render(self.locale, document))
        except ValueError:
            raise unparsable(value) from None
        millis = parse_first(value, self.parsers, zone, locale)
        document.set(self.target_field, self.formatter.format(millis, zone))
        return document


@processor_type("date_index_name")
class DateIndexNameProcessor(Processor):
    """Point ``_index`` at a date math index name built from the document's date, so that
    the write goes to ``<prefix{date||/rounding{format|zone}}>``'s index."""

    type = "date_index_name"

    def __init__(self, config: ProcessorConfig) -> None:
        super().__init__(config.tag)
        locale = config.string("locale", None)
        timezone = config.string("timezone", None)
        try:
            get_zone(timezone or "UTC")
        except ValueError as error:
            raise IllegalArgument(str(error)) from None
        # ES prints the zone's id, and "UTC" for the zero offset (not "Z"), as 6.x did; a
        # region such as "GMT" or "Etc/UTC" keeps its name.
        zero_offset = timezone is not None and timezone[:1] in ("Z", "+", "-") and \
            get_zone(timezone) == 0
        self.zone = "UTC" if timezone is None or zero_offset else timezone
        if locale is not None and not re.fullmatch(r"[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*", locale):
            raise IllegalArgument(f"Invalid language tag specified: {locale}")
        # ES reads it as a BCP 47 tag (Locale.Builder), validating only its shape.
        self.locale = ROOT if locale is None else language_tag_key(locale)
        formats = config.strings("date_formats", [DEFAULT_INDEX_DATE_FORMAT])
        self.parsers = _compile_formats(formats, lazy=False)
        self.field: str = config.string("field")
        self.prefix: str = config.string("index_name_prefix", "")
        self.rounding: str = config.string("date_rounding")
        self.index_name_format: str = config.string("index_name_format", "yyyy-MM-dd")
        config.finish()

    def execute(self, document: IngestDocument) -> IngestDocument:
        value = java_str(document.get(self.field))
        millis = parse_first(value, self.parsers, self.zone, self.locale)
        prefix = render(self.prefix, document)
        name_format = render(self.index_name_format, document)
        rounding = render(self.rounding, document)
        try:
            formatted = get_format(name_format).format(millis, self.zone)
        except ValueError as error:
            raise IllegalArgument(str(error)) from None
        document.set("_index", f"<{prefix}{{{formatted}||/{rounding}"
                               f"{{{name_format}|{self.zone}}}}}>")
        return document
