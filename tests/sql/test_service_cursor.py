"""Cursor paging (``fetch_size``): every row exactly once, scrolls freed, cursors closed and
expired."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator

import pytest
from tests.sql.service_data import WAF_MAPPING, make_node, waf_documents

from loghaven.node import Node
from loghaven.sql.errors import SqlError
from loghaven.sql.result import Result
from loghaven.sql.service import SqlRequest

DOCS = waf_documents()
INDEX = "awswaf-2018.12"


@pytest.fixture(scope="module")
def waf_node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Node]:
    node = make_node(tmp_path_factory.mktemp("sqlcursor"), {INDEX: (WAF_MAPPING, DOCS)})
    yield node
    node.close()


def pages(node: Node, query: str, fetch_size: int) -> list[Result]:
    first = node.sql.sql(SqlRequest(query, fetch_size=fetch_size))
    out = [first]
    while out[-1].cursor is not None:
        out.append(node.sql.next_page(out[-1].cursor))
    return out


def open_scrolls(node: Node) -> int:
    return node.search_service.clear_scroll(None)["num_freed"]


def test_scroll_cursor_returns_every_row_once_past_the_size_limit(waf_node: Node) -> None:
    settings = waf_node.sql.settings
    limit, settings.size_limit = settings.size_limit, 50
    try:
        got = pages(waf_node, f"SELECT timestamp, action FROM {INDEX} WHERE bytes >= 1000",
                    fetch_size=7)
    finally:
        settings.size_limit = limit
    expected = sorted(d["timestamp"] for d in DOCS if d.get("bytes", 0) >= 1000)
    rows = [row for page in got for row in page.rows]
    assert sorted(r[0] for r in rows) == expected  # each row exactly once
    assert all(len(p.rows) == 7 for p in got[:-1]) and 0 < len(got[-1].rows) <= 7
    assert got[0].total == len(expected) and not got[0].continuation
    assert all(p.continuation for p in got[1:])
    assert got[0].schema == got[-1].schema
    assert open_scrolls(waf_node) == 0  # the last page freed its scroll


def test_computed_answers_page_from_memory(waf_node: Node) -> None:
    got = pages(waf_node, f"SELECT upper(action) AS a, timestamp FROM {INDEX} "
                          f"ORDER BY timestamp", fetch_size=150)
    rows = [row for page in got for row in page.rows]
    assert [len(p.rows) for p in got] == [150, 150, 100]
    assert rows == [[d["action"], d["timestamp"]] for d in sorted(DOCS,
                                                                  key=lambda d: d["timestamp"])]


def test_group_by_pages(waf_node: Node) -> None:
    got = pages(waf_node, f"SELECT httpRequest.clientIp, count(*) FROM {INDEX} "
                          f"GROUP BY httpRequest.clientIp", fetch_size=10)
    counts = Counter(d["httpRequest"]["clientIp"] for d in DOCS)
    assert [r for p in got for r in p.rows] == [[ip, counts[ip]] for ip in sorted(counts)]
    assert got[0].total == len(counts)


def test_a_page_that_holds_everything_has_no_cursor(waf_node: Node) -> None:
    result = waf_node.sql.sql(SqlRequest(f"SELECT action FROM {INDEX} LIMIT 5",
                                         fetch_size=10))
    assert result.cursor is None and len(result.rows) == 5
    everything = waf_node.sql.sql(SqlRequest(f"SELECT action FROM {INDEX}",
                                             fetch_size=len(DOCS)))
    assert everything.cursor is None and len(everything.rows) == len(DOCS)
    assert open_scrolls(waf_node) == 0


def test_close_frees_the_scroll_and_forgets_the_cursor(waf_node: Node) -> None:
    first = waf_node.sql.sql(SqlRequest(f"SELECT action FROM {INDEX}", fetch_size=5))
    assert first.cursor is not None
    assert waf_node.sql.close(first.cursor) is True
    assert open_scrolls(waf_node) == 0
    with pytest.raises(SqlError) as caught:
        waf_node.sql.next_page(first.cursor)
    assert caught.value.status == 404


def test_idle_cursor_expires(waf_node: Node) -> None:
    settings = waf_node.sql.settings
    keep_alive, settings.cursor_keep_alive_ms = settings.cursor_keep_alive_ms, 200
    try:
        first = waf_node.sql.sql(SqlRequest(f"SELECT upper(action) FROM {INDEX}",
                                            fetch_size=5))
        second = waf_node.sql.sql(SqlRequest(f"SELECT action FROM {INDEX}", fetch_size=5))
        time.sleep(0.4)
        for cursor in (first.cursor, second.cursor):
            assert cursor is not None
            with pytest.raises(SqlError):
                waf_node.sql.next_page(cursor)
    finally:
        settings.cursor_keep_alive_ms = keep_alive
    assert open_scrolls(waf_node) == 0


def test_unknown_cursor(waf_node: Node) -> None:
    for call in (waf_node.sql.next_page, waf_node.sql.close):
        with pytest.raises(SqlError) as caught:
            call("n:nope")
        assert caught.value.status == 404
