"""Index names with date math in URL paths, as Elasticsearch/OpenSearch take them: routes
match the path as sent and each parameter is decoded after, so ``{now/d}``'s slash, encoded
(``%2F``) as opensearch-py and curl users send it, stays inside its segment. Create, write,
read, search, rollover and alias actions resolve the name; a malformed expression or escape
is ES's error."""

from __future__ import annotations

import datetime
import urllib.parse
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from opensearchpy import OpenSearch

from conftest import Server
from loghaven.engine.names import resolve_date_math


@pytest.fixture
def client(server: Server) -> Iterator[OpenSearch]:
    client = OpenSearch(hosts=[server.url], timeout=30)
    yield client
    client.close()


@pytest.fixture
def prefix(es: httpx.Client) -> Iterator[str]:
    name = f"dm-{uuid.uuid4().hex[:8]}"
    yield name
    es.delete(f"/{name}-*")


def encoded(name: str) -> str:
    """A name as a path segment, every reserved character encoded (opensearch-py's way)."""
    return urllib.parse.quote(name, safe="")


def days_during(call: Callable[[], Any]) -> tuple[Any, set[str]]:
    """The call's answer and the UTC days (``yyyy.MM.dd``) it may have resolved ``now/d`` to."""
    before = datetime.datetime.now(datetime.UTC)
    answer = call()
    after = datetime.datetime.now(datetime.UTC)
    return answer, {f"{before:%Y.%m.%d}", f"{after:%Y.%m.%d}"}


def test_create_write_and_search_through_opensearch_py(client: OpenSearch, prefix: str) -> None:
    created, days = days_during(
        lambda: client.indices.create(index=f"<{prefix}-{{now/d}}-000001>"))
    assert created["acknowledged"] is True
    assert created["index"] in {f"{prefix}-{day}-000001" for day in days}
    name = created["index"]
    assert client.indices.exists(index=name)
    written = client.index(index=f"<{prefix}-{{now/d}}-000001>", id="a/b", body={"n": 1},
                           refresh=True)
    assert (written["_index"], written["_id"], written["result"]) == (name, "a/b", "created")
    found = client.search(index=f"<{prefix}-{{now/d}}-*>", body={"query": {"match_all": {}}})
    assert [(h["_index"], h["_id"]) for h in found["hits"]["hits"]] == [(name, "a/b")]
    assert client.get(index=f"<{prefix}-{{now/d}}-000001>", id="a/b")["_source"] == {"n": 1}
    assert client.count(index=f"<{prefix}-{{now/d}}-*>")["count"] == 1
    # the name as given is kept, as ES's index.provided_name
    settings = client.indices.get_settings(index=name)[name]["settings"]["index"]
    assert settings["provided_name"] == f"<{prefix}-{{now/d}}-000001>"


def test_encoded_paths_through_http(es: httpx.Client, prefix: str) -> None:
    expression = encoded(f"<{prefix}-{{now/d}}-000001>")
    assert "%2F" in expression
    created, days = days_during(lambda: es.put(f"/{expression}"))
    assert created.status_code == 200, created.text
    name = created.json()["index"]
    assert name in {f"{prefix}-{day}-000001" for day in days}
    written = es.put(f"/{expression}/_doc/1?refresh=true", json={"level": "ERROR"})
    assert written.status_code == 201, written.text
    assert written.json()["_index"] == name
    assert written.headers["location"] == f"/{name}/_doc/1"
    pattern = encoded(f"<{prefix}-{{now/d}}-*>")
    hits = es.get(f"/{pattern}/_search").json()["hits"]["hits"]
    assert [(h["_index"], h["_id"]) for h in hits] == [(name, "1")]
    assert es.post(f"/{pattern}/_count", json={"query": {"match": {"level": "error"}}}) \
        .json()["count"] == 1
    assert es.head(f"/{expression}").status_code == 200
    assert list(es.get(f"/{expression}/_mapping").json()) == [name]
    assert es.get(f"/{expression}/_doc/1").json()["_source"] == {"level": "ERROR"}
    # a name given twice, once as date math and once resolved, is the same index
    again = es.put(f"/{name}")
    assert again.status_code == 400
    assert again.json()["error"]["type"] == "resource_already_exists_exception"
    assert es.delete(f"/{expression}").json() == {"acknowledged": True}
    assert es.head(f"/{name}").status_code == 404


def test_ids_keep_encoded_slashes_and_plus_signs(es: httpx.Client, prefix: str) -> None:
    index = f"{prefix}-ids"
    assert es.put(f"/{index}/_doc/a%2Fb%2Fc?refresh=true", json={"n": 1}).status_code == 201
    assert es.get(f"/{index}/_doc/a%2Fb%2Fc").json()["_id"] == "a/b/c"
    # ES decodes %2B to + and leaves a literal + as it is (not a space)
    assert es.put(f"/{index}/_doc/x+y", json={"n": 2}).json()["_id"] == "x+y"
    assert es.get(f"/{index}/_doc/x%2By").json()["_source"] == {"n": 2}
    assert es.put(f"/{index}/_doc/x%20y", json={"n": 3}).json()["_id"] == "x y"
    # ES's %% is one %
    assert es.put(f"/{index}/_doc/p%%q", json={"n": 4}).json()["_id"] == "p%q"
    assert es.put(f"/{index}/_doc/a/b", json={"n": 5}).status_code == 400


def test_rollover_keeps_date_math_and_counter(es: httpx.Client, client: OpenSearch,
                                             prefix: str) -> None:
    alias = f"{prefix}-write"
    first = es.put("/" + encoded(f"<{prefix}-{{now/d}}-000001>"),
                   json={"aliases": {alias: {"is_write_index": True}}})
    assert first.status_code == 200, first.text
    rolled, days = days_during(lambda: client.indices.rollover(alias=alias))
    assert rolled["rolled_over"] is True
    assert rolled["new_index"] in {f"{prefix}-{day}-000002" for day in days}
    settings = client.indices.get_settings(index=rolled["new_index"])
    assert settings[rolled["new_index"]]["settings"]["index"]["provided_name"] == \
        f"<{prefix}-{{now/d}}-000002>"
    named, days = days_during(lambda: es.post(
        f"/{alias}/_rollover/" + encoded(f"<{prefix}-{{now/d}}-000010>")))
    assert named.status_code == 200, named.text
    assert named.json()["new_index"] in {f"{prefix}-{day}-000010" for day in days}
    assert client.indices.rollover(alias=alias)["new_index"].endswith("-000011")
    dry, days = days_during(lambda: client.indices.rollover(
        alias=alias, new_index=f"<{prefix}-{{now/M{{yyyy.MM}}}}-000020>", dry_run=True))
    assert dry["dry_run"] is True and dry["rolled_over"] is False
    assert dry["new_index"] in {f"{prefix}-{day[:7]}-000020" for day in days}


def test_alias_actions_with_date_math_index_names(es: httpx.Client, client: OpenSearch,
                                                 prefix: str) -> None:
    name = client.indices.create(index=f"<{prefix}-{{now/d}}>")["index"]
    answer = es.post("/_aliases", json={"actions": [
        {"add": {"index": f"<{prefix}-{{now/d}}>", "alias": f"{prefix}-a"}}]})
    assert answer.status_code == 200, answer.text
    assert es.put(f"/{encoded(f'<{prefix}-{{now/d}}>')}/_alias/{prefix}-b").status_code == 200
    aliases = es.get(f"/{encoded(f'<{prefix}-{{now/d}}>')}/_alias").json()
    assert sorted(aliases[name]["aliases"]) == [f"{prefix}-a", f"{prefix}-b"]
    removed = es.post("/_aliases", json={"actions": [
        {"remove": {"indices": [f"<{prefix}-{{now/d}}>"], "alias": f"{prefix}-a"}}]})
    assert removed.status_code == 200, removed.text
    assert list(es.get(f"/{name}/_alias").json()[name]["aliases"]) == [f"{prefix}-b"]


@pytest.mark.parametrize(("expression", "reason"), [
    ("<P-{now/d>", "invalid dynamic name expression [P-{now/d>]. date math placeholder is "
                   "open ended"),
    ("<P-}>", "invalid dynamic name expression [P-}>]. invalid character at position [AT]. "
              "`{` and `}` are reserved characters and should be escaped when used as part of "
              "the index name using `\\` (e.g. `\\{text\\}`)"),
    ("<P-{now/d{}}>", "invalid dynamic name expression [now/d{}]. missing date format"),
    ("<P-{now/x}>", "unit [x] not supported for date math [/x]"),
])
def test_malformed_expressions_are_parse_exceptions(es: httpx.Client, prefix: str,
                                                    expression: str, reason: str) -> None:
    name = expression.replace("P", prefix)
    response = es.put("/" + encoded(name))
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["type"] == "parse_exception"
    assert error["reason"] == reason.replace("P", prefix).replace("AT", str(len(prefix) + 2))
    assert es.post(f"/{encoded(name)}/_search").json()["error"]["type"] == "parse_exception"


def test_a_resolved_name_is_checked_as_any_name(es: httpx.Client, prefix: str) -> None:
    response = es.put("/" + encoded(f"<{prefix.upper()}-{{now/d}}>"))
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["type"] == "invalid_index_name_exception"
    assert error["reason"].startswith(f"Invalid index name [{prefix.upper()}-")
    assert error["reason"].endswith("], must be lowercase")


@pytest.mark.parametrize(("segment", "reason"), [
    ("a%zz", "invalid escape sequence `%zz' at index 1 of: a%zz"),
    ("a%", "unterminated escape sequence at end of string: a%"),
    ("a%4", "partial escape sequence at end of string: a%4"),
])
def test_malformed_escapes_are_illegal_arguments(es: httpx.Client, segment: str,
                                                 reason: str) -> None:
    for method in ("PUT", "GET"):
        response = es.request(method, f"/{segment}")
        assert response.status_code == 400
        assert response.json()["error"]["type"] == "illegal_argument_exception"
        assert response.json()["error"]["reason"] == reason


def test_unknown_paths_are_quoted_as_sent(es: httpx.Client) -> None:
    path = "/%3Cx-%7Bnow%2Fd%7D%3E/_nothing/here"
    response = es.get(path)
    assert response.status_code == 400
    assert response.json()["error"]["reason"] == \
        f"no handler found for uri [{path}] and method [GET]"


def test_several_expressions_and_escaped_braces(es: httpx.Client, prefix: str) -> None:
    names = []
    for expression in (f"<{prefix}-{{now/d-1d}}>", f"<{prefix}-{{now/d}}>",
                       f"<{prefix}-\\{{on\\}}-{{now/M{{yyyy.MM}}}}>"):
        created = es.put("/" + encoded(expression))
        assert created.status_code == 200, created.text
        names.append(created.json()["index"])
    assert names[2].startswith(f"{prefix}-{{on}}-")
    both = encoded(f"<{prefix}-{{now/d-1d}}>,<{prefix}-{{now/d}}>")
    assert sorted(es.get(f"/{both}/_settings").json()) == sorted(names[:2])
    assert es.post(f"/{both}/_refresh").json()["_shards"]["failed"] == 0


@pytest.mark.parametrize(("expression", "resolved"), [
    # ES's own examples, at 2024-03-22T12:00:00Z
    ("<logstash-{now/d}>", "logstash-2024.03.22"),
    ("<logstash-{now/M}>", "logstash-2024.03.01"),
    ("<logstash-{now/M{yyyy.MM}}>", "logstash-2024.03"),
    ("<logstash-{now/M-1M{yyyy.MM}}>", "logstash-2024.02"),
    ("<logstash-{now/d{yyyy.MM.dd|+12:00}}>", "logstash-2024.03.23"),
    ("<elastic\\{ON\\}-{now/M}>", "elastic{ON}-2024.03.01"),
    ("<a\\\\b-{now/d}>", "a\\b-2024.03.22"),
    ("logs-{now/d}", "logs-{now/d}"),
])
def test_resolution_follows_es_examples(expression: str, resolved: str) -> None:
    noon = int(datetime.datetime(2024, 3, 22, 12, tzinfo=datetime.UTC).timestamp() * 1000)
    assert resolve_date_math(expression, noon) == resolved
