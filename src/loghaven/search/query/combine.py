"""Combining compiled tantivy queries: boosts, filters, and/or, minimum_should_match."""

from __future__ import annotations

from typing import Any

from tantivy import Occur, Query

from loghaven.errors import ParsingError
from loghaven.search.limits import LIMITS, too_many_clauses
from loghaven.search.query.body import minimum_should_match

#: ``match_all`` as tantivy's bare AllQuery, the fastest to run alone (a count is free).
#: Beside other required clauses it must go through :func:`scored`: tantivy drops an
#: AllQuery from a boolean's musts, and with it the 1.0 score ES gives every match.
MATCH_ALL = Query.all_query()


def match_everything(boost: Any = None) -> Query:
    """Every document, scoring ``boost`` (1.0): ES's ``match_all`` and empty ``bool``."""
    factor = float(boost if boost is not None else 1.0)
    return MATCH_ALL if factor == 1.0 else Query.const_score_query(MATCH_ALL, factor)


def scored(query: Query) -> Query:
    """``query`` as a required clause beside others (see :data:`MATCH_ALL`)."""
    return Query.const_score_query(MATCH_ALL, 1.0) if query is MATCH_ALL else query


def boosted(query: Query, boost: Any) -> Query:
    factor = float(boost if boost is not None else 1.0)
    return query if factor == 1.0 else Query.boost_query(query, factor)


def as_filter(query: Query) -> Query:
    """A clause that restricts without scoring (bool ``filter``)."""
    return Query.const_score_query(query, 0.0)


def any_of(queries: list[Query]) -> Query:
    """Documents matching any of ``queries`` (none: nothing)."""
    if not queries:
        return Query.empty_query()
    if len(queries) == 1:
        return queries[0]
    return Query.boolean_query([(Occur.Should, q) for q in queries])


def all_of(queries: list[Query]) -> Query:
    """Documents matching every one of ``queries`` (at least one)."""
    if len(queries) == 1:
        return queries[0]
    return Query.boolean_query([(Occur.Must, scored(q)) for q in queries])


def at_least(clauses: list[Query], required: int) -> Query:
    if required > len(clauses):
        return Query.empty_query()
    return Query.boolean_query([(Occur.Should, c) for c in clauses], max(required, 1))


def combine(clauses: list[Query], operator: Any, msm: Any) -> Query:
    """Token clauses joined by ``operator`` / ``minimum_should_match``, as ``match`` does."""
    op = str(operator).lower()
    if op not in ("or", "and"):
        raise ParsingError(f"Unknown operator [{operator}]")
    if len(clauses) == 1:
        return clauses[0]
    if len(clauses) > LIMITS.max_clause_count:
        raise too_many_clauses()
    if op == "and":
        return Query.boolean_query([(Occur.Must, c) for c in clauses])
    required = minimum_should_match(msm, len(clauses)) if msm is not None else 1
    if required > len(clauses):
        return Query.empty_query()
    return Query.boolean_query([(Occur.Should, c) for c in clauses], max(required, 1))
