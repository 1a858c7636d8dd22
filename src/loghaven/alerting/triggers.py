"""Trigger evaluation for the three monitor kinds, as OpenSearch's TriggerService.

Conditions are Painless run by the safe evaluator (``loghaven.scripting``), never ``eval``:
a query-level condition sees ``ctx`` (results, periodStart, periodEnd, monitor, trigger,
alert) and ``params``; a bucket-level condition runs once per bucket of the parent
aggregation with its ``buckets_path`` values as ``params.<name>`` (OpenSearch's
``bucket_selector_ext``); a document-level condition is OpenSearch's query expression
(``query[tag=sev1] || query[name=x] && !query[id=y]``) over which queries matched a document.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from loghaven.alerting.inputs import error_message
from loghaven.errors import LoghavenError
from loghaven.scripting import compile
from loghaven.scripting.java_text import java_str

TRIGGER_KINDS = ("query_level_trigger", "bucket_level_trigger", "document_level_trigger")


def unwrap(trigger: dict[str, Any]) -> dict[str, Any]:
    """The trigger's body, whether given as GET renders it (``{"query_level_trigger": {...}}``)
    or already unwrapped."""
    for kind in TRIGGER_KINDS:
        if isinstance(trigger.get(kind), dict):
            return trigger[kind]
    return trigger


def _script(condition: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    script = condition.get("script") or {}
    if isinstance(script, str):
        return script, {}
    return script.get("source", script.get("inline", "")), dict(script.get("params") or {})


def _as_boolean(value: Any) -> bool:
    if not isinstance(value, bool):
        raise LoghavenError(f"cannot cast [{type(value).__name__}] to [boolean]: a trigger "
                            f"condition must return true or false",
                            type="class_cast_exception", status=400)
    return value


@dataclass
class QueryLevelResult:
    triggered: bool
    error: str | None = None


def query_level(trigger: dict[str, Any], ctx: dict[str, Any]) -> QueryLevelResult:
    """Run the condition; a failing script counts as triggered, so the error alerts (as
    OpenSearch: "if the script fails we need to send an alert")."""
    source, params = _script(trigger.get("condition") or {})
    try:
        return QueryLevelResult(_as_boolean(compile(source).execute({"ctx": ctx,
                                                                     "params": params})))
    except LoghavenError as error:
        return QueryLevelResult(True, error_message(error))


# -- bucket-level --

@dataclass
class BucketLevelResult:
    #: Triggered buckets by their keys' hash: ``{parent_bucket_path, bucket_keys, bucket}``.
    buckets: dict[str, dict[str, Any]] = field(default_factory=dict)
    error: str | None = None


def bucket_keys_hash(keys: list[str]) -> str:
    """OpenSearch's ``getBucketKeysHash``: the keys joined with ``#``."""
    return "#".join(keys)


def bucket_keys(bucket: dict[str, Any]) -> list[str]:
    """A bucket's keys as strings: a composite bucket's values in source order, else its key."""
    key = bucket.get("key")
    if isinstance(key, dict):
        return [java_str(value) for value in key.values()]
    return [bucket.get("key_as_string", java_str(key))]


def _parent_buckets(results: list[dict[str, Any]], path: str) -> list[dict[str, Any]]:
    node: Any = (results[0] if results else {}).get("aggregations") or {}
    for part in path.split(">"):
        if not isinstance(node, dict) or part not in node:
            raise LoghavenError(f"No aggregation found for path [{path}]",
                                type="aggregation_execution_exception", status=400)
        node = node[part]
    buckets = node.get("buckets") if isinstance(node, dict) else None
    if isinstance(buckets, dict):  # keyed buckets (filters, ranges with keyed)
        return [{"key": name, **value} for name, value in buckets.items()]
    if not isinstance(buckets, list):
        raise LoghavenError(f"buckets_path must reference a multi-bucket aggregation, "
                            f"[{path}] is not one", type="aggregation_execution_exception",
                            status=400)
    return buckets


def _bucket_value(bucket: dict[str, Any], path: str) -> Any:
    """A ``buckets_path`` value: ``_count``, ``_key``, ``agg``, ``agg.metric``, ``a>b.metric``."""
    if path == "_count":
        return bucket.get("doc_count")
    if path == "_key":
        return bucket.get("key")
    node: Any = bucket
    parts = path.split(">")
    for part in parts[:-1]:
        node = node.get(part) if isinstance(node, dict) else None
    last = parts[-1]
    name, _, metric = last.partition(".")
    found = re.fullmatch(r"(.+)\[(.+)\]", name)
    if found:
        name, metric = found.group(1), found.group(2)
    value = node.get(name) if isinstance(node, dict) else None
    if name == "_count":
        return node.get("doc_count") if isinstance(node, dict) else None
    if not isinstance(value, dict):
        raise LoghavenError(f"No aggregation found for path [{path}]",
                            type="aggregation_execution_exception", status=400)
    if metric:
        return value.get(metric, (value.get("values") or {}).get(metric))
    return value.get("value", value.get("doc_count"))


def _selected(bucket: dict[str, Any], selector: dict[str, Any] | None) -> bool:
    """The condition's ``filter`` (OpenSearch's BucketSelectorExtFilter): ``include`` /
    ``exclude`` (a regular expression matching the whole key, or a list of keys) on a terms
    bucket's key, or per source of a composite key under ``composite_agg_filter``."""
    if not selector:
        return True
    key = bucket.get("key")
    if "composite_agg_filter" in selector:
        sources = key if isinstance(key, dict) else {}
        return all(_included(java_str(sources.get(name)), rule)
                   for name, rule in selector["composite_agg_filter"].items())
    return _included(java_str(key), selector)


def _included(value: str, rule: dict[str, Any]) -> bool:
    def matches(pattern: Any) -> bool:
        if isinstance(pattern, list):
            return value in {java_str(v) for v in pattern}
        return re.fullmatch(str(pattern), value) is not None
    if "include" in rule and not matches(rule["include"]):
        return False
    return not ("exclude" in rule and matches(rule["exclude"]))


def bucket_level(trigger: dict[str, Any], results: list[dict[str, Any]]) -> BucketLevelResult:
    condition = trigger.get("condition") or {}
    parent = condition.get("parent_bucket_path") or ""
    paths: dict[str, str] = condition.get("buckets_path") or {}
    source, params = _script(condition)
    gap_policy = str(condition.get("gap_policy", "skip")).lower()
    try:
        script = compile(source)
        triggered: dict[str, dict[str, Any]] = {}
        for bucket in _parent_buckets(results, parent):
            if not _selected(bucket, condition.get("filter")):
                continue
            values = {name: _bucket_value(bucket, path) for name, path in paths.items()}
            if any(value is None for value in values.values()):  # a gap, as ES's gap_policy
                if gap_policy == "skip":
                    continue
                if gap_policy == "insert_zeros":
                    values = {k: 0 if v is None else v for k, v in values.items()}
            variables = {**params, **values}
            if _as_boolean(script.execute({"params": variables})):
                keys = bucket_keys(bucket)
                triggered[bucket_keys_hash(keys)] = {
                    "parent_bucket_path": parent, "bucket_keys": keys, "bucket": bucket}
        return BucketLevelResult(triggered)
    except LoghavenError as error:
        return BucketLevelResult({}, error_message(error))


# -- document-level --

_TOKEN = re.compile(r"\s*(query\[[^\]]*\]|&&|\|\||!|\(|\))")


@dataclass
class DocLevelResult:
    #: The triggered documents as OpenSearch names them: ``<doc id>|<index>``.
    docs: list[str] = field(default_factory=list)
    error: str | None = None


def doc_level(trigger: dict[str, Any], queries: list[dict[str, Any]],
              matches: dict[str, set[str]]) -> DocLevelResult:
    """``matches``: each query id → the documents it matched in this run."""
    source, _ = _script(trigger.get("condition") or {})
    every = set().union(*matches.values()) if matches else set()
    try:
        if "query[" in source:
            found = _Expression(source, queries, matches, every).parse()
        else:  # a plain Painless condition such as "return true": all matched documents
            found = every if _as_boolean(compile(source).execute({"params": {}})) else set()
    except LoghavenError as error:
        return DocLevelResult([], error_message(error))
    return DocLevelResult(sorted(found))


class _Expression:
    """``||`` binds looser than ``&&``, ``!`` is a complement within the matched documents."""

    def __init__(self, source: str, queries: list[dict[str, Any]],
                 matches: dict[str, set[str]], every: set[str]) -> None:
        self.tokens = self._tokenize(source)
        self.queries = queries
        self.matches = matches
        self.every = every
        self.at = 0

    @staticmethod
    def _tokenize(source: str) -> list[str]:
        tokens, at = [], 0
        while at < len(source.rstrip()):
            found = _TOKEN.match(source, at)
            if found is None:
                raise LoghavenError(f"Invalid document-level trigger condition [{source}] at "
                                    f"position [{at}]", type="illegal_argument_exception",
                                    status=400)
            tokens.append(found.group(1))
            at = found.end()
        return tokens

    def parse(self) -> set[str]:
        result = self._or()
        if self.at != len(self.tokens):
            raise LoghavenError(f"Invalid document-level trigger condition: unexpected "
                                f"[{self.tokens[self.at]}]", type="illegal_argument_exception",
                                status=400)
        return result

    def _next(self) -> str | None:
        return self.tokens[self.at] if self.at < len(self.tokens) else None

    def _or(self) -> set[str]:
        result = self._and()
        while self._next() == "||":
            self.at += 1
            result = result | self._and()
        return result

    def _and(self) -> set[str]:
        result = self._unary()
        while self._next() == "&&":
            self.at += 1
            result = result & self._unary()
        return result

    def _unary(self) -> set[str]:
        token = self._next()
        self.at += 1
        if token == "!":
            return self.every - self._unary()
        if token == "(":
            result = self._or()
            if self._next() != ")":
                raise LoghavenError("Invalid document-level trigger condition: missing [)]",
                                    type="illegal_argument_exception", status=400)
            self.at += 1
            return result
        if token is None or not token.startswith("query["):
            raise LoghavenError(f"Invalid document-level trigger condition: unexpected "
                                f"[{token}]", type="illegal_argument_exception", status=400)
        return self._term(token[len("query["):-1])

    def _term(self, selector: str) -> set[str]:
        key, _, value = selector.partition("=")
        key, value = key.strip(), value.strip()
        if key not in ("id", "name", "tag"):
            raise LoghavenError(f"Invalid document-level trigger condition: [query[{selector}]]"
                                f" must select by id, name or tag",
                                type="illegal_argument_exception", status=400)
        docs: set[str] = set()
        for query in self.queries:
            chosen = value in (query.get("tags") or []) if key == "tag" \
                else str(query.get(key)) == value
            if chosen:
                docs |= self.matches.get(str(query.get("id")), set())
        return docs
