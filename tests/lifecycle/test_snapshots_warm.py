"""A snapshot of a warm index (UltraWarm): its splits' files come through the split cache,
and the restore brings the index back hot with the same answers."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.lifecycle.migrationkit import (
    WarmServer,
    answers,
    call,
    fill,
    finish,
    restore_renamed,
    snapshot,
    tier,
)


def test_snapshot_of_a_warm_index_restores_hot(tmp_path: Path) -> None:
    warm = WarmServer(tmp_path / "data")
    warm.with_repository(tmp_path / "repos")
    client = warm.start()
    try:
        fill(client, "warm-snap")
        before = answers(client, "warm-snap")
        call(client, "POST", "/_ultrawarm/migration/warm-snap/_warm")
        finish(client, "warm-snap")
        assert tier(client, "warm-snap") == "warm"
        warm.server.stop()  # an empty split cache: the snapshot must fetch the files
        shutil.rmtree(tmp_path / "data" / "cache", ignore_errors=True)
        warm.server.start()
        snapshot(client, "warm-snap")
        restore_renamed(client)
        assert tier(client, "back-snap") is None
        assert answers(client, "back-snap") == before
        assert answers(client, "warm-snap") == before
    finally:
        warm.server.stop()
