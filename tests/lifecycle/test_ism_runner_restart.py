"""A server killed (SIGKILL) in the middle of an ISM step resumes the step after restart: the
record said ``starting`` before the step ran, so the restarted job runs it again and the
policy goes on. ``LOGHAVEN_ISM_TEST_PAUSE_AT`` (runner.py) holds the run at the step so the
kill lands inside it."""

from __future__ import annotations

from pathlib import Path

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
        merged = wait_explain(client, index, lambda e: step(e)[0] == "wait_for_force_merge")
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
