"""A transform function reached over HTTP, invoked as Firehose invokes a Lambda function for
data transformation: a POST of Firehose's event (``invocationId``, ``deliveryStreamArn``,
``region``, ``records`` with ``recordId``, ``approximateArrivalTimestamp`` and base64
``data``), answered with ``records`` carrying each ``recordId``, its ``result`` (``Ok``,
``Dropped``, ``ProcessingFailed``), base64 ``data`` and optional ``metadata``. So a function
written for Firehose runs unchanged behind any small HTTP server.

An invocation that fails (no connection, a timeout, an HTTP error, a response over Lambda's
6 MB) is retried ``NumberOfRetries`` times, each time with a new ``invocationId``; then its
records fail with Firehose's errorCode and errorMessage (``Lambda.FunctionError``,
``Lambda.FunctionTimedOut``...). A response that breaks the status model (not JSON, a bad
result or base64, record ids missing, unknown or duplicated) fails its records at once, as
Firehose does (``attemptsMade`` 1): the function answered, so asking again would not help.
Redirects are not followed, except a 307/308 to the same scheme, host and port.
"""

from __future__ import annotations

import base64
import binascii
import time
import uuid
from dataclasses import dataclass
from typing import Any

import httpx
import orjson

#: Lambda's limit on a synchronous invocation's response payload.
MAX_RESPONSE_BYTES = 6 * 1024 * 1024
#: Same-origin 307/308 redirects followed for one attempt.
MAX_REDIRECTS = 3
#: How much of an HTTP error's body goes into the errorMessage.
_DETAIL_CHARS = 200
OK, DROPPED, FAILED = "Ok", "Dropped", "ProcessingFailed"
_RESULTS = frozenset({OK, DROPPED, FAILED})

# Firehose's errorCode and errorMessage for Lambda invocations (its CloudWatch Logs error
# list and the processing-failed records it writes).
FUNCTION_ERROR = ("Lambda.FunctionError",
                  "The Lambda function was successfully invoked but it returned an error "
                  "result.")
TIMED_OUT = ("Lambda.FunctionTimedOut",
             "The Lambda function invocation timed out. Increase the Timeout setting in the "
             "Lambda function.")
NOT_FOUND = ("Lambda.ResourceNotFound",
             "The specified Lambda function does not exist. Use a different function that "
             "does exist.")
JSON_ERROR = ("Lambda.JsonProcessingException",
              "There was an error parsing returned records from the Lambda function. Ensure "
              "that the returned records follow the status model required by Firehose.")
DUPLICATED = ("Lambda.DuplicatedRecordId",
              "Multiple records were returned with the same record Id. Ensure that the Lambda "
              "function returns a unique record Id for each record.")
MISSING = ("Lambda.MissingRecordId",
           "One or more record Ids were not returned. Ensure that the Lambda function returns "
           "all received record Ids.")
RECORD_FAILED = ("Lambda.ProcessingFailed",
                 "The Lambda function returned the record with result ProcessingFailed.")


@dataclass(frozen=True)
class Input:
    record_id: str
    arrival_ms: int
    data: bytes


@dataclass(frozen=True)
class Output:
    """One record's outcome: ``data`` is the transformed data (Ok) or the input's."""

    result: str
    data: bytes
    error_code: str | None = None
    error_message: str | None = None


class _Failed(Exception):
    def __init__(self, error: tuple[str, str], detail: str = "", *,
                 retry: bool = True) -> None:
        super().__init__(error[1])
        self.code = error[0]
        self.message = f"{error[1]} ({detail})" if detail else error[1]
        self.retry = retry


class HttpFunction:
    """The function at ``url`` (http or https, checked by the caller)."""

    def __init__(self, url: str, *, timeout_s: float, retries: int, stream_arn: str,
                 region: str) -> None:
        self.url = httpx.URL(url)
        self.timeout_s = timeout_s
        self.retries = retries
        self.stream_arn = stream_arn
        self.region = region

    def invoke(self, records: list[Input]) -> tuple[list[Output], int]:
        """The records' outcomes, in order, and the attempts made."""
        attempt = 0
        with httpx.Client(timeout=self.timeout_s, follow_redirects=False,
                          trust_env=False) as client:
            while True:
                attempt += 1
                try:
                    return self._parse(self._post(client, self._event(records)), records), \
                        attempt
                except _Failed as failure:
                    if failure.retry and attempt <= self.retries:
                        continue
                    return [Output(FAILED, r.data, failure.code, failure.message)
                            for r in records], attempt

    def _event(self, records: list[Input]) -> bytes:
        return orjson.dumps({
            "invocationId": str(uuid.uuid4()),
            "deliveryStreamArn": self.stream_arn,
            "region": self.region,
            "records": [{"recordId": r.record_id, "approximateArrivalTimestamp": r.arrival_ms,
                         "data": base64.b64encode(r.data).decode()} for r in records],
        })

    def _post(self, client: httpx.Client, event: bytes) -> bytes:
        """The response body of one attempt (following same-origin 307/308 redirects)."""
        deadline = time.monotonic() + self.timeout_s
        url = self.url
        try:
            for _ in range(MAX_REDIRECTS + 1):
                with client.stream("POST", url, content=event,
                                   headers={"Content-Type": "application/json"}) as response:
                    if response.status_code in (307, 308) and "location" in response.headers:
                        target = url.join(response.headers["location"])
                        if (target.scheme, target.host, target.port) != \
                                (url.scheme, url.host, url.port):
                            raise _Failed(FUNCTION_ERROR, f"{_shown(url)} redirected to "
                                                          f"another origin, not followed")
                        url = target
                        continue
                    body = _read(response, deadline)
                    if not response.is_success:
                        text = body[:_DETAIL_CHARS].decode("utf-8", "replace")
                        raise _Failed(FUNCTION_ERROR, f"HTTP {response.status_code} from "
                                                      f"{_shown(url)}: {text}")
                    return body
            raise _Failed(FUNCTION_ERROR, f"more than {MAX_REDIRECTS} redirects from "
                                          f"{_shown(self.url)}")
        except httpx.TimeoutException:
            raise _Failed(TIMED_OUT, f"no answer from {_shown(url)} within "
                                     f"{self.timeout_s:g}s") from None
        except httpx.HTTPError as exc:
            raise _Failed(NOT_FOUND, f"{_shown(url)}: {type(exc).__name__}: "
                                     f"{exc}"[:_DETAIL_CHARS]) from None

    def _parse(self, body: bytes, records: list[Input]) -> list[Output]:
        """The response checked against Firehose's status model."""
        try:
            parsed: Any = orjson.loads(body)
        except orjson.JSONDecodeError as exc:
            raise _Failed(JSON_ERROR, f"not JSON: {exc}", retry=False) from None
        entries = parsed.get("records") if isinstance(parsed, dict) else None
        if not isinstance(entries, list):
            raise _Failed(JSON_ERROR, "no [records] list in the response", retry=False)
        returned: dict[str, tuple[str, bytes | None]] = {}
        for entry in entries:
            record_id, result, data = _entry(entry)
            if record_id in returned:
                raise _Failed(DUPLICATED, f"recordId [{record_id}]", retry=False)
            returned[record_id] = (result, data)
        wanted = {r.record_id for r in records}
        unknown = [record_id for record_id in returned if record_id not in wanted]
        missing = [r.record_id for r in records if r.record_id not in returned]
        if missing or unknown:
            detail = f"recordId [{(missing or unknown)[0]}] " + \
                ("not returned" if missing else "was not in the invocation")
            raise _Failed(MISSING, detail, retry=False)
        outputs = []
        for record in records:
            result, data = returned[record.record_id]
            if result == OK:
                assert data is not None
                outputs.append(Output(OK, data))
            elif result == DROPPED:
                outputs.append(Output(DROPPED, record.data))
            else:
                outputs.append(Output(FAILED, record.data, *RECORD_FAILED))
        return outputs


def _entry(entry: Any) -> tuple[str, str, bytes | None]:
    """One returned record: its id, result and decoded data (None when absent)."""
    if not isinstance(entry, dict):
        raise _Failed(JSON_ERROR, "a returned record is not an object", retry=False)
    record_id, result, data = entry.get("recordId"), entry.get("result"), entry.get("data")
    if not isinstance(record_id, str):
        raise _Failed(JSON_ERROR, "a returned record has no string [recordId]", retry=False)
    if result not in _RESULTS:
        raise _Failed(JSON_ERROR, f"recordId [{record_id}] has result "
                                  f"[{str(result)[:_DETAIL_CHARS]}], not Ok, Dropped or "
                                  f"ProcessingFailed", retry=False)
    if "metadata" in entry and not isinstance(entry["metadata"], dict):
        raise _Failed(JSON_ERROR, f"recordId [{record_id}] has a [metadata] that is not an "
                                  f"object", retry=False)
    if data is None:
        if result == OK:
            raise _Failed(JSON_ERROR, f"recordId [{record_id}] is Ok without [data]",
                          retry=False)
        return record_id, result, None
    try:
        if not isinstance(data, str):
            raise ValueError
        return record_id, result, base64.b64decode(data, validate=True)
    except (ValueError, binascii.Error):
        raise _Failed(JSON_ERROR, f"recordId [{record_id}] has [data] that is not base64",
                      retry=False) from None


def _read(response: httpx.Response, deadline: float) -> bytes:
    """The body, refused past Lambda's response limit or the attempt's deadline (a function
    that trickles bytes would otherwise outlive the timeout, which bounds each read)."""
    parts, size = [], 0
    for chunk in response.iter_bytes():
        size += len(chunk)
        if size > MAX_RESPONSE_BYTES:
            raise _Failed(FUNCTION_ERROR, f"the response is larger than Lambda's "
                                          f"{MAX_RESPONSE_BYTES} bytes")
        if time.monotonic() > deadline:
            raise httpx.ReadTimeout("the response took longer than the timeout")
        parts.append(chunk)
    return b"".join(parts)


def _shown(url: httpx.URL) -> str:
    """A URL as errors show it: no user info or query, which may carry secrets."""
    port = f":{url.port}" if url.port else ""
    return f"{url.scheme}://{url.host}{port}{url.path}"
