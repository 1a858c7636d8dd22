"""The shared search bar (search/bar.js) and search state (search/query.js) in a real browser
(Debian's Chromium driven by Playwright), on the loaded UI: the bar is imported from the
server as the views import it and put on the page; its `onChange` calls are recorded."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from playwright import sync_api as playwright_api
from playwright.sync_api import expect

from conftest import Server, watch

SCREENSHOTS = Path(__file__).resolve().parents[2] / "build" / "screenshots"
#: A zone with a daylight-saving change and a non-zero offset, so that local rounding shows.
ZONE = "America/New_York"

MOUNT = """async (state) => {
  const { SearchBar } = await import('/_dashboards/search/bar.js');
  window.changes = [];
  const host = document.querySelector('#overview');
  const bar = new SearchBar({ state: state || undefined, label: 'Search logs',
    fields: [{ name: 'action', type: 'keyword' }, { name: 'status', type: 'long' }, { name: '@timestamp', type: 'date' }],
    onChange: (s) => window.changes.push(s) });
  host.prepend(bar.element);
  window.bar = bar;
}"""


@pytest.fixture
def zoned(browser: Any, server: Server) -> Iterator[playwright_api.Page]:
    """The UI in a browser whose local time zone is ZONE; fails on console errors."""
    context = browser.new_context(timezone_id=ZONE, viewport={"width": 1280, "height": 800})
    page = context.new_page()
    problems = watch(page, http_errors=False)
    page.goto(server.url + "/_dashboards/#overview")
    yield page
    context.close()
    assert not problems


def mount(page: playwright_api.Page, server: Server, state: dict[str, Any] | None = None,
          *, load: bool = True) -> None:
    if load:
        page.goto(server.url + "/_dashboards/#overview")
    page.evaluate(MOUNT, state)


def changes(page: playwright_api.Page) -> list[dict[str, Any]]:
    return page.evaluate("window.changes")


def wait_changes(page: playwright_api.Page, count: str, seconds: float) -> None:
    """Waits (bounded) until ``window.changes.length >= <count expression>``; the page's CSP
    refuses Playwright's wait_for_function."""
    for _ in range(int(seconds * 10)):
        if page.evaluate(f"window.changes.length >= {count}"):
            return
        page.wait_for_timeout(100)
    raise AssertionError(f"onChange was called {page.evaluate('window.changes.length')} times")


def ms(moment: datetime.datetime) -> int:
    return round(moment.timestamp() * 1000)


# --- query.js date math ------------------------------------------------------------------------

DATE_MATH = """async ([text, roundUp, now]) => {
  const { parseDateMath } = await import('/_dashboards/search/query.js');
  return parseDateMath(text, { roundUp, now });
}"""


def test_date_math_resolves_as_elasticsearch_rounds_in_the_local_zone(
        zoned: playwright_api.Page) -> None:
    zone = ZoneInfo(ZONE)
    now = datetime.datetime(2026, 3, 31, 14, 37, 12, 345000, tzinfo=zone)  # a Tuesday
    day = now.replace(hour=0, minute=0, second=0, microsecond=0)
    next_day = datetime.datetime(2026, 4, 1, tzinfo=zone)
    expected: list[tuple[str, bool, int | None]] = [
        ("now", False, ms(now)),
        ("now-15m", False, ms(now) - 15 * 60_000),
        ("now/d", False, ms(day)),
        ("now/d", True, ms(next_day) - 1),
        ("now-1d/d", False, ms(datetime.datetime(2026, 3, 30, tzinfo=zone))),
        ("now-1d/d", True, ms(day) - 1),
        ("now/w", False, ms(datetime.datetime(2026, 3, 30, tzinfo=zone))),  # Monday
        ("now/M", True, ms(next_day) - 1),
        ("now-1M", False, ms(now.replace(month=2, day=28))),  # Java's plusMonths clamps the day
        ("now+1h/h", False, ms(now.replace(hour=15, minute=0, second=0, microsecond=0))),
        ("2026-03-08T12:00:00Z", False, ms(datetime.datetime(2026, 3, 8, 12, tzinfo=datetime.UTC))),
        ("2026-03-08T12:00:00.250+01:00", False,
         ms(datetime.datetime(2026, 3, 8, 11, 0, 0, 250000, tzinfo=datetime.UTC))),
        ("1767225600000", False, 1767225600000),
        ("yesterday", False, None),
        ("now-15x", False, None),
        ("now-", False, None),
        ("", False, None),
    ]
    for text, round_up, want in expected:
        got = zoned.evaluate(DATE_MATH, [text, round_up, ms(now)])
        assert got == want, (text, round_up, got, want)


def test_build_query_puts_pills_and_the_time_range_in_one_bool_query(
        zoned: playwright_api.Page) -> None:
    built = zoned.evaluate("""async () => {
      const q = await import('/_dashboards/search/query.js');
      const state = { query: { language: 'lucene', query: 'action:BLOCK' }, time: { from: 'now-1d/d', to: 'now-1d/d' },
        filters: [q.phraseFilter('host', 'a'), { ...q.existsFilter('ip', { negate: true }) },
                  q.rangeBetweenFilter('status', { gte: 400, lt: 500 }),
                  { ...q.phraseFilter('x', 'off'), meta: { ...q.phraseFilter('x', 'off').meta, disabled: true } }] };
      return q.buildQuery(state, '@timestamp', Date.parse('2026-03-31T18:00:00Z'));
    }""")
    zone = ZoneInfo(ZONE)
    assert built["bool"]["must"] == [{"query_string": {"query": "action:BLOCK", "analyze_wildcard": True}}]
    assert built["bool"]["must_not"] == [{"exists": {"field": "ip"}}]
    assert built["bool"]["filter"][:2] == [{"match_phrase": {"host": "a"}},
                                           {"range": {"status": {"gte": 400, "lt": 500}}}]
    assert built["bool"]["filter"][2] == {"range": {"@timestamp": {
        "gte": ms(datetime.datetime(2026, 3, 30, tzinfo=zone)),
        "lte": ms(datetime.datetime(2026, 3, 31, tzinfo=zone)) - 1, "format": "epoch_millis"}}}


# --- the bar -----------------------------------------------------------------------------------

def test_enter_submits_and_the_history_is_kept_per_language_and_walked_with_the_keyboard(
        page: playwright_api.Page, server: Server) -> None:
    mount(page, server)
    query = page.get_by_role("combobox", name="Search logs")
    for text in ["action:BLOCK", "status:>=500", "action:ALLOW", "status:>=500"]:
        query.fill(text)
        query.press("Enter")
    assert [c["query"] for c in changes(page)] == [
        {"language": "lucene", "query": t} for t in ["action:BLOCK", "status:>=500", "action:ALLOW", "status:>=500"]]
    stored = page.evaluate("JSON.parse(localStorage.getItem('loghaven.queryHistory.lucene'))")
    assert stored == ["status:>=500", "action:ALLOW", "action:BLOCK"]  # newest first, each once

    # Down opens the list, twice more highlights the second, Enter searches it.
    query.fill("")
    query.press("Escape")
    query.press("ArrowDown")
    options = page.get_by_role("listbox", name="Recent queries").get_by_role("option")
    expect(options).to_have_text(["status:>=500", "action:ALLOW", "action:BLOCK"])
    query.press("ArrowDown")
    query.press("ArrowDown")
    expect(options.nth(1)).to_have_attribute("aria-selected", "true")
    query.press("Enter")
    assert changes(page)[-1]["query"]["query"] == "action:ALLOW"
    expect(page.get_by_role("listbox")).to_be_hidden()

    # Typing filters the list; Escape closes it.
    query.fill("act")
    expect(options).to_have_text(["action:ALLOW", "action:BLOCK"])
    query.press("Escape")
    expect(page.get_by_role("listbox")).to_be_hidden()

    # Only the last 20 are kept.
    for i in range(25):
        query.fill(f"n:{i}")
        query.press("Enter")
    stored = page.evaluate("JSON.parse(localStorage.getItem('loghaven.queryHistory.lucene'))")
    assert len(stored) == 20 and stored[0] == "n:24" and stored[-1] == "n:5"

    # The DSL has its own history; Enter is a new line there, Ctrl+Enter searches.
    page.get_by_label("Query language").select_option("dsl")
    dsl = page.get_by_label("Search logs (DSL, JSON)")
    expect(dsl).to_have_value('{\n  "query_string": {\n    "query": "n:24"\n  }\n}')
    dsl.fill('{"term": {"action": "BLOCK"}}')
    dsl.press("Enter")
    assert changes(page)[-1]["query"]["language"] == "lucene"
    dsl.press("Control+Enter")
    last = changes(page)[-1]["query"]
    assert last["language"] == "dsl" and last["query"].startswith('{"term": {"action": "BLOCK"}}')
    page.get_by_role("button", name="Recent queries").click()
    expect(options).to_have_count(1)
    assert page.evaluate("JSON.parse(localStorage.getItem('loghaven.queryHistory.dsl'))")[0].startswith('{"term"')


def test_pills_are_negated_disabled_removed_and_added_from_the_form(
        page: playwright_api.Page, server: Server) -> None:
    mount(page, server)
    page.evaluate("""async () => {
      const q = await import('/_dashboards/search/query.js');
      window.bar.addFilter(q.phraseFilter('action', 'BLOCK'));
    }""")
    assert changes(page)[-1]["filters"][0]["query"] == {"match_phrase": {"action": "BLOCK"}}
    pill = page.locator(".pill", has_text="action: BLOCK")

    # Negate, with the keyboard: the pill's menu opens on Enter, the arrows move in it.
    label = pill.locator(".pill-label")
    label.focus()
    label.press("Enter")
    menu = page.get_by_role("menu")
    expect(page.get_by_role("menuitem", name="Exclude results")).to_be_focused()
    menu.press("Enter")
    expect(pill).to_have_class("pill negate")
    expect(label).to_have_text("NOT action: BLOCK")
    assert changes(page)[-1]["filters"][0]["meta"]["negate"] is True
    query = page.evaluate("""async () => (await import('/_dashboards/search/query.js')).buildQuery(window.bar.getState(), null)""")
    assert query == {"bool": {"must_not": [{"match_phrase": {"action": "BLOCK"}}]}}

    # Disable: kept as a pill, left out of the query.
    label.click()
    page.get_by_role("menuitem", name="Include results").press("ArrowDown")
    expect(page.get_by_role("menuitem", name="Temporarily disable")).to_be_focused()
    page.keyboard.press("Enter")
    expect(pill).to_have_class("pill negate disabled")
    assert changes(page)[-1]["filters"][0]["meta"]["disabled"] is True
    query = page.evaluate("""async () => (await import('/_dashboards/search/query.js')).buildQuery(window.bar.getState(), null)""")
    assert query == {"match_all": {}}

    # Add filter: status is between 400 and 500 (a number field offers "is between").
    page.get_by_role("button", name="+ Add filter").click()
    form = page.get_by_role("dialog", name="Add filter")
    form.get_by_label("Field").select_option("status")
    form.get_by_label("Operator").select_option(label="is between")
    form.get_by_label("From (included)").fill("400")
    form.get_by_label("To (excluded)").fill("500")
    form.get_by_role("button", name="Add filter").click()
    last = changes(page)[-1]["filters"][1]
    assert last["range"] == {"status": {"gte": 400, "lt": 500}} and last["meta"]["type"] == "range"
    expect(page.locator(".pill-label").nth(1)).to_have_text("status: 400 to 500")

    # A keyword offers no range; "does not exist" makes a negated exists pill.
    page.get_by_role("button", name="+ Add filter").click()
    form.get_by_label("Field").select_option("action")
    expect(form.get_by_label("Operator").locator("option")).to_have_text(["is", "is not", "exists", "does not exist"])
    form.get_by_label("Operator").select_option(label="does not exist")
    form.get_by_role("button", name="Add filter").click()
    last = changes(page)[-1]["filters"][2]
    assert last["exists"] == {"field": "action"} and last["meta"]["negate"] is True
    expect(page.locator(".pill-label").nth(2)).to_have_text("NOT action: exists")

    # "is not" a value, typed as the field's type.
    page.get_by_role("button", name="+ Add filter").click()
    form.get_by_label("Field").select_option("status")
    form.get_by_label("Operator").select_option(label="is not")
    form.get_by_label("Value").fill("404")
    form.get_by_label("Value").press("Enter")
    last = changes(page)[-1]["filters"][3]
    assert last["query"] == {"match_phrase": {"status": 404}} and last["meta"]["negate"] is True

    # Remove.
    page.get_by_role("button", name="Remove filter NOT action: BLOCK").click()
    assert [f["meta"]["key"] for f in changes(page)[-1]["filters"]] == ["status", "action", "status"]
    expect(page.locator(".pill")).to_have_count(3)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "searchbar-pills.png"))


def test_quick_relative_and_absolute_ranges(zoned: playwright_api.Page) -> None:
    page = zoned
    page.evaluate(MOUNT, None)
    time_button = page.locator(".time-button")
    expect(time_button).to_have_text("◷ Last 15 minutes")
    time_button.click()
    expect(page.get_by_role("button", name="Today")).to_be_focused()
    page.get_by_role("button", name="Last 24 hours").click()
    assert changes(page)[-1]["time"] == {"from": "now-24h", "to": "now"}
    expect(time_button).to_have_text("◷ Last 24 hours")
    expect(time_button).to_be_focused()

    time_button.press("Enter")
    page.get_by_role("button", name="This week").press("Enter")
    assert changes(page)[-1]["time"] == {"from": "now/w", "to": "now/w"}

    time_button.click()
    page.get_by_label("Number of units").fill("3")
    page.get_by_label("Unit of time").select_option("h")
    page.get_by_label("Number of units").press("Enter")
    assert changes(page)[-1]["time"] == {"from": "now-3h", "to": "now"}
    expect(time_button).to_have_text("◷ Last 3 hours")

    time_button.click()
    page.get_by_label("Start date").fill("2026-03-07T22:00:00")
    page.get_by_label("End date").fill("2026-03-08T06:30:00")  # across the change to summer time
    page.get_by_role("dialog", name="Time range").get_by_role("button", name="Apply").nth(1).click()
    zone = ZoneInfo(ZONE)
    start = datetime.datetime(2026, 3, 7, 22, tzinfo=zone).astimezone(datetime.UTC)
    end = datetime.datetime(2026, 3, 8, 6, 30, tzinfo=zone).astimezone(datetime.UTC)
    assert changes(page)[-1]["time"] == {"from": start.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
                                         "to": end.strftime("%Y-%m-%dT%H:%M:%S.000Z")}
    expect(time_button).to_have_text("◷ Mar 7, 2026 @ 22:00:00 → Mar 8, 2026 @ 06:30:00")

    # Escape closes the panel and gives the focus back.
    time_button.click()
    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog", name="Time range")).to_be_hidden()
    expect(time_button).to_be_focused()
    # A start after the end is refused in place.
    time_button.click()
    page.get_by_label("Start date").fill("2026-03-09T00:00:00")
    page.get_by_role("dialog", name="Time range").get_by_role("button", name="Apply").nth(1).click()
    expect(page.get_by_role("alert")).to_have_text("Give a start date before the end date.")


def test_auto_refresh_fires_every_period_and_stops_when_paused_hidden_or_destroyed(
        page: playwright_api.Page, server: Server) -> None:
    mount(page, server)
    page.locator(".time-button").click()
    page.get_by_label("Refresh every").select_option("5000")
    assert changes(page)[-1]["refresh"] == {"pause": False, "value": 5000}
    expect(page.locator(".time-button")).to_contain_text("↻")
    wait_changes(page, "3", 15)  # two periods passed
    assert all(c["refresh"]["value"] == 5000 for c in changes(page))

    page.get_by_label("Refresh every").select_option("0")
    assert changes(page)[-1]["refresh"]["pause"] is True
    count = len(changes(page))
    page.wait_for_timeout(6_000)
    assert len(changes(page)) == count

    # A short period set through the state; a hidden page does not refresh, a shown one does.
    page.evaluate("window.bar.setState({ ...window.bar.getState(), refresh: { pause: false, value: 200 } })")
    wait_changes(page, str(count + 2), 5)
    page.evaluate("""() => {
      Object.defineProperty(document, 'hidden', { configurable: true, get: () => true });
      document.dispatchEvent(new Event('visibilitychange'));
      window.hiddenAt = window.changes.length;
    }""")
    page.wait_for_timeout(1_000)
    assert page.evaluate("window.changes.length") == page.evaluate("window.hiddenAt")
    page.evaluate("""() => {
      Object.defineProperty(document, 'hidden', { configurable: true, get: () => false });
      document.dispatchEvent(new Event('visibilitychange'));
    }""")
    wait_changes(page, "window.hiddenAt + 2", 5)

    page.evaluate("window.bar.destroy(); window.destroyedAt = window.changes.length")
    page.wait_for_timeout(1_000)
    assert page.evaluate("window.changes.length") == page.evaluate("window.destroyedAt")


def test_the_bar_fits_a_phone_and_is_used_with_the_keyboard(
        page: playwright_api.Page, server: Server) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    mount(page, server, {"query": {"language": "lucene", "query": "action:BLOCK"},
                         "filters": [], "time": {"from": "now-7d", "to": "now"}})
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.locator(".time-button").click()
    panel = page.get_by_role("dialog", name="Time range")
    box = panel.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "searchbar-phone.png"))
    page.keyboard.press("Escape")
    # Tab order: language, query, history, time, Update, Add filter.
    page.get_by_label("Query language").focus()
    names = []
    for _ in range(5):
        page.keyboard.press("Tab")
        names.append(page.evaluate("document.activeElement.getAttribute('aria-label') || document.activeElement.textContent"))
    assert names[0] == "Search logs" and names[1] == "Recent queries"
    assert names[2].startswith("Time range: Last 7 days") and names[3] == "Update"
    assert names[4] == "+ Add filter"
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Enter")
    assert changes(page)[-1]["query"]["query"] == "action:BLOCK"
