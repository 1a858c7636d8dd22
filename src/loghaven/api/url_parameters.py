"""THE URL-parameter table: the parameters each REST route accepts, checked before it runs.

Elasticsearch refuses a request whose URL carries a parameter its handler did not read
(``BaseRestHandler.handleRequest``: ``request [/x/_search] contains unrecognized parameter:
[b]``, a 400 ``illegal_argument_exception``, with ``-> did you mean [y]?`` for the accepted
names close to it), so a typo such as ``?refersh=true`` is an error and not a silent no-op.
Loghaven's handlers read their parameters in many places; this table says in one place what
each route takes (tests/test_url_parameters_table.py checks that every route has a line, as
tests/test_permissions_table.py does for actions), and :func:`checked` wraps every route's endpoint
so that nothing else needs to look.

The sets are the union of the Elasticsearch 7 and OpenSearch 2 REST specs' ``params`` for the
endpoint (``rest-api-spec/api/*.json``, as their Python clients carry them; for the document
and search APIs also Elasticsearch 8's), so that what a real
client sends passes even when Loghaven ignores it (``typed_keys``, ``master_timeout``,
``wait_for_active_shards``), plus what Loghaven's own handlers read. The parameters of
``RestRequest`` itself and of the response channel (``pretty``, ``human``, ``error_trace``,
``filter_path``, ``format``, ``source``, ``source_content_type``) are accepted everywhere, as
ES does: its ``AbstractRestChannel`` reads ``format`` (json, yaml, ...) of every request, and
SQL clients send ``GET /<index>/_mapping?format=json``.

The plugins' routes (alerting, notifications, ISM, snapshot management, SQL/PPL, reports,
security, the job scheduler) are checked too: their REST handlers extend ``BaseRestHandler``
and refuse an unknown parameter as core does. Their sets are what the handler reads before
that check (``request.param`` and its kin in ``prepareRequest``, a ``consumeParameters``, the
``responseParams()`` it declares; a read inside the returned ``RestChannelConsumer`` runs too
late to count), from the plugins' sources (opensearch-project/alerting, notifications,
index-management, sql, reporting, security, job-scheduler; the table's comments name the
handlers), plus what Loghaven's handler reads, which must pass or its feature breaks
(``from_index``/``max_items`` of the notification channels, ``user`` of the access keys). The
legacy destination writes are those of alerting 1.x, whose handlers 2.0 removed; UltraWarm
(Amazon's, not open source) takes what its documentation shows (``migration_type``, ``v``);
Elasticsearch's ``_security/api_key`` takes its REST spec's; Loghaven's own routes
(``_plugins/_loghaven``, the reports' ``_download`` and packs, the access and HEC tokens) take
what their handler reads.

A route marked ``*``, or under :data:`UNCHECKED_PREFIXES`, is not checked: the web UI's pages
and API (``/_dashboards``: OpenSearch Dashboards checks its own with per-route schemas and
answers in its own error shape), Splunk's HTTP Event Collector and REST API (``/services``,
``/servicesNS``: Splunk is no ``BaseRestHandler``; its documentation lists the parameters
HEC reads, ``channel``, ``host``, ``source``, ``sourcetype``, ``index``, ``time``, ``fields``,
``auto_extract_timestamp``, ..., and no refusal of others, and an Elasticsearch error body
would mean nothing to a Splunk client), the
Prometheus exporter's ``/_prometheus/metrics`` and the AWS protocols' root (``POST /``).
"""

from __future__ import annotations

import copy
from collections.abc import Sequence

from starlette.requests import Request
from starlette.routing import BaseRoute, Mount, Router
from starlette.types import ASGIApp, Receive, Scope, Send

from loghaven.api import permissions
from loghaven.api.http import error_response
from loghaven.edits import edit_distance
from loghaven.errors import IllegalArgument

#: ``RestRequest``'s own parameters: every route takes them.
COMMON = frozenset({"pretty", "human", "error_trace", "filter_path", "format", "source",
                    "source_content_type"})
#: A route whose parameters are not checked.
ANY = "*"

_SOURCE = "_source _source_excludes _source_includes"
_INDICES = "allow_no_indices expand_wildcards ignore_unavailable"
_MASTER = "master_timeout cluster_manager_timeout"
_QUERY_STRING = "q df analyzer analyze_wildcard default_operator lenient"
_CAT = "format h help s v"

#: Named sets, referred to as ``@name`` in the table.
SETS = {
    "search": f"{_SOURCE} _source_include _source_exclude {_INDICES} {_QUERY_STRING} "
              "allow_partial_search_results batched_reduce_size cancel_after_time_interval "
              "ccs_minimize_roundtrips docvalue_fields explain from ignore_throttled "
              "include_named_queries_score max_concurrent_shard_requests "
              "min_compatible_shard_node phase_took pre_filter_shard_size preference "
              "request_cache rest_total_hits_as_int routing scroll search_pipeline search_type "
              "seq_no_primary_term size sort stats stored_fields suggest_field suggest_mode "
              "suggest_size suggest_text terminate_after timeout track_scores track_total_hits "
              "typed_keys verbose_pipeline version force_synthetic_source",
    "count": f"{_INDICES} {_QUERY_STRING} ignore_throttled min_score preference routing "
             "terminate_after timeout",
    "msearch": f"{_INDICES} ccs_minimize_roundtrips ignore_throttled include_named_queries_score "
               "max_concurrent_searches max_concurrent_shard_requests pre_filter_shard_size "
               "rest_total_hits_as_int routing search_type typed_keys",
    "scroll": "rest_total_hits_as_int scroll scroll_id",
    "by_query": f"{_SOURCE} {_INDICES} {_QUERY_STRING} conflicts from max_docs pipeline "
                "preference refresh request_cache requests_per_second routing scroll "
                "scroll_size search_timeout search_type size slices sort stats "
                "terminate_after timeout version version_type wait_for_active_shards "
                "wait_for_completion",
    # pipeline: read to refuse it with ES's "Specify it in the [dest] object instead"
    "reindex": "max_docs pipeline refresh requests_per_second require_alias scroll slices "
               "timeout wait_for_active_shards wait_for_completion",
    "validate": f"{_INDICES} {_QUERY_STRING} all_shards explain rewrite",
    "bulk": f"{_SOURCE} pipeline refresh require_alias routing timeout "
            "wait_for_active_shards type include_source_on_error list_executed_pipelines "
            "require_data_stream",
    "get": f"{_SOURCE} preference realtime refresh routing stored_fields version version_type "
           "force_synthetic_source",
    "index": "if_primary_term if_seq_no op_type pipeline refresh require_alias routing timeout "
             "version version_type wait_for_active_shards include_source_on_error "
             "require_data_stream",
    "update": f"{_SOURCE} if_primary_term if_seq_no lang refresh require_alias "
              "retry_on_conflict routing timeout wait_for_active_shards include_source_on_error",
    "delete": "if_primary_term if_seq_no refresh routing timeout version version_type "
              "wait_for_active_shards",
    "cat": _CAT,
    "get_indices": f"{_INDICES} {_MASTER} flat_settings include_defaults include_type_name "
                   "local",
    "put_template": f"{_MASTER} cause create include_type_name order timeout",
    "get_template": f"{_MASTER} flat_settings include_type_name local",
    "master": f"{_MASTER} timeout",
}

# method(s)  path template  accepted parameters: names, @set, {_INDICES}/{_MASTER}; - (only the
# common ones); * (not checked). A line starting with # is a comment; a path starting with
# /{_plugins,_opendistro}/ is the route under both prefixes of a plugin's API.
_TABLE = """
GET         /                                               -
POST        /                                               *
GET         /_cluster/health                                {_INDICES} {_MASTER} awareness_attribute level local timeout wait_for_active_shards wait_for_events wait_for_no_initializing_shards wait_for_no_relocating_shards wait_for_nodes wait_for_status
GET         /_cluster/health/{index}                        {_INDICES} {_MASTER} awareness_attribute level local timeout wait_for_active_shards wait_for_events wait_for_no_initializing_shards wait_for_no_relocating_shards wait_for_nodes wait_for_status
GET,POST    /_cluster/allocation/explain                    include_disk_info include_yes_decisions
GET         /_cluster/state                                 {_INDICES} {_MASTER} flat_settings local wait_for_metadata_version wait_for_timeout
GET         /_cluster/state/{metric}                        {_INDICES} {_MASTER} flat_settings local wait_for_metadata_version wait_for_timeout
GET         /_cluster/state/{metric}/{index}                {_INDICES} {_MASTER} flat_settings local wait_for_metadata_version wait_for_timeout
GET         /_cluster/settings                              {_MASTER} flat_settings include_defaults timeout
PUT         /_cluster/settings                              {_MASTER} flat_settings timeout
GET         /_cluster/stats                                 flat_settings timeout
GET         /_tasks                                         actions detailed group_by nodes parent_task_id timeout wait_for_completion
GET         /_tasks/{task_id}                               timeout wait_for_completion
POST        /_tasks/_cancel                                 actions nodes parent_task_id wait_for_completion
POST        /_tasks/{task_id}/_cancel                       actions nodes parent_task_id wait_for_completion
POST        /_reindex/{task_id}/_rethrottle                 requests_per_second
POST        /_update_by_query/{task_id}/_rethrottle         requests_per_second
POST        /_delete_by_query/{task_id}/_rethrottle         requests_per_second
GET         /_resolve/index/{name}                          {_INDICES}
GET         /_ingest/processor/grok                         s ecs_compatibility
GET         /_nodes                                         flat_settings timeout
GET         /_nodes/{node_id}                               flat_settings timeout
GET         /_nodes/{node_id}/{metric}                      flat_settings timeout
GET         /_nodes/stats                                   @nodes_stats
GET         /_nodes/stats/{metric}                          @nodes_stats
GET         /_nodes/stats/{metric}/{index_metric}           @nodes_stats
GET         /_nodes/{node_id}/stats                         @nodes_stats
GET         /_nodes/{node_id}/stats/{metric}                @nodes_stats
GET         /_nodes/{node_id}/stats/{metric}/{index_metric} @nodes_stats
GET         /_plugins/_job_scheduler/api/jobs               by_node
GET         /_prometheus/metrics                            *

GET         /_cat/health                                    @cat time ts
GET         /_cat/nodes                                     @cat {_MASTER} bytes full_id include_unloaded_segments local time
GET         /_cat/plugins                                   @cat {_MASTER} include_bootstrap local
GET         /_cat/templates                                 @cat {_MASTER} local
GET         /_cat/templates/{name}                          @cat {_MASTER} local
GET         /_cat/indices                                   @cat {_MASTER} bytes expand_wildcards health include_unloaded_segments local pri time
GET         /_cat/indices/{index}                           @cat {_MASTER} bytes expand_wildcards health include_unloaded_segments local pri time
GET         /_cat/shards                                    @cat {_MASTER} bytes local time
GET         /_cat/shards/{index}                            @cat {_MASTER} bytes local time
GET         /_cat/segments                                  @cat {_MASTER} bytes
GET         /_cat/segments/{index}                          @cat {_MASTER} bytes
GET         /_cat/count                                     @cat
GET         /_cat/count/{index}                             @cat
GET         /_cat/aliases                                   @cat expand_wildcards local
GET         /_cat/aliases/{name}                            @cat expand_wildcards local

GET         /_stats                                         @indices_stats
GET         /_stats/{metric}                                @indices_stats
GET         /{index}/_stats                                 @indices_stats
GET         /{index}/_stats/{metric}                        @indices_stats
GET,POST    /_analyze                                       index
GET,POST    /{index}/_analyze                               index

GET,POST    /_search                                        @search
GET,POST    /{index}/_search                                @search
GET,POST    /_count                                         @count
GET,POST    /{index}/_count                                 @count
GET,POST    /_msearch                                       @msearch
GET,POST    /{index}/_msearch                               @msearch
GET,POST    /_search/scroll                                 @scroll
GET,POST    /_search/scroll/{scroll_id}                     @scroll
DELETE      /_search/scroll                                 scroll_id
DELETE      /_search/scroll/{scroll_id}                     scroll_id
POST        /{index}/_search/point_in_time                  allow_partial_pit_creation expand_wildcards keep_alive preference routing
GET         /_search/point_in_time/_all                     -
DELETE      /_search/point_in_time                          -
DELETE      /_search/point_in_time/_all                     -
POST        /{index}/_pit                                   {_INDICES} keep_alive preference routing allow_partial_search_results max_concurrent_shard_requests
DELETE      /_pit                                           -
GET,POST    /_validate/query                                @validate
GET,POST    /{index}/_validate/query                        @validate
GET,POST    /_field_caps                                    {_INDICES} fields include_unmapped filters include_empty_fields types
GET,POST    /{index}/_field_caps                            {_INDICES} fields include_unmapped filters include_empty_fields types
POST        /{index}/_delete_by_query                       @by_query
POST        /{index}/_update_by_query                       @by_query
POST        /_reindex                                       @reindex

GET,POST    /_ingest/pipeline/_simulate                     verbose
GET,POST    /_ingest/pipeline/{id}/_simulate                verbose
GET         /_ingest/pipeline                               {_MASTER} summary
GET         /_ingest/pipeline/{id}                          {_MASTER} summary
PUT         /_ingest/pipeline/{id}                          @master if_version
DELETE      /_ingest/pipeline/{id}                          @master
GET         /_scripts/{id}                                  {_MASTER}
PUT,POST    /_scripts/{id}                                  @master context
DELETE      /_scripts/{id}                                  @master
GET,HEAD    /_template                                      @get_template
GET,HEAD    /_template/{name}                               @get_template
PUT,POST    /_template/{name}                               @put_template
DELETE      /_template/{name}                               @master
GET,HEAD    /_index_template                                @get_template
GET,HEAD    /_index_template/{name}                         @get_template
PUT,POST    /_index_template/{name}                         @put_template
DELETE      /_index_template/{name}                         @master
GET,HEAD    /_component_template                            @get_template
GET,HEAD    /_component_template/{name}                     @get_template
PUT,POST    /_component_template/{name}                     @put_template
DELETE      /_component_template/{name}                     @master

POST        /_aliases                                       @master
GET         /_alias                                         {_INDICES} local
GET         /_aliases                                       {_INDICES} local
GET,HEAD    /_alias/{name}                                  {_INDICES} local
GET         /{index}/_alias                                 {_INDICES} local
GET         /{index}/_aliases                               {_INDICES} local
GET,HEAD    /{index}/_alias/{name}                          {_INDICES} local
PUT,POST    /{index}/_alias/{name}                          @master
PUT,POST    /{index}/_aliases/{name}                        @master
DELETE      /{index}/_alias/{name}                          @master
DELETE      /{index}/_aliases/{name}                        @master

PUT,POST    /_bulk                                          @bulk
PUT,POST    /{index}/_bulk                                  @bulk
PUT,POST    /{index}/{type}/_bulk                           @bulk
GET,POST    /_mget                                          @get
GET,POST    /{index}/_mget                                  @get
POST        /{index}/_doc                                   @index
PUT,POST    /{index}/_doc/{id}                              @index
PUT,POST    /{index}/_create/{id}                           @index
POST        /{index}/_update/{id}                           @update
DELETE      /{index}/_doc/{id}                              @delete
GET,HEAD    /{index}/_doc/{id}                              @get
GET         /{index}/_source/{id}                           @get
POST        /{index}/{type}                                 @index
PUT,POST    /{index}/{type}/{id}                            @index
PUT,POST    /{index}/{type}/{id}/_create                    @index
POST        /{index}/{type}/{id}/_update                    @update
DELETE      /{index}/{type}/{id}                            @delete
GET,HEAD    /{index}/{type}/{id}                            @get
GET         /{index}/{type}/{id}/_source                    @get
GET,POST    /{index}/{type}/_mget                           @get
GET,POST    /{index}/{type}/_search                         @search
GET,POST    /{index}/{type}/_count                          @count
GET,POST    /{index}/{type}/_msearch                        @msearch
GET,POST    /{index}/{type}/_validate/query                 @validate
POST        /{index}/{type}/_delete_by_query                @by_query
POST        /{index}/{type}/_update_by_query                @by_query

GET         /_mapping                                       @get_indices
GET         /{index}/_mapping                               @get_indices
GET         /_mappings                                      @get_indices
GET         /{index}/_mappings                              @get_indices
GET         /_mapping/field/{fields}                        @get_indices
GET         /{index}/_mapping/field/{fields}                @get_indices
PUT,POST    /{index}/_mapping                               {_INDICES} @master include_type_name write_index_only
PUT,POST    /{index}/_mappings                              {_INDICES} @master include_type_name write_index_only
PUT,POST    /{index}/_mapping/{type}                        {_INDICES} @master include_type_name write_index_only
GET         /_settings                                      @get_indices
GET         /_settings/{name}                               @get_indices
GET         /{index}/_settings                              @get_indices
GET         /{index}/_settings/{name}                       @get_indices
PUT         /_settings                                      {_INDICES} @master flat_settings preserve_existing
PUT         /{index}/_settings                              {_INDICES} @master flat_settings preserve_existing
GET,POST    /_refresh                                       {_INDICES}
GET,POST    /{index}/_refresh                               {_INDICES}
GET,POST    /_flush                                         {_INDICES} force wait_if_ongoing
GET,POST    /{index}/_flush                                 {_INDICES} force wait_if_ongoing
POST        /{index}/_close                                 {_INDICES} @master wait_for_active_shards
POST        /{index}/_open                                  {_INDICES} @master wait_for_active_shards task_execution_timeout wait_for_completion
PUT         /{index}                                        @master include_type_name wait_for_active_shards
DELETE      /{index}                                        {_INDICES} @master
GET,HEAD    /{index}                                        @get_indices

GET         /_snapshot                                      {_MASTER} local
GET         /_snapshot/{repository}                         {_MASTER} local
PUT,POST    /_snapshot/{repository}                         @master verify
DELETE      /_snapshot/{repository}                         @master
POST        /_snapshot/{repository}/_verify                 @master
POST        /_snapshot/{repository}/_cleanup                @master
GET         /_snapshot/_status                              {_MASTER} ignore_unavailable
GET         /_snapshot/{repository}/_status                 {_MASTER} ignore_unavailable
PUT,POST    /_snapshot/{repository}/{snapshot}              {_MASTER} wait_for_completion
GET         /_snapshot/{repository}/{snapshot}              {_MASTER} ignore_unavailable include_repository index_details verbose
DELETE      /_snapshot/{repository}/{snapshot}              {_MASTER}
GET         /_snapshot/{repository}/{snapshot}/_status      {_MASTER} ignore_unavailable
POST        /_snapshot/{repository}/{snapshot}/_restore     {_MASTER} wait_for_completion
GET         /_cat/snapshots                                 @cat {_MASTER} ignore_unavailable time
GET         /_cat/snapshots/{repository}                    @cat {_MASTER} ignore_unavailable time
GET         /_cat/repositories                              @cat {_MASTER} local

POST        /_forcemerge                                    {_INDICES} flush max_num_segments only_expunge_deletes primary_only wait_for_completion
POST        /{index}/_forcemerge                            {_INDICES} flush max_num_segments only_expunge_deletes primary_only wait_for_completion
GET         /_segments                                      {_INDICES} verbose
GET         /{index}/_segments                              {_INDICES} verbose
POST        /{alias}/_rollover                              @master dry_run include_type_name wait_for_active_shards
POST        /{alias}/_rollover/{new_index}                  @master dry_run include_type_name wait_for_active_shards

GET         /_security/_authenticate                        -

# the Alerting plugin's REST handlers (opensearch-project/alerting, alerting/resthandler)
POST                 /{_plugins,_opendistro}/_alerting/monitors                                     @write
GET,POST             /{_plugins,_opendistro}/_alerting/monitors/_search                             index
POST                 /{_plugins,_opendistro}/_alerting/monitors/_execute                            dryrun period_end
GET                  /{_plugins,_opendistro}/_alerting/monitors/alerts                              @alerts
GET                  /{_plugins,_opendistro}/_alerting/monitors/{monitor_id}                        version
PUT                  /{_plugins,_opendistro}/_alerting/monitors/{monitor_id}                        @write
DELETE               /{_plugins,_opendistro}/_alerting/monitors/{monitor_id}                        refresh
POST                 /{_plugins,_opendistro}/_alerting/monitors/{monitor_id}/_execute               dryrun period_end
POST                 /{_plugins,_opendistro}/_alerting/monitors/{monitor_id}/_acknowledge/alerts    refresh
GET                  /{_plugins,_opendistro}/_alerting/destinations                                 @destinations
GET                  /{_plugins,_opendistro}/_alerting/destinations/{destination_id}                @destinations
POST                 /{_plugins,_opendistro}/_alerting/destinations                                 @write
PUT                  /{_plugins,_opendistro}/_alerting/destinations/{destination_id}                @write
DELETE               /{_plugins,_opendistro}/_alerting/destinations/{destination_id}                refresh
GET                  /{_plugins,_opendistro}/_alerting/stats                                        timeout
GET                  /{_plugins,_opendistro}/_alerting/stats/{metric}                               timeout
GET                  /{_plugins,_opendistro}/_alerting/{node_id}/stats                              timeout
GET                  /{_plugins,_opendistro}/_alerting/{node_id}/stats/{metric}                     timeout
GET                  /_plugins/_alerting/findings/_search                             @alert_table findingId

# the Notifications plugin (opensearch-project/notifications, resthandler)
GET                  /_plugins/_notifications/configs                                 @notify_configs @notify_filters
POST                 /_plugins/_notifications/configs                                 @notify_configs
DELETE               /_plugins/_notifications/configs                                 @notify_configs
GET                  /_plugins/_notifications/configs/{config_id}                     @notify_configs @notify_filters
PUT,DELETE           /_plugins/_notifications/configs/{config_id}                     @notify_configs
GET                  /_plugins/_notifications/channels                                from_index max_items
GET                  /_plugins/_notifications/features                                -
GET,POST             /_plugins/_notifications/feature/test/{config_id}                config_id

# Index State Management (opensearch-project/index-management, indexstatemanagement/resthandler)
GET                  /{_plugins,_opendistro}/_ism/policies                                          @ism_search
PUT                  /{_plugins,_opendistro}/_ism/policies                                          @write
GET                  /{_plugins,_opendistro}/_ism/policies/{policy_id}                              @ism_search
PUT                  /{_plugins,_opendistro}/_ism/policies/{policy_id}                              @write
DELETE               /{_plugins,_opendistro}/_ism/policies/{policy_id}                              refresh
POST                 /{_plugins,_opendistro}/_ism/add                                               type
POST                 /{_plugins,_opendistro}/_ism/add/{index}                                       type
POST                 /{_plugins,_opendistro}/_ism/remove                                            type
POST                 /{_plugins,_opendistro}/_ism/remove/{index}                                    type
POST                 /{_plugins,_opendistro}/_ism/change_policy                                     type
POST                 /{_plugins,_opendistro}/_ism/change_policy/{index}                             type
POST                 /{_plugins,_opendistro}/_ism/retry                                             type cluster_manager_timeout master_timeout
POST                 /{_plugins,_opendistro}/_ism/retry/{index}                                     type cluster_manager_timeout master_timeout
GET,POST             /{_plugins,_opendistro}/_ism/explain                                           @ism_explain
GET,POST             /{_plugins,_opendistro}/_ism/explain/{index}                                   @ism_explain

# Snapshot Management (index-management, snapshotmanagement/api/resthandler)
GET                  /_plugins/_sm/policies                                           @ism_search
GET                  /_plugins/_sm/policies/                                          @ism_search
POST,PUT             /_plugins/_sm/policies/{name}                                    @write
GET                  /_plugins/_sm/policies/{name}                                    -
DELETE               /_plugins/_sm/policies/{name}                                    refresh
GET                  /_plugins/_sm/policies/{name}/_explain                           -
POST                 /_plugins/_sm/policies/{name}/_start                             -
POST                 /_plugins/_sm/policies/{name}/_stop                              -

# SQL and PPL (opensearch-project/sql: legacy RestSqlAction, RestSqlStatsAction; plugin RestPPLQueryAction, RestPPLStatsAction, RestQuerySettingsAction)
POST                 /{_plugins,_opendistro}/_sql                                                   @sql
POST                 /{_plugins,_opendistro}/_sql/                                                  @sql
POST                 /{_plugins,_opendistro}/_sql/_explain                                          @sql
POST                 /{_plugins,_opendistro}/_sql/_explain/                                         @sql
POST                 /{_plugins,_opendistro}/_sql/close                                             @sql
POST                 /{_plugins,_opendistro}/_sql/close/                                            @sql
GET,POST             /{_plugins,_opendistro}/_sql/stats                                             @sql
GET,POST             /{_plugins,_opendistro}/_sql/stats/                                            @sql
POST                 /{_plugins,_opendistro}/_ppl                                                   @ppl
POST                 /{_plugins,_opendistro}/_ppl/                                                  @ppl
POST                 /{_plugins,_opendistro}/_ppl/_explain                                          @ppl
POST                 /{_plugins,_opendistro}/_ppl/_explain/                                         @ppl
GET,POST             /{_plugins,_opendistro}/_ppl/stats                                             format sanitize
GET,POST             /{_plugins,_opendistro}/_ppl/stats/                                            format sanitize
PUT                  /{_plugins,_opendistro}/_query/settings                                        timeout cluster_manager_timeout
PUT                  /{_plugins,_opendistro}/_query/settings/                                       timeout cluster_manager_timeout

# the Reports scheduler (opensearch-project/reporting, reportsscheduler/resthandler); _download and packs are Loghaven's
POST                 /_plugins/_reports/definition                                    -
PUT,GET,DELETE       /_plugins/_reports/definition/{id}                               -
GET                  /_plugins/_reports/definitions                                   fromIndex maxItems
POST                 /_plugins/_reports/on_demand/{id}                                -
GET                  /_plugins/_reports/instances                                     fromIndex maxItems
GET                  /_plugins/_reports/instance/{id}                                 -
GET                  /_plugins/_reports/instance/{id}/_download                       -
POST                 /_plugins/_reports/packs/{name}/_install                         -

# Security (opensearch-project/security: dlic/rest/api, rest/SecurityHealthAction, SecurityInfoAction, action/apitokens); accesskeys and hectokens are Loghaven's
GET,PATCH            /{_plugins,_opendistro}/_security/api/internalusers                            filterBy
GET,PUT,DELETE,PATCH /{_plugins,_opendistro}/_security/api/internalusers/{name}                     filterBy
GET,PATCH            /{_plugins,_opendistro}/_security/api/roles                                    -
GET,PUT,DELETE,PATCH /{_plugins,_opendistro}/_security/api/roles/{name}                             -
GET,PATCH            /{_plugins,_opendistro}/_security/api/rolesmapping                             -
GET,PUT,DELETE,PATCH /{_plugins,_opendistro}/_security/api/rolesmapping/{name}                      -
GET,PATCH            /{_plugins,_opendistro}/_security/api/actiongroups                             -
GET,PUT,DELETE,PATCH /{_plugins,_opendistro}/_security/api/actiongroups/{name}                      -
GET,PUT              /{_plugins,_opendistro}/_security/api/account                                  -
GET,POST             /{_plugins,_opendistro}/_security/health                                       mode
GET,POST             /{_plugins,_opendistro}/_security/authinfo                                     auth_type verbose
GET,POST             /_plugins/_security/api/apitokens                                id
DELETE               /_plugins/_security/api/apitokens/{id}                           id
GET                  /_plugins/_security/api/accesskeys                               user
POST                 /_plugins/_security/api/accesskeys                               -
GET,DELETE           /_plugins/_security/api/accesskeys/{key_id}                      -
GET                  /_plugins/_security/api/hectokens                                -
GET,PUT,DELETE       /_plugins/_security/api/hectokens/{name}                         -

# Elasticsearch's security API (rest-api-spec security.create_api_key, get_api_key, invalidate_api_key)
POST,PUT             /_security/api_key                                               refresh
GET                  /_security/api_key                                               id name username realm_name owner with_limited_by active_only with_profile_uid
DELETE               /_security/api_key                                               -

# UltraWarm (Amazon OpenSearch Service's documentation: not open source)
GET                  /_ultrawarm/migration/_status                                    migration_type v
POST                 /_ultrawarm/migration/_cancel/{index}                            -
POST                 /_ultrawarm/migration/{index}/_warm                              -
POST                 /_ultrawarm/migration/{index}/_hot                               -
GET                  /_ultrawarm/migration/{index}/_status                            -

# Loghaven's own
GET                  /_plugins/_loghaven/alarms                                       -
POST                 /_plugins/_loghaven/alarms/_enable                               -
GET                  /_plugins/_loghaven/topics/dead_letters                          topic_arn
""".replace("{_INDICES}", _INDICES).replace("{_MASTER}", _MASTER)

# The plugins' (see the table's comments for the handlers they are read from)
_ALERT_TABLE = "missing searchString size sortOrder sortString startIndex"
_ISM_SEARCH = "from queryString size sortField sortOrder"
SETS.update({
    # if_seq_no, if_primary_term, refresh: the plugins' index handlers (monitor, policy, ...)
    "write": "if_primary_term if_seq_no refresh",
    "alerts": f"{_ALERT_TABLE} alertState monitorId severityLevel workflowIds",
    "alert_table": _ALERT_TABLE,
    # RestGetDestinationsAction (RestActions.parseVersion reads version)
    "destinations": f"{_ALERT_TABLE} destinationType version",
    # NotificationConfigRestHandler.responseParams(), taken by all its routes
    "notify_configs": "config_id config_id_list from_index max_items sort_field sort_order",
    # ConfigQueryHelper.FILTER_PARAMS: read (request.params() filtered) by its GET routes
    "notify_filters": "last_updated_time_ms created_time_ms is_enabled config_type name "
                      "description query text_query name.keyword description.keyword "
                      "email.email_account_id email.email_group_id_list "
                      "email.recipient_list.recipient email.recipient_list.recipient.keyword "
                      "email_group.recipient_list.recipient "
                      "email_group.recipient_list.recipient.keyword "
                      "slack.url slack.url.keyword chime.url chime.url.keyword "
                      "microsoft_teams.url microsoft_teams.url.keyword webhook.url "
                      "webhook.url.keyword smtp_account.method smtp_account.host "
                      "smtp_account.host.keyword smtp_account.from_address "
                      "smtp_account.from_address.keyword sns.topic_arn sns.topic_arn.keyword "
                      "sns.role_arn sns.role_arn.keyword ses_account.region "
                      "ses_account.role_arn ses_account.role_arn.keyword "
                      "ses_account.from_address ses_account.from_address.keyword",
    # getSearchParams (index-management's RestHandlerUtils), also SM's policy listing
    "ism_search": _ISM_SEARCH,
    "ism_explain": f"{_ISM_SEARCH} type local show_policy validate_action "
                   "cluster_manager_timeout master_timeout",
    # RestSqlAction.responseParams() (also RestSqlStatsAction's)
    "sql": "_id _score _type flat format newLine sanitize separator sql",
    # RestPPLQueryAction.responseParams()
    "ppl": "fetch_size format mode sanitize",
})
SETS["nodes_stats"] = ("completion_fields fielddata_fields fields groups "
                       "include_segment_file_sizes include_unloaded_segments level timeout types")
SETS["indices_stats"] = ("completion_fields expand_wildcards fielddata_fields fields "
                         "forbid_closed_indices groups include_segment_file_sizes "
                         "include_unloaded_segments level types")


def _expand(words: list[str]) -> frozenset[str] | None:
    if words == [ANY]:
        return None
    names: set[str] = set(COMMON)
    for word in words:
        if word == "-":
            continue
        if word.startswith("@"):
            names.update(SETS[word[1:]].split())
        else:
            names.add(word)
    return frozenset(names)


_BOTH_PREFIXES = "/{_plugins,_opendistro}/"


def parse(text: str) -> dict[tuple[str, str], frozenset[str] | None]:
    """A table's lines: methods, path template, and the parameters (None: not checked)."""
    table: dict[tuple[str, str], frozenset[str] | None] = {}
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        methods, written, *words = line.split()
        accepted = _expand(words)
        # ``/{_plugins,_opendistro}/...``: the route under both prefixes of a plugin's API
        paths = [written.replace(_BOTH_PREFIXES, f"/{prefix}/", 1)
                 for prefix in ("_plugins", "_opendistro")] \
            if written.startswith(_BOTH_PREFIXES) else [written]
        for method in methods.split(","):
            for path in paths:
                assert (method, path) not in table, f"{method} {path} twice in the table"
                table[method, path] = accepted
    return table


#: Routes not checked: every route not in the table above whose path starts with one of these
#: prefixes: the web UI's (``/_dashboards``) and Splunk's HEC and REST API (``/services``,
#: ``/servicesNS``), as the module's docstring says why.
UNCHECKED_PREFIXES = ("/_dashboards", "/services")

TABLE = parse(_TABLE)


def accepted(method: str, path_format: str) -> frozenset[str] | None:
    """The parameters a route's method takes; None when they are not checked.

    Raises ``KeyError`` for a route the table does not know (:func:`checked` then leaves it
    unchecked, and tests/test_url_parameters_table.py names it)."""
    if (method, path_format) in TABLE:
        return TABLE[method, path_format]
    if method == "HEAD" and ("GET", path_format) in TABLE:
        return TABLE["GET", path_format]
    if path_format.startswith(UNCHECKED_PREFIXES):
        return None
    raise KeyError(f"{method} {path_format}")


def _similarity(a: str, b: str) -> float:
    """Lucene's ``LevenshteinDistance.getDistance``: 1 - edits / the longer length."""
    longest = max(len(a), len(b))
    return 1.0 - edit_distance(a, b) / longest if longest else 1.0


def unrecognized(path: str, invalids: Sequence[str], candidates: frozenset[str]) -> str:
    """ES's ``BaseRestHandler.unrecognized`` message: the unknown names in order, each with
    the accepted names more than half similar to it, most similar first."""
    names = sorted(set(invalids))
    message = f"request [{path}] contains unrecognized parameter{'s' if len(names) > 1 else ''}: "
    parts = []
    for invalid in names:
        scored = sorted(((_similarity(invalid, c), c) for c in candidates),
                        key=lambda item: (-item[0], item[1]))
        keys = [c for score, c in scored if score > 0.5]
        part = f"[{invalid}]"
        if len(keys) == 1:
            part += f" -> did you mean [{keys[0]}]?"
        elif keys:
            part += f" -> did you mean any of [{', '.join(keys)}]?"
        parts.append(part)
    return message + ", ".join(parts)


class ParameterCheck:
    """Refuses a request with a URL parameter its route does not take, then runs the route."""

    def __init__(self, app: ASGIApp, entries: dict[str, frozenset[str] | None]) -> None:
        self.app = app
        self.entries = entries

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        accepted_names = self.entries.get(scope.get("method", ""))
        if accepted_names is not None and scope.get("query_string"):
            request = Request(scope)
            invalid = [name for name in request.query_params if name not in accepted_names]
            if invalid:
                error = IllegalArgument(unrecognized(request.url.path, invalid,
                                                     accepted_names))
                await error_response(request, error)(scope, receive, send)
                return
        await self.app(scope, receive, send)


def checked(routes: Sequence[BaseRoute], prefix: str = "") -> list[BaseRoute]:
    """Copies of ``routes`` whose endpoints first check their URL parameters.

    A route missing from the table runs unchecked (tests/test_url_parameters_table.py fails
    for it): a branch that adds routes still starts, and the test says which lines to add."""
    out: list[BaseRoute] = []
    for route in routes:
        if isinstance(route, Mount) and route.routes:
            inner = Router(routes=checked(route.routes, prefix + route.path))
            wrapped = copy.copy(route)
            wrapped._base_app = wrapped.app = inner
            out.append(wrapped)
            continue
        entries: dict[str, frozenset[str] | None] = {}
        for _, path, methods in permissions.endpoints([route], prefix):
            for method in methods:
                try:
                    entries[method] = accepted(method, path)
                except KeyError:
                    entries[method] = None
        if any(value is not None for value in entries.values()):
            wrapped = copy.copy(route)
            wrapped.app = ParameterCheck(route.app, entries)  # type: ignore[attr-defined]
            out.append(wrapped)
        else:
            out.append(route)
    return out
