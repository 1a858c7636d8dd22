"""``node.snapshots.stats()``: successes and failures counted in the metastore, so that they
survive a restart (issue 20's AutomatedSnapshotFailure alarm reads them)."""

from __future__ import annotations

import shutil
from pathlib import Path

from loghaven.config import Config
from loghaven.engine.catalog import Catalog
from loghaven.ingest.pipeline.store import PipelineStore
from loghaven.lifecycle.snapshots.service import SnapshotService
from loghaven.scheduler import Scheduler
from loghaven.scripting.stored import StoredScripts
from loghaven.storage.metastore import SqliteMetastore


def service_in(folder: Path, metastore: SqliteMetastore) -> SnapshotService:
    config = Config()
    config.data_dir = folder
    config.path_repo = [str(folder / "repos")]
    return SnapshotService(config, Catalog(folder, metastore), metastore, Scheduler(metastore),
                           PipelineStore(metastore), StoredScripts(metastore))


def test_counters_survive_a_restart(tmp_path: Path) -> None:
    metastore = SqliteMetastore(tmp_path / "metastore.sqlite")
    service = service_in(tmp_path, metastore)
    assert service.stats() == {"successes": 0, "failures": 0, "in_progress": 0}
    service.put_repository("r", {"type": "fs", "settings": {"location": "r"}})
    service.catalog.create_index("stats-a")
    answer = service.create("r", "ok", None, wait_for_completion=True)
    assert answer["snapshot"]["state"] == "SUCCESS"
    # the repository's folder becomes a file: the next snapshot cannot be written
    location = tmp_path / "repos" / "r"
    shutil.rmtree(location)
    location.write_bytes(b"not a folder")
    answer = service.create("r", "broken", None, wait_for_completion=True)
    assert answer["snapshot"]["state"] == "FAILED"
    assert answer["snapshot"]["failures"]
    assert service.stats() == {"successes": 1, "failures": 1, "in_progress": 0}
    service.close()
    service.catalog.close()
    metastore.close()

    metastore = SqliteMetastore(tmp_path / "metastore.sqlite")
    again = service_in(tmp_path, metastore)
    assert again.stats() == {"successes": 1, "failures": 1, "in_progress": 0}
    again.catalog.close()
    metastore.close()
