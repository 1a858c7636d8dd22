"""ISM policies run by the server's job every second, seen through opensearch-py's ISM client
as an OpenSearch user sees them: explain's state, action, step and info messages (OpenSearch's
words), transitions by age and document count, read_only refusing writes, index_priority,
delete, notifications to a loopback webhook (channel and legacy destination), a failed
action retried per its ``retry`` then parked with its error notification until the retry
API, and change_policy."""

from __future__ import annotations

import time
import uuid

import pytest
from opensearchpy import OpenSearch
from opensearchpy.exceptions import AuthorizationException

from conftest import WebhookReceiver

from .ism_helpers import (
    explain,
    explain_history,
    message,
    module_client,
    module_server,
    put_policy,
    state,
    step,
    wait_explain,
)

ism = pytest.fixture(scope="module", name="ism")(module_server)
client = pytest.fixture(name="client")(module_client)


def _name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def _managed(client: OpenSearch, index: str, policy_id: str) -> None:
    client.indices.create(index=index)
    answer = client.plugins.index_management.add_policy(index=index, body={"policy_id": policy_id})
    assert answer["updated_indices"] == 1, answer


def _docs(client: OpenSearch, index: str, count: int) -> None:
    for number in range(count):
        client.index(index=index, body={"n": number}, refresh=True)


def test_hot_to_delete_by_age(client: OpenSearch) -> None:
    """OpenSearch's sample hot → delete policy with seconds for days: initialized into the
    default state, transitions evaluated until the index is old enough, then deleted (and
    its record with it)."""
    policy_id, index = _name("hot-delete"), _name("logs")
    put_policy(client, policy_id, [
        {"name": "hot", "actions": [],
         "transitions": [{"state_name": "delete", "conditions": {"min_index_age": "4s"}}]},
        {"name": "delete", "actions": [{"delete": {}}], "transitions": []}], "hot")
    _managed(client, index, policy_id)
    seen = explain_history(client, index, lambda e: not client.indices.exists(index=index))
    messages = [message(e) for e in seen if e]
    assert f"Successfully initialized policy: {policy_id}" in messages
    assert f"Evaluating transition conditions [index={index}]" in messages
    assert f"Transitioning to delete [index={index}]" in messages
    evaluating = next(e for e in seen if message(e).startswith("Evaluating"))
    assert step(evaluating) == ("attempt_transition_step", "condition_not_met")
    assert evaluating["action"]["name"] == "transition"
    assert state(evaluating) == "hot"
    assert evaluating["policy_id"] == policy_id
    moving = next(e for e in seen if message(e).startswith("Transitioning"))
    assert moving["transition_to"] == "delete"
    assert not explain(client, index)


def test_transition_by_doc_count_then_read_only_and_priority(client: OpenSearch) -> None:
    """``min_doc_count`` holds once enough documents are in; the next state's read_only and
    index_priority actions run in order, each step's message as OpenSearch's; writes are then
    refused with ES's block error and ``index.priority`` is set."""
    policy_id, index = _name("by-count"), _name("logs")
    put_policy(client, policy_id, [
        {"name": "ingest", "actions": [],
         "transitions": [{"state_name": "sealed", "conditions": {"min_doc_count": 3}}]},
        {"name": "sealed", "actions": [{"read_only": {}}, {"index_priority": {"priority": 7}}],
         "transitions": []}], "ingest")
    _managed(client, index, policy_id)
    wait_explain(client, index, lambda e: message(e).startswith("Evaluating transition"))
    _docs(client, index, 2)
    time.sleep(2.5)  # two more runs: two documents are not enough
    assert state(explain(client, index)) == "ingest"
    _docs(client, index, 1)
    seen = explain_history(client, index, lambda e: e.get("policy_completed") is True)
    done = {step(e)[0]: e for e in seen if step(e)[1] == "completed"}
    moving = next(e for e in seen if e.get("transition_to"))
    assert moving["transition_to"] == "sealed"  # explain shows it instead of state/action/step
    assert message(moving) == f"Transitioning to sealed [index={index}]"
    read_only = done["set_read_only"]
    assert (state(read_only), read_only["action"]["name"]) == ("sealed", "read_only")
    assert message(read_only) == f"Successfully set index to read-only [index={index}]"
    priority = done["attempt_set_index_priority"]
    assert priority["action"]["index"] == 1
    assert message(priority) == f"Successfully set index priority to 7 [index={index}]"
    with pytest.raises(AuthorizationException) as refused:
        client.index(index=index, body={"n": 99})
    assert refused.value.error == "cluster_block_exception"
    settings = client.indices.get_settings(index=index)[index]["settings"]["index"]
    assert settings["priority"] == "7"
    assert settings["blocks"]["write"] == "true"
    assert seen[-1]["policy_completed"] is True


def test_read_write_lifts_the_block(client: OpenSearch) -> None:
    policy_id, index = _name("rw"), _name("logs")
    put_policy(client, policy_id, [
        {"name": "a", "actions": [{"read_only": {}}, {"read_write": {}}], "transitions": []}],
        "a")
    _managed(client, index, policy_id)
    done = wait_explain(client, index, lambda e: step(e) == ("set_read_write", "completed"))
    assert message(done) == f"Successfully set index to read-write [index={index}]"
    client.index(index=index, body={"n": 1}, refresh=True)
    assert client.count(index=index)["count"] == 1


def test_notification_channel_and_legacy_destination(client: OpenSearch,
                                                     receiver: WebhookReceiver) -> None:
    """The notification action renders its Mustache message over ``ctx`` and delivers it
    through a notifications channel and through a legacy ``custom_webhook`` destination."""
    channel = _name("ism-hook")
    client.transport.perform_request("POST", "/_plugins/_notifications/configs", body={
        "config_id": channel, "config": {"name": "ism hook", "config_type": "webhook",
                                         "webhook": {"url": f"{receiver.url}/channel"}}})
    policy_id, index = _name("notify"), _name("logs")
    put_policy(client, policy_id, [{"name": "tell", "actions": [
        {"notification": {"channel": {"id": channel},
                          "message_template": {"source": "index {{ctx.index}} in "
                                                         "{{ctx.state.name}}"}}},
        {"notification": {"destination": {"custom_webhook": {"url": f"{receiver.url}/legacy"}},
                          "message_template": {"source": "policy {{ctx.policy_id}}"}}}],
        "transitions": []}], "tell")
    _managed(client, index, policy_id)
    sent = wait_explain(client, index, lambda e: (e.get("action") or {}).get("index") == 1 and step(e)[1] == "completed")
    assert message(sent) == f"Successfully sent notification [index={index}]"
    bodies = {r.path: r.body.decode() for r in receiver.requests}
    assert bodies["/channel"] == f"index {index} in tell"
    assert bodies["/legacy"] == f"policy {policy_id}"


def test_failure_retries_then_error_notification_then_retry_api(
        client: OpenSearch, receiver: WebhookReceiver) -> None:
    """A step that fails is retried ``retry.count`` times after its backoff, then the action
    fails: ``retry_info.failed``, OpenSearch's failure message with the cause, the policy's
    error_notification sent, and nothing more runs until the retry API, after which it
    succeeds."""
    receiver.status = 400
    policy_id, index = _name("failing"), _name("logs")
    put_policy(client, policy_id, [{"name": "tell", "actions": [
        {"retry": {"count": 1, "backoff": "constant", "delay": "1s"},
         "notification": {"destination": {"custom_webhook": {"url": f"{receiver.url}/act"}},
                          "message_template": {"source": "hello {{ctx.index}}"}}}],
        "transitions": []}], "tell",
        error_notification={"destination": {"custom_webhook": {"url": f"{receiver.url}/err"}},
                            "message_template": {"source": "failed: {{ctx.index}}"}})
    _managed(client, index, policy_id)
    retrying = wait_explain(client, index, lambda e: (e.get("action") or {})
                            .get("consumed_retries") == 1)
    assert step(retrying) == ("attempt_notification", "failed")
    assert retrying["action"]["failed"] is False
    failed = wait_explain(client, index, lambda e: (e.get("action") or {}).get("failed"))
    assert failed["retry_info"]["failed"] is True
    assert message(failed) == f"Failed to send notification [index={index}]"
    assert "400" in failed["info"]["cause"]
    wait_explain(client, index, lambda e: "error_notification" in (e.get("info") or {}))
    errors = [r.body.decode() for r in receiver.requests if r.path == "/err"]
    assert errors == [f"failed: {index}"]
    attempts = len([r for r in receiver.requests if r.path == "/act"])
    assert attempts == 2
    receiver.status = 200
    answer = client.plugins.index_management.retry(index=index, body={})
    assert answer["updated_indices"] == 1, answer
    done = wait_explain(client, index, lambda e: step(e) == ("attempt_notification",
                                                             "completed"))
    assert message(done) == f"Successfully sent notification [index={index}]"
    assert [r.body.decode() for r in receiver.requests if r.path == "/act"][-1] \
        == f"hello {index}"


def test_change_policy_between_states(client: OpenSearch) -> None:
    """change_policy waits for the transitions (a safe point), then the index follows the new
    policy from the named state."""
    old_id, new_id, index = _name("old"), _name("new"), _name("logs")
    put_policy(client, old_id, [{"name": "wait", "actions": [],
                                 "transitions": [{"state_name": "wait",
                                                  "conditions": {"min_doc_count": 1000}}]}],
               "wait")
    put_policy(client, new_id, [
        {"name": "start", "actions": [], "transitions": []},
        {"name": "other", "actions": [{"index_priority": {"priority": 3}}],
         "transitions": []}], "start")
    _managed(client, index, old_id)
    wait_explain(client, index, lambda e: message(e).startswith("Evaluating transition"))
    answer = client.plugins.index_management.change_policy(index=index, body={"policy_id": new_id, "state": "other"})
    assert answer["updated_indices"] == 1, answer
    changed = wait_explain(client, index, lambda e: e["policy_id"] == new_id)
    assert changed["policy_id"] == new_id
    done = wait_explain(client, index,
                        lambda e: step(e) == ("attempt_set_index_priority", "completed"))
    assert state(done) == "other"
    settings = client.indices.get_settings(index=index)[index]["settings"]["index"]
    assert settings["priority"] == "3"


def test_index_deleted_by_someone_else_loses_its_record(client: OpenSearch) -> None:
    policy_id, index = _name("gone"), _name("logs")
    put_policy(client, policy_id, [{"name": "a", "actions": [],
                                    "transitions": [{"state_name": "a",
                                                     "conditions": {"min_doc_count": 9}}]}],
               "a")
    _managed(client, index, policy_id)
    wait_explain(client, index, lambda e: state(e) == "a")
    client.indices.delete(index=index)
    time.sleep(2.5)
    assert not explain(client, index)
