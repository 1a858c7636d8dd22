"""What keeps a warm index (and one on its way to warm) read-only and a cancelled migration
tidy, through HTTP against a real server: the write block cannot be lifted under a migration
or on a warm index, writes that reach no writer get ES's block error, and a cancel after the
force merge gives the hot splits their compressed document store back."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from opensearchpy import TransportError
from tests.lifecycle.migrationkit import (
    WarmServer,
    answers,
    call,
    fill,
    finish,
    restore_renamed,
    snapshot,
    status,
)

from conftest import wait_for


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


def error_of(call_it: Callable[[], Any]) -> tuple[int, dict[str, Any]]:
    with pytest.raises(TransportError) as raised:
        call_it()
    return raised.value.status_code, raised.value.info["error"]


def test_the_write_block_of_a_warm_index_cannot_be_lifted(warm: WarmServer) -> None:
    client = warm.start()
    fill(client, "archived")
    before = answers(client, "archived")
    call(client, "POST", "/_ultrawarm/migration/archived/_warm")
    finish(client, "archived")
    for body in ({"index.blocks.write": False}, {"index": {"blocks": {"write": None}}},
                 {"settings": {"index.blocks.write": "false"}},
                 {"index.blocks.write": False, "index.blocks.read_only": False}):
        code, error = error_of(lambda body=body: client.indices.put_settings(
            index="archived", body=body))
        assert (code, error["type"]) == (400, "illegal_argument_exception"), body
        assert "[archived]" in error["reason"]
        assert "_ultrawarm/migration/archived/_hot" in error["reason"]
    # other settings still change; the block stays and writes get ES's block error
    client.indices.put_settings(index="archived", body={"index.blocks.read_only": False})
    settings = client.indices.get_settings(index="archived")["archived"]["settings"]["index"]
    assert settings["blocks"]["write"] == "true"
    code, error = error_of(lambda: client.index(index="archived", body={"status": 1}))
    assert (code, error["type"]) == (403, "cluster_block_exception")
    code, error = error_of(lambda: client.delete(index="archived", id="5"))
    assert (code, error["type"]) == (403, "cluster_block_exception")
    for path in ("_delete_by_query", "_update_by_query"):
        with pytest.raises(TransportError) as raised:
            client.transport.perform_request("POST", f"/archived/{path}",
                                             body={"query": {"match_all": {}}})
        assert raised.value.status_code == 403, path
        assert "cluster_block_exception" in str(raised.value.info), path
    assert answers(client, "archived") == before


def test_the_write_block_stays_while_a_migration_runs(warm: WarmServer) -> None:
    client = warm.start(pause="upload")
    fill(client, "moving")
    call(client, "POST", "/_ultrawarm/migration/moving/_warm")
    wait_for(lambda: warm.paused_at("upload"), timeout=60, what="the pause at the upload")
    code, error = error_of(lambda: client.indices.put_settings(
        index="moving", body={"index.blocks.write": False}))
    assert (code, error["type"]) == (400, "illegal_argument_exception")
    assert "[moving]" in error["reason"] and "HOT_TO_WARM migration" in error["reason"]
    code, error = error_of(lambda: client.index(index="moving", body={"status": 1}))
    assert (code, error["type"]) == (403, "cluster_block_exception")


def test_a_restored_warm_index_is_writable_unless_its_user_blocked_it(
        warm: WarmServer, tmp_path: Path) -> None:
    warm.with_repository(tmp_path / "repos")
    client = warm.start()
    fill(client, "warm-mine")  # the migration sets its block
    fill(client, "warm-user")  # its user had blocked it before
    client.indices.put_settings(index="warm-user", body={"index.blocks.write": True})
    for name in ("warm-mine", "warm-user"):
        call(client, "POST", f"/_ultrawarm/migration/{name}/_warm")
        finish(client, name)
    snapshot(client, "warm-*")
    restore_renamed(client)
    client.index(index="back-mine", body={"status": 1}, id="new", refresh=True)
    assert client.count(index="back-mine")["count"] == client.count(
        index="warm-mine")["count"] + 1
    code, error = error_of(lambda: client.index(index="back-user", body={"status": 1}))
    assert (code, error["type"]) == (403, "cluster_block_exception")
    # a block the restore asks for stays
    client.indices.delete(index="back-mine")
    restore_renamed(client, indices="warm-mine", index_settings={"index.blocks.write": True})
    code, error = error_of(lambda: client.index(index="back-mine", body={"status": 1}))
    assert (code, error["type"]) == (403, "cluster_block_exception")
