"""Reading clause bodies as Elasticsearch does: shapes, option values and their errors."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from loghaven.errors import ParsingError
from loghaven.params import token_name


def single(clause: Any, context: str = "query") -> tuple[str, Any]:
    """The one ``{name: body}`` pair of a clause object, as ES insists."""
    if not isinstance(clause, dict):
        raise ParsingError(f"[{context}] query malformed, no start_object after query name")
    if len(clause) != 1:
        if not clause:
            raise ParsingError(f"query malformed, empty clause found in [{context}]")
        first, second = list(clause)[:2]
        raise ParsingError(f"[{first}] malformed query, expected [END_OBJECT] but found "
                           f"[FIELD_NAME] [{second}]")
    (name, body), = clause.items()
    return name, body


def field_body(name: str, body: Any, value_key: str = "value") -> tuple[str, dict[str, Any]]:
    """``{field: value}`` or ``{field: {value_key: value, ...}}`` → (field, options)."""
    if not isinstance(body, dict):
        raise ParsingError(f"[{name}] query malformed, no start_object after query name")
    fields = [k for k in body if k not in ("boost", "_name")]
    if len(fields) != 1:
        if not fields:
            raise ParsingError(f"[{name}] query does not have a field")
        raise ParsingError(f"[{name}] query doesn't support multiple fields, found "
                           f"[{fields[0]}] and [{fields[1]}]")
    field = fields[0]
    spec = body[field]
    opts = dict(spec) if isinstance(spec, dict) else {value_key: spec}
    if "boost" in body:
        opts.setdefault("boost", body["boost"])
    return field, opts


def check_keys(name: str, opts: dict[str, Any], allowed: Iterable[str]) -> None:
    allowed_set = set(allowed) | {"boost", "_name"}
    for key in opts:
        if key not in allowed_set:
            raise ParsingError(f"[{name}] query does not support [{key}]")


def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def text_option(name: str, key: str, value: Any) -> str:
    """A clause option that ES reads as text (``parser.text()``): a string, number or boolean."""
    if isinstance(value, (dict, list)) or value is None:
        raise ParsingError(f"[{name}] unknown token [{token_name(value)}] after [{key}]")
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def text_options(name: str, key: str, value: Any) -> list[str]:
    """An option ES reads as a string or an array of them (``fields``, ``values``)."""
    return [text_option(name, key, item) for item in as_list(value)]


def bool_flag(value: Any, name: str) -> bool:
    if isinstance(value, bool):
        return value
    if value in ("true", "false"):
        return value == "true"
    raise ParsingError(f"[{name}] failed to parse value [{value}] as only [true] or [false] "
                       f"are allowed.")


def minimum_should_match(spec: Any, clauses: int) -> int:
    """ES's ``minimum_should_match``: ``2``, ``-1``, ``75%``, ``-25%``, ``3<90%``, ``2<-25% 9<-3``."""
    text = text_option("minimum_should_match", "minimum_should_match", spec).strip()
    if "<" in text:
        chosen = None
        for part in text.split():
            threshold, _, rule = part.partition("<")
            if clauses > int(threshold):
                chosen = rule
        if chosen is None:
            return clauses
        text = chosen
    try:
        if text.endswith("%"):
            percent = float(text[:-1])
            value = int(clauses * abs(percent) / 100)
            result = clauses - value if percent < 0 else value
        else:
            number = int(text)
            result = clauses + number if number < 0 else number
    except ValueError as exc:
        raise ParsingError(f"failed to parse minimum_should_match [{spec}]") from exc
    return max(result, 0)


def edit_distance(fuzziness: Any, term: str) -> int:
    """ES ``fuzziness``: ``AUTO`` (by term length, ``AUTO:3,6``), or 0, 1, 2."""
    text = str(fuzziness).upper()
    if text.startswith("AUTO"):
        low, high = 3, 6
        if ":" in text:
            low_s, _, high_s = text[5:].partition(",")
            low, high = int(low_s), int(high_s)
        size = len(term)
        return 0 if size < low else 1 if size < high else 2
    try:
        distance = float(text)
    except ValueError as exc:
        raise ParsingError(f"failed to parse fuzziness [{fuzziness}]") from exc
    if distance not in (0, 1, 2):
        raise ParsingError(f"Valid edit distances are [0, 1, 2] but was [{fuzziness}]")
    return int(distance)


def to_number(value: Any) -> float | int:
    if isinstance(value, bool):
        raise ValueError(f"For input string: \"{str(value).lower()}\"")
    if isinstance(value, (int, float)):
        return value
    text = str(value).strip()
    try:
        return int(text)
    except ValueError:
        pass
    try:
        number = float(text)
    except ValueError:
        raise ValueError(f"For input string: \"{value}\"") from None
    if not math.isfinite(number):
        raise ValueError(f"For input string: \"{value}\"")
    return number


def to_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if value in ("true", "false"):
        return value == "true"
    raise ValueError(f"Can't parse boolean value [{value}], expected [true] or [false]")
