"""Syslog lines, RFC 3164 (BSD) and RFC 5424 (``loghaven-syslog``).

RFC 5424: ``<PRI>VERSION TIMESTAMP HOSTNAME APP-NAME PROCID MSGID [SD...] MSG``, with ``-``
for a value that is absent, any number of structured-data elements and a BOM before an
UTF-8 message. RFC 3164: ``<PRI>Mmm dd hh:mm:ss HOST TAG[PID]: MSG``, and the same without
``<PRI>`` as ``/var/log/syslog`` has it (or with rsyslog's ISO time in place of the BSD
one). A BSD time has no year and no zone: it is read as UTC, in the latest of last, this
and next year that is not more than a day ahead of when the line is ingested (so a
December line read in January is last year's, and a clock a little ahead does not make
a January line read on New Year's Eve a year old). A 5424 line with no time gets the
ingest time. ``message`` becomes the MSG part; the whole line is kept in
``event.original``.
"""

from __future__ import annotations

import re

from loghaven.ingest.parsers import ecs, lines, register
from loghaven.ingest.parsers.parser import Parser

NAME = "syslog"
INDEX = "syslog"

_DEFINITIONS = {
    "SYSLOG_PRI": r"<%{SYSLOG_PRIVAL:log.syslog.priority:int}>",
    "SYSLOG_PRIVAL": r"[0-9]{1,3}",
    "SYSLOG_NAME": r"[!-~]+",
    "SYSLOG_SD": r'(?:\[[^\s\]="]+(?: [^\s\]="]+="(?:[^"\\]|\\.)*")*\])+',
    "SYSLOG_BSDTIME": r"%{MONTH} +%{MONTHDAY} %{TIME}",
    "SYSLOG_HOST": r"\[?%{IP}\]?|[^\s:\[\]]+",
    "SYSLOG_TAG": r"[^\s:\[\]]+",
    "SYSLOG_5424": (
        r"^%{SYSLOG_PRI}%{INT:log.syslog.version:int} (?:-|%{TIMESTAMP_ISO8601:_tmp.iso_time})"
        r" (?:-|%{SYSLOG_NAME:host.hostname}) (?:-|%{SYSLOG_NAME:log.syslog.appname})"
        r" (?:-|%{SYSLOG_NAME:_tmp.procid}) (?:-|%{SYSLOG_NAME:log.syslog.msgid})"
        r" (?:-|%{SYSLOG_SD:_tmp.sd})(?: %{GREEDYDATA:message})?$"),
    "SYSLOG_3164": (
        r"^(?:%{SYSLOG_PRI})?(?:%{SYSLOG_BSDTIME:_tmp.bsd_time}|%{TIMESTAMP_ISO8601:_tmp.iso_time})"
        r" (?:%{SYSLOG_HOST:host.hostname} )?"
        r"(?:%{SYSLOG_TAG:process.name}(?:\[%{SYSLOG_TAG:_tmp.procid}\])?: ?)?"
        r"%{GREEDYDATA:message}$"),
}

_FACILITIES = ["kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news", "uucp",
               "cron", "authpriv", "ftp", "ntp", "security", "console", "solaris-cron",
               *(f"local{n}" for n in range(8))]
_SEVERITIES = ["Emergency", "Alert", "Critical", "Error", "Warning", "Notice",
               "Informational", "Debug"]


def _painless_list(names: list[str]) -> str:
    return "[" + ", ".join(f"'{name}'" for name in names) + "]"


#: PRI = facility * 8 + severity (RFC 5424 6.2.1); out of range leaves only the number.
_PRIORITY = f"""
int p = ctx.log.syslog.priority;
if (p >= 0 && p < 192) {{
  List facilities = {_painless_list(_FACILITIES)};
  List severities = {_painless_list(_SEVERITIES)};
  ctx.log.syslog.facility = ['code': p / 8, 'name': facilities[p / 8]];
  ctx.log.syslog.severity = ['code': p % 8, 'name': severities[p % 8]];
}}
"""

#: The BSD time in last, this and next year (each parsed by a date processor after this).
_YEARS = """
int year = Integer.parseInt(ctx._tmp.now.substring(0, 4));
String time = ctx._tmp.bsd_time.replace('  ', ' ');
ctx._tmp.year0 = (year - 1) + ' ' + time;
ctx._tmp.year1 = year + ' ' + time;
ctx._tmp.year2 = (year + 1) + ' ' + time;
"""

#: The latest candidate not more than a day ahead of the ingest time.
_PICK_YEAR = """
long limit = Long.parseLong(ctx._tmp.now_ms) + 86400000L;
for (String candidate : [ctx._tmp.ms0, ctx._tmp.ms1, ctx._tmp.ms2]) {
  if (candidate != null && Long.parseLong(candidate) <= limit) {
    ctx._tmp.bsd_ms = candidate;
  }
}
"""

#: ``[id name="value" ...][id2 ...]`` into ``{id: {name: value}}``, unescaping ``\\"``,
#: ``\\\\`` and ``\\]``; a name repeated in one element keeps its last value.
_STRUCTURED_DATA = r"""
String sd = ctx._tmp.sd;
int n = sd.length();
int i = 0;
Map elements = [:];
while (i < n && sd.substring(i, i + 1) == '[') {
  i++;
  int start = i;
  while (i < n && sd.substring(i, i + 1) != ' ' && sd.substring(i, i + 1) != ']') { i++; }
  String id = sd.substring(start, i);
  Map params = [:];
  while (i < n && sd.substring(i, i + 1) == ' ') {
    i++;
    start = i;
    while (i < n && sd.substring(i, i + 1) != '=') { i++; }
    String name = sd.substring(start, i);
    i += 2;
    String value = '';
    while (i < n && sd.substring(i, i + 1) != '"') {
      if (sd.substring(i, i + 1) == '\\' && i + 1 < n) { i++; }
      value += sd.substring(i, i + 1);
      i++;
    }
    i++;
    params[name] = value;
  }
  i++;
  elements[id] = params;
}
ctx.log.syslog.structured_data = elements;
"""

_BSD = "ctx._tmp?.bsd_time != null"

_PROCESSORS = [
    lines.keep_original(),
    {"grok": {"field": "event.original", "patterns": ["%{SYSLOG_5424}", "%{SYSLOG_3164}"],
              "pattern_definitions": _DEFINITIONS}},
    {"script": {"if": "ctx.log?.syslog?.priority != null", "source": _PRIORITY}},
    {"gsub": {"field": "message", "pattern": "^\ufeff", "replacement": "",
              "ignore_missing": True}},
    {"set": {"field": "process.name", "copy_from": "log.syslog.appname",
             "if": "ctx.log?.syslog?.appname != null"}},
    {"set": {"field": "log.syslog.procid", "copy_from": "_tmp.procid",
             "if": "ctx._tmp?.procid != null && ctx.log?.syslog?.version != null"}},
    {"grok": {"field": "_tmp.procid", "patterns": ["^%{INT:process.pid:long}$"],
              "ignore_missing": True, "ignore_failure": True}},
    {"script": {"if": "ctx._tmp?.sd != null && ctx._tmp.sd.length() <= 8192",
                "source": _STRUCTURED_DATA}},
    {"date": {"field": "_tmp.iso_time", "formats": ["ISO8601"], "target_field": "@timestamp",
              "if": "ctx._tmp?.iso_time != null"}},
    {"set": {"field": "_tmp.now", "value": "{{_ingest.timestamp}}", "if": _BSD}},
    {"date": {"field": "_tmp.now", "formats": ["ISO8601"], "target_field": "_tmp.now_ms",
              "output_format": "epoch_millis", "if": _BSD}},
    {"script": {"if": _BSD, "source": _YEARS}},
    *({"date": {"field": f"_tmp.year{n}", "formats": ["yyyy MMM d HH:mm:ss"],
                "target_field": f"_tmp.ms{n}", "output_format": "epoch_millis",
                "if": _BSD, "ignore_failure": True}} for n in range(3)),
    {"script": {"if": _BSD, "source": _PICK_YEAR}},
    {"date": {"field": "_tmp.bsd_ms", "formats": ["UNIX_MS"], "target_field": "@timestamp",
              "if": _BSD}},
    {"set": {"field": "@timestamp", "value": "{{_ingest.timestamp}}", "override": False}},
    lines.DROP_TMP,
]

_CODE_NAME = {"properties": {"code": ecs.LONG, "name": ecs.KEYWORD}}
_PROPERTIES = {
    "message": ecs.TEXT,
    "host": {"properties": {"hostname": ecs.KEYWORD}},
    "process": {"properties": {"name": ecs.KEYWORD, "pid": ecs.LONG}},
    "log": {"properties": {"syslog": {"properties": {
        "priority": ecs.LONG, "facility": _CODE_NAME, "severity": _CODE_NAME,
        "version": ecs.LONG, "appname": ecs.KEYWORD, "procid": ecs.KEYWORD,
        "msgid": ecs.KEYWORD, "structured_data": {"type": "flattened"},
    }}}},
}

#: A BSD time, or an ISO one followed by ``host tag[pid]: `` (other logs start with an ISO
#: time too).
_LINE = re.compile(r"(?:<\d{1,3}>)?(?:[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d \S"
                   r"|\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\S* \S+ [^\s:\[\]]+(?:\[[^\]\s]+\])?: )")
_LINE_5424 = re.compile(r"<\d{1,3}>\d{1,3} (?:-|\d{4}-\d\d-\d\dT\S+) \S+ \S+ \S+ \S+ (?:-|\[)")


def sniff(name: str, head: list[bytes]) -> bool:
    """Most lines of the head are syslog lines (``syslog``, ``messages``, ``auth.log`` or
    any other name: the lines decide)."""
    texts = lines.head_texts(head)
    return lines.most_match(_LINE_5424, texts) or lines.most_match(_LINE, texts)


PARSER = register(Parser(
    name=NAME,
    description="Syslog lines (RFC 3164 and RFC 5424)",
    pipeline=lines.pipeline("Syslog lines (RFC 3164 with or without PRI, RFC 5424) into "
                            "ECS fields", NAME, _PROCESSORS),
    template=lines.template(NAME, INDEX, _PROPERTIES),
    index=INDEX,
    rotation="OneDay",
    records=lines.line_records,
    sniff=sniff,
))
