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


def test_idle_index_commits_once_its_log_reaches_the_flush_threshold(
        es: httpx.Client, index_name: str) -> None:
    """``index.translog.flush_threshold_size`` bounds the log a search-idle index keeps
    (and replays after a crash): past it, the scheduled refresh commits all the same."""
    es.put(f"/{index_name}", json={"settings": {"index.search.idle.after": "1s",
                                                "index.translog.flush_threshold_size": "1kb"}})
    time.sleep(1.5)
    es.put(f"/{index_name}/_doc/1", json={"msg": "small"})
    time.sleep(2.0)
    assert _visible(es, index_name) == "0", "committed below the threshold"
    es.put(f"/{index_name}/_doc/2", json={"msg": "x" * 2000})
    deadline = time.monotonic() + 10
    while _visible(es, index_name) != "2" and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _visible(es, index_name) == "2"


def test_flush_threshold_is_a_byte_size_of_at_least_56_bytes(es: httpx.Client,
                                                              index_name: str) -> None:
    setting = "index.translog.flush_threshold_size"
    low = es.put(f"/{index_name}", json={"settings": {setting: "10b"}})
    assert low.status_code == 400
    assert low.json()["error"]["reason"] == (
        f"failed to parse value [10b] for setting [{setting}], must be >= [56b]")
    no_unit = es.put(f"/{index_name}", json={"settings": {setting: "512"}})
    assert no_unit.status_code == 400 and no_unit.json()["error"]["reason"] == (
        f"failed to parse setting [{setting}] with value [512] as a size in bytes: unit is "
        f"missing or unrecognized")
    assert {low.json()["error"]["type"], no_unit.json()["error"]["type"]} == {
        "illegal_argument_exception"}
    assert es.put(f"/{index_name}", json={"settings": {setting: "256mb"}}).status_code == 200
    assert es.put(f"/{index_name}/_settings", json={setting: "1gb"}).status_code == 200
    assert es.get(f"/{index_name}/_settings").json()[index_name]["settings"]["index"][
        "translog"]["flush_threshold_size"] == "1gb"
