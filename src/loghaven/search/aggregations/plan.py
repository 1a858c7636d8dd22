"""Parse the request's ``aggs`` object into the typed tree, validating it once.

Unknown types, malformed definitions, text fields and unsupported scripts are refused here
with the 400 errors ES gives, before any split is touched.
"""

from __future__ import annotations

import re
from typing import Any

from loghaven.errors import ActionRequestValidation, LoghavenError, ParsingError
from loghaven.params import token_name
from loghaven.search.aggregations.buckets import (
    composite,
    filters,
    geo,
    histogram,
    nested,
    significant,
    terms,
)
from loghaven.search.aggregations.buckets import range as ranges
from loghaven.search.aggregations.fields import not_on_runtime, runtime_names
from loghaven.search.aggregations.metrics import geo as geo_metrics
from loghaven.search.aggregations.metrics import hits, sketches, stats, weighted_avg
from loghaven.search.aggregations.pipeline import PIPELINES
from loghaven.search.aggregations.tree import Agg, Env
from loghaven.search.limits import MAX_AGG_DEPTH, aggs_too_deep

_BAD_NAME = re.compile(r"[\[\]>]")


def registry() -> dict[str, type[Agg]]:
    """Aggregation types by ES name."""
    classes: list[type[Agg]] = [
        terms.Terms, terms.MultiTerms, significant.RareTerms, significant.SignificantTerms,
        histogram.Histogram, histogram.DateHistogram, histogram.AutoDateHistogram,
        ranges.Range, ranges.DateRange, filters.IpRange, filters.Filter, filters.Filters,
        filters.Missing, filters.Global, nested.Nested, nested.ReverseNested,
        composite.Composite, geo.GeohashGrid, geo.GeotileGrid,
        stats.Min, stats.Max, stats.Avg, stats.Sum, stats.ValueCount, stats.StatsAgg,
        stats.ExtendedStats, sketches.Cardinality, sketches.Percentiles,
        sketches.PercentileRanks, sketches.MedianAbsoluteDeviation, hits.TopHits,
        hits.TopMetrics, weighted_avg.WeightedAvg, geo_metrics.GeoBounds,
        geo_metrics.GeoCentroid,
    ]
    return {cls.type_name: cls for cls in classes}


def parse_aggs(body: Any, env: Env, where: str = "aggs", parent: str | None = None,
               depth: int = 1) -> tuple[list[Agg], list[Any]]:
    """The aggregation nodes and pipeline nodes of one ``aggs`` object (``parent``: the type
    of the aggregation it sits in, which parent pipelines must be a multi-bucket one;
    ``depth``: its nesting level, bounded by :data:`~loghaven.search.limits.MAX_AGG_DEPTH`)."""
    if depth > MAX_AGG_DEPTH:
        raise aggs_too_deep()
    if not isinstance(body, dict):
        raise ParsingError(f"Expected [START_OBJECT] under [{where}], but got a "
                           f"[{token_name(body)}] in [{where}]")
    types = registry()
    aggs: list[Agg] = []
    pipelines: list[Any] = []
    for name, spec in body.items():
        if _BAD_NAME.search(name):
            raise ParsingError(f"Invalid aggregation name [{name}]. Aggregation names can "
                               f"contain any character except '[', ']', and '>'")
        if not isinstance(spec, dict):
            raise ParsingError(f"Expected [START_OBJECT] under [{name}], but got a "
                               f"[{token_name(spec)}] in [{name}]")
        kind, params, subs_body, meta = _definition(name, spec)
        if kind in PIPELINES:
            if subs_body is not None:
                raise ParsingError(f"Aggregator [{name}] of type [{kind}] cannot accept "
                                   f"sub-aggregations")
            pipeline = PIPELINES[kind](name, params, meta)
            if pipeline.parent:
                _check_parent(pipeline, parent)
            pipelines.append(pipeline)
            continue
        cls = types.get(kind)
        if cls is None:
            raise ParsingError(f"Unknown aggregation type [{kind}]")
        if kind == "global" and parent is not None:
            raise LoghavenError(f"Aggregator [{name}] of type [global] cannot be a "
                                f"sub-aggregator", status=400,
                                type="aggregation_initialization_exception")
        if not isinstance(params, dict):
            raise ParsingError(f"Expected [START_OBJECT] under [{kind}], but got a "
                               f"[{token_name(params)}] in [{name}]")
        subs, sub_pipelines = parse_aggs(subs_body, env, name, kind, depth + 1) \
            if subs_body is not None else ([], [])
        agg = cls(name, params, subs, sub_pipelines, meta, env)
        if not agg.runtime_ok:
            _refuse_runtime(agg, env)
        aggs.append(agg)
    return aggs, pipelines


def _refuse_runtime(agg: Agg, env: Env) -> None:
    """A 400 when a type that cannot read runtime fields (significant_terms, the geo ones)
    names one anywhere in its definition, rather than aggregating it as an unmapped field."""
    runtime = runtime_names(env.contexts)
    if not runtime:
        return
    stack: list[Any] = [agg.params]
    while stack:  # depth first, in the order written: the first runtime field is named
        item = stack.pop()
        if isinstance(item, dict):
            field = item.get("field")
            if isinstance(field, str) and field in runtime:
                raise not_on_runtime(agg.type_name, agg.name, field)
            stack.extend(reversed(item.values()))
        elif isinstance(item, list):
            stack.extend(reversed(item))


_HISTOGRAMS = ("histogram", "date_histogram", "auto_date_histogram")
_SINGLE_BUCKET = ("filter", "missing", "global", "nested", "reverse_nested")


def _check_parent(pipeline: Any, parent: str | None) -> None:
    """Parent pipelines need a multi-bucket parent (a histogram for the sequence ones)."""
    kind, name = pipeline.type_name, pipeline.name
    if pipeline.sequential:
        if parent not in _HISTOGRAMS:
            detail = "but doesn't have a parent" if parent is None else \
                f"but is inside [{parent}]"
            raise ActionRequestValidation(
                f"Validation Failed: 1: {kind} aggregation [{name}] must have a histogram, "
                f"date_histogram or auto_date_histogram as parent {detail};")
    elif parent is None or parent in _SINGLE_BUCKET:
        raise ActionRequestValidation(
            f"Validation Failed: 1: {kind} aggregation [{name}] must be declared inside of "
            f"another aggregation;")


def _definition(name: str, spec: dict[str, Any]) -> tuple[str, Any, Any, Any]:
    kind = params = subs = meta = None
    for key, value in spec.items():
        if key in ("aggs", "aggregations"):
            if subs is not None:
                raise ParsingError(f"Found two sub aggregation definitions under [{name}]")
            subs = value
        elif key == "meta":
            if not isinstance(value, dict):
                raise ParsingError(f"Expected [START_OBJECT] under [meta], but got a "
                                   f"[{token_name(value)}] in [{name}]")
            meta = value
        elif kind is not None:
            raise ParsingError(f"Found two aggregation type definitions in [{name}]: "
                               f"[{kind}] and [{key}]")
        else:
            kind, params = key, value
    if kind is None:
        raise ParsingError(f"Missing definition for aggregation [{name}]")
    return kind, params, subs, meta

