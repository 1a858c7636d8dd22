"""Dev Tools, the console, in Chromium: several requests in one editor run at the cursor and
all in order, a request pasted from the OpenSearch documentation (comments, a leading slash,
a triple-quoted string, an NDJSON _bulk body), completion by keyboard, the history, copy as
curl run by the real curl, and the editor's text kept across reloads."""

from __future__ import annotations

import json
import shlex
import subprocess
from pathlib import Path

import httpx
from playwright import sync_api as playwright_api
from playwright.sync_api import expect

from conftest import Server

SCREENSHOTS = Path(__file__).resolve().parents[2] / "build" / "screenshots"


def open_console(page: playwright_api.Page, server: Server, text: str) -> None:
    page.goto(server.url + "/_dashboards/#console")
    page.fill("#request", text)


def answer(page: playwright_api.Page) -> dict:
    return json.loads(page.inner_text("#response"))


def cursor_to_line(page: playwright_api.Page, line: int) -> None:
    """The cursor at the start of `line` (0-based), moved by keys as a user would."""
    page.focus("#request")
    page.keyboard.press("Control+Home")
    for _ in range(line):
        page.keyboard.press("ArrowDown")


def test_several_requests_run_at_the_cursor_and_all_in_order(
        page: playwright_api.Page, server: Server, es: httpx.Client, index_name: str) -> None:
    open_console(page, server, f"PUT {index_name}/_doc/1?refresh=true\n"
                               f'{{"message": "first"}}\n\n'
                               f"GET {index_name}/_count\n\n"
                               f"DELETE {index_name}/_doc/1?refresh=true\n")
    cursor_to_line(page, 3)  # on GET _count, before the index exists
    page.keyboard.press("Control+Enter")
    expect(page.locator("#status")).to_have_text("404")
    assert "index_not_found_exception" in page.inner_text("#response")
    expect(page.locator("#response")).to_have_class("console-output error")

    cursor_to_line(page, 1)  # in the first request's body: the ▶ beside it sends it
    page.click("#run-here")
    expect(page.locator("#status")).to_have_text("201")
    assert answer(page)["result"] == "created"
    cursor_to_line(page, 3)
    page.click("#send")
    expect(page.locator("#status")).to_have_text("200")
    assert answer(page)["count"] == es.get(f"/{index_name}/_count").json()["count"] == 1

    page.click("#run-all")  # PUT (updated), GET (1), DELETE: in this order
    expect(page.locator("#response")).to_contain_text(f"# DELETE /{index_name}/_doc/1")
    text = page.inner_text("#response")
    heads = [line for line in text.splitlines() if line.startswith("# ")]
    assert [h.split(" → ")[0] for h in heads] == [
        f"# PUT /{index_name}/_doc/1?refresh=true", f"# GET /{index_name}/_count",
        f"# DELETE /{index_name}/_doc/1?refresh=true"]
    assert [h.split(" → ")[1].split(" ")[0] for h in heads] == ["200", "200", "200"]
    assert '"result": "updated"' in text and '"count": 1' in text
    assert es.get(f"/{index_name}/_count").json()["count"] == 0


DOCUMENTATION = '''# Index two movies (as the OpenSearch documentation writes it)
POST /_bulk?refresh=true
{ "index": { "_index": "{index}", "_id": "1" } }
{ "title": "The Wind Rises", "year": 2013 }
{ "index": { "_index": "{index}", "_id": "2" } }
{ "title": "Spirited Away", "year": 2001 }

// A query with quotes in it: a triple-quoted string
GET /{index}/_search
{
  "query": {
    "query_string": {
      "query": """title:"Wind Rises" AND year:[2010 TO *]"""
    }
  }
}
'''


def test_a_request_pasted_from_the_documentation_works(
        page: playwright_api.Page, server: Server, es: httpx.Client, index_name: str) -> None:
    page.set_viewport_size({"width": 1280, "height": 900})
    open_console(page, server, DOCUMENTATION.replace("{index}", index_name))
    page.click("#run-all")
    expect(page.locator("#response")).to_contain_text(f"# GET /{index_name}/_search → 200")
    text = page.inner_text("#response")
    assert "# POST /_bulk?refresh=true → 200" in text
    found = json.loads(text.split(" ms)\n")[-1])
    expected = es.post(f"/{index_name}/_search", json={"query": {"query_string": {
        "query": 'title:"Wind Rises" AND year:[2010 TO *]'}}}).json()
    assert [hit["_id"] for hit in found["hits"]["hits"]] == ["1"]
    assert found["hits"]["total"] == expected["hits"]["total"] == {"value": 1, "relation": "eq"}
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    cursor_to_line(page, 9)
    page.screenshot(path=str(SCREENSHOTS / "console.png"))


def test_a_path_and_an_index_name_complete_by_keyboard(
        page: playwright_api.Page, server: Server, es: httpx.Client, index_name: str) -> None:
    es.put(f"/{index_name}-logs")
    es.post("/_aliases", json={"actions": [{"add": {"index": f"{index_name}-logs",
                                                     "alias": f"{index_name}-alias"}}]})
    open_console(page, server, "")
    # the names are read when the console opens; on the suite's shared server, with every
    # test's indices, that listing can take longer than a keystroke's wait: type after it
    with page.expect_response(lambda r: "/_cat/indices" in r.url, timeout=60_000), \
            page.expect_response(lambda r: "/_cat/aliases" in r.url, timeout=60_000):
        page.reload()
    popup = page.locator("#console-completions")
    page.focus("#request")
    page.keyboard.type("ge")
    expect(popup.locator("[role=option]")).to_have_count(1)
    expect(popup.locator("[role=option]")).to_have_attribute("data-value", "GET")
    page.keyboard.press("Enter")
    page.keyboard.type("_ca")
    expect(popup.locator("[role=option][aria-selected=true]")).to_contain_text("_cat")
    page.keyboard.press("Tab")
    page.keyboard.type("/")
    options = popup.locator("[role=option]")
    expect(options.first).to_have_attribute("aria-selected", "true")
    labels = [options.nth(i).get_attribute("data-value") for i in range(options.count())]
    assert {"indices", "aliases", "count", "health"} <= set(labels)
    assert "_cat" not in labels and not any(label.startswith("{") for label in labels)
    page.keyboard.press("ArrowDown")
    expect(options.nth(1)).to_have_attribute("aria-selected", "true")
    page.keyboard.press("ArrowUp")
    page.keyboard.press("ArrowUp")  # wraps to the last
    expect(options.last).to_have_attribute("aria-selected", "true")
    page.keyboard.press("Escape")
    expect(popup).to_be_hidden()
    page.keyboard.type("in")
    expect(popup.locator("[role=option]")).to_have_count(1)
    expect(popup.locator("[role=option]")).to_have_attribute("data-value", "indices")
    page.keyboard.press("Enter")
    page.keyboard.type(f"/{index_name[:-2]}")
    index_options = popup.locator("[role=option]")
    expect(index_options).to_have_count(2)  # the index and its alias
    values = {index_options.nth(i).get_attribute("data-value") for i in range(2)}
    assert values == {f"{index_name}-logs", f"{index_name}-alias"}
    page.keyboard.press("Tab")
    expect(popup).to_be_hidden()
    value = page.input_value("#request")
    assert value in (f"GET _cat/indices/{index_name}-logs", f"GET _cat/indices/{index_name}-alias")
    page.keyboard.press("Control+Enter")
    expect(page.locator("#status")).to_have_text("200")
    assert f"{index_name}-logs" in page.inner_text("#response")

    # A search body's keys: "q" offers query.
    page.fill("#request", f"GET {index_name}-logs/_search\n{{\n  ")
    page.keyboard.press("Control+End")
    page.keyboard.type('"q')
    expect(popup.locator("[role=option]").first).to_have_attribute("data-value", "query")
    page.keyboard.press("Enter")
    assert page.input_value("#request").endswith('{\n  "query": ')


def test_the_history_restores_a_request_and_the_text_survives_a_reload(
        page: playwright_api.Page, server: Server, es: httpx.Client, index_name: str) -> None:
    request = f'PUT {index_name}/_doc/7?refresh=true\n{{"n": 7}}'
    open_console(page, server, request)
    page.click("#send")
    expect(page.locator("#status")).to_have_text("201")
    page.fill("#request", "GET _cluster/health")
    page.reload()
    expect(page.locator("#request")).to_have_value("GET _cluster/health")  # localStorage
    page.click("#console-history-toggle")
    entry = page.locator(".console-history-entry", has_text=f"PUT /{index_name}/_doc/7")
    expect(entry).to_have_count(1)
    expect(entry.locator("time")).to_be_visible()
    entry.click()
    expect(page.locator("#console-history")).to_be_hidden()
    assert page.input_value("#request") == \
        f'GET _cluster/health\n\nPUT /{index_name}/_doc/7?refresh=true\n{{"n": 7}}\n'
    page.keyboard.press("Control+Enter")  # the cursor is on the restored request
    expect(page.locator("#status")).to_have_text("200")
    assert answer(page)["result"] == "updated"
    assert es.get(f"/{index_name}/_doc/7").json()["_version"] == 2


def copied_command(page: playwright_api.Page) -> str:
    page.click("#copy-curl")
    expect(page.locator("#console-note")).to_have_text("Copied the request as a curl command.")
    return page.evaluate("navigator.clipboard.readText()")


def test_copy_as_curl_gives_the_same_answer(
        page: playwright_api.Page, server: Server, es: httpx.Client, index_name: str) -> None:
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server.url)
    bulk = (f"POST _bulk?refresh=true\n"
            f'{{"index": {{"_index": "{index_name}", "_id": "a"}}}}\n'
            f'{{"title": "it\'s \\"quoted\\" and costs $HOME `x`"}}\n'
            f'{{"index": {{"_index": "{index_name}", "_id": "b"}}}}\n'
            f'{{"title": "plain"}}\n')
    open_console(page, server, bulk)
    command = copied_command(page)
    assert command.startswith(f'curl -X POST "{server.url}/_bulk?refresh=true" '
                              "-H 'Content-Type: application/x-ndjson' --data-binary '")
    ran = subprocess.run(["bash", "-c", command], capture_output=True, timeout=60, check=True)
    assert json.loads(ran.stdout)["errors"] is False
    stored = es.get(f"/{index_name}/_doc/a").json()["_source"]
    assert stored == {"title": "it's \"quoted\" and costs $HOME `x`"}

    search = (f"GET {index_name}/_search?filter_path=hits.total,hits.hits._id,hits.hits._source\n"
              '{"query": {"match_phrase": {"title": "it\'s \\"quoted\\""}}}')
    page.fill("#request", search)
    page.click("#send")
    expect(page.locator("#status")).to_have_text("200")
    command = copied_command(page)
    assert command.startswith(f"curl -X GET \"{server.url}/{index_name}/_search?filter_path=")
    assert "-H 'Content-Type: application/json' -d '" in command
    ran = subprocess.run(shlex.split(command), capture_output=True, timeout=60, check=True)
    assert json.loads(ran.stdout) == answer(page)
    assert answer(page)["hits"]["hits"][0]["_id"] == "a"


def test_the_console_completes_from_the_servers_routes(es: httpx.Client) -> None:
    endpoints = es.get("/_dashboards/api/console/api_server").json()["es"]["endpoints"]
    search = [e for e in endpoints.values() if "_search" in e["patterns"]]
    assert search == [{"methods": ["GET", "POST"],
                       "patterns": ["_count", "_search", "{index}/_count", "{index}/_search"]}]
    patterns = {p for e in endpoints.values() for p in e["patterns"]}
    assert {"_cat/indices", "_plugins/_alerting/monitors/_execute", "{index}/_doc/{id}"} <= patterns
    assert not [p for p in patterns if p.startswith(("_dashboards", "_opendistro", "services"))]


def test_auto_indent_and_a_body_that_is_not_json(
        page: playwright_api.Page, server: Server, index_name: str) -> None:
    open_console(page, server, f'GET {index_name}/_search\n{{"query":{{"match_all":{{}}}},"size":0}}')
    cursor_to_line(page, 0)
    page.keyboard.press("Control+i")
    assert page.input_value("#request") == (
        f'GET {index_name}/_search\n{{\n  "query": {{\n    "match_all": {{}}\n  }},\n  "size": 0\n}}')
    page.click("#auto-indent")  # again: folded on one line
    assert page.input_value("#request") == \
        f'GET {index_name}/_search\n{{"query":{{"match_all":{{}}}},"size":0}}'

    # Enter keeps the indentation and opens a level after "{".
    page.fill("#request", "POST _count\n{")
    page.keyboard.press("Control+End")
    page.keyboard.press("Enter")
    page.keyboard.type('"query": {')
    page.keyboard.press("Enter")
    assert page.input_value("#request") == 'POST _count\n{\n  "query": {\n    '

    page.fill("#request", 'GET _cluster/health\n\nPOST _count\n{"query": {"match_all": {}}')
    page.click("#run-all")
    expect(page.locator("#response")).to_contain_text(
        "POST /_count (line 3): the body is not JSON")
    assert '"cluster_name"' in page.inner_text("#response")  # the request before it ran
    expect(page.locator("#response")).to_have_class("console-output error")
