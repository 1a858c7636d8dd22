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
    first_object,
    geoip,
    index_template,
    json_lines,
    move,
    pipeline,
)
from loghaven.ingest.parsers.parser import Parser

NAME = "aws-waf"
PIPELINE_ID = f"loghaven-{NAME}"

#: S3 keys of WAF logs: Firehose streams must be named ``aws-waf-logs-*``; WAF's direct S3
#: delivery writes ``AWSLogs/<account>/WAFLogs/<region>/<web ACL>/.../<account>_waflogs_...``.
_NAMES = re.compile(r"aws-waf-logs-|/WAFLogs/|_waflogs_", re.IGNORECASE)

#: What would take a processor per field (each with its own ``if``): the derived ECS fields,
#: the User-Agent and Host headers (case-insensitive names; HTTP/2 logs them lowercase) and
#: the label names.
_SCRIPT = """
ctx.remove('timestamp');
def action = ctx.event.action;
if (action == 'ALLOW') { ctx.event.type = ['access', 'allowed']; }
else if (action == 'BLOCK') { ctx.event.type = ['access', 'denied']; }
if (ctx.source?.ip != null) { ctx.source.address = ctx.source.ip; }
if (ctx.rule?.id != null) { ctx.rule.name = ctx.rule.id; }
if (ctx.url?.query == '') { ctx.url.remove('query'); }
def version = ctx.http?.version;
if (version != null && version.startsWith('HTTP/')) { ctx.http.version = version.substring(5); }
if (ctx.http == null) { ctx.http = [:]; }
if (ctx.http.request == null) { ctx.http.request = [:]; }
def code = ctx.remove('responseCodeSent');
if (code != null) { ctx.http.response = ['status_code': code]; }
def size = ctx.remove('requestBodySize');
if (size != null) { ctx.http.request.body = ['bytes': size]; }
def ja3 = ctx.remove('ja3Fingerprint');
if (ja3 != null) { ctx.tls = ['client': ['ja3': ja3]]; }
if (ctx.aws == null) { ctx.aws = [:]; }
if (ctx.aws.waf == null) { ctx.aws.waf = [:]; }
def waf = ctx.aws.waf;
def labels = ctx.remove('labels');
if (labels != null) {
  def names = [];
  for (def label : labels) { if (label?.name != null) { names.add(label.name); } }
  waf.labels = names;
}
def request = ctx.remove('httpRequest');
if (request != null) {
  def agent = null; def host = null;
  def headers = request.headers;
  if (headers != null) {
    for (def header : headers) {
      def name = header?.name;
      if (name == null) { continue; }
      name = name.toLowerCase();
      if (name == 'user-agent') { if (agent == null) { agent = header.value; } }
      else if (name == 'host' || name == ':authority') { if (host == null) { host = header.value; } }
      if (agent != null && host != null) { break; }
    }
  }
  if (agent != null) { ctx.user_agent = ['original': agent]; }
  if (host != null) {
    int colon = host.indexOf(':');
    if (colon > 0 && !host.startsWith('[')) { host = host.substring(0, colon); }
    if (ctx.url == null) { ctx.url = [:]; }
    ctx.url.domain = host;
  }
  if (request.containsKey('country')) { waf.country = request.remove('country'); }
  waf.request = request;
}
"""

#: The other top-level fields of a record, moved under ``aws.waf`` as snake_case.
_MOVES = [(name, re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).lower()) for name in (
    "formatVersion", "terminatingRuleType", "terminatingRuleMatchDetails", "httpSourceName",
    "httpSourceId", "ruleGroupList", "rateBasedRuleList", "nonTerminatingMatchingRules",
    "requestHeadersInserted", "captchaResponse", "challengeResponse", "ja4Fingerprint",
    "oversizeFields", "requestBodySizeInspectedByWAF", "clientAsn", "forwardedAsn",
    "cfDistributionTenantId")]



PIPELINE = pipeline(
    "AWS WAF logs: ECS fields, client country and AS, user agent", [
        {"date": {"field": "timestamp", "formats": ["UNIX_MS"], "target_field": "@timestamp"}},
        {"set": {"field": "event", "value": {"kind": "event", "category": ["web"]}}},
        {"set": {"field": "cloud", "value": {"provider": "aws", "service": {"name": "waf"}}}},
        move("action", "event.action"),
        move("httpRequest.clientIp", "source.ip"),
        move("httpRequest.httpMethod", "http.request.method"),
        move("httpRequest.requestId", "http.request.id"),
        move("httpRequest.httpVersion", "http.version"),
        move("httpRequest.uri", "url.path"),
        move("httpRequest.args", "url.query"),
        move("terminatingRuleId", "rule.id"),
        move("webaclId", "aws.waf.web_acl_id"),
        {"dissect": {"field": "aws.waf.web_acl_id", "ignore_missing": True,
                     "ignore_failure": True,
                     "pattern": "arn:%{?partition}:%{?service}:%{cloud.region}:"
                                "%{cloud.account.id}:%{?scope}/webacl/%{rule.ruleset}/%{?id}",
                     "description": "WAFv2 web ACL ARNs (classic ones are bare ids)"}},
        {"script": {"source": _SCRIPT, "description": "derived fields, headers, labels"}},
        *[move(field, f"aws.waf.{target}") for field, target in _MOVES],
        *geoip("source"),
        {"user_agent": {"field": "user_agent.original", "target_field": "user_agent",
                        "ignore_missing": True}},
    ])

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
    "tls.client.ja3": KEYWORD,
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
    "aws.waf.client_asn": LONG, "aws.waf.forwarded_asn": LONG,
    "aws.waf.cf_distribution_tenant_id": KEYWORD,
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
