"""Property-based fuzzing of the request bodies users send most: search (query DSL and
aggregations) and bulk.

Bodies are generated from a grammar of what Elasticsearch accepts, then mutated (types
swapped, keys dropped, renamed or added, junk inserted, lists and objects swapped, huge
numbers, unicode). Whatever the body, the server must answer with JSON in ES's shape and a
status below 500, keep the connection, and go on answering ``GET /``.

The suite runs a fixed, derandomized budget; ``LOGHAVEN_FUZZ_EXAMPLES=5000`` runs it longer
and ``LOGHAVEN_FUZZ_RANDOM=1`` with new random examples each time.
Nesting stays within 4 levels of ``bool`` and 2 of aggregations, which ES's own depth limits
allow, so that what is found here is about types and values rather than size.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import httpx
import orjson
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

INDEX = "fuzz"
BULK_INDEX = "fuzz-bulk"
EXAMPLES = int(os.environ.get("LOGHAVEN_FUZZ_EXAMPLES", "500"))
#: The suite's run is the same every time; ``LOGHAVEN_FUZZ_RANDOM=1`` explores new examples.
FUZZ = settings(max_examples=EXAMPLES, deadline=None, database=None,
                derandomize=not os.environ.get("LOGHAVEN_FUZZ_RANDOM"),
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.filter_too_much])

MAPPING = {"properties": {
    "k": {"type": "keyword"}, "t": {"type": "text"}, "n": {"type": "long"},
    "f": {"type": "double"}, "d": {"type": "date"}, "b": {"type": "boolean"},
    "ip": {"type": "ip"}, "o": {"properties": {"x": {"type": "keyword"}}},
}}
DOCS = [
    {"k": "a", "t": "quick brown fox", "n": 1, "f": 1.5, "d": "2024-01-01T00:00:00Z",
     "b": True, "ip": "10.0.0.1", "o": {"x": "p"}},
    {"k": "b", "t": "lazy dog", "n": -5, "f": -0.25, "d": "2024-02-10", "b": False,
     "ip": "192.168.1.9"},
    {"k": "日本", "t": "über straße", "n": 9_000_000_000_000, "f": 1e300, "d": 0},
    {"k": ["a", "c"], "t": ["x y", "z"], "n": [3, 4], "d": "2023-12-31T23:59:59.999Z"},
    {"t": "", "o": {"x": ["q", "r"]}},
]

FIELDS = ["k", "t", "n", "f", "d", "b", "ip", "o.x", "t.keyword", "missing", "_id", "*"]
field_names = st.sampled_from(FIELDS)
words = st.sampled_from(["a", "b", "fox", "dog", "日本", "über", "*", "a*", "?", "10.0.0.1",
                         "2024-01-01", "now-1d", "1", "-5", "true", ""])
huge = st.sampled_from([2**63, -(2**63) - 1, 2**64, 2**70, 10**30, 1e300, -1e300, 2**63 - 1])
scalars = st.one_of(words, st.integers(-10**6, 10**6), st.floats(allow_nan=False,
                    allow_infinity=False, width=32), st.booleans(), huge,
                    st.text(max_size=12))
any_keys = st.text(max_size=8)
#: Field names in documents: any text, reserved (``_id``), empty and dotted-empty ones too.
doc_keys = st.one_of(st.text(max_size=8), st.sampled_from(
    ["_id", "_source", "_version", "", ".", "a..b", "-a", "a.", "_x"]))


def _json(keys: st.SearchStrategy[str]) -> st.SearchStrategy[Any]:
    return st.recursive(
        st.one_of(st.none(), scalars),
        lambda inner: st.one_of(st.lists(inner, max_size=3),
                                st.dictionaries(keys, inner, max_size=3)),
        max_leaves=6)


json_values = _json(any_keys)
doc_values = _json(doc_keys)


def _field_value(kind: str) -> st.SearchStrategy[dict[str, Any]]:
    return st.builds(lambda f, v: {kind: {f: v}}, field_names, scalars)


leaf_queries = st.one_of(
    st.just({"match_all": {}}),
    st.just({"match_none": {}}),
    _field_value("term"),
    _field_value("match"),
    _field_value("match_phrase"),
    _field_value("match_phrase_prefix"),
    _field_value("prefix"),
    _field_value("wildcard"),
    _field_value("regexp"),
    _field_value("fuzzy"),
    st.builds(lambda f, vs: {"terms": {f: vs}}, field_names, st.lists(scalars, max_size=4)),
    st.builds(lambda f, op, v, op2, v2: {"range": {f: {op: v, op2: v2}}}, field_names,
              st.sampled_from(["gt", "gte", "lt", "lte"]), scalars,
              st.sampled_from(["gt", "gte", "lt", "lte", "format", "time_zone"]), scalars),
    st.builds(lambda f: {"exists": {"field": f}}, field_names),
    st.builds(lambda vs: {"ids": {"values": vs}}, st.lists(words, max_size=3)),
    st.builds(lambda q, f: {"query_string": {"query": q, "default_field": f}}, words,
              field_names),
    st.builds(lambda q: {"simple_query_string": {"query": q}}, words),
    st.builds(lambda q, fs: {"multi_match": {"query": q, "fields": fs}}, words,
              st.lists(field_names, max_size=3)),
)


def _compound(inner: st.SearchStrategy[dict[str, Any]]) -> st.SearchStrategy[dict[str, Any]]:
    clauses = st.lists(inner, max_size=3)
    return st.one_of(
        st.builds(lambda must, should, flt, must_not, msm: {"bool": {
            "must": must, "should": should, "filter": flt, "must_not": must_not,
            **({"minimum_should_match": msm} if msm is not None else {})}},
            clauses, clauses, clauses, clauses, st.one_of(st.none(), st.integers(-2, 3),
                                                          st.just("50%"))),
        st.builds(lambda q: {"constant_score": {"filter": q, "boost": 2}}, inner),
        st.builds(lambda qs: {"dis_max": {"queries": qs}}, clauses),
        st.builds(lambda p, n: {"boosting": {"positive": p, "negative": n,
                                             "negative_boost": 0.5}}, inner, inner),
    )


queries = st.recursive(leaf_queries, _compound, max_leaves=6)

metric_aggs = st.builds(
    lambda kind, f: {kind: {"field": f}},
    st.sampled_from(["avg", "min", "max", "sum", "stats", "extended_stats", "value_count",
                     "cardinality", "percentiles"]), field_names)
bucket_aggs = st.one_of(
    st.builds(lambda f, size: {"terms": {"field": f, "size": size}}, field_names,
              st.integers(0, 20)),
    st.builds(lambda f, i: {"histogram": {"field": f, "interval": i}}, field_names,
              st.sampled_from([1, 10, 0.5, 1000])),
    st.builds(lambda f, i: {"date_histogram": {"field": f, "fixed_interval": i}}, field_names,
              st.sampled_from(["1d", "1h", "30d"])),
    st.builds(lambda f, i: {"date_histogram": {"field": f, "calendar_interval": i}},
              field_names, st.sampled_from(["day", "month", "1y"])),
    st.builds(lambda f, rs: {"range": {"field": f, "ranges": rs}}, field_names,
              st.lists(st.fixed_dictionaries({}, optional={"from": scalars, "to": scalars}),
                       max_size=4)),
    st.builds(lambda q: {"filter": q}, leaf_queries),
    st.builds(lambda qs: {"filters": {"filters": qs}},
              st.dictionaries(st.sampled_from(["x", "y", "z"]), leaf_queries, max_size=3)),
    st.builds(lambda size: {"top_hits": {"size": size}}, st.integers(0, 5)),
    st.builds(lambda f: {"missing": {"field": f}}, field_names),
)
agg_names = st.sampled_from(["a", "b", "c"])


def _with_subs(inner: st.SearchStrategy[dict[str, Any]]) -> st.SearchStrategy[dict[str, Any]]:
    return st.builds(lambda agg, subs: {**agg, "aggs": subs}, bucket_aggs,
                     st.dictionaries(agg_names, inner, min_size=1, max_size=2))


aggregations = st.dictionaries(
    agg_names, st.recursive(st.one_of(metric_aggs, bucket_aggs), _with_subs, max_leaves=4),
    min_size=1, max_size=3)

search_bodies = st.fixed_dictionaries({}, optional={
    "query": queries,
    "aggs": aggregations,
    "size": st.integers(0, 20),
    "from": st.integers(0, 5),
    "sort": st.lists(st.one_of(field_names, st.builds(
        lambda f, o: {f: {"order": o}}, field_names, st.sampled_from(["asc", "desc"]))),
        max_size=2),
    "_source": st.one_of(st.booleans(), st.lists(field_names, max_size=2)),
    "track_total_hits": st.one_of(st.booleans(), st.integers(0, 100)),
    "post_filter": leaf_queries,
})

documents = st.dictionaries(st.sampled_from(["k", "t", "n", "f", "d", "b", "ip", "o", "new"]),
                            doc_values, max_size=5)
ids = st.one_of(st.none(), st.text(min_size=1, max_size=20), st.integers(0, 10**6))
bulk_actions = st.lists(
    st.tuples(st.sampled_from(["index", "create", "update", "delete"]), ids, documents),
    min_size=1, max_size=6)


# --- mutations -------------------------------------------------------------------------------

def _paths(value: Any, here: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [here]
    if isinstance(value, dict):
        for key, child in value.items():
            found += _paths(child, (*here, key))
    elif isinstance(value, list):
        for position, child in enumerate(value):
            found += _paths(child, (*here, position))
    return found


def _replace(value: Any, path: tuple[Any, ...], new: Any) -> Any:
    if not path:
        return new
    head, rest = path[0], path[1:]
    if isinstance(value, dict):
        return {**value, head: _replace(value[head], rest, new)}
    copy = list(value)
    copy[head] = _replace(copy[head], rest, new)
    return copy


@st.composite
def mutated(draw: st.DrawFn, base: st.SearchStrategy[Any], max_mutations: int = 3,
            keys: st.SearchStrategy[str] = any_keys) -> Any:
    """``base``'s value with up to ``max_mutations`` changes of the kinds users get wrong."""
    values = json_values if keys is any_keys else doc_values
    value = draw(base)
    for _ in range(draw(st.integers(0, max_mutations))):
        paths = _paths(value)
        path = draw(st.sampled_from(paths))
        target: Any = value
        for step in path:
            target = target[step]
        operation = draw(st.sampled_from(
            ["swap", "wrap", "unwrap", "drop", "rename", "junk", "huge", "empty"]))
        if operation == "swap":
            new = draw(values)
        elif operation == "wrap":
            new = draw(st.sampled_from([[target], {"x": target}]))
        elif operation == "unwrap" and isinstance(target, (dict, list)) and target:
            new = next(iter(target.values())) if isinstance(target, dict) else target[0]
        elif operation == "drop" and isinstance(target, dict) and target:
            key = draw(st.sampled_from(sorted(target, key=str)))
            new = {k: v for k, v in target.items() if k != key}
        elif operation == "rename" and isinstance(target, dict) and target:
            key = draw(st.sampled_from(sorted(target, key=str)))
            new = {(draw(keys) if k == key else k): v for k, v in target.items()}
        elif operation == "junk" and isinstance(target, dict):
            new = {**target, draw(keys): draw(values)}
        elif operation == "huge":
            new = draw(huge)
        else:
            new = draw(st.sampled_from([{}, [], "", None, 0]))
        value = _replace(value, path, new)
    return value


# --- the server ------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def fuzz(server: Any) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=60) as client:
        client.delete(f"/{INDEX},{BULK_INDEX}", params={"ignore_unavailable": "true"})
        assert client.put(f"/{INDEX}", json={"mappings": MAPPING}).status_code == 200
        assert client.put(f"/{BULK_INDEX}", json={"mappings": MAPPING}).status_code == 200
        lines = b"".join(orjson.dumps({"index": {"_id": str(i)}}) + b"\n" + orjson.dumps(d)
                         + b"\n" for i, d in enumerate(DOCS))
        response = client.post(f"/{INDEX}/_bulk?refresh=true", content=lines,
                               headers={"content-type": "application/x-ndjson"})
        assert response.status_code == 200 and not response.json()["errors"]
        yield client


def _send(client: httpx.Client, method: str, path: str, content: bytes,
          content_type: str = "application/json") -> dict[str, Any]:
    """Send, and check what every answer must be: JSON in ES's shape, never a 5xx."""
    response = client.request(method, path, content=content,
                              headers={"content-type": content_type})
    assert response.status_code < 500, (path, content[:2000], response.text[:2000])
    body = response.json()
    assert isinstance(body, dict)
    #: Results that ES sends with these statuses and no ``error``: a missing document, a
    #: clear-scroll of unknown ids (404), a by-query operation with version conflicts (409).
    if "error" in body or response.status_code not in (200, 201, 404, 409):
        error = body.get("error")
        assert isinstance(error, dict) and isinstance(error.get("type"), str) \
            and isinstance(error.get("reason"), str), body
        assert body.get("status") == response.status_code, body
    assert client.get("/").status_code == 200
    return body


def _dumps(value: Any) -> bytes:
    """JSON as a client would write it; integers beyond 64 bits as literal digits."""
    try:
        return orjson.dumps(value)
    except TypeError:
        import json
        return json.dumps(value).encode()


@FUZZ
@given(body=mutated(search_bodies))
@example(body={"search_after": [2**70], "sort": ["n"]})
@example(body={"aggs": {"a": {"top_hits": {"size": "x"}}}})
@example(body={"query": {"range": {"n": {"gte": 2**70}}}})
@example(body={"size": 0, "aggs": {"c": {"avg": {"field": ["k"]}}}})  # a list as field
def test_search_bodies_never_fail_the_server(fuzz: httpx.Client, body: Any) -> None:
    result = _send(fuzz, "POST", f"/{INDEX}/_search", _dumps(body))
    if "error" not in result:
        assert isinstance(result["hits"]["hits"], list)
    if isinstance(body, dict) and "query" in body:  # the same query through _count, _validate
        query = _dumps({"query": body["query"]})
        _send(fuzz, "POST", f"/{INDEX}/_count", query)
        _send(fuzz, "POST", f"/{INDEX}/_validate/query", query)


def _bulk_lines(actions: list[tuple[str, Any, Any]]) -> list[Any]:
    lines: list[Any] = []
    for action, doc_id, source in actions:
        meta: dict[str, Any] = {} if doc_id is None else {"_id": doc_id}
        lines.append({action: meta})
        if action == "update":
            lines.append({"doc": source, "doc_as_upsert": True})
        elif action != "delete":
            lines.append(source)
    return lines


def _pin_index(line: Any) -> Any:
    """Keep bulk writes in one index: a mutated ``_index`` would auto-create many."""
    if isinstance(line, dict):
        for meta in line.values():
            if isinstance(meta, dict) and isinstance(meta.get("_index"), str):
                meta["_index"] = BULK_INDEX
    return line


@FUZZ
@given(lines=mutated(bulk_actions.map(_bulk_lines), max_mutations=4, keys=doc_keys))
@example(lines=[{"index": {"_id": "x"}}, {"n": 2**70}])
@example(lines=[{"index": {"_id": "日本"}}, {"n": 1}])
@example(lines=[{"index": {"_id": {}}}, {"n": 1}])
def test_bulk_bodies_never_fail_the_server(fuzz: httpx.Client, lines: Any) -> None:
    if not isinstance(lines, list):
        lines = [lines]
    data = b"".join(_dumps(_pin_index(line)) + b"\n" for line in lines)
    result = _send(fuzz, "POST", f"/{BULK_INDEX}/_bulk", data, "application/x-ndjson")
    if "error" not in result:
        assert isinstance(result["items"], list)
        for item in result["items"]:
            for outcome in item.values():
                assert outcome["status"] < 500, outcome


# --- the other APIs that take a body ----------------------------------------------------------

NEW_INDEX = "fuzz-new"
SETTINGS_INDEX = "fuzz-settings"
mappings = st.fixed_dictionaries({"properties": st.dictionaries(
    st.sampled_from(["k", "t", "n", "d", "o", "new"]),
    st.one_of(st.builds(lambda t: {"type": t}, st.sampled_from(
        ["keyword", "text", "long", "double", "date", "boolean", "ip", "object", "integer"])),
        st.just({"properties": {"x": {"type": "keyword"}}})), max_size=3)},
    optional={"dynamic": st.sampled_from([True, False, "strict", "runtime"])})
index_settings = st.fixed_dictionaries({}, optional={
    "number_of_shards": st.integers(1, 2), "number_of_replicas": st.integers(0, 2),
    "refresh_interval": st.sampled_from(["1s", "-1", "500ms"]),
    "max_result_window": st.integers(1, 20_000), "hidden": st.booleans(),
    "translog": st.just({"durability": "async"})})
alias_bodies = st.dictionaries(st.sampled_from(["fuzz-a1", "fuzz-a2"]), st.fixed_dictionaries(
    {}, optional={"filter": leaf_queries, "is_write_index": st.booleans(),
                  "routing": st.just("1")}), max_size=2)
alias_actions = st.lists(st.builds(
    lambda kind, alias, extra: {kind: {"index": BULK_INDEX, "alias": alias, **extra}},
    st.sampled_from(["add", "remove"]), st.sampled_from(["fuzz-a1", "fuzz-a2"]),
    st.fixed_dictionaries({}, optional={"filter": leaf_queries, "is_write_index": st.booleans(),
                                        "must_exist": st.booleans()})), min_size=1, max_size=3)

#: (method, path, body grammar); writes go to indices of their own, never to INDEX's documents,
#: and names that would reach beyond them (template patterns, indices) are pinned after
#: mutation. ``_cluster/settings`` is left out: it would change the suite's shared server.
ENDPOINTS: list[tuple[str, str, st.SearchStrategy[Any]]] = [
    ("PUT", f"/{NEW_INDEX}", st.fixed_dictionaries({}, optional={
        "settings": index_settings, "mappings": mappings, "aliases": alias_bodies})),
    ("PUT", f"/{SETTINGS_INDEX}/_settings", st.builds(lambda s: {"index": s}, index_settings)),
    ("PUT", f"/{SETTINGS_INDEX}/_mapping", mappings),
    ("POST", f"/{BULK_INDEX}/_doc", documents),
    ("PUT", f"/{BULK_INDEX}/_doc/fuzz-1", documents),
    ("POST", f"/{BULK_INDEX}/_update/fuzz-1", st.fixed_dictionaries({"doc": documents}, optional={
        "doc_as_upsert": st.booleans(), "detect_noop": st.booleans(), "upsert": documents,
        "_source": st.booleans()})),
    ("POST", "/_mget", st.one_of(
        st.builds(lambda ids: {"docs": [{"_index": INDEX, "_id": i} for i in ids]},
                  st.lists(st.sampled_from(["0", "1", "x"]), max_size=3)),
        st.builds(lambda ids: {"ids": ids}, st.lists(words, max_size=3)))),
    ("POST", f"/{INDEX}/_mget", st.builds(lambda ids, src: {"docs": [
        {"_id": i, "_source": src} for i in ids]}, st.lists(words, max_size=2),
        st.one_of(st.booleans(), st.lists(field_names, max_size=2)))),
    ("POST", "/_aliases", st.builds(lambda actions: {"actions": actions}, alias_actions)),
    ("PUT", "/_index_template/fuzz-tpl", st.fixed_dictionaries(
        {"index_patterns": st.just(["fuzz-tpl-*"])}, optional={
            "priority": st.integers(0, 1000), "version": st.integers(0, 5),
            "template": st.fixed_dictionaries({}, optional={
                "settings": index_settings, "mappings": mappings, "aliases": alias_bodies})})),
    ("PUT", "/_template/fuzz-legacy", st.fixed_dictionaries(
        {"index_patterns": st.just(["fuzz-legacy-*"])}, optional={
            "order": st.integers(0, 5), "settings": index_settings, "mappings": mappings,
            "aliases": alias_bodies})),
    ("PUT", "/_component_template/fuzz-component", st.builds(lambda s, m: {"template": {
        "settings": s, "mappings": m}}, index_settings, mappings)),
    ("POST", "/_analyze", st.fixed_dictionaries({"text": st.one_of(words, st.lists(words))},
                                                optional={
        "analyzer": st.sampled_from(["standard", "keyword", "whitespace", "simple", "x"]),
        "tokenizer": st.sampled_from(["standard", "keyword", "whitespace"]),
        "filter": st.lists(st.sampled_from(["lowercase", "uppercase", "asciifolding"])),
        "explain": st.booleans()})),
    ("POST", f"/{INDEX}/_analyze", st.builds(lambda f, t: {"field": f, "text": t},
                                             field_names, words)),
    ("POST", "/_search/scroll", st.fixed_dictionaries({"scroll_id": words},
                                                      optional={"scroll": st.just("1m")})),
    ("DELETE", "/_search/scroll", st.builds(lambda ids: {"scroll_id": ids},
                                            st.lists(words, max_size=2))),
    ("POST", f"/{INDEX}/_field_caps", st.builds(lambda fs: {"fields": fs},
                                                st.lists(field_names, max_size=3))),
    ("POST", f"/{BULK_INDEX}/_delete_by_query", st.builds(lambda q: {"query": q}, queries)),
    ("POST", f"/{BULK_INDEX}/_update_by_query", st.fixed_dictionaries({}, optional={
        "query": queries, "max_docs": st.integers(1, 10)})),
]


def _pin_names(path: str, body: Any) -> Any:
    """Template patterns stay on the fuzz's own names, so no other test's index matches."""
    if isinstance(body, dict) and "_template" in path and "index_patterns" in body:
        body = {**body, "index_patterns": [f"fuzz-t-{path.rsplit('/', 1)[-1]}-*"]}
    return body


@FUZZ
@given(data=st.data(), endpoint=st.sampled_from(ENDPOINTS))
def test_api_bodies_never_fail_the_server(fuzz: httpx.Client, data: st.DataObject,
                                          endpoint: tuple[str, str, Any]) -> None:
    method, path, grammar = endpoint
    body = _pin_names(path, data.draw(mutated(grammar, keys=doc_keys)))
    if path == f"/{SETTINGS_INDEX}/_settings" or path == f"/{SETTINGS_INDEX}/_mapping":
        fuzz.put(f"/{SETTINGS_INDEX}")
    try:
        _send(fuzz, method, path, _dumps(body))
    finally:
        if path in (f"/{NEW_INDEX}", f"/{SETTINGS_INDEX}/_settings",
                    f"/{SETTINGS_INDEX}/_mapping"):
            fuzz.delete(f"/{NEW_INDEX},{SETTINGS_INDEX}", params={"ignore_unavailable": "true"})


# --- URL parameters ------------------------------------------------------------------------------

PARAM_ROUTES = [
    ("GET", "/"), ("GET", f"/{INDEX}/_search"), ("GET", f"/{INDEX}/_count"),
    ("GET", f"/{INDEX}/_doc/0"), ("GET", f"/{INDEX}/_source/0"), ("GET", f"/{INDEX}"),
    ("GET", f"/{INDEX}/_mapping"), ("GET", f"/{INDEX}/_settings"), ("GET", "/_cat/indices"),
    ("GET", "/_cat/count"), ("GET", "/_cat/health"), ("GET", "/_cat/shards"),
    ("GET", "/_cat/aliases"), ("GET", "/_cluster/health"), ("GET", "/_cluster/state"),
    ("GET", "/_cluster/settings"), ("GET", "/_nodes/stats"), ("GET", f"/{INDEX}/_stats"),
    ("GET", "/_tasks"), ("GET", "/_resolve/index/fuzz*"), ("GET", f"/{INDEX}/_field_caps"),
    ("POST", f"/{BULK_INDEX}/_delete_by_query"), ("POST", f"/{BULK_INDEX}/_update_by_query"),
    ("PUT", f"/{BULK_INDEX}/_doc/fuzz-p"), ("POST", f"/{BULK_INDEX}/_update/fuzz-p"),
]
PARAMS = ["size", "from", "timeout", "scroll", "sort", "q", "df", "default_operator",
          "track_total_hits", "_source", "_source_includes", "docvalue_fields", "version",
          "explain", "rest_total_hits_as_int", "expand_wildcards", "ignore_unavailable",
          "allow_no_indices", "flat_settings", "include_defaults", "pretty", "bytes", "h", "s",
          "format", "v", "level", "wait_for_status", "metric", "fields", "detailed",
          "group_by", "refresh", "routing", "if_seq_no", "if_primary_term", "version_type",
          "op_type", "scroll_size", "max_docs", "conflicts", "wait_for_completion"]
param_values = st.one_of(st.sampled_from(["bogus", "-1", "0", "1.5", "", "*", "true",
                                          str(2**63), str(2**70), "1h", "-5m"]),
                         st.text(max_size=8))


@FUZZ
@given(route=st.sampled_from(PARAM_ROUTES),
       params=st.dictionaries(st.sampled_from(PARAMS), param_values, min_size=1, max_size=3))
@example(route=("POST", f"/{BULK_INDEX}/_delete_by_query"), params={"scroll_size": "-1"})
def test_url_parameters_never_fail_the_server(fuzz: httpx.Client, route: tuple[str, str],
                                              params: dict[str, str]) -> None:
    method, path = route
    body = b'{"doc":{"n":1}}' if "_update/" in path else b'{"n":1}' if method == "PUT" \
        else b'{"query":{"match_all":{}}}' if method == "POST" else b""
    response = fuzz.request(method, path, params=params, content=body,
                            headers={"content-type": "application/json"})
    assert response.status_code < 500, (method, path, params, response.text[:2000])
    assert fuzz.get("/").status_code == 200
