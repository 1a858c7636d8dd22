"""The ISM API over HTTP, through opensearch-py as an OpenSearch user calls it: OpenSearch's
documented examples and responses, its validation errors, ``if_seq_no`` conflicts,
add/remove/change_policy/retry/explain over patterns, and ``ism_template`` auto-attach.

The server's ISM job runs hourly here, so managed indices stay as these calls leave them;
records a run would have written (a state, a failure) are written into the metastore the
server reads, as a run writes them."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from opensearchpy import OpenSearch
from opensearchpy.exceptions import ConflictError, NotFoundError, RequestError

from conftest import Server
from loghaven.engine.recovery import open_metastore
from loghaven.lifecycle.ism.store import IsmStore

RETRY = {"count": 3, "backoff": "exponential", "delay": "1m"}


def documented_policy(description: str = "ingesting logs") -> dict[str, Any]:
    """The body of the ISM API page's "Create policy" example."""
    return {"policy": {
        "description": description, "default_state": "ingest",
        "states": [
            {"name": "ingest", "actions": [{"rollover": {"min_doc_count": 5}}],
             "transitions": [{"state_name": "search"}]},
            {"name": "search", "actions": [],
             "transitions": [{"state_name": "delete", "conditions": {"min_index_age": "5m"}}]},
            {"name": "delete", "actions": [{"delete": {}}], "transitions": []},
        ]}}


@pytest.fixture(scope="module")
def ism(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    server = Server(tmp_path_factory.mktemp("ism-api") / "data",
                    env={"LOGHAVEN_ISM_JOB_INTERVAL": "1h"}).start()
    yield server
    server.stop()


@pytest.fixture
def client(ism: Server) -> OpenSearch:
    return OpenSearch(ism.url, timeout=30)


@pytest.fixture
def http(ism: Server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=ism.url, timeout=30) as raw:
        yield raw


def _id(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def _store(server: Server) -> IsmStore:
    """The server's ISM records, read and written as its runner does (SQLite in WAL mode
    takes a second process)."""
    return IsmStore(open_metastore(server.data_dir))


def _edit(server: Server, index_uuid: str, **changes: Any) -> None:
    store = _store(server)
    try:
        managed = store.managed(index_uuid)
        assert managed is not None
        for key, value in changes.items():
            setattr(managed, key, value)
        store.put_managed(managed)
    finally:
        store.metastore.close()


def _uuid(client: OpenSearch, index: str) -> str:
    return client.indices.get_settings(index=index)[index]["settings"]["index"]["uuid"]


def test_create_get_and_update_as_documented(client: OpenSearch, http: httpx.Client) -> None:
    ism = client.plugins.index_management
    policy_id = _id("policy")
    before = int(time.time() * 1000)
    created = http.put(f"/_plugins/_ism/policies/{policy_id}", json=documented_policy())
    assert created.status_code == 201, created.text
    assert created.headers["location"] == f"/_plugins/_ism/policies/{policy_id}"
    body = created.json()
    assert list(body) == ["_id", "_version", "_primary_term", "_seq_no", "policy"]
    assert (body["_id"], body["_version"], body["_primary_term"]) == (policy_id, 1, 1)
    policy = body["policy"]["policy"]
    assert policy["last_updated_time"] >= before
    assert policy == {
        "policy_id": policy_id, "description": "ingesting logs",
        "last_updated_time": policy["last_updated_time"], "schema_version": 1,
        "error_notification": None, "default_state": "ingest",
        "states": [
            {"name": "ingest",
             "actions": [{"retry": RETRY, "rollover": {"min_doc_count": 5,
                                                       "copy_alias": False}}],
             "transitions": [{"state_name": "search"}]},
            {"name": "search", "actions": [],
             "transitions": [{"state_name": "delete", "conditions": {"min_index_age": "5m"}}]},
            {"name": "delete", "actions": [{"retry": RETRY, "delete": {}}], "transitions": []}],
        "ism_template": None}

    got = ism.get_policy(policy_id)
    assert list(got) == ["_id", "_version", "_seq_no", "_primary_term", "policy"]
    assert got["_seq_no"] == body["_seq_no"]
    assert got["policy"] == {**policy, "schema_version": 30}
    legacy = http.get(f"/_opendistro/_ism/policies/{policy_id}")
    assert legacy.json() == got
    assert http.head(f"/_plugins/_ism/policies/{policy_id}").status_code == 200

    # a second create: OpenSearch indexes with op_type create
    with pytest.raises(ConflictError) as exists:
        ism.put_policy(policy_id, body=documented_policy())
    assert exists.value.error == "version_conflict_engine_exception"
    assert exists.value.info["error"]["reason"] == (
        f"[{policy_id}]: version conflict, document already exists (current version [1])")
    stale = body["_seq_no"] + 100
    with pytest.raises(ConflictError) as conflict:
        ism.put_policy(policy_id, body=documented_policy(), params={
            "if_seq_no": stale, "if_primary_term": 1})
    assert conflict.value.info["error"]["reason"] == (
        f"[{policy_id}]: version conflict, required seqNo [{stale}], primary term [1]. current "
        f"document has seqNo [{body['_seq_no']}] and primary term [1]")

    updated = http.put(f"/_plugins/_ism/policies/{policy_id}", json=documented_policy("v2"),
                       params={"if_seq_no": got["_seq_no"], "if_primary_term": 1})
    assert updated.status_code == 200, updated.text
    assert "location" not in updated.headers
    assert updated.json()["_version"] == 2
    assert updated.json()["_seq_no"] > got["_seq_no"]
    assert ism.get_policy(policy_id)["policy"]["description"] == "v2"
    with pytest.raises(ConflictError):  # the seq_no read before the update is stale now
        ism.put_policy(policy_id, body=documented_policy(), params={
            "if_seq_no": got["_seq_no"], "if_primary_term": 1})
    missing = _id("missing")
    with pytest.raises(ConflictError) as nothing:
        ism.put_policy(missing, body=documented_policy(), params={
            "if_seq_no": 3, "if_primary_term": 1})
    assert nothing.value.info["error"]["reason"] == (
        f"[{missing}]: version conflict, required seqNo [3], primary term [1]. but no "
        f"document was found")


def test_every_field_and_action(http: httpx.Client) -> None:
    """Each supported action with its options, retry and timeout, an error notification,
    the transition conditions, and ``ism_template`` given as an object."""
    policy_id = _id("full")
    body = {"policy": {
        "description": "hot warm delete", "default_state": "hot", "schema_version": 12,
        "error_notification": {"channel": {"id": "ops"},
                               "message_template": {"source": "{{ctx.index}} failed"}},
        "ism_template": {"index_patterns": ["full-*"], "priority": 7},
        "states": [
            {"name": "hot", "actions": [
                {"timeout": "1H", "retry": {"count": 5, "backoff": "constant", "delay": "30S"},
                 "rollover": {"min_index_age": "1d", "min_size": "10g",
                              "min_primary_shard_size": "5GB", "min_doc_count": 100,
                              "copy_alias": True}},
                {"index_priority": {"priority": 50}}],
             "transitions": [{"state_name": "warm", "conditions": {"min_rollover_age": "2d"}},
                             {"state_name": "warm", "conditions": {"min_size": "1tb"}},
                             {"state_name": "warm", "conditions": {"min_doc_count": 10}}]},
            {"name": "warm", "actions": [
                {"warm_migration": {}, "timeout": "24h", "retry": {"count": 0}},
                {"read_only": {}}, {"force_merge": {"max_num_segments": 1}},
                {"read_write": {}},
                {"snapshot": {"repository": "repo", "snapshot": "snap"}},
                {"notification": {"destination": {"slack": {"url": "https://hooks.slack.com/x"}},
                                  "message_template": {"source": "warm {{ctx.index}}"}}}],
             "transitions": [{"state_name": "delete", "conditions": {
                 "cron": {"cron": {"expression": "0 0 * * *", "timezone": "UTC"}}}}]},
            {"name": "delete", "actions": [{"delete": {}}]},
        ]}}
    answer = http.put(f"/_plugins/_ism/policies/{policy_id}", json=body)
    assert answer.status_code == 201, answer.text
    policy = http.get(f"/_plugins/_ism/policies/{policy_id}").json()["policy"]
    assert policy["schema_version"] == 30
    assert policy["error_notification"] == {
        "channel": {"id": "ops"},
        "message_template": {"source": "{{ctx.index}} failed", "lang": "mustache"}}
    template, = policy["ism_template"]
    assert template["index_patterns"] == ["full-*"] and template["priority"] == 7
    assert template["last_updated_time"] == policy["last_updated_time"]
    hot, warm, delete = policy["states"]
    assert hot["actions"][0] == {
        "timeout": "1h", "retry": {"count": 5, "backoff": "constant", "delay": "30s"},
        "rollover": {"min_size": "10gb", "min_doc_count": 100, "min_index_age": "1d",
                     "min_primary_shard_size": "5gb", "copy_alias": True}}
    assert hot["actions"][1] == {"retry": RETRY, "index_priority": {"priority": 50}}
    assert [t["conditions"] for t in hot["transitions"]] == [
        {"min_rollover_age": "2d"}, {"min_size": "1tb"}, {"min_doc_count": 10}]
    assert warm["actions"][0] == {"timeout": "24h", "retry": {
        "count": 0, "backoff": "exponential", "delay": "1m"}, "warm_migration": {}}
    assert [next(k for k in a if k not in ("retry", "timeout")) for a in warm["actions"]] == [
        "warm_migration", "read_only", "force_merge", "read_write", "snapshot", "notification"]
    assert warm["actions"][5]["notification"]["message_template"]["lang"] == "mustache"
    assert warm["transitions"][0]["conditions"] == {
        "cron": {"cron": {"expression": "0 0 * * *", "timezone": "UTC"}}}
    assert delete == {"name": "delete", "actions": [{"retry": RETRY, "delete": {}}],
                      "transitions": []}


def _states(*states: dict[str, Any], default: str = "a") -> dict[str, Any]:
    return {"policy": {"description": "d", "default_state": default, "states": list(states)}}


def _state(name: str = "a", actions: list[Any] | None = None,
           transitions: list[Any] | None = None) -> dict[str, Any]:
    return {"name": name, "actions": actions or [], "transitions": transitions or []}


@pytest.mark.parametrize(("body", "error_type", "reason"), [
    (_states(_state("a"), default="b"), "illegal_argument_exception",
     "Policy must have a valid default state"),
    (_states(_state("a", transitions=[{"state_name": "nowhere"}])),
     "illegal_argument_exception",
     "Policy contains a transition in state=a pointing to a nonexistent state=nowhere"),
    (_states(_state("a"), _state("a")), "illegal_argument_exception",
     "Policy cannot have duplicate state names"),
    (_states(), "illegal_argument_exception", "Policy must contain at least one State"),
    ({"policy": {"default_state": "a", "states": [_state()]}}, "illegal_argument_exception",
     "description is null"),
    ({"policy": {"description": "d", "states": [_state()]}}, "illegal_argument_exception",
     "default_state is null"),
    ({"policy": {**_states(_state())["policy"], "owner": "x"}}, "illegal_argument_exception",
     "Invalid field: [owner] found in Policy."),
    (_states(_state(actions=[{"freeze": {}}])), "illegal_argument_exception",
     "Invalid field: [freeze] found in Actions."),
    (_states(_state(actions=[{"rollover": {"min_age": "1d"}}])), "illegal_argument_exception",
     "Invalid field: [min_age] found in RolloverAction."),
    (_states(_state(actions=[{"rollover": {"min_index_age": "5x"}}])), "parse_exception",
     "failed to parse setting [min_index_age] with value [5x] as a time value: unit is "
     "missing or unrecognized"),
    (_states(_state(actions=[{"rollover": {"min_size": "10 parsecs"}}])), "parse_exception",
     "failed to parse setting [min_size] with value [10 parsecs] as a size in bytes: unit is "
     "missing or unrecognized"),
    (_states(_state(actions=[{"rollover": {"min_doc_count": 0}}])),
     "illegal_argument_exception", "RolloverAction minDocs value must be greater than 0"),
    (_states(_state(actions=[{"force_merge": {}}])), "illegal_argument_exception",
     "ForceMergeActionConfig maxNumSegments is null"),
    (_states(_state(actions=[{"force_merge": {"max_num_segments": 0}}])),
     "illegal_argument_exception", "Force merge {max_num_segments} must be greater than 0"),
    (_states(_state(actions=[{"index_priority": {"priority": -1}}])),
     "illegal_argument_exception",
     "IndexPriorityAction index_priority value must be a non-negative number"),
    (_states(_state(actions=[{"snapshot": {"repository": "r"}}])),
     "illegal_argument_exception", "SnapshotAction snapshot must be specified"),
    (_states(_state(actions=[{"notification": {"message_template": {"source": "x"}}}])),
     "illegal_argument_exception", "Notification must contain a destination or channel"),
    (_states(_state(actions=[{"notification": {"channel": {"id": "c"}}}])),
     "illegal_argument_exception", "NotificationAction message template is null"),
    (_states(_state(actions=[{"delete": {}}, {"read_only": {}}])),
     "illegal_argument_exception", "State=a must not contain an action after a delete action"),
    (_states(_state(actions=[{"delete": {}}], transitions=[{"state_name": "a"}])),
     "illegal_argument_exception", "State=a cannot contain transitions if using delete action"),
    (_states(_state(actions=[{"read_only": {}, "retry": {"count": -1}}])),
     "illegal_argument_exception", "Count for ActionRetry must be a non-negative number"),
    (_states(_state(actions=[{"read_only": {}, "timeout": 5}])), "illegal_argument_exception",
     "Invalid token: [VALUE_NUMBER] for ActionTimeout"),
    (_states(_state(transitions=[{"state_name": "a", "conditions": {
        "min_index_age": "1d", "min_doc_count": 5}}])), "illegal_argument_exception",
     "Cannot provide more than one Transition condition"),
    (_states(_state(transitions=[{"state_name": "a", "conditions": {"min_size": "0b"}}])),
     "illegal_argument_exception", "Transition size condition must be greater than 0"),
    (_states(_state(transitions=[{"state_name": "a", "conditions": {"max_age": "1d"}}])),
     "illegal_argument_exception", "Invalid field: [max_age] found in Conditions."),
    ({"policy": {**_states(_state())["policy"],
                 "ism_template": {"index_patterns": ["_bad*"], "priority": 1}}},
     "index_management_exception",
     "Validation Failed: 1: index_pattern [_bad*] must not start with '_';"),
    ({"policy": {**_states(_state())["policy"],
                 "ism_template": {"index_patterns": [], "priority": 1}}},
     "illegal_argument_exception", "Requires at least one index pattern"),
])
def test_policy_validation_errors(http: httpx.Client, body: dict[str, Any], error_type: str,
                                  reason: str) -> None:
    policy_id = _id("bad")
    answer = http.put(f"/_plugins/_ism/policies/{policy_id}", json=body)
    assert answer.status_code == 400, answer.text
    assert answer.json()["error"]["type"] == error_type
    assert answer.json()["error"]["reason"] == reason
    assert http.get(f"/_plugins/_ism/policies/{policy_id}").status_code == 404


def test_unsupported_opensearch_actions_are_refused_by_name(http: httpx.Client) -> None:
    """OpenSearch's answer to actions outside its allow list: 403 in plain text."""
    policy_id = _id("shrinking")
    answer = http.put(f"/_plugins/_ism/policies/{policy_id}", json=_states(_state(actions=[
        {"shrink": {"num_new_shards": 1}}, {"replica_count": {"number_of_replicas": 0}},
        {"shrink": {"num_new_shards": 2}}])))
    assert answer.status_code == 403
    assert answer.headers["content-type"].startswith("text/plain")
    assert answer.text == ("You have actions that are not allowed in your policy "
                           "[shrink, replica_count]")
    assert http.get(f"/_plugins/_ism/policies/{policy_id}").status_code == 404


def test_search_and_delete_policies(client: OpenSearch, http: httpx.Client) -> None:
    tag = uuid.uuid4().hex[:6]
    ids = [f"search-{tag}-{n}" for n in ("b", "a", "c")]
    for policy_id in ids:
        client.plugins.index_management.put_policy(policy_id, body=documented_policy())
    found = http.get("/_plugins/_ism/policies", params={"queryString": f"search-{tag}-*"}).json()
    assert list(found) == ["policies", "total_policies"]
    assert found["total_policies"] == 3
    assert [p["_id"] for p in found["policies"]] == sorted(ids)
    assert list(found["policies"][0]) == ["_id", "_seq_no", "_primary_term", "policy"]
    assert found["policies"][0]["policy"]["policy_id"] == sorted(ids)[0]
    page = http.get("/_opendistro/_ism/policies", params={
        "queryString": f"search-{tag}-*", "sortOrder": "desc", "size": 1, "from": 1}).json()
    assert [p["_id"] for p in page["policies"]] == [sorted(ids)[1]]
    assert page["total_policies"] == 3
    assert http.get("/_plugins/_ism/policies", params={"sortOrder": "up"}).status_code == 400

    deleted = client.plugins.index_management.delete_policy(ids[0])
    assert deleted == {
        "_index": ".opendistro-ism-config", "_id": ids[0], "_version": 2,
        "result": "deleted", "forced_refresh": True,
        "_shards": {"total": 2, "successful": 1, "failed": 0},
        "_seq_no": deleted["_seq_no"], "_primary_term": 1}
    with pytest.raises(NotFoundError) as again:
        client.plugins.index_management.delete_policy(ids[0])
    assert again.value.info["error"] == {
        "root_cause": [{"type": "status_exception", "reason": f"Policy {ids[0]} is not found"}],
        "type": "status_exception", "reason": f"Policy {ids[0]} is not found"}
    with pytest.raises(NotFoundError) as gone:
        client.plugins.index_management.get_policy(ids[0])
    assert gone.value.info["error"]["reason"] == "Policy not found"
    assert http.head(f"/_plugins/_ism/policies/{ids[0]}").status_code == 404
    assert http.get("/_plugins/_ism/policies", params={
        "queryString": f"search-{tag}-*"}).json()["total_policies"] == 2


def test_add_explain_and_remove_over_patterns(ism: Server, client: OpenSearch,
                                              http: httpx.Client) -> None:
    ism_api = client.plugins.index_management
    tag = uuid.uuid4().hex[:6]
    policy_id = _id("logs")
    ism_api.put_policy(policy_id, body=documented_policy())
    names = [f"logs-{tag}-1", f"logs-{tag}-2", f"other-{tag}"]
    for name in names:
        client.indices.create(index=name)
    pattern = f"logs-{tag}-*"

    assert ism_api.add_policy(pattern, body={"policy_id": policy_id}) == {
        "updated_indices": 2, "failures": False, "failed_indices": []}
    again = ism_api.add_policy(f"{pattern},{names[2]}", body={"policy_id": policy_id})
    assert again["updated_indices"] == 1 and again["failures"] is True
    assert sorted(again["failed_indices"], key=lambda f: f["index_name"]) == [
        {"index_name": name, "index_uuid": _uuid(client, name),
         "reason": "This index already has a policy, use the update policy API to update "
                   "index policies"} for name in names[:2]]
    with pytest.raises(NotFoundError) as unknown:
        ism_api.add_policy(f"nothing-{tag}", body={"policy_id": policy_id})
    assert unknown.value.error == "index_not_found_exception"
    with pytest.raises(NotFoundError) as no_policy:
        ism_api.add_policy(names[0], body={"policy_id": "no-such-policy"})
    assert no_policy.value.info["error"]["reason"] == "Could not find policy=no-such-policy"
    assert ism_api.add_policy(f"none-{tag}-*", body={"policy_id": "no-such-policy"}) == {
        "updated_indices": 0, "failures": False, "failed_indices": []}
    with pytest.raises(RequestError) as no_id:
        ism_api.add_policy(names[0], body={})
    assert no_id.value.info["error"]["reason"] == "Missing policy_id"

    lone = f"lone-{tag}"
    client.indices.create(index=lone)
    explained = ism_api.explain_index(f"{pattern},{names[2]},{lone}")
    assert explained[names[0]] == {
        "index.plugins.index_state_management.policy_id": policy_id,
        "index.opendistro.index_state_management.policy_id": policy_id,
        "index": names[0], "index_uuid": _uuid(client, names[0]), "policy_id": policy_id,
        "enabled": True}
    assert explained[lone] == {
        "index.plugins.index_state_management.policy_id": None,
        "index.opendistro.index_state_management.policy_id": None, "enabled": None}
    assert explained["total_managed_indices"] == 3  # names[2] was added above
    with_policy = http.get(f"/_plugins/_ism/explain/{names[0]}",
                           params={"show_policy": "true"}).json()
    assert list(with_policy[names[0]])[-2:] == ["enabled", "policy"]
    assert with_policy[names[0]]["policy"]["policy_id"] == policy_id
    everything = http.get("/_opendistro/_ism/explain", params={
        "queryString": f"*-{tag}*", "sortOrder": "desc", "size": 2}).json()
    assert list(everything) == [names[2], names[1], "total_managed_indices"]
    assert everything["total_managed_indices"] == 3

    assert ism_api.remove_policy_from_index(names[0]) == {
        "updated_indices": 1, "failures": False, "failed_indices": []}
    settings = client.indices.get_settings(index=names[0])[names[0]]["settings"]["index"]
    assert settings["plugins"]["index_state_management"]["auto_manage"] == "false"
    removed = ism_api.remove_policy_from_index(f"{pattern}")
    assert removed["updated_indices"] == 1
    assert removed["failed_indices"] == [{
        "index_name": names[0], "index_uuid": _uuid(client, names[0]),
        "reason": "This index does not have a policy to remove"}]
    assert ism_api.explain_index(names[0])["total_managed_indices"] == 0

    client.indices.close(index=names[2])
    closed = ism_api.remove_policy_from_index(names[2])
    assert closed["failed_indices"][0]["reason"] == "This index is closed"


def test_change_policy_is_recorded_for_the_runner(ism: Server, client: OpenSearch) -> None:
    ism_api = client.plugins.index_management
    old, new = _id("old"), _id("new")
    ism_api.put_policy(old, body=documented_policy())
    ism_api.put_policy(new, body=documented_policy("new"))
    fresh, ingesting, searching, unmanaged = (_id("chg") for _ in range(4))
    for name in (fresh, ingesting, searching, unmanaged):
        client.indices.create(index=name)
    for name in (fresh, ingesting, searching):
        ism_api.add_policy(name, body={"policy_id": old})
    _edit(ism, _uuid(client, ingesting), state={"name": "ingest", "start_time": 1})
    _edit(ism, _uuid(client, searching), state={"name": "search", "start_time": 1})

    answer = ism_api.change_policy(",".join((fresh, ingesting, searching, unmanaged)), body={
        "policy_id": new, "include": [{"state": "ingest"}]})
    assert answer == {"updated_indices": 2, "failures": True, "failed_indices": [{
        "index_name": unmanaged, "index_uuid": _uuid(client, unmanaged),
        "reason": "This index is not being managed"}]}
    store = _store(ism)
    try:
        changes = {name: store.managed(_uuid(client, name)).change_policy  # type: ignore
                   for name in (fresh, ingesting, searching)}
    finally:
        store.metastore.close()
    # same actions in the current state: safe to switch at once; not initialized: too
    assert changes[ingesting] == {"policy_id": new, "state": None,
                                  "include": [{"state": "ingest"}], "is_safe": True}
    assert changes[fresh] is not None and changes[fresh]["is_safe"] is True
    assert changes[searching] is None  # not in an included state
    to_state = ism_api.change_policy(searching, body={"policy_id": new, "state": "delete"})
    assert to_state["updated_indices"] == 1
    with pytest.raises(NotFoundError) as missing:
        ism_api.change_policy(searching, body={"policy_id": "nope"})
    assert missing.value.info["error"]["reason"] == "Could not find policy=nope"
    with pytest.raises(RequestError) as bad:
        ism_api.change_policy(searching, body={"policy_id": new, "states": []})
    assert bad.value.info["error"]["reason"] == "Invalid field: [states] found in ChangePolicy."
    _edit(ism, _uuid(client, ingesting), transition_to="search")
    moving = ism_api.change_policy(ingesting, body={"policy_id": new})
    assert moving["failed_indices"][0]["reason"] == \
        "Cannot change policy while transitioning to new state"


def test_retry_and_explain_of_a_failed_index(ism: Server, client: OpenSearch,
                                              http: httpx.Client) -> None:
    ism_api = client.plugins.index_management
    policy_id = _id("retry")
    ism_api.put_policy(policy_id, body=documented_policy())
    failing, fresh, running, unmanaged = (_id("rt") for _ in range(4))
    for name in (failing, fresh, running, unmanaged):
        client.indices.create(index=name)
    for name in (failing, fresh, running):
        ism_api.add_policy(name, body={"policy_id": policy_id})
    started = {"name": "ingest", "start_time": 1700000000000}
    action = {"name": "rollover", "start_time": 1700000000001, "index": 0, "failed": True,
              "consumed_retries": 3, "last_retry_time": 1700000000500}
    step = {"name": "attempt_rollover", "start_time": 1700000000001, "step_status": "failed"}
    _edit(ism, _uuid(client, failing), state=started, action=action, step=step,
          retry_info={"failed": True, "consumed_retries": 3}, enabled=False,
          info={"message": "Missing rollover_alias index setting [index=x]"})
    _edit(ism, _uuid(client, running), state=started,
          action={**action, "failed": False, "consumed_retries": 0},
          step={**step, "step_status": "starting"},
          info={"message": "Currently checking rollover conditions"})

    explained = http.get(f"/_plugins/_ism/explain/{failing}",
                         params={"validate_action": "true"}).json()[failing]
    assert list(explained) == [
        "index.plugins.index_state_management.policy_id",
        "index.opendistro.index_state_management.policy_id", "index", "index_uuid",
        "policy_id", "policy_seq_no", "policy_primary_term", "rolled_over",
        "index_creation_date", "state", "action", "step", "retry_info", "info", "enabled",
        "validate"]
    assert explained["enabled"] is False and explained["rolled_over"] is False
    assert explained["action"] == action and explained["step"] == step
    assert explained["validate"] == {
        "validation_message": f"Missing rollover_alias index setting [index={failing}]",
        "validation_status": "re_validating"}
    filtered = http.post(f"/_plugins/_ism/explain/{failing},{running},{fresh}",
                         json={"filter": {"failed": True}}).json()
    assert set(filtered) == {failing, fresh, "total_managed_indices"}
    assert filtered["total_managed_indices"] == 2

    answer = ism_api.retry(",".join((failing, fresh, running, unmanaged)),
                           body={"state": "search"})
    reasons = {f["index_name"]: f["reason"] for f in answer["failed_indices"]}
    assert answer["updated_indices"] == 1
    assert reasons == {fresh: "This index has no metadata information",
                       running: "This index is not in failed state.",
                       unmanaged: "This index is not being managed."}
    after = ism_api.explain_index(failing)[failing]
    assert after["enabled"] is True
    assert after["transition_to"] == "search"
    assert "state" not in after and "action" not in after
    assert after["retry_info"] == {"failed": False, "consumed_retries": 0}
    assert after["info"] == {"message": "Pending retry of failed managed index"}
    assert ism_api.retry(failing)["failed_indices"][0]["reason"] == \
        "This index is not in failed state."


def test_ism_template_attaches_the_highest_priority_policy(client: OpenSearch,
                                                          http: httpx.Client) -> None:
    ism_api = client.plugins.index_management
    tag = uuid.uuid4().hex[:6]
    broad, narrow = _id("broad"), _id("narrow")
    ism_api.put_policy(broad, body={"policy": {
        **documented_policy()["policy"],
        "ism_template": [{"index_patterns": [f"app-{tag}-*", f"-app-{tag}-tmp*"],
                          "priority": 10}]}})
    ism_api.put_policy(narrow, body={"policy": {
        **documented_policy()["policy"],
        "ism_template": {"index_patterns": [f"app-{tag}-prod-*"], "priority": 50}}})
    overlapping = http.put(f"/_plugins/_ism/policies/{_id('clash')}", json={"policy": {
        **documented_policy()["policy"],
        "ism_template": {"index_patterns": [f"app-{tag}-prod-eu*"], "priority": 50}}})
    assert overlapping.status_code == 400
    assert overlapping.json()["error"]["type"] == "index_management_exception"
    assert overlapping.json()["error"]["reason"].endswith(
        "matching existing policy templates, please use a different priority than 50")
    time.sleep(0.01)  # templates attach to indices created after their last update

    expected = {f"app-{tag}-prod-1": narrow, f"app-{tag}-dev-1": broad,
                f"app-{tag}-tmp-1": None, f"other-{tag}": None}
    for name in expected:
        client.indices.create(index=name)
    client.indices.create(index=f"app-{tag}-hidden", body={"settings": {"index.hidden": True}})
    client.indices.create(index=f"app-{tag}-manual", body={"settings": {
        "index.plugins.index_state_management.auto_manage": False}})
    expected[f"app-{tag}-hidden"] = expected[f"app-{tag}-manual"] = None
    explained = http.get(f"/_plugins/_ism/explain/{','.join(expected)}").json()
    assert {name: explained[name]["index.plugins.index_state_management.policy_id"]
            for name in expected} == expected
    assert explained["total_managed_indices"] == 2

    # a template updated after an index was created does not reach that index
    late = f"late-{tag}"
    client.indices.create(index=late)
    time.sleep(0.01)
    ism_api.put_policy(_id("late"), body={"policy": {
        **documented_policy()["policy"],
        "ism_template": {"index_patterns": [f"late-{tag}*"], "priority": 1}}})
    client.indices.create(index=f"{late}-2")
    explained = ism_api.explain_index(f"{late}*")
    assert explained[late]["index.plugins.index_state_management.policy_id"] is None
    assert explained[f"{late}-2"]["index.plugins.index_state_management.policy_id"]


def test_policy_size_is_bounded(http: httpx.Client) -> None:
    """An index pattern longer than an index name (255 bytes) and more states, actions or
    templates than any policy needs are refused with a 400 before any work on them; the
    longest patterns are still checked against the others' quickly."""
    base = documented_policy()["policy"]
    long_pattern = "a*" * 127 + "b"  # 255 bytes
    bodies = {
        "pattern": {**base, "ism_template": {"index_patterns": [long_pattern + "c"]}},
        "states": {**base, "default_state": "s0", "states": [
            {"name": f"s{n}", "actions": [], "transitions": []} for n in range(101)]},
        "actions": {**base, "default_state": "s", "states": [
            {"name": "s", "actions": [{"read_only": {}}] * 51, "transitions": []}]},
        "templates": {**base, "ism_template": [
            {"index_patterns": [f"t{n}-*"], "priority": n} for n in range(21)]}}
    for what, body in bodies.items():
        refused = http.put(f"/_plugins/_ism/policies/{_id('big')}", json={"policy": body})
        assert refused.status_code == 400, (what, refused.text)
        assert refused.json()["error"]["type"] == "illegal_argument_exception", what
    tag = uuid.uuid4().hex[:6]
    for number in range(2):
        created = http.put(f"/_plugins/_ism/policies/{_id('long')}", json={"policy": {
            **base, "ism_template": {"index_patterns": [f"{tag}{long_pattern[:-7]}"],
                                     "priority": number}}})
        assert created.status_code == 201, created.text
    clash = http.put(f"/_plugins/_ism/policies/{_id('long')}", json={"policy": {
        **base, "ism_template": {"index_patterns": [f"{tag}*b"], "priority": 1}}})
    assert clash.status_code == 400
    assert clash.json()["error"]["reason"].endswith(
        "matching existing policy templates, please use a different priority than 1")


def test_cron_transition_without_a_date_is_400(http: httpx.Client) -> None:
    body = documented_policy()["policy"]
    body["states"][0]["transitions"] = [{"state_name": "search", "conditions": {
        "cron": {"cron": {"expression": "0 0 30 2 *", "timezone": "UTC"}}}}]
    refused = http.put(f"/_plugins/_ism/policies/{_id('never')}", json={"policy": body})
    assert refused.status_code == 400, refused.text
    assert refused.json()["error"]["reason"] == "Invalid cron expression [0 0 30 2 *]"


def test_ism_template_skips_hidden_and_dot_indices(client: OpenSearch) -> None:
    """OpenSearch manages a hidden or dot-prefixed index by template only as a data stream's
    backing index: a pattern that names a dot index does not attach it."""
    ism_api = client.plugins.index_management
    tag, policy_id = uuid.uuid4().hex[:6], _id("dots")
    ism_api.put_policy(policy_id, body={"policy": {
        **documented_policy()["policy"],
        "ism_template": {"index_patterns": [f".dot-{tag}*", f"vis-{tag}*"], "priority": 3}}})
    time.sleep(0.01)  # templates attach to indices created after their last update
    client.indices.create(index=f".dot-{tag}-1")
    client.indices.create(index=f"vis-{tag}-hidden", body={"settings": {"index.hidden": True}})
    client.indices.create(index=f"vis-{tag}-1")
    explained = ism_api.explain_index(f".dot-{tag}-1,vis-{tag}-hidden,vis-{tag}-1")
    assert {name: explained[name]["index.plugins.index_state_management.policy_id"]
            for name in (f".dot-{tag}-1", f"vis-{tag}-hidden", f"vis-{tag}-1")} == {
        f".dot-{tag}-1": None, f"vis-{tag}-hidden": None, f"vis-{tag}-1": policy_id}


def test_ism_index_settings(client: OpenSearch, http: httpx.Client) -> None:
    name = _id("settings")
    client.indices.create(index=name, body={"settings": {
        "index.plugins.index_state_management.rollover_alias": "logs",
        "index.opendistro.index_state_management.rollover_skip": "false"}})
    settings = client.indices.get_settings(index=name)[name]["settings"]["index"]
    assert settings["plugins"]["index_state_management"]["rollover_alias"] == "logs"
    assert settings["opendistro"]["index_state_management"]["rollover_skip"] == "false"
    bad = http.put(f"/{name}/_settings", json={
        "index.plugins.index_state_management.auto_manage": "sometimes"})
    assert bad.status_code == 400
    assert bad.json()["error"]["reason"] == \
        "Failed to parse value [sometimes] as only [true] or [false] are allowed."
    unknown = http.put(f"/{name}/_settings", json={
        "index.plugins.index_state_management.rollover_alias_name": "x"})
    assert unknown.status_code == 400
    assert unknown.json()["error"]["reason"].startswith(
        "unknown setting [index.plugins.index_state_management.rollover_alias_name]")


def test_records_survive_a_restart(tmp_path: Path) -> None:
    """Policies, their sequence numbers and managed indices are in the metastore."""
    server = Server(tmp_path / "data", env={"LOGHAVEN_ISM_JOB_INTERVAL": "1h"}).start()
    try:
        client = OpenSearch(server.url, timeout=30)
        first = client.plugins.index_management.put_policy("kept", body=documented_policy())
        client.indices.create(index="kept-index")
        client.plugins.index_management.add_policy("kept-index", body={"policy_id": "kept"})
        server.kill()
        server.start()
        got = client.plugins.index_management.get_policy("kept")
        assert (got["_seq_no"], got["_version"]) == (first["_seq_no"], 1)
        with pytest.raises(ConflictError):
            client.plugins.index_management.put_policy("kept", body=documented_policy(),
                                                       params={"if_seq_no": 99,
                                                               "if_primary_term": 1})
        assert client.plugins.index_management.explain_index("kept-index")[
            "total_managed_indices"] == 1
    finally:
        server.stop()
