"""VPC flow logs: space-separated records, the default (version 2) format or a custom one
whose field order the header line of each S3 file gives.

``records()`` splits each line by the file's header into the AWS field names
(``srcaddr``, ``dstport``, ``tcp-flags``, ...), leaving out ``-`` (a field that does not
apply to the record); a line that arrives without a header (``_bulk``, a stream) as
``message`` is split by the pipeline as the default format. Either way the pipeline then
names the fields in ECS. ``NODATA`` and ``SKIPDATA`` records (no traffic, or records lost in
the capture window) are kept: they say the interface was watched; their ``event.outcome``
is ``unknown``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any

from loghaven.ingest.parsers import register
from loghaven.ingest.parsers.ecs import (
    DATE,
    GEO_FIELDS,
    IP,
    KEYWORD,
    LONG,
    geoip,
    index_template,
    move,
    pipeline,
)
from loghaven.ingest.parsers.parser import Parser, Record, RecordError

NAME = "vpcflow"
PIPELINE_ID = f"loghaven-{NAME}"

#: The default format (version 2), in order.
DEFAULT_FORMAT = ("version", "account-id", "interface-id", "srcaddr", "dstaddr", "srcport",
                  "dstport", "protocol", "packets", "bytes", "start", "end", "action",
                  "log-status")

#: Every documented field (versions 2 to 8) → where the pipeline puts it.
TARGETS = {
    "version": "aws.vpcflow.version", "account-id": "cloud.account.id",
    "interface-id": "aws.vpcflow.interface_id", "srcaddr": "source.address",
    "dstaddr": "destination.address", "srcport": "source.port", "dstport": "destination.port",
    "protocol": "network.iana_number", "packets": "network.packets", "bytes": "network.bytes",
    "action": "event.action", "log-status": "aws.vpcflow.log_status",
    "vpc-id": "aws.vpcflow.vpc_id", "subnet-id": "aws.vpcflow.subnet_id",
    "instance-id": "cloud.instance.id", "tcp-flags": "aws.vpcflow.tcp_flags",
    "type": "network.type", "pkt-srcaddr": "aws.vpcflow.pkt_srcaddr",
    "pkt-dstaddr": "aws.vpcflow.pkt_dstaddr", "region": "cloud.region",
    "az-id": "aws.vpcflow.az_id", "sublocation-type": "aws.vpcflow.sublocation_type",
    "sublocation-id": "aws.vpcflow.sublocation_id",
    "pkt-src-aws-service": "aws.vpcflow.pkt_src_aws_service",
    "pkt-dst-aws-service": "aws.vpcflow.pkt_dst_aws_service",
    "flow-direction": "network.direction", "traffic-path": "aws.vpcflow.traffic_path",
    "reject-reason": "aws.vpcflow.reject_reason",
    **{f"ecs-{name}": f"aws.vpcflow.ecs_{name.replace('-', '_')}" for name in (
        "cluster-arn", "cluster-name", "container-instance-arn", "container-instance-id",
        "container-id", "second-container-id", "service-name", "task-definition-arn",
        "task-arn", "task-id")},
}
#: ``start`` and ``end`` (epoch seconds) become ``event.start``/``event.end``.
FIELDS_KNOWN = frozenset(TARGETS) | {"start", "end"}

_NAMES = re.compile(r"(^|/)vpcflowlogs/|_vpcflowlogs_", re.IGNORECASE)
_HEADER_TOKEN = re.compile(r"[a-z][a-z0-9]*(-[a-z][a-z0-9]*)*$")
_DEFAULT_LINE = re.compile(rb"^\d+ \S+ \S+ \S+ \S+ \S+ \S+ \S+ \S+ \S+ (\d+|-) (\d+|-) "
                           rb"(ACCEPT|REJECT|-) (OK|NODATA|SKIPDATA)\s*$")


def _header(line: str) -> list[str] | None:
    """The field names if ``line`` is a header line (names only, at least one we know)."""
    names = line.split()
    if names and all(_HEADER_TOKEN.match(name) for name in names) \
            and any(name in FIELDS_KNOWN for name in names):
        return names
    return None


def records(lines: Iterable[bytes]) -> Iterator[Record]:
    """Lines split by the file's header; without one, each line as ``message``."""
    names: list[str] | None = None
    first = True
    for number, raw in enumerate(lines, 1):
        line = raw.decode("utf-8", "replace").strip()
        if not line:
            continue
        if first:
            first = False
            names = _header(line)
            if names is not None:
                continue
        if names is None:
            yield {"message": line}
            continue
        values = line.split()
        if len(values) != len(names):
            yield RecordError(f"expected {len(names)} fields as the header names, found "
                              f"{len(values)}", number)
            continue
        yield {name: value for name, value in zip(names, values, strict=True) if value != "-"}


def sniff(name: str, head: list[bytes]) -> bool:
    line = next((line for line in head if line.strip()), None)
    if line is None:
        return bool(_NAMES.search(name))
    text = line.decode("utf-8", "replace").strip()
    names = _header(text)
    if names is not None:
        return "srcaddr" in names or "interface-id" in names or bool(_NAMES.search(name))
    return bool(_DEFAULT_LINE.match(line))


#: ``-`` fields of a line the pipeline split go; then the transport, outcome and type.
_DERIVED = """
for (def name : params.fields) { if (ctx[name] == '-') { ctx.remove(name); } }
def protocol = ctx['protocol'];
if (protocol != null && params.transports.containsKey(protocol)) {
  if (ctx.network == null) { ctx.network = [:]; }
  ctx.network.transport = params.transports[protocol];
}
def action = ctx['action'];
if (action == 'ACCEPT') {
  ctx.event.outcome = 'success'; ctx.event.type = ['connection', 'allowed'];
} else if (action == 'REJECT') {
  ctx.event.outcome = 'failure'; ctx.event.type = ['connection', 'denied'];
} else {
  ctx.event.outcome = 'unknown';
}
"""
_TRANSPORTS = {"1": "icmp", "6": "tcp", "17": "udp", "47": "gre", "50": "esp", "51": "ah",
               "58": "ipv6-icmp", "132": "sctp"}


PIPELINE = pipeline(
    "VPC flow log records: ECS source, destination, network and event fields", [
        {"dissect": {"field": "message", "if": "ctx.message != null && ctx.version == null",
                     "pattern": " ".join(f"%{{{name}}}" for name in DEFAULT_FORMAT),
                     "description": "a bare line: the default format"}},
        {"remove": {"field": "message", "if": "ctx.version != null", "ignore_missing": True}},
        {"set": {"field": "event.kind", "value": "event"}},
        {"set": {"field": "event.category", "value": ["network"]}},
        {"set": {"field": "cloud.provider", "value": "aws"}},
        {"script": {"source": _DERIVED, "description": "transport, outcome, type",
                    "params": {"fields": list(DEFAULT_FORMAT), "transports": _TRANSPORTS}}},
        {"date": {"field": "start", "formats": ["UNIX"], "target_field": "event.start",
                  "if": "ctx.start != null"}},
        {"date": {"field": "end", "formats": ["UNIX"], "target_field": "event.end",
                  "if": "ctx.end != null"}},
        {"remove": {"field": ["start", "end"], "ignore_missing": True}},
        {"set": {"field": "@timestamp", "copy_from": "event.start",
                 "if": "ctx.event?.start != null"}},
        {"set": {"field": "@timestamp", "value": "{{_ingest.timestamp}}", "override": False,
                 "description": "a custom format without start: the time it arrived"}},
        *[move(field, target) for field, target in TARGETS.items()],
        *[{"convert": {"field": field, "type": "long", "ignore_missing": True}}
          for field in ("source.port", "destination.port", "network.packets", "network.bytes",
                        "aws.vpcflow.tcp_flags", "aws.vpcflow.traffic_path")],
        {"lowercase": {"field": "network.type", "ignore_missing": True}},
        *[{"convert": {"field": f"{side}.address", "target_field": f"{side}.ip",
                       "type": "ip", "ignore_missing": True, "ignore_failure": True}}
          for side in ("source", "destination")],
        *geoip("source"),
        *geoip("destination"),
    ])

FIELDS: dict[str, dict[str, Any]] = {
    "@timestamp": DATE, "event.start": DATE, "event.end": DATE,
    "event.kind": KEYWORD, "event.category": KEYWORD, "event.type": KEYWORD,
    "event.action": KEYWORD, "event.outcome": KEYWORD,
    "cloud.provider": KEYWORD, "cloud.account.id": KEYWORD, "cloud.region": KEYWORD,
    "cloud.instance.id": KEYWORD,
    **{f"{side}.{field}": spec for side in ("source", "destination")
       for field, spec in {"address": KEYWORD, "ip": IP, "port": LONG, **GEO_FIELDS}.items()},
    "network.iana_number": KEYWORD, "network.transport": KEYWORD, "network.type": KEYWORD,
    "network.direction": KEYWORD, "network.packets": LONG, "network.bytes": LONG,
    **{target: KEYWORD for target in TARGETS.values() if target.startswith("aws.")},
    "aws.vpcflow.tcp_flags": LONG, "aws.vpcflow.traffic_path": LONG,
    "aws.vpcflow.pkt_srcaddr": IP, "aws.vpcflow.pkt_dstaddr": IP,
}

register(Parser(
    name=NAME,
    description="VPC flow logs (default or custom format, with the S3 files' header line)",
    pipeline=PIPELINE,
    template=index_template(NAME, "vpcflow-*", PIPELINE_ID, FIELDS),
    index="vpcflow",
    rotation="OneDay",
    records=records,
    sniff=sniff,
))
