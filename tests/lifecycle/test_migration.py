"""UltraWarm's migration API through HTTP against a real server, its warm bucket in a local
folder and in S3 (SeaweedFS): to warm and back with the same answers, the states and errors
UltraWarm documents, cancel, and what a warm index allows."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
from opensearchpy import OpenSearch, TransportError
from tests.lifecycle.migrationkit import (
    STATES,
    WarmServer,
    answers,
    call,
    cat_names,
    fill,
    finish,
    status,
    tier,
)

from conftest import S3Store, wait_for


@pytest.fixture(params=["local", "s3"])
def warm(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[WarmServer]:
    s3 = request.getfixturevalue("s3") if request.param == "s3" else None
    instance = WarmServer(tmp_path / "data", s3)
    yield instance
    instance.server.kill()


def error_of(client: OpenSearch, method: str, path: str) -> tuple[int, dict]:
    with pytest.raises(TransportError) as raised:
        call(client, method, path)
    return raised.value.status_code, raised.value.info["error"]


def test_to_warm_and_back_answers_the_same(warm: WarmServer) -> None:
    client = warm.start()
    fill(client, "logs-1")
    fill(client, "logs-2")
    before = answers(client, "logs-1")
    assert before["count"] == 239

    seen: set[str] = set()
    assert call(client, "POST", "/_ultrawarm/migration/logs-1/_warm") == {"acknowledged": True}
    queued = status(client, "logs-1")
    if queued is not None:  # it may have finished already
        assert queued["index"] == "logs-1" and queued["migration_type"] == "HOT_TO_WARM"
        assert set(queued["shard_level_status"]) == {"running", "total", "pending", "failed",
                                                     "succeeded"}
    finish(client, "logs-1", seen)
    assert seen <= STATES

    # warm: the same answers, read-only with ES's block error, box_type warm, objects stored
    assert answers(client, "logs-1") == before
    assert tier(client, "logs-1") == "warm"
    settings = client.indices.get_settings(index="logs-1")["logs-1"]["settings"]["index"]
    assert settings["blocks"]["write"] == "true"
    assert warm.objects()
    with pytest.raises(TransportError) as refused:
        client.index(index="logs-1", body={"status": 1}, id="new")
    assert refused.value.status_code == 403
    assert refused.value.error == "cluster_block_exception"
    assert cat_names(client, "_warm") == ["logs-1"]
    assert cat_names(client, "_hot") == ["logs-2"]
    assert "logs-1" in cat_names(client, "*")
    # one search over a warm and a hot index together
    both = client.count(index="logs-1,logs-2")["count"]
    assert both == 2 * before["count"]

    code, error = error_of(client, "POST", "/_ultrawarm/migration/logs-1/_warm")
    assert (code, error["type"]) == (400, "illegal_argument_exception")
    assert "already a warm index" in error["reason"]

    # closing and opening a warm index keeps it warm and whole
    client.indices.close(index="logs-1")
    assert cat_names(client, "_warm") == ["logs-1"]
    client.indices.open(index="logs-1")
    assert answers(client, "logs-1") == before

    # and back to hot: writable again, the bucket empty
    assert call(client, "POST", "/_ultrawarm/migration/logs-1/_hot") == {"acknowledged": True}
    finish(client, "logs-1")
    assert answers(client, "logs-1") == before
    assert tier(client, "logs-1") == "hot"
    assert warm.objects() == []
    # rewritten with tantivy's compressed document store (warm splits keep a plain one)
    stores = {orjson.loads(meta.read_bytes())["index_settings"]["docstore_compression"]
              for meta in (warm.server.data_dir / "indices").rglob("splits/*/meta.json")}
    assert stores == {"lz4"}
    client.index(index="logs-1", body={"status": 1}, id="new", refresh=True)
    assert client.count(index="logs-1")["count"] == before["count"] + 1
    assert cat_names(client, "_warm") == []


def test_errors(warm: WarmServer) -> None:
    client = warm.start(pause="seal")  # the first migration stays in flight
    fill(client, "busy")
    code, error = error_of(client, "POST", "/_ultrawarm/migration/nope/_warm")
    assert (code, error["type"]) == (404, "index_not_found_exception")
    code, error = error_of(client, "GET", "/_ultrawarm/migration/nope/_status")
    assert (code, error["type"]) == (404, "index_not_found_exception")
    code, error = error_of(client, "POST", "/_ultrawarm/migration/busy/_hot")
    assert (code, error["type"]) == (400, "illegal_argument_exception")
    assert "already a hot index" in error["reason"]
    code, error = error_of(client, "GET", "/_ultrawarm/migration/busy/_status")
    assert (code, error["type"]) == (404, "resource_not_found_exception")
    code, error = error_of(client, "POST", "/_ultrawarm/migration/_cancel/busy")
    assert (code, error["type"]) == (404, "resource_not_found_exception")
    code, error = error_of(client, "GET", "/_ultrawarm/migration/_status?migration_type=COLD")
    assert (code, error["type"]) == (400, "illegal_argument_exception")

    call(client, "POST", "/_ultrawarm/migration/busy/_warm")
    code, error = error_of(client, "POST", "/_ultrawarm/migration/busy/_warm")
    assert (code, error["type"]) == (400, "illegal_argument_exception")
    assert "already has a HOT_TO_WARM migration" in error["reason"]

    client.indices.create(index="shut")
    client.indices.close(index="shut")
    code, error = error_of(client, "POST", "/_ultrawarm/migration/shut/_warm")
    assert (code, error["type"]) == (400, "index_closed_exception")


def test_status_list_and_cancel(warm: WarmServer) -> None:
    client = warm.start(pause="upload+")
    fill(client, "first")
    fill(client, "second")
    before = answers(client, "first")
    call(client, "POST", "/_ultrawarm/migration/first/_warm")
    wait_for(lambda: warm.paused_at("upload+"), timeout=60, what="the pause after the upload")
    found = status(client, "first")
    assert found is not None
    assert found["state"] == "RUNNING_FULL_SNAPSHOT" and found["step"] == "upload"
    assert found["shard_level_status"]["succeeded"] == found["shard_level_status"]["total"] >= 1
    assert warm.objects()
    # writes are refused from the first step on; searches are answered from the hot side
    with pytest.raises(TransportError) as refused:
        client.index(index="first", body={"status": 1})
    assert refused.value.error == "cluster_block_exception"
    assert answers(client, "first") == before

    listed = call(client, "GET", "/_ultrawarm/migration/_status")["migration_status"]
    assert [(m["index"], m["migration_type"]) for m in listed] == [("first", "HOT_TO_WARM")]
    assert call(client, "GET", "/_ultrawarm/migration/_status?migration_type=WARM_TO_HOT") \
        == {"migration_status": []}
    text = client.transport.perform_request("GET", "/_ultrawarm/migration/_status",
                                            params={"v": "true"})
    assert text.split("\n")[0].split() == ["index", "migration_type", "state"]
    assert text.split("\n")[1].split() == ["first", "HOT_TO_WARM", "RUNNING_FULL_SNAPSHOT"]

    assert call(client, "POST", "/_ultrawarm/migration/_cancel/first") == {"acknowledged": True}
    wait_for(lambda: status(client, "first") is None, timeout=60,
             what="the cancel to end the migration")
    # whole where it was: hot, writable (the block the migration set is lifted), no objects
    assert answers(client, "first") == before
    assert tier(client, "first") in (None, "hot")
    assert warm.objects() == []
    client.index(index="first", body={"status": 1}, id="after", refresh=True)
    assert client.count(index="first")["count"] == before["count"] + 1


def test_user_block_stays_and_deleting_a_warm_index_deletes_its_objects(
        warm: WarmServer) -> None:
    client = warm.start()
    fill(client, "mine")
    fill(client, "gone")
    client.indices.put_settings(index="mine", body={"index.blocks.write": True})
    for name in ("mine", "gone"):
        call(client, "POST", f"/_ultrawarm/migration/{name}/_warm")
        finish(client, name)
    assert warm.objects()
    call(client, "POST", "/_ultrawarm/migration/mine/_hot")
    finish(client, "mine")
    settings = client.indices.get_settings(index="mine")["mine"]["settings"]["index"]
    assert settings["blocks"]["write"] == "true"  # the user's block, not the migration's
    client.indices.delete(index="gone")
    assert warm.objects() == []


def test_s3_keys_are_never_shown(warm: WarmServer, s3: S3Store) -> None:
    if warm.s3 is None:
        pytest.skip("the S3 variant only")
    client = warm.start()
    fill(client, "secret")
    call(client, "POST", "/_ultrawarm/migration/secret/_warm")
    finish(client, "secret")
    assert s3.secret_key not in warm.server.log.read_text()


def test_a_failing_step_is_retried_then_parked_and_resumed(warm: WarmServer) -> None:
    if warm.s3 is not None:
        pytest.skip("the local variant only: its bucket folder is made unusable")
    client = warm.start()
    fill(client, "stuck")
    before = answers(client, "stuck")
    bucket = warm.server.data_dir / "buckets" / warm.bucket
    bucket.parent.mkdir(parents=True, exist_ok=True)
    bucket.write_text("not a folder")  # every upload fails
    call(client, "POST", "/_ultrawarm/migration/stuck/_warm")
    failed = wait_for(lambda: (found := status(client, "stuck")) and found["state"].startswith(
        "FAILED") and found, timeout=60, what="the migration to be parked as failed")
    assert failed["state"] == "FAILED_FULL_SNAPSHOT" and failed["step"] == "upload"
    assert failed["failure"]["reason"]
    assert failed["shard_level_status"]["failed"] == 1
    assert answers(client, "stuck") == before  # whole on the hot side
    assert tier(client, "stuck") in (None, "hot")

    bucket.unlink()
    assert call(client, "POST", "/_ultrawarm/migration/stuck/_warm") == {"acknowledged": True}
    finish(client, "stuck")
    assert tier(client, "stuck") == "warm"
    assert answers(client, "stuck") == before


def test_a_bounded_number_run_at_once(warm: WarmServer) -> None:
    if warm.s3 is not None:
        pytest.skip("the local variant only")
    client = warm.start(pause="seal")
    for name in ("q1", "q2", "q3"):
        fill(client, name)
        call(client, "POST", f"/_ultrawarm/migration/{name}/_warm")

    def states() -> list[str]:
        listed = call(client, "GET", "/_ultrawarm/migration/_status")["migration_status"]
        return sorted(m["state"] for m in listed)

    wait_for(lambda: states().count("RUNNING_INCREMENTAL_SNAPSHOT") == 2, timeout=60,
             what="two migrations running")
    assert states() == ["PENDING_INCREMENTAL_SNAPSHOT"] + ["RUNNING_INCREMENTAL_SNAPSHOT"] * 2


def test_deleting_an_index_mid_migration_removes_what_was_uploaded(warm: WarmServer) -> None:
    client = warm.start(pause="upload+")
    fill(client, "short-lived")
    call(client, "POST", "/_ultrawarm/migration/short-lived/_warm")
    wait_for(lambda: warm.paused_at("upload+"), timeout=60, what="the pause after the upload")
    assert warm.objects()
    client.indices.delete(index="short-lived")
    wait_for(lambda: warm.objects() == [], timeout=60, what="the uploaded objects to go")
    assert call(client, "GET", "/_ultrawarm/migration/_status") == {"migration_status": []}
