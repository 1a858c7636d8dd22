"""Multi-term clauses (patterns over a field's terms): prefix, wildcard, regexp, fuzzy."""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable
from typing import Any

from tantivy import Occur, Query

from loghaven.engine import words
from loghaven.engine.schema import ID
from loghaven.errors import ParsingError
from loghaven.search.query.body import (
    bool_flag,
    check_keys,
    edit_distance,
    field_body,
    text_option,
)
from loghaven.search.query.combine import any_of, as_filter, boosted
from loghaven.search.query.context import Handler, QueryContext, QueryShardError
from loghaven.search.query.regex import index_literals, literals, lucene_regex, wildcard_regex
from loghaven.search.query.values import index_match, term_on


def multi_term(ctx: QueryContext, name: str, body: Any, value_keys: tuple[str, ...],
               extra: tuple[str, ...]) -> tuple[str, str, dict[str, Any]]:
    field, opts = field_body(name, body)
    check_keys(name, opts, (*value_keys, "case_insensitive", "rewrite", *extra))
    for key in value_keys:
        if key in opts:
            return field, text_option(name, key, opts[key]), opts
    raise ParsingError(f"[{name}] query requires a [value]")


def _regex_on(ctx: QueryContext, field: str, regex: str, case_insensitive: bool,
              lenient: bool = False, index_test: Callable[[str], bool] | None = None) -> Query:
    """A term-level pattern clause on a keyword/text field (or ``_id``/``_index``)."""
    if field == "_index":
        return index_match(ctx, index_test) if index_test else Query.empty_query()
    if field == ID:
        path = ID
    else:
        info = ctx.info(field)
        if info is None:
            return Query.empty_query()
        if info.kind not in ("keyword", "text"):
            return ctx.fail(f"Can only use term-level pattern queries on keyword and "
                            f"text fields - not on [{field}] which is of type "
                            f"[{info.type}]", lenient)
        if not ctx.searchable(field, info, lenient):
            return Query.empty_query()
        path = info.path
        if info.kind == "text":
            regex = index_literals(regex)
    if not ctx.has(path):
        return Query.empty_query()
    flags = "(?i)" if case_insensitive else ""
    try:
        return Query.regex_query(ctx.schema, path, flags + regex)
    except ValueError as exc:
        raise QueryShardError(f"failed to create query: invalid regular expression: "
                              f"{exc}", index=ctx.index_name or "_na_") from exc


def _normalized(ctx: QueryContext, field: str, value: str) -> str:
    """A term-level pattern as the field normalises its terms: lowercased on text fields,
    through the keyword's normalizer (``lowercase`` or a custom one) on keywords."""
    info = ctx.info(field)
    if info is None:
        return value
    if info.kind == "text":
        return value.lower()
    return info.normalize(value)


def prefix(ctx: QueryContext, body: Any) -> Query:
    field, value, opts = multi_term(ctx, "prefix", body, ("value", "prefix"), ())
    insensitive = bool_flag(opts.get("case_insensitive", False), "case_insensitive")
    queries = [prefix_on(ctx, name, value, insensitive, "*" in field)
               for name in ctx.expand(field)]
    return boosted(any_of(queries), opts.get("boost"))


def prefix_on(ctx: QueryContext, field: str, value: str, insensitive: bool, lenient: bool) -> Query:
    text = _normalized(ctx, field, value)
    return _regex_on(ctx, field, "(?s)" + literals(text) + ".*", insensitive, lenient,
                     index_test=lambda index: index.startswith(value))


def wildcard(ctx: QueryContext, body: Any) -> Query:
    field, value, opts = multi_term(ctx, "wildcard", body, ("value", "wildcard"), ())
    insensitive = bool_flag(opts.get("case_insensitive", False), "case_insensitive")
    text = _normalized(ctx, field, value)
    queries = [_regex_on(ctx, name, wildcard_regex(text), insensitive, "*" in field,
                         index_test=lambda index: fnmatch.fnmatchcase(index, value))
               for name in ctx.expand(field)]
    return boosted(any_of(queries), opts.get("boost"))


def regexp(ctx: QueryContext, body: Any) -> Query:
    field, value, opts = multi_term(ctx, "regexp", body, ("value",),
                                    ("flags", "flags_value", "max_determinized_states"))
    insensitive = bool_flag(opts.get("case_insensitive", False), "case_insensitive")
    regex = lucene_regex(value, str(opts.get("flags", "ALL")))
    queries = [_regex_on(ctx, name, regex, insensitive, "*" in field,
                         index_test=lambda index: re.fullmatch(regex, index) is not None)
               for name in ctx.expand(field)]
    return boosted(any_of(queries), opts.get("boost"))


def fuzzy(ctx: QueryContext, body: Any) -> Query:
    field, value, opts = multi_term(
        ctx, "fuzzy", body, ("value",),
        ("fuzziness", "prefix_length", "max_expansions", "transpositions"))
    queries = [_fuzzy_on(ctx, name, value, opts, "*" in field)
               for name in ctx.expand(field)]
    return boosted(any_of(queries), opts.get("boost"))


def _fuzzy_on(ctx: QueryContext, name: str, value: str, opts: dict[str, Any],
              lenient: bool) -> Query:
    info = ctx.info(name)
    if info is None:
        return Query.empty_query()
    if info.kind not in ("keyword", "text"):
        return term_on(ctx, name, value, lenient=lenient)
    if not ctx.searchable(name, info, lenient):
        return Query.empty_query()
    text = _normalized(ctx, name, value)
    if info.kind == "text":
        text = words.term_form(text)
    distance = edit_distance(opts.get("fuzziness", "AUTO"), text)
    if not distance:
        return Query.term_query(ctx.schema, info.path, text)
    return fuzzy_term(ctx, info.path, text, distance, int(opts.get("prefix_length", 0)),
                      bool_flag(opts.get("transpositions", True), "transpositions"))


def fuzzy_term(ctx: QueryContext, path: str, token: str, distance: int, prefix_length: int,
               transpositions: bool) -> Query:
    query = Query.fuzzy_term_query(ctx.schema, path, token, distance, transpositions)
    if prefix_length > 0:
        prefix = Query.regex_query(ctx.schema, path,
                                   "(?s)" + literals(token[:prefix_length]) + ".*")
        query = Query.boolean_query([(Occur.Must, query), (Occur.Must, as_filter(prefix))])
    return query


CLAUSES: dict[str, Handler] = {
    "prefix": prefix, "wildcard": wildcard, "regexp": regexp, "fuzzy": fuzzy,
}
