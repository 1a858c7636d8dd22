"""The write service: one entry point for every write to the node's indices.

Single documents (index, create, update, delete), ``_bulk`` and the writes of
``_delete_by_query``/``_update_by_query`` and ``_reindex`` all come here, from the REST API and from the node's
own features alike. For each write it resolves the target (an index, an alias's write index, a
new index), runs the ingest pipeline hook (:mod:`loghaven.ingest.pipelines`), and writes;
then each index written to is synced (the log fsync that makes the writes durable) and, if
asked, refreshed, exactly once per request, which is what makes bulk fast. Its methods block,
so the API calls them in the thread pool.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from loghaven.engine import templates
from loghaven.engine.catalog import CREATE_INDEX, Catalog
from loghaven.engine.documents_state import WriteRequest, WriteResult
from loghaven.engine.index import Index
from loghaven.engine.names import resolve_date_math
from loghaven.errors import IndexNotFound, LoghavenError
from loghaven.ingest.bulk import BulkItem, result_body
from loghaven.ingest.pipeline.runner import REROUTED, error_of
from loghaven.ingest.pipeline.store import PipelineStore
from loghaven.ingest.pipelines import (
    Pipelines,
    apply_metadata,
    ingestible,
    job,
    pipeline_ids,
    resume_rerouted,
    run_pipelines,
)
from loghaven.ingest.workers import IngestWorkers
from loghaven.ops.observe import Observers, Written
from loghaven.security import access, context, system_indices

Outcome = WriteResult | LoghavenError
#: ``refresh`` parameter values that refresh the written indices before answering.
REFRESHING = ("true", "", "wait_for")
#: Each write's OpenSearch action (a bulk item's, or a single document's).
WRITE_ACTIONS = {"index": "indices:data/write/index", "create": "indices:data/write/index",
                 "update": "indices:data/write/update", "delete": "indices:data/write/delete"}


class WriteService:
    """The writes of one node over its catalog; ``workers`` prepare large bulk requests."""

    def __init__(self, catalog: Catalog, workers: IngestWorkers | None = None,
                 observers: Observers | None = None) -> None:
        self.catalog = catalog
        self.workers = workers if workers is not None else IngestWorkers(0)
        self.pipelines = PipelineStore(catalog.metastore)
        #: Told of every index's part of each write (metrics, slow logs).
        self.observers = observers if observers is not None else Observers()

    def close(self) -> None:
        self.workers.close()

    # -- the REST API's writes --

    def write_document(self, index_name: str, request: WriteRequest, *,
                       pipeline: str | None = None, refresh: str | None = None,
                       auto_create: bool = True) -> tuple[int, dict[str, Any]]:
        """One document's index, create, update or delete: (HTTP status, ES response body).

        A failed write raises its error, as ES answers it for a single document.
        """
        item = BulkItem(request.op, index_name, request, pipeline=pipeline)
        (index, outcome), = self._execute([item], refresh, auto_create=auto_create)
        if isinstance(outcome, LoghavenError):
            raise outcome
        if index is None:  # dropped by a pipeline
            body = _dropped_body(index_name, outcome)
            return body.pop("status"), body
        body = result_body(index, request.op, outcome, request.doc_id)
        status = body.pop("status")
        if request.op == "delete" and outcome.result == "not_found":
            status = 404
        return status, body

    def bulk(self, items: list[BulkItem], refresh: str | None) -> dict[str, Any]:
        """``_bulk`` over parsed items: ES's response, items in the request's order.

        A failed item fails alone; items are written grouped by target index.
        """
        started = time.monotonic()
        results = self._execute(items, refresh)
        slots = []
        for item, (index, outcome) in zip(items, results, strict=True):
            doc_id = item.request.doc_id if item.request else None
            if index is None and isinstance(outcome, WriteResult):  # dropped by a pipeline
                slots.append({item.action: _dropped_body(item.index, outcome)})
            elif index is None:
                assert isinstance(outcome, LoghavenError)
                slots.append({item.action: {"_index": item.index, "_id": doc_id,
                                            "status": outcome.status,
                                            "error": outcome.to_cause()}})
            else:
                slots.append({item.action: result_body(index, item.action, outcome, doc_id)})
        took = int((time.monotonic() - started) * 1000)
        errors = any("error" in next(iter(slot.values())) for slot in slots)
        return {"took": took, "errors": errors, "items": slots}

    # -- writes in batches, for the node's own operations (by query) --

    def write_batch(self, index: Index, requests: list[WriteRequest],
                    pipeline: str | None = None) -> list[Outcome]:
        """Write ``requests`` to ``index`` through the pipeline hook, without syncing: the
        caller calls :meth:`commit` once when its last batch is written."""
        pipelines = pipeline_ids(pipeline, index.settings.flat)
        targets = _Targets(self.catalog, self.pipelines, False)
        outcomes: list[Outcome | None] = [None] * len(requests)
        passed: list[int] = []
        for position, request in enumerate(requests):
            try:
                if any(pipelines) and ingestible(request) and run_pipelines(
                        pipelines, request, index.name, self.pipelines,
                        targets.final_pipeline) is None:
                    outcomes[position] = dropped(request)
                    continue
            except LoghavenError as error:
                outcomes[position] = error
            else:
                passed.append(position)
        started = time.perf_counter()
        written = [requests[p] for p in passed]
        for position, outcome in zip(passed, self._write(index, written), strict=True):
            outcomes[position] = outcome
        self._observed(index, written, started, [outcomes[p] for p in passed])
        return [o for o in outcomes if o is not None]

    def write_items(self, items: list[BulkItem]) -> list[tuple[Index | None, Outcome]]:
        """Write items as ``_bulk`` does (targets resolved or created, pipelines, access
        checks, one sync per index), for ``_reindex``'s batches: each item's index (None when
        it failed before one was found, or a pipeline dropped it) and outcome."""
        return self._execute(items, None)

    def commit(self, index: Index, refresh: bool) -> None:
        """Make an index's writes durable (and visible if ``refresh``); raises if the sync
        fails."""
        failure = self._commit(index, refresh)
        if failure is not None:
            raise failure

    # -- the one write path --

    def _execute(self, items: list[BulkItem], refresh: str | None, *,
                 auto_create: bool = True) -> list[tuple[Index | None, Outcome]]:
        """Each item's target index (``None`` when it failed before one was found) and
        outcome; each index is written once, then synced and refreshed once."""
        results: list[tuple[Index | None, Outcome] | None] = [None] * len(items)
        groups: dict[str, tuple[Index, list[int], list[WriteRequest]]] = {}
        targets = _Targets(self.catalog, self.pipelines, auto_create)
        staged: list[tuple[int, str, Pipelines]] = []
        for position, item in enumerate(items):
            if item.error is None:
                assert item.index is not None and item.request is not None
                try:
                    staged.append((position, *targets.locate(item.index, item.pipeline,
                                                             item.request)))
                except LoghavenError as error:
                    item.error = error
        moved = self._run_pipelines(items, staged, targets)
        for position, item in enumerate(items):
            index = None
            if item.error is None and position in moved:
                assert item.index is not None and item.request is not None
                name = moved[position]
                if name is None:
                    results[position] = (None, dropped(item.request))
                    continue
                try:
                    if name != resolve_date_math(item.index):
                        targets.locate(name, None, item.request, ingest=False)
                        item.index = name
                    index = targets.target(item.index)
                except LoghavenError as error:
                    item.error = error
            if item.error is not None:
                results[position] = (None, item.error)
            else:
                assert index is not None and item.request is not None
                group = groups.setdefault(index.name, (index, [], []))
                group[1].append(position)
                group[2].append(item.request)
        for index, positions, requests in groups.values():
            started = time.perf_counter()
            outcomes = self._write(index, requests)
            failure = self._commit(index, refresh in REFRESHING)
            if failure is not None:  # not durable: no write to this index is acknowledged
                outcomes = [o if isinstance(o, LoghavenError) else failure for o in outcomes]
            self._observed(index, requests, started, outcomes)
            for position, outcome in zip(positions, outcomes, strict=True):
                results[position] = (index, outcome)
        done = [result for result in results if result is not None]
        assert len(done) == len(items)
        return done

    def _run_pipelines(self, items: list[BulkItem], staged: list[tuple[int, str, Pipelines]],
                       targets: _Targets) -> dict[int, str | None]:
        """Run the staged items' pipelines: each item's index now (None: dropped); an item
        that failed gets its error. Many new documents go to the ingest workers, which also
        prepare them for their index's mapping."""
        moved: dict[int, str | None] = {}
        remote = [(position, name, pipelines) for position, name, pipelines in staged
                  if any(pipelines) and items[position].request.op in ("index", "create")]
        jobs = [job(pipelines, items[position].request, name)
                for position, name, pipelines in remote]
        indices = {name: index for position, name, _ in remote
                   if (index := targets.index_of(items[position].index)) is not None}
        answers = self.workers.run_pipelines(self.pipelines.definitions, indices,
                                             jobs) if remote else None
        done = set()
        if answers is not None:
            for (position, name, _), sent, answer in zip(remote, jobs, answers, strict=True):
                request = items[position].request
                done.add(position)
                if answer is None:
                    moved[position] = None
                elif answer[0] == "error":
                    items[position].error = error_of(answer)
                elif answer[0] == REROUTED:
                    try:
                        moved[position] = resume_rerouted(request, *answer[1:], self.pipelines,
                                                          targets.final_pipeline)
                    except LoghavenError as error:
                        items[position].error = error
                else:
                    request.source, fields, request.prepared = answer
                    moved[position] = apply_metadata(request, fields or sent[3], name)
        for position, name, pipelines in staged:
            item = items[position]
            if position in done:
                continue
            moved[position] = name
            if not any(pipelines) or not ingestible(item.request):
                continue
            try:
                moved[position] = run_pipelines(pipelines, item.request, name,
                                                self.pipelines, targets.final_pipeline)
            except LoghavenError as error:
                item.error = error
        return moved

    def _observed(self, index: Index, requests: list[WriteRequest], started: float,
                  outcomes: Sequence[Outcome | None]) -> None:
        if requests:
            self.observers.written(Written(
                index.name, requests, (time.perf_counter() - started) * 1000,
                sum(1 for o in outcomes if isinstance(o, LoghavenError)), outcomes))

    def _write(self, index: Index, requests: list[WriteRequest]) -> list[Outcome]:
        outcomes: list[Outcome] = []
        for batch in self.workers.batches(index, requests):
            outcomes += index.write(batch)
        return outcomes

    @staticmethod
    def _commit(index: Index, refresh: bool) -> LoghavenError | None:
        """Sync the index's log, then refresh it if asked; the sync's failure, if any."""
        try:
            index.sync()
        except LoghavenError as failure:
            return failure
        if refresh:
            index.try_refresh()
        return None


class _Targets:
    """The target indices of one request's writes, each looked up once.

    The pipeline hook runs before a missing index is created, as in ES (with the pipelines
    its templates would set), so a write that fails in its pipeline creates no index.
    """

    def __init__(self, catalog: Catalog, store: PipelineStore, auto_create: bool) -> None:
        self.catalog = catalog
        self.store = store
        self.auto_create = auto_create
        self.found: dict[str, Index | LoghavenError | None] = {}
        self.settings: dict[str, Any] = {}

    def locate(self, name: str, pipeline: str | None, request: WriteRequest, *,
               ingest: bool = True) -> tuple[str, Pipelines]:
        """Check that ``request`` may be written to ``name`` (which may not exist yet): the
        index name its pipelines see, and the pipelines it runs through."""
        if name not in self.found:
            self.found[name] = self._existing(name)
        target = self.found[name]
        if context.current() is not None:
            _check_access(resolve_date_math(name), target, request.op, self.catalog)
        if isinstance(target, LoghavenError):
            raise target
        resolved = resolve_date_math(name)
        if not ingest or not ingestible(request):
            return resolved, (None, None)
        return resolved, pipeline_ids(pipeline, self._settings(name))

    def index_of(self, name: str) -> Index | None:
        """The existing index a located write to ``name`` goes to."""
        target = self.found.get(name)
        return target if isinstance(target, Index) else None

    def final_pipeline(self, name: str) -> str | None:
        """The ``index.final_pipeline`` of ``name`` (a document re-routed there runs it)."""
        if name not in self.found:
            self.found[name] = self._existing(name)
        if isinstance(self.found[name], LoghavenError):
            return None
        return self._settings(name).get("index.final_pipeline")

    def _settings(self, name: str) -> Any:
        settings = self.settings.get(name)
        if settings is None:
            target = self.found[name]
            settings = self.settings[name] = target.settings.flat \
                if isinstance(target, Index) else templates.resolve(
                    self.catalog.metastore, resolve_date_math(name))["settings"]
        return settings

    def target(self, name: str) -> Index:
        """The index a located write to ``name`` goes to, created if it is new."""
        target = self.found[name]
        if isinstance(target, LoghavenError):
            raise target
        if target is None:
            try:
                target = self.catalog.write_index(name)
            except LoghavenError as error:
                self.found[name] = error
                raise
            self.found[name] = target
        return target

    def _existing(self, name: str) -> Index | LoghavenError | None:
        """The index a write to ``name`` goes to if it exists; ``None`` if it is to be made."""
        try:
            return self.catalog.write_index(name, auto_create=False)
        except IndexNotFound as error:
            return None if self.auto_create else error
        except LoghavenError as error:
            return error


def _check_access(name: str, target: Index | LoghavenError | None, op: str,
                  catalog: Catalog) -> None:
    """OpenSearch's checks of a write acting for a subject, before whether its target exists:
    the item's own action on the name it was sent to, or on the index that name reaches (also
    through one of its aliases), ``indices:admin/create`` on an index it would create, and no
    update where document- or field-level security applies."""
    action = WRITE_ACTIONS[op]
    if isinstance(target, Index):
        aliases = catalog.aliases_of(target.name)
        if not access.allows(target.name, action, aliases):
            # a system index is not written through an alias that a role grants
            access.check(target.name if system_indices.protected(target.name) else name,
                         action)
        if op == "update":
            access.check_update(target.name, aliases)
        return
    access.check(name, action)
    if target is None:
        access.check(name, CREATE_INDEX)
    if op == "update":
        access.check_update(name)


def dropped(request: WriteRequest) -> WriteResult:
    """The outcome of a write whose document a pipeline dropped (ES answers ``noop``)."""
    return WriteResult(request.doc_id or "auto-generated", -3, -2, "noop", 200)


def _dropped_body(index: str | None, outcome: Outcome) -> dict[str, Any]:
    assert isinstance(outcome, WriteResult)
    # ES writes no _seq_no for an operation that has none
    return {"_index": index, "_id": outcome.doc_id, "_version": outcome.version,
            "result": "noop", "_shards": {"total": 0, "successful": 0, "failed": 0},
            "status": 200}
