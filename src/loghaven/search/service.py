"""The search service: one entry point for every read of the node's indices.

The REST API (``api/search.py``) and the node's own features (monitors, SQL, reports) call
it alike: plain Python values in (an index expression, a request body, URL-style parameters,
a :class:`~loghaven.search.task.Cancellation`), an Elasticsearch response body out, ES-shaped
errors (:class:`~loghaven.errors.LoghavenError`) raised. Its methods block (they run tantivy
searches), so the API calls them in the thread pool. A hit's ``_source`` is the stored JSON
as an ``orjson.Fragment`` (rendered without re-encoding): ``orjson.loads(orjson.dumps(...))``
reads it. The service owns what searches share: the scroll and point-in-time contexts and
the running searches' cancellations.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from loghaven.config import DEFAULT_SALT
from loghaven.engine.catalog import Catalog, Target
from loghaven.engine.documents_state import DocState, now_ms
from loghaven.engine.index import Index
from loghaven.engine.runtime import parse_runtime
from loghaven.errors import ActionRequestValidation, IllegalArgument, LoghavenError, ParsingError
from loghaven.ingest.service import WriteService
from loghaven.ops.observe import Observers, Searched
from loghaven.params import param_bool, param_int
from loghaven.scheduler import Scheduler
from loghaven.scripting.stored import StoredScripts
from loghaven.search import root
from loghaven.search.bulk_by_scroll import (
    Progress,
    parse_conflicts,
    parse_max_docs,
    parse_requests_per_second,
    parse_slices,
)
from loghaven.search.by_query import ACTIONS as BY_QUERY_ACTIONS
from loghaven.search.by_query import ByQueryOptions, by_query
from loghaven.search.documents import read, single_index
from loghaven.search.field_caps import field_caps
from loghaven.search.field_security import salt16
from loghaven.search.reindex import ACTION as REINDEX_ACTION
from loghaven.search.reindex import check_targets, reindex
from loghaven.search.reindex import parse_request as parse_reindex
from loghaven.search.request import SearchRequest, parse_search_request
from loghaven.search.restrictions import Restrictions, restrictions
from loghaven.search.scroll import ScrollContext, SearchContextMissing, SearchContexts
from loghaven.search.task import Cancellation, RunningSearches
from loghaven.search.validate import validate_query
from loghaven.security import access
from loghaven.security import context as security_context
from loghaven.tasks import TaskManager, Work

Params = Mapping[str, str]

#: OpenSearch's action of listing all points in time.
PIT_READALL = "indices:data/read/point_in_time/readall"

#: The ``_msearch`` header keys that are index-resolution parameters of their item.
_HEADER_PARAMS = ("ignore_unavailable", "allow_no_indices", "expand_wildcards")
#: The URL parameters ``_count`` takes (the rest, e.g. ``size``, are not its own).
_COUNT_PARAMS = ("q", "df", "default_operator", "analyzer", "analyze_wildcard", "lenient",
                 "timeout")
#: An ``_msearch`` item: its header and body, or the error its lines failed to parse with.
MsearchItem = tuple[dict[str, Any], dict[str, Any]] | LoghavenError


class SearchService:
    """The searches of one node over its catalog."""

    def __init__(self, catalog: Catalog, node_id: str,
                 writes: WriteService | None = None, *, salt: str = DEFAULT_SALT,
                 tasks: TaskManager | None = None,
                 scripts: StoredScripts | None = None,
                 observers: Observers | None = None) -> None:
        self.catalog = catalog
        self.node_id = node_id
        #: The salt of masked fields' hashes (``security.compliance.salt``).
        self.salt = salt16(salt)
        #: Where ``_delete_by_query``/``_update_by_query`` write their matches.
        self.writes = writes if writes is not None else WriteService(catalog)
        #: Scroll and point-in-time contexts.
        self.contexts = SearchContexts(catalog)
        #: The searches being served, cancelled all at once when the node stops.
        self.running = RunningSearches()
        #: Where the bulk-by-scroll operations (by query, ``_reindex``) run as tasks.
        self.tasks = tasks if tasks is not None else TaskManager(catalog.metastore, node_id)
        #: The stored scripts that aggregations and ``_reindex`` may name by id.
        self.scripts = scripts if scripts is not None else StoredScripts(catalog.metastore)
        #: Told of every search phase run (metrics, slow logs).
        self.observers = observers if observers is not None else Observers()

    def schedule(self, scheduler: Scheduler) -> None:
        self.contexts.schedule(scheduler)

    def cancel_all(self, reason: str) -> None:
        """Cancel every running search, and every one that starts from now on."""
        self.running.cancel_all(reason)

    def close(self) -> None:
        self.contexts.close()

    def _restrictions(self, names: Iterable[str]) -> Restrictions:
        """The acting subject's DLS and FLS on these indices (none for the node itself)."""
        return restrictions(names, self.salt, now_ms(), self.catalog.aliases_of)

    @contextlib.contextmanager
    def _tracked(self, cancellation: Cancellation | None) -> Iterator[Cancellation]:
        """The caller's cancellation, or one of our own that the node's shutdown sets."""
        if cancellation is not None:
            yield cancellation
            return
        with self.running.track() as own:
            yield own

    def _root_search(self, kind: str, body: Any, snapshot: root.Snapshot,
                     parsed: SearchRequest, **options: Any) -> root.SearchOutcome:
        """:func:`root.search`, reported to the observers whether it answers or fails."""
        started = time.perf_counter()
        try:
            outcome = root.search(snapshot, parsed, now_ms=now_ms(), node_id=self.node_id,
                                  **options)
        except Exception as error:
            self.observers.searched(Searched(
                kind, tuple(dict.fromkeys(snapshot.index_names())),
                (time.perf_counter() - started) * 1000, 0.0, None, body, type(error).__name__))
            raise
        self.observers.searched(Searched(kind, outcome.indices,
                                         (time.perf_counter() - started) * 1000,
                                         outcome.fetch_ms, outcome.total, body))
        return outcome

    # -- _search and scroll --

    def search(self, expression: str | None, body: dict[str, Any], params: Params, *,
               cancellation: Cancellation | None = None) -> dict[str, Any]:
        """``_search``: a plain search, the first page of a scroll (``scroll`` parameter),
        or a search over a point in time (``pit`` in the body; then no index expression)."""
        parsed = self._parse(body, params)
        with self._tracked(cancellation) as tracked:
            return self._search(expression, parsed, params, tracked, body)

    def _parse(self, body: dict[str, Any], params: Params) -> SearchRequest:
        """The request, with the stored scripts its aggregations name put in their place."""
        for key in ("aggs", "aggregations"):
            if isinstance(body, dict) and key in body:
                resolved = self.scripts.resolve_in(body[key])
                if resolved is not body[key]:
                    body = {**body, key: resolved}
        return parse_search_request(body, params)

    def _search(self, expression: str | None, parsed: SearchRequest, params: Params,
                cancellation: Cancellation, body: Any, kind: str = "search"
                ) -> dict[str, Any]:
        contexts = self.contexts
        if parsed.pit_id is not None:
            if expression is not None:
                raise ActionRequestValidation(
                    "Validation Failed: 1: [indices] cannot be used with point in time. Do not "
                    "specify any index with point in time.;")
            if parsed.scroll_ms is not None:
                raise ActionRequestValidation("Validation Failed: 1: using [point in time] is "
                                              "not allowed in a scroll context;")
            keep_alive_ms = None if parsed.pit_keep_alive_ms is None else \
                contexts.keep_alive_ms(parsed.pit_keep_alive_ms, "keep_alive", pit=True)
            try:
                pit = contexts.pit(parsed.pit_id, keep_alive_ms)
            except SearchContextMissing as error:
                raise root.SearchPhaseError(error, "", self.node_id) from error
            outcome = self._root_search(
                kind, body, pit.snapshot, parsed, pit=True, cancellation=cancellation,
                restrictions=self._restrictions(pit.snapshot.index_names()))
            return {"pit_id": parsed.pit_id, **outcome.body}
        if parsed.scroll_ms is not None and parsed.from_:
            raise ActionRequestValidation("Validation Failed: 1: using [from] is not allowed "
                                          "in a scroll context;")
        found = self.catalog.resolve_params(expression, params)
        if parsed.scroll_ms is not None:
            self._scroll_keep_alive(params["scroll"], found)
            contexts.check_scroll_room()
        snapshot = root.take_snapshot(found, pin=parsed.scroll_ms is not None)
        outcome = self._root_search(
            kind, body, snapshot, parsed, cancellation=cancellation,
            restrictions=self._restrictions(t.index.name for t in found))
        if parsed.scroll_ms is None:
            return outcome.body
        scroll_id = contexts.open_scroll(ScrollContext(
            snapshot, parsed, outcome.last, outcome.total,
            time.monotonic() + parsed.scroll_ms / 1000))
        return {"_scroll_id": scroll_id, **outcome.body}

    def scroll(self, scroll_id: Any, keep_alive: Any, params: Params, *,
               cancellation: Cancellation | None = None) -> dict[str, Any]:
        """The next page of a scroll; ``keep_alive`` (e.g. ``"1m"``) extends it."""
        if not scroll_id:
            raise ActionRequestValidation("Validation Failed: 1: scrollId is missing;")
        keep_alive_ms = None if keep_alive is None else self._scroll_keep_alive(keep_alive, [])
        try:
            context = self.contexts.scroll(str(scroll_id), keep_alive_ms)
        except SearchContextMissing as error:
            raise root.SearchPhaseError(error, "", self.node_id) from error
        parsed = context.request
        parsed.total_as_int = param_bool(params, "rest_total_hits_as_int", parsed.total_as_int)
        with self._tracked(cancellation) as tracked:
            outcome = self._root_search(
                "scroll", None, context.snapshot, parsed, cursor=context.cursor,
                known_total=context.total, cancellation=tracked,
                restrictions=self._restrictions(context.snapshot.index_names()))
        context.cursor = outcome.last
        return {"_scroll_id": scroll_id, **outcome.body}

    def _scroll_keep_alive(self, value: Any, found: list[Target]) -> int:
        """A scroll's keep-alive; over the limit it fails the search on its shards, as in
        ES."""
        try:
            return self.contexts.keep_alive_ms(value, "scroll")
        except IllegalArgument as error:
            raise root.SearchPhaseError(error, found[0].index.name if found else "",
                                        self.node_id) from error

    def clear_scroll(self, scroll_ids: list[str] | None) -> dict[str, Any]:
        """Free the given scrolls (all when None)."""
        return {"succeeded": True, "num_freed": self.contexts.clear_scrolls(scroll_ids)}

    # -- points in time --

    def open_pit(self, expression: str, keep_alive: Any, params: Params) -> dict[str, Any]:
        """Open a point in time over the expression's indices (OpenSearch's response)."""
        if not keep_alive:
            raise ActionRequestValidation("Validation Failed: 1: [keep_alive] is not "
                                          "specified;")
        keep_alive_ms = self.contexts.keep_alive_ms(keep_alive, "keep_alive", pit=True)
        found = self.catalog.resolve_params(expression, params)
        pit_id, context = self.contexts.open_pit(root.take_snapshot(found, pin=True),
                                                 keep_alive_ms)
        total = len(context.snapshot.entries)
        return {"pit_id": pit_id,
                "_shards": {"total": total, "successful": total, "skipped": 0, "failed": 0},
                "creation_time": context.created_ms}

    def list_pits(self) -> dict[str, Any]:
        """The caller's points in time; all of them for a subject that may list the points in
        time of every index (``indices:data/read/point_in_time/readall`` on ``*``, as
        OpenSearch's ``point_in_time_full_access`` grants)."""
        owner = security_context.owner()
        every = access.allows("*", PIT_READALL)
        return {"pits": [
            {"pit_id": pit_id, "creation_time": c.created_ms, "keep_alive": c.keep_alive_ms}
            for pit_id, c in self.contexts.pits().items() if every or c.owner == owner]}

    def close_pits(self, pit_ids: list[str] | None) -> dict[str, Any]:
        """Close the given points in time (all when None), OpenSearch's response."""
        return {"pits": [{"successful": ok, "pit_id": pit_id}
                         for pit_id, ok in self.contexts.close_pits(pit_ids)]}

    # -- _count, _msearch --

    def count(self, expression: str | None, body: dict[str, Any], params: Params, *,
              cancellation: Cancellation | None = None) -> dict[str, Any]:
        for key in body:
            if key != "query":
                raise ParsingError(f"request does not support [{key}]")
        parsed = parse_search_request(body, {k: v for k, v in params.items()
                                             if k in _COUNT_PARAMS})
        parsed.size, parsed.track_total_hits = 0, True
        found = self.catalog.resolve_params(expression, params)
        with self._tracked(cancellation) as tracked:
            outcome = self._root_search(
                "count", body, root.take_snapshot(found), parsed, cancellation=tracked,
                restrictions=self._restrictions(t.index.name for t in found))
        return {"count": outcome.total or 0, "_shards": outcome.body["_shards"]}

    def msearch(self, expression: str | None, items: Sequence[MsearchItem], params: Params, *,
                cancellation: Cancellation | None = None) -> dict[str, Any]:
        """``_msearch``: each item a search with its header's index and resolution
        parameters over ``params``; a failed item answers its error in its place."""
        started = time.perf_counter()
        with self._tracked(cancellation) as tracked:
            responses = [self._msearch_item(expression, item, params, tracked)
                         for item in items]
        return {"took": int((time.perf_counter() - started) * 1000), "responses": responses}

    def _msearch_item(self, expression: str | None, item: MsearchItem, params: Params,
                      cancellation: Cancellation) -> dict[str, Any]:
        try:
            if isinstance(item, LoghavenError):
                raise item
            header, body = item
            target = header.get("index", expression)
            if isinstance(target, list):
                target = ",".join(target)
            merged = {k: v for k, v in params.items() if k not in _HEADER_PARAMS}
            merged.update({k: _as_param(header[k]) for k in _HEADER_PARAMS if k in header})
            parsed = self._parse(body, merged)
            return {**self._search(target, parsed, merged, cancellation, body, "msearch"),
                    "status": 200}
        except LoghavenError as error:
            cancellation.check()
            return error.to_body()

    # -- documents by id --

    def get(self, expression: str, doc_id: str) -> tuple[Index, DocState | None]:
        """The index a GET, HEAD or ``_source`` names and its document ``doc_id`` as the
        acting subject may see it (None: not found)."""
        index = single_index(self.catalog, expression)
        return index, read(index, doc_id, self._restrictions((index.name,)).get(index.name))

    def mget(self, docs: Sequence[tuple[str, str]],
             ) -> list[tuple[Index, DocState | None] | LoghavenError]:
        """``_mget``: each (index expression, id) read as :meth:`get`; one that fails
        answers its error in its place."""
        out: list[tuple[Index, DocState | None] | LoghavenError] = []
        for expression, doc_id in docs:
            try:
                out.append(self.get(expression, doc_id))
            except LoghavenError as error:
                out.append(error)
        return out

    # -- _validate/query, _field_caps --

    def validate_query(self, expression: str | None, body: dict[str, Any],
                       params: Params) -> dict[str, Any]:
        query = _q_query(params) if "q" in params else body.get("query")
        found = self.catalog.resolve_params(expression, params)
        return validate_query([t.index for t in found], query, now_ms=now_ms(),
                              explain=param_bool(params, "explain"))

    def field_caps(self, expression: str | None, body: dict[str, Any],
                   params: Params) -> dict[str, Any]:
        raw = params.get("fields", body.get("fields"))
        if isinstance(raw, str):
            raw = raw.split(",")
        if not isinstance(raw, list) or not all(isinstance(p, str) for p in raw):
            raw = []
        patterns = [p for p in raw if p.strip()]
        if not patterns:
            raise ActionRequestValidation("Validation Failed: 1: specified fields can't be "
                                          "null or empty;")
        found = self.catalog.resolve_params(expression, params)
        return field_caps([t.index for t in found], [p.strip() for p in patterns],
                          include_unmapped=param_bool(params, "include_unmapped"),
                          restrictions=self._restrictions(t.index.name for t in found),
                          runtime=parse_runtime(body.get("runtime_mappings"),
                                                mapping_error=False))

    # -- by query --

    def by_query(self, op: str, expression: str, body: dict[str, Any], params: Params, *,
                 cancellation: Cancellation | None = None) -> tuple[int, dict[str, Any]]:
        """``_delete_by_query`` (``op="delete"``) or ``_update_by_query`` (``"update"``):
        (HTTP status, ES response body), or the task's id with
        ``wait_for_completion=false``."""
        if "script" in body:
            raise IllegalArgument("scripts are not supported by Loghaven; _update_by_query "
                                  "re-indexes the matching documents as they are")
        for key in body:
            if key not in ("query", "max_docs", "conflicts", "size"):
                raise ParsingError(f"Unknown key for a {type(body[key]).__name__} in [{key}].")
        if op == "delete" and "query" not in body and "q" not in params:
            raise ActionRequestValidation("Validation Failed: 1: query is missing;")
        proceed = parse_conflicts(params.get("conflicts", body.get("conflicts", "abort")))
        query = _q_query(params) if "q" in params else body.get("query")
        max_docs = parse_max_docs(param_int(params, "max_docs",
                                            body.get("max_docs", body.get("size"))))
        batch_size = param_int(params, "scroll_size", 1000)
        if batch_size is not None and batch_size < 0:
            raise IllegalArgument(f"[size] parameter cannot be negative, found [{batch_size}]")
        options = ByQueryOptions(
            op=op, proceed_on_conflicts=proceed, max_docs=max_docs,
            batch_size=batch_size or 1000, refresh=param_bool(params, "refresh"),
            pipeline=params.get("pipeline") if op == "update" else None)
        progress, slices = _progress(params), parse_slices(params.get("slices"))
        found = self.catalog.resolve_params(expression, params)
        limits = self._restrictions(t.index.name for t in found)

        def work(tracked: Cancellation) -> tuple[int, dict[str, Any]]:
            return by_query(found, query, options, self.writes, now_ms=now_ms(),
                            progress=progress, cancellation=tracked, restrictions=limits,
                            slices=slices)
        names = ", ".join(n for n in expression.split(",") if n)
        return self._run_task(BY_QUERY_ACTIONS[op], f"{op}-by-query [{names}]", work, params,
                              progress, cancellation)

    def reindex(self, body: dict[str, Any], params: Params, *,
                cancellation: Cancellation | None = None) -> tuple[int, dict[str, Any]]:
        """``_reindex``: (HTTP status, ES response body), or the task's id with
        ``wait_for_completion=false``."""
        if "pipeline" in params:
            raise IllegalArgument("_reindex doesn't support [pipeline] as a query parameter. "
                                  "Specify it in the [dest] object instead.")
        if isinstance(body, dict) and "script" in body:
            body = {**body, "script": self.scripts.resolve(body["script"])}
        request = parse_reindex(body, param_int(params, "max_docs"))
        progress, slices = _progress(params), parse_slices(params.get("slices"))
        if slices not in (None, 1) and request.part is not None:
            raise ActionRequestValidation("Validation Failed: 1: can't specify both manual "
                                          "and automatic slicing at the same time;")
        found = self.catalog.resolve_params(",".join(request.sources), {})
        check_targets(self.catalog, found, request.dest,
                      param_bool(params, "require_alias"))
        limits = self._restrictions(t.index.name for t in found)
        refresh = param_bool(params, "refresh")

        def work(tracked: Cancellation) -> tuple[int, dict[str, Any]]:
            return reindex(found, request, self.writes, refresh=refresh, now_ms=now_ms(),
                           progress=progress, cancellation=tracked, restrictions=limits,
                           slices=slices)
        return self._run_task(REINDEX_ACTION, request.description, work, params, progress,
                              cancellation)

    def _run_task(self, action: str, description: str, work: Work, params: Params,
                  progress: Progress, cancellation: Cancellation | None,
                  ) -> tuple[int, dict[str, Any]]:
        """Run a bulk-by-scroll operation as a task: here, or in the background with
        ``wait_for_completion=false``."""
        if not param_bool(params, "wait_for_completion", True):
            return self.tasks.run(action, description, work, background=True,
                                  progress=progress)
        with self._tracked(cancellation) as tracked:
            return self.tasks.run(action, description, work, background=False,
                                  cancellation=tracked, progress=progress)


def _progress(params: Params) -> Progress:
    return Progress(parse_requests_per_second(params.get("requests_per_second")))


def _q_query(params: Params) -> dict[str, Any] | None:
    """The query of a ``q`` URL parameter (Lucene syntax, with ``df`` and
    ``default_operator``)."""
    return parse_search_request({}, {k: v for k, v in params.items()
                                     if k in ("q", "df", "default_operator")}).query


def _as_param(value: Any) -> str:
    """An ``_msearch`` header value as the URL parameter it stands for."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    return str(value)
