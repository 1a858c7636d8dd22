"""ISM actions over the engine's operations and the node's services, end to end through
opensearch-py: OpenSearch's documented rollover policy (ism_template, rollover alias from an
index template, pending until the doc count holds, then the new write index), force_merge's
three steps, the snapshot action into an ``fs`` repository, and warm_migration."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from opensearchpy import OpenSearch

from conftest import Server

from .ism_helpers import (
    explain_history,
    message,
    module_client,
    module_server,
    put_policy,
    step,
    wait_explain,
)

ism = pytest.fixture(scope="module", name="ism")(module_server)
client = pytest.fixture(name="client")(module_client)


def test_documented_rollover_policy(client: OpenSearch) -> None:
    """OpenSearch's "rollover" how-to: a policy with an ``ism_template`` for ``log*``, an
    index template setting ``plugins.index_state_management.rollover_alias``, and
    ``log-000001`` as the alias's write index."""
    client.plugins.index_management.put_policy(policy="rollover_policy", body={"policy": {
        "description": "Example rollover policy.", "default_state": "rollover",
        "states": [{"name": "rollover", "actions": [{"rollover": {"min_doc_count": 2}}],
                    "transitions": []}],
        "ism_template": {"index_patterns": ["log*"], "priority": 100}}})
    client.indices.put_index_template(name="ism_rollover", body={
        "index_patterns": ["log*"],
        "template": {"settings": {"plugins.index_state_management.rollover_alias": "log"}}})
    client.indices.create(index="log-000001", body={"aliases": {"log": {"is_write_index": True}}})
    # (the step's "starting" record comes before its result: wait for the result)
    pending = wait_explain(client, "log-000001",
                           lambda e: step(e) == ("attempt_rollover", "condition_not_met"))
    assert message(pending) == "Pending rollover of index [index=log-000001]"
    assert pending["info"]["conditions"]["min_doc_count"] == {"condition": 2, "current": 0}
    assert pending["policy_id"] == "rollover_policy"
    for number in range(2):
        client.index(index="log", body={"n": number}, refresh=True)
    rolled = wait_explain(client, "log-000001",
                          lambda e: step(e) == ("attempt_rollover", "completed"))
    assert message(rolled) == "Successfully rolled over index [index=log-000001]"
    assert rolled["rolled_over"] is True
    aliases = client.indices.get_alias(name="log")
    assert aliases["log-000002"]["aliases"]["log"]["is_write_index"] is True
    assert aliases["log-000001"]["aliases"]["log"].get("is_write_index") is False
    client.index(index="log", body={"n": 9}, refresh=True)
    assert client.count(index="log-000002")["count"] == 1
    successor = wait_explain(client, "log-000002",
                             lambda e: step(e) == ("attempt_rollover", "condition_not_met"))
    assert message(successor) == "Pending rollover of index [index=log-000002]"


def test_rollover_without_alias_setting_fails_with_opensearch_message(
        client: OpenSearch) -> None:
    put_policy(client, "roll-no-alias", [{"name": "r", "actions": [
        {"retry": {"count": 0}, "rollover": {"min_doc_count": 1}}], "transitions": []}], "r")
    client.indices.create(index="noalias-000001")
    client.plugins.index_management.add_policy(index="noalias-000001", body={"policy_id": "roll-no-alias"})
    failed = wait_explain(client, "noalias-000001",
                          lambda e: (e.get("action") or {}).get("failed") is True)
    assert step(failed) == ("attempt_rollover", "failed")
    assert message(failed) == "Missing rollover_alias index setting [index=noalias-000001]"
    assert failed["retry_info"]["failed"] is True


def test_force_merge_steps(client: OpenSearch) -> None:
    index = "merge-me"
    client.indices.create(index=index)
    for number in range(5):
        client.index(index=index, body={"n": number}, refresh=True)
    put_policy(client, "merge", [{"name": "m", "actions": [
        {"force_merge": {"max_num_segments": 1}}], "transitions": []}], "m")
    client.plugins.index_management.add_policy(index=index, body={"policy_id": "merge"})
    seen = explain_history(client, index,
                           lambda e: step(e) == ("wait_for_force_merge", "completed"))
    messages = {step(e)[0]: message(e) for e in seen if step(e)[1] == "completed"}
    assert messages == {
        "attempt_set_read_only": f"Successfully set index to read-only [index={index}]",
        "attempt_call_force_merge": f"Successfully completed force merge [index={index}]",
        "wait_for_force_merge": f"Successfully confirmed segments force merged [index={index}]"}
    assert client.count(index=index)["count"] == 5
    segments = client.indices.segments(index=index)["indices"][index]["shards"]["0"][0]
    assert segments["num_search_segments"] <= 1 or len(segments["segments"]) <= 1


def test_snapshot_action_names_and_waits(client: OpenSearch, ism: Server) -> None:
    """The snapshot action creates ``<snapshot>-<uuuu.MM.dd-HH:mm:ss.SSS>`` of the index
    (OpenSearch's name, the ``snapshot`` field a Mustache template) and waits for it."""
    location = Path(ism.env["LOGHAVEN_PATH_REPO"]) / "ism"
    client.snapshot.create_repository(repository="ism-repo", body={"type": "fs",
                                                        "settings": {"location": str(location)}})
    index = "snap-me"
    client.indices.create(index=index)
    client.index(index=index, body={"n": 1}, refresh=True)
    put_policy(client, "snap", [{"name": "s", "actions": [
        {"snapshot": {"repository": "ism-repo", "snapshot": "{{ctx.index}}-nightly"}}],
        "transitions": []}], "s")
    client.plugins.index_management.add_policy(index=index, body={"policy_id": "snap"})
    seen = explain_history(client, index,
                           lambda e: step(e) == ("wait_for_snapshot", "completed"))
    assert message(seen[-1]) == f"Successfully created snapshot [index={index}]"
    assert seen[-1]["info"]["state"] == "SUCCESS"
    started = [e for e in seen if step(e) == ("attempt_snapshot", "completed")]
    assert all(message(e) == f"Successfully started snapshot [index={index}]" for e in started)
    [snapshot] = client.snapshot.get(repository="ism-repo", snapshot="_all")["snapshots"]
    assert re.fullmatch(r"snap-me-nightly-\d{4}\.\d{2}\.\d{2}-\d{2}:\d{2}:\d{2}\.\d{3}",
                        snapshot["snapshot"]), snapshot["snapshot"]
    assert snapshot["indices"] == [index]
    assert snapshot["state"] == "SUCCESS"
    assert snapshot["include_global_state"] is False


def test_warm_migration_action(client: OpenSearch) -> None:
    """warm_migration starts UltraWarm's migration and waits for it: the index is then warm
    (its box type, ``_cat/indices/_warm``) and searchable as before."""
    index = "to-warm"
    client.indices.create(index=index)
    for number in range(4):
        client.index(index=index, body={"n": number}, refresh=True)
    put_policy(client, "warm", [{"name": "hot", "actions": [], "transitions": [
        {"state_name": "warm", "conditions": {"min_doc_count": 4}}]},
        {"name": "warm", "actions": [{"warm_migration": {}}], "transitions": []}], "hot")
    client.plugins.index_management.add_policy(index=index, body={"policy_id": "warm"})
    seen = explain_history(client, index,
                           lambda e: step(e) == ("wait_for_warm_migration", "completed"),
                           timeout=90)
    messages = [message(e) for e in seen]
    assert f"Successfully started warm migration [index={index}]" in messages
    assert messages[-1] == f"Successfully completed warm migration [index={index}]"
    assert seen[-1]["action"]["name"] == "warm_migration"
    settings = client.indices.get_settings(index=index)[index]["settings"]["index"]
    assert settings["routing"]["allocation"]["require"]["box_type"] == "warm"
    warm = client.transport.perform_request("GET", "/_cat/indices/_warm",
                                            params={"format": "json"})
    assert index in [row["index"] for row in warm]
    assert client.count(index=index)["count"] == 4


def test_rollover_age_then_delete_and_action_timeout(client: OpenSearch) -> None:
    """After a rollover, ``min_rollover_age`` counts from it; an action that outlives its
    ``timeout`` fails with OpenSearch's "Action timed out" and a ``timed_out`` step."""
    put_policy(client, "roll-then-delete", [
        {"name": "hot", "actions": [{"rollover": {"min_doc_count": 1}}],
         "transitions": [{"state_name": "delete", "conditions": {"min_rollover_age": "2s"}}]},
        {"name": "delete", "actions": [{"delete": {}}], "transitions": []}], "hot")
    for name in ("aged-000001", "slow-000001"):
        alias = name.split("-")[0]
        client.indices.create(index=name, body={
            "aliases": {alias: {"is_write_index": True}},
            "settings": {"plugins.index_state_management.rollover_alias": alias}})
    client.plugins.index_management.add_policy(index="aged-000001",
                                               body={"policy_id": "roll-then-delete"})
    client.index(index="aged", body={"n": 1}, refresh=True)
    seen = explain_history(client, "aged-000001",
                           lambda e: not client.indices.exists(index="aged-000001"))
    rolled = next(e for e in seen if step(e) == ("attempt_rollover", "completed"))
    assert rolled["rolled_over"] is True
    assert rolled["rolled_over_index_name"] == "aged-000002"
    assert any(message(e) == "Transitioning to delete [index=aged-000001]" for e in seen)
    assert client.indices.exists(index="aged-000002")

    put_policy(client, "slow-roll", [{"name": "hot", "actions": [
        {"timeout": "2s", "retry": {"count": 0}, "rollover": {"min_doc_count": 1000}}],
        "transitions": []}], "hot")
    client.plugins.index_management.add_policy(index="slow-000001",
                                               body={"policy_id": "slow-roll"})
    timed_out = wait_explain(client, "slow-000001",
                             lambda e: (e.get("action") or {}).get("failed") is True)
    assert message(timed_out) == "Action timed out"
    assert step(timed_out) == ("attempt_rollover", "timed_out")
    assert timed_out["enabled"] is False


def test_failed_rollover_is_retried_not_taken_as_done(client: OpenSearch) -> None:
    """A rollover the engine refused (its new index exists) fails again on retry, instead
    of counting as done; so ``min_rollover_age`` never deletes the live write index (an
    implicit write alias: the index holds it alone, without ``is_write_index``)."""
    put_policy(client, "roll-fails", [
        {"name": "hot", "actions": [{"retry": {"count": 0}, "rollover": {"min_doc_count": 1}}],
         "transitions": [{"state_name": "delete", "conditions": {"min_rollover_age": "1s"}}]},
        {"name": "delete", "actions": [{"delete": {}}], "transitions": []}], "hot")
    client.indices.create(index="blocked-000001", body={
        "aliases": {"blocked": {}},
        "settings": {"plugins.index_state_management.rollover_alias": "blocked"}})
    client.indices.create(index="blocked-000002")  # the rollover's new index: it fails
    client.index(index="blocked", body={"n": 1}, refresh=True)
    client.plugins.index_management.add_policy(index="blocked-000001",
                                               body={"policy_id": "roll-fails"})

    def failed_again(e: dict) -> bool:
        return step(e) == ("attempt_rollover", "failed")

    first = wait_explain(client, "blocked-000001", failed_again)
    assert message(first) == "Failed to rollover index [index=blocked-000001]"
    client.plugins.index_management.retry(index="blocked-000001")
    seen = explain_history(client, "blocked-000001",
                           lambda e: e.get("policy_id") is None or (failed_again(e)
                           and message(e) != "Pending retry of failed managed index"
                           and e["action"]["start_time"] != first["action"]["start_time"]))
    assert not any(e.get("rolled_over") for e in seen), seen
    assert failed_again(seen[-1]), seen[-1]
    assert message(seen[-1]) == "Failed to rollover index [index=blocked-000001]"
    assert client.indices.exists(index="blocked-000001")

    client.indices.delete(index="blocked-000002")
    client.plugins.index_management.retry(index="blocked-000001")
    seen = explain_history(client, "blocked-000001",
                           lambda e: not client.indices.exists(index="blocked-000001"))
    rolled = next(e for e in seen if step(e) == ("attempt_rollover", "completed"))
    assert message(rolled) == "Successfully rolled over index [index=blocked-000001]"
    assert client.indices.get_alias(name="blocked") == {
        "blocked-000002": {"aliases": {"blocked": {}}}}


def test_rollover_options(client: OpenSearch) -> None:
    """``prevent_empty_rollover`` waits while the index is empty; ``copy_alias`` gives the
    new index the old one's other aliases; the Open Distro ``rollover_skip`` setting skips
    the action as OpenSearch's does."""
    put_policy(client, "roll-nonempty", [{"name": "hot", "actions": [
        {"rollover": {"prevent_empty_rollover": True}}], "transitions": []}], "hot")
    put_policy(client, "roll-copy", [{"name": "hot", "actions": [
        {"rollover": {"min_doc_count": 1, "copy_alias": True}}], "transitions": []}], "hot")
    reader = {"filter": {"term": {"n": 1}}}
    for name, aliases, extra in (
            ("nonempty", {"nonempty": {"is_write_index": True}}, {}),
            ("copied", {"copied": {"is_write_index": True}, "copied-read": reader}, {}),
            ("skipped", {"skipped": {"is_write_index": True}},
             {"opendistro.index_state_management.rollover_skip": "true"})):
        client.indices.create(index=f"{name}-000001", body={"aliases": aliases, "settings": {
            "plugins.index_state_management.rollover_alias": name, **extra}})
    client.plugins.index_management.add_policy(index="nonempty-000001,skipped-000001",
                                               body={"policy_id": "roll-nonempty"})
    client.plugins.index_management.add_policy(index="copied-000001",
                                               body={"policy_id": "roll-copy"})
    client.index(index="copied", body={"n": 1}, refresh=True)

    waiting = wait_explain(client, "nonempty-000001",
                           lambda e: step(e) == ("attempt_rollover", "condition_not_met"))
    assert message(waiting) == "Prevented empty rollover of index [index=nonempty-000001]"
    skipped = wait_explain(client, "skipped-000001",
                           lambda e: step(e) == ("attempt_rollover", "completed"))
    assert message(skipped) == "Skipped rollover action for [index=skipped-000001]"
    assert not client.indices.exists(index="skipped-000002")
    wait_explain(client, "copied-000001", lambda e: step(e) == ("attempt_rollover", "completed"))
    assert client.indices.get_alias(index="copied-000002") == {"copied-000002": {"aliases": {
        "copied": {"is_write_index": True}, "copied-read": reader}}}

    client.index(index="nonempty", body={"n": 2}, refresh=True)
    rolled = wait_explain(client, "nonempty-000001",
                          lambda e: step(e) == ("attempt_rollover", "completed"))
    assert message(rolled) == "Successfully rolled over index [index=nonempty-000001]"
    assert client.indices.exists(index="nonempty-000002")
