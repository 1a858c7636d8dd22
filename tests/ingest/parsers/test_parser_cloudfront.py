"""The CloudFront parser (``loghaven-cloudfront``): header lines skipped, the 33-field and
the oldest 24-field lines, URL-encoded user agents and forwarded-for lists, status ``000``,
sniffing by header, name and content, and the lines loaded over HTTP into
``cloudfront-*``."""

from __future__ import annotations

import httpx
from weblines import OTHER_SAMPLES, field_types, load, raw_lines, records, search, sniffers, terms

from loghaven.ingest.parsers import PARSERS, detect

CLOUDFRONT = PARSERS["cloudfront"]
KEY = "cf-logs/E2QWRUHAPOMQZL.2026-11-26-21.a1b2c3d4.gz"


def test_records_skip_the_header_lines() -> None:
    found = records("cloudfront", "cloudfront.log")
    assert len(found) == 6  # eight lines, two of them the #Version and #Fields header
    assert found[0]["message"].startswith("2026-11-26\t21:02:31\tLAX1\t392\t")
    assert found[4]["message"].endswith("\tError\tHTTP/1.0")  # its CRLF cut


def test_sniff_by_header_name_and_content_and_nothing_else() -> None:
    assert sniffers("cloudfront.log") == ["cloudfront"]
    without_header = raw_lines("cloudfront.log")[2:]
    assert CLOUDFRONT.sniff(KEY, without_header[:1])
    assert CLOUDFRONT.sniff("-", without_header)
    detected = detect(KEY, raw_lines("cloudfront.log"))
    assert detected is not None and detected.name == "cloudfront"
    for other in ("clf-access.log", "alb.log", "classic-elb.log", "syslog-3164.log",
                  "syslog-5424.log", *OTHER_SAMPLES):
        assert not CLOUDFRONT.sniff(KEY, raw_lines(other)), other


def test_cloudfront_lines_over_http(es: httpx.Client) -> None:
    index = "cloudfront-2026-11-26"
    assert CLOUDFRONT.template["index_patterns"] == ["cloudfront-*"]
    docs = load(es, index, records("cloudfront", "cloudfront.log"))
    hit, query, video, no_status, old, garbage = docs

    assert hit["@timestamp"] == "2026-11-26T21:02:31.000Z"
    assert hit["user_agent"]["original"].startswith("Mozilla/5.0 (Windows NT 10.0; Win64; x64)")
    assert hit["user_agent"]["name"] == "Chrome"
    assert hit["source"]["geo"]["country_iso_code"] == "GB"
    assert hit["source"]["port"] == 11040
    assert hit["http"]["response"] == {"bytes": 392, "status_code": 200,
                                       "mime_type": "text/html", "body": {"bytes": 78}}
    assert hit["http"]["version"] == "2.0" and hit["tls"]["version"] == "1.2"
    assert hit["aws"]["cloudfront"]["edge_location"] == "LAX1"
    assert "referrer" not in hit["http"]["request"] and "query" not in hit["url"]

    assert query["url"]["query"] == "q=shoes&page=2"
    assert query["http"]["request"]["referrer"] == "https://www.example.com/"
    assert video["aws"]["cloudfront"]["x_forwarded_for"] == ["203.0.113.7", "10.0.0.8"]
    assert video["aws"]["cloudfront"]["range_end"] == 1048575
    assert video["user_agent"]["os"]["name"] == "iOS"
    assert "status_code" not in no_status["http"]["response"]  # 000: no response
    assert "tls" not in no_status
    assert old["http"]["response"]["status_code"] == 404 and old["http"]["version"] == "1.0"
    assert "source" in old and "port" not in old["source"]
    assert "error" not in old
    assert garbage["event"]["kind"] == "pipeline_error"
    assert garbage["event"]["original"] == "this\tis\tnot\ta\tcloudfront\tline"

    types = field_types(es, index)
    assert types["@timestamp"] == "date" and types["source.ip"] == "ip"
    assert types["http.response.bytes"] == "long"
    assert types["aws.cloudfront.time_taken.sec"] == "double"
    assert types["aws.cloudfront.edge_location"] == "keyword"

    assert terms(es, index, "aws.cloudfront.edge_result_type") == {"Hit": 2, "Error": 2,
                                                                    "Miss": 1}
    assert terms(es, index, "source.geo.country_iso_code") == {"GB": 2, "US": 2}
    late = search(es, index, {"query": {"range": {"@timestamp": {"gte": "2026-11-26T21:10:00Z"}}}})
    assert late["hits"]["total"]["value"] == 3
