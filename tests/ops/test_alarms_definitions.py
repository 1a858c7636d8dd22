"""The alarm definitions on their own: the seed's free-storage figure for its 10 GB domain,
the names, and monitors that the alerting API accepts and that compare equal to themselves."""

from __future__ import annotations

from loghaven.alerting.monitors import parse_monitor
from loghaven.ops.alarms import differences, monitor_body, recommended


def test_free_storage_is_the_seeds_20_percent_with_a_25_percent_warning() -> None:
    # es-create-cwalarms on a 10 GB EBS volume: "Desired free storage set to (in MB): 2048.0"
    alarms = {(a.metric, a.level): a for a in recommended(10 * 1024)}
    assert alarms["FreeStorageSpace", "critical"].threshold == 2048.0
    assert alarms["FreeStorageSpace", "warn"].threshold == 2560.0
    # the seed's check on a 4 GB instance store: "free storage calced to: 819.2 MB"
    assert {(a.metric, a.level): a for a in recommended(4 * 1024)}[
        "FreeStorageSpace", "critical"].threshold == 819.2


def test_names_follow_the_seeds_pattern_with_the_level() -> None:
    names = [alarm.name("web-1") for alarm in recommended(10_000)]
    assert names == [
        "Loghaven-web-1-ClusterStatus.red-Alarm", "Loghaven-web-1-ClusterStatus.yellow-Alarm",
        "Loghaven-web-1-FreeStorageSpace-warn-Alarm",
        "Loghaven-web-1-FreeStorageSpace-critical-Alarm",
        "Loghaven-web-1-ClusterIndexWritesBlocked-Alarm",
        "Loghaven-web-1-AutomatedSnapshotFailure-Alarm",
        "Loghaven-web-1-JVMMemoryPressure-warn-Alarm",
        "Loghaven-web-1-JVMMemoryPressure-critical-Alarm",
        "Loghaven-web-1-CPUUtilization-warn-Alarm", "Loghaven-web-1-CPUUtilization-critical-Alarm"]


def test_each_monitor_is_valid_and_equal_to_itself_once_stored() -> None:
    for alarm in recommended(10_000):
        body = monitor_body(alarm, node_name="web-1", node_id="n1", channel_id="pager")
        first = parse_monitor(body, now_ms=1, user=None)
        again = parse_monitor(body, now_ms=2, user=None)
        assert differences(first, again) == []
        other = parse_monitor(monitor_body(alarm, node_name="web-1", node_id="n1",
                                           channel_id="other"), now_ms=3, user=None)
        assert differences(first, other) == [
            {"field": "channel", "expected": ["pager"], "actual": ["other"]}]
        periods = body["inputs"][0]["search"]["query"]["aggregations"]["periods"]
        assert len(periods["filters"]["filters"]) == alarm.evaluation_periods
