"""The search and indexing slow logs of a real server, through opensearch-py and httpx: ES's
settings (set with ``PUT _settings``, checked with ES's errors), entries in the JSON-lines
files and in the hidden ``.loghaven-logs-*`` indices, the source's truncation, levels, and
the files' rotation."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from opensearchpy import OpenSearch

from conftest import Server, wait_for

#: Small files, so that the rotation test fills several; every reader reads all of them.
MAX_SIZE = 20_000
ZERO = {"index.search.slowlog.threshold.query.warn": "0ms",
        "index.search.slowlog.threshold.fetch.info": "0ms",
        "index.indexing.slowlog.threshold.index.warn": "0ms"}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    instance = Server(tmp_path_factory.mktemp("slowlog") / "data", env={
        "LOGHAVEN_LOGS_MAX_SIZE": str(MAX_SIZE), "LOGHAVEN_LOGS_MAX_FILES": "50"}).start()
    yield instance
    instance.stop()


@pytest.fixture
def client(server: Server) -> Iterator[OpenSearch]:
    opensearch = OpenSearch(server.url, timeout=30)
    yield opensearch
    opensearch.close()


def entries(server: Server, kind: str) -> list[dict[str, Any]]:
    """The entries of one log's file and its rotated files, parsed."""
    folder = server.data_dir / "logs"
    files = sorted(folder.glob(f"loghaven_{kind}.json*")) if folder.exists() else []
    return [json.loads(line) for path in files for line in path.read_text().splitlines()]


def entries_of(server: Server, kind: str, opaque_id: str, count: int = 1) -> list[dict]:
    """The entries of the requests sent with ``opaque_id``, once there are ``count``."""
    return wait_for(lambda: (found := [e for e in entries(server, kind)
                                       if e.get("x_opaque_id") == opaque_id])
                    and len(found) >= count and found, what=f"{count} {kind} entries")


def test_slow_searches_and_documents_are_logged_to_files_and_indices(
        server: Server, client: OpenSearch, index_name: str) -> None:
    client.indices.create(index=index_name)
    client.indices.put_settings(index=index_name, body=ZERO)
    tag = uuid.uuid4().hex
    client.index(index=index_name, body={"msg": "hello slow world", "n": 1}, id="doc-1", refresh=True,
                 opaque_id=tag)
    query = {"query": {"match": {"msg": "hello"}}}
    assert client.search(index=index_name, body=query, opaque_id=tag)["hits"]["total"][
        "value"] == 1

    by_logger = {e["logger"]: e for e in entries_of(server, "index_search_slowlog", tag, 2)}
    searched = by_logger["index.search.slowlog.query"]
    assert searched["level"] == "WARN"
    assert searched["index"] == index_name
    assert json.loads(searched["source"]) == query
    assert searched["total_hits"] == 1
    assert searched["took_millis"] >= 0
    assert searched["client.address"] == "127.0.0.1"
    assert searched["user"] is None  # security is off
    assert searched["message"].startswith(f"[{index_name}] took[")
    assert searched["message"].endswith(f"total_hits[1 hits], kind[search], total_shards[1], "
                                        f"source[{searched['source']}], id[{tag}]")
    assert searched["kind"] == "search"
    assert by_logger["index.search.slowlog.fetch"]["level"] == "INFO"

    (indexed,) = entries_of(server, "index_indexing_slowlog", tag)
    assert (indexed["logger"], indexed["level"]) == ("index.indexing.slowlog.index", "WARN")
    assert (indexed["index"], indexed["id"]) == (index_name, "doc-1")
    assert json.loads(indexed["source"]) == {"msg": "hello slow world", "n": 1}
    assert indexed["client.address"] == "127.0.0.1"

    # the same entries, searchable in the hidden daily indices
    def found(pattern: str) -> list[dict]:
        client.indices.refresh(index=pattern, expand_wildcards="all")
        hits = client.search(index=pattern, expand_wildcards="all", body={
            "query": {"bool": {"filter": [{"term": {"x_opaque_id": tag}},
                                          {"term": {"client.address": "127.0.0.1"}},
                                          {"range": {"took_millis": {"gte": 0}}}]}}}
        )["hits"]["hits"]
        return [hit["_source"] for hit in hits]

    searches = wait_for(lambda: len(found(".loghaven-logs-search-*")) == 2
                        and found(".loghaven-logs-search-*"))
    assert {e["logger"] for e in searches} == set(by_logger)
    (document,) = wait_for(lambda: found(".loghaven-logs-indexing-*"))
    assert document["id"] == "doc-1"
    # hidden: a wildcard search of the user's indices does not reach them
    assert client.search(index="*", body={"query": {"term": {"x_opaque_id": tag}}})[
        "hits"]["total"]["value"] == 0


def test_nothing_is_logged_when_thresholds_are_off(server: Server, client: OpenSearch,
                                                  index_name: str) -> None:
    off = f"{index_name}-off"
    client.indices.create(index=off, body={"settings": {
        **dict.fromkeys(ZERO, "-1"), "index.search.slowlog.threshold.query.info": "-1"}})
    client.indices.create(index=index_name)  # no slow log settings at all
    quiet = uuid.uuid4().hex
    for name in (off, index_name):
        client.index(index=name, body={"msg": "quiet"}, refresh=True, opaque_id=quiet)
        client.search(index=name, body={"query": {"match_all": {}}}, opaque_id=quiet)
    # reset to the default with null: off again after being on
    client.indices.put_settings(index=off, body=ZERO)
    client.indices.put_settings(index=off, body=dict.fromkeys(ZERO))
    client.search(index=off, opaque_id=quiet)
    # a marker: once a later slow request is in the files, the earlier ones would be too
    marker = f"{index_name}-marker"
    client.indices.create(index=marker, body={"settings": ZERO})
    tag = uuid.uuid4().hex
    client.index(index=marker, body={"msg": "marker"}, refresh=True, opaque_id=tag)
    client.search(index=marker, opaque_id=tag)
    entries_of(server, "index_search_slowlog", tag)
    entries_of(server, "index_indexing_slowlog", tag)
    for kind in ("index_search_slowlog", "index_indexing_slowlog"):
        assert [e for e in entries(server, kind) if e.get("x_opaque_id") == quiet] == []


def test_the_level_setting_leaves_out_the_lower_levels(server: Server, client: OpenSearch,
                                                       index_name: str) -> None:
    client.indices.create(index=index_name, body={"settings": {
        "index.search.slowlog.threshold.query.warn": "0ms",
        "index.search.slowlog.threshold.fetch.debug": "0ms",
        "index.search.slowlog.level": "info"}})
    tag = uuid.uuid4().hex
    client.search(index=index_name, opaque_id=tag)
    client.search(index=index_name, opaque_id=tag)
    loggers = [e["logger"] for e in entries_of(server, "index_search_slowlog", tag, 2)]
    assert loggers == ["index.search.slowlog.query"] * 2  # the fetch phase's DEBUG: not


@pytest.mark.parametrize(("settings", "expected"), [
    ({"index.indexing.slowlog.source": "12"}, '{"msg":"a lo'),
    ({"index.indexing.slowlog.source": "false"}, None),
    ({"index.indexing.slowlog.source": "0"}, None),
    ({"index.indexing.slowlog.source": "true"}, '{"msg":"a long document","tags":["x","y"]}'),
    ({}, '{"msg":"a long document","tags":["x","y"]}'),
    ({"index.indexing.slowlog.reformat": "false"},
     '{\n  "msg": "a long document",\n  "tags": ["x", "y"]\n}'),
])
def test_the_source_is_truncated_as_set(server: Server, index_name: str, settings: dict,
                                        expected: str | None) -> None:
    with httpx.Client(base_url=server.url, timeout=30) as http:
        assert http.put(f"/{index_name}", json={"settings": {
            "index.indexing.slowlog.threshold.index.trace": "0ms", **settings}}).status_code == 200
        tag = uuid.uuid4().hex
        assert http.put(f"/{index_name}/_doc/1", headers={
            "X-Opaque-Id": tag, "Content-Type": "application/json"},
            content=b'{\n  "msg": "a long document",\n  "tags": ["x", "y"]\n}').status_code == 201
    (entry,) = entries_of(server, "index_indexing_slowlog", tag)
    assert entry["level"] == "TRACE"
    assert entry.get("source") == expected
    assert ("source[" in entry["message"]) == (expected is not None)


BAD_VALUES = [
    ("index.search.slowlog.threshold.query.warn", "soon",
     "failed to parse setting [index.search.slowlog.threshold.query.warn] with value [soon] "
     "as a time value: unit is missing or unrecognized"),
    ("index.search.slowlog.threshold.fetch.trace", "10",
     "failed to parse setting [index.search.slowlog.threshold.fetch.trace] with value [10] "
     "as a time value: unit is missing or unrecognized"),
    ("index.indexing.slowlog.threshold.index.info", "-5ms",
     "failed to parse value [-5ms] for setting [index.indexing.slowlog.threshold.index.info], "
     "must be >= [-1]"),
    ("index.search.slowlog.level", "loud",
     "No enum constant org.opensearch.index.SlowLogLevel.LOUD"),
    ("index.indexing.slowlog.source", "some",
     "Failed to parse value [some] as only [true] or [false] are allowed."),
    ("index.indexing.slowlog.reformat", "yes",
     "Failed to parse value [yes] as only [true] or [false] are allowed."),
    ("index.search.slowlog.threshold.query.never", "1s",
     "unknown setting [index.search.slowlog.threshold.query.never] please check that any "
     "required plugins are installed, or check the breaking changes documentation for removed "
     "settings"),
]


@pytest.mark.parametrize(("key", "value", "reason"), BAD_VALUES)
def test_invalid_values_are_refused_with_es_errors(server: Server, index_name: str, key: str,
                                                   value: str, reason: str) -> None:
    with httpx.Client(base_url=server.url, timeout=30) as http:
        assert http.put(f"/{index_name}-ok", json={}).status_code == 200
        for response in (http.put(f"/{index_name}", json={"settings": {key: value}}),
                         http.put(f"/{index_name}-ok/_settings", json={"index": {
                             key.removeprefix("index."): value}})):
            assert response.status_code == 400
            error = response.json()["error"]
            assert (error["type"], error["reason"]) == ("illegal_argument_exception", reason)
        assert http.head(f"/{index_name}").status_code == 404


def test_settings_are_shown_and_levels_are_case_insensitive(client: OpenSearch,
                                                            index_name: str) -> None:
    client.indices.create(index=index_name, body={"settings": {
        "index.search.slowlog.threshold.query.warn": "10s", "index.search.slowlog.level": "INFO",
        "index.indexing.slowlog.threshold.index.debug": "0", "index.indexing.slowlog.source":
        "true"}})
    slowlog = client.indices.get_settings(index="_all")[index_name]["settings"]["index"]
    assert slowlog["search"]["slowlog"] == {"threshold": {"query": {"warn": "10s"}},
                                            "level": "INFO"}
    assert slowlog["indexing"]["slowlog"] == {"threshold": {"index": {"debug": "0"}},
                                              "source": "true"}


def test_the_files_rotate_at_logs_max_size(server: Server, client: OpenSearch,
                                           index_name: str) -> None:
    client.indices.create(index=index_name, body={"settings": ZERO})
    tag = uuid.uuid4().hex
    document = {"msg": "x" * 400}
    client.bulk(body=[line for n in range(120) for line in (
        {"index": {"_index": index_name, "_id": str(n)}}, document)], opaque_id=tag)
    logged = entries_of(server, "index_indexing_slowlog", tag, 120)
    assert sorted(int(e["id"]) for e in logged) == list(range(120))
    folder = server.data_dir / "logs"
    files = sorted(p.name for p in folder.glob("loghaven_index_indexing_slowlog.json*"))
    assert "loghaven_index_indexing_slowlog.json.1" in files
    largest_line = max(len(json.dumps(e)) for e in logged) + 1
    assert all(p.stat().st_size <= MAX_SIZE + largest_line
               for p in folder.glob("loghaven_*.json*"))


def test_the_logs_own_indices_are_never_slow_logged(server: Server, client: OpenSearch,
                                                    index_name: str) -> None:
    client.indices.create(index=index_name, body={"settings": ZERO})
    tag = uuid.uuid4().hex
    client.index(index=index_name, body={"msg": "first"}, refresh=True, opaque_id=tag)
    entries_of(server, "index_indexing_slowlog", tag)
    # thresholds of 0 on the log indices themselves: writing the logs must not log again
    client.indices.put_settings(index=".loghaven-logs-*", expand_wildcards="all", body=ZERO)
    again = uuid.uuid4().hex
    client.index(index=index_name, body={"msg": "second"}, refresh=True, opaque_id=again)
    client.search(index=".loghaven-logs-*", expand_wildcards="all", opaque_id=again)
    entries_of(server, "index_indexing_slowlog", again)
    wait_for(lambda: Path(server.data_dir / "logs").exists())
    assert not [e for kind in ("index_search_slowlog", "index_indexing_slowlog")
                for e in entries(server, kind) if e["index"].startswith(".loghaven-logs-")]
