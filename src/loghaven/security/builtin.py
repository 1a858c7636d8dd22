"""OpenSearch's built-in action groups and roles, in the shape its REST API returns them.

The static action groups and roles are OpenSearch security's ``static_action_groups.yml`` and
``static_roles.yml`` (``"static": true``: always present, never editable); the reserved roles
are those of its default ``roles.yml`` that cover Loghaven's features (alerting,
notifications, snapshot management, index management, reports, point in time, the security
REST API), ``"reserved": true`` there. ``security_manager`` is Loghaven's own: the issue's
role for administering users, roles and keys without ``all_access``.

Action names are OpenSearch's (security plugin main branch, 2026-08): permissions written for
OpenSearch work here unchanged.
"""

from __future__ import annotations


def _group(name: str, type_: str, description: str, *actions: str) -> tuple[str, dict]:
    return name, {"reserved": True, "hidden": False, "allowed_actions": list(actions),
                  "type": type_, "description": description, "static": True}


def _index(patterns: list[str], actions: list[str]) -> dict:
    return {"index_patterns": patterns, "dls": "", "fls": [], "masked_fields": [],
            "allowed_actions": actions}


def _role(description: str, *, cluster: tuple[str, ...] = (),
          index: tuple[tuple[list[str], list[str]], ...] = (),
          tenants: tuple[tuple[list[str], list[str]], ...] = (), static: bool = True) -> dict:
    return {"reserved": True, "hidden": False, "description": description,
            "cluster_permissions": list(cluster),
            "index_permissions": [_index(p, a) for p, a in index],
            "tenant_permissions": [{"tenant_patterns": p, "allowed_actions": a}
                                   for p, a in tenants],
            "static": static}


#: ``GET _plugins/_security/api/actiongroups`` of a fresh OpenSearch: the static groups.
STATIC_ACTION_GROUPS: dict[str, dict] = dict([
    _group("kibana_all_write", "kibana", "Allow writing in all OpenSearch Dashboards apps",
           "kibana:saved_objects/*/write"),
    _group("kibana_all_read", "kibana", "Allow reading in all OpenSearch Dashboards apps",
           "kibana:saved_objects/*/read"),
    _group("cluster_all", "cluster", "Allow everything on cluster level", "cluster:*"),
    _group("crud", "index", "Allow all read/write operations on data", "read", "write"),
    _group("search", "index", "Allow searching",
           "indices:data/read/search*", "indices:data/read/msearch*",
           "indices:admin/resolve/index", "suggest"),
    _group("data_access", "index", "Allow all read/write operations on data",
           "indices:data/*", "crud"),
    _group("create_index", "index", "Allow creating new indices",
           "indices:admin/create", "indices:admin/mapping/put"),
    _group("write", "index", "Allow writing data",
           "indices:data/write*", "indices:admin/mapping/put"),
    _group("manage_aliases", "index", "Allow managing index aliases", "indices:admin/aliases*"),
    _group("read", "index", "Allow all read operations",
           "indices:data/read*", "indices:admin/mappings/fields/get*",
           "indices:admin/resolve/index"),
    _group("indices_all", "index", "Allow readonly everything with indices and data",
           "indices:*"),
    _group("delete", "index", "Allow deleting documents", "indices:data/write/delete*"),
    _group("cluster_composite_ops", "cluster", "Allow read/write bulk and m* operations",
           "indices:data/write/bulk", "indices:admin/aliases*", "indices:data/write/reindex",
           "cluster_composite_ops_ro"),
    _group("cluster_composite_ops_ro", "cluster", "Allow readonly bulk and m* operations",
           "indices:data/read/mget", "indices:data/read/msearch", "indices:data/read/mtv",
           "indices:admin/aliases/exists*", "indices:admin/aliases/get*",
           "indices:data/read/scroll", "indices:admin/resolve/index"),
    _group("get", "index", "Allow get", "indices:data/read/get*", "indices:data/read/mget*"),
    _group("manage", "index", "Allow indices management", "indices:monitor/*", "indices:admin/*"),
    _group("cluster_monitor", "cluster", "Allow monitoring the cluster", "cluster:monitor/*"),
    _group("manage_snapshots", "cluster", "Allow snapshots",
           "cluster:admin/snapshot/*", "cluster:admin/repository/*"),
    _group("index", "index", "Allow indexing",
           "indices:data/write/index*", "indices:data/write/update*",
           "indices:admin/mapping/put", "indices:data/write/bulk*"),
    _group("unlimited", "all", "Allow all", "*"),
    _group("indices_monitor", "index", "Allow monitoring indices", "indices:monitor/*"),
    _group("suggest", "index", "Allow suggestions", "indices:data/read/suggest*"),
    _group("cluster_manage_index_templates", "cluster", "Manage index templates",
           "indices:admin/template/*", "indices:admin/index_template/*",
           "cluster:admin/component_template/*"),
    _group("cluster_manage_pipelines", "cluster", "Manage pipelines",
           "cluster:admin/ingest/pipeline/*"),
    _group("manage_data_streams", "index", "Manage data streams",
           "indices:admin/data_stream/*", "indices:monitor/data_stream/stats"),
    _group("manage_point_in_time", "index", "Manage point in time actions",
           "indices:data/read/point_in_time/create", "indices:data/read/point_in_time/delete",
           "indices:data/read/point_in_time/readall", "indices:data/read/search",
           "indices:monitor/point_in_time/segments"),
])

_DASHBOARDS = [".kibana", ".kibana-6", ".kibana_*", ".opensearch_dashboards",
               ".opensearch_dashboards-6", ".opensearch_dashboards_*"]

#: ``GET _plugins/_security/api/roles`` of a fresh node: OpenSearch's static roles, the
#: reserved roles of its default roles.yml that fit Loghaven, and ``security_manager``.
STATIC_ROLES: dict[str, dict] = {
    "all_access": _role(
        "Allow full access to all indices and all cluster APIs",
        cluster=("*",), index=((["*"], ["*"]),), tenants=((["*"], ["kibana_all_write"]),)),
    "kibana_user": _role(
        "Provide the minimum permissions for a kibana user",
        cluster=("cluster_composite_ops",),
        index=((_DASHBOARDS, ["delete", "index", "manage", "read"]),
               ([".tasks", ".management-beats", "*:.tasks", "*:.management-beats"],
                ["indices_all"]))),
    "own_index": _role(
        "Allow all for indices named like the current user",
        cluster=("cluster_composite_ops",), index=((["${user_name}"], ["indices_all"]),)),
    "manage_snapshots": _role(
        "Provide the minimum permissions for managing snapshots",
        cluster=("manage_snapshots",),
        index=((["*"], ["indices:admin/create", "indices:data/write/index"]),)),
    "kibana_server": _role(
        "Provide the minimum permissions for the Kibana server",
        cluster=("cluster_composite_ops", "cluster_monitor", "indices:admin/index_template*",
                 "indices:admin/template*", "indices:data/read/scroll*",
                 "manage_point_in_time"),
        index=(([".kibana", ".opensearch_dashboards"], ["indices_all"]),
               ([".kibana-6", ".opensearch_dashboards-6"], ["indices_all"]),
               ([".kibana_*", ".opensearch_dashboards_*"], ["indices_all"]),
               ([".tasks"], ["indices_all"]),
               ([".management-beats*"], ["indices_all"]),
               (["*"], ["indices:admin/aliases*"]))),
    "logstash": _role(
        "Provide the minimum permissions for logstash and beats",
        cluster=("cluster:admin/ingest/pipeline/get", "cluster:admin/ingest/pipeline/put",
                 "cluster_composite_ops", "cluster_monitor", "indices:admin/template/get",
                 "indices:admin/template/put"),
        index=((["logstash-*", "ecs-logstash-*"], ["create_index", "crud"]),
               (["*beat*"], ["crud", "create_index"]))),
    "readall_and_monitor": _role(
        "Provide the minimum permissions for to readall indices and monitor the cluster",
        cluster=("cluster_composite_ops_ro", "cluster_monitor"),
        index=((["*"], ["read"]),)),
    "readall": _role(
        "Provide the minimum permissions for to readall indices",
        cluster=("cluster_composite_ops_ro",), index=((["*"], ["read"]),)),
    # The reserved roles of OpenSearch's default roles.yml (not static there).
    "kibana_read_only": _role(
        "Restrict users so they can only view visualization and dashboard on "
        "OpenSearchDashboards", static=False),
    "security_rest_api_access": _role(
        "The security REST API access role is used to assign specific users access to change "
        "the security settings through the REST API.", static=False),
    "security_rest_api_full_access": _role(
        "Allows users to use all of the security REST API",
        cluster=("restapi:admin/actiongroups", "restapi:admin/allowlist",
                 "restapi:admin/config/update", "restapi:admin/internalusers",
                 "restapi:admin/nodesdn", "restapi:admin/resource_sharing/migrate",
                 "restapi:admin/roles", "restapi:admin/rolesmapping",
                 "restapi:admin/ssl/certs/info", "restapi:admin/ssl/certs/reload",
                 "restapi:admin/tenants"), static=False),
    "alerting_read_access": _role(
        "Allows users to view monitors, destinations and alerts",
        cluster=("cluster:admin/opendistro/alerting/alerts/get",
                 "cluster:admin/opendistro/alerting/destination/get",
                 "cluster:admin/opendistro/alerting/monitor/get",
                 "cluster:admin/opendistro/alerting/monitor/search",
                 "cluster:admin/opensearch/alerting/comments/search",
                 "cluster:admin/opensearch/alerting/findings/get",
                 "cluster:admin/opensearch/alerting/remote/indexes/get",
                 "cluster:admin/opensearch/alerting/v2/alerts/get",
                 "cluster:admin/opensearch/alerting/v2/monitor/get",
                 "cluster:admin/opensearch/alerting/v2/monitor/search",
                 "cluster:admin/opensearch/alerting/workflow/get",
                 "cluster:admin/opensearch/alerting/workflow_alerts/get"), static=False),
    "alerting_ack_alerts": _role(
        "Allows users to view and acknowledge alerts",
        cluster=("cluster:admin/opendistro/alerting/alerts/*",
                 "cluster:admin/opendistro/alerting/chained_alerts/*",
                 "cluster:admin/opendistro/alerting/workflow_alerts/*",
                 "cluster:admin/opensearch/alerting/comments/*"), static=False),
    "alerting_full_access": _role(
        "Allows users to use all alerting functionality",
        cluster=("cluster:admin/opendistro/alerting/*", "cluster:admin/opensearch/alerting/*",
                 "cluster:admin/opensearch/notifications/feature/publish", "cluster_monitor"),
        index=((["*"], ["indices:admin/aliases/get", "indices:admin/mappings/get",
                        "indices_monitor"]),), static=False),
    "notifications_full_access": _role(
        "Allows users to use all Notifications functionality",
        cluster=("cluster:admin/opensearch/notifications/*", "cluster:admin/loghaven/sns/*"),
        static=False),
    "notifications_read_access": _role(
        "Allows users to read Notifications config/channels",
        cluster=("cluster:admin/opensearch/notifications/channels/get",
                 "cluster:admin/opensearch/notifications/configs/get",
                 "cluster:admin/opensearch/notifications/features",
                 "cluster:admin/loghaven/sns/subscription/list",
                 "cluster:admin/loghaven/sns/topic/get",
                 "cluster:admin/loghaven/sns/topic/list"), static=False),
    "snapshot_management_full_access": _role(
        "Allows users to use all snapshot management functionality",
        cluster=("cluster:admin/opensearch/notifications/feature/publish",
                 "cluster:admin/opensearch/snapshot_management/*",
                 "cluster:admin/repository/*", "cluster:admin/snapshot/*"), static=False),
    "snapshot_management_read_access": _role(
        "Allows users to see snapshots, repositories, and snapshot management policies",
        cluster=("cluster:admin/opensearch/snapshot_management/policy/explain",
                 "cluster:admin/opensearch/snapshot_management/policy/get",
                 "cluster:admin/opensearch/snapshot_management/policy/search",
                 "cluster:admin/repository/get", "cluster:admin/snapshot/get"), static=False),
    "index_management_full_access": _role(
        "Allows user to use all index_management actions - ism policies, rollups, transforms",
        cluster=("cluster:admin/opendistro/ism/*", "cluster:admin/opendistro/rollup/*",
                 "cluster:admin/opendistro/transform/*",
                 "cluster:admin/opensearch/controlcenter/lron/*",
                 "cluster:admin/opensearch/notifications/channels/get",
                 "cluster:admin/opensearch/notifications/feature/publish"),
        index=((["*"], ["indices:admin/opensearch/ism/*",
                        "indices:internal/plugins/replication/index/stop"]),), static=False),
    "point_in_time_full_access": _role(
        "Allows user to use point in time functionality",
        index=((["*"], ["manage_point_in_time"]),), static=False),
    "reports_instances_read_access": _role(
        "Allows users to read and download Reports",
        cluster=("cluster:admin/opendistro/reports/instance/get",
                 "cluster:admin/opendistro/reports/instance/list",
                 "cluster:admin/opendistro/reports/menu/download"), static=False),
    "reports_read_access": _role(
        "Allows users to read and download Reports and Report-definitions",
        cluster=("cluster:admin/opendistro/reports/definition/get",
                 "cluster:admin/opendistro/reports/definition/list",
                 "cluster:admin/opendistro/reports/instance/get",
                 "cluster:admin/opendistro/reports/instance/list",
                 "cluster:admin/opendistro/reports/menu/download"), static=False),
    "reports_full_access": _role(
        "Allows users to all Reports functionality",
        cluster=("cluster:admin/opendistro/reports/definition/create",
                 "cluster:admin/opendistro/reports/definition/delete",
                 "cluster:admin/opendistro/reports/definition/get",
                 "cluster:admin/opendistro/reports/definition/list",
                 "cluster:admin/opendistro/reports/definition/on_demand",
                 "cluster:admin/opendistro/reports/definition/update",
                 "cluster:admin/opendistro/reports/instance/get",
                 "cluster:admin/opendistro/reports/instance/list",
                 "cluster:admin/opendistro/reports/menu/download"), static=False),
    # Loghaven's: the security REST API (OpenSearch's restapi:admin/* permissions) and
    # Elasticsearch's security APIs (API keys), without access to any index.
    "security_manager": _role(
        "Allows users to manage internal users, roles, role mappings, action groups and API "
        "keys through the security REST API",
        cluster=("restapi:admin/*", "cluster:admin/xpack/security/*",
                 "cluster:admin/plugins/security/api_token", "cluster_monitor")),
}
