"""Elastic Load Balancing access logs (``loghaven-alb``): Application Load Balancer lines and
the older Classic Load Balancer ones.

An ALB line is space-separated with quoted fields: ``type time elb client:port target:port
request_processing_time target_processing_time response_processing_time elb_status_code
target_status_code received_bytes sent_bytes "request" "user_agent" ssl_cipher ssl_protocol
target_group_arn "trace_id" "domain_name" "chosen_cert_arn" matched_rule_priority
request_creation_time "actions_executed" "redirect_url" "error_reason" "target:port_list"
"target_status_code_list" "classification" "classification_reason" conn_trace_id`` and,
as AWS adds fields at the end, whatever follows (kept in ``event.original`` only). ``-``
is a missing value and ``-1`` a time that was not taken (no target reached): both leave the
field out. A Classic line starts at ``time`` and stops after ``ssl_protocol``. The field
names are ECS's where it has one and ``aws.elb.*`` (as Filebeat's module names them) else.
"""

from __future__ import annotations

import re

from loghaven.ingest.parsers import ecs, lines, register
from loghaven.ingest.parsers.parser import Parser

NAME = "alb"
INDEX = "alb"


def _quoted(field: str) -> str:
    return f'"(?:-|%{{ELB_QUOTED:{field}}})"'


def _seconds(field: str) -> str:
    return f"(?:-1|%{{NUMBER:aws.elb.{field}.sec:double}})"


_HEAD = (
    r"%{ELB_CLIENT} (?:-|%{ELB_TARGET}) "
    + " ".join(_seconds(f) for f in ("request_processing_time", "backend_processing_time",
                                      "response_processing_time"))
    + r" (?:-|%{INT:http.response.status_code:int})"
    r" (?:-|%{INT:aws.elb.backend.http.response.status_code:int})"
    r" (?:-|%{INT:http.request.body.bytes:long}) (?:-|%{INT:http.response.body.bytes:long})"
    r' "%{ELB_QUOTED:_tmp.request}" ' + _quoted("user_agent.original")
    + r" (?:-|%{NOTSPACE:tls.cipher}) (?:-|%{NOTSPACE:_tmp.ssl_protocol})"
)
_TAIL = (
    r" (?:-|%{NOTSPACE:aws.elb.target_group.arn})"
    r"(?: " + _quoted("aws.elb.trace_id") + " " + _quoted("tls.client.server_name")
    + " " + _quoted("aws.elb.chosen_cert.arn")
    + r" (?:-|%{INT:aws.elb.matched_rule_priority:int})"
    r" (?:-|%{TIMESTAMP_ISO8601:aws.elb.request_creation_time})"
    " " + _quoted("aws.elb.action_executed") + " " + _quoted("aws.elb.redirect_url")
    + " " + _quoted("aws.elb.error.reason")
    + "(?: " + _quoted("aws.elb.target_port") + " " + _quoted("aws.elb.target_status_code")
    + "(?: " + _quoted("aws.elb.classification") + " "
    + _quoted("aws.elb.classification_reason")
    + r"(?: (?:-|%{NOTSPACE:aws.elb.connection_trace_id}))?)?)?)?(?: .*)?$"
)
_DEFINITIONS = {
    "ELB_QUOTED": r'(?:[^"\\]|\\.)*',
    "ELB_CLIENT": r"%{IP:source.ip}:%{INT:source.port:int}",
    "ELB_TARGET": r"%{IP:aws.elb.backend.ip}:%{INT:aws.elb.backend.port:int}",
    "ELB_ALB_LINE": (r"^%{ELB_TYPE:aws.elb.type} %{TIMESTAMP_ISO8601:_tmp.time} "
                     r"%{NOTSPACE:aws.elb.name} " + _HEAD + _TAIL),
    "ELB_CLASSIC_LINE": (r"^%{TIMESTAMP_ISO8601:_tmp.time} %{NOTSPACE:aws.elb.name} "
                         + _HEAD + "$"),
    "ELB_TYPE": "https?|h2|grpcs|wss?",
}

_PROCESSORS = [
    lines.keep_original(),
    {"grok": {"field": "event.original", "patterns": ["%{ELB_ALB_LINE}", "%{ELB_CLASSIC_LINE}"],
              "pattern_definitions": _DEFINITIONS}},
    {"date": {"field": "_tmp.time", "target_field": "@timestamp", "formats": ["ISO8601"]}},
    {"date": {"field": "aws.elb.request_creation_time", "formats": ["ISO8601"],
              "target_field": "aws.elb.request_creation_time",
              "if": "ctx.aws?.elb?.request_creation_time != null"}},
    {"set": {"field": "source.address", "copy_from": "source.ip"}},
    {"grok": {"field": "_tmp.request",
              "patterns": [r"^%{WORD:http.request.method} %{NOTSPACE:url.original}"
                           r"(?: HTTP/%{NUMBER:http.version})?$"],
              "on_failure": [{"set": {"field": "http.request.line", "copy_from": "_tmp.request",
                                      "if": "ctx._tmp.request.trim() != '- - -'"}}]}},
    {"uri_parts": {"field": "url.original", "ignore_missing": True, "ignore_failure": True}},
    *lines.tls_version("_tmp.ssl_protocol"),
    lines.split_list("aws.elb.action_executed", ","),
    lines.split_list("aws.elb.target_port", " "),
    lines.split_list("aws.elb.target_status_code", " "),
    *lines.client_enrichment(),
]

_PROPERTIES = {
    "source": lines.source_properties(),
    "http": {"properties": {
        "version": ecs.KEYWORD,
        "request": {"properties": {"method": ecs.KEYWORD, "line": ecs.KEYWORD,
                                   "body": {"properties": {"bytes": ecs.LONG}}}},
        "response": {"properties": {"status_code": ecs.LONG,
                                    "body": {"properties": {"bytes": ecs.LONG}}}}}},
    "url": {"properties": {name: ecs.KEYWORD for name in (
        "original", "scheme", "domain", "path", "query", "extension")} | {"port": ecs.LONG}},
    "user_agent": lines.user_agent_properties(),
    "tls": {"properties": {"cipher": ecs.KEYWORD, "version": ecs.KEYWORD,
                           "version_protocol": ecs.KEYWORD,
                           "client": {"properties": {"server_name": ecs.KEYWORD}}}},
    "aws": {"properties": {"elb": {"properties": {
        "type": ecs.KEYWORD, "name": ecs.KEYWORD,
        "request_processing_time": lines.SECONDS, "backend_processing_time": lines.SECONDS,
        "response_processing_time": lines.SECONDS,
        "backend": {"properties": {
            "ip": ecs.IP, "port": ecs.LONG,
            "http": {"properties": {"response": {"properties": {"status_code": ecs.LONG}}}}}},
        "target_group": {"properties": {"arn": ecs.KEYWORD}},
        "trace_id": ecs.KEYWORD, "chosen_cert": {"properties": {"arn": ecs.KEYWORD}},
        "matched_rule_priority": ecs.LONG, "request_creation_time": ecs.DATE,
        "action_executed": ecs.KEYWORD, "redirect_url": ecs.KEYWORD,
        "error": {"properties": {"reason": ecs.KEYWORD}},
        "target_port": ecs.KEYWORD, "target_status_code": ecs.KEYWORD,
        "classification": ecs.KEYWORD, "classification_reason": ecs.KEYWORD,
        "connection_trace_id": ecs.KEYWORD,
    }}}},
}

#: The start of an ALB line (``type time elb client:port``) and of a Classic one.
_ALB = re.compile(r"(?:https?|h2|grpcs|wss?) \d{4}-\d\d-\d\dT[\d:.]+Z \S+ [0-9A-Fa-f.:]+:\d+ ")
_CLASSIC = re.compile(r"\d{4}-\d\d-\d\dT[\d:.]+Z \S+ [0-9A-Fa-f.:]+:\d+ (?:-|\S+:\d+) "
                      r"-?[\d.]+ -?[\d.]+ -?[\d.]+ ")
#: ``<acct>_elasticloadbalancing_<region>_<lb>_<time>_<ip>_<random>.log[.gz]``
_FILE = re.compile(r"\d{12}_elasticloadbalancing_[a-z0-9-]+_\S+\.log$")


def sniff(name: str, head: list[bytes]) -> bool:
    """An ELB log by its S3 key with lines to match, or by most of its lines alone."""
    texts = lines.head_texts(head)
    if _FILE.search(lines.file_name(name)) and texts:
        return bool(_ALB.match(texts[0]) or _CLASSIC.match(texts[0]))
    return lines.most_match(_ALB, texts) or lines.most_match(_CLASSIC, texts)


PARSER = register(Parser(
    name=NAME,
    description="Elastic Load Balancing access logs (Application and Classic)",
    pipeline=lines.pipeline("Application/Classic Load Balancer access log lines into ECS "
                            "fields", NAME, _PROCESSORS),
    template=lines.template(NAME, INDEX, _PROPERTIES),
    index=INDEX,
    rotation="OneDay",
    records=lines.line_records,
    sniff=sniff,
))
