"""The load balancer parser (``loghaven-alb``): ALB lines of every request type, with
``-1`` times, ``-`` targets, no request line and newer trailing fields, Classic ELB lines,
sniffing by S3 key and content, and the lines loaded over HTTP into ``alb-*``."""

from __future__ import annotations

import httpx
from weblines import OTHER_SAMPLES, field_types, load, raw_lines, records, search, sniffers, terms

from loghaven.ingest.parsers import PARSERS, detect

ALB = PARSERS["alb"]
KEY = ("AWSLogs/123456789012/elasticloadbalancing/us-east-2/2026/11/26/123456789012_"
       "elasticloadbalancing_us-east-2_app.my-loadbalancer.50dc6c495c0c9188_"
       "20261126T2225Z_81.2.69.160_2soosksgsdtkx3l3.log.gz")


def test_sniff_by_key_and_content_and_nothing_else() -> None:
    assert sniffers("alb.log") == ["alb"]
    assert sniffers("classic-elb.log") == ["alb"]
    assert sniffers("alb.log", KEY) == ["alb"]
    detected = detect(KEY, raw_lines("alb.log")[:3])
    assert detected is not None and detected.name == "alb"
    for other in ("clf-access.log", "cloudfront.log", "syslog-3164.log", "syslog-5424.log",
                  *OTHER_SAMPLES):
        assert not ALB.sniff(KEY, raw_lines(other)), other
    assert not ALB.sniff(KEY, [])


def test_alb_lines_over_http(es: httpx.Client) -> None:
    index = "alb-2026-11-26"
    assert ALB.template["index_patterns"] == ["alb-*"] and ALB.rotation == "OneDay"
    found = records("alb", "alb.log")
    assert len(found) == 8
    docs = load(es, index, found)
    http, https, h2, ws, no_target, lambda_, no_request, garbage = docs

    assert http["@timestamp"] == "2026-11-26T22:23:00.186Z"
    assert http["source"]["ip"] == "81.2.69.160" and http["source"]["port"] == 2817
    assert http["source"]["geo"]["country_iso_code"] == "GB"
    assert http["aws"]["elb"]["backend"] == {"ip": "10.0.0.1", "port": 80,
                                             "http": {"response": {"status_code": 200}}}
    assert http["aws"]["elb"]["backend_processing_time"] == {"sec": 0.001}
    assert http["http"]["request"]["body"]["bytes"] == 34
    assert http["http"]["response"]["body"]["bytes"] == 366
    assert http["url"]["domain"] == "www.example.com" and http["url"]["port"] == 80
    assert "tls" not in http and "message" not in http

    assert https["tls"] == {"cipher": "ECDHE-RSA-AES128-GCM-SHA256", "version": "1.2",
                            "version_protocol": "tls",
                            "client": {"server_name": "www.example.com"}}
    assert https["url"]["path"] == "/shop/cart" and https["url"]["query"] == "item=42&qty=1"
    assert https["user_agent"]["name"] == "Chrome"
    assert https["aws"]["elb"]["action_executed"] == ["authenticate", "forward"]
    assert https["aws"]["elb"]["connection_trace_id"] == "TID_1234abcd5678ef90"
    assert https["aws"]["elb"]["chosen_cert"]["arn"].startswith("arn:aws:acm:")

    assert h2["aws"]["elb"]["redirect_url"] == "https://example.com:80/"
    assert "geo" not in h2["source"]  # a private client: no country, no failure
    assert ws["source"]["ip"] == "2001:db8::1" and ws["source"]["port"] == 40914
    assert "user_agent" not in ws

    elb = no_target["aws"]["elb"]
    assert "backend" not in elb and "request_processing_time" not in elb  # "-", "-1"
    assert elb["classification"] == "Ambiguous"
    assert no_target["http"]["response"]["status_code"] == 503
    assert lambda_["aws"]["elb"]["error"]["reason"] == "LambdaInvalidResponse"
    assert "error" not in lambda_  # trailing fields newer than the parser: kept, no failure
    assert no_request["http"]["response"]["status_code"] == 460
    assert "method" not in no_request["http"].get("request", {}) and "url" not in no_request
    assert garbage["error"]["message"].startswith("Provided Grok expressions do not match")
    assert garbage["event"]["original"] == "not an alb line"

    types = field_types(es, index)
    assert types["@timestamp"] == "date" and types["aws.elb.request_creation_time"] == "date"
    assert types["source.ip"] == "ip" and types["aws.elb.backend.ip"] == "ip"
    assert types["http.response.status_code"] == "long"
    assert types["aws.elb.backend_processing_time.sec"] == "double"
    assert types["aws.elb.target_group.arn"] == "keyword"

    assert terms(es, index, "http.response.status_code") == {
        200: 2, 301: 1, 101: 1, 503: 1, 502: 1, 460: 1}
    assert terms(es, index, "source.geo.country_iso_code") == {"US": 3, "GB": 2}
    slow = search(es, index, {"query": {"range": {
        "aws.elb.backend_processing_time.sec": {"gte": 0.002}}}})
    assert slow["hits"]["total"]["value"] == 3
    window = search(es, index, {"query": {"range": {"@timestamp": {
        "gte": "2026-11-26T22:23:01Z", "lt": "2026-11-26T22:23:04Z"}}}})
    assert window["hits"]["total"]["value"] == 3


def test_classic_elb_lines_over_http(es: httpx.Client) -> None:
    docs = load(es, "alb-2026-11-27", records("alb", "classic-elb.log"))
    ok, tls, timeout, tcp = docs
    assert ok["aws"]["elb"]["name"] == "my-loadbalancer" and "type" not in ok["aws"]["elb"]
    assert ok["aws"]["elb"]["request_processing_time"] == {"sec": 0.000073}
    assert tls["tls"]["version"] == "1.2" and tls["url"]["scheme"] == "https"
    assert timeout["http"]["response"]["status_code"] == 504
    assert "request_processing_time" not in timeout["aws"]["elb"]
    assert "status_code" not in tcp["http"].get("response", {})
    assert "error" not in tcp and tcp["http"]["request"]["body"]["bytes"] == 82
