"""Java's text conversions, as Elasticsearch's ingest processors inherit them.

ES processors turn values into text with ``toString`` (``scripting/java_text.py``, shared
with Painless), parse numbers with ``Integer.parseInt``/``Float.parseFloat``, split with
``String.split`` (trailing empty strings dropped) and replace with ``Matcher.replaceAll``
(``$1`` group references).
Users see the results in their documents and the failures in ``on_failure`` messages, so
Loghaven reproduces these rules here, once, for every processor that needs them.
"""

from __future__ import annotations

import math
import re
import struct

import regex

from loghaven.errors import IllegalArgument

_INT_RANGES = {"int": (-2**31, 2**31 - 1), "long": (-2**63, 2**63 - 1)}
_INTEGER = re.compile(r"[+-]?[0-9]+")
#: What Double.parseDouble accepts once trimmed (FloatingDecimal's grammar, hex floats aside).
_DOUBLE = re.compile(r"[+-]?(?:NaN|Infinity|(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?"
                     r"[fFdD]?)")
#: Characters that make a one-character ``String.split`` separator a regular expression.
_REGEX_META = ".$|()[{^?*+\\"


class NumberFormat(IllegalArgument):
    """Java's NumberFormatException (an IllegalArgumentException, 400)."""

    type = "number_format_exception"


def parse_int(text: str, kind: str = "int") -> int:
    """``Integer.parseInt`` (``kind`` "int") or ``Long.parseLong`` ("long")."""
    low, high = _INT_RANGES[kind]
    if _INTEGER.fullmatch(text):
        number = int(text)
        if low <= number <= high:
            return number
    raise NumberFormat(f'For input string: "{text}"')


def parse_double(text: str) -> float:
    """``Double.parseDouble``: surrounding control characters and spaces are ignored."""
    trimmed = text.strip("".join(chr(c) for c in range(33)))
    if not trimmed:
        raise NumberFormat("empty String")
    if not _DOUBLE.fullmatch(trimmed):
        raise NumberFormat(f'For input string: "{text}"')
    return float(trimmed.rstrip("fFdD"))


def to_float32(value: float) -> float:
    """The float ``Float.parseFloat`` would give, as the shortest double that prints it
    (Java writes ``3.1415927``, not ``3.1415927410125732``)."""
    try:
        single = struct.unpack("f", struct.pack("f", value))[0]
    except OverflowError:
        return math.copysign(math.inf, value)
    if math.isinf(single) or math.isnan(single):
        return single
    for digits in range(1, 10):
        candidate = float(f"{single:.{digits}g}")
        if struct.unpack("f", struct.pack("f", candidate))[0] == single:
            return candidate
    return single


def parse_number(text: str, kind: str) -> int | float:
    """``text`` as Java's ``int``, ``long``, ``float`` or ``double`` (NumberFormat if not)."""
    if kind in _INT_RANGES:
        return parse_int(text, kind)
    number = parse_double(text)
    return to_float32(number) if kind == "float" else number


def compile_regex(pattern: str) -> regex.Pattern[str]:
    """A Java regular expression (Pattern.compile); the ``regex`` package reads Java's
    syntax (possessive quantifiers, ``\\p{L}``, ``(?<name>...)``)."""
    try:
        return regex.compile(pattern, regex.VERSION0)
    except regex.error as error:
        raise IllegalArgument(f"{error} near index {error.pos}\n{pattern}") from None


def split(text: str, separator: str | regex.Pattern[str], limit: int = 0) -> list[str]:
    """``String.split(separator, limit)``: a zero-width match at the start makes no empty
    first item; limit 0 drops trailing empty strings, a negative limit keeps them."""
    if isinstance(separator, str) and (
            (len(separator) == 1 and separator not in _REGEX_META)
            or (len(separator) == 2 and separator[0] == "\\"
                and not separator[1].isalnum())):
        literal = separator[-1]
        parts = text.split(literal, limit - 1) if limit > 0 else text.split(literal)
    else:
        pattern = compile_regex(separator) if isinstance(separator, str) else separator
        parts = []
        start = 0
        for match in pattern.finditer(text):
            if limit > 0 and len(parts) == limit - 1:
                break
            if match.end() == 0:
                continue  # a zero-width match at the beginning
            if match.start() == match.end() and match.start() >= len(text):
                break
            parts.append(text[start:match.start()])
            start = match.end()
        if not parts:
            return [text]
        parts.append(text[start:])
    if limit == 0:
        while len(parts) > 1 and parts[-1] == "":
            parts.pop()
        if parts == [""] and text:
            return []
    return parts


def replacement_template(replacement: str, groups: int) -> str:
    """A ``Matcher.replaceAll`` replacement (``$1``, ``${name}``, ``\\$``) as a template for
    ``regex``'s ``sub`` (``\\g<1>``), refused with Java's messages."""
    out: list[str] = []
    i = 0
    while i < len(replacement):
        char = replacement[i]
        if char == "\\":
            i += 1
            if i == len(replacement):
                raise IllegalArgument("character to be escaped is missing")
            out.append(replacement[i].replace("\\", "\\\\"))
        elif char == "$":
            i += 1
            if i == len(replacement):
                raise IllegalArgument("Illegal group reference: group index is missing")
            if replacement[i] == "{":
                end = replacement.find("}", i)
                if end == -1:
                    raise IllegalArgument("named capturing group is missing trailing '}'")
                out.append(f"\\g<{replacement[i + 1:end]}>")
                i = end
            elif replacement[i].isdigit():
                number = int(replacement[i])
                while (i + 1 < len(replacement) and replacement[i + 1].isdigit()
                       and number * 10 + int(replacement[i + 1]) <= groups):
                    i += 1
                    number = number * 10 + int(replacement[i])
                if number > groups:
                    raise IllegalArgument(f"No group {number}")
                out.append(f"\\g<{number}>")
            else:
                raise IllegalArgument("Illegal group reference")
        else:
            out.append(char)
        i += 1
    return "".join(out)
