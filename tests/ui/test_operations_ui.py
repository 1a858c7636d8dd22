"""The Operations page in a real browser (Debian's Chromium driven by Playwright): its figures
are _nodes/stats' (node name, documents), the charts appear once two samples are taken, the
indexing rate rises above zero while documents are bulk-loaded during the test, and sampling
stops when another page is shown. `#operations?every=1` samples every second."""

from __future__ import annotations

import httpx
from playwright import sync_api as playwright_api
from playwright.sync_api import expect

from conftest import Server
from ui.test_indices_ui import SCREENSHOTS, bulk


def node_stats(es: httpx.Client) -> dict:
    return next(iter(es.get("/_nodes/stats").json()["nodes"].values()))


def test_figures_match_node_stats_and_the_indexing_rate_rises(
        page: playwright_api.Page, server: Server, es: httpx.Client, index_name: str) -> None:
    page.goto(f"{server.url}/_dashboards/#operations?every=1")
    stats = node_stats(es)
    expect(page.locator("[data-figure='node'] .card-value")).to_have_text(stats["name"])
    expect(page.locator("[data-figure='health'] .card-value")).to_contain_text(
        es.get("/_cluster/health").json()["status"])
    for round_ in range(4):  # documents arrive while the page samples
        bulk(es, index_name, [{"round": round_, "n": i} for i in range(250)])
        page.wait_for_timeout(400)
    expect(page.locator("#ops-chart-indexing canvas")).to_have_count(1, timeout=15_000)
    expect(page.locator("#ops-waiting")).to_be_hidden()
    peak = page.locator("[data-figure='indexing-rate'] .card-sub")
    expect(peak).not_to_contain_text("peak 0 docs/s", timeout=15_000)
    assert float(peak.inner_text().split("peak ")[1].split(" ")[0].replace(",", "")) > 0
    docs = node_stats(es)["indices"]["docs"]["count"]
    assert docs >= 1000
    documents = page.locator("[data-figure='documents'] .card-value")
    expect(documents).to_have_text(f"{docs:,}", timeout=15_000)
    expect(page.locator("#ops-jobs tr[data-job='engine.refresh']")).to_be_visible()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "operations.png"), full_page=True)

    sampled: list[str] = []
    page.on("request", lambda r: sampled.append(r.url) if "/_nodes/stats" in r.url else None)
    page.goto(f"{server.url}/_dashboards/#overview")
    page.wait_for_timeout(2500)  # more than two periods
    assert sampled == []


def test_the_page_reads_at_phone_width(page: playwright_api.Page, server: Server) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{server.url}/_dashboards/#operations?every=1")
    expect(page.locator("#ops-chart-cpu canvas")).to_have_count(1, timeout=15_000)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, width
    box = page.locator("#ops-chart-cpu").bounding_box()
    assert box is not None and box["width"] > 250
