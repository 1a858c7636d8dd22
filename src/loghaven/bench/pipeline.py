"""Scenario 6: ingest pipelines (issue 16's speed goal).

The same generated WAF records are bulk-indexed over HTTP, in the same run, into an index
without a pipeline (the WAF mapping of scenario 1) and into one whose default pipeline is
the built-in ``loghaven-aws-waf`` (date, ECS renames, the User-Agent header found by a
script, geoip, user_agent, conversions), with the parser's template mapping. The ratio of
the two docs/s is the price of the pipeline; the server's CPU is split between its main
process and the ingest worker processes, which is where pipelines run for large bulks.

Where the time goes is measured in this process, on one core, over a sample of the same
records: each phase of a write (parse, each processor of the compiled pipeline, serialise,
prepare for the mapping, the engine's write with its WAL and tantivy) timed separately, for
both indices. A profiler attached to the server would see the same phases spread over
three processes and the HTTP stack; this table names them.
"""

from __future__ import annotations

import contextlib
import time
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from loghaven.bench.generators import FIELDS, es_mapping
from loghaven.bench.proc import cpu_seconds, process_tree
from loghaven.bench.sampling import DEFAULT_END_MS
from loghaven.bench.scenarios import count_docs, create_index, percentile, run_bulk, spool_for
from loghaven.bench.server import BenchError, HttpClient, Server
from loghaven.bench.spool import Spool

PIPELINE_ID = "loghaven-aws-waf"
PLAIN_INDEX = "bench-pipeline-none"
PIPELINE_INDEX = "bench-pipeline-waf"
#: Records timed phase by phase in this process (after a warm-up that loads the GeoIP data).
SAMPLE = 5000
WARMUP = 200


def installed(client: HttpClient) -> tuple[dict[str, Any], dict[str, Any]]:
    """The server's ``loghaven-aws-waf`` pipeline definition and the ``template`` part
    (settings, mappings) of its index template (empty when it has none)."""
    resp = client.request("GET", f"/_ingest/pipeline/{PIPELINE_ID}")
    if resp.status != 200:
        raise BenchError(f"the server has no pipeline [{PIPELINE_ID}] (is "
                         f"ingest.parsers.install off?): HTTP {resp.status} {resp.reason()}")
    definition = resp.json()[PIPELINE_ID]
    resp = client.request("GET", f"/_index_template/{PIPELINE_ID}")
    template: dict[str, Any] = {}
    if resp.status == 200:
        found = resp.json().get("index_templates") or []
        if found:
            template = found[0]["index_template"].get("template") or {}
    return definition, template


def _create_pipeline_index(client: HttpClient, template: dict[str, Any]) -> dict[str, Any]:
    """The pipeline's index: the template's mapping and settings, the pipeline as default,
    durability ``request`` as scenario 1."""
    client.request("DELETE", f"/{PIPELINE_INDEX}")
    settings = dict(template.get("settings") or {})
    settings.update({"index.number_of_shards": 1, "index.translog.durability": "request",
                     "index.default_pipeline": PIPELINE_ID})
    body: dict[str, Any] = {"settings": settings}
    if template.get("mappings"):
        body["mappings"] = template["mappings"]
    resp = client.request("PUT", f"/{PIPELINE_INDEX}", body)
    if resp.status != 200:
        raise BenchError(f"PUT /{PIPELINE_INDEX} failed: HTTP {resp.status} {resp.reason()}")
    return body


def _workers(server_pid: int) -> list[int]:
    """The server's ingest worker processes (multiprocessing's spawned children, without
    its resource tracker)."""
    found = []
    for pid in process_tree(server_pid)[1:]:
        try:
            command = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue
        if b"spawn_main" in command and b"resource_tracker" not in command:
            found.append(pid)
    return found


def _cpu(server: Server) -> tuple[float, float, int] | None:
    """CPU seconds of the server's main process and of its ingest workers, and how many
    workers there are; None for a server this run did not start."""
    if server.pid is None:
        return None
    workers = _workers(server.pid)
    return cpu_seconds(server.pid), sum(cpu_seconds(p) for p in workers), len(workers)


def _ingest(server: Server, spool: Spool, clients: int, index: str) -> dict[str, Any]:
    """Bulk ``spool`` into ``index`` over HTTP: docs/s and the server's CPU by process."""
    before = _cpu(server)
    stats, wall = run_bulk(server, spool, clients)
    after = _cpu(server)
    client = server.client()
    client.request("POST", f"/{index}/_refresh")
    count = count_docs(client, index)
    client.close()
    result: dict[str, Any] = {
        "index": index, "docs_sent": spool.docs, "docs_acked": stats.docs,
        "docs_failed": stats.failed_docs, "first_error": stats.first_error, "seconds": wall,
        "docs_per_s": stats.docs / wall if wall else None,
        "bulk_p50_s": percentile(stats.latencies, 50),
        "bulk_p99_s": percentile(stats.latencies, 99), "count_after_refresh": count,
        "main_cpu_s": None, "worker_cpu_s": None, "workers": None,
    }
    if before is not None and after is not None:
        main = after[0] - before[0]
        # a worker started during the run counts from zero
        workers = after[1] - (before[1] if before[2] == after[2] else 0.0)
        result.update(main_cpu_s=main, worker_cpu_s=workers, workers=after[2],
                      main_utilisation=main / wall if wall else None,
                      worker_utilisation=workers / wall / after[2] if wall and after[2]
                      else None,
                      docs_per_server_cpu_s=stats.docs / (main + workers)
                      if main + workers else None)
    return result


def _sources(spool: Spool, limit: int) -> list[bytes]:
    """The first ``limit`` document lines of the spool (action lines left out)."""
    sources: list[bytes] = []
    for body, _docs in spool.bodies():
        lines = body.split(b"\n")
        sources += [line for line in lines[1::2] if line]
        if len(sources) >= limit:
            break
    return sources[:limit]


def scenario_pipeline(server: Server, work: Path, docs: int, seed: int, bulk_docs: int,
                      clients: int, sample: int = SAMPLE) -> dict[str, Any]:
    """Both ingests over HTTP, then the phase breakdown in this process; the indices are
    deleted afterwards (they would change the ``bench-*`` pattern query)."""
    client = server.client()
    definition, template = installed(client)
    spools = {name: spool_for(work / f"{name}.ndjson", "waf", docs, name, seed, bulk_docs,
                              DEFAULT_END_MS) for name in (PLAIN_INDEX, PIPELINE_INDEX)}
    try:
        create_index(client, PLAIN_INDEX, FIELDS["waf"])
        body = _create_pipeline_index(client, template)
        plain = _ingest(server, spools[PLAIN_INDEX], clients, PLAIN_INDEX)
        piped = _ingest(server, spools[PIPELINE_INDEX], clients, PIPELINE_INDEX)
        server.check_alive()
        sources = _sources(spools[PLAIN_INDEX], sample + WARMUP)
        plain_mapping = {**es_mapping(FIELDS["waf"]), "dynamic": False}
        phases = where_time_goes(definition, sources, plain_mapping, body.get("mappings"),
                                 work / "phases")
    finally:
        for spool in spools.values():
            spool.remove()
        for name in spools:
            client.request("DELETE", f"/{name}")
        client.close()
    return {
        "pipeline": PIPELINE_ID, "docs": docs, "clients": clients, "bulk_docs": bulk_docs,
        "none": plain, "with_pipeline": piped,
        "ratio_docs_per_s": piped["docs_per_s"] / plain["docs_per_s"]
        if piped["docs_per_s"] and plain["docs_per_s"] else None,
        "ratio_docs_per_cpu_s": piped["docs_per_server_cpu_s"] / plain["docs_per_server_cpu_s"]
        if piped.get("docs_per_server_cpu_s") and plain.get("docs_per_server_cpu_s") else None,
        "phases": phases,
    }


# --------------------------------------------------------------------------- phases


class _Clock:
    """Seconds spent per named phase."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)

    @contextlib.contextmanager
    def phase(self, name: str) -> Iterator[None]:
        started = time.perf_counter()
        yield
        self.seconds[name] += time.perf_counter() - started


def _timed_pipeline(definition: dict[str, Any], clock: _Clock) -> Any:
    """The compiled pipeline with each step's processor timed under ``#n type`` (handlers
    of a step's ``on_failure`` count with the step)."""
    from loghaven.ingest.pipeline.compile import compile_pipeline
    from loghaven.ingest.pipeline.processor import Processor

    class Timed(Processor):
        type = "timed"

        def __init__(self, inner: Processor, name: str) -> None:
            super().__init__(inner.tag)
            self.inner, self.name = inner, name

        def execute(self, document: Any) -> Any:
            started = time.perf_counter()
            try:
                return self.inner.execute(document)
            finally:
                clock.seconds[self.name] += time.perf_counter() - started

    pipeline = compile_pipeline(PIPELINE_ID, definition)
    for number, step in enumerate(pipeline.steps, 1):
        step.processor = Timed(step.processor, f"#{number} {step.type}"
                                               + (f" [{step.tag}]" if step.tag else ""))
    return pipeline


def where_time_goes(definition: dict[str, Any], sources: list[bytes],
                    plain_mapping: dict[str, Any], pipeline_mapping: dict[str, Any] | None,
                    folder: Path) -> dict[str, Any]:
    """Microseconds per document of each phase of a write, without and with the pipeline,
    on one core in this process; the first :data:`WARMUP` records are run untimed."""
    from loghaven.engine.catalog import Catalog
    from loghaven.engine.documents_state import WriteRequest
    from loghaven.engine.prepare import prepare_sources, unpack
    from loghaven.ingest.pipeline.document import IngestDocument
    from loghaven.ingest.pipeline.runner import execute, serialize, source_map, timestamp
    from loghaven.ingest.processors import geoip, user_agent
    from loghaven.storage.metastore import SqliteMetastore

    folder.mkdir(parents=True, exist_ok=True)
    catalog = Catalog(folder, SqliteMetastore(folder / "meta.db"))
    try:
        indices = {
            "none": catalog.create_index("phases-none", {
                "settings": {"index.translog.durability": "request"},
                "mappings": plain_mapping}),
            "pipeline": catalog.create_index("phases-pipeline", {
                "settings": {"index.translog.durability": "request"},
                **({"mappings": pipeline_mapping} if pipeline_mapping else {})}),
        }
        clocks = {"none": _Clock(), "pipeline": _Clock()}
        pipeline = _timed_pipeline(definition, clocks["pipeline"])
        warm, timed = sources[:WARMUP], sources[WARMUP:]
        failed = 0

        def run(batch: list[bytes], clock: _Clock) -> list[bytes]:
            nonlocal failed
            seconds = clock.seconds
            out = []
            for source in batch:
                started = time.perf_counter()
                document = IngestDocument(source_map(source), {"_index": "phases-pipeline"},
                                          {"timestamp": timestamp()})
                begun = time.perf_counter()
                seconds["parse JSON, IngestDocument"] += begun - started
                try:
                    done = execute(lambda _id: pipeline, PIPELINE_ID, None, document, None)
                except Exception:
                    failed += 1
                    done = None
                ended = time.perf_counter()
                seconds["pipeline (all processors)"] += ended - begun
                if done is not None:
                    out.append(serialize(done))
                seconds["serialise JSON"] += time.perf_counter() - ended
            return out

        def write(name: str, batch: list[bytes], clock: _Clock) -> None:
            index = indices[name]
            with clock.phase("prepare for the mapping"):
                dictionary = index.source_dictionary
                prepared = unpack(index.mapping, prepare_sources(
                    index.mapping.body, batch, dictionary.data if dictionary else None),
                    dictionary)
            requests = [WriteRequest("index", source=source, prepared=ready)
                        for source, ready in zip(batch, prepared, strict=True)]
            with clock.phase("write: WAL, tantivy, sync"):
                for start in range(0, len(requests), 1000):
                    index.write(requests[start:start + 1000])
                index.sync()

        geo_before = geoip.lookup.cache_info()
        ua_before = user_agent.parse.cache_info()
        write("pipeline", run(warm, _Clock()), _Clock())
        write("none", warm, _Clock())
        geo_warm, ua_warm = geoip.lookup.cache_info(), user_agent.parse.cache_info()
        clocks["pipeline"].seconds.clear()  # the processors' timers ran in the warm-up
        cpu = time.process_time()
        outputs = run(timed, clocks["pipeline"])
        cpu = time.process_time() - cpu
        write("pipeline", outputs, clocks["pipeline"])
        write("none", timed, clocks["none"])
        geo, ua = geoip.lookup.cache_info(), user_agent.parse.cache_info()
    finally:
        catalog.close()
    count = max(len(timed), 1)
    processors = [f"#{n} {s.type}" + (f" [{s.tag}]" if s.tag else "")
                  for n, s in enumerate(pipeline.steps, 1)]
    result: dict[str, Any] = {"sample": len(timed), "failed": failed, "phases": {},
                              # CPU time, which other work on the machine barely moves
                              "pipeline_cpu_us": cpu / count * 1e6}
    order = ["parse JSON, IngestDocument", "pipeline (all processors)", *processors, "serialise JSON",
             "prepare for the mapping", "write: WAL, tantivy, sync"]
    for side, clock in clocks.items():
        micros = {name: clock.seconds[name] / count * 1e6 for name in order
                  if name in clock.seconds}
        result["phases"][side] = micros
    for side in ("none", "pipeline"):
        phases = result["phases"][side]
        result[f"total_us_{side}"] = sum(v for k, v in phases.items() if not k.startswith("#"))
    pipeline_us = result["phases"]["pipeline"].get("pipeline (all processors)", 0.0)
    result["runner_overhead_us"] = pipeline_us - sum(
        v for k, v in result["phases"]["pipeline"].items() if k.startswith("#"))
    result["caches"] = {
        "geoip": _hits(geo_warm, geo, geo_before), "user_agent": _hits(ua_warm, ua, ua_before)}
    return result


def _hits(warm: Any, after: Any, before: Any) -> dict[str, Any]:
    """Hit rate of an lru_cache over the timed sample, and its size."""
    hits, misses = after.hits - warm.hits, after.misses - warm.misses
    return {"hits": hits, "misses": misses,
            "hit_rate": hits / (hits + misses) if hits + misses else None,
            "maxsize": after.maxsize, "size": after.currsize,
            "warmup_misses": warm.misses - before.misses}
