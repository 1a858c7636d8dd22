"""Pipeline aggregations, run on the reduced and rendered tree as ES runs them after reduce.

Parent pipelines (derivative, cumulative_sum, moving_fn, serial_diff, bucket_script,
bucket_selector, bucket_sort) rewrite the bucket list of the multi-bucket aggregation they
sit in; sibling pipelines (avg/max/min/sum/stats/extended_stats/percentiles_bucket) add
a value beside the aggregation their ``buckets_path`` names.
"""

from __future__ import annotations

import math
import re
import statistics
from collections.abc import Callable
from typing import Any

from loghaven import scripting
from loghaven.engine.dates import parse_duration_ms
from loghaven.errors import IllegalArgument, ParsingError
from loghaven.scripting import Script, ScriptError
from loghaven.search.aggregations.metrics.stats import ExtendedStats, Stats
from loghaven.search.aggregations.order import split_path
from loghaven.search.aggregations.tree import as_int, as_number

GAP_POLICIES = ("skip", "insert_zeros", "keep_values")


def unsupported(source: str, why: str) -> IllegalArgument:
    return IllegalArgument(
        f"Loghaven runs only simple Painless in pipeline scripts (arithmetic, comparisons, "
        f"&&, ||, ?:, Math functions over params.<name>); cannot run [{source}]: {why}")


def script_source(script: Any) -> tuple[str, dict[str, Any]]:
    """(source, params) of a ``script`` given as a string or as an object."""
    if isinstance(script, str):
        return script, {}
    if isinstance(script, dict):
        source = script.get("source", script.get("inline"))
        lang = script.get("lang", "painless")
        if lang not in ("painless", "expression"):
            raise IllegalArgument(f"script_lang not supported [{lang}]")
        if "id" in script:
            raise IllegalArgument("stored scripts are not supported in pipeline aggregations")
        if isinstance(source, str):
            params = script.get("params") or {}
            return source, params if isinstance(params, dict) else {}
    raise IllegalArgument("[script] must be a string or an object with [source]")


def compile_script(script: Any) -> tuple[Script, dict[str, Any]]:
    """The compiled script (the Painless subset of loghaven.scripting, whose only variable
    is ``params``) and the script's own params to merge in; refused with a 400 naming what
    it cannot run."""
    source, params = script_source(script)
    try:
        return scripting.compile(source, variables=("params",)), params
    except ScriptError as error:
        raise unsupported(source, error.cause_reason) from None


def bucket_value(bucket: dict[str, Any], path: str, gap_policy: str = "skip") -> float | None:
    """The number ``path`` names in a rendered bucket (None for a gap under ``skip``)."""
    value = _resolve(bucket, path)
    if isinstance(value, bool):
        value = float(value)
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return 0.0 if gap_policy == "insert_zeros" else None
    return float(value)


def _resolve(bucket: dict[str, Any], path: str) -> Any:
    if path in ("_count", "doc_count"):
        return bucket.get("doc_count")
    if path == "_key":
        return bucket.get("key")
    names, metric = split_path(path)
    node = bucket
    for name in names:
        if not isinstance(node, dict) or name not in node:
            raise IllegalArgument(f"No aggregation found for path [{path}]")
        node = node[name]
    if metric is None:
        if "value" in node:
            return node["value"]
        if "doc_count" in node and "buckets" not in node:
            return node["doc_count"]
        raise IllegalArgument(f"buckets_path must reference either a number value or a single "
                              f"value numeric metric aggregation, got: [{path}]")
    if metric in ("_count", "doc_count"):
        return node.get("doc_count")
    if metric in node and not isinstance(node[metric], dict):
        return node[metric]
    values = node.get("values")
    if isinstance(values, dict):
        for key, value in values.items():
            if _same(key, metric):
                return value
    if isinstance(values, list):
        for item in values:
            if _same(str(item.get("key")), metric):
                return item.get("value")
    raise IllegalArgument(f"No aggregation found for path [{path}]")


def _same(a: str, b: str) -> bool:
    try:
        return a == b or float(a) == float(b)
    except ValueError:
        return False


def _bucket_list(rendered: dict[str, Any]) -> list[dict[str, Any]]:
    buckets = rendered.get("buckets")
    if isinstance(buckets, dict):
        return list(buckets.values())
    if isinstance(buckets, list):
        return buckets
    raise IllegalArgument("buckets_path must point to a multi-bucket aggregation")


class Pipeline:
    """A pipeline node; ``parent`` ones rewrite their parent's buckets."""

    type_name: str = ""
    parent = True
    #: Whether it reads buckets as a sequence (needs a histogram parent).
    sequential = False

    def __init__(self, name: str, params: Any, meta: dict[str, Any] | None) -> None:
        if not isinstance(params, dict):
            raise ParsingError(f"Expected [START_OBJECT] under [{self.type_name}] in [{name}]")
        self.name = name
        self.params = params
        self.meta = meta
        self.gap_policy = str(params.get("gap_policy", "skip")).lower()
        if self.gap_policy not in GAP_POLICIES:
            raise ParsingError(f"Unknown gap policy [{self.gap_policy}]")
        self.path = params.get("buckets_path")
        self.setup()

    def setup(self) -> None:
        if not isinstance(self.path, str):
            raise IllegalArgument(f"[buckets_path] must be a string in [{self.name}]")

    def result(self, body: dict[str, Any]) -> dict[str, Any]:
        return {"meta": self.meta, **body} if self.meta is not None else body

    def apply_parent(self, buckets: list[dict[str, Any]]) -> list[dict[str, Any]]:
        raise NotImplementedError

    def apply_sibling(self, level: dict[str, Any]) -> None:
        raise NotImplementedError


def apply_parent(agg: Any, buckets: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Run a multi-bucket aggregation's parent pipelines over its rendered buckets."""
    for pipeline in agg.pipelines:
        if pipeline.parent:
            buckets = pipeline.apply_parent(buckets)
    return buckets


def apply_parent_keyed(agg: Any, pairs: list[tuple[Any, dict[str, Any]]],
                       ) -> list[tuple[Any, dict[str, Any]]]:
    """:func:`apply_parent` for buckets printed under keys (filters, keyed ranges)."""
    if not any(pipeline.parent for pipeline in agg.pipelines):
        return pairs
    keys = {id(body): key for key, body in pairs}
    return [(keys[id(body)], body) for body in apply_parent(agg, [body for _, body in pairs])]


class Derivative(Pipeline):
    sequential = True
    type_name = "derivative"

    def setup(self) -> None:
        super().setup()
        unit = self.params.get("unit")
        self.unit_ms: int | None = None
        if unit is not None:
            try:
                self.unit_ms = _UNITS.get(unit) or parse_duration_ms(unit, "unit")
            except ValueError as exc:
                raise IllegalArgument(str(exc)) from None

    def apply_parent(self, buckets: list[dict[str, Any]]) -> list[dict[str, Any]]:
        previous: tuple[float, Any] | None = None
        for i, bucket in enumerate(buckets):
            value = bucket_value(bucket, self.path, self.gap_policy)
            if i > 0 and previous is not None and value is not None:
                out: dict[str, Any] = {"value": value - previous[0]}
                if self.unit_ms and isinstance(bucket.get("key"), int | float):
                    span = bucket["key"] - previous[1]
                    out["normalized_value"] = out["value"] * self.unit_ms / span if span else None
                bucket[self.name] = self.result(out)
            if value is not None or self.gap_policy != "skip":
                previous = None if value is None else (value, bucket.get("key"))
        return buckets


#: Calendar names a derivative ``unit`` may use.
_UNITS = {"second": 1000, "minute": 60_000, "hour": 3_600_000, "day": 86_400_000,
          "week": 7 * 86_400_000, "1w": 7 * 86_400_000}


class SerialDiff(Pipeline):
    sequential = True
    type_name = "serial_diff"

    def setup(self) -> None:
        super().setup()
        self.lag = as_int(self.params.get("lag", 1), "lag", self.name)
        if self.lag <= 0:
            raise IllegalArgument("[lag] must be a positive integer")

    def apply_parent(self, buckets: list[dict[str, Any]]) -> list[dict[str, Any]]:
        values = [bucket_value(b, self.path, self.gap_policy) for b in buckets]
        for i, bucket in enumerate(buckets):
            if i >= self.lag and values[i] is not None and values[i - self.lag] is not None:
                bucket[self.name] = self.result({"value": values[i] - values[i - self.lag]})
        return buckets


class CumulativeSum(Pipeline):
    sequential = True
    type_name = "cumulative_sum"

    def apply_parent(self, buckets: list[dict[str, Any]]) -> list[dict[str, Any]]:
        total = 0.0
        for bucket in buckets:
            value = bucket_value(bucket, self.path, "insert_zeros")
            total += value or 0.0
            bucket[self.name] = self.result({"value": total})
        return buckets


def _ewma(values: list[float], alpha: float = 0.3) -> float:
    result = math.nan
    for value in values:
        result = value if math.isnan(result) else alpha * value + (1 - alpha) * result
    return result


def _holt(values: list[float], alpha: float = 0.3, beta: float = 0.1) -> float:
    if not values:
        return math.nan
    if len(values) == 1:
        return values[0]
    level, trend = values[0], values[1] - values[0]
    for value in values[1:]:
        last = level
        level = alpha * value + (1 - alpha) * (level + trend)
        trend = beta * (level - last) + (1 - beta) * trend
    return level + trend


def _linear(values: list[float]) -> float:
    weights = range(1, len(values) + 1)
    total = sum(weights)
    return sum(v * w for v, w in zip(values, weights, strict=False)) / total if total else math.nan


def _std_dev(values: list[float], avg: float | None = None) -> float:
    if not values:
        return math.nan
    mean = statistics.fmean(values) if avg is None else avg
    return math.sqrt(sum((v - mean) ** 2 for v in values) / len(values))


_MOVING: dict[str, Callable[..., float]] = {
    "max": lambda v: max(v) if v else math.nan,
    "min": lambda v: min(v) if v else math.nan,
    "sum": lambda v: float(sum(v)),
    "unweightedAvg": lambda v: statistics.fmean(v) if v else math.nan,
    "linearWeightedAvg": _linear,
    "ewma": _ewma,
    "holt": _holt,
    "stdDev": _std_dev,
}
_MOVING_CALL = re.compile(
    r"^\s*(?:return\s+)?MovingFunctions\.(\w+)\(\s*values\s*(?:,\s*(.*?))?\)\s*;?\s*$")


class MovingFn(Pipeline):
    sequential = True
    type_name = "moving_fn"

    def setup(self) -> None:
        super().setup()
        window = self.params.get("window")
        if not isinstance(window, int) or window <= 0:
            raise IllegalArgument("[window] must be a positive, non-zero integer.")
        self.window = window
        self.shift = as_int(self.params.get("shift", 0), "shift", self.name)
        source, self.script_params = script_source(self.params.get("script"))
        match = _MOVING_CALL.match(source)
        if match is None or match.group(1) not in _MOVING:
            raise unsupported(source, "moving_fn runs MovingFunctions.<max|min|sum|"
                              "unweightedAvg|linearWeightedAvg|ewma|holt|stdDev>(values, ...)")
        self.function = _MOVING[match.group(1)]
        self.args = [self.argument(arg.strip(), source)
                     for arg in (match.group(2) or "").split(",") if arg.strip()]

    def argument(self, text: str, source: str) -> Any:
        if re.fullmatch(r"MovingFunctions\.unweightedAvg\(\s*values\s*\)", text):
            return "avg"
        param = re.fullmatch(r"params\.(\w+)", text)
        if param:
            return float(self.script_params[param.group(1)])
        try:
            return float(text)
        except ValueError:
            raise unsupported(source, f"argument [{text}]") from None

    def apply_parent(self, buckets: list[dict[str, Any]]) -> list[dict[str, Any]]:
        values = [bucket_value(b, self.path, self.gap_policy) for b in buckets]
        for i, bucket in enumerate(buckets):
            start, end = max(i - self.window + self.shift, 0), max(i + self.shift, 0)
            window = [v for v in values[start:min(end, len(values))] if v is not None]
            mean = statistics.fmean(window) if window else math.nan
            args = [mean if a == "avg" else a for a in self.args]
            value = self.function(window, *args)
            bucket[self.name] = self.result({"value": None if math.isnan(value) else value})
        return buckets


class MovingAvg(MovingFn):
    """OpenSearch's (deprecated but still served) moving_avg: a moving_fn by ``model``."""

    type_name = "moving_avg"
    _MODELS = {"simple": "unweightedAvg", "linear": "linearWeightedAvg", "ewma": "ewma",
               "holt": "holt"}

    def setup(self) -> None:
        Pipeline.setup(self)
        self.window = as_int(self.params.get("window", 5), "window", self.name)
        if self.window <= 0:
            raise IllegalArgument("[window] must be a positive, non-zero integer.")
        self.shift = 0
        model = self.params.get("model", "simple")
        if model not in self._MODELS:
            raise IllegalArgument(f"Unknown model [{model}] for [moving_avg]; Loghaven "
                                  f"supports {sorted(self._MODELS)}")
        self.function = _MOVING[self._MODELS[model]]
        settings = self.params.get("settings") or {}
        self.args = [float(settings[k]) for k in ("alpha", "beta") if k in settings][
            : {"ewma": 1, "holt": 2}.get(model, 0)]


class BucketScript(Pipeline):
    type_name = "bucket_script"

    def setup(self) -> None:
        paths = self.path
        if isinstance(paths, str):
            paths = {"_value": paths}
        if not isinstance(paths, dict):
            raise IllegalArgument(f"[buckets_path] must be an object in [{self.name}]")
        self.paths: dict[str, str] = paths
        self.script, self.script_params = compile_script(self.params.get("script"))

    def evaluate(self, bucket: dict[str, Any]) -> tuple[bool, Any]:
        """(skipped, result): a gap under ``skip`` skips the bucket."""
        params = dict(self.script_params)
        for var, path in self.paths.items():
            value = bucket_value(bucket, path, self.gap_policy)
            if value is None and self.gap_policy == "skip":
                return True, None
            # a gap kept by keep_values is NaN to the script, as ES's Double.NaN:
            # arithmetic over it gives NaN (rendered null), comparisons false
            params[var] = math.nan if value is None else value
        try:
            return False, self.script.execute({"params": params})
        except ScriptError as error:  # Java's integer division by zero, as a 400
            if error.cause_type == "arithmetic_exception":
                raise IllegalArgument(f"ArithmeticException: {error.cause_reason}") from None
            raise

    def apply_parent(self, buckets: list[dict[str, Any]]) -> list[dict[str, Any]]:
        for bucket in buckets:
            skipped, value = self.evaluate(bucket)
            if skipped:
                continue
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                if value is None:
                    bucket[self.name] = self.result({"value": None})
                    continue
                raise IllegalArgument("bucket_script must return a number")
            value = float(value)
            bucket[self.name] = self.result({"value": None if math.isnan(value) else value})
        return buckets


class BucketSelector(BucketScript):
    type_name = "bucket_selector"

    def apply_parent(self, buckets: list[dict[str, Any]]) -> list[dict[str, Any]]:
        kept = []
        for bucket in buckets:
            skipped, value = self.evaluate(bucket)
            if skipped or value is True:
                kept.append(bucket)
            elif not isinstance(value, bool):
                raise IllegalArgument("bucket_selector script must return a boolean")
        return kept


class BucketSort(Pipeline):
    type_name = "bucket_sort"

    def setup(self) -> None:
        self.sort: list[tuple[str, bool]] = []
        for item in self.params.get("sort", []) or []:
            if isinstance(item, str):  # a bare name sorts ascending, as in a search sort
                self.sort.append((item, True))
                continue
            for path, spec in item.items():
                order = spec.get("order", "asc") if isinstance(spec, dict) else spec
                self.sort.append((path, str(order).lower() == "asc"))
        self.start = as_int(self.params.get("from", 0), "from", self.name)
        size = self.params.get("size")
        self.size = None if size is None else int(size)

    def sort_value(self, bucket: dict[str, Any], path: str) -> Any:
        """Keys sort as they are (strings too); metrics as numbers, gaps per gap_policy."""
        if path in ("_key", "_count"):
            return _resolve(bucket, path)
        return bucket_value(bucket, path, self.gap_policy)

    def apply_parent(self, buckets: list[dict[str, Any]]) -> list[dict[str, Any]]:
        ordered = list(buckets)
        for path, asc in reversed(self.sort):
            # a bucket without a value is dropped (skip) or keeps its place at the end
            present = [b for b in ordered if self.sort_value(b, path) is not None]
            absent = [] if self.gap_policy == "skip" else \
                [b for b in ordered if self.sort_value(b, path) is None]
            present.sort(key=lambda b, p=path: self.sort_value(b, p), reverse=not asc)
            ordered = present + absent
        end = None if self.size is None else self.start + self.size
        return ordered[self.start:end]


class SiblingPipeline(Pipeline):
    """Collects one value per bucket of the aggregation the path starts with."""

    parent = False

    def values(self, level: dict[str, Any]) -> list[tuple[Any, float]]:
        head, _, rest = self.path.partition(">")
        names, metric = split_path(head)
        if not rest:
            rest = metric or "_count"
        elif metric is not None:
            raise IllegalArgument(f"Invalid buckets_path [{self.path}]")
        agg = level.get(names[0])
        if agg is None:
            raise IllegalArgument(f"No aggregation found for path [{self.path}]")
        out = []
        for bucket in _bucket_list(agg):
            value = bucket_value(bucket, rest, self.gap_policy)
            if value is not None:
                out.append((bucket.get("key_as_string", bucket.get("key")), value))
        return out

    def apply_sibling(self, level: dict[str, Any]) -> None:
        level[self.name] = self.result(self.compute(self.values(level)))

    def compute(self, values: list[tuple[Any, float]]) -> dict[str, Any]:
        raise NotImplementedError


class AvgBucket(SiblingPipeline):
    type_name = "avg_bucket"

    def compute(self, values: list[tuple[Any, float]]) -> dict[str, Any]:
        return {"value": statistics.fmean(v for _, v in values) if values else None}


class SumBucket(SiblingPipeline):
    type_name = "sum_bucket"

    def compute(self, values: list[tuple[Any, float]]) -> dict[str, Any]:
        return {"value": float(sum(v for _, v in values))}


class MaxBucket(SiblingPipeline):
    type_name = "max_bucket"
    pick = staticmethod(max)

    def compute(self, values: list[tuple[Any, float]]) -> dict[str, Any]:
        if not values:
            return {"value": None, "keys": []}
        best = self.pick(v for _, v in values)
        return {"value": best, "keys": [str(k) for k, v in values if v == best]}


class MinBucket(MaxBucket):
    type_name = "min_bucket"
    pick = staticmethod(min)


class StatsBucket(SiblingPipeline):
    type_name = "stats_bucket"

    def compute(self, values: list[tuple[Any, float]]) -> dict[str, Any]:
        numbers = [v for _, v in values]
        if not numbers:
            return {"count": 0, "min": None, "max": None, "avg": None, "sum": 0.0}
        return {"count": len(numbers), "min": min(numbers), "max": max(numbers),
                "avg": statistics.fmean(numbers), "sum": float(sum(numbers))}


class ExtendedStatsBucket(StatsBucket):
    type_name = "extended_stats_bucket"

    def compute(self, values: list[tuple[Any, float]]) -> dict[str, Any]:
        numbers = [v for _, v in values]
        stats = Stats(len(numbers), float(sum(numbers)), min(numbers, default=None),
                      max(numbers, default=None), float(sum(v * v for v in numbers)))
        sigma = as_number(self.params.get("sigma", 2.0), "sigma", self.name)
        return ExtendedStats.describe(stats, sigma)


class PercentilesBucket(SiblingPipeline):
    type_name = "percentiles_bucket"

    def compute(self, values: list[tuple[Any, float]]) -> dict[str, Any]:
        percents = self.params.get("percents", [1.0, 5.0, 25.0, 50.0, 75.0, 95.0, 99.0])
        numbers = sorted(v for _, v in values)
        out = {}
        for percent in percents:
            if not numbers:
                out[str(float(percent))] = None
                continue
            index = math.floor(percent / 100 * (len(numbers) - 1) + 0.5)
            out[str(float(percent))] = numbers[max(0, min(index, len(numbers) - 1))]
        if self.params.get("keyed", True) is False:
            return {"values": [{"key": float(k), "value": v} for k, v in out.items()]}
        return {"values": out}


PIPELINES: dict[str, type[Pipeline]] = {cls.type_name: cls for cls in (
    Derivative, SerialDiff, CumulativeSum, MovingFn, MovingAvg, BucketScript, BucketSelector,
    BucketSort, AvgBucket, SumBucket, MaxBucket, MinBucket, StatsBucket, ExtendedStatsBucket,
    PercentilesBucket)}
