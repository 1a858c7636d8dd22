"""Index names: ES validity rules, date-math names and wildcard expressions."""

from __future__ import annotations

import re
import time
import urllib.parse
from collections.abc import Callable
from typing import NoReturn

from loghaven.engine.dates import get_format, parse_date_math
from loghaven.errors import InvalidAliasName, InvalidIndexName

_FORBIDDEN = set('\\/*?"<>| ,')
_DATE_MATH = re.compile(r"\{([^{}]*(?:\{[^{}]*\}[^{}]*)?)\}")


def validate_index_name(name: str) -> None:
    """Raise ``invalid_index_name_exception`` with ES's wording for a name it would refuse."""
    def fail(why: str) -> NoReturn:
        raise InvalidIndexName(f"Invalid index name [{name}], {why}", index=name,
                               index_uuid="_na_")

    _check_name(name, fail)
    if name != name.lower():
        fail("must be lowercase")


def validate_alias_name(name: str) -> None:
    """Aliases follow index names' rules except case, as ES's ``AliasValidator`` has it."""
    def fail(why: str) -> NoReturn:
        raise InvalidAliasName(f"Invalid alias name [{name}]: {why}")

    _check_name(name, fail)


def _check_name(name: str, fail: Callable[[str], NoReturn]) -> None:
    """ES's ``validateIndexOrAliasName``: the rules index and alias names share."""
    if not name:
        fail("must not be empty")
    if any(c in _FORBIDDEN for c in name):
        fail("must not contain the following characters [ , \", *, \\, <, |, ,, >, /, ?]")
    if "#" in name:
        fail("must not contain '#'")
    if ":" in name:
        fail("must not contain ':'")
    if name[0] in "-_+":
        fail("must not start with '_', '-', or '+'")
    if name in (".", ".."):
        fail("must not be '.' or '..'")
    size = len(name.encode("utf-8", "surrogatepass"))
    if size > 255:
        fail(f"index name is too long, ({size} > 255)")


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
        # the date before ``||`` is read with the expression's own format, as ES's
        # DateMathExpressionResolver does (``{2016.04.26||/d{yyyy.MM.dd}}``)
        date_format = get_format(fmt)
        millis = parse_date_math(expr, now, fmt=date_format, tz=tz)
        return date_format.format(millis, tz)

    return _DATE_MATH.sub(render, name[1:-1])


def is_pattern(expression: str) -> bool:
    return "*" in expression or "?" in expression
