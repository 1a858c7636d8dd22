"""``loghaven check`` against a real node that follows the best practices (loopback, a snapshot
policy, a disk of its own: a tmpfs) with its recommended alarms installed: nothing needs
attention (exit 0); then alarms edited or deleted through the alerting API, ``--fix`` against
the node's own alarms API, a filling disk and a wrong memory limit."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from tests.ops.checkkit import ALARMS, check, check_json, warning_codes
from tests.test_disk_full import SmallDisk, small_disk

from conftest import Server

SNAPSHOTS = {"creation": {"schedule": {"cron": {"expression": "30 2 * * *",
                                                "timezone": "UTC"}}},
             "snapshot_config": {"repository": "backups"}}


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


def alarms(node: Server) -> dict[str, dict]:
    """The recommended alarms as the node's own API lists them, by name."""
    listed = httpx.get(f"{node.url}{ALARMS}", timeout=30).json()["alarms"]
    return {alarm["name"]: alarm for alarm in listed}


def named(node: Server, metric: str) -> str:
    return next(name for name, alarm in alarms(node).items() if alarm["metric"] == metric
                and (metric != "FreeStorageSpace" or alarm["severity"] == "critical"))


@pytest.fixture
def enabled(node: Server) -> dict[str, dict]:
    """The alarms installed as recommended (the node's ``_enable``), with no channel."""
    with httpx.Client(base_url=node.url, timeout=30) as es:
        for alarm in alarms(node).values():  # a test before left its channel: start afresh
            if alarm["monitor_id"]:
                es.delete(f"/_plugins/_alerting/monitors/{alarm['monitor_id']}")
        assert es.post(f"{ALARMS}/_enable").status_code == 200
    return alarms(node)


def test_a_clean_node_needs_no_attention(node: Server, enabled: dict[str, dict]) -> None:
    done = check("--url", node.url)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Warnings\n  none" in done.stdout
    for name in enabled:  # (the state may change as samples arrive)
        assert f"Alarm ok; definition matches  {name} [state " in done.stdout
    assert done.stdout.rstrip().endswith("Nothing needs attention.")
    code, report = check_json("--url", node.url)
    assert code == report["exit_code"] == 0 and report["needs_attention"] is False
    assert report["warnings"] == [] and report["fix"] is None
    assert report["alarms"]["available"]
    assert [a["lines"] for a in report["alarms"]["alarms"]] == \
        [["ok; definition matches"]] * len(enabled)


def _break_two(node: Server, enabled: dict[str, dict]) -> tuple[str, str, float]:
    """Edit the critical free-storage alarm's threshold and delete the blocked-writes one,
    through the alerting API as a user could: their names and the expected threshold."""
    free, blocked = named(node, "FreeStorageSpace"), named(node, "ClusterIndexWritesBlocked")
    monitor = f"{node.url}/_plugins/_alerting/monitors/{enabled[free]['monitor_id']}"
    stored = httpx.get(monitor, timeout=30).json()["monitor"]
    stored["triggers"][0]["query_level_trigger"]["condition"]["script"]["params"][
        "threshold"] = 1000.0
    assert httpx.put(monitor, json=stored, timeout=30).status_code == 200
    assert httpx.delete(f"{node.url}/_plugins/_alerting/monitors/"
                        f"{enabled[blocked]['monitor_id']}", timeout=30).status_code == 200
    return free, blocked, enabled[free]["threshold"]


def test_mismatched_and_missing_alarms(node: Server, enabled: dict[str, dict]) -> None:
    free, blocked, threshold = _break_two(node, enabled)
    done = check("--url", node.url)
    assert done.returncode == 1
    assert (f"WARNING: Alarm threshold does not match: should be {threshold}; is 1000.0  "
            f"{free}") in done.stdout
    assert (f"WARNING: Alarm missing  {blocked} (ClusterIndexWritesBlocked, Maximum, "
            f"300, 1, GreaterThanOrEqualToThreshold, 1.0)") in done.stdout
    assert "2 alarm problems (run `loghaven check --fix`" in done.stdout
    _, report = check_json("--url", node.url)
    by_name = {a["name"]: a for a in report["alarms"]["alarms"]}
    assert by_name[blocked]["lines"] == ["missing"]
    assert by_name[free]["lines"] == [f"threshold does not match: should be {threshold}; "
                                      f"is 1000.0"]
    assert report["warnings"] == [] and report["exit_code"] == 1


def test_fix_creates_and_updates_then_all_match(node: Server,
                                                enabled: dict[str, dict]) -> None:
    free, blocked, _ = _break_two(node, enabled)
    assert httpx.post(f"{node.url}/_plugins/_notifications/configs", timeout=30, json={
        "config_id": "ops-pager", "config": {"name": "Ops pager", "config_type": "webhook",
                                             "webhook": {"url": "http://127.0.0.1:9/"}}}
                      ).status_code in (200, 409)
    done = check("--url", node.url, "--fix", "--channel", "ops-pager")
    assert done.returncode == 0, done.stdout
    assert f"Created {blocked}" in done.stdout and f"Updated {free}" in done.stdout
    assert "Nothing needs attention." in done.stdout
    monitor = httpx.get(f"{node.url}/_plugins/_alerting/monitors/"
                        f"{alarms(node)[free]['monitor_id']}", timeout=30).json()["monitor"]
    assert {action["destination_id"] for trigger in monitor["triggers"]
            for action in trigger["query_level_trigger"]["actions"]} == {"ops-pager"}

    assert httpx.delete(f"{node.url}/_plugins/_alerting/monitors/"
                        f"{alarms(node)[blocked]['monitor_id']}", timeout=30).status_code == 200
    code, report = check_json("--url", node.url, "--fix")
    assert code == 0 and report["fix"]["created"] == [blocked]
    assert report["fix"]["updated"] == []
    assert len(report["fix"]["unchanged"]) == len(enabled) - 1
    assert all(a["status"] == "ok" for a in report["alarms"]["alarms"])


def test_disk_headroom(node: Server, disk: SmallDisk) -> None:
    total = disk.free() + sum(f.stat().st_size for f in disk.path.rglob("*") if f.is_file())
    try:
        disk.fill(leave=int(total * 0.22))
        code, report = check_json("--url", node.url)
        headroom = next(w for w in report["warnings"] if w["code"] == "disk_headroom")
        assert code == 1 and "is free (below 25%)" in headroom["message"]
        assert "act now" not in headroom["message"]
        disk.fill(leave=int(total * 0.15))
        done = check("--url", node.url)
        assert done.returncode == 1
        assert "is free (below 20%): act now, writes are blocked" in done.stdout
    finally:
        disk.release()
    _, report = check_json("--url", node.url)
    assert "disk_headroom" not in warning_codes(report)


def test_memory_limit(node: Server) -> None:
    cases = [("4096tb", "is more than the machine's memory"), ("10mb", "memory pressure is")]
    try:
        for limit, expected in cases:
            node.env = {"LOGHAVEN_NODE_MEMORY_LIMIT": limit}
            node.restart()
            code, report = check_json("--url", node.url)
            assert code == 1 and report["overview"]["memory"]["limit"] == limit
            assert [w for w in report["warnings"]
                    if w["code"] == "memory_limit" and expected in w["message"]], limit
    finally:
        node.env = {}
        node.restart()
