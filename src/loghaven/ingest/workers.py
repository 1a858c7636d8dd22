"""Ingest worker processes: they prepare bulk documents while the server process writes.

One server process does all of a write's Python work under one GIL, which caps ingest at
about 10k documents/s whatever the cores. The costly parts, running ingest pipelines
(ingest/pipeline/runner.py) and turning a source into tantivy JSON (engine/prepare.py), need
only the source, the pipelines and the mapping. So large bulk requests send them to worker
processes and keep just the engine's bookkeeping and tantivy's native call in
the server. A document with pipelines goes to a worker once: it is run through them and
prepared for its index's mapping in the same trip. Preparing is only ever a shortcut: a batch that fails or a worker that dies
leaves its documents to the ordinary in-process path, so nothing is lost.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from loghaven.engine.documents_state import WriteRequest
from loghaven.engine.index import Index
from loghaven.engine.prepare import (
    Prepared,
    builder_for,
    dictionary_for,
    prepare_parsed,
    prepare_sources,
    unpack,
)
from loghaven.errors import LoghavenError
from loghaven.ingest import grok
from loghaven.ingest.pipeline.document import IngestDocument
from loghaven.ingest.pipeline.runner import REROUTED, Job, error_data, run_batch, serialize
from loghaven.ingest.processors import geoip, user_agent
from loghaven.runtime import tune_gc

#: Fewer new documents than this for one index are prepared in-process: the round trip
#: to a worker costs more than it saves.
MIN_BATCH = 64
#: Requests per batch: small enough that writing one overlaps preparing the next.
BATCH = 250
#: Seconds without workers after one died, before a new pool is tried.
PAUSE_AFTER_FAILURE = 10

log = logging.getLogger(__name__)


class IngestWorkers:
    """A pool of ``count`` worker processes, started on the first large bulk request."""

    def __init__(self, count: int) -> None:
        self.count = count
        self._executor: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()
        self._paused_until = 0.0

    def batches(self, index: Index,
                requests: list[WriteRequest]) -> Iterator[list[WriteRequest]]:
        """``requests`` in order, in batches whose new documents the workers have prepared.

        The workers prepare the next batches while the caller writes this one.
        """
        if self.count <= 0 or time.monotonic() < self._paused_until \
                or index.mapping.analysed_in_python or index.mapping.nested:
            yield requests  # (nested objects make several documents each: built in-process)
            return
        batches = [requests[i:i + BATCH] for i in range(0, len(requests), BATCH)]
        new = [[r for r in batch if _preparable(r)] for batch in batches]
        if sum(map(len, new)) < MIN_BATCH:
            yield requests
            return
        mapping, dictionary = index.mapping, index.source_dictionary
        data = dictionary.data if dictionary is not None else None
        try:
            pool = self._pool()
            futures = [pool.submit(prepare_sources, mapping.body, [r.source for r in fresh],
                                   data)
                       for fresh in new]
        except BrokenProcessPool:
            futures = []
            self._restart()
        for position, batch in enumerate(batches):
            if position < len(futures):
                try:
                    results = unpack(mapping, futures[position].result(), dictionary)
                except BrokenProcessPool:
                    futures = []
                    self._restart()
                else:
                    for request, prepared in zip(new[position], results, strict=True):
                        request.prepared = prepared
            yield batch

    def run_pipelines(self, definitions: Callable[[], dict[str, Any]],
                      indices: dict[str, Index], jobs: list[Job]) -> list[Any] | None:
        """Each job's outcome (:func:`run_and_prepare`) from the workers, which compile each
        pipeline once and prepare each document for its index (``indices`` by name) in the
        same trip; None when there are too few documents or no workers, and the caller runs
        them in-process."""
        if self.count <= 0 or time.monotonic() < self._paused_until or len(jobs) < MIN_BATCH \
                or any(i.mapping.analysed_in_python for i in indices.values()):
            return None
        snapshot = definitions()
        mappings = {name: index.mapping for name, index in indices.items()}
        dictionaries = {name: index.source_dictionary for name, index in indices.items()}
        targets = {name: (mapping.body, d.data if (d := dictionaries[name]) else None)
                   for name, mapping in mappings.items()}
        try:
            pool = self._pool()
            futures = [pool.submit(run_and_prepare, snapshot, targets, jobs[i:i + BATCH])
                       for i in range(0, len(jobs), BATCH)]
            outcomes = [outcome for future in futures for outcome in future.result()]
        except BrokenProcessPool:
            self._restart()
            return None
        for position, outcome in enumerate(outcomes):
            if isinstance(outcome, tuple) and outcome[0] not in ("error", REROUTED) \
                    and outcome[2] is not None:
                index = jobs[position][3]["_index"]
                head, bounds = outcome[2]
                outcomes[position] = (outcome[0], outcome[1],
                                      Prepared(mappings[index], head, bounds,
                                               dictionaries[index]))
        return outcomes

    def start(self) -> None:
        """Start the worker processes now, in the background, rather than on the first large
        bulk request: spawning and importing takes about a second, which that request (and
        a benchmark's first seconds) would otherwise wait for."""
        if self.count > 0:
            threading.Thread(target=self._warm, name="ingest-workers-start", daemon=True).start()

    def _warm(self) -> None:
        try:
            for future in [self._pool().submit(os.getpid) for _ in range(self.count)]:
                future.result()
        except (BrokenProcessPool, RuntimeError):  # the server stopped while they started
            pass

    def _pool(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._executor is None:
                # spawn: forking a process that runs tantivy's threads is not safe
                self._executor = ProcessPoolExecutor(
                    self.count, mp_context=multiprocessing.get_context("spawn"),
                    initializer=_start_worker,
                    initargs=(os.getpid(), grok.WATCHDOG.max_execution_ms,
                              geoip.lookup.size, user_agent.parse.size))
            return self._executor

    def _restart(self) -> None:
        log.warning("an ingest worker died; documents are prepared in-process for %d s",
                    PAUSE_AFTER_FAILURE)
        with self._lock:
            executor, self._executor = self._executor, None
            self._paused_until = time.monotonic() + PAUSE_AFTER_FAILURE
        if executor is not None:
            executor.shutdown(wait=False, cancel_futures=True)

    def close(self) -> None:
        with self._lock:
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=True, cancel_futures=True)


def _preparable(request: WriteRequest) -> bool:
    return request.op in ("index", "create") and request.source is not None \
        and request.parsed is None and request.prepared is None


def run_and_prepare(definitions: dict[str, Any],
                    targets: dict[str, tuple[dict[str, Any], bytes | None]],
                    jobs: list[Job]) -> list[Any]:
    """In a worker: each job's pipelines run (:func:`run_batch`), and the document prepared
    for its index's mapping when the server sent it, so it needs no second trip. Outcomes
    are plain data: ``(source bytes, metadata or None when unchanged, (json head, date
    bounds) or None)``, None (dropped), ``("error", ...)``, or ``(REROUTED, source bytes,
    metadata, _ingest)`` for a document its first pipeline sent to another index."""
    builders = {name: (builder_for(body), dictionary_for(dictionary))
                for name, (body, dictionary) in targets.items()}
    results: list[Any] = []
    for job, done in zip(jobs, run_batch(definitions, jobs), strict=True):
        if isinstance(done, tuple):  # sent to another index: the server goes on with it
            try:
                results.append((REROUTED, serialize(done[1]), done[1].metadata(),
                                done[1].ingest))
            except LoghavenError as error:
                results.append(error_data(error))
            continue
        if not isinstance(done, IngestDocument):
            results.append(error_data(done) if isinstance(done, LoghavenError) else done)
            continue
        source = done.source()
        try:
            body = serialize(done, source)
        except LoghavenError as error:
            results.append(error_data(error))
            continue
        metadata = done.metadata()
        target = builders.get(metadata.get("_index"))  # unchanged: a changed one is REROUTED
        prepared = None if target is None else prepare_parsed(target[0], source, body,
                                                              target[1])
        results.append((body, None if metadata == job[3] else metadata, prepared))
    return results


def _start_worker(parent: int, grok_max_execution_ms: int, geoip_cache_size: int,
                  user_agent_cache_size: int) -> None:
    """In a worker: the server's node settings that processors read, the collector's tuning,
    and an exit as soon as the server is gone, even if it was killed with -9."""
    tune_gc()
    grok.configure(max_execution_ms=grok_max_execution_ms)
    geoip.lookup.configure(geoip_cache_size)
    user_agent.parse.configure(user_agent_cache_size)

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(0)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()
