"""Stored pipelines: definitions in the metastore (kind ``ingest_pipeline``), compiled once.

A PUT compiles the definition first, so an invalid one is refused with ES's error and never
stored. Compiled pipelines are cached by id and revision (a PUT's time in nanoseconds) and
the cache entry is dropped on PUT/DELETE, so the write path compiles a pipeline once, not once
per document; ingest worker processes get the revisions with the definitions and keep their
own cache (:mod:`loghaven.ingest.pipeline.batch`).
"""

from __future__ import annotations

import fnmatch
import threading
import time
from typing import Any

import loghaven.ingest.processors  # noqa: F401  (fills the processor registry)
from loghaven.errors import ResourceNotFound
from loghaven.ingest.pipeline.compile import compile_pipeline
from loghaven.ingest.pipeline.steps import Pipeline
from loghaven.storage.metastore import Metastore

KIND = "ingest_pipeline"
#: What workers get: each pipeline's revision and definition, by id.
Definitions = dict[str, tuple[int, dict[str, Any]]]


class PipelineStore:
    """The node's pipelines."""

    def __init__(self, metastore: Metastore) -> None:
        self.metastore = metastore
        self._lock = threading.Lock()
        self._stored: dict[str, dict[str, Any]] | None = None
        self._compiled: dict[str, tuple[int, Pipeline]] = {}

    def _all(self) -> dict[str, dict[str, Any]]:
        """Every record by id: a snapshot, replaced (never changed) by a PUT or DELETE, so
        readers iterate it without the lock."""
        with self._lock:
            if self._stored is None:
                self._stored = self.metastore.list(KIND)
            return self._stored

    def put(self, pipeline_id: str, definition: dict[str, Any]) -> None:
        compile_pipeline(pipeline_id, definition)
        self._all()
        record = {"definition": definition, "revision": time.time_ns()}
        with self._lock:
            self.metastore.put(KIND, pipeline_id, record)
            assert self._stored is not None
            self._stored = {**self._stored, pipeline_id: record}
            self._compiled.pop(pipeline_id, None)

    def compile_all(self, definitions: dict[str, dict[str, Any]]) -> dict[str, Pipeline]:
        """Compile every one of ``definitions`` (ES's error for the first invalid one), so
        that :meth:`replace_all` can be checked before anything else changes."""
        return {pid: compile_pipeline(pid, definition)
                for pid, definition in definitions.items()}

    def replace_all(self, definitions: dict[str, dict[str, Any]],
                    compiled: dict[str, Pipeline]) -> None:
        """Make ``definitions`` (compiled by :meth:`compile_all`) the node's pipelines, in one
        transaction: a snapshot's global state restored, as OpenSearch puts the snapshot's
        ingest metadata in place of the cluster's. Usable at once, already compiled."""
        stored = self._all()
        revision = time.time_ns()
        records = {pid: {"definition": definition, "revision": revision}
                   for pid, definition in definitions.items()}
        with self._lock:
            self.metastore.put_many([(KIND, pid, None) for pid in stored if pid not in records]
                                    + [(KIND, pid, record) for pid, record in records.items()])
            self._stored = records
            self._compiled = {pid: (revision, compiled[pid]) for pid in records}

    def get(self, expression: str | None) -> dict[str, dict[str, Any]]:
        """The definitions whose id matches ``expression`` (comma list, wildcards; all when
        None or ``*``)."""
        stored = self._all()
        return {pid: record["definition"] for pid, record in stored.items()
                if _matches(pid, expression)}

    def delete(self, expression: str) -> None:
        """Delete the pipelines ``expression`` names; an id (not a pattern) that matches
        nothing is ES's ``resource_not_found_exception``."""
        names = self.get(expression)
        if not names and "*" not in expression:
            raise ResourceNotFound(f"pipeline [{expression}] is missing")
        with self._lock:
            self.metastore.put_many([(KIND, name, None) for name in names])
            assert self._stored is not None
            self._stored = {k: v for k, v in self._stored.items() if k not in names}
            for name in names:
                self._compiled.pop(name, None)

    def pipeline(self, pipeline_id: str) -> Pipeline | None:
        """The compiled pipeline ``pipeline_id``, None if there is none."""
        record = self._all().get(pipeline_id)
        if record is None:
            return None
        cached = self._compiled.get(pipeline_id)
        if cached is not None and cached[0] == record["revision"]:
            return cached[1]
        pipeline = compile_pipeline(pipeline_id, record["definition"])
        self._compiled[pipeline_id] = (record["revision"], pipeline)
        return pipeline

    def definitions(self) -> Definitions:
        return {pid: (record["revision"], record["definition"])
                for pid, record in self._all().items()}


def _matches(pipeline_id: str, expression: str | None) -> bool:
    if expression in (None, "", "*", "_all"):
        return True
    assert expression is not None
    return any(fnmatch.fnmatchcase(pipeline_id, part.strip())
               for part in expression.split(","))
