"""Apache/Nginx access logs in the Common and Combined Log Formats (``loghaven-clf``).

``host ident user [dd/MMM/yyyy:HH:mm:ss Z] "request" status bytes`` and, combined,
``"referer" "user agent"`` after it (Nginx's default ``combined`` is the same). A hostname
in place of the client address gives ``source.address`` without ``source.ip``; ``-`` for
the size or status leaves the field out; a request line that is not ``METHOD target
HTTP/x`` (``"-"``, a TLS handshake sent to a plain port) is kept in ``http.request.line``.
This format is the most generic of the line formats, so it is registered last.
"""

from __future__ import annotations

import re

from loghaven.ingest.parsers import ecs, lines, register
from loghaven.ingest.parsers.parser import Parser

NAME = "clf"
INDEX = "weblogs"

_QUOTED = r'(?:[^"\\]|\\.)*'
_DEFINITIONS = {
    "CLF_QUOTED": _QUOTED,
    "CLF_CLIENT": "%{IP:source.ip}|%{IPORHOST}",
    "CLF_LINE": (
        r"^%{CLF_CLIENT:source.address} \S+ (?:-|%{NOTSPACE:user.name}) "
        r"\[%{HTTPDATE:_tmp.timestamp}\] \"%{CLF_QUOTED:_tmp.request}\" "
        r"(?:-|%{INT:http.response.status_code:int}) (?:-|%{INT:http.response.body.bytes:long})"
        r"(?: \"%{CLF_QUOTED:http.request.referrer}\"(?: \"%{CLF_QUOTED:user_agent.original}\")?)?"
        r"(?: .*)?$"),
}

_PROCESSORS = [
    lines.keep_original(),
    {"grok": {"field": "event.original", "patterns": ["%{CLF_LINE}"],
              "pattern_definitions": _DEFINITIONS}},
    {"date": {"field": "_tmp.timestamp", "target_field": "@timestamp",
              "formats": ["dd/MMM/yyyy:HH:mm:ss Z"]}},
    {"grok": {"field": "_tmp.request",
              "patterns": [r"^%{WORD:http.request.method} %{NOTSPACE:url.original}"
                           r"(?: HTTP/%{NUMBER:http.version})?$"],
              "on_failure": [{"set": {"field": "http.request.line", "copy_from": "_tmp.request",
                                      "ignore_empty_value": True}}]}},
    {"grok": {"field": "url.original", "ignore_missing": True,
              "patterns": [r"^(?:[A-Za-z][A-Za-z0-9+.-]*://[^/?#]*)?%{CLF_PATH:url.path}?"
                           r"(?:\?%{CLF_QUERY:url.query})?"],
              "pattern_definitions": {"CLF_PATH": "[^?#]+", "CLF_QUERY": "[^#]*"}}},
    {"remove": {"field": "http.request.referrer", "if": "ctx.http?.request?.referrer == '-'"}},
    {"remove": {"field": "user_agent",
                "if": "ctx.user_agent?.original == '-' || ctx.user_agent?.original == ''"}},
    # Apache writes a quote in a quoted field as \" and a backslash as \\.
    {"gsub": {"field": "user_agent.original", "pattern": r'\\(["\\])', "replacement": "$1",
              "ignore_missing": True}},
    {"gsub": {"field": "http.request.referrer", "pattern": r'\\(["\\])',
              "replacement": "$1", "ignore_missing": True}},
    *lines.client_enrichment(),
]

_PROPERTIES = {
    "source": lines.source_properties(),
    "user": {"properties": {"name": ecs.KEYWORD}},
    "http": {"properties": {
        "version": ecs.KEYWORD,
        "request": {"properties": {"method": ecs.KEYWORD, "referrer": ecs.KEYWORD,
                                   "line": ecs.KEYWORD}},
        "response": {"properties": {"status_code": ecs.LONG,
                                    "body": {"properties": {"bytes": ecs.LONG}}}}}},
    "url": {"properties": {"original": ecs.KEYWORD, "path": ecs.KEYWORD,
                           "query": ecs.KEYWORD}},
    "user_agent": lines.user_agent_properties(),
}

#: A CLF line's start: client, ident, user, ``[10/Oct/2000:13:55:36 -0700] "``.
_LINE = re.compile(r'\S+ \S+ \S+ \[\d{1,2}/[A-Za-z]{3}/\d{4}:\d{2}:\d{2}:\d{2} [+-]\d{4}\] "')


def sniff(name: str, head: list[bytes]) -> bool:
    """Most lines of the head are CLF lines (whatever the file is called: ``access.log``,
    ``access_log``, ``ssl_access_log.1``, ``site.log``)."""
    return lines.most_match(_LINE, lines.head_texts(head))


PARSER = register(Parser(
    name=NAME,
    description="Apache/Nginx access logs (Common and Combined Log Format)",
    pipeline=lines.pipeline("Apache/Nginx access log lines (Common and Combined Log "
                            "Format) into ECS fields", NAME, _PROCESSORS),
    template=lines.template(NAME, INDEX, _PROPERTIES),
    index=INDEX,
    rotation="OneDay",
    records=lines.line_records,
    sniff=sniff,
))
