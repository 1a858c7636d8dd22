"""GROUP BY and aggregate functions pushed down as search aggregations.

Group keys that bucket as a composite source does (:mod:`.buckets`) and aggregates over
plain fields (``COUNT(*)``, ``COUNT(f)``, ``COUNT(DISTINCT f)``, ``SUM``, ``AVG``, ``MIN``,
``MAX``, ``PERCENTILE(f, p)``) become aggregations: one field key ordered by the key or an
aggregate with a LIMIT is a ``terms`` aggregation, several field keys ordered by an
aggregate with a LIMIT a ``multi_terms`` one (the numbers ``_search`` answers, exactly;
documents missing a key are in no bucket, as there); anything else a ``composite`` aggregation paged with ``after_key``, however many
groups. The groups form a table (one row each, keys ``k0..``, aggregates ``a0..``); when
the select list is just those columns in bucket order the table is the answer, otherwise
DuckDB runs HAVING, ORDER BY, expressions over aggregates and LIMIT on the statement
rewritten over it.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlglot import exp

from loghaven.search.service import SearchService
from loghaven.sql import engine
from loghaven.sql.buckets import Key, key_of
from loghaven.sql.plan import (
    Answer,
    Search,
    int_clause,
    item_target,
    output_schema,
    plain_field,
)
from loghaven.sql.resolve import Statement
from loghaven.sql.schema import Schema
from loghaven.sql.settings import SqlSettings
from loghaven.sql.values import duck_type, timestamp_of, to_answer

_PERCENTILES = ("percentile", "percentile_approx")
_METRICS = {exp.Sum: "sum", exp.Avg: "avg", exp.Min: "min", exp.Max: "max"}
_NUMERIC = frozenset({"long", "integer", "short", "byte", "double", "float", "half_float",
                      "scaled_float", "unsigned_long", "date", "date_nanos"})
#: The clauses a grouped statement may use to push down (the rest runs over its groups).
CLAUSES = frozenset({"expressions", "from_", "where", "group", "having", "order", "limit",
                     "offset", "distinct"})
#: Groups per composite page.
PAGE = 1000
#: cardinality's most exact setting: counts up to this are exact.
PRECISION = 40_000


def is_aggregate(node: exp.Expression) -> bool:
    return isinstance(node, exp.AggFunc) or (
        isinstance(node, exp.Anonymous) and node.name.lower() in _PERCENTILES)


def has_aggregates(tree: exp.Select) -> bool:
    parts = [*list(tree.expressions), tree.args.get("having"), tree.args.get("order")]
    return any(is_aggregate(n) for part in parts if part is not None
               for n in part.find_all(exp.Func))


@dataclass
class Metric:
    """One pushed aggregate: its column in the group table and how a bucket holds it."""

    column: str
    kind: str
    es_field: str | None
    es_type: str
    percent: float | None = None

    def agg(self) -> dict[str, Any] | None:
        if self.kind == "count_star":
            return None
        if self.kind == "percentiles":
            return {"percentiles": {"field": self.es_field, "percents": [self.percent],
                                    "keyed": False}}
        body: dict[str, Any] = {"field": self.es_field}
        if self.kind == "cardinality":
            body["precision_threshold"] = PRECISION
        return {self.kind: body}

    def value(self, bucket: dict[str, Any]) -> Any:
        if self.kind == "count_star":
            return bucket["doc_count"]
        result = bucket[self.column]
        if self.kind == "percentiles":
            values = result["values"]
            return values[0]["value"] if values else None
        value = result.get("value")
        if self.kind in ("min", "max") and self.es_type in ("date", "date_nanos") \
                and value is not None:
            return timestamp_of(int(value))
        if self.kind in ("sum", "min", "max") and duck_type(self.es_type) == "BIGINT" \
                and value is not None:
            return int(value)
        return value

    @property
    def duck(self) -> str:
        if self.kind in ("count_star", "value_count", "cardinality"):
            return "BIGINT"
        if self.kind in ("avg", "percentiles"):
            return "DOUBLE"
        return duck_type(self.es_type) if duck_type(self.es_type) != "VARCHAR" else "DOUBLE"


@dataclass
class GroupPlan:
    """Groups from aggregations, finished in DuckDB when the statement needs more."""

    index: str
    query: dict[str, Any]
    keys: list[Key]
    metrics: list[Metric]
    statement: Statement
    #: The statement over the group table, which DuckDB runs unless ``direct``.
    rewritten: exp.Select
    terms_size: int | None = None
    terms_order: dict[str, str] | None = None
    #: The group-table columns that answer as they are (no DuckDB step), with a LIMIT.
    direct: tuple[list[str], int | None] | None = None
    searches: list[Search] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.searches = [Search(self.index, self.body(None))]

    @property
    def in_process(self) -> str | None:
        return None if self.direct is not None else self.duck_sql

    @functools.cached_property
    def duck_sql(self) -> str:
        return engine.to_duckdb(self.rewritten)

    def metric_aggs(self) -> dict[str, Any]:
        return {m.column: m.agg() for m in self.metrics if m.agg() is not None}

    def body(self, after: dict[str, Any] | None) -> dict[str, Any]:
        body: dict[str, Any] = {"query": self.query, "size": 0, "track_total_hits": True}
        if not self.keys:
            if self.metric_aggs():
                body["aggs"] = self.metric_aggs()
            return body
        if self.terms_size is not None:
            fields = [k.source["terms"]["field"] for k in self.keys]
            terms: dict[str, Any] = {"field": fields[0]} if len(fields) == 1 else \
                {"terms": [{"field": f} for f in fields]}
            terms["size"] = self.terms_size
            if self.terms_order is not None:
                terms["order"] = self.terms_order
            group: dict[str, Any] = {"terms" if len(fields) == 1 else "multi_terms": terms}
        else:
            composite: dict[str, Any] = {"size": PAGE, "sources": [
                {k.column: k.source} for k in self.keys]}
            if after is not None:
                composite["after"] = after
            group = {"composite": composite}
        if self.metric_aggs():
            group["aggs"] = self.metric_aggs()
        body["aggs"] = {"groups": group}
        return body

    def run(self, search: SearchService, settings: SqlSettings, fetch_size: int) -> Answer:
        columns: dict[str, list[Any]] = {c: [] for c in self._types()}
        responses: list[dict[str, Any]] = []
        enough = self.direct[1] if self.direct is not None else None
        for bucket, key in self._buckets(search, responses):
            if enough is not None and len(columns["__ord"]) >= enough:
                break  # the groups in bucket order already answer the LIMIT
            for k in self.keys:
                columns[k.column].append(k.value(key[k.column]))
            for m in self.metrics:
                columns[m.column].append(m.value(bucket))
            columns["__ord"].append(len(columns["__ord"]))
        if self.direct is not None:
            names, limit = self.direct
            count = len(columns["__ord"]) if limit is None else min(limit, len(columns["__ord"]))
            output = engine.Output(names, [self._types()[n] for n in names],
                                   [[to_answer(columns[n][i]) for n in names]
                                    for i in range(count)])
        else:
            output = engine.run([engine.Table("groups", self._types(), columns)],
                                self.duck_sql)
        schema = output_schema(self.statement, self.statement.names, output.types)
        return Answer(schema, output.rows, len(output.rows),
                      search=responses[0] if len(responses) == 1 else None)

    def _types(self) -> dict[str, str]:
        types = {k.column: k.duck_type for k in self.keys}
        types.update({m.column: m.duck for m in self.metrics})
        types["__ord"] = "BIGINT"
        return types

    def _buckets(self, search: SearchService, responses: list[dict[str, Any]]
                 ) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
        """(bucket, key) of every group; each search response is added to ``responses``."""
        if not self.keys or self.terms_size is not None:
            response = search.search(self.index, self.body(None), {})
            responses.append(response)
            if not self.keys:
                yield {"doc_count": response["hits"]["total"]["value"],
                       **response.get("aggregations", {})}, {}
                return
            for bucket in response["aggregations"]["groups"]["buckets"]:
                values = bucket["key"] if len(self.keys) > 1 else [bucket["key"]]
                yield bucket, {k.column: v for k, v in zip(self.keys, values, strict=True)}
            return
        after = None
        while True:
            response = search.search(self.index, self.body(after), {})
            responses.append(response)
            groups = response["aggregations"]["groups"]
            for bucket in groups["buckets"]:
                yield bucket, bucket["key"]
            after = groups.get("after_key")
            if not groups["buckets"] or after is None:
                return


def plan_groups(statement: Statement, query: dict[str, Any]) -> GroupPlan | None:
    """The aggregation plan of a grouped statement, or None when some part cannot be
    pushed (then the rows go to DuckDB whole)."""
    tree = statement.tree
    schema = statement.sources[0].schema
    keys = _keys(statement, schema)
    if keys is None:
        return None
    metrics: dict[str, tuple[exp.Expression, Metric]] = {}
    parts = [*list(tree.expressions), tree.args.get("having"), tree.args.get("order")]
    for part in parts:
        if part is None:
            continue
        for node in part.find_all(exp.Func):
            if not is_aggregate(node) or any(is_aggregate(a) for a in _ancestors(node)):
                continue
            text = node.sql()
            if text in metrics:
                continue
            metric = _metric(node, schema, f"a{len(metrics)}")
            if metric is None:
                return None
            metrics[text] = (node, metric)
    group = tree.args.get("group")
    key_types = tuple({type(item_target(statement, entry))
                       for entry in (group.expressions if group is not None else [])})
    rewritten = _rewrite(tree, keys, key_types,
                         {t: m.column for t, (_, m) in metrics.items()})
    if rewritten is None:
        return None
    terms = _terms(statement, keys, metrics)
    if terms is not None:
        rewritten.set("order", exp.Order(expressions=[exp.Ordered(
            this=exp.column("__ord"), desc=False)]))
    metric_list = [m for _, m in metrics.values()]
    index = statement.sources[0].index
    columns = {k.column for k in keys} | {m.column for m in metric_list}
    direct = _direct(rewritten, columns, terms is not None)
    size, order = terms if terms is not None else (None, None)
    return GroupPlan(index, query, keys, metric_list, statement, rewritten, size, order, direct)


def _direct(rewritten: exp.Select, columns: set[str], in_bucket_order: bool
            ) -> tuple[list[str], int | None] | None:
    """The group-table columns the statement answers as they are, in bucket order (and its
    LIMIT); None when DuckDB has work to do (expressions, HAVING, a re-ordering)."""
    used = {key for key, value in rewritten.args.items() if value}
    if not used <= {"expressions", "from_", "order", "limit"} or \
            (rewritten.args.get("order") is not None and not in_bucket_order):
        return None
    names = []
    for item in rewritten.expressions:
        inner = item.this if isinstance(item, exp.Alias) else item
        if not isinstance(inner, exp.Column) or inner.table or inner.name not in columns:
            return None
        names.append(inner.name)
    return names, int_clause(rewritten, "limit")


def _ancestors(node: exp.Expression) -> list[exp.Expression]:
    out = []
    parent = node.parent
    while parent is not None:
        out.append(parent)
        parent = parent.parent
    return out


def _keys(statement: Statement, schema: Schema) -> list[Key] | None:
    group = statement.tree.args.get("group")
    keys: list[Key] = []
    for entry in group.expressions if group is not None else []:
        key = key_of(item_target(statement, entry), schema, f"k{len(keys)}")
        if key is None:
            return None
        keys.append(key)
    return keys


def _metric(node: exp.Expression, schema: Schema, column: str) -> Metric | None:
    if isinstance(node, exp.Count):
        arg = node.this
        if isinstance(arg, exp.Star) or arg is None:
            return Metric(column, "count_star", None, "long")
        distinct = isinstance(arg, exp.Distinct)
        if distinct:
            if len(arg.expressions) != 1:
                return None
            arg = arg.expressions[0]
        target = _field(arg, schema, numeric=False)
        if target is None:
            return None
        return Metric(column, "cardinality" if distinct else "value_count", target[0],
                      target[1])
    if type(node) in _METRICS:
        target = _field(node.this, schema, numeric=True)
        return None if target is None else Metric(column, _METRICS[type(node)], *target)
    if isinstance(node, exp.Anonymous) and node.name.lower() in _PERCENTILES:
        args = node.expressions
        if len(args) != 2 or not isinstance(args[1], exp.Literal) or args[1].is_string:
            return None
        target = _field(args[0], schema, numeric=True)
        return None if target is None else Metric(column, "percentiles", *target,
                                                  percent=float(args[1].this))
    return None


def _field(node: exp.Expression, schema: Schema, *, numeric: bool) -> tuple[str, str] | None:
    path = plain_field(node) if isinstance(node, exp.Column) else None
    if path is None or path not in schema:
        return None
    es_type = schema.fields[path].es_type
    es_field = schema.keyword_of(path)
    if es_field is None or (numeric and es_type not in _NUMERIC):
        return None
    return es_field, es_type


def _rewrite(tree: exp.Select, keys: list[Key], key_types: tuple[type, ...],
             metrics: dict[str, str]) -> exp.Select | None:
    """The statement over the group table; None when it reads a field that is no key
    outside an aggregate."""
    by_expression = {k.expression: k.column for k in keys}
    rewritten = tree.copy()

    def swap(node: exp.Expression) -> exp.Expression:
        # rendering a node renders its subtree: only nodes of a key's or an aggregate's
        # kind are rendered to be compared
        if is_aggregate(node):
            text = node.sql()
            return exp.column(metrics[text]) if text in metrics else node
        if isinstance(node, key_types) and not isinstance(node, exp.Literal):
            text = node.sql()
            if text in by_expression:
                return exp.column(by_expression[text])
        return node
    rewritten = rewritten.transform(swap)
    having = rewritten.args.get("having")
    rewritten.set("having", None)
    rewritten.set("group", None)
    rewritten.set("where", exp.Where(this=having.this) if having is not None else None)
    aliases = {item.alias for item in tree.expressions if isinstance(item, exp.Alias)}
    if any(column.this.quoted and (column.table or column.name not in aliases)
           for column in rewritten.find_all(exp.Column)):
        return None
    rewritten.set("from_", exp.From(this=exp.Table(this=exp.to_identifier("groups",
                                                                             quoted=True))))
    return rewritten


def _terms(statement: Statement, keys: list[Key],
           metrics: dict[str, tuple[exp.Expression, Metric]]
           ) -> tuple[int, dict[str, str]] | None:
    """(size, order) when the statement is a top-n over field keys: a terms aggregation
    (one key) or a multi_terms aggregation (several, ordered by an aggregate)."""
    tree = statement.tree
    order = tree.args.get("order")
    limit = int_clause(tree, "limit")
    if not keys or not all(k.is_terms for k in keys) or limit is None or order is None \
            or len(order.expressions) != 1 or any(tree.args.get(clause) for clause in
                                                  ("offset", "having", "distinct")):
        return None
    ordered = order.expressions[0]
    direction = "desc" if ordered.args.get("desc") else "asc"
    target = item_target(statement, ordered.this)
    if len(keys) == 1 and target.sql() == keys[0].expression:
        return limit, {"_key": direction}
    if not is_aggregate(target) or target.sql() not in metrics:
        return None
    metric = metrics[target.sql()][1]
    if metric.kind == "count_star":
        return limit, {"_count": direction}
    if metric.kind in ("sum", "avg", "min", "max", "value_count", "cardinality"):
        return limit, {metric.column: direction}
    return None
