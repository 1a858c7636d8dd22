"""Search APIs: _search, scroll, point in time, _count, _msearch, _validate/query,
_field_caps, _delete_by_query, _update_by_query and _reindex.

Each route parses the HTTP request (path, URL parameters, body), calls the node's
:class:`~loghaven.search.service.SearchService` in the thread pool with the request's
cancellation, and renders its answer. Index expressions in paths use ``{index}`` so that
date-math names whose ``/`` arrives decoded (``<logs-{now/d}>``) still route.
"""

from __future__ import annotations

import functools
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from loghaven.api.disconnect import cancellable
from loghaven.api.http import (
    body_bytes,
    json_body,
    json_response,
    node_of,
    parse_json,
    run,
    run_json,
)
from loghaven.errors import ActionRequestValidation, IllegalArgument, LoghavenError
from loghaven.search.service import MsearchItem, SearchService


def _service(request: Request) -> SearchService:
    return node_of(request).search_service


# --- _search and scroll --------------------------------------------------------------------


async def search(request: Request) -> Response:
    body = await json_body(request)
    async with cancellable(request) as cancellation:
        return await run_json(request, functools.partial(
            _service(request).search, request.path_params.get("index"), body,
            request.query_params, cancellation=cancellation))


async def scroll(request: Request) -> Response:
    body = await json_body(request)
    params = request.query_params
    scroll_id = request.path_params.get("scroll_id") or body.get("scroll_id") \
        or params.get("scroll_id")
    keep_alive = body.get("scroll", params.get("scroll"))
    async with cancellable(request) as cancellation:
        return await run_json(request, functools.partial(
            _service(request).scroll, scroll_id, keep_alive, params, cancellation=cancellation))


async def clear_scroll(request: Request) -> Response:
    body = await json_body(request)
    ids = _id_list(request.path_params.get("scroll_id") or body.get("scroll_id"))
    if not ids:
        raise ActionRequestValidation("Validation Failed: 1: no scroll ids specified;")
    result = _service(request).clear_scroll(None if ids == ["_all"] else ids)
    return json_response(request, result, status=200 if result["num_freed"] else 404)


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
    return json_response(request, await _open_pit(request))


async def open_pit_es(request: Request) -> Response:
    """Elasticsearch ``POST /<index>/_pit?keep_alive=``."""
    return json_response(request, {"id": (await _open_pit(request))["pit_id"]})


async def _open_pit(request: Request) -> dict[str, Any]:
    return await run(functools.partial(
        _service(request).open_pit, request.path_params["index"],
        request.query_params.get("keep_alive"), request.query_params))


async def list_pits(request: Request) -> Response:
    return json_response(request, _service(request).list_pits())


async def delete_pits(request: Request) -> Response:
    body = await json_body(request)
    ids = None if request.url.path.endswith("/_all") else _id_list(body.get("pit_id"))
    if ids == []:
        raise ActionRequestValidation("Validation Failed: 1: no pit ids specified;")
    return json_response(request, _service(request).close_pits(ids))


async def close_pit_es(request: Request) -> Response:
    body = await json_body(request, required=True)
    closed = _service(request).close_pits(_id_list(body.get("id")))
    freed = sum(pit["successful"] for pit in closed["pits"])
    return json_response(request, {"succeeded": True, "num_freed": freed},
                         status=200 if freed else 404)


# --- _count, _msearch --------------------------------------------------------------------------


async def count(request: Request) -> Response:
    body = await json_body(request)
    async with cancellable(request) as cancellation:
        result = await run(functools.partial(
            _service(request).count, request.path_params.get("index"), body,
            request.query_params, cancellation=cancellation))
    return json_response(request, result)


async def msearch(request: Request) -> Response:
    lines = (await body_bytes(request)).split(b"\n")
    while lines and not lines[-1].strip():
        lines.pop()
    if len(lines) % 2:
        raise IllegalArgument("[_msearch] each header line needs a body line after it (an "
                              "empty search is {})")
    items = [_msearch_item(header, body) for header, body in zip(lines[::2], lines[1::2],
                                                                  strict=True)]
    async with cancellable(request) as cancellation:
        return await run_json(request, functools.partial(
            _service(request).msearch, request.path_params.get("index"), items,
            request.query_params, cancellation=cancellation))


def _msearch_item(header: bytes, body: bytes) -> MsearchItem:
    """One header and body line pair, parsed (an empty line is ``{}``), or its parse error."""
    try:
        return (parse_json(header) if header.strip() else {},
                parse_json(body) if body.strip() else {})
    except LoghavenError as error:
        return error


# --- _validate/query, _field_caps -----------------------------------------------------------


async def validate(request: Request) -> Response:
    body = await json_body(request)
    return json_response(request, await run(functools.partial(
        _service(request).validate_query, request.path_params.get("index"), body,
        request.query_params)))


async def get_field_caps(request: Request) -> Response:
    body = await json_body(request)
    return await run_json(request, functools.partial(
        _service(request).field_caps, request.path_params.get("index"), body,
        request.query_params))


# --- by query ----------------------------------------------------------------------------------


async def delete_by_query(request: Request) -> Response:
    return await _by_query(request, "delete")


async def update_by_query(request: Request) -> Response:
    return await _by_query(request, "update")


async def _by_query(request: Request, op: str) -> Response:
    body = await json_body(request)
    async with cancellable(request) as cancellation:
        status, result = await run(functools.partial(
            _service(request).by_query, op, request.path_params["index"], body,
            request.query_params, cancellation=cancellation))
    return json_response(request, result, status=status)


async def reindex(request: Request) -> Response:
    body = await json_body(request, required=True)
    async with cancellable(request) as cancellation:
        status, result = await run(functools.partial(
            _service(request).reindex, body, request.query_params,
            cancellation=cancellation))
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
    Route("/{index}/_search/point_in_time", create_pit, methods=["POST"]),
    Route("/{index}/_pit", open_pit_es, methods=["POST"]),
    Route("/{index}/_search", search, methods=["GET", "POST"]),
    Route("/{index}/_count", count, methods=["GET", "POST"]),
    Route("/{index}/_msearch", msearch, methods=["GET", "POST"]),
    Route("/{index}/_validate/query", validate, methods=["GET", "POST"]),
    Route("/{index}/_field_caps", get_field_caps, methods=["GET", "POST"]),
    Route("/_reindex", reindex, methods=["POST"]),
    Route("/{index}/_delete_by_query", delete_by_query, methods=["POST"]),
    Route("/{index}/_update_by_query", update_by_query, methods=["POST"]),
]

