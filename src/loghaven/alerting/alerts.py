"""The alert store: OpenSearch's alert indices, their listing and acknowledgement.

Alerts live where OpenSearch's Alerting plugin keeps them, so dashboards and scripts written
for it find them: ACTIVE, ACKNOWLEDGED and ERROR alerts in the hidden index
``.opendistro-alerting-alerts``; COMPLETED and DELETED ones moved (copied, then removed from
the active index) to the daily history indices ``.opendistro-alerting-alert-history-*``
behind the write alias ``.opendistro-alerting-alert-history-write`` (history.py rolls them
over and expires them). All of them answer the normal search API. Documents have the
plugin's ``alert_mapping.json`` (``nested`` fields are ``object`` here: Loghaven has no
nested documents).

Writes are optimistic: :meth:`AlertStore.current` returns each alert with its ``_seq_no`` and
``_primary_term``, and :meth:`AlertStore.save` writes with ``if_seq_no``, so an
acknowledgement made while a monitor ran is never overwritten by the run: on a conflict the
stored alert is re-read and its acknowledgement kept. The store works as the node itself
(``INTERNAL``): the REST layer has already checked the caller's permission.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import orjson

from loghaven.alerting.history import READ, HistoryIndices, HistoryPolicy
from loghaven.engine.documents_state import WriteRequest
from loghaven.engine.node_indices import ensure_index
from loghaven.engine.writes import new_doc_id
from loghaven.errors import IllegalArgument
from loghaven.ingest.bulk import BulkItem
from loghaven.ingest.service import WriteService
from loghaven.params import param_int, param_sort_desc
from loghaven.scheduler import Scheduler
from loghaven.search.service import SearchService
from loghaven.security.context import as_node

ACTIVE_INDEX = ".opendistro-alerting-alerts"
HISTORY_WRITE_ALIAS = ".opendistro-alerting-alert-history-write"
HISTORY_PREFIX = ".opendistro-alerting-alert-history-"
#: OpenSearch's ``ALL_ALERT_INDEX_PATTERN``: the active index and the history.
ALL_ALERTS = ".opendistro-alerting-alert*"

ACTIVE, ACKNOWLEDGED, COMPLETED, ERROR, DELETED = (
    "ACTIVE", "ACKNOWLEDGED", "COMPLETED", "ERROR", "DELETED")
#: The states kept in the active index; the others are history.
CURRENT_STATES = (ACTIVE, ACKNOWLEDGED, ERROR)
#: Read as at most this many alerts per monitor (``index.max_result_window``).
MAX_ALERTS = 10_000
#: Times an optimistic write is retried after a version conflict, each after a random wait
#: of up to 5 ms doubling per attempt (at most 200 ms), so that a monitor run and a user's
#: acknowledgement writing the same alerts in lockstep do not keep colliding; and more until
#: CONFLICT_SECONDS have passed, as a loaded machine stretches the other writer's turn.
CONFLICT_RETRIES = 10
CONFLICT_SECONDS = 10.0
#: The writes' ``_seq_no``/``_primary_term`` keys carried on alerts read from the store.
VERSION_KEYS = ("_seq_no", "_primary_term")
_KEYWORD = {"type": "keyword"}
_TEXT_KEYWORD = {"type": "text", "fields": {"keyword": {"type": "keyword"}}}
_TEXT_KEYWORD_256 = {"type": "text", "fields": {"keyword": {"type": "keyword",
                                                            "ignore_above": 256}}}
#: OpenSearch's alert_mapping.json (schema version 6).
MAPPING: dict[str, Any] = {
    "dynamic": "strict", "_routing": {"required": True}, "_meta": {"schema_version": 6},
    "properties": {
        "schema_version": {"type": "integer"}, "monitor_id": _KEYWORD,
        "monitor_version": {"type": "long"}, "id": _KEYWORD, "version": {"type": "long"},
        "severity": _KEYWORD, "monitor_name": _TEXT_KEYWORD_256,
        "monitor_user": {"properties": {
            "name": _TEXT_KEYWORD_256, "backend_roles": _TEXT_KEYWORD, "roles": _TEXT_KEYWORD,
            "custom_attribute_names": _TEXT_KEYWORD}},
        "execution_id": _KEYWORD, "workflow_id": _KEYWORD, "workflow_name": _KEYWORD,
        "trigger_id": _KEYWORD, "trigger_name": _TEXT_KEYWORD_256,
        "finding_ids": _TEXT_KEYWORD, "associated_alert_ids": _TEXT_KEYWORD,
        "related_doc_ids": _TEXT_KEYWORD, "state": _KEYWORD,
        "start_time": {"type": "date"}, "last_notification_time": {"type": "date"},
        "acknowledged_time": {"type": "date"}, "end_time": {"type": "date"},
        "error_message": {"type": "text"},
        "alert_history": {"properties": {"timestamp": {"type": "date"},
                                         "message": {"type": "text"}}},
        "action_execution_results": {"properties": {
            "action_id": _KEYWORD, "last_execution_time": {"type": "date"},
            "throttled_count": {"type": "integer"}}},
        "agg_alert_content": {"dynamic": True, "properties": {
            "parent_bucket_path": {"type": "text"}, "bucket_key": {"type": "text"}}},
        "clusters": _TEXT_KEYWORD, "query": {"type": "text"},
        "query_results": {"dynamic": True, "properties": {}},
    }}

#: The alert's fields in the order (and with the defaults) of OpenSearch's ``Alert`` JSON.
_FIELDS: tuple[tuple[str, Any], ...] = (
    ("monitor_id", ""), ("workflow_id", ""), ("workflow_name", ""),
    ("associated_alert_ids", []), ("schema_version", 0), ("monitor_version", 0),
    ("monitor_name", ""), ("execution_id", None), ("trigger_id", ""), ("trigger_name", ""),
    ("finding_ids", []), ("related_doc_ids", []), ("state", ACTIVE), ("error_message", None),
    ("alert_history", []), ("severity", "1"), ("action_execution_results", []),
    ("start_time", None), ("last_notification_time", None), ("end_time", None),
    ("acknowledged_time", None))

#: ``failed_reason`` of an alert that cannot be acknowledged, by state (OpenSearch's words).
_NOT_ACKNOWLEDGED = {
    ERROR: "Alert is in an error state and can not be acknowledged.",
    COMPLETED: "Alert has already completed and can not be acknowledged.",
    ACKNOWLEDGED: "Alert has already been acknowledged."}


def source_of(hit: dict[str, Any]) -> dict[str, Any]:
    """A search hit's ``_source`` as a dict."""
    source: dict[str, Any] = orjson.loads(orjson.dumps(hit["_source"]))
    return source


def render(alert: dict[str, Any], doc_id: str, version: int) -> dict[str, Any]:
    """An alert as the Get alerts API shows it (OpenSearch's ``Alert.toXContent``: the
    document's id and version; never the monitor's user)."""
    out: dict[str, Any] = {"id": doc_id, "version": version}
    for name, default in _FIELDS:
        out[name] = alert.get(name, default)
    if alert.get("agg_alert_content") is not None:
        out["agg_alert_content"] = alert["agg_alert_content"]
    for name in ("clusters", "query", "query_results"):
        if alert.get(name):
            out[name] = alert[name]
    return out


class AlertStore:
    """The node's alerts: the active index and the history indices."""

    def __init__(self, write_service: WriteService, search_service: SearchService,
                 clock: Callable[[], float] = time.time,
                 policy: HistoryPolicy | None = None) -> None:
        self.writes = write_service
        self.search_service = search_service
        self.clock = clock
        self.history = HistoryIndices(write_service.catalog, HISTORY_PREFIX,
                                      HISTORY_WRITE_ALIAS, MAPPING, policy or HistoryPolicy(),
                                      clock)

    def _now_ms(self) -> int:
        return int(self.clock() * 1000)

    # --- the scheduler job -------------------------------------------------------------------

    def schedule(self, scheduler: Scheduler) -> None:
        """Roll the history over and expire it every ``alert_history_rollover_period``."""
        self.history.schedule(scheduler, "alerting-alert-history")

    # --- reads --------------------------------------------------------------------------------

    def _search(self, expression: str, body: dict[str, Any]) -> dict[str, Any]:
        with as_node("indices:data/read/search"):
            return self.search_service.search(expression, body, READ)

    def current(self, monitor_id: str) -> list[dict[str, Any]]:
        """The monitor's ACTIVE, ACKNOWLEDGED and ERROR alerts, each with its ``id`` and its
        document's ``_seq_no``/``_primary_term`` (which :meth:`save` checks)."""
        response = self._search(ACTIVE_INDEX, {
            "size": MAX_ALERTS, "seq_no_primary_term": True, "version": True,
            "query": {"bool": {"filter": [{"term": {"monitor_id": monitor_id}}]}},
            "sort": [{"start_time": {"order": "asc"}}]})
        return [self._read(hit) for hit in response["hits"]["hits"]]

    def counts(self) -> dict[str, int]:
        """How many current alerts are in each state (ACTIVE, ACKNOWLEDGED, ERROR), for the
        node's metrics: one aggregation over the active index."""
        response = self._search(ACTIVE_INDEX, {"size": 0, "track_total_hits": True, "aggs": {
            "states": {"terms": {"field": "state", "size": len(CURRENT_STATES)}}}})
        found = {b["key"]: b["doc_count"]
                 for b in response.get("aggregations", {}).get("states", {}).get("buckets", [])}
        return {state: found.get(state, 0) for state in CURRENT_STATES}

    @staticmethod
    def _read(hit: dict[str, Any]) -> dict[str, Any]:
        alert = source_of(hit)
        alert["id"] = hit["_id"]
        alert["_seq_no"], alert["_primary_term"] = hit["_seq_no"], hit["_primary_term"]
        return alert

    def _get(self, alert_id: str) -> dict[str, Any] | None:
        response = self._search(ACTIVE_INDEX, {
            "size": 1, "seq_no_primary_term": True,
            "query": {"ids": {"values": [alert_id]}}})
        hits = response["hits"]["hits"]
        return self._read(hits[0]) if hits else None

    # --- writes -------------------------------------------------------------------------------

    def save(self, alerts: list[dict[str, Any]]) -> None:
        """Upsert alerts (an alert without an id gets one, set on the dict). COMPLETED and
        DELETED alerts are copied to the history and removed from the active index. An alert
        read with :meth:`current` is written only over the version it was read at; when an
        acknowledgement came in between, it is kept and the write retried."""
        pending = []
        for alert in alerts:
            if not alert.get("id"):
                alert["id"] = new_doc_id()
            pending.append(alert)
        ensure_index(self.writes.catalog, ACTIVE_INDEX, MAPPING)
        attempts = 0
        for attempt in _attempts():
            if not pending:
                return
            if attempt:
                _back_off(attempt)
            conflicts = self._write(pending)
            pending = [merged for alert in conflicts
                       if (merged := self._merge(alert)) is not None]
            attempts = attempt + 1
        if pending:
            raise IllegalArgument(f"alerts {[a['id'] for a in pending]} kept changing while "
                                  f"being saved ({attempts} attempts)")

    def _write(self, alerts: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """One round of writes; the alerts whose active document changed since read."""
        moving = [a for a in alerts if a.get("state") not in CURRENT_STATES]
        moved = {a["id"] for a in moving}
        if moving:
            self.history.ensure()
            self._bulk([BulkItem("index", HISTORY_WRITE_ALIAS, WriteRequest(
                "index", doc_id=a["id"], source=_document(a))) for a in moving])
        items = []
        for alert in alerts:
            seq_no, term = alert.get("_seq_no"), alert.get("_primary_term")
            if alert["id"] in moved:
                request = WriteRequest("delete", doc_id=alert["id"], if_seq_no=seq_no,
                                       if_primary_term=term)
                items.append(BulkItem("delete", ACTIVE_INDEX, request))
            else:
                request = WriteRequest("index", doc_id=alert["id"], source=_document(alert),
                                       if_seq_no=seq_no, if_primary_term=term)
                items.append(BulkItem("index", ACTIVE_INDEX, request))
        results = self._bulk(items)
        conflicts = []
        for alert, result in zip(alerts, results, strict=True):
            if result.get("status") == 409:
                conflicts.append(alert)
            elif "error" in result and not (alert["id"] in moved and result.get("status") == 404):
                raise IllegalArgument(f"alert [{alert['id']}] not saved: "
                                      f"{result['error'].get('reason')}")
        return conflicts

    def _bulk(self, items: list[BulkItem]) -> list[dict[str, Any]]:
        with as_node("indices:data/write/bulk"):
            response = self.writes.bulk(items, refresh="true")
        return [next(iter(slot.values())) for slot in response["items"]]

    def _merge(self, alert: dict[str, Any]) -> dict[str, Any] | None:
        """``alert`` over the version stored now, keeping an acknowledgement made since it
        was read; None when the alert left the active index meanwhile (it was acknowledged
        into the history or its monitor deleted): then there is nothing to update."""
        stored = self._get(alert["id"])
        if stored is None:
            return None
        merged = {**alert, "_seq_no": stored["_seq_no"],
                  "_primary_term": stored["_primary_term"]}
        if stored.get("state") == ACKNOWLEDGED:
            merged["acknowledged_time"] = stored.get("acknowledged_time")
            if merged.get("state") == ACTIVE:
                merged["state"] = ACKNOWLEDGED
        return merged

    def acknowledge(self, monitor_id: str, alert_ids: list[str]) -> dict[str, Any]:
        """Acknowledge the monitor's ACTIVE alerts among ``alert_ids``: OpenSearch's
        ``{"success": [ids], "failed": [{id: {"failed_reason": ...}}]}``. Alerts with
        findings (document-level) move to the history as ACKNOWLEDGED, as OpenSearch's."""
        hits = self._search(ACTIVE_INDEX, {
            "size": len(alert_ids), "seq_no_primary_term": True,
            "query": {"bool": {"filter": [{"term": {"monitor_id": monitor_id}},
                                          {"ids": {"values": alert_ids}}]}}})["hits"]["hits"]
        found = {alert["id"]: alert for alert in map(self._read, hits)}
        success: list[str] = []
        failed: list[dict[str, Any]] = []
        missing: list[str] = []
        for alert_id in dict.fromkeys(alert_ids):
            alert = found.get(alert_id)
            for attempt in _attempts():
                if alert is None or alert.get("state") != ACTIVE:
                    break
                if self._acknowledge_one(alert):
                    success.append(alert_id)
                    break
                _back_off(attempt + 1)
                alert = self._get(alert_id)
            if alert is None:
                missing.append(alert_id)
            elif alert_id not in success:
                reason = _NOT_ACKNOWLEDGED.get(
                    alert.get("state", ""), "Alert state unknown and can not be acknowledged")
                failed.append({alert_id: {"failed_reason": reason}})
        failed.extend({alert_id: {"failed_reason": f"Alert: {alert_id} does not exist (it may "
                                                   f"have already completed)."}}
                      for alert_id in missing)
        return {"success": success, "failed": failed}

    def _acknowledge_one(self, alert: dict[str, Any]) -> bool:
        """Acknowledge one alert read at its version; False on a version conflict."""
        acked = {**alert, "state": ACKNOWLEDGED, "acknowledged_time": self._now_ms()}
        if acked.get("finding_ids"):
            self.history.ensure()
            self._bulk([BulkItem("index", HISTORY_WRITE_ALIAS, WriteRequest(
                "index", doc_id=acked["id"], source=_document(acked)))])
            request = WriteRequest("delete", doc_id=alert["id"], if_seq_no=alert["_seq_no"],
                                   if_primary_term=alert["_primary_term"])
            result, = self._bulk([BulkItem("delete", ACTIVE_INDEX, request)])
        else:
            request = WriteRequest("index", doc_id=alert["id"], source=_document(acked),
                                   if_seq_no=alert["_seq_no"],
                                   if_primary_term=alert["_primary_term"])
            result, = self._bulk([BulkItem("index", ACTIVE_INDEX, request)])
        if result.get("status") == 409:
            return False
        if "error" in result:
            raise IllegalArgument(f"alert [{alert['id']}] not acknowledged: "
                                  f"{result['error'].get('reason')}")
        return True

    def monitor_deleted(self, monitor_id: str) -> None:
        """Move the deleted monitor's alerts to the history as DELETED (OpenSearch's
        ``AlertMover``)."""
        alerts = self.current(monitor_id)
        for alert in alerts:
            alert["state"] = DELETED
        self.save(alerts)

    # --- the Get alerts API -------------------------------------------------------------------

    def list(self, params: Mapping[str, str]) -> dict[str, Any]:
        """``GET _plugins/_alerting/monitors/alerts``: OpenSearch's parameters
        (``sortString``, ``sortOrder``, ``missing``, ``size``, ``startIndex``,
        ``searchString``, ``severityLevel``, ``alertState``, ``monitorId``, ``workflowIds``)
        over the active and history indices; ``{"alerts": [...], "totalAlerts": n}``."""
        body = table_search(params, default_sort="monitor_name.keyword")
        filters: list[dict[str, Any]] = []
        query: dict[str, Any] = {"filter": filters}
        severity = params.get("severityLevel", "ALL")
        if severity != "ALL":
            filters.append({"term": {"severity": severity}})
        state = params.get("alertState", "ALL")
        if state == "ALL":
            filters.append({"bool": {"must_not": [{"terms": {"state": ["AUDIT"]}}]}})
        else:
            filters.append({"term": {"state": state}})
        must: list[dict[str, Any]] = []
        workflow = params.get("workflowIds") or ""
        if params.get("monitorId") is not None:
            filters.append({"term": {"monitor_id": params["monitorId"]}})
            if not workflow:
                must.append({"bool": {"should": [
                    {"bool": {"must_not": [{"exists": {"field": "workflow_id"}}]}},
                    {"terms": {"workflow_id": [""]}}]}})
        if workflow:
            must.append({"terms": {"workflow_id": [workflow]}})
        search = params.get("searchString", "")
        if search.strip():
            must.append({"query_string": {"query": search, "default_operator": "AND",
                                          "fields": ["monitor_name", "trigger_name"]}})
        if must:
            query["must"] = must
        body["query"] = {"bool": query}
        body["version"] = True
        response = self._search(ALL_ALERTS, body)
        return {"alerts": [render(source_of(hit), hit["_id"], hit.get("_version", 1))
                           for hit in response["hits"]["hits"]],
                "totalAlerts": response["hits"]["total"]["value"]}


def table_search(params: Mapping[str, str], *, default_sort: str) -> dict[str, Any]:
    """The paging and sort of OpenSearch's alerting ``Table`` parameters as a search body."""
    sort: dict[str, Any] = {"order": "desc" if param_sort_desc(params, "sortOrder") else "asc"}
    missing = params.get("missing")
    if missing is not None and missing.strip():
        sort["missing"] = missing
    return {"sort": [{params.get("sortString", default_sort): sort}],
            "size": param_int(params, "size", 20), "from": param_int(params, "startIndex", 0),
            "seq_no_primary_term": True, "track_total_hits": True}


def _document(alert: dict[str, Any]) -> bytes:
    """An alert's stored JSON (without the version keys it was read with)."""
    return orjson.dumps({k: v for k, v in alert.items() if k not in VERSION_KEYS})


def _attempts() -> Iterator[int]:
    """Attempt numbers of a write that may conflict: CONFLICT_RETRIES at least, and more until
    CONFLICT_SECONDS have passed."""
    deadline = time.monotonic() + CONFLICT_SECONDS
    attempt = 0
    while attempt < CONFLICT_RETRIES or time.monotonic() < deadline:
        yield attempt
        attempt += 1


def _back_off(attempt: int) -> None:
    """Wait a random moment before the ``attempt``-th retry of a conflicting write."""
    time.sleep(random.uniform(0, min(0.2, 0.005 * 2 ** (attempt - 1))))
