"""Search-idle indices skip scheduled refreshes, and the next search refreshes first (as ES)."""

from __future__ import annotations

import time

import httpx


def _visible(es: httpx.Client, index: str) -> str:
    """docs.count from _cat/indices, which reads without refreshing."""
    return es.get(f"/_cat/indices/{index}?format=json&h=docs.count").json()[0]["docs.count"]


def test_idle_index_refreshes_on_search_only(es: httpx.Client, index_name: str) -> None:
    es.put(f"/{index_name}", json={"settings": {"index.search.idle.after": "1s"}})
    time.sleep(1.5)
    es.put(f"/{index_name}/_doc/1", json={"msg": "written while idle"})
    time.sleep(2.0)
    assert _visible(es, index_name) == "0", "a search-idle index refreshed on schedule"
    assert es.get(f"/{index_name}/_count").json()["count"] == 1
    assert _visible(es, index_name) == "1"


def test_explicit_refresh_interval_keeps_refreshing(es: httpx.Client, index_name: str) -> None:
    es.put(f"/{index_name}", json={"settings": {"index.search.idle.after": "1s",
                                                "index.refresh_interval": "1s"}})
    time.sleep(1.5)
    es.put(f"/{index_name}/_doc/1", json={"msg": "written while idle"})
    deadline = time.monotonic() + 10
    while _visible(es, index_name) != "1" and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _visible(es, index_name) == "1"
