"""OpenSearch's built-in action groups and roles (security/builtin.py): their REST shape and
what each grants, as OpenSearch documents it."""

from __future__ import annotations

import pytest

from loghaven.security.builtin import STATIC_ACTION_GROUPS, STATIC_ROLES
from loghaven.security.privileges import RolePrivileges
from loghaven.security.validation import validate_action_group, validate_role

GROUP_KEYS = {"reserved", "hidden", "allowed_actions", "type", "description", "static"}
ROLE_KEYS = {"reserved", "hidden", "description", "cluster_permissions", "index_permissions",
             "tenant_permissions", "static"}
INDEX_KEYS = {"index_patterns", "dls", "fls", "masked_fields", "allowed_actions"}


def test_action_groups_have_the_rest_shape_and_the_documented_names() -> None:
    expected = {"cluster_all", "cluster_monitor", "cluster_composite_ops",
                "cluster_composite_ops_ro", "manage_snapshots", "cluster_manage_index_templates",
                "cluster_manage_pipelines", "indices_all", "read", "write", "crud", "search",
                "get", "index", "delete", "manage", "manage_aliases", "create_index",
                "indices_monitor", "data_access", "unlimited", "suggest"}
    assert expected <= STATIC_ACTION_GROUPS.keys()
    for name, group in STATIC_ACTION_GROUPS.items():
        assert group.keys() == GROUP_KEYS, name
        assert group["static"] and group["reserved"] and not group["hidden"]
        assert group["type"] in ("cluster", "index", "all", "kibana")
        body = {"allowed_actions": group["allowed_actions"], "description": group["description"]}
        assert validate_action_group(body, name)["allowed_actions"] == group["allowed_actions"]


def test_roles_have_the_rest_shape_and_name_only_known_groups_or_actions() -> None:
    expected = {"all_access", "readall", "readall_and_monitor", "kibana_user", "kibana_server",
                "own_index", "logstash", "manage_snapshots", "alerting_full_access",
                "alerting_read_access", "alerting_ack_alerts", "security_manager"}
    assert expected <= STATIC_ROLES.keys()
    for name, role in STATIC_ROLES.items():
        assert role.keys() == ROLE_KEYS, name
        assert role["reserved"] and not role["hidden"]
        for permission in role["index_permissions"]:
            assert permission.keys() == INDEX_KEYS, name
        actions = role["cluster_permissions"] + [
            a for p in role["index_permissions"] + role["tenant_permissions"]
            for a in p["allowed_actions"]]
        for action in actions:  # an action name or pattern, else a group that exists
            assert ":" in action or action == "*" or action in STATIC_ACTION_GROUPS, (name, action)
        body = {k: role[k] for k in ("description", "cluster_permissions", "index_permissions",
                                     "tenant_permissions")}
        assert validate_role(body)["index_permissions"] == role["index_permissions"]
    assert STATIC_ROLES["all_access"]["static"] and STATIC_ROLES["readall"]["static"]
    assert not STATIC_ROLES["alerting_full_access"]["static"]  # reserved in roles.yml


def privileges(role: str, user: str = "bob") -> RolePrivileges:
    return RolePrivileges({role: STATIC_ROLES[role]}, STATIC_ACTION_GROUPS, user)


SEARCH = "indices:data/read/search"
INDEX = "indices:data/write/index"

#: (role, kind, action, index or None for a cluster action, allowed)
GRANTS = [
    ("readall", "index", SEARCH, "logs-2024", True),
    ("readall", "index", SEARCH, ".kibana", True),
    ("readall", "index", "indices:data/read/get", "any", True),
    ("readall", "index", "indices:admin/mappings/fields/get", "any", True),
    ("readall", "index", INDEX, "logs-2024", False),
    ("readall", "index", "indices:admin/delete", "logs-2024", False),
    ("readall", "cluster", "indices:data/read/mget", None, True),
    ("readall", "cluster", "indices:data/read/scroll", None, True),
    ("readall", "cluster", "indices:data/write/bulk", None, False),
    ("readall", "cluster", "cluster:monitor/health", None, False),
    ("readall_and_monitor", "cluster", "cluster:monitor/health", None, True),
    ("readall_and_monitor", "cluster", "cluster:admin/settings/update", None, False),
    ("all_access", "cluster", "cluster:admin/settings/update", None, True),
    ("all_access", "cluster", "restapi:admin/roles", None, True),
    ("all_access", "index", "indices:admin/delete", "anything", True),
    ("all_access", "index", INDEX, ".hidden-index", True),
    ("own_index", "index", INDEX, "bob", True),
    ("own_index", "index", "indices:admin/create", "bob", True),
    ("own_index", "index", INDEX, "alice", False),
    ("own_index", "index", INDEX, "bob-2", False),
    ("own_index", "cluster", "indices:data/write/bulk", None, True),
    ("kibana_user", "index", INDEX, ".kibana", True),
    ("kibana_user", "index", "indices:admin/mapping/put", ".opensearch_dashboards_1", True),
    ("kibana_user", "index", SEARCH, "logs", False),
    ("kibana_server", "cluster", "cluster:monitor/health", None, True),
    ("kibana_server", "cluster", "indices:admin/template/put", None, True),
    ("kibana_server", "index", "indices:admin/aliases/get", "logs", True),
    ("kibana_server", "index", SEARCH, "logs", False),
    ("logstash", "index", INDEX, "logstash-2024.01.01", True),
    ("logstash", "index", "indices:admin/create", "filebeat-8", True),
    ("logstash", "index", INDEX, "logs", False),
    ("logstash", "cluster", "cluster:admin/ingest/pipeline/put", None, True),
    ("logstash", "cluster", "cluster:admin/ingest/pipeline/delete", None, False),
    ("manage_snapshots", "cluster", "cluster:admin/snapshot/create", None, True),
    ("manage_snapshots", "cluster", "cluster:admin/repository/put", None, True),
    ("manage_snapshots", "index", "indices:admin/create", "restored", True),
    ("manage_snapshots", "index", SEARCH, "restored", False),
    ("alerting_full_access", "cluster", "cluster:admin/opendistro/alerting/monitor/write",
     None, True),
    ("alerting_full_access", "cluster", "cluster:admin/opensearch/alerting/workflow/get",
     None, True),
    ("alerting_full_access", "cluster", "cluster:monitor/health", None, True),
    ("alerting_full_access", "index", "indices:admin/mappings/get", "logs", True),
    ("alerting_full_access", "index", "indices:monitor/stats", "logs", True),
    ("alerting_full_access", "index", SEARCH, "logs", False),
    ("alerting_read_access", "cluster", "cluster:admin/opendistro/alerting/monitor/get",
     None, True),
    ("alerting_read_access", "cluster", "cluster:admin/opendistro/alerting/monitor/write",
     None, False),
    ("alerting_ack_alerts", "cluster", "cluster:admin/opendistro/alerting/alerts/ack",
     None, True),
    ("alerting_ack_alerts", "cluster", "cluster:admin/opendistro/alerting/monitor/get",
     None, False),
    ("security_manager", "cluster", "restapi:admin/internalusers", None, True),
    ("security_manager", "cluster", "cluster:admin/xpack/security/api_key/create", None, True),
    ("security_manager", "index", SEARCH, "logs", False),
    ("security_rest_api_full_access", "cluster", "restapi:admin/rolesmapping", None, True),
    ("security_rest_api_full_access", "cluster", "cluster:monitor/health", None, False),
    ("point_in_time_full_access", "index", "indices:data/read/point_in_time/create", "logs",
     True),
    ("kibana_read_only", "index", SEARCH, "logs", False),
]


@pytest.mark.parametrize(("role", "kind", "action", "index", "allowed"), GRANTS)
def test_builtin_roles_grant_what_opensearch_documents(role: str, kind: str, action: str,
                                                       index: str | None,
                                                       allowed: bool) -> None:
    granted = privileges(role)
    if kind == "cluster":
        assert granted.allows_cluster(action) is allowed
    else:
        assert granted.allows_index(action, index) is allowed
        if allowed:
            assert granted.allows_some_index(action)
            assert granted.index_rules(index) is None  # no built-in role restricts DLS/FLS
