"""Actions: render a trigger's templates over ``ctx`` and deliver them through the node's
notification channels, under the lead's notification policy (docs/decisions/0009).

Templates are Mustache (chevron) over OpenSearch's documented ``ctx``: monitor, trigger,
results, periodStart, periodEnd, error, alert, newAlerts, dedupedAlerts, completedAlerts
(bucket-level) and alerts (document-level); an alert's ``bucket_keys`` is its keys joined
with commas, as OpenSearch renders it. An alert notifies when it is NEW; while it stays
breached (DEDUPED) only when the action asks (``throttle_enabled`` — then at most once per
throttle period — or ``actionable_alerts`` listing DEDUPED); COMPLETED only when listed; an
ACKNOWLEDGED alert never. Delivery retries are the notification service's; what it answers
is recorded on the alert.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any, Protocol

import chevron

from loghaven.alerting.inputs import render
from loghaven.notify.message import Delivery, Message

NEW, DEDUPED, COMPLETED = "NEW", "DEDUPED", "COMPLETED"
#: Throttle units OpenSearch accepts (``ChronoUnit`` names), in milliseconds.
_UNIT_MS = {"MILLIS": 1, "SECONDS": 1000, "MINUTES": 60_000, "HOURS": 3_600_000,
            "DAYS": 86_400_000}
#: How many errors an alert's ``alert_history`` keeps (OpenSearch's limit).
MAX_HISTORY = 10


class Notifier(Protocol):
    def send(self, config_id: str, message: Message, *,
             event_source: dict[str, Any] | None = None) -> Delivery: ...


def iso(ms: int) -> str:
    """An instant as Java's ``Instant.toString`` renders it in templates."""
    text = datetime.fromtimestamp(ms / 1000, UTC).isoformat(timespec="milliseconds")
    return text.replace("+00:00", "Z")


def per_execution(action: dict[str, Any]) -> bool:
    scope = (action.get("action_execution_policy") or {}).get("action_execution_scope") or {}
    return "per_execution" in scope


def actionable_alerts(action: dict[str, Any]) -> set[str]:
    """The alert categories that run this per-alert action (the policy's default: NEW, and
    DEDUPED when throttled)."""
    scope = (action.get("action_execution_policy") or {}).get("action_execution_scope") or {}
    listed = (scope.get("per_alert") or {}).get("actionable_alerts")
    if listed is not None:
        return {str(category).upper() for category in listed}
    return {NEW, DEDUPED} if action.get("throttle_enabled") else {NEW}


def throttled(action: dict[str, Any], alert: dict[str, Any] | None, now_ms: int) -> bool:
    """Whether the action ran on this alert within its throttle period."""
    if not action.get("throttle_enabled") or alert is None:
        return False
    throttle = action.get("throttle") or {}
    period = int(throttle.get("value", 0)) * _UNIT_MS.get(
        str(throttle.get("unit", "MINUTES")).upper(), 60_000)
    for result in alert.get("action_execution_results") or []:
        if result.get("action_id") == action.get("id"):
            last = result.get("last_execution_time")
            return last is not None and now_ms - last < period
    return False


def alert_arg(alert: dict[str, Any]) -> dict[str, Any]:
    """An alert as templates see it (OpenSearch's ``Alert.asTemplateArg``)."""
    bucket = alert.get("agg_alert_content") or {}
    keys = bucket.get("bucket_keys")
    return {
        "acknowledged_time": alert.get("acknowledged_time"), "id": alert.get("id"),
        "version": alert.get("version"), "end_time": alert.get("end_time"),
        "error_message": alert.get("error_message"),
        "last_notification_time": alert.get("last_notification_time"),
        "severity": alert.get("severity"), "start_time": alert.get("start_time"),
        "state": alert.get("state"),
        "bucket_keys": None if keys is None else ",".join(keys),
        "parent_bucket_path": bucket.get("parent_bucket_path"),
        "agg_alert_content": bucket or None,
        "finding_ids": ",".join(alert.get("finding_ids") or []),
        "related_doc_ids": ",".join(alert.get("related_doc_ids") or []),
    }


class ActionRunner:
    """Runs one action for one context and reports OpenSearch's ActionRunResult."""

    def __init__(self, notifications: Notifier, clock: Callable[[], float]) -> None:
        self.notifications = notifications
        self.clock = clock

    def render(self, action: dict[str, Any], ctx: dict[str, Any]) -> dict[str, str]:
        variables = {"ctx": ctx}
        output = {"message": render(_source(action.get("message_template")), variables)}
        subject = action.get("subject_template")
        if subject:
            output["subject"] = render(_source(subject), variables)
        return output

    def run(self, action: dict[str, Any], ctx: dict[str, Any], *, dryrun: bool,
            event_source: dict[str, Any]) -> dict[str, Any]:
        now = int(self.clock() * 1000)
        result: dict[str, Any] = {"id": action.get("id"), "name": action.get("name"),
                                  "output": {}, "throttled": False, "executionTime": now,
                                  "error": None}
        try:
            result["output"] = output = self.render(action, ctx)
        except chevron.ChevronError as error:
            result["error"] = f"Failed to render the action's templates: {error}"
            return result
        if dryrun:
            return result
        message = Message(subject=output.get("subject"), text=output["message"])
        delivery = self.notifications.send(str(action.get("destination_id")), message,
                                           event_source=event_source)
        if not delivery.ok:
            result["error"] = (f"Failed to send the notification through channel "
                               f"[{delivery.config_name or delivery.config_id}]: "
                               f"[{delivery.status_code}] {delivery.status_text}")
        return result

    def throttled_result(self, action: dict[str, Any]) -> dict[str, Any]:
        return {"id": action.get("id"), "name": action.get("name"), "output": {},
                "throttled": True, "executionTime": None, "error": None}


def _source(template: Any) -> str:
    if isinstance(template, dict):
        return str(template.get("source", ""))
    return "" if template is None else str(template)


def record(alert: dict[str, Any], results: Iterable[dict[str, Any]], now_ms: int) -> None:
    """Each action's outcome on the alert (OpenSearch's ``action_execution_results``: last
    execution time, throttled count); a failed delivery becomes the alert's error, and a
    successful one its ``last_notification_time``."""
    by_action = {r["action_id"]: r for r in alert.get("action_execution_results") or []}
    for result in results:
        entry = by_action.setdefault(result["id"], {"action_id": result["id"],
                                                    "last_execution_time": None,
                                                    "throttled_count": 0})
        if result["throttled"]:
            entry["throttled_count"] += 1
            continue
        entry["last_execution_time"] = result["executionTime"]
        if result["error"] is not None:
            add_error(alert, f"Error running action:\n{result['error']}", now_ms)
            if alert["state"] not in ("COMPLETED", "DELETED"):
                alert["state"] = "ERROR"
        else:
            alert["last_notification_time"] = result["executionTime"]
    alert["action_execution_results"] = list(by_action.values())


def add_error(alert: dict[str, Any], message: str, now_ms: int) -> None:
    """Set the alert's error and put it first in its ``alert_history`` (ten kept)."""
    alert["error_message"] = message
    history = [{"timestamp": now_ms, "message": message}, *(alert.get("alert_history") or [])]
    alert["alert_history"] = history[:MAX_HISTORY]
