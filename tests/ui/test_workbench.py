"""Query Workbench in Chromium against a real server and a small WAF-like index: SQL and PPL
rows, cursor paging with every row shown exactly once (and the cursor closed when another
query runs), explain's search request, an error with its type, details and what to do next,
the CSV download as the server renders it, the chart of a GROUP BY, the index list starting a
query, and a hostile value shown as text."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from playwright import sync_api as playwright_api
from playwright.sync_api import expect

from conftest import Server

SCREENSHOTS = Path(__file__).resolve().parents[2] / "build" / "screenshots"
COUNTRIES = ["US", "DE", "FR", "CN", "BR"]
HOSTILE = '<img src=x onerror="window.__pwned=1">'
ROWS = 23


def waf_documents() -> list[dict]:
    """Web-firewall log lines: a sequence number each, one hostile URI."""
    return [{"n": i, "timestamp": f"2018-12-{1 + i % 4:02d}T10:{i:02d}:00Z",
             "client_ip": f"10.0.0.{i % 7}", "country": COUNTRIES[i % 5],
             "action": "BLOCK" if i % 3 == 0 else "ALLOW",
             "uri": HOSTILE if i == 4 else f"/page/{i}", "bytes": 100 + i}
            for i in range(ROWS)]


@pytest.fixture
def waf(es: httpx.Client, index_name: str) -> str:
    lines = []
    for i, doc in enumerate(waf_documents()):
        lines += [json.dumps({"index": {"_index": index_name, "_id": str(i)}}), json.dumps(doc)]
    sent = es.post("/_bulk?refresh=true", content="\n".join(lines) + "\n",
                   headers={"Content-Type": "application/x-ndjson"})
    assert sent.status_code == 200 and not sent.json()["errors"], sent.text
    return index_name


def open_workbench(page: playwright_api.Page, server: Server) -> None:
    page.goto(server.url + "/_dashboards/#workbench")
    expect(page.locator("#workbench-query")).to_be_visible()


def run(page: playwright_api.Page, query: str, *, keys: bool = False) -> None:
    page.fill("#workbench-query", query)
    if keys:
        page.press("#workbench-query", "Control+Enter")
    else:
        page.click("#workbench-run")


def table(page: playwright_api.Page) -> tuple[list[str], list[list[str]]]:
    expect(page.locator("#workbench-table")).to_be_visible()
    heads = page.locator("#workbench-table thead th").evaluate_all(
        "cells => cells.map(c => c.firstChild.textContent)")
    rows = page.locator("#workbench-table tbody tr").evaluate_all(
        "rows => rows.map(r => [...r.cells].map(c => c.textContent))")
    return heads, rows


def test_a_sql_query_shows_its_rows_with_names_and_types(
        page: playwright_api.Page, server: Server, waf: str) -> None:
    open_workbench(page, server)
    run(page, f"SELECT n, country AS land, bytes FROM {waf} WHERE action = 'BLOCK' ORDER BY n",
        keys=True)
    heads, rows = table(page)
    assert heads == ["n", "land", "bytes"]
    types = page.locator("#workbench-table thead .workbench-type").all_inner_texts()
    assert types == ["long", "text", "long"]
    blocked = [d for d in waf_documents() if d["action"] == "BLOCK"]
    assert rows == [[str(d["n"]), d["country"], str(d["bytes"])] for d in blocked]
    expect(page.locator("#workbench-status")).to_contain_text(f"{len(blocked)} of {len(blocked)} rows")
    expect(page.locator("#workbench-status")).to_contain_text(" ms")
    # The query stays for the next visit.
    page.reload()
    expect(page.locator("#workbench-query")).to_have_value(
        f"SELECT n, country AS land, bytes FROM {waf} WHERE action = 'BLOCK' ORDER BY n")


def test_a_ppl_query_and_each_language_keeps_its_own_query(
        page: playwright_api.Page, server: Server, waf: str) -> None:
    open_workbench(page, server)
    page.fill("#workbench-query", f"SELECT count(*) FROM {waf}")
    page.check("#workbench-language-ppl")
    expect(page.locator("#workbench-fetch-size")).to_be_hidden()  # PPL answers in one page
    run(page, f"source={waf} | where action = 'ALLOW' | stats count() by country")
    heads, rows = table(page)
    assert heads == ["count()", "country"]
    allowed = [d for d in waf_documents() if d["action"] == "ALLOW"]
    expected = {c: sum(1 for d in allowed if d["country"] == c) for c in COUNTRIES}
    assert {country: int(n) for n, country in rows} == expected
    page.click("#workbench-explain")  # PPL's plan too
    expect(page.locator("#workbench-plan summary", has_text="OpenSearchIndexScan")).to_be_visible()
    page.check("#workbench-language-sql")
    expect(page.locator("#workbench-query")).to_have_value(f"SELECT count(*) FROM {waf}")
    page.check("#workbench-language-ppl")
    expect(page.locator("#workbench-query")).to_have_value(
        f"source={waf} | where action = 'ALLOW' | stats count() by country")


def test_load_more_pages_with_the_cursor_until_every_row_is_shown_once(
        page: playwright_api.Page, server: Server, es: httpx.Client, waf: str) -> None:
    sent: list[tuple[str, dict]] = []
    page.on("request", lambda r: sent.append((r.url, json.loads(r.post_data or "{}")))
            if "/_plugins/_sql" in r.url and r.method == "POST" else None)
    open_workbench(page, server)
    page.fill("#workbench-fetch-size", "5")
    run(page, f"SELECT n, uri FROM {waf}")
    expect(page.locator("#workbench-status")).to_contain_text(f"5 of {ROWS} rows")
    clicks = 0
    while page.locator("#workbench-more").is_visible():
        shown = page.locator("#workbench-table tbody tr").count()
        page.click("#workbench-more")
        expect(page.locator("#workbench-table tbody tr")).not_to_have_count(shown)
        clicks += 1
        assert clicks < 10
    _, rows = table(page)
    assert sorted(int(n) for n, _ in rows) == list(range(ROWS))  # each exactly once
    assert clicks == 4  # 5 + 5 + 5 + 5 + 3
    expect(page.locator("#workbench-status")).to_contain_text(f"{ROWS} of {ROWS} rows in 5 pages")
    pages = [body for url, body in sent if "cursor" in body and not url.endswith("/close")]
    assert len(pages) == 4 and all(body.keys() == {"cursor"} for body in pages)

    # Another query closes the open cursor of the one before.
    run(page, f"SELECT n FROM {waf} ORDER BY n")
    expect(page.locator("#workbench-more")).to_be_visible()
    first = [body for url, body in sent if "cursor" not in body][-1]
    assert first == {"query": f"SELECT n FROM {waf} ORDER BY n", "fetch_size": 5}
    page.fill("#workbench-query", f"SELECT n FROM {waf} WHERE n < 3")
    with page.expect_response(lambda r: r.url.endswith("/_plugins/_sql/close")) as closing:
        page.click("#workbench-run")
    previous = closing.value.request.post_data_json["cursor"]
    expect(page.locator("#workbench-status")).to_contain_text("3 of 3 rows")
    gone = es.post("/_plugins/_sql", json={"cursor": previous})
    assert gone.status_code == 404, gone.text

    # So does leaving the page's view.
    run(page, f"SELECT n FROM {waf}")
    expect(page.locator("#workbench-more")).to_be_visible()
    with page.expect_response(lambda r: r.url.endswith("/_plugins/_sql/close")) as closing:
        page.click("#main-nav a[data-view=overview]")
    assert closing.value.status == 200
    assert es.post("/_plugins/_sql", json={"cursor": closing.value.request.post_data_json["cursor"]}) \
        .status_code == 404


def test_explain_shows_the_search_request(
        page: playwright_api.Page, server: Server, waf: str) -> None:
    open_workbench(page, server)
    page.fill("#workbench-query", f"SELECT country, count(*) FROM {waf} GROUP BY country")
    page.click("#workbench-explain")
    plan = page.locator("#workbench-plan")
    expect(plan).to_be_visible()
    expect(plan.locator("summary", has_text="OpenSearchIndexScan")).to_be_visible()
    answer = json.loads(page.locator("#workbench-plan-json").text_content())
    scan = answer["root"]["children"][0]
    assert scan["description"]["index"] == waf
    assert "composite" in json.dumps(scan["description"]["request"]["aggs"])
    # The operators fold.
    page.locator("#workbench-plan summary", has_text="ProjectOperator").click()
    expect(plan.locator("summary", has_text="OpenSearchIndexScan")).to_be_hidden()


def test_a_bad_query_shows_the_error_type_details_and_what_to_do(
        page: playwright_api.Page, server: Server, waf: str) -> None:
    open_workbench(page, server)
    run(page, f"SELECT nosuchfield FROM {waf}")
    error = page.locator("#workbench-error [role=alert]")
    expect(error).to_contain_text("SemanticCheckException (400): Invalid SQL query")
    expect(error.locator(".workbench-error-details")).to_contain_text("nosuchfield")
    expect(error.locator(".workbench-error-hint")).to_contain_text("A field name is wrong")
    expect(page.locator("#workbench-results")).to_be_hidden()
    run(page, "SELECT * FROM no-such-index-here")
    expect(error).to_contain_text("IndexNotFoundException (404)")
    expect(error.locator(".workbench-error-hint")).to_contain_text("pick one from the Indices list")
    # A good query puts the error away.
    run(page, f"SELECT n FROM {waf} WHERE n = 1")
    expect(page.locator("#workbench-error")).to_be_hidden()


def test_a_query_over_the_size_limit_says_to_add_a_limit_or_page(
        page: playwright_api.Page, server: Server, es: httpx.Client, waf: str) -> None:
    settings = "/_plugins/_query/settings"
    assert es.put(settings, json={"transient": {"plugins.query.size_limit": 5}}).status_code == 200
    try:
        open_workbench(page, server)
        page.fill("#workbench-fetch-size", "0")  # no paging: one answer
        run(page, f"SELECT * FROM {waf}")
        error = page.locator("#workbench-error [role=alert]")
        expect(error.locator(".workbench-error-details")).to_contain_text(
            "[plugins.query.size_limit] = 5")
        expect(error.locator(".workbench-error-hint")).to_contain_text("add a LIMIT")
        expect(error.locator(".workbench-error-hint")).to_contain_text("page with fetch_size")
        page.fill("#workbench-fetch-size", "5")  # paged, every row is within reach
        run(page, f"SELECT * FROM {waf}")
        expect(page.locator("#workbench-status")).to_contain_text(f"5 of {ROWS} rows")
    finally:
        es.put(settings, json={"transient": {"plugins.query.size_limit": None}})


def test_the_csv_download_is_the_servers_csv(
        page: playwright_api.Page, server: Server, es: httpx.Client, waf: str) -> None:
    open_workbench(page, server)
    page.fill("#workbench-fetch-size", "5")  # the download is the whole result, not the page
    query = f"SELECT n, country, uri FROM {waf} ORDER BY n"
    run(page, query)
    expect(page.locator("#workbench-download-csv")).to_be_visible()
    with page.expect_download() as downloading:
        page.click("#workbench-download-csv")
    saved = downloading.value
    assert saved.suggested_filename == "sql-result.csv"
    text = Path(saved.path()).read_text()
    assert text == es.post("/_plugins/_sql?format=csv", json={"query": query}).text
    assert len(text.strip().splitlines()) == ROWS + 1
    with page.expect_download() as downloading:
        page.click("#workbench-download-raw")
    assert Path(downloading.value.path()).read_text().startswith("n|country|uri")


def test_a_group_by_draws_bars_and_a_time_column_a_line(
        page: playwright_api.Page, server: Server, waf: str) -> None:
    open_workbench(page, server)
    run(page, f"SELECT country, count(*) AS hits FROM {waf} GROUP BY country")
    chart = page.locator("#workbench-chart")
    expect(chart).to_be_visible()
    expect(chart.locator("figcaption")).to_have_text("hits by country")
    counts = {c: sum(1 for d in waf_documents() if d["country"] == c) for c in COUNTRIES}
    for country, n in counts.items():
        expect(chart.locator(f".bar-row[data-label='{country}'] .bar-count")).to_have_text(str(n))
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "workbench-bars.png"), full_page=True)
    run(page, f"SELECT country, count(*) AS hits, sum(bytes) AS bytes FROM {waf} "
              "GROUP BY country ORDER BY hits DESC")
    expect(chart.locator(".bar-row")).to_have_count(10)  # a block of bars per number
    page.set_viewport_size({"width": 1280, "height": 900})
    page.screenshot(path=str(SCREENSHOTS / "workbench.png"), full_page=True)  # docs/ui.md's

    run(page, f"SELECT date_trunc('day', timestamp) AS day, count(*) FROM {waf} GROUP BY 1")
    expect(chart).to_have_attribute("data-kind", "line")
    expect(chart.locator("canvas")).to_have_count(1)
    # Rows that are not a label and numbers draw nothing.
    run(page, f"SELECT country, action, bytes FROM {waf} LIMIT 3")
    expect(page.locator("#workbench-table tbody tr")).to_have_count(3)
    expect(chart).to_be_hidden()


def test_the_index_list_starts_a_query(
        page: playwright_api.Page, server: Server, waf: str) -> None:
    open_workbench(page, server)
    page.fill("#workbench-query", "")
    index = page.locator(f"#workbench-indices button[data-index='{waf}']")
    expect(index).to_be_visible()
    index.focus()
    page.keyboard.press("Enter")  # the keyboard is enough
    expect(page.locator("#workbench-query")).to_have_value(f"SELECT * FROM {waf} LIMIT 10")
    page.click("#workbench-run")
    expect(page.locator("#workbench-table tbody tr")).to_have_count(10)
    page.check("#workbench-language-ppl")
    index.click()
    expect(page.locator("#workbench-query")).to_have_value(f"source={waf} | head 10")


def test_a_hostile_value_is_shown_as_text(
        page: playwright_api.Page, server: Server, waf: str) -> None:
    open_workbench(page, server)
    run(page, f"SELECT uri, count(*) FROM {waf} WHERE n = 4 GROUP BY uri")
    cell = page.locator("#workbench-table tbody td").first
    expect(cell).to_have_text(HOSTILE)
    expect(page.locator("#workbench-chart .bar-label")).to_have_text(HOSTILE)
    assert page.locator("#workbench img").count() == 0
    assert page.evaluate("window.__pwned") is None
