"""The SQL plugin's response formats, rendered from a Result (sql/formats.py)."""

from __future__ import annotations

import csv as csv_module
import io

import pytest

from loghaven.sql import formats
from loghaven.sql.errors import SqlError
from loghaven.sql.result import Column, Result

SCHEMA = [Column("firstname", "text"), Column("lastname", "text"), Column("age", "long")]
ROWS = [["Nanette", "Bates", 28], ["Amber", "Duke", 32]]


def test_jdbc_is_the_plugin_s_body() -> None:
    body = formats.jdbc(Result(SCHEMA, ROWS, total=4))
    assert body == {"schema": [{"name": "firstname", "type": "text"},
                               {"name": "lastname", "type": "text"},
                               {"name": "age", "type": "long"}],
                    "datarows": ROWS, "total": 4, "size": 2, "status": 200}
    assert "cursor" not in body


def test_jdbc_names_an_alias_only_when_there_is_one() -> None:
    body = formats.jdbc(Result([Column("count(*)", "long", "c"), Column("ip", "keyword")],
                               [[3, "10.0.0.1"]], total=1))
    assert body["schema"] == [{"name": "count(*)", "alias": "c", "type": "long"},
                              {"name": "ip", "type": "keyword"}]


def test_first_page_carries_the_cursor_and_a_continuation_only_rows_and_cursor() -> None:
    first = formats.jdbc(Result(SCHEMA, ROWS, total=5, cursor="n:abc"))
    assert first["cursor"] == "n:abc" and first["total"] == 5 and first["size"] == 2
    middle = formats.jdbc(Result(SCHEMA, [["Dale", "Adams", 33]], total=5, cursor="n:def",
                                 continuation=True))
    assert middle == {"datarows": [["Dale", "Adams", 33]], "cursor": "n:def"}
    last = formats.jdbc(Result(SCHEMA, [["Hattie", "Bond", 36]], total=5, continuation=True))
    assert last == {"datarows": [["Hattie", "Bond", 36]]}


def test_csv_sanitises_formula_cells_in_header_and_data() -> None:
    result = Result([Column("+firstname", "text"), Column("=lastname", "text"),
                     Column("address", "text")],
                    [["-Hattie", "@Bond", "671 Bristol Street, Dente, TN"]], total=1)
    assert formats.csv(result) == ("'+firstname,'=lastname,address\n"
                                   "'-Hattie,'@Bond,\"671 Bristol Street, Dente, TN\"")
    assert formats.csv(result, sanitize=False) == (
        "+firstname,=lastname,address\n-Hattie,@Bond,\"671 Bristol Street, Dente, TN\"")


def test_csv_reads_back_with_python_s_csv_reader() -> None:
    tricky = ['say "hi"', "two\nlines", "a,b", None, True, 1.5, {"k": [1, 2]}]
    result = Result([Column(f"c{i}", "keyword") for i in range(len(tricky))], [tricky],
                    total=1)
    header, row = list(csv_module.reader(io.StringIO(formats.csv(result, sanitize=False))))
    assert header == [f"c{i}" for i in range(len(tricky))]
    assert row == ['say "hi"', "two\nlines", "a,b", "", "true", "1.5", '{"k":[1,2]}']


def test_raw_quotes_pipes_and_does_not_sanitise() -> None:
    result = Result([Column("|address", "text"), Column("=lastname", "text"),
                     Column("+firstname", "text")],
                    [["671 Bristol Street| Dente| TN", "Bond|", "|Hattie"]], total=1)
    assert formats.raw(result) == ('"|address"|=lastname|+firstname\n'
                                   '"671 Bristol Street| Dente| TN"|"Bond|"|"|Hattie"')


def test_raw_pretty_pads_columns() -> None:
    text = formats.raw(Result(SCHEMA, ROWS, total=2), pretty=True)
    assert text.splitlines() == ["firstname|lastname|age", "Nanette  |Bates   |28 ",
                                 "Amber    |Duke    |32 "]


def test_flat_formats_head_columns_with_their_alias() -> None:
    result = Result([Column("count(*)", "long", "hits")], [[7]], total=1)
    assert formats.csv(result) == "hits\n7"
    assert formats.raw(result) == "hits\n7"


def test_viz_gives_one_array_per_column() -> None:
    assert formats.viz(Result(SCHEMA, ROWS, total=2)) == {
        "data": {"firstname": ["Nanette", "Amber"], "lastname": ["Bates", "Duke"],
                 "age": [28, 32]},
        "fields": [{"name": "firstname", "type": "text"}, {"name": "lastname", "type": "text"},
                   {"name": "age", "type": "long"}],
        "size": 2, "status": 200}


def test_json_is_the_search_response_or_a_clear_refusal() -> None:
    search = {"took": 1, "timed_out": False, "hits": {"total": {"value": 2, "relation": "eq"},
                                                      "hits": []}}
    assert formats.search_response(Result(SCHEMA, ROWS, total=2, search=search)) is search
    with pytest.raises(SqlError, match="format=jdbc") as refused:
        formats.search_response(Result(SCHEMA, ROWS, total=2))
    assert refused.value.status == 400


def test_unknown_formats_are_the_plugin_s_400() -> None:
    assert formats.check_format("CSV", formats.SQL_FORMATS, "Invalid SQL query") == "csv"
    assert formats.check_format("", formats.SQL_FORMATS, "Invalid SQL query") == "jdbc"
    with pytest.raises(SqlError) as refused:
        formats.check_format("yaml", formats.SQL_FORMATS, "Invalid SQL query")
    assert refused.value.to_body() == {"error": {
        "reason": "Invalid SQL query", "details": "response in yaml format is not supported.",
        "type": "IllegalArgumentException"}, "status": 400}
    with pytest.raises(SqlError, match="json format"):
        formats.check_format("json", formats.PPL_FORMATS, "Invalid Query")
