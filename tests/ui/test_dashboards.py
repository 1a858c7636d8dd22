"""Dashboards in a real browser (Debian's Chromium driven by Playwright) over AWS WAF logs
ingested through the aws_waf pipeline: every panel renders and follows the shared time range,
query and filters (checked against _count), a missing panel says so, panels move and resize
with the keyboard and the pointer and the saved panelsJSON keeps it, a new dashboard is built
and saved, full screen, auto-refresh, and the list's search and delete."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from playwright import sync_api as playwright_api
from playwright.sync_api import expect
from tests.ui.dashdata import BASE, INDEX_REF, XSRF, bulk, index_pattern, waf_index

from conftest import Server
from loghaven.bench.generators import waf_logs

SHOTS = Path(__file__).resolve().parents[2] / "build" / "screenshots"


@pytest.fixture(scope="module")
def waf(server: Server) -> Iterator[dict[str, str]]:
    """800 WAF records of the last six hours, an index pattern on them, three
    visualizations."""
    with httpx.Client(base_url=server.url, timeout=60) as es:
        index = waf_index(es, "dash", 800, seed=7)
        pattern = index_pattern(es, f"{index}*")
        count = {"id": "1", "enabled": True, "type": "count", "schema": "metric", "params": {}}
        actions = {"id": "2", "enabled": True, "type": "terms", "schema": "segment",
                   "params": {"field": "event.action", "size": 5, "order": "desc",
                              "orderBy": "1"}}
        ips = {**actions, "params": {**actions["params"], "field": "source.ip", "size": 10}}
        tag = uuid.uuid4().hex[:6]
        yield {
            "index": index, "pattern": pattern, "title": f"{index}*", "tag": tag,
            "metric": vis(es, pattern, f"Requests {tag}", "metric", [count]),
            "bars": vis(es, pattern, f"Requests by action {tag}", "histogram", [count, actions]),
            "table": vis(es, pattern, f"Busiest sources {tag}", "table", [count, ips]),
        }


def vis(es: httpx.Client, pattern: str, title: str, vis_type: str,
        aggs: list[dict[str, Any]]) -> str:
    """A visualization saved through the API as OpenSearch Dashboards stores it."""
    created = es.post(f"{BASE}/visualization", headers=XSRF, json={"attributes": {
        "title": title, "uiStateJSON": "{}", "description": "", "version": 1,
        "visState": json.dumps({"title": title, "type": vis_type, "params": {}, "aggs": aggs}),
        "kibanaSavedObjectMeta": {"searchSourceJSON": json.dumps({
            "query": {"query": "", "language": "kuery"}, "filter": [],
            "indexRefName": INDEX_REF})}},
        "references": [{"name": INDEX_REF, "type": "index-pattern", "id": pattern}]})
    assert created.status_code == 200, created.text
    return str(created.json()["id"])


def dashboard(es: httpx.Client, title: str, panels: list[tuple[str, str, dict[str, int]]],
              **attributes: Any) -> str:
    """A dashboard as OSD stores it: panelsJSON with panelRefName, references panel_N."""
    stored, references = [], []
    for n, (type_, id_, grid) in enumerate(panels):
        stored.append({"version": "2.11.0", "gridData": {**grid, "i": str(n + 1)},
                       "panelIndex": str(n + 1), "embeddableConfig": {},
                       "panelRefName": f"panel_{n}"})
        references.append({"name": f"panel_{n}", "type": type_, "id": id_})
    created = es.post(f"{BASE}/dashboard", headers=XSRF, json={"attributes": {
        "title": title, "description": "", "panelsJSON": json.dumps(stored),
        "optionsJSON": "{}", "version": 1, "timeRestore": False,
        "kibanaSavedObjectMeta": {"searchSourceJSON": json.dumps({
            "query": {"query": "", "language": "kuery"}, "filter": []})}, **attributes},
        "references": references})
    assert created.status_code == 200, created.text
    return str(created.json()["id"])


def link(server: Server, id_: str, **params: Any) -> str:
    query = "&".join(f"{name}={quote(json.dumps(value))}" for name, value in params.items())
    return f"{server.url}/_dashboards/#dashboards/view/{id_}" + (f"?{query}" if query else "")


def panel(page: playwright_api.Page, id_: str) -> playwright_api.Locator:
    return page.locator(f".dash-panel[data-id='{id_}']")


def settled(page: playwright_api.Page, id_: str) -> playwright_api.Locator:
    """The panel's visualization once its search has answered."""
    root = panel(page, id_).locator(".vis-render[aria-busy='false']")
    expect(root).to_have_count(1, timeout=20_000)
    return root


def metric(page: playwright_api.Page, id_: str) -> int:
    settled(page, id_)
    return int(panel(page, id_).locator(".vis-metric").get_attribute("data-value") or "-1")


def last(page: playwright_api.Page, hours: int) -> None:
    """The bar's time range set to the last `hours` hours with its relative form."""
    page.locator(".time-button").click()
    page.fill(".relative-count", str(hours))
    page.select_option(".relative-unit", "h")
    page.locator(".relative-range button[type=submit]").click()
    expect(page.locator(".time-button")).to_contain_text(f"Last {hours} hours")


def count(es: httpx.Client, index: str, query: dict[str, Any]) -> int:
    return int(es.post(f"/{index}/_count", json={"query": query}).json()["count"])


def since(hours: int) -> dict[str, Any]:
    return {"range": {"@timestamp": {"gte": f"now-{hours}h"}}}


GRID = {"metric": {"x": 0, "y": 0, "w": 12, "h": 10}, "bars": {"x": 12, "y": 0, "w": 36, "h": 15},
        "table": {"x": 0, "y": 15, "w": 48, "h": 15}}


def test_every_panel_renders_and_follows_the_shared_time_query_and_filters(
        page: playwright_api.Page, server: Server, es: httpx.Client,
        waf: dict[str, str]) -> None:
    board = dashboard(es, f"WAF {uuid.uuid4().hex[:6]}", [
        ("visualization", waf["metric"], GRID["metric"]), ("visualization", waf["bars"], GRID["bars"]),
        ("visualization", waf["table"], GRID["table"]),
        ("visualization", "no-such-vis", {"x": 0, "y": 30, "w": 24, "h": 8})])
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(link(server, board, _g={"time": {"from": "now-7h", "to": "now"}}))
    expect(panel(page, waf["bars"]).locator("canvas").first).to_be_visible(timeout=20_000)
    expect(panel(page, waf["table"]).locator("table tbody tr").first).to_be_visible()
    expect(panel(page, waf["metric"]).locator(".dash-panel-title")).to_have_text(f"Requests {waf['tag']}")
    for id_ in (waf["metric"], waf["bars"], waf["table"]):
        expect(panel(page, id_).locator(".notice.error")).to_have_count(0)
    expect(panel(page, "no-such-vis")).to_contain_text(
        "Could not find saved object [visualization/no-such-vis]")
    assert metric(page, waf["metric"]) == count(es, waf["index"], since(7)) == 800
    # the layout is the stored gridData on 48 columns: the bar chart is three times as wide
    metric_box = panel(page, waf["metric"]).bounding_box()
    bars_box = panel(page, waf["bars"]).bounding_box()
    assert metric_box and bars_box and abs(bars_box["y"] - metric_box["y"]) < 2
    assert 2.8 < bars_box["width"] / metric_box["width"] < 3.3

    # the query: every panel searches again
    page.fill(".search-bar input.query-input", "event.action:BLOCK")
    page.press(".search-bar input.query-input", "Enter")
    blocked = count(es, waf["index"], {"bool": {"filter": [since(7), {"term": {"event.action": "BLOCK"}}]}})
    expect(panel(page, waf["metric"]).locator(".vis-metric")).to_have_attribute("data-value", str(blocked))
    expect(panel(page, waf["table"]).locator(".vis-render")).not_to_have_attribute("data-rows", "0")
    # the chart shows one action now
    assert 0 < blocked < 800
    # the time range
    last(page, 2)
    recent = count(es, waf["index"], {"bool": {"filter": [since(2), {"term": {"event.action": "BLOCK"}}]}})
    expect(panel(page, waf["metric"]).locator(".vis-metric")).to_have_attribute("data-value", str(recent))
    assert recent < blocked

    # the URL carries the state: the link opens the same numbers, filters included
    shared = page.url
    assert "now-2h" in shared and "BLOCK" in shared
    other = page.context.new_page()
    other.goto(shared)
    expect(other.locator(f".dash-panel[data-id='{waf['metric']}'] .vis-metric")).to_have_attribute(
        "data-value", str(recent), timeout=20_000)
    other.close()
    allowed = {"meta": {"negate": True, "disabled": False, "type": "phrase", "key": "event.action",
                        "value": "ALLOW", "params": {"query": "ALLOW"}},
               "query": {"match_phrase": {"event.action": "ALLOW"}}}
    page.goto(link(server, board, _g={"time": {"from": "now-7h", "to": "now"}},
                   _a={"query": {"language": "lucene", "query": ""}, "filters": [allowed]}))
    page.reload()
    not_allowed = count(es, waf["index"], {"bool": {"filter": [since(7)], "must_not": [
        {"term": {"event.action": "ALLOW"}}]}})
    expect(page.locator(".filter-pills")).to_contain_text("NOT event.action: ALLOW")
    expect(panel(page, waf["metric"]).locator(".vis-metric")).to_have_attribute(
        "data-value", str(not_allowed), timeout=20_000)
    assert not_allowed == blocked

    # a pill added with the bar's form (fields of the panels' index pattern): every panel
    page.locator(".pill-remove").click()
    expect(panel(page, waf["metric"]).locator(".vis-metric")).to_have_attribute("data-value", "800")
    page.get_by_role("button", name="+ Add filter").click()
    form = page.get_by_role("dialog", name="Add filter")
    form.get_by_label("Field").select_option("http.request.method")
    form.get_by_label("Operator").select_option(label="is")
    form.get_by_role("textbox", name="Value").fill("POST")
    form.get_by_role("button", name="Add filter").click()
    posts = count(es, waf["index"], {"bool": {"filter": [since(7), {"term": {
        "http.request.method": "POST"}}]}})
    assert 0 < posts < 800
    expect(panel(page, waf["metric"]).locator(".vis-metric")).to_have_attribute("data-value", str(posts))
    settled(page, waf["bars"])
    assert "http.request.method" in page.url


def test_panels_move_and_resize_by_keyboard_and_pointer_and_the_layout_is_saved(
        page: playwright_api.Page, server: Server, es: httpx.Client,
        waf: dict[str, str]) -> None:
    board = dashboard(es, f"Layout {uuid.uuid4().hex[:6]}", [
        ("visualization", waf["metric"], {"x": 0, "y": 0, "w": 24, "h": 15}),
        ("visualization", waf["table"], {"x": 24, "y": 0, "w": 24, "h": 15}),
        ("visualization", waf["bars"], {"x": 0, "y": 15, "w": 24, "h": 15})])
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(link(server, board, _g={"time": {"from": "now-7h", "to": "now"}}))
    settled(page, waf["bars"])
    expect(page.locator(".dash-move")).to_have_count(3)
    expect(page.locator(".dash-move").first).to_be_hidden()  # view mode: no handles
    # Cancel forgets a move
    page.click("#edit-dashboard")
    panel(page, waf["bars"]).locator(".dash-move").focus()
    page.keyboard.press("ArrowUp")
    bars_box = panel(page, waf["bars"]).bounding_box()
    metric_box = panel(page, waf["metric"]).bounding_box()
    assert bars_box and metric_box and bars_box["y"] < metric_box["y"]
    page.click("#cancel-dashboard")
    settled(page, waf["bars"])
    bars_box = panel(page, waf["bars"]).bounding_box()
    metric_box = panel(page, waf["metric"]).bounding_box()
    assert bars_box and metric_box and bars_box["y"] > metric_box["y"]
    page.click("#edit-dashboard")

    # keyboard: the bar chart moves up past the metric (which goes below it), then grows
    handle = panel(page, waf["bars"]).locator(".dash-move")
    handle.focus()
    page.keyboard.press("ArrowUp")
    page.keyboard.press("Shift+ArrowDown")
    expect(handle).to_be_focused()
    # pointer: the table's corner dragged 4 rows down (28 px each)
    corner = panel(page, waf["table"]).locator(".dash-resize")
    box = corner.bounding_box()
    assert box
    page.mouse.move(box["x"] + 8, box["y"] + 8)
    page.mouse.down()
    page.mouse.move(box["x"] + 8, box["y"] + 8 + 56, steps=4)
    page.mouse.move(box["x"] + 8, box["y"] + 8 + 112, steps=4)
    page.mouse.up()
    # pointer: the metric panel dragged by its header to the right half, under the table
    header = panel(page, waf["metric"]).locator(".dash-panel-title")
    box = header.bounding_box()
    grid = page.locator("#dashboard-grid").bounding_box()
    assert box and grid
    column = (grid["width"] + 8) / 48
    page.mouse.move(box["x"] + 10, box["y"] + 5)
    page.mouse.down()
    page.mouse.move(box["x"] + 10 + 24 * column, box["y"] + 5, steps=6)
    page.mouse.up()
    page.click("#save-dashboard")
    expect(page.locator("#dashboard-status .notice.success")).to_contain_text("Saved")

    saved = es.get(f"{BASE}/dashboard/{board}").json()
    refs = {ref["name"]: ref["id"] for ref in saved["references"]}
    grids = {refs[p["panelRefName"]]: {k: p["gridData"][k] for k in "xywh"}
             for p in json.loads(saved["attributes"]["panelsJSON"])}
    assert grids[waf["bars"]] == {"x": 0, "y": 0, "w": 24, "h": 17}
    assert grids[waf["table"]] == {"x": 24, "y": 0, "w": 24, "h": 19}
    assert grids[waf["metric"]] == {"x": 24, "y": 19, "w": 24, "h": 15}
    assert sorted(refs) == ["panel_0", "panel_1", "panel_2"]
    # the saved layout is what the page shows after a reload
    page.reload()
    settled(page, waf["metric"])
    table_box = panel(page, waf["table"]).bounding_box()
    metric_box = panel(page, waf["metric"]).bounding_box()
    assert table_box and metric_box and metric_box["y"] > table_box["y"] + table_box["height"]


def test_a_new_dashboard_gets_panels_a_title_and_its_time_and_opens_with_them(
        page: playwright_api.Page, server: Server, es: httpx.Client,
        waf: dict[str, str]) -> None:
    title = f"Built {uuid.uuid4().hex[:6]}"
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(server.url + "/_dashboards/#dashboards")
    page.click("#create-dashboard")
    expect(page.locator(".dash-empty")).to_contain_text("Add panel")
    page.click("#save-dashboard")  # no title yet
    expect(page.locator("#dashboard-status .notice.error")).to_contain_text("title")
    page.click("#add-panel")
    page.fill("#add-panel-search", waf["tag"])
    expect(page.locator("#add-panel-list button")).to_have_count(3)
    page.click(f"#add-panel-list button[data-id='{waf['bars']}']")
    page.click(f"#add-panel-list button[data-id='{waf['metric']}']")
    page.click("#close-add-panel")
    expect(page.locator(".dash-panel")).to_have_count(2)
    # remove one, add it back: two panels remain
    panel(page, waf["metric"]).locator(".dash-remove").click()
    expect(page.locator(".dash-panel")).to_have_count(1)
    page.click("#add-panel")
    page.click(f"#add-panel-list button[data-id='{waf['metric']}']")
    page.keyboard.press("Escape")
    last(page, 3)
    page.fill("#dashboard-title-input", title)
    page.fill("#dashboard-description-input", "Made in a test")
    page.check("#dashboard-time-restore")
    page.click("#save-dashboard")
    expect(page.locator("#dashboard-title")).to_have_text(title)
    board = page.url.split("#dashboards/view/")[1].split("?")[0]

    saved = es.get(f"{BASE}/dashboard/{board}").json()
    attributes = saved["attributes"]
    assert attributes["timeRestore"] is True and attributes["timeFrom"] == "now-3h"
    assert attributes["timeTo"] == "now" and attributes["description"] == "Made in a test"
    assert saved["references"] == [
        {"name": "panel_0", "type": "visualization", "id": waf["bars"]},
        {"name": "panel_1", "type": "visualization", "id": waf["metric"]}]
    panels = json.loads(attributes["panelsJSON"])
    assert [p["panelRefName"] for p in panels] == ["panel_0", "panel_1"]
    assert [p["gridData"] for p in panels] == [
        {"x": 0, "y": 0, "w": 24, "h": 15, "i": panels[0]["panelIndex"]},
        {"x": 0, "y": 15, "w": 24, "h": 15, "i": panels[1]["panelIndex"]}]

    # opened without any state in the link, the stored time range applies
    page.goto(f"{server.url}/_dashboards/#dashboards")
    page.fill("#dashboard-search", title[:8])
    row = page.locator(f"#dashboard-list tr[data-id='{board}']")
    expect(row).to_have_count(1)
    expect(page.locator("#dashboard-list tbody tr")).to_have_count(1)
    row.locator("a").click()
    expect(page.locator(".time-button")).to_contain_text("Last 3 hours")
    assert metric(page, waf["metric"]) == count(es, waf["index"], since(3))
    # and deleted from the list, after the confirmation
    page.goto(f"{server.url}/_dashboards/#dashboards")
    page.locator(f"#dashboard-list tr[data-id='{board}'] button.danger").click()
    expect(page.locator(f"#dashboard-list tr[data-id='{board}']")).to_have_count(0)
    assert es.get(f"{BASE}/dashboard/{board}").status_code == 404
    page.goto(link(server, board))
    expect(page.locator("#dashboards .notice.error")).to_contain_text(
        f"Could not find saved object [dashboard/{board}]")


def test_full_screen_hides_the_chrome_and_escape_leaves_it(
        page: playwright_api.Page, server: Server, es: httpx.Client,
        waf: dict[str, str]) -> None:
    board = dashboard(es, f"Wall {uuid.uuid4().hex[:6]}", [
        ("visualization", waf["metric"], GRID["metric"])])
    page.goto(link(server, board, _g={"time": {"from": "now-7h", "to": "now"}}))
    settled(page, waf["metric"])
    page.click("#full-screen")
    expect(page.locator("body > header")).to_be_hidden()
    expect(page.locator(".search-bar")).to_be_hidden()
    expect(page.locator("#exit-full-screen")).to_be_visible()
    expect(panel(page, waf["metric"])).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.locator("body > header")).to_be_visible()
    expect(page.locator(".search-bar")).to_be_visible()
    page.click("#full-screen")
    page.click("#exit-full-screen")
    expect(page.locator("#exit-full-screen")).to_be_hidden()
    # leaving the dashboard leaves full screen too
    page.click("#full-screen")
    page.goto(server.url + "/_dashboards/#overview")
    expect(page.locator("body > header")).to_be_visible()


def test_auto_refresh_updates_every_panel_with_new_documents(
        page: playwright_api.Page, server: Server, es: httpx.Client,
        waf: dict[str, str]) -> None:
    index = f"awswaf-live{uuid.uuid4().hex[:8]}"
    now = int(time.time() * 1000) - 5_000
    bulk(es, index, list(waf_logs(20, seed=3, end_ms=now, span_ms=60_000)))
    pattern = index_pattern(es, index)
    count_agg = {"id": "1", "enabled": True, "type": "count", "schema": "metric", "params": {}}
    first = vis(es, pattern, "Live count", "metric", [count_agg])
    second = vis(es, pattern, "Live count again", "metric", [count_agg])
    board = dashboard(es, f"Live {uuid.uuid4().hex[:6]}", [
        ("visualization", first, GRID["metric"]),
        ("visualization", second, {**GRID["metric"], "x": 12})],
        timeRestore=True, timeFrom="now-1h", timeTo="now",
        refreshInterval={"pause": False, "value": 1000})
    page.goto(link(server, board))
    assert metric(page, first) == 20 and metric(page, second) == 20
    bulk(es, index, list(waf_logs(5, seed=4, end_ms=int(time.time() * 1000) - 1000,
                                  span_ms=1000)))
    for id_ in (first, second):
        expect(panel(page, id_).locator(".vis-metric")).to_have_attribute(
            "data-value", "25", timeout=15_000)
    # leaving the dashboard stops the refresh
    page.goto(server.url + "/_dashboards/#overview")
    searches: list[str] = []
    page.on("request", lambda r: searches.append(r.url) if "/_search" in r.url else None)
    page.wait_for_timeout(2500)
    assert searches == []
