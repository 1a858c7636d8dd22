"""The audit log: OpenSearch's audit categories, written to a system index and a file.

The HTTP edge calls :meth:`AuditLog.record` for authentication and authorization decisions;
the security API calls it for configuration changes. Events have the fields of OpenSearch's
audit log (``audit_format_version`` 4, ``audit_category``, ``audit_rest_request_*``,
``audit_request_effective_user`` ...), so dashboards and queries written for OpenSearch's
``security-auditlog-*`` indices work on ours.

Recording only serializes the event into the bounded queue of an event sink
(ingest/event_sink.py): a request never waits on a disk or an index. A scheduler job
(:meth:`AuditLog.flush`, every second) appends the queued events to ``<data>/audit/audit.log``
(JSON lines, rotated by size) and writes them to the day's hidden index
``security-auditlog-YYYY.MM.dd`` through the write service, one bulk per flush. When the queue
is full, events are dropped and counted, and the count is logged at the next flush. Nothing
that could carry a secret is ever given to :meth:`record`: no request body, no header, no
query string.
"""

from __future__ import annotations

import datetime
import logging
import socket
from typing import Any

from loghaven.config import Config
from loghaven.ingest.event_sink import EventSink
from loghaven.ingest.service import WriteService
from loghaven.scheduler import Every, Scheduler
from loghaven.security.system_indices import AUDIT_PREFIX

#: OpenSearch's audit categories that Loghaven records.
FAILED_LOGIN = "FAILED_LOGIN"
MISSING_PRIVILEGES = "MISSING_PRIVILEGES"
GRANTED_PRIVILEGES = "GRANTED_PRIVILEGES"
AUTHENTICATED = "AUTHENTICATED"
SECURITY_CONFIG_CHANGED = "COMPLIANCE_INTERNAL_CONFIG_WRITE"
#: The creation and revocation of OpenSearch's API keys (``apitokens``).
API_TOKEN_WRITE = "API_TOKEN_WRITE"

#: OpenSearch's audit message format version whose field names the events use.
FORMAT_VERSION = 4
FLUSH_SECONDS = 1.0
#: The audit file rotates at this size, keeping this many old files (audit.log.1 ...).
FILE_MAX_BYTES = 100 * 1024 * 1024
FILE_BACKUPS = 5
#: The audit index's fields: keywords, so that every field aggregates and filters exactly.
MAPPING = {"dynamic": "true", "properties": {
    "@timestamp": {"type": "date"},
    "audit_format_version": {"type": "integer"},
    "audit_request_effective_user_is_admin": {"type": "boolean"},
    **{name: {"type": "keyword"} for name in (
        "audit_category", "audit_cluster_name", "audit_node_id", "audit_node_name",
        "audit_node_host_address", "audit_node_host_name", "audit_request_layer",
        "audit_request_origin", "audit_request_effective_user", "audit_request_remote_address",
        "audit_rest_request_method", "audit_rest_request_path", "audit_request_privilege",
        "audit_trace_indices", "audit_request_reason")},
}}

log = logging.getLogger("loghaven.audit")


class AuditLog:
    """The node's audit trail; inert unless security and ``security.audit.enabled`` are on."""

    def __init__(self, config: Config, write_service: WriteService, node_id: str) -> None:
        self.enabled = config.security_enabled and config.audit_enabled
        self.log_granted = config.audit_log_granted
        self._common = {
            "audit_format_version": FORMAT_VERSION, "audit_cluster_name": config.cluster_name,
            "audit_node_id": node_id, "audit_node_name": config.node_name,
            "audit_node_host_address": config.host, "audit_node_host_name": socket.gethostname(),
            "audit_request_layer": "REST", "audit_request_origin": "REST",
            "audit_request_effective_user_is_admin": False}
        #: The queue (OpenSearch's ``plugins.security.audit.threadpool.max_queue_len``
        #: default: events of about 600 bytes, so at most some 60 MB), the file, the index.
        self.sink = EventSink("audit", write_service, config.data_dir / "audit" / "audit.log",
                              AUDIT_PREFIX, MAPPING, max_bytes=FILE_MAX_BYTES,
                              backups=FILE_BACKUPS, log=log)

    # --- the request path ------------------------------------------------------------------

    def record(self, category: str, *, user: str | None, address: str, method: str = "",
               path: str = "", action: str | None = None, indices: tuple[str, ...] = (),
               reason: str | None = None) -> None:
        """Record one event. Never given request bodies, passwords or tokens."""
        if not self.enabled or (category == GRANTED_PRIVILEGES and not self.log_granted):
            return
        now = datetime.datetime.now(datetime.UTC)
        event: dict[str, Any] = {"@timestamp": now.isoformat(timespec="milliseconds"),
                                 "audit_category": category, **self._common,
                                 "audit_request_remote_address": address}
        if user is not None:
            event["audit_request_effective_user"] = user
        if method:
            event["audit_rest_request_method"] = method
        if path:
            event["audit_rest_request_path"] = path
        if action:
            event["audit_request_privilege"] = action
        if indices:
            event["audit_trace_indices"] = list(indices)
        if reason:
            event["audit_request_reason"] = reason
        self.sink.put(event, now)

    # --- the flush job ---------------------------------------------------------------------

    def schedule(self, scheduler: Scheduler) -> None:
        if self.enabled:
            scheduler.add("security-audit-flush", lambda _stopping: self.flush(),
                          Every(FLUSH_SECONDS))

    def flush(self) -> None:
        """Write the queued events to the file, then to the index (one bulk)."""
        self.sink.flush()

    def stats(self) -> dict[str, int]:
        """The counters ``GET _nodes/stats`` shows under ``security.audit``: events recorded,
        waiting for the next flush, dropped on a full queue, indexed, and failed to index."""
        return self.sink.stats()

    def close(self) -> None:
        """Flush what is queued (the node is stopping) and close the file."""
        if self.enabled:
            self.sink.close()
