"""Monitor bodies as their authors publish them: OpenSearch's Alerting API documentation, the
Dashboards visual editor, pySigma's OpenSearch backend. Used unchanged."""

from __future__ import annotations

import copy
from typing import Any

#: "Create query-level monitor" (OpenSearch documentation, Alerting API).
QUERY_LEVEL: dict[str, Any] = {
    "type": "monitor", "name": "test-monitor", "monitor_type": "query_level_monitor",
    "enabled": True, "schedule": {"period": {"interval": 1, "unit": "MINUTES"}},
    "inputs": [{"search": {"indices": ["movies"], "query": {
        "size": 0, "aggregations": {},
        "query": {"bool": {"filter": {"range": {"@timestamp": {
            "gte": "||-1h", "lte": "", "format": "epoch_millis"}}}}}}}}],
    "triggers": [{
        "name": "test-trigger", "severity": "1",
        "condition": {"script": {"source": "ctx.results[0].hits.total.value > 0",
                                 "lang": "painless"}},
        "actions": [{"name": "test-action", "destination_id": "ld7912sBlQ5JUWWFThoW",
                     "message_template": {"source": "This is my message body."},
                     "throttle_enabled": True, "throttle": {"value": 27, "unit": "MINUTES"},
                     "subject_template": {"source": "TheSubject"}}]}],
}

#: The same with the documentation's cron schedule (12:10 PM Pacific on the 1st).
QUERY_LEVEL_CRON: dict[str, Any] = {**copy.deepcopy(QUERY_LEVEL), "schedule": {
    "cron": {"expression": "10 12 1 * *", "timezone": "America/Los_Angeles"}}}

#: "Create bucket-level monitor" (OpenSearch documentation).
BUCKET_LEVEL: dict[str, Any] = {
    "type": "monitor", "name": "test-bucket-level-monitor",
    "monitor_type": "bucket_level_monitor", "enabled": True,
    "schedule": {"period": {"interval": 1, "unit": "MINUTES"}},
    "inputs": [{"search": {"indices": ["movies"], "query": {
        "size": 0,
        "query": {"bool": {"filter": [{"range": {"order_date": {
            "from": "{{period_end}}||-1h", "to": "{{period_end}}", "include_lower": True,
            "include_upper": True, "format": "epoch_millis"}}}]}},
        "aggregations": {"composite_agg": {
            "composite": {"sources": [{"user": {"terms": {"field": "user"}}}]},
            "aggregations": {"avg_products_base_price": {
                "avg": {"field": "products.base_price"}}}}}}}}],
    "triggers": [{"bucket_level_trigger": {
        "name": "test-trigger", "severity": "1",
        "condition": {
            "buckets_path": {"_count": "_count",
                             "avg_products_base_price": "avg_products_base_price"},
            "parent_bucket_path": "composite_agg",
            "script": {"source": "params._count > 50 || params.avg_products_base_price < 35",
                       "lang": "painless"}},
        "actions": [{
            "name": "test-action", "destination_id": "E4o5hnsB6KjPKmHtpfCA",
            "message_template": {"source": "Monitor {{ctx.monitor.name}} just entered alert "
                                           "status. New Alerts: {{ctx.newAlerts}}",
                                 "lang": "mustache"},
            "throttle_enabled": False, "throttle": {"value": 10, "unit": "MINUTES"},
            "action_execution_policy": {"action_execution_scope": {
                "per_alert": {"actionable_alerts": ["DEDUPED", "NEW"]}}},
            "subject_template": {"source": "The Subject", "lang": "mustache"}}]}}],
}

#: "Create document-level monitor" (OpenSearch documentation), its queries named as Sigma
#: rules converted for Security Analytics are.
DOC_LEVEL: dict[str, Any] = {
    "monitor_type": "doc_level_monitor", "name": "Example document-level monitor",
    "enabled": True, "schedule": {"period": {"interval": 1, "unit": "MINUTES"}},
    "inputs": [{"doc_level_input": {
        "description": "Example document-level monitor for audit logs",
        "indices": ["audit-logs"],
        "queries": [
            {"id": "nKQnFYABit3BxjGfiOXC", "name": "sigma-123",
             "query": "region:\"us-west-2\"", "tags": ["tag1"]},
            {"id": "gKQnABEJit3BxjGfiOXC", "name": "sigma-456",
             "query": "region:\"us-east-1\"", "tags": ["tag2"]},
            {"id": "h4J2ABEFNW3vxjGfiOXC", "name": "sigma-789",
             "query": "message:\"This is an SEPARATE error from IAD region\"",
             "tags": ["tag3"]}]}}],
    "triggers": [{"document_level_trigger": {
        "name": "test-trigger", "severity": "1",
        "condition": {"script": {
            "source": "(query[name=sigma-123] || query[tag=tag3]) && query[name=sigma-789]",
            "lang": "painless"}},
        "actions": [{"name": "test-action", "destination_id": "E4o5hnsB6KjPKmHtpfCA",
                     "message_template": {"source": "Monitor {{ctx.monitor.name}} fired",
                                          "lang": "mustache"},
                     "throttle_enabled": False,
                     "subject_template": {"source": "The Subject", "lang": "mustache"}}]}}],
}

#: What pySigma's OpenSearch backend (``monitor_rule`` output) emits for a Sigma rule: extra
#: top-level fields, a legacy unwrapped trigger, a numeric severity.
SIGMA_RULE: dict[str, Any] = {
    "type": "monitor", "name": "SIGMA - Suspicious PowerShell Download",
    "description": "Detects a PowerShell download cradle", "enabled": True,
    "schedule": {"period": {"interval": 5, "unit": "MINUTES"}},
    "inputs": [{"search": {"indices": ["beats-*"], "query": {"size": 1, "query": {"bool": {
        "must": [{"query_string": {
            "query": "CommandLine:*DownloadString* AND Image:*\\\\powershell.exe",
            "analyze_wildcard": True}}]}}}}}],
    "tags": ["attack-execution", "attack-t1059_001"],
    "triggers": [{"name": "generated-trigger", "severity": 2,
                  "condition": {"script": {"source": "ctx.results[0].hits.total.value > 0",
                                           "lang": "painless"}},
                  "actions": []}],
    "sigma_meta_data": {"rule_id": "3b6ab547-8ec2-4991-b9d2-2b06702a48d7", "threat": []},
    "references": ["https://example.org/powershell-cradles"],
}

#: The issue's IoT example as Dashboards' visual editor defines it: the maximum CPU per device
#: over the last 5 minutes, devices of the "iot" fleet.
IOT_GRAPH_UI: dict[str, Any] = {
    "searchType": "graph", "timeField": "@timestamp",
    "aggregations": [{"aggregationType": "max", "fieldName": "cpu"}],
    "groupBy": ["device_id"], "bucketValue": 5, "bucketUnitOfTime": "m",
    "where": {"fieldName": [{"label": "fleet", "type": "keyword"}], "operator": "is",
              "fieldValue": "iot"}}
