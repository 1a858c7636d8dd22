"""The Metrics and Logs tabs end to end in Chromium against what the node itself records:
the metrics history it samples (every second here) and the search slow log of a real
search."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest
from playwright import sync_api as playwright_api
from playwright.sync_api import expect

from conftest import Server, wait_for
from ui.test_indices_ui import bulk


@pytest.fixture(scope="module", name="server")
def ops_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """``server`` here: one of this module's own that samples its metrics every second."""
    instance = Server(tmp_path_factory.mktemp("ops-history") / "data",
                      env={"LOGHAVEN_OPS_METRICS_INTERVAL": "1s"}).start()
    yield instance
    instance.stop()


def samples(es: httpx.Client) -> int:
    answer = es.post("/.loghaven-metrics-*/_search", json={"size": 0, "track_total_hits": True})
    return answer.json()["hits"]["total"]["value"]


def test_metrics_chart_what_the_node_samples(server: Server, es: httpx.Client, page: playwright_api.Page) -> None:
    wait_for(lambda: samples(es) >= 3, 60, "three samples in the metrics history")
    page.goto(f"{server.url}/_dashboards/#operations/metrics")
    expect(page.locator("#metrics-summary")).to_contain_text("of 1 node(s) in .loghaven-metrics-*, Last 24 hours, per 30m.")
    expect(page.locator("#metrics-charts canvas")).to_have_count(6, timeout=15_000)
    free_mb = es.post("/.loghaven-metrics-*/_search", json={
        "size": 0, "aggs": {"free": {"min": {"field": "FreeStorageSpace"}}}}).json()["aggregations"]["free"]["value"]
    # one bucket of 30 minutes: its minimum is the history's (to a tenth, as shown)
    shown = page.locator("[data-chart='storage'] .chart-latest li").first.inner_text()
    latest = float(shown.split("latest ")[1].split(" MB")[0].replace(",", ""))
    assert abs(latest - free_mb) <= 0.1 or latest < free_mb, (shown, free_mb)  # a new sample may be lower
    expect(page.locator("[data-chart='status'] .chart-latest")).to_contain_text("green: in 1 of 1 intervals, now")



def test_the_search_slow_log_shows_a_search_with_its_body(server: Server, es: httpx.Client, index_name: str,
                                                          page: playwright_api.Page) -> None:
    assert es.put(f"/{index_name}", json={"settings": {"index.search.slowlog.threshold.query.warn": "0ms"}}).status_code == 200
    bulk(es, index_name, [{"message": "needle in the log"}])
    found = es.post(f"/{index_name}/_search", json={"query": {"match": {"message": "needle"}}},
                    headers={"X-Opaque-Id": "ops-ui-test"})
    assert found.status_code == 200
    wait_for(lambda: es.post("/.loghaven-logs-search-*/_search", json={
        "size": 0, "query": {"term": {"index": index_name}}}).json()["hits"]["total"]["value"], 30, "the slow log entry")
    page.goto(f"{server.url}/_dashboards/#operations/logs?log=%22search%22&index=%22{index_name}%22")
    rows = page.locator("#logs-results tbody tr:not(.log-detail)")
    expect(rows).to_have_count(1)
    expect(rows.first).to_have_attribute("data-level", "WARN")
    expect(rows.first).to_contain_text(index_name)
    rows.first.locator(".log-expand").click()
    assert json.loads(page.locator(".log-source").inner_text()) == {"query": {"match": {"message": "needle"}}}
    expect(page.locator(".log-detail")).to_contain_text("X-Opaque-Idops-ui-test")
