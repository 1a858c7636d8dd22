"""Term-level clauses: match_all, match_none, term, terms, terms_set, range, exists, ids."""

from __future__ import annotations

import re
from typing import Any

from tantivy import FieldType, Occur, Query

from loghaven.engine.mapping import FieldInfo
from loghaven.engine.schema import ID, SEQ_NO
from loghaven.errors import IllegalArgument, ParsingError
from loghaven.search.query.body import (
    as_list,
    bool_flag,
    check_keys,
    field_body,
    minimum_should_match,
    text_option,
    text_options,
    to_number,
)
from loghaven.search.query.combine import (
    all_of,
    any_of,
    as_filter,
    at_least,
    boosted,
    match_everything,
)
from loghaven.search.query.context import Handler, QueryContext
from loghaven.search.query.regex import regex_after, regex_before
from loghaven.search.query.values import (
    date_range,
    ids_query,
    index_match,
    int_bound,
    int_range,
    ip_range,
    norm,
    range_bounds,
    term_on,
    term_text,
)


def match_all(ctx: QueryContext, body: Any) -> Query:
    opts = body if isinstance(body, dict) else {}
    check_keys("match_all", opts, ())
    return match_everything(opts.get("boost"))


def match_none(ctx: QueryContext, body: Any) -> Query:
    check_keys("match_none", body if isinstance(body, dict) else {}, ())
    return Query.empty_query()


def term(ctx: QueryContext, body: Any) -> Query:
    field, opts = field_body("term", body)
    check_keys("term", opts, ("value", "case_insensitive"))
    if "value" not in opts:
        raise ParsingError("[term] query requires a [value]")
    return boosted(term_on(ctx, field, opts["value"], case_insensitive=bool_flag(
        opts.get("case_insensitive", False), "case_insensitive")), opts.get("boost"))


def terms(ctx: QueryContext, body: Any) -> Query:
    if not isinstance(body, dict):
        raise ParsingError("[terms] query malformed")
    fields = [k for k in body if k not in ("boost", "_name")]
    if len(fields) != 1:
        raise ParsingError("[terms] query requires exactly one field")
    field = fields[0]
    values = body[field]
    if isinstance(values, dict):
        raise ParsingError("[terms] query: terms lookup is not supported by Loghaven; "
                           "pass the values as an array")
    if not isinstance(values, list):
        raise ParsingError(f"[terms] query does not support [{field}]")
    if len(values) > ctx.max_terms_count:
        raise IllegalArgument(
            f"The number of terms [{len(values)}] used in the Terms Query request has "
            f"exceeded the allowed maximum of [{ctx.max_terms_count}]. This maximum can be "
            f"set by changing the [index.max_terms_count] index level setting.")
    return boosted(_terms_on(ctx, field, values), body.get("boost"))


def _terms_on(ctx: QueryContext, field: str, values: list[Any]) -> Query:
    if field == ID:
        return ids_query(ctx, values)
    if field == "_index":
        return index_match(ctx, lambda index: index in {str(v) for v in values})
    info = ctx.info(field)
    if info is None or not values:
        return Query.empty_query()
    if info.kind in ("keyword", "text") and ctx.has(info.path):
        texts = [term_text(info, v) for v in values]
        return Query.const_score_query(
            Query.term_set_query(ctx.schema, info.path, texts), 1.0)
    return Query.const_score_query(any_of([term_on(ctx, field, v) for v in values]), 1.0)


def terms_set(ctx: QueryContext, body: Any) -> Query:
    field, opts = field_body("terms_set", body, "terms")
    check_keys("terms_set", opts, ("terms", "minimum_should_match_field",
                                   "minimum_should_match_script",
                                   "minimum_should_match"))
    values = as_list(opts.get("terms"))
    clauses = [term_on(ctx, field, v) for v in values]
    if not clauses:
        return Query.empty_query()
    if "minimum_should_match" in opts:
        required = minimum_should_match(opts["minimum_should_match"], len(clauses))
        return boosted(at_least(clauses, required), opts.get("boost"))
    count_field = opts.get("minimum_should_match_field")
    if count_field is None:
        count_field = _script_count_field(opts.get("minimum_should_match_script"),
                                          len(clauses))
        if count_field is None:
            return boosted(at_least(clauses, len(clauses)), opts.get("boost"))
    info = ctx.info(count_field)
    if info is None or info.kind != "long":
        return Query.empty_query()
    # Per document "at least doc[count_field] of the terms": one branch per possible count.
    branches = []
    for required in range(1, len(clauses) + 1):
        low = None if required == 1 else required
        branches.append(Query.boolean_query([
            (Occur.Must, as_filter(int_range(ctx, info, low, required, False))),
            (Occur.Must, at_least(clauses, required)),
        ]))
    return boosted(any_of(branches), opts.get("boost"))


def _script_count_field(script: Any, terms: int) -> str | None:
    """The count field of the usual ``terms_set`` scripts; None means "all terms"."""
    if script is None:
        raise ParsingError("[terms_set] requires one of [minimum_should_match_field] or "
                           "[minimum_should_match_script]")
    source = script.get("source", script.get("inline", "")) if isinstance(script, dict) \
        else str(script)
    source = source.replace(" ", "")
    if source == "params.num_terms":
        return None
    match = re.fullmatch(r"Math\.min\(params\.num_terms,doc\['([^']+)'\]\.value\)", source)
    if match is None:
        raise ParsingError(f"[terms_set] scripts are not supported beyond "
                           f"[params.num_terms] and [Math.min(params.num_terms, "
                           f"doc['field'].value)], got [{source}] ({terms} terms)")
    return match.group(1)


def range_query(ctx: QueryContext, body: Any) -> Query:
    if isinstance(body, dict) and any(not isinstance(v, dict) for k, v in body.items()
                                      if k not in ("boost", "_name")):
        raise ParsingError("[range] query malformed, no start_object after query name")
    field, opts = field_body("range", body, "gte")
    check_keys("range", opts, ("gte", "gt", "lte", "lt", "from", "to", "include_lower",
                               "include_upper", "format", "time_zone", "relation"))
    queries = [_range_on(ctx, name, opts) for name in ctx.expand(field)]
    return boosted(any_of(queries), opts.get("boost"))


def _range_on(ctx: QueryContext, name: str, opts: dict[str, Any]) -> Query:
    low, high, include_low, include_high = range_bounds(opts)
    if name == SEQ_NO:
        return _seq_no_range(ctx, low, high, include_low, include_high)
    info = ctx.info(name)
    if info is None:
        return Query.empty_query()
    try:
        return _range_kind(ctx, info, opts, low, high, include_low, include_high)
    except (ValueError, TypeError, OverflowError) as exc:
        return ctx.fail(str(exc), "*" in name)


def _seq_no_range(ctx: QueryContext, low: Any, high: Any, include_low: bool,
                  include_high: bool) -> Query:
    """``_seq_no`` is a long metadata field in ES (every split indexes it): document-level
    monitors read "what arrived since the last run" as ``_seq_no > last``."""
    lo = None if low is None else int_bound(low, include_low, lower=True)
    hi = None if high is None else int_bound(high, include_high, lower=False)
    if ctx.schema is None or (lo is not None and hi is not None and lo > hi):
        return Query.empty_query()
    if lo is None and hi is None:
        return Query.all_query()
    return Query.range_query(ctx.schema, SEQ_NO, FieldType.Integer, lo, hi)


def _range_kind(ctx: QueryContext, info: FieldInfo, opts: dict[str, Any], low: Any, high: Any,
                include_low: bool, include_high: bool) -> Query:
    kind = info.kind
    if kind == "date":
        lo, hi = date_range(ctx, info, opts, low, high, include_low, include_high)
        return int_range(ctx, info, lo, hi, False)
    if kind == "long":
        lo_int = None if low is None else int_bound(low, include_low, lower=True)
        hi_int = None if high is None else int_bound(high, include_high, lower=False)
        return int_range(ctx, info, lo_int, hi_int, False)
    if not ctx.searchable(info.path, info, False):
        return Query.empty_query()
    if kind == "double":
        if low is None and high is None:
            return Query.exists_query(info.path)
        return Query.range_query(
            ctx.schema, info.path, FieldType.Float,
            None if low is None else float(to_number(low)),
            None if high is None else float(to_number(high)),
            include_low if low is not None else True,
            include_high if high is not None else True)
    if kind == "ip":
        return ip_range(ctx, info, None if low is None else str(low),
                        None if high is None else str(high), include_low,
                        include_high, False)
    if kind in ("keyword", "text"):
        parts = []
        if low is not None:
            parts.append(Query.regex_query(ctx.schema, info.path,
                                           regex_after(norm(info, low), include_low)))
        if high is not None:
            parts.append(Query.regex_query(
                ctx.schema, info.path, regex_before(norm(info, high), include_high)))
        if not parts:
            return _exists_on(ctx, info)
        return Query.const_score_query(all_of(parts), 1.0)
    return ctx.fail(f"field [{info.path}] of type [{info.type}] does not support range "
                    f"queries", False)


def exists(ctx: QueryContext, body: Any) -> Query:
    if not isinstance(body, dict) or "field" not in body:
        raise ParsingError("[exists] must be provided with a [field]")
    check_keys("exists", body, ("field",))
    name = text_option("exists", "field", body["field"])
    if name in (ID, "_index"):
        return boosted(Query.all_query(), body.get("boost"))
    if "*" in name:
        paths = ctx.expand(name)
    elif name in ctx.mapping.fields:
        paths = [name]
    else:  # an object: any field below it
        paths = [p for p in ctx.mapping.fields if p.startswith(name + ".")]
    queries = [_exists_on(ctx, ctx.mapping.fields[p]) for p in paths]
    return boosted(Query.const_score_query(any_of(queries), 1.0), body.get("boost"))


def _exists_on(ctx: QueryContext, info: FieldInfo) -> Query:
    path = f"{info.path}.lat" if info.kind == "geo_point" else info.path
    if not info.indexed or not ctx.has(path):
        return Query.empty_query()
    if info.kind == "text":
        return Query.regex_query(ctx.schema, path, "(?s).*")
    return Query.exists_query(path)


def ids(ctx: QueryContext, body: Any) -> Query:
    if not isinstance(body, dict):
        raise ParsingError("[ids] query malformed")
    check_keys("ids", body, ("values", "type", "types"))
    return boosted(ids_query(ctx, text_options("ids", "values", body.get("values"))),
                   body.get("boost"))


CLAUSES: dict[str, Handler] = {
    "match_all": match_all, "match_none": match_none, "term": term, "terms": terms,
    "terms_set": terms_set, "range": range_query, "exists": exists, "ids": ids,
}
