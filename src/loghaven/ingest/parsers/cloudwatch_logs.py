"""CloudWatch Logs subscription payloads: ``{"messageType": "DATA_MESSAGE", "owner",
"logGroup", "logStream", "subscriptionFilters", "logEvents": [...]}``, one document per log
event carrying the envelope's fields.

Firehose writes the (gzip) payloads of a subscription one after the other into one S3 object,
with no separator; gzip reads the members as one stream, so a file is JSON objects end to end
(with or without newlines between them). ``CONTROL_MESSAGE`` payloads (CloudWatch checking
the destination) give no documents. A message that is itself a JSON object is also kept
parsed as ``aws.cloudwatch.message`` (``flattened``: its shape differs between log groups).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from typing import Any

from loghaven.ingest.parsers import register
from loghaven.ingest.parsers.ecs import DATE, FLATTENED, KEYWORD, index_template, move, pipeline
from loghaven.ingest.parsers.parser import Parser, Record, RecordError

NAME = "cloudwatch-logs"
PIPELINE_ID = f"loghaven-{NAME}"

_PAYLOAD = re.compile(r'\{\s*"messageType"\s*:')
_HEAD = re.compile(rb'^\s*\{\s*"messageType"\s*:\s*"(DATA|CONTROL)_MESSAGE"')
_DECODER = json.JSONDecoder()
#: The envelope fields copied onto each event, as they are named in the payload.
_ENVELOPE = ("owner", "logGroup", "logStream", "subscriptionFilters", "policyLevel")


def records(lines: Iterable[bytes]) -> Iterator[Record]:
    text = b"".join(lines).decode("utf-8", "replace")
    position, end, line, counted = 0, len(text), 1, 0
    while True:
        while position < end and text[position].isspace():
            position += 1
        if position >= end:
            return
        line += text.count("\n", counted, position)
        counted = position
        try:
            payload, after = _DECODER.raw_decode(text, position)
        except json.JSONDecodeError as error:
            yield RecordError(f"invalid CloudWatch Logs payload: {error.msg}", line)
            # go on at the next payload, if any (the broken one may end inside a string,
            # so look from where it starts)
            following = _PAYLOAD.search(text, position + 1)
            if following is None:
                return
            position = following.start()
            continue
        yield from _events(payload, line)
        position = after


def _events(payload: Any, line: int) -> Iterator[Record]:
    if not isinstance(payload, dict) or not isinstance(payload.get("logEvents"), list):
        if not (isinstance(payload, dict) and payload.get("messageType") == "CONTROL_MESSAGE"):
            yield RecordError("not a CloudWatch Logs payload: no [logEvents] list", line)
        return
    if payload.get("messageType") == "CONTROL_MESSAGE":
        return
    envelope = {key: payload[key] for key in _ENVELOPE if key in payload}
    for event in payload["logEvents"]:
        if isinstance(event, dict):
            yield {**event, **envelope}
        else:
            yield RecordError("a CloudWatch Logs event must be a JSON object", line)


def sniff(name: str, head: list[bytes]) -> bool:
    return bool(_HEAD.match(b"".join(head)))



PIPELINE = pipeline(
    "CloudWatch Logs subscription events: time, log group and stream, account", [
        {"date": {"field": "timestamp", "formats": ["UNIX_MS"], "target_field": "@timestamp"}},
        {"remove": {"field": "timestamp"}},
        {"set": {"field": "cloud.provider", "value": "aws"}},
        move("id", "event.id"),
        move("owner", "cloud.account.id"),
        move("logGroup", "aws.cloudwatch.log_group"),
        move("logStream", "aws.cloudwatch.log_stream"),
        move("subscriptionFilters", "aws.cloudwatch.subscription_filters"),
        move("policyLevel", "aws.cloudwatch.policy_level"),
        move("extractedFields", "aws.cloudwatch.extracted_fields"),
        {"json": {"field": "message", "target_field": "aws.cloudwatch.message",
                  "if": "ctx.message != null && ctx.message.startsWith('{')",
                  "ignore_failure": True,
                  "description": "a JSON object message, kept parsed as well"}},
    ])

FIELDS: dict[str, dict[str, Any]] = {
    "@timestamp": DATE,
    "message": {"type": "text"},
    "event.id": KEYWORD,
    "cloud.provider": KEYWORD, "cloud.account.id": KEYWORD,
    "aws.cloudwatch.log_group": KEYWORD, "aws.cloudwatch.log_stream": KEYWORD,
    "aws.cloudwatch.subscription_filters": KEYWORD, "aws.cloudwatch.policy_level": KEYWORD,
    "aws.cloudwatch.extracted_fields": FLATTENED, "aws.cloudwatch.message": FLATTENED,
}

register(Parser(
    name=NAME,
    description="CloudWatch Logs subscription payloads (Firehose's concatenated gzip JSON)",
    pipeline=PIPELINE,
    template=index_template(NAME, "cloudwatch-logs-*", PIPELINE_ID, FIELDS),
    index="cloudwatch-logs",
    rotation="OneDay",
    records=records,
    sniff=sniff,
))
