"""The HTTP side of ``loghaven ingest``: one ``_bulk`` request per batch, with the retries a
bulk loader owes a busy server.

429s, 5xx answers and connection errors are retried with exponential backoff for a bounded
time (items refused with 429 or a 5xx inside an answered bulk are sent again alone); then the
batch gives up with :class:`BulkGaveUp`. Each item ends as indexed, failed (with ES's reason),
dropped (a pipeline's ``drop``: ``noop``) or already there (a ``create`` of an id the server
has, which is how a resumed run recognises records a killed run had sent).
"""

from __future__ import annotations

import base64
import ssl
import time
from dataclasses import dataclass, field
from typing import Any

import httpx
import orjson

#: Only what the loader reads of each item (ES's ``filter_path``).
FILTER_PATH = "errors,items.*.status,items.*.result,items.*.error.type,items.*.error.reason"
RETRY_STATUSES = {429, 502, 503, 504}


class ServerError(Exception):
    """The server cannot be used (unreachable, credentials refused, missing pipeline)."""


class BulkGaveUp(Exception):
    """A batch that could not be delivered: refused as a whole (``fatal`` False: the next
    file may fare better) or not answered within the retry time (``fatal``)."""

    def __init__(self, message: str, fatal: bool) -> None:
        super().__init__(message)
        self.fatal = fatal


@dataclass
class BulkOutcome:
    indexed: int = 0
    dropped: int = 0
    existing: int = 0
    failed: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Credentials:
    user: str | None = None
    password: str | None = None
    api_key: str | None = None

    def headers(self) -> dict[str, str]:
        if self.api_key:
            return {"Authorization": f"ApiKey {self.api_key}"}
        if self.user is not None:
            token = base64.b64encode(f"{self.user}:{self.password or ''}".encode()).decode()
            return {"Authorization": f"Basic {token}"}
        return {}


def http_client(url: str, credentials: Credentials, *, ca_cert: str | None = None,
                insecure: bool = False, timeout: float = 30.0,
                connections: int | None = None) -> httpx.Client:
    """A client of a node's HTTP API as the CLI commands reach it (``ingest``, ``check``,
    ``sql``): its credentials, a CA to trust or none checked at all (``--insecure``)."""
    verify: ssl.SSLContext | bool = not insecure
    if ca_cert and not insecure:
        verify = ssl.create_default_context(cafile=ca_cert)
    limits = httpx.Limits(max_connections=connections) if connections else None
    return httpx.Client(base_url=url.rstrip("/"), headers=credentials.headers(), verify=verify,
                        timeout=httpx.Timeout(timeout, connect=10.0),
                        **({"limits": limits} if limits else {}))


class BulkClient:
    def __init__(self, url: str, credentials: Credentials, *, ca_cert: str | None = None,
                 retry_for: float = 60.0, timeout: float = 120.0, connections: int = 4) -> None:
        self.url = url.rstrip("/")
        self.retry_for = retry_for
        self.http = http_client(url, credentials, ca_cert=ca_cert, timeout=timeout,
                                connections=connections)

    def close(self) -> None:
        self.http.close()

    def check(self) -> None:
        """The server answers and accepts the credentials (``GET /``)."""
        try:
            response = self.http.get("/")
        except httpx.HTTPError as error:
            raise ServerError(f"cannot reach the server at {self.url}: "
                              f"{error or type(error).__name__}") from error
        if response.status_code == 401:
            raise ServerError(f"the server at {self.url} refused the credentials (401): give "
                              f"--user NAME:PASSWORD or --api-key, or LOGHAVEN_USER and "
                              f"LOGHAVEN_PASSWORD")
        if response.status_code >= 400:
            raise ServerError(f"the server at {self.url} answered {response.status_code}: "
                              f"{reason(response)}")

    def require_pipeline(self, pipeline: str, builtin: bool = False) -> None:
        """The pipeline exists; ``builtin`` ones (a parser's) are missing only when the node
        does not install them."""
        response = self.http.get(f"/_ingest/pipeline/{pipeline}")
        if response.status_code == 404:
            hint = ("start the server with ingest.parsers.install: true (the default), which "
                    "installs the built-in parsers' pipelines and index templates"
                    if builtin else f"create it with PUT _ingest/pipeline/{pipeline}")
            raise ServerError(f"the server at {self.url} has no ingest pipeline [{pipeline}]: "
                              f"{hint}")
        if response.status_code >= 400:
            raise ServerError(f"cannot read the pipeline [{pipeline}] from {self.url}: "
                              f"{response.status_code} {reason(response)}")

    def bulk(self, index: str, docs: list[tuple[str | None, bytes]],
             pipeline: str | None) -> BulkOutcome:
        """Send ``docs`` (id, JSON source) to ``index``; retries as the module says."""
        params = {"filter_path": FILTER_PATH}
        if pipeline:
            params["pipeline"] = pipeline
        outcome = BulkOutcome()
        pending = docs
        deadline = time.monotonic() + self.retry_for
        attempt = 0
        while pending:
            body = b"".join(_action(index, doc_id) + source + b"\n"
                            for doc_id, source in pending)
            answer = self._post(body, params, deadline)
            refused: list[tuple[str | None, bytes]] = []
            last_refusal = ""
            for doc, item in zip(pending, answer.get("items", []), strict=False):
                result = next(iter(item.values()))
                status = result.get("status", 500)
                error = result.get("error") or {}
                if status == 429 or status >= 500:
                    # not written: sent again (as Logstash's output does)
                    refused.append(doc)
                    last_refusal = f"{status} {error.get('type')} on some items"
                elif result.get("result") == "noop":
                    outcome.dropped += 1
                elif status < 300:
                    outcome.indexed += 1
                elif status == 409 and doc[0] is not None:
                    outcome.existing += 1
                else:
                    outcome.failed.append(f"{error.get('type', status)}: "
                                          f"{error.get('reason', '')}")
            pending = refused
            if pending:
                attempt += 1
                _sleep_before(attempt, deadline, last_refusal)
        return outcome

    def _post(self, body: bytes, params: dict[str, str], deadline: float) -> dict[str, Any]:
        attempt = 0
        while True:
            try:
                response = self.http.post("/_bulk", content=body, params=params,
                                          headers={"Content-Type": "application/x-ndjson"})
            except httpx.HTTPError as error:
                problem = f"cannot reach {self.url}: {error or type(error).__name__}"
            else:
                if response.status_code < 300:
                    return orjson.loads(response.content)
                problem = f"{response.status_code} {reason(response)}"
                if response.status_code not in RETRY_STATUSES and response.status_code < 500:
                    raise BulkGaveUp(f"the server refused the bulk: {problem}", fatal=False)
            attempt += 1
            _sleep_before(attempt, deadline, problem)


def _action(index: str, doc_id: str | None) -> bytes:
    if doc_id is None:
        return orjson.dumps({"index": {"_index": index}}) + b"\n"
    return orjson.dumps({"create": {"_index": index, "_id": doc_id}}) + b"\n"


def _sleep_before(attempt: int, deadline: float, problem: str) -> None:
    delay = min(0.25 * 2 ** attempt, 10.0)
    if time.monotonic() + delay > deadline:
        raise BulkGaveUp(f"gave up after {attempt} attempts: {problem}", fatal=True)
    time.sleep(delay)


def reason(response: httpx.Response) -> str:
    """An error answer's ``type: reason`` (or the start of its text), for messages."""
    try:
        error = response.json().get("error")
    except ValueError:
        return response.text[:200]
    if isinstance(error, dict):
        return f"{error.get('type')}: {error.get('reason')}"
    return str(error)[:200]
