"""Visualize in a real browser (Debian's Chromium driven by Playwright) over AWS WAF logs
ingested through the aws_waf pipeline: the seed's chart built through the editor and saved,
its buckets equal to what _search answers for the aggregation JSON the page shows; every
visualization type rendered from a saved object; the JSON panel's edits; errors shown."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright import sync_api as playwright_api
from playwright.sync_api import expect

from conftest import Server
from loghaven.bench.generators import waf_logs

BASE = "/_dashboards/api/saved_objects"
XSRF = {"osd-xsrf": "true"}
INDEX_REF = "kibanaSavedObjectMeta.searchSourceJSON.index"
SHOTS = Path(__file__).resolve().parents[2] / "build" / "screenshots"
HOUR_MS = 3_600_000
WORLD = Path(__file__).resolve().parents[2] / "src/loghaven/ui/static/vendor/world-countries.geo.json"


@pytest.fixture(scope="module")
def waf(server: Server) -> Iterator[dict[str, str]]:
    """600 WAF records of the last six hours in an awswaf-* index (its template's default
    pipeline makes them ECS documents with geoip countries), and an index pattern on it."""
    index = f"awswaf-vis{uuid.uuid4().hex[:8]}"
    now = int(time.time() * 1000) - 60_000
    lines = []
    for doc in waf_logs(600, seed=18, end_ms=now, span_ms=6 * HOUR_MS):
        lines += [json.dumps({"index": {"_index": index}}), json.dumps(doc)]
    with httpx.Client(base_url=server.url, timeout=60) as es:
        bulk = es.post("/_bulk?refresh=true", content="\n".join(lines) + "\n",
                       headers={"Content-Type": "application/x-ndjson"})
        assert bulk.status_code == 200 and not bulk.json()["errors"], bulk.text[:500]
        pattern = f"p-{uuid.uuid4().hex[:8]}"
        created = es.post(f"{BASE}/index-pattern/{pattern}", headers=XSRF, json={
            "attributes": {"title": f"{index}*", "timeFieldName": "@timestamp"}})
        assert created.status_code == 200, created.text
        yield {"index": index, "pattern": pattern, "title": f"{index}*"}


def vis_object(es: httpx.Client, pattern: str, title: str, vis_type: str,
               aggs: list[dict[str, Any]], params: dict[str, Any] | None = None) -> str:
    """A visualization saved through the API, as OpenSearch Dashboards stores it."""
    body = {"attributes": {
        "title": title, "description": "", "version": 1, "uiStateJSON": "{}",
        "visState": json.dumps({"title": title, "type": vis_type, "params": params or {},
                                "aggs": aggs}),
        "kibanaSavedObjectMeta": {"searchSourceJSON": json.dumps({
            "query": {"query": "", "language": "kuery"}, "filter": [],
            "indexRefName": INDEX_REF})}},
        "references": [{"name": INDEX_REF, "type": "index-pattern", "id": pattern}]}
    created = es.post(f"{BASE}/visualization", headers=XSRF, json=body)
    assert created.status_code == 200, created.text
    return str(created.json()["id"])


COUNT = {"id": "1", "enabled": True, "type": "count", "schema": "metric", "params": {}}


def terms(id_: str, field: str, schema: str, size: int = 5) -> dict[str, Any]:
    return {"id": id_, "enabled": True, "type": "terms", "schema": schema,
            "params": {"field": field, "size": size, "order": "desc", "orderBy": "1"}}


def rendered(page: playwright_api.Page) -> playwright_api.Locator:
    """The visualization once its search has answered."""
    root = page.locator("#vis-chart .vis-render[aria-busy='false']")
    expect(root).to_have_count(1, timeout=20_000)
    return root


def inspect_rows(page: playwright_api.Page) -> list[list[str]]:
    """The Inspect view's data table: bucket keys (data-key) and metric values."""
    if page.locator("#vis-inspect").is_hidden():
        page.click("#vis-inspect-button")
    page.click("#vis-inspect-data")
    cells = page.locator("#vis-inspect table.vis-table tbody tr").evaluate_all(
        "rows => rows.map(r => [...r.cells].map(c => c.dataset.key ?? c.dataset.value))")
    return [list(row) for row in cells]


def flatten(aggs: dict[str, Any], names: list[str], level: dict[str, Any]) -> list[list[str]]:
    """A nested terms response as rows of [key, key, ..., doc_count]."""
    if not names:
        return [[str(level["doc_count"])]]
    rows = []
    for bucket in level[names[0]]["buckets"]:
        rows += [[str(bucket["key"]), *rest] for rest in flatten(aggs, names[1:], bucket)]
    return rows


def test_the_seed_chart_is_built_saved_and_shows_the_search_buckets(
        page: playwright_api.Page, server: Server, es: httpx.Client,
        waf: dict[str, str]) -> None:
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(server.url + "/_dashboards/#visualize")
    page.click("#vis-create")
    expect(page.locator(".vis-type")).to_have_count(10)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "visualize-create.png"))
    page.click(".vis-type[data-type='horizontal_bar']")
    page.click(f"a[data-pattern='{waf['pattern']}']")
    rendered(page)
    # Y-axis: the client IPs, ten largest by count; split series: the WAF action.
    page.click(".vis-add-bucket button[data-schema='segment']")
    page.select_option("#agg-2-field", "source.ip")
    page.fill("#agg-2-size", "10")
    page.click(".vis-add-bucket button[data-schema='group']")
    page.select_option("#agg-3-field", "event.action")
    page.keyboard.press("Control+Enter")
    expect(page.locator("#vis-chart .vis-render")).not_to_have_attribute("data-rows", "1")
    expect(page.locator("#vis-chart canvas").first).to_be_visible(timeout=20_000)
    rendered(page)

    page.click("#vis-tab-json")
    shown = json.loads(page.input_value("#vis-json"))
    assert shown == {"2": {"terms": {"field": "source.ip", "size": 10,
                                      "order": {"_count": "desc"}},
                           "aggs": {"3": {"terms": {"field": "event.action", "size": 5,
                                                    "order": {"_count": "desc"}}}}}}
    page.click("#vis-inspect-button")
    page.click("#vis-inspect-requests")
    sent = json.loads(page.locator("#vis-request").text_content() or "{}")
    assert sent["aggs"] == shown and sent["size"] == 0

    answer = es.post(f"/{waf['title']}/_search", json={"size": 0, "aggs": shown}).json()
    expected = flatten(answer["aggregations"], ["2", "3"], answer["aggregations"])
    assert len(expected) >= 10
    assert inspect_rows(page) == expected

    page.click("#vis-save-button")
    page.fill("#vis-save-title", "Top client IPs by action")
    page.click("#vis-save-confirm")
    expect(page.locator("#vis-editor-status .notice.success")).to_contain_text("Saved")
    vis_id = page.evaluate("location.hash").split("/")[-1]
    stored = es.get(f"{BASE}/visualization/{vis_id}").json()
    assert stored["references"] == [{"name": INDEX_REF, "type": "index-pattern",
                                     "id": waf["pattern"]}]
    state = json.loads(stored["attributes"]["visState"])
    assert state["type"] == "horizontal_bar" and state["title"] == "Top client IPs by action"
    assert [(a["schema"], a["type"], a["params"].get("field")) for a in state["aggs"]] == [
        ("metric", "count", None), ("segment", "terms", "source.ip"),
        ("group", "terms", "event.action")]
    source = json.loads(stored["attributes"]["kibanaSavedObjectMeta"]["searchSourceJSON"])
    assert source["indexRefName"] == INDEX_REF
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.click("#vis-inspect-button")
    page.screenshot(path=str(SHOTS / "visualize.png"))

    # The list finds it by title, and opening it shows the same buckets.
    page.goto(server.url + "/_dashboards/#visualize")
    page.fill("#vis-search", "Top client")
    expect(page.locator("#vis-list")).to_have_attribute("data-search", "Top client")
    titles = page.locator("#vis-list a.vis-title").all_text_contents()
    assert sorted(titles) == ["AWS WAF: top client IPs by action", "Top client IPs by action"]
    link = page.locator(f"tr[data-id='{vis_id}'] a.vis-title")
    page.screenshot(path=str(SHOTS / "visualize-list.png"))
    link.click()
    rendered(page)
    assert inspect_rows(page) == expected

    # Options: bars side by side, legend at the bottom; saved as a new visualization.
    page.click("#vis-tab-options")
    page.select_option("#vis-mode", "normal")
    page.select_option("#vis-legend", "bottom")
    page.click("#vis-apply")
    rendered(page)
    page.click("#vis-save-button")
    page.fill("#vis-save-title", "Top client IPs, side by side")
    page.check("#vis-save-as-new")
    page.click("#vis-save-confirm")
    expect(page.locator("#vis-editor-status .notice.success")).to_contain_text("side by side")
    copy_id = page.evaluate("location.hash").split("/")[-1]
    assert copy_id != vis_id
    copy = json.loads(es.get(f"{BASE}/visualization/{copy_id}").json()["attributes"]["visState"])
    assert copy["params"]["seriesParams"][0]["mode"] == "normal"
    assert copy["params"]["legendPosition"] == "bottom"
    assert copy["aggs"] == state["aggs"]
    original = json.loads(es.get(f"{BASE}/visualization/{vis_id}").json()["attributes"]["visState"])
    assert original["params"]["seriesParams"][0]["mode"] == "stacked"


TYPES: list[tuple[str, list[dict[str, Any]], dict[str, Any], str]] = [
    ("histogram", [COUNT, {"id": "2", "enabled": True, "type": "date_histogram",
                           "schema": "segment", "params": {"field": "@timestamp",
                                                           "interval": "auto"}},
                   terms("3", "event.action", "group")], {}, "canvas"),
    ("horizontal_bar", [COUNT, terms("2", "source.ip", "segment", 10)], {}, "canvas"),
    ("line", [COUNT, {"id": "2", "enabled": True, "type": "date_histogram",
                      "schema": "segment", "params": {"field": "@timestamp", "interval": "h"}}],
     {}, "canvas"),
    ("area", [COUNT, {"id": "2", "enabled": True, "type": "date_histogram",
                      "schema": "segment", "params": {"field": "@timestamp",
                                                      "interval": "30m"}},
              terms("3", "event.action", "group")],
     {"seriesParams": [{"mode": "stacked", "data": {"id": "1"}}]}, "canvas"),
    ("pie", [COUNT, terms("2", "http.request.method", "segment"),
             terms("3", "event.action", "split")], {"isDonut": True}, "canvas"),
    ("metric", [COUNT, {"id": "2", "enabled": True, "type": "cardinality", "schema": "metric",
                        "params": {"field": "source.ip"}}], {}, ".vis-metric"),
    ("table", [COUNT, terms("2", "event.action", "bucket"),
               {"id": "3", "enabled": True, "type": "range", "schema": "bucket",
                "params": {"field": "responseTimeMs",
                           "ranges": [{"from": 0, "to": 100}, {"from": 100}]}}], {},
     "table.vis-table"),
    ("table", [COUNT, terms("2", "source.ip", "bucket", 12)], {"perPage": 5}, ".vis-pager"),
    ("heatmap", [COUNT, {"id": "2", "enabled": True, "type": "date_histogram",
                         "schema": "segment", "params": {"field": "@timestamp",
                                                         "interval": "h"}},
                 terms("3", "event.action", "group")], {}, "canvas"),
    ("tagcloud", [COUNT, terms("2", "url.path", "segment", 20)], {}, ".tag-word"),
]


@pytest.mark.parametrize(("vis_type", "aggs", "params", "selector"), TYPES,
                         ids=[f"{t[0]}{'-paged' if t[3] == '.vis-pager' else ''}" for t in TYPES])
def test_every_type_renders_from_a_saved_object(
        page: playwright_api.Page, server: Server, es: httpx.Client, waf: dict[str, str],
        vis_type: str, aggs: list[dict[str, Any]], params: dict[str, Any],
        selector: str) -> None:
    vis_id = vis_object(es, waf["pattern"], f"{vis_type} {uuid.uuid4().hex[:6]}", vis_type,
                        aggs, params)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{server.url}/_dashboards/#visualize/edit/{vis_id}")
    root = rendered(page)
    assert root.get_attribute("data-type") == vis_type
    assert int(root.get_attribute("data-rows") or 0) > 0
    drawn = page.locator(f"#vis-chart {selector}").first
    expect(drawn).to_be_visible()
    if selector == "canvas":  # ECharts' tooltip and emphasis, under the page's CSP
        box = page.locator("#vis-chart .vis-chart").first.bounding_box() or {}
        for fx, fy in ((0.5, 0.5), (0.3, 0.3), (0.7, 0.6)):
            page.mouse.move(box["x"] + box["width"] * fx, box["y"] + box["height"] * fy)
            page.wait_for_timeout(100)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"visualize-{vis_type}.png"))
    # The chart's data is what _search answers for the aggregations sent.
    page.click("#vis-inspect-button")
    page.click("#vis-inspect-requests")
    sent = json.loads(page.locator("#vis-request").text_content() or "{}")
    shown = json.loads(page.locator("#vis-response").text_content() or "{}")
    answer = es.post(f"/{waf['title']}/_search", json=sent).json()
    assert shown["aggregations"] == answer["aggregations"]
    if selector == ".vis-pager":  # 12 rows, 5 a page
        expect(page.locator(".vis-pager")).to_contain_text("Page 1 of 3 (12 rows)")
        expect(page.locator("#vis-chart tbody tr")).to_have_count(5)
        page.click(".vis-pager button[aria-label='Next page']")
        page.click(".vis-pager button[aria-label='Next page']")
        expect(page.locator("#vis-chart tbody tr")).to_have_count(2)
    elif vis_type == "table":  # each row's count: the documents of its term and response-time range
        counts = page.locator("#vis-chart td.num").evaluate_all("tds => tds.map(td => +td.dataset.value)")
        leaves = [r["doc_count"] for t in answer["aggregations"]["2"]["buckets"]
                  for r in t["3"]["buckets"].values()]
        assert counts == leaves and sum(counts) > 0
    if vis_type == "metric":
        values = page.locator(".vis-metric").evaluate_all("ms => ms.map(m => m.dataset.value)")
        assert values[0] == str(answer["hits"]["total"]["value"]) == "600"


def coloured_pixels(page: playwright_api.Page) -> int:
    """Pixels of the map's canvas in the Yellow-to-Red schema's warm colours."""
    return int(page.locator("#vis-chart canvas").first.evaluate("""canvas => {
        const { data } = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height);
        let n = 0;
        for (let i = 0; i < data.length; i += 4) {
          if (data[i] > 200 && data[i + 1] > 60 && data[i + 2] < 140 && data[i + 3] > 0) n += 1;
        }
        return n;
    }"""))


def test_a_region_map_colours_the_countries_of_the_geoip_codes(
        page: playwright_api.Page, server: Server, es: httpx.Client,
        waf: dict[str, str]) -> None:
    field = "source.geo.country_iso_code"
    answer = es.post(f"/{waf['title']}/_search", json={
        "size": 0, "aggs": {"c": {"terms": {"field": field, "size": 50}}}}).json()
    countries = [b["key"] for b in answer["aggregations"]["c"]["buckets"]]
    assert len(countries) >= 3, answer  # the geoip processor found countries
    vis_id = vis_object(es, waf["pattern"], "Countries", "region_map",
                        [COUNT, terms("2", field, "segment", 50)],
                        {"colorSchema": "Yellow to Red"})
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{server.url}/_dashboards/#visualize/edit/{vis_id}")
    root = rendered(page)
    assert root.get_attribute("data-type") == "region_map"
    expect(page.locator("#vis-chart canvas").first).to_be_visible()
    on_map = {f["properties"]["name"] for f in json.loads(WORLD.read_text())["features"]}
    matched = set(json.loads(root.get_attribute("data-matched") or "[]"))
    assert matched == set(countries) & on_map and len(matched) >= 3
    for code in set(countries) - on_map:  # city states: too small at 1:110m
        expect(root.locator(".vis-note")).to_contain_text(code)
    page.wait_for_timeout(300)  # one animation frame for the canvas
    assert coloured_pixels(page) > 500
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "visualize-region-map.png"))


def test_the_aggregation_json_round_trips_and_names_what_it_cannot_read(
        page: playwright_api.Page, server: Server, es: httpx.Client,
        waf: dict[str, str]) -> None:
    vis_id = vis_object(es, waf["pattern"], "json edit", "histogram",
                        [COUNT, terms("2", "event.action", "segment")])
    page.goto(f"{server.url}/_dashboards/#visualize/edit/{vis_id}")
    rendered(page)
    page.click("#vis-tab-json")
    # Methods by their highest status (the metric repeated under the terms, as ES needs for
    # its order), then half hours.
    status = {"max": {"field": "http.response.status_code"}}
    edited = {"2": {"terms": {"field": "http.request.method", "size": 3,
                              "order": {"4": "desc"}},
                    "aggs": {"4": status,
                             "3": {"date_histogram": {"field": "@timestamp",
                                                      "fixed_interval": "30m",
                                                      "time_zone": "UTC", "min_doc_count": 1},
                                   "aggs": {"4": status}}}}}
    page.fill("#vis-json", json.dumps(edited))
    page.click("#vis-json-apply")
    rendered(page)
    expect(page.locator("#vis-json-status .notice")).to_have_count(0)
    page.click("#vis-tab-json")
    assert json.loads(page.input_value("#vis-json")) == edited
    # The data panel shows the aggregations read back.
    page.click("#vis-tab-data")
    assert page.input_value("#agg-2-field") == "http.request.method"
    assert page.input_value("#agg-3-interval") == "30m"
    assert page.input_value("#agg-4-field") == "http.response.status_code"
    assert page.input_value("#agg-2-orderBy") == "4"
    page.click("#vis-inspect-button")
    page.click("#vis-inspect-requests")
    sent = json.loads(page.locator("#vis-request").text_content() or "{}")
    assert sent["aggs"] == edited

    page.click("#vis-tab-json")
    page.fill("#vis-json", json.dumps({"2": {"geohash_grid": {"field": "source.geo.location"}}}))
    page.click("#vis-json-apply")
    expect(page.locator("#vis-json-status .notice.error")).to_contain_text('"geohash_grid"')


def test_errors_are_shown_with_what_to_do(
        page: playwright_api.Page, server: Server, es: httpx.Client,
        waf: dict[str, str]) -> None:
    # An average of a keyword field: the search is refused and the reason shown.
    bad = vis_object(es, waf["pattern"], "bad field", "metric", [
        {"id": "1", "enabled": True, "type": "avg", "schema": "metric",
         "params": {"field": "event.action"}}])
    page.goto(f"{server.url}/_dashboards/#visualize/edit/{bad}")
    rendered(page)
    error = page.locator("#vis-chart .vis-error")
    expect(error).to_contain_text("400")
    expect(error).to_contain_text("check the aggregation's fields")
    # The editor does not offer the keyword field for an average.
    options = page.locator("#agg-1-field option").evaluate_all("os => os.map(o => o.value)")
    assert "http.response.status_code" in options and "source.ip" not in options
    assert page.locator("#agg-1-field").input_value() == "event.action"
    # A type Loghaven does not draw is named, with the ones it does.
    tiles = vis_object(es, waf["pattern"], "tiles", "tile_map", [COUNT])
    page.goto(f"{server.url}/_dashboards/#visualize/edit/{tiles}")
    rendered(page)
    expect(page.locator("#vis-chart .vis-error")).to_contain_text('"tile_map" cannot be drawn')
    # A visualization whose index pattern is gone says what to do.
    orphan = vis_object(es, "no-such-pattern", "orphan", "metric", [COUNT])
    page.goto(f"{server.url}/_dashboards/#visualize/edit/{orphan}")
    expect(page.locator("#visualize .notice.error")).to_contain_text("Index pattern")
    expect(page.locator("#visualize .notice.error")).to_contain_text("Management")


def test_a_visualization_is_deleted_from_the_list(
        page: playwright_api.Page, server: Server, es: httpx.Client,
        waf: dict[str, str]) -> None:
    vis_id = vis_object(es, waf["pattern"], f"doomed {uuid.uuid4().hex[:6]}", "metric",
                        [COUNT])
    page.set_viewport_size({"width": 390, "height": 800})
    page.goto(server.url + "/_dashboards/#visualize")
    row = page.locator(f"tr[data-id='{vis_id}']")
    expect(row).to_have_attribute("data-type", "metric")
    row.locator("button.danger").click()
    expect(row).to_have_count(0)
    assert es.get(f"{BASE}/visualization/{vis_id}").status_code == 404


def test_a_click_on_a_bucket_filters_and_the_editor_fits_a_phone(
        page: playwright_api.Page, server: Server, es: httpx.Client,
        waf: dict[str, str]) -> None:
    vis_id = vis_object(es, waf["pattern"], "actions", "table",
                        [COUNT, terms("2", "event.action", "bucket")])
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{server.url}/_dashboards/#visualize/edit/{vis_id}")
    rendered(page)
    blocked = es.post(f"/{waf['title']}/_count",
                      json={"query": {"term": {"event.action": "BLOCK"}}}).json()["count"]
    page.locator("#vis-chart td[data-key='BLOCK'] button").click()
    expect(page.locator(".filter-pills")).to_contain_text("event.action: BLOCK")
    expect(page.locator("#vis-chart td[data-key]")).to_have_count(1)
    assert page.locator("#vis-chart td.num").get_attribute("data-value") == str(blocked)
    page.locator(".filter-pills button.pill-remove").first.click()
    expect(page.locator("#vis-chart td[data-key]")).to_have_count(2)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the editor is {width}px wide on a 390px screen"
    page.screenshot(path=str(SHOTS / "visualize-phone.png"), full_page=True)


def test_a_visualization_on_a_saved_search_and_a_kibana_6_one_render(
        page: playwright_api.Page, server: Server, es: httpx.Client,
        waf: dict[str, str]) -> None:
    blocked = es.post(f"/{waf['title']}/_count",
                      json={"query": {"term": {"event.action": "BLOCK"}}}).json()["count"]
    search = es.post(f"{BASE}/search", headers=XSRF, json={
        "attributes": {"title": "Blocked", "columns": ["_source"], "sort": [],
                       "kibanaSavedObjectMeta": {"searchSourceJSON": json.dumps({
                           "query": {"query": "event.action:BLOCK", "language": "lucene"},
                           "filter": [], "indexRefName": INDEX_REF})}},
        "references": [{"name": INDEX_REF, "type": "index-pattern", "id": waf["pattern"]}]})
    assert search.status_code == 200, search.text
    on_search = es.post(f"{BASE}/visualization", headers=XSRF, json={
        "attributes": {"title": "Blocked count", "savedSearchRefName": "search_0",
                       "uiStateJSON": "{}", "description": "", "version": 1,
                       "visState": json.dumps({"title": "Blocked count", "type": "metric",
                                               "params": {}, "aggs": [COUNT]}),
                       "kibanaSavedObjectMeta": {"searchSourceJSON": json.dumps(
                           {"query": {"query": "", "language": "kuery"}, "filter": []})}},
        "references": [{"name": "search_0", "type": "search", "id": search.json()["id"]}]})
    assert on_search.status_code == 200, on_search.text
    page.goto(f"{server.url}/_dashboards/#visualize/edit/{on_search.json()['id']}")
    rendered(page)
    expect(page.locator("#vis-chart .vis-metric")).to_have_attribute("data-value", str(blocked))

    # Kibana 6: the pattern's id inside searchSourceJSON, a custom interval, "_term" order.
    kibana6 = es.post(f"{BASE}/visualization", headers=XSRF, json={"attributes": {
        "title": "K6", "uiStateJSON": "{}", "description": "", "version": 1,
        "visState": json.dumps({"title": "K6", "type": "table", "params": {"perPage": 10},
                                "aggs": [COUNT,
                                         {"id": "2", "enabled": True, "type": "terms",
                                          "schema": "bucket",
                                          "params": {"field": "event.action", "size": 5,
                                                     "order": "asc", "orderBy": "_term"}},
                                         {"id": "3", "enabled": True,
                                          "type": "date_histogram", "schema": "bucket",
                                          "params": {"field": "@timestamp",
                                                     "interval": "custom",
                                                     "customInterval": "2h"}}]}),
        "kibanaSavedObjectMeta": {"searchSourceJSON": json.dumps({
            "index": waf["pattern"], "query": {"query": "", "language": "lucene"},
            "filter": []})}}})
    assert kibana6.status_code == 200, kibana6.text
    page.goto(f"{server.url}/_dashboards/#visualize/edit/{kibana6.json()['id']}")
    rendered(page)
    page.click("#vis-tab-json")
    shown = json.loads(page.input_value("#vis-json"))
    assert shown["2"]["terms"]["order"] == {"_key": "asc"}
    assert shown["2"]["aggs"]["3"]["date_histogram"]["fixed_interval"] == "2h"
    keys = page.locator("#vis-chart tbody tr td:first-child").evaluate_all(
        "tds => [...new Set(tds.map(td => td.dataset.key))]")
    assert keys == ["ALLOW", "BLOCK"]


BUILTIN = Path(__file__).resolve().parents[2] / "src/loghaven/dashboards/builtin"


def builtin_visualizations(name: str) -> list[str]:
    objects = [json.loads(line) for line in (BUILTIN / name).read_text().splitlines() if line]
    return [o["id"] for o in objects if o["type"] == "visualization"]


@pytest.mark.parametrize("vis_id", builtin_visualizations("aws_waf.ndjson"))
def test_the_builtin_waf_visualizations_render_the_search_buckets(
        page: playwright_api.Page, server: Server, es: httpx.Client, waf: dict[str, str],
        vis_id: str) -> None:
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{server.url}/_dashboards/#visualize/edit/{vis_id}")
    root = rendered(page)
    assert int(root.get_attribute("data-rows") or 0) > 0
    expect(page.locator("#vis-chart .vis-error")).to_have_count(0)
    page.click("#vis-inspect-button")
    page.click("#vis-inspect-requests")
    sent = json.loads(page.locator("#vis-request").text_content() or "{}")
    shown = json.loads(page.locator("#vis-response").text_content() or "{}")
    assert shown["aggregations"] == es.post("/awswaf-*/_search", json=sent).json()["aggregations"]
    if root.get_attribute("data-type") == "region_map":
        assert len(json.loads(root.get_attribute("data-matched") or "[]")) >= 3


@pytest.mark.parametrize("vis_id", builtin_visualizations("pci_dss.ndjson"))
def test_the_builtin_pci_dss_visualizations_say_when_there_is_no_data(
        page: playwright_api.Page, server: Server, vis_id: str) -> None:
    page.goto(f"{server.url}/_dashboards/#visualize/edit/{vis_id}")
    rendered(page)
    expect(page.locator("#vis-chart .vis-empty")).to_contain_text("No results")
