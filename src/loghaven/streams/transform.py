"""Data transformation of a stream's records before delivery, as Firehose's
``ProcessingConfiguration`` has it. The processors run in Firehose's order, whatever their
order in the list:

1. ``Decompression`` (``CompressionFormat`` GZIP): each record gunzipped (several gzip
   members are read as one stream, at most :data:`MAX_DECOMPRESSED_BYTES`).
2. ``CloudWatchLogProcessing`` (``DataMessageExtraction`` true; needs ``Decompression``, as
   Firehose does): a CloudWatch Logs subscription payload becomes one record per log event,
   holding that event's ``message``; ``CONTROL_MESSAGE`` payloads are dropped. The payload is
   read by the ``cloudwatch-logs`` log parser (ingest/parsers/cloudwatch_logs.py).
3. ``Lambda``, whose ``LambdaArn`` here is either
   - the ``http``/``https`` URL of a function that follows Firehose's data-transformation
     contract (streams/function.py), given at most ``BufferSizeInMBs`` of records per
     invocation (Firehose's default 1 MB, 0.25 MB for a Splunk destination, at most 3) and
     retried ``NumberOfRetries`` times (default 3) when an invocation fails; or
   - ``pipeline:<id>``, an ingest pipeline of this node run on each record's JSON: data that
     is not a JSON object fails, a pipeline that drops the document drops the record, a
     pipeline failure fails the record with its error's type and reason.
   A real ``arn:aws:lambda:...`` cannot be called from here and is refused.
   ``BufferIntervalInSeconds`` and ``RoleArn`` are checked and kept, with no effect: the
   stream's own buffering decides when records are transformed.
4. ``AppendDelimiterToRecord``: ``Delimiter`` (default a newline, escapes such as ``\\n``
   read as Firehose reads them) appended to each record that is Ok.

A failure never raises: the failing records come back ``ProcessingFailed`` with Firehose's
``errorCode``/``errorMessage``, for the delivery to back up under ``processing-failed/``.
(The contract's ``TransformUnavailable`` is gone: Firehose retries a failing function
``NumberOfRetries`` times and then fails that batch's records; it does not hold the stream.)
``RecordDeAggregation`` and ``MetadataExtraction`` are refused when the stream is created.
"""

from __future__ import annotations

import codecs
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import httpx
import orjson

from loghaven.errors import ContentTooLarge, LoghavenError, unexpected_error
from loghaven.inflate import Inflater
from loghaven.ingest.parsers import cloudwatch_logs
from loghaven.ingest.parsers.parser import RecordError
from loghaven.ingest.pipeline.document import IngestDocument
from loghaven.ingest.pipeline.runner import execute, source_map, timestamp
from loghaven.ingest.pipeline.store import PipelineStore
from loghaven.streams import function, model  # model.py imports this module
from loghaven.streams.errors import invalid_argument

#: A transformed record's outcome, Firehose's words.
OK, DROPPED, FAILED = function.OK, function.DROPPED, function.FAILED
#: The processors Loghaven runs, in the order Firehose runs them.
DECOMPRESSION, CLOUDWATCH_LOGS, LAMBDA, DELIMITER = (
    "Decompression", "CloudWatchLogProcessing", "Lambda", "AppendDelimiterToRecord")
ORDER = (DECOMPRESSION, CLOUDWATCH_LOGS, LAMBDA, DELIMITER)
#: Firehose's other processor types (botocore's ProcessorType), refused by name.
UNSUPPORTED = ("RecordDeAggregation", "MetadataExtraction")
PARAMETERS = {
    DECOMPRESSION: ("CompressionFormat",),
    CLOUDWATCH_LOGS: ("DataMessageExtraction",),
    LAMBDA: ("LambdaArn", "NumberOfRetries", "BufferSizeInMBs", "BufferIntervalInSeconds",
             "RoleArn"),
    DELIMITER: ("Delimiter",),
}
PIPELINE_PREFIX = "pipeline:"
#: Bound on one record's decompressed size (a CloudWatch Logs payload holds at most 1 MB of
#: events), so a small gzip bomb costs this much and fails, not the node's memory.
MAX_DECOMPRESSED_BYTES = 16 * 1024 * 1024
#: Firehose's Lambda processor defaults and bounds (ProcessorParameter's documentation).
DEFAULT_RETRIES, MAX_RETRIES = 3, 300
DEFAULT_BUFFER_MB, SPLUNK_BUFFER_MB, MIN_BUFFER_MB, MAX_BUFFER_MB = 1.0, 0.25, 0.2, 3.0
MIN_INTERVAL_S, MAX_INTERVAL_S = 60, 900
#: ProcessorParameterValue's bound.
MAX_PARAMETER_CHARS = 5120
DECOMPRESSION_FAILED = "Decompression.Failed"
CLOUDWATCH_LOGS_FAILED = "CloudWatchLogProcessing.Failed"


@dataclass(frozen=True)
class Transformed:
    #: The buffered record it came from (several may come from one: CloudWatch Logs events).
    seq: int
    result: str
    #: The data to deliver (result Ok); otherwise the data as the processor that dropped or
    #: failed it received it (the buffered data unless Decompression or
    #: CloudWatchLogProcessing ran before).
    data: bytes
    #: Why it failed (result ProcessingFailed): ``errorCode`` and ``errorMessage`` as Firehose
    #: writes them into ``processing-failed/`` backups (e.g. ``Lambda.FunctionError``).
    error_code: str | None = None
    error_message: str | None = None
    #: Firehose's ``attemptsMade``: invocations of the function it went through (1 without).
    attempts: int = 1


#: Runs an ingest pipeline on one document: the document after it, or None when it dropped
#: it; raises (LoghavenError) when the pipeline fails (:func:`pipeline_runner` makes one).
PipelineRunner = Callable[[str, dict[str, Any]], dict[str, Any] | None]


def pipeline_runner(store: PipelineStore) -> PipelineRunner:
    """Run the node's stored pipelines as the write path runs a request's pipeline (without
    an index's final pipeline: the delivery's write runs the index's own pipelines)."""

    def run(pipeline_id: str, source: dict[str, Any]) -> dict[str, Any] | None:
        document = IngestDocument(source, None, {"timestamp": timestamp()})
        done = execute(store.pipeline, pipeline_id, None, document, lambda _index: None)
        return None if done is None else done.source()

    return run


@dataclass(frozen=True)
class _Plan:
    """A checked ProcessingConfiguration."""

    enabled: bool
    decompress: bool = False
    extract_messages: bool = False
    #: LambdaArn: an http(s) URL or ``pipeline:<id>``.
    function: str | None = None
    retries: int = DEFAULT_RETRIES
    buffer_mb: float | None = None
    delimiter: bytes | None = None


def check_processing(configuration: dict[str, Any] | None) -> None:
    """Refuse a ``ProcessingConfiguration`` Loghaven cannot run, with Firehose's
    InvalidArgumentException naming what (streams/errors.py)."""
    _plan(configuration)


def _plan(configuration: dict[str, Any] | None) -> _Plan:
    if configuration is None:
        return _Plan(False)
    if not isinstance(configuration, dict):
        raise invalid_argument("ProcessingConfiguration must be an object.")
    enabled = configuration.get("Enabled", False)
    if not isinstance(enabled, bool):
        raise invalid_argument("ProcessingConfiguration.Enabled must be a boolean.")
    processors = configuration.get("Processors", [])
    if not isinstance(processors, list):
        raise invalid_argument("ProcessingConfiguration.Processors must be a list.")
    found: dict[str, dict[str, str]] = {}
    for processor in processors:
        kind, parameters = _processor(processor)
        if kind in found:
            raise invalid_argument(f"Processor type {kind} is given more than once.")
        found[kind] = parameters
    if CLOUDWATCH_LOGS in found and DECOMPRESSION not in found:
        raise invalid_argument(f"Processor type {CLOUDWATCH_LOGS} requires the "
                               f"{DECOMPRESSION} processor.")
    plan = _Plan(enabled and bool(found))
    if DECOMPRESSION in found:
        compression = found[DECOMPRESSION].get("CompressionFormat", "GZIP")
        if compression != "GZIP":
            raise invalid_argument(f"CompressionFormat {compression} is not supported by the "
                                   f"{DECOMPRESSION} processor; it must be GZIP.")
        plan = replace(plan, decompress=True)
    if CLOUDWATCH_LOGS in found:
        extraction = found[CLOUDWATCH_LOGS].get("DataMessageExtraction", "false").lower()
        if extraction not in ("true", "false"):
            raise invalid_argument("DataMessageExtraction must be true or false.")
        plan = replace(plan, extract_messages=extraction == "true")
    if LAMBDA in found:
        plan = _lambda(plan, found[LAMBDA])
    if DELIMITER in found:
        plan = replace(plan, delimiter=_delimiter(found[DELIMITER].get("Delimiter", "\\n")))
    return plan


def _processor(processor: Any) -> tuple[str, dict[str, str]]:
    """One processor's type and parameters, checked."""
    if not isinstance(processor, dict) or not isinstance(processor.get("Type"), str):
        raise invalid_argument("Each processor of ProcessingConfiguration.Processors needs a "
                               "Type.")
    kind = processor["Type"]
    if kind in UNSUPPORTED:
        raise invalid_argument(f"Processor type {kind} is not supported by Loghaven; the "
                               f"supported types are {', '.join(ORDER)}.")
    if kind not in PARAMETERS:
        raise invalid_argument(f"Processor type {kind} is not valid; it must be one of "
                               f"{', '.join([*ORDER, *UNSUPPORTED])}.")
    given = processor.get("Parameters", [])
    if not isinstance(given, list):
        raise invalid_argument(f"Parameters of processor {kind} must be a list.")
    parameters: dict[str, str] = {}
    for parameter in given:
        name = parameter.get("ParameterName") if isinstance(parameter, dict) else None
        value = parameter.get("ParameterValue") if isinstance(parameter, dict) else None
        if name not in PARAMETERS[kind]:
            raise invalid_argument(f"Parameter {name} is not valid for processor {kind}; its "
                                   f"parameters are {', '.join(PARAMETERS[kind])}.")
        if not isinstance(value, str) or not value.strip() or len(value) > MAX_PARAMETER_CHARS:
            raise invalid_argument(f"ParameterValue of {name} must be a non-blank string of "
                                   f"at most {MAX_PARAMETER_CHARS} characters.")
        if name in parameters:
            raise invalid_argument(f"Parameter {name} of processor {kind} is given twice.")
        parameters[name] = value
    return kind, parameters


def _lambda(plan: _Plan, parameters: dict[str, str]) -> _Plan:
    target = parameters.get("LambdaArn")
    if target is None:
        raise invalid_argument(f"Processor {LAMBDA} requires the LambdaArn parameter.")
    if target.startswith(PIPELINE_PREFIX):
        if not target[len(PIPELINE_PREFIX):]:
            raise invalid_argument(f"LambdaArn {target} names no ingest pipeline.")
    else:
        try:
            url = httpx.URL(target)
        except httpx.InvalidURL:
            url = None
        if url is None or url.scheme not in ("http", "https") or not url.host:
            raise invalid_argument(
                f"LambdaArn {target} cannot be invoked by Loghaven: give the http(s) URL of a "
                f"function that follows Firehose's data-transformation contract, or "
                f"{PIPELINE_PREFIX}<id> to run an ingest pipeline of this node.")
    retries = _number("NumberOfRetries", parameters, DEFAULT_RETRIES, 0, MAX_RETRIES, int)
    buffer_mb = _number("BufferSizeInMBs", parameters, None, MIN_BUFFER_MB, MAX_BUFFER_MB,
                        float)
    _number("BufferIntervalInSeconds", parameters, None, MIN_INTERVAL_S, MAX_INTERVAL_S, int)
    return replace(plan, function=target, retries=int(retries or 0), buffer_mb=buffer_mb)


def _number(name: str, parameters: dict[str, str], default: float | None, low: float,
            high: float, kind: type[int] | type[float]) -> float | None:
    if name not in parameters:
        return default
    try:
        value = kind(parameters[name])
    except ValueError:
        value = None
    if value is None or not low <= value <= high:
        raise invalid_argument(f"{name} must be {'an integer' if kind is int else 'a number'} "
                               f"from {low:g} to {high:g}, not {parameters[name]}.")
    return value


def _delimiter(value: str) -> bytes:
    """``\\n`` and the other backslash escapes read as their characters."""
    try:
        return codecs.decode(value.encode("latin-1", "backslashreplace"),
                             "unicode_escape").encode()
    except UnicodeDecodeError:
        raise invalid_argument(f"Delimiter {value} has an invalid escape.") from None


@dataclass
class _Record:
    """A record on its way through the processors; ``key`` keeps the outcomes in order."""

    key: tuple[int, int]
    seq: int
    arrival_ms: int
    data: bytes


class Transformation:
    """A stream's processors, in Firehose's order, compiled once per stream."""

    def __init__(self, configuration: dict[str, Any] | None, *, timeout_s: float,
                 run_pipeline: PipelineRunner, stream_arn: str, region: str,
                 destination: str = "") -> None:
        """``destination`` is the stream's destination kind (model.py): a Splunk one makes
        the function's default invocation size Firehose's 256 KB for Splunk."""
        self.plan = _plan(configuration)
        self.run_pipeline = run_pipeline
        self.function: function.HttpFunction | None = None
        self.pipeline_id: str | None = None
        target = self.plan.function
        if target is not None and target.startswith(PIPELINE_PREFIX):
            self.pipeline_id = target[len(PIPELINE_PREFIX):]
        elif target is not None:
            self.function = function.HttpFunction(target, timeout_s=timeout_s,
                                                  retries=self.plan.retries,
                                                  stream_arn=stream_arn, region=region)
        default_mb = SPLUNK_BUFFER_MB if destination == model.SPLUNK else DEFAULT_BUFFER_MB
        self.invocation_bytes = int((self.plan.buffer_mb or default_mb) * 1024 * 1024)

    @property
    def enabled(self) -> bool:
        return self.plan.enabled

    def apply(self, records: list[tuple[int, int, bytes]]) -> list[Transformed]:
        """(seq, arrival_ms, data) records → their outcomes, in order. Never raises for a
        record or a function: failures are ProcessingFailed outcomes."""
        if not self.plan.enabled:
            return [Transformed(seq, OK, data) for seq, _arrival, data in records]
        done: list[tuple[tuple[int, int], Transformed]] = []
        pending = [_Record((position, 0), seq, arrival, data)
                   for position, (seq, arrival, data) in enumerate(records)]
        if self.plan.decompress:
            pending = self._decompress(pending, done)
        if self.plan.extract_messages:
            pending = self._extract(pending, done)
        if self.function is not None:
            outcomes = self._invoke(pending)
        elif self.pipeline_id is not None:
            outcomes = [self._pipeline(record) for record in pending]
        else:
            outcomes = [Transformed(record.seq, OK, record.data) for record in pending]
        for record, outcome in zip(pending, outcomes, strict=True):
            if outcome.result == OK and self.plan.delimiter is not None:
                outcome = replace(outcome, data=outcome.data + self.plan.delimiter)
            done.append((record.key, outcome))
        done.sort(key=lambda item: item[0])
        return [outcome for _key, outcome in done]

    def _decompress(self, records: list[_Record],
                    done: list[tuple[tuple[int, int], Transformed]]) -> list[_Record]:
        kept = []
        for record in records:
            inflater = Inflater("gzip", MAX_DECOMPRESSED_BYTES, "the record")
            try:
                inflater.feed(record.data)
                record.data = inflater.finish()
            except ContentTooLarge:
                done.append((record.key, _failed(record, DECOMPRESSION_FAILED,
                                                 f"The record is larger than "
                                                 f"{MAX_DECOMPRESSED_BYTES} bytes once "
                                                 f"decompressed.")))
                continue
            except LoghavenError as error:
                done.append((record.key, _failed(record, DECOMPRESSION_FAILED, error.reason)))
                continue
            kept.append(record)
        return kept

    def _extract(self, records: list[_Record],
                 done: list[tuple[tuple[int, int], Transformed]]) -> list[_Record]:
        """Each log event's message as a record of its own (Firehose's message extraction);
        a payload with none (a CONTROL_MESSAGE) is dropped."""
        kept = []
        for record in records:
            position = record.key[0]
            events = list(cloudwatch_logs.records([record.data]))
            if not events:
                done.append((record.key, Transformed(record.seq, DROPPED, record.data)))
            for number, event in enumerate(events):
                key = (position, number)
                message = None if isinstance(event, RecordError) else event.get("message")
                if isinstance(message, str):
                    kept.append(_Record(key, record.seq, record.arrival_ms, message.encode()))
                    continue
                reason = event.reason if isinstance(event, RecordError) else \
                    "a CloudWatch Logs event has no string [message]"
                done.append((key, _failed(record, CLOUDWATCH_LOGS_FAILED, reason)))
        return kept

    def _invoke(self, records: list[_Record]) -> list[Transformed]:
        """The function called on batches of at most ``BufferSizeInMBs`` of data (a larger
        record goes alone)."""
        assert self.function is not None
        outcomes: list[Transformed] = []
        start = 0
        while start < len(records):
            end, size = start, 0
            while end < len(records) and (end == start or
                                          size + len(records[end].data) <= self.invocation_bytes):
                size += len(records[end].data)
                end += 1
            batch = records[start:end]
            inputs = [function.Input(f"{r.seq:020d}{position:010d}", r.arrival_ms, r.data)
                      for position, r in enumerate(batch, start)]
            outputs, attempts = self.function.invoke(inputs)
            outcomes.extend(Transformed(r.seq, out.result, out.data, out.error_code,
                                        out.error_message, attempts)
                            for r, out in zip(batch, outputs, strict=True))
            start = end
        return outcomes

    def _pipeline(self, record: _Record) -> Transformed:
        assert self.pipeline_id is not None
        try:
            result = self.run_pipeline(self.pipeline_id, source_map(record.data))
            if result is None:
                return Transformed(record.seq, DROPPED, record.data)
            return Transformed(record.seq, OK, orjson.dumps(result))
        except orjson.JSONEncodeError as exc:
            return _failed(record, "illegal_argument_exception",
                           f"pipeline [{self.pipeline_id}] made a document JSON cannot hold: "
                           f"{exc}")
        except Exception as exc:  # the record's failure, as the write path fails a document
            error = exc if isinstance(exc, LoghavenError) else unexpected_error(exc)
            return _failed(record, error.type, error.reason)


def _failed(record: _Record, code: str, message: str) -> Transformed:
    return Transformed(record.seq, FAILED, record.data, code, message)
