"""What keeps a warm index (and one on its way to warm) read-only and a cancelled migration
tidy, through HTTP against a real server: the write block cannot be lifted under a migration
or on a warm index, writes that reach no writer get ES's block error, and a cancel after the
force merge gives the hot splits their compressed document store back."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
from tests.lifecycle.migrationkit import WarmServer, answers, call, fill, status
from tests.streams.streamkit import wait_for


@pytest.fixture
def warm(tmp_path: Path) -> Iterator[WarmServer]:
    instance = WarmServer(tmp_path / "data")
    yield instance
    instance.server.kill()


def docstores(warm: WarmServer) -> set[str]:
    """The document store compression of every local split of the node."""
    return {orjson.loads(meta.read_bytes())["index_settings"]["docstore_compression"]
            for meta in (warm.server.data_dir / "indices").rglob("splits/*/meta.json")}


def test_a_cancel_after_the_force_merge_gives_back_the_hot_document_store(
        warm: WarmServer) -> None:
    client = warm.start(pause="upload")
    fill(client, "cancelled")
    before = answers(client, "cancelled")
    call(client, "POST", "/_ultrawarm/migration/cancelled/_warm")
    wait_for(lambda: warm.paused_at("upload"), timeout=60, what="the pause at the upload")
    assert "none" in docstores(warm)  # the force merge wrote the warm (plain) store
    assert call(client, "POST", "/_ultrawarm/migration/_cancel/cancelled") \
        == {"acknowledged": True}
    wait_for(lambda: status(client, "cancelled") is None, timeout=60,
             what="the cancel to end the migration")
    assert docstores(warm) == {"lz4"}
    assert answers(client, "cancelled") == before
    client.index(index="cancelled", body={"status": 1}, id="after", refresh=True)
    assert client.count(index="cancelled")["count"] == before["count"] + 1
