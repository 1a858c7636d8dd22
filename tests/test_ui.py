"""The web UI in a real browser (Debian's Chromium driven by Playwright)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import httpx
import pytest
from playwright import sync_api as playwright_api

from conftest import Server

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with playwright_api.sync_playwright() as p:
        instance = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield instance
        instance.close()


def test_overview_lists_indices_and_health(browser, server: Server, es: httpx.Client,
                                           index_name: str, tmp_path) -> None:
    es.post(f"/{index_name}/_bulk?refresh=true", content=b'{"index":{}}\n{"a":1}\n'
            b'{"index":{}}\n{"a":2}\n{"index":{}}\n{"a":3}\n',
            headers={"content-type": "application/x-ndjson"})
    page = browser.new_page()
    page.goto(server.url + "/_dashboards")
    row = page.locator("#indices tbody tr", has_text=index_name)
    row.wait_for()
    assert row.locator("td").nth(3).inner_text() == "3"
    assert page.locator("#health").inner_text() == "green"
    page.screenshot(path=str(tmp_path / "overview.png"))
    page.close()


def test_console_sends_requests_and_shows_errors(browser, server: Server,
                                                 index_name: str) -> None:
    page = browser.new_page()
    page.goto(server.url + "/_dashboards/#console")
    page.fill("#request", f'PUT {index_name}/_doc/1\n{{"message": "from the console"}}')
    page.click("#send")
    # Locator assertions run in Playwright's own world: the UI's CSP forbids the page eval.
    playwright_api.expect(page.locator("#status")).to_have_text("201")
    assert '"result": "created"' in page.inner_text("#response")
    page.fill("#request", "GET no-such-index-here/_doc/1")
    page.click("#send")
    playwright_api.expect(page.locator("#status")).to_have_text("404")
    assert "index_not_found_exception" in page.inner_text("#response")
    assert "error" in (page.get_attribute("#response", "class") or "")
    page.close()
