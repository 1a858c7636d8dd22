"""Monitor JSON in the shape OpenSearch's Get monitor API returns (what monitors.py yields)."""

from __future__ import annotations

from typing import Any


def action(action_id: str = "a1", destination: str = "ops-slack", *,
           message: str = "Monitor {{ctx.monitor.name}} fired: {{ctx.trigger.name}}",
           subject: str | None = "Alert {{ctx.trigger.name}}",
           **extra: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"id": action_id, "name": f"action {action_id}",
                           "destination_id": destination,
                           "message_template": {"source": message, "lang": "mustache"},
                           "throttle_enabled": False, **extra}
    if subject is not None:
        out["subject_template"] = {"source": subject, "lang": "mustache"}
    return out


def query_level(query: dict[str, Any], condition: str, actions: list[dict[str, Any]] = (),
                *, indices: tuple[str, ...] = ("logs-*",), name: str = "errors",
                trigger_id: str = "t1") -> dict[str, Any]:
    return {"type": "monitor", "monitor_type": "query_level_monitor", "name": name,
            "enabled": True, "user": None,
            "schedule": {"period": {"interval": 1, "unit": "MINUTES"}},
            "inputs": [{"search": {"indices": list(indices), "query": query}}],
            "triggers": [{"query_level_trigger": {
                "id": trigger_id, "name": "too many", "severity": "1",
                "condition": {"script": {"source": condition, "lang": "painless"}},
                "actions": list(actions)}}]}


def bucket_level(query: dict[str, Any], condition: dict[str, Any],
                 actions: list[dict[str, Any]] = (), *,
                 indices: tuple[str, ...] = ("waf-*",)) -> dict[str, Any]:
    return {"type": "monitor", "monitor_type": "bucket_level_monitor", "name": "waf blocks",
            "enabled": True, "user": None,
            "schedule": {"period": {"interval": 1, "unit": "MINUTES"}},
            "inputs": [{"search": {"indices": list(indices), "query": query}}],
            "triggers": [{"bucket_level_trigger": {
                "id": "bt1", "name": "blocked ip", "severity": "2", "condition": condition,
                "actions": list(actions)}}]}


def doc_level(queries: list[dict[str, Any]], condition: str,
              actions: list[dict[str, Any]] = (), *,
              indices: tuple[str, ...] = ("audit",)) -> dict[str, Any]:
    return {"type": "monitor", "monitor_type": "doc_level_monitor", "name": "audit watch",
            "enabled": True, "user": None,
            "schedule": {"period": {"interval": 1, "unit": "MINUTES"}},
            "inputs": [{"doc_level_input": {"description": "", "indices": list(indices),
                                            "queries": queries}}],
            "triggers": [{"document_level_trigger": {
                "id": "dt1", "name": "sev1 seen", "severity": "1",
                "condition": {"script": {"source": condition, "lang": "painless"}},
                "actions": list(actions)}}]}
