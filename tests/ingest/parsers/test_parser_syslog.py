"""The syslog parser (``loghaven-syslog``): RFC 3164 lines with and without PRI, rsyslog's
ISO time, RFC 5424 with NILVALUEs, BOM and several structured-data elements, the year of a
BSD time around New Year, and the lines loaded over HTTP into ``syslog-*`` and run through
``_simulate``."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from weblines import OTHER_SAMPLES, field_types, load, raw_lines, records, search, sniffers, terms

from loghaven.ingest.parsers import PARSERS
from loghaven.ingest.pipeline.compile import compile_pipeline
from loghaven.ingest.pipeline.document import IngestDocument
from loghaven.ingest.pipeline.runner import execute

SYSLOG = PARSERS["syslog"]
RFC3164 = "<34>Oct 11 22:14:15 mymachine su: 'su root' failed for lonvick on /dev/pts/8"
RFC5424 = ('<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 '
           '[exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"] '
           '\ufeffAn application event log entry...')


def run(line: str, ingested: str) -> dict[str, Any]:
    """The pipeline on one line, as if it were ingested at ``ingested``."""
    pipeline = compile_pipeline(SYSLOG.pipeline_id, SYSLOG.pipeline)
    document = IngestDocument({"message": line}, {"_index": "syslog-x", "_id": "1"},
                              {"timestamp": ingested})
    done = execute(lambda pid: pipeline, SYSLOG.pipeline_id, None, document, None)
    assert done is not None
    return done.source()


def test_records_and_sniff() -> None:
    found = records("syslog", "syslog-3164.log")
    assert len(found) == 8
    assert found[5]["message"].endswith("download activities.")  # CRLF cut
    assert sniffers("syslog-3164.log", "/var/log/syslog") == ["syslog"]
    assert sniffers("syslog-5424.log", "-") == ["syslog"]
    for other in ("clf-access.log", "alb.log", "classic-elb.log", "cloudfront.log",
                  *OTHER_SAMPLES):
        assert not SYSLOG.sniff("/var/log/messages", raw_lines(other)), other


@pytest.mark.parametrize(("line", "ingested", "expected"), [
    # A December line read just after New Year is last year's.
    ("Dec 31 23:59:58 web01 app: last", "2027-01-01T00:00:30.000000Z",
     "2026-12-31T23:59:58.000Z"),
    # A January line read just before New Year (the sender's clock ahead) is next year's.
    ("Jan  1 00:00:03 web01 app: first", "2026-12-31T23:59:59.000000Z",
     "2027-01-01T00:00:03.000Z"),
    # Up to a day ahead stays this year; more than a day ahead is last year's.
    ("Mar  2 10:00:00 web01 app: ahead", "2026-03-01T12:00:00.000000Z",
     "2026-03-02T10:00:00.000Z"),
    ("Mar  3 10:00:00 web01 app: later", "2026-03-01T12:00:00.000000Z",
     "2025-03-03T10:00:00.000Z"),
    ("Feb 29 08:00:00 web01 app: leap", "2029-01-10T00:00:00.000000Z",
     "2028-02-29T08:00:00.000Z"),
])
def test_a_time_without_year_is_never_more_than_a_day_ahead(line: str, ingested: str,
                                                             expected: str) -> None:
    parsed = run(line, ingested)
    assert parsed["@timestamp"] == expected
    assert "_tmp" not in parsed and "error" not in parsed


def test_syslog_lines_over_http(es: httpx.Client) -> None:
    index = "syslog-2026-11-26"
    assert SYSLOG.template["index_patterns"] == ["syslog-*"]
    docs = load(es, index, records("syslog", "syslog-3164.log")
                + records("syslog", "syslog-5424.log"))
    su, bfg, sshd, cron, kernel, iso, ipv6, garbage, event, su5424, nil_proc, two_sd, nil = docs

    assert su["log"]["syslog"] == {"priority": 34, "facility": {"code": 4, "name": "auth"},
                                   "severity": {"code": 2, "name": "Critical"}}
    assert su["host"]["hostname"] == "mymachine" and su["process"] == {"name": "su"}
    assert su["message"] == "'su root' failed for lonvick on /dev/pts/8"
    assert su["event"]["original"] == RFC3164
    assert su["@timestamp"].endswith("-10-11T22:14:15.000Z")
    assert bfg["host"]["hostname"] == "10.0.0.99" and bfg["message"] == "Use the BFG!"
    assert "process" not in bfg
    assert sshd["process"] == {"name": "sshd", "pid": 4242} and "log" not in sshd
    assert cron["message"] == "(root) CMD (run-parts /etc/cron.hourly)"
    assert kernel["message"].startswith("[12345.678901] UFW BLOCK")
    assert iso["@timestamp"] == "2026-11-26T09:20:00.123Z"
    assert iso["process"] == {"name": "systemd", "pid": 1}
    assert ipv6["host"]["hostname"] == "[2001:db8::7]"
    assert ipv6["log"]["syslog"]["facility"]["name"] == "authpriv"
    assert garbage["event"]["kind"] == "pipeline_error" and "message" not in garbage

    assert event["message"] == "An application event log entry..."  # BOM dropped
    assert event["log"]["syslog"]["structured_data"] == {
        "exampleSDID@32473": {"iut": "3", "eventSource": "Application", "eventID": "1011"}}
    assert event["log"]["syslog"]["msgid"] == "ID47" and event["log"]["syslog"]["version"] == 1
    assert event["log"]["syslog"]["appname"] == "evntslog"
    assert event["process"] == {"name": "evntslog"}  # PROCID "-"
    assert event["@timestamp"] == "2003-10-11T22:14:15.003Z"
    assert "structured_data" not in su5424["log"]["syslog"]
    assert nil_proc["process"] == {"name": "myproc", "pid": 8710}
    assert nil_proc["@timestamp"] == "2003-08-24T12:14:15.000Z"
    assert two_sd["log"]["syslog"]["structured_data"]["examplePriority@32473"] == {
        "class": "high", "note": 'a "quoted" ] value'}
    assert "message" not in two_sd
    assert nil["log"]["syslog"]["severity"]["name"] == "Informational"
    assert set(nil) == {"log", "event", "@timestamp"}  # the ingest time

    types = field_types(es, index)
    assert types["@timestamp"] == "date" and types["host.hostname"] == "keyword"
    assert types["log.syslog.severity.code"] == "long" and types["process.pid"] == "long"
    assert types["log.syslog.structured_data"] == "flattened"
    assert types["message"] == "text"

    assert terms(es, index, "log.syslog.severity.name") == {
        "Notice": 4, "Critical": 2, "Informational": 2}
    assert terms(es, index, "host.hostname")["web01"] == 3
    old = search(es, index, {"query": {"range": {"@timestamp": {"lt": "2004-01-01"}}}})
    assert old["hits"]["total"]["value"] == 4
    failed = search(es, index, {"query": {"match": {"message": "lonvick"}}})
    assert failed["hits"]["total"]["value"] == 2


def test_simulate_on_bare_lines_of_both_rfcs(es: httpx.Client) -> None:
    response = es.post("/_ingest/pipeline/loghaven-syslog/_simulate", json={
        "docs": [{"_source": {"message": RFC3164}}, {"_source": {"message": RFC5424}}]})
    assert response.status_code == 200, response.text
    bsd, modern = (doc["doc"]["_source"] for doc in response.json()["docs"])
    assert bsd["process"]["name"] == "su" and bsd["log"]["syslog"]["severity"]["code"] == 2
    assert modern["log"]["syslog"]["structured_data"]["exampleSDID@32473"]["iut"] == "3"
    assert modern["log"]["syslog"]["facility"] == {"code": 20, "name": "local4"}
    assert modern["host"]["hostname"] == "mymachine.example.com"
