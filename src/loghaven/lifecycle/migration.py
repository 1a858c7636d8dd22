"""UltraWarm's migrations: an index moved hot → warm (into the object store) or back.

Hot → warm: the index is made read-only (``index.blocks.write``), sealed, force-merged into
few splits, each split uploaded and verified, the metastore switched to the warm locations
in one write (``Index.relocate``), and only then the local copy dropped; the index then
carries ``index.routing.allocation.require.box_type: warm``. Warm → hot fetches the splits
back, verifies them, switches, and lifts the block it set. Every step is recorded in the
metastore (kind ``warm_migration``) before the next starts, so a migration resumes after
kill -9, and until the switch the index is whole on the side it came from.

States are UltraWarm's (``PENDING_INCREMENTAL_SNAPSHOT``, ``RUNNING_FORCE_MERGE``,
``RUNNING_FULL_SNAPSHOT``, ``RUNNING_SHARD_RELOCATION``, ``FINISHED_SHARD_RELOCATION``, the
``FAILED_*`` ones ...) mapped onto these steps: docs/tiers.md.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from loghaven.engine.catalog import Catalog
    from loghaven.scheduler import Scheduler
    from loghaven.storage.metastore import Metastore
    from loghaven.storage.warm import WarmTier

HOT_TO_WARM = "HOT_TO_WARM"
WARM_TO_HOT = "WARM_TO_HOT"
#: The index setting that says where an index lives (UltraWarm's, read by the UI too).
BOX_TYPE = "index.routing.allocation.require.box_type"


class WarmMigrations:
    """``node.migrations``: the migration API's operations and the migrations' runs."""

    def __init__(self, catalog: Catalog, metastore: Metastore, scheduler: Scheduler,
                 warm: WarmTier) -> None:
        self.catalog = catalog
        self.metastore = metastore
        self.scheduler = scheduler
        self.warm = warm

    def start(self) -> None:
        """Resume the migrations a stop (or kill -9) interrupted."""

    def close(self) -> None:
        """Stop between steps; what is recorded resumes at the next start."""

    def migrate(self, index: str, to: str) -> dict[str, Any]:
        """Queue ``index``'s move ``to`` ``"warm"`` or ``"hot"``; UltraWarm's response, or
        its errors (no such index, already there, a migration running, closed)."""
        raise NotImplementedError("CONTRACT: issue 19, helper migration")

    def status(self, index: str) -> dict[str, Any]:
        """``GET _ultrawarm/migration/<index>/_status``: ``{"migration_status": {...}}``."""
        raise NotImplementedError("CONTRACT: issue 19, helper migration")

    def list_status(self, migration_type: str | None = None) -> dict[str, Any]:
        """``GET _ultrawarm/migration/_status?migration_type=``: every migration known."""
        raise NotImplementedError("CONTRACT: issue 19, helper migration")

    def cancel(self, index: str) -> dict[str, Any]:
        """``POST _ultrawarm/migration/_cancel/<index>``: stop a queued or running migration;
        the index stays whole where it was."""
        raise NotImplementedError("CONTRACT: issue 19, helper migration")

    def tier(self, index: str) -> str:
        """``"hot"`` or ``"warm"`` (a migration in flight: where the index is served from)."""
        raise NotImplementedError("CONTRACT: issue 19, helper migration")
