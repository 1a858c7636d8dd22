"""Cost limits of one search request, with Elasticsearch's setting names, defaults and errors.

As in ES (``MultiBucketConsumerService``, ``AbstractQueryBuilder.setMaxNestedDepth``, Lucene's
``IndexSearcher.setMaxClauseCount``) the values are process-wide: the node sets the static ones
(``indices.query.bool.*``) from its configuration at start, and the dynamic cluster setting
``search.max_buckets`` each time ``_cluster/settings`` changes (:func:`apply_cluster_settings`).
A request is refused with a 400 *before* the work whose cost the limit bounds, wherever the
cost can be known from the request (the number of ranges or filters, the nesting of a query).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from loghaven.errors import IllegalArgument, LoghavenError, ParsingError
from loghaven.params import parse_int_setting


@dataclass
class SearchLimits:
    #: ``search.max_buckets`` (dynamic cluster setting; OpenSearch 2.x default 65535).
    max_buckets: int = 65_535
    #: ``indices.query.bool.max_clause_count`` (static node setting; OpenSearch 2.x: 1024).
    max_clause_count: int = 1024
    #: ``indices.query.bool.max_nested_depth`` (static node setting; ES 7.x/8.x: 20).
    max_nested_depth: int = 20


#: The limits in force in this process.
LIMITS = SearchLimits()

#: Aggregation nesting: ES (and OpenSearch 2.11) have no setting for it, and JSON parsing and
#: ``search.max_buckets`` bound it only loosely; a response nests three JSON levels per
#: aggregation level, and orjson writes at most 255, so Loghaven refuses deeper trees at parse.
MAX_AGG_DEPTH = 64

#: Dynamic cluster settings this module follows, with their minimum values.
_DYNAMIC = {"search.max_buckets": ("max_buckets", 0)}


def apply_cluster_settings(flat: Mapping[str, Any]) -> None:
    """Take the effective (transient over persistent) cluster settings; validate first, so
    that a bad value changes nothing."""
    values = {attr: parse_int_setting(key, flat[key], minimum) if key in flat
              else getattr(SearchLimits, attr)
              for key, (attr, minimum) in _DYNAMIC.items()}
    for attr, value in values.items():
        setattr(LIMITS, attr, value)


def configure(*, max_clause_count: int, max_nested_depth: int) -> None:
    """Set the static node-level limits (from ``loghaven.yml`` / the environment)."""
    LIMITS.max_clause_count = parse_int_setting("indices.query.bool.max_clause_count",
                                          max_clause_count, 1)
    LIMITS.max_nested_depth = parse_int_setting("indices.query.bool.max_nested_depth",
                                          max_nested_depth, 1)


# --- errors -----------------------------------------------------------------------------------


def too_many_buckets(count: int) -> LoghavenError:
    limit = LIMITS.max_buckets
    return LoghavenError(
        f"Trying to create too many buckets. Must be less than or equal to: [{limit}] "
        f"but was [{count}]. This limit can be set by changing the [search.max_buckets] "
        f"cluster level setting.", status=400, type="too_many_buckets_exception",
        max_buckets=limit)


def check_buckets(count: int) -> None:
    """Refuse a request that asks for more buckets than ``search.max_buckets``."""
    if count > LIMITS.max_buckets:
        raise too_many_buckets(count)


def query_too_deep() -> LoghavenError:
    return IllegalArgument("The nested depth of the query exceeds the maximum nested depth for "
                           "queries set in [indices.query.bool.max_nested_depth]")


def too_many_clauses() -> LoghavenError:
    """Lucene's ``TooManyClauses``: one boolean query with more clauses than allowed."""
    return LoghavenError(f"maxClauseCount is set to {LIMITS.max_clause_count}", status=400,
                         type="too_many_clauses")


def too_many_nested_clauses() -> LoghavenError:
    """Lucene's ``TooManyNestedClauses``: more leaf clauses in the whole query than allowed."""
    return LoghavenError(f"Query contains too many nested clauses; maxClauseCount is set to "
                         f"{LIMITS.max_clause_count}", status=400,
                         type="too_many_nested_clauses")


def aggs_too_deep() -> LoghavenError:
    return ParsingError(f"The nested depth of the aggregations exceeds the maximum nested depth "
                        f"for aggregations of [{MAX_AGG_DEPTH}]")
