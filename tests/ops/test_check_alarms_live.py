"""``loghaven check`` end to end with the real recommended-alarms API: every alarm missing on a
new node, ``--fix`` creating them once, a threshold edited through the alerting API reported
as the seed reports it and put right by ``--fix``."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from tests.ops.checkkit import check, check_json

from conftest import Server

FREE_CRITICAL = "Loghaven-loghaven-1-FreeStorageSpace-critical-Alarm"


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    server = Server(tmp_path_factory.mktemp("alarms") / "data").start()
    yield server
    server.stop()


def alarms_of(report: dict) -> dict[str, dict]:
    return {alarm["name"]: alarm for alarm in report["alarms"]["alarms"]}


def test_missing_alarms_then_fix_then_a_changed_threshold(node: Server) -> None:
    code, report = check_json("--url", node.url)
    listed = alarms_of(report)
    assert code == 1 and report["alarms"]["available"] and not report["alarms"]["enabled"]
    assert len(listed) == 10 and {a["status"] for a in listed.values()} == {"missing"}
    done = check("--url", node.url)
    assert (f"WARNING: Alarm missing  {FREE_CRITICAL} (FreeStorageSpace, Minimum, 60, 1, "
            f"LessThanOrEqualToThreshold, {report['overview']['free_storage_threshold_mb']})"
            ) in done.stdout

    fixed = check("--url", node.url, "--fix")
    for name in listed:
        assert f"Created {name}" in fixed.stdout
        assert f"Alarm ok; definition matches  {name}" in fixed.stdout
    _, report = check_json("--url", node.url, "--fix")  # again: nothing twice
    assert report["fix"]["created"] == report["fix"]["updated"] == []
    assert sorted(report["fix"]["unchanged"]) == sorted(listed)
    after = alarms_of(report)
    assert {a["status"] for a in after.values()} == {"ok"}
    # the overview's free storage threshold is the critical alarm's
    assert after[FREE_CRITICAL]["threshold"] == report["overview"]["free_storage_threshold_mb"]

    with httpx.Client(base_url=node.url, timeout=30) as es:
        monitor_id = after[FREE_CRITICAL]["monitor_id"]
        stored = es.get(f"/_plugins/_alerting/monitors/{monitor_id}").json()["monitor"]
        stored["triggers"][0]["query_level_trigger"]["condition"]["script"]["params"][
            "threshold"] = 3000.0
        assert es.put(f"/_plugins/_alerting/monitors/{monitor_id}",
                      json=stored).status_code == 200
    done = check("--url", node.url)
    expected = after[FREE_CRITICAL]["threshold"]
    assert done.returncode == 1
    assert (f"WARNING: Alarm threshold does not match: should be {expected}; is 3000.0  "
            f"{FREE_CRITICAL}") in done.stdout
    fixed = check("--url", node.url, "--fix")
    assert f"Updated {FREE_CRITICAL}" in fixed.stdout
    assert f"Alarm ok; definition matches  {FREE_CRITICAL}" in fixed.stdout
