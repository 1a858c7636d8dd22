"""Elasticsearch role descriptors (an API key's ``role_descriptors``) in the role model
(security/descriptors.py): what each named privilege grants, and the descriptors
Elasticsearch refuses."""

from __future__ import annotations

from typing import Any

import pytest

from loghaven.errors import IllegalArgument, LoghavenError, ParseFailure
from loghaven.security.builtin import STATIC_ACTION_GROUPS, STATIC_ROLES
from loghaven.security.descriptors import role_from_descriptor, roles_from_descriptors
from loghaven.security.privileges import RolePrivileges
from loghaven.security.subject import IndexRules
from loghaven.security.validation import validate_role


def key_privileges(descriptors: dict[str, Any], user: str = "bob") -> RolePrivileges:
    return RolePrivileges(roles_from_descriptors(descriptors), STATIC_ACTION_GROUPS, user)


#: (cluster privileges, action, allowed)
CLUSTER = [
    (["all"], "cluster:admin/settings/update", True),
    (["all"], "indices:admin/template/put", True),
    (["monitor"], "cluster:monitor/health", True),
    (["monitor"], "indices:admin/template/get", True),
    (["monitor"], "cluster:admin/settings/update", False),
    (["manage"], "cluster:admin/settings/update", True),
    (["manage"], "cluster:admin/xpack/security/api_key/create", False),
    (["manage"], "restapi:admin/roles", False),
    (["manage_security"], "cluster:admin/xpack/security/api_key/create", True),
    (["manage_security"], "restapi:admin/internalusers", True),
    (["read_security"], "cluster:admin/xpack/security/api_key/get", True),
    (["read_security"], "cluster:admin/xpack/security/api_key/invalidate", False),
    (["manage_api_key"], "cluster:admin/xpack/security/api_key/invalidate", True),
    (["manage_own_api_key"], "cluster:admin/xpack/security/api_key/create", True),
    (["manage_own_api_key"], "manage_own_api_key", True),
    (["manage_own_api_key"], "cluster:admin/xpack/security/api_key/invalidate", False),
    (["MANAGE_INDEX_TEMPLATES"], "indices:admin/index_template/put", True),
    (["read_pipeline"], "cluster:admin/ingest/pipeline/get", True),
    (["read_pipeline"], "cluster:admin/ingest/pipeline/put", False),
    (["cluster:monitor/health"], "cluster:monitor/health", True),
    (["cluster:monitor/*"], "cluster:monitor/state", True),
    (["none"], "cluster:monitor/health", False),
]


@pytest.mark.parametrize(("privileges", "action", "allowed"), CLUSTER)
def test_cluster_privileges(privileges: list[str], action: str, allowed: bool) -> None:
    assert key_privileges({"k": {"cluster": privileges}}).allows_cluster(action) is allowed


#: (index privileges, action, allowed)
INDEX = [
    (["read"], "indices:data/read/search", True),
    (["read"], "indices:data/write/index", False),
    (["write"], "indices:data/write/bulk[s]", True),
    (["index"], "indices:data/write/update", True),
    (["index"], "indices:data/write/delete", False),
    (["create_doc"], "indices:data/write/index", True),
    (["create_doc"], "indices:data/write/update", False),
    (["delete"], "indices:data/write/delete", True),
    (["view_index_metadata"], "indices:admin/mappings/get", True),
    (["view_index_metadata"], "indices:data/read/search", False),
    (["manage"], "indices:admin/delete", True),
    (["manage"], "indices:data/read/search", False),
    (["create_index"], "indices:admin/create", True),
    (["delete_index"], "indices:admin/delete", True),
    (["monitor"], "indices:monitor/stats", True),
    (["maintenance"], "indices:admin/refresh", True),
    (["all"], "indices:admin/close", True),
    (["indices:data/read/get"], "indices:data/read/get", True),
    (["indices:data/read/get"], "indices:data/read/search", False),
]


@pytest.mark.parametrize(("privileges", "action", "allowed"), INDEX)
def test_index_privileges(privileges: list[str], action: str, allowed: bool) -> None:
    p = key_privileges({"k": {"indices": [{"names": ["logs-*"], "privileges": privileges}]}})
    assert p.allows_index(action, "logs-1") is allowed
    assert not p.allows_index(action, "other")


def test_field_security_and_query_become_fls_and_dls() -> None:
    p = key_privileges({"k": {"indices": [
        {"names": "logs-*", "privileges": ["read"], "query": {"term": {"team": "a"}},
         "field_security": {"grant": ["msg", "host.*"]}},
        {"names": ["audit"], "privileges": ["read"], "query": '{"term": {"x": 1}}',
         "field_security": {"grant": ["*"], "except": ["secret"]}},
    ]}})
    assert p.index_rules("logs-1") == IndexRules(dls={"term": {"team": "a"}},
                                                 fls_include=("msg", "host.*"))
    assert p.index_rules("audit") == IndexRules(dls={"term": {"x": 1}}, fls_exclude=("secret",))


def test_an_api_key_restricted_by_descriptors_within_its_owner() -> None:
    owner = RolePrivileges({"readall": STATIC_ROLES["readall"]}, STATIC_ACTION_GROUPS, "bob")
    key = key_privileges({"k": {"cluster": ["all"], "indices": [
        {"names": ["logs-*"], "privileges": ["all"]}]}})
    effective = owner.restricted(key)
    assert effective.allows_index("indices:data/read/search", "logs-1")
    assert not effective.allows_index("indices:data/read/search", "audit")
    assert not effective.allows_index("indices:data/write/index", "logs-1")
    assert effective.allows_cluster("indices:data/read/mget")
    assert not effective.allows_cluster("cluster:admin/settings/update")


def test_index_privileges_grant_the_top_level_actions_of_multi_index_requests() -> None:
    reader = key_privileges({"k": {"indices": [{"names": ["a"], "privileges": ["read"]}]}})
    assert reader.allows_cluster("indices:data/read/msearch")
    assert reader.allows_cluster("indices:data/read/scroll")
    assert not reader.allows_cluster("indices:data/write/bulk")
    writer = key_privileges({"k": {"indices": [{"names": ["a"], "privileges": ["create_doc"]}]}})
    assert writer.allows_cluster("indices:data/write/bulk")
    assert not writer.allows_cluster("indices:data/read/mget")


def test_descriptor_roles_have_the_rest_shape() -> None:
    role = role_from_descriptor("k", {"description": "d", "cluster": "monitor", "indices": [
        {"names": ["a"], "privileges": ["read"]}], "metadata": {"x": 1}, "run_as": []})
    assert validate_role({k: role[k] for k in ("description", "cluster_permissions",
                                                "index_permissions")})["index_permissions"] \
        == role["index_permissions"]
    assert role["static"] is False and role["description"] == "d"


REFUSED = [
    ("x", ParseFailure, "failed to parse role [k]. expected an object"),
    ({"clusters": []}, ParseFailure, "failed to parse role [k]. unexpected field [clusters]"),
    ({"indices": {}}, ParseFailure, "failed to parse indices privileges for role [k]. "
                                    "expected field [indices] value to be an array"),
    ({"indices": [{"names": ["a"], "privileges": ["read"], "fields": []}]}, ParseFailure,
     "failed to parse indices privileges for role [k]. unexpected field [fields]"),
    ({"indices": [{"names": ["a"]}]}, ParseFailure,
     "failed to parse indices privileges for role [k]. missing required [privileges] field"),
    ({"indices": [{"names": [], "privileges": ["read"]}]}, IllegalArgument,
     "indices privileges must refer to at least one index name or index name pattern"),
    ({"indices": [{"names": ["a"], "privileges": []}]}, IllegalArgument,
     "indices privileges must define at least one privilege"),
    ({"indices": [{"names": ["a"], "privileges": ["read"],
                   "field_security": {"except": ["x"]}}]}, ParseFailure,
     "failed to parse indices privileges for role [k]. [field_security] requires [grant] if "
     "[except] is given"),
    ({"cluster": ["superpowers"]}, IllegalArgument, "unknown cluster privilege [superpowers]."),
    ({"cluster": ["indices:data/read/search"]}, IllegalArgument,
     "unknown cluster privilege [indices:data/read/search]."),
    ({"indices": [{"names": ["a"], "privileges": ["cluster:monitor/health"]}]}, IllegalArgument,
     "unknown index privilege [cluster:monitor/health]."),
    ({"indices": [{"names": ["a"], "privileges": ["read"],
                   "field_security": {"grant": ["a*"], "except": ["ab"]}}]}, IllegalArgument,
     "role [k]: [field_security] with both [grant] narrower than [*] and [except] is not "
     "supported"),
    ({"indices": [{"names": ["a"], "privileges": ["read"],
                   "query": {"template": {"source": "{}"}}}]}, IllegalArgument,
     "role [k]: query templates are not supported"),
]


@pytest.mark.parametrize(("descriptor", "error", "message"), REFUSED)
def test_descriptors_elasticsearch_refuses(descriptor: Any, error: type[LoghavenError],
                                           message: str) -> None:
    with pytest.raises(error) as raised:
        role_from_descriptor("k", descriptor)
    assert raised.value.reason.startswith(message) and raised.value.status == 400
