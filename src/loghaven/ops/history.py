"""The node-metrics history: one sample of :func:`loghaven.ops.metrics.collect` every
``ops.metrics.interval`` into a daily hidden index, kept for ``ops.metrics.retention``.

The indices are ``.loghaven-metrics-YYYY.MM.dd`` (the UTC day of the sample), hidden as the
node's other system indices are (``*`` does not reach them; ``.loghaven-metrics-*`` does, as
ES matches a hidden index by a pattern that starts with its dot; ``_cat/indices`` lists them,
as ES lists hidden indices). Each document is ``@timestamp`` (epoch millis), ``node_id``, ``node_name`` and
the sample's fields, numbers mapped as ``double``; the UI charts them and the recommended
alarms are monitors over them.

The sample is written through the write service, acting as the node, inside
:func:`loghaven.engine.blocks.flood_stage_exempt`: the flood-stage disk block would
otherwise refuse the very sample that records ``ClusterIndexWritesBlocked = 1``. That is one
small document per interval; every other write stays blocked.
"""

from __future__ import annotations

import datetime
import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import orjson

from loghaven.engine.blocks import flood_stage_exempt
from loghaven.engine.dates.durations import parse_duration_ms
from loghaven.engine.documents_state import WriteRequest
from loghaven.engine.node_indices import ensure_index
from loghaven.errors import LoghavenError
from loghaven.ingest.event_sink import expire_days
from loghaven.ops.metrics import collect, uncounted
from loghaven.scheduler import Every, Scheduler
from loghaven.security.context import as_node
from loghaven.security.system_indices import METRICS_PREFIX

if TYPE_CHECKING:
    from loghaven.node import Node

PREFIX = METRICS_PREFIX
#: The pattern readers (alarms, the UI) search the history with.
PATTERN = PREFIX + "*"
JOB = "ops.metrics.history"
_DAY = "%Y.%m.%d"
log = logging.getLogger("loghaven.ops")


def mapping(sample: dict[str, float]) -> dict[str, Any]:
    """The history's mapping: ids as keywords, the time as a date, every figure a double
    (a dotted name is an object path, as ES reads ``ClusterStatus.red``); figures added by
    a later version are mapped dynamically."""
    properties: dict[str, Any] = {"@timestamp": {"type": "date", "format": "epoch_millis"},
                                  "node_id": {"type": "keyword"},
                                  "node_name": {"type": "keyword"}}
    for name in sample:
        *parents, leaf = name.split(".")
        level = properties
        for parent in parents:
            level = level.setdefault(parent, {"properties": {}})["properties"]
        level[leaf] = {"type": "double"}
    return {"properties": properties}


class MetricsHistory:
    """Samples the node's metrics into the history and deletes the days past retention."""

    def __init__(self, node: Node, clock: Callable[[], float] = time.time) -> None:
        self.node = node
        self.clock = clock
        config = node.config
        self.interval_s = parse_duration_ms(config.ops_metrics_interval,
                                            "ops.metrics.interval") / 1000
        self.retention_ms = parse_duration_ms(config.ops_metrics_retention,
                                              "ops.metrics.retention")
        if self.interval_s <= 0 or self.retention_ms <= 0:
            raise ValueError("ops.metrics.interval and ops.metrics.retention must be positive")
        self.written = 0
        self.failed = 0

    def schedule(self, scheduler: Scheduler) -> None:
        scheduler.add(JOB, lambda _stopping: self.run(), Every(self.interval_s))

    def run(self) -> None:
        """One sample, then retention; a failure is logged and counted (the next interval
        tries again)."""
        try:
            self.sample()
        except LoghavenError as error:
            self.failed += 1
            log.warning("metrics history: the sample was not written: %s", error.reason)
        self.delete_expired()

    def sample(self) -> dict[str, Any]:
        """Collect and write one document; the document."""
        now = self.clock()
        fields = collect(self.node)
        node = self.node
        document = {"@timestamp": int(now * 1000), "node_id": node.node_id,
                    "node_name": node.config.node_name, **fields}
        name = PREFIX + _day(now)
        with flood_stage_exempt(), uncounted(), as_node("indices:data/write/index"):
            ensure_index(node.catalog, name, mapping(fields))
            node.write_service.write_document(
                name, WriteRequest("index", source=orjson.dumps(document)), auto_create=False)
        self.written += 1
        return document

    def delete_expired(self) -> list[str]:
        """Delete the daily indices whose whole day is older than the retention; their
        names."""
        with as_node("indices:admin/delete"):
            deleted = expire_days(self.node.catalog, PREFIX,
                                  self.clock() - self.retention_ms / 1000)
        if deleted:
            log.info("metrics history: deleted %s (older than %s)", deleted,
                     self.node.config.ops_metrics_retention)
        return deleted

    def stats(self) -> dict[str, int]:
        return {"samples_written": self.written, "samples_failed": self.failed}


def _day(moment: float) -> str:
    return datetime.datetime.fromtimestamp(moment, datetime.UTC).strftime(_DAY)
