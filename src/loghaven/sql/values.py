"""Value conversions between the indices, DuckDB and the SQL plugin's answers.

Documents hold what was indexed (a date as epoch millis or an ISO string, an array where
one value was expected); DuckDB columns are typed from the mapping; answers are JSON-ready
with timestamps as ``yyyy-MM-dd HH:mm:ss[.SSS]`` in UTC, as the plugin writes them.
"""

from __future__ import annotations

import datetime as dt
import decimal
import uuid
from typing import Any

import orjson

from loghaven.engine.dates import DEFAULT, get_format
from loghaven.sql.schema import OBJECT_TYPES

#: DuckDB column type of a mapping type (everything else is VARCHAR; objects hold JSON).
_DUCK_TYPES = {"long": "BIGINT", "integer": "BIGINT", "short": "BIGINT", "byte": "BIGINT",
               "unsigned_long": "BIGINT", "double": "DOUBLE", "float": "DOUBLE",
               "half_float": "DOUBLE", "scaled_float": "DOUBLE", "date": "TIMESTAMP",
               "date_nanos": "TIMESTAMP", "boolean": "BOOLEAN"}

#: The SQL plugin's type of a DuckDB result type (by its name's first word).
_PLUGIN_TYPES = {"BIGINT": "long", "HUGEINT": "long", "UBIGINT": "long", "INTEGER": "integer",
                 "SMALLINT": "integer", "TINYINT": "integer", "UINTEGER": "long",
                 "DOUBLE": "double", "FLOAT": "float", "DECIMAL": "double",
                 "VARCHAR": "keyword", "BOOLEAN": "boolean", "TIMESTAMP": "timestamp",
                 "TIMESTAMP WITH TIME ZONE": "timestamp", "DATE": "date", "TIME": "time",
                 "INTERVAL": "keyword", "JSON": "object", "UUID": "keyword"}

_EPOCH = dt.datetime(1970, 1, 1)


def duck_type(es_type: str) -> str:
    return _DUCK_TYPES.get(es_type, "VARCHAR")


def plugin_type(duck: str) -> str:
    """The ``schema[].type`` of a computed column of DuckDB type ``duck``."""
    if duck.endswith("[]"):
        return "array"
    if duck.startswith("STRUCT") or duck.startswith("MAP"):
        return "object"
    return _PLUGIN_TYPES.get(duck.split("(")[0], "undefined")


def millis_of(value: Any) -> int | None:
    """Epoch millis of a stored date (millis number or a ``strict_date_optional_time``
    string); None when it is no date."""
    if isinstance(value, bool) or value is None:
        return None
    try:
        return get_format(DEFAULT).parse(value)
    except ValueError:
        return None


def timestamp_of(millis: int) -> dt.datetime:
    return _EPOCH + dt.timedelta(milliseconds=millis)


def to_duck(value: Any, es_type: str) -> Any:
    """A document value as the DuckDB column of ``es_type`` holds it: arrays give their
    first value (as OpenSearch's SQL does), objects their JSON text."""
    if isinstance(value, list):
        value = value[0] if value else None
    if value is None:
        return None
    column = duck_type(es_type)
    if column == "TIMESTAMP":
        millis = millis_of(value)
        return None if millis is None else timestamp_of(millis)
    if column == "BIGINT":
        return _number(value, int)
    if column == "DOUBLE":
        return _number(value, float)
    if column == "BOOLEAN":
        return value if isinstance(value, bool) else str(value).lower() == "true"
    return value if isinstance(value, str) else orjson.dumps(value).decode()


def _number(value: Any, kind: type) -> Any:
    try:
        return kind(float(value)) if kind is int else kind(value)
    except (TypeError, ValueError):
        return None


def to_answer(value: Any) -> Any:
    """A DuckDB or document value as the plugin's answers hold it."""
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.UTC).replace(tzinfo=None)
        text = value.strftime("%Y-%m-%d %H:%M:%S")
        return text + f".{value.microsecond // 1000:03d}" if value.microsecond else text
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):
        return value.strftime("%H:%M:%S")
    if isinstance(value, dt.timedelta):
        return str(value)
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, float) and value != value:
        return None
    return value


def document_value(source: dict[str, Any], path: str) -> Any:
    """The value at dotted ``path`` of a document (``a.b`` as ``{"a": {"b": ..}}`` or a
    literal ``"a.b"`` key)."""
    if path in source:
        return source[path]
    head, _, rest = path.partition(".")
    while rest:
        value = source.get(head)
        if isinstance(value, dict):
            found = document_value(value, rest)
            if found is not None:
                return found
        elif isinstance(value, list) and value and isinstance(value[0], dict):
            found = document_value(value[0], rest)
            if found is not None:
                return found
        part, _, rest = rest.partition(".")
        head = f"{head}.{part}"
    return source.get(head)


def hit_value(value: Any, es_type: str) -> Any:
    """A document value as a straight-from-the-hits answer holds it: dates in the plugin's
    timestamp text, arrays by their first value."""
    if isinstance(value, list) and es_type not in OBJECT_TYPES:
        value = value[0] if value else None
    if value is None:
        return None
    if duck_type(es_type) == "TIMESTAMP":
        millis = millis_of(value)
        return None if millis is None else to_answer(timestamp_of(millis))
    return value
