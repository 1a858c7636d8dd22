"""Scenario 8: the web UI's speed goal (issue 18: "first paint under a second on localhost").

The server gets a realistic data set first: the generated WAF records (their last 24 hours
ending now, so the UI's default time ranges find documents) bulk-indexed into
``awswaf-bench-ui``, which the built-in ``aws-waf`` template gives its mapping and the
``loghaven-aws-waf`` pipeline, the fields the built-in WAF dashboard reads. An index pattern
``awswaf-*`` is made through ``/_dashboards/api/saved_objects`` (or the installed one is
used); a server without that API gets none, and the views that need one are reported as not
available instead of failing the scenario.

Then Debian's Chromium, driven by Playwright, loads each view (``/_dashboards/#<view>``) in a
fresh browser context (an empty cache: *cold*) and once more in the same context (*warm*),
``--ui-reps`` times, and the medians are reported: first and largest contentful paint,
DOMContentLoaded and load, when the network went quiet (500 ms without a request, as
Playwright's ``networkidle``), requests and bytes of static files and of API calls, and the
API calls' durations from Playwright's request timing. The baseline, measured in the same
run, is the same API calls sent one after the other by the benchmark's HTTP client: the
figure a page cannot beat, so ``quiet ÷ direct`` is the UI's own overhead.

Paint and navigation figures come from the page's own performance entries
(``performance.getEntriesByType``, a ``PerformanceObserver`` for largest contentful paint),
read with ``page.evaluate``; nothing is injected into the UI but that observer.
"""

from __future__ import annotations

import re
import shutil
import statistics
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from loghaven.bench.scenarios import count_docs, percentile, run_bulk, settle, spool_for
from loghaven.bench.server import BenchError, HttpClient, Server

#: Matches the built-in ``aws-waf`` template (``awswaf-*``): its mapping and pipeline apply.
UI_INDEX = "awswaf-bench-ui"
PATTERN_TITLE = "awswaf-*"
PATTERN_ID = "bench-ui-awswaf"
TIME_FIELD = "@timestamp"
#: The issue's goal: first contentful paint under a second on localhost.
GOAL_FCP_S = 1.0
#: Playwright's definition of a quiet network, used for ``quiet_ms``.
QUIET_MS = 500
#: How long a view may keep the network busy before it is reported as never quiet.
LOAD_TIMEOUT_S = 30.0
CHROMIUM = "/usr/bin/chromium"
#: As tests/conftest.py and TESTING.md launch it (never a downloaded browser).
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--disable-quic"]
INSTALL_HINT = ("pip install 'loghaven[test]' (or pip install playwright) and "
                "apt-get install chromium; never `playwright install`")
SAVED_OBJECTS = "/_dashboards/api/saved_objects"
XSRF = {"osd-xsrf": "true"}
#: Views that show nothing useful without an index pattern.
NEEDS_PATTERN = ("discover", "visualize", "dashboards")
#: Chromium's console line for an answer >= 400 (views show some on purpose).
HTTP_STATUS_LINE = "Failed to load resource: the server responded with a status of"
#: API calls the baseline may send again: reads only (a view's load must not write, but
#: the benchmark never replays a write whatever a view does).
_READS = re.compile(r"/(_search|_msearch|_count|_field_caps|_mget|_bulk_get|_validate/query"
                    r"|_explain|_find|_plugins/_sql|_plugins/_ppl)(/|$)")


@dataclass(frozen=True)
class View:
    """One view of the UI and its route (``/_dashboards/#<route>``)."""

    name: str
    route: str
    note: str = ""


# --------------------------------------------------------------------------- availability


def unavailable() -> str | None:
    """Why the browser cannot be driven here (Playwright or Chromium missing), or None."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return f"Playwright is not installed: {INSTALL_HINT}"
    if not Path(chromium_path()).exists():
        return f"Chromium is not installed at {CHROMIUM}: {INSTALL_HINT}"
    return None


def chromium_path() -> str:
    return shutil.which("chromium") or CHROMIUM


# --------------------------------------------------------------------------- data and objects


def load_data(server: Server, work: Path, docs: int, seed: int, bulk_docs: int,
              clients: int) -> dict[str, Any]:
    """The WAF records of the last 24 hours into :data:`UI_INDEX` through the WAF template's
    pipeline; how many were indexed and how long it took."""
    end_ms = int(time.time() * 1000)
    spool = spool_for(work / "ui-waf.ndjson", "waf", docs, UI_INDEX, seed, bulk_docs, end_ms)
    client = server.client()
    try:
        client.request("DELETE", f"/{UI_INDEX}")
        stats, wall = run_bulk(server, spool, clients)
        client.request("POST", f"/{UI_INDEX}/_refresh")
        count = count_docs(client, UI_INDEX)
    finally:
        spool.remove()
        client.close()
    if stats.failed_docs or not stats.docs:
        raise BenchError(f"ui: loading {UI_INDEX} failed ({stats.failed_docs} documents "
                         f"refused): {stats.first_error}")
    return {"index": UI_INDEX, "docs": stats.docs, "count": count, "seconds": wall,
            "docs_per_s": stats.docs / wall if wall else None, "end_ms": end_ms}


def _find(client: HttpClient, type_: str) -> tuple[int, list[dict[str, Any]]]:
    resp = client.request("GET", f"{SAVED_OBJECTS}/_find?type={type_}&per_page=1000")
    body = resp.json() if resp.status == 200 else None
    return resp.status, (body or {}).get("saved_objects") or []


def prepare_objects(client: HttpClient) -> dict[str, Any]:
    """The index pattern over :data:`UI_INDEX` (the installed ``awswaf-*`` one, else one
    made here) and the built-in WAF dashboard's id when there is one; ``available`` is False
    with the reason when the server has no saved objects API yet."""
    status, patterns = _find(client, "index-pattern")
    if status != 200:
        return {"available": False, "created": [],
                "reason": f"no saved objects API (GET {SAVED_OBJECTS}/_find: HTTP {status})"}
    created: list[str] = []
    found = [p for p in patterns if (p.get("attributes") or {}).get("title") == PATTERN_TITLE]
    if found:
        pattern_id = found[0]["id"]
    else:
        resp = client.request("POST", f"{SAVED_OBJECTS}/index-pattern/{PATTERN_ID}",
                              {"attributes": {"title": PATTERN_TITLE,
                                              "timeFieldName": TIME_FIELD}}, headers=XSRF)
        if resp.status != 200:
            return {"available": False, "created": [],
                    "reason": f"creating the index pattern failed: HTTP {resp.status} "
                              f"{resp.reason()}"}
        pattern_id = PATTERN_ID
        created.append(f"index-pattern/{PATTERN_ID}")
    _, dashboards = _find(client, "dashboard")
    waf = [d for d in dashboards
           if "waf" in str((d.get("attributes") or {}).get("title", "")).lower()]
    return {"available": True, "created": created, "pattern_id": pattern_id,
            "dashboard_id": waf[0]["id"] if waf else None,
            "dashboard_title": waf[0]["attributes"].get("title") if waf else None}


def remove_objects(client: HttpClient, objects: dict[str, Any]) -> None:
    """Delete what :func:`prepare_objects` created (a later scenario sees the server as
    before)."""
    for ref in objects.get("created", []):
        client.request("DELETE", f"{SAVED_OBJECTS}/{ref}", headers=XSRF)


def views(objects: dict[str, Any]) -> list[View]:
    """Every view of the UI in the navigation's order; the dashboards view is the built-in
    WAF dashboard when it is installed, else the list."""
    dashboard = objects.get("dashboard_id")
    return [
        View("overview", "overview"),
        View("discover", "discover"),
        View("visualize", "visualize"),
        View("dashboards", f"dashboards/view/{quote(dashboard, safe='')}"
             if dashboard else "dashboards",
             f"the {objects.get('dashboard_title')} dashboard" if dashboard
             else "the list (no built-in WAF dashboard installed)"),
        View("console", "console"),
        View("alerting", "alerting"),
        View("indices", "indices"),
        View("operations", "operations"),
        View("management", "management"),
    ]


# --------------------------------------------------------------------------- the browser

#: Run before the UI's own scripts: keep every resource entry and the last largest
#: contentful paint (a buffered observer read later can miss nothing, but this one also
#: works where ``buffered`` is not honoured).
_INIT_SCRIPT = """
performance.setResourceTimingBufferSize(10000);
window.__benchLcp = null;
try {
  new PerformanceObserver((list) => {
    const entries = list.getEntries();
    window.__benchLcp = entries[entries.length - 1];
  }).observe({ type: "largest-contentful-paint", buffered: true });
} catch (error) { /* no LCP in this browser */ }
"""

#: The page's own figures, in milliseconds since the navigation started.
_METRICS_SCRIPT = """
() => {
  const nav = performance.getEntriesByType("navigation")[0];
  const paints = {};
  for (const entry of performance.getEntriesByType("paint")) paints[entry.name] = entry.startTime;
  const lcp = window.__benchLcp;
  const element = lcp && lcp.element;
  return {
    nav: nav ? { dcl: nav.domContentLoadedEventEnd, load: nav.loadEventEnd, end: nav.responseEnd,
                 transfer: nav.transferSize, url: nav.name } : null,
    fcp: paints["first-contentful-paint"] ?? null,
    fp: paints["first-paint"] ?? null,
    lcp: lcp ? lcp.startTime : null,
    lcpElement: element ? element.tagName.toLowerCase() + (element.id ? "#" + element.id : "") : null,
    resources: performance.getEntriesByType("resource").map((e) => ({
      url: e.name, start: e.startTime, end: e.responseEnd, transfer: e.transferSize,
      decoded: e.decodedBodySize, initiator: e.initiatorType })),
  };
}
"""


def is_static(url: str) -> bool:
    """A file the UI is made of (HTML, modules, CSS, vendored files) rather than an API call."""
    path = urlsplit(url).path
    return path.startswith("/_dashboards/") and not path.startswith(
        ("/_dashboards/api/", "/_dashboards/auth/"))


def quiet_ms(start_end: list[tuple[float, float]], loaded: float) -> float:
    """When the network went quiet after the load event (``loaded``): the end of the last
    request of the burst going on then, where a request starting more than
    :data:`QUIET_MS` after every earlier one ended belongs to a later burst (a view's
    polling), as Playwright's ``networkidle`` sees it."""
    quiet = loaded
    for start, end in sorted(start_end):
        if start > quiet + QUIET_MS:
            break
        quiet = max(quiet, end)
    return quiet


@dataclass
class _Call:
    """An API call the page made, as Playwright saw it."""

    method: str
    url: str
    body: bytes | None
    headers: dict[str, str]
    status: int | None
    #: From the request's start to its response's last byte, and the server's part of it
    #: (request sent → first byte of the response).
    ms: float | None
    server_ms: float | None


def _call(request: Any, statuses: dict[int, int]) -> _Call:
    timing = request.timing or {}
    end, sent, first = (timing.get(k, -1) for k in ("responseEnd", "requestStart",
                                                     "responseStart"))
    return _Call(request.method, request.url, request.post_data_buffer,
                 {k: v for k, v in request.headers.items()
                  if k.lower() in ("content-type", "osd-xsrf")},
                 statuses.get(id(request)), end if end >= 0 else None,
                 first - sent if first >= 0 and sent >= 0 else None)


def _load(context: Any, url: str) -> tuple[dict[str, Any], list[_Call]]:
    """One load of ``url`` in a new page of ``context``: its figures and its API calls."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    page = context.new_page()
    problems: list[str] = []
    calls: list[_Call] = []
    statuses: dict[int, int] = {}
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("console", lambda m: problems.append(m.text)
            if m.type == "error" and HTTP_STATUS_LINE not in m.text else None)
    page.on("response", lambda r: statuses.__setitem__(id(r.request), r.status))
    page.on("requestfinished", lambda r: None if is_static(r.url) else calls.append(
        _call(r, statuses)))
    page.on("requestfailed", lambda r: problems.append(f"request failed: {r.method} {r.url}: "
                                                       f"{r.failure}"))
    try:
        page.goto(url, wait_until="load", timeout=LOAD_TIMEOUT_S * 1000)
        quiet = True
        try:
            page.wait_for_load_state("networkidle", timeout=LOAD_TIMEOUT_S * 1000)
        except PlaywrightTimeout:
            quiet = False
        metrics = page.evaluate(_METRICS_SCRIPT)
    finally:
        page.close()
    return _figures(metrics, calls, problems, quiet), calls


def _figures(metrics: dict[str, Any], calls: list[_Call], problems: list[str],
             quiet: bool) -> dict[str, Any]:
    nav = metrics["nav"] or {}
    resources = metrics["resources"]
    static = [r for r in resources if is_static(r["url"])]
    api = [r for r in resources if not is_static(r["url"])]
    durations = [c.ms for c in calls if c.ms is not None]
    slowest = max((c for c in calls if c.ms is not None), key=lambda c: c.ms or 0.0,
                  default=None)
    slowest_file = max(static, key=lambda r: r["end"] - r["start"], default=None)
    return {
        "fcp_ms": metrics["fcp"], "lcp_ms": metrics["lcp"], "lcp_element": metrics["lcpElement"],
        "dcl_ms": nav.get("dcl"), "load_ms": nav.get("load"),
        "quiet_ms": quiet_ms([(r["start"], r["end"]) for r in resources], nav.get("load") or 0.0)
        if quiet else None,
        "static_requests": len(static) + 1,  # and the document itself
        "static_bytes": sum(r["transfer"] for r in static) + (nav.get("transfer") or 0),
        "static_decoded_bytes": sum(r["decoded"] for r in static),
        "api_requests": len(api), "api_bytes": sum(r["transfer"] for r in api),
        "api_sum_ms": sum(durations) if durations else None,
        "api_max_ms": max(durations) if durations else None,
        "api_server_sum_ms": sum(c.server_ms for c in calls if c.server_ms is not None)
        if calls else None,
        "api_errors": sum(1 for c in calls if c.status is not None and c.status >= 400),
        "slowest_api": f"{c.method} {_path(c.url)} {c.ms:.0f} ms" if (c := slowest) else None,
        "slowest_file": f"{_path(f['url'])} {f['end'] - f['start']:.0f} ms"
        if (f := slowest_file) else None,
        "last_file_ms": max((r["end"] for r in static), default=None),
        "problems": problems[:5],
    }


def _path(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


@contextmanager
def _browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def measure_view(browser: Any, base_url: str, view: View, reps: int,
                 authorization: str | None) -> tuple[dict[str, Any], list[_Call]]:
    """``reps`` cold loads (a new context each) each followed by a warm one; the medians,
    every sample, and the API calls of the first cold load (for the baseline)."""
    url = f"{base_url}/_dashboards/#{view.route}"
    samples: dict[str, list[dict[str, Any]]] = {"cold": [], "warm": []}
    first_calls: list[_Call] = []
    headers = {"Authorization": authorization} if authorization else None
    began = time.perf_counter()
    for rep in range(reps):
        context = browser.new_context(extra_http_headers=headers,
                                      viewport={"width": 1280, "height": 800})
        context.add_init_script(_INIT_SCRIPT)
        try:
            cold, calls = _load(context, url)
            warm, _ = _load(context, url)
        finally:
            context.close()
        samples["cold"].append(cold)
        samples["warm"].append(warm)
        if rep == 0:
            first_calls = calls
    result = {"view": view.name, "route": view.route, "note": view.note, "reps": reps,
              "cold": _medians(samples["cold"]), "warm": _medians(samples["warm"]),
              "samples": samples, "seconds": time.perf_counter() - began}
    problems = [p for s in samples["cold"] + samples["warm"] for p in s["problems"]]
    result["problems"] = sorted(set(problems))[:5]
    result["status"] = "ok" if not problems else "errors"
    return result, first_calls


def _medians(samples: list[dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in samples[0].items():
        if isinstance(value, int | float) or value is None:
            numbers = [s[key] for s in samples if isinstance(s[key], int | float)]
            out[key] = statistics.median(numbers) if numbers else None
    for key in ("slowest_api", "slowest_file", "lcp_element"):
        out[key] = samples[0][key]
    out["never_quiet"] = sum(1 for s in samples if s["quiet_ms"] is None)
    return out


# --------------------------------------------------------------------------- the baseline


def replay(client: HttpClient, calls: list[_Call], reps: int) -> dict[str, Any]:
    """The view's API calls sent again, one after the other, by the benchmark's client:
    the median over ``reps`` of their summed latency (after one untimed round). Writes are
    never sent; they are counted as skipped."""
    reads = [c for c in calls if c.method in ("GET", "HEAD")
             or (c.method == "POST" and _READS.search(urlsplit(c.url).path))]
    if not reads:
        return {"calls": 0, "skipped": len(calls), "sum_ms": None, "max_ms": None}
    sums, maxes = [], []
    for rep in range(reps + 1):
        times = []
        for c in reads:
            resp = client.request(c.method, _path(c.url), c.body,
                                  c.headers.get("content-type", "application/json"),
                                  headers={k: v for k, v in c.headers.items()
                                           if k.lower() != "content-type"})
            times.append(resp.seconds * 1000)
        if rep:
            sums.append(sum(times))
            maxes.append(max(times))
    return {"calls": len(reads), "skipped": len(calls) - len(reads),
            "sum_ms": statistics.median(sums), "max_ms": statistics.median(maxes),
            "sum_p90_ms": percentile(sums, 90)}


# --------------------------------------------------------------------------- the scenario


def scenario_ui(server: Server, work: Path, docs: int, seed: int, bulk_docs: int,
                clients: int, reps: int) -> dict[str, Any]:
    """Load the data, make the index pattern, then every view cold and warm ``reps`` times
    with the direct API baseline; ``skipped`` (with how to install) without a browser."""
    why = unavailable()
    if why:
        return {"skipped": why, "views": []}
    began = time.perf_counter()
    data = load_data(server, work, docs, seed, bulk_docs, clients)
    client = server.client()
    objects = prepare_objects(client)
    settled = settle(server)
    prepared = time.perf_counter() - began
    base_url = f"http://{server.host}:{server.port}"
    results = []
    try:
        with _browser() as browser:
            version = browser.version
            for view in views(objects):
                if view.name in NEEDS_PATTERN and not objects["available"]:
                    results.append({"view": view.name, "route": view.route,
                                    "status": "not available", "note": objects["reason"]})
                    continue
                res, calls = measure_view(browser, base_url, view, reps, server.authorization)
                res["direct"] = replay(client, calls, reps)
                res["calls"] = [f"{c.method} {_path(c.url)}" for c in calls]
                cold, direct = res["cold"], res["direct"]
                res["quiet_over_direct"] = (cold["quiet_ms"] / direct["sum_ms"]
                                            if cold.get("quiet_ms") and direct["sum_ms"]
                                            else None)
                res["goal_met"] = (cold["fcp_ms"] is not None
                                   and cold["fcp_ms"] < GOAL_FCP_S * 1000)
                results.append(res)
                server.check_alive()
    finally:
        remove_objects(client, objects)
        client.request("DELETE", f"/{UI_INDEX}")
        client.close()
    return {"data": data, "objects": objects, "settle_s": settled, "prepare_s": prepared,
            "seconds": time.perf_counter() - began, "reps": reps,
            "browser": f"Chromium {version}", "goal_fcp_ms": GOAL_FCP_S * 1000,
            "views": results}
