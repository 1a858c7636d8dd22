"""AWS WAF logs (WAFv2 and classic): one JSON object per request, one per line, as Firehose
and WAF's own S3 delivery write them.

The pipeline keeps every field of the record: the ones ECS has a name for move there
(``source.ip``, ``url.path``, ``rule.id``, ``event.action``, ...), the rest move under
``aws.waf.*`` as the snake_case of their AWS name. ``httpRequest`` itself is kept as
``aws.waf.request`` (its headers as ``{name, value}`` pairs, searchable by both); the rule
lists keep AWS's inner key names and map only the ids and actions, so new inner fields never
conflict.
"""

from __future__ import annotations

import re

from loghaven.ingest.parsers import register
from loghaven.ingest.parsers.ecs import (
    DATE,
    FLATTENED,
    GEO_FIELDS,
    IP,
    KEYWORD,
    LONG,
    MANAGED,
    first_object,
    geoip,
    index_template,
    json_lines,
)
from loghaven.ingest.parsers.parser import Parser

NAME = "aws-waf"
PIPELINE_ID = f"loghaven-{NAME}"

#: S3 keys of WAF logs: Firehose streams must be named ``aws-waf-logs-*``; WAF's direct S3
#: delivery writes ``AWSLogs/<account>/WAFLogs/<region>/<web ACL>/.../<account>_waflogs_...``.
_NAMES = re.compile(r"aws-waf-logs-|/WAFLogs/|_waflogs_", re.IGNORECASE)

#: Copies ``User-Agent`` and ``Host`` out of the header list (names are case-insensitive;
#: HTTP/2 requests log them lowercase).
_HEADERS_SCRIPT = """
def headers = ctx.httpRequest?.headers;
if (headers != null) {
  for (def header : headers) {
    if (header == null || header.name == null) { continue; }
    def name = header.name.toLowerCase();
    if (name == 'user-agent' && ctx.user_agent == null) {
      ctx.user_agent = ['original': header.value];
    } else if ((name == 'host' || name == ':authority') && ctx.url?.domain == null) {
      if (ctx.url == null) { ctx.url = [:]; }
      ctx.url.domain = header.value;
    }
  }
}
"""


def _move(field: str, target: str) -> dict[str, object]:
    return {"rename": {"field": field, "target_field": target, "ignore_missing": True}}


PIPELINE = {
    "description": "AWS WAF logs: ECS fields, client country and AS, user agent",
    "processors": [
        {"date": {"field": "timestamp", "formats": ["UNIX_MS"], "target_field": "@timestamp"}},
        {"remove": {"field": "timestamp"}},
        {"set": {"field": "event.kind", "value": "event"}},
        {"set": {"field": "event.category", "value": ["web"]}},
        {"set": {"field": "cloud.provider", "value": "aws"}},
        {"set": {"field": "cloud.service.name", "value": "waf"}},
        _move("action", "event.action"),
        {"set": {"field": "event.type", "value": ["access", "allowed"],
                 "if": "ctx.event?.action == 'ALLOW'"}},
        {"set": {"field": "event.type", "value": ["access", "denied"],
                 "if": "ctx.event?.action == 'BLOCK'"}},
        # the client
        _move("httpRequest.clientIp", "source.ip"),
        {"set": {"field": "source.address", "copy_from": "source.ip",
                 "if": "ctx.source?.ip != null"}},
        *geoip("source"),
        _move("httpRequest.clientAsn", "source.as.number"),
        _move("clientAsn", "source.as.number"),
        _move("httpRequest.country", "aws.waf.country"),
        # the request
        {"script": {"source": _HEADERS_SCRIPT, "description": "User-Agent and Host headers"}},
        {"gsub": {"field": "url.domain", "pattern": ":[0-9]+$", "replacement": "",
                  "ignore_missing": True, "description": "the Host header's port"}},
        {"user_agent": {"field": "user_agent.original", "target_field": "user_agent",
                        "ignore_missing": True}},
        _move("httpRequest.httpMethod", "http.request.method"),
        _move("httpRequest.requestId", "http.request.id"),
        _move("httpRequest.httpVersion", "http.version"),
        {"gsub": {"field": "http.version", "pattern": "^HTTP/", "replacement": "",
                  "ignore_missing": True}},
        _move("httpRequest.uri", "url.path"),
        _move("httpRequest.args", "url.query"),
        {"remove": {"field": "url.query", "if": "ctx.url?.query == ''"}},
        _move("httpRequest.fragment", "url.fragment"),
        _move("httpRequest.scheme", "url.scheme"),
        _move("httpRequest.host", "aws.waf.request.host"),
        _move("requestBodySize", "http.request.body.bytes"),
        {"rename": {"field": "responseCodeSent", "target_field": "http.response.status_code",
                    "if": "ctx.responseCodeSent != null"}},
        {"remove": {"field": "responseCodeSent", "ignore_missing": True}},
        _move("ja3Fingerprint", "tls.client.ja3"),
        _move("httpRequest", "aws.waf.request"),
        # the rules
        _move("terminatingRuleId", "rule.id"),
        {"set": {"field": "rule.name", "copy_from": "rule.id",
                 "if": "ctx.rule?.id != null"}},
        _move("webaclId", "aws.waf.web_acl_id"),
        {"dissect": {"field": "aws.waf.web_acl_id", "ignore_missing": True,
                     "ignore_failure": True,
                     "pattern": "arn:%{?partition}:%{?service}:%{cloud.region}:"
                                "%{cloud.account.id}:%{?scope}/webacl/%{rule.ruleset}/%{?id}",
                     "description": "WAFv2 web ACL ARNs (classic ones are bare ids)"}},
        {"foreach": {"field": "labels", "ignore_missing": True, "processor": {
            "set": {"field": "_ingest._value", "copy_from": "_ingest._value.name"}}}},
        *[_move(field, f"aws.waf.{target}") for field, target in (
            ("formatVersion", "format_version"),
            ("terminatingRuleType", "terminating_rule_type"),
            ("terminatingRuleMatchDetails", "terminating_rule_match_details"),
            ("httpSourceName", "http_source_name"),
            ("httpSourceId", "http_source_id"),
            ("ruleGroupList", "rule_group_list"),
            ("rateBasedRuleList", "rate_based_rule_list"),
            ("nonTerminatingMatchingRules", "non_terminating_matching_rules"),
            ("requestHeadersInserted", "request_headers_inserted"),
            ("labels", "labels"),
            ("captchaResponse", "captcha_response"),
            ("challengeResponse", "challenge_response"),
            ("ja4Fingerprint", "ja4_fingerprint"),
            ("oversizeFields", "oversize_fields"),
            ("requestBodySizeInspectedByWAF", "request_body_size_inspected_by_waf"),
            ("forwardedAsn", "forwarded_asn"),
            ("cfDistributionTenantId", "cf_distribution_tenant_id"),
        )],
    ],
    "on_failure": [
        {"set": {"field": "error.message", "value": "{{ _ingest.on_failure_message }}"}},
    ],
    "_meta": MANAGED,
}

#: The ids and actions of the rule lists, mapped; their other inner fields stay in _source.
_RULE = {"ruleId": KEYWORD, "action": KEYWORD, "overriddenAction": KEYWORD}
FIELDS: dict[str, dict[str, object]] = {
    "@timestamp": DATE,
    "event.kind": KEYWORD, "event.category": KEYWORD, "event.type": KEYWORD,
    "event.action": KEYWORD, "cloud.provider": KEYWORD, "cloud.service.name": KEYWORD,
    "cloud.region": KEYWORD, "cloud.account.id": KEYWORD,
    "source.ip": IP, "source.address": KEYWORD,
    **{f"source.{field}": spec for field, spec in GEO_FIELDS.items()},
    "user_agent.original": KEYWORD, "user_agent.name": KEYWORD, "user_agent.version": KEYWORD,
    "user_agent.os.name": KEYWORD, "user_agent.os.version": KEYWORD,
    "user_agent.os.full": KEYWORD, "user_agent.device.name": KEYWORD,
    "http.request.method": KEYWORD, "http.request.id": KEYWORD, "http.version": KEYWORD,
    "http.request.body.bytes": LONG, "http.response.status_code": LONG,
    "url.path": KEYWORD, "url.query": KEYWORD, "url.domain": KEYWORD,
    "url.fragment": KEYWORD, "url.scheme": KEYWORD, "tls.client.ja3": KEYWORD,
    "rule.id": KEYWORD, "rule.name": KEYWORD, "rule.ruleset": KEYWORD,
    "aws.waf.country": KEYWORD, "aws.waf.web_acl_id": KEYWORD,
    "aws.waf.format_version": LONG, "aws.waf.terminating_rule_type": KEYWORD,
    "aws.waf.terminating_rule_match_details": FLATTENED,
    "aws.waf.http_source_name": KEYWORD, "aws.waf.http_source_id": KEYWORD,
    "aws.waf.labels": KEYWORD, "aws.waf.ja4_fingerprint": KEYWORD,
    "aws.waf.request.host": KEYWORD,
    "aws.waf.request.headers.name": KEYWORD, "aws.waf.request.headers.value": KEYWORD,
    "aws.waf.request_headers_inserted": FLATTENED,
    "aws.waf.captcha_response": FLATTENED, "aws.waf.challenge_response": FLATTENED,
    "aws.waf.oversize_fields": KEYWORD,
    "aws.waf.request_body_size_inspected_by_waf": LONG,
    "aws.waf.rule_group_list.ruleGroupId": KEYWORD,
    **{f"aws.waf.rule_group_list.terminatingRule.{k}": v for k, v in _RULE.items()},
    **{f"aws.waf.rule_group_list.nonTerminatingMatchingRules.{k}": v
       for k, v in _RULE.items()},
    "aws.waf.rule_group_list.excludedRules.ruleId": KEYWORD,
    "aws.waf.rule_group_list.excludedRules.exclusionType": KEYWORD,
    "aws.waf.rate_based_rule_list.rateBasedRuleId": KEYWORD,
    "aws.waf.rate_based_rule_list.rateBasedRuleName": KEYWORD,
    "aws.waf.rate_based_rule_list.limitKey": KEYWORD,
    "aws.waf.rate_based_rule_list.maxRateAllowed": LONG,
    **{f"aws.waf.non_terminating_matching_rules.{k}": v for k, v in _RULE.items()},
}

TEMPLATE = index_template(NAME, "awswaf-*", PIPELINE_ID, FIELDS)
for _inner in ("rule_group_list", "rate_based_rule_list", "non_terminating_matching_rules"):
    # inner fields differ between record kinds and format versions: stored, not mapped
    TEMPLATE["template"]["mappings"]["properties"]["aws"]["properties"]["waf"][
        "properties"][_inner]["dynamic"] = False


def sniff(name: str, head: list[bytes]) -> bool:
    """A WAF record on the first line (its ``webaclId`` and ``httpRequest``); the S3 key
    decides only for an empty file."""
    record = first_object(head)
    if record is not None:
        return "webaclId" in record and isinstance(record.get("httpRequest"), dict)
    return not any(line.strip() for line in head) and bool(_NAMES.search(name))


register(Parser(
    name=NAME,
    description="AWS WAF logs (JSON per line, as Firehose or S3 delivery writes them)",
    pipeline=PIPELINE,
    template=TEMPLATE,
    index="awswaf",
    rotation="OneDay",
    records=json_lines,
    sniff=sniff,
))
