"""Parameter values (from the URL or a request body) parsed the way Elasticsearch parses them.

Shared by the API layer (URL parameters) and the search request parser (body options), which
must not import each other.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Mapping
from typing import Any

from loghaven.errors import IllegalArgument, ParseFailure, ParsingError, XContentParse
from loghaven.ingest import java

#: Java's ``long``: every integer Elasticsearch reads (sizes, versions, seq_nos, long fields).
LONG_MIN = -(2**63)
LONG_MAX = 2**63 - 1


def parse_bool(value: Any, name: str) -> bool:
    """``true``/``false`` (an empty value, as in ``?pretty``, means true)."""
    if isinstance(value, bool):
        return value
    if value in ("", "true"):
        return True
    if value == "false":
        return False
    raise IllegalArgument(f"Failed to parse value [{value}] as only [true] or [false] are "
                          f"allowed for [{name}].")


def parse_int(value: Any, name: str) -> int:
    """An integer parameter; beyond Java's ``long`` it fails as Java's parser does."""
    if isinstance(value, bool):
        raise ParsingError(f"[{name}] expects a number, got [{value}]")
    if isinstance(value, float) and not value.is_integer():
        raise IllegalArgument(f"Failed to parse int parameter [{name}] with value [{value}]")
    try:
        number = int(value)
    except (TypeError, ValueError, OverflowError) as exc:
        raise IllegalArgument(f"Failed to parse int parameter [{name}] with value [{value}]") \
            from exc
    if not LONG_MIN <= number <= LONG_MAX:
        raise IllegalArgument(f"Value [{value}] is out of range for a long, in parameter "
                              f"[{name}]")
    return number


def param_bool(params: Mapping[str, str], name: str, default: bool = False) -> bool:
    """A boolean URL parameter, ``default`` when absent."""
    value = params.get(name)
    return default if value is None else parse_bool(value, name)


def param_int(params: Mapping[str, str], name: str, default: Any = None) -> Any:
    """An integer URL parameter, ``default`` when absent or empty."""
    value = params.get(name)
    return default if value is None or value == "" else parse_int(value, name)


def token_name(value: Any) -> str:
    """The Jackson token a JSON value starts with, as ES names it in parse errors."""
    if isinstance(value, str):
        return "VALUE_STRING"
    if isinstance(value, bool):
        return "VALUE_BOOLEAN"
    if isinstance(value, (int, float)):
        return "VALUE_NUMBER"
    if isinstance(value, list):
        return "START_ARRAY"
    if value is None:
        return "VALUE_NULL"
    return "START_OBJECT"


def expect_object(value: Any, field: str, owner: str) -> dict[str, Any]:
    """``value`` if it is a JSON object, else ES's object-parser error for ``owner.field``."""
    if not isinstance(value, dict):
        raise _wrong_type(value, field, owner)
    return value


def expect_list(value: Any, field: str, owner: str) -> list[Any]:
    if not isinstance(value, list):
        raise _wrong_type(value, field, owner)
    return value


def expect_string(value: Any, field: str, owner: str) -> str:
    """A string; numbers and booleans are read as text, as Jackson's ``text()`` does."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    raise _wrong_type(value, field, owner)


def token_object(value: Any, field: str | None = None) -> dict[str, Any]:
    """``value`` if it is an object, else the error of ``ensureExpectedToken`` in
    OpenSearch's Kotlin plugins (ISM, alerting)."""
    return _expect_token(value, dict, "START_OBJECT", field)


def token_array(value: Any, field: str | None = None) -> list[Any]:
    return _expect_token(value, list, "START_ARRAY", field)


def _expect_token(value: Any, kind: type, token: str, field: str | None) -> Any:
    if not isinstance(value, kind):
        raise ParsingError(f"Failed to parse object: expecting token of type [{token}] but "
                           f"found [{token_name(value)}]", field=field)
    return value


def _wrong_type(value: Any, field: str, owner: str) -> XContentParse:
    return XContentParse(f"[{owner}] {field} doesn't support values of type: "
                         f"{token_name(value)}")


def param_sort_desc(params: Mapping[str, str], key: str) -> bool:
    """Whether a plugin list API's sort order parameter (``asc`` by default) is ``desc``,
    refused as OpenSearch's ``SortOrder.fromString`` refuses another word."""
    order = params.get(key) or "asc"
    if order.lower() not in ("asc", "desc"):
        raise IllegalArgument(f"No enum constant org.opensearch.search.sort.SortOrder."
                              f"{order.upper()}")
    return order.lower() == "desc"


def param_page(params: Mapping[str, str], default_size: int) -> tuple[int, int]:
    """A plugin list API's ``from`` and ``size`` (ISM's and SM's ``getSearchParams``)."""
    start = param_int(params, "from", 0)
    size = param_int(params, "size", default_size)
    if start < 0:
        raise IllegalArgument(f"[from] parameter cannot be negative, found [{start}]")
    if size < 0:
        raise IllegalArgument(f"[size] parameter cannot be negative, found [{size}]")
    return start, size


def matches_query_string(query: str, value: str) -> bool:
    """A plugin list API's ``queryString`` over one keyword (a policy's name): every term,
    with ``*``/``?`` wildcards, matches."""
    terms = [t for t in query.split() if t.upper() != "AND"]
    return all(fnmatch.fnmatchcase(value, t.strip('"')) for t in terms)


def parse_int_setting(key: str, value: Any, minimum: int) -> int:
    """An integer setting's value (``"5"`` or ``5``), refused with ES's ``Setting`` messages
    when it is not an integer or is below ``minimum``."""
    try:
        if isinstance(value, (bool, float)):
            raise ValueError
        number = int(str(value).strip())
    except (TypeError, ValueError):
        raise IllegalArgument(f"Failed to parse value [{value}] for setting [{key}]") from None
    if number < minimum:
        raise IllegalArgument(f"Failed to parse value [{value}] for setting [{key}] must be "
                              f">= {minimum}")
    return number


_BYTE_UNITS = (("kb", 1 << 10), ("k", 1 << 10), ("mb", 1 << 20), ("m", 1 << 20),
               ("gb", 1 << 30), ("g", 1 << 30), ("tb", 1 << 40), ("t", 1 << 40),
               ("pb", 1 << 50), ("p", 1 << 50))
_LONG = re.compile(r"[+-]?[0-9]+")


def parse_byte_size(text: str, setting: str) -> int:
    """``ByteSizeValue.parseBytesSizeValue``: ``1kb``, ``1.5m``, ``512b``, ``-1``, ``0``; one
    parser for settings, the server's configuration and the ``bytes`` processor."""
    lower = text.lower().strip()
    for suffix, factor in _BYTE_UNITS:
        if lower.endswith(suffix):
            number = lower[:-len(suffix)].strip()
            if _LONG.fullmatch(number):
                return int(number) * factor
            try:
                return int(java.parse_double(number) * factor)
            except java.NumberFormat:
                raise ParseFailure(f"failed to parse [{text}]") from None
    if lower.endswith("b"):
        number = lower[:-1].strip()
        if _LONG.fullmatch(number):
            return int(number)
        raise ParseFailure(f"failed to parse [{text}]")
    if lower in ("-1", "0"):
        return int(lower)
    raise ParseFailure(f"failed to parse setting [{setting}] with value [{text}] as a size in "
                       f"bytes: unit is missing or unrecognized")
