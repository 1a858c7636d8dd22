"""Discover in a real browser (Debian's Chromium driven by Playwright) over AWS WAF logs
ingested through the ``aws-waf`` pipeline: what the page shows — the total, the histogram's
bars, the rows — is checked against ``_count`` and ``_search`` for the same query and range."""

from __future__ import annotations

import datetime
import json
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode

import httpx
import orjson
import pytest
from playwright import sync_api as playwright_api
from playwright.sync_api import expect
from tests.ui.dashdata import index_pattern

from conftest import Server
from loghaven.bench.generators import waf_logs

SAVED = "/_dashboards/api/saved_objects"
XSRF = {"osd-xsrf": "true"}
DAY = 86_400_000
END = 1_795_000_000_000  # a fixed instant (2026-11-18), so every run sees the same documents
FROM_MS, TO_MS = END - DAY - 3_600_000, END + 3_600_000


def iso(ms: int) -> str:
    return datetime.datetime.fromtimestamp(ms / 1000, datetime.UTC).isoformat(
        timespec="milliseconds").replace("+00:00", "Z")


TIME = {"from": iso(FROM_MS), "to": iso(TO_MS)}
SCREENSHOTS = Path(__file__).resolve().parents[2] / "build" / "screenshots"


@dataclass
class Waf:
    index: str
    pattern: str
    docs: list[dict[str, Any]]


def bulk(es: httpx.Client, index: str, docs: list[dict[str, Any]]) -> None:
    lines = b"".join(b'{"index":{}}\n' + orjson.dumps(doc) + b"\n" for doc in docs)
    response = es.post(f"/{index}/_bulk?refresh=true", content=lines,
                       headers={"Content-Type": "application/x-ndjson"}, timeout=120)
    assert response.status_code == 200 and not response.json()["errors"], response.text[:500]


@pytest.fixture(scope="module")
def waf(server: Server) -> Iterator[Waf]:
    """1,500 WAF records over a day, through the aws-waf pipeline (the template's default)."""
    index = f"awswaf-discover-{uuid.uuid4().hex[:8]}"
    docs = list(waf_logs(1500, seed=18, end_ms=END))
    with httpx.Client(base_url=server.url, timeout=60) as es:
        bulk(es, index, docs)
        assert es.get(f"/{index}/_count").json()["count"] == 1500
        yield Waf(index, index_pattern(es, index), docs)


def count(es: httpx.Client, index: str, query: dict[str, Any]) -> int:
    response = es.post(f"/{index}/_count", json={"query": query})
    assert response.status_code == 200, response.text
    return int(response.json()["count"])


def bounded(*must: dict[str, Any], lo: int = FROM_MS, hi: int = TO_MS,
            must_not: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """The query Discover sends: the user's clauses and the time range."""
    return {"bool": {"must": list(must), "must_not": must_not or [], "filter": [
        {"range": {"@timestamp": {"gte": lo, "lte": hi, "format": "epoch_millis"}}}]}}


def lucene(text: str) -> dict[str, Any]:
    return {"query_string": {"query": text, "analyze_wildcard": True}}


def open_discover(page: playwright_api.Page, server: Server, waf: Waf, saved: str = "",
                  time: dict[str, str] | None = None, **app: Any) -> None:
    params = {"_g": json.dumps({"time": time or TIME, "refresh": {"pause": True, "value": 0}}),
              "_a": json.dumps({"index": waf.pattern, **app})}
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(f"{server.url}/_dashboards/#discover{saved}?{urlencode(params)}")
    expect(chart(page)).to_have_attribute("data-total", str(len(waf.docs)) if not app else
                                          re.compile(r"^\d+$"))


def chart(page: playwright_api.Page) -> playwright_api.Locator:
    return page.locator("#discover .histogram-chart")


def shown_total(page: playwright_api.Page) -> int:
    return int(chart(page).get_attribute("data-total") or "-1")


def hash_state(page: playwright_api.Page) -> dict[str, Any]:
    search = page.evaluate("location.hash").split("?", 1)[1]
    return {name: json.loads(value) for name, value in parse_qsl(search)}


def query_box(page: playwright_api.Page) -> playwright_api.Locator:
    return page.get_by_role("combobox", name="Search documents", exact=True)


def search_for(page: playwright_api.Page, text: str) -> None:
    box = query_box(page)
    box.fill(text)
    box.press("Enter")


def searched(page: playwright_api.Page, es: httpx.Client, waf: Waf, text: str) -> int:
    """Searches for the Lucene `text` and waits for the total that _count gives."""
    search_for(page, text)
    expected = count(es, waf.index, bounded(lucene(text)))
    expect(chart(page)).to_have_attribute("data-total", str(expected))
    return expected


def settled(page: playwright_api.Page) -> None:
    """Waits for the search under way (one whose total may not differ from the last)."""
    expect(page.locator("#discover .discover-main")).to_have_attribute("aria-busy", "false")


def add_column(page: playwright_api.Page, name: str) -> None:
    page.locator(f"#discover .field-sidebar li[data-field='{name}'] button.add-column").click()


def row_ids(page: playwright_api.Page) -> list[str]:
    return page.locator("#discover .doc-row").evaluate_all("rows => rows.map(r => r.dataset.id)")


def test_finds_a_known_document_by_lucene_and_by_dsl(
        page: playwright_api.Page, server: Server, es: httpx.Client, waf: Waf) -> None:
    known = next(d for d in waf.docs if d["action"] == "BLOCK")
    request_id = known["httpRequest"]["requestId"]
    open_discover(page, server, waf)
    search_for(page, f'http.request.id:"{request_id}"')
    expect(chart(page)).to_have_attribute("data-total", "1")
    expect(page.locator("#discover .doc-row")).to_have_count(1)
    expect(page.locator("#discover .hit-count")).to_have_text("1")
    # the match is marked (a <mark> node built from the highlight, not HTML)
    expect(page.locator("#discover .doc-row mark").first).to_have_text(request_id)
    # the expanded document: its fields as a table and its JSON with _id and _index
    page.locator("#discover .doc-row button.expand").click()
    expect(page.locator(".doc-fields tr[data-field='event.action'] .doc-value")).to_have_text("BLOCK")
    page.get_by_role("tab", name="JSON").click()
    shown = json.loads(page.locator(".doc-json").inner_text())
    assert shown["_index"] == waf.index and shown["_id"] == row_ids(page)[0]
    assert shown["_source"]["http"]["request"]["id"] == request_id
    # the expanded document's buttons: a filter that the field exists, then one that excludes
    page.get_by_role("tab", name="Table").click()
    page.get_by_role("button", name="Filter for field present: url.path").click()
    expect(page.locator("#discover .filter-pills")).to_contain_text("url.path: exists")
    assert hash_state(page)["_a"]["filters"][0]["exists"] == {"field": "url.path"}
    settled(page)
    expect(chart(page)).to_have_attribute("data-total", "1")
    page.locator("#discover .doc-row button.expand").click()
    page.get_by_role("button", name="Filter out event.action: BLOCK").click()
    expect(chart(page)).to_have_attribute("data-total", "0")
    expect(page.locator("#discover .no-results")).to_contain_text("No documents match")

    dsl = json.dumps({"bool": {"filter": [{"term": {"http.request.id": request_id}}]}})
    open_discover(page, server, waf, query={"language": "dsl", "query": dsl})
    expect(chart(page)).to_have_attribute("data-total", "1")
    expect(page.locator("#discover .doc-row")).to_have_count(1)


def test_histogram_total_and_bars_equal_count(
        page: playwright_api.Page, server: Server, es: httpx.Client, waf: Waf) -> None:
    expected = count(es, waf.index, bounded(lucene("event.action:BLOCK")))
    assert 0 < expected < len(waf.docs)
    open_discover(page, server, waf, query={"language": "lucene", "query": "event.action:BLOCK"})
    expect(chart(page)).to_have_attribute("data-total", str(expected))
    assert int(chart(page).get_attribute("data-sum") or "0") == expected
    assert int(chart(page).get_attribute("data-from") or "0") == FROM_MS
    assert int(chart(page).get_attribute("data-to") or "0") == TO_MS
    cells = page.locator("#discover .histogram-summary tbody td:nth-child(2)").all_inner_texts()
    assert len(cells) > 10 and sum(int(c) for c in cells) == expected
    expect(page.locator("#discover .hit-count")).to_have_text(f"{expected:,}")
    expect(page.locator("#discover .interval")).to_contain_text("per hour")  # auto: 26 bars
    # another interval: the bars change, their sum does not
    page.get_by_label("Histogram interval").select_option("d")
    expect(page.locator("#discover .interval")).to_contain_text("per day")
    expect(chart(page)).to_have_attribute("data-interval", "1d")
    assert int(chart(page).get_attribute("data-sum") or "0") == expected
    assert hash_state(page)["_a"]["interval"] == "d"
    # one bar a minute would be 1,560 bars: scaled, and it says so
    page.get_by_label("Histogram interval").select_option("m")
    expect(page.locator("#discover .interval-scaled")).to_contain_text("scaled")
    expect(chart(page)).to_have_attribute("data-interval", "1h")


def test_drag_and_click_on_the_chart_zoom_and_the_count_follows(
        page: playwright_api.Page, server: Server, es: httpx.Client, waf: Waf) -> None:
    open_discover(page, server, waf)
    canvas = chart(page)
    canvas.locator("canvas").first.wait_for()
    box = canvas.bounding_box()
    assert box
    y = box["y"] + box["height"] / 2
    page.mouse.move(box["x"] + box["width"] * 0.35, y)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.5, y, steps=5)
    page.mouse.move(box["x"] + box["width"] * 0.7, y, steps=5)
    page.mouse.up()
    expect(canvas).not_to_have_attribute("data-from", str(FROM_MS))
    lo, hi = int(canvas.get_attribute("data-from") or 0), int(canvas.get_attribute("data-to") or 0)
    assert FROM_MS < lo < hi < TO_MS
    expected = count(es, waf.index, bounded(lo=lo, hi=hi))
    assert 0 < expected < len(waf.docs)
    expect(canvas).to_have_attribute("data-total", str(expected))
    assert int(canvas.get_attribute("data-sum") or "0") == expected
    time = hash_state(page)["_g"]["time"]
    assert time["from"].endswith("Z") and time["to"].endswith("Z")  # an absolute range

    # a click on a bar zooms to that bucket
    rows = page.locator("#discover .histogram-summary tbody tr")
    before = rows.count()
    page.mouse.click(box["x"] + box["width"] * 0.5, box["y"] + box["height"] - 40)
    expect(rows).not_to_have_count(before)
    lo2, hi2 = int(canvas.get_attribute("data-from") or 0), int(canvas.get_attribute("data-to") or 0)
    assert lo <= lo2 < hi2 <= hi and hi2 - lo2 < 3_600_000
    expect(canvas).to_have_attribute("data-total", str(count(es, waf.index, bounded(lo=lo2, hi=hi2))))


def test_filter_for_and_out_from_the_sidebar(
        page: playwright_api.Page, server: Server, es: httpx.Client, waf: Waf) -> None:
    open_discover(page, server, waf)
    field = page.locator("#discover .field-sidebar li[data-field='event.action']")
    field.locator(".field-name").click()
    expect(field.locator(".field-source")).to_contain_text("terms aggregation")
    block = field.locator(".top-values li[data-value='BLOCK']")
    blocked = count(es, waf.index, bounded({"match_phrase": {"event.action": "BLOCK"}}))
    expect(block).to_have_attribute("data-count", str(blocked))
    block.locator("button.filter-for").click()
    expect(chart(page)).to_have_attribute("data-total", str(blocked))
    expect(page.locator("#discover .filter-pills")).to_contain_text("event.action: BLOCK")
    assert hash_state(page)["_a"]["filters"][0]["query"] == {"match_phrase": {"event.action": "BLOCK"}}
    page.get_by_role("button", name="Remove filter event.action").click()
    expect(chart(page)).to_have_attribute("data-total", str(len(waf.docs)))

    field = page.locator("#discover .field-sidebar li[data-field='event.action']")
    expect(field.locator(".field-name")).to_have_attribute("aria-expanded", "true")  # still open
    field.locator(".top-values li[data-value='BLOCK'] button.filter-out").click()
    allowed = count(es, waf.index, bounded(must_not=[{"match_phrase": {"event.action": "BLOCK"}}]))
    assert allowed == len(waf.docs) - blocked
    expect(chart(page)).to_have_attribute("data-total", str(allowed))
    expect(page.locator("#discover .filter-pills")).to_contain_text("NOT event.action: BLOCK")

    # the field list filters by name
    page.get_by_label("Search field names").fill("geo")
    names = page.locator("#discover .field-sidebar li[data-field]").evaluate_all(
        "items => items.map(i => i.dataset.field)")
    assert names and all("geo" in name for name in names) and "source.geo.country_iso_code" in names
    page.get_by_label("Search field names").fill("")



def test_top_values_of_a_text_field_come_from_the_loaded_hits(
        page: playwright_api.Page, server: Server, es: httpx.Client) -> None:
    index = f"discover-text-{uuid.uuid4().hex[:8]}"
    assert es.put(f"/{index}", json={"mappings": {"properties": {
        "@timestamp": {"type": "date"}, "message": {"type": "text"}}}}).status_code == 200
    messages = ["disk full", "disk full", "login failed", "disk full", "timeout"]
    bulk(es, index, [{"@timestamp": END - i * 60_000, "message": m} for i, m in enumerate(messages)])
    caps = es.get(f"/{index}/_field_caps?fields=message").json()["fields"]["message"]["text"]
    assert caps["aggregatable"] is False
    open_discover(page, server, Waf(index, index_pattern(es, index), messages))
    field = page.locator("#discover .field-sidebar li[data-field='message']")
    field.locator(".field-name").click()
    expect(field.locator(".field-source")).to_contain_text("in the 5 loaded documents")
    top = field.locator(".top-values li")
    expect(top).to_have_count(3)
    expect(top.first).to_have_attribute("data-value", "disk full")
    expect(top.first).to_have_attribute("data-count", "3")
    expect(top.first.locator(".top-share")).to_have_text("60.0%")


def test_columns_and_sorting(
        page: playwright_api.Page, server: Server, es: httpx.Client, waf: Waf) -> None:
    open_discover(page, server, waf)
    newest = es.post(f"/{waf.index}/_search", json={
        "size": 1, "query": bounded(), "sort": [{"@timestamp": "desc"}]}).json()["hits"]["hits"][0]
    expect(page.locator("#discover .doc-row").first).to_have_attribute("data-id", newest["_id"])
    # add two columns from the sidebar; reorder them
    for name in ("url.path", "event.action"):
        add_column(page, name)
    headers = page.locator("#discover .doc-table thead th[data-column]")
    expect(headers).to_have_count(3)
    assert headers.evaluate_all("t => t.map(x => x.dataset.column)") == [
        "@timestamp", "url.path", "event.action"]
    page.get_by_role("button", name="Move column event.action left").click()
    expect(headers.nth(1)).to_have_attribute("data-column", "event.action")
    # sort by url.path ascending: the first row is the one ES sorts first
    page.get_by_role("button", name="Sort url.path descending").click()
    page.get_by_role("button", name="Sort url.path ascending").click()
    first = es.post(f"/{waf.index}/_search", json={
        "size": 1, "query": bounded(), "sort": [{"url.path": "asc"}]}).json()["hits"]["hits"][0]
    expect(page.locator("#discover .doc-row").first.locator("td[data-column='url.path']")) \
        .to_have_text(first["_source"]["url"]["path"])
    assert hash_state(page)["_a"]["sort"] == [["url.path", "asc"]]
    # the time column: oldest first
    page.get_by_role("button", name="Sort @timestamp descending").click()
    page.get_by_role("button", name="Sort @timestamp ascending").click()
    oldest = es.post(f"/{waf.index}/_search", json={
        "size": 1, "query": bounded(), "sort": [{"@timestamp": "asc"}]}).json()["hits"]["hits"][0]
    expect(page.locator("#discover .doc-row").first).to_have_attribute("data-id", oldest["_id"])
    # remove a column from the expanded document
    page.locator("#discover .doc-row button.expand").first.click()
    page.get_by_role("button", name="Remove column url.path").first.click()
    expect(headers).to_have_count(2)


def test_paging_and_the_result_window(
        page: playwright_api.Page, server: Server, es: httpx.Client, waf: Waf) -> None:
    open_discover(page, server, waf)
    page.get_by_role("button", name="Next →").click()
    expect(page.locator("#discover .pager-info")).to_contain_text("51\u2013100 of 1,500 · page 2 of 30")
    second = es.post(f"/{waf.index}/_search", json={
        "from": 50, "size": 50, "query": bounded(), "sort": [{"@timestamp": "desc"}]}).json()
    assert row_ids(page) == [hit["_id"] for hit in second["hits"]["hits"]]
    page.get_by_role("button", name="← Previous").click()
    expect(page.locator("#discover .pager-info")).to_contain_text("1\u201350 of 1,500")

    # an index whose max_result_window is 100: two pages, then "narrow the search"
    small = f"awswaf-window-{uuid.uuid4().hex[:8]}"
    assert es.put(f"/{small}", json={"settings": {"index": {"max_result_window": 100}}}) \
        .status_code == 200
    bulk(es, small, waf.docs[:300])
    tiny = Waf(small, index_pattern(es, small), waf.docs[:300])
    open_discover(page, server, tiny)
    expect(page.locator("#discover .window-limit")).to_have_count(0)
    page.get_by_role("button", name="Next →").click()
    expect(page.locator("#discover .pager-info")).to_contain_text("page 2 of 2")
    expect(page.get_by_role("button", name="Next →")).to_be_disabled()
    expect(page.locator("#discover .window-limit")).to_contain_text("first 100 of 300")
    expect(page.locator("#discover .window-limit")).to_contain_text("narrow the search")


def test_the_url_keeps_the_search_across_a_reload(
        page: playwright_api.Page, server: Server, es: httpx.Client, waf: Waf) -> None:
    open_discover(page, server, waf)
    expected = searched(page, es, waf, "event.action:ALLOW")
    add_column(page, "url.path")
    page.get_by_label("Histogram interval").select_option("h")
    expect(chart(page)).to_have_attribute("data-interval", "1h")
    page.get_by_role("button", name="Next →").click()
    expect(page.locator("#discover .pager-info")).to_contain_text("page 2")
    ids = row_ids(page)
    page.reload()
    expect(chart(page)).to_have_attribute("data-total", str(expected))
    expect(query_box(page)).to_have_value("event.action:ALLOW")
    expect(page.get_by_label("Histogram interval")).to_have_value("h")
    expect(page.locator("#discover .doc-table thead th[data-column='url.path']")).to_have_count(1)
    expect(page.locator("#discover .pager-info")).to_contain_text("page 2")
    assert row_ids(page) == ids


def test_save_a_search_reset_and_reopen_it(
        page: playwright_api.Page, server: Server, es: httpx.Client, waf: Waf) -> None:
    open_discover(page, server, waf)
    expected = searched(page, es, waf, "event.action:BLOCK")
    add_column(page, "source.ip")
    title = f"Blocked requests {uuid.uuid4().hex[:6]}"
    page.get_by_role("button", name="Save", exact=True).click()
    page.get_by_label("Title of the saved search").fill(title)
    page.get_by_role("button", name="Save search").click()
    expect(page.locator("#discover .search-title")).to_have_text(f": {title}")
    saved_id = page.evaluate("location.hash").split("?")[0].split("/")[1]
    stored = es.get(f"{SAVED}/search/{saved_id}").json()
    attributes = stored["attributes"]
    assert attributes["title"] == title and attributes["columns"] == ["source.ip"]
    assert attributes["sort"] == [["@timestamp", "desc"]]
    source = json.loads(attributes["kibanaSavedObjectMeta"]["searchSourceJSON"])
    assert source["query"] == {"language": "lucene", "query": "event.action:BLOCK"}
    assert source["indexRefName"] == "kibanaSavedObjectMeta.searchSourceJSON.index"
    assert stored["references"] == [{"name": "kibanaSavedObjectMeta.searchSourceJSON.index",
                                     "type": "index-pattern", "id": waf.pattern}]

    page.get_by_role("button", name="New").click()
    expect(chart(page)).to_have_attribute("data-total", str(len(waf.docs)))
    expect(query_box(page)).to_have_value("")
    expect(page.locator("#discover .doc-table thead th[data-column='source.ip']")).to_have_count(0)

    page.get_by_label("Open a saved search").select_option(saved_id)
    expect(chart(page)).to_have_attribute("data-total", str(expected))
    expect(query_box(page)).to_have_value("event.action:BLOCK")
    expect(page.locator("#discover .doc-table thead th[data-column='source.ip']")).to_have_count(1)
    expect(page.locator("#discover .search-title")).to_have_text(f": {title}")


def test_a_saved_search_as_a_dashboard_panel(
        page: playwright_api.Page, server: Server, es: httpx.Client, waf: Waf) -> None:
    source = {"query": {"language": "lucene", "query": "event.action:BLOCK"}, "filter": [],
              "indexRefName": "kibanaSavedObjectMeta.searchSourceJSON.index"}
    made = es.post(f"{SAVED}/search", headers=XSRF, json={
        "attributes": {"title": "panel", "columns": ["url.path", "source.ip"],
                       "sort": [["@timestamp", "asc"]],
                       "kibanaSavedObjectMeta": {"searchSourceJSON": json.dumps(source)}},
        "references": [{"name": "kibanaSavedObjectMeta.searchSourceJSON.index",
                        "type": "index-pattern", "id": waf.pattern}]}).json()
    page.goto(f"{server.url}/_dashboards/#overview")
    state = {"query": {"language": "lucene", "query": "url.path:*"}, "filters": [],
             "time": TIME, "refresh": {"pause": True, "value": 0}}
    page.evaluate("""async ([made, state]) => {
        const { renderSavedSearch } = await import("/_dashboards/discover/embed.js");
        const box = document.createElement("div");
        box.id = "panel";
        document.querySelector("main").prepend(box);
        window.panel = await renderSavedSearch(box, made, { state });
    }""", [made, state])
    expected = count(es, waf.index, bounded(lucene("url.path:*"), lucene("event.action:BLOCK")))
    expect(page.locator("#panel .saved-search-count")).to_have_attribute("data-total", str(expected))
    expect(page.locator("#panel .doc-row")).to_have_count(min(50, expected))
    headers = page.locator("#panel thead th[data-column]")
    assert headers.evaluate_all("t => t.map(x => x.dataset.column)") == [
        "@timestamp", "url.path", "source.ip"]
    oldest = es.post(f"/{waf.index}/_search", json={
        "size": 1, "sort": [{"@timestamp": "asc"}],
        "query": bounded(lucene("url.path:*"), lucene("event.action:BLOCK"))}).json()
    expect(page.locator("#panel .doc-row").first).to_have_attribute(
        "data-id", oldest["hits"]["hits"][0]["_id"])
    # the dashboard's filter narrows the panel
    pill = {"meta": {"key": "url.path", "value": "/login", "negate": False, "type": "phrase"},
            "query": {"match_phrase": {"url.path": "/login"}}}
    page.evaluate("state => window.panel.update({ state })", {**state, "filters": [pill]})
    narrowed = count(es, waf.index, bounded(lucene("url.path:*"), lucene("event.action:BLOCK"),
                                            {"match_phrase": {"url.path": "/login"}}))
    assert narrowed < expected
    expect(page.locator("#panel .saved-search-count")).to_have_attribute("data-total", str(narrowed))
    page.evaluate("window.panel.destroy()")
    expect(page.locator("#panel .saved-search")).to_have_count(0)


def test_without_an_index_pattern_discover_says_where_to_make_one(
        page: playwright_api.Page, tmp_path: Path) -> None:
    (tmp_path / "loghaven.yml").write_text("dashboards.builtin.install: false\n")
    bare = Server(tmp_path / "data").start()  # no built-in dashboards, so no pattern at all
    try:
        page.goto(f"{bare.url}/_dashboards/#discover")
        message = page.locator("#discover .discover-empty")
        expect(message).to_contain_text("No index pattern yet")
        expect(message.get_by_role("link", name="Create an index pattern")) \
            .to_have_attribute("href", "#management/patterns")
    finally:
        bare.kill()


def test_screenshot(page: playwright_api.Page, server: Server, waf: Waf) -> None:
    open_discover(page, server, waf, columns=["event.action", "source.ip", "url.path"],
                  query={"language": "lucene", "query": "event.action:BLOCK"})
    field = page.locator("#discover .field-sidebar li[data-field='event.action']")
    field.locator(".field-name").click()
    expect(field.locator(".top-values li")).to_have_count(1)
    page.locator("#discover .doc-row button.expand").first.click()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "discover.png"))
