"""The grok processor through the registry, on real-looking log lines, and the grok
patterns API over HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

import loghaven.ingest.processors  # noqa: F401  (fills PROCESSORS)
from loghaven.config import load_config
from loghaven.errors import IllegalArgument
from loghaven.ingest import grok as engine
from loghaven.ingest.pipeline.document import IngestDocument
from loghaven.ingest.pipeline.processor import PROCESSORS, ConfigurationError, ProcessorConfig
from loghaven.node import Node


def run(options: dict[str, Any], source: dict[str, Any], tag: str | None = None) -> dict:
    processor = PROCESSORS["grok"](ProcessorConfig("grok", tag, dict(options)))
    document = IngestDocument(source)
    processor.execute(document)
    return {**document.fields, **({"_ingest": document.ingest} if document.ingest else {})}


def configure_error(options: dict[str, Any]) -> ConfigurationError:
    with pytest.raises(ConfigurationError) as raised:
        PROCESSORS["grok"](ProcessorConfig("grok", "t1", dict(options)))
    return raised.value


APACHE_COMBINED = ('83.149.9.216 - - [17/May/2015:10:05:03 +0000] "GET /presentations/'
                   'logstash-monitorama-2013/images/kibana-search.png HTTP/1.1" 200 203023 '
                   '"http://semicomplete.com/presentations/logstash-monitorama-2013/" '
                   '"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_9_1) AppleWebKit/537.36 '
                   '(KHTML, like Gecko) Chrome/32.0.1700.77 Safari/537.36"')


def test_docs_example_types_and_fields():
    doc = run({"field": "message", "patterns": [
        "%{IP:client} %{WORD:method} %{URIPATHPARAM:request} %{NUMBER:bytes:int} "
        "%{NUMBER:duration:double}"]}, {"message": "55.3.244.1 GET /index.html 15824 0.043"})
    assert doc == {"message": "55.3.244.1 GET /index.html 15824 0.043", "client": "55.3.244.1",
                   "method": "GET", "request": "/index.html", "bytes": 15824, "duration": 0.043}


def test_apache_combined_log_legacy_and_ecs():
    legacy = run({"field": "message", "patterns": ["%{COMBINEDAPACHELOG}"]},
                 {"message": APACHE_COMBINED})
    assert legacy["clientip"] == "83.149.9.216"
    assert legacy["timestamp"] == "17/May/2015:10:05:03 +0000"
    assert legacy["verb"] == "GET" and legacy["httpversion"] == "1.1"
    assert legacy["request"].endswith("kibana-search.png")
    assert (legacy["response"], legacy["bytes"]) == ("200", "203023")
    assert legacy["referrer"] == '"http://semicomplete.com/presentations/' \
                                 'logstash-monitorama-2013/"'
    assert legacy["agent"].startswith('"Mozilla/5.0')
    assert legacy["ident"] == legacy["auth"] == "-"
    ecs = run({"field": "message", "patterns": ["%{COMBINEDAPACHELOG}"],
               "ecs_compatibility": "v1"}, {"message": APACHE_COMBINED})
    assert ecs["source"] == {"address": "83.149.9.216"}
    assert ecs["http"]["response"] == {"status_code": 200, "body": {"bytes": 203023}}
    assert ecs["http"]["request"]["method"] == "GET"
    assert ecs["url"] == {"original": "/presentations/logstash-monitorama-2013/images/"
                                      "kibana-search.png"}
    assert ecs["user_agent"]["original"].startswith("Mozilla/5.0")


def test_common_log_with_dash_size_leaves_bytes_out():
    doc = run({"field": "message", "patterns": ["%{COMMONAPACHELOG}"]},
              {"message": '10.1.2.3 - alice [04/Dec/2026:17:12:34 +0100] "POST /login HTTP/1.0" '
                          '302 -'})
    assert doc["auth"] == "alice" and doc["response"] == "302" and doc["verb"] == "POST"
    assert "bytes" not in doc


def test_syslog_lines():
    doc = run({"field": "message", "patterns": ["%{SYSLOGLINE}"]},
              {"message": "Dec  4 17:12:34 web01 sshd[4242]: Accepted publickey for deploy "
                          "from 10.0.0.5 port 51234 ssh2"})
    assert doc["timestamp"] == "Dec  4 17:12:34"
    assert (doc["logsource"], doc["program"], doc["pid"]) == ("web01", "sshd", "4242")
    assert doc["message"].startswith("Accepted publickey")
    base = run({"field": "message", "patterns": ["%{SYSLOGBASE} %{GREEDYDATA:rest}"]},
               {"message": "Jan 12 06:25:01 db-2 CRON[1234]: (root) CMD (run-parts /etc/cron)"})
    assert base["program"] == "CRON" and base["rest"] == "(root) CMD (run-parts /etc/cron)"


def test_classic_elb_and_alb_lines():
    elb = run({"field": "message", "patterns": ["%{ELB_ACCESS_LOG}"]},
              {"message": '2015-05-13T23:39:43.945958Z my-loadbalancer 192.168.131.39:2817 '
                          '10.0.0.1:80 0.000073 0.001048 0.000057 200 200 0 29 '
                          '"GET http://www.example.com:80/ HTTP/1.1" "curl/7.38.0" - -'})
    assert elb["clientip"] == "192.168.131.39" and elb["clientport"] == 2817
    assert elb["backendip"] == "10.0.0.1" and elb["response"] == 200
    assert elb["request_processing_time"] == 7.3e-05
    assert elb["verb"] == "GET" and elb["urihost"] == "www.example.com:80"
    alb_pattern = ('%{NOTSPACE:type} %{TIMESTAMP_ISO8601:time} %{NOTSPACE:elb} '
                   '%{IP:client_ip}:%{INT:client_port:int} (?:%{IP:target_ip}:%{INT:target_port'
                   ':int}|-) %{NUMBER:request_processing_time:float} '
                   '%{NUMBER:target_processing_time:float} '
                   '%{NUMBER:response_processing_time:float} %{INT:elb_status_code:int} '
                   '(?:%{INT:target_status_code:int}|-) %{INT:received_bytes:long} '
                   '%{INT:sent_bytes:long} "%{WORD:verb} %{URI:url} HTTP/%{NUMBER:http_version}'
                   '" %{QS:user_agent} %{NOTSPACE:ssl_cipher} %{NOTSPACE:ssl_protocol} '
                   '%{NOTSPACE:target_group_arn} %{QS:trace_id} %{GREEDYDATA:rest}')
    alb = run({"field": "message", "patterns": [alb_pattern]},
              {"message": 'h2 2018-07-02T22:23:00.186641Z app/my-loadbalancer/50dc6c495c0c9188 '
                          '10.0.1.252:48160 10.0.0.66:9000 0.000 0.002 0.000 200 200 5 257 '
                          '"GET https://10.0.2.105:773/ HTTP/2.0" "curl/7.46.0" '
                          'ECDHE-RSA-AES128-GCM-SHA256 TLSv1.2 arn:aws:elasticloadbalancing:'
                          'us-east-2:123456789012:targetgroup/my-targets/73e2d6bc24d8a067 '
                          '"Root=1-58337327-72bd00b0343d75b906739c42" "-" "-" 1 '
                          '2018-07-02T22:22:48.364000Z "redirect" "https://example.com:80/" '
                          '"-" "10.0.0.66:9000" "200" "-" "-"'})
    assert (alb["type"], alb["elb_status_code"], alb["sent_bytes"]) == ("h2", 200, 257)
    assert alb["client_port"] == 48160 and alb["target_processing_time"] == 0.002
    assert alb["url"] == "https://10.0.2.105:773/" and alb["http_version"] == "2.0"
    assert alb["trace_id"] == '"Root=1-58337327-72bd00b0343d75b906739c42"'


def test_pattern_definitions_and_patterns_in_order_with_trace_match():
    definitions = {"FAVORITE_DOG": "beagle", "FAVORITE_CAT": "burmese", "RGB": "RED|GREEN|BLUE"}
    doc = run({"field": "message", "patterns": ["my %{FAVORITE_DOG:dog} is colored %{RGB:color}"],
               "pattern_definitions": definitions}, {"message": "my beagle is colored RED"})
    assert (doc["dog"], doc["color"]) == ("beagle", "RED")
    traced = run({"field": "message", "patterns": ["%{FAVORITE_DOG:pet}", "%{FAVORITE_CAT:pet}"],
                  "pattern_definitions": definitions, "trace_match": True},
                 {"message": "I love burmese cats!"})
    assert traced["pet"] == "burmese"
    assert traced["_ingest"] == {"_grok_match_index": "1"}
    single = run({"field": "message", "patterns": ["%{WORD:w}"], "trace_match": True},
                 {"message": "hello"})
    assert single["_ingest"] == {"_grok_match_index": "0"}


def test_no_match_missing_and_null_fields():
    with pytest.raises(IllegalArgument) as raised:
        run({"field": "message", "patterns": ["%{INT:n}"]}, {"message": "no digits"})
    assert raised.value.reason == "Provided Grok expressions do not match field value: " \
                                  "[no digits]"
    with pytest.raises(IllegalArgument) as raised:
        run({"field": "message", "patterns": ["%{INT:n}"]}, {"other": 1})
    assert raised.value.reason == "field [message] not present as part of path [message]"
    with pytest.raises(IllegalArgument) as raised:
        run({"field": "message", "patterns": ["%{INT:n}"]}, {"message": None})
    assert raised.value.reason == "field [message] is null, cannot process it."
    with pytest.raises(IllegalArgument) as raised:
        run({"field": "message", "patterns": ["%{INT:n}"]}, {"message": 5})
    assert raised.value.reason == "field [message] of type [java.lang.Integer] cannot be " \
                                  "cast to [java.lang.String]"
    assert run({"field": "message", "patterns": ["%{INT:n}"], "ignore_missing": True},
               {"other": 1}) == {"other": 1}


def test_configuration_errors():
    error = configure_error({"field": "m", "patterns": ["%{NOPE:x}"]})
    assert error.reason == "Invalid regex pattern found in: [%{NOPE:x}]. Unable to find " \
                           "pattern [NOPE] in Grok's pattern dictionary"
    assert error.extra == {"processor_tag": "t1", "processor_type": "grok",
                           "property_name": "patterns"}
    assert configure_error({"field": "m", "patterns": []}).reason == \
        "List of patterns must not be empty"
    assert configure_error({"field": "m", "patterns": ["%{WORD}"],
                            "ecs_compatibility": "v2"}).reason == "unsupported mode 'v2'"
    assert configure_error({"patterns": ["%{WORD}"]}).reason == \
        "[field] required property is missing"
    with pytest.raises(IllegalArgument) as raised:
        PROCESSORS["grok"](ProcessorConfig("grok", None, {
            "field": "m", "patterns": ["%{A}"], "pattern_definitions": {"A": "%{B}x",
                                                                        "B": "%{A}"}}))
    assert raised.value.reason == "circular reference detected: A->B->A"
    with pytest.raises(IllegalArgument) as raised:
        PROCESSORS["grok"](ProcessorConfig("grok", None, {
            "field": "m", "patterns": ["%{A}"], "pattern_definitions": {"A": "%{MISSING}"}}))
    assert raised.value.reason == "pattern [A] is referencing a non-existent pattern [MISSING]"


def test_type_conversion_failure_is_javas_number_format():
    with pytest.raises(IllegalArgument) as raised:
        run({"field": "m", "patterns": ["%{NUMBER:n:int}"]}, {"m": "1.5"})
    assert (raised.value.type, raised.value.reason) == ("number_format_exception",
                                                        'For input string: "1.5"')


@pytest.fixture
def short_watchdog() -> Iterator[None]:
    previous = engine.WATCHDOG.max_execution_ms
    engine.configure(max_execution_ms=100)
    yield
    engine.configure(max_execution_ms=previous)


def test_catastrophic_backtracking_is_stopped_by_the_watchdog(short_watchdog):
    processor = PROCESSORS["grok"](ProcessorConfig("grok", None, {
        "field": "m", "patterns": ["^(?:%{DATA},){15}P"]}))
    with pytest.raises(engine.GrokTimeout) as raised:
        processor.execute(IngestDocument({"m": "1," * 40}))
    assert raised.value.reason == "grok pattern matching was interrupted after [100] ms"
    # the same expression still matches a line it fits
    document = IngestDocument({"m": "a," * 15 + "P"})
    assert processor.execute(document) is document


def test_every_builtin_pattern_compiles():
    for mode in engine.ECS_MODES:
        bank = engine.builtin_patterns(mode)
        for name in bank:
            engine.Grok(f"%{{{name}}}", bank)


def test_grok_patterns_api(es: httpx.Client):
    body = es.get("/_ingest/processor/grok").json()
    patterns = body["patterns"]
    assert patterns["WORD"] == r"\b\w+\b"
    assert patterns["COMBINEDAPACHELOG"] == "%{HTTPD_COMBINEDLOG}"
    assert next(iter(patterns)) == "S3_REQUEST_LINE"  # ES's load order: the aws file first
    assert len(patterns) > 300
    sorted_names = list(es.get("/_ingest/processor/grok?s=true").json()["patterns"])
    assert sorted_names == sorted(sorted_names) and set(sorted_names) == set(patterns)
    ecs = es.get("/_ingest/processor/grok?ecs_compatibility=v1").json()["patterns"]
    assert ecs["HTTPD_COMMONLOG"].startswith("%{IPORHOST:source.address} ")
    bad = es.get("/_ingest/processor/grok?ecs_compatibility=v3")
    assert bad.status_code == 400
    assert bad.json()["error"]["type"] == "illegal_argument_exception"
    assert bad.json()["error"]["reason"] == "unsupported ECS compatibility mode [v3]"


def test_oniguruma_semantics_of_joni():
    """What Ruby-syntax expressions mean in ES: ``\\h`` is a hex digit, ``(?m)`` lets a dot
    match a newline, ``^``/``$`` match at line breaks; names may hold any character."""
    assert run({"field": "m", "patterns": [r"%{RUUID:id}"]},
               {"m": "req 0123456789abcdef0123456789ABCDEF"})["id"] == \
        "0123456789abcdef0123456789ABCDEF"
    assert run({"field": "m", "patterns": [r"^%{WORD:w}$"]}, {"m": "two words\nsecond"})["w"] \
        == "second"
    assert run({"field": "m", "patterns": [r"(?m)start(?<body>.*)end"]},
               {"m": "start a\nb end"})["body"] == " a\nb "
    assert run({"field": "m", "patterns": [r"(?<a.b>x+)-(?<c d>y)"]},
               {"m": "xx-y"}) == {"m": "xx-y", "a": {"b": "xx"}, "c d": "y"}


def test_watchdog_setting_from_loghaven_yml(tmp_path, short_watchdog):
    config_file = tmp_path / "loghaven.yml"
    config_file.write_text("ingest:\n  grok:\n    watchdog:\n      max_execution_time: 250ms\n"
                           f"path.data: {tmp_path / 'data'}\n")
    node = Node(load_config(config_file, environ={}))
    try:
        assert engine.WATCHDOG.max_execution_ms == 250
    finally:
        node.close()
