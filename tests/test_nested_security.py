"""Nested documents under document- and field-level security: a role's DLS query and FLS
patterns apply to the parents, and the nested query, its inner hits and the nested
aggregations still work through them (the hidden documents are never shown)."""

from __future__ import annotations

from collections.abc import Collection, Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest

from loghaven.config import Config
from loghaven.engine.documents_state import WriteRequest
from loghaven.node import Node
from loghaven.security.context import acting
from loghaven.security.subject import AllAccess, IndexRules, Subject

MAPPING = {"properties": {"group": {"type": "keyword"}, "secret": {"type": "keyword"},
                          "user": {"type": "nested", "properties": {
                              "first": {"type": "keyword"}, "last": {"type": "keyword"}}}}}
DOCS = {
    "1": {"group": "fans", "secret": "s1", "user": [{"first": "John", "last": "Smith"},
                                                    {"first": "Alice", "last": "White"}]},
    "2": {"group": "foes", "secret": "s2", "user": [{"first": "Alice", "last": "White"}]},
}
ALICE_WHITE = {"nested": {"path": "user", "inner_hits": {}, "query": {"bool": {"must": [
    {"term": {"user.first": "Alice"}}, {"term": {"user.last": "White"}}]}}}}


class FixedRules(AllAccess):
    def __init__(self, rules: IndexRules) -> None:
        self.rules = rules

    def index_rules(self, index: str, aliases: Collection[str] = ()) -> IndexRules | None:
        return self.rules


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Node]:
    folder: Path = tmp_path_factory.mktemp("nested-dls")
    node = Node(Config(data_dir=folder, ingest_workers=0))
    index = node.catalog.create_index("people", {"mappings": MAPPING})
    index.write([WriteRequest("index", doc_id=i, source=orjson.dumps(d), parsed=d)
                 for i, d in DOCS.items()])
    index.refresh()
    yield node
    node.close()


def test_dls_and_fls_over_nested_documents(node: Node) -> None:
    rules = IndexRules(dls={"term": {"group": "fans"}}, fls_include=("group", "user*"))
    body: dict[str, Any] = {"query": ALICE_WHITE, "aggs": {
        "users": {"nested": {"path": "user"}, "aggs": {"last": {"terms": {
            "field": "user.last"}}}},
        "everyone": {"global": {}}}}
    with acting(Subject(name="analyst", privileges=FixedRules(rules)),
                "indices:data/read/search"):
        seen = orjson.loads(orjson.dumps(node.search_service.search("people", body, {})))
    assert [h["_id"] for h in seen["hits"]["hits"]] == ["1"]
    hit = seen["hits"]["hits"][0]
    assert hit["_source"] == {"group": "fans", "user": DOCS["1"]["user"]}
    inner = hit["inner_hits"]["user"]["hits"]["hits"]
    assert [(h["_nested"], h["_source"]) for h in inner] == [
        ({"field": "user", "offset": 1}, {"first": "Alice", "last": "White"})]
    assert seen["hits"]["total"]["value"] == 1
    assert seen["aggregations"]["everyone"] == {"doc_count": 1}
    # every object of the one visible matching parent (not only the matching one)
    assert seen["aggregations"]["users"]["doc_count"] == 2
    assert seen["aggregations"]["users"]["last"]["buckets"] == [
        {"key": "Smith", "doc_count": 1}, {"key": "White", "doc_count": 1}]
