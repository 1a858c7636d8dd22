"""Role and action group bodies as OpenSearch's security REST API validates them
(security/validation.py): the normalised body stored, and OpenSearch's 400 bodies."""

from __future__ import annotations

from typing import Any

import pytest

from loghaven.security.validation import (
    InvalidSecurityConfig,
    validate_action_group,
    validate_role,
)


def test_a_role_is_normalised_to_the_rest_shape() -> None:
    role = validate_role({
        "description": "team A readers",
        "cluster_permissions": ["cluster_composite_ops_ro"],
        "index_permissions": [{"index_patterns": ["logs-a-*"], "allowed_actions": ["read"],
                               "dls": '{"term": {"team": "${user.name}"}}'}],
        "tenant_permissions": [{"tenant_patterns": ["a"], "allowed_actions": ["kibana_all_read"]}],
    })
    assert role == {
        "reserved": False, "hidden": False, "description": "team A readers",
        "cluster_permissions": ["cluster_composite_ops_ro"],
        "index_permissions": [{"index_patterns": ["logs-a-*"],
                               "dls": '{"term": {"team": "${user.name}"}}', "fls": [],
                               "masked_fields": [], "allowed_actions": ["read"]}],
        "tenant_permissions": [{"tenant_patterns": ["a"], "allowed_actions": ["kibana_all_read"]}],
        "static": False}
    assert validate_role({"cluster_permissions": []}) == {
        "reserved": False, "hidden": False, "cluster_permissions": [], "index_permissions": [],
        "tenant_permissions": [], "static": False}


def rejected(check: Any, body: Any, *args: Any, **kwargs: Any) -> tuple[int, dict]:
    with pytest.raises(InvalidSecurityConfig) as raised:
        check(body, *args, **kwargs)
    return raised.value.status, raised.value.to_body()


ROLE_ERRORS = [
    ({}, {"status": "error", "reason": "Request body required for this action."}),
    ([1], {"status": "error", "reason": "Could not parse content of request."}),
    ({"unknown_json_property": ["a"], "cluster_permissions": ["a"]},
     {"status": "error", "reason": "Invalid configuration",
      "invalid_keys": {"keys": "unknown_json_property"}}),
    ({"static": True}, {"status": "error", "reason": "Invalid configuration",
                        "invalid_keys": {"keys": "static"}}),
    # Only an administrator with the node's certificate may set these.
    ({"reserved": True, "cluster_permissions": []},
     {"status": "error", "reason": "Invalid configuration", "invalid_keys": {"keys": "reserved"}}),
    ({"cluster_permissions": "a", "index_permissions": "b"},
     {"status": "error", "reason": "Wrong datatype", "cluster_permissions": "Array expected",
      "index_permissions": "Array expected"}),
    ({"description": 1}, {"status": "error", "reason": "Wrong datatype",
                          "description": "String expected"}),
    ({"cluster_permissions": [1]}, {"status": "error", "reason": "Wrong datatype",
                                    "cluster_permissions": "Array of strings expected"}),
    ({"cluster_permissions": ["a", None]},
     {"status": "error", "reason": "`null` or blank values are not allowed as json array elements"}),
    ({"index_permissions": [{"index_patterns": [" "], "allowed_actions": ["read"]}]},
     {"status": "error", "reason": "`null` or blank values are not allowed as json array elements"}),
    ({"index_permissions": [{"index_patterns": ["a"], "actions": ["read"]}]},
     {"status": "error", "reason": "Invalid configuration",
      "invalid_keys": {"keys": "index_permissions.actions"}}),
    ({"index_permissions": ["logs"]},
     {"status": "error", "reason": "Wrong datatype", "index_permissions": "Object expected"}),
    ({"index_permissions": [{"index_patterns": "logs"}]},
     {"status": "error", "reason": "Wrong datatype",
      "index_permissions.index_patterns": "Array expected"}),
    ({"index_permissions": [{"index_patterns": ["a"], "dls": {"term": {"a": 1}}}]},
     {"status": "error", "reason": "Wrong datatype", "index_permissions.dls": "String expected"}),
    ({"tenant_permissions": [{"tenant_patterns": ["a"], "allowed": ["x"]}]},
     {"status": "error", "reason": "Invalid configuration",
      "invalid_keys": {"keys": "tenant_permissions.allowed"}}),
    ({"index_permissions": [{"index_patterns": ["a"], "masked_fields": ["ip::NOPE"]}]},
     {"status": "error", "reason": "Wrong datatype",
      "Masked field not valid: ip::NOPE": "Invalid algorithm NOPE"}),
    ({"index_permissions": [{"index_patterns": ["a"], "masked_fields": ["ip::a::b::c"]}]},
     {"status": "error", "reason": "Wrong datatype",
      "Masked field not valid: ip::a::b::c": (
          "A field masking expression must have the form 'field_name', 'field_name::algorithm', "
          "'field_name::regex::replacement' or 'field_name::(regex::replacement)+'")}),
    ({"index_permissions": [{"index_patterns": ["a"], "masked_fields": ["ip::a::b"]}]},
     {"status": "error", "reason": "Wrong datatype",
      "Masked field not valid: ip::a::b": "A regular expression needs to be wrapped in /.../"}),
    ({"index_permissions": [{"index_patterns": ["a"], "dls": '{"term": '}]},
     {"status": "BAD_REQUEST", "message": 'Invalid DLS query: {"term": '}),
]


@pytest.mark.parametrize(("body", "expected"), ROLE_ERRORS)
def test_role_bodies_opensearch_refuses(body: Any, expected: dict) -> None:
    assert rejected(validate_role, body) == (400, expected)


def test_accepted_role_details() -> None:
    role = validate_role({"index_permissions": [{
        "index_patterns": ["/logs-\\d+/"], "fls": ["~secret", "msg*"],
        "masked_fields": ["ip", "email::sha-256", "card::/\\d{12}/::XXXX"],
        "dls": '{"terms": {"team": [${user.roles}]}}', "allowed_actions": ["read"]}]})
    assert role["index_permissions"][0]["masked_fields"][2] == "card::/\\d{12}/::XXXX"
    flagged = validate_role({"reserved": "true", "hidden": False, "cluster_permissions": []},
                            allow_flags=True)
    assert flagged["reserved"] is True and flagged["hidden"] is False


def test_a_refusal_is_a_400_in_opensearchs_body() -> None:
    with pytest.raises(InvalidSecurityConfig) as raised:
        validate_role({"nope": 1})
    error = raised.value
    assert error.status == 400 and error.headers == {}
    assert error.to_body()["status"] == "error"
    assert "error" not in error.to_body()  # not Elasticsearch's error object


def test_an_action_group_is_normalised_to_the_rest_shape() -> None:
    assert validate_action_group({"allowed_actions": ["indices:data/read/*", "indices_monitor"],
                                  "type": "index", "description": "readers"}, "my_group") == {
        "reserved": False, "hidden": False,
        "allowed_actions": ["indices:data/read/*", "indices_monitor"], "type": "index",
        "description": "readers", "static": False}
    assert validate_action_group({"allowed_actions": []}) == {
        "reserved": False, "hidden": False, "allowed_actions": [], "static": False}


GROUP_ERRORS = [
    ({"description": "x"}, {"status": "error", "reason": "Invalid configuration",
                            "missing_mandatory_keys": {"keys": "allowed_actions"}}),
    ({"allowed_actions": ["a"], "other": 1},
     {"status": "error", "reason": "Invalid configuration", "invalid_keys": {"keys": "other"}}),
    ({"allowed_actions": "a"}, {"status": "error", "reason": "Wrong datatype",
                                "allowed_actions": "Array expected"}),
    ({"allowed_actions": [""]},
     {"status": "error", "reason": "`null` or blank values are not allowed as json array elements"}),
    ({"allowed_actions": ["a"], "type": "tenant"},
     {"status": "BAD_REQUEST",
      "message": "Invalid action group type: tenant. Supported types are: cluster, index."}),
    ({"allowed_actions": ["a", "my_group"]},
     {"status": "BAD_REQUEST", "message": "my_group cannot be an allowed_action of itself"}),
]


@pytest.mark.parametrize(("body", "expected"), GROUP_ERRORS)
def test_action_group_bodies_opensearch_refuses(body: Any, expected: dict) -> None:
    assert rejected(validate_action_group, body, "my_group") == (400, expected)
