"""Dates and doubles as columns without an inverted index (decisions/0020): every query kind
that asks for one exact value still finds it, scores as Elasticsearch's term-level queries on
numbers do (a constant, the boost), and a split written before the change (its dates and
doubles indexed too) answers alike, side by side with a new one."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
import tantivy

from loghaven.config import Config
from loghaven.engine import schema
from loghaven.engine.documents_state import WriteRequest
from loghaven.engine.mapping import FieldInfo
from loghaven.node import Node
from loghaven.search.service import SearchService

BASE = 1704067200000  # 2024-01-01T00:00:00Z
MINUTE = 60_000
MAPPING = {"properties": {"ts": {"type": "date"}, "price": {"type": "double"},
                          "n": {"type": "long"}, "host": {"type": "keyword"}}}


def _doc(i: int) -> dict[str, Any]:
    """Five timestamps shared by six documents each; prices shared too, 9.5 only on host a."""
    doc: dict[str, Any] = {"n": i, "ts": BASE + (i % 5) * MINUTE,
                           "host": "a" if i < 10 else "b"}
    if i < 10 and i % 2 == 0:
        doc["price"] = 9.5
    elif i % 4 != 3:
        doc["price"] = [1.5, 2.25, 3.0][i % 3]
    return doc


DOCS = {str(i): _doc(i) for i in range(30)}
OLD = [str(i) for i in range(15)]  # written with the schema of before (indexed columns)


def _indexed_columns(builder: tantivy.SchemaBuilder, info: FieldInfo,
                     original: Any = schema._add_field) -> None:
    """``_add_field`` as it was before decision 0020: dates and doubles indexed as well."""
    if info.indexed and info.kind == "date":
        builder.add_integer_field(info.path, indexed=True, fast=True)
    elif info.indexed and info.kind == "double":
        builder.add_float_field(info.path, indexed=True, fast=True)
    else:
        original(builder, info)


def _write(index: Any, ids: list[str]) -> None:
    index.write([WriteRequest("index", doc_id=i, source=orjson.dumps(DOCS[i]), parsed=DOCS[i])
                 for i in ids])
    index.refresh()


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Node]:
    folder: Path = tmp_path_factory.mktemp("columns")
    node = Node(Config(data_dir=folder, ingest_workers=0))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(schema, "_add_field", _indexed_columns)
        index = node.catalog.create_index("logs-columns", {"mappings": MAPPING})
        _write(index, OLD)
    index.seal()  # the new active split takes today's schema
    _write(index, [i for i in DOCS if i not in OLD])
    yield node
    node.close()


@pytest.fixture()
def service(node: Node) -> SearchService:
    return node.search_service


def _options(split_path: Path) -> dict[str, dict[str, Any]]:
    meta = json.loads((split_path / "meta.json").read_text())
    return {field["name"]: field["options"] for field in meta["schema"]}


def _search(service: SearchService, body: dict[str, Any]) -> dict[str, float]:
    """The hits' ids and scores of ``body`` (all of them)."""
    found = service.search("logs-columns", {"size": 100, **body}, {})
    return {hit["_id"]: hit["_score"] for hit in found["hits"]["hits"]}


def _pages(service: SearchService, index: str, sort: list[Any], size: int) -> list[str]:
    """The ids of every hit, paging ``size`` at a time with ``search_after``."""
    seen: list[str] = []
    after: list[Any] | None = None
    while True:
        body: dict[str, Any] = {"size": size, "sort": sort}
        if after is not None:
            body["search_after"] = after
        hits = service.search(index, body, {})["hits"]["hits"]
        if not hits:
            return seen
        seen += [hit["_id"] for hit in hits]
        after = hits[-1]["sort"]


def _where(test: Any) -> set[str]:
    return {i for i, doc in DOCS.items() if test(doc)}


def test_new_splits_keep_dates_and_doubles_as_columns_only(node: Node) -> None:
    old, new = node.catalog.get("logs-columns").splits
    before, after = _options(old.path), _options(new.path)
    for field in ("ts", "price"):
        assert before[field]["indexed"] is True and before[field]["fast"] is True
        assert after[field]["indexed"] is False and after[field]["fast"] is True
    for field in ("n", "_seq_no"):
        assert after[field]["indexed"] is True
    assert after["host"]["indexing"] is not None


@pytest.mark.parametrize("query", [
    {"term": {"ts": BASE + MINUTE}},
    {"term": {"ts": {"value": "2024-01-01T00:01:00.000Z"}}},
    {"match": {"ts": BASE + MINUTE}},
    {"query_string": {"query": f"ts:{BASE + MINUTE}"}},
    {"query_string": {"query": 'ts:"2024-01-01T00:01:00.000Z"'}},
])
def test_one_date_value_in_old_and_new_splits(service: SearchService,
                                              query: dict[str, Any]) -> None:
    expected = _where(lambda d: d["ts"] == BASE + MINUTE)
    assert expected & set(OLD) and expected - set(OLD)
    assert _search(service, {"query": query}) == dict.fromkeys(expected, 1.0)


@pytest.mark.parametrize("query", [
    {"term": {"price": 2.25}},
    {"term": {"price": {"value": "2.25"}}},
    {"match": {"price": 2.25}},
    {"query_string": {"query": "price:2.25"}},
])
def test_one_double_value_in_old_and_new_splits(service: SearchService,
                                                query: dict[str, Any]) -> None:
    expected = _where(lambda d: d.get("price") == 2.25)
    assert expected & set(OLD) and expected - set(OLD)
    assert _search(service, {"query": query}) == dict.fromkeys(expected, 1.0)


def test_terms_and_boosts_score_a_constant(service: SearchService) -> None:
    dates = _where(lambda d: d["ts"] in (BASE, BASE + 3 * MINUTE))
    assert _search(service, {"query": {"terms": {"ts": [BASE, BASE + 3 * MINUTE]}}}) == \
        dict.fromkeys(dates, 1.0)
    prices = _where(lambda d: d.get("price") in (1.5, 9.5))
    assert _search(service, {"query": {"terms": {"price": [1.5, 9.5], "boost": 3}}}) == \
        dict.fromkeys(prices, 3.0)
    one = _where(lambda d: d["ts"] == BASE)
    assert _search(service, {"query": {"term": {"ts": {"value": BASE, "boost": 2}}}}) == \
        dict.fromkeys(one, 2.0)
    # absent values and ranges are unchanged
    assert _search(service, {"query": {"term": {"price": 7.0}}}) == {}
    assert set(_search(service, {"query": {"range": {"price": {"gt": 3.0}}}})) == \
        _where(lambda d: d.get("price", 0) > 3.0)


def test_search_after_over_tied_dates_and_doubles_returns_every_document_once(
        service: SearchService) -> None:
    sort = [{"ts": "desc"}, {"price": {"order": "asc", "missing": "_first"}}, {"n": "asc"}]
    seen = _pages(service, "logs-columns", sort, 4)

    def key(i: str) -> tuple[Any, ...]:
        doc = DOCS[i]
        return (-doc["ts"], "price" in doc, doc.get("price", 0), doc["n"])

    assert seen == sorted(DOCS, key=key)


def test_terms_aggregations_on_dates_and_doubles_with_scoped_children(
        service: SearchService) -> None:
    aggs = {"by_ts": {"terms": {"field": "ts", "size": 10},
                      "aggs": {"top": {"top_hits": {"size": 10, "_source": False}},
                               "mean": {"avg": {"field": "n"}}}},
            "by_price": {"terms": {"field": "price", "size": 10},
                         "aggs": {"top": {"top_hits": {"size": 10, "_source": False}}}}}
    got = service.search("logs-columns", {"size": 0, "aggs": aggs}, {})["aggregations"]
    for bucket in got["by_ts"]["buckets"]:
        members = _where(lambda d, k=bucket["key"]: d["ts"] == k)
        assert bucket["doc_count"] == len(members)
        assert {h["_id"] for h in bucket["top"]["hits"]["hits"]} == members
        assert bucket["mean"]["value"] == sum(DOCS[i]["n"] for i in members) / len(members)
    assert len(got["by_ts"]["buckets"]) == 5
    for bucket in got["by_price"]["buckets"]:
        members = _where(lambda d, k=bucket["key"]: d.get("price") == k)
        assert bucket["doc_count"] == len(members)
        assert {h["_id"] for h in bucket["top"]["hits"]["hits"]} == members
    assert sorted(b["key"] for b in got["by_price"]["buckets"]) == [1.5, 2.25, 3.0, 9.5]


def test_significant_terms_on_a_double(service: SearchService) -> None:
    body = {"size": 0, "query": {"term": {"host": "a"}},
            "aggs": {"sig": {"significant_terms": {"field": "price"},
                             "aggs": {"top": {"top_hits": {"size": 10, "_source": False}}}}}}
    buckets = service.search("logs-columns", body, {})["aggregations"]["sig"]["buckets"]
    assert [b["key"] for b in buckets][:1] == [9.5]
    assert buckets[0]["doc_count"] == buckets[0]["bg_count"] == 5
    assert {h["_id"] for h in buckets[0]["top"]["hits"]["hits"]} == \
        _where(lambda d: d.get("price") == 9.5)


def test_composite_pages_over_a_date_and_a_double(service: SearchService) -> None:
    sources = [{"ts": {"terms": {"field": "ts"}}},
               {"price": {"terms": {"field": "price", "missing_bucket": True}}}]
    keys: list[tuple[Any, Any]] = []
    after: dict[str, Any] | None = None
    while True:
        composite: dict[str, Any] = {"sources": sources, "size": 3}
        if after is not None:
            composite["after"] = after
        body = {"size": 0, "aggs": {"c": {
            "composite": composite,
            "aggs": {"top": {"top_hits": {"size": 10, "_source": False}}}}}}
        got = service.search("logs-columns", body, {})["aggregations"]["c"]
        if not got["buckets"]:
            break
        for bucket in got["buckets"]:
            ts, price = bucket["key"]["ts"], bucket["key"]["price"]
            members = _where(lambda d, t=ts, p=price: d["ts"] == t and d.get("price") == p)
            assert bucket["doc_count"] == len(members)
            assert {h["_id"] for h in bucket["top"]["hits"]["hits"]} == members
            keys.append((ts, price))
        after = got["after_key"]
    expected = {(d["ts"], d.get("price")) for d in DOCS.values()}
    assert len(keys) == len(set(keys)) == len(expected)
    assert set(keys) == expected


NESTED = {"properties": {"n": {"type": "long"}, "comments": {"type": "nested", "properties": {
    "at": {"type": "date"}, "rating": {"type": "double"}}}}}
THREADS = {str(i): {"n": i, "comments": [
    {"at": BASE + (i % 3) * MINUTE, "rating": float(i % 2)},
    {"at": BASE + (i % 3 + 5) * MINUTE, "rating": 0.5}]} for i in range(9)}


@pytest.fixture(scope="module")
def threads(node: Node) -> SearchService:
    index = node.catalog.create_index("threads", {"mappings": NESTED})
    index.write([WriteRequest("index", doc_id=i, source=orjson.dumps(d), parsed=d)
                 for i, d in THREADS.items()])
    index.refresh()
    (split,) = [s for s in index.splits if s.meta.num_docs]
    assert _options(split.path)["comments.at#nested_min"]["indexed"] is False
    return node.search_service


def test_nested_dates_and_doubles_by_value_and_as_nested_sort_keys(
        threads: SearchService) -> None:
    found = threads.search("threads", {"size": 20, "query": {"nested": {
        "path": "comments", "query": {"term": {"comments.at": BASE + MINUTE}}}}}, {})
    assert {h["_id"]: h["_score"] for h in found["hits"]["hits"]} == \
        {i: 1.0 for i, d in THREADS.items() if d["n"] % 3 == 1}
    found = threads.search("threads", {"size": 20, "query": {"nested": {
        "path": "comments", "query": {"match": {"comments.rating": 1.0}}}}}, {})
    assert {h["_id"] for h in found["hits"]["hits"]} == \
        {i for i, d in THREADS.items() if d["n"] % 2 == 1}
    sort = [{"comments.at": {"order": "asc", "nested": {"path": "comments"}}}, {"n": "desc"}]
    seen = _pages(threads, "threads", sort, 2)
    assert seen == sorted(THREADS, key=lambda i: (THREADS[i]["n"] % 3, -THREADS[i]["n"]))
