"""Search APIs: _search, scroll, point in time, _count, _msearch, _validate/query,
_field_caps, _delete_by_query and _update_by_query.

Index expressions in paths use ``{index:path}`` so that date-math names whose ``/`` arrives
decoded (``<logs-{now/d}>``) still route. The search contexts (scroll, point in time) belong
to the node.
"""

from __future__ import annotations

import functools
import time
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from loghaven.api.disconnect import cancellable
from loghaven.api.http import (
    body_bytes,
    json_body,
    json_response,
    large_json_response,
    node_of,
    param_bool,
    param_int,
    parse_json,
    run,
)
from loghaven.api.indices import targets
from loghaven.engine.catalog import Target
from loghaven.engine.index import now_ms
from loghaven.errors import ActionRequestValidation, IllegalArgument, LoghavenError, ParsingError
from loghaven.search import root
from loghaven.search.by_query import ByQueryOptions, by_query
from loghaven.search.field_caps import field_caps
from loghaven.search.request import SearchRequest, parse_search_request
from loghaven.search.scroll import ScrollContext, SearchContextMissing, SearchContexts
from loghaven.search.task import Cancellation
from loghaven.search.validate import validate_query


def _contexts(request: Request) -> SearchContexts:
    return node_of(request).search_contexts


# --- _search and scroll --------------------------------------------------------------------


async def search(request: Request) -> Response:
    body = await json_body(request)
    parsed = parse_search_request(body, request.query_params)
    async with cancellable(request) as cancellation:
        result = await _search(request, parsed, request.path_params.get("index"), cancellation)
    return await large_json_response(request, result)


async def _search(request: Request, parsed: SearchRequest, expression: str | None,
                  cancellation: Cancellation) -> dict[str, Any]:
    """One search (also each of an _msearch): plain, scroll start, or over a point in time."""
    node = node_of(request)
    contexts = _contexts(request)
    if parsed.pit_id is not None:
        if expression is not None:
            raise ActionRequestValidation(
                "Validation Failed: 1: [indices] cannot be used with point in time. Do not "
                "specify any index with point in time.;")
        if parsed.scroll_ms is not None:
            raise ActionRequestValidation("Validation Failed: 1: using [point in time] is not "
                                          "allowed in a scroll context;")
        keep_alive_ms = None if parsed.pit_keep_alive_ms is None else \
            contexts.keep_alive_ms(parsed.pit_keep_alive_ms, "keep_alive", pit=True)
        try:
            pit = contexts.pit(parsed.pit_id, keep_alive_ms)
        except SearchContextMissing as error:
            raise root.SearchPhaseError(error, "", node.node_id) from error
        outcome = await run(functools.partial(
            root.search, pit.snapshot, parsed, now_ms=now_ms(), node_id=node.node_id, pit=True,
            cancellation=cancellation))
        return {"pit_id": parsed.pit_id, **outcome.body}
    if parsed.scroll_ms is not None and parsed.from_:
        raise ActionRequestValidation("Validation Failed: 1: using [from] is not allowed in a "
                                      "scroll context;")
    found = targets(request, expression)
    if parsed.scroll_ms is not None:
        _scroll_keep_alive(contexts, request.query_params["scroll"], found, node.node_id)
        contexts.check_scroll_room()

    def work() -> tuple[root.Snapshot, root.SearchOutcome]:
        snapshot = root.take_snapshot(found, pin=parsed.scroll_ms is not None)
        return snapshot, root.search(snapshot, parsed, now_ms=now_ms(), node_id=node.node_id,
                                     cancellation=cancellation)

    snapshot, outcome = await run(work)
    if parsed.scroll_ms is None:
        return outcome.body
    scroll_id = contexts.open_scroll(ScrollContext(
        snapshot, parsed, outcome.last, outcome.total,
        time.monotonic() + parsed.scroll_ms / 1000))
    return {"_scroll_id": scroll_id, **outcome.body}


async def scroll(request: Request) -> Response:
    body = await json_body(request)
    params = request.query_params
    scroll_id = request.path_params.get("scroll_id") or body.get("scroll_id") \
        or params.get("scroll_id")
    if not scroll_id:
        raise ActionRequestValidation("Validation Failed: 1: scrollId is missing;")
    keep_alive = body.get("scroll", params.get("scroll"))
    node = node_of(request)
    contexts = _contexts(request)
    keep_alive_ms = None if keep_alive is None else \
        _scroll_keep_alive(contexts, keep_alive, [], node.node_id)
    try:
        context = contexts.scroll(str(scroll_id), keep_alive_ms)
    except SearchContextMissing as error:
        raise root.SearchPhaseError(error, "", node.node_id) from error
    parsed = context.request
    parsed.total_as_int = param_bool(request, "rest_total_hits_as_int", parsed.total_as_int)
    async with cancellable(request) as cancellation:
        outcome = await run(functools.partial(
            root.search, context.snapshot, parsed, now_ms=now_ms(), node_id=node.node_id,
            cursor=context.cursor, known_total=context.total, cancellation=cancellation))
    context.cursor = outcome.last
    return await large_json_response(request, {"_scroll_id": scroll_id, **outcome.body})


def _scroll_keep_alive(contexts: SearchContexts, value: Any, found: list[Target],
                       node_id: str) -> int:
    """A scroll's keep-alive; over the limit it fails the search on its shards, as in ES."""
    try:
        return contexts.keep_alive_ms(value, "scroll")
    except IllegalArgument as error:
        raise root.SearchPhaseError(error, found[0].index.name if found else "",
                                    node_id) from error


async def clear_scroll(request: Request) -> Response:
    body = await json_body(request)
    ids = _id_list(request.path_params.get("scroll_id") or body.get("scroll_id"))
    if not ids:
        raise ActionRequestValidation("Validation Failed: 1: no scroll ids specified;")
    freed = _contexts(request).clear_scrolls(None if ids == ["_all"] else ids)
    return json_response(request, {"succeeded": True, "num_freed": freed},
                         status=200 if freed else 404)


def _id_list(raw: Any) -> list[str]:
    """Context ids as ES takes them: a comma list or an array of strings."""
    if raw is None:
        return []
    if isinstance(raw, str):
        return [i for i in raw.split(",") if i]
    if isinstance(raw, list) and all(isinstance(i, str) for i in raw):
        return raw
    raise ActionRequestValidation("Validation Failed: 1: ids must be a string or an array of "
                                  "strings;")


# --- point in time ---------------------------------------------------------------------------


async def create_pit(request: Request) -> Response:
    """OpenSearch ``POST /<index>/_search/point_in_time?keep_alive=``."""
    pit_id, context = await _open_pit(request)
    total = len(context.snapshot.entries)
    return json_response(request, {
        "pit_id": pit_id,
        "_shards": {"total": total, "successful": total, "skipped": 0, "failed": 0},
        "creation_time": context.created_ms,
    })


async def open_pit_es(request: Request) -> Response:
    """Elasticsearch ``POST /<index>/_pit?keep_alive=``."""
    pit_id, _ = await _open_pit(request)
    return json_response(request, {"id": pit_id})


async def _open_pit(request: Request) -> tuple[str, Any]:
    keep_alive = request.query_params.get("keep_alive")
    if not keep_alive:
        raise ActionRequestValidation("Validation Failed: 1: [keep_alive] is not specified;")
    contexts = _contexts(request)
    keep_alive_ms = contexts.keep_alive_ms(keep_alive, "keep_alive", pit=True)
    found = targets(request, request.path_params["index"])
    snapshot = await run(functools.partial(root.take_snapshot, found, pin=True))
    return contexts.open_pit(snapshot, keep_alive_ms)


async def list_pits(request: Request) -> Response:
    pits = _contexts(request).pits()
    return json_response(request, {"pits": [
        {"pit_id": pit_id, "creation_time": c.created_ms, "keep_alive": c.keep_alive_ms}
        for pit_id, c in pits.items()]})


async def delete_pits(request: Request) -> Response:
    body = await json_body(request)
    ids = None if request.url.path.endswith("/_all") else _id_list(body.get("pit_id"))
    if ids == []:
        raise ActionRequestValidation("Validation Failed: 1: no pit ids specified;")
    closed = _contexts(request).close_pits(ids)
    return json_response(request, {"pits": [{"successful": ok, "pit_id": pit_id}
                                            for pit_id, ok in closed]})


async def close_pit_es(request: Request) -> Response:
    body = await json_body(request, required=True)
    closed = _contexts(request).close_pits(_id_list(body.get("id")))
    freed = sum(ok for _, ok in closed)
    return json_response(request, {"succeeded": True, "num_freed": freed},
                         status=200 if freed else 404)


# --- _count, _msearch --------------------------------------------------------------------------


async def count(request: Request) -> Response:
    body = await json_body(request)
    for key in body:
        if key != "query":
            raise ParsingError(f"request does not support [{key}]")
    params = {k: v for k, v in request.query_params.items()
              if k in ("q", "df", "default_operator", "analyzer", "analyze_wildcard",
                       "lenient", "timeout")}
    parsed = parse_search_request(body, params)
    parsed.size, parsed.track_total_hits = 0, True
    found = targets(request, request.path_params.get("index"))
    node_id = node_of(request).node_id

    async with cancellable(request) as cancellation:
        def work() -> root.SearchOutcome:
            return root.search(root.take_snapshot(found), parsed, now_ms=now_ms(),
                               node_id=node_id, cancellation=cancellation)

        outcome = await run(work)
    return json_response(request, {"count": outcome.total or 0,
                                   "_shards": outcome.body["_shards"]})


_HEADER_PARAMS = ("ignore_unavailable", "allow_no_indices", "expand_wildcards")


async def msearch(request: Request) -> Response:
    started = time.perf_counter()
    lines = (await body_bytes(request)).split(b"\n")
    while lines and not lines[-1].strip():
        lines.pop()
    if len(lines) % 2:
        raise IllegalArgument("[_msearch] each header line needs a body line after it (an "
                              "empty search is {})")
    async with cancellable(request) as cancellation:
        responses = await _msearch_items(request, lines, cancellation)
    return await large_json_response(request, {
        "took": int((time.perf_counter() - started) * 1000), "responses": responses})


async def _msearch_items(request: Request, lines: list[bytes],
                         cancellation: Cancellation) -> list[dict[str, Any]]:
    responses = []
    for header_line, body_line in zip(lines[::2], lines[1::2], strict=True):
        try:
            header = parse_json(header_line) if header_line.strip() else {}
            body = parse_json(body_line) if body_line.strip() else {}
            expression = header.get("index", request.path_params.get("index"))
            if isinstance(expression, list):
                expression = ",".join(expression)
            params = {k: v for k, v in request.query_params.items()
                      if k not in _HEADER_PARAMS}
            params.update({k: _as_param(header[k]) for k in _HEADER_PARAMS if k in header})
            sub = _with_params(request, params)
            parsed = parse_search_request(body, sub.query_params)
            result = await _search(sub, parsed, expression, cancellation)
            responses.append({**result, "status": 200})
        except LoghavenError as error:
            cancellation.check()
            responses.append(error.to_body())
    return responses


def _as_param(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    return str(value)


def _with_params(outer: Request, params: dict[str, str]) -> Request:
    """One _msearch item as a request: the outer one with its header's parameters."""
    scope = {**outer.scope, "query_string": urlencode(params).encode(), "path_params": {}}
    return Request(scope)


# --- _validate/query, _field_caps -----------------------------------------------------------


async def validate(request: Request) -> Response:
    body = await json_body(request)
    params = request.query_params
    query = body.get("query")
    if "q" in params:
        query = parse_search_request({}, {k: v for k, v in params.items()
                                          if k in ("q", "df", "default_operator")}).query
    found = targets(request, request.path_params.get("index"))
    result = await run(functools.partial(
        validate_query, [t.index for t in found], query, now_ms=now_ms(),
        explain=param_bool(request, "explain")))
    return json_response(request, result)


async def get_field_caps(request: Request) -> Response:
    body = await json_body(request)
    raw = request.query_params.get("fields", body.get("fields"))
    if isinstance(raw, str):
        raw = raw.split(",")
    if not isinstance(raw, list) or not all(isinstance(p, str) for p in raw):
        raw = []
    patterns = [p for p in raw if p.strip()]
    if not patterns:
        raise ActionRequestValidation("Validation Failed: 1: specified fields can't be null or "
                                      "empty;")
    found = targets(request, request.path_params.get("index"))
    return await large_json_response(request, await run(functools.partial(
        field_caps, [t.index for t in found], [p.strip() for p in patterns],
        include_unmapped=param_bool(request, "include_unmapped"))))


# --- by query ----------------------------------------------------------------------------------


async def delete_by_query(request: Request) -> Response:
    return await _by_query(request, "delete")


async def update_by_query(request: Request) -> Response:
    return await _by_query(request, "update")


async def _by_query(request: Request, op: str) -> Response:
    body = await json_body(request)
    if "script" in body:
        raise IllegalArgument("scripts are not supported by Loghaven; _update_by_query "
                              "re-indexes the matching documents as they are")
    for key in body:
        if key not in ("query", "max_docs", "conflicts", "size"):
            raise ParsingError(f"Unknown key for a {type(body[key]).__name__} in [{key}].")
    params = request.query_params
    if op == "delete" and "query" not in body and "q" not in params:
        raise ActionRequestValidation("Validation Failed: 1: query is missing;")
    if params.get("wait_for_completion") == "false":
        raise IllegalArgument("wait_for_completion=false (tasks) is not supported yet")
    conflicts = params.get("conflicts", body.get("conflicts", "abort"))
    if conflicts not in ("abort", "proceed"):
        raise IllegalArgument(f"conflicts may only be \"proceed\" or \"abort\" but was "
                              f"[{conflicts}]")
    query = body.get("query")
    if "q" in params:
        query = parse_search_request({}, {k: v for k, v in params.items()
                                          if k in ("q", "df", "default_operator")}).query
    max_docs = param_int(request, "max_docs", body.get("max_docs", body.get("size")))
    if max_docs is not None and (not isinstance(max_docs, int) or isinstance(max_docs, bool)
                                 or max_docs < 1):
        raise ActionRequestValidation(f"Validation Failed: 1: maxDocs should be greater than 0 "
                                      f"if the request is limited to some number of documents "
                                      f"or -1 if it isn't but it was [{max_docs}];")
    batch_size = param_int(request, "scroll_size", 1000)
    if batch_size is not None and batch_size < 0:
        raise IllegalArgument(f"[size] parameter cannot be negative, found [{batch_size}]")
    options = ByQueryOptions(
        op=op, proceed_on_conflicts=conflicts == "proceed", max_docs=max_docs,
        batch_size=batch_size or 1000, refresh=param_bool(request, "refresh"))
    found = targets(request, request.path_params["index"])
    async with cancellable(request) as cancellation:
        status, result = await run(functools.partial(by_query, found, query, options,
                                                     now_ms=now_ms(), cancellation=cancellation))
    return json_response(request, result, status=status)


routes = [
    Route("/_search", search, methods=["GET", "POST"]),
    Route("/_search/scroll", scroll, methods=["GET", "POST"]),
    Route("/_search/scroll", clear_scroll, methods=["DELETE"]),
    Route("/_search/scroll/{scroll_id}", scroll, methods=["GET", "POST"]),
    Route("/_search/scroll/{scroll_id}", clear_scroll, methods=["DELETE"]),
    Route("/_search/point_in_time", delete_pits, methods=["DELETE"]),
    Route("/_search/point_in_time/_all", list_pits, methods=["GET"]),
    Route("/_search/point_in_time/_all", delete_pits, methods=["DELETE"]),
    Route("/_pit", close_pit_es, methods=["DELETE"]),
    Route("/_count", count, methods=["GET", "POST"]),
    Route("/_msearch", msearch, methods=["GET", "POST"]),
    Route("/_validate/query", validate, methods=["GET", "POST"]),
    Route("/_field_caps", get_field_caps, methods=["GET", "POST"]),
    Route("/{index:path}/_search/point_in_time", create_pit, methods=["POST"]),
    Route("/{index:path}/_pit", open_pit_es, methods=["POST"]),
    Route("/{index:path}/_search", search, methods=["GET", "POST"]),
    Route("/{index:path}/_count", count, methods=["GET", "POST"]),
    Route("/{index:path}/_msearch", msearch, methods=["GET", "POST"]),
    Route("/{index:path}/_validate/query", validate, methods=["GET", "POST"]),
    Route("/{index:path}/_field_caps", get_field_caps, methods=["GET", "POST"]),
    Route("/{index:path}/_delete_by_query", delete_by_query, methods=["POST"]),
    Route("/{index:path}/_update_by_query", update_by_query, methods=["POST"]),
]

