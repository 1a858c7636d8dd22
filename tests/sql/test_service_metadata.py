"""SHOW TABLES LIKE and DESCRIBE TABLES LIKE ... COLUMNS LIKE, in the plugin's JDBC column
sets, from the node's real indices."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from tests.sql.service_data import WAF_MAPPING, make_node, waf_documents

from loghaven.node import Node
from loghaven.sql.service import SqlRequest


@pytest.fixture(scope="module")
def meta_node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Node]:
    docs = waf_documents(20)
    node = make_node(tmp_path_factory.mktemp("sqlmeta"), {
        "awswaf-2018.12": (WAF_MAPPING, docs), "awswaf-2019.01": (WAF_MAPPING, docs),
        "accounts": ({"properties": {"name": {"type": "keyword"}}}, [{"name": "a"}])})
    yield node
    node.close()


def test_show_tables_like(meta_node: Node) -> None:
    result = meta_node.sql.sql(SqlRequest("SHOW TABLES LIKE awswaf%"))
    assert [c.name for c in result.schema] == [
        "TABLE_CAT", "TABLE_SCHEM", "TABLE_NAME", "TABLE_TYPE", "REMARKS", "TYPE_CAT",
        "TYPE_SCHEM", "TYPE_NAME", "SELF_REFERENCING_COL_NAME", "REF_GENERATION"]
    assert result.rows == [["loghaven", None, name, "BASE TABLE"] + [None] * 6
                           for name in ("awswaf-2018.12", "awswaf-2019.01")]
    everything = meta_node.sql.sql(SqlRequest("SHOW TABLES LIKE '%'"))
    assert [r[2] for r in everything.rows] == ["accounts", "awswaf-2018.12",
                                               "awswaf-2019.01"]
    one_char = meta_node.sql.sql(SqlRequest("show tables like awswaf-2018._2"))
    assert [r[2] for r in one_char.rows] == ["awswaf-2018.12"]


def test_describe_tables_columns_like(meta_node: Node) -> None:
    result = meta_node.sql.sql(SqlRequest(
        "DESCRIBE TABLES LIKE awswaf-2018.12 COLUMNS LIKE httpRequest%"))
    assert len(result.schema) == 24
    assert [c.name for c in result.schema][:6] == [
        "TABLE_CAT", "TABLE_SCHEM", "TABLE_NAME", "COLUMN_NAME", "DATA_TYPE", "TYPE_NAME"]
    names = [(r[3], r[5]) for r in result.rows]
    assert names == [("httpRequest", "object"), ("httpRequest.clientIp", "keyword"),
                     ("httpRequest.country", "keyword"), ("httpRequest.httpMethod", "keyword"),
                     ("httpRequest.uri", "keyword")]
    every = meta_node.sql.sql(SqlRequest("DESCRIBE TABLES LIKE awswaf-2018.12"))
    types = {r[3]: r[5] for r in every.rows}
    assert types["@timestamp"] == "timestamp" and types["message"] == "text"
    assert "message.keyword" not in types  # a multi-field is no column of its own
    assert [r[16] for r in every.rows] == list(range(len(every.rows)))
