"""Values meeting fields: one exact value or a range, per field kind.

Shared by the term-level, multi-term and full-text clauses: keyword and text terms, long and
date as i64 ranges, double as f64 ranges (dates and doubles have no terms, decisions/0020),
boolean, ip (and CIDR), ``_id`` and ``_index``.
"""

from __future__ import annotations

import ipaddress
import math
from collections.abc import Callable
from typing import Any

from tantivy import FieldType, Query

from loghaven.engine import words
from loghaven.engine.mapping import FieldInfo
from loghaven.engine.schema import ID
from loghaven.errors import ParsingError
from loghaven.search.query.body import bool_flag, to_bool, to_number
from loghaven.search.query.context import QueryContext
from loghaven.search.query.regex import literals

LONG_MAX = 2**63 - 1
LONG_MIN = -(2**63)


def term_text(info: FieldInfo, value: Any) -> str:
    """A term-level query's value for a keyword or text field, as the field indexes it."""
    text = ("true" if value else "false") if isinstance(value, bool) else str(value)
    if info.kind == "text":
        # the engine's standard fields hold terms in index form; others as analysed
        return words.term_form(text) if info.analyzer is None else text
    return info.normalize(text)


def term_on(ctx: QueryContext, name: str, value: Any, *, lenient: bool = False,
            case_insensitive: bool = False) -> Query:
    """Exact-value query: the ES ``term`` semantics for every field kind."""
    if name == ID:
        return ids_query(ctx, [value])
    if name == "_index":
        return index_match(ctx, lambda index: index == str(value))
    info = ctx.info(name)
    if info is None:
        return Query.empty_query()
    if isinstance(value, (dict, list)):
        raise ParsingError(f"[term] query does not support array or object values for "
                           f"field [{name}]")
    try:
        return exact(ctx, info, value, lenient, case_insensitive)
    except (ValueError, TypeError, OverflowError) as exc:
        return ctx.fail(str(exc) or f"invalid value [{value}] for field [{name}]", lenient)


def exact(ctx: QueryContext, info: FieldInfo, value: Any, lenient: bool,
          case_insensitive: bool) -> Query:
    kind, path = info.kind, info.path
    if kind in ("keyword", "text"):
        text = term_text(info, value)
        if not ctx.searchable(path, info, lenient):
            return Query.empty_query()
        if case_insensitive:
            return Query.regex_query(ctx.schema, path, "(?i)" + literals(text))
        return Query.term_query(ctx.schema, path, text,
                                "freq" if kind == "keyword" else "position")
    if kind == "date":
        low = ctx.date_value(info, value, round_up=False)
        high = ctx.date_value(info, value, round_up=True)
        return int_range(ctx, info, low, high, lenient)
    if kind == "long":
        number = to_number(value)
        if number != int(number):
            return Query.empty_query()
        return int_range(ctx, info, int(number), int(number), lenient)
    if kind == "double":
        number = float(to_number(value))
        if not ctx.searchable(info.path, info, lenient):
            return Query.empty_query()
        # a column without terms (decisions/0020): the one value as a range, which scores
        # a constant 1.0 as ES's term query on a number does
        return Query.range_query(ctx.schema, path, FieldType.Float, number, number)
    if kind == "boolean":
        flag = to_bool(value)
        if not ctx.searchable(info.path, info, lenient):
            return Query.empty_query()
        return Query.term_query(ctx.schema, path, flag)
    if kind == "ip":
        text = str(value)
        if "/" in text:
            network = ipaddress.ip_network(text, strict=False)
            return ip_range(ctx, info, str(network[0]), str(network[-1]), True, True,
                            lenient)
        ipaddress.ip_address(text)
        if not ctx.searchable(info.path, info, lenient):
            return Query.empty_query()
        return Query.term_query(ctx.schema, path, text)
    return ctx.fail(f"field [{path}] of type [{info.type}] does not support term queries",
                    lenient)


def int_range(ctx: QueryContext, info: FieldInfo, low: int | None, high: int | None,
              lenient: bool) -> Query:
    """Inclusive range on an i64 field (long and date kinds)."""
    if low is not None and high is not None and low > high:
        return Query.empty_query()
    if not ctx.searchable(info.path, info, lenient):
        return Query.empty_query()
    if low is None and high is None:
        return Query.exists_query(info.path)
    return Query.range_query(ctx.schema, info.path, FieldType.Integer, low, high)


def ip_range(ctx: QueryContext, info: FieldInfo, low: str | None, high: str | None,
             include_low: bool, include_high: bool, lenient: bool) -> Query:
    if not ctx.searchable(info.path, info, lenient):
        return Query.empty_query()
    for bound in (low, high):
        if bound is not None:
            ipaddress.ip_address(bound)
    if low is None and high is None:
        return Query.exists_query(info.path)
    return Query.range_query(ctx.schema, info.path, FieldType.IpAddr, low, high,
                             include_low if low is not None else True,
                             include_high if high is not None else True)


def norm(info: FieldInfo, value: Any) -> str:
    text = str(value)
    if info.kind == "text":
        return words.term_form(text) if info.analyzer is None else text
    return info.normalize(text)


def ids_query(ctx: QueryContext, values: list[Any]) -> Query:
    if not values or ctx.schema is None:
        return Query.empty_query()
    return Query.const_score_query(
        Query.term_set_query(ctx.schema, ID, [str(v) for v in values]), 1.0)


def index_match(ctx: QueryContext, test: Callable[[str], bool]) -> Query:
    if ctx.index_name is not None and test(ctx.index_name):
        return Query.all_query()
    return Query.empty_query()


def int_bound(value: Any, inclusive: bool, *, lower: bool) -> int:
    """A numeric bound on a long field as an inclusive integer (``gt 5.5`` → ``>= 6``)."""
    number = to_number(value)
    if lower:
        edge = math.ceil(number) if number != int(number) else int(number) + (not inclusive)
    else:
        edge = math.floor(number) if number != int(number) else int(number) - (not inclusive)
    return max(min(edge, LONG_MAX), LONG_MIN)


def range_bounds(opts: dict[str, Any]) -> tuple[Any, Any, bool, bool]:
    """(low, high, include_low, include_high) from gte/gt/lte/lt or the old from/to form."""
    low, high = opts.get("from"), opts.get("to")
    include_low = bool_flag(opts.get("include_lower", True), "include_lower")
    include_high = bool_flag(opts.get("include_upper", True), "include_upper")
    if "gte" in opts:
        low, include_low = opts["gte"], True
    if "gt" in opts:
        low, include_low = opts["gt"], False
    if "lte" in opts:
        high, include_high = opts["lte"], True
    if "lt" in opts:
        high, include_high = opts["lt"], False
    return low, high, include_low, include_high


def date_range(compiler: QueryContext, info: FieldInfo, opts: dict[str, Any], low: Any, high: Any,
               include_low: bool, include_high: bool) -> tuple[int | None, int | None]:
    """Inclusive millisecond bounds of a date range, rounding as ES does (``gt``/``lte`` up)."""
    fmt, tz = opts.get("format"), opts.get("time_zone")
    lo = hi = None
    if low is not None:
        lo = compiler.date_value(info, low, round_up=not include_low, fmt=fmt, tz=tz)
        if not include_low:
            lo += 1
    if high is not None:
        hi = compiler.date_value(info, high, round_up=include_high, fmt=fmt, tz=tz)
        if not include_high:
            hi -= 1
    return lo, hi
