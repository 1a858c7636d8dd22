"""The alerting trigger editor in Chromium: the value each trigger's condition sees now and
whether it would fire, from a dry run of the monitor as edited (POST
_plugins/_alerting/monitors/_execute?dryrun=true), for a visual-graph monitor (new and
edited) and an extraction query; each verdict matches _execute answered through the API."""

from __future__ import annotations

import datetime
import json
from pathlib import Path

import httpx
from playwright import sync_api as playwright_api
from playwright.sync_api import expect

from conftest import Server

MONITORS = "/_plugins/_alerting/monitors"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "build" / "screenshots"


def seed(es: httpx.Client, index: str, readings: tuple[float, ...]) -> None:
    now = datetime.datetime.now(datetime.UTC).isoformat()
    lines = "".join(json.dumps({"index": {}}) + "\n" + json.dumps({"@timestamp": now, "cpu": cpu})
                    + "\n" for cpu in readings)
    assert es.post(f"/{index}/_bulk?refresh=true", content=lines,
                   headers={"content-type": "application/x-ndjson"}).status_code == 200


def dry_run(es: httpx.Client, monitor: dict) -> dict:
    """The API's answer for the monitor the form builds (read from its "Edit as JSON"): the
    body is the monitor, as OpenSearch takes it; the stored form {"monitor": ...} answers the
    same."""
    answer = es.post(f"{MONITORS}/_execute?dryrun=true", json=monitor)
    assert answer.status_code == 200, answer.text
    wrapped = es.post(f"{MONITORS}/_execute?dryrun=true", json={"monitor": monitor}).json()
    verdicts = [(r["name"], r.get("triggered"), r["error"])
                for r in answer.json()["trigger_results"].values()]
    assert verdicts == [(r["name"], r.get("triggered"), r["error"])
                        for r in wrapped["trigger_results"].values()]
    return answer.json()


def form_monitor(page: playwright_api.Page) -> dict:
    page.click("#graph-as-json")
    return json.loads(page.input_value("#monitor-json"))


def test_the_graph_trigger_shows_its_value_and_whether_it_would_fire(
        page: playwright_api.Page, server: Server, es: httpx.Client, index_name: str) -> None:
    seed(es, f"{index_name}-iot", (55.0, 96.0))
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(server.url + "/_dashboards/#alerting/monitors/new")
    preview = page.locator("#graph-preview")
    page.fill("#graph-name", f"CPU of {index_name}")
    page.fill("#graph-indices", f"{index_name}*")
    page.fill("#graph-fieldName", "cpu")
    page.fill("#graph-bucketValue", "10")
    page.fill("#graph-triggerName", "CPU too high")
    page.fill("#graph-threshold", "90")  # the condition changed: the preview follows
    trigger = preview.locator(".preview-trigger[data-trigger-name='CPU too high']")
    expect(trigger.locator(".tag")).to_have_text("Would fire")
    expect(trigger.locator(".preview-value")).to_have_text(
        "ctx.results[0].aggregations.metric.value = 96")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.locator("#alerting h2").scroll_into_view_if_needed()
    page.screenshot(path=str(SCREENSHOTS / "alerting.png"))
    answer = dry_run(es, form_monitor(page))
    (result,) = answer["trigger_results"].values()
    assert result["triggered"] is True
    assert answer["input_results"]["results"][0]["aggregations"]["metric"]["value"] == 96

    page.fill("#graph-threshold", "100")
    expect(trigger.locator(".tag")).to_have_text("Would not fire")
    expect(trigger.locator(".preview-value")).to_have_text(
        "ctx.results[0].aggregations.metric.value = 96")
    (result,) = dry_run(es, form_monitor(page))["trigger_results"].values()
    assert result["triggered"] is False

    # "count of" with no field: the hits are counted.
    page.select_option("#graph-aggregation", "count")
    page.fill("#graph-fieldName", "")
    page.fill("#graph-threshold", "1")
    expect(trigger.locator(".preview-value")).to_have_text("ctx.results[0].hits.total.value = 2")
    expect(trigger.locator(".tag")).to_have_text("Would fire")
    (result,) = dry_run(es, form_monitor(page))["trigger_results"].values()
    assert result["triggered"] is True

    # Saved, then edited in the same form: the preview runs as it opens.
    page.click("#create-graph-monitor")
    row = page.locator("tr", has=page.locator("strong", has_text=f"CPU of {index_name}"))
    monitor_id = row.get_attribute("data-monitor")
    stored = es.get(f"{MONITORS}/{monitor_id}").json()["monitor"]
    trigger_id = stored["triggers"][0]["query_level_trigger"]["id"]
    row.get_by_role("link", name="Edit").click()
    expect(page.locator("#graph-threshold")).to_have_value("1")
    expect(page.locator("#graph-aggregation")).to_have_value("count")
    expect(trigger.locator(".tag")).to_have_text("Would fire")
    page.select_option("#graph-operator", "BELOW")
    expect(trigger.locator(".tag")).to_have_text("Would not fire")
    page.click("#save-graph-monitor")
    expect(page.locator(f"tr[data-monitor='{monitor_id}']")).to_be_visible()
    saved = es.get(f"{MONITORS}/{monitor_id}").json()["monitor"]
    condition = saved["triggers"][0]["query_level_trigger"]
    assert condition["id"] == trigger_id  # the same trigger: its alerts stay its own
    assert condition["condition"]["script"]["source"] == "ctx.results[0].hits.total.value < 1"
    (result,) = es.post(f"{MONITORS}/{monitor_id}/_execute?dryrun=true").json()[
        "trigger_results"].values()
    assert result["triggered"] is False


def extraction_monitor(index: str, condition: str) -> dict:
    return {"type": "monitor", "monitor_type": "query_level_monitor", "name": "busy hosts",
            "schedule": {"period": {"interval": 5, "unit": "MINUTES"}},
            "inputs": [{"search": {"indices": [f"{index}*"], "query": {
                "size": 0, "query": {"range": {"cpu": {"gte": 50}}}}}}],
            "triggers": [{"query_level_trigger": {"name": "many readings", "severity": "2",
                                                  "condition": {"script": {
                                                      "source": condition,
                                                      "lang": "painless"}}}}]}


def test_the_extraction_query_trigger_shows_its_value_and_its_script_error(
        page: playwright_api.Page, server: Server, es: httpx.Client, index_name: str) -> None:
    seed(es, f"{index_name}-iot", (55.0, 96.0, 12.0))
    page.goto(server.url + "/_dashboards/#alerting/monitors/new")
    preview = page.locator("#monitor-json-preview")
    trigger = preview.locator(".preview-trigger[data-trigger-name='many readings']")
    for condition, verdict in (("ctx.results[0].hits.total.value > 1", "Would fire"),
                               ("ctx.results[0].hits.total.value > 5", "Would not fire")):
        monitor = extraction_monitor(index_name, condition)
        page.fill("#monitor-json", json.dumps(monitor, indent=2))
        expect(trigger.locator(".tag")).to_have_text(verdict)
        expect(trigger.locator(".preview-value")).to_have_text(
            "ctx.results[0].hits.total.value = 2")
        (result,) = dry_run(es, monitor)["trigger_results"].values()
        assert result["triggered"] is (verdict == "Would fire")
    page.click("#monitor-json-preview-condition")  # on demand: the same answer
    expect(trigger.locator(".tag")).to_have_text("Would not fire")
    preview.locator(".preview-results summary").click()
    excerpt = json.loads(preview.locator(".preview-results pre").inner_text())
    assert excerpt["hits"]["total"] == {"value": 2, "relation": "eq"}

    # A condition the script cannot evaluate: the server's error, not a verdict.
    broken = extraction_monitor(index_name, "ctx.results[0].nothing.value > 1")
    page.fill("#monitor-json", json.dumps(broken))
    expect(trigger.locator(".tag")).to_have_text("Error")
    (result,) = dry_run(es, broken)["trigger_results"].values()
    assert result["error"]
    expect(trigger.locator(".preview-error")).to_have_text(result["error"])
    expect(trigger.locator(".preview-value")).to_have_text(
        "ctx.results[0].nothing.value = (not in the response)")
    page.fill("#monitor-json", "{not json")
    expect(preview.locator(".preview-triggers")).to_contain_text("The JSON is not valid")


def test_the_extraction_query_form_previews_each_trigger_and_edits_them(
        page: playwright_api.Page, server: Server, es: httpx.Client, index_name: str) -> None:
    seed(es, f"{index_name}-iot", (55.0, 96.0, 12.0))
    page.goto(server.url + "/_dashboards/#alerting/monitors/new")
    page.check("#method-query")
    expect(page.locator("#monitor-graph-form")).to_be_hidden()
    page.fill("#query-name", f"hot {index_name}")
    page.fill("#query-indices", f"{index_name}*")
    page.fill("#query-body", json.dumps({"size": 0, "query": {"range": {"cpu": {"gte": 50}}},
                                         "aggs": {"hottest": {"max": {"field": "cpu"}}}}))
    page.fill("#query-trigger-name-0", "two hot readings")
    page.fill("#query-trigger-condition-0", "ctx.results[0].hits.total.value >= 2")
    page.click("#query-add-trigger")
    page.fill("#query-trigger-name-1", "very hot")
    page.fill("#query-trigger-condition-1", "ctx.results[0].aggregations.hottest.value > 99")
    preview = page.locator("#query-preview")
    first = preview.locator(".preview-trigger[data-trigger-name='two hot readings']")
    second = preview.locator(".preview-trigger[data-trigger-name='very hot']")
    expect(first.locator(".tag")).to_have_text("Would fire")
    expect(first.locator(".preview-value")).to_have_text("ctx.results[0].hits.total.value = 2")
    expect(second.locator(".tag")).to_have_text("Would not fire")
    expect(second.locator(".preview-value")).to_have_text(
        "ctx.results[0].aggregations.hottest.value = 96")
    page.click("#query-as-json")
    built = json.loads(page.input_value("#monitor-json"))
    assert [r["triggered"] for r in dry_run(es, built)["trigger_results"].values()] == [True, False]

    page.click("#create-query-monitor")
    row = page.locator("tr", has=page.locator("strong", has_text=f"hot {index_name}"))
    monitor_id = row.get_attribute("data-monitor")
    stored = es.get(f"{MONITORS}/{monitor_id}").json()["monitor"]
    ids = [t["query_level_trigger"]["id"] for t in stored["triggers"]]
    assert len(ids) == 2

    row.get_by_role("link", name="Edit").click()
    expect(page.locator("#query-trigger-condition-1")).to_have_value(
        "ctx.results[0].aggregations.hottest.value > 99")
    expect(second.locator(".tag")).to_have_text("Would not fire")
    page.fill("#query-trigger-condition-1", "ctx.results[0].aggregations.hottest.value > 90")
    expect(second.locator(".tag")).to_have_text("Would fire")
    page.click("#save-query-monitor")
    expect(page.locator(f"tr[data-monitor='{monitor_id}']")).to_be_visible()
    saved = es.get(f"{MONITORS}/{monitor_id}").json()["monitor"]
    assert [t["query_level_trigger"]["id"] for t in saved["triggers"]] == ids
    run = es.post(f"{MONITORS}/{monitor_id}/_execute?dryrun=true").json()
    assert [r["triggered"] for r in run["trigger_results"].values()] == [True, True]
