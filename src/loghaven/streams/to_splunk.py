"""A stream's delivery to a Splunk HTTP Event Collector, as Firehose's Splunk destination
sends it.

A batch is one POST of the records concatenated to ``<HECEndpoint>/services/collector/raw``
(HECEndpointType Raw: Splunk breaks the lines) or ``/services/collector/event`` (Event: each
record is a HEC event object), with ``Authorization: Splunk <HECToken>`` and the stream's
``X-Splunk-Request-Channel``. Firehose requires indexer acknowledgement: the answer's
``ackId`` is polled at ``/services/collector/ack`` until it is true, and a batch not
acknowledged within HECAcknowledgmentTimeoutInSeconds has failed (``Splunk.AckTimeout``, sent
again within the retry duration). HEC answers are read by their Splunk ``code``; the error
codes are Firehose's (``Splunk.InvalidToken``, ``Splunk.ServerError``...). Splunk has no
idempotent ids: a batch acknowledged just before a crash, whose buffer was not yet committed,
is sent again after the restart, as Firehose sends it again after an ack timeout.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

import httpx
import orjson

from loghaven.streams.backup import SPLUNK_FAILED
from loghaven.streams.model import Destination
from loghaven.streams.outgoing import Failure, Outgoing, Wait

PATHS = {"Raw": "/services/collector/raw", "Event": "/services/collector/event"}
ACK_PATH = "/services/collector/ack"
#: Splunk's HEC status codes → Firehose's error code, and whether to try again (a data
#: format Splunk refuses will be refused again).
_CODES = {1: ("Splunk.DisabledToken", True), 2: ("Splunk.InvalidToken", True),
          3: ("Splunk.InvalidToken", True), 4: ("Splunk.InvalidToken", True),
          6: ("Splunk.InvalidDataFormat", False), 7: ("Splunk.InvalidIndex", True),
          8: ("Splunk.ServerError", True), 9: ("Splunk.ServerError", True),
          12: ("Splunk.InvalidDataFormat", False), 13: ("Splunk.InvalidDataFormat", False),
          14: ("Splunk.DisabledAck", True), 18: ("Splunk.ServerError", True)}
#: Polls of an ackId: the first after this many seconds, doubling up to the last.
ACK_POLL_FIRST, ACK_POLL_MAX = 0.1, 2.0
#: How long one request to HEC may take (connecting, sending, the answer).
REQUEST_TIMEOUT_S = 60.0


class SplunkDestination:
    output_type = SPLUNK_FAILED

    def __init__(self, destination: Destination, *,
                 timeout_s: float = REQUEST_TIMEOUT_S) -> None:
        self.destination = destination
        base = destination.hec_endpoint.rstrip("/")
        self.url = base + PATHS.get(destination.hec_endpoint_type, PATHS["Raw"])
        self.ack_url = base + ACK_PATH
        self.channel = str(uuid.uuid4())
        self.client = httpx.Client(timeout=timeout_s, headers={
            "Authorization": f"Splunk {destination.hec_token}",
            "X-Splunk-Request-Channel": self.channel,
            "Content-Type": "application/json"})

    def send(self, records: list[Outgoing], wait: Wait) -> list[Failure | None]:
        failure = self._send(b"".join(record.data for record in records), wait)
        return [failure] * len(records)

    def backup_fields(self, record: Outgoing) -> dict[str, Any]:
        return {"EventId": record.record_id or ""}

    def close(self) -> None:
        self.client.close()

    def _send(self, body: bytes, wait: Wait) -> Failure | None:
        answer = self._post(self.url, body)
        if isinstance(answer, Failure):
            return answer
        ack_id = answer.get("ackId")
        if ack_id is None:
            return Failure("Splunk.DisabledAck", "The HEC token does not have indexer "
                           "acknowledgement enabled; a delivery stream needs it.", True)
        return self._acknowledged(int(ack_id), wait)

    def _acknowledged(self, ack_id: int, wait: Wait) -> Failure | None:
        """Poll ``ack_id`` until it is true or the acknowledgement timeout passes."""
        deadline = time.monotonic() + self.destination.hec_ack_timeout_s
        delay = ACK_POLL_FIRST
        while True:
            answer = self._post(self.ack_url, orjson.dumps({"acks": [ack_id]}))
            if isinstance(answer, Failure) and not answer.retriable:
                return answer
            if isinstance(answer, dict) and (answer.get("acks") or {}).get(str(ack_id)):
                return None
            if time.monotonic() + delay > deadline:
                return Failure("Splunk.AckTimeout", "Did not receive an acknowledgement from "
                               "HEC before the HEC acknowledgement timeout expired. Despite "
                               "the acknowledgement timeout, it's possible the data was "
                               "indexed successfully in Splunk.", True)
            wait(delay)
            delay = min(delay * 2, ACK_POLL_MAX)

    def _post(self, url: str, body: bytes) -> dict[str, Any] | Failure:
        try:
            response = self.client.post(url, content=body)
        except httpx.TimeoutException as error:
            return Failure("Splunk.ConnectionTimeout", f"The connection to HEC timed out: "
                           f"{error}", True)
        except (httpx.HTTPError, httpx.InvalidURL, OSError) as error:
            return Failure("Splunk.ConnectionClosed", f"Could not reach HEC at {url}: {error}",
                           True)
        try:
            answer = orjson.loads(response.content)
        except orjson.JSONDecodeError:
            answer = None
        if not isinstance(answer, dict):
            code = "Splunk.URLNotFound" if response.status_code == 404 else "Splunk.ServerError"
            return Failure(code, f"HEC answered {response.status_code} without a HEC "
                           f"response body", True)
        if response.status_code == 200 and answer.get("code", 0) == 0:
            return answer
        splunk_code = answer.get("code")
        code, retriable = _CODES.get(splunk_code if isinstance(splunk_code, int) else -1,
                                     ("Splunk.ServerError", True))
        return Failure(code, f"HEC answered {response.status_code}: "
                       f"{answer.get('text', '')} (code {splunk_code})", retriable)
