"""``loghaven check`` against a real node that follows the best practices (loopback, a snapshot
policy, a disk of its own: a tmpfs), behind the stand-in alarms API: nothing needs attention
(exit 0); then alarms that do not match or are missing, ``--fix``, a filling disk and a wrong
memory limit."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import orjson
import pytest
from tests.ops.checkkit import (
    DEFINITIONS,
    AlarmsStub,
    alarms_proxy,
    check,
    check_json,
    warning_codes,
)
from tests.test_disk_full import SmallDisk, small_disk

from conftest import Server

SNAPSHOTS = {"creation": {"schedule": {"cron": {"expression": "30 2 * * *",
                                                "timezone": "UTC"}}},
             "snapshot_config": {"repository": "backups"}}
WRITES_BLOCKED = "Loghaven-loghaven-1-ClusterIndexWritesBlocked-Alarm"
FREE_CRITICAL = "Loghaven-loghaven-1-FreeStorageSpace-critical-Alarm"


@pytest.fixture(scope="module")
def disk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SmallDisk]:
    with small_disk(tmp_path_factory.mktemp("clean"), 96) as mounted:
        yield mounted


@pytest.fixture(scope="module")
def node(disk: SmallDisk) -> Iterator[Server]:
    server = Server(disk.path / "data").start()
    created = httpx.post(f"{server.url}/_plugins/_sm/policies/daily", json=SNAPSHOTS)
    assert created.status_code == 201, created.text
    yield server
    server.stop()


@pytest.fixture
def stub(node: Server) -> Iterator[AlarmsStub]:
    with alarms_proxy(node.url) as instance:
        yield instance


def test_a_clean_node_needs_no_attention(stub: AlarmsStub) -> None:
    done = check("--url", stub.url)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Warnings\n  none" in done.stdout
    for alarm in stub.alarms or []:
        assert f"Alarm ok; definition matches  {alarm['name']} [state OK]" in done.stdout
    assert done.stdout.rstrip().endswith("Nothing needs attention.")
    code, report = check_json("--url", stub.url)
    assert code == report["exit_code"] == 0 and report["needs_attention"] is False
    assert report["warnings"] == [] and report["fix"] is None
    assert report["alarms"]["available"] and report["alarms"]["enabled"]
    assert [a["lines"] for a in report["alarms"]["alarms"]] == [["ok; definition matches"]] * len(DEFINITIONS)


def test_mismatched_and_missing_alarms(stub: AlarmsStub) -> None:
    stub.set_status("FreeStorageSpace", "critical", "mismatch", [
        {"field": "threshold", "expected": 2048.0, "actual": 1000.0},
        {"field": "evaluation_periods", "expected": 1, "actual": 3}])
    stub.set_status("ClusterIndexWritesBlocked", "critical", "missing")
    done = check("--url", stub.url)
    assert done.returncode == 1
    assert (f"WARNING: Alarm threshold does not match: should be 2048.0; is 1000.0  "
            f"{FREE_CRITICAL}") in done.stdout
    assert (f"WARNING: Alarm evaluation_periods does not match: should be 1; is 3  "
            f"{FREE_CRITICAL}") in done.stdout
    assert (f"WARNING: Alarm missing  {WRITES_BLOCKED} (ClusterIndexWritesBlocked, Maximum, "
            f"300, 1, GreaterThanOrEqualToThreshold, 1.0)") in done.stdout
    assert "2 alarm problems (run `loghaven check --fix`" in done.stdout
    _, report = check_json("--url", stub.url)
    by_name = {a["name"]: a for a in report["alarms"]["alarms"]}
    assert by_name[WRITES_BLOCKED]["lines"] == ["missing"]
    assert by_name[FREE_CRITICAL]["lines"] == [
        "threshold does not match: should be 2048.0; is 1000.0",
        "evaluation_periods does not match: should be 1; is 3"]
    assert report["warnings"] == [] and report["exit_code"] == 1


def test_fix_creates_and_updates_then_all_match(stub: AlarmsStub) -> None:
    stub.set_status("FreeStorageSpace", "critical", "mismatch", [
        {"field": "threshold", "expected": 2048.0, "actual": 1000.0}])
    stub.set_status("ClusterIndexWritesBlocked", "critical", "missing")
    stub.enabled = False
    done = check("--url", stub.url, "--fix", "--channel", "ops-pager")
    assert done.returncode == 0, done.stdout
    assert f"Created {WRITES_BLOCKED}" in done.stdout
    assert f"Updated {FREE_CRITICAL}" in done.stdout
    assert orjson.loads(stub.enable_bodies[-1]) == {"channel_id": "ops-pager"}
    assert "Nothing needs attention." in done.stdout

    stub.set_status("ClusterIndexWritesBlocked", "critical", "missing")
    code, report = check_json("--url", stub.url, "--fix")
    assert stub.enable_bodies[-1] == b""
    assert code == 0 and report["fix"]["created"] == [WRITES_BLOCKED]
    assert report["fix"]["updated"] == [] and len(report["fix"]["unchanged"]) == len(DEFINITIONS) - 1
    assert all(a["status"] == "ok" for a in report["alarms"]["alarms"])


def test_disk_headroom(stub: AlarmsStub, disk: SmallDisk) -> None:
    total = disk.free() + sum(f.stat().st_size for f in disk.path.rglob("*") if f.is_file())
    try:
        disk.fill(leave=int(total * 0.22))
        code, report = check_json("--url", stub.url)
        headroom = next(w for w in report["warnings"] if w["code"] == "disk_headroom")
        assert code == 1 and "is free (below 25%)" in headroom["message"]
        assert "act now" not in headroom["message"]
        disk.fill(leave=int(total * 0.15))
        done = check("--url", stub.url)
        assert done.returncode == 1
        assert "is free (below 20%): act now, writes are blocked" in done.stdout
    finally:
        disk.release()
    _, report = check_json("--url", stub.url)
    assert "disk_headroom" not in warning_codes(report)


def test_memory_limit(node: Server, stub: AlarmsStub) -> None:
    cases = [("4096tb", "is more than the machine's memory"), ("10mb", "memory pressure is")]
    try:
        for limit, expected in cases:
            node.env = {"LOGHAVEN_NODE_MEMORY_LIMIT": limit}
            node.restart()
            code, report = check_json("--url", stub.url)
            assert code == 1 and report["overview"]["memory"]["limit"] == limit
            assert [w for w in report["warnings"]
                    if w["code"] == "memory_limit" and expected in w["message"]], limit
    finally:
        node.env = {}
        node.restart()
