"""``POST /<alias>/_rollover`` through HTTP with opensearch-py and es requests: conditions,
dry runs, the ``-000001`` counter with date math, the write alias moving to the new index,
templates and the request's settings, mappings and aliases, and OpenSearch's errors."""

from __future__ import annotations

import datetime
import time
import urllib.parse
import uuid

import httpx
import pytest
from opensearchpy import OpenSearch
from opensearchpy.exceptions import RequestError

from conftest import Server


@pytest.fixture
def client(server: Server) -> OpenSearch:
    return OpenSearch(hosts=[server.url], timeout=30)


@pytest.fixture
def prefix() -> str:
    return f"roll-{uuid.uuid4().hex[:8]}"


def _write_alias(es: httpx.Client, alias: str) -> dict[str, dict]:
    return {index: entry["aliases"][alias]
            for index, entry in es.get(f"/_alias/{alias}").json().items()}


def test_conditions_false_then_true_and_the_write_alias_flips(
        client: OpenSearch, es: httpx.Client, prefix: str) -> None:
    first, alias = f"{prefix}-000001", f"{prefix}-write"
    client.indices.create(index=first, body={"aliases": {alias: {"is_write_index": True}}})
    for n in range(3):
        client.index(index=alias, id=str(n), body={"n": n})
    not_yet = client.indices.rollover(alias=alias, body={"conditions": {
        "max_docs": 5, "max_age": "7d", "max_size": "50gb"}})
    assert not_yet == {
        "acknowledged": False, "shards_acknowledged": False, "old_index": first,
        "new_index": f"{prefix}-000002", "rolled_over": False, "dry_run": False,
        "conditions": {"[max_docs: 5]": False, "[max_age: 7d]": False,
                       "[max_size: 50gb]": False}}
    assert not client.indices.exists(index=f"{prefix}-000002")
    for n in range(3, 6):
        client.index(index=alias, id=str(n), body={"n": n})
    rolled = client.indices.rollover(alias=alias, body={"conditions": {
        "max_docs": 5, "max_primary_shard_docs": 100, "max_primary_shard_size": "1b"}})
    assert rolled == {
        "acknowledged": True, "shards_acknowledged": True, "old_index": first,
        "new_index": f"{prefix}-000002", "rolled_over": True, "dry_run": False,
        "conditions": {"[max_docs: 5]": True, "[max_primary_shard_docs: 100]": False,
                       "[max_primary_shard_size: 1b]": True}}
    assert _write_alias(es, alias) == {first: {"is_write_index": False},
                                         f"{prefix}-000002": {"is_write_index": True}}
    client.index(index=alias, id="new", body={"n": 99}, refresh=True)
    assert es.get(f"/{prefix}-000002/_doc/new").json()["found"] is True
    assert es.get(f"/{first}/_count").json()["count"] == 6
    # without conditions it rolls over unconditionally, and the counter goes on
    assert client.indices.rollover(alias=alias)["new_index"] == f"{prefix}-000003"
    assert _write_alias(es, alias)[f"{prefix}-000003"] == {"is_write_index": True}
    assert _write_alias(es, alias)[f"{prefix}-000002"] == {"is_write_index": False}


def test_dry_run_changes_nothing(client: OpenSearch, es: httpx.Client, prefix: str) -> None:
    first, alias = f"{prefix}-000007", f"{prefix}-alias"
    client.indices.create(index=first, body={"aliases": {alias: {"is_write_index": True}}})
    client.index(index=alias, body={"n": 1}, refresh=True)
    time.sleep(0.01)
    answer = client.indices.rollover(alias=alias, dry_run=True,
                                     body={"conditions": {"max_age": "1ms"}})
    assert answer == {"acknowledged": False, "shards_acknowledged": False, "old_index": first,
                      "new_index": f"{prefix}-000008", "rolled_over": False, "dry_run": True,
                      "conditions": {"[max_age: 1ms]": True}}
    assert not client.indices.exists(index=f"{prefix}-000008")
    assert _write_alias(es, alias) == {first: {"is_write_index": True}}


def test_an_implicit_write_index_moves_the_alias(client: OpenSearch, es: httpx.Client,
                                                 prefix: str) -> None:
    client.indices.create(index=f"{prefix}-1", body={"aliases": {prefix: {}}})
    answer = client.indices.rollover(alias=prefix)
    assert answer["new_index"] == f"{prefix}-000002"
    assert _write_alias(es, prefix) == {f"{prefix}-000002": {}}
    assert client.indices.get_alias(index=f"{prefix}-1") == {f"{prefix}-1": {"aliases": {}}}


def test_a_named_new_index_with_settings_mappings_and_aliases(
        client: OpenSearch, es: httpx.Client, prefix: str) -> None:
    alias = f"{prefix}-w"
    client.indices.create(index=f"{prefix}-a", body={"aliases": {alias: {
        "is_write_index": True}}})
    answer = es.post(f"/{alias}/_rollover/{prefix}-b", json={
        "settings": {"index": {"refresh_interval": "7s"}},
        "mappings": {"properties": {"code": {"type": "keyword"}}},
        "aliases": {f"{prefix}-search": {}}}).json()
    assert answer["new_index"] == f"{prefix}-b" and answer["rolled_over"] is True
    new = es.get(f"/{prefix}-b").json()[f"{prefix}-b"]
    assert new["settings"]["index"]["refresh_interval"] == "7s"
    assert new["mappings"]["properties"]["code"] == {"type": "keyword"}
    assert new["aliases"] == {alias: {"is_write_index": True}, f"{prefix}-search": {}}


def test_templates_apply_to_the_new_index(client: OpenSearch, es: httpx.Client,
                                          prefix: str) -> None:
    es.put(f"/_index_template/{prefix}", json={
        "index_patterns": [f"{prefix}-*"], "priority": 50,
        "template": {"settings": {"index": {"refresh_interval": "9s"}},
                     "mappings": {"properties": {"level": {"type": "keyword"}}},
                     "aliases": {f"{prefix}-all": {}}}}).raise_for_status()
    try:
        alias = f"{prefix}-write"
        client.indices.create(index=f"{prefix}-000001", body={"aliases": {alias: {
            "is_write_index": True}}})
        client.indices.rollover(alias=alias)
        new = es.get(f"/{prefix}-000002").json()[f"{prefix}-000002"]
        assert new["settings"]["index"]["refresh_interval"] == "9s"
        assert new["mappings"]["properties"]["level"] == {"type": "keyword"}
        assert set(new["aliases"]) == {alias, f"{prefix}-all"}
        # a template that would put the rollover alias on the new index is refused (here
        # the alias's only index got it from the template too: its implicit write index)
        es.put(f"/_index_template/{prefix}dup", json={
            "index_patterns": [f"{prefix}dup-*"], "priority": 60,
            "template": {"aliases": {f"{prefix}dup": {}}}}).raise_for_status()
        client.indices.create(index=f"{prefix}dup-000001")
        with pytest.raises(RequestError) as error:
            client.indices.rollover(alias=f"{prefix}dup")
        assert error.value.info["error"]["reason"] == (
            f"Rollover alias [{prefix}dup] can point to multiple indices, found duplicated "
            f"alias [[{prefix}dup]] in index template [{prefix}dup]")
        assert not client.indices.exists(index=f"{prefix}dup-000002")
    finally:
        es.delete(f"/_index_template/{prefix}")
        es.delete(f"/_index_template/{prefix}dup")


def test_date_math_names_keep_their_date_math(client: OpenSearch, es: httpx.Client,
                                              prefix: str) -> None:
    alias = f"{prefix}-dm"
    provided = f"<{prefix}-{{now{{yyyy.MM.dd}}}}-000001>"
    created = es.put("/" + urllib.parse.quote(provided, safe=""),
                      json={"aliases": {alias: {"is_write_index": True}}})
    assert created.status_code == 200, created.text
    day = created.json()["index"][len(prefix) + 1:-len("-000001")]
    assert day in {f"{datetime.datetime.now(datetime.UTC) - datetime.timedelta(seconds=s):%Y.%m.%d}"
                   for s in (0, 60)}
    answer = client.indices.rollover(alias=alias)
    assert answer["old_index"] == f"{prefix}-{day}-000001"
    # the new name is the provided name's date math again, resolved now
    today = f"{datetime.datetime.now(datetime.UTC):%Y.%m.%d}"
    assert answer["new_index"] == f"{prefix}-{today}-000002"
    # a new name given as date math, with {now/d}'s slash encoded as clients send it
    named = es.post(f"/{alias}/_rollover/"
                     + urllib.parse.quote(f"<{prefix}-{{now/d}}-000010>", safe=""))
    assert named.status_code == 200, named.text
    today = f"{datetime.datetime.now(datetime.UTC):%Y.%m.%d}"
    assert named.json()["new_index"] == f"{prefix}-{today}-000010"
    assert client.indices.rollover(alias=alias)["new_index"] == f"{prefix}-{today}-000011"
    assert _write_alias(es, alias)[f"{prefix}-{today}-000011"] == {"is_write_index": True}


def _error(es: httpx.Client, path: str, body: dict | None = None) -> tuple[int, dict]:
    response = es.post(path, json=body) if body is not None else es.post(path)
    return response.status_code, response.json()["error"]


def test_errors_are_opensearch_errors(client: OpenSearch, es: httpx.Client,
                                      prefix: str) -> None:
    client.indices.create(index=f"{prefix}-000001")
    status, error = _error(es, f"/{prefix}-000001/_rollover")
    assert status == 400 and error["type"] == "illegal_argument_exception"
    assert error["reason"] == ("rollover target is a [concrete index] but one of "
                               "[alias,data_stream] was expected")
    status, error = _error(es, f"/{prefix}-nothing/_rollover")
    assert (status, error["reason"]) == (400, f"rollover target [{prefix}-nothing] does not "
                                              f"exist")
    # an alias over two indices, neither its write index
    client.indices.create(index=f"{prefix}-000002")
    es.post("/_aliases", json={"actions": [
        {"add": {"index": f"{prefix}-000001", "alias": f"{prefix}-many"}},
        {"add": {"index": f"{prefix}-000002", "alias": f"{prefix}-many"}}]}).raise_for_status()
    status, error = _error(es, f"/{prefix}-many/_rollover")
    assert (status, error["reason"]) == (
        400, f"rollover target [{prefix}-many] does not point to a write index")
    # a name without a counter, and no new name given
    client.indices.create(index=f"{prefix}-plain", body={"aliases": {f"{prefix}-p": {}}})
    status, error = _error(es, f"/{prefix}-p/_rollover")
    assert (status, error["type"], error["reason"]) == (
        400, "illegal_argument_exception",
        f"index name [{prefix}-plain] does not match pattern '^.*-\\d+$'")
    # the new index exists already
    es.post("/_aliases", json={"actions": [{"add": {"index": f"{prefix}-000001",
                                                     "alias": f"{prefix}-one"}}]})
    status, error = _error(es, f"/{prefix}-one/_rollover")
    assert status == 400 and error["type"] == "resource_already_exists_exception"
    assert error["reason"].startswith(f"index [{prefix}-000002/")
    # the body is checked as OpenSearch's parser checks it
    status, error = _error(es, f"/{prefix}-p/_rollover/{prefix}-x", {"condition": {}})
    assert (status, error["type"], error["reason"]) == (
        400, "x_content_parse_exception", "[rollover] unknown field [condition]")
    status, error = _error(es, f"/{prefix}-p/_rollover/{prefix}-x",
                           {"conditions": {"max_years": 1}})
    assert (status, error["reason"]) == (400, "[conditions] unknown field [max_years]")
    status, error = _error(es, f"/{prefix}-p/_rollover/{prefix}-x",
                           {"conditions": {"max_age": "soon"}})
    assert (status, error["reason"]) == (400, "[conditions] failed to parse field [max_age]")
    status, error = _error(es, f"/{prefix}-p/_rollover/{prefix}-x", {"settings": "x"})
    assert (status, error["reason"]) == (
        400, "[rollover] settings doesn't support values of type: VALUE_STRING")
    assert not client.indices.exists(index=f"{prefix}-x")
    # a read-only write index is not rolled over (ES checks the metadata-write blocks)
    es.put(f"/{prefix}-plain/_settings", json={"index.blocks.read_only": True})
    status, error = _error(es, f"/{prefix}-p/_rollover/{prefix}-x")
    assert (status, error["type"]) == (403, "cluster_block_exception")
    es.put(f"/{prefix}-plain/_settings", json={"index.blocks.read_only": False})
