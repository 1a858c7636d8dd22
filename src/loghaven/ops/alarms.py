"""The recommended alarms: AWS's recommended CloudWatch alarms for an OpenSearch domain, made
alerting monitors over this node's metrics history.

Each alarm is a query-level monitor named ``Loghaven-<node_name>-<Metric>[-warn|-critical]-Alarm``
(the seed's es-create-cwalarms naming, with the product and node instead of ``Test-Elasticsearch``
and the domain) over ``.loghaven-metrics-*``, so it runs as a scheduler job like every monitor
and notifies through the notification channels. It evaluates as CloudWatch does: the
statistic (``Minimum``/``Maximum``/``Average``) of the metric in each of the last
``evaluation_periods`` periods of ``period_seconds`` ending at the run, one ``filters`` bucket
per period; the trigger holds only when every one of those periods breaches the threshold. A
period without samples does not breach (CloudWatch's missing data), and an alarm whose window
holds no sample at all is ``INSUFFICIENT_DATA``. The monitors run every minute (the
history's default interval), so a window slides as CloudWatch's does.

The monitors are the node's own: created and updated acting as the node (no ``user``), so
they run with the node's rights whatever the caller of ``_enable`` may read. They are found by
name, so enabling twice creates nothing twice; a definition that differs (a threshold edited
through the alerting API, a different disk size) is a *mismatch* that ``_enable`` updates.

Where each number comes from (docs/operations.md, "Recommended alarms", has the table):

- AWS, "Recommended CloudWatch alarms for Amazon OpenSearch Service" (the OpenSearch Service
  developer guide): ClusterStatus.red Maximum >= 1 for 1 minute, 1 time; ClusterStatus.yellow
  Maximum >= 1 for 1 minute, 5 times; FreeStorageSpace Minimum <= 25% of each node's storage
  for 1 minute, 1 time; ClusterIndexWritesBlocked >= 1 for 5 minutes, 1 time;
  AutomatedSnapshotFailure Maximum >= 1 for 1 minute, 1 time; CPUUtilization Maximum >= 80%
  for 15 minutes, 3 times. The JVM levels are from the table of the sample stack the guide
  links to (ev2900/OpenSearch_CloudWatch_Alarms): JVMMemoryPressure Maximum >= 95 and
  OldGenJVMMemoryPressure Maximum >= 80, each for 1 minute, 3 times (our JVMMemoryPressure
  critical and warning: a Python process has no old generation, its memory against the
  limit is the one figure).
- The seed (AWS Big Data blog, "Improve the Operational Efficiency of Amazon Elasticsearch
  Service Domains with Automated Alarms Using Amazon CloudWatch", and its es-check-cwalarms
  script): free storage at 20% of the storage (``esFreespacePercent = .20``) is the
  "emergency" level that must be acted on at once, 25% the "normal" one to plan for ("laddered"
  alarms); a domain that tolerates slower searches alarms on CPU only "when the average has
  been higher than 60% for 5 minutes" (our CPUUtilization warning).

Not installed, because they cannot apply to one Loghaven node: ``Nodes`` (a node cannot see
its own absence: when it is down nothing samples or evaluates; ``loghaven check`` from outside
reports an unreachable server), the ``Master*`` alarms and ``MasterReachableFromNode`` (no
dedicated cluster-manager nodes), ``KMSKeyError``/``KMSKeyInaccessible`` (no KMS),
``Shards.active`` (no shards: an index is a sequence of splits), the ``Threadpool*`` queue and
rejection alarms (no thread-pool queues that reject), and the EBS throughput/IOPS alarms.
"""

from __future__ import annotations

import logging
import shutil
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from loghaven.alerting.alerts import ACKNOWLEDGED, ACTIVE
from loghaven.alerting.monitors import parse_monitor
from loghaven.alerting.service import AlertingService
from loghaven.config import Config
from loghaven.errors import LoghavenError
from loghaven.notify.service import NotificationService
from loghaven.security import context
from loghaven.security.subject import INTERNAL

log = logging.getLogger("loghaven.ops.alarms")

#: The metrics history the alarms read (ops/history.py writes it).
METRICS_PATTERN = ".loghaven-metrics-*"
#: The action the node acts as when it writes its alarm monitors.
WRITE_ACTION = "cluster:admin/opendistro/alerting/monitor/write"
#: CloudWatch's statistics and the aggregation that computes each over one period.
STATISTICS = {"Minimum": "min", "Maximum": "max", "Average": "avg"}
#: CloudWatch's comparison operators.
COMPARISONS = {"GreaterThanOrEqualToThreshold": ">=", "GreaterThanThreshold": ">",
               "LessThanThreshold": "<", "LessThanOrEqualToThreshold": "<="}
#: Alerting severities (1 is the highest) of the alarms' two levels.
SEVERITIES = {"critical": "1", "warn": "3"}
#: The fields of an alarm's definition, as the API lists them and compares them.
DEFINITION = ("metric", "statistic", "period_seconds", "evaluation_periods", "comparison",
              "threshold")
#: Every alarm runs every minute, over its own window (period * evaluation periods).
SCHEDULE = {"period": {"interval": 1, "unit": "MINUTES"}}
#: Fixed trigger and action ids, so that an update keeps the alarm's active alert.
TRIGGER_ID = "alarm"
ACTION_ID = "notify"
#: Free storage alarms as a share of the data path's filesystem: the seed's 20% (act now)
#: and AWS's 25% (plan for it).
FREE_STORAGE_CRITICAL = 0.20
FREE_STORAGE_WARN = 0.25

#: The trigger condition: every one of the evaluation periods breaches (a period without a
#: sample, whose statistic is null, does not; nor does a history with no index yet, whose
#: search answers without aggregations). Written as "at least ``evaluation_periods`` of the
#: periods", so that lowering the parameter below the query's number of periods is
#: CloudWatch's "M out of N" rather than an alarm that can never fire.
CONDITION = """def aggregations = ctx.results.size() == 0 ? null : ctx.results[0].aggregations;
if (aggregations == null || aggregations.periods == null) { return false; }
int breaching = 0;
for (def period : aggregations.periods.buckets) {
  def value = period.value.value;
  if (value == null) { continue; }
  String op = params.comparison;
  if (op == 'GreaterThanOrEqualToThreshold' ? value >= params.threshold
      : op == 'GreaterThanThreshold' ? value > params.threshold
      : op == 'LessThanThreshold' ? value < params.threshold
      : value <= params.threshold) {
    breaching++;
  }
}
return breaching >= params.evaluation_periods;"""

#: CloudWatch's notification words: ALARM when the alert starts, OK when it completes.
_STATE = ("{{#ctx.alert.end_time}}OK{{/ctx.alert.end_time}}"
          "{{^ctx.alert.end_time}}ALARM{{/ctx.alert.end_time}}")


@dataclass(frozen=True)
class Alarm:
    """One recommended alarm's definition (the seed's ``esAlarms`` tuple, with its level)."""

    metric: str
    statistic: str
    period_seconds: int
    evaluation_periods: int
    comparison: str
    threshold: float
    severity: str
    description: str
    #: ``warn``/``critical`` for a laddered alarm (in its name), None for a single one.
    level: str | None = None

    def name(self, node_name: str) -> str:
        suffix = f"-{self.level}" if self.level else ""
        return f"Loghaven-{node_name}-{self.metric}{suffix}-Alarm"

    def definition(self) -> dict[str, Any]:
        return {field: getattr(self, field) for field in DEFINITION}

    def summary(self) -> str:
        """``FreeStorageSpace Minimum <= 2048.0 for 1 period(s) of 60 s``."""
        return (f"{self.metric} {self.statistic} {COMPARISONS[self.comparison]} "
                f"{self.threshold} for {self.evaluation_periods} period(s) of "
                f"{self.period_seconds} s")


def recommended(disk_total_mb: float) -> list[Alarm]:
    """The alarms for a node whose data path's filesystem holds ``disk_total_mb`` MB."""
    return [
        Alarm("ClusterStatus.red", "Maximum", 60, 1, "GreaterThanOrEqualToThreshold", 1.0,
              "critical", "At least one index is red: a primary split is not available. "
              "(AWS recommended alarm.)"),
        Alarm("ClusterStatus.yellow", "Maximum", 60, 5, "GreaterThanOrEqualToThreshold", 1.0,
              "warn", "The cluster status has been yellow for five minutes. "
              "(AWS recommended alarm.)"),
        Alarm("FreeStorageSpace", "Minimum", 60, 1, "LessThanOrEqualToThreshold",
              _megabytes(disk_total_mb * FREE_STORAGE_WARN), "warn",
              "Free storage on the data path is down to 25% of the disk: plan a clean-up "
              "(old indices, a lifecycle policy, the warm tier). (AWS recommends 25% of the "
              "storage; the seed's laddered 'normal' alarm.)", "warn"),
        Alarm("FreeStorageSpace", "Minimum", 60, 1, "LessThanOrEqualToThreshold",
              _megabytes(disk_total_mb * FREE_STORAGE_CRITICAL), "critical",
              "Free storage on the data path is down to 20% of the disk: act now, before the "
              "flood-stage watermark blocks writes. (The seed's 20% of the storage.)",
              "critical"),
        Alarm("ClusterIndexWritesBlocked", "Maximum", 300, 1, "GreaterThanOrEqualToThreshold",
              1.0, "critical", "An index has a write block from the disk watermark: writes "
              "are refused. (AWS recommended alarm.)"),
        Alarm("AutomatedSnapshotFailure", "Maximum", 60, 1, "GreaterThanOrEqualToThreshold",
              1.0, "critical", "The last run of a snapshot-management policy failed. "
              "(AWS recommended alarm.)"),
        Alarm("JVMMemoryPressure", "Maximum", 60, 3, "GreaterThanOrEqualToThreshold", 80.0,
              "warn", "The process's memory has been at 80% of node.memory.limit for three "
              "minutes. (AWS's OldGenJVMMemoryPressure alarm.)", "warn"),
        Alarm("JVMMemoryPressure", "Maximum", 60, 3, "GreaterThanOrEqualToThreshold", 95.0,
              "critical", "The process's memory has been at 95% of node.memory.limit for "
              "three minutes. (AWS recommended alarm.)", "critical"),
        Alarm("CPUUtilization", "Average", 300, 1, "GreaterThanOrEqualToThreshold", 60.0,
              "warn", "CPU has averaged 60% for five minutes. (The seed's alarm for a "
              "domain that tolerates slower searches.)", "warn"),
        Alarm("CPUUtilization", "Maximum", 900, 3, "GreaterThanOrEqualToThreshold", 80.0,
              "critical", "CPU has reached 80% in each of three 15-minute periods. "
              "(AWS recommended alarm.)", "critical"),
    ]


def _megabytes(value: float) -> float:
    """A storage threshold in MB to a tenth (the seed prints 819.2)."""
    return round(value, 1)


def monitor_body(alarm: Alarm, *, node_name: str, node_id: str,
                 channel_id: str | None) -> dict[str, Any]:
    """The alerting monitor that is the alarm on the node ``node_id``."""
    period = alarm.period_seconds
    periods = []  # the oldest first, each (end - back * period, end - (back - 1) * period]
    for back in range(alarm.evaluation_periods, 0, -1):
        end = "{{period_end}}" if back == 1 else f"{{{{period_end}}}}||-{(back - 1) * period}s"
        periods.append({"range": {"@timestamp": {
            "gt": f"{{{{period_end}}}}||-{back * period}s", "lte": end,
            "format": "epoch_millis"}}})
    window = alarm.evaluation_periods * period
    query = {
        "size": 0,
        "query": {"bool": {"filter": [
            {"term": {"node_id": node_id}},
            {"range": {"@timestamp": {"gt": f"{{{{period_end}}}}||-{window}s",
                                      "lte": "{{period_end}}", "format": "epoch_millis"}}}]}},
        "aggregations": {"periods": {
            "filters": {"filters": periods},
            "aggregations": {"value": {STATISTICS[alarm.statistic]: {"field": alarm.metric}}}}},
    }
    actions = []
    if channel_id:
        actions.append({
            "id": ACTION_ID, "name": "notify", "destination_id": channel_id,
            "subject_template": {"source": f"{_STATE}: {{{{ctx.monitor.name}}}}",
                                 "lang": "mustache"},
            "message_template": {"source": (
                f"{_STATE}: {{{{ctx.monitor.name}}}} on node {node_name}\n"
                f"{alarm.summary()}\n{alarm.description}\n"
                "Evaluated over the period ending {{ctx.periodEnd}}."), "lang": "mustache"},
            "throttle_enabled": False,
            "action_execution_policy": {"action_execution_scope": {
                "per_alert": {"actionable_alerts": ["NEW", "COMPLETED"]}}}})
    return {
        "type": "monitor", "monitor_type": "query_level_monitor",
        "name": alarm.name(node_name), "enabled": True, "schedule": SCHEDULE,
        "inputs": [{"search": {"indices": [METRICS_PATTERN], "query": query}}],
        "triggers": [{"query_level_trigger": {
            "id": TRIGGER_ID, "name": alarm.name(node_name),
            "severity": SEVERITIES[alarm.severity],
            "condition": {"script": {"source": CONDITION, "lang": "painless",
                                     "params": alarm.definition()}},
            "actions": actions}}],
    }


def _trigger(monitor: dict[str, Any]) -> dict[str, Any]:
    triggers = monitor.get("triggers") or [{}]
    return next(iter(triggers[0].values()), {}) if triggers[0] else {}


def _channels(monitor: dict[str, Any]) -> list[str]:
    return [action.get("destination_id") for action in _trigger(monitor).get("actions") or []]


#: The parts of a monitor other than the definition, compared one by one.
_PARTS: dict[str, Callable[[dict[str, Any]], Any]] = {
    "enabled": lambda m: m.get("enabled"),
    "schedule": lambda m: m.get("schedule"),
    "query": lambda m: m.get("inputs"),
    "condition": lambda m: {k: v for k, v in
                            ((_trigger(m).get("condition") or {}).get("script") or {}).items()
                            if k != "params"},
    "severity": lambda m: _trigger(m).get("severity"),
    "channel": _channels,
    # who it runs as: the node (no user), or whoever last saved it through the alerting API
    "owner": lambda m: (m.get("user") or {}).get("name"),
    "actions": lambda m: [{k: v for k, v in action.items() if k != "destination_id"}
                          for action in _trigger(m).get("actions") or []],
}


def definition_of(monitor: dict[str, Any]) -> dict[str, Any]:
    """The alarm definition a monitor holds (its trigger condition's parameters)."""
    script = (_trigger(monitor).get("condition") or {}).get("script") or {}
    params = script.get("params") if isinstance(script, dict) else None
    return {field: (params or {}).get(field) for field in DEFINITION}


def differences(expected: dict[str, Any], actual: dict[str, Any]) -> list[dict[str, Any]]:
    """How the stored monitor ``actual`` differs from the alarm's monitor ``expected`` (both
    normalized as stored): the definition's fields first, then the other parts."""
    wanted, found = definition_of(expected), definition_of(actual)
    out = [{"field": field, "expected": wanted[field], "actual": found[field]}
           for field in DEFINITION if wanted[field] != found[field]]
    for field, read in _PARTS.items():
        if read(expected) != read(actual):
            out.append({"field": field, "expected": read(expected), "actual": read(actual)})
    return out


class Alarms:
    """The node's recommended alarms: listed against the monitors, installed on demand."""

    def __init__(self, config: Config, node_id: str, alerting: AlertingService,
                 notifications: NotificationService) -> None:
        self.config = config
        self.node_id = node_id
        self.alerting = alerting
        self.notifications = notifications
        #: One enable at a time: two at once would both find an alarm missing.
        self._lock = threading.Lock()

    def start(self) -> None:
        """``ops.alarms.enabled``: install them at start; a failure (a full disk) is logged
        and retried at the next start or ``_enable``, never keeps the node from starting."""
        if not self.config.ops_alarms_enabled:
            return
        try:
            done = self.enable()
        except (LoghavenError, OSError) as error:
            log.warning("alarms: not installed at start: %s", error)
            return
        if done["created"] or done["updated"]:
            log.info("alarms: created %s, updated %s", done["created"], done["updated"])

    def expected(self) -> list[Alarm]:
        total = shutil.disk_usage(self.config.data_dir).total
        return recommended(total / 2**20)

    def _installed(self) -> dict[str, tuple[str, dict[str, Any]]]:
        """Monitors by name (the least recently updated, when a name is used twice)."""
        found: dict[str, tuple[str, dict[str, Any]]] = {}
        records = sorted(self.alerting.store.all().items(),
                         key=lambda item: item[1]["monitor"].get("last_update_time") or 0)
        for monitor_id, record in records:
            found.setdefault(record["monitor"]["name"], (monitor_id, record["monitor"]))
        return found

    def _channel(self, asked: str | None, installed: dict[str, tuple[str, dict[str, Any]]],
                 alarms: list[Alarm]) -> str | None:
        """The channel asked for, else ``ops.alarms.channel``, else the one the installed
        alarms already notify (so that enabling without one keeps it)."""
        if asked:
            self.notifications.get(asked)  # an unknown channel is the notifications' 404
            return asked
        if self.config.ops_alarms_channel:
            return self.config.ops_alarms_channel
        for alarm in alarms:
            present = installed.get(alarm.name(self.config.node_name))
            if present is not None and _channels(present[1]):
                return _channels(present[1])[0]
        return None

    def _normalized(self, alarm: Alarm, channel: str | None) -> dict[str, Any]:
        body = monitor_body(alarm, node_name=self.config.node_name, node_id=self.node_id,
                            channel_id=channel)
        return parse_monitor(body, now_ms=0, user=None)

    def enable(self, channel_id: str | None = None) -> dict[str, list[str]]:
        """Create the missing alarms and update the mismatched ones, as the node."""
        with self._lock:
            return self._enable(channel_id)

    def _enable(self, channel_id: str | None) -> dict[str, list[str]]:
        alarms = self.expected()
        installed = self._installed()
        channel = self._channel(channel_id, installed, alarms)
        done: dict[str, list[str]] = {"created": [], "updated": [], "unchanged": []}
        with context.acting(INTERNAL, WRITE_ACTION):
            for alarm in alarms:
                name = alarm.name(self.config.node_name)
                body = monitor_body(alarm, node_name=self.config.node_name,
                                    node_id=self.node_id, channel_id=channel)
                present = installed.get(name)
                if present is None:
                    self.alerting.create(body)
                    done["created"].append(name)
                elif differences(self._normalized(alarm, channel), present[1]):
                    self.alerting.update(present[0], body)
                    done["updated"].append(name)
                else:
                    done["unchanged"].append(name)
        return done

    def list(self) -> dict[str, Any]:
        """Each expected alarm, its status against its monitor, and its state."""
        alarms = self.expected()
        installed = self._installed()
        channel = self._channel(None, installed, alarms)
        listed = []
        for alarm in alarms:
            name = alarm.name(self.config.node_name)
            present = installed.get(name)
            entry: dict[str, Any] = {"name": name, "metric": alarm.metric,
                                     "severity": alarm.severity, **alarm.definition(),
                                     "description": alarm.description, "monitor_id": None,
                                     "status": "missing", "differences": [], "state": None}
            if present is not None:
                monitor_id, monitor = present
                found = differences(self._normalized(alarm, channel), monitor)
                entry.update(monitor_id=monitor_id, differences=found,
                             status="mismatch" if found else "ok",
                             state=self._state(monitor_id))
            listed.append(entry)
        return {"alarms": listed, "enabled": self.config.ops_alarms_enabled}

    def _state(self, monitor_id: str) -> str:
        """ALARM while the monitor has an active alert or would fire now; else
        INSUFFICIENT_DATA when its window holds no sample of the metric (or cannot be
        searched), else OK."""
        current = self.alerting.run_context.alerts.current(monitor_id)
        if any(alert["state"] in (ACTIVE, ACKNOWLEDGED) for alert in current):
            return "ALARM"
        with context.acting(INTERNAL, WRITE_ACTION):
            result = self.alerting.execute(monitor_id, None, dryrun=True)
        inputs = result["input_results"]
        if inputs["error"] or not inputs["results"]:
            return "INSUFFICIENT_DATA"
        periods = ((inputs["results"][0].get("aggregations") or {}).get("periods") or {})
        if all((period.get("value") or {}).get("value") is None
               for period in periods.get("buckets") or []):
            return "INSUFFICIENT_DATA"
        fired = any(trigger.get("triggered") for trigger in result["trigger_results"].values())
        return "ALARM" if fired else "OK"
