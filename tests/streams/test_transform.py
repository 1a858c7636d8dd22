"""A stream's data transformation (streams/transform.py) at its contract: a real HTTP transform
function served on loopback that follows Firehose's data-transformation contract (results,
garbage, a dead URL, a slow one, retries counted, invocations sized by BufferSizeInMBs),
CloudWatch Logs payloads decompressed and split into their messages, ingest pipelines of a
real PipelineStore, and the ProcessingConfigurations refused at creation."""

from __future__ import annotations

import base64
import gzip
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from loghaven.ingest.pipeline.store import PipelineStore
from loghaven.storage.metastore import SqliteMetastore
from loghaven.streams.errors import FirehoseError
from loghaven.streams.transform import (
    DROPPED,
    FAILED,
    OK,
    Transformation,
    Transformed,
    check_processing,
    pipeline_runner,
)

ARN = "arn:aws:firehose:eu-west-1:123456789012:deliverystream/waf"
SAMPLES = Path(__file__).parents[1] / "ingest" / "parsers" / "samples"
#: What a handler answers: (status, body), or None to sleep past the client's timeout.
Answer = tuple[int, bytes]


class Function:
    """A transform function on loopback: ``answer(event)`` decides each response; every
    request's event is kept, so tests count the attempts."""

    def __init__(self, answer: Callable[[dict[str, Any]], Answer | None]) -> None:
        self.answer = answer
        self.events: list[dict[str, Any]] = []
        self.paths: list[str] = []
        self.release = threading.Event()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                outer.paths.append(self.path)
                event = json.loads(body)
                outer.events.append(event)
                answered = outer.answer(event) if self.path != "/moved" else (
                    307, b"", {"Location": "/"})
                if answered is None:  # slow: hold the request until the test ends
                    outer.release.wait(10)
                    return
                status, content, *headers = answered
                self.send_response(status)
                for name, value in (headers[0] if headers else {}).items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(content)))
                self.end_headers()
                self.wfile.write(content)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,),
                                       daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def serve() -> Iterator[Callable[[Callable[[dict[str, Any]], Any]], Function]]:
    started: list[Function] = []

    def start(answer: Callable[[dict[str, Any]], Any]) -> Function:
        started.append(Function(answer))
        return started[-1]

    yield start
    for function in started:
        function.close()


def processing(*processors: dict[str, Any], enabled: bool = True) -> dict[str, Any]:
    return {"Enabled": enabled, "Processors": list(processors)}


def lambda_processor(target: str, **parameters: Any) -> dict[str, Any]:
    return {"Type": "Lambda", "Parameters": [
        {"ParameterName": "LambdaArn", "ParameterValue": target},
        *({"ParameterName": name, "ParameterValue": str(value)}
          for name, value in parameters.items())]}


def transformation(configuration: dict[str, Any] | None, *, timeout_s: float = 5.0,
                   run_pipeline: Any = None, destination: str = "") -> Transformation:
    check_processing(configuration)
    return Transformation(configuration, timeout_s=timeout_s,
                          run_pipeline=run_pipeline or (lambda *_: pytest.fail("no pipeline")),
                          stream_arn=ARN, region="eu-west-1", destination=destination)


def answer_each(decide: Callable[[bytes], tuple[str, bytes]]) -> Callable[[dict], Answer]:
    """A well-behaved function: ``decide(data)`` → (result, new data) for each record."""

    def answer(event: dict[str, Any]) -> Answer:
        records = []
        for record in event["records"]:
            result, data = decide(base64.b64decode(record["data"]))
            records.append({"recordId": record["recordId"], "result": result,
                            "data": base64.b64encode(data).decode()})
        return 200, json.dumps({"records": records}).encode()

    return answer


def dead_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# -- a function over HTTP --


def test_function_results_ok_dropped_and_failed(serve: Any) -> None:
    def decide(data: bytes) -> tuple[str, bytes]:
        action = json.loads(data)["action"]
        if action == "drop":
            return DROPPED, b""
        if action == "fail":
            return FAILED, b""
        return OK, json.dumps({"action": action, "seen": True}).encode()

    function = serve(answer_each(decide))
    records = [(seq, 1_764_000_000_000 + seq, json.dumps({"action": action}).encode())
               for seq, action in enumerate(["keep", "drop", "fail", "keep"], 11)]
    out = transformation(processing(lambda_processor(function.url))).apply(records)
    assert [o.seq for o in out] == [11, 12, 13, 14]
    assert [o.result for o in out] == [OK, DROPPED, FAILED, OK]
    assert json.loads(out[0].data) == {"action": "keep", "seen": True}
    assert out[1].data == records[1][2] and out[2].data == records[2][2]
    assert (out[2].error_code, out[2].error_message) == (
        "Lambda.ProcessingFailed",
        "The Lambda function returned the record with result ProcessingFailed.")
    assert out[0].error_code is None and all(o.attempts == 1 for o in out)
    # Firehose's event, exactly
    [event] = function.events
    assert set(event) == {"invocationId", "deliveryStreamArn", "region", "records"}
    assert event["deliveryStreamArn"] == ARN and event["region"] == "eu-west-1"
    assert [r["approximateArrivalTimestamp"] for r in event["records"]] == [
        r[1] for r in records]
    assert [base64.b64decode(r["data"]) for r in event["records"]] == [r[2] for r in records]
    assert len({r["recordId"] for r in event["records"]}) == 4


GARBAGE = {
    "not JSON": (b"<html>oops</html>", "Lambda.JsonProcessingException"),
    "no records": (b'{"result": "Ok"}', "Lambda.JsonProcessingException"),
    "bad result": ("bad-result", "Lambda.JsonProcessingException"),
    "bad base64": ("bad-base64", "Lambda.JsonProcessingException"),
    "Ok without data": ("no-data", "Lambda.JsonProcessingException"),
    "a record missing": ("missing", "Lambda.MissingRecordId"),
    "an unknown record": ("unknown", "Lambda.MissingRecordId"),
    "a record twice": ("twice", "Lambda.DuplicatedRecordId"),
}


@pytest.mark.parametrize("case", list(GARBAGE))
def test_a_response_off_the_status_model_fails_the_batch_without_retries(
        serve: Any, case: str) -> None:
    reply, code = GARBAGE[case]

    def answer(event: dict[str, Any]) -> Answer:
        if isinstance(reply, bytes):
            return 200, reply
        good = [{"recordId": r["recordId"], "result": OK, "data": r["data"]}
                for r in event["records"]]
        if reply == "bad-result":
            good[1]["result"] = "Fine"
        elif reply == "bad-base64":
            good[1]["data"] = "%%%not base64"
        elif reply == "no-data":
            del good[1]["data"]
        elif reply == "missing":
            good.pop()
        elif reply == "unknown":
            good[1]["recordId"] = "not-sent"
        elif reply == "twice":
            good.append(dict(good[0]))
        return 200, json.dumps({"records": good}).encode()

    function = serve(answer)
    records = [(1, 0, b'{"a": 1}'), (2, 0, b'{"a": 2}')]
    out = transformation(processing(lambda_processor(function.url, NumberOfRetries=3))) \
        .apply(records)
    assert len(function.events) == 1  # the function answered: not asked again
    assert [(o.result, o.error_code, o.attempts) for o in out] == [(FAILED, code, 1)] * 2
    assert [o.data for o in out] == [r[2] for r in records]
    assert all(o.error_message for o in out)


def test_an_http_error_is_retried_number_of_retries_times(serve: Any) -> None:
    function = serve(lambda event: (500, b"function crashed: KeyError 'x'"))
    out = transformation(processing(lambda_processor(function.url, NumberOfRetries=2))) \
        .apply([(1, 0, b"one"), (2, 0, b"two")])
    assert len(function.events) == 3
    assert len({event["invocationId"] for event in function.events}) == 3
    assert [o.result for o in out] == [FAILED, FAILED] and {o.attempts for o in out} == {3}
    assert out[0].error_code == "Lambda.FunctionError"
    assert out[0].error_message.startswith(
        "The Lambda function was successfully invoked but it returned an error result.")
    assert "HTTP 500" in out[0].error_message and "KeyError" in out[0].error_message
    assert [o.data for o in out] == [b"one", b"two"]


def test_a_retry_that_succeeds_delivers(serve: Any) -> None:
    ok = answer_each(lambda data: (OK, data.upper()))
    function = serve(lambda event: (503, b"busy") if len(function.events) == 1 else ok(event))
    out = transformation(processing(lambda_processor(function.url))).apply([(1, 0, b"abc")])
    assert [(o.result, o.data, o.attempts) for o in out] == [(OK, b"ABC", 2)]
    assert len(function.events) == 2


def test_a_dead_url_fails_after_the_retries() -> None:
    url = f"http://127.0.0.1:{dead_port()}/transform?token=secret"
    out = transformation(processing(lambda_processor(url, NumberOfRetries=1))) \
        .apply([(5, 0, b"x")])
    assert [(o.result, o.error_code, o.attempts) for o in out] == [
        (FAILED, "Lambda.ResourceNotFound", 2)]
    assert "/transform" in out[0].error_message and "secret" not in out[0].error_message


def test_a_slow_function_times_out_each_attempt(serve: Any) -> None:
    function = serve(lambda event: None)
    started = time.monotonic()
    out = transformation(processing(lambda_processor(function.url, NumberOfRetries=1)),
                         timeout_s=0.3).apply([(1, 0, b"a"), (2, 0, b"b")])
    assert time.monotonic() - started < 9  # each attempt was cut by the timeout
    assert len(function.events) == 2
    assert [(o.result, o.error_code, o.attempts) for o in out] == [
        (FAILED, "Lambda.FunctionTimedOut", 2)] * 2
    assert out[0].error_message.startswith("The Lambda function invocation timed out.")


def test_invocations_hold_at_most_buffer_size_in_mbs(serve: Any) -> None:
    function = serve(answer_each(lambda data: (OK, data[:3])))
    size = int(0.2 * 1024 * 1024) // 2 - 10  # two fit in 0.2 MB, three do not
    records = [(seq, 0, bytes([96 + seq]) * size) for seq in range(1, 6)]
    records.insert(2, (99, 0, b"z" * (300 * 1024)))  # larger than the buffer: goes alone
    out = transformation(processing(lambda_processor(function.url, BufferSizeInMBs=0.2))) \
        .apply(records)
    assert [len(event["records"]) for event in function.events] == [2, 1, 2, 1]
    assert [o.seq for o in out] == [1, 2, 99, 3, 4, 5]
    assert [o.data for o in out] == [b"aaa", b"bbb", b"zzz", b"ccc", b"ddd", b"eee"]


def test_the_default_invocation_size_is_firehoses(serve: Any) -> None:
    function = serve(answer_each(lambda data: (OK, data)))
    records = [(seq, 0, b"r" * (200 * 1024)) for seq in range(1, 7)]  # 1.2 MB
    transformation(processing(lambda_processor(function.url))).apply(records)
    assert [len(event["records"]) for event in function.events] == [5, 1]  # 1 MB
    function.events.clear()
    transformation(processing(lambda_processor(function.url)),
                   destination="splunk").apply(records[:2])
    assert [len(event["records"]) for event in function.events] == [1, 1]  # 256 KB


def test_a_response_larger_than_lambdas_limit_fails(serve: Any) -> None:
    function = serve(lambda event: (200, b'{"records": ["' + b"x" * (7 << 20) + b'"]}'))
    out = transformation(processing(lambda_processor(function.url, NumberOfRetries=0))) \
        .apply([(1, 0, b"a")])
    assert (out[0].result, out[0].error_code) == (FAILED, "Lambda.FunctionError")
    assert "larger than" in out[0].error_message and len(function.events) == 1


def test_redirects_only_within_the_origin(serve: Any) -> None:
    function = serve(answer_each(lambda data: (OK, data + b"!")))
    moved = function.url + "moved"
    out = transformation(processing(lambda_processor(moved))).apply([(1, 0, b"hi")])
    assert [(o.result, o.data) for o in out] == [(OK, b"hi!")]
    assert function.paths == ["/moved", "/"]
    elsewhere = serve(lambda event: (307, b"", {"Location": function.url}))
    out = transformation(processing(lambda_processor(elsewhere.url, NumberOfRetries=0))) \
        .apply([(1, 0, b"hi")])
    assert (out[0].result, out[0].error_code) == (FAILED, "Lambda.FunctionError")
    assert "another origin" in out[0].error_message
    assert function.paths == ["/moved", "/"]  # not followed


# -- CloudWatch Logs payloads --


def gzip_members() -> list[bytes]:
    """The sample Firehose object's gzip members: each one subscription payload as
    CloudWatch Logs puts it into a stream (a control message, then two data messages)."""
    raw = (SAMPLES / "cloudwatch-logs-firehose").read_bytes()
    starts = [i for i in range(len(raw) - 2) if raw[i:i + 3] == b"\x1f\x8b\x08"]
    return [raw[a:b] for a, b in zip(starts, [*starts[1:], len(raw)], strict=True)]


def test_cloudwatch_logs_payloads_become_their_messages() -> None:
    control, first, second = gzip_members()
    payloads = [json.loads(gzip.decompress(member)) for member in (first, second)]
    assert json.loads(gzip.decompress(control))["messageType"] == "CONTROL_MESSAGE"
    broken = gzip.compress(gzip.decompress(first)[:150])
    records = [(1, 0, control), (2, 0, first), (3, 0, b"plain text"), (4, 0, broken),
               (5, 0, second)]
    configuration = processing(
        {"Type": "AppendDelimiterToRecord"},  # runs last whatever its place
        {"Type": "CloudWatchLogProcessing",
         "Parameters": [{"ParameterName": "DataMessageExtraction", "ParameterValue": "true"}]},
        {"Type": "Decompression",
         "Parameters": [{"ParameterName": "CompressionFormat", "ParameterValue": "GZIP"}]})
    out = transformation(configuration).apply(records)
    messages = [[event["message"] for event in payload["logEvents"]] for payload in payloads]
    assert [(o.seq, o.result) for o in out] == [
        (1, DROPPED), *[(2, OK)] * len(messages[0]), (3, FAILED), (4, FAILED),
        *[(5, OK)] * len(messages[1])]
    assert [o.data for o in out if o.result == OK] == [
        (message + "\n").encode() for message in messages[0] + messages[1]]
    failed = [o for o in out if o.result == FAILED]
    assert failed[0].error_code == "Decompression.Failed" and failed[0].data == b"plain text"
    assert "not in gzip format" in failed[0].error_message
    assert failed[1].error_code == "CloudWatchLogProcessing.Failed"
    assert failed[1].data == gzip.decompress(broken)
    assert failed[1].error_message.startswith("invalid CloudWatch Logs payload")


def test_the_function_gets_the_extracted_messages(serve: Any) -> None:
    function = serve(answer_each(lambda data: (OK, json.dumps({"m": data.decode()}).encode())))
    _control, first, _second = gzip_members()
    configuration = processing(
        {"Type": "Decompression"},
        {"Type": "CloudWatchLogProcessing",
         "Parameters": [{"ParameterName": "DataMessageExtraction", "ParameterValue": "true"}]},
        lambda_processor(function.url),
        {"Type": "AppendDelimiterToRecord",
         "Parameters": [{"ParameterName": "Delimiter", "ParameterValue": "\\r\\n"}]})
    out = transformation(configuration).apply([(7, 0, first)])
    messages = [e["message"] for e in json.loads(gzip.decompress(first))["logEvents"]]
    assert [base64.b64decode(r["data"]).decode() for r in function.events[0]["records"]] == \
        messages
    assert [o.data for o in out] == [json.dumps({"m": m}).encode() + b"\r\n" for m in messages]
    assert {o.seq for o in out} == {7}


def test_a_decompression_bomb_fails_the_record() -> None:
    bomb = gzip.compress(b"\0" * (17 << 20))
    out = transformation(processing({"Type": "Decompression"})).apply([(1, 0, bomb)])
    assert (out[0].result, out[0].error_code, out[0].data) == (
        FAILED, "Decompression.Failed", bomb)


# -- ingest pipelines --


@pytest.fixture
def pipelines(tmp_path: Path) -> Iterator[PipelineStore]:
    metastore = SqliteMetastore(tmp_path / "metastore.db")
    store = PipelineStore(metastore)
    store.put("tag", {"processors": [
        {"drop": {"if": "ctx.level == 'debug'"}},
        {"fail": {"if": "ctx.level == 'bad'", "message": "bad level {{level}}"}},
        {"set": {"field": "tagged", "value": "{{service}}-{{level}}"}},
        {"lowercase": {"field": "service"}},
    ]})
    yield store
    metastore.close()


def test_a_pipeline_transforms_drops_and_fails_records(pipelines: PipelineStore) -> None:
    configuration = processing(lambda_processor("pipeline:tag"),
                               {"Type": "AppendDelimiterToRecord"})
    run = transformation(configuration, run_pipeline=pipeline_runner(pipelines))
    records = [(1, 0, b'{"service": "WAF", "level": "info"}'),
               (2, 0, b'{"service": "WAF", "level": "debug"}'),
               (3, 0, b'{"service": "WAF", "level": "bad"}'),
               (4, 0, b"not json at all"),
               (5, 0, b"[1, 2]")]
    out = run.apply(records)
    assert [o.result for o in out] == [OK, DROPPED, FAILED, FAILED, FAILED]
    assert out[0].data.endswith(b"\n")
    assert json.loads(out[0].data) == {"service": "waf", "level": "info", "tagged": "WAF-info"}
    assert (out[2].error_code, out[2].error_message) == ("fail_processor_exception",
                                                         "bad level bad")
    assert (out[3].error_code, out[3].error_message) == ("parse_exception",
                                                         "Failed to parse content to map")
    assert out[4].error_code == "parse_exception"
    assert [o.data for o in out[1:]] == [r[2] for r in records[1:]]


def test_a_pipeline_that_sets_the_index_still_transforms(pipelines: PipelineStore) -> None:
    pipelines.put("route", {"processors": [{"set": {"field": "_index", "value": "other"}},
                                           {"set": {"field": "routed", "value": True}}]})
    run = transformation(processing(lambda_processor("pipeline:route")),
                         run_pipeline=pipeline_runner(pipelines))
    out = run.apply([(1, 0, b'{"a": 1}')])
    assert [(o.result, json.loads(o.data)) for o in out] == [(OK, {"a": 1, "routed": True})]


def test_a_missing_pipeline_fails_each_record(pipelines: PipelineStore) -> None:
    run = transformation(processing(lambda_processor("pipeline:nope")),
                         run_pipeline=pipeline_runner(pipelines))
    out = run.apply([(1, 0, b"{}")])
    assert (out[0].result, out[0].error_code, out[0].error_message) == (
        FAILED, "illegal_argument_exception", "pipeline with id [nope] does not exist")


def test_a_runner_that_breaks_fails_the_record_not_the_batch() -> None:
    def broken(pipeline_id: str, source: dict[str, Any]) -> dict[str, Any]:
        if source["n"] == 1:
            raise KeyError("field")
        return {"n": source["n"], "odd": object()} if source["n"] == 2 else source

    out = transformation(processing(lambda_processor("pipeline:x")), run_pipeline=broken) \
        .apply([(1, 0, b'{"n": 1}'), (2, 0, b'{"n": 2}'), (3, 0, b'{"n": 3}')])
    assert [o.result for o in out] == [FAILED, FAILED, OK]
    assert "KeyError" in out[0].error_message
    assert out[1].error_message.startswith("pipeline [x] made a document JSON cannot hold")


def test_disabled_processing_passes_records_through() -> None:
    for configuration in (None, processing(lambda_processor("pipeline:x"), enabled=False),
                          {"Processors": [lambda_processor("pipeline:x")]}, processing()):
        run = transformation(configuration)
        assert not run.enabled
        assert run.apply([(1, 5, b"as is")]) == [Transformed(1, OK, b"as is")]


# -- what CreateDeliveryStream refuses --

REFUSED = {
    "a real Lambda ARN": (
        processing(lambda_processor("arn:aws:lambda:us-east-1:123456789012:function:f")),
        "give the http(s) URL of a function"),
    "another scheme": (processing(lambda_processor("ftp://127.0.0.1/f")), "pipeline:<id>"),
    "no LambdaArn": (processing({"Type": "Lambda", "Parameters": []}),
                     "requires the LambdaArn parameter"),
    "no pipeline id": (processing(lambda_processor("pipeline:")), "names no ingest pipeline"),
    "RecordDeAggregation": (processing({"Type": "RecordDeAggregation"}),
                            "Processor type RecordDeAggregation is not supported"),
    "MetadataExtraction": (processing({"Type": "MetadataExtraction"}),
                           "Processor type MetadataExtraction is not supported"),
    "an unknown type": (processing({"Type": "Translate"}), "Processor type Translate is not "
                                                           "valid"),
    "a parameter of another type": (
        processing({"Type": "Decompression",
                    "Parameters": [{"ParameterName": "LambdaArn", "ParameterValue": "x"}]}),
        "Parameter LambdaArn is not valid for processor Decompression"),
    "retries out of range": (processing(lambda_processor("http://h/", NumberOfRetries=301)),
                             "NumberOfRetries must be an integer from 0 to 300"),
    "buffer too large": (processing(lambda_processor("http://h/", BufferSizeInMBs=4)),
                         "BufferSizeInMBs must be a number from 0.2 to 3"),
    "interval too short": (processing(lambda_processor("http://h/",
                                                       BufferIntervalInSeconds=10)),
                           "BufferIntervalInSeconds must be an integer from 60 to 900"),
    "CloudWatch Logs without Decompression": (
        processing({"Type": "CloudWatchLogProcessing"}),
        "CloudWatchLogProcessing requires the Decompression processor"),
    "twice": (processing({"Type": "Decompression"}, {"Type": "Decompression"}),
              "given more than once"),
    "zip": (processing({"Type": "Decompression", "Parameters": [
        {"ParameterName": "CompressionFormat", "ParameterValue": "ZIP"}]}), "must be GZIP"),
    "blank value": (processing(lambda_processor(" ")), "non-blank string"),
    "Enabled not boolean": ({"Enabled": "yes", "Processors": []}, "must be a boolean"),
}


@pytest.mark.parametrize("case", list(REFUSED))
def test_check_processing_refuses(case: str) -> None:
    configuration, words = REFUSED[case]
    with pytest.raises(FirehoseError) as refused:
        check_processing(configuration)
    assert refused.value.code == "InvalidArgumentException"
    assert words in refused.value.reason


def test_check_processing_accepts_firehoses_forms() -> None:
    check_processing(None)
    check_processing(processing(
        {"Type": "Decompression"},
        {"Type": "CloudWatchLogProcessing",
         "Parameters": [{"ParameterName": "DataMessageExtraction", "ParameterValue": "true"}]},
        lambda_processor("https://transform.example/fn", NumberOfRetries=0,
                         BufferSizeInMBs=3, BufferIntervalInSeconds=60,
                         RoleArn="arn:aws:iam::123456789012:role/firehose"),
        {"Type": "AppendDelimiterToRecord"}))
