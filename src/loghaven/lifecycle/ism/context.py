"""What ISM's actions act on: the node's services, passed in rather than reached through HTTP."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from loghaven.engine.catalog import Catalog
    from loghaven.ingest.service import WriteService
    from loghaven.lifecycle.migration import WarmMigrations
    from loghaven.lifecycle.snapshots.service import SnapshotService
    from loghaven.notify.service import NotificationService
    from loghaven.search.service import SearchService


@dataclass(frozen=True)
class IsmContext:
    catalog: Catalog
    write_service: WriteService
    search_service: SearchService
    migrations: WarmMigrations
    snapshots: SnapshotService
    notifications: NotificationService
