"""The Operations tabs in a real browser (Debian's Chromium driven by Playwright), over a
server of this module's own: the metrics history and the error and slow logs are ordinary
hidden indices (.loghaven-metrics-*, .loghaven-logs-*), so the test writes a known history
into yesterday's indices over HTTP (the node itself only ever writes today's) and reads the
charts' figures and the log table back; each tab says what to do next when its data or API is
not there; the Node tab stops sampling when another tab is shown; every tab reads at phone
width (390 px)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
from playwright import sync_api as playwright_api
from playwright.sync_api import expect

from conftest import Server
from ui.test_indices_ui import SCREENSHOTS, bulk

#: Yesterday 10:00 UTC: the seeded window starts here and lasts 90 minutes.
START = (datetime.now(UTC) - timedelta(days=1)).replace(hour=10, minute=0, second=0, microsecond=0)
DAY = START.strftime("%Y.%m.%d")
WINDOW = {"from": START.isoformat().replace("+00:00", "Z"),
          "to": (START + timedelta(minutes=90)).isoformat().replace("+00:00", "Z")}
TABS = ["node", "metrics", "alarms", "reports", "logs"]


def hash_with_time(tab: str, time_range: dict[str, str] = WINDOW, **params: str) -> str:
    parts = [f"time={quote(json.dumps(time_range))}"] + [f"{k}={quote(json.dumps(v))}" for k, v in params.items()]
    return f"#operations/{tab}?{'&'.join(parts)}"


@pytest.fixture(scope="module", name="server")
def ops_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """``server`` here: one of this module's own, with the seeded history and logs."""
    instance = Server(tmp_path_factory.mktemp("ops") / "data").start()
    with httpx.Client(base_url=instance.url, timeout=30) as es:
        seed_metrics(es)
        seed_logs(es)
    yield instance
    instance.stop()


def seed_metrics(es: httpx.Client) -> None:
    """90 one-minute samples of two nodes: node-a's free storage falls 10 MB a minute from
    30,000 MB, node-b's stays at 40,000 (of 100,000); memory pressure 50% and 70%; the cluster
    is yellow from minute 30 to 39."""
    index = f".loghaven-metrics-{DAY}"
    mapping = {"node_id": {"type": "keyword"}, "node_name": {"type": "keyword"}, "@timestamp": {"type": "date"}}
    answer = es.put(f"/{index}", json={"settings": {"index.hidden": True}, "mappings": {"properties": mapping}})
    assert answer.status_code == 200, answer.text
    docs = []
    for minute in range(90):
        yellow = int(30 <= minute < 40)
        for node, free, pressure in (("a", 30_000 - 10 * minute, 50), ("b", 40_000, 70)):
            docs.append({
                "@timestamp": int((START + timedelta(minutes=minute)).timestamp() * 1000),
                "node_id": f"id-{node}", "node_name": f"node-{node}",
                "ClusterStatus.green": 1 - yellow, "ClusterStatus.yellow": yellow, "ClusterStatus.red": 0,
                "FreeStorageSpace": free, "StorageSpaceTotal": 100_000, "ClusterUsedSpace": 12,
                "ClusterIndexWritesBlocked": 0, "JVMMemoryPressure": pressure, "CPUUtilization": 20,
                "SearchRate": 6, "IndexingRate": 120, "SearchLatency": 3.5, "IndexingLatency": 1.25,
                "Nodes": 1, "SearchableDocuments": 1000, "DeletedDocuments": 0})
    bulk(es, index, docs)


#: (log, level, index, took) of the seeded entries, a minute apart, newest last.
ENTRIES = [("search", "WARN", "app-a", 900), ("search", "WARN", "app-b", 700),
           ("search", "INFO", "app-a", 300), ("indexing", "WARN", "app-b", 650),
           ("server", "ERROR", None, None), ("search", "WARN", "app-a", 1200),
           ("indexing", "INFO", "app-a", 210), ("server", "WARN", None, None)]


def seed_logs(es: httpx.Client) -> None:
    for n, (log, level, index, took) in enumerate(ENTRIES):
        entry = {"@timestamp": (START + timedelta(minutes=n)).isoformat(), "level": level,
                 "logger": f"index.{log}.slowlog" if log != "server" else "loghaven.api.http",
                 "message": f"{log} entry {n}", "client": {"address": "127.0.0.1"},
                 "user": "admin", "x_opaque_id": f"req-{n}"}
        if log != "server":
            entry.update(index=index, took_millis=took, total_hits=n * 10,
                         source=json.dumps({"query": {"match": {"message": f"needle-{n}"}}}))
        if level == "ERROR":
            entry.update(message="GET /app-z/_search failed: 500",
                         stacktrace="Traceback (most recent call last):\n  File \"search.py\", line 1\nRuntimeError: boom")
        bulk(es, f".loghaven-logs-{log}-{DAY}", [entry])


def test_tabs_route_and_the_node_tab_stops_sampling_when_left(server: Server, page: playwright_api.Page) -> None:
    page.goto(f"{server.url}/_dashboards/#operations?every=1")
    expect(page.locator("#operations-nav a.active")).to_have_text("Node")
    expect(page.locator("[data-figure='node'] .card-value")).not_to_be_empty()
    page.click("#operations-nav a[data-page='metrics']")
    expect(page).to_have_url(f"{server.url}/_dashboards/#operations/metrics")
    expect(page.locator("#operations-nav a.active")).to_have_text("Metrics")
    expect(page.locator("#operations-nav a[aria-current='page']")).to_have_text("Metrics")
    sampled: list[str] = []
    page.on("request", lambda r: sampled.append(r.url) if "/_nodes/stats" in r.url else None)
    page.wait_for_timeout(2500)  # more than two periods of the Node tab
    assert sampled == []
    for tab in TABS:  # every tab is reached by its link
        page.click(f"#operations-nav a[data-page='{tab}']")
        expect(page.locator("#operations-nav a.active")).to_have_attribute("data-page", tab)


def test_metrics_chart_the_history_with_the_free_storage_threshold(server: Server, page: playwright_api.Page) -> None:
    page.goto(f"{server.url}/_dashboards/{hash_with_time('metrics')}")
    expect(page.locator("#metrics-summary")).to_have_text(
        "180 samples of 2 node(s) in .loghaven-metrics-*, " + page.locator(".time-button").inner_text().strip(" ◷↻") + ", per 5m.")
    expect(page.locator("#metrics-charts canvas")).to_have_count(6, timeout=15_000)
    storage = page.locator("[data-chart='storage'] .chart-latest")
    expect(storage).to_contain_text("free (minimum): latest 29,110 MB, peak 29,960 MB")
    expect(page.locator("[data-chart='jvm'] .chart-latest")).to_contain_text("maximum: latest 70 %, peak 70 %")
    expect(page.locator("[data-chart='jvm'] .chart-latest")).to_contain_text("average: latest 60 %")
    expect(page.locator("[data-chart='rates'] .chart-latest")).to_contain_text("documents indexed: latest 120 per minute")
    expect(page.locator("[data-chart='latency'] .chart-latest")).to_contain_text("indexing: latest 1.3 ms")  # 1.25, one digit
    status = page.locator("[data-chart='status'] .chart-latest")
    expect(status).to_contain_text("yellow: in 2 of 18 intervals")
    expect(status).to_contain_text("red: in 0 of 18 intervals")
    expect(page.locator("#metrics-empty")).to_have_count(0)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "operations-metrics.png"), full_page=True)

    # The time picker: a quick range goes into the URL and is searched.
    page.click(".time-button")
    page.click("button.quick-range:has-text('Last 7 days')")
    expect(page).to_have_url(f"{server.url}/_dashboards/#operations/metrics?time=%7B%22from%22%3A%22now-7d%22%2C%22to%22%3A%22now%22%7D&refresh=%7B%22pause%22%3Atrue%2C%22value%22%3A0%7D")
    expect(page.locator("#metrics-summary")).to_contain_text("Last 7 days, per 3h.")


def test_metrics_outside_the_history_say_where_the_latest_sample_is(server: Server, page: playwright_api.Page) -> None:
    before = {"from": (START - timedelta(days=3)).isoformat(), "to": (START - timedelta(days=2)).isoformat()}
    page.goto(f"{server.url}/_dashboards/{hash_with_time('metrics', before)}")
    empty = page.locator("#metrics-empty")
    expect(empty).to_contain_text("No samples in this time range: the latest is from")
    expect(empty).to_contain_text("Choose a time range that includes it.")
    expect(page.locator("[data-chart='storage']")).to_be_hidden()


def test_logs_filter_by_log_level_index_and_text_and_expand_to_the_body(server: Server, page: playwright_api.Page) -> None:
    page.goto(f"{server.url}/_dashboards/{hash_with_time('logs')}")
    rows = page.locator("#logs-results tbody tr:not(.log-detail)")
    expect(page.locator("#logs-count")).to_have_text("8 entries.")
    expect(rows).to_have_count(8)
    expect(rows.first).to_contain_text("server entry 7")  # newest first
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "operations-logs.png"), full_page=True)

    page.select_option("#logs-level", "ERROR")
    expect(rows).to_have_count(1)
    expect(rows.first).to_have_attribute("data-log", "server")
    rows.first.locator(".log-expand").click()
    expect(page.locator(".log-stacktrace")).to_contain_text("RuntimeError: boom")
    expect(page.locator(".log-detail")).to_contain_text("Client address127.0.0.1")
    assert "level=%22ERROR%22" in page.url

    page.select_option("#logs-level", "")
    page.select_option("#logs-log", "search")
    expect(rows).to_have_count(4)
    assert {rows.nth(i).get_attribute("data-log") for i in range(4)} == {"search"}
    page.fill("#logs-index", "app-a")
    page.click("#logs-search")
    expect(rows).to_have_count(3)
    slowest = rows.filter(has_text="1200")
    expect(slowest).to_contain_text("app-a")
    slowest.locator(".log-expand").click()
    body = page.locator(".log-source")
    expect(body).to_contain_text('"needle-5"')
    assert json.loads(body.inner_text()) == {"query": {"match": {"message": "needle-5"}}}
    expect(page.locator(".log-detail")).to_contain_text("X-Opaque-Idreq-5")

    page.fill("#logs-query", "needle-2")
    page.click("#logs-search")
    expect(rows).to_have_count(1)
    page.fill("#logs-query", "nothing-like-this")
    page.click("#logs-search")
    expect(page.locator("#logs-empty")).to_contain_text("No log entries match these filters")


#: OpenSearch's answer to a route it does not have, as a server without the API gives it.
NO_HANDLER = {"error": {"root_cause": [{"type": "illegal_argument_exception",
                                        "reason": "no handler found for uri [{uri}] and method [GET]"}],
                        "type": "illegal_argument_exception",
                        "reason": "no handler found for uri [{uri}] and method [GET]"}, "status": 400}


def as_older_server(page: playwright_api.Page, prefix: str) -> None:
    """Answer the routes under `prefix` as a server without that API does (the 400 above)."""
    def answer(route: playwright_api.Route) -> None:
        body = json.dumps(NO_HANDLER).replace("{uri}", prefix)
        route.fulfill(status=400, content_type="application/json", body=body)
    page.route(f"**{prefix}**", answer)


def test_alarms_and_reports_say_when_the_server_has_no_such_api(server: Server, page: playwright_api.Page) -> None:
    as_older_server(page, "/_plugins/_loghaven/alarms")
    as_older_server(page, "/_plugins/_reports")
    page.goto(f"{server.url}/_dashboards/#operations/alarms")
    expect(page.locator("#alarms-empty")).to_contain_text("This server has no alarms API (GET /_plugins/_loghaven/alarms).")
    page.click("#operations-nav a[data-page='reports']")
    expect(page.locator("#reports-empty")).to_contain_text("This server has no reports API (_plugins/_reports).")
    # without the alarms' thresholds, the free storage chart draws the default: 20% of storage
    page.goto(f"{server.url}/_dashboards/{hash_with_time('metrics')}")
    expect(page.locator("[data-chart='storage'] .chart-latest")).to_contain_text("20% of storage (default threshold): 20,000 MB")


@pytest.mark.parametrize("tab", TABS)
def test_each_tab_reads_at_phone_width(server: Server, page: playwright_api.Page, tab: str) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{server.url}/_dashboards/{hash_with_time(tab)}")
    expect(page.locator("#operations-nav a.active")).to_have_attribute("data-page", tab)
    ready = {"node": "#ops-cards .card", "metrics": "#metrics-charts canvas", "alarms": "#operations-page > *",
             "reports": "#operations-page > *", "logs": "#logs-count"}[tab]
    expect(page.locator(ready).first).to_be_attached(timeout=15_000)
    page.wait_for_timeout(300)  # charts resized to the width
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, width
    if tab == "metrics":
        box = page.locator("#metrics-chart-storage").bounding_box()
        assert box is not None and box["width"] > 250
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"operations-{tab}-phone.png"), full_page=True)


def test_a_new_server_says_what_fills_the_metrics_and_logs(tmp_path: Path, page: playwright_api.Page) -> None:
    """A server of its own that samples once an hour, its history deleted: nothing yet."""
    fresh = Server(tmp_path / "data", env={"LOGHAVEN_OPS_METRICS_INTERVAL": "1h"}).start()
    try:
        # A node with the error log writes its start-up warnings (security off) within a
        # second or so: let them land, then delete what there is.
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and not httpx.post(
                f"{fresh.url}/.loghaven-logs-*/_search", json={"size": 0}, timeout=30).json()["hits"]["total"]["value"]:
            time.sleep(0.25)
        httpx.delete(f"{fresh.url}/.loghaven-metrics-*,.loghaven-logs-*?expand_wildcards=all", timeout=30)
        page.goto(f"{fresh.url}/_dashboards/#operations/metrics")
        expect(page.locator("#metrics-empty")).to_contain_text(
            "No metrics history yet: samples are taken every minute (ops.metrics.interval)")
        page.click("#operations-nav a[data-page='logs']")
        expect(page.locator("#logs-empty")).to_contain_text("No logs yet: the error log (WARN and above) and the slow logs")
        expect(page.locator("#logs-empty")).to_contain_text("index.search.slowlog.threshold.query.warn")
    finally:
        fresh.stop()
