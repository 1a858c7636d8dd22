"""The audit log: OpenSearch's audit categories, written to a system index and a file.

The HTTP edge calls :meth:`AuditLog.record` for authentication and authorization decisions;
the security API calls it for configuration changes. Events have the fields of OpenSearch's
audit log (``audit_format_version`` 4, ``audit_category``, ``audit_rest_request_*``,
``audit_request_effective_user`` ...), so dashboards and queries written for OpenSearch's
``security-auditlog-*`` indices work on ours.

Recording only serializes the event into a bounded in-memory queue: a request never waits on
a disk or an index. A scheduler job (:meth:`AuditLog.flush`, every second) appends the queued
events to ``<data>/audit/audit.log`` (JSON lines, rotated by size) and writes them to the day's
hidden index ``security-auditlog-YYYY.MM.dd`` through the write service, one bulk per flush.
When the queue is full, events are dropped and counted, and the count is logged at the next
flush. Nothing that could carry a secret is ever given to :meth:`record`: no request body, no
header, no query string.
"""

from __future__ import annotations

import datetime
import logging
import socket
import threading
from logging.handlers import RotatingFileHandler
from typing import Any

import orjson

from loghaven.config import Config
from loghaven.engine.documents_state import WriteRequest
from loghaven.errors import LoghavenError, ResourceAlreadyExists
from loghaven.ingest.bulk import BulkItem
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
#: OpenSearch's ``plugins.security.audit.threadpool.max_queue_len`` default: events waiting
#: for the next flush (serialized, about 600 bytes each, so at most some 60 MB).
MAX_QUEUE_LEN = 100_000
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
        self.write_service = write_service
        self.folder = config.data_dir / "audit"
        self._common = {
            "audit_format_version": FORMAT_VERSION, "audit_cluster_name": config.cluster_name,
            "audit_node_id": node_id, "audit_node_name": config.node_name,
            "audit_node_host_address": config.host, "audit_node_host_name": socket.gethostname(),
            "audit_request_layer": "REST", "audit_request_origin": "REST",
            "audit_request_effective_user_is_admin": False}
        self._lock = threading.Lock()
        self._flushing = threading.Lock()
        self._queue: list[tuple[str, bytes]] = []
        self._file: logging.Logger | None = None
        self.recorded = self.dropped = self.written = self.failed = 0
        self._dropped_reported = 0

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
        line = orjson.dumps(event)
        with self._lock:
            if len(self._queue) >= MAX_QUEUE_LEN:
                self.dropped += 1
                return
            self._queue.append((AUDIT_PREFIX + now.strftime("%Y.%m.%d"), line))
            self.recorded += 1

    # --- the flush job ---------------------------------------------------------------------

    def schedule(self, scheduler: Scheduler) -> None:
        if self.enabled:
            scheduler.add("security-audit-flush", lambda _stopping: self.flush(),
                          Every(FLUSH_SECONDS))

    def flush(self) -> None:
        """Write the queued events to the file, then to the index (one bulk)."""
        with self._flushing:
            with self._lock:
                events, self._queue = self._queue, []
                dropped = self.dropped - self._dropped_reported
                self._dropped_reported = self.dropped
            if dropped:
                log.warning("audit queue full (%d events): dropped %d audit events",
                            MAX_QUEUE_LEN, dropped)
            if not events:
                return
            file = self._open_file()
            for _index, line in events:
                file.info(line.decode())
            self._index(events)

    def _open_file(self) -> logging.Logger:
        """A logger of its own (not the root's: audit events never go to the server log)."""
        if self._file is None:
            self.folder.mkdir(parents=True, exist_ok=True)
            handler = RotatingFileHandler(self.folder / "audit.log", maxBytes=FILE_MAX_BYTES,
                                          backupCount=FILE_BACKUPS, encoding="utf-8")
            handler.setFormatter(logging.Formatter("%(message)s"))
            file = logging.Logger("loghaven.audit.file")
            file.propagate = False
            file.addHandler(handler)
            self._file = file
        return self._file

    def _index(self, events: list[tuple[str, bytes]]) -> None:
        ready = {index for index in {index for index, _line in events}
                 if self._create_index(index)}
        items = [BulkItem("index", index, WriteRequest("index", source=line))
                 for index, line in events if index in ready]
        self.failed += len(events) - len(items)
        if not items:
            return
        try:
            response = self.write_service.bulk(items, refresh=None)
        except LoghavenError as error:  # e.g. the disk is full: the file has the events
            self.failed += len(items)
            log.warning("audit events not indexed (they are in %s): %s",
                        self.folder / "audit.log", error.reason)
            return
        failed = [item for item in response["items"] if "error" in item["index"]]
        self.failed += len(failed)
        self.written += len(items) - len(failed)
        if failed:
            log.warning("%d audit events not indexed (they are in %s): %s", len(failed),
                        self.folder / "audit.log", failed[0]["index"]["error"]["reason"])

    def _create_index(self, name: str) -> bool:
        """Whether the day's audit index exists, created hidden (``*`` does not match it) as
        OpenSearch's system index is to ordinary searches; never auto-created visible."""
        catalog = self.write_service.catalog
        if name in catalog.indices:
            return True
        try:
            catalog.create_index(name, {"settings": {"index.hidden": True},
                                        "mappings": MAPPING})
        except ResourceAlreadyExists:
            pass
        except LoghavenError as error:
            log.warning("audit events not indexed (they are in %s): cannot create the audit "
                        "index [%s]: %s", self.folder / "audit.log", name, error.reason)
            return False
        return True

    def stats(self) -> dict[str, int]:
        """The counters ``GET _nodes/stats`` shows under ``security.audit``: events recorded,
        waiting for the next flush, dropped on a full queue, indexed, and failed to index."""
        with self._lock:
            queued = len(self._queue)
        return {"recorded": self.recorded, "queued": queued, "dropped": self.dropped,
                "indexed": self.written, "index_failures": self.failed}

    def close(self) -> None:
        """Flush what is queued (the node is stopping) and close the file."""
        if not self.enabled:
            return
        try:
            self.flush()
        except Exception:  # stopping must go on
            log.exception("flushing the audit log at shutdown failed")
        if self._file is not None:
            for handler in self._file.handlers:
                handler.close()
