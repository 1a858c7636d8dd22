"""A server killed (SIGKILL) in the middle of an ISM step resumes the step after restart: the
record said ``starting`` before the step ran, so the restarted job runs it again and the
policy goes on. ``LOGHAVEN_ISM_TEST_PAUSE_AT`` (runner.py) holds the run at the step so the
kill lands inside it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from opensearchpy import OpenSearch

from conftest import Server
from loghaven.lifecycle.ism.runner import PAUSE_ENV

from .ism_helpers import client_for, ism_server, message, put_policy, step, wait_explain


def test_kill_during_force_merge_resumes(tmp_path: Path) -> None:
    server = ism_server(tmp_path / "data",
                        LOGHAVEN_ISM_TEST_PAUSE_AT="attempt_call_force_merge").start()
    try:
        client = client_for(server)
        index = "logs-restart"
        client.indices.create(index=index)
        for number in range(6):
            client.index(index=index, body={"n": number}, refresh=True)
        put_policy(client, "merge-then-priority", [
            {"name": "merge", "actions": [{"force_merge": {"max_num_segments": 1}},
                                          {"index_priority": {"priority": 5}}],
             "transitions": []}], "merge")
        client.plugins.index_management.add_policy(index=index, body={
            "policy_id": "merge-then-priority"})
        paused = wait_explain(client, index,
                              lambda e: step(e) == ("attempt_call_force_merge", "starting"))
        assert paused["action"]["name"] == "force_merge"
        assert message(paused) == ("Starting action force_merge and working on "
                                   "attempt_call_force_merge")
        server.kill()
        del server.env["LOGHAVEN_ISM_TEST_PAUSE_AT"]
        server.start()
        client = client_for(server)
        merged = wait_explain(client, index,
                              lambda e: step(e) == ("wait_for_force_merge", "completed"))
        assert message(merged) == f"Successfully confirmed segments force merged [index={index}]"
        done = wait_explain(client, index,
                            lambda e: step(e) == ("attempt_set_index_priority", "completed"))
        assert done["action"]["failed"] is False
        assert client.count(index=index)["count"] == 6
        settings = client.indices.get_settings(index=index)[index]["settings"]["index"]
        assert settings["blocks"]["write"] == "true"  # force_merge leaves it read-only
        assert settings["priority"] == "5"
    finally:
        server.kill()


def _resume(server: Server) -> OpenSearch:
    """kill -9 the paused server and start it again without the pause."""
    server.kill()
    del server.env[PAUSE_ENV]
    server.start()
    return client_for(server)


def _migration_started(client: OpenSearch, index: str) -> bool:
    """The migration is queued or running, or done already (a three-document index can move
    between two polls; a finished migration's record is gone)."""
    status = client.transport.perform_request(
        "GET", f"/_ultrawarm/migration/{index}/_status", params={"ignore": 404})
    if status.get("migration_status") is not None:
        return True
    settings = client.indices.get_settings(index=index, flat_settings=True)
    return settings[index]["settings"].get("index.routing.allocation.require.box_type") == "warm"


def _switched(client: OpenSearch, alias: str) -> Callable[[dict], bool]:
    """Whether the rollover step is under way and ``alias`` writes to ``<alias>-000002``."""
    def switched(e: dict) -> bool:
        held = client.indices.get_alias(name=alias)
        writers = [i for i, a in held.items() if a["aliases"][alias].get("is_write_index")]
        return step(e) == ("attempt_rollover", "starting") \
            and (writers or list(held)) == [f"{alias}-000002"]
    return switched


def test_kill_after_rollover_before_its_record(tmp_path: Path) -> None:
    """The rollover happened, its record did not: the restarted run finds the alias writing
    to the new index and completes, without rolling over again (an implicit write alias,
    held by the index alone, and an explicit one)."""
    server = ism_server(tmp_path / "data", **{PAUSE_ENV: "after:attempt_rollover"}).start()
    try:
        client = client_for(server)
        put_policy(client, "roll", [{"name": "hot", "actions": [
            {"rollover": {"min_doc_count": 1}}], "transitions": []}], "hot")
        aliases = {"implicit": {}, "explicit": {"is_write_index": True}}
        for alias, props in aliases.items():
            client.indices.create(index=f"{alias}-000001", body={
                "aliases": {alias: props},
                "settings": {"plugins.index_state_management.rollover_alias": alias}})
            client.index(index=alias, body={"n": 1}, refresh=True)
        # at once: both runs reach the paused step in the same job
        client.plugins.index_management.add_policy(index="implicit-000001,explicit-000001",
                                                   body={"policy_id": "roll"})
        for alias in aliases:  # paused once the alias writes to the new index
            wait_explain(client, f"{alias}-000001", _switched(client, alias))
        client = _resume(server)
        for alias in aliases:
            done = wait_explain(client, f"{alias}-000001",
                                lambda e: step(e) == ("attempt_rollover", "completed"))
            assert done["rolled_over"] is True
            assert done["rolled_over_index_name"] == f"{alias}-000002"
            assert message(done) == (
                "This index has already been rolled over using this alias, treating as a "
                f"success [index={alias}-000001, alias={alias}]")
            assert not client.indices.exists(index=f"{alias}-000003")
        assert list(client.indices.get_alias(name="implicit")) == ["implicit-000002"]
        assert client.indices.get_alias(name="explicit") == {
            "explicit-000001": {"aliases": {"explicit": {"is_write_index": False}}},
            "explicit-000002": {"aliases": {"explicit": {"is_write_index": True}}}}
    finally:
        server.kill()


def test_kill_inside_snapshot_of_a_state_entered_by_transition(tmp_path: Path) -> None:
    """The snapshot was started, the step's record was not: the restarted run continues the
    action with its action_data (the snapshot's name) and takes no second snapshot."""
    (tmp_path / "repo").mkdir()
    server = ism_server(tmp_path / "data", LOGHAVEN_PATH_REPO=str(tmp_path / "repo"),
                        **{PAUSE_ENV: "after:attempt_snapshot"}).start()
    try:
        client = client_for(server)
        client.snapshot.create_repository(repository="r", body={
            "type": "fs", "settings": {"location": str(tmp_path / "repo" / "r")}})
        index = "snapped"
        client.indices.create(index=index)
        client.index(index=index, body={"n": 1}, refresh=True)
        put_policy(client, "to-snap", [
            {"name": "hot", "actions": [], "transitions": [{"state_name": "snap"}]},
            {"name": "snap", "actions": [{"snapshot": {"repository": "r", "snapshot": "s"}}],
             "transitions": []}], "hot")
        client.plugins.index_management.add_policy(index=index, body={"policy_id": "to-snap"})

        def snapshot_taken(e: dict) -> bool:
            found = client.snapshot.get(repository="r", snapshot="_all")["snapshots"]
            return e.get("policy_id") == "to-snap" and [s["state"] for s in found] == ["SUCCESS"]

        wait_explain(client, index, snapshot_taken)
        client = _resume(server)
        done = wait_explain(client, index,
                            lambda e: step(e) == ("wait_for_snapshot", "completed"))
        assert message(done) == f"Successfully created snapshot [index={index}]"
        assert len(client.snapshot.get(repository="r", snapshot="_all")["snapshots"]) == 1
    finally:
        server.kill()


def test_kill_inside_warm_migration(tmp_path: Path) -> None:
    """The migration was queued, the step's record was not: the restarted run finds it
    under way and waits for it, instead of failing on "already has a migration"."""
    server = ism_server(tmp_path / "data",
                        **{PAUSE_ENV: "after:attempt_warm_migration"}).start()
    try:
        client = client_for(server)
        index = "warming"
        client.indices.create(index=index)
        for number in range(3):
            client.index(index=index, body={"n": number}, refresh=True)
        put_policy(client, "to-warm", [
            {"name": "hot", "actions": [], "transitions": [{"state_name": "warm"}]},
            {"name": "warm", "actions": [{"retry": {"count": 0}, "warm_migration": {}}],
             "transitions": []}], "hot")
        client.plugins.index_management.add_policy(index=index, body={"policy_id": "to-warm"})
        wait_explain(client, index, lambda e: _migration_started(client, index))
        client = _resume(server)
        done = wait_explain(client, index,
                            lambda e: step(e) == ("wait_for_warm_migration", "completed")
                            or bool((e.get("action") or {}).get("failed")), timeout=90)
        assert step(done) == ("wait_for_warm_migration", "completed"), done
        assert client.count(index=index)["count"] == 3
    finally:
        server.kill()
