"""AWS CloudTrail log files: one JSON object ``{"Records": [...]}`` per file (gzip in S3,
often pretty-printed), one document per record.

``requestParameters``, ``responseElements``, ``additionalEventData`` and
``serviceEventDetails`` hold each API's own JSON, whose fields change type from one event to
the next; they are kept as ``flattened`` objects (in ``_source``, never mapped field by
field) so no event can cause a mapping conflict, and the template maps ``aws.cloudtrail``
with ``dynamic: false`` for the same reason. Digest files (``CloudTrail-Digest``) list log
files, not events: they give no records.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any

import orjson

from loghaven.ingest.parsers import register
from loghaven.ingest.parsers.ecs import (
    DATE,
    FLATTENED,
    GEO_FIELDS,
    IP,
    KEYWORD,
    geoip,
    index_template,
    move,
    pipeline,
)
from loghaven.ingest.parsers.parser import Parser, Record, RecordError

NAME = "cloudtrail"
PIPELINE_ID = f"loghaven-{NAME}"

#: ``AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD/<account>_CloudTrail_<region>_...``
#: and the digests' ``CloudTrail-Digest`` folder and names.
_NAMES = re.compile(r"(^|/)CloudTrail(-Digest)?/|_CloudTrail(-Digest)?_")
_ENVELOPE = re.compile(rb'^\s*\{\s*"Records"\s*:\s*\[')
#: A CloudTrail record's event source is an AWS endpoint; S3 event notifications, which
#: share the ``Records`` envelope, have ``aws:s3``.
_EVENT_SOURCE = re.compile(rb'"eventSource"\s*:\s*"[^"]*amazonaws\.com"')
_DIGEST = re.compile(rb'"digestStartTime"\s*:')


def records(lines: Iterable[bytes]) -> Iterator[Record]:
    """Each element of the file's ``Records``; a digest file gives none."""
    text = b"".join(lines)
    if not text.strip():
        return
    try:
        envelope = orjson.loads(text)
    except orjson.JSONDecodeError as error:
        yield RecordError(f"invalid CloudTrail log file: {error}", 1)
        return
    if isinstance(envelope, dict) and "digestStartTime" in envelope:
        return
    entries = envelope.get("Records") if isinstance(envelope, dict) else None
    if not isinstance(entries, list):
        yield RecordError("not a CloudTrail log file: no [Records] list", 1)
        return
    for entry in entries:
        if isinstance(entry, dict):
            yield entry
        else:
            yield RecordError("a CloudTrail record must be a JSON object", None)


def sniff(name: str, head: list[bytes]) -> bool:
    text = b"".join(head)
    if _DIGEST.search(text[:4096]):
        return True
    if not _ENVELOPE.match(text):
        return not text.strip() and bool(_NAMES.search(name))
    return bool(_NAMES.search(name) or _EVENT_SOURCE.search(text)
                or re.match(rb'^\s*\{\s*"Records"\s*:\s*\[\s*\]', text))



PIPELINE = pipeline(
    "AWS CloudTrail records: ECS event, user, source and cloud fields", [
        {"date": {"field": "eventTime", "formats": ["ISO8601"], "target_field": "@timestamp"}},
        {"remove": {"field": "eventTime"}},
        {"set": {"field": "event.kind", "value": "event"}},
        {"set": {"field": "cloud.provider", "value": "aws"}},
        move("eventName", "event.action"),
        move("eventSource", "event.provider"),
        move("eventID", "event.id"),
        move("errorCode", "error.code"),
        move("errorMessage", "error.message"),
        # a failed console sign-in has an errorMessage but no errorCode
        {"set": {"field": "event.outcome", "value": "failure", "if": "ctx.error != null"}},
        {"set": {"field": "event.outcome", "value": "success", "if": "ctx.error == null"}},
        move("awsRegion", "cloud.region"),
        move("recipientAccountId", "cloud.account.id"),
        # who: an address, or the AWS service that made the call (then no source.ip)
        move("sourceIPAddress", "source.address"),
        {"convert": {"field": "source.address", "target_field": "source.ip", "type": "ip",
                     "ignore_missing": True, "ignore_failure": True}},
        *geoip("source"),
        move("userAgent", "user_agent.original"),
        {"user_agent": {"field": "user_agent.original", "target_field": "user_agent",
                        "ignore_missing": True}},
        {"set": {"field": "user.id", "copy_from": "userIdentity.principalId",
                 "if": "ctx.userIdentity?.principalId != null"}},
        {"set": {"field": "user.name", "copy_from": "userIdentity.userName",
                 "if": "ctx.userIdentity?.userName != null"}},
        {"set": {"field": "user.name", "override": False,
                 "copy_from": "userIdentity.sessionContext.sessionIssuer.userName",
                 "if": "ctx.userIdentity?.sessionContext?.sessionIssuer?.userName != null"}},
        {"set": {"field": "user.name", "value": "root", "override": False,
                 "if": "ctx.userIdentity?.type == 'Root'"}},
        {"set": {"field": "user.id", "copy_from": "userIdentity.onBehalfOf.userId",
                 "override": False, "if": "ctx.userIdentity?.onBehalfOf?.userId != null"}},
        *[move(field, f"aws.cloudtrail.{target}") for field, target in (
            ("userIdentity", "user_identity"),
            ("eventVersion", "event_version"),
            ("eventType", "event_type"),
            ("eventCategory", "event_category"),
            ("requestID", "request_id"),
            ("apiVersion", "api_version"),
            ("managementEvent", "management_event"),
            ("readOnly", "read_only"),
            ("resources", "resources"),
            ("sharedEventID", "shared_event_id"),
            ("vpcEndpointId", "vpc_endpoint_id"),
            ("vpcEndpointAccountId", "vpc_endpoint_account_id"),
            ("sessionCredentialFromConsole", "session_credential_from_console"),
            ("tlsDetails", "tls_details"),
            ("requestParameters", "request_parameters"),
            ("responseElements", "response_elements"),
            ("additionalEventData", "additional_event_data"),
            ("serviceEventDetails", "service_event_details"),
            ("insightDetails", "insight_details"),
            ("edgeDeviceDetails", "edge_device_details"),
            ("addendum", "addendum"),
        )],
    ])

_IDENTITY = "aws.cloudtrail.user_identity"
_ISSUER = f"{_IDENTITY}.sessionContext.sessionIssuer"
FIELDS: dict[str, dict[str, Any]] = {
    "@timestamp": DATE,
    "event.kind": KEYWORD, "event.action": KEYWORD, "event.provider": KEYWORD,
    "event.id": KEYWORD, "event.outcome": KEYWORD,
    "error.code": KEYWORD, "error.message": {"type": "text"},
    "cloud.provider": KEYWORD, "cloud.region": KEYWORD, "cloud.account.id": KEYWORD,
    "source.address": KEYWORD, "source.ip": IP,
    **{f"source.{field}": spec for field, spec in GEO_FIELDS.items()},
    "user_agent.original": KEYWORD, "user_agent.name": KEYWORD, "user_agent.version": KEYWORD,
    "user_agent.os.name": KEYWORD, "user_agent.os.full": KEYWORD,
    "user_agent.device.name": KEYWORD,
    "user.id": KEYWORD, "user.name": KEYWORD,
    **{f"{_IDENTITY}.{k}": KEYWORD for k in (
        "type", "principalId", "arn", "accountId", "accessKeyId", "userName", "invokedBy",
        "identityProvider", "credentialId")},
    f"{_IDENTITY}.sessionContext.attributes.creationDate": DATE,
    f"{_IDENTITY}.sessionContext.attributes.mfaAuthenticated": KEYWORD,
    f"{_IDENTITY}.sessionContext.sourceIdentity": KEYWORD,
    **{f"{_ISSUER}.{k}": KEYWORD for k in ("type", "principalId", "arn", "accountId",
                                           "userName")},
    **{f"aws.cloudtrail.{k}": KEYWORD for k in (
        "event_version", "event_type", "event_category", "request_id", "api_version",
        "shared_event_id", "vpc_endpoint_id", "vpc_endpoint_account_id",
        "session_credential_from_console")},
    "aws.cloudtrail.management_event": {"type": "boolean"},
    "aws.cloudtrail.read_only": {"type": "boolean"},
    "aws.cloudtrail.resources.ARN": KEYWORD, "aws.cloudtrail.resources.accountId": KEYWORD,
    "aws.cloudtrail.resources.type": KEYWORD,
    "aws.cloudtrail.tls_details.tlsVersion": KEYWORD,
    "aws.cloudtrail.tls_details.cipherSuite": KEYWORD,
    "aws.cloudtrail.tls_details.clientProvidedHostHeader": KEYWORD,
    **{f"aws.cloudtrail.{k}": FLATTENED for k in (
        "request_parameters", "response_elements", "additional_event_data",
        "service_event_details", "insight_details", "edge_device_details", "addendum")},
}

TEMPLATE = index_template(NAME, "cloudtrail-*", PIPELINE_ID, FIELDS)
TEMPLATE["template"]["mappings"]["properties"]["aws"]["properties"]["cloudtrail"][
    "dynamic"] = False

register(Parser(
    name=NAME,
    description="AWS CloudTrail log files ({\"Records\": [...]}, gzip); digests are skipped",
    pipeline=PIPELINE,
    template=TEMPLATE,
    index="cloudtrail",
    rotation="OneDay",
    records=records,
    sniff=sniff,
))
