"""One run of a monitor: inputs → triggers → alerts → actions, as OpenSearch's
Query/Bucket/DocumentLevelMonitorRunner, answering its ``_execute`` response body.

Alerts follow OpenSearch's AlertService: a trigger that fires makes a NEW alert (ACTIVE, or
ERROR when the input, the condition or an action failed); while it keeps firing the same
alert is updated (DEDUPED: its start_time kept, ACKNOWLEDGED kept); when it stops, the alert
is COMPLETED with an end_time. Bucket-level monitors keep one alert per bucket key and
complete each key on its own; document-level monitors raise one alert per triggered document
with its finding. A failing input or condition of a bucket- or document-level monitor is one
ERROR alert of the trigger, completed once the runs succeed again. ``dryrun`` renders the
actions but sends, writes and remembers nothing.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from loghaven.alerting import actions, doc_level, inputs, triggers
from loghaven.alerting.actions import COMPLETED, DEDUPED, NEW, ActionRunner, Notifier
from loghaven.alerting.alerts import ACKNOWLEDGED, ACTIVE, ERROR, AlertStore
from loghaven.alerting.findings import FindingStore
from loghaven.engine.writes import new_doc_id
from loghaven.errors import LoghavenError
from loghaven.ingest.service import WriteService
from loghaven.search.service import SearchService

#: The alert document's schema version (OpenSearch's alert_mapping.json).
SCHEMA_VERSION = 5


@dataclass
class RunContext:
    """What runs need from the node, built once by AlertingService."""

    search_service: SearchService
    write_service: WriteService
    alerts: AlertStore
    findings: FindingStore
    notifications: Notifier
    clock: Callable[[], float] = time.time


@dataclass
class _Run:
    """One run's fixed inputs."""

    monitor: dict[str, Any]
    monitor_id: str
    period_start: int
    period_end: int
    dryrun: bool
    now: int

    @property
    def keeps(self) -> bool:
        """Whether this run writes alerts, findings and state (a stored monitor, no dryrun)."""
        return not self.dryrun and bool(self.monitor_id)


class MonitorRunner:
    def __init__(self, context: RunContext) -> None:
        self.context = context
        self.actions = ActionRunner(context.notifications, context.clock)

    def run(self, monitor: dict[str, Any], monitor_id: str, *, period_start_ms: int,
            period_end_ms: int, dryrun: bool) -> dict[str, Any]:
        """OpenSearch's ``_execute`` body. The caller is already acting as the owner."""
        run = _Run(monitor, monitor_id, period_start_ms, period_end_ms, dryrun,
                   int(self.context.clock() * 1000))
        result: dict[str, Any] = {"monitor_name": monitor.get("name", ""),
                                  "period_start": period_start_ms,
                                  "period_end": period_end_ms, "error": None,
                                  "input_results": {"results": [], "error": None},
                                  "trigger_results": {}}
        kind = monitor.get("monitor_type", "query_level_monitor")
        try:
            if kind == "bucket_level_monitor":
                self._bucket_level(run, result)
            elif kind == "doc_level_monitor":
                self._doc_level(run, result)
            else:
                self._query_level(run, result)
        except LoghavenError as error:  # the alert indices or the state could not be used
            result["error"] = inputs.error_message(error)
        return result

    # -- shared pieces --

    def _current(self, run: _Run) -> list[dict[str, Any]]:
        return self.context.alerts.current(run.monitor_id) if run.monitor_id else []

    def _save(self, run: _Run, alerts: list[dict[str, Any]]) -> None:
        if run.keeps and alerts:
            self.context.alerts.save(alerts)

    def _ctx(self, run: _Run, trigger: dict[str, Any], results: list[Any],
             error: str | None) -> dict[str, Any]:
        """The template ``ctx`` (OpenSearch's TriggerExecutionContext.asTemplateArg)."""
        monitor = run.monitor
        return {
            "monitor": {"_id": run.monitor_id, "_version": monitor.get("version", 1),
                        "name": monitor.get("name", ""), "enabled": monitor.get("enabled", True),
                        "monitor_type": monitor.get("monitor_type")},
            "trigger": {"id": trigger.get("id"), "name": trigger.get("name"),
                        "severity": trigger.get("severity"),
                        "condition": trigger.get("condition"),
                        "actions": [{"id": a.get("id"), "name": a.get("name"),
                                     "destination_id": a.get("destination_id")}
                                    for a in trigger.get("actions") or []]},
            "results": results, "periodStart": actions.iso(run.period_start),
            "periodEnd": actions.iso(run.period_end), "error": error,
        }

    def _new_alert(self, run: _Run, trigger: dict[str, Any], error: str | None,
                   **extra: Any) -> dict[str, Any]:
        alert = {"id": new_doc_id(), "version": 1, "monitor_id": run.monitor_id,
                 "schema_version": SCHEMA_VERSION,
                 "monitor_version": run.monitor.get("version", 1),
                 "monitor_name": run.monitor.get("name", ""),
                 "monitor_user": run.monitor.get("user"),
                 "trigger_id": trigger.get("id", ""), "trigger_name": trigger.get("name", ""),
                 "finding_ids": [], "related_doc_ids": [],
                 "state": ERROR if error else ACTIVE, "error_message": None,
                 "alert_history": [], "severity": str(trigger.get("severity", "1")),
                 "action_execution_results": [], "start_time": run.now,
                 "last_notification_time": None, "end_time": None, "acknowledged_time": None,
                 **extra}
        if error:
            actions.add_error(alert, error, run.now)
        return alert

    def _update(self, run: _Run, alert: dict[str, Any], error: str | None) -> None:
        """A still-firing alert: ERROR while something fails, else ACTIVE (ACKNOWLEDGED kept)."""
        if error:
            alert["state"] = ERROR
            actions.add_error(alert, error, run.now)
        else:
            alert["error_message"] = None
            if alert["state"] != ACKNOWLEDGED:
                alert["state"] = ACTIVE

    @staticmethod
    def _complete(run: _Run, alert: dict[str, Any]) -> None:
        alert.update(state=COMPLETED, end_time=run.now, error_message=None)

    def _act(self, run: _Run, trigger: dict[str, Any], action: dict[str, Any],
             category: str, alert: dict[str, Any], ctx: dict[str, Any]) -> dict[str, Any] | None:
        """Run one per-alert action on one alert under the notification policy: the
        ActionRunResult, or None when the policy does not notify this alert."""
        if alert["state"] == ACKNOWLEDGED or category not in actions.actionable_alerts(action):
            return None
        if actions.throttled(action, alert, run.now):
            return self.actions.throttled_result(action)
        return self.actions.run(action, ctx, dryrun=run.dryrun,
                                event_source=self._event_source(run, trigger))

    @staticmethod
    def _event_source(run: _Run, trigger: dict[str, Any]) -> dict[str, Any]:
        return {"title": run.monitor.get("name", ""), "reference_id": run.monitor_id,
                "severity": str(trigger.get("severity", "1")), "tags": []}

    # -- query-level --

    def _query_level(self, run: _Run, result: dict[str, Any]) -> None:
        input_results = inputs.run_search_inputs(
            self.context.search_service, run.monitor.get("inputs") or [], run.period_start,
            run.period_end)
        result["input_results"] = input_results
        current = {a["trigger_id"]: a for a in self._current(run)
                   if not a.get("agg_alert_content")}
        changed = []
        for wrapped in run.monitor.get("triggers") or []:
            trigger = triggers.unwrap(wrapped)
            alert = current.get(trigger.get("id"))
            ctx = self._ctx(run, trigger, input_results["results"], input_results["error"])
            ctx["alert"] = None if alert is None else actions.alert_arg(alert)
            outcome = triggers.query_level(trigger, ctx)
            error = _alert_error(input_results["error"], outcome.error)
            trigger_result: dict[str, Any] = {"name": trigger.get("name"),
                                              "triggered": outcome.triggered,
                                              "action_results": {}, "error": outcome.error}
            result["trigger_results"][trigger.get("id")] = trigger_result
            if not outcome.triggered and not error:
                if alert is None:
                    continue
                self._complete(run, alert)
                category = COMPLETED
            elif alert is None:
                alert = self._new_alert(run, trigger, error)
                category = NEW
            else:
                self._update(run, alert, error)
                category = DEDUPED
            ctx["alert"] = actions.alert_arg(alert)
            ran = []
            for action in trigger.get("actions") or []:
                action_result = self._act(run, trigger, action, category, alert, ctx)
                if action_result is not None:
                    trigger_result["action_results"][action.get("id")] = action_result
                    ran.append(action_result)
            actions.record(alert, ran, run.now)
            changed.append(alert)
        self._save(run, changed)

    # -- bucket-level --

    def _bucket_level(self, run: _Run, result: dict[str, Any]) -> None:
        input_results = inputs.run_search_inputs(
            self.context.search_service, run.monitor.get("inputs") or [], run.period_start,
            run.period_end, all_composite_pages=True)
        result["input_results"] = input_results
        current = self._current(run)
        changed: list[dict[str, Any]] = []
        for wrapped in run.monitor.get("triggers") or []:
            trigger = triggers.unwrap(wrapped)
            mine = [a for a in current if a.get("trigger_id") == trigger.get("id")]
            outcome = triggers.BucketLevelResult() if input_results["error"] else \
                triggers.bucket_level(trigger, input_results["results"])
            trigger_result: dict[str, Any] = {"name": trigger.get("name"),
                                              "error": outcome.error,
                                              "agg_result_buckets": outcome.buckets,
                                              "action_results": {}}
            result["trigger_results"][trigger.get("id")] = trigger_result
            error = _alert_error(input_results["error"], outcome.error)
            ctx = self._ctx(run, trigger, input_results["results"], error)
            groups = self._trigger_error_alert(run, trigger, mine, error)
            if error is None:
                groups = self._merge_buckets(run, trigger, mine, outcome.buckets,
                                                    groups)
            ctx.update({name: [actions.alert_arg(a) for a in groups[category]]
                        for name, category in (("newAlerts", NEW), ("dedupedAlerts", DEDUPED),
                                               ("completedAlerts", COMPLETED))})
            self._alert_actions(run, trigger, ctx, groups, trigger_result,
                                lambda alert: {"alert": actions.alert_arg(alert)})
            changed += [alert for group in groups.values() for alert in group]
        self._save(run, changed)

    def _trigger_error_alert(self, run: _Run, trigger: dict[str, Any],
                             mine: list[dict[str, Any]],
                             error: str | None) -> dict[str, list[dict[str, Any]]]:
        """The trigger's one ERROR alert (no bucket, no document) while its input or
        condition fails; completed when they work again."""
        groups: dict[str, list[dict[str, Any]]] = {NEW: [], DEDUPED: [], COMPLETED: []}
        existing = next((a for a in mine if not a.get("agg_alert_content")
                         and not a.get("related_doc_ids")), None)
        if error is not None:
            if existing is None:
                groups[NEW].append(self._new_alert(run, trigger, error))
            else:
                self._update(run, existing, error)
                groups[DEDUPED].append(existing)
        elif existing is not None:
            self._complete(run, existing)
            groups[COMPLETED].append(existing)
        return groups

    def _merge_buckets(self, run: _Run, trigger: dict[str, Any], mine: list[dict[str, Any]],
                       buckets: dict[str, dict[str, Any]],
                       groups: dict[str, list[dict[str, Any]]]) -> dict[str, list[dict[str, Any]]]:
        """OpenSearch's composeBucketLevelAlerts: per bucket key, new, deduped or completed."""
        by_key = {triggers.bucket_keys_hash(a["agg_alert_content"]["bucket_keys"]): a
                  for a in mine if a.get("agg_alert_content")}
        for key, bucket in buckets.items():
            alert = by_key.pop(key, None)
            if alert is None:
                groups[NEW].append(self._new_alert(run, trigger, None,
                                                   agg_alert_content=bucket))
            else:
                self._update(run, alert, None)
                alert["agg_alert_content"] = bucket
                groups[DEDUPED].append(alert)
        for alert in by_key.values():
            self._complete(run, alert)
            groups[COMPLETED].append(alert)
        return groups

    def _alert_actions(self, run: _Run, trigger: dict[str, Any], ctx: dict[str, Any],
                       groups: dict[str, list[dict[str, Any]]], trigger_result: dict[str, Any],
                       alert_ctx: Callable[[dict[str, Any]], dict[str, Any]]) -> None:
        """Bucket- and document-level actions: per alert with ``alert_ctx(alert)`` added to
        ``ctx``, or once per run (per execution); each outcome recorded on its alerts."""
        ran: dict[str, list[dict[str, Any]]] = {}
        results = trigger_result["action_results"]
        for action in trigger.get("actions") or []:
            if actions.per_execution(action):
                self._per_execution(run, trigger, action, ctx, groups, results, ran)
                continue
            for category, alerts in groups.items():
                for alert in alerts:
                    action_result = self._act(run, trigger, action, category, alert,
                                              {**ctx, **alert_ctx(alert)})
                    if action_result is not None:
                        results.setdefault(_alert_key(alert), {})[action.get("id")] = \
                            action_result
                        ran.setdefault(alert["id"], []).append(action_result)
        for alerts in groups.values():
            for alert in alerts:
                actions.record(alert, ran.get(alert["id"], []), run.now)

    def _per_execution(self, run: _Run, trigger: dict[str, Any], action: dict[str, Any],
                       ctx: dict[str, Any], groups: dict[str, list[dict[str, Any]]],
                       results: dict[str, Any], ran: dict[str, list[dict[str, Any]]]) -> None:
        """Once per run, when there is a new alert to tell; recorded on the run's alerts."""
        fresh = [a for a in groups[NEW] if a["state"] != ACKNOWLEDGED]
        if not fresh:
            return
        action_result = self.actions.run(action, ctx, dryrun=run.dryrun,
                                         event_source=self._event_source(run, trigger))
        for alert in groups[NEW] + groups[DEDUPED]:
            results.setdefault(_alert_key(alert), {})[action.get("id")] = action_result
            ran.setdefault(alert["id"], []).append(action_result)

    # -- document-level --

    def _doc_level(self, run: _Run, result: dict[str, Any]) -> None:
        spec = doc_level.doc_level_input(run.monitor)
        queries = spec.get("queries") or []
        metastore = self.context.search_service.catalog.metastore
        previous = doc_level.load_state(metastore, run.monitor_id) if run.keeps else None
        input_error = None
        try:
            found = doc_level.run_queries(self.context.search_service, spec, previous,
                                          temporary=not run.keeps)
        except LoghavenError as error:
            input_error = inputs.error_message(error)
            found = doc_level.DocLevelRun()
        result["input_results"] = {
            "results": [{qid: sorted(keys) for qid, keys in found.matches.items()}],
            "error": input_error}
        findings = doc_level.findings(run.monitor, run.monitor_id, queries, found.matches,
                                      run.now)
        for finding in findings.values():
            finding["id"] = new_doc_id()
        current = self._current(run)
        changed: list[dict[str, Any]] = []
        for wrapped in run.monitor.get("triggers") or []:
            trigger = triggers.unwrap(wrapped)
            outcome = triggers.DocLevelResult() if input_error else \
                triggers.doc_level(trigger, queries, found.matches)
            trigger_result: dict[str, Any] = {"name": trigger.get("name"),
                                              "triggeredDocs": outcome.docs,
                                              "action_results": {}, "error": outcome.error}
            result["trigger_results"][trigger.get("id")] = trigger_result
            error = _alert_error(input_error, outcome.error)
            mine = [a for a in current if a.get("trigger_id") == trigger.get("id")]
            groups = self._trigger_error_alert(run, trigger, mine, error)
            for key in outcome.docs:
                finding = findings[key]
                groups[NEW].append(self._new_alert(
                    run, trigger, None, finding_ids=[finding["id"]],
                    related_doc_ids=list(finding["related_doc_ids"])))
            ctx = self._ctx(run, trigger, result["input_results"]["results"], error)
            ctx["alerts"] = [actions.alert_arg(a) for a in groups[NEW] + groups[DEDUPED]]
            self._alert_actions(run, trigger, ctx, groups, trigger_result, _one_alert)
            changed += [alert for group in groups.values() for alert in group]
        if run.keeps:
            self.context.findings.save(list(findings.values()))
            self._save(run, changed)
            if input_error is None:
                doc_level.save_state(metastore, run.monitor_id, found.state)


def _alert_error(input_error: str | None, trigger_error: str | None) -> str | None:
    """The alert's error message, in OpenSearch's words (``alertError``)."""
    if input_error:
        return f"Failed fetching inputs:\n{input_error}"
    return f"Error evaluating trigger:\n{trigger_error}" if trigger_error else None


def _one_alert(alert: dict[str, Any]) -> dict[str, Any]:
    """A document-level per-alert action's view: the alert, also as ``ctx.alerts``."""
    arg = actions.alert_arg(alert)
    return {"alert": arg, "alerts": [arg]}


def _alert_key(alert: dict[str, Any]) -> str:
    """Bucket-level action results are keyed by the alert's bucket keys (OpenSearch's)."""
    content = alert.get("agg_alert_content")
    return triggers.bucket_keys_hash(content["bucket_keys"]) if content else alert["id"]
