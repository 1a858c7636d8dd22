"""Checkpoints of ``loghaven ingest``: a killed run continues where the server's answers got
to (no record lost, none indexed twice), done files are skipped, ``--watch`` loads each new
file once."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import httpx
import orjson
from loadkit import count, current_count, ingest, running, summary, write_ndjson

from conftest import Server, wait_for

TOTAL = 60_000


def _checkpoint(path: Path) -> tuple[int, int] | None:
    if not path.exists():
        return None
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5) as db:
        try:
            return db.execute("SELECT acked, done FROM checkpoints").fetchone()
        except sqlite3.OperationalError:  # the table is not there yet
            return None


def _checkpoints(path: Path) -> list[tuple[int, int]]:
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5) as db:
        return db.execute("SELECT acked, done FROM checkpoints ORDER BY updated").fetchall()


def test_a_killed_run_continues_without_duplicates_or_losses(
        server: Server, es: httpx.Client, index_name: str, tmp_path: Path) -> None:
    source = tmp_path / "big.ndjson"
    source.write_bytes(b"".join(orjson.dumps({"n": i, "message": f"event number {i}"}) + b"\n"
                                for i in range(TOTAL)))
    checkpoints = tmp_path / "checkpoints.sqlite"
    args = ["--url", server.url, "--index", index_name, "--batch-size", "300", "--workers",
            "3", "--checkpoints", str(checkpoints), str(source)]
    with running(*args, state=tmp_path, stderr=subprocess.DEVNULL) as process:
        wait_for(lambda: (_checkpoint(checkpoints) or (0, 0))[0] >= 1500, timeout=60)
        process.send_signal(signal.SIGKILL)
        process.wait(10)
    killed_at = _checkpoint(checkpoints)
    assert killed_at is not None and 0 < killed_at[0] < TOTAL and not killed_at[1], killed_at

    rerun = ingest(*args, state=tmp_path)
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    numbers = summary(rerun)["records"].split(", ")
    indexed, skipped = int(numbers[0].split()[0]), int(numbers[3].split()[0])
    # what the killed run had acknowledged is read again but not sent again; what it sent
    # after its last checkpoint is recognised by its id
    assert skipped >= killed_at[0] and indexed + skipped == TOTAL
    assert count(es, index_name) == TOTAL
    # the same count with one record twice and another missing would change the sum
    total = es.post(f"/{index_name}/_search", json={"size": 0, "aggs": {
        "n": {"sum": {"field": "n"}}}}).json()
    assert total["aggregations"]["n"]["value"] == TOTAL * (TOTAL - 1) // 2
    assert _checkpoint(checkpoints) == (TOTAL, 1)


def test_a_rerun_skips_done_files_and_restart_loads_them_again(
        server: Server, es: httpx.Client, index_name: str, tmp_path: Path) -> None:
    first = write_ndjson(tmp_path / "a.ndjson", [{"n": i} for i in range(5)])
    args = ["--url", server.url, "--index", index_name, str(first)]
    assert ingest(*args, state=tmp_path).returncode == 0
    second = write_ndjson(tmp_path / "b.ndjson", [{"n": 5}])
    rerun = ingest(*args, str(second), state=tmp_path)
    assert rerun.returncode == 0, rerun.stderr
    assert summary(rerun)["files"] == "1 done, 1 skipped, 0 failed"
    assert count(es, index_name) == 6
    # --restart reads it again; the documents are there already (same ids): none twice
    again = ingest(*args, "--restart", state=tmp_path)
    assert again.returncode == 0, again.stderr
    assert summary(again)["records"] == "0 indexed, 0 failed, 0 dropped, 5 skipped"
    assert count(es, index_name) == 6
    # a changed file is another version: loaded again
    write_ndjson(first, [{"n": i} for i in range(10, 13)])
    changed = ingest(*args, state=tmp_path)
    assert summary(changed)["records"] == "3 indexed, 0 failed, 0 dropped, 0 skipped"
    assert count(es, index_name) == 9


def test_watch_loads_each_new_file_once(server: Server, es: httpx.Client, index_name: str,
                                        tmp_path: Path) -> None:
    folder = tmp_path / "incoming"
    folder.mkdir()
    write_ndjson(folder / "a.ndjson", [{"n": 1}, {"n": 2}])
    with running("--url", server.url, "--index", index_name, "--watch", "--interval", "0.3",
                 str(folder), state=tmp_path) as process:
        wait_for(lambda: current_count(es, index_name) == 2)
        staged = write_ndjson(tmp_path / "b.ndjson", [{"n": 3}])
        staged.rename(folder / "b.ndjson")
        wait_for(lambda: current_count(es, index_name) == 3)
        time.sleep(1)  # a few more polls: nothing is loaded twice
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    lines = dict(line.split(": ", 1) for line in out.decode().splitlines() if ": " in line)
    assert lines["files"] == "2 done, 0 skipped, 0 failed"
    assert count(es, index_name) == 3


def test_a_server_restart_mid_run_is_retried_and_a_dead_one_stops_the_run(
        fresh_server: Server, tmp_path: Path) -> None:
    source = tmp_path / "big.ndjson"
    source.write_bytes(b"".join(orjson.dumps({"n": i}) + b"\n" for i in range(TOTAL)))
    checkpoints = tmp_path / "checkpoints.sqlite"
    args = ["--url", fresh_server.url, "--index", "restarted", "--batch-size", "300",
            "--checkpoints", str(checkpoints), str(source)]
    with running(*args, "--retry-for", "90", state=tmp_path) as process:
        wait_for(lambda: (_checkpoint(checkpoints) or (0, 0))[0] >= 1500)
        fresh_server.kill()
        time.sleep(1)  # the loader meets refused connections and waits
        fresh_server.start()
        out, err = process.communicate(timeout=120)
    assert process.returncode == 0, err
    assert "files: 1 done" in out.decode()
    with httpx.Client(base_url=fresh_server.url, timeout=30) as es:
        assert count(es, "restarted") == TOTAL

    # a server that stays away: the batch gives up after --retry-for, the run stops and
    # the checkpoint keeps what was acknowledged
    second = tmp_path / "second.ndjson"
    second.write_bytes(source.read_bytes())
    args[-1] = str(second)
    with running(*args, "--retry-for", "2", state=tmp_path) as process:
        wait_for(lambda: len(_checkpoints(checkpoints)) == 2)
        fresh_server.kill()
        out, err = process.communicate(timeout=60)
    assert process.returncode == 1
    assert "stopped: gave up after" in err.decode() and "cannot reach" in err.decode()
    assert "1 failed" in out.decode()
    acked, done = _checkpoints(checkpoints)[1]
    assert 0 < acked < TOTAL and not done


def test_items_refused_with_429_are_sent_again_until_the_block_lifts(
        fresh_server: Server, tmp_path: Path) -> None:
    es = httpx.Client(base_url=fresh_server.url, timeout=30)
    assert es.put("/blocked").status_code == 200
    # the flood-stage watermark (free space wanted beyond any disk): writes answer 429
    flood = {f"cluster.routing.allocation.disk.watermark.{name}": value for name, value in (
        ("low", "900pb"), ("high", "800pb"), ("flood_stage", "700pb"))}
    assert es.put("/_cluster/settings", json={"persistent": flood}).status_code == 200
    wait_for(lambda: es.put("/blocked/_doc/probe", json={}).status_code == 429)
    before = current_count(es, "blocked")  # the probes written before the block came
    source = write_ndjson(tmp_path / "a.ndjson", [{"n": i} for i in range(50)])
    args = ["--url", fresh_server.url, "--index", "blocked", "--batch-size", "20", str(source)]
    gave_up = ingest(*args, "--retry-for", "1", state=tmp_path)
    assert gave_up.returncode == 1
    assert "gave up after" in gave_up.stderr
    assert "429 cluster_block_exception on some items" in gave_up.stderr

    with running(*args, "--retry-for", "60", state=tmp_path) as process:
        time.sleep(2)
        assert process.poll() is None and current_count(es, "blocked") == before
        cleared = {name: None for name in flood}
        assert es.put("/_cluster/settings", json={"persistent": cleared}).status_code == 200
        out, err = process.communicate(timeout=60)
    es.close()
    assert process.returncode == 0, err
    assert "50 indexed, 0 failed" in out.decode()
    with httpx.Client(base_url=fresh_server.url, timeout=30) as client:
        assert count(client, "blocked") == before + 50
