"""THE permission table: every REST route's OpenSearch action name.

Each route of the application (method and path template, as Starlette writes them) has one
line here; :func:`check` refuses to build the application when a route has none, so no
endpoint can ship without a permission (tests/test_permissions_table.py walks them all).

The action decides the scope, as OpenSearch's privilege evaluator does
(``PrivilegesEvaluator.isClusterPerm``): ``cluster:*``, the legacy and composable template
actions and the composite requests (``_bulk``, ``_mget``, ``_msearch``, scroll) are checked
against the roles' cluster permissions; every other ``indices:*`` action against their index
permissions, first whether any index pattern grants it, then, while the endpoint runs, on each
index name it resolves (engine/catalog.py). A composite request's items are checked as their
own actions on their indices: ``_msearch`` runs its searches as ``indices:data/read/search``,
``_mget`` its reads as ``indices:data/read/mget[shard]``, ``_bulk`` each item as
``indices:data/write/index|delete|update`` (ingest/service.py), ``_reindex`` its source as
``indices:data/read/search`` and each write to its destination as a bulk item.

The UI's saved objects (``/_dashboards/api/saved_objects``) need the index actions OpenSearch
checks when Dashboards reads and writes its ``.kibana`` index as the user; the service checks
them on ``.kibana`` itself (dashboards/access.py).

Four kinds need no action: ``public`` (the login page and its assets, the security health
check), ``authenticated`` (any user: who-am-I, one's own account and API keys, logout),
``ui`` (the web UI's pages: an anonymous page load is sent to the login page).

A route marked ``hec`` (a fourth column) also accepts Splunk HEC tokens
(``Authorization: Splunk <token>``, security/hec_tokens.py); every other route refuses them,
so a token meant for sending events opens nothing else: the HEC collector's (api/hec.py).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from starlette.routing import BaseRoute, Mount, Route

PUBLIC = "public"
AUTHENTICATED = "authenticated"
UI = "ui"
CLUSTER = "cluster"
INDEX = "index"

#: Composite requests: checked as a cluster action, their items as these index actions.
ITEM_ACTIONS = {
    "indices:data/read/msearch": "indices:data/read/search",
    "indices:data/read/mget": "indices:data/read/mget[shard]",
    "indices:data/write/bulk": "indices:data/write/bulk[s]",
    # reindex reads its source as a search; its writes are checked as bulk items
    "indices:data/write/reindex": "indices:data/read/search",
    # PPL's queries run their searches (and field caps) as searches on each index
    "cluster:admin/opensearch/ppl": "indices:data/read/search",
}
_CLUSTER_PREFIXES = ("indices:admin/template/", "indices:admin/index_template/",
                     "indices:data/read/scroll", "indices:data/read/msearch")
_CLUSTER_ACTIONS = frozenset({"indices:data/write/bulk", "indices:data/read/mget",
                              "indices:data/read/mtv", "indices:data/write/reindex"})


@dataclass(frozen=True)
class Permission:
    """What a route needs: its kind, and for ``cluster``/``index`` the action name."""

    kind: str
    action: str | None = None
    #: Whether Splunk HEC tokens authenticate this route.
    hec: bool = False

    @property
    def acting(self) -> str:
        """The action the endpoint's work runs as (against which names resolve; none for the
        kinds without an action, whose endpoints resolve no index name)."""
        return ITEM_ACTIONS.get(self.action, self.action) if self.action else ""


def is_cluster_action(action: str) -> bool:
    """Whether OpenSearch checks ``action`` against cluster permissions (every action not
    named ``indices:``, such as the security API's ``restapi:admin/*``, and the composite and
    template ones)."""
    return not action.startswith("indices:") or action.startswith(_CLUSTER_PREFIXES) \
        or action in _CLUSTER_ACTIONS


# method(s)  path template  action (or public / authenticated / ui)
_TABLE = """
GET         /                                               cluster:monitor/main
POST        /                                               authenticated
GET         /_cluster/health                                cluster:monitor/health
GET         /_cluster/health/{index}                        cluster:monitor/health
GET,POST    /_cluster/allocation/explain                    cluster:monitor/allocation/explain
GET         /_cluster/state                                 cluster:monitor/state
GET         /_cluster/state/{metric}                        cluster:monitor/state
GET         /_cluster/state/{metric}/{index}                cluster:monitor/state
GET         /_cluster/settings                              cluster:monitor/state
PUT         /_cluster/settings                              cluster:admin/settings/update
GET         /_cluster/stats                                 cluster:monitor/stats
GET         /_tasks                                         cluster:monitor/tasks/lists
GET         /_tasks/{task_id}                               cluster:monitor/task/get
POST        /_tasks/_cancel                                 cluster:admin/tasks/cancel
POST        /_tasks/{task_id}/_cancel                       cluster:admin/tasks/cancel
POST        /_reindex/{task_id}/_rethrottle                 cluster:admin/reindex/rethrottle
POST        /_update_by_query/{task_id}/_rethrottle         cluster:admin/reindex/rethrottle
POST        /_delete_by_query/{task_id}/_rethrottle         cluster:admin/reindex/rethrottle
GET         /_resolve/index/{name}                          indices:admin/resolve/index
GET         /_ingest/processor/grok                         cluster:admin/ingest/processor/grok/get
GET         /_nodes                                         cluster:monitor/nodes/info
GET         /_nodes/{node_id}                               cluster:monitor/nodes/info
GET         /_nodes/{node_id}/{metric}                      cluster:monitor/nodes/info
GET         /_nodes/stats                                   cluster:monitor/nodes/stats
GET         /_nodes/stats/{metric}                          cluster:monitor/nodes/stats
GET         /_nodes/stats/{metric}/{index_metric}           cluster:monitor/nodes/stats
GET         /_nodes/{node_id}/stats                         cluster:monitor/nodes/stats
GET         /_nodes/{node_id}/stats/{metric}                cluster:monitor/nodes/stats
GET         /_nodes/{node_id}/stats/{metric}/{index_metric} cluster:monitor/nodes/stats
GET         /_plugins/_job_scheduler/api/jobs               cluster:admin/opensearch/jobscheduler/info
GET         /_prometheus/metrics                            cluster:monitor/prometheus/metrics

GET         /_cat/health                                    cluster:monitor/health
GET         /_cat/nodes                                     cluster:monitor/nodes/info
GET         /_cat/plugins                                   cluster:monitor/nodes/info
GET         /_cat/templates                                 cluster:monitor/state
GET         /_cat/templates/{name}                          cluster:monitor/state
GET         /_cat/indices                                   indices:monitor/stats
GET         /_cat/indices/{index}                           indices:monitor/stats
GET         /_cat/shards                                    indices:monitor/stats
GET         /_cat/shards/{index}                            indices:monitor/stats
GET         /_cat/segments                                  indices:monitor/segments
GET         /_cat/segments/{index}                          indices:monitor/segments
GET         /_cat/count                                     indices:data/read/search
GET         /_cat/count/{index}                             indices:data/read/search
GET         /_cat/aliases                                   indices:admin/aliases/get
GET         /_cat/aliases/{name}                            indices:admin/aliases/get

GET         /_stats                                         indices:monitor/stats
GET         /_stats/{metric}                                indices:monitor/stats
GET         /{index}/_stats                                 indices:monitor/stats
GET         /{index}/_stats/{metric}                        indices:monitor/stats
GET,POST    /_analyze                                       indices:admin/analyze
GET,POST    /{index}/_analyze                               indices:admin/analyze

GET,POST    /_search                                        indices:data/read/search
GET,POST    /{index}/_search                                indices:data/read/search
GET,POST    /_count                                         indices:data/read/search
GET,POST    /{index}/_count                                 indices:data/read/search
GET,POST    /_msearch                                       indices:data/read/msearch
GET,POST    /{index}/_msearch                               indices:data/read/msearch
GET,POST    /_search/scroll                                 indices:data/read/scroll
GET,POST    /_search/scroll/{scroll_id}                     indices:data/read/scroll
DELETE      /_search/scroll                                 indices:data/read/scroll/clear
DELETE      /_search/scroll/{scroll_id}                     indices:data/read/scroll/clear
POST        /{index}/_search/point_in_time                  indices:data/read/point_in_time/create
GET         /_search/point_in_time/_all                     indices:data/read/point_in_time/readall
DELETE      /_search/point_in_time                          indices:data/read/point_in_time/delete
DELETE      /_search/point_in_time/_all                     indices:data/read/point_in_time/delete
POST        /{index}/_pit                                   indices:data/read/open_point_in_time
DELETE      /_pit                                           indices:data/read/close_point_in_time
GET,POST    /_validate/query                                indices:admin/validate/query
GET,POST    /{index}/_validate/query                        indices:admin/validate/query
GET,POST    /_field_caps                                    indices:data/read/field_caps
GET,POST    /{index}/_field_caps                            indices:data/read/field_caps
POST        /{index}/_delete_by_query                       indices:data/write/delete/byquery
POST        /{index}/_update_by_query                       indices:data/write/update/byquery
POST        /_reindex                                       indices:data/write/reindex

GET,POST    /_ingest/pipeline/_simulate                     cluster:admin/ingest/pipeline/simulate
GET,POST    /_ingest/pipeline/{id}/_simulate                cluster:admin/ingest/pipeline/simulate
GET         /_ingest/pipeline                               cluster:admin/ingest/pipeline/get
GET         /_ingest/pipeline/{id}                          cluster:admin/ingest/pipeline/get
PUT         /_ingest/pipeline/{id}                          cluster:admin/ingest/pipeline/put
DELETE      /_ingest/pipeline/{id}                          cluster:admin/ingest/pipeline/delete
GET         /_scripts/{id}                                  cluster:admin/script/get
PUT,POST    /_scripts/{id}                                  cluster:admin/script/put
DELETE      /_scripts/{id}                                  cluster:admin/script/delete
GET,HEAD    /_template                                      indices:admin/template/get
GET,HEAD    /_template/{name}                               indices:admin/template/get
PUT,POST    /_template/{name}                               indices:admin/template/put
DELETE      /_template/{name}                               indices:admin/template/delete
GET,HEAD    /_index_template                                indices:admin/index_template/get
GET,HEAD    /_index_template/{name}                         indices:admin/index_template/get
PUT,POST    /_index_template/{name}                         indices:admin/index_template/put
DELETE      /_index_template/{name}                         indices:admin/index_template/delete
GET,HEAD    /_component_template                            cluster:admin/component_template/get
GET,HEAD    /_component_template/{name}                     cluster:admin/component_template/get
PUT,POST    /_component_template/{name}                     cluster:admin/component_template/put
DELETE      /_component_template/{name}                     cluster:admin/component_template/delete

POST        /_aliases                                       indices:admin/aliases
GET         /_alias                                         indices:admin/aliases/get
GET         /_aliases                                       indices:admin/aliases/get
GET,HEAD    /_alias/{name}                                  indices:admin/aliases/get
GET         /{index}/_alias                                 indices:admin/aliases/get
GET         /{index}/_aliases                               indices:admin/aliases/get
GET,HEAD    /{index}/_alias/{name}                          indices:admin/aliases/get
PUT,POST    /{index}/_alias/{name}                          indices:admin/aliases
PUT,POST    /{index}/_aliases/{name}                        indices:admin/aliases
DELETE      /{index}/_alias/{name}                          indices:admin/aliases
DELETE      /{index}/_aliases/{name}                        indices:admin/aliases

PUT,POST    /_bulk                                          indices:data/write/bulk
PUT,POST    /{index}/_bulk                                  indices:data/write/bulk
PUT,POST    /{index}/{type}/_bulk                           indices:data/write/bulk
GET,POST    /_mget                                          indices:data/read/mget
GET,POST    /{index}/_mget                                  indices:data/read/mget
POST        /{index}/_doc                                   indices:data/write/index
PUT,POST    /{index}/_doc/{id}                              indices:data/write/index
PUT,POST    /{index}/_create/{id}                           indices:data/write/index
POST        /{index}/_update/{id}                           indices:data/write/update
DELETE      /{index}/_doc/{id}                              indices:data/write/delete
GET,HEAD    /{index}/_doc/{id}                              indices:data/read/get
GET         /{index}/_source/{id}                           indices:data/read/get

GET         /_mapping                                       indices:admin/mappings/get
GET         /{index}/_mapping                               indices:admin/mappings/get
GET         /_mappings                                      indices:admin/mappings/get
GET         /{index}/_mappings                              indices:admin/mappings/get
GET         /_mapping/field/{fields}                        indices:admin/mappings/fields/get
GET         /{index}/_mapping/field/{fields}                indices:admin/mappings/fields/get
PUT,POST    /{index}/_mapping                               indices:admin/mapping/put
PUT,POST    /{index}/_mappings                              indices:admin/mapping/put
PUT,POST    /{index}/_mapping/{type}                        indices:admin/mapping/put
GET         /_settings                                      indices:monitor/settings/get
GET         /_settings/{name}                               indices:monitor/settings/get
GET         /{index}/_settings                              indices:monitor/settings/get
GET         /{index}/_settings/{name}                       indices:monitor/settings/get
PUT         /_settings                                      indices:admin/settings/update
PUT         /{index}/_settings                              indices:admin/settings/update
GET,POST    /_refresh                                       indices:admin/refresh
GET,POST    /{index}/_refresh                               indices:admin/refresh
GET,POST    /_flush                                         indices:admin/flush
GET,POST    /{index}/_flush                                 indices:admin/flush
POST        /{index}/_close                                 indices:admin/close
POST        /{index}/_open                                  indices:admin/open
PUT         /{index}                                        indices:admin/create
DELETE      /{index}                                        indices:admin/delete
GET,HEAD    /{index}                                        indices:admin/get

GET         /_plugins/_alerting/monitors/alerts             cluster:admin/opendistro/alerting/alerts/get
GET         /_opendistro/_alerting/monitors/alerts          cluster:admin/opendistro/alerting/alerts/get
POST        /_plugins/_alerting/monitors/{monitor_id}/_acknowledge/alerts       cluster:admin/opendistro/alerting/alerts/ack
POST        /_opendistro/_alerting/monitors/{monitor_id}/_acknowledge/alerts    cluster:admin/opendistro/alerting/alerts/ack
GET         /_plugins/_alerting/findings/_search            cluster:admin/opensearch/alerting/findings/get

GET         /_dashboards                                    public
GET         /_dashboards/login                              public
GET         /_dashboards/public/{path}                      public
POST        /_dashboards/auth/login                         public
POST        /_dashboards/auth/logout                        public
GET         /_dashboards/api/status                         authenticated
GET         /_dashboards/api/v1/auth/authinfo               authenticated
GET         /_dashboards/api/saved_objects/_find                indices:data/read/search
POST        /_dashboards/api/saved_objects/_bulk_get            indices:data/read/get
POST        /_dashboards/api/saved_objects/_bulk_create         indices:data/write/index
POST        /_dashboards/api/saved_objects/_export              indices:data/read/search
POST        /_dashboards/api/saved_objects/_import              indices:data/write/index
POST        /_dashboards/api/saved_objects/_resolve_import_errors   indices:data/write/index
POST        /_dashboards/api/saved_objects/{type}               indices:data/write/index
GET         /_dashboards/api/saved_objects/{type}/{id}          indices:data/read/get
POST,PUT    /_dashboards/api/saved_objects/{type}/{id}          indices:data/write/index
DELETE      /_dashboards/api/saved_objects/{type}/{id}          indices:data/write/delete
GET         /_dashboards/api/console/api_server             authenticated
GET         /_dashboards/{path}                             ui
"""

#: The security plugin's REST API, under ``_plugins`` and the legacy ``_opendistro``: its
#: configuration needs OpenSearch's ``restapi:admin/*`` permissions (role ``security_manager``
#: or ``all_access``); one's own account and who-am-I any user; the health check no one.
_SECURITY = """
GET,PATCH               {p}/api/internalusers               restapi:admin/internalusers
GET,PUT,DELETE,PATCH    {p}/api/internalusers/{name}        restapi:admin/internalusers
GET,PATCH               {p}/api/roles                       restapi:admin/roles
GET,PUT,DELETE,PATCH    {p}/api/roles/{name}                restapi:admin/roles
GET,PATCH               {p}/api/rolesmapping                restapi:admin/rolesmapping
GET,PUT,DELETE,PATCH    {p}/api/rolesmapping/{name}         restapi:admin/rolesmapping
GET,PATCH               {p}/api/actiongroups                restapi:admin/actiongroups
GET,PUT,DELETE,PATCH    {p}/api/actiongroups/{name}         restapi:admin/actiongroups
GET,PUT                 {p}/api/account                     authenticated
GET,POST                {p}/authinfo                        authenticated
GET,POST                {p}/health                          public
"""
#: OpenSearch's API keys (3.7), only under ``_plugins``: ``Endpoint.APITOKENS``'s action.
_API_TOKENS = """
GET,POST                /_plugins/_security/api/apitokens               cluster:admin/plugins/security/api_token
DELETE                  /_plugins/_security/api/apitokens/{id}          cluster:admin/plugins/security/api_token
"""
#: Loghaven's credentials of the protocol endpoints: SigV4 access keys and HEC tokens (any user
#: manages their own; others' need ``restapi:admin/accesskeys`` or ``restapi:admin/hectokens``,
#: checked by the service).
_CREDENTIALS = """
GET,POST                /_plugins/_security/api/accesskeys              authenticated
GET,DELETE              /_plugins/_security/api/accesskeys/{key_id}     authenticated
GET                     /_plugins/_security/api/hectokens               authenticated
GET,PUT,DELETE          /_plugins/_security/api/hectokens/{name}        authenticated
"""
#: Splunk's HTTP Event Collector (api/hec.py): its events are written as the token's owner, so
#: a route needs an index write somewhere and each event's index is checked as it is written;
#: the health check is public, as Splunk's. Splunk's token endpoints (api/hec_inputs.py) are
#: any user's: the service shows and changes only one's own tokens without
#: ``restapi:admin/hectokens``.
_HEC = """
POST                    /services/collector                             indices:data/write/index    hec
POST                    /services/collector/event                       indices:data/write/index    hec
POST                    /services/collector/event/1.0                   indices:data/write/index    hec
POST                    /services/collector/raw                         indices:data/write/index    hec
POST                    /services/collector/raw/1.0                     indices:data/write/index    hec
POST                    /services/collector/ack                         authenticated               hec
GET                     /services/collector/health                      public
GET                     /services/collector/health/1.0                  public
"""
_HEC_INPUTS = """
GET,POST                {p}/data/inputs/http                            authenticated
GET,POST,DELETE         {p}/data/inputs/http/{name}                     authenticated
"""
#: Hosted topics: ``POST /`` above is the AWS protocols' root (api/aws_root.py), where each
#: SNS ``Action`` is checked as its own ``cluster:admin/loghaven/sns/*`` action (api/sns.py)
#: and each Firehose operation as its own ``cluster:admin/loghaven/firehose/*`` action
#: (api/firehose.py: ``stream/create``, ``stream/get``, ``stream/list``, ``stream/delete``,
#: and ``put`` for PutRecord and PutRecordBatch); the dead letters are Loghaven's extension.
_TOPICS = """
GET                     /_plugins/_loghaven/topics/dead_letters         cluster:admin/loghaven/sns/dead_letters/get
"""
#: Elasticsearch's API keys and who-am-I: any user manages their own keys (the service
#: limits what each sees and invalidates).
_ELASTICSEARCH_SECURITY = """
PUT,POST                /_security/api_key                  authenticated
GET,DELETE              /_security/api_key                  authenticated
GET                     /_security/_authenticate            authenticated
"""

#: OpenSearch's Notifications plugin (``NotificationsActions``' names; the test message is
#: ``SendTestNotificationAction``'s).
_NOTIFICATIONS = """
POST                    /_plugins/_notifications/configs                cluster:admin/opensearch/notifications/configs/create
GET                     /_plugins/_notifications/configs                cluster:admin/opensearch/notifications/configs/get
DELETE                  /_plugins/_notifications/configs                cluster:admin/opensearch/notifications/configs/delete
GET                     /_plugins/_notifications/configs/{config_id}    cluster:admin/opensearch/notifications/configs/get
PUT                     /_plugins/_notifications/configs/{config_id}    cluster:admin/opensearch/notifications/configs/update
DELETE                  /_plugins/_notifications/configs/{config_id}    cluster:admin/opensearch/notifications/configs/delete
GET                     /_plugins/_notifications/channels               cluster:admin/opensearch/notifications/channels/get
GET                     /_plugins/_notifications/features               cluster:admin/opensearch/notifications/features
GET,POST                /_plugins/_notifications/feature/test/{config_id}  cluster:admin/opensearch/notifications/test_notification
"""
#: Alerting's legacy destinations, read from and written to the channels.
_DESTINATIONS = """
GET                     {p}/destinations                    cluster:admin/opendistro/alerting/destination/get
GET                     {p}/destinations/{destination_id}   cluster:admin/opendistro/alerting/destination/get
POST                    {p}/destinations                    cluster:admin/opendistro/alerting/destination/write
PUT                     {p}/destinations/{destination_id}   cluster:admin/opendistro/alerting/destination/write
DELETE                  {p}/destinations/{destination_id}   cluster:admin/opendistro/alerting/destination/delete
"""
#: The recommended alarms (api/alarms.py) are monitors: listing them reads monitors, enabling
#: them writes monitors (which the node then owns), as the alerting routes name those actions.
_ALARMS = """
GET             /_plugins/_loghaven/alarms              cluster:admin/opendistro/alerting/monitor/get
POST            /_plugins/_loghaven/alarms/_enable      cluster:admin/opendistro/alerting/monitor/write
"""
#: The Alerting plugin's monitors (``AlertingActions``) and the job scheduler's stats
#: (``ScheduledJobsStatsAction``), under ``_plugins/_alerting`` and ``_opendistro/_alerting``.
_ALERTING_MONITORS = """
POST            {p}/monitors                            cluster:admin/opendistro/alerting/monitor/write
GET,POST        {p}/monitors/_search                    cluster:admin/opendistro/alerting/monitor/search
POST            {p}/monitors/_execute                   cluster:admin/opendistro/alerting/monitor/execute
GET             {p}/monitors/{monitor_id}               cluster:admin/opendistro/alerting/monitor/get
PUT             {p}/monitors/{monitor_id}               cluster:admin/opendistro/alerting/monitor/write
DELETE          {p}/monitors/{monitor_id}               cluster:admin/opendistro/alerting/monitor/delete
POST            {p}/monitors/{monitor_id}/_execute      cluster:admin/opendistro/alerting/monitor/execute
GET             {p}/stats                               cluster:admin/opendistro/_scheduled_jobs/stats
GET             {p}/stats/{metric}                      cluster:admin/opendistro/_scheduled_jobs/stats
GET             {p}/{node_id}/stats                     cluster:admin/opendistro/_scheduled_jobs/stats
GET             {p}/{node_id}/stats/{metric}            cluster:admin/opendistro/_scheduled_jobs/stats
"""

#: Issue 19's APIs, one block per module.
#: UltraWarm's migrations (api/ultrawarm.py), with the action names Amazon OpenSearch Service's
#: fine-grained access control checks (its ``ultrawarm_manager`` role's action groups).
_ULTRAWARM = """
GET         /_ultrawarm/migration/_status                   cluster:admin/ultrawarm/migration/list
POST        /_ultrawarm/migration/_cancel/{index}           indices:admin/ultrawarm/migration/cancel
POST        /_ultrawarm/migration/{index}/_warm             indices:admin/ultrawarm/migration/warm
POST        /_ultrawarm/migration/{index}/_hot              indices:admin/ultrawarm/migration/hot
GET         /_ultrawarm/migration/{index}/_status           indices:admin/ultrawarm/migration/get
"""
#: Index State Management (api/ism.py), under both prefixes: the index-management plugin's
#: transport actions (GET of the list is GetPoliciesAction's ``policy/search``).
_ISM = """
GET             {p}/policies                            cluster:admin/opendistro/ism/policy/search
PUT             {p}/policies                            cluster:admin/opendistro/ism/policy/write
GET             {p}/policies/{policy_id}                cluster:admin/opendistro/ism/policy/get
PUT             {p}/policies/{policy_id}                cluster:admin/opendistro/ism/policy/write
DELETE          {p}/policies/{policy_id}                cluster:admin/opendistro/ism/policy/delete
POST            {p}/add                                 cluster:admin/opendistro/ism/managedindex/add
POST            {p}/add/{index}                         cluster:admin/opendistro/ism/managedindex/add
POST            {p}/remove                              cluster:admin/opendistro/ism/managedindex/remove
POST            {p}/remove/{index}                      cluster:admin/opendistro/ism/managedindex/remove
POST            {p}/change_policy                       cluster:admin/opendistro/ism/managedindex/change
POST            {p}/change_policy/{index}               cluster:admin/opendistro/ism/managedindex/change
POST            {p}/retry                               cluster:admin/opendistro/ism/managedindex/retry
POST            {p}/retry/{index}                       cluster:admin/opendistro/ism/managedindex/retry
GET,POST        {p}/explain                             cluster:admin/opendistro/ism/managedindex/explain
GET,POST        {p}/explain/{index}                     cluster:admin/opendistro/ism/managedindex/explain
"""
#: Snapshots and repositories (api/snapshots.py).
_SNAPSHOTS = """
GET             /_snapshot                              cluster:admin/repository/get
GET             /_snapshot/{repository}                 cluster:admin/repository/get
PUT,POST        /_snapshot/{repository}                 cluster:admin/repository/put
DELETE          /_snapshot/{repository}                 cluster:admin/repository/delete
POST            /_snapshot/{repository}/_verify         cluster:admin/repository/verify
POST            /_snapshot/{repository}/_cleanup        cluster:admin/repository/_cleanup
GET             /_snapshot/_status                      cluster:admin/snapshot/status
GET             /_snapshot/{repository}/_status         cluster:admin/snapshot/status
PUT,POST        /_snapshot/{repository}/{snapshot}      cluster:admin/snapshot/create
GET             /_snapshot/{repository}/{snapshot}      cluster:admin/snapshot/get
DELETE          /_snapshot/{repository}/{snapshot}      cluster:admin/snapshot/delete
GET             /_snapshot/{repository}/{snapshot}/_status  cluster:admin/snapshot/status
POST            /_snapshot/{repository}/{snapshot}/_restore cluster:admin/snapshot/restore
GET             /_cat/snapshots                         cluster:admin/snapshot/get
GET             /_cat/snapshots/{repository}            cluster:admin/snapshot/get
GET             /_cat/repositories                      cluster:admin/repository/get
"""
#: Snapshot management policies (api/sm.py).
_SM = """
GET             /_plugins/_sm/policies                  cluster:admin/opensearch/snapshot_management/policy/search
GET             /_plugins/_sm/policies/                 cluster:admin/opensearch/snapshot_management/policy/search
POST,PUT        /_plugins/_sm/policies/{name}           cluster:admin/opensearch/snapshot_management/policy/write
GET             /_plugins/_sm/policies/{name}           cluster:admin/opensearch/snapshot_management/policy/get
DELETE          /_plugins/_sm/policies/{name}           cluster:admin/opensearch/snapshot_management/policy/delete
GET             /_plugins/_sm/policies/{name}/_explain  cluster:admin/opensearch/snapshot_management/policy/explain
POST            /_plugins/_sm/policies/{name}/_start    cluster:admin/opensearch/snapshot_management/policy/start
POST            /_plugins/_sm/policies/{name}/_stop     cluster:admin/opensearch/snapshot_management/policy/stop
"""
#: ``_forcemerge``, ``_segments`` and ``_rollover`` (api/index_ops.py).
_INDEX_OPS = """
POST        /_forcemerge                                    indices:admin/forcemerge
POST        /{index}/_forcemerge                            indices:admin/forcemerge
GET         /_segments                                      indices:monitor/segments
GET         /{index}/_segments                              indices:monitor/segments
POST        /{alias}/_rollover                              indices:admin/rollover
POST        /{alias}/_rollover/{new_index}                  indices:admin/rollover
"""

#: The Reporting plugin (api/reports.py; reports-scheduler's action names). Loghaven's
#: download of an instance reads it (``instance/get``); a pack's install creates a definition.
_REPORTS = """
POST            /_plugins/_reports/definition                   cluster:admin/opendistro/reports/definition/create
PUT             /_plugins/_reports/definition/{id}              cluster:admin/opendistro/reports/definition/update
GET             /_plugins/_reports/definition/{id}              cluster:admin/opendistro/reports/definition/get
DELETE          /_plugins/_reports/definition/{id}              cluster:admin/opendistro/reports/definition/delete
GET             /_plugins/_reports/definitions                  cluster:admin/opendistro/reports/definition/list
POST            /_plugins/_reports/on_demand/{id}               cluster:admin/opendistro/reports/definition/on_demand
GET             /_plugins/_reports/instances                    cluster:admin/opendistro/reports/instance/list
GET             /_plugins/_reports/instance/{id}                cluster:admin/opendistro/reports/instance/get
GET             /_plugins/_reports/instance/{id}/_download      cluster:admin/opendistro/reports/instance/get
POST            /_plugins/_reports/packs/{name}/_install        cluster:admin/opendistro/reports/definition/create
"""

#: The SQL plugin (api/sql.py), under both prefixes, each path also with a trailing slash.
#: OpenSearch 2.x checks no action of its own for SQL (its REST handler runs the searches as
#: the caller): a statement, its explain, its cursor pages and their closing are the searches
#: they run, ``indices:data/read/search`` on each index (so index permissions, DLS and FLS
#: apply as for ``_search``); PPL is ``PPLQueryAction`` (``cluster:admin/opensearch/ppl``),
#: whose searches are checked as searches too (ITEM_ACTIONS); the counters need no action;
#: the settings are ``_cluster/settings``' update.
_SQL = """
POST            {p}/_sql                                indices:data/read/search
POST            {p}/_sql/_explain                       indices:data/read/search
POST            {p}/_sql/close                          indices:data/read/search
GET,POST        {p}/_sql/stats                          authenticated
POST            {p}/_ppl                                cluster:admin/opensearch/ppl
POST            {p}/_ppl/_explain                       cluster:admin/opensearch/ppl
GET,POST        {p}/_ppl/stats                          authenticated
PUT             {p}/_query/settings                     cluster:admin/settings/update
"""


def with_trailing_slashes(text: str) -> str:
    """Each line of a table, and the same line for its path with a trailing slash."""
    out = []
    for line in text.splitlines():
        if line.strip():
            methods, path, rest = line.split(maxsplit=2)
            out += [f"{methods} {path} {rest}\n", f"{methods} {path}/ {rest}\n"]
    return "".join(out)


def parse(text: str) -> dict[tuple[str, str], Permission]:
    """A table's lines: methods, path template, action or kind, and ``hec`` if marked."""
    table: dict[tuple[str, str], Permission] = {}
    for line in text.splitlines():
        if not line.strip():
            continue
        methods, path, action, *marks = line.split()
        assert set(marks) <= {"hec"}, f"{path}: unknown marks {marks}"
        if action in (PUBLIC, AUTHENTICATED, UI):
            permission = Permission(action, hec="hec" in marks)
        else:
            permission = Permission(CLUSTER if is_cluster_action(action) else INDEX, action,
                                    hec="hec" in marks)
        for method in methods.split(","):
            assert (method, path) not in table, f"{method} {path} twice in the table"
            table[method, path] = permission
    return table


TABLE = parse(_TABLE + _TOPICS + _HEC
              + "".join(_HEC_INPUTS.replace("{p}", prefix)
                        for prefix in ("/services", "/servicesNS/{user}/{app}"))
              + _ELASTICSEARCH_SECURITY + _API_TOKENS + _CREDENTIALS
              + _NOTIFICATIONS
              + "".join(_SECURITY.replace("{p}", prefix)
                        for prefix in ("/_plugins/_security", "/_opendistro/_security"))
              + "".join((_DESTINATIONS + _ALERTING_MONITORS).replace("{p}", prefix)
                        for prefix in ("/_plugins/_alerting", "/_opendistro/_alerting"))
              + _ALARMS
              + "".join(_ISM.replace("{p}", prefix) for prefix in ("/_plugins/_ism",
                                                                      "/_opendistro/_ism"))
              + _ULTRAWARM + _SNAPSHOTS + _SM + _INDEX_OPS + _REPORTS
              + "".join(with_trailing_slashes(_SQL).replace("{p}", prefix)
                        for prefix in ("/_plugins", "/_opendistro")))


def permission(method: str, path_format: str) -> Permission | None:
    """The permission of a route's method (HEAD is GET's unless listed apart)."""
    found = TABLE.get((method, path_format))
    if found is None and method == "HEAD":
        found = TABLE.get(("GET", path_format))
    return found


def endpoints(routes: Sequence[BaseRoute], prefix: str = "") -> Iterator[
        tuple[BaseRoute, str, tuple[str, ...]]]:
    """Every endpoint under ``routes``: the route, its full path template and its methods (a
    mount of an ASGI app, such as the UI's static files, answers GET)."""
    for route in routes:
        if isinstance(route, Mount) and route.routes:
            yield from endpoints(route.routes, prefix + route.path)
        elif isinstance(route, Mount):
            yield route, prefix + route.path_format, ("GET", "HEAD")
        elif isinstance(route, Route):
            yield route, prefix + route.path_format, tuple(sorted(route.methods or ()))


def check(routes: Sequence[BaseRoute]) -> None:
    """Refuse an application with a route the table has no permission for."""
    missing = [f"{method} {path}" for _, path, methods in endpoints(routes)
               for method in methods if permission(method, path) is None]
    if missing:
        raise RuntimeError("routes without a permission in api/permissions.py: "
                           + ", ".join(missing))
