"""The search service's contract, called directly as the node's own features (monitors, SQL,
reports) will call it: plain values in, the Elasticsearch body out, ES errors raised, no
HTTP anywhere."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest

from loghaven.config import Config
from loghaven.engine.documents_state import WriteRequest
from loghaven.errors import LoghavenError, ParsingError
from loghaven.node import Node
from loghaven.search.service import SearchService
from loghaven.search.task import Cancellation, TaskCancelled

DOCS = [{"n": n, "action": "BLOCK" if n % 3 == 0 else "ALLOW", "msg": f"event {n}"}
        for n in range(7)]


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Node]:
    folder: Path = tmp_path_factory.mktemp("service")
    node = Node(Config(data_dir=folder, ingest_workers=0))
    index = node.catalog.create_index("logs-a", {"mappings": {"properties": {
        "n": {"type": "long"}, "action": {"type": "keyword"}, "msg": {"type": "text"}}}})
    index.write([WriteRequest("index", doc_id=str(d["n"]), source=orjson.dumps(d), parsed=d)
                 for d in DOCS])
    index.refresh()
    yield node
    node.close()


@pytest.fixture()
def service(node: Node) -> SearchService:
    return node.search_service


def ids(body: dict) -> list[str]:
    return [hit["_id"] for hit in body["hits"]["hits"]]


def test_search_returns_the_es_body(service: SearchService) -> None:
    body = service.search("logs-*", {"query": {"term": {"action": "BLOCK"}},
                                     "sort": [{"n": "asc"}]}, {})
    assert body["hits"]["total"] == {"value": 3, "relation": "eq"}
    assert ids(body) == ["0", "3", "6"]
    # sources stay the stored JSON (an orjson.Fragment), rendered as they are
    assert orjson.loads(orjson.dumps(body["hits"]["hits"][0]["_source"])) == DOCS[0]
    assert body["_shards"]["failed"] == 0


def test_url_parameters_are_a_plain_mapping(service: SearchService) -> None:
    body = service.search(None, {}, {"q": "action:ALLOW", "size": "2", "sort": "n:desc"})
    assert ids(body) == ["5", "4"]
    assert body["hits"]["total"]["value"] == 4


def test_errors_are_raised_as_es_errors(service: SearchService) -> None:
    with pytest.raises(LoghavenError) as missing:
        service.search("nope", {}, {})
    assert missing.value.status == 404
    assert missing.value.to_body()["error"]["type"] == "index_not_found_exception"
    with pytest.raises(ParsingError):
        service.search("logs-a", {"qurey": {}}, {})


def test_scroll_pages_every_document_then_clears(service: SearchService) -> None:
    first = service.search("logs-a", {"size": 3, "sort": ["n"]}, {"scroll": "1m"})
    seen, scroll_id = ids(first), first["_scroll_id"]
    for _ in range(5):
        page = service.scroll(scroll_id, "1m", {})
        if not page["hits"]["hits"]:
            break
        seen += ids(page)
    assert seen == [str(d["n"]) for d in DOCS]
    assert service.clear_scroll([scroll_id]) == {"succeeded": True, "num_freed": 1}
    with pytest.raises(LoghavenError) as gone:
        service.scroll(scroll_id, None, {})
    assert gone.value.status == 404


def test_point_in_time_open_search_list_close(service: SearchService) -> None:
    opened = service.open_pit("logs-a", "1m", {})
    pit_id = opened["pit_id"]
    assert opened["_shards"]["failed"] == 0
    body = service.search(None, {"pit": {"id": pit_id}, "size": 1, "sort": ["n"]}, {})
    assert body["pit_id"] == pit_id and ids(body) == ["0"]
    assert pit_id in [p["pit_id"] for p in service.list_pits()["pits"]]
    assert service.close_pits([pit_id]) == {"pits": [{"successful": True, "pit_id": pit_id}]}
    assert service.list_pits() == {"pits": []}


def test_msearch_answers_each_item_in_its_place(service: SearchService) -> None:
    result = service.msearch("logs-a", [
        ({}, {"query": {"term": {"action": "ALLOW"}}, "size": 0}),
        ParsingError("request body must be a JSON object"),
        ({"index": "nope"}, {}),
        ({"index": ["nope", "logs-*"], "ignore_unavailable": True}, {"size": 0}),
    ], {})
    responses = result["responses"]
    assert [r["status"] for r in responses] == [200, 400, 404, 200]
    assert responses[0]["hits"]["total"]["value"] == 4
    assert responses[1]["error"]["reason"] == "request body must be a JSON object"
    assert responses[3]["hits"]["total"]["value"] == 7


def test_count(service: SearchService) -> None:
    result = service.count("logs-a", {"query": {"range": {"n": {"gte": 5}}}}, {})
    assert result["count"] == 2
    assert service.count(None, {}, {"q": "msg:event"})["count"] == 7


def test_validate_query_and_field_caps(service: SearchService) -> None:
    assert service.validate_query("logs-a", {"query": {"match": {"msg": "x"}}}, {}) \
        ["valid"] is True
    caps = service.field_caps("logs-a", {}, {"fields": "n,action"})
    assert caps["fields"]["n"]["long"]["searchable"] is True
    assert set(caps["fields"]) == {"n", "action"}


def test_a_callers_cancellation_stops_the_search(service: SearchService) -> None:
    cancellation = Cancellation()
    cancellation.cancel("monitor deadline")
    with pytest.raises(TaskCancelled, match="monitor deadline"):
        service.search("logs-a", {}, {}, cancellation=cancellation)


def test_node_shutdown_cancels_searches_without_a_caller_cancellation(
        tmp_path: Path) -> None:
    node = Node(Config(data_dir=tmp_path, ingest_workers=0))
    try:
        node.catalog.create_index("logs-b", {})
        assert node.search_service.search("logs-b", {}, {})["hits"]["hits"] == []
        node.stopping()
        with pytest.raises(TaskCancelled, match="node is shutting down"):
            node.search_service.search("logs-b", {}, {})
    finally:
        node.close()


def test_range_on_seq_no_reads_what_arrived_after_a_point(service: SearchService) -> None:
    # ES maps _seq_no as a long metadata field; document-level monitors ask for "> last seen"
    body = service.search("logs-a", {"query": {"range": {"_seq_no": {"gt": 4}}},
                                     "seq_no_primary_term": True, "sort": ["n"]}, {})
    assert [(hit["_id"], hit["_seq_no"]) for hit in body["hits"]["hits"]] == [("5", 5), ("6", 6)]
    body = service.search("logs-a", {"query": {"range": {"_seq_no": {"gte": 1, "lt": 3}}}}, {})
    assert sorted(ids(body)) == ["1", "2"]
    body = service.search("logs-a", {"query": {"range": {"_seq_no": {"lte": 0}}}}, {})
    assert ids(body) == ["0"]


def test_observers_hear_every_search_and_write(node: Node, service: SearchService) -> None:
    """Metrics and slow logs listen here: each search phase and each index's part of a write
    is reported with its indices, time and body; a failing listener fails nothing."""
    heard: list = []
    node.observers.on_search(heard.append)
    node.observers.on_write(heard.append)
    node.observers.on_search(lambda event: 1 / 0)
    body = {"query": {"term": {"action": "BLOCK"}}}
    assert service.search("logs-*", body, {})["hits"]["total"]["value"] == 3
    assert service.count("logs-a", {}, {})["count"] == 7
    with pytest.raises(LoghavenError):
        service.search("logs-a", {"query": {"range": {"n": {"gte": "x"}}}}, {})
    node.write_service.write_document("logs-b", WriteRequest(
        "index", doc_id="1", source=b'{"n": 1}', parsed={"n": 1}))
    searched = [e for e in heard if hasattr(e, "kind")]
    assert [(e.kind, e.indices, e.total_hits, e.error is None) for e in searched] == [
        ("search", ("logs-a",), 3, True), ("count", ("logs-a",), 7, True),
        ("search", ("logs-a",), None, False)]
    assert searched[0].body == body and searched[0].took_ms >= searched[0].fetch_ms >= 0
    written = [e for e in heard if hasattr(e, "requests")]
    assert [(e.index, len(e.requests), e.failed) for e in written] == [("logs-b", 1, 0)]


def test_a_page_of_no_hits_counts_up_to_track_total_hits_over_many_splits(
        node: Node, service: SearchService) -> None:
    """``size: 0`` over several splits: the total is exact below the limit, ``gte`` the limit
    above it (ES's default 10,000, or the request's), exact again with ``true``; the
    aggregations see every document whatever the count stopped at."""
    sizes = {"count-a": 30, "count-b": 5, "count-c": 12}
    for name, size in sizes.items():
        index = node.catalog.create_index(name, {"mappings": {"properties": {
            "n": {"type": "long"}, "action": {"type": "keyword"}}}})
        docs = [{"n": n, "action": "BLOCK" if n % 2 else "ALLOW"} for n in range(size)]
        index.write([WriteRequest("index", doc_id=str(d["n"]), source=orjson.dumps(d),
                                  parsed=d) for d in docs])
        index.refresh()
    blocked = sum(size // 2 for size in sizes.values())  # odd n
    query = {"term": {"action": "BLOCK"}}
    aggs = {"by": {"terms": {"field": "action"}}}

    def total(body: dict) -> dict:
        answer = service.search("count-*", {"size": 0, "query": query, "aggs": aggs, **body}, {})
        assert answer["aggregations"]["by"]["buckets"] == [{"key": "BLOCK",
                                                             "doc_count": blocked}]
        return answer["hits"]["total"]

    assert total({}) == {"value": blocked, "relation": "eq"}
    assert total({"track_total_hits": 3}) == {"value": 3, "relation": "gte"}
    assert total({"track_total_hits": blocked}) == {"value": blocked, "relation": "eq"}
    assert total({"track_total_hits": blocked - 1}) == {"value": blocked - 1,
                                                        "relation": "gte"}
    assert total({"track_total_hits": True}) == {"value": blocked, "relation": "eq"}
    assert "total" not in service.search("count-*", {"size": 0, "track_total_hits": False},
                                         {})["hits"]
    everything = service.search("count-*", {"size": 0, "track_total_hits": 40}, {})
    assert everything["hits"]["total"] == {"value": 40, "relation": "gte"}
    assert service.search("count-*", {"size": 0}, {})["hits"]["total"] == {
        "value": sum(sizes.values()), "relation": "eq"}
