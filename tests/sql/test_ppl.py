"""PPL compiled onto SQL: the statement each pipeline becomes, what it answers when DuckDB
runs it over WAF-like rows, and the plugin's errors for what does not parse or resolve."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import duckdb
import pytest
from sqlglot import exp

from loghaven.sql.dialect import OpenSearchSQL
from loghaven.sql.errors import SqlError
from loghaven.sql.ppl import compile

ROWS = [  # ts, clientIp, country, action, bytes, uri
    ("2024-05-01 10:05:00", "10.0.0.1", "NL", "ALLOW", 100, "/a"),
    ("2024-05-01 10:20:00", "10.0.0.1", "NL", "BLOCK", 200, "/b"),
    ("2024-05-01 10:40:00", "10.0.0.1", "NL", "BLOCK", 300, "/a"),
    ("2024-05-01 11:00:00", "10.0.0.2", "NL", "ALLOW", 400, "/a"),
    ("2024-05-01 11:10:00", "10.0.0.2", "DE", "ALLOW", 500, "/c"),
    ("2024-05-01 11:30:00", "10.0.0.3", "DE", "BLOCK", 600, "/a"),
    ("2024-05-01 12:00:00", "10.0.0.3", "DE", "BLOCK", 700, "/b"),
    ("2024-05-01 12:10:00", "10.0.0.3", "DE", "BLOCK", 800, "/b"),
    ("2024-05-01 12:20:00", "10.0.0.4", "US", "ALLOW", 900, "/c"),
    ("2024-05-01 12:30:00", "10.0.0.5", None, "ALLOW", 1000, "/a"),
]


@pytest.fixture(scope="module")
def db() -> duckdb.DuckDBPyConnection:
    connection = duckdb.connect()
    connection.execute("CREATE TABLE waf (ts TIMESTAMP, clientIp VARCHAR, country VARCHAR, "
                       "action VARCHAR, bytes BIGINT, uri VARCHAR)")
    connection.executemany("INSERT INTO waf VALUES (?, ?, ?, ?, ?, ?)", ROWS)
    return connection


def sql(ppl: str) -> str:
    return compile(ppl).sql(dialect=OpenSearchSQL)


def run(db: duckdb.DuckDBPyConnection, ppl: str) -> tuple[list[str], list[tuple[Any, ...]]]:
    """The compiled statement run by DuckDB over the ``waf`` table, whatever index it names."""
    tree = compile(ppl).transform(
        lambda node: exp.to_table("waf") if isinstance(node, exp.Table) else node)
    cursor = db.execute(tree.sql(dialect="duckdb"))
    return [c[0] for c in cursor.description], cursor.fetchall()


# ---------------------------------------------------------------- the SQL each pipeline becomes

@pytest.mark.parametrize("ppl, expected", [
    ("source=awswaf-* | where country = 'NL' and action != \"BLOCK\" | fields clientIp, bytes"
     " | sort - bytes | head 10",
     "SELECT clientIp, bytes FROM `awswaf-*` WHERE country = 'NL' AND action <> 'BLOCK' "
     "ORDER BY bytes DESC LIMIT 10"),
    ("source=waf | stats count() by clientIp | sort - count() | head 10",
     "SELECT COUNT(*) AS `count()`, clientIp FROM waf GROUP BY clientIp "
     "ORDER BY `count()` DESC LIMIT 10"),
    ("search source=waf action='BLOCK' bytes > 100 | stats avg(bytes), count() as c by country",
     "SELECT AVG(bytes) AS `avg(bytes)`, COUNT(*) AS c, country FROM waf "
     "WHERE action = 'BLOCK' AND bytes > 100 GROUP BY country"),
    ("source=logs.2024 | stats dc(clientIp), sum(bytes) by httpRequest.country",
     "SELECT COUNT(DISTINCT clientIp) AS `dc(clientIp)`, SUM(bytes) AS `sum(bytes)`, "
     "httpRequest.country FROM `logs.2024` GROUP BY httpRequest.country"),
    ("source=waf | where `@timestamp` >= '2024-05-01' | sort + uri, - bytes | head 5 from 10",
     "SELECT * FROM waf WHERE `@timestamp` >= '2024-05-01' ORDER BY uri ASC, bytes DESC "
     "LIMIT 5 OFFSET 10"),
    ("source=waf | eval kb = bytes / 1024 | where kb > 1 | fields clientIp, kb",
     "SELECT clientIp, bytes / 1024 AS kb FROM waf WHERE bytes / 1024 > 1"),
    ("source=waf | stats count() as c by clientIp | where c > 2",
     "SELECT COUNT(*) AS c, clientIp FROM waf GROUP BY clientIp HAVING COUNT(*) > 2"),
    ("source=waf | top 3 clientIp",
     "SELECT clientIp, COUNT(*) AS count FROM waf GROUP BY clientIp "
     "ORDER BY count DESC, clientIp ASC LIMIT 3"),
    ("source=waf | fields - uri, ts", "SELECT * EXCEPT (uri, ts) FROM waf"),
    ("source=waf | rename clientIp as ip | fields ip, country",
     "SELECT clientIp AS ip, country FROM waf"),
    ("source=waf | head 10 | where bytes > 1",
     "SELECT * FROM (SELECT * FROM waf LIMIT 10) AS _ppl1 WHERE bytes > 1"),
    ("source=waf | where like(uri, '/a%') and country in ('NL', 'DE') and isnotnull(country)",
     "SELECT * FROM waf WHERE uri LIKE '/a%' AND country IN ('NL', 'DE') "
     "AND NOT country IS NULL"),
])
def test_compiled_sql(ppl: str, expected: str) -> None:
    assert sql(ppl) == expected


def test_no_implicit_limit() -> None:
    """Without head, PPL answers every row up to the size limit, which the core enforces."""
    assert compile("source=waf | where bytes > 1").args.get("limit") is None


# ---------------------------------------------------------------- what the statements answer

def test_where_fields_sort_head(db: duckdb.DuckDBPyConnection) -> None:
    names, rows = run(db, "source=awswaf-* | where country = 'NL' or country = 'DE' "
                          "| fields clientIp, bytes | sort - bytes | head 3")
    assert names == ["clientIp", "bytes"]
    assert rows == [("10.0.0.3", 800), ("10.0.0.3", 700), ("10.0.0.3", 600)]


def test_search_with_filter_and_head_from(db: duckdb.DuckDBPyConnection) -> None:
    _, rows = run(db, "search source=waf action=\"BLOCK\" not country='DE' | sort ts "
                      "| fields bytes | head 1 from 1")
    assert rows == [(300,)]


def test_stats_count_by_sorted(db: duckdb.DuckDBPyConnection) -> None:
    names, rows = run(db, "source=waf | stats count() by clientIp | sort - count(), clientIp"
                          " | head 2")
    assert names == ["count()", "clientIp"]
    assert rows == [(3, "10.0.0.1"), (3, "10.0.0.3")]


def test_stats_functions_and_null_bucket(db: duckdb.DuckDBPyConnection) -> None:
    names, rows = run(db, "source=waf | stats count(country), dc(clientIp), sum(bytes), "
                          "min(bytes), max(bytes), avg(bytes) as mean by country "
                          "| sort country")
    assert names == ["count(country)", "dc(clientIp)", "sum(bytes)", "min(bytes)",
                     "max(bytes)", "mean", "country"]
    assert rows == [(0, 1, 1000, 1000, 1000, 1000.0, None),
                    (4, 2, 2600, 500, 800, 650.0, "DE"),
                    (4, 2, 1000, 100, 400, 250.0, "NL"),
                    (1, 1, 900, 900, 900, 900.0, "US")]
    _, rows = run(db, "source=waf | stats bucket_nullable=false count() by country")
    assert sorted(rows) == [(1, "US"), (4, "DE"), (4, "NL")]


def test_stats_by_spans(db: duckdb.DuckDBPyConnection) -> None:
    _, rows = run(db, "source=waf | stats count() as c by span(ts, 1h) as hour | sort hour")
    assert rows == [(3, datetime(2024, 5, 1, 10)), (3, datetime(2024, 5, 1, 11)),
                    (4, datetime(2024, 5, 1, 12))]
    _, rows = run(db, "source=waf | stats sum(bytes) by country, span(bytes, 500) as b"
                      " | where isnotnull(country) | sort b, country")
    assert rows == [(1000, 0, "NL"), (2600, 500, "DE"), (900, 500, "US")]  # span first


def test_where_after_stats(db: duckdb.DuckDBPyConnection) -> None:
    _, rows = run(db, "source=waf | stats count() as c, sum(bytes) as total by clientIp "
                      "| where c > 1 and total < 2000 | sort clientIp")
    assert rows == [(3, 600, "10.0.0.1"), (2, 900, "10.0.0.2")]


def test_where_after_head_filters_the_head(db: duckdb.DuckDBPyConnection) -> None:
    _, rows = run(db, "source=waf | sort ts | head 3 | where action = 'ALLOW' | fields bytes")
    assert rows == [(100,)]


def test_eval_chain(db: duckdb.DuckDBPyConnection) -> None:
    names, rows = run(db, "source=waf | eval kb = bytes / 100, double = kb * 2, "
                          "label = concat(upper(action), '-', uri) | where double >= 16 "
                          "| sort - bytes | fields clientIp, double, label")
    assert names == ["clientIp", "double", "label"]
    assert rows == [("10.0.0.5", 20.0, "ALLOW-/a"), ("10.0.0.4", 18.0, "ALLOW-/c"),
                    ("10.0.0.3", 16.0, "BLOCK-/b")]


def test_eval_overrides_a_field_and_feeds_stats(db: duckdb.DuckDBPyConnection) -> None:
    names, rows = run(db, "source=waf | eval bytes = bytes * 10 | stats max(bytes)")
    assert (names, rows) == (["max(bytes)"], [(10000,)])
    names, rows = run(db, "source=waf | eval bytes = bytes + 1 | where uri = '/c' "
                          "| fields bytes")
    assert sorted(rows) == [(501,), (901,)]


def test_rename_then_fields_and_sort(db: duckdb.DuckDBPyConnection) -> None:
    names, rows = run(db, "source=waf | rename clientIp as ip, bytes as size "
                          "| where size > 800 | sort - size | fields ip, size")
    assert names == ["ip", "size"]
    assert rows == [("10.0.0.5", 1000), ("10.0.0.4", 900)]


def test_rename_an_aggregate(db: duckdb.DuckDBPyConnection) -> None:
    names, rows = run(db, "source=waf | stats count() by country | sort - count() "
                          "| rename count() as hits | head 1")
    assert names == ["hits", "country"]
    assert rows[0][0] == 4


def test_fields_remove(db: duckdb.DuckDBPyConnection) -> None:
    names, _ = run(db, "source=waf | fields - ts, uri")
    assert names == ["clientIp", "country", "action", "bytes"]


def test_dedup(db: duckdb.DuckDBPyConnection) -> None:
    _, rows = run(db, "source=waf | sort ts | dedup country | fields country, bytes "
                      "| sort country")
    assert rows == [("DE", 500), ("NL", 100), ("US", 900)]  # null country dropped
    _, rows = run(db, "source=waf | sort - bytes | dedup 2 clientIp | fields clientIp, bytes"
                      " | sort clientIp, - bytes")
    assert rows == [("10.0.0.1", 300), ("10.0.0.1", 200), ("10.0.0.2", 500),
                    ("10.0.0.2", 400), ("10.0.0.3", 800), ("10.0.0.3", 700),
                    ("10.0.0.4", 900), ("10.0.0.5", 1000)]
    _, rows = run(db, "source=waf | sort ts | dedup country keepempty=true | fields country")
    assert sorted(rows, key=str) == [("DE",), ("NL",), ("US",), (None,)]


def test_dedup_pairs(db: duckdb.DuckDBPyConnection) -> None:
    _, rows = run(db, "source=waf | dedup clientIp, action | stats count()")
    assert rows == [(6,)]


def test_top_and_rare(db: duckdb.DuckDBPyConnection) -> None:
    names, rows = run(db, "source=waf | top 2 clientIp")
    assert names == ["clientIp", "count"]
    assert rows == [("10.0.0.1", 3), ("10.0.0.3", 3)]
    names, rows = run(db, "source=waf | rare showcount=false uri")
    assert names == ["uri"]
    assert rows == [("/c",), ("/b",), ("/a",)]
    names, rows = run(db, "source=waf | top countfield='n' usenull=false country")
    assert names == ["country", "n"]
    assert rows == [("DE", 4), ("NL", 4), ("US", 1)]


def test_top_and_rare_by_group(db: duckdb.DuckDBPyConnection) -> None:
    names, rows = run(db, "source=waf | where isnotnull(country) | top 1 uri by country")
    assert names == ["country", "uri", "count"]
    assert rows == [("DE", "/b", 2), ("NL", "/a", 3), ("US", "/c", 1)]
    _, rows = run(db, "source=waf | where country = 'NL' | rare 1 action by clientIp")
    assert rows == [("10.0.0.1", "ALLOW", 1), ("10.0.0.2", "ALLOW", 1)]


def test_stats_over_top_is_a_subquery(db: duckdb.DuckDBPyConnection) -> None:
    _, rows = run(db, "source=waf | top 10 clientIp | stats sum(count) as total")
    assert rows == [(10,)]


def test_expressions(db: duckdb.DuckDBPyConnection) -> None:
    _, rows = run(db, "source=waf | where (bytes % 200 = 0 or uri like '/c%') "
                      "and not action in ('BLOCK') and bytes between 300 and 1000 "
                      "| eval r = round(abs(-bytes) / 3, 1), f = if(bytes > 500, 'big', "
                      "\"small\") | fields bytes, r, f | sort bytes")
    assert rows == [(400, 133.3, "small"), (500, 166.7, "small"), (900, 300.0, "big"),
                    (1000, 333.3, "big")]


# ---------------------------------------------------------------- errors

@pytest.mark.parametrize("ppl, kind, said", [
    ("", "SyntaxCheckException", "empty"),
    ("where a = 1", "SyntaxCheckException", "source=<index>"),
    ("source=waf | frobnicate a", "SyntaxCheckException", "[frobnicate]"),
    ("source=waf | where a = ", "SyntaxCheckException", "Expecting a field name"),
    ("source=waf | head ten", "SyntaxCheckException", "[ten]"),
    ("source=waf | stats count() by", "SyntaxCheckException", "a field name"),
    ("source=waf | rename a b", "SyntaxCheckException", "'as'"),
    ("source=waf | dedup a consecutive=maybe", "SyntaxCheckException", "true or false"),
    ("source=waf | where a = 'x' ) ", "SyntaxCheckException", "offending symbol [)]"),
    ("source=waf | fields a | where b = 1", "SemanticCheckException", "name=b"),
    ("source=waf | stats count() by a | fields b", "SemanticCheckException", "name=b"),
    ("source=waf | rename a as b | where a = 1", "SemanticCheckException", "name=a"),
    ("source=waf | fields - a | fields a", "SemanticCheckException", "name=a"),
    ("source=waf | where frob(a) = 1", "SemanticCheckException", "unsupported function"),
    ("source=waf | stats frob(a)", "SemanticCheckException", "Unsupported aggregation"),
    ("source=waf | where count(a) > 1", "SemanticCheckException", "belongs in stats"),
    ("source=waf | dedup a consecutive=true", "SemanticCheckException", "consecutive"),
    ("source=waf | dedup 0 a", "SemanticCheckException", "greater than 0"),
])
def test_errors(ppl: str, kind: str, said: str) -> None:
    with pytest.raises(SqlError) as caught:
        compile(ppl)
    assert caught.value.type == kind
    assert caught.value.reason == "Invalid Query"
    assert said in caught.value.details
    assert caught.value.to_body()["status"] == 400


def test_order_survives_a_subquery(db: duckdb.DuckDBPyConnection) -> None:
    ppl = "source=waf | sort - bytes | head 5 | where action = 'ALLOW' | fields bytes"
    assert sql(ppl) == ("SELECT bytes FROM (SELECT * FROM waf ORDER BY bytes DESC LIMIT 5) "
                        "AS _ppl1 WHERE action = 'ALLOW' ORDER BY bytes DESC")
    assert run(db, ppl)[1] == [(1000,), (900,)]


def test_multi_index_source() -> None:
    assert sql("source=waf-2024, waf-2025 | head 1") == "SELECT * FROM `waf-2024,waf-2025` LIMIT 1"
