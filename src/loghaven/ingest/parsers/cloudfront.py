"""CloudFront standard (access) logs (``loghaven-cloudfront``).

Files named ``<distribution-id>.YYYY-MM-DD-HH.<unique>.gz`` hold a ``#Version: 1.0`` and a
``#Fields: date time x-edge-location ...`` header (skipped) and then one tab-separated
request a line, in the documented field order: the 24 fields of the oldest files, 26 with
field-level encryption, the 33 of today and whatever AWS appends later (kept in
``event.original`` only). ``-`` is a missing value, status ``000`` a request that got no
response; the user agent (and ``x-forwarded-for``) are URL-encoded by CloudFront and are
decoded here. Field names are ECS's where it has one and ``aws.cloudfront.*`` else.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from loghaven.ingest.parsers import ecs, lines, register
from loghaven.ingest.parsers.parser import Parser, Record

NAME = "cloudfront"
INDEX = "cloudfront"


def _field(field: str, pattern: str = "CF_FIELD") -> str:
    return f"(?:-|%{{{pattern}:{field}}})"


#: The documented fields in order, each a grok piece; the later groups are optional.
_FIRST = [
    r"%{CF_TIMESTAMP:_tmp.timestamp}", _field("aws.cloudfront.edge_location"),
    r"(?:-|%{INT:http.response.bytes:long})",
    r"%{CF_CLIENT:source.address}", _field("http.request.method"),
    _field("aws.cloudfront.domain"), _field("url.path"),
    r"(?:000|-|%{INT:http.response.status_code:int})", _field("http.request.referrer"),
    _field("user_agent.original"), _field("url.query"), _field("aws.cloudfront.cookie"),
    _field("aws.cloudfront.edge_result_type"), _field("http.request.id"),
    _field("url.domain"), _field("url.scheme"), r"(?:-|%{INT:http.request.bytes:long})",
    r"(?:-|%{NUMBER:aws.cloudfront.time_taken.sec:double})",
    _field("aws.cloudfront.x_forwarded_for"), _field("_tmp.ssl_protocol"),
    _field("tls.cipher"), _field("aws.cloudfront.edge_response_result_type"),
]
_PROTOCOL_VERSION = r"(?:-|HTTP/%{CF_FIELD:http.version}|%{CF_FIELD:_tmp.protocol_version})"
_FLE = [_field("aws.cloudfront.fle_status"),
        r"(?:-|%{INT:aws.cloudfront.fle_encrypted_fields:long})"]
_LATEST = [
    r"(?:-|%{INT:source.port:int})",
    r"(?:-|%{NUMBER:aws.cloudfront.time_to_first_byte.sec:double})",
    _field("aws.cloudfront.edge_detailed_result_type"), _field("http.response.mime_type"),
    r"(?:-|%{INT:http.response.body.bytes:long})",
    r"(?:-|%{INT:aws.cloudfront.range_start:long})",
    r"(?:-|%{INT:aws.cloudfront.range_end:long})",
]
_LINE = ("^" + r"\t".join(_FIRST) + r"(?:\t" + _PROTOCOL_VERSION + r"(?:\t" + r"\t".join(_FLE)
         + r"(?:\t" + r"\t".join(_LATEST) + r")?)?)?(?:\t.*)?$")
_DEFINITIONS = {
    "CF_FIELD": r"[^\t]+",
    "CF_TIMESTAMP": r"\d{4}-\d\d-\d\d\t\d\d:\d\d:\d\d",
    "CF_CLIENT": r"%{IP:source.ip}|[^\t]+",
    "CF_LINE": _LINE,
}

_PROCESSORS = [
    lines.keep_original(),
    {"grok": {"field": "event.original", "patterns": ["%{CF_LINE}"],
              "pattern_definitions": _DEFINITIONS}},
    {"date": {"field": "_tmp.timestamp", "target_field": "@timestamp",
              "formats": ["yyyy-MM-dd'\t'HH:mm:ss"]}},
    {"urldecode": {"field": "user_agent.original", "ignore_missing": True,
                   "ignore_failure": True}},
    {"urldecode": {"field": "aws.cloudfront.x_forwarded_for", "ignore_missing": True,
                   "ignore_failure": True}},
    {"split": {"field": "aws.cloudfront.x_forwarded_for", "separator": r",\s*",
               "ignore_missing": True}},
    *lines.tls_version("_tmp.ssl_protocol"),
    *lines.client_enrichment(),
]

_PROPERTIES = {
    "source": lines.source_properties(),
    "http": {"properties": {
        "version": ecs.KEYWORD,
        "request": {"properties": {"method": ecs.KEYWORD, "referrer": ecs.KEYWORD,
                                   "id": ecs.KEYWORD, "bytes": ecs.LONG}},
        "response": {"properties": {"status_code": ecs.LONG, "bytes": ecs.LONG,
                                    "mime_type": ecs.KEYWORD,
                                    "body": {"properties": {"bytes": ecs.LONG}}}}}},
    "url": {"properties": {name: ecs.KEYWORD for name in (
        "scheme", "domain", "path", "query")}},
    "user_agent": lines.user_agent_properties(),
    "tls": {"properties": {"cipher": ecs.KEYWORD, "version": ecs.KEYWORD,
                           "version_protocol": ecs.KEYWORD}},
    "aws": {"properties": {"cloudfront": {"properties": {
        "edge_location": ecs.KEYWORD, "domain": ecs.KEYWORD, "cookie": ecs.KEYWORD,
        "edge_result_type": ecs.KEYWORD, "edge_response_result_type": ecs.KEYWORD,
        "edge_detailed_result_type": ecs.KEYWORD, "time_taken": lines.SECONDS,
        "time_to_first_byte": lines.SECONDS, "x_forwarded_for": ecs.KEYWORD,
        "fle_status": ecs.KEYWORD, "fle_encrypted_fields": ecs.LONG,
        "range_start": ecs.LONG, "range_end": ecs.LONG,
    }}}},
}


def _header(text: str) -> bool:
    return text.startswith("#")


def records(raw: Iterable[bytes]) -> Iterator[Record]:
    """The request lines as documents; the ``#Version``/``#Fields`` header is skipped."""
    return lines.line_records(raw, _header)


_DATA = re.compile(r"\d{4}-\d\d-\d\d\t\d\d:\d\d:\d\d\t[A-Za-z0-9-]+\t(?:-|\d+)\t")
#: ``E2QWRUHAPOMQZL.2026-11-26-21.a1b2c3d4[.gz]``
_FILE = re.compile(r"[A-Z0-9]+\.\d{4}-\d\d-\d\d-\d\d\.[0-9A-Za-z]+")


def sniff(name: str, head: list[bytes]) -> bool:
    """CloudFront's ``#Fields: date time x-edge-location`` header, or request lines (most
    of the head, or the first one when the file has CloudFront's name)."""
    texts = lines.head_texts(head)
    if any(t.startswith("#Fields: date time x-edge-location") for t in texts[:3]):
        return True
    data = [t for t in texts if not t.startswith("#")]
    if _FILE.fullmatch(lines.file_name(name)) and data and _DATA.match(data[0]):
        return True
    return lines.most_match(_DATA, data)


PARSER = register(Parser(
    name=NAME,
    description="CloudFront standard access logs",
    pipeline=lines.pipeline("CloudFront standard access log lines into ECS fields", NAME,
                            _PROCESSORS),
    template=lines.template(NAME, INDEX, _PROPERTIES),
    index=INDEX,
    rotation="OneDay",
    records=records,
    sniff=sniff,
))
