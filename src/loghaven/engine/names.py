"""Index names: ES validity rules, date-math names and wildcard expressions."""

from __future__ import annotations

import re
import time
import urllib.parse

from loghaven.engine.dates import get_format, parse_date_math
from loghaven.errors import InvalidIndexName

_FORBIDDEN = set('\\/*?"<>| ,#:')
_DATE_MATH = re.compile(r"\{([^{}]*(?:\{[^{}]*\}[^{}]*)?)\}")


def validate_index_name(name: str) -> None:
    """Raise ``invalid_index_name_exception`` with ES's wording for a name it would refuse."""
    def fail(why: str) -> None:
        raise InvalidIndexName(f"Invalid index name [{name}], {why}", index=name,
                               index_uuid="_na_")

    if not name:
        fail("must not be empty")
    if name != name.lower():
        fail("must be lowercase")
    bad = sorted(c for c in set(name) if c in _FORBIDDEN)
    if bad:
        fail("must not contain the following characters [ , \", *, \\, <, |, ,, >, /, ?, :, #]")
    if name[0] in "-_+":
        fail("must not start with '_', '-', or '+'")
    if name in (".", ".."):
        fail("must not be '.' or '..'")
    if len(name.encode()) > 255:
        fail("index name is too long, (" + str(len(name.encode())) + " > 255)")


def resolve_date_math(name: str, now_ms: int | None = None) -> str:
    """``<logs-{now/d}>`` → ``logs-2024.01.01`` (URL-encoded forms accepted)."""
    name = urllib.parse.unquote(name)
    if not (name.startswith("<") and name.endswith(">")):
        return name
    now = now_ms if now_ms is not None else int(time.time() * 1000)

    def render(match: re.Match[str]) -> str:
        expr = match.group(1)
        fmt = "yyyy.MM.dd"
        tz = None
        if "{" in expr:
            expr, _, rest = expr.partition("{")
            rest = rest.rstrip("}")
            fmt, _, tz_part = rest.partition("|")
            tz = tz_part or None
        millis = parse_date_math(expr, now, tz=tz)
        return get_format(fmt).format(millis, tz)

    return _DATE_MATH.sub(render, name[1:-1])


def is_pattern(expression: str) -> bool:
    return "*" in expression or "?" in expression
