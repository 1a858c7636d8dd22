"""No warm object is leaked for good, and no referenced one is ever swept: a kill -9 during the
delete of a warm index leaves no index (its records go first) and objects that the orphan
sweep deletes once older than ``warm.orphan_grace``; so do the objects of a migration killed
during its upload whose index is then deleted. Live warm indices, migrations in progress,
uploads under way and keys that are not a warm split's (another node's, a snapshot
repository's) are never touched. On a local folder and on S3 (SeaweedFS)."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from opensearchpy import OpenSearch
from tests.conftest import S3Store
from tests.lifecycle.migrationkit import WarmServer, answers, call, fill, finish, status

from conftest import wait_for
from loghaven.config import Config
from loghaven.storage.metastore import SqliteMetastore
from loghaven.storage.objects import LocalObjectStore
from loghaven.storage.warm import WarmTier
from loghaven.storage.warm_gc import OrphanSweep, own

GRACE = "LOGHAVEN_WARM_ORPHAN_GRACE"
DELETE_PAUSE = "LOGHAVEN_TEST_DELETE_PAUSE"
#: A key of a warm split's shape under an index uuid this node never used (another node's).
FOREIGN = "ab" * 11 + "/1700000000000-0001/meta.json"


@pytest.fixture(params=["local", "s3"])
def warm(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[WarmServer]:
    s3: S3Store | None = request.getfixturevalue("s3") if request.param == "s3" else None
    instance = WarmServer(tmp_path / "data", s3)
    instance.env[GRACE] = "0s"
    yield instance
    instance.server.kill()


def restart(warm: WarmServer, grace: str, pause: str | None = None,
            env: dict[str, str] | None = None) -> OpenSearch:
    """Start again (after a kill or a stop) with ``warm.orphan_grace`` = ``grace``, and wait
    for the sweep that runs at start."""
    warm.env = {key: value for key, value in warm.env.items() if key != DELETE_PAUSE}
    warm.env.update({GRACE: grace, **(env or {})})
    client = warm.start(pause=pause)
    wait_for(lambda: sweep_stats(client)["orphan_sweeps"] >= 1, timeout=60,
             what="the sweep at start")
    return client


def sweep_stats(client: OpenSearch) -> dict[str, Any]:
    nodes = client.nodes.stats(metric="warm")["nodes"]
    return next(iter(nodes.values()))["warm"]


def uuid_of(client: OpenSearch, index: str) -> str:
    return client.indices.get_settings(index=index)[index]["settings"]["index"]["uuid"]


def objects_of(warm: WarmServer, index_uuid: str) -> list[str]:
    return [key for key in warm.objects() if key.startswith(index_uuid + "/")]


def to_warm(client: OpenSearch, index: str) -> None:
    fill(client, index)
    call(client, "POST", f"/_ultrawarm/migration/{index}/_warm")
    finish(client, index)


def put_foreign(warm: WarmServer) -> None:
    """An object of a warm split's shape that this node did not put there."""
    if warm.s3 is not None:
        warm.s3.client().put_object(Bucket=warm.bucket, Key=FOREIGN, Body=b"{}")
        return
    path = warm.server.data_dir / "buckets" / warm.bucket / FOREIGN
    path.parent.mkdir(parents=True)
    path.write_bytes(b"{}")


def test_kill_during_delete_of_a_warm_index(warm: WarmServer) -> None:
    client = warm.start()
    to_warm(client, "gone")
    to_warm(client, "kept")
    kept_answers = answers(client, "kept")
    kept_objects = objects_of(warm, uuid_of(client, "kept"))
    gone = uuid_of(client, "gone")
    stored = objects_of(warm, gone)
    warm.server.stop()

    warm.env[DELETE_PAUSE] = "1"
    client = warm.start()
    threading.Thread(target=_delete, args=(warm.server.url + "/gone",), daemon=True).start()
    wait_for(lambda: "index deletion paused" in warm.server.log.read_text(), timeout=60,
             what="the delete to pause before its files")
    warm.server.kill()
    left = objects_of(warm, gone)
    assert left == stored

    # Younger than the grace period: the index is gone, its objects are kept for now.
    client = restart(warm, grace="1h")
    assert not client.indices.exists(index="gone")
    assert client.cat.indices(index="gone*", format="json") == []
    assert not (warm.server.data_dir / "indices" / gone).exists()
    assert objects_of(warm, gone) == left
    assert sweep_stats(client)["orphan_objects_deleted"] == 0
    warm.server.stop()

    client = restart(warm, grace="0s")
    assert objects_of(warm, gone) == []
    found = sweep_stats(client)
    assert found["orphan_objects_deleted"] == len(left)
    assert found["orphan_bytes_deleted"] > 0
    assert answers(client, "kept") == kept_answers
    assert objects_of(warm, uuid_of(client, "kept")) == kept_objects


def _delete(url: str) -> None:
    with contextlib.suppress(httpx.HTTPError):  # the server is killed while it answers
        httpx.delete(url, timeout=120)


def test_migration_killed_during_upload_then_index_deleted(warm: WarmServer) -> None:
    client = warm.start(pause="upload:stored")
    fill(client, "cut")
    cut = uuid_of(client, "cut")
    call(client, "POST", "/_ultrawarm/migration/cut/_warm")
    wait_for(lambda: warm.paused_at("upload:stored"), timeout=60,
             what="the pause after the first upload")
    warm.server.kill()
    stored = objects_of(warm, cut)
    assert stored  # stored, never recorded

    client = restart(warm, grace="1h", pause="upload")
    wait_for(lambda: warm.paused_at("upload"), timeout=60, what="the resumed upload step")
    client.indices.delete(index="cut")
    wait_for(lambda: not [m for m in call(client, "GET", "/_ultrawarm/migration/_status")[
        "migration_status"] if m["index"] == "cut"], timeout=60, what="the migration to end")
    assert objects_of(warm, cut) == stored  # abandoned: nothing recorded them
    warm.server.stop()

    client = restart(warm, grace="0s")
    assert objects_of(warm, cut) == []
    assert sweep_stats(client)["orphan_objects_deleted"] == len(stored)


def test_live_warm_index_and_migration_in_progress_are_kept(warm: WarmServer) -> None:
    client = warm.start()
    fill(client, "live")
    fill(client, "moving")
    before = {name: answers(client, name) for name in ("live", "moving")}
    call(client, "POST", "/_ultrawarm/migration/live/_warm")
    finish(client, "live")
    live = uuid_of(client, "live")
    warm.server.stop()
    client = warm.start(pause="upload+")
    call(client, "POST", "/_ultrawarm/migration/moving/_warm")
    wait_for(lambda: warm.paused_at("upload+"), timeout=60, what="the pause after the upload")
    moving = uuid_of(client, "moving")
    put_foreign(warm)
    warm.server.kill()
    everything = warm.objects()
    assert objects_of(warm, moving) and objects_of(warm, live)

    client = restart(warm, grace="0s", pause="upload+")
    assert warm.objects() == everything
    assert sweep_stats(client)["orphan_objects_deleted"] == 0
    assert status(client, "moving")["state"] == "RUNNING_FULL_SNAPSHOT"
    assert answers(client, "live") == before["live"]
    warm.server.stop()

    client = restart(warm, grace="0s")
    finish(client, "moving")
    assert {name: answers(client, name) for name in ("live", "moving")} == before
    assert FOREIGN in warm.objects()


# --- the sweep's contract, on a local folder ------------------------------------------------


def test_uploads_under_way_and_other_shapes_are_kept(tmp_path: Path) -> None:
    config = Config(data_dir=tmp_path)
    store = LocalObjectStore(tmp_path / "buckets")
    tier = WarmTier(config, store)
    metastore = SqliteMetastore(tmp_path / "meta.sqlite")
    sweep = OrphanSweep(tier, metastore, 0, pinned=set)
    index_uuid = "0123456789abcdef012345"
    own(metastore, index_uuid, "logs")
    split = f"{index_uuid}/1700000000000-0001"
    keys = [f"{split}/meta.json", f"{index_uuid}/snapshots/index.json",
            f"{index_uuid}/1700000000000-0002.json"]
    for key in keys:
        store.put(tier.bucket, key, b"{}")
    with tier.uploading(index_uuid, "1700000000000-0001"):
        sweep.run()
        assert sorted(info.key for info in store.list(tier.bucket)) == sorted(keys)
    sweep.run()
    assert sorted(info.key for info in store.list(tier.bucket)) == sorted(keys[1:])
    assert sweep.stats()["orphan_objects_deleted"] == 1
    assert metastore.get("warm_prefix", index_uuid) is not None  # objects are left there
    for key in keys[1:]:
        store.delete(tier.bucket, key)
    sweep.run()
    assert metastore.get("warm_prefix", index_uuid) is None  # no index, nothing left
    metastore.close()
    tier.close()
