"""Parameter values (from the URL or a request body) parsed the way Elasticsearch parses them.

Shared by the API layer (URL parameters) and the search request parser (body options), which
must not import each other.
"""

from __future__ import annotations

from typing import Any

from loghaven.errors import IllegalArgument, ParsingError


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
    if isinstance(value, bool):
        raise ParsingError(f"[{name}] expects a number, got [{value}]")
    try:
        return int(value)
    except (TypeError, ValueError) as exc:
        raise IllegalArgument(f"Failed to parse int parameter [{name}] with value [{value}]") \
            from exc


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
