"""SELECT without aggregates through the SQL service of a real node, checked against what
the search service answers for the same question (or against the documents themselves)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import orjson
import pytest
from tests.sql.service_data import WAF_MAPPING, make_node, waf_documents

from loghaven.errors import LoghavenError
from loghaven.node import Node
from loghaven.sql.errors import SqlError
from loghaven.sql.service import SqlRequest

DOCS = waf_documents()
INDEX = "awswaf-2018.12"
CUSTOM_DATES = [{"n": 1, "t": "2018/12/01 10:00:00"}, {"n": 2, "t": 1543622400}, {"n": 3}]


@pytest.fixture(scope="module")
def waf_node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Node]:
    node = make_node(tmp_path_factory.mktemp("sql"), {
        INDEX: (WAF_MAPPING, DOCS),
        "custom-dates": ({"properties": {"t": {"type": "date",
                                               "format": "yyyy/MM/dd HH:mm:ss||epoch_second"},
                                         "n": {"type": "long"}}}, CUSTOM_DATES),
        "arrays": ({"properties": {"tags": {"type": "keyword"}, "n": {"type": "long"}}},
                   [{"n": 1, "tags": ["b", "a"]}, {"n": 2, "tags": "c"}, {"n": 3, "tags": []}])})
    yield node
    node.close()


def sql(node: Node, query: str, **kwargs: Any) -> Any:
    return node.sql.sql(SqlRequest(query, **kwargs))


def sources(node: Node, body: dict[str, Any]) -> list[dict[str, Any]]:
    response = node.search_service.search(INDEX, body, {})
    return [orjson.loads(orjson.dumps(h["_source"])) for h in response["hits"]["hits"]]


def utc(millis: int, fmt: str = "%Y-%m-%d %H:%M:%S") -> str:
    return (dt.datetime(1970, 1, 1) + dt.timedelta(milliseconds=millis)).strftime(fmt)


def timestamp(millis: int) -> str:
    """The plugin's timestamp text: milliseconds only when not whole seconds."""
    return utc(millis) + (f".{millis % 1000:03d}" if millis % 1000 else "")


def test_plain_columns_come_from_one_search(waf_node: Node) -> None:
    result = sql(waf_node, "SELECT action, bytes, httpRequest.clientIp FROM awswaf-* "
                           "WHERE action = 'BLOCK' AND bytes >= 1000 ORDER BY bytes DESC "
                           "LIMIT 5")
    expected = sources(waf_node, {"query": {"bool": {"filter": [
        {"term": {"action": "BLOCK"}}, {"range": {"bytes": {"gte": 1000}}}]}},
        "sort": [{"bytes": "desc"}], "size": 5})
    assert result.rows == [[d["action"], d["bytes"], d["httpRequest"]["clientIp"]]
                           for d in expected]
    assert [(c.name, c.type) for c in result.schema] == [
        ("action", "keyword"), ("bytes", "long"), ("httpRequest.clientIp", "keyword")]
    assert result.search is not None and result.total == 5


def test_offset_and_mysql_limit_form(waf_node: Node) -> None:
    both = sql(waf_node, f"SELECT bytes FROM {INDEX} WHERE bytes > 0 ORDER BY bytes LIMIT 6")
    offset = sql(waf_node, f"SELECT bytes FROM {INDEX} WHERE bytes > 0 ORDER BY bytes "
                           f"LIMIT 3 OFFSET 3")
    mysql = sql(waf_node, f"SELECT bytes FROM {INDEX} WHERE bytes > 0 ORDER BY bytes LIMIT 3, 3")
    assert offset.rows == both.rows[3:] == mysql.rows


def test_select_star_lists_leaves_in_schema_order(waf_node: Node) -> None:
    result = sql(waf_node, f"SELECT * FROM {INDEX} WHERE action = 'COUNT' LIMIT 1")
    names = [c.name for c in result.schema]
    assert names == sorted(names)
    assert "message" in names and "message.keyword" not in names
    assert "httpRequest.country" in names and "httpRequest" not in names
    row = dict(zip(names, result.rows[0], strict=True))
    doc = next(d for d in DOCS if d["timestamp"] == row["timestamp"])
    assert row["httpRequest.uri"] == doc["httpRequest"]["uri"]
    assert row["@timestamp"] == timestamp(doc["timestamp"])  # a date, in the plugin's text
    types = {c.name: c.type for c in result.schema}
    assert types["@timestamp"] == "timestamp" and types["message"] == "text"


def test_athena_query_from_the_seed(waf_node: Node) -> None:
    """The seed's Athena query, with the WAF index's field names."""
    result = sql(waf_node, """
        SELECT date_format(from_unixtime("timestamp"/1000), '%Y-%m-%d %h:%i:%s') AS event_date,
               httpRequest.clientIp AS client_ip, httpRequest.country AS country,
               terminatingRuleId
        FROM awswaf-* WHERE year = '2018' AND month = '12' AND action = 'BLOCK'
        ORDER BY "timestamp" LIMIT 20""")
    expected = sorted((d for d in DOCS if d["year"] == "2018" and d["month"] == "12"
                       and d["action"] == "BLOCK"), key=lambda d: d["timestamp"])[:20]
    assert result.rows == [[utc(d["timestamp"] // 1000 * 1000, "%Y-%m-%d %I:%M:%S"),
                            d["httpRequest"]["clientIp"], d["httpRequest"]["country"],
                            d["terminatingRuleId"]] for d in expected]
    first = result.schema[0]
    assert first.name == """date_format(from_unixtime("timestamp"/1000), '%Y-%m-%d %h:%i:%s')"""
    assert (first.alias, first.type) == ("event_date", "keyword")
    assert [c.alias for c in result.schema[1:]] == ["client_ip", "country", None]


def test_residual_where_runs_in_process(waf_node: Node) -> None:
    result = sql(waf_node, f"SELECT bytes FROM {INDEX} WHERE bytes % 7 = 0 OR "
                           f"upper(action) = 'COUNT' ORDER BY bytes")
    expected = sorted(d.get("bytes") for d in DOCS if "bytes" in d and
                      (d["bytes"] % 7 == 0 or d["action"] == "COUNT"))
    missing = [d for d in DOCS if "bytes" not in d and d["action"] == "COUNT"]
    assert result.rows == [[None]] * len(missing) + [[b] for b in expected]


def test_functions_transpile_to_what_they_mean(waf_node: Node) -> None:
    doc = min(DOCS, key=lambda d: d["timestamp"])
    result = sql(waf_node, f"""
        SELECT year(`@timestamp`), month(`@timestamp`), day(`@timestamp`),
               hour(`@timestamp`), date_trunc('day', `@timestamp`),
               date_add(`@timestamp`, INTERVAL 1 DAY), date_sub(`@timestamp`, INTERVAL 2 HOUR),
               split_part(httpRequest.clientIp, '.', 4),
               CASE WHEN bytes > 1000 THEN 'big' ELSE 'small' END,
               CAST(bytes AS VARCHAR), COALESCE(bytes, -1), IFNULL(bytes, -1),
               from_unixtime("timestamp" / 1000), now() > `@timestamp`
        FROM {INDEX} ORDER BY "timestamp" LIMIT 1""")
    at = dt.datetime(1970, 1, 1) + dt.timedelta(milliseconds=doc["timestamp"])
    day = at.replace(hour=0, minute=0, second=0, microsecond=0)
    assert result.rows[0] == [
        at.year, at.month, at.day, at.hour, day.strftime("%Y-%m-%d %H:%M:%S"),
        timestamp(doc["timestamp"] + 86_400_000), timestamp(doc["timestamp"] - 7_200_000),
        doc["httpRequest"]["clientIp"].split(".")[3],
        "big" if doc.get("bytes", 0) > 1000 else "small",
        str(doc["bytes"]) if "bytes" in doc else None,
        doc.get("bytes", -1), doc.get("bytes", -1),
        utc(doc["timestamp"] // 1000 * 1000), True]
    types = [c.type for c in result.schema]
    assert types[4] == "timestamp" and types[8] == "keyword" and types[13] == "boolean"


def test_distinct(waf_node: Node) -> None:
    result = sql(waf_node, f"SELECT DISTINCT httpRequest.country FROM {INDEX} "
                           f"ORDER BY httpRequest.country")
    assert result.rows == [[c] for c in sorted({d["httpRequest"]["country"] for d in DOCS})]


def test_double_quoted_non_field_is_a_string(waf_node: Node) -> None:
    result = sql(waf_node, f'SELECT "hello", action FROM {INDEX} WHERE action = "BLOCK" LIMIT 2')
    assert result.rows == [["hello", "BLOCK"]] * 2


def test_request_filter_applies_before_where(waf_node: Node) -> None:
    result = sql(waf_node, f"SELECT httpRequest.country FROM {INDEX} WHERE action = 'ALLOW'",
                 filter={"term": {"httpRequest.country": "DE"}})
    expected = [d for d in DOCS if d["action"] == "ALLOW" and
                d["httpRequest"]["country"] == "DE"]
    assert result.rows == [["DE"]] * len(expected) and expected


def test_parameters_bind_placeholders(waf_node: Node) -> None:
    result = sql(waf_node, f"SELECT count(*) FROM {INDEX} WHERE action = ? AND bytes > ?",
                 parameters=[{"type": "string", "value": "BLOCK"},
                             {"type": "integer", "value": 2000}])
    assert result.rows == [[sum(1 for d in DOCS if d["action"] == "BLOCK"
                                and d.get("bytes", 0) > 2000)]]


def test_unknown_column_names_it(waf_node: Node) -> None:
    with pytest.raises(SqlError) as caught:
        sql(waf_node, f"SELECT nope FROM {INDEX}")
    assert caught.value.type == "SemanticCheckException"
    assert "nope" in caught.value.details and INDEX in caught.value.details


def test_other_statements_are_unsupported(waf_node: Node) -> None:
    for statement in (f"DELETE FROM {INDEX} WHERE action = 'BLOCK'",
                      f"INSERT INTO {INDEX} (action) VALUES ('x')"):
        with pytest.raises(SqlError) as caught:
            sql(waf_node, statement)
        assert "Unsupported statement" in caught.value.details
    assert sql(waf_node, f"SELECT count(*) FROM {INDEX}").rows == [[len(DOCS)]]


def test_syntax_error(waf_node: Node) -> None:
    with pytest.raises(SqlError) as caught:
        sql(waf_node, "SELEC action FROM x")
    assert caught.value.type == "SyntaxCheckException"


def test_missing_index_propagates(waf_node: Node) -> None:
    with pytest.raises(LoghavenError):
        sql(waf_node, "SELECT a FROM no_such_index")


def test_size_limit_refuses_never_truncates(waf_node: Node) -> None:
    settings = waf_node.sql.settings
    limit = settings.size_limit
    settings.size_limit = 50
    try:
        with pytest.raises(SqlError) as caught:
            sql(waf_node, f"SELECT action FROM {INDEX}")
        assert "[plugins.query.size_limit] = 50" in caught.value.details
        assert f"[{INDEX}]" in caught.value.details and str(len(DOCS)) in caught.value.details
        with pytest.raises(SqlError):  # a residual WHERE must pull every row first
            sql(waf_node, f"SELECT action FROM {INDEX} WHERE upper(action) = 'BLOCK' LIMIT 1")
        assert len(sql(waf_node, f"SELECT action FROM {INDEX} LIMIT 30").rows) == 30
        small = sql(waf_node, f"SELECT bytes FROM {INDEX} WHERE bytes < 300")
        assert len(small.rows) == sum(1 for d in DOCS if d.get("bytes", 10**6) < 300)
    finally:
        settings.size_limit = limit


def test_size_limit_follows_cluster_settings(waf_node: Node) -> None:
    waf_node.catalog.put_cluster_settings({"transient": {"plugins.query.size_limit": 7}})
    try:
        assert waf_node.sql.settings.size_limit == 7
        with pytest.raises(SqlError):
            sql(waf_node, f"SELECT bytes FROM {INDEX}")
    finally:
        waf_node.catalog.put_cluster_settings({"transient": {"plugins.query.size_limit": None}})
    assert waf_node.sql.settings.size_limit == 10_000


def test_disabled_sql_is_refused(waf_node: Node) -> None:
    waf_node.catalog.put_cluster_settings({"transient": {"plugins.sql.enabled": False}})
    try:
        with pytest.raises(SqlError) as caught:
            sql(waf_node, f"SELECT action FROM {INDEX} LIMIT 1")
        assert caught.value.type == "SQLFeatureDisabledException"
    finally:
        waf_node.catalog.put_cluster_settings({"transient": {"plugins.sql.enabled": None}})


def test_mysql_functions_keep_their_meaning(waf_node: Node) -> None:
    doc = min(DOCS, key=lambda d: d["timestamp"])
    at = dt.datetime(1970, 1, 1) + dt.timedelta(milliseconds=doc["timestamp"])
    result = sql(waf_node, f"""
        SELECT dayofweek(`@timestamp`), unix_timestamp(`@timestamp`),
               datediff(`@timestamp`, DATE '2018-11-30'), IF(bytes > 1000, 'big', 'small'),
               locate('.', httpRequest.clientIp), concat(action, '/', month),
               NULLIF(action, '{doc["action"]}'), 7 / 2, 7 / 2.0
        FROM {INDEX} ORDER BY timestamp LIMIT 1""")
    assert result.rows == [[
        at.isoweekday() % 7 + 1, doc["timestamp"] / 1000, (at.date() - dt.date(2018, 11, 30)).days,
        "big" if doc.get("bytes", 0) > 1000 else "small",
        doc["httpRequest"]["clientIp"].index(".") + 1, f"{doc['action']}/{doc['month']}",
        None, 3, 3.5]]


def test_subquery_in_from(waf_node: Node) -> None:
    result = sql(waf_node, f"SELECT a, count(*) AS n FROM (SELECT action AS a FROM {INDEX} "
                           f"WHERE bytes > 4000) t GROUP BY a ORDER BY a")
    counts: dict[str, int] = {}
    for d in DOCS:
        if d.get("bytes", 0) > 4000:
            counts[d["action"]] = counts.get(d["action"], 0) + 1
    assert result.rows == [[a, counts[a]] for a in sorted(counts)]


def test_other_subqueries_are_refused(waf_node: Node) -> None:
    for statement in (f"SELECT action FROM {INDEX} WHERE action IN "
                      f"(SELECT action FROM {INDEX} WHERE bytes > 4900)",
                      f"SELECT (SELECT 1), action FROM {INDEX}",
                      f"WITH x AS (SELECT action FROM {INDEX}) SELECT * FROM x"):
        with pytest.raises(SqlError) as caught:
            sql(waf_node, statement)
        assert caught.value.type == "UnsupportedOperationException"


def test_relevance_functions_run_as_search_queries(waf_node: Node) -> None:
    result = sql(waf_node, f"SELECT action, count(*) FROM {INDEX} "
                           f"WHERE match_phrase(message, 'from CN') GROUP BY action")
    expected = waf_node.search_service.search(INDEX, {"size": 0, "query": {
        "match_phrase": {"message": "from CN"}}, "aggs": {"a": {"terms": {"field": "action"}}}},
        {})["aggregations"]["a"]["buckets"]
    assert result.rows == sorted([b["key"], b["doc_count"]] for b in expected)


def test_dates_in_any_mapped_format(waf_node: Node) -> None:
    """Dates are read as the index parsed them (doc values), not re-parsed from _source."""
    expected = [[1, "2018-12-01 10:00:00"], [2, "2018-12-01 00:00:00"], [3, None]]
    assert sql(waf_node, "SELECT n, t FROM custom-dates ORDER BY n").rows == expected
    computed = sql(waf_node, "SELECT n, hour(t) FROM custom-dates ORDER BY n")
    assert computed.rows == [[1, 10], [2, 0], [3, None]]


def test_index_names_are_read_whole_but_strings_and_extract_are_not(waf_node: Node) -> None:
    result = sql(waf_node, "SELECT count(*), EXTRACT(YEAR FROM `@timestamp`) AS y "
                           "FROM awswaf-2018.* WHERE message <> 'x from a-b.c' GROUP BY y ORDER BY y")
    assert result.rows == [[len([d for d in DOCS if d["year"] == y]), int(y)]
                           for y in ("2018", "2019") if any(d["year"] == y for d in DOCS)]


def test_text_sorts_on_its_keyword_sub_field(waf_node: Node) -> None:
    query = f"SELECT message FROM {INDEX} ORDER BY message DESC LIMIT 3"
    result = sql(waf_node, query)
    assert result.rows == [[m] for m in sorted((d["message"] for d in DOCS), reverse=True)[:3]]
    request = waf_node.sql.explain(SqlRequest(query))["root"]["children"][0]
    assert request["description"]["request"]["sort"] == [
        {"message.keyword": {"order": "desc", "missing": "_last"}}]


def test_arrays_give_their_first_value(waf_node: Node) -> None:
    hits = sql(waf_node, "SELECT n, tags FROM arrays ORDER BY n")
    computed = sql(waf_node, "SELECT n, upper(tags) FROM arrays ORDER BY n")
    assert hits.rows == [[1, "b"], [2, "c"], [3, None]]
    assert computed.rows == [[1, "B"], [2, "C"], [3, None]]


def test_objects_are_answered_as_objects(waf_node: Node) -> None:
    doc = min(DOCS, key=lambda d: d["timestamp"])
    hits = sql(waf_node, f"SELECT httpRequest FROM {INDEX} ORDER BY timestamp LIMIT 1")
    computed = sql(waf_node, f"SELECT httpRequest, upper(action) FROM {INDEX} "
                             f"ORDER BY timestamp LIMIT 1")
    assert hits.rows == [[doc["httpRequest"]]] and computed.rows[0][0] == doc["httpRequest"]
    assert hits.schema[0].type == computed.schema[0].type == "object"


def test_a_keyword_sub_field_is_a_column(waf_node: Node) -> None:
    result = sql(waf_node, f"SELECT message.keyword, upper(message.keyword) FROM {INDEX} "
                           f"ORDER BY timestamp LIMIT 1")
    message = min(DOCS, key=lambda d: d["timestamp"])["message"]
    assert result.rows == [[message, message.upper()]]
    assert result.schema[0].type == "keyword"


def test_the_in_process_engine_reads_no_files(waf_node: Node) -> None:
    with pytest.raises(LoghavenError):  # FROM names indices only
        sql(waf_node, "SELECT * FROM read_csv('/etc/hostname')")
    for statement in (f"SELECT read_text('/etc/hostname'), upper(action) FROM {INDEX}",
                      f"SELECT upper(action) FROM {INDEX} WHERE "
                      f"EXISTS (SELECT * FROM read_csv('/etc/hostname'))"):
        with pytest.raises(SqlError):
            sql(waf_node, statement)

