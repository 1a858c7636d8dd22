"""Data transformation of a stream's records before delivery, as Firehose's
``ProcessingConfiguration`` has it: ``Decompression`` (gzip), ``CloudWatchLogProcessing``
(a CloudWatch Logs subscription payload becomes its log events), ``AppendDelimiterToRecord``,
and ``Lambda``, whose ``LambdaArn`` here is either the http(s) URL of a function that follows
Firehose's data-transformation contract (records in with ``recordId`` and base64 ``data``,
out with ``result`` Ok / Dropped / ProcessingFailed), or ``pipeline:<id>``, an ingest pipeline
of this node run on each record's JSON.

CONTRACT (issue 17; the transform helper implements it).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

#: A transformed record's outcome, Firehose's words.
OK, DROPPED, FAILED = "Ok", "Dropped", "ProcessingFailed"


@dataclass(frozen=True)
class Transformed:
    #: The buffered record it came from (several may come from one: CloudWatch Logs events).
    seq: int
    result: str
    #: The data to deliver (result Ok); the record's original data otherwise.
    data: bytes
    #: Why it failed (result ProcessingFailed): ``errorCode`` and ``errorMessage`` as Firehose
    #: writes them into ``processing-failed/`` backups (e.g. ``Lambda.FunctionError``).
    error_code: str | None = None
    error_message: str | None = None


#: Runs an ingest pipeline on one document: the document after it, or None when it dropped
#: it; raises LoghavenError when the pipeline fails (the node passes one, over its pipelines).
PipelineRunner = Callable[[str, dict[str, Any]], dict[str, Any] | None]


def check_processing(configuration: dict[str, Any] | None) -> None:
    """Refuse a ``ProcessingConfiguration`` Loghaven cannot run, with Firehose's
    InvalidArgumentException naming what (streams/errors.py)."""
    raise NotImplementedError


class Transformation:
    """A stream's processors, in Firehose's order, compiled once per stream."""

    def __init__(self, configuration: dict[str, Any] | None, *, timeout_s: float,
                 run_pipeline: PipelineRunner, stream_arn: str, region: str) -> None:
        raise NotImplementedError

    @property
    def enabled(self) -> bool:
        raise NotImplementedError

    def apply(self, records: list[tuple[int, int, bytes]]) -> list[Transformed]:
        """(seq, arrival_ms, data) records → their outcomes, in order. A function that fails
        or cannot be reached raises TransformUnavailable (the delivery retries it within its
        retry duration, then backs the records up as processing-failed)."""
        raise NotImplementedError


class TransformUnavailable(Exception):
    """The transform function failed as a whole (unreachable, timeout, bad response); its
    message is the ``errorMessage``, ``code`` the ``errorCode`` (``Lambda.InvokeAccessDenied``,
    ``Lambda.FunctionError``, ``Lambda.InvalidResponse``...)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
