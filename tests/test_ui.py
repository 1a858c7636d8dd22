"""The web UI in a real browser (Debian's Chromium driven by Playwright)."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
from playwright import sync_api as playwright_api

from conftest import Server, watch


def test_overview_lists_indices_and_health(browser, server: Server, es: httpx.Client,
                                           index_name: str, tmp_path) -> None:
    es.post(f"/{index_name}/_bulk?refresh=true", content=b'{"index":{}}\n{"a":1}\n'
            b'{"index":{}}\n{"a":2}\n{"index":{}}\n{"a":3}\n',
            headers={"content-type": "application/x-ndjson"})
    page = browser.new_page()
    page.goto(server.url + "/_dashboards")
    row = page.locator("#overview-indices tbody tr", has_text=index_name)
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


ATTACK = """<!doctype html><title>cat pictures</title>
<iframe id="framed" src="{target}/_dashboards/"></iframe>
<script>
const target = "{target}", index = "{index}";
const matchAll = '{{"query":{{"match_all":{{}}}}}}';
const attempts = [
  [`/${{index}}/_delete_by_query`, {{body: matchAll, headers: {{"Content-Type": "text/plain"}}}}],
  [`/${{index}}/_delete_by_query`, {{body: new Blob([matchAll])}}],
  [`/${{index}}/_delete_by_query`, {{body: new URLSearchParams({{q: "*"}})}}],
  [`/${{index}}/_delete_by_query?q=*`, {{}}],
  [`/_bulk?refresh=true`, {{body: `{{"index":{{"_index":"${{index}}"}}}}\\n{{"a":9}}\\n`,
                            headers: {{"Content-Type": "text/plain"}}}}],
];
Promise.allSettled(attempts.map(([path, init]) =>
    fetch(target + path, {{method: "POST", mode: "no-cors", ...init}})))
  .then(() => {{ document.title = "done"; }});
</script>"""


class _AttackPage(BaseHTTPRequestHandler):
    page = b""

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("content-type", "text/html")
        self.end_headers()
        self.wfile.write(self.page)

    def log_message(self, *args: object) -> None:
        pass


def test_a_page_from_another_origin_cannot_change_or_frame_loghaven(
        browser, server: Server, es: httpx.Client, index_name: str) -> None:
    es.post(f"/{index_name}/_bulk?refresh=true", content=b'{"index":{}}\n{"a":1}\n'
            b'{"index":{}}\n{"a":2}\n', headers={"content-type": "application/x-ndjson"})
    _AttackPage.page = ATTACK.format(target=server.url, index=index_name).encode()
    attacker = ThreadingHTTPServer(("127.0.0.1", 0), _AttackPage)
    thread = threading.Thread(target=attacker.serve_forever, daemon=True)
    thread.start()
    page = browser.new_page()
    try:
        page.goto(f"http://127.0.0.1:{attacker.server_address[1]}/")
        page.wait_for_function("document.title === 'done'", timeout=20_000)
        es.post(f"/{index_name}/_refresh")
        assert es.get(f"/{index_name}/_count").json()["count"] == 2
        page.wait_for_load_state("load")  # the frame's load too, or its refusal
        framed = page.frame_locator("#framed")
        assert framed.locator("#overview-indices").count() == 0  # frame-ancestors 'none'
    finally:
        page.close()
        attacker.shutdown()
        attacker.server_close()


def test_the_ui_runs_under_its_content_security_policy(browser, server: Server) -> None:
    page = browser.new_page()
    problems = watch(page)
    page.goto(server.url + "/_dashboards/")
    page.locator("#health").filter(has_text="green").wait_for()
    page.goto(server.url + "/_dashboards/#console")
    page.click("#send")
    playwright_api.expect(page.locator("#status")).to_have_text("200")
    assert not problems
    page.close()


def test_the_security_pages_say_that_security_is_disabled(browser, server: Server) -> None:
    page = browser.new_page()
    problems = watch(page)
    page.goto(server.url + "/_dashboards/#security/users")
    playwright_api.expect(page.locator("#security-page")).to_contain_text(
        "Security is disabled")
    assert page.locator("#security-nav").is_hidden()
    assert page.locator("#user").is_hidden()  # no one is logged in: no account, no log-out
    assert not problems
    page.close()
