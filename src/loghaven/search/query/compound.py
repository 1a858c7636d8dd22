"""Compound clauses: bool, constant_score, dis_max, boosting.

They hold other clauses, so they check ``indices.query.bool.max_clause_count`` on their lists;
the nesting depth is checked for every clause by the context.
"""

from __future__ import annotations

from typing import Any

from tantivy import Occur, Query

from loghaven.errors import ParsingError
from loghaven.search.limits import LIMITS, too_many_clauses
from loghaven.search.query.body import check_keys, minimum_should_match
from loghaven.search.query.combine import as_filter, boosted, match_everything, scored
from loghaven.search.query.context import Handler, QueryContext


def _compile_list(ctx: QueryContext, clauses: Any, context: str) -> list[Query]:
    if isinstance(clauses, dict):
        clauses = [clauses]
    if not isinstance(clauses, list):
        raise ParsingError(f"[bool] failed to parse field [{context}]")
    if len(clauses) > LIMITS.max_clause_count:
        raise too_many_clauses()
    return [ctx.compile(c) for c in clauses]


def bool_query(ctx: QueryContext, body: Any) -> Query:
    if not isinstance(body, dict):
        raise ParsingError("[bool] query malformed, no start_object after query name")
    check_keys("bool", body, ("must", "filter", "should", "must_not",
                              "minimum_should_match", "adjust_pure_negative"))
    if sum(len(v) if isinstance(v, list) else 1 for k, v in body.items()
           if k in ("must", "filter", "should", "must_not")) > LIMITS.max_clause_count:
        raise too_many_clauses()
    must = _compile_list(ctx, body.get("must", []), "must")
    filters = _compile_list(ctx, body.get("filter", []), "filter")
    should = _compile_list(ctx, body.get("should", []), "should")
    must_not = _compile_list(ctx, body.get("must_not", []), "must_not")
    subs: list[tuple[Any, Query]] = [(Occur.Must, scored(q)) for q in must]
    subs += [(Occur.Must, as_filter(q)) for q in filters]
    subs += [(Occur.MustNot, q) for q in must_not]
    subs += [(Occur.Should, q) for q in should]
    if not subs:
        return match_everything(body.get("boost"))
    required = 0
    if should:
        msm = body.get("minimum_should_match")
        default = 0 if must or filters else 1
        required = default if msm is None else minimum_should_match(msm, len(should))
        if required > len(should):
            return Query.empty_query()
    if not must and not filters and not should:
        # Only negative clauses: ES matches everything else, unscored.
        subs.append((Occur.Must, as_filter(Query.all_query())))
    query = Query.boolean_query(subs, required or None)
    return boosted(query, body.get("boost"))


def constant_score(ctx: QueryContext, body: Any) -> Query:
    if not isinstance(body, dict) or "filter" not in body:
        raise ParsingError("[constant_score] requires a 'filter' element")
    check_keys("constant_score", body, ("filter",))
    return Query.const_score_query(ctx.compile(body["filter"]),
                                   float(body.get("boost", 1.0)))


def dis_max(ctx: QueryContext, body: Any) -> Query:
    if not isinstance(body, dict) or "queries" not in body:
        raise ParsingError("[dis_max] requires 'queries' field with at least one clause")
    check_keys("dis_max", body, ("queries", "tie_breaker"))
    queries = _compile_list(ctx, body["queries"], "queries")
    if not queries:
        raise ParsingError("[dis_max] requires 'queries' field with at least one clause")
    query = Query.disjunction_max_query(queries, float(body.get("tie_breaker", 0.0)))
    return boosted(query, body.get("boost"))


def boosting(ctx: QueryContext, body: Any) -> Query:
    if not isinstance(body, dict) or "positive" not in body or "negative" not in body:
        raise ParsingError("[boosting] query requires 'positive' and 'negative' queries")
    check_keys("boosting", body, ("positive", "negative", "negative_boost"))
    if "negative_boost" not in body:
        raise ParsingError("[boosting] query requires 'negative_boost' to be set")
    positive = ctx.compile(body["positive"])
    negative = ctx.compile(body["negative"])
    factor = float(body["negative_boost"])
    # Two disjoint branches, so a document scores through exactly one of them.
    plain = Query.boolean_query([(Occur.Must, positive), (Occur.MustNot, negative)])
    demoted = Query.boost_query(Query.boolean_query(
        [(Occur.Must, positive), (Occur.Must, as_filter(negative))]), factor)
    query = Query.boolean_query([(Occur.Should, plain), (Occur.Should, demoted)], 1)
    return boosted(query, body.get("boost"))


CLAUSES: dict[str, Handler] = {
    "bool": bool_query, "constant_score": constant_score, "dis_max": dis_max,
    "boosting": boosting,
}
