"""Scenario 7: delivery streams and Splunk's HTTP Event Collector (issue 17's speed goal).

Two producers' paths into the same documents, each against ``_bulk`` of the same generated
WAF records in the same run, with the same number of concurrent clients and 500 records per
call on every side:

- **Firehose**: boto3's ``firehose`` client puts the records with PutRecordBatch into a
  delivery stream whose ``ProcessingConfiguration`` transforms them (``pipeline:<id>``, the
  built-in ``loghaven-aws-waf`` pipeline by default, or an http function the benchmark serves
  on loopback) and whose destination index rotates daily (``bench-stream-2026-12-04``). The
  clock stops when every record is searchable (``_count`` of the daily indices), and the
  baseline is ``_bulk`` into an index whose default pipeline is the same transformation,
  until ``_count`` sees every document too. The delivery lag is the time from the last put's
  answer to all records searchable: the stream's buffering interval plus its delivery.
- **HEC**: the same records as JSON events, 500 per ``POST /services/collector/event`` on a
  channel per client, with indexer acknowledgements polled until all are true (durable);
  the baseline is ``_bulk`` (durable when answered, ``index.translog.durability: request``).

Producers need no change beyond an endpoint URL, so the producers here are the real ones:
boto3 signs every call with SigV4 and base64-encodes every record, and its CPU is the
benchmark's, not the server's; "records per server CPU-second" is the figure it does not
move.
"""

from __future__ import annotations

import base64
import contextlib
import http.server
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import orjson

from loghaven.bench.generators import FIELDS, BulkBody, es_mapping
from loghaven.bench.pipeline import PIPELINE_ID, installed
from loghaven.bench.sampling import DEFAULT_END_MS
from loghaven.bench.scenarios import CallStats, percentile, run_bulk, spool_for
from loghaven.bench.server import BenchError, HttpClient, Server, free_port
from loghaven.bench.spool import Spool

STREAM = "bench-stream"
#: The stream's destination IndexName: rotated daily, ``bench-stream-2026-12-04``.
STREAM_INDEX = "bench-stream"
STREAM_INDICES = "bench-stream-2*"
STREAM_BULK_INDEX = "bench-stream-bulk"
HEC_INDEX = "bench-hec"
HEC_BULK_INDEX = "bench-hec-bulk"
HEC_TOKEN_NAME = "bench-hec"
#: Records per PutRecordBatch (Firehose's limit), per HEC post and per ``_bulk`` here.
PER_CALL = 500
#: The pipeline of the ``http`` transform's baseline: what the function does to each record.
TIMESTAMP_PIPELINE = "bench-stream-timestamp"
TRANSFORMS = ("pipeline", "http")
REGION, ACCOUNT = "us-east-1", "000000000000"


# --------------------------------------------------------------------------- shared


def _run_threads(count: int, target: Callable[[int], None], prefix: str) -> None:
    threads = [threading.Thread(target=target, args=(i,), name=f"{prefix}-{i}")
               for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def _wait_count(client: HttpClient, target: str, expected: int, timeout_s: float
                ) -> tuple[float, int | None]:
    """Poll ``_count`` of ``target`` (refreshed as the server refreshes it, never forced)
    until it reaches ``expected``; the clock when it did (or gave up) and the last count."""
    deadline = time.perf_counter() + timeout_s
    count: int | None = None
    while True:
        resp = client.request("GET", f"/{target}/_count")
        if resp.status == 200:
            count = int(resp.json()["count"])
        now = time.perf_counter()
        if (count is not None and count >= expected) or now > deadline:
            return now, count
        time.sleep(0.05)


def _timeout(records: int) -> float:
    """How long a side may take to make its records searchable before it is reported as
    incomplete: generous (a loaded machine), bounded."""
    return 120.0 + records / 50


def _side(server: Server, records: int, run: Callable[[], CallStats],
          wait: Callable[[], tuple[float, int | None]] | None = None) -> dict[str, Any]:
    """Run one side under the server's RSS sampler: the calls, then the wait until their
    records are where they should be (none: done when the calls are); the figures every
    side reports."""
    cpu0 = server.cpu()
    with server.rss() as rss:
        start = time.perf_counter()
        calls = run()
        sent = time.perf_counter()
        done, count = wait() if wait else (sent, None)
    cpu1 = server.cpu()
    cpu = cpu1 - cpu0 if cpu0 is not None and cpu1 is not None else None
    total = done - start
    return {
        "records_sent": records, "records_accepted": calls.docs,
        "records_failed": calls.failed_docs, "records_resent": calls.resent,
        "first_error": calls.first_error, "calls": len(calls.latencies),
        "put_seconds": sent - start, "seconds": total,
        "records_per_s": calls.docs / total if total else None,
        "put_records_per_s": calls.docs / (sent - start) if sent > start else None,
        "put_p50_s": percentile(calls.latencies, 50),
        "put_p99_s": percentile(calls.latencies, 99),
        "lag_s": done - (calls.last_answer or sent), "count": count, "complete": count == records,
        "server_cpu_s": cpu,
        "records_per_server_cpu_s": calls.docs / cpu if cpu else None,
        "peak_rss_bytes": rss.peak if rss else None,
        "peak_anon_rss_bytes": rss.peak_anon if rss else None,
    }


def _bulk(server: Server, spool: Spool, clients: int) -> CallStats:
    return run_bulk(server, spool, clients)[0]


def _documents(body: bytes) -> list[bytes]:
    """The document lines of a ``_bulk`` body (its action lines left out)."""
    return body.split(b"\n")[1::2]


def _ratio(side: dict[str, Any], base: dict[str, Any]) -> float | None:
    a, b = side.get("records_per_s"), base.get("records_per_s")
    return a / b if a and b else None


def _check(resp: Any, what: str) -> Any:
    if resp.status >= 300:
        raise BenchError(f"{what} failed: HTTP {resp.status} {resp.reason()}")
    return resp.json()


# --------------------------------------------------------------------------- the transform


class TransformFunction:
    """An http transform function on loopback that follows Firehose's data-transformation
    contract: each record's JSON gets an ISO ``@timestamp`` from its epoch-millis
    ``timestamp`` (what :data:`TIMESTAMP_PIPELINE` does to the baseline's documents)."""

    def __init__(self) -> None:
        self.invocations = 0
        self.records = 0
        function = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                request = orjson.loads(self.rfile.read(int(self.headers["Content-Length"])))
                out = [function.transform(record) for record in request["records"]]
                body = orjson.dumps({"records": out})
                function.invocations += 1
                function.records += len(out)
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        name="transform-function", daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/"

    @staticmethod
    def transform(record: dict[str, Any]) -> dict[str, Any]:
        from loghaven.bench.sampling import iso_millis

        doc = orjson.loads(base64.b64decode(record["data"]))
        doc["@timestamp"] = iso_millis(doc["timestamp"])
        return {"recordId": record["recordId"], "result": "Ok",
                "data": base64.b64encode(orjson.dumps(doc)).decode()}

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def _indices(client: HttpClient, transform: str) -> tuple[dict[str, Any], str]:
    """The index settings and mappings both sides share, and the pipeline the baseline's
    index runs: the built-in WAF template's mapping with its pipeline, or the benchmark's
    WAF mapping with a ``date`` pipeline (the http function's work)."""
    settings: dict[str, Any] = {"index.number_of_shards": 1,
                                "index.translog.durability": "request"}
    if transform == "pipeline":
        _definition, template = installed(client)
        settings.update({k: v for k, v in (template.get("settings") or {}).items()
                         if "default_pipeline" not in k})
        body: dict[str, Any] = {"settings": settings}
        if template.get("mappings"):
            body["mappings"] = template["mappings"]
        return body, PIPELINE_ID
    _check(client.request("PUT", f"/_ingest/pipeline/{TIMESTAMP_PIPELINE}", {
        "description": "what the benchmark's http transform function does",
        "processors": [{"date": {"field": "timestamp", "formats": ["UNIX_MS"],
                                 "target_field": "@timestamp"}}]}), "PUT pipeline")
    return {"settings": settings,
            "mappings": {**es_mapping(FIELDS["waf"]), "dynamic": False}}, TIMESTAMP_PIPELINE


# --------------------------------------------------------------------------- Firehose


def _firehose(server: Server, clients: int) -> Any:
    import boto3
    from botocore.config import Config

    return boto3.client(
        "firehose", endpoint_url=f"http://{server.host}:{server.port}", region_name=REGION,
        aws_access_key_id="bench", aws_secret_access_key="bench",
        config=Config(max_pool_connections=max(clients, 1),
                      retries={"mode": "standard", "max_attempts": 10}))


def create_stream(firehose: Any, lambda_arn: str, interval_s: int) -> dict[str, Any]:
    """The benchmark's stream, as the seed's WAF setup has it (Elasticsearch destination,
    daily rotation, failed documents backed up) with a transform; its configuration."""
    lambda_processor = {"Type": "Lambda", "Parameters": [
        {"ParameterName": "LambdaArn", "ParameterValue": lambda_arn}]}
    role = f"arn:aws:iam::{ACCOUNT}:role/firehose-bench"
    destination = {
        "RoleARN": role, "DomainARN": f"arn:aws:es:{REGION}:{ACCOUNT}:domain/loghaven",
        "IndexName": STREAM_INDEX, "IndexRotationPeriod": "OneDay",
        "BufferingHints": {"IntervalInSeconds": interval_s, "SizeInMBs": 5},
        "RetryOptions": {"DurationInSeconds": 300},
        "S3BackupMode": "FailedDocumentsOnly",
        "S3Configuration": {"RoleARN": role, "BucketARN": "arn:aws:s3:::bench-stream-backup",
                            "Prefix": "bench/"},
        "ProcessingConfiguration": {"Enabled": True, "Processors": [lambda_processor]},
    }
    firehose.create_delivery_stream(DeliveryStreamName=STREAM, DeliveryStreamType="DirectPut",
                                    ElasticsearchDestinationConfiguration=destination)
    deadline = time.monotonic() + 30
    while True:
        status = firehose.describe_delivery_stream(DeliveryStreamName=STREAM)[
            "DeliveryStreamDescription"]["DeliveryStreamStatus"]
        if status == "ACTIVE":
            return destination
        if time.monotonic() > deadline:
            raise BenchError(f"the stream is {status}, not ACTIVE, 30 s after its creation")
        time.sleep(0.1)


def _put(firehose: Any, spool: Spool, clients: int) -> CallStats:
    """PutRecordBatch of every body's documents, 500 per call, from ``clients`` threads;
    records refused in a partial failure are sent again, as a producer does."""
    calls, queue = CallStats(), spool.queue()

    def producer(_number: int) -> None:
        while (item := queue.take()) is not None:
            pending = [{"Data": line} for line in _documents(item[0])]
            for attempt in range(8):
                started = time.perf_counter()
                try:
                    answer = firehose.put_record_batch(DeliveryStreamName=STREAM,
                                                       Records=pending)
                except Exception as exc:  # botocore's errors, after its own retries
                    calls.error(f"{type(exc).__name__}: {exc}")
                    break
                calls.answered(started)
                with calls.lock:
                    calls.docs += len(pending) - answer["FailedPutCount"]
                if not answer["FailedPutCount"]:
                    pending = []
                    break
                refused = [(record, result) for record, result
                           in zip(pending, answer["RequestResponses"], strict=True)
                           if result.get("ErrorCode")]
                calls.error(f"{refused[0][1]['ErrorCode']}: {refused[0][1].get('ErrorMessage')}")
                pending = [record for record, _ in refused]
                with calls.lock:
                    calls.resent += len(pending)
                time.sleep(0.05 * 2**attempt)
            with calls.lock:
                calls.failed_docs += len(pending)

    try:
        _run_threads(clients, producer, "firehose")
    finally:
        queue.close()
    return calls


def _create_stream_indices(client: HttpClient, body: dict[str, Any], pipeline: str) -> None:
    """The daily indices' template (the transformation runs in the stream, not in the
    index) and the baseline's index (the same transformation as its default pipeline)."""
    for name in (STREAM_BULK_INDEX, STREAM_INDICES):
        client.request("DELETE", f"/{name}")
    _check(client.request("PUT", f"/_index_template/{STREAM}", {
        "index_patterns": [STREAM_INDICES], "priority": 1000, "template": body}),
        "PUT _index_template")
    settings = {**body["settings"], "index.default_pipeline": pipeline}
    _check(client.request("PUT", f"/{STREAM_BULK_INDEX}", {**body, "settings": settings}),
           f"PUT /{STREAM_BULK_INDEX}")


def firehose_side(server: Server, spool: Spool, clients: int, transform: str,
                  interval_s: int) -> dict[str, Any]:
    """``_bulk`` into an index whose default pipeline transforms, then PutRecordBatch into a
    stream that transforms, each until every record is searchable."""
    client = server.client()
    firehose = _firehose(server, clients)
    function = TransformFunction() if transform == "http" else None
    records = spool.docs
    try:
        body, pipeline = _indices(client, transform)
        _create_stream_indices(client, body, pipeline)
        lambda_arn = function.url if function else f"pipeline:{pipeline}"
        with contextlib.suppress(firehose.exceptions.ResourceNotFoundException):
            firehose.delete_delivery_stream(DeliveryStreamName=STREAM)
        create_stream(firehose, lambda_arn, interval_s)
        bulk = _side(server, records, lambda: _bulk(server, spool, clients),
                     lambda: _wait_count(client, STREAM_BULK_INDEX, records, _timeout(records)))
        server.check_alive()
        stream = _side(server, records, lambda: _put(firehose, spool, clients),
                       lambda: _wait_count(client, STREAM_INDICES, records, _timeout(records)))
        server.check_alive()
        # boto3 drops the members Firehose's model does not have: read the JSON itself
        description = _check(client.request(
            "POST", "/", {"DeliveryStreamName": STREAM}, "application/x-amz-json-1.1",
            {"X-Amz-Target": "Firehose_20150804.DescribeDeliveryStream"}),
            "DescribeDeliveryStream")["DeliveryStreamDescription"]
        indices = client.request("GET", f"/_cat/indices/{STREAM_INDICES}?format=json&h=index")
        stream.update(
            metrics=description.get("LoghavenMetrics"), lambda_arn=lambda_arn,
            indices=sorted(row["index"] for row in indices.json() or [])
            if indices.status == 200 else None,
            function_invocations=function.invocations if function else None)
    finally:
        with contextlib.suppress(firehose.exceptions.ResourceNotFoundException):
            firehose.delete_delivery_stream(DeliveryStreamName=STREAM)
        for name in (STREAM_BULK_INDEX, STREAM_INDICES):
            client.request("DELETE", f"/{name}")
        client.request("DELETE", f"/_index_template/{STREAM}")
        if transform == "http":
            client.request("DELETE", f"/_ingest/pipeline/{TIMESTAMP_PIPELINE}")
        if function:
            function.close()
        client.close()
    return {"transform": transform, "pipeline": pipeline, "interval_s": interval_s,
            "bulk": bulk, "stream": stream, "ratio_records_per_s": _ratio(stream, bulk),
            "ratio_records_per_cpu_s": _cpu_ratio(stream, bulk)}


def _cpu_ratio(side: dict[str, Any], base: dict[str, Any]) -> float | None:
    a, b = side.get("records_per_server_cpu_s"), base.get("records_per_server_cpu_s")
    return a / b if a and b else None


# --------------------------------------------------------------------------- HEC


def hec_bodies(spool: Spool) -> Iterator[BulkBody]:
    """The spool's documents as HEC events, 500 per body (concatenated JSON objects, as
    Splunk's clients batch them), with the record's own time in seconds."""
    for body, docs in spool.bodies():
        events, source = [], 0
        for line in _documents(body):
            millis = orjson.loads(line)["timestamp"]
            events.append(b'{"time":%d.%03d,"host":"bench","source":"bench",'
                          b'"sourcetype":"aws:waf","event":%s}'
                          % (millis // 1000, millis % 1000, line))
            source += len(line) + 1
        yield BulkBody(b"".join(events), docs, source)


def _management(client: HttpClient) -> dict[str, str]:
    """Splunk's management endpoints always want credentials (any, with security off)."""
    return {"Authorization": client.authorization or "Basic YmVuY2g6YmVuY2g="}


def create_token(client: HttpClient) -> str:
    """A HEC token for the benchmark's index with indexer acknowledgement, made through
    Splunk's own endpoint as a Splunk admin would make it."""
    delete_token(client)
    form = urlencode({"name": HEC_TOKEN_NAME, "index": HEC_INDEX, "indexes": HEC_INDEX,
                      "useACK": "1", "sourcetype": "aws:waf"}).encode()
    answer = _check(client.request("POST", "/services/data/inputs/http?output_mode=json", form,
                                   "application/x-www-form-urlencoded", _management(client)),
                    "creating a HEC token")
    return str(answer["entry"][0]["content"]["token"])


def delete_token(client: HttpClient) -> None:
    client.request("DELETE", f"/services/data/inputs/http/{HEC_TOKEN_NAME}?output_mode=json",
                   headers=_management(client))


def _post_events(server: Server, spool: Spool, clients: int, token: str,
                 timeout_s: float) -> tuple[CallStats, list[float]]:
    """POST every body to ``/services/collector/event`` from ``clients`` threads, each on its
    own channel, polling the channel's acknowledgements (every 0.25 s while posting, then
    until all are true); the calls and, per client, when its last ack turned true."""
    calls, queue, acked_at = CallStats(), spool.queue(), []

    def sender(_number: int) -> None:
        client = server.client()
        channel = str(uuid.uuid4())
        headers = {"Authorization": f"Splunk {token}", "X-Splunk-Request-Channel": channel}
        pending: dict[int, int] = {}
        polled = 0.0

        def poll() -> None:
            resp = client.request("POST", f"/services/collector/ack?channel={channel}",
                                  {"acks": sorted(pending)}, headers=headers)
            if resp.status != 200:
                calls.error(f"ack: HTTP {resp.status} {resp.body[:200]!r}")
                return
            done = [int(ack) for ack, ok in resp.json()["acks"].items() if ok]
            with calls.lock:
                calls.docs += sum(pending.pop(ack, 0) for ack in done)

        try:
            while (item := queue.take()) is not None:
                body, docs = item
                started = time.perf_counter()
                resp = client.request("POST", "/services/collector/event", body,
                                      headers=headers)
                calls.answered(started)
                answer = resp.json() if resp.body.startswith(b"{") else {}
                if resp.status != 200 or answer.get("code") != 0 or "ackId" not in answer:
                    calls.error(f"HTTP {resp.status} {resp.body[:200]!r}")
                    with calls.lock:
                        calls.failed_docs += docs
                    continue
                pending[int(answer["ackId"])] = docs
                if time.perf_counter() - polled > 0.25:
                    poll()
                    polled = time.perf_counter()
            deadline = time.perf_counter() + timeout_s
            while pending and time.perf_counter() < deadline:
                poll()
                if pending:
                    time.sleep(0.02)
            with calls.lock:
                calls.failed_docs += sum(pending.values())
                acked_at.append(time.perf_counter())
        finally:
            client.close()

    try:
        _run_threads(clients, sender, "hec")
    finally:
        queue.close()
    return calls, acked_at


def _searchable(client: HttpClient, index: str, side: dict[str, Any]) -> None:
    """Durable (answered or acknowledged) is when a side's clock stops; searchable follows
    with the index's next refresh: how long after, and whether every record got there."""
    started = time.perf_counter()
    done, side["count"] = _wait_count(client, index, side["records_sent"],
                                      _timeout(side["records_sent"]))
    side["searchable_after_s"] = done - started
    side["complete"] = side["count"] == side["records_sent"]


def hec_side(server: Server, bulk_spool: Spool, hec_spool: Spool, clients: int
             ) -> dict[str, Any]:
    """``_bulk`` of the records (durable when answered), then the same records as HEC events
    until every acknowledgement is true; then until each index counts them all."""
    client = server.client()
    records = bulk_spool.docs
    settings = {"settings": {"index.number_of_shards": 1,
                             "index.translog.durability": "request"}}
    try:
        for index in (HEC_BULK_INDEX, HEC_INDEX):
            client.request("DELETE", f"/{index}")
            _check(client.request("PUT", f"/{index}", settings), f"PUT /{index}")
        token = create_token(client)
        bulk = _side(server, records, lambda: _bulk(server, bulk_spool, clients))
        _searchable(client, HEC_BULK_INDEX, bulk)
        server.check_alive()
        acks: list[float] = []

        def post() -> CallStats:
            calls, acked_at = _post_events(server, hec_spool, clients, token,
                                           _timeout(records))
            acks.extend(acked_at)
            return calls

        hec = _side(server, records, post, lambda: (max(acks, default=time.perf_counter()),
                                                     None))
        server.check_alive()
        _searchable(client, HEC_INDEX, hec)
    finally:
        delete_token(client)
        for index in (HEC_BULK_INDEX, HEC_INDEX):
            client.request("DELETE", f"/{index}")
        client.close()
    return {"bulk": bulk, "hec": hec, "ratio_records_per_s": _ratio(hec, bulk),
            "ratio_records_per_cpu_s": _cpu_ratio(hec, bulk)}


# --------------------------------------------------------------------------- the scenario


def scenario_stream(server: Server, work: Path, docs: int, seed: int, clients: int,
                    transform: str = "pipeline", interval_s: int = 1) -> dict[str, Any]:
    """Both comparisons on ``docs`` WAF records; every index, stream and token it made is
    deleted afterwards (they would change the ``bench-*`` pattern query)."""
    if server.secure:
        raise BenchError("the stream scenario does not run with --secure (boto3 would need "
                         "an access key and HEC a token of a user)")
    spools = {name: spool_for(work / f"{name}.ndjson", "waf", docs, name, seed, PER_CALL,
                              DEFAULT_END_MS) for name in (STREAM_BULK_INDEX, HEC_BULK_INDEX)}
    hec_spool = Spool.write(work / "hec-events.json", hec_bodies(spools[HEC_BULK_INDEX]))
    try:
        firehose = firehose_side(server, spools[STREAM_BULK_INDEX], clients, transform,
                                 interval_s)
        hec = hec_side(server, spools[HEC_BULK_INDEX], hec_spool, clients)
    finally:
        for spool in (*spools.values(), hec_spool):
            spool.remove()
    return {"docs": docs, "clients": clients, "per_call": PER_CALL, "firehose": firehose,
            "hec": hec}


def failed(res: dict[str, Any]) -> bool:
    """Whether a side lost, refused or never showed a record."""
    sides = [res["firehose"]["bulk"], res["firehose"]["stream"], res["hec"]["bulk"],
             res["hec"]["hec"]]
    return any(side["records_failed"] or side["records_accepted"] != side["records_sent"]
               or not side["complete"] for side in sides)
