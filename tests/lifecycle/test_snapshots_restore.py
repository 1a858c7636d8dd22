"""Restore through the HTTP API against a real server: the name checked again when an index
is registered, a multi-index restore resumed after kill -9, ES's rename and ``partial``
rules, and the OpenSearch options refused rather than ignored."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import pytest
from opensearchpy import OpenSearch
from opensearchpy.exceptions import TransportError
from tests.lifecycle.test_snapshots import (
    FS_BUCKET,
    client_of,
    error_of,
    fill,
    kill_and_restart,
    new_repo,
    paused_repo,
    search,
    wait_for_pause,
)

from conftest import Server, wait_for


@pytest.fixture
def client(repo_node: Server) -> OpenSearch:
    return client_of(repo_node)


def snapshot_of(client: OpenSearch, repo: str, snapshot: str, indices: str) -> None:
    client.snapshot.create(repository=repo, snapshot=snapshot, body={"indices": indices},
                           params={"wait_for_completion": "true"})


def restore(client: OpenSearch, repo: str, snapshot: str, body: dict[str, Any]) -> Any:
    return client.snapshot.restore(repository=repo, snapshot=snapshot, body=body,
                                   params={"wait_for_completion": "true"})


def test_rename_needs_both_pattern_and_replacement(client: OpenSearch, repo_root: Path) -> None:
    repo, _ = new_repo(client, repo_root)
    client.indices.create(index="rn-abc")
    fill(client, "rn-abc", 0, 5)
    snapshot_of(client, repo, "s", "rn-abc")
    client.indices.delete(index="rn-abc")
    # a replacement alone renames nothing (ES's RestoreService), it does not match ""
    answer = restore(client, repo, "s", {"rename_replacement": "x"})
    assert answer["snapshot"]["indices"] == ["rn-abc"]
    assert client.count(index="rn-abc")["count"] == 5


def test_a_partial_snapshot_index_needs_partial(client: OpenSearch, repo_root: Path) -> None:
    repo, location = new_repo(client, repo_root)
    for name in ("pa-ok", "pa-bad"):
        client.indices.create(index=name)
        fill(client, name, 0, 3)
    snapshot_of(client, repo, "p", "pa-*")
    # made PARTIAL with [pa-bad] failed, as a snapshot with "partial": true whose index
    # failed is written (create.py): its data left out, its name kept
    [meta_path] = (location / FS_BUCKET / "snapshots").iterdir()
    meta = json.loads(meta_path.read_bytes())
    meta["state"] = "PARTIAL"
    del meta["indices"]["pa-bad"]
    meta_path.write_bytes(json.dumps(meta).encode())
    index_path = location / FS_BUCKET / "index.json"
    listing = json.loads(index_path.read_bytes())
    listing["snapshots"][0]["state"] = "PARTIAL"
    index_path.write_bytes(json.dumps(listing).encode())
    client.indices.delete(index="pa-*")
    for body in ({}, {"indices": "pa-bad"}):
        status_code, error = error_of(lambda b=body: restore(client, repo, "p", b))
        assert (status_code, error["type"]) == (500, "snapshot_restore_exception")
        assert error["reason"] == (f"[{repo}:p/{meta['uuid']}] index [pa-bad] wasn't fully "
                                   "snapshotted - cannot restore")
    assert not client.indices.exists(index="pa-ok")
    answer = restore(client, repo, "p", {"partial": True})
    assert answer["snapshot"]["indices"] == ["pa-ok"]
    assert client.count(index="pa-ok")["count"] == 3
    assert not client.indices.exists(index="pa-bad")


def test_unsupported_options_are_refused_and_aliases_renamed(client: OpenSearch,
                                                             repo_root: Path) -> None:
    repo, _ = new_repo(client, repo_root)
    client.indices.create(index="ra-a", body={"aliases": {"ra-alias": {}}})
    fill(client, "ra-a", 0, 4)
    snapshot_of(client, repo, "s", "ra-a")
    rename = {"rename_pattern": "ra-(.+)", "rename_replacement": "copy-$1"}
    for key, value in (("storage_type", "remote_snapshot"),
                       ("source_remote_store_repository", "remote-repo")):
        status_code, error = error_of(lambda k=key, v=value: restore(
            client, repo, "s", {**rename, k: v}))
        assert (status_code, error["type"]) == (400, "illegal_argument_exception")
        assert f"[{key}]" in error["reason"]
    assert not client.indices.exists(index="copy-a")
    restore(client, repo, "s", {**rename, "storage_type": "local",
                                "rename_alias_pattern": "ra-(.+)",
                                "rename_alias_replacement": "copy-$1"})
    assert client.indices.get_alias(index="copy-a") == {"copy-a": {"aliases": {"copy-alias": {}}}}
    assert client.count(index="copy-alias")["count"] == 4


def test_an_index_created_during_the_restore_is_kept(tmp_path: Path) -> None:
    server, client, repo, _, _ = paused_repo(tmp_path, "restore:fetched")
    try:
        client.indices.create(index="rc-a")
        fill(client, "rc-a", 0, 50)
        snapshot_of(client, repo, "s", "rc-a")
        outcome: dict[str, Any] = {}

        def run() -> None:
            try:
                outcome["answer"] = restore(client, repo, "s", {
                    "rename_pattern": "rc-a", "rename_replacement": "rc-b"})
            except TransportError as e:
                outcome["error"] = (e.status_code, e.info["error"])

        thread = threading.Thread(target=run)
        thread.start()
        marker = wait_for_pause(server, "restore:fetched")
        # while the files come, a user creates [rc-b] (ES would have reserved the name)
        client.index(index="rc-b", id="mine", body={"n": 1}, refresh=True)
        marker.unlink()
        thread.join(timeout=60)
        status_code, error = outcome["error"]
        assert (status_code, error["type"]) == (500, "snapshot_restore_exception")
        assert "cannot restore index [rc-b] because an open index with same name already " \
               "exists in the cluster" in error["reason"]
        assert client.count(index="rc-b")["count"] == 1  # the user's index, untouched
        assert client.get(index="rc-b", id="mine")["_source"] == {"n": 1}
    finally:
        server.stop()


def test_kill_during_multi_index_restore_then_restart_finishes_it(tmp_path: Path) -> None:
    server, client, repo, _, env = paused_repo(tmp_path, "restore:registered")
    try:
        client.indices.put_index_template(name="mr-template", body={
            "index_patterns": ["mr-*"], "template": {"settings": {"index.refresh_interval": "9s"}}})
        before = {}
        for name in ("mr-a", "mr-b"):
            client.indices.create(index=name, body={
                "mappings": {"properties": {"host": {"type": "keyword"}}}})
            fill(client, name, 0, 60)
            before[name] = search(client, name)
        client.snapshot.create(repository=repo, snapshot="s", body={"indices": "mr-*"},
                               params={"wait_for_completion": "true"})
        client.indices.delete_index_template(name="mr-template")
        assert client.snapshot.restore(repository=repo, snapshot="s", body={
            "rename_pattern": "mr-(.+)", "rename_replacement": "mrc-$1",
            "include_global_state": True}) == {"accepted": True}
        marker = wait_for_pause(server, "restore:registered")
        assert client.indices.exists(index="mrc-a")  # the first one registered ...
        assert not client.indices.exists(index="mrc-b")  # ... not the second
        kill_and_restart(server, marker, env, client, "mrc-b")
        assert search(client, "mrc-a") == before["mr-a"]
        assert search(client, "mrc-b") == before["mr-b"]
        wait_for(lambda: client.indices.exists_index_template(name="mr-template"), timeout=30,
                 what="the global state's template")  # global state too
        folders = {p.name for p in (tmp_path / "data" / "indices").iterdir()}
        uuids = {client.indices.get_settings(index=i)[i]["settings"]["index"]["uuid"]
                 for i in ("mr-a", "mr-b", "mrc-a", "mrc-b")}
        assert folders == uuids  # nothing half-restored left
    finally:
        server.stop()
