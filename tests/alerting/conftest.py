"""A real in-process node (tmp data dir, real indices and stores, the real Painless
evaluator) for the monitor runner, with a recording stand-in for the notification service."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
import pytest

from loghaven.alerting.runner import MonitorRunner, RunContext
from loghaven.config import Config
from loghaven.engine.documents_state import WriteRequest
from loghaven.ingest.bulk import BulkItem
from loghaven.node import Node
from loghaven.notify.message import Delivery, Message

#: 2026-12-04T12:00:00Z: the tests' "now", so periods are exact.
T0 = 1_796_385_600_000
MINUTE = 60_000


@dataclass
class Channels:
    """Records each send as the notification service receives it; ``dead`` channels answer
    as a webhook that failed after notify's retries, unknown ones as OpenSearch's 404."""

    known: tuple[str, ...] = ("ops-slack", "ops-webhook", "dead-hook")
    dead: set[str] = field(default_factory=lambda: {"dead-hook"})
    sent: list[tuple[str, Message]] = field(default_factory=list)

    def send(self, config_id: str, message: Message, *,
             event_source: dict[str, Any] | None = None) -> Delivery:
        if config_id not in self.known:
            return Delivery(config_id, "", "", "404", f"Config [{config_id}] not found")
        self.sent.append((config_id, message))
        if config_id in self.dead:
            return Delivery(config_id, "webhook", "pager", "500",
                            "Connection refused (after 3 attempts)")
        return Delivery(config_id, "slack", "ops", "200", "ok")

    def texts(self, config_id: str | None = None) -> list[str]:
        return [m.text for c, m in self.sent if config_id in (None, c)]


@dataclass
class Clock:
    now_ms: int = T0

    def __call__(self) -> float:
        return self.now_ms / 1000


@dataclass
class Harness:
    node: Node
    channels: Channels
    clock: Clock
    runner: MonitorRunner

    def index(self, name: str, docs: list[dict[str, Any]], mapping: dict | None = None) -> None:
        if mapping is not None and name not in self.node.catalog.indices:
            self.node.catalog.create_index(name, {"mappings": {"properties": mapping}})
        items = [BulkItem("index", name, WriteRequest("index", doc_id=d.pop("_id", None),
                                                      source=orjson.dumps(d)))
                 for d in docs]
        response = self.node.write_service.bulk(items, refresh="true")
        assert not response["errors"], response

    def run(self, monitor: dict[str, Any], monitor_id: str = "m1", *, minutes: int = 1,
            dryrun: bool = False) -> dict[str, Any]:
        end = self.clock.now_ms
        return self.runner.run(monitor, monitor_id, period_start_ms=end - minutes * MINUTE,
                               period_end_ms=end, dryrun=dryrun)

    def alerts(self, monitor_id: str = "m1") -> list[dict[str, Any]]:
        """Every alert of the monitor, active and history, through the Get alerts listing."""
        listed = self.node.alerts.list({"monitorId": monitor_id, "size": "100",
                                        "sortString": "start_time", "sortOrder": "asc"})
        return listed["alerts"]


@pytest.fixture()
def harness(tmp_path: Path) -> Iterator[Harness]:
    node = Node(Config(data_dir=tmp_path / "data", ingest_workers=0))
    channels, clock = Channels(), Clock()
    runner = MonitorRunner(RunContext(node.search_service, node.write_service, node.alerts,
                                      node.findings, channels, clock))
    yield Harness(node, channels, clock, runner)
    node.close()
