"""WHERE push-down: the DSL each form becomes, and — through a real node's search service —
that a pushed-down query matches exactly the rows where SQL (three-valued, with NULLs,
missing fields, arrays, text vs keyword and dates) says the condition is TRUE. The SQL side
is a small evaluator written here from the SQL semantics, not from the DSL."""

from __future__ import annotations

import ipaddress
import random
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest
from sqlglot import exp

from loghaven.config import Config
from loghaven.engine.documents_state import WriteRequest
from loghaven.node import Node
from loghaven.sql.dialect import parse
from loghaven.sql.errors import SemanticError
from loghaven.sql.pushdown import column_name, split_where, to_query
from loghaven.sql.schema import Schema, schema_of

INDEX = "waf"
MAPPINGS = {"properties": {
    "n": {"type": "long"}, "d": {"type": "double"}, "k": {"type": "keyword"},
    "msg": {"type": "text", "fields": {"keyword": {"type": "keyword"}}},
    "body": {"type": "text"}, "ts": {"type": "date"}, "f": {"type": "boolean"},
    "ip": {"type": "ip"}, "tags": {"type": "keyword"}, "ratio": {"type": "float"},
    "httpRequest": {"properties": {"clientIp": {"type": "keyword"},
                                   "country": {"type": "keyword"}}}}}

DOCS: dict[str, dict[str, Any]] = {
    "1": {"n": 1, "d": 1.5, "k": "alpha", "msg": "The quick brown fox",
          "ts": "2024-01-01T00:00:00Z", "f": True, "ip": "10.0.0.1", "tags": ["a", "b"],
          "httpRequest": {"clientIp": "1.2.3.4", "country": "US"}, "body": "x"},
    "2": {"n": -3, "k": "Alpha", "msg": "lazy dog", "ts": "2024-01-01T12:30:00.250Z",
          "f": False, "tags": "c", "httpRequest": {"country": "FR"}},
    "3": {"n": None, "k": None, "msg": "fox 50% off_now*?", "ts": 1704153600000,
          "ip": "10.0.0.200", "tags": []},
    "4": {},
    "5": {"n": [2, 10], "k": ["beta", "alpha"], "msg": "Quick Fox", "f": [True, False],
          "ts": ["2023-12-31T23:59:59.999Z", "2024-01-03T00:00:00Z"], "d": [0.0, 3.25]},
    "6": {"n": 0, "k": "a*b?c\\d", "msg": "", "d": -0.5, "ts": "2024-01-01",
          "ip": "192.168.1.10", "httpRequest.clientIp": "5.6.7.8", "tags": ["a", None]},
    "7": {"n": 1000, "k": "alp", "msg": "alpha beta", "ts": "2023-06-15T08:00:00+02:00",
          "f": True, "d": 2.0, "httpRequest": {"clientIp": "1.2.3.4", "country": "US"}},
    "8": {"k": "", "n": 5, "msg": None, "f": None, "ts": None},
    # no n: NOT (n = 1 AND k = 'x') is TRUE here (NULL AND FALSE is FALSE)
    "9": {"k": "gamma", "ts": "2024-02-01T00:00:00Z", "f": True, "msg": "gamma ray"},
}


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Node]:
    folder: Path = tmp_path_factory.mktemp("pushdown")
    node = Node(Config(data_dir=folder, ingest_workers=0))
    index = node.catalog.create_index(INDEX, {"mappings": MAPPINGS})
    index.write([WriteRequest("index", doc_id=i, source=orjson.dumps(d), parsed=d)
                 for i, d in DOCS.items()])
    index.refresh()
    yield node
    node.close()


@pytest.fixture(scope="module")
def schema(node: Node) -> Schema:
    return schema_of(node.search_service, INDEX)


def where(sql: str) -> exp.Expression:
    return parse(f"SELECT * FROM {INDEX} WHERE {sql}").args["where"].this


def pushed(sql: str, schema: Schema) -> dict[str, Any] | None:
    return to_query(where(sql), schema)


def search_ids(node: Node, query: dict[str, Any]) -> set[str]:
    body = node.search_service.search(INDEX, {"query": query, "size": 1000}, {})
    return {hit["_id"] for hit in body["hits"]["hits"]}


# --- the SQL side: three-valued evaluation over the documents' values ---------------------

def values(doc: dict[str, Any], path: str) -> list[Any]:
    """The non-null values of a dotted field (objects or dotted keys; arrays flattened)."""
    found: list[Any] = []

    def walk(node: Any, rest: str) -> None:
        if isinstance(node, list):
            for item in node:
                walk(item, rest)
            return
        if not rest:
            if node is not None:
                found.append(node)
            return
        if not isinstance(node, dict):
            return
        parts = rest.split(".")
        for i in range(1, len(parts) + 1):
            key = ".".join(parts[:i])
            if key in node:
                walk(node[key], ".".join(parts[i:]))

    walk(doc, path)
    return found


def millis(value: Any) -> int:
    if isinstance(value, int):
        return value
    parsed = datetime.fromisoformat(value)
    parsed = parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return round(parsed.timestamp() * 1000)


def literal(node: exp.Expression) -> Any:
    if isinstance(node, exp.Neg):
        return -literal(node.this)
    if isinstance(node, exp.Boolean):
        return node.this
    if isinstance(node, exp.Cast):
        return literal(node.this)
    if isinstance(node, exp.Null):
        return None
    assert isinstance(node, exp.Literal), node
    if node.is_string:
        return node.this
    return float(node.this) if "." in node.this else int(node.this)


def typed(field: str, value: Any) -> Any:
    """A value as SQL compares it for ``field``'s type."""
    es_type = MAPPINGS["properties"].get(field, {}).get("type")
    if es_type == "date":
        return millis(value)
    if es_type == "ip":
        return ipaddress.ip_address(value)
    return value


def like(pattern: str) -> re.Pattern[str]:
    out, chars = [], iter(pattern)
    for char in chars:
        if char == "\\":
            out.append(re.escape(next(chars, "\\")))
        elif char in "%_":
            out.append(".*" if char == "%" else ".")
        else:
            out.append(re.escape(char))
    return re.compile("".join(out), re.S)


def any_value(doc: dict[str, Any], column: exp.Expression, test: Any) -> bool | None:
    """SQL on a field: NULL without values, else whether any value passes."""
    assert isinstance(column, exp.Column)
    field = column_name(column)
    vals = [typed(field, v) for v in values(doc, field)]
    if not vals:
        return None
    return any(test(v) for v in vals)


COMPARE = {exp.EQ: lambda a, b: a == b, exp.NEQ: lambda a, b: a != b,
           exp.GT: lambda a, b: a > b, exp.GTE: lambda a, b: a >= b,
           exp.LT: lambda a, b: a < b, exp.LTE: lambda a, b: a <= b}
FLIP = {exp.GT: exp.LT, exp.GTE: exp.LTE, exp.LT: exp.GT, exp.LTE: exp.GTE,
        exp.EQ: exp.EQ, exp.NEQ: exp.NEQ}


def evaluate(node: exp.Expression, doc: dict[str, Any]) -> bool | None:
    if isinstance(node, exp.Paren):
        return evaluate(node.this, doc)
    if isinstance(node, exp.Not):
        inner = evaluate(node.this, doc)
        return None if inner is None else not inner
    if isinstance(node, exp.And):
        parts = [evaluate(p, doc) for p in node.flatten()]
        return False if False in parts else None if None in parts else True
    if isinstance(node, exp.Or):
        parts = [evaluate(p, doc) for p in node.flatten()]
        return True if True in parts else None if None in parts else False
    if isinstance(node, exp.Boolean):
        return node.this
    if isinstance(node, exp.Column):
        return any_value(doc, node, lambda v: v is True)
    if isinstance(node, exp.Is):
        if isinstance(node.expression, exp.Boolean):
            return evaluate(node.this, doc) is node.expression.this
        return not values(doc, column_name(node.this))
    if isinstance(node, exp.NullSafeEQ):
        if isinstance(node.expression, exp.Null):
            return not values(doc, column_name(node.this))
        return evaluate(exp.EQ(this=node.this, expression=node.expression), doc) is True
    if isinstance(node, exp.In):
        field = column_name(node.this)
        wanted = {typed(field, literal(v)) for v in node.expressions}
        return any_value(doc, node.this, lambda v: v in wanted)
    if isinstance(node, exp.Between):
        field = column_name(node.this)
        low = typed(field, literal(node.args["low"]))
        high = typed(field, literal(node.args["high"]))
        return any_value(doc, node.this, lambda v: low <= v <= high)
    if isinstance(node, exp.Like):
        regex = like(literal(node.expression))
        result = any_value(doc, node.this, lambda v: regex.fullmatch(v) is not None)
        return (None if result is None else not result) if node.args.get("negate") else result
    op, left, right = type(node), node.this, node.expression
    if isinstance(right, exp.Null):
        return None
    if isinstance(right, exp.Boolean) and not isinstance(left, exp.Column):  # (x) = TRUE
        inner = evaluate(left, doc)
        return None if inner is None else COMPARE[op](inner, right.this)
    if not isinstance(left, exp.Column):
        op, left, right = FLIP[op], right, left
    field = column_name(left)
    value = typed(field, literal(right))
    if op is exp.NEQ:  # a <> v is NOT (a = v): no value equals v
        result = any_value(doc, left, lambda v: v == value)
        return None if result is None else not result
    return any_value(doc, left, lambda v: COMPARE[op](v, value))


def sql_ids(sql: str) -> set[str]:
    condition = where(sql)
    return {i for i, doc in DOCS.items() if evaluate(condition, doc) is True}


# --- unit level: the DSL of each form ---------------------------------------------------

def test_comparisons_become_terms_and_ranges(schema: Schema) -> None:
    assert pushed("n = 1", schema) == {"term": {"n": 1}}
    assert pushed("-1 < n", schema) == {"range": {"n": {"gt": -1}}}
    assert pushed("5 >= n", schema) == {"range": {"n": {"lte": 5}}}
    assert pushed("msg = 'lazy dog'", schema) == {"term": {"msg.keyword": "lazy dog"}}
    assert pushed("n <> 1", schema) == {"bool": {"filter": [{"exists": {"field": "n"}}],
                                                 "must_not": [{"term": {"n": 1}}]}}
    assert pushed("f = TRUE", schema) == pushed("f", schema) == {"term": {"f": True}}
    assert pushed("`httpRequest.clientIp` = '1.2.3.4'", schema) \
        == pushed("httpRequest.clientIp = '1.2.3.4'", schema) \
        == pushed('"httpRequest.clientIp" = \'1.2.3.4\'', schema) \
        == {"term": {"httpRequest.clientIp": "1.2.3.4"}}


def test_in_between_like_null(schema: Schema) -> None:
    assert pushed("k IN ('a', 'b')", schema) == {"terms": {"k": ["a", "b"]}}
    assert pushed("n BETWEEN 1 AND 5", schema) == {"range": {"n": {"gte": 1, "lte": 5}}}
    assert pushed("k LIKE 'a%b_c*'", schema) == {"wildcard": {"k": {"value": "a*b?c\\*"}}}
    assert pushed("k LIKE 'x\\%y'", schema) == {"wildcard": {"k": {"value": "x%y"}}}
    assert pushed("k LIKE 'x!%%' ESCAPE '!'", schema) == {"wildcard": {"k": {"value": "x%*"}}}
    assert pushed("msg LIKE 'fox%'", schema) \
        == {"wildcard": {"msg.keyword": {"value": "fox*"}}}
    assert pushed("k IS NULL", schema) == {"bool": {"must_not": [{"exists": {"field": "k"}}]}}
    assert pushed("k IS NOT NULL", schema) == {"exists": {"field": "k"}}
    assert pushed("n = NULL", schema) == {"match_none": {}}


def test_dates_compare_as_instants(schema: Schema) -> None:
    midnight = 1704067200000
    assert pushed("ts = '2024-01-01'", schema) == pushed("ts = DATE '2024-01-01'", schema) \
        == {"range": {"ts": {"gte": midnight, "lte": midnight, "format": "epoch_millis"}}}
    assert pushed("ts > TIMESTAMP '2024-01-01 00:00:00.250'", schema) \
        == {"range": {"ts": {"gt": midnight + 250, "format": "epoch_millis"}}}
    assert pushed("ts < 1704067200000", schema) \
        == {"range": {"ts": {"lt": midnight, "format": "epoch_millis"}}}


def test_not_keeps_nulls_out(node: Node, schema: Schema) -> None:
    # NOT (a AND b) is NOT a OR NOT b: a row missing one field but failing the other matches
    assert pushed("NOT (n = 1 AND k = 'x')", schema) == {"bool": {"should": [
        {"bool": {"filter": [{"exists": {"field": "n"}}], "must_not": [{"term": {"n": 1}}]}},
        {"bool": {"filter": [{"exists": {"field": "k"}}], "must_not": [{"term": {"k": "x"}}]}},
    ], "minimum_should_match": 1}}
    assert "9" in search_ids(node, pushed("NOT (n = 1 AND k = 'x')", schema) or {})
    assert pushed("NOT k IS NULL", schema) == {"exists": {"field": "k"}}


def test_what_does_not_push_down_is_the_residual(schema: Schema) -> None:
    filters, residual = split_where(
        where("n > 1 AND (upper(k) = 'A' OR n = 2) AND body = 'x' AND nope = 1 "
              "AND ratio = 0.5 AND k = n AND k LIKE 'a%' AND ts = 'yesterday' "
              "AND ip = 'not-an-ip' AND n IN (1, NULL)"), schema)
    assert filters == [{"range": {"n": {"gt": 1}}}, {"wildcard": {"k": {"value": "a*"}}}]
    assert residual is not None
    assert residual.sql() == ("(UPPER(k) = 'A' OR n = 2) AND body = 'x' AND nope = 1 AND "
                              "ratio = 0.5 AND k = n AND ts = 'yesterday' AND "
                              "ip = 'not-an-ip' AND n IN (1, NULL)")
    for sql in ("k ILIKE 'al%'", "k REGEXP 'a.*'", "(upper(k) = 'A') IS TRUE", "n <=> d",
                "httpRequest IS NULL", "httpRequest = 'x'", "nope = NULL", "nope IS NULL"):
        assert pushed(sql, schema) is None, sql
    assert split_where(None, schema) == ([], None)
    assert split_where(where("n = 1"), schema) == ([{"term": {"n": 1}}], None)


def test_relevance_functions_and_their_options(schema: Schema) -> None:
    assert pushed("MATCH(msg, 'quick fox', operator='AND', boost=2.0)", schema) == {
        "match": {"msg": {"query": "quick fox", "operator": "AND", "boost": 2.0}}}
    assert pushed("match_query(msg, 'fox')", schema) == pushed("msg = matchquery('fox')",
                                                               schema)
    assert pushed('match_phrase(msg, "quick brown", slop=1)', schema) == {
        "match_phrase": {"msg": {"query": "quick brown", "slop": 1}}}
    assert pushed("match_bool_prefix(msg, 'quick br', minimum_should_match=2)", schema) == {
        "match_bool_prefix": {"msg": {"query": "quick br", "minimum_should_match": 2}}}
    assert pushed("match_phrase_prefix(msg, 'quick br')", schema) == {
        "match_phrase_prefix": {"msg": {"query": "quick br"}}}
    multi = {"multi_match": {"query": "fox", "fields": ["msg", "k^2"], "type": "best_fields"}}
    assert pushed("multi_match(['msg', 'k^2'], 'fox', type='best_fields')", schema) == multi
    assert pushed("multimatch([msg, k^2], 'fox', type=best_fields)", schema) == multi
    assert pushed("multi_match('query'='fox', 'fields'='msg,k^2', type='best_fields')",
                  schema) == multi
    assert pushed("query_string(['msg'], 'quick AND fox', default_operator='AND')",
                  schema) == {"query_string": {"query": "quick AND fox", "fields": ["msg"],
                                               "default_operator": "AND"}}
    assert pushed("query('msg:fox')", schema) == {"query_string": {"query": "msg:fox"}}
    assert pushed("simple_query_string([msg], 'fox', flags='ALL')", schema) == {
        "simple_query_string": {"query": "fox", "fields": ["msg"], "flags": "ALL"}}
    assert pushed("wildcard_query(k, 'al%', case_insensitive=true)", schema) == {
        "wildcard": {"k": {"value": "al*", "case_insensitive": True}}}
    assert pushed("score(match(msg, 'fox'), 3.5)", schema) == {
        "match": {"msg": {"query": "fox", "boost": 3.5}}}
    assert pushed("NOT match(msg, 'fox')", schema) == {
        "bool": {"must_not": [{"match": {"msg": {"query": "fox"}}}]}}


def test_relevance_functions_that_cannot_push_down_are_refused(schema: Schema) -> None:
    with pytest.raises(SemanticError, match="match is a relevance function"):
        split_where(where("n = 1 AND (match(msg, 'fox') OR upper(k) = 'A')"), schema)
    with pytest.raises(SemanticError, match="Parameter slop is invalid for match function"):
        pushed("match(msg, 'fox', slop=2)", schema)
    with pytest.raises(SemanticError, match="name=nope"):
        pushed("match(nope, 'fox')", schema)


# --- semantic: the search matches what SQL says -------------------------------------------

RELEVANCE = [
    ("match(msg, 'quick fox', operator='AND')", {"1", "5"}),
    ("match(msg, 'quick fox')", {"1", "3", "5"}),
    ("match_phrase(msg, 'quick brown')", {"1"}),
    ("match_phrase_prefix(msg, 'quick br')", {"1"}),
    ("match_bool_prefix(msg, 'la d')", {"2"}),
    ("multi_match(['msg', 'k'], 'alpha')", {"1", "5", "7"}),
    ("query_string(['msg'], 'fox AND NOT quick')", {"3"}),
    ("query('msg:lazy OR k:alp')", {"2", "7"}),
    ("simple_query_string(['msg'], 'dog | beta')", {"2", "7"}),
    ("wildcard_query(k, 'al%')", {"1", "5", "7"}),
    ("msg = match_query('dog')", {"2"}),
    ("n > 0 AND match(msg, 'fox')", {"1", "5"}),
    ("NOT match(msg, 'fox')", {"2", "4", "6", "7", "8", "9"}),
    ("match(msg, 'quikc', fuzziness=AUTO, boost=2.0)", {"1", "5"}),
    ("multi_match(['msg', 'k^2'], 'alpha', type='best_fields', operator='and')",
     {"1", "5", "7"}),
    ("multi_match('query'='gamma', 'fields'='msg,k')", {"9"}),
    ("score(query('msg:ray'), 2.0)", {"9"}),
    ("wildcard_query(k, 'ALP*', case_insensitive=true)", {"1", "2", "5", "7"}),
    ("match(msg, 'lazy cat dog', minimum_should_match=2)", {"2"}),
]


@pytest.mark.parametrize(("sql", "expected"), RELEVANCE)
def test_relevance_functions_run_on_the_search(node: Node, schema: Schema, sql: str,
                                               expected: set[str]) -> None:
    query = pushed(sql, schema)
    assert query is not None
    assert search_ids(node, query) == expected


CASES = [
    "n = 1", "n != 1", "n <> 1", "1 = n", "n > 1", "n >= 2", "n < 0", "n <= -3", "-3 = n",
    "n = 1.5", "n > 1.5", "n < 1.5", "n IN (1, 5, 10)", "n NOT IN (1, 5)",
    "n BETWEEN 0 AND 5", "n NOT BETWEEN 0 AND 5", "n BETWEEN 5 AND 0", "n IS NULL",
    "n IS NOT NULL", "NOT n = 1", "NOT (n > 1)", "d = 1.5", "d > 0", "d <= -0.5",
    "d BETWEEN 0 AND 2", "k = 'alpha'", "k = 'Alpha'", "k <> 'alpha'", "k > 'alp'",
    "k < 'b'", "k = ''", "k IN ('alpha', 'beta')", "k LIKE 'al%'", "k LIKE 'Al%'",
    "k LIKE '_lpha'", "k LIKE '%'", "k LIKE ''", "k NOT LIKE 'al%'", "k LIKE 'a*b?c%'",
    "k LIKE 'a*b_c\\\\\\\\d'", "k LIKE 'a_b%'", "msg = 'lazy dog'", "msg = 'Quick Fox'",
    "msg LIKE 'fox 50\\% off\\_now*?'", "msg LIKE '%\\_now%'", "msg LIKE 'fox 50_ %'",
    "msg LIKE '%fox'", "msg NOT LIKE '%fox%'", "msg > 'lazy'", "msg IS NULL",
    "msg IS NOT NULL", "ts = '2024-01-01'", "ts = DATE '2024-01-01'",
    "ts = '2024-01-01 12:30:00.250'", "ts > '2024-01-01'", "ts >= '2024-01-01T00:00:00Z'",
    "ts < TIMESTAMP '2024-01-01 00:00:00'", "ts <= 1704067200000", "ts = 1704153600000",
    "ts BETWEEN '2024-01-01' AND '2024-01-02'", "ts NOT BETWEEN '2024-01-01' AND '2024-01-02'",
    "ts IN ('2024-01-01', '2024-01-02')", "ts = '2023-06-15 06:00:00'",
    "ts = '2023-06-15T08:00:00+02:00'", "ts <> '2024-01-01'", "ts IS NULL", "f", "NOT f",
    "f = TRUE", "f = FALSE", "f <> TRUE", "f IS NULL", "ip = '10.0.0.1'",
    "ip > '10.0.0.100'", "ip <> '10.0.0.1'", "ip BETWEEN '10.0.0.0' AND '10.255.255.255'",
    "httpRequest.clientIp = '1.2.3.4'", "`httpRequest.clientIp` = '5.6.7.8'",
    "\"httpRequest.clientIp\" <> '1.2.3.4'", "httpRequest.country IS NULL",
    "tags = 'a'", "tags <> 'a'", "tags IS NULL", "tags IN ('b', 'c')",
    "n = 1 OR k = 'Alpha'", "n > 0 AND k LIKE 'al%'", "NOT (n = 1 AND k = 'x')",
    "NOT (n = 1 OR k = 'alpha')", "NOT (n > 0 AND ts > '2024-01-01')",
    "(n = 1 OR n IS NULL) AND NOT f", "NOT (k IS NULL OR NOT n > 1)",
    "(k LIKE 'a%') = TRUE", "(k LIKE 'a%') = FALSE", "n = NULL", "NOT n = NULL",
    "TRUE", "NOT FALSE", "n = 1 AND TRUE", "f IS TRUE", "f IS NOT TRUE", "f IS FALSE",
    "(n > 1) IS NOT FALSE", "(k LIKE 'a%' OR n = 1) IS NOT TRUE", "n <=> 1", "NOT n <=> 1",
    "k <=> NULL", "NOT k <=> NULL", "ts <=> '2024-01-01'", "msg <=> 'lazy dog'",
]


@pytest.mark.parametrize("sql", CASES)
def test_pushed_queries_match_what_sql_says(node: Node, schema: Schema, sql: str) -> None:
    query = pushed(sql, schema)
    assert query is not None, f"{sql} did not push down"
    assert search_ids(node, query) == sql_ids(sql)


ATOMS = [c for c in CASES if " AND " not in c and " OR " not in c and "NOT (" not in c
         and "NULL" not in c.replace("IS NULL", "").replace("IS NOT NULL", "")]


def test_random_combinations_match_what_sql_says(node: Node, schema: Schema) -> None:
    rng = random.Random(21)

    def condition(depth: int) -> str:
        if depth == 0 or rng.random() < 0.3:
            return rng.choice(ATOMS)
        choice = rng.random()
        if choice < 0.25:
            return f"NOT ({condition(depth - 1)})"
        joiner = " AND " if choice < 0.6 else " OR "
        return "(" + joiner.join(condition(depth - 1) for _ in range(rng.randint(2, 3))) + ")"

    for _ in range(400):
        sql = condition(4)
        query = pushed(sql, schema)
        assert query is not None, sql
        assert search_ids(node, query) == sql_ids(sql), sql


def test_date_literals_the_plugin_does_not_read_stay_in_the_engine(schema: Schema) -> None:
    for literal_text in ("'20240101'", "'2024-01-01T00:00:00.0000001Z'", "'2024-01-01 00:00:00.0005'",
                         "'now'", "TRUE", "1.5e12"):
        assert pushed(f"ts = {literal_text}", schema) is None, literal_text
    assert pushed("ts > '2024-01-01T01:00:00+01:00'", schema) == {
        "range": {"ts": {"gt": 1704067200000, "format": "epoch_millis"}}}


def test_multi_match_with_named_query_and_field_list(schema: Schema) -> None:
    assert pushed("multi_match(query='fox', fields=[msg, 'k'], operator='AND')", schema) == {
        "multi_match": {"query": "fox", "fields": ["msg", "k"], "operator": "AND"}}


def test_field_boosts_and_the_alternative_syntax(schema: Schema) -> None:
    assert pushed("query_string(['msg 2', `k`], 'fox')", schema) == {
        "query_string": {"query": "fox", "fields": ["msg^2", "k"]}}
    assert pushed("msg = multi_match('fox')", schema) == {
        "multi_match": {"query": "fox", "fields": ["msg"]}}
    assert pushed("msg = match_phrase('lazy dog')", schema) == {
        "match_phrase": {"msg": {"query": "lazy dog"}}}
