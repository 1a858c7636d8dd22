"""Snapshot management policies through opensearch-py's ``sm`` client: OpenSearch's response
shapes, seq_no concurrency, search parameters, explain, start/stop and the errors."""

from __future__ import annotations

import contextlib
import copy
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from opensearchpy import OpenSearch
from opensearchpy.exceptions import ConflictError, NotFoundError, RequestError

POLICY: dict[str, Any] = {
    "description": "Daily snapshot policy",
    "creation": {"schedule": {"cron": {"expression": "0 8 * * *", "timezone": "UTC"}},
                 "time_limit": "1h"},
    "deletion": {"schedule": {"cron": {"expression": "0 1 * * *",
                                       "timezone": "America/Los_Angeles"}},
                 "condition": {"max_age": "7d", "max_count": 21, "min_count": 7},
                 "time_limit": "1h"},
    "snapshot_config": {"date_format": "yyyy-MM-dd-HH:mm", "timezone": "America/Los_Angeles",
                        "indices": "*", "repository": "s3-repo", "ignore_unavailable": "true",
                        "include_global_state": "false", "partial": "true",
                        "metadata": {"any_key": "any_value"}},
    "notification": {"channel": {"id": "NC3OpoEBzEoHMX183R3f"},
                     "conditions": {"creation": True, "deletion": False, "failure": False,
                                    "time_limit_exceeded": False}},
}


@pytest.fixture
def client(server: Any) -> Iterator[OpenSearch]:
    opensearch = OpenSearch(server.url, timeout=30)
    yield opensearch
    opensearch.close()


@pytest.fixture
def name(client: OpenSearch) -> Iterator[str]:
    policy_name = f"daily-{uuid.uuid4().hex[:8]}"
    yield policy_name
    with contextlib.suppress(NotFoundError):
        client.sm.delete_policy(policy_name=policy_name)


def error_of(exc: pytest.ExceptionInfo[Any]) -> dict[str, Any]:
    return exc.value.info["error"]


def test_create_get_and_the_response_shape(client: OpenSearch, name: str) -> None:
    created = client.sm.create_policy(policy_name=name, body=POLICY)
    assert created["_id"] == f"{name}-sm-policy"
    assert created["_version"] == 1 and created["_primary_term"] == 1
    policy = created["sm_policy"]
    assert policy["name"] == name and policy["enabled"] is True
    assert policy["creation"] == POLICY["creation"]
    assert policy["deletion"] == POLICY["deletion"]
    assert policy["snapshot_config"] == POLICY["snapshot_config"]
    assert policy["notification"] == POLICY["notification"]
    assert policy["schedule"]["interval"]["unit"] == "Minutes"
    assert policy["enabled_time"] == policy["last_updated_time"]
    got = client.sm.get_policy(policy_name=name)
    assert got == {**created}
    with pytest.raises(ConflictError) as exc:
        client.sm.create_policy(policy_name=name, body=POLICY)
    assert error_of(exc)["type"] == "version_conflict_engine_exception"
    assert error_of(exc)["reason"] == (f"[{name}-sm-policy]: version conflict, document "
                                       "already exists (current version [1])")


def test_defaults_a_deletion_schedule_and_notification_conditions(client: OpenSearch,
                                                                  name: str) -> None:
    body = {"creation": POLICY["creation"], "deletion": {"condition": {"max_count": 3}},
            "snapshot_config": {"repository": "repo"},
            "notification": {"channel": {"id": "abc"}}}
    policy = client.sm.create_policy(policy_name=name, body=body)["sm_policy"]
    assert policy["deletion"]["schedule"] == POLICY["creation"]["schedule"]
    assert policy["deletion"]["condition"] == {"min_count": 1, "max_count": 3}
    assert policy["notification"]["conditions"] == {
        "creation": True, "deletion": False, "failure": False, "time_limit_exceeded": False}


def test_update_needs_the_current_seq_no(client: OpenSearch, name: str) -> None:
    created = client.sm.create_policy(policy_name=name, body=POLICY)
    changed = copy.deepcopy(POLICY)
    changed["description"] = "changed"
    with pytest.raises(ConflictError) as exc:
        client.sm.update_policy(policy_name=name, body=changed, params={
            "if_seq_no": created["_seq_no"] + 100, "if_primary_term": 1})
    assert error_of(exc)["reason"] == (
        f"[{name}-sm-policy]: version conflict, required seqNo [{created['_seq_no'] + 100}], "
        f"primary term [1]. current document has seqNo [{created['_seq_no']}] and primary "
        "term [1]")
    updated = client.sm.update_policy(policy_name=name, body=changed, params={
        "if_seq_no": created["_seq_no"], "if_primary_term": 1})
    assert updated["_version"] == 2 and updated["_seq_no"] > created["_seq_no"]
    assert client.sm.get_policy(policy_name=name)["sm_policy"]["description"] == "changed"
    with pytest.raises(ConflictError) as exc:
        client.sm.update_policy(policy_name=f"{name}-none", body=changed,
                                params={"if_seq_no": 0, "if_primary_term": 1})
    assert error_of(exc)["reason"].endswith("but no document was found")


def test_put_without_seq_no_is_refused(client: OpenSearch, name: str) -> None:
    """A PUT is an update: without both ``if_seq_no`` and ``if_primary_term`` OpenSearch's
    validation refuses it, whether the policy exists or not."""
    client.sm.create_policy(policy_name=name, body=POLICY)
    for target, params in ((name, {}), (name, {"if_seq_no": 0}),
                           (name, {"if_primary_term": 1}), (f"{name}-none", {})):
        with pytest.raises(RequestError) as exc:
            client.sm.update_policy(policy_name=target, body=POLICY, params=params)
        assert exc.value.status_code == 400
        assert error_of(exc)["type"] == "action_request_validation_exception"
        assert error_of(exc)["reason"] == (
            "Validation Failed: 1: Sequence number and primary term must be provided when "
            "updating a snapshot management policy;")
    with pytest.raises(NotFoundError):
        client.sm.get_policy(policy_name=f"{name}-none")
    assert client.sm.get_policy(policy_name=name)["_version"] == 1


def test_cron_without_a_date_and_object_sort_field_are_400(client: OpenSearch,
                                                           name: str) -> None:
    """A cron expression that parses but matches no date (February 30th) is refused at
    parse, not when the scheduler first needs its next time; sorting on an object is a 400."""
    never = copy.deepcopy(POLICY)
    never["creation"]["schedule"]["cron"]["expression"] = "0 0 30 2 *"
    with pytest.raises(RequestError) as exc:
        client.sm.create_policy(policy_name=name, body=never)
    assert error_of(exc)["reason"] == "invalid cron expression [0 0 30 2 *]: it matches no date"
    client.sm.create_policy(policy_name=name, body=POLICY)
    with pytest.raises(RequestError) as exc:
        client.sm.get_policies(params={"sortField": "sm_policy.creation"})
    assert error_of(exc)["reason"] == \
        "No mapping found for [sm_policy.creation] in order to sort on"
    assert client.sm.get_policies(params={"sortField": "sm_policy.name"})["total_policies"] >= 1


@pytest.mark.parametrize(("body", "reason"), [
    ({"creation": POLICY["creation"]}, "snapshot_config field must not be null"),
    ({"creation": POLICY["creation"], "snapshot_config": {"indices": "*"}},
     "Must provide the repository in snapshot config."),
    ({"snapshot_config": {"repository": "r"}},
     "Must provide either creation or deletion configuration."),
    ({"creation": {}, "snapshot_config": {"repository": "r"}},
     "schedule field must not be null"),
    ({"deletion": {"condition": {"max_count": 3}}, "snapshot_config": {"repository": "r"}},
     "Schedule not provided for neither deletion policy nor creation policy"),
    ({"creation": POLICY["creation"], "deletion": {"condition": {"min_count": 2}},
      "snapshot_config": {"repository": "r"}}, "Please provide max_age or max_count."),
    ({"creation": POLICY["creation"], "deletion": {"condition": {"max_count": 3,
                                                                 "min_count": 0}},
      "snapshot_config": {"repository": "r"}}, "min_count should be bigger than 0."),
    ({"creation": POLICY["creation"], "deletion": {"condition": {"max_count": 3,
                                                                 "min_count": 3}},
      "snapshot_config": {"repository": "r"}}, "max_count should be bigger than min_count."),
    ({"creation": POLICY["creation"], "deletion": {},
      "snapshot_config": {"repository": "r"}}, "condition must not be null."),
    ({"creation": {"schedule": {"cron": {"expression": "not a cron", "timezone": "UTC"}}},
      "snapshot_config": {"repository": "r"}}, "invalid cron expression [not a cron]"),
    ({"creation": {"schedule": {"cron": {"expression": "0 8 * * *", "timezone": "Mars/Base"}}},
      "snapshot_config": {"repository": "r"}}, "unknown time zone [Mars/Base]"),
    ({"creation": POLICY["creation"], "snapshot_config": {"repository": "r"},
      "notification": {"conditions": {}}},
     "Snapshot Management notification channel must not be null"),
    ({"creation": POLICY["creation"], "snapshot_config": {"repository": "r"},
      "notification": {"channel": {"id": "x"}, "conditions": {"sometimes": True}}},
     "Invalid field: [sometimes] found in conditions."),
])
def test_bodies_refused_with_sm_messages(client: OpenSearch, name: str, body: dict[str, Any],
                                         reason: str) -> None:
    with pytest.raises(RequestError) as exc:
        client.sm.create_policy(policy_name=name, body=body)
    assert error_of(exc)["type"] == "illegal_argument_exception"
    assert error_of(exc)["reason"] == reason
    with pytest.raises(NotFoundError):
        client.sm.get_policy(policy_name=name)


def test_policy_names_checked(client: OpenSearch) -> None:
    with pytest.raises(RequestError) as exc:
        client.sm.create_policy(policy_name="_Bad#name", body=POLICY)
    assert error_of(exc)["reason"] == ("Policy name must not contain '#'.\n"
                                       "Policy name must not start with '_'.\n"
                                       "Policy name must be lowercase.")


def test_missing_policies_are_sm_404s(client: OpenSearch) -> None:
    for call in (client.sm.get_policy, client.sm.delete_policy, client.sm.start_policy,
                 client.sm.stop_policy):
        with pytest.raises(NotFoundError) as exc:
            call(policy_name="no-such-policy")
        assert error_of(exc) == {
            "root_cause": [{"type": "status_exception",
                            "reason": "Snapshot management policy not found"}],
            "type": "status_exception", "reason": "Snapshot management policy not found"}


def test_search_pages_sorts_and_filters(client: OpenSearch) -> None:
    prefix = f"list-{uuid.uuid4().hex[:6]}"
    names = [f"{prefix}-{letter}" for letter in "cab"]
    for policy_name in names:
        client.sm.create_policy(policy_name=policy_name, body=POLICY)
    try:
        listed = client.sm.get_policies(params={"queryString": f"{prefix}*"})
        assert listed["total_policies"] == 3
        assert [p["sm_policy"]["name"] for p in listed["policies"]] == sorted(names)
        assert set(listed["policies"][0]) == {"_id", "_seq_no", "_primary_term", "sm_policy"}
        page = client.sm.get_policies(params={"queryString": f"{prefix}*", "from_": 1,
                                              "size": 1, "sortOrder": "desc"})
        assert page["total_policies"] == 3
        assert [p["sm_policy"]["name"] for p in page["policies"]] == [f"{prefix}-b"]
        exact = client.sm.get_policies(params={"queryString": f"{prefix}-a"})
        assert [p["sm_policy"]["name"] for p in exact["policies"]] == [f"{prefix}-a"]
        with pytest.raises(RequestError):
            client.sm.get_policies(params={"sortOrder": "sideways"})
    finally:
        for policy_name in names:
            client.sm.delete_policy(policy_name=policy_name)


def test_delete_answers_as_a_document_delete(client: OpenSearch, name: str) -> None:
    created = client.sm.create_policy(policy_name=name, body=POLICY)
    deleted = client.sm.delete_policy(policy_name=name)
    assert deleted["result"] == "deleted" and deleted["_id"] == f"{name}-sm-policy"
    assert deleted["_index"] == ".opendistro-ism-config"
    assert deleted["_version"] == 2 and deleted["_seq_no"] > created["_seq_no"]
    with pytest.raises(NotFoundError):
        client.sm.get_policy(policy_name=name)
    assert client.sm.explain_policy(policy_name=name) == {"policies": []}


def test_explain_start_and_stop(client: OpenSearch, name: str) -> None:
    created = client.sm.create_policy(policy_name=name, body=POLICY)
    explained = client.sm.explain_policy(policy_name=f"{name[:-2]}*,other")["policies"]
    assert [p["name"] for p in explained] == [name]
    entry = explained[0]
    assert entry["enabled"] is True
    assert entry["policy_seq_no"] == created["_seq_no"] and entry["policy_primary_term"] == 1
    assert entry["creation"]["current_state"] == "CREATION_START"
    assert entry["deletion"]["current_state"] == "DELETION_START"
    # the next 08:00 UTC, as the cron says
    assert entry["creation"]["trigger"]["time"] % 86_400_000 == 8 * 3_600_000
    assert client.sm.stop_policy(policy_name=name) == {"acknowledged": True}
    stopped = client.sm.get_policy(policy_name=name)
    assert stopped["sm_policy"]["enabled"] is False
    assert stopped["sm_policy"]["enabled_time"] is None
    assert client.sm.explain_policy(policy_name=name)["policies"][0]["enabled"] is False
    assert client.sm.stop_policy(policy_name=name) == {"acknowledged": True}
    assert client.sm.start_policy(policy_name=name) == {"acknowledged": True}
    started = client.sm.get_policy(policy_name=name)["sm_policy"]
    assert started["enabled"] is True and started["enabled_time"] is not None
    assert client.sm.explain_policy(policy_name=name)["policies"][0]["enabled"] is True


def test_policy_jobs_follow_start_and_stop(client: OpenSearch, name: str, es: Any) -> None:
    """Each enabled policy's workflows are durable scheduler jobs; stopping removes them."""
    client.sm.create_policy(policy_name=name, body=POLICY)

    def jobs() -> set[str]:
        listed = es.get("/_nodes/stats").json()
        node = next(iter(listed["nodes"].values()))
        return {job for job in node.get("scheduler", {}).get("job", {}) if name in job}

    assert jobs() == {f"sm-policy.{name}.creation", f"sm-policy.{name}.deletion"}
    client.sm.stop_policy(policy_name=name)
    assert jobs() == set()
    client.sm.start_policy(policy_name=name)
    assert len(jobs()) == 2
