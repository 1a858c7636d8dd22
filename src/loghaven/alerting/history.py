"""Rolled-over history indices behind a write alias, as OpenSearch's ``AlertIndices`` keeps
the alert and finding histories.

A family is hidden system indices ``<prefix>YYYY.MM.dd-1`` (the day it was created), the
newest of which is the write index of an alias. A scheduler job (every rollover period)
rolls the write index over when it holds ``max_docs`` documents or is older than
``max_age`` — the new index is named for the day of the rollover with the next counter,
zero-padded as OpenSearch's rollover names it (``-000002``) — and deletes the family's
indices older than the retention period, never the write index. An index's age is read
from the day in its name, on the store's clock, so tests can move time.
"""

from __future__ import annotations

import datetime
import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from loghaven.config import Config
from loghaven.engine import aliases
from loghaven.engine.catalog import Catalog
from loghaven.engine.dates.durations import parse_duration_ms
from loghaven.engine.node_indices import ensure_index
from loghaven.scheduler import Every, Scheduler
from loghaven.security.context import as_node

log = logging.getLogger("loghaven.alerting")
#: Reads of the hidden indices (which may not exist yet).
READ = {"ignore_unavailable": "true", "allow_no_indices": "true",
        "expand_wildcards": "open,hidden"}


@dataclass(frozen=True)
class HistoryPolicy:
    """OpenSearch's ``*_history_*`` settings of one family (time values as ES writes them)."""

    rollover_period: str = "12h"
    max_age: str = "30d"
    max_docs: int = 1000
    retention_period: str = "60d"

    def __post_init__(self) -> None:  # a wrong time value fails when the node starts
        for name in ("rollover_period", "max_age", "retention_period"):
            if self.ms(name) <= 0:
                raise ValueError(f"[{name}] must be positive, got [{getattr(self, name)}]")

    @classmethod
    def of(cls, config: Config, kind: str) -> HistoryPolicy:
        """The ``alert`` or ``finding`` history settings of the node's configuration."""
        return cls(*(getattr(config, f"{kind}_history_{name}") for name in (
            "rollover_period", "max_age", "max_docs", "retention_period")))

    def ms(self, name: str) -> int:
        value: str = getattr(self, name)
        return parse_duration_ms(value, name)


class HistoryIndices:
    """One family of history indices: its write alias, rollover and retention."""

    def __init__(self, catalog: Catalog, prefix: str, write_alias: str,
                 mapping: dict[str, Any], policy: HistoryPolicy,
                 clock: Callable[[], float] = time.time) -> None:
        self.catalog = catalog
        self.prefix = prefix
        self.write_alias = write_alias
        self.mapping = mapping
        self.policy = policy
        self.clock = clock
        self._name = re.compile(re.escape(prefix) + r"(\d{4}\.\d{2}\.\d{2})-(\d+)$")
        #: The pattern that searches reach the whole family with.
        self.pattern = prefix + "*"

    def _day(self) -> str:
        return datetime.datetime.fromtimestamp(self.clock(), datetime.UTC).strftime("%Y.%m.%d")

    def members(self) -> list[str]:
        """The family's indices, oldest first."""
        found = [(m.group(1), int(m.group(2)), name) for name in list(self.catalog.indices)
                 if (m := self._name.match(name))]
        return [name for *_key, name in sorted(found)]

    def write_index(self) -> str | None:
        for name in self.members():
            if self.catalog.aliases.get(name, {}).get(self.write_alias, {}).get(
                    "is_write_index"):
                return name
        return None

    def ensure(self) -> None:
        """The write alias exists: create today's first index if the family has none."""
        if self.write_index() is None:
            ensure_index(self.catalog, f"{self.prefix}{self._day()}-1", self.mapping,
                         self.write_alias)

    def created_ms(self, name: str) -> int:
        """When an index of the family was created (the start of the day in its name)."""
        match = self._name.match(name)
        assert match is not None
        day = datetime.datetime.strptime(match.group(1), "%Y.%m.%d").replace(
            tzinfo=datetime.UTC)
        return int(day.timestamp() * 1000)

    def schedule(self, scheduler: Scheduler, job: str) -> None:
        """Roll over and expire every rollover period (a durable job: a restart does not
        postpone it)."""
        scheduler.add(job, lambda _stopping: self.maintain(),
                      Every(self.policy.ms("rollover_period") / 1000), durable=True)

    def maintain(self) -> None:
        with as_node("indices:admin/rollover"):
            self.rollover()
            self.delete_expired()

    def rollover(self) -> str | None:
        """Roll the write index over if a condition is met; the new index's name, or None."""
        current = self.write_index()
        if current is None:
            self.ensure()
            return None
        now_ms = int(self.clock() * 1000)
        aged = now_ms - self.created_ms(current) >= self.policy.ms("max_age")
        if not aged and self.catalog.indices[current].doc_count() < self.policy.max_docs:
            return None
        match = self._name.match(current)
        assert match is not None
        new = f"{self.prefix}{self._day()}-{int(match.group(2)) + 1:06d}"
        ensure_index(self.catalog, new, self.mapping)
        with as_node("indices:admin/aliases"):
            aliases.update(self.catalog, [
                {"add": {"index": current, "alias": self.write_alias, "is_write_index": False,
                         "is_hidden": True}},
                {"add": {"index": new, "alias": self.write_alias, "is_write_index": True,
                         "is_hidden": True}}])
        log.info("rolled [%s] over from [%s] to [%s]", self.write_alias, current, new)
        return new

    def delete_expired(self) -> list[str]:
        """Delete the family's indices older than the retention period (not the write
        index); their names."""
        now_ms = int(self.clock() * 1000)
        retention = self.policy.ms("retention_period")
        writer = self.write_index()
        deleted = []
        for name in self.members():
            if name != writer and now_ms - self.created_ms(name) > retention:
                index = self.catalog.indices.get(name)
                if index is not None:
                    self.catalog.delete_index(index)
                    deleted.append(name)
        if deleted:
            log.info("deleted expired history indices %s", deleted)
        return deleted
