"""Java's text rendering of values, which Painless scripts and Elasticsearch's ingest
processors both inherit (``String.valueOf``, ``Double.toString``): one copy for both."""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any


def java_str(value: Any, depth: int = 0) -> str:
    """``String.valueOf``: Java's rendering of a JSON value (``true``, ``1.0E7``, ``{a=1}``,
    ``[1, 2]``, ``null``)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return double_to_string(value)
    if depth > 20:
        return "..."
    if isinstance(value, list):
        return "[" + ", ".join(java_str(v, depth + 1) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{java_str(k, depth + 1)}={java_str(v, depth + 1)}"
                               for k, v in value.items()) + "}"
    return str(value)


def double_to_string(value: float) -> str:
    """``Double.toString``: plain notation in [1e-3, 1e7), else ``1.0E20``."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    if value == 0 or 1e-3 <= abs(value) < 1e7:
        return repr(value)
    sign, digits, exponent = Decimal(repr(value)).as_tuple()
    text = "".join(map(str, digits)).rstrip("0") or "0"
    power = len(digits) + int(exponent) - 1
    return f"{'-' if sign else ''}{text[0]}.{text[1:] or '0'}E{power}"
