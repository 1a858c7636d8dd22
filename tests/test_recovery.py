"""Damage on disk never stops the node: the damaged index is red, the others are served, and
the documented commands (docs/recovery.md) bring the data back."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx
import orjson
import pytest

from conftest import Server


@pytest.fixture
def client(fresh_server: Server):
    with httpx.Client(base_url=fresh_server.url, timeout=30) as client:
        yield client


def _bulk(client: httpx.Client, index: str, ids: list[str], *, refresh: str = "true") -> None:
    lines = []
    for doc_id in ids:
        lines += [orjson.dumps({"index": {"_index": index, "_id": doc_id}}),
                  orjson.dumps({"msg": f"event {doc_id}", "n": len(doc_id)})]
    response = client.post("/_bulk", params={"refresh": refresh},
                           content=b"\n".join(lines) + b"\n",
                           headers={"content-type": "application/x-ndjson"})
    assert response.status_code == 200 and not response.json()["errors"], response.text


def _folder(server: Server, client: httpx.Client, index: str) -> Path:
    uuid = client.get(f"/{index}/_settings").json()[index]["settings"]["index"]["uuid"]
    return server.data_dir / "indices" / uuid


def _loghaven(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "loghaven", *args], capture_output=True,
                          text=True, timeout=120)


def _assert_red(client: httpx.Client, index: str, *reason_parts: str) -> None:
    health = client.get("/_cluster/health", params={"level": "indices"}).json()
    assert health["status"] == "red"
    assert health["indices"][index]["status"] == "red"
    assert health["unassigned_shards"] == 1
    rows = client.get("/_cat/indices", params={"format": "json"}).json()
    assert {r["index"]: r["health"] for r in rows}[index] == "red"
    explained = client.get("/_cluster/allocation/explain").json()
    assert explained["index"] == index and explained["current_state"] == "unassigned"
    for part in reason_parts:
        assert part in explained["unassigned_info"]["details"], explained
    shards = client.get("/_cat/shards", params={"format": "json", "h": "index,state,ud"}).json()
    assert {r["index"]: r["state"] for r in shards}[index] == "UNASSIGNED"
    for response in (client.get(f"/{index}/_search"), client.get(f"/{index}/_doc/a1"),
                     client.post(f"/{index}/_doc", json={"msg": "x"}),
                     client.get(f"/{index}/_count")):
        assert response.status_code == 503, response.text
        assert response.json()["error"]["type"] == "no_shard_available_action_exception"


def test_a_corrupt_split_makes_only_its_index_red(fresh_server: Server,
                                                  client: httpx.Client) -> None:
    _bulk(client, "good", ["g1", "g2"])
    _bulk(client, "broken", ["a1", "a2", "a3"])
    folder = _folder(fresh_server, client, "broken")
    fresh_server.stop()
    for meta in (folder / "splits").glob("*/meta.json"):
        meta.write_bytes(b"{not json")
    fresh_server.start()
    assert client.get("/good/_count").json()["count"] == 2
    assert client.get("/_search", params={"q": "msg:event"}).json()["hits"]["total"]["value"] == 2
    _assert_red(client, "broken", "meta.json")
    assert "failed to open" in fresh_server.log.read_text()
    assert client.post("/good/_doc", json={"msg": "still writable"}).status_code == 201
    assert client.delete("/broken").status_code == 200
    assert not folder.exists()
    assert client.get("/_cluster/health").json()["status"] == "green"


def test_an_unreadable_mapping_record_makes_only_its_index_red(fresh_server: Server,
                                                              client: httpx.Client) -> None:
    import sqlite3

    _bulk(client, "good", ["g1"])
    _bulk(client, "broken", ["a1"])
    fresh_server.stop()
    db = sqlite3.connect(fresh_server.data_dir / "metastore.sqlite")
    record = orjson.loads(db.execute("SELECT value FROM objects WHERE kind='index' AND "
                                     "name='broken'").fetchone()[0])
    record["mappings"] = {"properties": {"_id": {"type": "keyword"}}}  # as old versions stored
    db.execute("UPDATE objects SET value=? WHERE kind='index' AND name='broken'",
               (orjson.dumps(record),))
    db.commit()
    db.close()
    fresh_server.start()
    assert client.get("/good/_count").json()["count"] == 1
    _assert_red(client, "broken", "Field [_id] is defined more than once")
    assert client.post("/_aliases", json={"actions": [
        {"add": {"index": "good", "alias": "g"}}]}).status_code == 200
    fresh_server.restart()  # saving the aliases kept the broken record as it was
    _assert_red(client, "broken", "Field [_id] is defined more than once")
    assert client.delete("/broken").status_code == 200
    assert client.get("/_cluster/health").json()["status"] == "green"


def _frames(path: Path) -> list[int]:
    """The offset of each record of a log file (``[length u32][crc32 u32][payload]``)."""
    data, offsets, offset = path.read_bytes(), [], 0
    while offset < len(data):
        offsets.append(offset)
        offset += 8 + int.from_bytes(data[offset:offset + 4], "little")
    return offsets


def _uncommitted_log(server: Server, client: httpx.Client) -> tuple[Path, list[int]]:
    """Ten documents of ``logged`` only in its write-ahead log (no refresh), then kill -9."""
    assert client.put("/logged", json={"settings": {"index.refresh_interval": "-1"}}
                      ).status_code == 200
    _bulk(client, "other", ["o1"])
    _bulk(client, "logged", [f"d{i}" for i in range(10)], refresh="false")
    folder = _folder(server, client, "logged")
    server.kill()
    (path,) = (folder / "wal").glob("*.log")
    offsets = _frames(path)
    assert len(offsets) == 10
    return path, offsets


def test_damage_inside_the_log_is_quarantined_and_recover_wal_salvages_the_rest(
        fresh_server: Server, client: httpx.Client) -> None:
    path, offsets = _uncommitted_log(fresh_server, client)
    data = bytearray(path.read_bytes())
    data[offsets[4] + 20] ^= 0xFF  # a complete record with a bad checksum, records after it
    path.write_bytes(bytes(data))
    fresh_server.start()
    assert client.get("/other/_count").json()["count"] == 1
    _assert_red(client, "logged", f"[{path.name}] offset [{offsets[4]}]", "recover-wal")
    index_folder = path.parent.parent
    (kept,) = (index_folder / "quarantine").glob(f"*/{path.name}")
    assert kept.read_bytes() == bytes(data)
    fresh_server.restart()  # still red: the damage is recorded, not forgotten
    _assert_red(client, "logged", f"[{path.name}] offset [{offsets[4]}]")
    fresh_server.stop()
    done = _loghaven("recover-wal", "--data-dir", str(fresh_server.data_dir), "logged")
    assert done.returncode == 0, done.stderr
    assert "salvaged 5 records" in done.stdout, done.stdout
    fresh_server.start()
    assert client.get("/_cluster/health").json()["status"] == "green"
    client.post("/logged/_refresh")
    assert client.get("/logged/_count").json()["count"] == 9
    assert client.get("/logged/_doc/d4").status_code == 404  # the damaged record
    assert client.get("/logged/_doc/d9").json()["_source"]["msg"] == "event d9"
    assert kept.exists()  # quarantined files are kept after recovery


def test_a_torn_last_record_is_cut_off_with_a_warning(fresh_server: Server,
                                                      client: httpx.Client) -> None:
    path, offsets = _uncommitted_log(fresh_server, client)
    with open(path, "r+b") as handle:
        handle.truncate(path.stat().st_size - 7)  # a crash in the middle of the last append
    fresh_server.start()
    assert client.get("/_cluster/health").json()["status"] == "green"
    client.post("/logged/_refresh")
    assert client.get("/logged/_count").json()["count"] == 9
    warnings = [orjson.loads(line) for line in fresh_server.log.read_text().splitlines()
                if line.startswith("{") and "torn record" in line]
    assert warnings and warnings[0]["level"] == "warning"
    assert str(path) in warnings[0]["message"] and str(offsets[9]) in warnings[0]["message"]
    assert not (path.parent.parent / "quarantine").exists()


def _serve_exit(server: Server) -> subprocess.CompletedProcess[str]:
    """Run ``loghaven serve`` on the data folder; it must exit by itself (refusing to start)."""
    return _loghaven("serve", "--host", "127.0.0.1", "--port", str(server.port), "--data-dir",
                     str(server.data_dir))


def _lose_file(path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def _empty_file(path: Path) -> None:
    _lose_file(path)
    path.write_bytes(b"")


def _truncate_file(path: Path) -> None:
    for suffix in ("-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    data = path.read_bytes()
    path.write_bytes(data[:100] + bytes(len(data) - 100))  # header kept, pages lost


def _lose_a_record(path: Path) -> None:
    """What a truncated metastore -wal does: the newest index's records are gone."""
    import sqlite3

    db = sqlite3.connect(path)
    db.execute("DELETE FROM objects WHERE kind='index' AND name='events'")
    db.commit()
    db.close()


@pytest.mark.parametrize("damage", [_lose_file, _empty_file, _truncate_file, _lose_a_record],
                         ids=["deleted", "empty", "truncated", "missing-record"])
def test_a_lost_metastore_stops_the_start_and_rebuild_metastore_brings_everything_back(
        fresh_server: Server, client: httpx.Client, damage) -> None:
    assert client.put("/events", json={
        "settings": {"index.refresh_interval": "-1"},
        "mappings": {"properties": {"@timestamp": {"type": "date"},
                                    "msg": {"type": "text"}, "host": {"type": "keyword"}}},
        "aliases": {"recent": {}}}).status_code == 200
    documents = [{"@timestamp": f"2024-05-0{day}T10:00:00Z", "msg": f"day {day}",
                  "host": f"h{day}"} for day in range(1, 6)]
    for number, document in enumerate(documents[:3]):
        client.put(f"/events/_doc/{number}", json=document)
    client.post("/events/_refresh")
    for number, document in enumerate(documents[3:], start=3):  # only in the log
        client.put(f"/events/_doc/{number}", json=document)
    _bulk(client, "other", ["o1", "o2"])
    assert client.put("/_index_template/kept", json={"index_patterns": ["kept-*"]}
                      ).status_code == 200
    _bulk(client, "archived", ["a1", "a2", "a3"])
    assert client.post("/archived/_close").status_code == 200
    fresh_server.restart()  # a closed index keeps its split list beside it across starts
    fresh_server.kill()
    damage(fresh_server.data_dir / "metastore.sqlite")
    refused = _serve_exit(fresh_server)
    assert refused.returncode != 0
    assert "rebuild-metastore" in refused.stderr, refused.stderr
    rebuilt = _loghaven("rebuild-metastore", "--data-dir", str(fresh_server.data_dir))
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert "events" in rebuilt.stdout and "other" in rebuilt.stdout
    fresh_server.start()
    if damage is _lose_a_record:  # the rest of the metastore is readable: copied over
        assert client.get("/_index_template/kept").status_code == 200
    else:
        assert "not rebuilt (no index folder keeps them): index templates" in rebuilt.stdout
        assert client.get("/_index_template/kept").status_code == 404
    assert client.get("/_cluster/health").json()["status"] == "green"
    mapping = client.get("/events/_mapping").json()["events"]["mappings"]["properties"]
    assert mapping["host"] == {"type": "keyword"} and mapping["@timestamp"]["type"] == "date"
    assert client.get("/recent/_count").json()["count"] == 5
    assert client.get("/other/_count").json()["count"] == 2
    in_range = client.post("/events/_search", json={"query": {"range": {"@timestamp": {
        "gte": "2024-05-02T00:00:00Z", "lte": "2024-05-04T23:00:00Z"}}}}).json()
    assert in_range["hits"]["total"]["value"] == 3
    old_seq = max(client.get(f"/events/_doc/{n}").json()["_seq_no"] for n in range(5))
    added = client.put("/events/_doc/new", json={"msg": "after the rebuild"}).json()
    assert added["_seq_no"] > old_seq
    assert client.post("/archived/_open").status_code == 200
    assert client.get("/archived/_count").json()["count"] == 3
    fresh_server.restart()
    assert client.get("/recent/_count").json()["count"] == 6


def test_a_crash_while_deleting_an_index_does_not_block_the_start(
        fresh_server: Server, client: httpx.Client) -> None:
    _bulk(client, "gone", ["g1"])
    folder = _folder(fresh_server, client, "gone")
    fresh_server.stop()
    kept = folder.with_name("copy")
    import shutil

    shutil.copytree(folder, kept)
    fresh_server.start()
    assert client.delete("/gone").status_code == 200
    fresh_server.stop()
    (kept / "index.json").unlink(missing_ok=True)  # what delete leaves if it crashes before removing the folder
    fresh_server.start()
    assert client.get("/_cluster/health").json()["status"] == "green"
