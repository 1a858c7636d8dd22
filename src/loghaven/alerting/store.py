"""Monitors in the metastore, and the search projection that ``monitors/_search`` queries.

The metastore (kind ``alerting_monitor``, key the monitor id) is the source of truth: each
record holds the normalized monitor with OpenSearch's ``_version``, ``_seq_no`` and
``_primary_term``; ``_seq_no`` comes from one counter for all monitors, as the sequence
numbers of OpenSearch's single-shard config index do, and is written in the same metastore
transaction as the monitor.

OpenSearch keeps monitors as documents ``{"monitor": {...}}`` of the hidden index
``.opendistro-alerting-config`` and answers ``monitors/_search`` with any query DSL over it.
Here that index is a projection: every change is indexed there (external version = the
monitor's ``_version``) so the search service runs the query, and at start it is compared
with the metastore and brought back in step if it is missing or differs (a crash between the
two writes, a deleted index).
"""

from __future__ import annotations

import contextlib
import logging
import threading
from typing import Any

import orjson

from loghaven.alerting.monitors import AlertingError
from loghaven.engine.documents_state import WriteRequest
from loghaven.errors import LoghavenError, ResourceAlreadyExists
from loghaven.ingest.bulk import BulkItem
from loghaven.ingest.service import WriteService
from loghaven.search.service import Params, SearchService
from loghaven.security import context
from loghaven.security.subject import INTERNAL
from loghaven.storage.metastore import Metastore

log = logging.getLogger("loghaven.alerting")

KIND = "alerting_monitor"
_COUNTER = ("alerting_monitor_seq_no", "config")
#: OpenSearch's alerting config index (``ScheduledJob.SCHEDULED_JOBS_INDEX`` in OpenDistro).
CONFIG_INDEX = ".opendistro-alerting-config"
PRIMARY_TERM = 1
#: The fields of a monitor that ``_search`` queries reach; the rest stays in ``_source``.
_NAME = {"type": "text", "fields": {"keyword": {"type": "keyword"}}}
_TIME = {"type": "date", "format": "strict_date_time||epoch_millis"}
MAPPING = {"dynamic": "false", "properties": {"monitor": {"dynamic": "false", "properties": {
    "type": {"type": "keyword"}, "schema_version": {"type": "integer"}, "name": _NAME,
    "monitor_type": {"type": "keyword"}, "enabled": {"type": "boolean"},
    "enabled_time": _TIME, "last_update_time": _TIME,
    "user": {"properties": {"name": _NAME, "backend_roles": {"type": "keyword"},
                            "roles": {"type": "keyword"}}},
    "schedule": {"properties": {
        "period": {"properties": {"interval": {"type": "integer"}, "unit": {"type": "keyword"}}},
        "cron": {"properties": {"expression": {"type": "keyword"},
                                "timezone": {"type": "keyword"}}}}},
    "inputs": {"properties": {
        "search": {"properties": {"indices": {"type": "keyword"}}},
        "doc_level_input": {"properties": {"indices": {"type": "keyword"},
                                           "description": {"type": "text"}}}}},
}}}}


def not_found(monitor_id: str) -> AlertingError:
    return AlertingError(f"Monitor with {monitor_id} is not found", status=404)


class MonitorStore:
    """Create, read, update and delete monitors with optimistic concurrency."""

    def __init__(self, metastore: Metastore, write_service: WriteService,
                 search_service: SearchService) -> None:
        self.metastore = metastore
        self.write_service = write_service
        self.search_service = search_service
        self._lock = threading.Lock()

    # --- records -------------------------------------------------------------------------

    def get(self, monitor_id: str) -> dict[str, Any] | None:
        """``{"_id", "_version", "_seq_no", "_primary_term", "monitor"}`` or None."""
        return self.metastore.get(KIND, monitor_id)

    def all(self) -> dict[str, dict[str, Any]]:
        return self.metastore.list(KIND)

    def put(self, monitor_id: str, monitor: dict[str, Any], *, create: bool,
            if_seq_no: int | None = None,
            if_primary_term: int | None = None) -> dict[str, Any]:
        """Store a monitor (a new one when ``create``); the new record."""
        with self._lock:
            current = self.get(monitor_id)
            if create and current is not None:
                raise AlertingError(f"[{monitor_id}]: version conflict, document already "
                                    f"exists (current version [{current['_version']}])",
                                    status=409, cause="version_conflict_engine_exception")
            if not create and current is None:
                raise not_found(monitor_id)
            self._check_seq_no(monitor_id, current, if_seq_no, if_primary_term)
            seq_no = self._next_seq_no()
            record = {"_id": monitor_id,
                      "_version": 1 if current is None else current["_version"] + 1,
                      "_seq_no": seq_no, "_primary_term": PRIMARY_TERM, "monitor": monitor}
            self.metastore.put_many([(KIND, monitor_id, record),
                                     (*_COUNTER, {"seq_no": seq_no})])
        self._project(record)
        return record

    def delete(self, monitor_id: str) -> dict[str, Any]:
        """Remove a monitor; the deleted record with its final version and seq_no."""
        with self._lock:
            current = self.get(monitor_id)
            if current is None:
                raise not_found(monitor_id)
            seq_no = self._next_seq_no()
            record = {**current, "_version": current["_version"] + 1, "_seq_no": seq_no}
            self.metastore.put_many([(KIND, monitor_id, None),
                                     (*_COUNTER, {"seq_no": seq_no})])
        self._unproject(monitor_id)
        return record

    def _next_seq_no(self) -> int:
        counter = self.metastore.get(*_COUNTER)
        return 0 if counter is None else counter["seq_no"] + 1

    @staticmethod
    def _check_seq_no(monitor_id: str, current: dict[str, Any] | None, if_seq_no: int | None,
                      if_primary_term: int | None) -> None:
        if if_seq_no is None and if_primary_term is None:
            return
        if current is None or current["_seq_no"] != if_seq_no \
                or current["_primary_term"] != if_primary_term:
            reason = (f"[{monitor_id}]: version conflict, required seqNo [{if_seq_no}], "
                      f"primary term [{if_primary_term}]. ")
            reason += ("but no document was found" if current is None else
                       f"current document has seqNo [{current['_seq_no']}] and primary term "
                       f"[{current['_primary_term']}]")
            raise AlertingError(reason, status=409, cause="version_conflict_engine_exception")

    # --- the search projection -----------------------------------------------------------

    def search(self, body: dict[str, Any], params: Params) -> dict[str, Any]:
        """``monitors/_search``: the query over ``.opendistro-alerting-config``, hits' sources
        being the monitors themselves (as RestSearchMonitorAction rewrites them)."""
        if not self.index_exists():
            if self.all():  # it was deleted by hand: fill it again first
                self.sync_projection()
            else:  # no monitor was ever made: an empty answer, as the plugin gives
                params = {**params, "ignore_unavailable": "true", "allow_no_indices": "true"}
        with context.acting(INTERNAL, "indices:data/read/search"):
            response = self.search_service.search(CONFIG_INDEX, body, params)
        for hit in response.get("hits", {}).get("hits", []):
            if "_source" in hit:
                source = orjson.loads(orjson.dumps(hit["_source"]))
                hit["_source"] = source.get("monitor", source)
        return response

    def sync_projection(self) -> None:
        """Bring the projection in step with the metastore: index what is missing or older,
        delete what is gone. Without monitors and without the index, nothing is made."""
        records = self.all()
        if not records and not self.index_exists():
            return
        self._ensure_index()
        with context.acting(INTERNAL, "indices:data/read/search"):
            found = self.search_service.search(
                CONFIG_INDEX, {"size": max(len(records) * 2, 10), "_source": False,
                               "version": True, "query": {"match_all": {}}},
                {"track_total_hits": "true"})
        projected = {hit["_id"]: hit.get("_version") for hit in found["hits"]["hits"]}
        extra = found["hits"]["total"]["value"] > len(projected)
        stale = [record for monitor_id, record in records.items()
                 if projected.get(monitor_id) != record["_version"]]
        gone = [monitor_id for monitor_id in projected if monitor_id not in records]
        if not stale and not gone and not extra:
            return
        log.info("alerting: bringing %s in step (%d monitors to index, %d to delete)",
                 CONFIG_INDEX, len(stale), len(gone))
        items = [BulkItem("index", CONFIG_INDEX, self._request(record)) for record in stale]
        items += [BulkItem("delete", CONFIG_INDEX, WriteRequest("delete", doc_id=monitor_id))
                  for monitor_id in gone]
        with context.acting(INTERNAL, "indices:data/write/bulk"):
            self.write_service.bulk(items, refresh="true")

    def index_exists(self) -> bool:
        return CONFIG_INDEX in self.write_service.catalog.indices

    def _ensure_index(self) -> None:
        if self.index_exists():
            return
        with contextlib.suppress(ResourceAlreadyExists):  # made meanwhile by another request
            self.write_service.catalog.create_index(
                CONFIG_INDEX, {"settings": {"index.hidden": True}, "mappings": MAPPING})

    @staticmethod
    def _request(record: dict[str, Any]) -> WriteRequest:
        return WriteRequest("index", doc_id=record["_id"],
                            source=orjson.dumps({"monitor": record["monitor"]}),
                            version=record["_version"], version_type="external_gte")

    def _project(self, record: dict[str, Any]) -> None:
        try:
            self._ensure_index()
            with context.acting(INTERNAL, "indices:data/write/index"):
                self.write_service.write_document(CONFIG_INDEX, self._request(record),
                                                  refresh="true")
        except LoghavenError as error:  # the metastore has it; the next start re-projects
            log.warning("alerting: monitor %s not projected into %s: %s", record["_id"],
                        CONFIG_INDEX, error.reason)

    def _unproject(self, monitor_id: str) -> None:
        try:
            with context.acting(INTERNAL, "indices:data/write/delete"):
                self.write_service.write_document(
                    CONFIG_INDEX, WriteRequest("delete", doc_id=monitor_id), refresh="true",
                    auto_create=False)
        except LoghavenError as error:
            log.warning("alerting: monitor %s not removed from %s: %s", monitor_id,
                        CONFIG_INDEX, error.reason)
