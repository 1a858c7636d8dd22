"""Index names: ES validity rules, date-math names and wildcard expressions."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import NoReturn

from loghaven.engine.dates import get_format, parse_date_math
from loghaven.errors import IllegalArgument, InvalidAliasName, InvalidIndexName, ParseFailure

_FORBIDDEN = set('\\/*?"<>| ,')


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
    """``<logs-{now/d}>`` → ``logs-2024.01.01``, read as ES's ``DateMathExpressionResolver``
    reads it: ``\\`` escapes ``{``, ``}`` and itself, ``{math{format|zone}}`` with the format
    ``uuuu.MM.dd`` and UTC by default, and ES's ``parse_exception`` for a malformed one. A name
    not between ``<`` and ``>`` is returned as it is."""
    if not (name.startswith("<") and name.endswith(">")):
        return name
    now = now_ms if now_ms is not None else int(time.time() * 1000)
    shown = name[1:]  # ES's messages quote the expression without its ``<``
    out: list[str] = []
    placeholder: list[str] = []
    escape = in_placeholder = in_format = False
    for position in range(1, len(name) - 1):
        char = name[position]
        escaped, escape = escape, False
        if char == "\\":
            if escaped:
                out.append(char)
            else:
                escape = True
            continue
        if not in_placeholder:
            if char == "{" and not escaped:
                in_placeholder = True
            elif char == "}" and not escaped:
                raise ParseFailure(
                    f"invalid dynamic name expression [{shown}]. invalid character at position "
                    f"[{position}]. `{{` and `}}` are reserved characters and should be escaped "
                    f"when used as part of the index name using `\\` (e.g. `\\{{text\\}}`)")
            else:
                out.append(char)
        elif char == "{" and not (in_format and escaped):
            if in_format:
                raise ParseFailure(f"invalid dynamic name expression [{shown}]. invalid "
                                   f"character in placeholder at position [{position}]")
            in_format = True
            placeholder.append(char)
        elif char == "}" and not (in_format and escaped) and not in_format:
            out.append(_render("".join(placeholder), now))
            placeholder = []
            in_placeholder = False
        else:
            if char == "}" and in_format and not escaped:
                in_format = False
            placeholder.append(char)
    if in_placeholder:
        raise ParseFailure(f"invalid dynamic name expression [{shown}]. date math placeholder "
                           f"is open ended")
    if not out:
        raise ParseFailure("nothing captured")
    return "".join(out)


def _render(placeholder: str, now: int) -> str:
    """One ``{math}`` or ``{math{format|zone}}`` placeholder, resolved and printed."""
    math_expression, brace, rest = placeholder.partition("{")
    pattern, zone = "uuuu.MM.dd", None
    if brace:
        if not rest.endswith("}"):
            raise ParseFailure(f"invalid dynamic name expression [{placeholder}]. missing "
                               f"closing `}}` for date math format")
        if rest == "}":
            raise ParseFailure(f"invalid dynamic name expression [{placeholder}]. missing date "
                               f"format")
        pattern, bar, zone_part = rest[:-1].partition("|")
        zone = zone_part if bar else None
    try:
        date_format = get_format(pattern)
    except ValueError as exc:
        raise IllegalArgument(str(exc)) from None
    try:  # the date before ``||`` is read with the placeholder's own format, as in ES
        millis = parse_date_math(math_expression, now, fmt=date_format, tz=zone)
    except ValueError as exc:
        raise ParseFailure(str(exc)) from None
    return date_format.format(millis, zone)


def is_pattern(expression: str) -> bool:
    return "*" in expression or "?" in expression
