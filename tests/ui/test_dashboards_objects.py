"""The Saved objects page in a real browser (Debian's Chromium driven by Playwright): an
OpenSearch Dashboards NDJSON file and a Kibana 6 export.json (through the index pattern
remap step) imported through the dialog, their dashboards opened with every panel drawn in
the stored layout; conflicts reported; export downloads NDJSON of the chosen objects and
their references; inspect; delete after a confirmation."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright import sync_api as playwright_api
from playwright.sync_api import expect
from tests.ui.dashdata import BASE, INDEX_REF, XSRF, index_pattern, waf_index

from conftest import Server

KIBANA6 = Path(__file__).parent / "data" / "waf_kibana6_export.json"
KIBANA6_PATTERN = "0c8e9a40-2f6b-11e8-9d5a-6b2f1a0c7e11"


@pytest.fixture(scope="module")
def waf(server: Server) -> Iterator[dict[str, str]]:
    """500 WAF records of the last six hours and an index pattern on them."""
    with httpx.Client(base_url=server.url, timeout=60) as es:
        index = waf_index(es, "obj", 500, seed=11)
        yield {"index": index, "pattern": index_pattern(es, f"{index}*"), "title": f"{index}*"}


def osd_export(pattern: str, title: str) -> tuple[bytes, dict[str, str]]:
    """An OpenSearch Dashboards NDJSON export: two visualizations and a dashboard on an
    existing index pattern, with ids of their own."""
    tag = uuid.uuid4().hex[:8]
    ids = {"bars": f"bars-{tag}", "table": f"table-{tag}", "dashboard": f"dash-{tag}"}
    count = {"id": "1", "enabled": True, "type": "count", "schema": "metric", "params": {}}

    def vis(id_: str, vis_title: str, vis_type: str, field: str, schema: str) -> dict[str, Any]:
        aggs = [count, {"id": "2", "enabled": True, "type": "terms", "schema": schema,
                        "params": {"field": field, "size": 5, "order": "desc", "orderBy": "1"}}]
        return {"id": id_, "type": "visualization", "migrationVersion": {"visualization": "7.10.0"},
                "attributes": {"title": vis_title, "uiStateJSON": "{}", "description": "",
                               "version": 1, "visState": json.dumps(
                                   {"title": vis_title, "type": vis_type, "params": {}, "aggs": aggs}),
                               "kibanaSavedObjectMeta": {"searchSourceJSON": json.dumps(
                                   {"query": {"query": "", "language": "kuery"}, "filter": [],
                                    "indexRefName": INDEX_REF})}},
                "references": [{"name": INDEX_REF, "type": "index-pattern", "id": pattern}]}
    panels = [{"version": "7.10.2", "gridData": {"x": 0, "y": 0, "w": 24, "h": 15, "i": "a"},
               "panelIndex": "a", "embeddableConfig": {}, "panelRefName": "panel_0"},
              {"version": "7.10.2", "gridData": {"x": 24, "y": 0, "w": 24, "h": 15, "i": "b"},
               "panelIndex": "b", "embeddableConfig": {"title": "Clients"}, "panelRefName": "panel_1"}]
    lines = [vis(ids["bars"], f"Actions {tag}", "histogram", "event.action", "segment"),
             vis(ids["table"], f"Clients {tag}", "table", "source.ip", "bucket"),
             {"id": ids["dashboard"], "type": "dashboard", "migrationVersion": {"dashboard": "7.9.3"},
              "attributes": {"title": title, "description": "", "panelsJSON": json.dumps(panels),
                             "optionsJSON": "{\"useMargins\":true}", "version": 1,
                             "timeRestore": True, "timeFrom": "now-7h", "timeTo": "now",
                             "refreshInterval": {"pause": True, "value": 0},
                             "kibanaSavedObjectMeta": {"searchSourceJSON": json.dumps(
                                 {"query": {"query": "", "language": "kuery"}, "filter": []})}},
              "references": [{"name": "panel_0", "type": "visualization", "id": ids["bars"]},
                             {"name": "panel_1", "type": "visualization", "id": ids["table"]}]},
             {"exportedCount": 3, "missingRefCount": 0, "missingReferences": []}]
    return b"\n".join(json.dumps(line).encode() for line in lines) + b"\n", ids


def import_file(page: playwright_api.Page, server: Server, name: str, content: bytes,
                mode: str = "overwrite") -> None:
    page.goto(server.url + "/_dashboards/#management/objects")
    page.click("#import-objects")
    page.set_input_files("#import-file", {"name": name, "mimeType": "application/octet-stream",
                                          "buffer": content})
    page.check(f"input[name=import-mode][value={mode}]")
    page.click("#start-import")


def every_panel_drawn(page: playwright_api.Page, count: int) -> None:
    panels = page.locator(".dash-panel")
    expect(panels).to_have_count(count, timeout=20_000)
    expect(page.locator(".dash-panel .vis-render[aria-busy='false']")).to_have_count(count, timeout=30_000)
    for n in range(count):
        one = panels.nth(n)
        expect(one.locator("canvas, table, .vis-metric").first).to_be_visible()
        expect(one.locator(".notice.error, .vis-empty")).to_have_count(0)


def test_an_ndjson_file_imports_and_its_dashboard_draws_every_panel(
        page: playwright_api.Page, server: Server, es: httpx.Client,
        waf: dict[str, str]) -> None:
    title = f"Imported {uuid.uuid4().hex[:6]}"
    content, ids = osd_export(waf["pattern"], title)
    page.set_viewport_size({"width": 1280, "height": 900})
    import_file(page, server, "export.ndjson", content)
    expect(page.locator("#import-step .notice")).to_have_text("Imported 3 objects.")
    expect(page.locator(f"#objects-list tr[data-id='{ids['dashboard']}']")).to_be_visible()

    # again without overwriting: each object is a conflict, none written
    page.click("#import-dialog .toolbar button")
    import_file(page, server, "export.ndjson", content, mode="skip")
    expect(page.locator("#import-step .notice")).to_have_text("Imported 0 objects.")
    errors = page.locator("#import-errors li")
    expect(errors).to_have_count(3)
    expect(errors.first).to_contain_text("an object with this id exists")

    page.goto(f"{server.url}/_dashboards/#dashboards/view/{ids['dashboard']}")
    every_panel_drawn(page, 2)
    expect(page.locator(f".dash-panel[data-id='{ids['table']}'] .dash-panel-title")).to_have_text("Clients")
    expect(page.locator(".time-button")).to_contain_text("Last 7 hours")


def test_a_kibana6_export_imports_through_the_remap_step_in_its_layout(
        page: playwright_api.Page, server: Server, es: httpx.Client,
        waf: dict[str, str]) -> None:
    items = json.loads(KIBANA6.read_text())
    page.set_viewport_size({"width": 1280, "height": 900})
    import_file(page, server, "export.json", KIBANA6.read_bytes())
    row = page.locator(f"#import-step tr[data-pattern='{KIBANA6_PATTERN}']")
    expect(row).to_contain_text("5")  # the five visualizations use it
    expect(page.locator("#import-step .notice.info")).to_contain_text("Nothing is imported yet")
    row.locator("select").select_option(waf["pattern"])
    page.click("#confirm-remap")
    expect(page.locator("#import-step .notice")).to_have_text(f"Imported {len(items)} objects.")
    for item in items:
        saved = es.get(f"{BASE}/{item['_type']}/{item['_id']}").json()
        if item["_type"] == "visualization":
            assert {"name": INDEX_REF, "type": "index-pattern", "id": waf["pattern"]} in saved["references"]

    # the 6.2 dashboard, opened from the result: its 12-column gridData read on 48 columns
    # (rows of 4 by 20 px, as the dashboard has margins)
    page.click("#imported-dashboards a:text('WAF overview (Kibana 6.2)')")
    expect(page.locator("#import-dialog")).to_have_count(0)
    every_panel_drawn(page, 5)
    expect(page.locator(".time-button")).to_contain_text("Last 7 hours")
    grid = page.locator("#dashboard-grid").bounding_box()
    boxes = [page.locator(".dash-panel").nth(n).bounding_box() for n in range(5)]
    assert grid and all(boxes)
    quarter, half = boxes[0]["width"], boxes[2]["width"]  # type: ignore[index]
    assert abs(quarter - (grid["width"] - 3 * 8) / 4) < 3
    assert abs(half - (grid["width"] - 8) / 2) < 3
    assert abs(boxes[0]["height"] - (12 * 20 + 11 * 8)) < 3  # type: ignore[index]
    assert abs(boxes[3]["y"] - boxes[0]["y"] - (12 * 28)) < 3  # type: ignore[index]
    metric = page.locator(".dash-panel .vis-metric").first.get_attribute("data-value")
    since = {"range": {"@timestamp": {"gte": "now-7h"}}}
    assert int(metric or -1) == es.post(f"/{waf['title']}/_count", json={"query": since}).json()["count"]

    # the Kibana 5 layout (row, col, size_x, size_y on 12 columns)
    page.goto(f"{server.url}/_dashboards/#dashboards/view/9c2f0b71-2f6b-11e8-9d5a-6b2f1a0c7e11")
    every_panel_drawn(page, 2)
    first = page.locator(".dash-panel").nth(0).bounding_box()
    second = page.locator(".dash-panel").nth(1).bounding_box()
    assert first and second and abs(first["y"] - second["y"]) < 2
    assert 1.9 < second["width"] / first["width"] < 2.2


def test_export_downloads_ndjson_and_delete_asks_first(
        page: playwright_api.Page, server: Server, es: httpx.Client,
        waf: dict[str, str], tmp_path: Path) -> None:
    title = f"Exported {uuid.uuid4().hex[:6]}"
    content, ids = osd_export(waf["pattern"], title)
    for line in content.splitlines()[:-1]:
        one = json.loads(line)
        made = es.post(f"{BASE}/{one['type']}/{one['id']}", headers=XSRF,
                       json={"attributes": one["attributes"], "references": one["references"]})
        assert made.status_code == 200, made.text
    page.goto(server.url + "/_dashboards/#management/objects")
    page.fill("#objects-search", title.split()[1])
    rows = page.locator("#objects-list tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_have_attribute("data-id", ids["dashboard"])

    rows.first.locator("button.inspect").click()
    expect(page.locator("#inspect-json")).to_contain_text(f'"id": "{ids["dashboard"]}"')
    page.keyboard.press("Escape")

    rows.first.locator("input[type=checkbox]").check()
    expect(page.locator("#export-selected")).to_have_text("Export 1")
    with page.expect_download() as info:
        page.click("#export-selected")
    download = info.value
    assert download.suggested_filename == "export.ndjson"
    path = tmp_path / "export.ndjson"
    download.save_as(path)
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert {(line.get("type"), line.get("id")) for line in lines[:-1]} == {
        ("index-pattern", waf["pattern"]), ("visualization", ids["bars"]),
        ("visualization", ids["table"]), ("dashboard", ids["dashboard"])}
    assert lines[-1]["exportedCount"] == 4

    # delete the two visualizations (the page's confirmation accepted): the dashboard then
    # shows them as missing
    page.select_option("#objects-type", "visualization")
    page.fill("#objects-search", ids["bars"].split("-")[1])
    expect(rows).to_have_count(2)
    for id_ in (ids["bars"], ids["table"]):
        page.locator(f"#objects-list tr[data-id='{id_}'] input[type=checkbox]").check()
    messages: list[str] = []
    page.once("dialog", lambda dialog: messages.append(dialog.message))
    page.click("#delete-selected")
    expect(page.locator("#objects-status .notice.success")).to_have_text("Deleted 2 saved objects.")
    assert "Delete 2 saved objects" in messages[0]
    expect(page.locator(f"#objects-list tr[data-id='{ids['bars']}']")).to_have_count(0)
    assert es.get(f"{BASE}/visualization/{ids['bars']}").status_code == 404
    page.goto(f"{server.url}/_dashboards/#dashboards/view/{ids['dashboard']}")
    expect(page.locator(".dash-panel .notice.error")).to_have_count(2, timeout=20_000)
    expect(page.locator(f".dash-panel[data-id='{ids['table']}']")).to_contain_text(
        f"Could not find saved object [visualization/{ids['table']}]")
