"""Snapshots through the HTTP API (opensearch-py's ``client.snapshot``) against a real server:
``fs`` repositories under ``path.repo``, ``s3`` ones on SeaweedFS; incremental snapshots
counted in stored objects, deletion that keeps shared files, restore with rename giving the
same answers, a kill -9 in the middle of a snapshot, and hostile names and locations."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import pytest
from opensearchpy import OpenSearch
from opensearchpy.exceptions import TransportError

from conftest import S3Store, Server, wait_for

FS_BUCKET = "loghaven-repository"


def client_of(server: Server) -> OpenSearch:
    return OpenSearch(server.url, timeout=60)


@pytest.fixture
def client(repo_node: Server) -> OpenSearch:
    return client_of(repo_node)


def fill(client: OpenSearch, index: str, start: int, count: int) -> None:
    lines = []
    for i in range(start, start + count):
        lines.append(json.dumps({"index": {"_index": index, "_id": str(i)}}))
        lines.append(json.dumps({"n": i, "msg": f"event {i} from host-{i % 7}",
                                 "host": f"host-{i % 7}", "@timestamp": 1_700_000_000_000 + i}))
    answer = client.bulk(body="\n".join(lines) + "\n", refresh=True)
    assert not answer["errors"]


def search(client: OpenSearch, index: str) -> dict[str, Any]:
    answer = client.search(index=index, body={
        "size": 100, "sort": [{"n": "asc"}], "query": {"match": {"msg": "host-3"}},
        "aggs": {"hosts": {"terms": {"field": "host", "size": 10}}}})
    return {"total": answer["hits"]["total"]["value"],
            "hits": [(h["_id"], h["_source"]) for h in answer["hits"]["hits"]],
            "aggs": answer["aggregations"]}


def blob_objects(location: Path) -> dict[str, int]:
    folder = location / FS_BUCKET / "blobs"
    return {p.name: p.stat().st_size for p in folder.iterdir()} if folder.exists() else {}


def listed(location: Path) -> list[str]:
    index = location / FS_BUCKET / "index.json"
    if not index.exists():
        return []
    return [s["name"] for s in json.loads(index.read_bytes())["snapshots"]]


def new_repo(client: OpenSearch, repo_root: Path, **settings: Any) -> tuple[str, Path]:
    name = f"repo-{uuid.uuid4().hex[:8]}"
    client.snapshot.create_repository(repository=name, body={
        "type": "fs", "settings": {"location": name, **settings}})
    return name, repo_root / name


def paused_server(tmp_path: Path, step: str) -> tuple[Server, Path, dict[str, str]]:
    """A server of the test's own that pauses at ``step`` (the service's testing hook), its
    repository folder and the environment to start it again without the pause."""
    repo_root = tmp_path / "repos"
    repo_root.mkdir()
    env = {"LOGHAVEN_PATH_REPO": str(repo_root)}
    server = Server(tmp_path / "data", env={**env, "LOGHAVEN_SNAPSHOT_PAUSE_AT": step})
    return server.start(), repo_root, env


def paused_repo(tmp_path: Path, step: str) -> tuple[Server, OpenSearch, str, Path, dict[str, str]]:
    """:func:`paused_server` with an ``fs`` repository: the server, its client, the
    repository's name and folder, and the environment to start it again without the pause."""
    server, repo_root, env = paused_server(tmp_path, step)
    client = client_of(server)
    try:
        repo, location = new_repo(client, repo_root)
    except BaseException:
        server.stop()
        raise
    return server, client, repo, location, env


def wait_for_pause(server: Server, step: str) -> Path:
    marker = server.data_dir / f"snapshot-paused-{step}"
    wait_for(marker.exists, timeout=30, what=f"the pause at {step}")
    return marker


def kill_and_restart(server: Server, marker: Path, env: dict[str, str], client: OpenSearch,
                     index: str) -> None:
    """kill -9 the paused server, start it again without the pause, and wait (60 s at most)
    for the resumed restore to register ``index``."""
    server.kill()
    start_unpaused(server, marker, env)
    wait_for(lambda: client.indices.exists(index=index), timeout=60,
             what=f"the resumed restore of {index}")


def start_unpaused(server: Server, marker: Path, env: dict[str, str]) -> None:
    """Start the killed server again without its pause."""
    marker.unlink()
    server.env = env
    server.start()


def paused_snapshot(server: Server, repo_root: Path, index: str,
                    snapshot: str) -> tuple[OpenSearch, str, Path, Path]:
    """A filled index's snapshot started and paused with its files stored, nothing listed."""
    client = client_of(server)
    repo, location = new_repo(client, repo_root)
    client.indices.create(index=index)
    fill(client, index, 0, 100)
    assert client.snapshot.create(repository=repo, snapshot=snapshot) == {"accepted": True}
    marker = wait_for_pause(server, "create:uploaded")
    assert blob_objects(location)  # the files are stored ...
    return client, repo, location, marker


def error_of(call: Any) -> tuple[int, dict[str, Any]]:
    with pytest.raises(TransportError) as caught:
        call()
    return caught.value.status_code, caught.value.info["error"]


def test_repository_snapshot_get_status_and_restore_with_rename(
        client: OpenSearch, repo_root: Path) -> None:
    repo, location = new_repo(client, repo_root, compress=True)
    assert client.snapshot.get_repository(repository=repo) == {
        repo: {"type": "fs", "settings": {"location": repo, "compress": "true"}}}
    verified = client.snapshot.verify_repository(repository=repo)
    assert next(iter(verified["nodes"].values()))["name"]
    assert f"{repo} fs" in client.cat.repositories()
    client.indices.create(index="logs-a", body={
        "settings": {"index.refresh_interval": "5s"},
        "mappings": {"properties": {"host": {"type": "keyword"}, "n": {"type": "long"}}},
        "aliases": {"logs": {}}})
    fill(client, "logs-a", 0, 300)
    created = client.snapshot.create(repository=repo, snapshot="snap-1",
                                     body={"indices": "logs-a", "metadata": {"by": "test"}},
                                     params={"wait_for_completion": "true"})
    info = created["snapshot"]
    assert info["snapshot"] == "snap-1" and info["state"] == "SUCCESS"
    assert info["indices"] == ["logs-a"] and info["metadata"] == {"by": "test"}
    assert info["shards"] == {"total": 1, "failed": 0, "successful": 1}
    assert info["failures"] == [] and info["end_time_in_millis"] >= info["start_time_in_millis"]
    got = client.snapshot.get(repository=repo, snapshot="_all")["snapshots"]
    assert [(s["snapshot"], s["uuid"], s["state"]) for s in got] == [
        ("snap-1", info["uuid"], "SUCCESS")]
    status = client.snapshot.status(repository=repo, snapshot="snap-1")["snapshots"][0]
    assert status["state"] == "SUCCESS"
    assert status["shards_stats"]["done"] == 1 and status["shards_stats"]["total"] == 1
    total = status["indices"]["logs-a"]["stats"]["total"]
    assert total["file_count"] > 1 and total["size_in_bytes"] > 0
    assert status["stats"]["incremental"] == total  # the first snapshot sent every file
    assert "snap-1" in client.cat.snapshots(repository=repo)
    assert listed(location) == ["snap-1"]
    assert all(key.endswith(".json.zst") for key in
               [p.name for p in (location / FS_BUCKET / "snapshots").iterdir()])

    before = search(client, "logs-a")
    assert before["total"] > 0
    restored = client.snapshot.restore(
        repository=repo, snapshot="snap-1",
        body={"indices": "logs-*", "rename_pattern": "logs-(.+)",
              "rename_replacement": "restored-$1", "include_aliases": False},
        params={"wait_for_completion": "true"})
    assert restored["snapshot"]["indices"] == ["restored-a"]
    assert search(client, "restored-a") == before
    assert client.count(index="restored-a")["count"] == 300
    mapping = client.indices.get_mapping(index="restored-a")["restored-a"]["mappings"]
    assert mapping["properties"]["host"] == {"type": "keyword"}
    assert client.indices.get_alias(index="logs-a") == {"logs-a": {"aliases": {"logs": {}}}}
    assert client.indices.get_alias(index="restored-a") == {"restored-a": {"aliases": {}}}
    # the restored index takes writes
    fill(client, "restored-a", 300, 5)
    assert client.count(index="restored-a")["count"] == 305

    status_code, error = error_of(lambda: client.snapshot.restore(
        repository=repo, snapshot="snap-1", params={"wait_for_completion": "true"}))
    assert status_code == 500 and error["type"] == "snapshot_restore_exception"
    assert "cannot restore index [logs-a] because an open index with same name already " \
           "exists in the cluster" in error["reason"]
    status_code, error = error_of(lambda: client.snapshot.restore(
        repository=repo, snapshot="snap-1",
        body={"rename_pattern": "(.+)", "rename_replacement": "x-$1",
              "index_settings": {"index.number_of_shards": 3}}))
    assert status_code == 500 and "cannot modify setting [index.number_of_shards] on " \
                                  "restore" in error["reason"]
    # restoring over a closed index replaces it; index_settings apply
    client.indices.close(index="restored-a")
    client.snapshot.restore(repository=repo, snapshot="snap-1", body={
        "rename_pattern": "logs-a", "rename_replacement": "restored-a",
        "index_settings": {"index.refresh_interval": "7s"}, "include_aliases": False},
        params={"wait_for_completion": "true"})
    assert client.count(index="restored-a")["count"] == 300
    settings = client.indices.get_settings(index="restored-a")["restored-a"]["settings"]
    assert settings["index"]["refresh_interval"] == "7s"


def test_incremental_snapshot_sends_only_new_files(client: OpenSearch, repo_root: Path) -> None:
    repo, location = new_repo(client, repo_root)
    client.indices.create(index="incr-a")
    fill(client, "incr-a", 0, 500)
    client.snapshot.create(repository=repo, snapshot="one", body={"indices": "incr-a"},
                           params={"wait_for_completion": "true"})
    first = blob_objects(location)
    assert first
    # nothing changed: the second snapshot stores no file again
    client.snapshot.create(repository=repo, snapshot="two", body={"indices": "incr-a"},
                           params={"wait_for_completion": "true"})
    assert blob_objects(location) == first
    two = client.snapshot.status(repository=repo, snapshot="two")["snapshots"][0]["stats"]
    assert two["incremental"]["file_count"] == 0 and two["total"]["file_count"] > 0
    # new documents: only the new segment's files (and meta.json) are sent
    fill(client, "incr-a", 500, 20)
    client.snapshot.create(repository=repo, snapshot="three", body={"indices": "incr-a"},
                           params={"wait_for_completion": "true"})
    third = blob_objects(location)
    added = set(third) - set(first)
    stats = client.snapshot.status(repository=repo, snapshot="three")["snapshots"][0]["stats"]
    assert len(added) == stats["incremental"]["file_count"]
    assert 0 < len(added) < stats["total"]["file_count"]
    assert sum(third[k] for k in added) < sum(first.values())


def test_delete_keeps_what_another_snapshot_uses(client: OpenSearch, repo_root: Path) -> None:
    repo, location = new_repo(client, repo_root)
    client.indices.create(index="del-a")
    fill(client, "del-a", 0, 200)
    client.snapshot.create(repository=repo, snapshot="old", body={"indices": "del-a"},
                           params={"wait_for_completion": "true"})
    old_files = blob_objects(location)
    fill(client, "del-a", 1000, 50)
    client.snapshot.create(repository=repo, snapshot="new", body={"indices": "del-a"},
                           params={"wait_for_completion": "true"})
    both = blob_objects(location)
    assert client.snapshot.delete(repository=repo, snapshot="old") == {"acknowledged": True}
    left = blob_objects(location)
    assert set(left) < set(both)  # what only "old" used is gone ...
    assert set(old_files) & set(left)  # ... what "new" shares with it is kept
    assert listed(location) == ["new"]
    client.indices.delete(index="del-a")
    client.snapshot.restore(repository=repo, snapshot="new",
                            params={"wait_for_completion": "true"})
    assert client.count(index="del-a")["count"] == 250
    status_code, error = error_of(lambda: client.snapshot.get(repository=repo, snapshot="old"))
    assert status_code == 404 and error["type"] == "snapshot_missing_exception"
    assert error["reason"] == f"[{repo}:old] is missing"
    client.snapshot.delete(repository=repo, snapshot="new")
    assert blob_objects(location) == {} and listed(location) == []


def test_comma_list_delete_and_global_state(client: OpenSearch, repo_root: Path) -> None:
    repo, location = new_repo(client, repo_root)
    client.indices.put_index_template(name="gs-template", body={
        "index_patterns": ["gs-*"], "template": {"settings": {"index.refresh_interval": "9s"}}})
    client.indices.create(index="gs-a")
    fill(client, "gs-a", 0, 10)
    for name in ("s1", "s2", "s3"):
        client.snapshot.create(repository=repo, snapshot=name, body={"indices": "gs-a"},
                               params={"wait_for_completion": "true"})
    client.indices.delete_index_template(name="gs-template")
    client.snapshot.delete(repository=repo, snapshot="s1,s2")
    assert listed(location) == ["s3"]
    client.snapshot.restore(repository=repo, snapshot="s3", body={
        "include_global_state": True, "rename_pattern": "gs-a", "rename_replacement": "gs-b"},
        params={"wait_for_completion": "true"})
    assert "gs-template" in client.indices.get_index_template(name="gs-template")[
        "index_templates"][0]["name"]


def test_hostile_names_and_locations(client: OpenSearch, repo_root: Path,
                                     tmp_path: Path) -> None:
    for location in ("../outside", str(tmp_path), "/etc", f"{repo_root}/../escape"):
        status_code, error = error_of(lambda loc=location: client.snapshot.create_repository(
            repository="bad", body={"type": "fs", "settings": {"location": loc}}))
        assert (status_code, error["type"]) == (500, "repository_exception")
        assert error["reason"] == (f"[bad] location [{location}] doesn't match any of the "
                                   "locations specified by path.repo")
    assert not (repo_root.parent / "outside").exists()
    for name, reason in (("a#b", "must not contain '#'"),
                         ("a,b", 'must not contain the following characters')):
        status_code, error = error_of(lambda n=name: client.snapshot.create_repository(
            repository=n, body={"type": "fs", "settings": {"location": "x"}}))
        assert error["type"] == "repository_exception" and reason in error["reason"]
    status_code, error = error_of(lambda: client.snapshot.create_repository(
        repository="nope", body={"type": "hdfs", "settings": {}}))
    assert error["reason"] == "[nope] repository type [hdfs] does not exist"
    status_code, error = error_of(lambda: client.snapshot.create_repository(
        repository="nope", body={"type": "s3", "settings": {}}))
    assert error["reason"] == "[nope] No bucket defined for s3 repository"
    status_code, error = error_of(lambda: client.snapshot.get_repository(repository="nope"))
    assert (status_code, error["type"], error["reason"]) == (
        404, "repository_missing_exception", "[nope] missing")
    repo, _ = new_repo(client, repo_root)
    for snapshot, reason in (("Upper", "must be lowercase"), ("_x", "must not start with '_'"),
                             ("a#b", "must not contain '#'"),
                             ("a*b", "must not contain the following characters")):
        status_code, error = error_of(lambda s=snapshot: client.snapshot.create(
            repository=repo, snapshot=s))
        assert (status_code, error["type"]) == (400, "invalid_snapshot_name_exception")
        assert error["reason"].startswith(f"[{repo}:{snapshot}] Invalid snapshot name "
                                          f"[{snapshot}], {reason}")
    client.indices.create(index="hostile-a")
    client.snapshot.create(repository=repo, snapshot="dup", body={"indices": "hostile-a"},
                           params={"wait_for_completion": "true"})
    status_code, error = error_of(lambda: client.snapshot.create(
        repository=repo, snapshot="dup", body={"indices": "hostile-a"}))
    assert error["reason"] == (f"[{repo}:dup] Invalid snapshot name [dup], snapshot with the "
                               "same name already exists")
    status_code, error = error_of(lambda: client.snapshot.create(
        repository=repo, snapshot="missing-index", body={"indices": "no-such-index"}))
    assert (status_code, error["type"]) == (404, "index_not_found_exception")
    readonly, _ = new_repo(client, repo_root, readonly=True)
    status_code, error = error_of(lambda: client.snapshot.create(
        repository=readonly, snapshot="s"))
    assert error["reason"] == f"[{readonly}] cannot create snapshot in a readonly repository"


def test_s3_repository(tmp_path: Path, s3: S3Store) -> None:
    bucket = s3.bucket()
    server = Server(tmp_path / "data").start()
    try:
        client = client_of(server)
        client.snapshot.create_repository(repository="s3repo", body={"type": "s3", "settings": {
            "bucket": bucket, "base_path": "cluster/one", "endpoint": s3.endpoint_url,
            "path_style_access": True, "access_key": s3.access_key,
            "secret_key": s3.secret_key, "region": s3.region}})
        shown = client.snapshot.get_repository(repository="s3repo")["s3repo"]["settings"]
        assert "secret_key" not in shown and "access_key" not in shown
        client.indices.create(index="s3-a", body={
            "mappings": {"properties": {"host": {"type": "keyword"}}}})
        fill(client, "s3-a", 0, 100)
        before = search(client, "s3-a")
        client.snapshot.create(repository="s3repo", snapshot="snap",
                               params={"wait_for_completion": "true"})
        keys = [o["Key"] for o in s3.client().list_objects_v2(Bucket=bucket)["Contents"]]
        assert "cluster/one/index.json" in keys
        assert all(k.startswith("cluster/one/") for k in keys)
        assert any(k.startswith("cluster/one/blobs/") for k in keys)
        client.indices.delete(index="s3-a")
        client.snapshot.restore(repository="s3repo", snapshot="snap",
                                params={"wait_for_completion": "true"})
        assert search(client, "s3-a") == before
        _, error = error_of(lambda: client.snapshot.create_repository(
            repository="s3bad", body={"type": "s3", "settings": {
                "bucket": bucket, "endpoint": s3.endpoint_url, "access_key": "wrong",
                "secret_key": "wrong"}}))
        assert error["type"] == "repository_verification_exception"
        assert s3.secret_key not in server.log.read_text()
    finally:
        server.stop()


def test_kill_during_snapshot_lists_no_half_snapshot(tmp_path: Path) -> None:
    server, repo_root, env = paused_server(tmp_path, "create:uploaded")
    try:
        client, repo, location, marker = paused_snapshot(server, repo_root, "kill-a", "k1")
        running = client.snapshot.get(repository=repo, snapshot="k1")["snapshots"][0]
        assert running["state"] == "IN_PROGRESS"
        assert client.snapshot.status()["snapshots"][0]["snapshot"] == "k1"
        server.kill()
        assert listed(location) == []  # ... but no snapshot is listed
        start_unpaused(server, marker, env)

        def ended() -> str | None:
            got = client.snapshot.get(repository=repo, snapshot="_all")["snapshots"]
            state = got[0]["state"] if got else None
            return None if state == "IN_PROGRESS" else state

        state = wait_for(ended, timeout=60, what="the resumed snapshot k1 to end")
        assert state == "SUCCESS" and listed(location) == ["k1"]
        client.snapshot.create(repository=repo, snapshot="k2",
                               params={"wait_for_completion": "true"})
        client.indices.delete(index="kill-a")
        client.snapshot.restore(repository=repo, snapshot="k1", body={"indices": "kill-a"},
                                params={"wait_for_completion": "true"})
        assert client.count(index="kill-a")["count"] == 100
    finally:
        server.stop()


def test_delete_aborts_a_running_snapshot(tmp_path: Path) -> None:
    server, repo_root, _ = paused_server(tmp_path, "create:uploaded")
    try:
        client, repo, location, _ = paused_snapshot(server, repo_root, "abort-a", "a1")
        assert client.snapshot.delete(repository=repo, snapshot="a1") == {"acknowledged": True}
        assert client.snapshot.get(repository=repo, snapshot="_all") == {"snapshots": []}
        assert blob_objects(location) == {} and listed(location) == []
        assert client.snapshot.status() == {"snapshots": []}
    finally:
        server.stop()


def test_delete_of_a_finishing_snapshot_removes_it(tmp_path: Path) -> None:
    server, client, repo, location, _ = paused_repo(tmp_path, "create:finishing")
    try:
        client.indices.create(index="fin-a")
        fill(client, "fin-a", 0, 30)
        assert client.snapshot.create(repository=repo, snapshot="f1") == {"accepted": True}
        wait_for_pause(server, "create:finishing")  # past its last abort check
        assert client.snapshot.delete(repository=repo, snapshot="f1") == {"acknowledged": True}
        assert client.snapshot.get(repository=repo, snapshot="_all") == {"snapshots": []}
        assert listed(location) == [] and blob_objects(location) == {}
    finally:
        server.stop()


def test_kill_during_restore_then_restart_finishes_it(tmp_path: Path) -> None:
    server, repo_root, env = paused_server(tmp_path, "restore:fetched")
    try:
        client = client_of(server)
        repo, _ = new_repo(client, repo_root)
        client.indices.create(index="rk-a", body={
            "mappings": {"properties": {"host": {"type": "keyword"}}}})
        fill(client, "rk-a", 0, 120)
        before = search(client, "rk-a")
        client.snapshot.create(repository=repo, snapshot="s", body={"indices": "rk-a"},
                               params={"wait_for_completion": "true"})
        assert client.snapshot.restore(repository=repo, snapshot="s", body={
            "rename_pattern": "rk-a", "rename_replacement": "rk-b"}) == {"accepted": True}
        marker = wait_for_pause(server, "restore:fetched")
        assert not client.indices.exists(index="rk-b")  # fetched, not registered
        source = client.indices.get_settings(index="rk-a")["rk-a"]["settings"]["index"]["uuid"]
        fetched = [p for p in (tmp_path / "data" / "indices").iterdir() if p.name != source]
        assert [p.name for p in fetched[0].rglob("meta.json")]  # the split files are here
        kill_and_restart(server, marker, env, client, "rk-b")
        assert search(client, "rk-b") == before
        folders = {p.name for p in (tmp_path / "data" / "indices").iterdir()}
        uuids = {client.indices.get_settings(index=i)[i]["settings"]["index"]["uuid"]
                 for i in ("rk-a", "rk-b")}
        assert uuids <= folders and len(folders - uuids) == 0  # nothing half-restored left
    finally:
        server.stop()


def test_a_tampered_repository_writes_nothing_outside(client: OpenSearch, repo_root: Path,
                                                      repo_node: Server) -> None:
    repo, location = new_repo(client, repo_root)
    client.indices.create(index="tamper-a")
    fill(client, "tamper-a", 0, 20)
    client.snapshot.create(repository=repo, snapshot="t", body={"indices": "tamper-a"},
                           params={"wait_for_completion": "true"})
    [meta_path] = (location / FS_BUCKET / "snapshots").iterdir()
    meta = json.loads(meta_path.read_bytes())
    meta["indices"]["tamper-a"]["splits"][0]["files"][0]["name"] = "../../../escaped"
    meta_path.write_bytes(json.dumps(meta).encode())
    status_code, error = error_of(lambda: client.snapshot.restore(
        repository=repo, snapshot="t", body={"rename_pattern": "tamper-a",
                                             "rename_replacement": "tamper-b"},
        params={"wait_for_completion": "true"}))
    assert status_code == 500 and "cannot hold" in error["reason"]
    assert not client.indices.exists(index="tamper-b")
    assert not list(repo_node.data_dir.parent.rglob("escaped"))
