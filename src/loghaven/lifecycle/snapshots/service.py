"""``node.snapshots``: the ``_snapshot`` API's operations, run as recorded, resumable steps."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from loghaven.config import Config
    from loghaven.engine.catalog import Catalog
    from loghaven.scheduler import Scheduler
    from loghaven.storage.metastore import Metastore


class SnapshotService:
    def __init__(self, config: Config, catalog: Catalog, metastore: Metastore,
                 scheduler: Scheduler) -> None:
        self.config = config
        self.catalog = catalog
        self.metastore = metastore
        self.scheduler = scheduler

    def start(self) -> None:
        """Resume the snapshots, deletions and restores a stop interrupted."""

    def close(self) -> None:
        """Stop between files; what is recorded resumes at the next start."""

    def put_repository(self, name: str, body: dict[str, Any], *,
                       verify: bool = True) -> dict[str, Any]:
        raise NotImplementedError("CONTRACT: issue 19, helper snapshots")

    def get_repositories(self, names: str | None) -> dict[str, Any]:
        raise NotImplementedError("CONTRACT: issue 19, helper snapshots")

    def delete_repository(self, names: str) -> dict[str, Any]:
        raise NotImplementedError("CONTRACT: issue 19, helper snapshots")

    def verify_repository(self, name: str) -> dict[str, Any]:
        raise NotImplementedError("CONTRACT: issue 19, helper snapshots")

    def create(self, repository: str, snapshot: str, body: dict[str, Any] | None, *,
               wait_for_completion: bool = False) -> dict[str, Any]:
        """ES's create: ``indices``, ``ignore_unavailable``, ``include_global_state``,
        ``partial``, ``metadata``; ``{"accepted": true}`` or, waiting, ``{"snapshot": {...}}``."""
        raise NotImplementedError("CONTRACT: issue 19, helper snapshots")

    def get(self, repository: str, snapshots: str, params: dict[str, str]) -> dict[str, Any]:
        raise NotImplementedError("CONTRACT: issue 19, helper snapshots")

    def status(self, repository: str | None, snapshots: str | None,
               params: dict[str, str]) -> dict[str, Any]:
        raise NotImplementedError("CONTRACT: issue 19, helper snapshots")

    def delete(self, repository: str, snapshots: str) -> dict[str, Any]:
        raise NotImplementedError("CONTRACT: issue 19, helper snapshots")

    def restore(self, repository: str, snapshot: str, body: dict[str, Any] | None, *,
                wait_for_completion: bool = False) -> dict[str, Any]:
        """ES's restore: ``indices``, ``rename_pattern``/``rename_replacement``,
        ``include_aliases``, ``index_settings``, ``ignore_index_settings``, ...; an open
        index of the same name is ES's 500 ``snapshot_restore_exception``."""
        raise NotImplementedError("CONTRACT: issue 19, helper snapshots")

    def stats(self) -> dict[str, Any]:
        """Snapshots succeeded and failed since the node's data folder was made (kept in the
        metastore), for ``_nodes/stats`` and issue 20's AutomatedSnapshotFailure alarm."""
        raise NotImplementedError("CONTRACT: issue 19, helper snapshots")
