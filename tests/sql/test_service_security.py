"""SQL runs as the caller: document-level security narrows every path (hits, aggregations,
rows pulled into DuckDB, cursors) and field-level security hides columns, because every
read goes through the search service."""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterator
from contextlib import contextmanager

import pytest
from tests.sql.service_data import WAF_MAPPING, make_node, waf_documents

from loghaven.node import Node
from loghaven.security.context import acting
from loghaven.security.subject import AllAccess, IndexRules, Subject
from loghaven.sql.errors import SemanticError, SqlError
from loghaven.sql.service import SqlRequest

DOCS = waf_documents()
INDEX = "awswaf-2018.12"
BLOCKED = [d for d in DOCS if d["action"] == "BLOCK"]


class FixedRules(AllAccess):
    def __init__(self, rules: IndexRules) -> None:
        self.rules = rules

    def index_rules(self, index: str, aliases: Collection[str] = ()) -> IndexRules | None:
        return self.rules


@contextmanager
def as_analyst(rules: IndexRules) -> Iterator[None]:
    with acting(Subject(name="analyst", privileges=FixedRules(rules)),
                "indices:data/read/search"):
        yield


@pytest.fixture(scope="module")
def waf_node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Node]:
    node = make_node(tmp_path_factory.mktemp("sqlsec"), {INDEX: (WAF_MAPPING, DOCS)})
    yield node
    node.close()


def test_dls_narrows_every_path(waf_node: Node) -> None:
    with as_analyst(IndexRules(dls={"term": {"action": "BLOCK"}})):
        hits = waf_node.sql.sql(SqlRequest(f"SELECT action FROM {INDEX}"))
        groups = waf_node.sql.sql(SqlRequest(
            f"SELECT httpRequest.country, count(*) FROM {INDEX} GROUP BY 1"))
        pulled = waf_node.sql.sql(SqlRequest(f"SELECT lower(action) FROM {INDEX} "
                                             f"WHERE bytes % 2 = 1"))
        first = waf_node.sql.sql(SqlRequest(f"SELECT timestamp FROM {INDEX}", fetch_size=9))
        paged = list(first.rows)
        cursor = first.cursor
        while cursor is not None:
            page = waf_node.sql.next_page(cursor)
            paged += page.rows
            cursor = page.cursor
    assert hits.rows == [["BLOCK"]] * len(BLOCKED)
    countries = Counter(d["httpRequest"]["country"] for d in BLOCKED)
    assert groups.rows == [[c, countries[c]] for c in sorted(countries)]
    assert pulled.rows == [["block"]] * sum(1 for d in BLOCKED if d.get("bytes", 0) % 2 == 1)
    assert sorted(r[0] for r in paged) == sorted(d["timestamp"] for d in BLOCKED)


def test_fls_hides_columns(waf_node: Node) -> None:
    with as_analyst(IndexRules(fls_exclude=("httpRequest.clientIp",))):
        star = waf_node.sql.sql(SqlRequest(f"SELECT * FROM {INDEX} LIMIT 1"))
        with pytest.raises(SemanticError):
            waf_node.sql.sql(SqlRequest(f"SELECT httpRequest.clientIp FROM {INDEX}"))
    names = [c.name for c in star.schema]
    assert "httpRequest.clientIp" not in names and "httpRequest.country" in names


def test_a_cursor_answers_only_its_owner(waf_node: Node) -> None:
    with as_analyst(IndexRules()):
        first = waf_node.sql.sql(SqlRequest(f"SELECT upper(action) FROM {INDEX}", fetch_size=5))
    assert first.cursor is not None
    with pytest.raises(SqlError):  # the node itself (or any other user) is not its owner
        waf_node.sql.next_page(first.cursor)
    with as_analyst(IndexRules()):
        assert len(waf_node.sql.next_page(first.cursor).rows) == 5
        assert waf_node.sql.close(first.cursor) is True
