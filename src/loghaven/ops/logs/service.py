"""The node's error log and search and indexing slow logs: where their entries go.

Each log is an event sink (ingest/event_sink.py): JSON lines in ``logs.path`` (default
``<data>/logs``) named as ES names its files (``<cluster>_server.json``,
``<cluster>_index_search_slowlog.json``, ``<cluster>_index_indexing_slowlog.json``), rotated at
``logs.max_size`` keeping ``logs.max_files``, and hidden daily indices
``.loghaven-logs-{server,search,indexing}-YYYY.MM.dd`` kept ``ops.logs.retention``. Entries are
queued by the request (or the code that logs) and written by one scheduler job every second; a
failing file or index never fails a request.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from loghaven.config import Config
from loghaven.engine.catalog import Catalog
from loghaven.engine.dates.durations import parse_duration_ms
from loghaven.ingest.event_sink import EventSink
from loghaven.ingest.service import WriteService
from loghaven.ops.logs.errorlog import ErrorLogHandler
from loghaven.ops.logs.slowlog import SlowLogs
from loghaven.ops.observe import Observers
from loghaven.scheduler import Every, Scheduler
from loghaven.security.system_indices import LOGS_PREFIX

FLUSH_SECONDS = 1.0
RETENTION_SECONDS = 3600.0
#: The fields of every entry, typed; anything else is mapped dynamically.
MAPPING = {"dynamic": "true", "properties": {
    "@timestamp": {"type": "date"},
    "took_millis": {"type": "double"},
    "total_hits": {"type": "long"},
    "message": {"type": "text"},
    "source": {"type": "text"},
    "stacktrace": {"type": "text"},
    "client": {"properties": {"address": {"type": "keyword"}}},
    "node": {"properties": {"name": {"type": "keyword"}}},
    "cluster": {"properties": {"name": {"type": "keyword"}}},
    **{name: {"type": "keyword"} for name in (
        "level", "logger", "index", "id", "op", "took", "kind", "user", "x_opaque_id",
        "method", "path")},
}}

#: The sinks' own warnings (an index write failed): not in the error log (ops/logs/errorlog.py).
log = logging.getLogger("loghaven.ops.logs")


class NodeLogs:
    """The three logs of one node; listening from :meth:`start` to :meth:`close`."""

    def __init__(self, config: Config, catalog: Catalog, write_service: WriteService,
                 observers: Observers) -> None:
        self.folder = Path(config.logs_path) if config.logs_path else config.data_dir / "logs"
        self.retention = datetime.timedelta(milliseconds=parse_duration_ms(
            config.ops_logs_retention, "ops.logs.retention"))
        cluster = config.cluster_name

        def sink(name: str, kind: str, file: str) -> EventSink:
            return EventSink(name, write_service, self.folder / f"{cluster}_{file}.json",
                             f"{LOGS_PREFIX}{kind}-", MAPPING, max_bytes=config.logs_max_size,
                             backups=config.logs_max_files, log=log)

        self.server = sink("server log", "server", "server")
        self.search = sink("search slow log", "search", "index_search_slowlog")
        self.indexing = sink("indexing slow log", "indexing", "index_indexing_slowlog")
        common = {"node.name": config.node_name, "cluster.name": cluster}
        self.slowlogs = SlowLogs(catalog, common, _to(self.search), _to(self.indexing))
        observers.on_search(self.slowlogs.searched)
        observers.on_write(self.slowlogs.written)
        self.handler = ErrorLogHandler(_to(self.server), common, ignored=log.name)

    @property
    def sinks(self) -> tuple[EventSink, ...]:
        return self.server, self.search, self.indexing

    def start(self, scheduler: Scheduler) -> None:
        """Take the ``loghaven`` loggers' warnings and errors, and schedule the writes."""
        logging.getLogger("loghaven").addHandler(self.handler)
        scheduler.add("ops-logs-flush", lambda _stopping: self.flush(), Every(FLUSH_SECONDS))
        scheduler.add("ops-logs-retention", lambda _stopping: self.expire(),
                      Every(RETENTION_SECONDS), durable=True)  # also when restarted hourly

    def flush(self) -> None:
        for sink in self.sinks:
            sink.flush()

    def expire(self) -> list[str]:
        """Delete the log indices older than ``ops.logs.retention``; their names."""
        now = datetime.datetime.now(datetime.UTC)
        return [name for sink in self.sinks for name in sink.expire(self.retention, now)]

    def stats(self) -> dict[str, dict[str, int]]:
        return {"server": self.server.stats(), "search": self.search.stats(),
                "indexing": self.indexing.stats()}

    def close(self) -> None:
        """Stop taking records, then write what is queued (while the indices are open)."""
        logging.getLogger("loghaven").removeHandler(self.handler)
        for sink in self.sinks:
            sink.close()


def _to(sink: EventSink) -> Callable[[dict[str, Any]], None]:
    return lambda entry: sink.put(entry, datetime.datetime.now(datetime.UTC))
