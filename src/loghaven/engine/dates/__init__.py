"""Elasticsearch date handling: formats, date math, time zones and calendar rounding.

Dates are int epoch milliseconds (UTC) everywhere in Loghaven. This package turns ES date
strings into those integers and back, following Elasticsearch/OpenSearch's java.time based
behaviour (``DateFormatters``, ``JavaDateMathParser``, ``EpochTime``) closely enough that
mappings, range queries, date math index names and ``key_as_string`` values written for ES
behave the same here.

Only the standard library is used, and babel's CLDR data for month and day names in
languages other than English. Parsing sits on the ingest hot path, so the ES default
``strict_date_optional_time`` has a hand-written fast path; other patterns compile once to a
regular expression (see ``get_format``).
"""

from __future__ import annotations

from loghaven.engine.dates.date_math import calendar_floor, calendar_next, parse_date_math
from loghaven.engine.dates.durations import parse_duration_ms
from loghaven.engine.dates.formats import (
    DEFAULT,
    DYNAMIC_DATE_FORMATS,
    DateFormat,
    detect_date_format,
    get_format,
    get_pattern,
    is_date_string,
)
from loghaven.engine.dates.locales import ROOT, language_tag_key, parse_locale
from loghaven.engine.dates.zones import get_zone, utc_offset_ms

__all__ = [
    "DEFAULT",
    "DYNAMIC_DATE_FORMATS",
    "ROOT",
    "DateFormat",
    "calendar_floor",
    "calendar_next",
    "detect_date_format",
    "get_format",
    "get_pattern",
    "get_zone",
    "is_date_string",
    "language_tag_key",
    "parse_date_math",
    "parse_duration_ms",
    "parse_locale",
    "utc_offset_ms",
]
