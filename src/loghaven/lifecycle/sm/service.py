"""``node.sm``: snapshot management policies — create, get, update (``if_seq_no``/
``if_primary_term``), search, delete, explain, start, stop — and their runs (creation on the
policy's cron schedule, deletion by ``max_count``/``min_count``/``max_age``), with failures
counted and notified through the policy's ``notification.channel``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from loghaven.lifecycle.snapshots.service import SnapshotService
    from loghaven.notify.service import NotificationService
    from loghaven.scheduler import Scheduler
    from loghaven.storage.metastore import Metastore


class SnapshotPolicies:
    def __init__(self, metastore: Metastore, scheduler: Scheduler, snapshots: SnapshotService,
                 notifications: NotificationService, *, enabled: bool = True) -> None:
        self.metastore = metastore
        self.scheduler = scheduler
        self.snapshots = snapshots
        self.notifications = notifications
        self.enabled = enabled

    def start(self) -> None:
        """One durable scheduler job per enabled policy."""

    def create(self, name: str, body: dict[str, Any]) -> dict[str, Any]:
        raise NotImplementedError("CONTRACT: issue 19, helper sm")

    def update(self, name: str, body: dict[str, Any], *, if_seq_no: int | None,
               if_primary_term: int | None) -> dict[str, Any]:
        raise NotImplementedError("CONTRACT: issue 19, helper sm")

    def get(self, name: str) -> dict[str, Any]:
        raise NotImplementedError("CONTRACT: issue 19, helper sm")

    def search(self, params: dict[str, str]) -> dict[str, Any]:
        raise NotImplementedError("CONTRACT: issue 19, helper sm")

    def delete(self, name: str) -> dict[str, Any]:
        raise NotImplementedError("CONTRACT: issue 19, helper sm")

    def explain(self, names: str) -> dict[str, Any]:
        raise NotImplementedError("CONTRACT: issue 19, helper sm")

    def set_enabled(self, name: str, enabled: bool) -> dict[str, Any]:
        """``_start`` / ``_stop``."""
        raise NotImplementedError("CONTRACT: issue 19, helper sm")
