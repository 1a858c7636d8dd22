"""kill -9 of the server at each step of a migration (the step made to wait by
``LOGHAVEN_TEST_MIGRATION_PAUSE``), then a restart: the migration resumes and finishes, and
meanwhile and afterwards the index answers every search completely from one side."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.lifecycle.migrationkit import (
    WarmServer,
    answers,
    call,
    fill,
    finish,
    status,
    tier,
)

from conftest import wait_for

#: Each step (``+``: its end) and the UltraWarm state ``_status`` shows there.
HOT_TO_WARM = {"block": "RUNNING_INCREMENTAL_SNAPSHOT", "seal": "RUNNING_INCREMENTAL_SNAPSHOT",
               "force_merge": "RUNNING_FORCE_MERGE", "upload": "RUNNING_FULL_SNAPSHOT",
               "upload+": "RUNNING_FULL_SNAPSHOT", "relocate": "RUNNING_SHARD_RELOCATION",
               "relocate+": "RUNNING_SHARD_RELOCATION",
               "drop_local": "FINISHED_SHARD_RELOCATION",
               "box_type": "FINISHED_SHARD_RELOCATION", "box_type+": "FINISHED_SHARD_RELOCATION"}
WARM_TO_HOT = {"download": "RUNNING_SHARD_RELOCATION", "download+": "RUNNING_SHARD_RELOCATION",
               "relocate": "RUNNING_SHARD_RELOCATION", "relocate+": "RUNNING_SHARD_RELOCATION",
               "delete_warm": "FINISHED_SHARD_RELOCATION",
               "force_merge": "FINISHED_SHARD_RELOCATION",
               "box_type": "FINISHED_SHARD_RELOCATION", "unblock": "FINISHED_SHARD_RELOCATION",
               "unblock+": "FINISHED_SHARD_RELOCATION"}


@pytest.fixture
def warm(tmp_path: Path) -> Iterator[WarmServer]:
    instance = WarmServer(tmp_path / "data")
    yield instance
    instance.server.kill()


def kill_at(warm: WarmServer, index: str, direction: str, pause: str, state: str,
            before: dict) -> None:
    """Start the migration on a server that pauses at ``pause``, check the index there,
    kill -9 it, restart without the pause, and wait for the migration to finish."""
    client = warm.start(pause=pause)
    assert answers(client, index) == before
    call(client, "POST", f"/_ultrawarm/migration/{index}/{direction}")
    wait_for(lambda: warm.paused_at(pause), timeout=60, what=f"the pause at {pause}")
    found = status(client, index)
    assert found is not None and found["step"] == pause.rstrip("+")
    assert found["state"] == state
    assert answers(client, index) == before  # whole, from one side
    warm.server.kill()
    client = warm.start()
    assert answers(client, index) == before  # right after the restart, resumed or not
    finish(client, index)
    assert answers(client, index) == before
    warm.server.stop()


@pytest.mark.parametrize("pause", HOT_TO_WARM)
def test_kill_during_hot_to_warm(warm: WarmServer, pause: str) -> None:
    client = warm.start()
    fill(client, "resumed")
    before = answers(client, "resumed")
    warm.server.stop()
    kill_at(warm, "resumed", "_warm", pause, HOT_TO_WARM[pause], before)
    client = warm.start()
    assert tier(client, "resumed") == "warm"
    assert warm.objects()
    local = warm.server.data_dir / "indices"
    splits = [p for p in local.rglob("splits/*") if p.is_dir() and any(p.iterdir())]
    assert len(splits) <= 1  # at most the empty active split stays local


@pytest.mark.parametrize("pause", WARM_TO_HOT)
def test_kill_during_warm_to_hot(warm: WarmServer, pause: str) -> None:
    client = warm.start()
    fill(client, "back")
    before = answers(client, "back")
    call(client, "POST", "/_ultrawarm/migration/back/_warm")
    finish(client, "back")
    warm.server.stop()
    kill_at(warm, "back", "_hot", pause, WARM_TO_HOT[pause], before)
    client = warm.start()
    assert tier(client, "back") == "hot"
    assert warm.objects() == []
    client.index(index="back", body={"status": 1}, id="writable", refresh=True)
